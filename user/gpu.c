// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The GPU readings: NVML devices found once at start, then each interval
 * their energy and the busy time of the processes using them. The rules
 * are in gpu.h; attribution of the energy is user/gpu_attribution.c's.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gpu.h"
#include "nvml_lib.h"

enum energy_source {
	ENERGY_COUNTER,
	ENERGY_POWER,
	ENERGY_NONE,
};

enum busy_rule {
	BUSY_SAMPLES,
	BUSY_MIG,
	BUSY_PROCESSES,
	BUSY_NONE,
};

static const char *const source_names[] = {
	[ENERGY_COUNTER] = "counter",
	[ENERGY_POWER] = "power",
	[ENERGY_NONE] = "none",
};

static const char *const rule_names[] = {
	[BUSY_SAMPLES] = "sm-samples",
	[BUSY_MIG] = "mig-instances",
	[BUSY_PROCESSES] = "running-processes",
	[BUSY_NONE] = "none",
};

enum fault_kind {
	FAULT_LOST,	   /* NVML_ERROR_GPU_IS_LOST */
	FAULT_UNSUPPORTED, /* NOT_SUPPORTED or FUNCTION_NOT_FOUND */
	FAULT_BACKWARDS,   /* the energy counter restarted */
	FAULT_ABSURD,	   /* above --max-watts */
	FAULT_OTHER,	   /* any other NVML error */
	NR_FAULTS,
};

static const char *const fault_names[NR_FAULTS] = {
	[FAULT_LOST] = "GPU is lost",
	[FAULT_UNSUPPORTED] = "not supported",
	[FAULT_BACKWARDS] = "energy counter went backwards",
	[FAULT_ABSURD] = "implausible power",
	[FAULT_OTHER] = "NVML error",
};

struct mig_instance {
	nvmlDevice_t dev;
	unsigned int id;  /* GPU instance id */
	unsigned int sms; /* its streaming multiprocessors */
};

struct gpu_dev {
	nvmlDevice_t dev;
	struct gpu_zone z; /* index, names, labels; the rest per reading */
	enum energy_source source;
	enum busy_rule rule;
	char note[256];		    /* why a fallback rule */
	unsigned long long last_mj; /* counter baseline */
	unsigned int last_mw;	    /* power baseline */
	bool have_baseline;
	double pending_s;		 /* time since the last accepted reading */
	unsigned long long last_seen_us; /* newest utilisation sample taken in */
	struct mig_instance mig[GPU_MAX_INSTANCES];
	int nr_mig;
	unsigned int mig_sms; /* SMs of all its instances */
	double joules_total;
	unsigned long long errors;
	struct gpu_proc *procs; /* this interval's */
	unsigned int nr_procs, cap_procs;
};

struct gpus {
	struct nvml *nvml;
	double max_watts;
	int nr;
	struct gpu_dev devs[GPU_MAX_DEVICES];
	bool warned[NR_FAULTS];
	nvmlProcessUtilizationSample_t *samples;
	unsigned int cap_samples;
	nvmlProcessInfo_t *infos;
	unsigned int cap_infos;
};

static unsigned long long realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static bool unsupported(nvmlReturn_t r)
{
	return r == NVML_ERROR_NOT_SUPPORTED || r == NVML_ERROR_FUNCTION_NOT_FOUND;
}

/* ---- faults ---- */

static enum fault_kind fault_of(nvmlReturn_t r)
{
	if (r == NVML_ERROR_GPU_IS_LOST)
		return FAULT_LOST;
	return unsupported(r) ? FAULT_UNSUPPORTED : FAULT_OTHER;
}

