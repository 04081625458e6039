/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Monotonic per-process and per-cgroup totals, built from the kernel's
 * cumulative map values. The kernel's values may restart from zero when an
 * entry is deleted and made again; totals here never go backwards.
 *
 * The collect stage's output: later stages read the accounts and keep what
 * they derive (energy, names) in their own state, keyed like the accounts.
 * Each collection lists the accounts it dropped (struct retired), so those
 * stages drop theirs; nothing calls back.
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
	struct wl_usage last;	  /* kernel's cumulative figures, last read */
	struct wl_usage counters; /* perf counter totals (counters[] only) */
	struct cpu_tally cpu;
	__u64 counters_delta[WL_MAX_COUNTERS]; /* by counter slot (loader__counter_slot) */
	bool exited;			       /* final figures in; reported once more */
	bool seen;			       /* read in this interval */
	int missed;			       /* intervals in a row not read */
};

struct cgroup_account {
	__u64 id;
	char *path; /* relative to the cgroup2 root; NULL: unknown */
	struct wl_usage last;
	struct cpu_tally cpu;
	__u64 counters_delta[WL_MAX_COUNTERS];
	__u64 exits;
	bool seen;
	bool gone; /* its directory no longer exists */
	int gone_intervals;
};

/* Keys of accounts, as a growing list. */
struct keylist {
	__u64 *keys;
	size_t len, cap;
};

/* The accounts dropped in this collection: their keys, for later stages to drop theirs. */
struct retired {
	struct keylist procs;	/* proc_account__key() */
	struct keylist cgroups; /* cgroup ids */
};

struct accounts {
	struct idmap procs;	/* proc_account__key() -> proc_account */
	struct idmap cgroups;	/* cgroup id -> cgroup_account */
	struct retired retired; /* dropped since the last accounts__begin */
	__u64 exited_procs;	/* processes whose final figures came in */
	__u64 lost_procs;	/* processes that vanished with no final record */
};

/* A process's key: its tgid and start time, so a reused pid is another process. */
static inline __u64 proc_account__key(const struct proc_account *p)
{
	return (p->start_ns << 32) | p->pid;
}

/* Per-field gain, counting a value below the last one as a restart from 0. */
void usage__gain(const struct wl_usage *now, struct wl_usage *last, struct wl_usage *gain);
void cpu_figures__from_usage(struct cpu_figures *f, const struct wl_usage *u);

/*
 * Start an interval: drop processes reported as exited and cgroups reported
 * gone in an earlier interval (their keys go to retired, which starts
 * empty), zero deltas.
 */
void accounts__begin(struct accounts *a);
/* Take in one process's cumulative figures from the kernel. */
int accounts__proc(struct accounts *a, __u32 tgid, const struct wl_proc *kv, bool exited);
/* Take in one cgroup's cumulative figures from the kernel. */
int accounts__cgroup(struct accounts *a, __u64 id, const struct wl_cgroup *kv);
/*
 * Processes not read for two intervals in a row, and not reported exited,
 * are lost (and retired). One interval of grace: an exit record can be held
 * up behind a ring buffer record still being written.
 */
void accounts__end(struct accounts *a);
void accounts__free(struct accounts *a);

#endif /* __WATTLET_ACCOUNTS_H */
