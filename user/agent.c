// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Set up every stage, then run them in order once per interval (agent.h). */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agent.h"
#include "attribution.h"
#include "cgroup_memory.h"
#include "collector.h"
#include "cpu_model.h"
#include "document.h"
#include "gpu.h"
#include "gpu_attribution.h"
#include "histogram.h"
#include "intensity.h"
#include "loader.h"
#include "meter.h"
#include "output.h"
#include "server.h"
#include "snapshot.h"
#include "util.h"
#include "workloads.h"

#define TABLE_ROWS 15

/* Buckets of the collection duration histogram, in seconds. */
static const double duration_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
};

struct agent {
	const struct options *opt;
	struct loader *loader;	      /* the BPF programs the collector reads */
	struct collector *collector;  /* collect */
	struct meter *meter;	      /* meter */
	struct meter_reading reading; /*   the last interval's */
	struct gpus *gpus;	      /*   and the GPUs' (NULL: none measured) */
	struct gpu_reading gpu_reading;
	struct cgroup_memory memory;	    /* cgroup memory, for DRAM zones */
	struct memory_sample memory_sample; /*   the last interval's */
	bool memory_logged;
	struct intensity intensity;		 /* the grid intensity in force */
	struct intensity_state intensity_state;	 /*   in the last interval */
	struct gpu_attribution *gpu_attribution; /* attribute: each GPU to processes */
	struct attribution attribution; /*   the node's energy and carbon to cgroups, processes */
	struct workloads *workloads;	/* name */
	struct server *server;		/* an output, on its own threads */
	struct histogram durations;	/* of collect .. name, per interval */
	bool stdout_gone;		/* a write to stdout failed: print no more */
	double started_wall;
	double last_collection_wall;
	double mem_gib;
	struct cpu_model platform; /* the CPU and cloud, for the document */
};

/* The meter stage's input: how long the interval was and how busy the CPUs were. */
static struct meter_input meter_input(const struct agent *a, const struct collection *col)
{
	const struct node_cpu *cpu = col->cpu;
	double all = cpu->busy_delta_s + cpu->idle_delta_s;

	return (struct meter_input){
		.interval_s = col->interval_s,
		.utilisation = all > 0 ? cpu->busy_delta_s / all : 0,
		.nr_cpus = cpu->nr_cpus,
		.mem_gib = a->mem_gib,
	};
}

static json_t *document(const struct agent *a, const struct collection *col)
{
	const struct agent_status status = {
		.version = WATTLET_VERSION,
		.raw_tp = a->loader->raw_tp,
		.task_storage = a->loader->task_storage,
		.kcpustat = a->loader->kcpustat,
		.counters = a->loader->counters,
		.nr_counters = a->loader->nr_counters,
		.start_time = a->started_wall,
		.durations = &a->durations,
		.last_collection_timestamp = a->last_collection_wall,
	};
	const struct document_input in = {
		.opt = a->opt,
		.timestamp = wall_clock_s(),
		.collection = col,
		.meter = a->meter,
		.reading = &a->reading,
		.platform = &a->platform,
		.intensity = &a->intensity_state,
		.attribution = &a->attribution,
		.gpu_reading = a->gpus ? &a->gpu_reading : NULL,
		.gpu_attribution = a->gpus ? a->gpu_attribution : NULL,
		.workloads = a->workloads,
		.agent = &status,
	};

	return document__build(&in);
}

/* stdout: the published document, as JSON Lines or a table. */
static int print(const struct agent *a, const struct snapshot *snap)
{
	if (a->stdout_gone)
		return 0;
	switch (a->opt->output) {
	case OUTPUT_JSON:
		return output__json_line(stdout, snap->doc);
	case OUTPUT_TABLE:
		return output__table(stdout, snap->doc, TABLE_ROWS);
	default:
		return 0;
	}
}

/*
 * stdout went away (its reader quit, a full disk): say so once. With a
 * server there is still a job to do, so stop printing and keep serving;
 * without one there is nothing left, so stop with the error.
 */
static int stdout_failed(struct agent *a, int err)
{
	if (!a->server) {
		fprintf(stderr,
			"wattlet: cannot write to stdout: %s; exiting, as there is no "
			"--listen to serve\n",
			strerror(-err));
		return err;
	}
	fprintf(stderr,
		"wattlet: cannot write to stdout: %s; stopped printing, still serving "
		"on %s\n",
		strerror(-err), a->opt->listen);
	a->stdout_gone = true;
	return 0;
}

static bool counts_dram(const struct meter_reading *r)
{
	for (int i = 0; r->valid && i < r->nr_zones; i++)
		if (r->zones[i].dram && r->zones[i].in_node_total)
			return true;
	return false;
}

/* Cgroup memory, read only when the reading has a DRAM zone to share by it. */
static void sample_memory(struct agent *a, const struct collection *col)
{
	int err;

	a->memory_sample.taken = false;
	if (!counts_dram(&a->reading))
		return;
	if (!a->memory_logged) {
		a->memory_logged = true;
		fprintf(stderr, "wattlet: dram: %s%s\n", a->memory.why,
			a->memory.source == CGROUP_MEMORY_NONE ?
				"; DRAM energy is shared by CPU time like the packages'" :
				"");
	}
	err = memory_sample__take(&a->memory_sample, &a->memory, col->acc, "/proc/meminfo");
	if (err)
		fprintf(stderr,
			"wattlet: dram: reading cgroup memory: %s; shared by CPU this "
			"interval\n",
			strerror(-err));
}

