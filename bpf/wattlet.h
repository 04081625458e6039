/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by wattlet.bpf.c and the userspace collector.
 * Only fixed-size types, explicit padding, no pointers: the layout is the
 * same on both sides of the map and ring buffer boundary.
 */
#ifndef __WATTLET_H
#define __WATTLET_H

/*
 * The limits both sides share, written once here (libbpf-tools keeps its
 * shared constants in the x.h both sides include).
 */
#define WL_COMM_LEN		 16
#define WL_MAX_COUNTERS		 3    /* perf counters read at switch: maps counter0..2 */
#define WL_MAX_CPUS		 1024 /* possible CPUs the per-CPU arrays cover */
#define WL_MAX_CPUSTAT		 16   /* room for kernel_cpustat's cpustat[NR_STATS] */
/* Map sizes the loader sets before load (bpf_map__set_max_entries); these are the defaults. */
#define WL_DEFAULT_MAX_PROCESSES 32768 /* per-process map, or pid_max when lower */
#define WL_DEFAULT_MAX_CGROUPS	 8192  /* per-cgroup map */

/* Everything the kernel keeps for a task that wattlet reports. */
struct wl_usage {
	__u64 cpu_ns;			 /* se.sum_exec_runtime */
	__u64 wakeups;			 /* sched_wakeup + sched_wakeup_new received */
	__u64 vcsw;			 /* nvcsw: voluntary context switches */
	__u64 ivcsw;			 /* nivcsw: involuntary context switches */
	__u64 counters[WL_MAX_COUNTERS]; /* perf counters read at switch */
};

/*
 * Per-thread state: what the kernel fields said when wattlet last took them
 * into the process and cgroup totals, plus the figures the kernel does not
 * keep itself (wakeups, perf counter deltas).
 */
struct wl_thread {
	struct wl_usage reported;
	__u64 wakeups;
	__u64 counters[WL_MAX_COUNTERS];
	__u64 start_ns; /* task->start_time, tells a reused tid apart */
};

/* Per-process totals since the agent started, keyed by tgid. */
struct wl_proc {
	struct wl_usage usage;
	__u64 start_ns;	  /* group leader's start_time */
	__u64 cgroup_id;  /* cgroup v2 id of the task that last added */
	__u64 generation; /* iteration that last visited the leader */
	char comm[WL_COMM_LEN];
};

/* Per-cgroup totals since the agent started, keyed by cgroup v2 id. */
struct wl_cgroup {
	struct wl_usage usage;
	__u64 exits; /* tasks freed while in this cgroup */
};

/* A process's final totals, sent when its group leader is freed. */
struct wl_exit {
	__u32 tgid;
	__u32 __pad;
	struct wl_proc proc;
};

/* One CPU's time as the kernel's kcpustat keeps it, in ns. */
struct wl_cpu_times {
	__u64 user;
	__u64 nice;
	__u64 system;
	__u64 irq;
	__u64 softirq;
	__u64 idle;
	__u64 iowait;
	__u64 steal;
};

/* Loss counters; the collector reports each, none fails silently. */
struct wl_stats {
	__u64 proc_overflow;   /* proc map full: process totals lost, cgroup kept */
	__u64 cgroup_overflow; /* cgroup map full: added to overflow_usage */
	__u64 thread_overflow; /* thread state missing: counted without deltas */
	__u64 ringbuf_drops;   /* exit record lost: cgroup totals kept */
	__u64 tasks_seen;      /* tasks visited by the last iteration */
	__u64 procs_seen;      /* group leaders visited by the last iteration */
};

#ifndef __cplusplus
_Static_assert(sizeof(struct wl_usage) == 56, "wl_usage layout");
_Static_assert(sizeof(struct wl_proc) == 96, "wl_proc layout");
_Static_assert(sizeof(struct wl_exit) == 104, "wl_exit layout");
_Static_assert(sizeof(struct wl_cgroup) == 64, "wl_cgroup layout");
_Static_assert(sizeof(struct wl_cpu_times) == 64, "wl_cpu_times layout");
#endif

#endif /* __WATTLET_H */
