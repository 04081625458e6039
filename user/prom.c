// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Prometheus text 0.0.4 and OpenMetrics 1.0 from the published document.
 * Every series carries a node label. Workload series with equal labels
 * (a pod re-created under the same name while the old one is retained as
 * terminated, a restarted container) are summed, so no series repeats.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"
#include "util.h"
#include "strbuf.h"

enum mtype {
	COUNTER,
	GAUGE,
	HISTOGRAM,
};

struct out {
	struct strbuf b;
	enum prom_format fmt;
	struct strbuf node; /* node="..." */
};

/* One figure of a workload: the document key and the metric it becomes. */
struct figure {
	const char *key;
	const char *suffix; /* wattlet_<level>_<suffix> */
	enum mtype type;
	const char *unit;
	const char *help;
};

#define MAX_FIGS 16

static const struct figure workload_figs[] = {
	{ "cpu_seconds_total", "cpu_seconds", COUNTER, "seconds", "CPU time used" },
	{ "energy_joules_total", "energy_joules", COUNTER, "joules",
	  "Attributed share of the node's active energy" },
	{ "power_watts", "power_watts", GAUGE, "watts", "Attributed power over the last interval" },
	{ "idle_energy_joules_total", "idle_energy_joules", COUNTER, "joules",
	  "Attributed share of the node's idle energy (--idle-attribution cpu)" },
	{ "facility_energy_joules_total", "facility_energy_joules", COUNTER, "joules",
	  "Facility energy, IT energy times PUE (--pue)" },
	{ "dram_energy_joules_total", "dram_energy_joules", COUNTER, "joules",
	  "The DRAM zones' part of its energy, shared by memory" },
	{ "operational_carbon_grams_total", "operational_carbon_grams", COUNTER, "grams",
	  "Operational emissions in grams CO2e: facility energy times the grid intensity in force" },
	{ "embodied_carbon_grams_total", "embodied_carbon_grams", COUNTER, "grams",
	  "Embodied emissions in grams CO2e: the node's manufacturing share by CPU time (--embodied-kgco2e)" },
	{ "carbon_grams_total", "carbon_grams", COUNTER, "grams",
	  "Emissions in grams CO2e, operational plus embodied" },
	{ "gpu_seconds_total", "gpu_seconds", COUNTER, "seconds",
	  "Busy-weighted GPU time (GPU nodes)" },
	{ "gpu_energy_joules_total", "gpu_energy_joules", COUNTER, "joules",
	  "The GPU part of the attributed energy (GPU nodes)" },
	{ "gpu_power_watts", "gpu_power_watts", GAUGE, "watts",
	  "The GPU part of the attributed power over the last interval (GPU nodes)" },
	{},
};

static const struct figure gpu_figs[] = {
	{ "joules_total", "energy_joules", COUNTER, "joules", "Energy the GPU used (NVML)" },
	{ "active_energy_joules_total", "active_energy_joules", COUNTER, "joules",
	  "Energy above the GPU's idle power" },
	{ "idle_energy_joules_total", "idle_energy_joules", COUNTER, "joules",
	  "The GPU's idle energy" },
	{ "unattributed_energy_joules_total", "unattributed_energy_joules", COUNTER, "joules",
	  "Active GPU energy of no process the agent could place" },
	{ "power_watts", "power_watts", GAUGE, "watts", "GPU power over the last interval" },
	{ "idle_watts", "idle_watts", GAUGE, "watts",
	  "The GPU's idle power, --gpu-idle-watts or learned (label idle_source)" },
	{ "gpu_seconds_total", "busy_seconds", COUNTER, "seconds",
	  "Busy-weighted GPU time of all its processes" },
	{ "errors_total", "read_errors", COUNTER, NULL,
	  "Rejected readings and failed NVML queries" },
	{},
};

static const struct figure zone_figs[] = {
	{ "joules_total", "energy_joules", COUNTER, "joules", "Energy read from the zone" },
	{ "watts", "power_watts", GAUGE, "watts", "Zone power over the last interval" },
	{},
};

