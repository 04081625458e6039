// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wattlet's kernel side: lossless per-process and per-cgroup CPU accounting
 * with no work on the context-switch path.
 *
 * The kernel already keeps every task's exact runtime (se.sum_exec_runtime,
 * the figure behind cpu.stat and /proc/PID/schedstat) and its context switch
 * counts. A task iterator, run by the collector once per interval, adds what
 * each task gained since it was last visited into per-process and
 * per-cgroup maps. sched_process_exit takes in what an exiting task ran so
 * far, and sched_process_free adds the rest once it is gone, after its last
 * context switch, so short-lived tasks are counted too.
 * Only wakeups, which the kernel does not keep without schedstats, and perf
 * counters, which must be read at switch time, need programs per event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "wattlet.h"

/*
 * Settings, written by the loader between open and load. The verifier knows
 * them as constants and drops the branches they turn off, so a program may
 * refer to what this kernel lacks (task storage before 5.11) on a dead path.
 */
const volatile bool targ_task_storage = true; /* else a tid-keyed hash */
const volatile __u32 targ_nr_cpus = 1;
const volatile __u32 targ_nr_counters = 0;
/*
 * kernel_cpustat and runqueues are per-CPU variables in the same section:
 * CPU n's kcpustat lies at this distance from CPU n's rq. The loader takes
 * it from the offsets in vmlinux BTF (DATASEC .data..percpu), because the
 * per-CPU ksym needs CONFIG_KALLSYMS_ALL, which many kernels lack.
 * 0: BTF has no such offsets (Debian's 5.10), and the daemon reads
 * /proc/stat instead.
 */
const volatile __s64 targ_kcpustat_from_rq = 0;

/* Written by the collector before each iteration. */
__u64 generation; /* counts stamping passes */
bool stamping;	  /* stamp live processes' entries with generation */
bool priming;	  /* first pass: take baselines, count nothing */

struct wl_stats stats;
struct wl_usage overflow_usage; /* cgroup map full */

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wl_thread);
} thread_store SEC(".maps");

/*
 * Used instead of thread_store where tracing programs cannot use task storage
 * (the loader then does not create thread_store), and by the raw tracepoint
 * twins, which never can.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, WL_DEFAULT_MAX_PROCESSES);
	__type(key, __u32);
	__type(value, struct wl_thread);
} thread_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, WL_DEFAULT_MAX_PROCESSES);
	__type(key, __u32);
	__type(value, struct wl_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, WL_DEFAULT_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct wl_cgroup);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} exits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WL_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct wl_cpu_times);
} cpu_times SEC(".maps");

/* One perf event array per counter, one event per CPU. */
#define COUNTER_MAP(name)                                    \
	struct {                                             \
		__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); \
		__uint(max_entries, 1);                      \
		__type(key, __u32);                          \
		__type(value, __u32);                        \
	} name SEC(".maps")
COUNTER_MAP(counter0);
COUNTER_MAP(counter1);
COUNTER_MAP(counter2);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wl_usage); /* counters[] used: last raw values */
} counter_last SEC(".maps");

