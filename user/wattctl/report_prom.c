// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wattctl --prometheus report: the cluster's energy and carbon per group over
 * a period, from every node's wattlet counters. Totals are increase() over
 * the whole period, evaluated at its end (resets, such as agent restarts,
 * are handled by Prometheus); the previous period is the same with an
 * offset; power over time is rate() on a grid of about 120 points. Every
 * query groups by node too, so that each group's energy can be split by the
 * meter of the node it ran on (measured or modelled).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output.h"
#include "period.h"
#include "promapi.h"
#include "report.h"
#include "wattctl.h"

#define SERIES_POINTS	120
#define NO_LABEL_FMT	"(no %s label)"
#define UNMATCHED_GROUP "(not in kube_pod_labels)"

/* How the report groups: the wattlet level it reads and the labels of a group. */
struct prom_by {
	const char *level;  /* wattlet_<level>_... */
	char labels[320];   /* PromQL grouping: "namespace", "namespace, pod", "label_team" */
	char label[320];    /* label:KEY: kube-state-metrics' name, label_KEY */
	const char *key;    /* label:KEY: KEY */
	char ns_match[560]; /* namespace="NS" or "" */
	char sel[600];	    /* {namespace="NS"} or "" */
	bool join;	    /* through kube_pod_labels */
};

struct prom_report {
	struct wattctl *c;
	struct report *r;
	struct prom_by by;
	char range[32];	 /* the period as a PromQL range: "2592000s" */
	char offset[48]; /* " offset 2592000s": the period before */
};

/* A workload figure: the report figure it fills, in this period or the one before. */
struct prom_figure {
	enum report_fig series; /* wattlet_<level>_<report_fig_names[series]> */
	enum report_fig fig;
	bool previous;
};

static const struct prom_figure workload_figs[] = {
	{ RF_ENERGY, RF_ENERGY, false },     { RF_IDLE, RF_IDLE, false },
	{ RF_FACILITY, RF_FACILITY, false }, { RF_OPERATIONAL, RF_OPERATIONAL, false },
	{ RF_EMBODIED, RF_EMBODIED, false }, { RF_CARBON, RF_CARBON, false },
	{ RF_GPU, RF_GPU, false },	     { RF_ENERGY, RF_PREV_ENERGY, true },
	{ RF_IDLE, RF_PREV_ENERGY, true },
};

/* The node's own figures besides energy; the previous period's energy for the cluster's trend. */
static const struct prom_figure node_figs[] = {
	{ RF_FACILITY, RF_FACILITY, false }, { RF_OPERATIONAL, RF_OPERATIONAL, false },
	{ RF_EMBODIED, RF_EMBODIED, false }, { RF_CARBON, RF_CARBON, false },
	{ RF_GPU, RF_GPU, false },	     { RF_ENERGY, RF_PREV_ENERGY, true },
};

/* Power over time: energy and attributed idle energy, as rates. */
static const enum report_fig power_series[] = { RF_ENERGY, RF_IDLE };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* kube-state-metrics' name for a pod label: label_ and the key with [^a-zA-Z0-9_] as _. */
static void ksm_label(char *dst, size_t len, const char *key)
{
	size_t o = snprintf(dst, len, "label_");

	for (; *key && o + 1 < len; key++)
		dst[o++] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
				  *key) ?
				   *key :
				   '_';
	dst[o] = '\0';
}

static void prom_by_init(struct prom_by *b, const struct wattctl *c)
{
	const char *by = c->by ? c->by : "namespace";
	char ns[512];

	memset(b, 0, sizeof(*b));
	if (c->namespace) {
		promapi__quote(ns, sizeof(ns), c->namespace);
		snprintf(b->ns_match, sizeof(b->ns_match), "namespace=\"%s\"", ns);
		snprintf(b->sel, sizeof(b->sel), "{%s}", b->ns_match);
	}
	if (!strcmp(by, "namespace")) {
		b->level = "namespace";
		snprintf(b->labels, sizeof(b->labels), "namespace");
		return;
	}
	b->level = "pod";
	if (!strcmp(by, "pod")) {
		snprintf(b->labels, sizeof(b->labels), "namespace, pod");
		return;
	}
	b->key = by + strlen("label:");
	b->join = true;
	ksm_label(b->label, sizeof(b->label), b->key);
	snprintf(b->labels, sizeof(b->labels), "%s", b->label);
}

/*
 * kube_pod_labels, one series per pod: every pod seen in the window (so pods
 * that ended in it count), one of them when a pod's labels changed.
 */
static void q_pod_labels(const struct prom_report *p, const char *window, const char *offset,
			 char *q, size_t len)
{
	snprintf(q, len,
		 "topk by (namespace, pod) (1, max by (namespace, pod, %s) "
		 "(max_over_time(kube_pod_labels%s[%s]%s)))",
		 p->by.label, p->by.sel, window, offset);
}

