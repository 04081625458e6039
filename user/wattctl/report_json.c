// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report as one JSON document (docs/report.md): what was asked, each
 * group's figures, their total, the cluster's, the nodes, the method in
 * sentences, notes, and power over time. Every other output is drawn from
 * this document. A figure that was not reported is left out, never 0.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "period.h"
#include "report.h"
#include "report_doc.h"

#define METHOD_NODES_NAMED 6 /* name the nodes when there are at most this many */

static void set_num(json_t *o, const char *key, double v)
{
	if (isfinite(v))
		json_object_set_new(o, key, json_real(v));
}

static json_t *figures_json(const struct report_figures *f, bool has_previous)
{
	json_t *o = json_object();

	set_num(o, "energy_kwh", f->energy_j / JOULES_PER_KWH);
	set_num(o, "gpu_energy_kwh", f->gpu_j / JOULES_PER_KWH);
	set_num(o, "facility_energy_kwh", f->facility_j / JOULES_PER_KWH);
	set_num(o, "operational_carbon_grams", f->operational_g);
	set_num(o, "embodied_carbon_grams", f->embodied_g);
	set_num(o, "carbon_grams", f->carbon_g);
	set_num(o, "share", f->share);
	set_num(o, "average_power_watts", f->avg_watts);
	if (has_previous)
		json_object_set_new(
			o, "previous_energy_kwh",
			json_real(isnan(f->prev_energy_j) ? 0 : f->prev_energy_j / JOULES_PER_KWH));
	set_num(o, "trend", f->trend);
	json_object_set_new(o, "basis", json_string(report__basis_name(f->basis)));
	set_num(o, "measured_fraction", f->energy_j > 0 ? f->measured_j / f->energy_j : NAN);
	return o;
}

static json_t *period_json(const struct report *r)
{
	char from[32], to[32];

	return json_pack("{s:s, s:s, s:f, s:f, s:f}", "from",
			 period__iso(r->from, from, sizeof(from)), "to",
			 period__iso(r->to, to, sizeof(to)), "from_unix", r->from, "to_unix", r->to,
			 "seconds", r->to - r->from);
}

static json_t *node_json(const struct report_node *n)
{
	double m = n->energy_j > 0 ? n->measured_j / n->energy_j : 0;
	json_t *o = json_pack("{s:s, s:s, s:s, s:f}", "name", n->name, "meters",
			      n->meters ? n->meters : "unknown", "basis",
			      m >= 1 - 1e-9 ? "measured" :
			      m <= 1e-9	    ? "modelled" :
					      "mixed",
			      "energy_kwh", n->energy_j / JOULES_PER_KWH);

	if (n->model)
		json_object_set_new(o, "model", json_string(n->model));
	set_num(o, "gpu_energy_kwh", n->fig[RF_GPU] / JOULES_PER_KWH);
	set_num(o, "pue", report__node_pue(n));
	set_num(o, "carbon_intensity_grams_per_kwh", report__node_intensity(n));
	set_num(o, "embodied_carbon_grams", n->fig[RF_EMBODIED]);
	return o;
}

static json_t *series_json(const struct report *r)
{
	json_t *watts = json_object();
	size_t i, k;

	for (i = 0; i < r->n_groups; i++) {
		json_t *a = json_array();

		for (k = 0; k < r->n_points; k++) {
			double w = r->groups[i].watts ? r->groups[i].watts[k] : NAN;

			json_array_append_new(a, isfinite(w) ? json_real(w) : json_null());
		}
		json_object_set_new(watts, r->groups[i].name, a);
	}
	return json_pack("{s:f, s:f, s:o}", "start_unix", r->series_start, "step_seconds",
			 r->series_step, "watts", watts);
}