struct row {
	char *labels;
	double v[MAX_FIGS];
};

/* The rows of one level (pod, container, ...), merged by labels before output. */
struct level {
	const char *name; /* metric infix: wattlet_<name>_... */
	const char *noun; /* for HELP */
	const struct figure *figs;
	bool has[MAX_FIGS];
	struct row *rows;
	size_t n, cap;
	int err;
};

/* A label value, escaped as both formats require: backslash, quote, newline. */
static void add_label(struct strbuf *b, const char *key, const char *val)
{
	const char *s;

	if (b->len)
		strbuf__add(b, ",", 1);
	strbuf__puts(b, key);
	strbuf__add(b, "=\"", 2);
	for (s = val ? val : ""; *s; s++) {
		const char *run = s;

		while (*s && *s != '\\' && *s != '"' && *s != '\n')
			s++;
		strbuf__add(b, run, s - run);
		if (!*s)
			break;
		strbuf__add(b, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n", 2);
	}
	strbuf__add(b, "\"", 1);
}

/* The shortest of %.15g/%.17g that reads back as the same double; NaN, +Inf, -Inf as spelled. */
static void add_num(struct strbuf *b, double v)
{
	char tmp[32];

	if (isnan(v)) {
		strbuf__puts(b, "NaN");
		return;
	}
	if (isinf(v)) {
		strbuf__puts(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		strbuf__printf(b, "%.0f", v);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof(tmp), "%.17g", v);
	strbuf__puts(b, tmp);
}

static const char *mtype_name(enum mtype t, enum prom_format fmt)
{
	switch (t) {
	case COUNTER:
		return "counter";
	case HISTOGRAM:
		return "histogram";
	default:
		return "gauge";
	}
}

/* The sample name suffix of a type: counters end in _total. */
static const char *mtype_suffix(enum mtype t)
{
	return t == COUNTER ? "_total" : "";
}

/*
 * HELP and TYPE (and UNIT in OpenMetrics). OpenMetrics names a counter
 * family without the _total its samples carry; text 0.0.4 names it as its
 * samples.
 */
static void put_family(struct out *o, const char *name, enum mtype t, const char *unit,
		       const char *help)
{
	const char *fam_sfx = o->fmt == PROM_TEXT ? mtype_suffix(t) : "";

	strbuf__printf(&o->b, "# HELP %s%s %s\n", name, fam_sfx, help);
	strbuf__printf(&o->b, "# TYPE %s%s %s\n", name, fam_sfx, mtype_name(t, o->fmt));
	if (o->fmt == PROM_OPENMETRICS && unit)
		strbuf__printf(&o->b, "# UNIT %s %s\n", name, unit);
}

/* One sample: name{node="...",labels} value. labels may be NULL or "". */
static void put_sample(struct out *o, const char *name, const char *sfx, const char *labels,
		       double v)
{
	strbuf__puts(&o->b, name);
	strbuf__puts(&o->b, sfx);
	strbuf__add(&o->b, "{", 1);
	strbuf__add(&o->b, o->node.p, o->node.len);
	if (labels && *labels) {
		strbuf__add(&o->b, ",", 1);
		strbuf__puts(&o->b, labels);
	}
	strbuf__add(&o->b, "} ", 2);
	add_num(&o->b, v);
	strbuf__add(&o->b, "\n", 1);
}

static bool num(const json_t *obj, const char *key, double *v)
{
	const json_t *j = json_object_get(obj, key);

	if (!json_is_number(j))
		return false;
	*v = json_number_value(j);
	return true;
}

/* A single-sample family, only when the document has the field. */
static void put_scalar(struct out *o, const json_t *obj, const char *key, const char *name,
		       enum mtype t, const char *unit, const char *help)
{
	double v;

	if (!num(obj, key, &v))
		return;
	put_family(o, name, t, unit, help);
	put_sample(o, name, mtype_suffix(t), NULL, v);
}

static void level_add(struct level *l, char *labels, const json_t *obj)
{
	struct row *r;
	int i;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct row *rows = realloc(l->rows, cap * sizeof(*rows));

		if (!rows) {
			l->err = -ENOMEM;
			free(labels);
			return;
		}
		l->rows = rows;
		l->cap = cap;
	}
	r = &l->rows[l->n++];
	r->labels = labels;
	for (i = 0; l->figs[i].key; i++) {
		r->v[i] = 0;
		if (num(obj, l->figs[i].key, &r->v[i]))
			l->has[i] = true;
	}
}

/* Add a row whose labels are built from (key, value) pairs, NULL-terminated. */
static void level_addv(struct level *l, const json_t *obj, ...)
{
	struct strbuf lb = {};
	const char *key;
	va_list ap;

	va_start(ap, obj);
	while ((key = va_arg(ap, const char *)))
		add_label(&lb, key, va_arg(ap, const char *));
	va_end(ap);
	if (lb.err || !lb.p) {
		free(lb.p);
		l->err = -ENOMEM;
		return;
	}
	level_add(l, lb.p, obj);
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->labels, ((const struct row *)b)->labels);
}