/* Each CPU's runqueue, as found through its tasks' se.cfs_rq->rq. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WL_MAX_CPUS);
	__type(key, __u32);
	__type(value, __u64);
} cpu_rq SEC(".maps");

__u32 cpus_found;

static __always_inline void atomic_add(__u64 *dst, __u64 v)
{
	if (v)
		__sync_fetch_and_add(dst, v);
}

static void usage_add(struct wl_usage *dst, const struct wl_usage *d)
{
	atomic_add(&dst->cpu_ns, d->cpu_ns);
	atomic_add(&dst->wakeups, d->wakeups);
	atomic_add(&dst->vcsw, d->vcsw);
	atomic_add(&dst->ivcsw, d->ivcsw);
	for (int i = 0; i < WL_MAX_COUNTERS; i++)
		if (i < targ_nr_counters)
			atomic_add(&dst->counters[i], d->counters[i]);
}

static struct wl_thread *thread_get(struct task_struct *task, bool create)
{
	struct wl_thread *t, zero = {};
	__u64 start;
	__u32 tid;

	/* the hot path (wakeups): one storage lookup, no probe reads */
	if (targ_task_storage) {
		t = bpf_task_storage_get(&thread_store, task, 0,
					 create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
		if (t && !t->start_ns)
			t->start_ns = BPF_CORE_READ(task, start_time);
		return t;
	}

	start = BPF_CORE_READ(task, start_time);
	tid = BPF_CORE_READ(task, pid);
	t = bpf_map_lookup_elem(&thread_hash, &tid);
	if (t && t->start_ns == start)
		return t;
	if (!create)
		return NULL;
	/* absent, or left by an earlier task with the same tid */
	zero.start_ns = start;
	bpf_map_update_elem(&thread_hash, &tid, &zero, BPF_ANY);
	return bpf_map_lookup_elem(&thread_hash, &tid);
}

static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

static void add_to_cgroup(__u64 cgid, const struct wl_usage *d, bool exited)
{
	struct wl_cgroup *cg, zero = {};

	cg = bpf_map_lookup_elem(&cgroups, &cgid);
	if (!cg) {
		bpf_map_update_elem(&cgroups, &cgid, &zero, BPF_NOEXIST);
		cg = bpf_map_lookup_elem(&cgroups, &cgid);
	}
	if (!cg) {
		atomic_add(&stats.cgroup_overflow, 1);
		usage_add(&overflow_usage, d);
		return;
	}
	usage_add(&cg->usage, d);
	if (exited)
		atomic_add(&cg->exits, 1);
}

static struct wl_proc *proc_get(struct task_struct *task, __u32 tgid, __u64 cgid)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	__u64 start = BPF_CORE_READ(leader, start_time);
	struct wl_proc *p, zero = {};

	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p && p->start_ns == start)
		return p;
	if (p && p->start_ns > start)
		return NULL; /* a late thread of an earlier process */

	zero.start_ns = start;
	zero.cgroup_id = cgid;
	zero.generation = generation;
	bpf_probe_read_kernel_str(zero.comm, sizeof(zero.comm), &leader->comm);
	/* replace a stale entry; never race another CPU creating this one */
	bpf_map_update_elem(&procs, &tgid, &zero, p ? BPF_ANY : BPF_NOEXIST);
	p = bpf_map_lookup_elem(&procs, &tgid);
	return p && p->start_ns == start ? p : NULL;
}

static void add_to_proc(struct task_struct *task, __u64 cgid, const struct wl_usage *d)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct wl_proc *p = proc_get(task, tgid, cgid);

	if (!p) {
		atomic_add(&stats.proc_overflow, 1);
		return;
	}
	usage_add(&p->usage, d);
	p->cgroup_id = cgid;
}

static void usage_read(struct task_struct *task, const struct wl_thread *t, struct wl_usage *now)
{
	now->cpu_ns = BPF_CORE_READ(task, se.sum_exec_runtime);
	now->vcsw = BPF_CORE_READ(task, nvcsw);
	now->ivcsw = BPF_CORE_READ(task, nivcsw);
	if (!t)
		return;
	now->wakeups = t->wakeups;
	for (int i = 0; i < WL_MAX_COUNTERS; i++)
		now->counters[i] = t->counters[i];
}

static __always_inline __u64 gain(__u64 now, __u64 before)
{
	return now > before ? now - before : 0;
}

/*
 * Add what the task gained since it was last reported into its process and
 * cgroup, and remember the new figures. A task with no state (never seen,
 * or state could not be made) has never been reported: all of it is gain.
 */
