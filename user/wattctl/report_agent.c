// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wattctl report without --prometheus: one node, since its agent started.
 * The agent's totals start at zero when it starts, so its latest snapshot
 * is the report of the period from agent.start_time to the snapshot's
 * timestamp. There is no period before it and no history for a chart.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"
#include "output.h"
#include "report.h"
#include "wattctl.h"

#define URL_MAX 2048

static double num(json_t *o, const char *key)
{
	json_t *f = json_object_get(o, key);

	return json_is_number(f) ? json_number_value(f) : NAN;
}

static const char *str(json_t *o, const char *key)
{
	json_t *f = json_object_get(o, key);

	return json_is_string(f) ? json_string_value(f) : "";
}

/* GET path; the answer, or NULL after printing why. */
static json_t *agent_get(struct wattctl *c, const char *path, const char *ns)
{
	char url[URL_MAX], err[URL_MAX + 256], *e = ns ? http__escape(c->http, ns) : NULL;
	json_t *doc;

	snprintf(url, sizeof(url), "%s%s%s%s", c->server, path, e ? "?namespace=" : "", e ? e : "");
	free(e);
	if (http__get_json(c->http, url, &doc, err, sizeof(err))) {
		p_err("%s", err);
		return NULL;
	}
	return doc;
}

static int agent_node(struct report *r, json_t *node)
{
	const char *name = str(node, "name");
	int k, err;

	err = report__node_energy(r, name, str(node, "meter"), num(node, "energy_joules_total"));
	for (k = RF_FACILITY; !err && k <= RF_GPU; k++)
		err = report__node_add(r, name, k, num(node, report_fig_names[k]));
	if (!err && json_is_string(json_object_get(node, "model")))
		err = report__node_model(r, name, str(node, "model"));
	return err;
}

/* Each item's figures into its group; two items of one name (a re-created pod) add up. */
static int agent_items(struct report *r, json_t *items, const char *node, bool pods)
{
	char name[640];
	json_t *it;
	size_t i;
	int k, err = 0;

	json_array_foreach(items, i, it) {
		if (pods)
			snprintf(name, sizeof(name), "%s/%s", str(it, "namespace"),
				 str(it, "name"));
		else
			snprintf(name, sizeof(name), "%s", str(it, "name"));
		if (r->namespace && strcmp(pods ? str(it, "namespace") : name, r->namespace))
			continue;
		for (k = RF_ENERGY; !err && k <= RF_GPU; k++)
			err = report__add(r, name, node, k, num(it, report_fig_names[k]));
	}
	return err;
}

/* The period: from the agent's start to its snapshot. */
static bool agent_period(json_t *node_doc, double *from, double *to)
{
	*from = num(json_object_get(node_doc, "agent"), "start_time");
	*to = num(node_doc, "timestamp");
	return isfinite(*from) && isfinite(*to) && *to > *from;
}

static int agent_collect(struct wattctl *c, json_t *node_doc, json_t *list)
{
	json_t *node = json_object_get(node_doc, "node"), *items = json_object_get(list, "items");
	bool pods = c->by && !strcmp(c->by, "pod");
	double from, to;
	struct report *r;
	int ret = EXIT_ERR;

	if (!json_is_object(node) || !json_is_array(items) || !agent_period(node_doc, &from, &to)) {
		p_err("%s: the agent's answer lacks node, items, agent.start_time or timestamp",
		      c->server);
		return EXIT_ERR;
	}
	r = report__new("agent", c->server, pods ? "pod" : "namespace", c->namespace, from, to);
	if (!r || agent_node(r, node) || agent_items(r, items, str(node, "name"), pods) ||
	    report__finish(r) ||
	    report__note(r,
			 "One node (%s) since its agent started; --prometheus gives the "
			 "cluster, any period, the period before and power over time.",
			 str(node, "name"))) {
		p_err("out of memory");
		goto out;
	}
	if (!r->n_groups) {
		p_err("%s: no %s with energy%s%s", c->server, pods ? "pods" : "namespaces",
		      c->namespace ? " in namespace " : "", c->namespace ? c->namespace : "");
		goto out;
	}
	ret = report__print(r, c->format);
out:
	report__free(r);
	return ret;
}

static bool same_snapshot(json_t *a, json_t *b)
{
	return json_equal(json_object_get(a, "timestamp"), json_object_get(b, "timestamp"));
}

/*
 * The node and the groups from one snapshot, so that shares add up: the
 * agent publishes a new one every interval, which may fall between the two
 * requests; then they are asked again.
 */
int cmd_report(struct wattctl *c)
{
	bool pods = c->by && !strcmp(c->by, "pod");
	json_t *node_doc = NULL, *list = NULL;
	int ret = EXIT_ERR, tries;

	for (tries = 0; tries < 5; tries++) {
		json_decref(node_doc);
		json_decref(list);
		list = NULL;
		node_doc = agent_get(c, "/api/v1/node", NULL);
		if (node_doc)
			list = agent_get(c, pods ? "/api/v1/pods" : "/api/v1/namespaces",
					 pods ? c->namespace : NULL);
		if (!list || same_snapshot(node_doc, list))
			break;
	}
	if (list)
		ret = agent_collect(c, node_doc, list);
	json_decref(list);
	json_decref(node_doc);
	return ret;
}