/* Sort rows by labels and sum rows whose labels are equal. */
static void level_merge(struct level *l)
{
	size_t i, w = 0;
	int k;

	if (!l->n)
		return;
	qsort(l->rows, l->n, sizeof(*l->rows), row_cmp);
	for (i = 1; i < l->n; i++) {
		struct row *dst = &l->rows[w], *src = &l->rows[i];

		if (strcmp(dst->labels, src->labels)) {
			l->rows[++w] = *src;
			continue;
		}
		for (k = 0; k < MAX_FIGS; k++)
			dst->v[k] += src->v[k];
		free(src->labels);
	}
	l->n = w + 1;
}

static void level_put(struct out *o, struct level *l)
{
	char name[128], help[256];
	size_t r;
	int i;

	level_merge(l);
	for (i = 0; l->figs[i].key; i++) {
		const struct figure *f = &l->figs[i];

		if (!l->has[i] || !l->n)
			continue;
		snprintf(name, sizeof(name), "wattlet_%s_%s", l->name, f->suffix);
		snprintf(help, sizeof(help), "%s, per %s.", f->help, l->noun);
		put_family(o, name, f->type, f->unit, help);
		for (r = 0; r < l->n; r++)
			put_sample(o, name, mtype_suffix(f->type), l->rows[r].labels,
				   l->rows[r].v[i]);
	}
}

static void level_free(struct level *l)
{
	size_t r;

	for (r = 0; r < l->n; r++)
		free(l->rows[r].labels);
	free(l->rows);
}

static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* The grid intensity in force, labelled with its source, and whether it is stale. */
static void put_intensity(struct out *o, const json_t *node)
{
	struct strbuf lb = {};
	double v;

	if (!num(node, "carbon_intensity_grams_per_kwh", &v))
		return;
	add_label(&lb, "source", str(node, "carbon_intensity_source"));
	put_family(o, "wattlet_node_carbon_intensity_grams_per_kwh", GAUGE, NULL,
		   "Grid carbon intensity in force in the last interval, gCO2e per kWh.");
	put_sample(o, "wattlet_node_carbon_intensity_grams_per_kwh", "", lb.p, v);
	free(lb.p);
	put_family(o, "wattlet_node_carbon_intensity_stale", GAUGE, NULL,
		   "1 when the intensity in force is older than --carbon-intensity-max-age.");
	put_sample(o, "wattlet_node_carbon_intensity_stale", "", NULL,
		   json_is_true(json_object_get(node, "carbon_intensity_stale")));
	put_scalar(o, node, "carbon_intensity_age_seconds",
		   "wattlet_node_carbon_intensity_age_seconds", GAUGE, "seconds",
		   "Age of the intensity in force (--carbon-intensity-file).");
	put_scalar(o, node, "carbon_intensity_file_errors_total",
		   "wattlet_node_carbon_intensity_file_errors", COUNTER, NULL,
		   "Versions of --carbon-intensity-file that could not be used.");
}