/*
 * sum by (GROUP[, node]) (FN(wattlet_LEVEL_SERIES{sel}[WINDOW] OFFSET)), joined
 * with the pods' labels, or (unmatched) only the pods kube-state-metrics does
 * not know.
 */
static void q_workload(const struct prom_report *p, const char *fn, const char *series,
		       const char *window, const char *offset, bool by_node, bool unmatched,
		       char *q, size_t len)
{
	char labels[PROM_QUERY_MAX / 2] = "", join[PROM_QUERY_MAX / 2] = "";

	if (p->by.join) {
		q_pod_labels(p, window, offset, labels, sizeof(labels));
		if (unmatched)
			snprintf(join, sizeof(join), " unless on (namespace, pod) %s", labels);
		else
			snprintf(join, sizeof(join), " * on (namespace, pod) group_left (%s) %s",
				 p->by.label, labels);
	}
	snprintf(q, len, "sum by (%s%s) (%s(wattlet_%s_%s%s[%s]%s)%s)",
		 unmatched ? "" : p->by.labels, by_node ? (unmatched ? "node" : ", node") : "", fn,
		 p->by.level, series, p->by.sel, window, offset, join);
}

static const char *label_of(json_t *metric, const char *name)
{
	json_t *v = json_object_get(metric, name);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* A group's name from a sample's labels. */
static const char *group_name(const struct prom_report *p, json_t *metric, bool unmatched,
			      char *buf, size_t len)
{
	const char *v;

	if (unmatched)
		return UNMATCHED_GROUP;
	if (p->by.join) {
		v = label_of(metric, p->by.label);
		if (*v)
			return v;
		snprintf(buf, len, NO_LABEL_FMT, p->by.key);
		return buf;
	}
	if (!strcmp(p->by.level, "pod")) {
		snprintf(buf, len, "%s/%s", label_of(metric, "namespace"), label_of(metric, "pod"));
		return buf;
	}
	return label_of(metric, "namespace");
}

static int workload_figure(struct prom_report *p, const struct prom_figure *f, bool unmatched)
{
	char q[PROM_QUERY_MAX], name[640];
	json_t *doc, *result, *s;
	size_t i;
	int err;

	q_workload(p, "increase", report_fig_names[f->series], p->range,
		   f->previous ? p->offset : "", true, unmatched, q, sizeof(q));
	err = promapi__query(p->c, q, (long long)p->r->to, &doc, &result);
	if (err)
		return err;
	json_array_foreach(result, i, s) {
		json_t *m = json_object_get(s, "metric");

		err = report__add(p->r, group_name(p, m, unmatched, name, sizeof(name)),
				  label_of(m, "node"), f->fig,
				  promapi__value(json_object_get(s, "value")));
		if (err)
			break;
	}
	json_decref(doc);
	return err;
}

/* The model rows each modelled node used in the period (wattlet_node_platform_info). */
static int prom_node_models(struct prom_report *p)
{
	char q[PROM_QUERY_MAX];
	json_t *doc, *result, *s;
	size_t i;
	int err;

	snprintf(q, sizeof(q),
		 "max by (node, model) "
		 "(last_over_time(wattlet_node_platform_info{model!=\"\"}[%s]))",
		 p->range);
	err = promapi__query(p->c, q, (long long)p->r->to, &doc, &result);
	if (err)
		return err;
	json_array_foreach(result, i, s) {
		json_t *m = json_object_get(s, "metric");

		err = report__node_model(p->r, label_of(m, "node"), label_of(m, "model"));
		if (err)
			break;
	}
	json_decref(doc);
	return err;
}

/* Each node's energy by meter, and its facility and carbon totals. */
static int prom_nodes(struct prom_report *p)
{
	char q[PROM_QUERY_MAX];
	json_t *doc, *result, *s;
	size_t i, k;
	int err;

	snprintf(q, sizeof(q),
		 "sum by (node, meter) (increase(wattlet_node_energy_joules_total[%s]))", p->range);
	err = promapi__query(p->c, q, (long long)p->r->to, &doc, &result);
	if (err)
		return err;
	json_array_foreach(result, i, s) {
		json_t *m = json_object_get(s, "metric");

		err = report__node_energy(p->r, label_of(m, "node"), label_of(m, "meter"),
					  promapi__value(json_object_get(s, "value")));
		if (err)
			break;
	}
	json_decref(doc);
	for (k = 0; !err && k < ARRAY_SIZE(node_figs); k++) {
		snprintf(q, sizeof(q), "sum by (node) (increase(wattlet_node_%s[%s]%s))",
			 report_fig_names[node_figs[k].series], p->range,
			 node_figs[k].previous ? p->offset : "");
		err = promapi__query(p->c, q, (long long)p->r->to, &doc, &result);
		if (err)
			return err;
		json_array_foreach(result, i, s)
			if (!err)
				err = report__node_add(
					p->r, label_of(json_object_get(s, "metric"), "node"),
					node_figs[k].fig,
					promapi__value(json_object_get(s, "value")));
		json_decref(doc);
	}
	return err ? err : prom_node_models(p);
}

/* A grid of about SERIES_POINTS steps that tile the period; at least a minute each. */
static long long series_step(long long len)
{
	static const long long nice[] = { 60,	 120,	300,   600,	  900,
					  1200,	 1800,	3600,  7200,	  10800,
					  21600, 43200, 86400, 2 * 86400, 7 * 86400 };
	long long want = (len + SERIES_POINTS - 1) / SERIES_POINTS;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nice); i++)
		if (nice[i] >= want)
			return nice[i];
	return want;
}

