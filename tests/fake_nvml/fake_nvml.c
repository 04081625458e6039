// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A fake NVML for the tests: built as libnvidia-ml.so.1 and loaded by the
 * agent exactly as the real one is, through the library search path
 * (LD_LIBRARY_PATH). It exports the entry points the agent calls and
 * answers from the scenario file named by $WATTLET_FAKE_NVML_SCENARIO:
 *
 *   init <code>                  nvmlInit_v2 fails with that nvmlReturn_t
 *   gpu <i> uuid=U name=N energy=counter|power|none util=yes|no lists=yes|no
 *          mig=off|on|nohandles  (name: '_' stands for ' ')
 *   mig <gpu> <idx> gi=<id> sms=<n>      a MIG device of a GPU with mig=on
 *   step <gpu> [mj=N] [mw=N] [sm=PID:UTIL[@OFFSET_US],...] [compute=PID,...]
 *          [graphics=PID,...] [mig<idx>=PID,...] [fail=CALL:CODE,...] [lost]
 *
 * A GPU's steps are its states in order. Each read of its energy (counter
 * GPUs) or power (power GPUs) moves it to the next step, stamped with the
 * wall clock at that moment (the last step stays); every other query
 * answers from the current step. Utilisation samples are those of the
 * steps reached so far whose stamp (+ OFFSET_US, <= 0) is after the
 * caller's lastSeenTimeStamp, as the driver keeps them. "lost" makes every
 * query of that step NVML_ERROR_GPU_IS_LOST; fail=CALL:CODE makes one call
 * (energy, power, util, compute, graphics) return CODE. A counter value
 * lower than the one before is a restarted counter (a driver reload).
 * Without the variable, nvmlInit_v2 answers NVML_ERROR_DRIVER_NOT_LOADED.
 * $WATTLET_FAKE_NVML_LOG, if set, gets a line per init and shutdown.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nvml_abi.h"

#define EXPORT	  __attribute__((visibility("default")))
#define MAX_GPUS  16
#define MAX_MIG	  8
#define MAX_PIDS  64
#define GPU_MAGIC 0x67707530u
#define MIG_MAGIC 0x6d696730u

enum call {
	CALL_ENERGY,
	CALL_POWER,
	CALL_UTIL,
	CALL_COMPUTE,
	CALL_GRAPHICS,
	NR_CALLS,
};

static const char *const call_names[NR_CALLS] = { "energy", "power", "util", "compute",
						  "graphics" };

struct sample {
	unsigned int pid, util;
	long long offset_us;
};

struct pid_list {
	unsigned int pid[MAX_PIDS];
	int n;
};

struct step {
	bool lost;
	unsigned long long mj;
	unsigned int mw;
	struct sample sm[MAX_PIDS];
	int nr_sm;
	struct pid_list compute, graphics, mig[MAX_MIG];
	int fail[NR_CALLS];
	unsigned long long stamp_us;
};

struct fake_gpu;

struct fake_mig {
	unsigned int magic;
	struct fake_gpu *gpu;
	int idx;
	bool present;
	unsigned int gi, sms;
};

struct fake_gpu {
	unsigned int magic;
	char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
	char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	enum { ENERGY_COUNTER, ENERGY_POWER, ENERGY_NONE } energy;
	bool util, lists;
	enum { MIG_OFF, MIG_ON, MIG_NOHANDLES } mig_mode;
	struct fake_mig mig[MAX_MIG];
	struct step *steps;
	int nr_steps, cursor; /* cursor -1: not read yet */
};

static struct fake_gpu gpus[MAX_GPUS];
static int nr_gpus;
static int init_error;
static int refs;

static unsigned long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static void log_line(const char *what)
{
	const char *path = getenv("WATTLET_FAKE_NVML_LOG");
	FILE *f = path ? fopen(path, "a") : NULL;

	if (f) {
		fprintf(f, "%s\n", what);
		fclose(f);
	}
}

/* ---- the scenario ---- */

