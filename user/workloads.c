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
 * the identity /metrics can be checked with (its series are these levels).
 *
 * A pod joins a namespace once, when it is named or its name is given up
 * ("unknown"), bringing its totals so far: namespace totals never go back,
 * and equal the sum of their pods' once every pod is named.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "k8s_names.h"
#include "k8s_path.h"
#include "workloads.h"

#define MIN_RESCAN_S	2.0	/* between rescans of the name sources */
#define NAME_SCANS	4	/* rescans that miss before a name is given up */
#define UNKNOWN		"unknown"

/* What every workload below namespace level starts with: list link, figures, liveness. */
struct node {
	struct node *next;
	struct tally tally;
	int nr_cgroups;		/* live cgroups linked to it */
	double gone_at;		/* when nr_cgroups last fell to 0 */
};

struct naming {
	unsigned long seen_scans;	/* name scans when it showed up */
	bool done;			/* named, or given up */
};

struct container {
	struct node node;
	struct naming naming;
	char id[K8S_ID_LEN + 1];
	char name[K8S_CTR_MAX + 1];	/* "": not named, not listed */
};

struct namespace {
	struct namespace *next;
	struct tally tally;
	size_t nr_pods;
	char name[K8S_NS_MAX + 1];
};

struct pod {
	struct node node;
	struct naming naming;
	struct namespace *ns;		/* NULL until named or given up */
	struct node *ctrs;		/* struct container */
	char uid[K8S_UID_MAX + 1];
	char ns_name[K8S_NS_MAX + 1];	/* "": unknown */
	char name[K8S_NAME_MAX + 1];	/* "": unknown */
};

struct system {
	struct node node;
	char name[NAME_MAX + 1];
};

/* A cgroup id's place. */
struct link {
	struct pod *pod;
	struct container *ctr;
	struct system *sys;
	unsigned long gen;		/* update that last saw the cgroup */
	bool resolved;			/* from a known path */
};

struct workloads {
	double retain_s;
	struct k8s_names *names;
	struct idmap links;		/* cgroup id -> struct link */
	struct node *pods;		/* struct pod */
	struct node *systems;		/* struct system */
	struct namespace *nss;
	unsigned long gen;
	double expired_joules;		/* total energy of removed pods and system workloads */
};

#define pod_of(n)	((struct pod *)(n))
#define ctr_of(n)	((struct container *)(n))
#define sys_of(n)	((struct system *)(n))

static bool node__terminated(const struct node *n)
{
	return n->nr_cgroups == 0;
}

static void node__link(struct node *n)
{
	n->nr_cgroups++;
}

static void node__unlink(struct node *n, double now)
{
	if (n->nr_cgroups > 0 && --n->nr_cgroups == 0)
		n->gone_at = now;
}

/* Entities are born terminated; the first link makes them live. */
static void *node__new(size_t size, struct node **head, double now)
{
	struct node *n = calloc(1, size);

	if (!n)
		return NULL;
	n->gone_at = now;
	n->next = *head;
	*head = n;
	return n;
}

static struct pod *pod__get(struct workloads *w, const char *uid, double now)
{
	struct pod *p;

	for (struct node *n = w->pods; n; n = n->next)
		if (!strcmp(pod_of(n)->uid, uid))
			return pod_of(n);
	p = node__new(sizeof(*p), &w->pods, now);
	if (p) {
		strcpy(p->uid, uid);
		p->naming.seen_scans = k8s_names__scans(w->names);
	}
	return p;
}

static struct container *ctr__get(struct workloads *w, struct pod *p, const char *id,
				   double now)
{
	struct container *c;

	for (struct node *n = p->ctrs; n; n = n->next)
		if (!strcmp(ctr_of(n)->id, id))
			return ctr_of(n);
	c = node__new(sizeof(*c), &p->ctrs, now);
	if (c) {
		strcpy(c->id, id);
		c->naming.seen_scans = k8s_names__scans(w->names);
	}
	return c;
}

static struct system *sys__get(struct workloads *w, const char *name, double now)
{
	struct system *s;

	for (struct node *n = w->systems; n; n = n->next)
		if (!strcmp(sys_of(n)->name, name))
			return sys_of(n);
	s = node__new(sizeof(*s), &w->systems, now);
	if (s)
		strcpy(s->name, name);
	return s;
}

