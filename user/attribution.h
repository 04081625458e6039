/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The attribute stage. Splits each interval's node energy (the meter's
 * reading) into idle and active, and the active part across the collection's
 * cgroups (and within a cgroup across its processes) by on-CPU time, or by
 * cycles with --share-by cycles. Busy time of no tracked cgroup goes to an
 * explicit unattributed bucket. The shares are attribution's own results,
 * keyed like the accounts (cgroup id, process key); the accounts are only
 * read. An account the collection retired takes its share with it: a
 * cgroup's energy moves to retired_joules_total. Every interval and
 * cumulatively:
 *   sum(cgroup active) + unattributed = node active
 *   sum(live cgroup totals) + retired + unattributed = active total
 * Idle power is --idle-watts if given, else the model meter's idle term,
 * else learned (user/idle_learner.h): the 5th percentile of the power of
 * the last 720 accepted intervals (so at first nearly everything counts as
 * idle, until the node has been seen at rest).
 *
 * GPUs (user/gpu_attribution.c splits each one): their energy is part of
 * the node's, under the same rules. With a meter of the CPU side their
 * energy, idle and active are added to the meter's; a platform-wide meter
 * (meter__covers_platform) already holds them, so only their active energy
 * is carved out of its active energy before the CPU side shares the rest.
 * Each placed process's GPU share adds to its own and its cgroup's energy
 * (energy_joules, and gpu_energy_joules alone); the unplaced part is
 * unattributed. The same identities hold, and for the GPU part alone:
 *   sum(cgroup gpu totals) + gpu retired + gpu unattributed = gpu active
 */
#ifndef __WATTLET_ATTRIBUTION_H
#define __WATTLET_ATTRIBUTION_H

#include "collector.h"
#include "figures.h"
#include "gpu_attribution.h"
#include "idle_learner.h"
#include "idmap.h"
#include "meter.h"
#include "options.h"

struct attribution {
	/* node totals since start */
	double energy_joules_total, active_joules_total, idle_joules_total;
	double unattributed_joules_total, retired_joules_total;
	double power_watts;	/* last accepted interval */

	/* the last interval */
	double energy_joules, active_joules, idle_joules, unattributed_joules;
	double idle_watts;	/* idle power used for it */

	struct idle_learner learner;	/* observed node power */

	int cycles_slot;	/* counter slot of "cycles" (loader__counter_slot), -1: none */

	/* GPUs, node totals since start */
	bool gpu_in_platform;	/* the node meter is platform-wide: it holds the GPUs */
	double gpu_joules_total, gpu_active_joules_total, gpu_idle_joules_total;
	double gpu_unattributed_joules_total, gpu_retired_joules_total, gpu_seconds_total;
	double gpu_power_watts;	/* last interval */
	double gpu_carry_joules;	/* GPU energy counted while the platform meter's reading
					 * was rejected: inside its next reading, not to count twice */

	/* the shares, for as long as their accounts live (no entry: no energy yet) */
	struct idmap cgroups;	/* cgroup id -> struct energy_tally */
	struct idmap procs;	/* proc_account__key() -> struct energy_tally */
};

/* cycles_slot: where the loader put the cycles counter, -1 if it did not open. */
void attribution__init(struct attribution *at, const struct options *o, int cycles_slot);
/*
 * Split one interval's node energy r across col. Each cgroup gets its share
 * of active energy (and of idle energy with --idle-attribution cpu); each
 * process gets cgroup_energy * proc_cpu / cgroup_cpu (processes are a
 * breakdown of their cgroup). A rejected reading (r NULL or r->valid false)
 * attributes nothing of the meter's. The node's busy time is
 * col->cpu->busy_delta_s. ga: the GPUs' split of the same interval, or NULL
 * where no GPU is measured.
 */
void attribution__apply(struct attribution *at, const struct meter_reading *r,
			const struct gpu_attribution *ga, const struct collection *col,
			const struct options *o);
/* A cgroup's or process's energy, or NULL when it has been given none. */
const struct energy_tally *attribution__cgroup(const struct attribution *at, __u64 cgroup_id);
const struct energy_tally *attribution__process(const struct attribution *at, __u64 proc_key);
void attribution__free(struct attribution *at);

#endif /* __WATTLET_ATTRIBUTION_H */
