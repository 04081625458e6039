/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One collection per interval: run the task iterator, drain exit records,
 * read the per-process and per-cgroup maps and the per-CPU times, and turn
 * the kernel's cumulative figures into monotonic totals and deltas.
 */
#ifndef __WATTLET_COLLECTOR_H
#define __WATTLET_COLLECTOR_H

#include <jansson.h>
#include "accounts.h"
#include "cgroupfs.h"
#include "loader.h"
#include "report.h"

struct node_cpu {
	int nr_cpus;
	struct wl_cpu_times *last;	/* per CPU, as last read */
	double *busy_total;		/* per CPU, seconds since start */
	double *idle_total;
	double busy_s, idle_s, steal_s;	/* node totals since start */
	double busy_delta_s;		/* node, this interval */
	double idle_delta_s;
};

struct collector {
	struct loader *loader;
	struct ring_buffer *exits;
	struct accounts acc;
	struct cgroupfs fs;
	struct node_cpu cpu;
	struct wl_stats stats;		/* kernel loss counters, cumulative */
	double unattributed_cpu_s;	/* cgroup map overflow, since start */
	struct wl_usage overflow_last;
	__u64 generation;		/* stamping passes so far */
	__u64 passes;			/* iterations so far */
	bool stamped;			/* this collection's pass stamped live processes */
	double started;			/* monotonic seconds of the priming pass */
	double last;			/* monotonic seconds of the last collection */
	double interval_s;		/* measured length of the last interval */
	bool refreshed;			/* cgroupfs walked in this collection */
};

/* Labels a process by its cgroup (kubernetes names); any may be left NULL. */
typedef void (*process_label_fn)(const void *ctx, __u64 cgroup_id, const char **ns,
				 const char **pod, const char **container);

/* Prime: the first pass takes every task's baseline, so totals start at 0. */
int collector__new(struct collector **out, struct loader *l, const struct options *o);
/* One interval. retire sees each cgroup account before it is dropped. */
int collector__collect(struct collector *c, cgroup_retire_fn retire, void *ctx);
/* Add node CPU fields, "cgroups" and "processes" (docs/json.md) to doc. */
void collector__to_json(const struct collector *c, json_t *doc, const struct report_ctx *rc,
			process_label_fn label, const void *label_ctx);
void collector__free(struct collector *c);

#endif /* __WATTLET_COLLECTOR_H */
