// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Workload aggregation. Each cgroup id is linked once, from its path, to a
 * container and pod or to a system workload; the link counts as one live
 * cgroup of each. Its deltas go up the links every interval. When the last
 * live cgroup of a pod, container or system workload goes, that workload is
 * terminated: it keeps its totals, is reported as such, and is removed
 * --retain seconds later (earlier, oldest first, past the caps in the header).
 *
 * The energy of a pod or system workload removed is kept in expired_joules,
 * so pods + system + unattributed + expired = node active at every document,
 * the identity /metrics can be checked with (its series are these levels);
 * its carbon likewise, in expired_operational_grams and _embodied_grams.
 *
 * A pod joins a namespace once, when it is named or its name is given up
 * ("unknown"), bringing its totals so far: namespace totals never go back,
 * and equal the sum of their pods' once every pod is named.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "accounts.h"
#include "k8s_names.h"
#include "k8s_path.h"
#include "workloads.h"

#define MIN_RESCAN_S 2.0 /* between rescans of the name sources */
#define NAME_SCANS   4	 /* rescans that miss before a name is given up */
#define UNKNOWN	     "unknown"

/* A cgroup id's place. */
struct link {
	struct pod *pod;
	struct container *ctr;
	struct system_workload *sys;
	unsigned long gen; /* update that last saw the cgroup */
	bool resolved;	   /* from a known path */
};

static void workload_link(struct workload *n)
{
	n->nr_cgroups++;
}

static void workload_unlink(struct workload *n, double now)
{
	if (n->nr_cgroups > 0 && --n->nr_cgroups == 0)
		n->gone_at = now;
}

/* Entities are born terminated; the first link makes them live. */
static void *workload_new(size_t size, struct workload **head, double now)
{
	struct workload *n = calloc(1, size);

	if (!n)
		return NULL;
	n->gone_at = now;
	n->next = *head;
	*head = n;
	return n;
}

static struct pod *pod_get(struct workloads *w, const char *uid, double now)
{
	struct pod *p;

	for (struct workload *n = w->pods; n; n = n->next)
		if (!strcmp(pod_of(n)->uid, uid))
			return pod_of(n);
	p = workload_new(sizeof(*p), &w->pods, now);
	if (p) {
		strcpy(p->uid, uid);
		p->naming.seen_scans = k8s_names__scans(w->names);
	}
	return p;
}

static struct container *ctr_get(struct workloads *w, struct pod *p, const char *id, double now)
{
	struct container *c;

	for (struct workload *n = p->ctrs; n; n = n->next)
		if (!strcmp(container_of_workload(n)->id, id))
			return container_of_workload(n);
	c = workload_new(sizeof(*c), &p->ctrs, now);
	if (c) {
		strcpy(c->id, id);
		c->naming.seen_scans = k8s_names__scans(w->names);
	}
	return c;
}

static struct system_workload *sys_get(struct workloads *w, const char *name, double now)
{
	struct system_workload *s;

	for (struct workload *n = w->systems; n; n = n->next)
		if (!strcmp(system_of(n)->name, name))
			return system_of(n);
	s = workload_new(sizeof(*s), &w->systems, now);
	if (s)
		strcpy(s->name, name);
	return s;
}

static struct namespace *ns_get(struct workloads *w, const char *name)
{
	struct namespace *ns;

	for (ns = w->nss; ns; ns = ns->next)
		if (!strcmp(ns->name, name))
			return ns;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;
	strcpy(ns->name, name);
	ns->next = w->nss;
	w->nss = ns;
	return ns;
}