/*
 * Where a kind of carbon went besides the workload series, so that from a
 * scrape alone pods + system + unattributed + idle + expired = node.
 */
static void put_carbon_buckets(struct out *o, const json_t *node, const char *kind)
{
	static const char *const parts[][2] = {
		{ "unattributed", "busy CPU or active energy of no tracked cgroup" },
		{ "idle", "capacity or idle energy no workload was given" },
		{ "expired", "pods and system workloads whose series were removed (--retain)" },
	};
	char key[64], name[80], help[160];

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		snprintf(key, sizeof(key), "%s_%s_carbon_grams_total", parts[i][0], kind);
		snprintf(name, sizeof(name), "wattlet_node_%s_%s_carbon_grams", parts[i][0], kind);
		snprintf(help, sizeof(help), "Node %s carbon in grams CO2e of %s.", kind,
			 parts[i][1]);
		put_scalar(o, node, key, name, COUNTER, "grams", help);
	}
}

static void put_node_carbon(struct out *o, const json_t *node)
{
	put_intensity(o, node);
	put_carbon_buckets(o, node, "operational");
	put_carbon_buckets(o, node, "embodied");
	put_scalar(
		o, node, "operational_carbon_grams_total", "wattlet_node_operational_carbon_grams",
		COUNTER, "grams",
		"Node operational emissions in grams CO2e: facility energy times the grid intensity in force.");
	put_scalar(o, node, "embodied_carbon_grams_total", "wattlet_node_embodied_carbon_grams",
		   COUNTER, "grams", "Node embodied emissions in grams CO2e (--embodied-kgco2e).");
	put_scalar(o, node, "carbon_grams_total", "wattlet_node_carbon_grams", COUNTER, "grams",
		   "Node emissions in grams CO2e, operational plus embodied.");
}

static void put_node(struct out *o, const json_t *node)
{
	const char *meter = str(node, "meter");
	char lb[256];
	double v;

	put_family(o, "wattlet_node_cpu_seconds", COUNTER, "seconds",
		   "Node CPU time: busy is user+nice+system+irq+softirq, idle is idle+iowait.");
	if (num(node, "cpu_busy_seconds_total", &v))
		put_sample(o, "wattlet_node_cpu_seconds", "_total", "mode=\"busy\"", v);
	if (num(node, "cpu_idle_seconds_total", &v))
		put_sample(o, "wattlet_node_cpu_seconds", "_total", "mode=\"idle\"", v);

	if (num(node, "active_energy_joules_total", &v)) {
		struct strbuf zl = {};

		add_label(&zl, "zone", "node");
		add_label(&zl, "meter", meter);
		put_family(
			o, "wattlet_node_energy_joules", COUNTER, "joules",
			"Node IT energy by mode; zone node is the sum of the zones that make up node energy.");
		snprintf(lb, sizeof(lb), "%s,mode=\"active\"", zl.p ? zl.p : "");
		put_sample(o, "wattlet_node_energy_joules", "_total", lb, v);
		if (num(node, "idle_energy_joules_total", &v)) {
			snprintf(lb, sizeof(lb), "%s,mode=\"idle\"", zl.p ? zl.p : "");
			put_sample(o, "wattlet_node_energy_joules", "_total", lb, v);
		}
		if (num(node, "power_watts", &v)) {
			put_family(o, "wattlet_node_power_watts", GAUGE, "watts",
				   "Node IT power over the last interval.");
			put_sample(o, "wattlet_node_power_watts", "", zl.p, v);
		}
		free(zl.p);
	}
	put_scalar(o, node, "unattributed_energy_joules_total",
		   "wattlet_node_unattributed_energy_joules", COUNTER, "joules",
		   "Active energy of no tracked cgroup.");
	put_scalar(
		o, node, "expired_energy_joules_total", "wattlet_node_expired_energy_joules",
		COUNTER, "joules",
		"Active energy of pods and system workloads whose series were removed (--retain).");
	put_scalar(o, node, "unattributed_cpu_seconds_total",
		   "wattlet_node_unattributed_cpu_seconds", COUNTER, "seconds",
		   "CPU time of tasks whose cgroup did not fit the map.");
	put_scalar(o, node, "facility_energy_joules_total", "wattlet_node_facility_energy_joules",
		   COUNTER, "joules", "Node facility energy, IT energy times PUE (--pue).");
	put_scalar(o, node, "gpu_energy_joules_total", "wattlet_node_gpu_energy_joules", COUNTER,
		   "joules", "Energy of the node's GPUs, part of its energy (GPU nodes).");
	put_scalar(o, node, "gpu_unattributed_energy_joules_total",
		   "wattlet_node_gpu_unattributed_energy_joules", COUNTER, "joules",
		   "Active GPU energy of no process the agent could place (GPU nodes).");
	put_scalar(o, node, "gpu_power_watts", "wattlet_node_gpu_power_watts", GAUGE, "watts",
		   "Power of the node's GPUs over the last interval (GPU nodes).");
	put_scalar(o, node, "gpu_seconds_total", "wattlet_node_gpu_seconds", COUNTER, "seconds",
		   "Busy-weighted GPU time of the node's processes (GPU nodes).");
	put_node_carbon(o, node);
}

