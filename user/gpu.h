/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * NVIDIA GPUs through NVML (--gpu auto|nvml|off): per GPU, each interval,
 * the energy it used and how busy each process kept it.
 *
 * Energy: the GPU's mJ counter (nvmlDeviceGetTotalEnergyConsumption, Volta
 * and newer); where that is unsupported, nvmlDeviceGetPowerUsage integrated
 * over the interval (trapezoid rule), labelled "power".
 *
 * Busy time, by the first rule the GPU supports (each labelled):
 * - "sm-samples": nvmlDeviceGetProcessUtilization's per-process SM samples
 *   since the last one seen. A sample covers the time from the previous
 *   sample of the same process (or the last one seen) to its own timestamp,
 *   at most the interval: busy seconds += smUtil / 100 x that time.
 * - "mig-instances": with MIG enabled (NVML has no per-process utilisation
 *   there), each GPU instance's share of the GPU's SMs, split equally among
 *   the processes running in it (per-instance process lists).
 * - "running-processes": the compute and graphics process lists; each
 *   process holding a context gets an equal share of the interval.
 * - "none": neither is available; the GPU's active energy is unattributed.
 *
 * Faults (the GPU fell off the bus: NVML_ERROR_GPU_IS_LOST; a query that is
 * NOT_SUPPORTED or fails; the energy counter going backwards, as after a
 * driver reload; more power than --max-watts) reject that GPU's reading for
 * the interval and add one to its errors_total, with one warning per kind.
 * Energy never goes backwards: after a failed read the last good value stays
 * the baseline (the next good reading covers the missed time, span_s says
 * how long); after a restarted counter the new value is the baseline.
 */
#ifndef __WATTLET_GPU_H
#define __WATTLET_GPU_H

#include <stdbool.h>
#include <linux/types.h>
#include "nvml_abi.h"
#include "options.h"

#define GPU_MAX_DEVICES	  64
#define GPU_MAX_INSTANCES 8 /* MIG devices per GPU (NVML allows 7) */

/* One process's use of one GPU in the interval. */
struct gpu_proc {
	__u32 pid;
	__u32 instance; /* MIG GPU instance id, or NVML_INSTANCE_ID_NONE */
	double busy_s;	/* busy-weighted GPU seconds */
};

/* One GPU's reading for one interval. */
struct gpu_zone {
	int index;     /* NVML's device index */
	char zone[16]; /* "gpu-<index>" */
	char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
	char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	const char *energy_source; /* "counter" | "power" | "none" */
	/* "sm-samples" | "mig-instances" | "running-processes" | "none" */
	const char *busy_rule;
	const char *rule_note; /* why a fallback rule; "" if none */
	bool valid;	       /* false: rejected (see errors_total) */
	double joules;	       /* this interval */
	double span_s;	       /* seconds the joules cover */
	double watts;
	double joules_total; /* since start */
	unsigned long long errors_total;
	int nr_procs;
	const struct gpu_proc *procs; /* valid until the next gpu__read */
};

struct gpu_reading {
	int nr;
	struct gpu_zone gpus[GPU_MAX_DEVICES];
};

struct gpus;

/*
 * --gpu off: *out NULL. auto: NVML if it loads and finds a GPU, else one
 * line on stderr saying why not and *out NULL, returning 0. nvml: the same
 * failure is an error, -errno after one line. A line per GPU says what was
 * found and which rules apply. Takes each GPU's first reading as baseline.
 */
int gpu__open(struct gpus **out, const struct options *o);
/* One interval of interval_s seconds (the collector's measured interval). Returns 0. */
int gpu__read(struct gpus *g, double interval_s, struct gpu_reading *out);
unsigned long long gpu__errors(const struct gpus *g); /* over every GPU */
void gpu__close(struct gpus *g);		      /* accepts NULL */

#endif /* __WATTLET_GPU_H */