static struct namespace *ns__get(struct workloads *w, const char *name)
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
static int link__resolve(struct workloads *w, struct link *l, const char *path, double now)
{
	char top[NAME_MAX + 1];
	struct k8s_ident id;

	memset(l, 0, sizeof(*l));
	l->resolved = path != NULL;
	switch (k8s_path__parse(path, &id)) {
	case K8S_KIND_CONTAINER:
		l->pod = pod__get(w, id.pod_uid, now);
		l->ctr = l->pod ? ctr__get(w, l->pod, id.container_id, now) : NULL;
		return l->ctr ? 0 : -ENOMEM;
	case K8S_KIND_POD:
	case K8S_KIND_HELPER:
		l->pod = pod__get(w, id.pod_uid, now);
		return l->pod ? 0 : -ENOMEM;
	default:
		k8s_path__top(path, top, sizeof(top));
		l->sys = sys__get(w, top, now);
		return l->sys ? 0 : -ENOMEM;
	}
}

static void link__attach(struct link *l)
{
	if (l->pod)
		node__link(&l->pod->node);
	if (l->ctr)
		node__link(&l->ctr->node);
	if (l->sys)
		node__link(&l->sys->node);
}

static void link__detach(struct link *l, double now)
{
	if (l->pod)
		node__unlink(&l->pod->node, now);
	if (l->ctr)
		node__unlink(&l->ctr->node, now);
	if (l->sys)
		node__unlink(&l->sys->node, now);
}

static void link__add(const struct link *l, const struct figures *d)
{
	if (l->pod)
		tally__add(&l->pod->node.tally, d);
	if (l->ctr)
		tally__add(&l->ctr->node.tally, d);
	if (l->sys)
		tally__add(&l->sys->node.tally, d);
}

/* The link of a live cgroup: made, or placed again once its path is known. */
static struct link *link__get(struct workloads *w, const struct cgroup_account *c, double now)
{
	struct link *l = idmap__get(&w->links, c->id);

	if (l && (l->resolved || !c->path))
		return l;
	if (l) {
		link__detach(l, now);
	} else {
		l = malloc(sizeof(*l));
		if (!l || idmap__put(&w->links, c->id, l)) {
			free(l);
			return NULL;
		}
	}
	if (link__resolve(w, l, c->path, now)) {
		free(idmap__del(&w->links, c->id));
		return NULL;
	}
	link__attach(l);
	return l;
}

static int account_cgroup(struct workloads *w, const struct cgroup_account *c, double now)
{
	struct link *l = idmap__get(&w->links, c->id), once;

	if (!l && c->gone) {
		/* gone before it was linked: its last figures, no live cgroup */
		if (link__resolve(w, &once, c->path, now))
			return -ENOMEM;
		link__add(&once, &c->tally.delta);
		return 0;
	}
	l = link__get(w, c, now);
	if (!l)
		return -ENOMEM;
	l->gen = w->gen;
	link__add(l, &c->tally.delta);
	if (c->gone) {
		link__detach(l, now);
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

		link__detach(l, now);
		free(l);
	}
	free(keys);
}

static bool naming__give_up(const struct workloads *w, struct naming *nm)
{
	nm->done = k8s_names__scans(w->names) - nm->seen_scans >= NAME_SCANS;
	return nm->done;
}

/* Try to name a pod; true once it has a namespace to join. */
static bool pod__name(struct workloads *w, struct pod *p, double now)
{
	const struct k8s_pod_entry *e = k8s_names__pod(w->names, p->uid, now);

	if (e) {
		strcpy(p->ns_name, e->ns);
		strcpy(p->name, e->name);
		p->naming.done = true;
		return true;
	}
	return naming__give_up(w, &p->naming);
}

/* A pod joins its namespace with its totals so far; after that, deltas. */
static int pod__to_namespace(struct workloads *w, struct pod *p, double now)
{
	if (p->ns) {
		tally__add(&p->ns->tally, &p->node.tally.delta);
		return 0;
	}
	if (!pod__name(w, p, now))
		return 0;
	p->ns = ns__get(w, p->ns_name[0] ? p->ns_name : UNKNOWN);
	if (!p->ns)
		return -ENOMEM;
	p->ns->nr_pods++;
	figures__add(&p->ns->tally.total, &p->node.tally.total);
	figures__add(&p->ns->tally.delta, &p->node.tally.delta);
	return 0;
}