/*
 * What the node is, as an info-style gauge of 1: its CPU, microarchitecture,
 * cloud and instance type (cpu_model.h), and the model row when its meter is
 * a model, so that a report from Prometheus can name how energy was modelled.
 */
static void put_platform(struct out *o, const json_t *node)
{
	static const char *const keys[] = { "cpu", "microarchitecture", "cloud", "instance_type" };
	const json_t *platform = json_object_get(node, "platform");
	struct strbuf lb = {};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (*str(platform, keys[i]))
			add_label(&lb, keys[i], str(platform, keys[i]));
	if (*str(node, "model"))
		add_label(&lb, "model", str(node, "model"));
	if (!lb.len)
		return;
	put_family(o, "wattlet_node_platform_info", GAUGE, NULL,
		   "The node's CPU, cloud and instance type, and the model row of a model meter.");
	put_sample(o, "wattlet_node_platform_info", "", lb.p, 1);
	free(lb.p);
}

static void put_zones(struct out *o, const json_t *node)
{
	struct level l = { .name = "zone", .noun = "meter zone", .figs = zone_figs };
	const json_t *z;
	size_t i;

	json_array_foreach(json_object_get(node, "zones"), i, z)
		level_addv(&l, z, "zone", str(z, "name"), "meter", str(z, "meter"), NULL);
	level_put(o, &l);
	level_free(&l);
}

/* Each GPU, labelled with its index, uuid, model and how it is measured. */
static void put_gpus(struct out *o, const json_t *node)
{
	struct level l = { .name = "gpu", .noun = "GPU", .figs = gpu_figs };
	const json_t *g;
	char idx[16];
	size_t i;

	json_array_foreach(json_object_get(node, "gpus"), i, g) {
		snprintf(idx, sizeof(idx), "%lld", json_integer_value(json_object_get(g, "index")));
		level_addv(&l, g, "gpu", idx, "uuid", str(g, "uuid"), "model", str(g, "name"),
			   "energy_source", str(g, "energy_source"), "busy_rule",
			   str(g, "busy_rule"), "idle_source", str(g, "idle_source"), NULL);
	}
	level_put(o, &l);
	o->b.err = o->b.err ?: l.err;
	level_free(&l);
}