/* Count one error on d; warn once per kind, saying what it cost (then). */
static void fault(struct gpus *g, struct gpu_dev *d, enum fault_kind kind, const char *then,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void fault(struct gpus *g, struct gpu_dev *d, enum fault_kind kind, const char *then,
		  const char *fmt, ...)
{
	char what[256];
	va_list ap;

	d->errors++;
	if (g->warned[kind])
		return;
	g->warned[kind] = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fprintf(stderr, "wattlet: %s (%s): %s: %s; %s (warned once per kind, see errors_total)\n",
		d->z.zone, d->z.uuid, fault_names[kind], what, then);
}

#define REJECTED     "reading rejected"
#define UNATTRIBUTED "its active energy left unattributed"

static void nvml_fault(struct gpus *g, struct gpu_dev *d, const char *then, const char *call,
		       nvmlReturn_t r)
{
	fault(g, d, fault_of(r), then, "%s: %s", call, nvml__strerror(g->nvml, r));
}

/* ---- growable buffers ---- */

/* More samples or processes than this in one answer is garbage, not a GPU. */
#define MAX_ENTRIES (1u << 16)

static int reserve(void **buf, unsigned int *cap, unsigned int want, size_t size)
{
	void *p;

	if (want <= *cap)
		return 0;
	p = realloc(*buf, (size_t)want * size);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = want;
	return 0;
}

/* The process entry of pid (in instance) in this interval's list, added if new. */
static struct gpu_proc *proc_of(struct gpu_dev *d, __u32 pid, __u32 instance)
{
	struct gpu_proc *p;

	for (unsigned int i = 0; i < d->nr_procs; i++)
		if (d->procs[i].pid == pid && d->procs[i].instance == instance)
			return &d->procs[i];
	if (reserve((void **)&d->procs, &d->cap_procs,
		    d->nr_procs + 1 > d->cap_procs ? d->cap_procs * 2 + 16 : d->cap_procs,
		    sizeof(*d->procs)))
		return NULL;
	p = &d->procs[d->nr_procs++];
	*p = (struct gpu_proc){ .pid = pid, .instance = instance };
	return p;
}

/* ---- energy ---- */

/* A first good value: the baseline, no energy yet. */
static void take_baseline(struct gpu_dev *d, unsigned long long mj, unsigned int mw)
{
	d->last_mj = mj;
	d->last_mw = mw;
	d->have_baseline = true;
	d->pending_s = 0;
}

/* This interval's joules into *joules; false when rejected (fault counted). */
static bool read_energy(struct gpus *g, struct gpu_dev *d, double *joules)
{
	unsigned long long mj = 0;
	unsigned int mw = 0;
	nvmlReturn_t r;

	if (d->source == ENERGY_NONE) {
		fault(g, d, FAULT_UNSUPPORTED, REJECTED, "no energy counter and no power reading");
		return false;
	}
	if (d->source == ENERGY_COUNTER)
		r = nvml__energy_mj(g->nvml, d->dev, &mj);
	else
		r = nvml__power_mw(g->nvml, d->dev, &mw);
	if (r != NVML_SUCCESS) {
		nvml_fault(g, d, REJECTED,
			   d->source == ENERGY_COUNTER ? "nvmlDeviceGetTotalEnergyConsumption" :
							 "nvmlDeviceGetPowerUsage",
			   r);
		return false;
	}
	if (!d->have_baseline) {
		take_baseline(d, mj, mw);
		return false;
	}
	if (d->source == ENERGY_POWER) {
		*joules = (d->last_mw + mw) / 2.0 / 1e3 * d->pending_s;
		d->last_mw = mw;
		return true;
	}
	if (mj < d->last_mj) {
		fault(g, d, FAULT_BACKWARDS, REJECTED "; its value is the new baseline",
		      "from %llu to %llu mJ (driver reloaded?)", d->last_mj, mj);
		d->last_mj = mj;
		d->pending_s = 0;
		return false;
	}
	*joules = (mj - d->last_mj) / 1e3;
	d->last_mj = mj;
	return true;
}

/* ---- busy time ---- */

/* Samples since d->last_seen_us into g->samples; the count, or -1 after a fault. */
static int query_samples(struct gpus *g, struct gpu_dev *d)
{
	unsigned int count = 0, n;
	nvmlReturn_t r;

	r = nvml__process_utilization(g->nvml, d->dev, NULL, &count, d->last_seen_us);
	for (int tries = 0; tries < 3; tries++) {
		if (r == NVML_ERROR_NOT_FOUND)
			return 0; /* no sample since the last one seen */
		if (r != NVML_SUCCESS && r != NVML_ERROR_INSUFFICIENT_SIZE)
			break;
		if (count > MAX_ENTRIES)
			count = MAX_ENTRIES;
		if (reserve((void **)&g->samples, &g->cap_samples, count + 16, sizeof(*g->samples)))
			return -1;
		n = g->cap_samples;
		r = nvml__process_utilization(g->nvml, d->dev, g->samples, &n, d->last_seen_us);
		if (r == NVML_SUCCESS)
			return n < g->cap_samples ? (int)n : (int)g->cap_samples;
		count = n > g->cap_samples ? n : g->cap_samples * 2;
	}
	nvml_fault(g, d, UNATTRIBUTED, "nvmlDeviceGetProcessUtilization", r);
	return -1;
}

static int by_pid_then_time(const void *a, const void *b)
{
	const nvmlProcessUtilizationSample_t *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->timeStamp > y->timeStamp) - (x->timeStamp < y->timeStamp);
}

