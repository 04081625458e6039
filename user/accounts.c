// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Delta and total bookkeeping for processes and cgroups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "accounts.h"

static __u64 field_gain(__u64 now, __u64 *last)
{
	__u64 g = now >= *last ? now - *last : now;

	*last = now;
	return g;
}

void usage__gain(const struct wl_usage *now, struct wl_usage *last, struct wl_usage *gain)
{
	gain->cpu_ns = field_gain(now->cpu_ns, &last->cpu_ns);
	gain->wakeups = field_gain(now->wakeups, &last->wakeups);
	gain->vcsw = field_gain(now->vcsw, &last->vcsw);
	gain->ivcsw = field_gain(now->ivcsw, &last->ivcsw);
	for (int i = 0; i < WL_MAX_COUNTERS; i++)
		gain->counters[i] = field_gain(now->counters[i], &last->counters[i]);
}

void cpu_figures__from_usage(struct cpu_figures *f, const struct wl_usage *u)
{
	memset(f, 0, sizeof(*f));
	f->cpu_seconds = u->cpu_ns / 1e9;
	f->wakeups = u->wakeups;
	f->context_switches = u->vcsw + u->ivcsw;
}

static int keylist_reserve(struct keylist *l, size_t more)
{
	size_t cap = l->cap ? l->cap : 64;
	__u64 *keys;

	if (l->len + more <= l->cap)
		return 0;
	while (cap < l->len + more)
		cap *= 2;
	keys = realloc(l->keys, cap * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	l->keys = keys;
	l->cap = cap;
	return 0;
}

/*
 * Drop the entries that drop() marks, adding their keys to dropped. Should
 * the list not grow, nothing is dropped this time (they are next time), so
 * no stage misses a drop.
 */
static void drop_marked(struct idmap *m, bool (*drop)(void *), void (*release)(void *),
			struct keylist *dropped)
{
	size_t pos = 0, first = dropped->len;
	__u64 key;
	void *val;

	if (keylist_reserve(dropped, m->len))
		return;
	while (idmap__next(m, &pos, &key, &val))
		if (drop(val))
			dropped->keys[dropped->len++] = key;
	for (size_t i = first; i < dropped->len; i++)
		release(idmap__del(m, dropped->keys[i]));
}

static bool proc_done(void *v)
{
	struct proc_account *p = v;

	return p->exited;
}

static bool cgroup_done(void *v)
{
	struct cgroup_account *c = v;

	return c->gone && c->gone_intervals >= 1;
}

static void cgroup_release(void *v)
{
	struct cgroup_account *c = v;

	if (c)
		free(c->path);
	free(c);
}

void accounts__begin(struct accounts *a)
{
	size_t pos = 0;
	__u64 key;
	void *val;

	a->retired.procs.len = a->retired.cgroups.len = 0;
	drop_marked(&a->procs, proc_done, free, &a->retired.procs);
	drop_marked(&a->cgroups, cgroup_done, cgroup_release, &a->retired.cgroups);
	while (idmap__next(&a->procs, &pos, &key, &val)) {
		struct proc_account *p = val;

		cpu_tally__begin(&p->cpu);
		memset(p->counters_delta, 0, sizeof(p->counters_delta));
		p->seen = false;
	}
	pos = 0;
	while (idmap__next(&a->cgroups, &pos, &key, &val)) {
		struct cgroup_account *c = val;

		cpu_tally__begin(&c->cpu);
		memset(c->counters_delta, 0, sizeof(c->counters_delta));
		c->seen = false;
		if (c->gone)
			c->gone_intervals++;
	}
}

int accounts__proc(struct accounts *a, __u32 tgid, const struct wl_proc *kv, bool exited)
{
	struct proc_account key_of = { .pid = tgid, .start_ns = kv->start_ns };
	__u64 key = proc_account__key(&key_of);
	struct proc_account *p = idmap__get(&a->procs, key);
	struct wl_usage gain;
	struct cpu_figures f;

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || idmap__put(&a->procs, key, p)) {
			free(p);
			return -ENOMEM;
		}
		p->pid = tgid;
		p->start_ns = kv->start_ns;
	}
	if (p->exited)
		return 0; /* final figures already in */
	usage__gain(&kv->usage, &p->last, &gain);
	cpu_figures__from_usage(&f, &gain);
	cpu_tally__add(&p->cpu, &f);
	for (int i = 0; i < WL_MAX_COUNTERS; i++) {
		p->counters_delta[i] += gain.counters[i];
		p->counters.counters[i] += gain.counters[i];
	}
	memcpy(p->comm, kv->comm, sizeof(p->comm));
	p->comm[WL_COMM_LEN - 1] = '\0';
	p->cgroup_id = kv->cgroup_id;
	p->seen = true;
	p->missed = 0;
	if (exited) {
		p->exited = true;
		a->exited_procs++;
	}
	return 0;
}

int accounts__cgroup(struct accounts *a, __u64 id, const struct wl_cgroup *kv)
{
	struct cgroup_account *c = idmap__get(&a->cgroups, id);
	struct wl_usage gain;
	struct cpu_figures f;

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c || idmap__put(&a->cgroups, id, c)) {
			free(c);
			return -ENOMEM;
		}
		c->id = id;
	}
	usage__gain(&kv->usage, &c->last, &gain);
	cpu_figures__from_usage(&f, &gain);
	cpu_tally__add(&c->cpu, &f);
	for (int i = 0; i < WL_MAX_COUNTERS; i++)
		c->counters_delta[i] += gain.counters[i];
	c->exits = kv->exits;
	c->seen = true;
	return 0;
}

static bool proc_lost(void *v)
{
	struct proc_account *p = v;

	return p->missed >= 2;
}

static void count_lost(struct accounts *a)
{
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&a->procs, &pos, &key, &val)) {
		struct proc_account *p = val;

		if (!p->seen && !p->exited)
			p->missed++;
		a->lost_procs += proc_lost(p);
	}
}

void accounts__end(struct accounts *a)
{
	count_lost(a);
	drop_marked(&a->procs, proc_lost, free, &a->retired.procs);
}

void accounts__free(struct accounts *a)
{
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&a->procs, &pos, &key, &val))
		free(val);
	pos = 0;
	while (idmap__next(&a->cgroups, &pos, &key, &val))
		cgroup_release(val);
	idmap__free(&a->procs);
	idmap__free(&a->cgroups);
	free(a->retired.procs.keys);
	free(a->retired.cgroups.keys);
	*a = (struct accounts){ 0 };
}