/* Pods and, from their nested containers, containers. */
static void put_pods(struct out *o, const json_t *doc)
{
	struct level pods = { .name = "pod", .noun = "pod", .figs = workload_figs };
	struct level ctrs = { .name = "container", .noun = "container", .figs = workload_figs };
	const json_t *p, *c;
	size_t i, j;

	json_array_foreach(json_object_get(doc, "pods"), i, p) {
		const char *ns = str(p, "namespace"), *name = str(p, "name");

		level_addv(&pods, p, "namespace", ns, "pod", name, NULL);
		json_array_foreach(json_object_get(p, "containers"), j, c)
			level_addv(&ctrs, c, "namespace", ns, "pod", name, "container",
				   str(c, "name"), NULL);
	}
	level_put(o, &pods);
	level_put(o, &ctrs);
	o->b.err = o->b.err ?: pods.err ?: ctrs.err;
	level_free(&pods);
	level_free(&ctrs);
}

static void put_named(struct out *o, const json_t *arr, const char *name, const char *label)
{
	struct level l = { .name = name, .noun = label, .figs = workload_figs };
	const json_t *x;
	size_t i;

	json_array_foreach(arr, i, x)
		level_addv(&l, x, label, str(x, "name"), NULL);
	level_put(o, &l);
	o->b.err = o->b.err ?: l.err;
	level_free(&l);
}

static double key_of(const json_t *p, const char *key)
{
	double v = 0;

	num(p, key, &v);
	return v;
}

static int proc_cmp(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	double px = key_of(x, "power_watts"), py = key_of(y, "power_watts");
	double cx, cy;

	if (px != py)
		return px < py ? 1 : -1;
	cx = key_of(x, "cpu_seconds_total");
	cy = key_of(y, "cpu_seconds_total");
	return cx < cy ? 1 : cx > cy ? -1 : 0;
}

/* The top N processes by power, then CPU: opt-in, as processes are unbounded. */
static void put_processes(struct out *o, const json_t *doc, int top)
{
	struct level l = { .name = "process", .noun = "process", .figs = workload_figs };
	const json_t *arr = json_object_get(doc, "processes");
	size_t i, n = json_array_size(arr);
	const json_t **v;
	char pid[24];

	if (top <= 0 || !n)
		return;
	v = malloc(n * sizeof(*v));
	if (!v) {
		o->b.err = -ENOMEM;
		return;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), proc_cmp);
	for (i = 0; i < n && i < (size_t)top; i++) {
		snprintf(pid, sizeof(pid), "%lld", (long long)key_of(v[i], "pid"));
		level_addv(&l, v[i], "pid", pid, "comm", str(v[i], "comm"), "namespace",
			   str(v[i], "namespace"), "pod", str(v[i], "pod"), "container",
			   str(v[i], "container"), NULL);
	}
	free(v);
	level_put(o, &l);
	o->b.err = o->b.err ?: l.err;
	level_free(&l);
}