/* Busy seconds per process from the SM samples (the rule in gpu.h). */
static bool busy_from_samples(struct gpus *g, struct gpu_dev *d, double span_s)
{
	unsigned long long now = realtime_us(), start, newest = d->last_seen_us;
	double span_us = span_s * 1e6, stretch;
	nvmlProcessUtilizationSample_t *s;
	struct gpu_proc *p;
	int n = query_samples(g, d);

	if (n < 0) {
		d->last_seen_us = now; /* the samples missed belong to this interval */
		return false;
	}
	if (n > 1)
		qsort(g->samples, n, sizeof(*g->samples), by_pid_then_time);
	for (int i = 0; i < n; i++) {
		s = &g->samples[i];
		if (s->timeStamp <= d->last_seen_us)
			continue; /* not newer than asked for */
		start = i > 0 && s[-1].pid == s->pid && s[-1].timeStamp > d->last_seen_us ?
				s[-1].timeStamp :
				d->last_seen_us;
		stretch = fmin((double)(s->timeStamp - start), span_us);
		p = proc_of(d, s->pid, NVML_INSTANCE_ID_NONE);
		if (p)
			p->busy_s += fmin(s->smUtil, 100) / 100.0 * stretch / 1e6;
		if (s->timeStamp > newest)
			newest = s->timeStamp;
	}
	d->last_seen_us = n > 0 ? newest : now;
	return true;
}

typedef nvmlReturn_t (*list_fn)(const struct nvml *n, nvmlDevice_t dev, unsigned int *count,
				nvmlProcessInfo_t *infos);

/* One process list into g->infos from *have on; the entries added, or -(NVML code). */
static int query_list(struct gpus *g, list_fn fn, nvmlDevice_t dev, unsigned int have)
{
	unsigned int count = 0, n;
	nvmlReturn_t r;

	r = fn(g->nvml, dev, &count, NULL);
	for (int tries = 0; tries < 3; tries++) {
		if (r == NVML_SUCCESS && count == 0)
			return 0;
		if (r != NVML_SUCCESS && r != NVML_ERROR_INSUFFICIENT_SIZE)
			return -(int)r;
		if (count > MAX_ENTRIES)
			count = MAX_ENTRIES;
		if (reserve((void **)&g->infos, &g->cap_infos, have + count + 16,
			    sizeof(*g->infos)))
			return -(int)NVML_ERROR_UNKNOWN;
		n = g->cap_infos - have;
		r = fn(g->nvml, dev, &n, g->infos + have);
		if (r == NVML_SUCCESS)
			return n < g->cap_infos - have ? (int)n : (int)(g->cap_infos - have);
		count = n + 16;
	}
	return -(int)r;
}

