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
 *
 * DRAM zones (a meter's zones marked dram, in the node total) are idle in
 * the meter's proportion; their active energy goes to cgroups by their own
 * memory when the interval has memory figures, else by CPU like the rest.
 * Either way each share's DRAM part is kept, and per zone kind:
 *   sum(cgroup DRAM) + retired DRAM + unattributed DRAM = DRAM active
 *
 * Carbon (carbon.h): each interval's facility energy (GPUs' included)
 * times the intensity in force (operational), and the node's embodied
 * grams of the interval by CPU time (embodied), with the same buckets, so
 * for each kind:
 *   sum(cgroups) + retired + unattributed + idle = node
 */
#ifndef __WATTLET_ATTRIBUTION_H
#define __WATTLET_ATTRIBUTION_H

#include "cgroup_memory.h"
#include "collector.h"
#include "figures.h"
#include "gpu_attribution.h"
#include "idle_learner.h"
#include "intensity.h"
#include "idmap.h"
#include "meter.h"
#include "options.h"

/* A kind of carbon at the node, since start, and where it went. */
struct carbon_buckets {
	double total;	     /* the node's */
	double unattributed; /* busy CPU or active energy of no tracked cgroup */
	double idle;	     /* capacity nobody used, idle energy not handed out */
	double retired;	     /* cgroups since removed */
};

struct attribution {
	/* node totals since start */
	double energy_joules_total, active_joules_total, idle_joules_total;
	double unattributed_joules_total, retired_joules_total;
	double power_watts;		 /* last accepted interval */
	double dram_active_joules_total; /* DRAM zones' active energy */
	double unattributed_dram_joules_total, retired_dram_joules_total;
	struct carbon_buckets operational, embodied;

	/* the last interval */
	double energy_joules, active_joules, idle_joules, unattributed_joules;
	double idle_watts; /* idle power used for it */
	double dram_active_joules;
	const char *dram_share_by; /* "memory" | "cpu"; NULL until a DRAM zone counts */
	double embodied_rate;	   /* g/s, from --embodied-kgco2e and --lifetime-years; 0: off */

	struct idle_learner learner; /* observed node power */

	int cycles_slot; /* counter slot of "cycles" (loader__counter_slot), -1: none */

	/* GPUs, node totals since start */
	bool gpu_in_platform; /* the node meter is platform-wide: it holds the GPUs */
	double gpu_joules_total, gpu_active_joules_total, gpu_idle_joules_total;
	double gpu_unattributed_joules_total, gpu_retired_joules_total, gpu_seconds_total;
	double gpu_power_watts; /* last interval */
	/*
	 * GPU energy counted while the platform meter's reading was rejected: inside its
	 * next reading, not to count twice
	 */
	double gpu_carry_joules;

	/* the shares, for as long as their accounts live (no entry: no energy yet) */
	struct idmap cgroups; /* cgroup id -> struct energy_tally */
	struct idmap procs;   /* proc_account__key() -> struct energy_tally */
};

/* cycles_slot: where the loader put the cycles counter, -1 if it did not open. */
void attribution__init(struct attribution *at, const struct options *o, int cycles_slot);
/* What one interval's attribution reads. */
struct attribution_input {
	const struct meter_reading *reading; /* NULL or not valid: no meter energy */
	const struct gpu_attribution *gpus;  /* the GPUs' split; NULL: no GPU measured */
	const struct collection *collection;
	const struct memory_sample *memory;	 /* NULL or not taken: DRAM goes by CPU */
	const struct intensity_state *intensity; /* NULL or not enabled: no operational carbon */
};

/*
 * Split one interval's node energy and carbon across the collection. Each
 * cgroup gets its share of active energy (and of idle energy with
 * --idle-attribution cpu), with its carbon; each process gets its cgroup's
 * share * proc_cpu / cgroup_cpu (processes are a breakdown of their
 * cgroup), and its GPU share. A rejected reading attributes nothing of the
 * meter's; the GPUs' energy and embodied carbon still count. The node's
 * busy time is collection->cpu->busy_delta_s.
 */
void attribution__apply(struct attribution *at, const struct attribution_input *in,
			const struct options *o);
/* A cgroup's or process's energy, or NULL when it has been given none. */
const struct energy_tally *attribution__cgroup(const struct attribution *at, __u64 cgroup_id);
const struct energy_tally *attribution__process(const struct attribution *at, __u64 proc_key);
void attribution__free(struct attribution *at);

#endif /* __WATTLET_ATTRIBUTION_H */
