/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The collect stage, once per interval: run the task iterator, drain exit
 * records, read the per-process and per-cgroup maps and the per-CPU times,
 * and turn the kernel's cumulative figures into monotonic totals and
 * deltas. It hands forward a struct collection and calls no later stage.
 */
#ifndef __WATTLET_COLLECTOR_H
#define __WATTLET_COLLECTOR_H

#include "accounts.h"
#include "cgroupfs.h"
#include "loader.h"

struct node_cpu {
	int nr_cpus;
	struct wl_cpu_times *last; /* per CPU, as last read */
	double *busy_total;	   /* per CPU, seconds since start */
	double *idle_total;
	double busy_s, idle_s, steal_s; /* node totals since start */
	double busy_delta_s;		/* node, this interval */
	double idle_delta_s;
};

/* The collector's own state. Later stages read struct collection, never this. */
struct collector {
	struct loader *loader;
	struct ring_buffer *exits;
	struct accounts acc;
	struct cgroupfs fs;
	struct node_cpu cpu;
	struct wl_stats stats;	   /* kernel loss counters, cumulative */
	double unattributed_cpu_s; /* cgroup map overflow, since start */
	struct wl_usage overflow_last;
	__u64 generation;  /* stamping passes so far */
	__u64 passes;	   /* iterations so far */
	bool stamped;	   /* this collection's pass stamped live processes */
	double started;	   /* monotonic seconds of the priming pass */
	double last;	   /* monotonic seconds of the last collection */
	double interval_s; /* measured length of the last interval */
	bool refreshed;	   /* cgroupfs walked in this collection */
};

/*
 * What one collection hands forward: read-only for the later stages, valid
 * until the next collection.
 */
struct collection {
	double interval_s;	      /* measured length of the interval */
	const struct node_cpu *cpu;   /* node and per-CPU busy and idle time */
	const struct accounts *acc;   /* processes and cgroups; acc->retired: dropped ones */
	const struct wl_stats *stats; /* kernel loss counters, cumulative */
	double unattributed_cpu_s;    /* CPU of cgroups the map had no room for, since start */
};

/* Prime: the first pass takes every task's baseline, so totals start at 0. */
int collector__new(struct collector **out, struct loader *l, const struct options *o);
/* One interval into *out. 0 or -errno. */
int collector__collect(struct collector *c, struct collection *out);
void collector__free(struct collector *c);

#endif /* __WATTLET_COLLECTOR_H */