json_t *report__to_json(const struct report *r)
{
	json_t *doc, *groups = json_array(), *nodes = json_array(), *g;
	size_t i;

	for (i = 0; i < r->n_groups; i++) {
		g = figures_json(&r->groups[i].f, r->has_previous);
		json_object_set_new(g, "name", json_string(r->groups[i].name));
		json_array_append_new(groups, g);
	}
	for (i = 0; i < r->n_nodes; i++)
		json_array_append_new(nodes, node_json(&r->nodes[i]));
	doc = json_pack("{s:s, s:{s:s, s:s}, s:o, s:s, s:o, s:o, s:o, s:o, s:O}", "title",
			"Energy and carbon report", "source", "kind", r->source, "url", r->url,
			"period", period_json(r), "by", r->by, "groups", groups, "total",
			figures_json(&r->total, r->has_previous), "cluster",
			figures_json(&r->cluster, r->has_previous), "nodes", nodes, "notes",
			r->notes);
	if (!doc)
		return NULL;
	if (r->namespace)
		json_object_set_new(doc, "namespace", json_string(r->namespace));
	if (r->n_points)
		json_object_set_new(doc, "series", series_json(r));
	if (r->has_previous) {
		struct report prev = *r;

		prev.from = r->from - (r->to - r->from);
		prev.to = r->from;
		json_object_set_new(doc, "previous_period", period_json(&prev));
	}
	json_object_set_new(doc, "method", report__method(doc));
	return doc;
}

double report__num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *report__str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

const char *report__basis_label(json_t *figs, char *buf, size_t len)
{
	const char *basis = report__str(figs, "basis");
	double pct = 100 * report__num(figs, "measured_fraction");

	if (strcmp(basis, "mixed"))
		return basis;
	/* Never "0%" or "100%" for a mix: those read as all one kind. */
	snprintf(buf, len, "mixed (%.0f%% measured)", pct < 1 ? 1 : pct > 99 ? 99 : pct);
	return buf;
}

const char *report__carbon_unit(json_t *doc, double *div)
{
	double g = report__num(json_object_get(doc, "total"), "carbon_grams");

	if (g >= 1e6) {
		*div = 1e6;
		return "tCO2e";
	}
	if (g >= 1e3) {
		*div = 1e3;
		return "kgCO2e";
	}
	*div = 1;
	return "gCO2e";
}

/* A growing sentence. */
struct sentence {
	char s[2048];
	size_t n;
};

static void say(struct sentence *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct sentence *st, const char *fmt, ...)
{
	va_list ap;

	if (st->n >= sizeof(st->s) - 1)
		return;
	va_start(ap, fmt);
	st->n += vsnprintf(st->s + st->n, sizeof(st->s) - st->n, fmt, ap);
	va_end(ap);
	if (st->n > sizeof(st->s) - 1)
		st->n = sizeof(st->s) - 1;
}

/* Whether node nd's key equals value, or (value NULL) whether it has the key at all. */
static bool node_matches(json_t *nd, const char *key, json_t *value)
{
	json_t *v = json_object_get(nd, key);

	return value ? json_equal(v, value) : v != NULL;
}

/*
 * " on node-a and node-b" or " on 12 nodes", for the nodes whose key equals
 * value (value NULL: that have the key); the number of them.
 */
static size_t say_nodes(struct sentence *st, json_t *nodes, const char *key, json_t *value)
{
	size_t i, n = 0, named = 0, total;
	json_t *nd;

	json_array_foreach(nodes, i, nd)
		n += node_matches(nd, key, value);
	total = json_array_size(nodes);
	if (n == total && total > 1) {
		say(st, " on all %zu nodes", total);
		return n;
	}
	if (n > METHOD_NODES_NAMED) {
		say(st, " on %zu nodes", n);
		return n;
	}
	json_array_foreach(nodes, i, nd) {
		if (!node_matches(nd, key, value))
			continue;
		named++;
		say(st, "%s%s",
		    named == 1 ? " on " :
		    named == n ? " and " :
				 ", ",
		    report__str(nd, "name"));
	}
	return n;
}

/* "KEY: A on x, B on y" over the distinct values of a node field; false if no node has it. */
static bool say_distinct(struct sentence *st, json_t *nodes, const char *key, const char *fmt)
{
	json_t *seen = json_array(), *nd, *v;
	size_t i, j;
	bool any = false;

	json_array_foreach(nodes, i, nd) {
		v = json_object_get(nd, key);
		if (!v)
			continue;
		for (j = 0; j < json_array_size(seen); j++)
			if (json_equal(json_array_get(seen, j), v))
				break;
		if (j < json_array_size(seen))
			continue;
		json_array_append(seen, v);
		if (any)
			say(st, "; ");
		if (json_is_number(v))
			say(st, fmt, json_number_value(v));
		else
			say(st, fmt, json_string_value(v));
		say_nodes(st, nodes, key, v);
		any = true;
	}
	json_decref(seen);
	return any;
}

