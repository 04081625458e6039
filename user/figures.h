/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The figures every workload level carries (process, cgroup, container,
 * pod, namespace, system workload, node), as totals and per-interval deltas.
 */
#ifndef __WATTLET_FIGURES_H
#define __WATTLET_FIGURES_H

#include <linux/types.h>

struct figures {
	double cpu_seconds;
	__u64 wakeups;
	__u64 context_switches;
	double energy_joules;		/* attributed active energy */
	double idle_energy_joules;	/* attributed idle, --idle-attribution cpu */
};

/* A workload's running totals and what the last interval added. */
struct tally {
	struct figures total;
	struct figures delta;
};

static inline void figures__add(struct figures *dst, const struct figures *src)
{
	dst->cpu_seconds += src->cpu_seconds;
	dst->wakeups += src->wakeups;
	dst->context_switches += src->context_switches;
	dst->energy_joules += src->energy_joules;
	dst->idle_energy_joules += src->idle_energy_joules;
}

/* Start a new interval: delta becomes empty, total stays. */
static inline void tally__begin(struct tally *t)
{
	t->delta = (struct figures){ 0 };
}

/* Add one interval's delta to a tally. */
static inline void tally__add(struct tally *t, const struct figures *d)
{
	figures__add(&t->delta, d);
	figures__add(&t->total, d);
}

#endif /* __WATTLET_FIGURES_H */
