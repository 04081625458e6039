// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wattctl node: the node's power, energy by zone and GPU, meter, utilisation, PUE and carbon. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include "http.h"
#include "output.h"
#include "table.h"
#include "units.h"
#include "wattctl.h"

#define KV_WIDTH 16

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

/* "Label:   value" lines, like kubectl describe. */
static void kv(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kv(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%s%-*s%s", output__bold(), KV_WIDTH, label, output__reset());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	output__eol();
}

static void node_cpu(json_t *n)
{
	double util = num(n, "cpu_utilisation"), cpus = num(n, "cpus");
	char b[UNITS_LEN];

	kv("CPUs:", "%.0f", cpus);
	kv("CPU:", "%s cores (%.1f%%)", units__cores(b, sizeof(b), util * cpus), util * 100);
}

static void node_energy(json_t *n)
{
	char b1[UNITS_LEN], b2[UNITS_LEN], b3[UNITS_LEN], b4[UNITS_LEN];

	kv("Meter:", "%s", str(n, "meter"));
	kv("Power:", "%s", units__watts(b1, sizeof(b1), num(n, "power_watts")));
	kv("Energy:", "%s (active %s, idle %s, unattributed %s)",
	   units__joules(b1, sizeof(b1), num(n, "energy_joules_total")),
	   units__joules(b2, sizeof(b2), num(n, "active_energy_joules_total")),
	   units__joules(b3, sizeof(b3), num(n, "idle_energy_joules_total")),
	   units__joules(b4, sizeof(b4), num(n, "unattributed_energy_joules_total")));
}

static void node_facility(json_t *n)
{
	char b1[UNITS_LEN], b2[UNITS_LEN];

	if (json_object_get(n, "pue"))
		kv("PUE:", "%.2f (facility energy %s)", num(n, "pue"),
		   units__joules(b1, sizeof(b1), num(n, "facility_energy_joules_total")));
	if (json_object_get(n, "carbon_grams_total"))
		kv("Carbon:", "%s CO2e (%s g/kWh)",
		   units__grams(b1, sizeof(b1), num(n, "carbon_grams_total")),
		   units__count(b2, sizeof(b2), num(n, "carbon_intensity_grams_per_kwh")));
}

static int node_zones(json_t *n)
{
	static const char *const hdr[] = { "  ZONE", "METER", "POWER", "ENERGY" };
	json_t *zones = json_object_get(n, "zones"), *z;
	char name[128], b1[UNITS_LEN], b2[UNITS_LEN];
	struct table *t;
	size_t i;

	if (!json_array_size(zones))
		return 0;
	t = table__new(4, hdr);
	if (!t)
		return -1;
	json_array_foreach(zones, i, z) {
		const char *row[4] = { name, str(z, "meter"),
				       units__watts(b1, sizeof(b1), num(z, "watts")),
				       units__joules(b2, sizeof(b2), num(z, "joules_total")) };

		snprintf(name, sizeof(name), "  %s", str(z, "name"));
		table__add_row(t, row);
	}
	kv("Zones:", "%s", "");
	table__print(t);
	table__free(t);
	return 0;
}

/* GPU nodes: the GPUs' power and energy, then one row per GPU. */
static int node_gpus(json_t *n)
{
	static const char *const hdr[] = { "  GPU", "NAME",	 "POWER", "ENERGY",
					   "IDLE",  "BUSY-RULE", "ERRORS" };
	json_t *gpus = json_object_get(n, "gpus"), *g;
	char b1[UNITS_LEN], b2[UNITS_LEN], b3[UNITS_LEN], b4[UNITS_LEN], idx[16], idle[64];
	struct table *t;
	size_t i;

	if (!json_array_size(gpus))
		return 0;
	kv("GPU power:", "%s", units__watts(b1, sizeof(b1), num(n, "gpu_power_watts")));
	kv("GPU energy:", "%s (active %s, unattributed %s)",
	   units__joules(b1, sizeof(b1), num(n, "gpu_energy_joules_total")),
	   units__joules(b2, sizeof(b2), num(n, "gpu_active_energy_joules_total")),
	   units__joules(b3, sizeof(b3), num(n, "gpu_unattributed_energy_joules_total")));
	t = table__new(7, hdr);
	if (!t)
		return -1;
	json_array_foreach(gpus, i, g) {
		const char *row[7] = {
			idx,
			str(g, "name"),
			units__watts(b1, sizeof(b1), num(g, "power_watts")),
			units__joules(b2, sizeof(b2), num(g, "joules_total")),
			idle,
			str(g, "busy_rule"),
			units__count(b4, sizeof(b4), num(g, "errors_total")),
		};

		snprintf(idx, sizeof(idx), "  %.0f", num(g, "index"));
		snprintf(idle, sizeof(idle), "%s %s",
			 units__watts(b3, sizeof(b3), num(g, "idle_watts")), str(g, "idle_source"));
		table__add_row(t, row);
	}
	kv("GPUs:", "%s", "");
	table__print(t);
	table__free(t);
	return 0;
}

static void node_wide(json_t *n, json_t *agent)
{
	json_t *loss = json_object_get(n, "loss"), *v;
	const char *k;

	if (json_is_object(agent))
		kv("Agent:", "%s, attached by %s, %.0f collections", str(agent, "version"),
		   str(agent, "attach"), num(agent, "collections_total"));

	kv("CPU time:", "busy %.1fs, idle %.1fs, steal %.1fs", num(n, "cpu_busy_seconds_total"),
	   num(n, "cpu_idle_seconds_total"), num(n, "cpu_steal_seconds_total"));
	kv("Unattributed:", "%.3fs CPU", num(n, "unattributed_cpu_seconds_total"));
	kv("Meter errors:", "%.0f", num(n, "meter_errors_total"));
	json_object_foreach(loss, k, v)
		kv("Loss:", "%s %.0f", k, json_number_value(v));
}

static void node_print(json_t *n, json_t *agent, const struct wattctl *c)
{
	kv("Name:", "%s", str(n, "name"));
	node_cpu(n);
	node_energy(n);
	node_facility(n);
	kv("Tracked:", "%.0f processes, %.0f cgroups, %.0f tasks", num(n, "processes"),
	   num(n, "cgroups"), num(n, "tasks"));
	if (c->format == OUT_WIDE)
		node_wide(n, agent);
	node_zones(n);
	node_gpus(n);
}

int cmd_node(struct wattctl *c)
{
	char url[1024], err[1280];
	json_t *doc = NULL, *node;

	snprintf(url, sizeof(url), "%s/api/v1/node", c->server);
	if (http__get_json(c->http, url, &doc, err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	/* {"timestamp", "interval_seconds", "node": {...}, "agent": {...}} */
	node = json_is_object(doc) ? json_object_get(doc, "node") : NULL;
	if (!json_is_object(node)) {
		p_err("GET %s: answer has no \"node\" object", url);
		json_decref(doc);
		return EXIT_ERR;
	}
	if (c->format == OUT_JSON)
		output__json_doc(doc, c->watch);
	else
		node_print(node, json_object_get(doc, "agent"), c);
	json_decref(doc);
	return EXIT_OK;
}
