// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --prometheus: cluster-wide answers from every node's wattlet series, by
 * PromQL over Prometheus's HTTP API (/api/v1/query). One instant vector per
 * figure, joined on the labels, one row per node and workload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output.h"
#include "promapi.h"
#include "view.h"
#include "wattctl.h"
#include "util.h"

struct prom_level {
	const char *metric;	   /* wattlet_<metric>_... */
	const char *by;		   /* PromQL grouping */
	const char *const *labels; /* grouping labels -> item fields, NULL-ended */
	const char *const *fields;
	const struct view *view;
};

static const struct column prom_pod_cols[] = {
	{ "NODE", "node", COL_STR, 0 },
	{ "NAMESPACE", "namespace", COL_STR, COLF_ALLNS },
	{ "NAME", "name", COL_STR, 0 },
	{ "CPU(cores)", VIEW_CORES_KEY, COL_CORES, 0 },
	{ "POWER", "power_watts", COL_WATTS, 0 },
	{ "GPU_W", "gpu_power_watts", COL_WATTS, COLF_OPTIONAL },
	{ "ENERGY", "energy_joules_total", COL_JOULES, 0 },
	{ "CARBON(CO2e)", "carbon_grams_total", COL_GRAMS, COLF_OPTIONAL },
	{ NULL },
};

static const struct column prom_ns_cols[] = {
	{ "NODE", "node", COL_STR, 0 },
	{ "NAME", "name", COL_STR, 0 },
	{ "CPU(cores)", VIEW_CORES_KEY, COL_CORES, 0 },
	{ "POWER", "power_watts", COL_WATTS, 0 },
	{ "GPU_W", "gpu_power_watts", COL_WATTS, COLF_OPTIONAL },
	{ "ENERGY", "energy_joules_total", COL_JOULES, 0 },
	{ "CARBON(CO2e)", "carbon_grams_total", COL_GRAMS, COLF_OPTIONAL },
	{ NULL },
};

static const char *const pod_ids[] = { "namespace", "name", "node", NULL };
static const char *const ns_ids[] = { "name", "node", NULL };
static const struct view prom_pod_view = { "pods", prom_pod_cols, pod_ids, "namespace" };
static const struct view prom_ns_view = { "namespaces", prom_ns_cols, ns_ids, "name" };

static const char *const pod_labels[] = { "node", "namespace", "pod", NULL };
static const char *const pod_fields[] = { "node", "namespace", "name", NULL };
static const char *const ns_labels[] = { "node", "namespace", NULL };
static const char *const ns_fields[] = { "node", "name", NULL };

static const struct prom_level pod_level = { "pod", "node, namespace, pod", pod_labels, pod_fields,
					     &prom_pod_view };
static const struct prom_level ns_level = { "namespace", "node, namespace", ns_labels, ns_fields,
					    &prom_ns_view };

/* One figure: the PromQL template over wattlet_<level>_<series> and the item field it fills. */
struct prom_figure {
	const char *series;
	bool rate;
	const char *field;
};

static const struct prom_figure figures[] = {
	{ "cpu_seconds_total", true, VIEW_CORES_KEY },
	{ "power_watts", false, "power_watts" },
	{ "gpu_power_watts", false, "gpu_power_watts" },
	{ "energy_joules_total", false, "energy_joules_total" },
	{ "carbon_grams_total", false, "carbon_grams_total" },
};

static void promql_query(const struct wattctl *c, const struct prom_level *lv,
			 const struct prom_figure *f, char *q, size_t len)
{
	char sel[600] = "", ns[512];

	if (c->namespace) {
		promapi__quote(ns, sizeof(ns), c->namespace);
		snprintf(sel, sizeof(sel), "{namespace=\"%s\"}", ns);
	}
	if (f->rate)
		snprintf(q, len, "sum by (%s) (rate(wattlet_%s_%s%s[%s]))", lv->by, lv->metric,
			 f->series, sel, c->window);
	else
		snprintf(q, len, "sum by (%s) (wattlet_%s_%s%s)", lv->by, lv->metric, f->series,
			 sel);
}

/* The item for one sample's labels, created on first sight. */
static json_t *promql_item(json_t *rows, const struct prom_level *lv, json_t *metric)
{
	char key[1024] = "";
	size_t off = 0;
	json_t *item;
	int i;

	for (i = 0; lv->labels[i] && off < sizeof(key); i++) {
		json_t *l = json_object_get(metric, lv->labels[i]);

		off += snprintf(key + off, sizeof(key) - off, "%s\x1f",
				json_is_string(l) ? json_string_value(l) : "");
	}
	item = json_object_get(rows, key);
	if (item)
		return item;
	item = json_object();
	for (i = 0; lv->labels[i]; i++) {
		json_t *l = json_object_get(metric, lv->labels[i]);

		json_object_set_new(item, lv->fields[i],
				    json_string(json_is_string(l) ? json_string_value(l) : ""));
	}
	json_object_set_new(rows, key, item);
	return item;
}

static int promql_figure(struct wattctl *c, const struct prom_level *lv,
			 const struct prom_figure *f, json_t *rows)
{
	char q[PROM_QUERY_MAX];
	json_t *doc = NULL, *result, *s;
	size_t i;
	int err;

	promql_query(c, lv, f, q, sizeof(q));
	err = promapi__query(c, q, 0, &doc, &result);
	if (err)
		goto cleanup;
	json_array_foreach(result, i, s) {
		json_t *v = json_array_get(json_object_get(s, "value"), 1);

		if (!json_is_string(v))
			continue;
		json_object_set_new(promql_item(rows, lv, json_object_get(s, "metric")), f->field,
				    json_real(strtod(json_string_value(v), NULL)));
	}
cleanup:
	json_decref(doc);
	return err;
}

static int promql_top(struct wattctl *c, const struct prom_level *lv)
{
	json_t *rows = json_object(), *doc = NULL, *items = json_array(), *it;
	const char *k;
	size_t i;
	int ret = EXIT_ERR;

	for (i = 0; i < ARRAY_SIZE(figures); i++)
		if (promql_figure(c, lv, &figures[i], rows))
			goto cleanup;
	json_object_foreach(rows, k, it)
		json_array_append(items, it);
	if (view__sort(lv->view, items, c->sort == SORT_NONE ? SORT_POWER : c->sort, c->limit))
		goto cleanup;
	if (c->format == OUT_JSON) {
		doc = json_pack("{s:O}", "items", items);
		output__json_doc(doc, c->watch);
	} else {
		view__print(lv->view, items, c);
	}
	ret = EXIT_OK;
cleanup:
	json_decref(doc);
	json_decref(items);
	json_decref(rows);
	return ret;
}

int promql__top_pods(struct wattctl *c)
{
	return promql_top(c, &pod_level);
}

int promql__top_namespaces(struct wattctl *c)
{
	return promql_top(c, &ns_level);
}
