/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Monotonic per-process and per-cgroup totals, built from the kernel's
 * cumulative map values. The kernel's values may restart from zero when an
 * entry is deleted and made again; totals here never go backwards.
 */
#ifndef __WATTLET_ACCOUNTS_H
#define __WATTLET_ACCOUNTS_H

#include <stdbool.h>
#include <linux/types.h>
#include "wattlet.h"
#include "figures.h"
#include "idmap.h"

struct proc_account {
	__u32 pid;
	__u64 start_ns;
	__u64 cgroup_id;
	char comm[WL_COMM_LEN];
	struct wl_usage last;		/* kernel's cumulative figures, last read */
	struct wl_usage counters;	/* perf counter totals (counters[] only) */
	struct tally tally;
	__u64 counters_delta[WL_MAX_COUNTERS];
	bool exited;			/* final figures in; reported once more */
	bool seen;			/* read in this interval */
	int missed;			/* intervals in a row not read */
};

struct cgroup_account {
	__u64 id;
	char *path;			/* relative to the cgroup2 root; NULL: unknown */
	struct wl_usage last;
	struct tally tally;
	__u64 counters_delta[WL_MAX_COUNTERS];
	__u64 exits;
	bool seen;
	bool gone;			/* its directory no longer exists */
	int gone_intervals;
};

struct accounts {
	struct idmap procs;		/* tgid -> proc_account */
	struct idmap cgroups;		/* cgroup id -> cgroup_account */
	__u64 exited_procs;		/* processes whose final figures came in */
	__u64 lost_procs;		/* processes that vanished with no final record */
};

/* Per-field gain, counting a value below the last one as a restart from 0. */
void usage__gain(const struct wl_usage *now, struct wl_usage *last, struct wl_usage *gain);
void figures__from_usage(struct figures *f, const struct wl_usage *u);

/* Called with each cgroup account just before it is dropped. */
typedef void (*cgroup_retire_fn)(void *ctx, const struct cgroup_account *c);

/*
 * Start an interval: drop processes reported as exited and cgroups reported
 * gone in an earlier interval (retire sees each first; may be NULL), zero deltas.
 */
void accounts__begin(struct accounts *a, cgroup_retire_fn retire, void *ctx);
/* Take in one process's cumulative figures from the kernel. */
int accounts__proc(struct accounts *a, __u32 tgid, const struct wl_proc *kv, bool exited);
/* Take in one cgroup's cumulative figures from the kernel. */
int accounts__cgroup(struct accounts *a, __u64 id, const struct wl_cgroup *kv);
/*
 * Processes not read for two intervals in a row, and not reported exited,
 * are lost. One interval of grace: an exit record can be held up behind a
 * ring buffer record still being written.
 */
void accounts__end(struct accounts *a);
void accounts__free(struct accounts *a);

#endif /* __WATTLET_ACCOUNTS_H */