static void account_task(struct task_struct *task, struct wl_thread *t, bool exited)
{
	struct wl_usage now = {}, d = {};
	__u64 cgid;

	usage_read(task, t, &now);
	if (t) {
		d.cpu_ns = gain(now.cpu_ns, t->reported.cpu_ns);
		d.wakeups = gain(now.wakeups, t->reported.wakeups);
		d.vcsw = gain(now.vcsw, t->reported.vcsw);
		d.ivcsw = gain(now.ivcsw, t->reported.ivcsw);
		for (int i = 0; i < WL_MAX_COUNTERS; i++)
			d.counters[i] = gain(now.counters[i], t->reported.counters[i]);
		t->reported = now;
	} else {
		d = now;
	}
	if (priming && !exited)
		return;
	if (!d.cpu_ns && !d.wakeups && !d.vcsw && !d.ivcsw && !exited)
		return;

	cgid = task_cgroup_id(task);
	add_to_cgroup(cgid, &d, exited);
	add_to_proc(task, cgid, &d);
}

static void find_cpu_rq(struct task_struct *task)
{
	struct rq *rq;
	__u64 *slot;
	__u32 cpu;

	if (!targ_kcpustat_from_rq || cpus_found >= targ_nr_cpus)
		return;
	/* only with CONFIG_FAIR_GROUP_SCHED; the loader then reads /proc/stat */
	if (!bpf_core_field_exists(task->se.cfs_rq))
		return;
	rq = BPF_CORE_READ(task, se.cfs_rq, rq);
	cpu = BPF_CORE_READ(rq, cpu);
	slot = bpf_map_lookup_elem(&cpu_rq, &cpu);
	if (rq && slot && !*slot) {
		*slot = (__u64)rq;
		cpus_found++;
	}
}

static __always_inline __u64 cpustat(const __u64 *v, int idx)
{
	return idx >= 0 && idx < WL_MAX_CPUSTAT ? v[idx] : 0;
}

/*
 * kernel_cpustat's layout is the running kernel's, through CO-RE: 7.x put
 * idle bookkeeping (idle_dyntick, a seqcount, ...) before cpustat[], which
 * then sits at offset 32, not 0. The index of each figure is CO-RE too.
 */
static void read_kcpustat(const struct kernel_cpustat *kc, struct wl_cpu_times *ct)
{
	__u32 size = bpf_core_field_size(kc->cpustat);
	__u64 v[WL_MAX_CPUSTAT] = {};

	if (size > sizeof(v))
		size = sizeof(v);
	if (bpf_core_read(v, size, &kc->cpustat))
		return;
	ct->user = cpustat(v, bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_USER));
	ct->nice = cpustat(v, bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_NICE));
	ct->system = cpustat(v, bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_SYSTEM));
	ct->irq = cpustat(v, bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_IRQ));
	ct->softirq = cpustat(v, bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_SOFTIRQ));
	ct->idle = cpustat(v, bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_IDLE));
	ct->iowait = cpustat(v, bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_IOWAIT));
	ct->steal = cpustat(v, bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_STEAL));
}

static void read_cpu_times(void)
{
	for (__u32 cpu = 0; cpu < WL_MAX_CPUS; cpu++) {
		struct wl_cpu_times *ct;
		__u32 key = cpu;
		__u64 *rq;

		if (cpu >= targ_nr_cpus)
			break;
		rq = bpf_map_lookup_elem(&cpu_rq, &key);
		ct = bpf_map_lookup_elem(&cpu_times, &key);
		if (rq && *rq && ct)
			read_kcpustat((void *)(*rq + targ_kcpustat_from_rq), ct);
	}
}

