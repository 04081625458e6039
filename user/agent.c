// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Set up every stage, then collect, attribute, publish and print each interval. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agent.h"
#include "attribution.h"
#include "collector.h"
#include "loader.h"
#include "meter.h"
#include "output.h"
#include "report.h"
#include "server.h"
#include "snapshot.h"
#include "workloads.h"
#include "util.h"

#define TABLE_ROWS 15

static const double duration_bounds[AGENT_DURATION_BUCKETS - 1] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
};

struct agent {
	const struct options *opt;
	struct loader *loader;
	struct collector *collector;
	struct meter *meter;
	struct meter_reading reading;	/* the last interval's */
	struct attribution attribution;
	struct workloads *workloads;
	struct server *server;
	struct collection_stats stats;
	double started_wall;
	double mem_gib;
	bool stdout_gone;		/* a write to stdout failed: print no more */
};

static void stats_observe(struct collection_stats *s, double seconds)
{
	s->count++;
	s->sum_s += seconds;
	for (int i = 0; i < AGENT_DURATION_BUCKETS; i++)
		if (i == AGENT_DURATION_BUCKETS - 1 || seconds <= duration_bounds[i])
			s->buckets[i]++;
	s->last_timestamp = wall_clock_s();
}

static json_t *stats_json(const struct collection_stats *s)
{
	json_t *buckets = json_array();

	for (int i = 0; i < AGENT_DURATION_BUCKETS; i++) {
		json_t *le = i < AGENT_DURATION_BUCKETS - 1 ? json_real(duration_bounds[i]) :
							      json_string("+Inf");

		json_array_append_new(buckets, json_pack("{s:o, s:I}", "le", le, "count",
							 (json_int_t)s->buckets[i]));
	}
	return json_pack("{s:f, s:I, s:o}", "sum", s->sum_s, "count", (json_int_t)s->count,
			 "buckets", buckets);
}

static json_t *agent_json(const struct agent *a)
{
	json_t *counters = json_array();

	for (int slot = 0; slot < a->loader->nr_counters; slot++)
		json_array_append_new(counters, json_string(a->loader->counters[slot]->name));
	return json_pack("{s:s, s:s, s:o, s:f, s:I, s:f, s:o}", "version", WATTLET_VERSION,
			 "attach", a->loader->raw_tp ? "raw_tp" : "tp_btf", "counters", counters,
			 "start_time", a->started_wall, "collections_total",
			 (json_int_t)a->stats.count, "last_collection_timestamp",
			 a->stats.last_timestamp, "collection_duration_seconds",
			 stats_json(&a->stats));
}

static void label_process(const void *ctx, __u64 cgroup_id, const char **ns, const char **pod,
			  const char **container)
{
	workloads__label(ctx, cgroup_id, ns, pod, container);
}

/* The one serializer: every output reads what this builds. */
static json_t *build_document(const struct agent *a)
{
	const struct collector *c = a->collector;
	struct report_ctx rc = { .opt = a->opt, .interval_s = c->interval_s };
	json_t *doc;

	doc = json_pack("{s:f, s:f, s:{s:s}}", "timestamp", wall_clock_s(), "interval_seconds",
			c->interval_s, "node", "name", a->opt->node_name);
	if (!doc)
		return NULL;
	collector__to_json(c, doc, &rc, label_process, a->workloads);
	attribution__to_json(&a->attribution, a->meter, &a->reading,
			     json_object_get(doc, "node"), a->opt);
	workloads__to_json(a->workloads, doc, &rc);
	json_object_set_new(doc, "agent", agent_json(a));
	return doc;
}

static int emit(const struct agent *a, const json_t *doc)
{
	if (a->stdout_gone)
		return 0;
	switch (a->opt->output) {
	case OUTPUT_JSON:
		return output__json_line(stdout, doc);
	case OUTPUT_TABLE:
		return output__table(stdout, doc, TABLE_ROWS);
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
		fprintf(stderr, "wattlet: cannot write to stdout: %s; exiting, as there is no "
			"--listen to serve\n", strerror(-err));
		return err;
	}
	fprintf(stderr, "wattlet: cannot write to stdout: %s; stopped printing, still serving "
		"on %s\n", strerror(-err), a->opt->listen);
	a->stdout_gone = true;
	return 0;
}

/* Energy for the interval just collected, split across its cgroups and processes. */
static void attribute(struct agent *a)
{
	const struct node_cpu *cpu = &a->collector->cpu;
	double all = cpu->busy_delta_s + cpu->idle_delta_s;
	struct meter_input in = {
		.interval_s = a->collector->interval_s,
		.utilisation = all > 0 ? cpu->busy_delta_s / all : 0,
		.nr_cpus = cpu->nr_cpus,
		.mem_gib = a->mem_gib,
	};

	meter__read(a->meter, &in, &a->reading);
	attribution__apply(&a->attribution, &a->reading, cpu->busy_delta_s,
			   &a->collector->acc, a->opt);
}

static int interval(struct agent *a)
{
	const struct snapshot *snap;
	double t0 = monotonic_s();
	json_t *doc;
	int err;

	err = collector__collect(a->collector, attribution__retire_cb, &a->attribution);
	if (err) {
		fprintf(stderr, "wattlet: collection failed: %s\n", strerror(-err));
		return err;
	}
	attribute(a);
	err = workloads__update(a->workloads, &a->collector->acc, monotonic_s());
	if (err)
		return err;
	stats_observe(&a->stats, monotonic_s() - t0);
	doc = build_document(a);
	if (!doc)
		return -ENOMEM;
	snapshot__publish(doc);
	server__set_ready(a->server, true);
	snap = snapshot__get();
	err = emit(a, snap->doc);
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

/* Energy, names and serving: the stages after collection. */
static int open_stages(struct agent *a)
{
	const struct options *o = a->opt;
	int err;

	a->mem_gib = mem_total_gib();
	attribution__init(&a->attribution, o, loader__counter_slot(a->loader, "cycles"));
	err = meter__open(&a->meter, o);
	err = err ?: workloads__new(&a->workloads, o);
	if (err || !o->listen[0])
		return err;
	return server__start(&a->server, o);
}

int agent__run(const struct options *o, volatile sig_atomic_t *stop)
{
	struct agent a = { .opt = o, .started_wall = wall_clock_s() };
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
	collector__free(a.collector);
	server__stop(a.server);
	workloads__free(a.workloads);
	meter__close(a.meter);
	loader__destroy(a.loader);
	snapshot__clear();
	return err;
}