static void parse_pids(const char *s, struct pid_list *l)
{
	unsigned long pid;
	char *end;

	while (l->n < MAX_PIDS) {
		pid = strtoul(s, &end, 10);
		if (end == s)
			break;
		l->pid[l->n++] = pid;
		if (*end != ',')
			break;
		s = end + 1;
	}
}

static void parse_samples(const char *s, struct step *st)
{
	struct sample *x;
	char *end;

	while (*s && st->nr_sm < MAX_PIDS) {
		x = &st->sm[st->nr_sm++];
		x->pid = strtoul(s, &end, 10);
		x->util = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
		x->offset_us = *end == '@' ? strtoll(end + 1, &end, 10) : 0;
		if (*end != ',')
			break;
		s = end + 1;
	}
}

static void parse_fail(const char *s, struct step *st)
{
	char name[16];
	int code, n;

	while (sscanf(s, "%15[a-z]:%d%n", name, &code, &n) == 2) {
		for (int c = 0; c < NR_CALLS; c++)
			if (!strcmp(name, call_names[c]))
				st->fail[c] = code;
		s += n;
		if (*s != ',')
			break;
		s++;
	}
}

static void parse_step_word(struct step *st, const char *w)
{
	int idx;

	if (!strcmp(w, "lost"))
		st->lost = true;
	else if (!strncmp(w, "mj=", 3))
		st->mj = strtoull(w + 3, NULL, 10);
	else if (!strncmp(w, "mw=", 3))
		st->mw = strtoul(w + 3, NULL, 10);
	else if (!strncmp(w, "sm=", 3))
		parse_samples(w + 3, st);
	else if (!strncmp(w, "compute=", 8))
		parse_pids(w + 8, &st->compute);
	else if (!strncmp(w, "graphics=", 9))
		parse_pids(w + 9, &st->graphics);
	else if (!strncmp(w, "fail=", 5))
		parse_fail(w + 5, st);
	else if (sscanf(w, "mig%d=", &idx) == 1 && idx >= 0 && idx < MAX_MIG)
		parse_pids(strchr(w, '=') + 1, &st->mig[idx]);
}

static void parse_gpu_word(struct fake_gpu *g, const char *w)
{
	if (!strncmp(w, "uuid=", 5)) {
		snprintf(g->uuid, sizeof(g->uuid), "%s", w + 5);
	} else if (!strncmp(w, "name=", 5)) {
		snprintf(g->name, sizeof(g->name), "%s", w + 5);
		for (char *p = g->name; *p; p++)
			*p = *p == '_' ? ' ' : *p;
	} else if (!strcmp(w, "energy=power")) {
		g->energy = ENERGY_POWER;
	} else if (!strcmp(w, "energy=none")) {
		g->energy = ENERGY_NONE;
	} else if (!strcmp(w, "util=no")) {
		g->util = false;
	} else if (!strcmp(w, "lists=no")) {
		g->lists = false;
	} else if (!strcmp(w, "mig=on")) {
		g->mig_mode = MIG_ON;
	} else if (!strcmp(w, "mig=nohandles")) {
		g->mig_mode = MIG_NOHANDLES;
	}
}

static struct fake_gpu *gpu_at(int i)
{
	struct fake_gpu *g;

	if (i < 0 || i >= MAX_GPUS)
		return NULL;
	g = &gpus[i];
	if (!g->magic) {
		g->magic = GPU_MAGIC;
		g->util = g->lists = true;
		g->cursor = -1;
		snprintf(g->uuid, sizeof(g->uuid), "GPU-fake-%d", i);
		snprintf(g->name, sizeof(g->name), "Fake GPU");
	}
	if (i >= nr_gpus)
		nr_gpus = i + 1;
	return g;
}

