// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wattctl get pod NS/NAME: one pod's figures, with its containers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"
#include "output.h"
#include "units.h"
#include "view.h"
#include "wattctl.h"

#define KV_WIDTH 14

static const struct column container_cols[] = {
	{ "NAME", "name", COL_STR, 0 },
	{ "ID", "id", COL_ID, 0 },
	{ "STATE", "state", COL_STR, 0 },
	{ "CPU(cores)", VIEW_CORES_KEY, COL_CORES, 0 },
	{ "POWER", "power_watts", COL_WATTS, 0 },
	{ "ENERGY", "energy_joules_total", COL_JOULES, 0 },
	{ "CARBON(CO2e)", "carbon_grams_total", COL_GRAMS, COLF_OPTIONAL },
	{ "WAKEUPS", "wakeups_total", COL_COUNT, COLF_WIDE },
	{ "CTX-SWITCHES", "context_switches_total", COL_COUNT, COLF_WIDE },
	{ NULL },
};
static const char *const container_ids[] = { "name", "id", NULL };
static const struct view container_view = { "containers", container_cols, container_ids,
					    "namespace" };

static double num(json_t *o, const char *key)
{
	json_t *f = json_object_get(o, key);

	return json_is_number(f) ? json_number_value(f) : NAN;
}

static const char *str(json_t *o, const char *key)
{
	json_t *f = json_object_get(o, key);

	return json_is_string(f) ? json_string_value(f) : "<none>";
}

static void kv(const char *label, const char *value)
{
	printf("%s%-*s%s%s", output__bold(), KV_WIDTH, label, output__reset(), value);
	output__eol();
}

static void pod_print(json_t *pod, const struct wattctl *c)
{
	json_t *cs = json_object_get(pod, "containers");
	char b[UNITS_LEN];

	kv("Namespace:", str(pod, "namespace"));
	kv("Name:", str(pod, "name"));
	kv("UID:", str(pod, "uid"));
	kv("State:", str(pod, "state"));
	kv("CPU(cores):", units__cores(b, sizeof(b), num(pod, VIEW_CORES_KEY)));
	kv("Power:", units__watts(b, sizeof(b), num(pod, "power_watts")));
	kv("Energy:", units__joules(b, sizeof(b), num(pod, "energy_joules_total")));
	if (json_object_get(pod, "facility_energy_joules_total"))
		kv("Facility:",
		   units__joules(b, sizeof(b), num(pod, "facility_energy_joules_total")));
	if (json_object_get(pod, "carbon_grams_total"))
		kv("Carbon(CO2e):", units__grams(b, sizeof(b), num(pod, "carbon_grams_total")));
	if (c->format == OUT_WIDE) {
		kv("CPU time(s):", units__count(b, sizeof(b), num(pod, "cpu_seconds_total")));
		kv("Wakeups:", units__count(b, sizeof(b), num(pod, "wakeups_total")));
		kv("Ctx switches:", units__count(b, sizeof(b), num(pod, "context_switches_total")));
	}
	kv("Containers:", json_array_size(cs) ? "" : "<none>");
	if (json_array_size(cs))
		view__print(&container_view, cs, c);
}

static int pod_url(struct wattctl *c, const char *ns, const char *name, char *url, size_t len)
{
	char *ens = http__escape(c->http, ns), *ename = http__escape(c->http, name);
	int n = -1;

	if (ens && ename)
		n = snprintf(url, len, "%s/api/v1/pods/%s/%s", c->server, ens, ename);
	free(ens);
	free(ename);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int cmd_get_pod(struct wattctl *c, const char *ns, const char *name)
{
	char url[2048], err[2304];
	json_t *doc = NULL;

	if (pod_url(c, ns, name, url, sizeof(url))) {
		p_err("pod name too long");
		return EXIT_USAGE;
	}
	if (http__get_json(c->http, url, &doc, err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "name"))) {
		p_err("GET %s: answer is not a pod object", url);
		json_decref(doc);
		return EXIT_ERR;
	}
	if (c->format == OUT_JSON)
		output__json_doc(doc, c->watch);
	else
		pod_print(doc, c);
	json_decref(doc);
	return EXIT_OK;
}