/* Place a cgroup by its path (NULL: unknown, a system workload of that name). */
static int link_resolve(struct workloads *w, struct link *l, const char *path, double now)
{
	char top[NAME_MAX + 1];
	struct k8s_ident id;

	memset(l, 0, sizeof(*l));
	l->resolved = path != NULL;
	switch (k8s_path__parse(path, &id)) {
	case K8S_KIND_CONTAINER:
		l->pod = pod_get(w, id.pod_uid, now);
		l->ctr = l->pod ? ctr_get(w, l->pod, id.container_id, now) : NULL;
		return l->ctr ? 0 : -ENOMEM;
	case K8S_KIND_POD:
	case K8S_KIND_HELPER:
		l->pod = pod_get(w, id.pod_uid, now);
		return l->pod ? 0 : -ENOMEM;
	default:
		k8s_path__top(path, top, sizeof(top));
		l->sys = sys_get(w, top, now);
		return l->sys ? 0 : -ENOMEM;
	}
}

static void link_attach(struct link *l)
{
	if (l->pod)
		workload_link(&l->pod->base);
	if (l->ctr)
		workload_link(&l->ctr->base);
	if (l->sys)
		workload_link(&l->sys->base);
}

static void link_detach(struct link *l, double now)
{
	if (l->pod)
		workload_unlink(&l->pod->base, now);
	if (l->ctr)
		workload_unlink(&l->ctr->base, now);
	if (l->sys)
		workload_unlink(&l->sys->base, now);
}

static void link_add(const struct link *l, const struct figures *d)
{
	if (l->pod)
		tally__add(&l->pod->base.tally, d);
	if (l->ctr)
		tally__add(&l->ctr->base.tally, d);
	if (l->sys)
		tally__add(&l->sys->base.tally, d);
}

/* The link of a live cgroup: made, or placed again once its path is known. */
static struct link *link_get(struct workloads *w, const struct cgroup_account *c, double now)
{
	struct link *l = idmap__get(&w->links, c->id);

	if (l && (l->resolved || !c->path))
		return l;
	if (l) {
		link_detach(l, now);
	} else {
		l = malloc(sizeof(*l));
		if (!l || idmap__put(&w->links, c->id, l)) {
			free(l);
			return NULL;
		}
	}
	if (link_resolve(w, l, c->path, now)) {
		free(idmap__del(&w->links, c->id));
		return NULL;
	}
	link_attach(l);
	return l;
}

/* A cgroup's interval: its CPU and its energy, up the links. */
static int account_cgroup(struct workloads *w, const struct cgroup_account *c,
			  const struct attribution *at, double now)
{
	const struct energy_tally *e = attribution__cgroup(at, c->id);
	struct figures d = figures__join(&c->cpu.delta, e ? &e->delta : NULL);
	struct link *l = idmap__get(&w->links, c->id), once;

	if (!l && c->gone) {
		/* gone before it was linked: its last figures, no live cgroup */
		if (link_resolve(w, &once, c->path, now))
			return -ENOMEM;
		link_add(&once, &d);
		return 0;
	}
	l = link_get(w, c, now);
	if (!l)
		return -ENOMEM;
	l->gen = w->gen;
	link_add(l, &d);
	if (c->gone) {
		link_detach(l, now);
		free(idmap__del(&w->links, c->id));
	}
	return 0;
}

/* Unlink the cgroups that accounts no longer holds. */
static void sweep_links(struct workloads *w, double now)
{
	size_t pos = 0, n = 0;
	__u64 key, *keys;
	void *val;

	keys = malloc((w->links.len + 1) * sizeof(*keys));
	if (!keys)
		return;
	while (idmap__next(&w->links, &pos, &key, &val))
		if (((struct link *)val)->gen != w->gen)
			keys[n++] = key;
	for (size_t i = 0; i < n; i++) {
		struct link *l = idmap__del(&w->links, keys[i]);

		link_detach(l, now);
		free(l);
	}
	free(keys);
}

static bool naming_give_up(const struct workloads *w, struct naming *nm)
{
	nm->done = k8s_names__scans(w->names) - nm->seen_scans >= NAME_SCANS;
	return nm->done;
}