static void parse_mig(struct fake_gpu *g, int idx, char *rest)
{
	struct fake_mig *m;

	if (!g || idx < 0 || idx >= MAX_MIG)
		return;
	m = &g->mig[idx];
	m->magic = MIG_MAGIC;
	m->gpu = g;
	m->idx = idx;
	m->present = true;
	for (char *w = strtok(rest, " \t\n"); w; w = strtok(NULL, " \t\n")) {
		if (!strncmp(w, "gi=", 3))
			m->gi = strtoul(w + 3, NULL, 10);
		else if (!strncmp(w, "sms=", 4))
			m->sms = strtoul(w + 4, NULL, 10);
	}
}

static void parse_step(struct fake_gpu *g, char *rest)
{
	struct step *st;

	if (!g)
		return;
	st = realloc(g->steps, (g->nr_steps + 1) * sizeof(*st));
	if (!st)
		return;
	g->steps = st;
	st = &g->steps[g->nr_steps++];
	memset(st, 0, sizeof(*st));
	for (char *w = strtok(rest, " \t\n"); w; w = strtok(NULL, " \t\n"))
		parse_step_word(st, w);
}

static void parse_line(char *line)
{
	char kind[8];
	int a, b, n;

	line[strcspn(line, "#")] = '\0';
	if (sscanf(line, "init %d", &init_error) == 1)
		return;
	if (sscanf(line, "gpu %d%n", &a, &n) == 1) {
		struct fake_gpu *g = gpu_at(a);

		for (char *w = strtok(line + n, " \t\n"); g && w; w = strtok(NULL, " \t\n"))
			parse_gpu_word(g, w);
	} else if (sscanf(line, "mig %d %d%n", &a, &b, &n) == 2) {
		parse_mig(a < nr_gpus ? gpu_at(a) : NULL, b, line + n);
	} else if (sscanf(line, "%7s %d%n", kind, &a, &n) == 2 && !strcmp(kind, "step")) {
		parse_step(a < nr_gpus ? gpu_at(a) : NULL, line + n);
	}
}

static void forget_scenario(void)
{
	for (int i = 0; i < nr_gpus; i++)
		free(gpus[i].steps);
	memset(gpus, 0, sizeof(gpus));
	nr_gpus = 0;
	init_error = 0;
}

static int load_scenario(void)
{
	const char *path = getenv("WATTLET_FAKE_NVML_SCENARIO");
	char line[4096];
	FILE *f;

	if (!path)
		return NVML_ERROR_DRIVER_NOT_LOADED;
	f = fopen(path, "r");
	if (!f)
		return NVML_ERROR_DRIVER_NOT_LOADED;
	forget_scenario();
	while (fgets(line, sizeof(line), f))
		parse_line(line);
	fclose(f);
	return init_error;
}

/* ---- devices ---- */

static struct fake_gpu *as_gpu(nvmlDevice_t d)
{
	struct fake_gpu *g = (struct fake_gpu *)d;

	return g && g->magic == GPU_MAGIC ? g : NULL;
}

static struct fake_mig *as_mig(nvmlDevice_t d)
{
	struct fake_mig *m = (struct fake_mig *)d;

	return m && m->magic == MIG_MAGIC ? m : NULL;
}

static const struct step *current(const struct fake_gpu *g)
{
	static const struct step none;

	return g->cursor >= 0 ? &g->steps[g->cursor] : &none;
}

static void advance(struct fake_gpu *g)
{
	if (g->cursor + 1 < g->nr_steps) {
		g->cursor++;
		g->steps[g->cursor].stamp_us = now_us();
	}
}

/* The answer every query of a lost step or with a fail= for this call gets; 0: go on. */
static int trouble(const struct fake_gpu *g, enum call c)
{
	const struct step *st = current(g);

	if (st->lost)
		return NVML_ERROR_GPU_IS_LOST;
	return c < NR_CALLS ? st->fail[c] : 0;
}

/* ---- the exported API ---- */

EXPORT nvmlReturn_t nvmlInit_v2(void)
{
	int err;

	if (refs++)
		return NVML_SUCCESS;
	err = load_scenario();
	if (err)
		refs = 0;
	log_line(err ? "init failed" : "init");
	return err;
}