SEC("iter/task")
int wl_iter_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct wl_thread *t;
	struct wl_proc *p;
	__u32 tgid;

	if (!task) { /* the end of the walk */
		read_cpu_times();
		return 0;
	}

	stats.tasks_seen++;
	find_cpu_rq(task);
	t = thread_get(task, true);
	if (!t)
		atomic_add(&stats.thread_overflow, 1);
	else
		account_task(task, t, false);

	tgid = task->tgid;
	if (task->pid != tgid)
		return 0;
	stats.procs_seen++;
	/* a map lookup per process: only on the passes that prove liveness */
	if (!stamping)
		return 0;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p && p->start_ns == task->start_time) {
		p->generation = generation;
		bpf_probe_read_kernel_str(p->comm, sizeof(p->comm), task->comm);
	}
	return 0;
}

static void send_exit(__u32 tgid, __u64 start)
{
	struct wl_proc *p = bpf_map_lookup_elem(&procs, &tgid);
	struct wl_exit *e;

	if (!p || p->start_ns != start)
		return;
	e = bpf_ringbuf_reserve(&exits, sizeof(*e), 0);
	if (e) {
		e->tgid = tgid;
		e->__pad = 0;
		e->proc = *p;
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	} else {
		atomic_add(&stats.ringbuf_drops, 1);
	}
	bpf_map_delete_elem(&procs, &tgid);
}

/*
 * sched_process_free runs after the task's last context switch and after
 * it was reaped: its runtime is final. At sched_process_exit it still lacks
 * what the task ran since its last update_curr(), up to a tick, and the
 * exit path itself: this adds that rest.
 */
static int on_free(struct task_struct *task)
{
	struct wl_thread *t = thread_get(task, false);
	__u32 pid = BPF_CORE_READ(task, pid);
	__u32 tgid = BPF_CORE_READ(task, tgid);

	account_task(task, t, true);
	if (!targ_task_storage && t)
		bpf_map_delete_elem(&thread_hash, &pid);
	if (pid == tgid)
		send_exit(tgid, BPF_CORE_READ(task, start_time));
	return 0;
}

/*
 * At exit, take in what the task ran so far: the free can come many seconds
 * later (lazy RCU), and its CPU belongs to this interval. The free adds only
 * the rest, the slice since the last update_curr() and the exit path.
 */
static int on_exit(struct task_struct *task)
{
	struct wl_thread *t = thread_get(task, true);

	if (t)
		account_task(task, t, false);
	return 0;
}

static int on_wakeup(struct task_struct *p)
{
	struct wl_thread *t = thread_get(p, true);

	if (t)
		t->wakeups++;
	else
		atomic_add(&stats.thread_overflow, 1);
	return 0;
}

static __always_inline void counter_gain(void *map, int i, struct wl_usage *last,
					 struct wl_thread *t)
{
	struct bpf_perf_event_value v = {};

	if (i >= targ_nr_counters)
		return;
	if (bpf_perf_event_read_value(map, BPF_F_CURRENT_CPU, &v, sizeof(v)))
		return;
	if (t && last->counters[i])
		t->counters[i] += gain(v.counter, last->counters[i]);
	last->counters[i] = v.counter;
}

/* Only loaded when perf counters are enabled: charges prev for its slice. */
static int on_switch(struct task_struct *prev)
{
	struct wl_thread *t = thread_get(prev, true);
	__u32 zero = 0;
	struct wl_usage *last = bpf_map_lookup_elem(&counter_last, &zero);

	if (!last)
		return 0;
	counter_gain(&counter0, 0, last, t);
	counter_gain(&counter1, 1, last, t);
	counter_gain(&counter2, 2, last, t);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(wl_exit, struct task_struct *task)
{
	return on_exit(task);
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(wl_free, struct task_struct *task)
{
	return on_free(task);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(wl_wakeup, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wl_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(wl_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev);
}

/* Raw tracepoint twins, for kernels where tp_btf does not load. */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(wl_exit_raw, struct task_struct *task)
{
	return on_exit(task);
}

SEC("raw_tp/sched_process_free")
int BPF_PROG(wl_free_raw, struct task_struct *task)
{
	return on_free(task);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(wl_wakeup_raw, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(wl_wakeup_new_raw, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(wl_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