/* Name a container from its id, only if the kubelet agrees on its pod. */
static void ctr__name(struct workloads *w, const struct pod *p, struct container *c, double now)
{
	const struct k8s_ctr_entry *e;

	if (c->naming.done)
		return;
	e = k8s_names__container(w->names, c->id, now);
	if (!e) {
		naming__give_up(w, &c->naming);
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

	for (struct node *n = w->pods; n; n = n->next) {
		struct pod *p = pod_of(n);

		if (pod__to_namespace(w, p, now))
			err = -ENOMEM;
		for (struct node *c = p->ctrs; c; c = c->next)
			ctr__name(w, p, ctr_of(c), now);
	}
	return err;
}

static void tally_begin_all(struct workloads *w)
{
	for (struct node *n = w->pods; n; n = n->next) {
		tally__begin(&n->tally);
		for (struct node *c = pod_of(n)->ctrs; c; c = c->next)
			tally__begin(&c->tally);
	}
	for (struct node *n = w->systems; n; n = n->next)
		tally__begin(&n->tally);
	for (struct namespace *ns = w->nss; ns; ns = ns->next)
		tally__begin(&ns->tally);
}

typedef void (*release_fn)(struct workloads *w, struct node *n);

static void remove_oldest(struct workloads *w, struct node **head, release_fn release)
{
	struct node **oldest = NULL, *n;

	for (struct node **pp = head; *pp; pp = &(*pp)->next)
		if (node__terminated(*pp) && (!oldest || (*pp)->gone_at < (*oldest)->gone_at))
			oldest = pp;
	if (!oldest)
		return;
	n = *oldest;
	*oldest = n->next;
	release(w, n);
}

/* Remove what has been terminated for retain_s, then the oldest past cap. */
static void expire_list(struct workloads *w, struct node **head, double now, size_t cap,
			release_fn release)
{
	size_t terminated = 0;

	for (struct node **pp = head; *pp;) {
		struct node *n = *pp;

		if (node__terminated(n) && now - n->gone_at >= w->retain_s) {
			*pp = n->next;
			release(w, n);
			continue;
		}
		terminated += node__terminated(n);
		pp = &n->next;
	}
	for (; terminated > cap; terminated--)
		remove_oldest(w, head, release);
}

static void ctr__release(struct workloads *w, struct node *n)
{
	free(n);
}

static void pod__release(struct workloads *w, struct node *n)
{
	struct pod *p = pod_of(n);

	w->expired_joules += n->tally.total.energy_joules;
	while (p->ctrs) {
		struct node *c = p->ctrs;

		p->ctrs = c->next;
		free(c);
	}
	if (p->ns)
		p->ns->nr_pods--;
	free(p);
}

static void sys__release(struct workloads *w, struct node *n)
{
	w->expired_joules += n->tally.total.energy_joules;
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
	for (struct node *n = w->pods; n; n = n->next)
		expire_list(w, &pod_of(n)->ctrs, now, WL_MAX_TERMINATED_CONTAINERS, ctr__release);
	expire_list(w, &w->pods, now, WL_MAX_TERMINATED_PODS, pod__release);
	expire_list(w, &w->systems, now, WL_MAX_TERMINATED_SYSTEM, sys__release);
	expire_namespaces(w);
}

int workloads__update(struct workloads *w, const struct accounts *acc, double now)
{
	size_t pos = 0;
	int err = 0;
	__u64 key;
	void *val;

	w->gen++;
	expire_all(w, now);
	tally_begin_all(w);
	while (idmap__next(&acc->cgroups, &pos, &key, &val))
		if (account_cgroup(w, val, now))
			err = -ENOMEM;
	sweep_links(w, now);
	if (name_all(w, now))
		err = -ENOMEM;
	return err;
}

/* JSON */

static const char *or_unknown(const char *s)
{
	return s[0] ? s : UNKNOWN;
}

static const char *state(const struct node *n)
{
	return node__terminated(n) ? "terminated" : "running";
}

/* An array of the nodes of a list, or NULL; *nr gets its length. */
static struct node **list_array(struct node *head, size_t *nr)
{
	struct node **arr;
	size_t i = 0;

	*nr = 0;
	for (struct node *n = head; n; n = n->next)
		(*nr)++;
	arr = malloc((*nr + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	for (struct node *n = head; n; n = n->next)
		arr[i++] = n;
	return arr;
}

static void sorted(struct node *head, int (*cmp)(const void *, const void *),
		   void (*emit)(json_t *arr, const struct node *n, const struct report_ctx *ctx),
		   json_t *arr, const struct report_ctx *ctx)
{
	size_t nr;
	struct node **nodes = list_array(head, &nr);

	if (!nodes)
		return;
	qsort(nodes, nr, sizeof(*nodes), cmp);
	for (size_t i = 0; i < nr; i++)
		emit(arr, nodes[i], ctx);
	free(nodes);
}

static int ctr_cmp(const void *a, const void *b)
{
	const struct container *x = *(struct container *const *)a;
	const struct container *y = *(struct container *const *)b;
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->id, y->id);
}

static int pod_cmp(const void *a, const void *b)
{
	const struct pod *x = *(struct pod *const *)a, *y = *(struct pod *const *)b;
	int r = strcmp(or_unknown(x->ns_name), or_unknown(y->ns_name));

	if (!r)
		r = strcmp(or_unknown(x->name), or_unknown(y->name));
	return r ? r : strcmp(x->uid, y->uid);
}

static int sys_cmp(const void *a, const void *b)
{
	const struct system *x = *(struct system *const *)a, *y = *(struct system *const *)b;

	return strcmp(x->name, y->name);
}

static void ctr__emit(json_t *arr, const struct node *n, const struct report_ctx *ctx)
{
	const struct container *c = ctr_of(n);
	json_t *o;

	if (!c->name[0])
		return;
	o = json_object();
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "state", json_string(state(n)));
	report__figures(o, &n->tally, ctx);
	json_array_append_new(arr, o);
}

static void pod__emit(json_t *arr, const struct node *n, const struct report_ctx *ctx)
{
	const struct pod *p = pod_of(n);
	json_t *o = json_object(), *ctrs = json_array();

	json_object_set_new(o, "namespace", json_string(or_unknown(p->ns_name)));
	json_object_set_new(o, "name", json_string(or_unknown(p->name)));
	json_object_set_new(o, "uid", json_string(p->uid));
	json_object_set_new(o, "state", json_string(state(n)));
	report__figures(o, &n->tally, ctx);
	sorted(p->ctrs, ctr_cmp, ctr__emit, ctrs, ctx);
	json_object_set_new(o, "containers", ctrs);
	json_array_append_new(arr, o);
}

static void sys__emit(json_t *arr, const struct node *n, const struct report_ctx *ctx)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(sys_of(n)->name));
	report__figures(o, &n->tally, ctx);
	json_array_append_new(arr, o);
}