/* The attribute stage's input: everything before it, this interval. */
static void attribute(struct agent *a, const struct gpu_attribution *gpus,
		      const struct collection *col)
{
	const struct attribution_input in = {
		.reading = &a->reading,
		.gpus = gpus,
		.collection = col,
		.memory = &a->memory_sample,
		.intensity = &a->intensity_state,
	};

	intensity__refresh(&a->intensity);
	intensity__state(&a->intensity, wall_clock_s(), &a->intensity_state);
	attribution__apply(&a->attribution, &in, a->opt);
}

/* One interval, stage by stage. */
static int interval(struct agent *a)
{
	const struct gpu_attribution *gpus = NULL;
	const struct snapshot *snap;
	struct collection col;
	struct meter_input in;
	double t0 = monotonic_s();
	json_t *doc;
	int err;

	err = collector__collect(a->collector, &col);
	if (err) {
		fprintf(stderr, "wattlet: collection failed: %s\n", strerror(-err));
		return err;
	}
	in = meter_input(a, &col);
	meter__read(a->meter, &in, &a->reading);
	if (a->gpus) {
		gpu__read(a->gpus, col.interval_s, &a->gpu_reading);
		/* out of memory: no GPU energy this interval, the agent runs on */
		if (!gpu_attribution__apply(a->gpu_attribution, &a->gpu_reading, col.acc))
			gpus = a->gpu_attribution;
	}
	sample_memory(a, &col);
	attribute(a, gpus, &col);
	err = workloads__update(a->workloads, &col, &a->attribution, monotonic_s());
	if (err)
		return err;
	histogram__observe(&a->durations, monotonic_s() - t0);
	a->last_collection_wall = wall_clock_s();

	doc = document(a, &col);
	if (!doc)
		return -ENOMEM;
	snapshot__publish(doc);
	server__set_ready(a->server, true);

	snap = snapshot__get();
	err = print(a, snap);
	snapshot__put(snap);
	return err ? stdout_failed(a, err) : 0;
}

static void sleep_until(double deadline)
{
	struct timespec ts = timespec_of(deadline);

	/* EINTR (a signal) returns early; the loop checks stop */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int loop(struct agent *a, volatile sig_atomic_t *stop)
{
	const struct options *o = a->opt;
	double start = monotonic_s(), next = start;
	int err = 0;

	while (!*stop && !err) {
		next += o->interval_s;
		if (o->duration_s > 0 && next > start + o->duration_s + 1e-6)
			break;
		sleep_until(next);
		if (*stop)
			break;
		err = interval(a);
		/* after a long stall, skip missed ticks rather than burst */
		while (next + o->interval_s < monotonic_s())
			next += o->interval_s;
	}
	return err;
}

static double mem_total_gib(void)
{
	unsigned long long kib = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib / (1024.0 * 1024.0);
}

/* Where cgroup memory is read: cgroup2, else v1 next to it (hybrid hosts). */
static void open_memory(struct agent *a)
{
	char v1[PATH_MAX] = "", near[PATH_MAX], *slash;

	snprintf(near, sizeof(near), "%s", a->collector->fs.root);
	slash = strrchr(near, '/');
	if (slash)
		*slash = '\0';
	if (cgroupfs__v1_mount("memory", near, v1, sizeof(v1)))
		v1[0] = '\0';
	cgroup_memory__open(&a->memory, a->collector->fs.root, v1);
}

/*
 * Serving, carbon, energy and names: the stages after collection. The
 * server first, then what can fail for the environment (the intensity file,
 * --gpu nvml): a listen error is then the one line a user sees, before the
 * meter says which meter it chose.
 */
static int open_stages(struct agent *a)
{
	const struct options *o = a->opt;
	char dmi[PATH_MAX + 16];
	int err = 0;

	a->mem_gib = mem_total_gib();
	snprintf(dmi, sizeof(dmi), "%s/class/dmi/id", o->sysfs_root);
	cpu_model__detect(&a->platform, "/proc/cpuinfo", dmi);
	open_memory(a);
	attribution__init(&a->attribution, o, loader__counter_slot(a->loader, "cycles"));
	if (o->listen[0])
		err = server__start(&a->server, o);
	if (!err)
		err = intensity__init(&a->intensity, o->carbon_intensity_file,
				      o->carbon_intensity_max_age_s, o->carbon_intensity);
	/* GPUs before the meter: --gpu nvml's error is then the one line, before the model's row */
	err = err ?: gpu__open(&a->gpus, o);
	if (!err && a->gpus)
		err = gpu_attribution__new(&a->gpu_attribution, o);
	err = err ?: meter__open(&a->meter, o);
	return err ?: workloads__new(&a->workloads, o);
}

int agent__run(const struct options *o, volatile sig_atomic_t *stop)
{
	struct agent a = {
		.opt = o,
		.started_wall = wall_clock_s(),
		.durations = { .bounds = duration_bounds,
			       .nr_bounds = ARRAY_SIZE(duration_bounds) },
	};
	int err;

	/* privileges and BTF first: their message is the one a user needs */
	err = loader__open(&a.loader, o);
	if (err)
		return err;
	err = collector__new(&a.collector, a.loader, o);
	if (err)
		goto out_stages;
	/* the meter's baseline right after the collector's, so intervals match */
	err = open_stages(&a);
	if (err)
		goto out_stages;
	/* loading parsed megabytes of vmlinux BTF: give that heap back */
	malloc_trim(0);
	err = loop(&a, stop);

out_stages:
	server__stop(a.server);
	collector__free(a.collector);
	workloads__free(a.workloads);
	attribution__free(&a.attribution);
	memory_sample__free(&a.memory_sample);
	meter__close(a.meter);
	gpu_attribution__free(a.gpu_attribution);
	gpu__close(a.gpus);
	loader__destroy(a.loader);
	snapshot__clear();
	return err;
}
