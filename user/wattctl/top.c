// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wattctl top pods|containers|namespaces|processes: list views over the agent's API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"
#include "output.h"
#include "view.h"
#include "wattctl.h"

#define URL_MAX		    2048
#define API_MAX_LIMIT	    1000000L /* the most /api/v1/processes?limit= takes */
#define TABLE_DEFAULT_LIMIT 100	     /* processes shown without --limit, as the API does */

/* Query parameters an endpoint understands; the rest is done here. */
enum {
	PARAM_NAMESPACE = 1 << 0,
	PARAM_POD = 1 << 1,
	PARAM_LIMIT = 1 << 2,
	PARAM_SORT = 1 << 3,
};

struct list_cmd {
	const struct view *view;
	const char *path;
	unsigned int params;
};

#define FIGURE_COLUMNS                                                                            \
	{ "CPU(cores)", VIEW_CORES_KEY, COL_CORES, 0 }, { "POWER", "power_watts", COL_WATTS, 0 }, \
		{ "GPU_W", "gpu_power_watts", COL_WATTS, COLF_OPTIONAL },                         \
		{ "ENERGY", "energy_joules_total", COL_JOULES, 0 },                               \
		{ "CARBON(CO2e)", "carbon_grams_total", COL_GRAMS, COLF_OPTIONAL },               \
		{ "CPU-TIME(s)", "cpu_seconds_total", COL_COUNT, COLF_WIDE },                     \
		{ "WAKEUPS", "wakeups_total", COL_COUNT, COLF_WIDE },                             \
		{ "CTX-SWITCHES", "context_switches_total", COL_COUNT, COLF_WIDE },               \
		{ "GPU-ENERGY", "gpu_energy_joules_total", COL_JOULES,                            \
		  COLF_WIDE | COLF_OPTIONAL },                                                    \
		{ "GPU-TIME(s)", "gpu_seconds_total", COL_COUNT, COLF_WIDE | COLF_OPTIONAL },     \
		{ "IDLE-ENERGY", "idle_energy_joules_total", COL_JOULES,                          \
		  COLF_WIDE | COLF_OPTIONAL },                                                    \
	{                                                                                         \
		"FACILITY-ENERGY", "facility_energy_joules_total", COL_JOULES,                    \
			COLF_WIDE | COLF_OPTIONAL                                                 \
	}

static const struct column pod_cols[] = {
	{ "NAMESPACE", "namespace", COL_STR, COLF_ALLNS },
	{ "NAME", "name", COL_STR, 0 },
	FIGURE_COLUMNS,
	{ "CONTAINERS", "containers", COL_LEN, COLF_WIDE },
	{ "STATE", "state", COL_STR, COLF_WIDE | COLF_NOT_RUNNING },
	{ "UID", "uid", COL_STR, COLF_WIDE },
	{ NULL },
};

static const struct column container_cols[] = {
	{ "NAMESPACE", "namespace", COL_STR, COLF_ALLNS },
	{ "POD", "pod", COL_STR, 0 },
	{ "NAME", "name", COL_STR, 0 },
	FIGURE_COLUMNS,
	{ "STATE", "state", COL_STR, COLF_WIDE | COLF_NOT_RUNNING },
	{ "ID", "id", COL_ID, COLF_WIDE },
	{ NULL },
};

static const struct column namespace_cols[] = {
	{ "NAME", "name", COL_STR, 0 },
	FIGURE_COLUMNS,
	{ NULL },
};

static const struct column process_cols[] = {
	{ "PID", "pid", COL_COUNT, 0 },
	{ "COMM", "comm", COL_STR, 0 },
	{ "NAMESPACE", "namespace", COL_STR, COLF_ALLNS },
	{ "POD", "pod", COL_STR, 0 },
	{ "CONTAINER", "container", COL_STR, 0 },
	FIGURE_COLUMNS,
	{ "STATE", "state", COL_STR, COLF_WIDE | COLF_NOT_RUNNING },
	{ "CGROUP-ID", "cgroup_id", COL_COUNT, COLF_WIDE },
	{ NULL },
};

/* uid too: a re-created pod and its retained terminated namesake are listed together. */
static const char *const pod_ids[] = { "namespace", "name", "uid", NULL };
static const char *const container_ids[] = { "namespace", "pod", "name", "id", NULL };
static const char *const namespace_ids[] = { "name", NULL };
static const char *const process_ids[] = { "pid", "comm", NULL };

static const struct view pod_view = { "pods", pod_cols, pod_ids, "namespace" };
static const struct view container_view = { "containers", container_cols, container_ids,
					    "namespace" };
static const struct view namespace_view = { "namespaces", namespace_cols, namespace_ids, "name" };
static const struct view process_view = { "processes", process_cols, process_ids, "namespace" };

static const char *sort_names[] = {
	[SORT_NONE] = "",
	[SORT_POWER] = "power",
	[SORT_ENERGY] = "energy",
	[SORT_CPU] = "cpu",
};

