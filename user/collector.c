// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BPF maps -> accounts: the first stage of the one-way data path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collector.h"
#include "proc_stat.h"
#include "wattlet.h"
#include "wattlet.skel.h"
#include "util.h"

#define BATCH 1024
#ifndef ENOTSUPP
#define ENOTSUPP 524 /* kernel-internal: "operation not supported" */
#endif
#define CGROUP_WALK_PERIOD_S 10.0
/* Every this many collections the iterator stamps live processes' entries. */
#define STAMP_EVERY	     4

typedef int (*entry_fn)(struct collector *c, const void *key, const void *val);

/* Kernels before 5.6 have no batch operations: one key at a time. */
static int read_map_by_key(struct collector *c, int fd, size_t ksz, size_t vsz, entry_fn fn)
{
	char key[16], next[16], val[sizeof(struct wl_proc) + sizeof(struct wl_cgroup)];
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksz);
		prev = key;
		if (!bpf_map_lookup_elem(fd, key, val))
			fn(c, key, val);
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Read every entry of a hash map, in batches where the kernel has them. */
static int read_map(struct collector *c, int fd, size_t ksz, size_t vsz, entry_fn fn)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	char *keys = malloc(ksz * BATCH), *vals = malloc(vsz * BATCH);
	__u64 in = 0, out = 0;
	bool first = true, done = false;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out_free;
	}
	while (!done) {
		__u32 count = BATCH;

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, &opts);
		if (err && first && (errno == EINVAL || errno == ENOTSUPP || errno == EOPNOTSUPP)) {
			free(keys);
			free(vals);
			return read_map_by_key(c, fd, ksz, vsz, fn);
		}
		if (err) {
			err = -errno;
			if (err != -ENOENT)
				goto out_free;
			done = true;
			err = 0;
		}
		for (__u32 i = 0; i < count; i++)
			fn(c, keys + i * ksz, vals + i * vsz);
		in = out;
		first = false;
	}
out_free:
	free(keys);
	free(vals);
	return err;
}

static int on_proc(struct collector *c, const void *key, const void *val)
{
	const struct wl_proc *p = val;
	__u32 tgid = *(const __u32 *)key;
	/* not stamped by two stamping passes: its leader is gone, the entry orphaned */
	bool orphan = c->stamped && p->generation + 1 < c->generation;

	accounts__proc(&c->acc, tgid, p, orphan);
	if (orphan)
		bpf_map__delete_elem(c->loader->skel->maps.procs, &tgid, sizeof(tgid), 0);
	return 0;
}

static int on_exit_record(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	const struct wl_exit *e = data;

	if (size < sizeof(*e))
		return 0;
	return accounts__proc(&c->acc, e->tgid, &e->proc, true);
}

static void resolve_path(struct collector *c, struct cgroup_account *cg)
{
	const char *path = cgroupfs__path(&c->fs, cg->id);

	if (!path && !c->refreshed) {
		c->refreshed = cgroupfs__refresh(&c->fs) == 0;
		path = cgroupfs__path(&c->fs, cg->id);
	}
	if (path && (!cg->path || strcmp(path, cg->path))) {
		free(cg->path);
		cg->path = strdup(path);
	}
	/* only a fresh walk may say a cgroup is gone */
	if (c->refreshed && !path)
		cg->gone = true;
}

static int on_cgroup(struct collector *c, const void *key, const void *val)
{
	__u64 id = *(const __u64 *)key;
	struct cgroup_account *cg;

	if (accounts__cgroup(&c->acc, id, val))
		return -ENOMEM;
	cg = idmap__get(&c->acc.cgroups, id);
	resolve_path(c, cg);
	/* read for the last time this interval: the account goes next interval */
	if (cg->gone && cg->gone_intervals >= 1)
		bpf_map__delete_elem(c->loader->skel->maps.cgroups, &id, sizeof(id), 0);
	return 0;
}

static double ns_s(__u64 ns)
{
	return ns / 1e9;
}

static double cpu_busy_ns(const struct wl_cpu_times *t)
{
	return t->user + t->nice + t->system + t->irq + t->softirq;
}

static __u64 gain(__u64 now, __u64 before)
{
	return now > before ? now - before : 0;
}

/* Each CPU's times from the source the loader chose: kcpustat through BPF, or /proc/stat. */
static int cpu_times_now(struct collector *c, struct wl_cpu_times *now)
{
	int fd = bpf_map__fd(c->loader->skel->maps.cpu_times);

	if (!c->loader->kcpustat)
		return proc_stat__read(now, c->cpu.nr_cpus);
	for (__u32 cpu = 0; cpu < (__u32)c->cpu.nr_cpus; cpu++)
		if (bpf_map_lookup_elem(fd, &cpu, &now[cpu]))
			return -errno;
	return 0;
}