static int power_query(struct prom_report *p, enum report_fig series, bool unmatched,
		       const char *window)
{
	struct report *r = p->r;
	char q[PROM_QUERY_MAX], name[640];
	json_t *doc, *result, *s, *pt;
	size_t i, j;
	int err;

	q_workload(p, "rate", report_fig_names[series], window, "", false, unmatched, q, sizeof(q));
	err = promapi__query_range(
		p->c, q, (long long)r->series_start,
		(long long)(r->series_start + (r->n_points - 1) * r->series_step),
		(long long)r->series_step, &doc, &result);
	if (err)
		return err;
	json_array_foreach(result, i, s) {
		const char *g =
			group_name(p, json_object_get(s, "metric"), unmatched, name, sizeof(name));

		json_array_foreach(json_object_get(s, "values"), j, pt) {
			double t = json_number_value(json_array_get(pt, 0));
			long long k = llround((t - r->series_start) / r->series_step);

			if (k >= 0 && (size_t)k < r->n_points && !err)
				err = report__series_add(r, g, (size_t)k, promapi__value(pt));
		}
	}
	json_decref(doc);
	return err;
}

static int prom_power(struct prom_report *p)
{
	long long len = (long long)(p->r->to - p->r->from), step = series_step(len);
	char window[32];
	size_t k;
	int err = 0;

	/* The first point covers the first step after from; a window of 2 min at least. */
	report__series(p->r, p->r->from + step, step, (size_t)(len / step));
	if (!p->r->n_points)
		return 0;
	snprintf(window, sizeof(window), "%llds", step < 120 ? 120 : step);
	for (k = 0; !err && k < ARRAY_SIZE(power_series); k++) {
		err = power_query(p, power_series[k], false, window);
		if (!err && p->by.join)
			err = power_query(p, power_series[k], true, window);
	}
	return err;
}

/* The first sample of a query, or NAN. */
static int query_scalar(struct prom_report *p, const char *q, double *v)
{
	json_t *doc, *result;
	int err = promapi__query(p->c, q, (long long)p->r->to, &doc, &result);

	if (err)
		return err;
	*v = promapi__value(json_object_get(json_array_get(result, 0), "value"));
	json_decref(doc);
	return 0;
}

/* --by label:KEY needs kube_pod_labels, with the key in it. */
static int prom_check_labels(struct prom_report *p)
{
	char q[PROM_QUERY_MAX], from[32], to[32];
	double n;
	int err;

	snprintf(q, sizeof(q), "count(last_over_time(kube_pod_labels%s[%s]))", p->by.sel, p->range);
	err = query_scalar(p, q, &n);
	if (err)
		return err;
	period__iso(p->r->from, from, sizeof(from));
	period__iso(p->r->to, to, sizeof(to));
	if (isnan(n)) {
		p_err("--by %s: Prometheus at %s has no kube_pod_labels between %s and %s: "
		      "grouping by a pod label needs kube-state-metrics scraped by it",
		      p->c->by, p->c->prometheus, from, to);
		return -ENOENT;
	}
	snprintf(q, sizeof(q), "count(last_over_time(kube_pod_labels{%s%s%s!=\"\"}[%s]))",
		 p->by.ns_match, p->by.ns_match[0] ? "," : "", p->by.label, p->range);
	err = query_scalar(p, q, &n);
	if (err)
		return err;
	if (isnan(n)) {
		p_err("--by %s: no pod in kube_pod_labels has label %s (%s): kube-state-metrics "
		      "exports only the labels it is allowed, e.g. --metric-labels-allowlist=pods=[%s]",
		      p->c->by, p->by.key, p->by.label, p->by.key);
		return -ENOENT;
	}
	return 0;
}

