/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * GPU energy attribution, per GPU and interval, the same rules as for the
 * CPU zones:
 * - idle = --gpu-idle-watts x span if given ("flag"), else the GPU's
 *   learned idle power ("learned", user/idle_learner.h) x span, at most
 *   the GPU's energy; active = energy - idle;
 * - each process gets active x its busy seconds / all processes' busy
 *   seconds on that GPU (user/gpu.h says how busy seconds are measured);
 * - a process the agent cannot place (no process account with its pid in
 *   a tracked cgroup), or an interval in which no process was busy, leaves
 *   its part unattributed, so per GPU and interval, to rounding:
 *   sum(processes) + unattributed = active.
 * Attribution (user/attribution.c) adds each placed share to its process's
 * and its cgroup's energy.
 */
#ifndef __WATTLET_GPU_ATTRIBUTION_H
#define __WATTLET_GPU_ATTRIBUTION_H

#include "accounts.h"
#include "gpu.h"
#include "idle_learner.h"

/* One process's figures on one GPU in the interval. */
struct gpu_share {
	__u32 pid;
	__u32 instance; /* MIG GPU instance id, or NVML_INSTANCE_ID_NONE */
	int gpu;	/* index into the reading's gpus[] */
	double busy_s;
	double joules;	/* its share of the GPU's active energy */
	bool placed;	/* the agent's process and cgroup accounts below hold it */
	__u64 proc_key; /* proc_account__key() */
	__u64 cgroup_id;
};

/* One GPU: the last interval and totals since start. */
struct gpu_energy {
	const char *idle_source; /* "flag" | "learned" */
	double idle_watts;	 /* used for the last accepted interval */
	double joules, active_joules, idle_joules, unattributed_joules, busy_s;
	double joules_total, active_joules_total, idle_joules_total, unattributed_joules_total;
	double busy_s_total;
	struct idle_learner learner;
};

struct gpu_attribution {
	double idle_watts; /* --gpu-idle-watts, < 0: learn */
	int nr;
	struct gpu_energy gpus[GPU_MAX_DEVICES];
	/* this interval's shares, every GPU */
	struct gpu_share *shares;
	unsigned int nr_shares, cap_shares;
};

int gpu_attribution__new(struct gpu_attribution **out, const struct options *o);
/*
 * Attribute one interval's reading to the processes of acc (the
 * collection's accounts). Returns 0 or -ENOMEM (nothing attributed then).
 */
int gpu_attribution__apply(struct gpu_attribution *ga, const struct gpu_reading *r,
			   const struct accounts *acc);
void gpu_attribution__free(struct gpu_attribution *ga); /* accepts NULL */

#endif /* __WATTLET_GPU_ATTRIBUTION_H */
