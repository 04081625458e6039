// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The collector's part of the document: node CPU, loss counters, cgroups, processes. */
#include <stdlib.h>
#include "collector.h"

static json_t *per_cpu_json(const struct node_cpu *n)
{
	json_t *arr = json_array();

	for (int i = 0; i < n->nr_cpus; i++)
		json_array_append_new(arr, json_pack("{s:i, s:f, s:f}", "cpu", i,
						     "busy_seconds_total", n->busy_total[i],
						     "idle_seconds_total", n->idle_total[i]));
	return arr;
}

static json_t *loss_json(const struct collector *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}",
			 "process_map_overflow", (json_int_t)c->stats.proc_overflow,
			 "cgroup_map_overflow", (json_int_t)c->stats.cgroup_overflow,
			 "thread_state_overflow", (json_int_t)c->stats.thread_overflow,
			 "exit_records_dropped", (json_int_t)c->stats.ringbuf_drops,
			 "processes_lost", (json_int_t)c->acc.lost_procs);
}

static void node_json(const struct collector *c, json_t *node)
{
	const struct node_cpu *n = &c->cpu;
	double all = n->busy_delta_s + n->idle_delta_s;

	json_object_set_new(node, "cpus", json_integer(n->nr_cpus));
	json_object_set_new(node, "cpu_busy_seconds_total", json_real(n->busy_s));
	json_object_set_new(node, "cpu_idle_seconds_total", json_real(n->idle_s));
	json_object_set_new(node, "cpu_steal_seconds_total", json_real(n->steal_s));
	json_object_set_new(node, "cpu_utilisation", json_real(all > 0 ? n->busy_delta_s / all : 0));
	json_object_set_new(node, "per_cpu", per_cpu_json(n));
	json_object_set_new(node, "tasks", json_integer(c->stats.tasks_seen));
	json_object_set_new(node, "processes", json_integer(c->acc.procs.len));
	json_object_set_new(node, "cgroups", json_integer(c->acc.cgroups.len));
	json_object_set_new(node, "unattributed_cpu_seconds_total",
			    json_real(c->unattributed_cpu_s));
	json_object_set_new(node, "loss", loss_json(c));
}

static json_t *cgroups_json(const struct collector *c, const struct report_ctx *rc)
{
	json_t *arr = json_array();
	size_t pos = 0;
	__u64 id;
	void *val;

	while (idmap__next(&c->acc.cgroups, &pos, &id, &val)) {
		const struct cgroup_account *cg = val;
		json_t *o = json_pack("{s:I, s:s?}", "id", (json_int_t)cg->id, "path", cg->path);

		report__figures(o, &cg->tally, rc);
		json_array_append_new(arr, o);
	}
	return arr;
}

static bool active(const struct proc_account *p)
{
	const struct figures *d = &p->tally.delta;

	return p->exited || d->cpu_seconds > 0 || d->wakeups || d->context_switches;
}

static void set_label(json_t *o, const char *key, const char *val)
{
	if (val)
		json_object_set_new(o, key, json_string(val));
}

static double activity(const struct proc_account *p)
{
	return p->tally.delta.cpu_seconds + p->tally.delta.wakeups * 1e-9;
}

static int by_activity(const void *a, const void *b)
{
	double x = activity(*(struct proc_account *const *)a);
	double y = activity(*(struct proc_account *const *)b);

	return x > y ? -1 : x < y ? 1 : 0;
}

/* The processes active in the interval (or exited in it), busiest first, at most limit. */
static struct proc_account **listed(const struct collector *c, __u32 limit, size_t *n,
				    size_t *unlisted)
{
	struct proc_account **v = malloc((c->acc.procs.len + 1) * sizeof(*v));
	size_t pos = 0;
	__u64 key;
	void *val;

	*n = 0;
	while (v && idmap__next(&c->acc.procs, &pos, &key, &val))
		if (active(val))
			v[(*n)++] = val;
	*unlisted = 0;
	if (v && limit && *n > limit) {
		qsort(v, *n, sizeof(*v), by_activity);
		*unlisted = *n - limit;
		*n = limit;
	}
	return v;
}

static json_t *process_json(const struct proc_account *p, const struct report_ctx *rc,
			    process_label_fn label, const void *label_ctx)
{
	const char *ns = NULL, *pod = NULL, *ctr = NULL;
	/* a comm that is not valid UTF-8 cannot be a JSON string */
	json_t *comm = json_string(p->comm) ?: json_string("?"), *o;

	o = json_pack("{s:i, s:o, s:I, s:s}", "pid", p->pid, "comm", comm, "cgroup_id",
		      (json_int_t)p->cgroup_id, "state", p->exited ? "exited" : "running");
	if (!o)
		return NULL;
	report__figures(o, &p->tally, rc);
	if (label)
		label(label_ctx, p->cgroup_id, &ns, &pod, &ctr);
	set_label(o, "namespace", ns);
	set_label(o, "pod", pod);
	set_label(o, "container", ctr);
	return o;
}

/*
 * Processes active in the interval, or exited in it: the rest have unchanged
 * totals. At most --max-listed-processes, the busiest, so a node with
 * thousands of busy processes does not rebuild them all every interval.
 */
static json_t *processes_json(const struct collector *c, const struct report_ctx *rc,
			      process_label_fn label, const void *label_ctx, json_t *node)
{
	size_t n, unlisted;
	struct proc_account **v = listed(c, rc->opt->max_listed_processes, &n, &unlisted);
	json_t *arr = json_array();

	for (size_t i = 0; v && i < n; i++)
		json_array_append_new(arr, process_json(v[i], rc, label, label_ctx));
	if (node)
		json_object_set_new(node, "processes_unlisted", json_integer(unlisted));
	free(v);
	return arr;
}

void collector__to_json(const struct collector *c, json_t *doc, const struct report_ctx *rc,
			process_label_fn label, const void *label_ctx)
{
	json_t *node = json_object_get(doc, "node");

	if (node)
		node_json(c, node);
	json_object_set_new(doc, "cgroups", cgroups_json(c, rc));
	json_object_set_new(doc, "processes", processes_json(c, rc, label, label_ctx, node));
}