/* Append "?k=v" or "&k=v", v escaped. */
static int url_param(struct wattctl *c, char *url, size_t len, const char *k, const char *v)
{
	char *e = http__escape(c->http, v);
	size_t off = strlen(url);

	if (!e)
		return -ENOMEM;
	snprintf(url + off, len - off, "%s%s=%s", strchr(url, '?') ? "&" : "?", k, e);
	free(e);
	return strlen(url) + 1 >= len ? -ENAMETOOLONG : 0;
}

static int list_url(struct wattctl *c, const struct list_cmd *lc, bool server_order, char *url,
		    size_t len)
{
	const char *ns = c->pod_name ? c->pod_ns : c->namespace;
	char num[32];
	int err = 0;

	snprintf(url, len, "%s%s", c->server, lc->path);
	if ((lc->params & PARAM_NAMESPACE) && ns)
		err = url_param(c, url, len, "namespace", ns);
	if (!err && (lc->params & PARAM_POD) && c->pod_name)
		err = url_param(c, url, len, "pod", c->pod_name);
	if (!err && (lc->params & PARAM_LIMIT) && (c->limit > 0 || !server_order)) {
		/* Tables sort themselves (by power unless asked): take every item. */
		snprintf(num, sizeof(num), "%ld", server_order ? c->limit : API_MAX_LIMIT);
		err = url_param(c, url, len, "limit", num);
	}
	if (!err && server_order && (lc->params & PARAM_SORT) && c->sort != SORT_NONE)
		err = url_param(c, url, len, "sort", sort_names[c->sort]);
	return err;
}

static json_t *list_items(json_t *doc, const char *url)
{
	json_t *items = json_is_object(doc) ? json_object_get(doc, "items") : NULL;

	if (!json_is_array(items)) {
		p_err("GET %s: answer has no \"items\" array", url);
		return NULL;
	}
	return items;
}

/* -o json: the API's document, narrowed and ordered only as asked. */
static int list_json(struct wattctl *c, const struct list_cmd *lc)
{
	char url[URL_MAX], err[URL_MAX + 256];
	json_t *doc = NULL, *items;
	int ret = EXIT_ERR;

	if (list_url(c, lc, true, url, sizeof(url))) {
		p_err("URL too long");
		return EXIT_USAGE;
	}
	if (http__get_json(c->http, url, &doc, err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	items = list_items(doc, url);
	if (!items)
		goto cleanup;
	if (!(lc->params & PARAM_NAMESPACE))
		view__filter(lc->view, items, c->namespace, c->pod_ns, c->pod_name);
	if (!(lc->params & PARAM_SORT) && view__sort(lc->view, items, c->sort, c->limit))
		goto cleanup;
	output__json_doc(doc, c->watch);
	ret = EXIT_OK;
cleanup:
	json_decref(doc);
	return ret;
}

static int list_table(struct wattctl *c, const struct list_cmd *lc)
{
	char url[URL_MAX], err[URL_MAX + 256];
	json_t *doc = NULL, *items;
	long limit = c->limit;
	int ret = EXIT_ERR;

	if (list_url(c, lc, false, url, sizeof(url))) {
		p_err("URL too long");
		return EXIT_USAGE;
	}
	if (http__get_json(c->http, url, &doc, err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	items = list_items(doc, url);
	if (!items)
		goto cleanup;
	view__filter(lc->view, items, c->namespace, c->pod_ns, c->pod_name);
	if (!c->limit && (lc->params & PARAM_LIMIT))
		limit = TABLE_DEFAULT_LIMIT;
	if (view__sort(lc->view, items, c->sort == SORT_NONE ? SORT_POWER : c->sort, limit))
		goto cleanup;
	if (!view__print(lc->view, items, c))
		ret = EXIT_OK;
cleanup:
	json_decref(doc);
	return ret;
}

static int list_run(struct wattctl *c, const struct list_cmd *lc)
{
	return c->format == OUT_JSON ? list_json(c, lc) : list_table(c, lc);
}

int cmd_top_pods(struct wattctl *c)
{
	static const struct list_cmd lc = { &pod_view, "/api/v1/pods", PARAM_NAMESPACE };

	return list_run(c, &lc);
}

int cmd_top_containers(struct wattctl *c)
{
	static const struct list_cmd lc = { &container_view, "/api/v1/containers",
					    PARAM_NAMESPACE | PARAM_POD };

	return list_run(c, &lc);
}

int cmd_top_namespaces(struct wattctl *c)
{
	static const struct list_cmd lc = { &namespace_view, "/api/v1/namespaces", 0 };

	return list_run(c, &lc);
}

int cmd_top_processes(struct wattctl *c)
{
	static const struct list_cmd lc = { &process_view, "/api/v1/processes",
					    PARAM_NAMESPACE | PARAM_POD | PARAM_LIMIT |
						    PARAM_SORT };

	return list_run(c, &lc);
}
