/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Splits each interval's node energy into idle and active, and the active
 * part across cgroups (and within a cgroup across its processes) by on-CPU
 * time, or by cycles with --share-by cycles. Busy time of no tracked cgroup
 * goes to an explicit unattributed bucket. Every interval and cumulatively:
 *   sum(cgroup active) + unattributed = node active
 *   sum(live cgroup totals) + retired + unattributed = active total
 * Idle power is --idle-watts if given, else the model meter's idle term,
 * else learned: the 5th percentile of the power of the last 720 accepted
 * intervals (so at first nearly everything counts as idle, until the node
 * has been seen at rest).
 */
#ifndef __WATTLET_ATTRIBUTION_H
#define __WATTLET_ATTRIBUTION_H

#include <jansson.h>
#include "accounts.h"
#include "meter.h"
#include "options.h"

#define ATTRIBUTION_LEARN_WINDOW	720	/* intervals of observed power kept */
#define ATTRIBUTION_LEARN_PERCENTILE	5	/* idle = this percentile of them */

struct attribution {
	/* node totals since start */
	double energy_joules_total, active_joules_total, idle_joules_total;
	double unattributed_joules_total, retired_joules_total;
	double power_watts;	/* last accepted interval */

	/* the last interval */
	double energy_joules, active_joules, idle_joules, unattributed_joules;
	double idle_watts;	/* idle power used for it */

	/* idle learner: observed power, a ring of the last intervals */
	double learn[ATTRIBUTION_LEARN_WINDOW];
	int nr_learn, next_learn;

	int cycles_slot;	/* counter slot of "cycles" (loader__counter_slot), -1: none */
};

/* cycles_slot: where the loader put the cycles counter, -1 if it did not open. */
void attribution__init(struct attribution *at, const struct options *o, int cycles_slot);
/*
 * Split one interval's node energy. node_busy_s = node busy CPU seconds in
 * the interval. Each cgroup account gets its share of active energy in
 * tally.delta/total.energy_joules (and of idle energy in
 * idle_energy_joules with --idle-attribution cpu); each process gets
 * cgroup_energy * proc_cpu / cgroup_cpu (processes are a breakdown of their
 * cgroup). A rejected reading (r->valid false) attributes nothing.
 */
void attribution__apply(struct attribution *at, const struct meter_reading *r,
			double node_busy_s, struct accounts *acc, const struct options *o);
/* A cgroup account is being dropped: keep its energy in retired_joules_total. */
void attribution__retire(struct attribution *at, const struct cgroup_account *c);
/* The same as a cgroup_retire_fn: accounts__begin(acc, attribution__retire_cb, at). */
void attribution__retire_cb(void *at, const struct cgroup_account *c);
/* Add the node energy fields of docs/json.md ("meter" ... "meter_errors_total") to node. */
void attribution__to_json(const struct attribution *at, const struct meter *m,
			  const struct meter_reading *r, json_t *node, const struct options *o);

#endif /* __WATTLET_ATTRIBUTION_H */