static void method_meters(json_t *out, json_t *nodes)
{
	struct sentence st = { .n = 0 };
	json_t *nd, *seen = json_array();
	size_t i, j;

	say(&st, "Energy: ");
	json_array_foreach(nodes, i, nd) {
		json_t *m = json_object_get(nd, "meters");

		for (j = 0; j < json_array_size(seen); j++)
			if (json_equal(json_array_get(seen, j), m))
				break;
		if (j < json_array_size(seen))
			continue;
		say(&st, "%s%s by %s", json_array_size(seen) ? "; " : "",
		    strchr(json_string_value(m), ',') ? "partly measured, partly modelled" :
		    report__meter_measures(json_string_value(m)) ? "measured" :
								   "modelled",
		    json_string_value(m));
		json_array_append(seen, m);
		say_nodes(&st, nodes, "meters", m);
	}
	say(&st, ".");
	json_decref(seen);
	json_array_append_new(out, json_string(st.s));
	st.n = 0;
	if (say_distinct(&st, nodes, "model", "Model row %s")) {
		say(&st, ": a modelled node's power comes from a linear model of its CPU use.");
		json_array_append_new(out, json_string(st.s));
	}
}

/* Where GPUs were measured, and how their energy is split; nothing without a GPU. */
static void method_gpu(json_t *out, json_t *nodes)
{
	struct sentence st = { .n = 0 };

	say(&st, "GPU energy, a part of energy: read through NVML");
	if (!say_nodes(&st, nodes, "gpu_energy_kwh", NULL))
		return;
	say(&st, "; a workload's share of it follows its busy-weighted GPU time.");
	json_array_append_new(out, json_string(st.s));
}

static void method_carbon(json_t *out, json_t *nodes)
{
	struct sentence st = { .n = 0 };

	say(&st, "PUE: ");
	if (say_distinct(&st, nodes, "pue", "%.3g"))
		say(&st, "; facility energy is IT energy times PUE.");
	else
		say(&st, "not set, so no facility energy is reported.");
	json_array_append_new(out, json_string(st.s));
	st.n = 0;
	say(&st, "Grid carbon intensity (the period's average, gCO2e/kWh of facility energy): ");
	if (say_distinct(&st, nodes, "carbon_intensity_grams_per_kwh", "%.4g"))
		say(&st, ".");
	else
		say(&st, "not set, so no operational carbon is reported.");
	json_array_append_new(out, json_string(st.s));
	st.n = 0;
	say(&st, "Embodied carbon: ");
	if (say_distinct(&st, nodes, "embodied_carbon_grams", "%.4g g"))
		say(&st,
		    "; allocated to workloads by their share of CPU time, so always modelled.");
	else
		say(&st, "not configured.");
	json_array_append_new(out, json_string(st.s));
}

json_t *report__method(json_t *doc)
{
	json_t *out = json_array(), *nodes = json_object_get(doc, "nodes");
	json_t *src = json_object_get(doc, "source"),
	       *prev = json_object_get(doc, "previous_period");
	struct sentence st = { .n = 0 };

	if (!strcmp(report__str(src, "kind"), "prometheus"))
		say(&st,
		    "From Prometheus at %s: the increase of each wattlet counter over the period.",
		    report__str(src, "url"));
	else
		say(&st, "From the wattlet agent at %s: its totals since it started.",
		    report__str(src, "url"));
	json_array_append_new(out, json_string(st.s));
	method_meters(out, nodes);
	json_array_append_new(
		out,
		json_string(
			"A workload's energy is its share of its node's active energy, split by CPU time "
			"(plus idle energy where the agent attributes it); the rest of the cluster's "
			"energy is idle, system or unattributed. Shares are of the cluster's energy."));
	method_gpu(out, nodes);
	method_carbon(out, nodes);
	st.n = 0;
	if (prev)
		say(&st, "Trend: the change against the period before, %s to %s.",
		    report__str(prev, "from"), report__str(prev, "to"));
	else
		say(&st, "Trend: not available; there is no period before.");
	json_array_append_new(out, json_string(st.s));
	return out;
}