static int prom_workloads(struct prom_report *p)
{
	size_t k;
	int err = 0;

	for (k = 0; !err && k < ARRAY_SIZE(workload_figs); k++) {
		err = workload_figure(p, &workload_figs[k], false);
		if (!err && p->by.join)
			err = workload_figure(p, &workload_figs[k], true);
	}
	return err;
}

/* Nothing to report is an error: say what was asked and where. */
static int prom_empty(struct prom_report *p, bool any_node)
{
	struct report *r = p->r;
	char from[32], to[32];

	if (any_node ? r->n_groups > 0 : r->n_nodes > 0)
		return 0;
	period__iso(r->from, from, sizeof(from));
	period__iso(r->to, to, sizeof(to));
	if (any_node)
		p_err("no wattlet %s energy%s%s between %s and %s in Prometheus at %s", p->by.level,
		      r->namespace ? " in namespace " : "", r->namespace ? r->namespace : "", from,
		      to, p->c->prometheus);
	else
		p_err("Prometheus at %s has no wattlet series between %s and %s", p->c->prometheus,
		      from, to);
	return -ENOENT;
}

/*
 * Where Prometheus holds a node's series only from some time into a period
 * (a node that joined, a retention shorter than the period), the figures
 * cover less than the period: say so, node by node. The agents stamp every
 * collection (wattlet_last_collection_timestamp_seconds), so the earliest
 * stamp in the window is when the node's data starts.
 */
static int prom_coverage(struct prom_report *p, bool previous)
{
	struct report *r = p->r;
	double len = r->to - r->from, start = previous ? r->from - len : r->from;
	double slack = len / 100 > 600 ? len / 100 : 600;
	char q[PROM_QUERY_MAX], when[32], span[32];
	json_t *doc, *result, *s;
	size_t i;
	int err;

	snprintf(q, sizeof(q),
		 "min by (node) (min_over_time(wattlet_last_collection_timestamp_seconds[%s]%s))",
		 p->range, previous ? p->offset : "");
	err = promapi__query(p->c, q, (long long)r->to, &doc, &result);
	if (err)
		return err;
	json_array_foreach(result, i, s) {
		double first = promapi__value(json_object_get(s, "value"));

		if (err || !(first > start + slack))
			continue;
		err = report__note(r,
				   "Prometheus has node %s's series only from %s, %s into the %s.",
				   label_of(json_object_get(s, "metric"), "node"),
				   period__iso((long long)first, when, sizeof(when)),
				   period__duration_str((long long)(first - start) / 60 * 60, span,
							sizeof(span)),
				   previous ? "period before" : "period");
	}
	json_decref(doc);
	return err;
}

/* No node had energy in the period before (Prometheus's retention, or a new cluster): no trend. */
static int prom_previous(struct prom_report *p)
{
	struct report *r = p->r;
	char from[32], to[32];
	size_t i;

	for (i = 0; i < r->n_nodes; i++)
		if (!isnan(r->nodes[i].fig[RF_PREV_ENERGY]))
			return prom_coverage(p, true);
	r->has_previous = false;
	return report__note(r,
			    "Prometheus has no wattlet series from the period before (%s to %s): "
			    "no trend.",
			    period__iso((long long)(2 * r->from - r->to), from, sizeof(from)),
			    period__iso((long long)r->from, to, sizeof(to)));
}

static int prom_collect(struct prom_report *p)
{
	int err;

	err = prom_nodes(p);
	if (!err)
		err = prom_empty(p, false);
	if (!err && p->by.join)
		err = prom_check_labels(p);
	if (!err)
		err = prom_power(p);
	if (!err)
		err = prom_workloads(p);
	if (!err)
		err = prom_empty(p, true);
	if (!err)
		err = prom_coverage(p, false);
	if (!err)
		err = prom_previous(p);
	if (!err)
		err = report__finish(p->r);
	if (!err && p->by.join)
		err = report__note(p->r,
				   "Pods are grouped by their label %s from kube-state-metrics' "
				   "kube_pod_labels; pods it does not know are listed as %s.",
				   p->by.key, UNMATCHED_GROUP);
	return err;
}

int promql__report(struct wattctl *c)
{
	struct prom_report p = { .c = c };
	int ret = EXIT_ERR;

	prom_by_init(&p.by, c);
	snprintf(p.range, sizeof(p.range), "%llds", c->to_t - c->from_t);
	snprintf(p.offset, sizeof(p.offset), " offset %llds", c->to_t - c->from_t);
	p.r = report__new("prometheus", c->prometheus, c->by ? c->by : "namespace", c->namespace,
			  c->from_t, c->to_t);
	if (!p.r) {
		p_err("out of memory");
		return EXIT_ERR;
	}
	p.r->has_previous = true;
	if (!prom_collect(&p))
		ret = report__print(p.r, c->format);
	report__free(p.r);
	return ret;
}