/* Try to name a pod; true once it has a namespace to join. */
static bool pod_name(struct workloads *w, struct pod *p, double now)
{
	const struct k8s_pod_entry *e = k8s_names__pod(w->names, p->uid, now);

	if (e) {
		strcpy(p->ns_name, e->ns);
		strcpy(p->name, e->name);
		p->naming.done = true;
		return true;
	}
	return naming_give_up(w, &p->naming);
}

/* A pod joins its namespace with its totals so far; after that, deltas. */
static int pod_to_namespace(struct workloads *w, struct pod *p, double now)
{
	if (p->ns) {
		tally__add(&p->ns->tally, &p->base.tally.delta);
		return 0;
	}
	if (!pod_name(w, p, now))
		return 0;
	p->ns = ns_get(w, p->ns_name[0] ? p->ns_name : UNKNOWN);
	if (!p->ns)
		return -ENOMEM;
	p->ns->nr_pods++;
	figures__add(&p->ns->tally.total, &p->base.tally.total);
	figures__add(&p->ns->tally.delta, &p->base.tally.delta);
	return 0;
}

/* Name a container from its id, only if the kubelet agrees on its pod. */
static void ctr_name(struct workloads *w, const struct pod *p, struct container *c, double now)
{
	const struct k8s_ctr_entry *e;

	if (c->naming.done)
		return;
	e = k8s_names__container(w->names, c->id, now);
	if (!e) {
		naming_give_up(w, &c->naming);
		return;
	}
	c->naming.done = true;
	if (p->name[0] && (strcmp(e->pod, p->name) || strcmp(e->ns, p->ns_name)))
		return;
	strcpy(c->name, e->name);
}

static int name_all(struct workloads *w, double now)
{
	int err = 0;

	for (struct workload *n = w->pods; n; n = n->next) {
		struct pod *p = pod_of(n);

		if (pod_to_namespace(w, p, now))
			err = -ENOMEM;
		for (struct workload *c = p->ctrs; c; c = c->next)
			ctr_name(w, p, container_of_workload(c), now);
	}
	return err;
}

static void tally_begin_all(struct workloads *w)
{
	for (struct workload *n = w->pods; n; n = n->next) {
		tally__begin(&n->tally);
		for (struct workload *c = pod_of(n)->ctrs; c; c = c->next)
			tally__begin(&c->tally);
	}
	for (struct workload *n = w->systems; n; n = n->next)
		tally__begin(&n->tally);
	for (struct namespace *ns = w->nss; ns; ns = ns->next)
		tally__begin(&ns->tally);
}

typedef void (*release_fn)(struct workloads *w, struct workload *n);

static void remove_oldest(struct workloads *w, struct workload **head, release_fn release)
{
	struct workload **oldest = NULL, *n;

	for (struct workload **pp = head; *pp; pp = &(*pp)->next)
		if (workload__terminated(*pp) && (!oldest || (*pp)->gone_at < (*oldest)->gone_at))
			oldest = pp;
	if (!oldest)
		return;
	n = *oldest;
	*oldest = n->next;
	release(w, n);
}

/* Remove what has been terminated for retain_s, then the oldest past cap. */
static void expire_list(struct workloads *w, struct workload **head, double now, size_t cap,
			release_fn release)
{
	size_t terminated = 0;

	for (struct workload **pp = head; *pp;) {
		struct workload *n = *pp;

		if (workload__terminated(n) && now - n->gone_at >= w->retain_s) {
			*pp = n->next;
			release(w, n);
			continue;
		}
		terminated += workload__terminated(n);
		pp = &n->next;
	}
	for (; terminated > cap; terminated--)
		remove_oldest(w, head, release);
}

static void ctr_release(struct workloads *w, struct workload *n)
{
	free(n);
}

/* A top-level workload goes: what it was given stays counted, as expired. */
static void expire(struct workloads *w, const struct workload *n)
{
	w->expired_joules += n->tally.total.energy.energy_joules;
	w->expired_operational_grams += n->tally.total.energy.operational_carbon_grams;
	w->expired_embodied_grams += n->tally.total.energy.embodied_carbon_grams;
}