/* A bucket bound as OpenMetrics wants it: a float, "+Inf" for the last. */
static void le_format(char *buf, size_t sz, const json_t *le)
{
	double v = json_number_value(le);

	if (json_is_string(le) || !json_is_number(le) || isinf(v))
		snprintf(buf, sz, "+Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, sz, "%.1f", v);
	else
		snprintf(buf, sz, "%.15g", v);
}

static void put_histogram(struct out *o, const json_t *h)
{
	const char *name = "wattlet_collection_duration_seconds";
	const json_t *bk;
	char lb[64], le[32];
	double count = 0, sum = 0, c;
	bool inf = false;
	size_t i;

	if (!json_is_object(h))
		return;
	num(h, "sum", &sum);
	num(h, "count", &count);
	put_family(o, name, HISTOGRAM, "seconds", "Time taken by one collection.");
	json_array_foreach(json_object_get(h, "buckets"), i, bk) {
		le_format(le, sizeof(le), json_object_get(bk, "le"));
		inf |= !strcmp(le, "+Inf");
		c = key_of(bk, "count");
		snprintf(lb, sizeof(lb), "le=\"%s\"", le);
		put_sample(o, name, "_bucket", lb, c);
	}
	if (!inf)
		put_sample(o, name, "_bucket", "le=\"+Inf\"", count);
	put_sample(o, name, "_sum", NULL, sum);
	put_sample(o, name, "_count", NULL, count);
}

static void put_loss(struct out *o, const json_t *loss)
{
	const char *key;
	const json_t *v;
	char lb[160];

	if (!json_is_object(loss))
		return;
	put_family(
		o, "wattlet_bpf_overflow_drops", COUNTER, NULL,
		"Records the BPF side could not keep: full maps, missing thread state, full ring buffer.");
	json_object_foreach((json_t *)loss, key, v) {
		if (!strcmp(key, "processes_lost") || !json_is_number(v))
			continue;
		snprintf(lb, sizeof(lb), "kind=\"%.128s\"", key);
		put_sample(o, "wattlet_bpf_overflow_drops", "_total", lb, json_number_value(v));
	}
	put_scalar(o, loss, "processes_lost", "wattlet_processes_lost", COUNTER, NULL,
		   "Processes that vanished with no final record.");
}

static void put_agent(struct out *o, const json_t *doc)
{
	const json_t *agent = json_object_get(doc, "agent"), *node = json_object_get(doc, "node");
	struct strbuf lb = {};

	add_label(&lb, "version", str(agent, "version"));
	add_label(&lb, "attach", str(agent, "attach"));
	/* A gauge, not an OpenMetrics info family: promtool and text 0.0.4 know no info type. */
	put_family(o, "wattlet_build_info", GAUGE, NULL,
		   "The agent's version and how it attached.");
	put_sample(o, "wattlet_build_info", "", lb.p, 1);
	free(lb.p);

	put_scalar(o, agent, "collections_total", "wattlet_collections", COUNTER, NULL,
		   "Collections done.");
	put_scalar(o, agent, "last_collection_timestamp",
		   "wattlet_last_collection_timestamp_seconds", GAUGE, "seconds",
		   "Unix time at the end of the last collection.");
	put_histogram(o, json_object_get(agent, "collection_duration_seconds"));
	put_scalar(o, node, "processes", "wattlet_tracked_processes", GAUGE, NULL,
		   "Processes tracked.");
	put_scalar(o, node, "cgroups", "wattlet_tracked_cgroups", GAUGE, NULL, "Cgroups tracked.");
	put_scalar(o, node, "meter_errors_total", "wattlet_meter_read_errors", COUNTER, NULL,
		   "Energy meter readings rejected (garbage, backwards, absurd).");
	put_loss(o, json_object_get(node, "loss"));
}

int prom__render(const json_t *doc, const struct prom_opts *po, char **out, size_t *len)
{
	const json_t *node = json_object_get(doc, "node");
	struct out o = { .fmt = po->format };

	if (!json_is_object(doc))
		return -EINVAL;
	add_label(&o.node, "node", str(node, "name"));
	strbuf__reserve(&o.b, 64 * 1024);
	put_agent(&o, doc);
	put_node(&o, node);
	put_platform(&o, node);
	put_zones(&o, node);
	put_gpus(&o, node);
	put_pods(&o, doc);
	put_named(&o, json_object_get(doc, "namespaces"), "namespace", "namespace");
	put_named(&o, json_object_get(doc, "system"), "system", "workload");
	put_processes(&o, doc, po->process_top);
	if (o.fmt == PROM_OPENMETRICS)
		strbuf__puts(&o.b, "# EOF\n");
	free(o.node.p);
	if (o.b.err || o.node.err) {
		free(o.b.p);
		return o.b.err ?: o.node.err;
	}
	*out = o.b.p;
	*len = o.b.len;
	return 0;
}

const char *prom__content_type(enum prom_format format)
{
	return format == PROM_OPENMETRICS ?
		       "application/openmetrics-text; version=1.0.0; charset=utf-8" :
		       "text/plain; version=0.0.4; charset=utf-8";
}