static int ns_cmp(const void *a, const void *b)
{
	return strcmp((*(struct namespace *const *)a)->name, (*(struct namespace *const *)b)->name);
}

static json_t *namespaces_json(const struct workloads *w, const struct report_ctx *ctx)
{
	json_t *arr = json_array();
	struct namespace **nss;
	size_t nr = 0, i = 0;

	for (struct namespace *ns = w->nss; ns; ns = ns->next)
		nr++;
	nss = malloc((nr + 1) * sizeof(*nss));
	if (!nss)
		return arr;
	for (struct namespace *ns = w->nss; ns; ns = ns->next)
		nss[i++] = ns;
	qsort(nss, nr, sizeof(*nss), ns_cmp);
	for (i = 0; i < nr; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(nss[i]->name));
		report__figures(o, &nss[i]->tally, ctx);
		json_array_append_new(arr, o);
	}
	free(nss);
	return arr;
}

void workloads__to_json(const struct workloads *w, json_t *doc, const struct report_ctx *ctx)
{
	json_t *pods = json_array(), *sys = json_array();

	sorted(w->pods, pod_cmp, pod__emit, pods, ctx);
	sorted(w->systems, sys_cmp, sys__emit, sys, ctx);
	json_object_set_new(doc, "pods", pods);
	json_object_set_new(doc, "namespaces", namespaces_json(w, ctx));
	json_object_set_new(doc, "system", sys);
	json_object_set_new(json_object_get(doc, "node"), "expired_energy_joules_total",
			    json_real(w->expired_joules));
}

void workloads__label(const struct workloads *w, __u64 cgroup_id, const char **ns,
		      const char **pod, const char **container)
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
	for (struct node *n = w->pods; n; n = n->next) {
		st->pods++;
		for (struct node *c = pod_of(n)->ctrs; c; c = c->next)
			st->containers++;
	}
	for (struct node *n = w->systems; n; n = n->next)
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
		struct node *n = w->pods;

		w->pods = n->next;
		pod__release(w, n);
	}
	while (w->systems) {
		struct node *n = w->systems;

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