static void pod_release(struct workloads *w, struct workload *n)
{
	struct pod *p = pod_of(n);

	expire(w, n);
	while (p->ctrs) {
		struct workload *c = p->ctrs;

		p->ctrs = c->next;
		free(c);
	}
	if (p->ns)
		p->ns->nr_pods--;
	free(p);
}

static void sys_release(struct workloads *w, struct workload *n)
{
	expire(w, n);
	free(n);
}

static void expire_namespaces(struct workloads *w)
{
	for (struct namespace **pp = &w->nss; *pp;) {
		struct namespace *ns = *pp;

		if (ns->nr_pods) {
			pp = &ns->next;
			continue;
		}
		*pp = ns->next;
		free(ns);
	}
}

/* Runs before this update's links change: what terminated last time is seen once. */
static void expire_all(struct workloads *w, double now)
{
	for (struct workload *n = w->pods; n; n = n->next)
		expire_list(w, &pod_of(n)->ctrs, now, WL_MAX_TERMINATED_CONTAINERS, ctr_release);
	expire_list(w, &w->pods, now, WL_MAX_TERMINATED_PODS, pod_release);
	expire_list(w, &w->systems, now, WL_MAX_TERMINATED_SYSTEM, sys_release);
	expire_namespaces(w);
}

int workloads__update(struct workloads *w, const struct collection *col,
		      const struct attribution *at, double now)
{
	const struct accounts *acc = col->acc;
	size_t pos = 0;
	int err = 0;
	__u64 key;
	void *val;

	w->gen++;
	expire_all(w, now);
	tally_begin_all(w);
	while (idmap__next(&acc->cgroups, &pos, &key, &val))
		if (account_cgroup(w, val, at, now))
			err = -ENOMEM;
	sweep_links(w, now);
	if (name_all(w, now))
		err = -ENOMEM;
	return err;
}

void workloads__label(const struct workloads *w, __u64 cgroup_id, const char **ns, const char **pod,
		      const char **container)
{
	const struct link *l = idmap__get(&w->links, cgroup_id);

	*ns = *pod = *container = NULL;
	if (!l || !l->pod)
		return;
	if (l->pod->name[0]) {
		*ns = l->pod->ns_name;
		*pod = l->pod->name;
	}
	if (l->ctr && l->ctr->name[0])
		*container = l->ctr->name;
}

void workloads__stats(const struct workloads *w, struct workloads_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (struct workload *n = w->pods; n; n = n->next) {
		st->pods++;
		for (struct workload *c = pod_of(n)->ctrs; c; c = c->next)
			st->containers++;
	}
	for (struct workload *n = w->systems; n; n = n->next)
		st->system++;
	for (struct namespace *ns = w->nss; ns; ns = ns->next)
		st->namespaces++;
	st->cgroups = w->links.len;
	st->name_scans = k8s_names__scans(w->names);
}

int workloads__new(struct workloads **out, const struct options *o)
{
	struct workloads *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->retain_s = o->retain_s;
	err = k8s_names__new(&w->names, MIN_RESCAN_S);
	if (!err)
		err = k8s_names__add_log_dirs(w->names, o->pod_log_dir, o->container_log_dir);
	if (err) {
		workloads__free(w);
		return err;
	}
	*out = w;
	return 0;
}

void workloads__free(struct workloads *w)
{
	size_t pos = 0;
	__u64 key;
	void *val;

	if (!w)
		return;
	while (idmap__next(&w->links, &pos, &key, &val))
		free(val);
	idmap__free(&w->links);
	while (w->pods) {
		struct workload *n = w->pods;

		w->pods = n->next;
		pod_release(w, n);
	}
	while (w->systems) {
		struct workload *n = w->systems;

		w->systems = n->next;
		free(n);
	}
	while (w->nss) {
		struct namespace *ns = w->nss;

		w->nss = ns->next;
		free(ns);
	}
	k8s_names__free(w->names);
	free(w);
}