/* Keep the first entry of each pid. Returns the new count. */
static int unique_pids(nvmlProcessInfo_t *infos, int n)
{
	int out = 0, j;

	for (int i = 0; i < n; i++) {
		for (j = 0; j < out && infos[j].pid != infos[i].pid; j++)
			;
		if (j == out)
			infos[out++] = infos[i];
	}
	return out;
}

/*
 * The pids with a compute or graphics context on dev, in g->infos; their
 * count, or -1 after a fault (when neither list answers).
 */
static int running_processes(struct gpus *g, struct gpu_dev *d, nvmlDevice_t dev)
{
	int c = query_list(g, nvml__compute_processes, dev, 0), gr;

	gr = query_list(g, nvml__graphics_processes, dev, c > 0 ? c : 0);
	if (c < 0 && gr < 0) {
		nvml_fault(g, d, UNATTRIBUTED, "nvmlDeviceGetComputeRunningProcesses_v3", -c);
		return -1;
	}
	return unique_pids(g->infos, (c > 0 ? c : 0) + (gr > 0 ? gr : 0));
}

/* Each running process: share x span / their number. */
static bool busy_from_lists(struct gpus *g, struct gpu_dev *d, nvmlDevice_t dev, __u32 instance,
			    double share, double span_s)
{
	struct gpu_proc *p;
	int n = running_processes(g, d, dev);

	if (n < 0)
		return false;
	for (int i = 0; i < n; i++) {
		p = proc_of(d, g->infos[i].pid, instance);
		if (p)
			p->busy_s += share * span_s / n;
	}
	return true;
}

/* Each GPU instance: its share of the GPU's SMs, split among its processes. */
static bool busy_from_mig(struct gpus *g, struct gpu_dev *d, double span_s)
{
	const struct mig_instance *m;

	for (int i = 0; i < d->nr_mig; i++) {
		m = &d->mig[i];
		if (!busy_from_lists(g, d, m->dev, m->id, (double)m->sms / d->mig_sms, span_s))
			return false;
	}
	return true;
}

static bool read_busy(struct gpus *g, struct gpu_dev *d, double span_s)
{
	d->nr_procs = 0;
	switch (d->rule) {
	case BUSY_SAMPLES:
		return busy_from_samples(g, d, span_s);
	case BUSY_MIG:
		return busy_from_mig(g, d, span_s);
	case BUSY_PROCESSES:
		return busy_from_lists(g, d, d->dev, NVML_INSTANCE_ID_NONE, 1.0, span_s);
	default:
		return true;
	}
}

/* ---- one interval ---- */

static void read_one(struct gpus *g, struct gpu_dev *d, double interval_s, struct gpu_zone *z)
{
	double joules = 0;

	d->pending_s += interval_s;
	d->nr_procs = 0;
	*z = d->z;
	if (read_energy(g, d, &joules)) {
		z->span_s = d->pending_s;
		d->pending_s = 0;
		if (joules > g->max_watts * z->span_s) {
			fault(g, d, FAULT_ABSURD, REJECTED, "%.1f W above --max-watts %g",
			      joules / z->span_s, g->max_watts);
		} else {
			if (!read_busy(g, d, z->span_s))
				d->nr_procs = 0; /* busy unknown: all unattributed */
			z->valid = true;
			z->joules = joules;
			z->watts = joules / z->span_s;
			d->joules_total += joules;
		}
	}
	z->joules_total = d->joules_total;
	z->errors_total = d->errors;
	z->nr_procs = z->valid ? d->nr_procs : 0;
	z->procs = d->procs;
}

int gpu__read(struct gpus *g, double interval_s, struct gpu_reading *out)
{
	out->nr = g->nr;
	for (int i = 0; i < g->nr; i++)
		read_one(g, &g->devs[i], interval_s, &out->gpus[i]);
	return 0;
}

unsigned long long gpu__errors(const struct gpus *g)
{
	unsigned long long sum = 0;

	for (int i = 0; g && i < g->nr; i++)
		sum += g->devs[i].errors;
	return sum;
}

/* ---- finding the GPUs ---- */