EXPORT nvmlReturn_t nvmlShutdown(void)
{
	if (!refs)
		return NVML_ERROR_UNINITIALIZED;
	if (!--refs)
		forget_scenario();
	log_line("shutdown");
	return NVML_SUCCESS;
}

EXPORT const char *nvmlErrorString(nvmlReturn_t r)
{
	switch ((int)r) {
	case NVML_SUCCESS:
		return "Success";
	case NVML_ERROR_NOT_SUPPORTED:
		return "Not Supported";
	case NVML_ERROR_NO_PERMISSION:
		return "Insufficient Permissions";
	case NVML_ERROR_NOT_FOUND:
		return "Not Found";
	case NVML_ERROR_INSUFFICIENT_SIZE:
		return "Insufficient Size";
	case NVML_ERROR_DRIVER_NOT_LOADED:
		return "Driver Not Loaded";
	case NVML_ERROR_GPU_IS_LOST:
		return "GPU is lost";
	default:
		return "Unknown Error";
	}
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
	if (!refs)
		return NVML_ERROR_UNINITIALIZED;
	*count = nr_gpus;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev)
{
	if (!refs)
		return NVML_ERROR_UNINITIALIZED;
	if (index >= (unsigned int)nr_gpus || !gpus[index].magic)
		return NVML_ERROR_INVALID_ARGUMENT;
	*dev = (nvmlDevice_t)&gpus[index];
	return NVML_SUCCESS;
}

static nvmlReturn_t copy_string(nvmlDevice_t d, char *buf, unsigned int size, bool uuid)
{
	struct fake_gpu *g = as_gpu(d);
	const char *s;

	if (!g)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (trouble(g, NR_CALLS))
		return trouble(g, NR_CALLS);
	s = uuid ? g->uuid : g->name;
	if (strlen(s) >= size)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	strcpy(buf, s);
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int length)
{
	return copy_string(d, name, length, false);
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int length)
{
	return copy_string(d, uuid, length, true);
}

EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj)
{
	struct fake_gpu *g = as_gpu(d);

	if (!g)
		return as_mig(d) ? NVML_ERROR_NOT_SUPPORTED : NVML_ERROR_INVALID_ARGUMENT;
	if (g->energy != ENERGY_COUNTER)
		return NVML_ERROR_NOT_SUPPORTED;
	advance(g);
	if (trouble(g, CALL_ENERGY))
		return trouble(g, CALL_ENERGY);
	*mj = current(g)->mj;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw)
{
	struct fake_gpu *g = as_gpu(d);

	if (!g)
		return as_mig(d) ? NVML_ERROR_NOT_SUPPORTED : NVML_ERROR_INVALID_ARGUMENT;
	if (g->energy == ENERGY_NONE)
		return NVML_ERROR_NOT_SUPPORTED;
	if (g->energy == ENERGY_POWER)
		advance(g);
	if (trouble(g, CALL_POWER))
		return trouble(g, CALL_POWER);
	*mw = current(g)->mw;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t d,
						    nvmlProcessUtilizationSample_t *out,
						    unsigned int *count,
						    unsigned long long last_seen)
{
	struct fake_gpu *g = as_gpu(d);
	unsigned int n = 0;

	if (!g || !count)
		return as_mig(d) ? NVML_ERROR_NOT_SUPPORTED : NVML_ERROR_INVALID_ARGUMENT;
	if (!g->util || g->mig_mode != MIG_OFF)
		return NVML_ERROR_NOT_SUPPORTED; /* not on MIG GPUs, as documented */
	if (trouble(g, CALL_UTIL))
		return trouble(g, CALL_UTIL);
	for (int s = 0; s <= g->cursor; s++) {
		const struct step *st = &g->steps[s];

		for (int i = 0; i < st->nr_sm; i++) {
			unsigned long long ts = st->stamp_us + st->sm[i].offset_us;

			if (ts <= last_seen)
				continue;
			if (out && n < *count)
				out[n] = (nvmlProcessUtilizationSample_t){ .pid = st->sm[i].pid,
									   .timeStamp = ts,
									   .smUtil =
										   st->sm[i].util };
			n++;
		}
	}
	if (!n)
		return NVML_ERROR_NOT_FOUND;
	if (!out || n > *count) {
		*count = n;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	*count = n;
	return NVML_SUCCESS;
}

/* Append a pid list, as process infos of instance gi. */
static void add_infos(const struct pid_list *l, unsigned int gi, nvmlProcessInfo_t *out,
		      unsigned int cap, unsigned int *n)
{
	for (int i = 0; i < l->n; i++, (*n)++)
		if (out && *n < cap)
			out[*n] = (nvmlProcessInfo_t){ .pid = l->pid[i],
						       .usedGpuMemory = 1 << 20,
						       .gpuInstanceId = gi,
						       .computeInstanceId = gi };
}

static nvmlReturn_t running(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_t *out,
			    bool graphics)
{
	struct fake_mig *m = as_mig(d);
	struct fake_gpu *g = m ? m->gpu : as_gpu(d);
	const struct step *st;
	unsigned int n = 0;
	int err;

	if (!g || !count)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (!g->lists)
		return NVML_ERROR_NOT_SUPPORTED;
	err = trouble(g, graphics ? CALL_GRAPHICS : CALL_COMPUTE);
	if (err)
		return err;
	st = current(g);
	if (m) {
		if (!graphics)
			add_infos(&st->mig[m->idx], m->gi, out, *count, &n);
	} else if (g->mig_mode != MIG_OFF && !graphics) {
		for (int i = 0; i < MAX_MIG; i++)
			add_infos(&st->mig[i], g->mig[i].gi, out, *count, &n);
	} else {
		add_infos(graphics ? &st->graphics : &st->compute, NVML_INSTANCE_ID_NONE, out,
			  *count, &n);
	}
	if (n > *count) {
		*count = n;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	*count = n;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count,
							    nvmlProcessInfo_t *infos)
{
	return running(d, count, infos, false);
}

EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t d, unsigned int *count,
							     nvmlProcessInfo_t *infos)
{
	return running(d, count, infos, true);
}

EXPORT nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t d, unsigned int *current_mode,
					 unsigned int *pending)
{
	struct fake_gpu *g = as_gpu(d);

	if (!g)
		return NVML_ERROR_INVALID_ARGUMENT;
	*current_mode = *pending = g->mig_mode != MIG_OFF;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t d, unsigned int *count)
{
	struct fake_gpu *g = as_gpu(d);

	if (!g)
		return NVML_ERROR_INVALID_ARGUMENT;
	*count = g->mig_mode != MIG_OFF ? 7 : 0;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t d, unsigned int index,
							nvmlDevice_t *mig)
{
	struct fake_gpu *g = as_gpu(d);

	if (!g || index >= MAX_MIG)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (g->mig_mode == MIG_NOHANDLES)
		return NVML_ERROR_NO_PERMISSION;
	if (g->mig_mode == MIG_OFF || !g->mig[index].present)
		return NVML_ERROR_NOT_FOUND;
	*mig = (nvmlDevice_t)&g->mig[index];
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t d, unsigned int *id)
{
	struct fake_mig *m = as_mig(d);

	if (!m)
		return NVML_ERROR_NOT_SUPPORTED;
	*id = m->gi;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetAttributes_v2(nvmlDevice_t d, nvmlDeviceAttributes_t *attr)
{
	struct fake_mig *m = as_mig(d);

	if (!m)
		return NVML_ERROR_NOT_SUPPORTED; /* MIG device handles only */
	memset(attr, 0, sizeof(*attr));
	attr->multiprocessorCount = m->sms;
	attr->gpuInstanceSliceCount = 1;
	return NVML_SUCCESS;
}