static int read_cpu_times(struct collector *c, bool prime)
{
	struct node_cpu *n = &c->cpu;
	struct wl_cpu_times *all = malloc(sizeof(*all) * n->nr_cpus);
	int err;

	if (!all)
		return -ENOMEM;
	/* a CPU the source does not list (offline) keeps its last figures */
	memcpy(all, n->last, sizeof(*all) * n->nr_cpus);
	err = cpu_times_now(c, all);
	n->busy_delta_s = n->idle_delta_s = 0;
	for (__u32 cpu = 0; !err && cpu < (__u32)n->nr_cpus; cpu++) {
		struct wl_cpu_times now = all[cpu], *last = &n->last[cpu];
		double busy, idle;

		if (!prime) {
			busy = ns_s(gain(cpu_busy_ns(&now), cpu_busy_ns(last)));
			idle = ns_s(gain(now.idle + now.iowait, last->idle + last->iowait));
			n->busy_total[cpu] += busy;
			n->idle_total[cpu] += idle;
			n->busy_delta_s += busy;
			n->idle_delta_s += idle;
			n->steal_s += ns_s(gain(now.steal, last->steal));
		}
		*last = now;
	}
	free(all);
	n->busy_s += n->busy_delta_s;
	n->idle_s += n->idle_delta_s;
	return err;
}

static void read_stats(struct collector *c)
{
	struct wattlet_bpf *skel = c->loader->skel;
	struct wl_usage gain_u;

	c->stats = skel->bss->stats;
	usage__gain(&skel->bss->overflow_usage, &c->overflow_last, &gain_u);
	c->unattributed_cpu_s += ns_s(gain_u.cpu_ns);
}

static int iterate(struct collector *c, bool prime)
{
	struct wattlet_bpf *skel = c->loader->skel;

	c->stamped = prime || ++c->passes % STAMP_EVERY == 0;
	if (c->stamped)
		skel->bss->generation = ++c->generation;
	skel->bss->stamping = c->stamped;
	skel->bss->priming = prime;
	skel->bss->stats.tasks_seen = 0;
	skel->bss->stats.procs_seen = 0;
	return loader__iterate(c->loader);
}

static void hand_forward(const struct collector *c, struct collection *out)
{
	*out = (struct collection){
		.interval_s = c->interval_s,
		.cpu = &c->cpu,
		.acc = &c->acc,
		.stats = &c->stats,
		.unattributed_cpu_s = c->unattributed_cpu_s,
	};
}

int collector__collect(struct collector *c, struct collection *out)
{
	struct wattlet_bpf *skel = c->loader->skel;
	double now;
	int err;

	accounts__begin(&c->acc);
	c->refreshed = false;
	if (monotonic_s() - c->fs.last_walk > CGROUP_WALK_PERIOD_S)
		c->refreshed = cgroupfs__refresh(&c->fs) == 0;

	err = iterate(c, false);
	now = monotonic_s();
	err = err ?: read_cpu_times(c, false);
	if (err)
		return err;
	/* exits first: a tgid's final record before any new process's entry */
	if (ring_buffer__consume(c->exits) < 0)
		return -errno;
	err = read_map(c, bpf_map__fd(skel->maps.procs), sizeof(__u32), sizeof(struct wl_proc),
		       on_proc);
	if (!err)
		err = read_map(c, bpf_map__fd(skel->maps.cgroups), sizeof(__u64),
			       sizeof(struct wl_cgroup), on_cgroup);
	if (err)
		return err;
	accounts__end(&c->acc);
	read_stats(c);
	c->interval_s = now - c->last;
	c->last = now;
	hand_forward(c, out);
	return 0;
}

static int node_cpu_init(struct node_cpu *n, int nr_cpus)
{
	n->nr_cpus = nr_cpus;
	n->last = calloc(nr_cpus, sizeof(*n->last));
	n->busy_total = calloc(nr_cpus, sizeof(double));
	n->idle_total = calloc(nr_cpus, sizeof(double));
	return n->last && n->busy_total && n->idle_total ? 0 : -ENOMEM;
}

int collector__new(struct collector **out, struct loader *l, const struct options *o)
{
	struct collector *c = calloc(1, sizeof(*c));
	char why[PATH_MAX + 256];
	int err;

	if (!c)
		return -ENOMEM;
	c->loader = l;
	err = node_cpu_init(&c->cpu, l->nr_cpus);
	if (err)
		goto out_free;
	err = cgroupfs__open(&c->fs, o->cgroup_root, why, sizeof(why));
	if (err) {
		fprintf(stderr, "wattlet: %s\n", why);
		goto out_free;
	}
	c->exits = ring_buffer__new(bpf_map__fd(l->skel->maps.exits), on_exit_record, c, NULL);
	if (!c->exits) {
		err = -errno;
		fprintf(stderr, "wattlet: failed to map the exit ring buffer: %s\n",
			strerror(-err));
		goto out_free;
	}
	err = iterate(c, true);
	/* baselines taken: from now on every gain counts, exits' too */
	c->loader->skel->bss->priming = false;
	err = err ?: read_cpu_times(c, true);
	if (err) {
		fprintf(stderr, "wattlet: first collection failed: %s\n", strerror(-err));
		goto out_free;
	}
	c->started = c->last = monotonic_s();
	*out = c;
	return 0;

out_free:
	collector__free(c);
	return err;
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	ring_buffer__free(c->exits);
	cgroupfs__close(&c->fs);
	accounts__free(&c->acc);
	free(c->cpu.last);
	free(c->cpu.busy_total);
	free(c->cpu.idle_total);
	free(c);
}