static void pick_energy_source(struct gpus *g, struct gpu_dev *d)
{
	unsigned long long mj;
	unsigned int mw;
	nvmlReturn_t r;

	r = nvml__energy_mj(g->nvml, d->dev, &mj);
	if (!unsupported(r)) {
		d->source = ENERGY_COUNTER;
		if (r == NVML_SUCCESS)
			take_baseline(d, mj, 0);
		return;
	}
	r = nvml__power_mw(g->nvml, d->dev, &mw);
	if (!unsupported(r)) {
		d->source = ENERGY_POWER;
		if (r == NVML_SUCCESS)
			take_baseline(d, 0, mw);
		return;
	}
	d->source = ENERGY_NONE;
}

/* The MIG devices (GPU instances) of d with their SM counts; 0 or the failing NVML code. */
static nvmlReturn_t find_instances(struct gpus *g, struct gpu_dev *d)
{
	nvmlDeviceAttributes_t attr;
	unsigned int max = 0;
	struct mig_instance *m;
	nvmlReturn_t r;

	r = nvml__max_mig_devices(g->nvml, d->dev, &max);
	for (unsigned int i = 0; r == NVML_SUCCESS && i < max && d->nr_mig < GPU_MAX_INSTANCES;
	     i++) {
		m = &d->mig[d->nr_mig];
		r = nvml__mig_handle(g->nvml, d->dev, i, &m->dev);
		if (r == NVML_ERROR_NOT_FOUND) {
			r = NVML_SUCCESS; /* no instance at this index */
			continue;
		}
		if (r == NVML_SUCCESS)
			r = nvml__gpu_instance_id(g->nvml, m->dev, &m->id);
		if (r == NVML_SUCCESS)
			r = nvml__attributes(g->nvml, m->dev, &attr);
		if (r == NVML_SUCCESS && attr.multiprocessorCount > 0) {
			m->sms = attr.multiprocessorCount;
			d->mig_sms += m->sms;
			d->nr_mig++;
		}
	}
	if (r == NVML_SUCCESS && !d->nr_mig)
		r = NVML_ERROR_NOT_FOUND;
	return r;
}

static bool mig_enabled(struct gpus *g, struct gpu_dev *d)
{
	unsigned int mode = NVML_DEVICE_MIG_DISABLE;

	return nvml__mig_mode(g->nvml, d->dev, &mode) == NVML_SUCCESS &&
	       mode == NVML_DEVICE_MIG_ENABLE;
}

static void note(struct gpu_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct gpu_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->note, sizeof(d->note), fmt, ap);
	va_end(ap);
}

/* Without samples: the process lists if the GPU gives them. */
static void lists_or_none(struct gpus *g, struct gpu_dev *d)
{
	unsigned int count = 0;
	nvmlReturn_t r = nvml__compute_processes(g->nvml, d->dev, &count, NULL);
	size_t len = strlen(d->note);

	if (r == NVML_SUCCESS || r == NVML_ERROR_INSUFFICIENT_SIZE) {
		d->rule = BUSY_PROCESSES;
		snprintf(d->note + len, sizeof(d->note) - len,
			 "; active energy shared equally among the processes holding a "
			 "compute or graphics context");
		return;
	}
	d->rule = BUSY_NONE;
	snprintf(d->note + len, sizeof(d->note) - len,
		 "; no process lists either (%s): active energy unattributed",
		 nvml__strerror(g->nvml, r));
}

static void pick_busy_rule(struct gpus *g, struct gpu_dev *d)
{
	unsigned int count = 0;
	nvmlReturn_t r;

	d->note[0] = '\0';
	if (mig_enabled(g, d)) {
		r = find_instances(g, d);
		if (r == NVML_SUCCESS) {
			d->rule = BUSY_MIG;
			note(d, "MIG: NVML gives no per-process utilisation on MIG GPUs; active "
				"energy goes to GPU instances by SM count, equally to each "
				"instance's processes");
			return;
		}
		d->nr_mig = 0;
		d->mig_sms = 0;
		note(d,
		     "MIG enabled but NVML gives no GPU instances (%s): attributed at "
		     "the GPU level",
		     nvml__strerror(g->nvml, r));
		lists_or_none(g, d);
		return;
	}
	r = nvml__process_utilization(g->nvml, d->dev, NULL, &count, 0);
	if (r == NVML_SUCCESS || r == NVML_ERROR_INSUFFICIENT_SIZE || r == NVML_ERROR_NOT_FOUND) {
		d->rule = BUSY_SAMPLES;
		return;
	}
	note(d, "no per-process utilisation samples (%s)", nvml__strerror(g->nvml, r));
	lists_or_none(g, d);
}

static int open_device(struct gpus *g, unsigned int index, struct gpu_dev *d)
{
	nvmlReturn_t r;

	memset(d, 0, sizeof(*d));
	r = nvml__handle(g->nvml, index, &d->dev);
	if (r != NVML_SUCCESS) {
		fprintf(stderr,
			"wattlet: gpu-%u: nvmlDeviceGetHandleByIndex_v2: %s; "
			"GPU left out\n",
			index, nvml__strerror(g->nvml, r));
		return -ENODEV;
	}
	d->z.index = index;
	snprintf(d->z.zone, sizeof(d->z.zone), "gpu-%u", index);
	if (nvml__uuid(g->nvml, d->dev, d->z.uuid, sizeof(d->z.uuid)) != NVML_SUCCESS)
		snprintf(d->z.uuid, sizeof(d->z.uuid), "unknown");
	if (nvml__name(g->nvml, d->dev, d->z.name, sizeof(d->z.name)) != NVML_SUCCESS)
		snprintf(d->z.name, sizeof(d->z.name), "unknown");
	d->last_seen_us = realtime_us();
	pick_energy_source(g, d);
	pick_busy_rule(g, d);
	d->z.energy_source = source_names[d->source];
	d->z.busy_rule = rule_names[d->rule];
	d->z.rule_note = d->note;
	fprintf(stderr, "wattlet: %s: %s (%s): energy from %s, busy time from %s%s%s\n", d->z.zone,
		d->z.name, d->z.uuid,
		d->source == ENERGY_COUNTER ? "its mJ counter" :
		d->source == ENERGY_POWER   ? "its power readings (no energy counter)" :
					      "nowhere",
		d->z.busy_rule, d->note[0] ? ": " : "", d->note);
	return 0;
}

static int open_devices(struct gpus *g)
{
	unsigned int count = 0;
	nvmlReturn_t r;

	r = nvml__count(g->nvml, &count);
	if (r != NVML_SUCCESS) {
		fprintf(stderr, "wattlet: gpu: nvmlDeviceGetCount_v2: %s\n",
			nvml__strerror(g->nvml, r));
		return -ENODEV;
	}
	for (unsigned int i = 0; i < count && g->nr < GPU_MAX_DEVICES; i++)
		if (!open_device(g, i, &g->devs[g->nr]))
			g->nr++;
	return g->nr ? 0 : -ENODEV;
}

int gpu__open(struct gpus **out, const struct options *o)
{
	bool required = !strcmp(o->gpu, "nvml");
	char why[512];
	struct gpus *g;
	int err;

	*out = NULL;
	if (!strcmp(o->gpu, "off"))
		return 0;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->max_watts = o->max_watts;
	err = nvml__open(&g->nvml, why, sizeof(why));
	if (err) {
		fprintf(stderr, "wattlet: gpu: %s%s\n", required ? "" : "not using NVML: ", why);
		goto out_free;
	}
	err = open_devices(g);
	if (err) {
		fprintf(stderr, "wattlet: gpu: %sNVML found no usable GPU\n",
			required ? "" : "not using NVML: ");
		goto out_free;
	}
	*out = g;
	return 0;

out_free:
	gpu__close(g);
	return required ? err : 0;
}

void gpu__close(struct gpus *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->nr; i++)
		free(g->devs[i].procs);
	free(g->samples);
	free(g->infos);
	nvml__close(g->nvml);
	free(g);
}
