// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The document, top to bottom in its own order (docs/json.md): the node
 * (CPU from the collection, energy from attribution and the meter), the
 * cgroups and processes (CPU joined with their energy; processes named by
 * workloads), the Kubernetes workloads, and the agent itself.
 */
#include <stdlib.h>
#include <string.h>
#include "accounts.h"
#include "document.h"

#define UNKNOWN "unknown"

/* ---- figures, the same at every level ---- */

static double facility_joules(double joules, const struct options *o)
{
	return joules * o->pue;
}

/* Which figures the document carries: those the options (or the meter's zones) call for. */
static bool operational_on(const struct document_input *in)
{
	return in->intensity && in->intensity->enabled;
}

static bool embodied_on(const struct document_input *in)
{
	return in->attribution->embodied_rate > 0;
}

static bool dram_on(const struct document_input *in)
{
	return in->attribution->dram_share_by != NULL;
}

/* operational_, embodied_ and carbon_grams_total, as configured. */
static void put_carbon(json_t *obj, double operational, double embodied,
		       const struct document_input *in)
{
	if (operational_on(in))
		json_object_set_new(obj, "operational_carbon_grams_total", json_real(operational));
	if (embodied_on(in))
		json_object_set_new(obj, "embodied_carbon_grams_total", json_real(embodied));
	if (operational_on(in) || embodied_on(in))
		json_object_set_new(obj, "carbon_grams_total", json_real(operational + embodied));
}

static double rate(double amount, double interval_s)
{
	return interval_s > 0 ? amount / interval_s : 0;
}

/*
 * A workload's figures into obj: cpu_seconds_total, cpu_cores,
 * wakeups_total, context_switches_total, energy_joules_total, power_watts,
 * and, when configured, idle_energy_joules_total,
 * facility_energy_joules_total, dram_energy_joules_total,
 * operational_carbon_grams_total, embodied_carbon_grams_total and
 * carbon_grams_total (both kinds); where GPUs are measured
 * gpu_seconds_total, gpu_energy_joules_total and gpu_power_watts.
 */
static void put_figures(json_t *obj, const struct tally *t, const struct document_input *in)
{
	const struct options *o = in->opt;
	const struct cpu_figures *cpu = &t->total.cpu;
	const struct energy_figures *e = &t->total.energy;
	double joules = e->energy_joules, iv = in->collection->interval_s;

	json_object_set_new(obj, "cpu_seconds_total", json_real(cpu->cpu_seconds));
	json_object_set_new(obj, "cpu_cores", json_real(rate(t->delta.cpu.cpu_seconds, iv)));
	json_object_set_new(obj, "wakeups_total", json_integer(cpu->wakeups));
	json_object_set_new(obj, "context_switches_total", json_integer(cpu->context_switches));
	json_object_set_new(obj, "energy_joules_total", json_real(joules));
	json_object_set_new(obj, "power_watts", json_real(rate(t->delta.energy.energy_joules, iv)));
	if (in->gpu_attribution) {
		json_object_set_new(obj, "gpu_seconds_total", json_real(e->gpu_seconds));
		json_object_set_new(obj, "gpu_energy_joules_total",
				    json_real(e->gpu_energy_joules));
		json_object_set_new(obj, "gpu_power_watts",
				    json_real(rate(t->delta.energy.gpu_energy_joules, iv)));
	}
	if (o->idle_attribution == IDLE_CPU) {
		joules += e->idle_energy_joules;
		json_object_set_new(obj, "idle_energy_joules_total",
				    json_real(e->idle_energy_joules));
	}
	if (o->pue_set)
		json_object_set_new(obj, "facility_energy_joules_total",
				    json_real(facility_joules(joules, o)));
	if (dram_on(in))
		json_object_set_new(obj, "dram_energy_joules_total",
				    json_real(e->dram_energy_joules));
	put_carbon(obj, e->operational_carbon_grams, e->embodied_carbon_grams, in);
}

/* ---- the node: CPU and loss (collect) ---- */

static json_t *per_cpu_json(const struct node_cpu *n)
{
	json_t *arr = json_array();

	for (int i = 0; i < n->nr_cpus; i++)
		json_array_append_new(arr, json_pack("{s:i, s:f, s:f}", "cpu", i,
						     "busy_seconds_total", n->busy_total[i],
						     "idle_seconds_total", n->idle_total[i]));
	return arr;
}

static json_t *loss_json(const struct collection *col)
{
	const struct wl_stats *st = col->stats;

	/* one key and its value per line, which clang-format would pack */
	/* clang-format off */
	return json_pack("{s:I, s:I, s:I, s:I, s:I}",
			 "process_map_overflow", (json_int_t)st->proc_overflow,
			 "cgroup_map_overflow", (json_int_t)st->cgroup_overflow,
			 "thread_state_overflow", (json_int_t)st->thread_overflow,
			 "exit_records_dropped", (json_int_t)st->ringbuf_drops,
			 "processes_lost", (json_int_t)col->acc->lost_procs);
	/* clang-format on */
}

static void put_node_cpu(json_t *node, const struct collection *col)
{
	const struct node_cpu *n = col->cpu;
	double all = n->busy_delta_s + n->idle_delta_s;

	json_object_set_new(node, "cpus", json_integer(n->nr_cpus));
	json_object_set_new(node, "cpu_busy_seconds_total", json_real(n->busy_s));
	json_object_set_new(node, "cpu_idle_seconds_total", json_real(n->idle_s));
	json_object_set_new(node, "cpu_steal_seconds_total", json_real(n->steal_s));
	json_object_set_new(node, "cpu_utilisation",
			    json_real(all > 0 ? n->busy_delta_s / all : 0));
	json_object_set_new(node, "per_cpu", per_cpu_json(n));
	json_object_set_new(node, "tasks", json_integer(col->stats->tasks_seen));
	json_object_set_new(node, "processes", json_integer(col->acc->procs.len));
	json_object_set_new(node, "cgroups", json_integer(col->acc->cgroups.len));
	json_object_set_new(node, "unattributed_cpu_seconds_total",
			    json_real(col->unattributed_cpu_s));
	json_object_set_new(node, "loss", loss_json(col));
}

/* ---- the node: energy (meter, attribute) ---- */

static json_t *zones_json(const struct meter_reading *r)
{
	json_t *zones = json_array(), *z;

	for (int i = 0; r && i < r->nr_zones; i++) {
		z = json_object();
		json_object_set_new(z, "name", json_string(r->zones[i].name));
		json_object_set_new(z, "meter", json_string(r->meter));
		json_object_set_new(z, "joules_total", json_real(r->zones[i].joules_total));
		json_object_set_new(z, "watts", json_real(r->zones[i].watts));
		json_array_append_new(zones, z);
	}
	return zones;
}

/* ---- the node: GPUs (meter, attribute) ---- */

static json_t *gpu_json(const struct gpu_zone *z, const struct gpu_energy *e)
{
	json_t *g = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "index", z->index, "zone",
			      z->zone, "uuid", z->uuid, "name", z->name, "meter", "nvml",
			      "energy_source", z->energy_source, "busy_rule", z->busy_rule);

	if (!g)
		return NULL;
	if (z->rule_note[0])
		json_object_set_new(g, "rule_note", json_string(z->rule_note));
	json_object_set_new(g, "valid", json_boolean(z->valid));
	json_object_set_new(g, "joules_total", json_real(e->joules_total));
	json_object_set_new(g, "active_energy_joules_total", json_real(e->active_joules_total));
	json_object_set_new(g, "idle_energy_joules_total", json_real(e->idle_joules_total));
	json_object_set_new(g, "unattributed_energy_joules_total",
			    json_real(e->unattributed_joules_total));
	json_object_set_new(g, "gpu_seconds_total", json_real(e->busy_s_total));
	json_object_set_new(g, "power_watts", json_real(z->watts));
	json_object_set_new(g, "idle_watts", json_real(e->idle_watts));
	json_object_set_new(g, "idle_source", json_string(e->idle_source));
	json_object_set_new(g, "errors_total", json_integer(z->errors_total));
	return g;
}

/* Each GPU as a zone of its own, and the node's GPU fields. */
static void put_node_gpus(json_t *node, const struct document_input *in)
{
	const struct gpu_reading *r = in->gpu_reading;
	const struct attribution *at = in->attribution;
	json_t *gpus = json_array(), *zones = json_object_get(node, "zones");
	unsigned long long errors = 0;
	const struct gpu_zone *z;

	for (int i = 0; i < r->nr; i++) {
		z = &r->gpus[i];
		json_array_append_new(gpus, gpu_json(z, &in->gpu_attribution->gpus[i]));
		json_array_append_new(zones, json_pack("{s:s, s:s, s:f, s:f}", "name", z->zone,
						       "meter", "nvml", "joules_total",
						       z->joules_total, "watts", z->watts));
		errors += z->errors_total;
	}
	json_object_set_new(node, "gpu_energy_joules_total", json_real(at->gpu_joules_total));
	json_object_set_new(node, "gpu_active_energy_joules_total",
			    json_real(at->gpu_active_joules_total));
	json_object_set_new(node, "gpu_idle_energy_joules_total",
			    json_real(at->gpu_idle_joules_total));
	json_object_set_new(node, "gpu_unattributed_energy_joules_total",
			    json_real(at->gpu_unattributed_joules_total));
	json_object_set_new(node, "gpu_retired_energy_joules_total",
			    json_real(at->gpu_retired_joules_total));
	json_object_set_new(node, "gpu_seconds_total", json_real(at->gpu_seconds_total));
	json_object_set_new(node, "gpu_power_watts", json_real(at->gpu_power_watts));
	json_object_set_new(node, "gpu_in_platform_meter", json_boolean(at->gpu_in_platform));
	json_object_set_new(node, "gpu_errors_total", json_integer(errors));
	json_object_set_new(node, "gpus", gpus);
}

/* ---- the node: DRAM, carbon and the platform (meter, attribute) ---- */

/* The DRAM zones' active energy and where it went (attribution.h). */
static void put_node_dram(json_t *node, const struct document_input *in)
{
	const struct attribution *at = in->attribution;

	if (!dram_on(in))
		return;
	json_object_set_new(node, "dram_share_by", json_string(at->dram_share_by));
	json_object_set_new(node, "dram_active_energy_joules_total",
			    json_real(at->dram_active_joules_total));
	json_object_set_new(node, "unattributed_dram_energy_joules_total",
			    json_real(at->unattributed_dram_joules_total));
	json_object_set_new(node, "retired_dram_energy_joules_total",
			    json_real(at->retired_dram_joules_total));
}

/* The intensity in force in the interval, where it came from and how old it is. */
static void put_intensity(json_t *node, const struct intensity_state *is)
{
	json_object_set_new(node, "carbon_intensity_grams_per_kwh",
			    json_real(is->value.grams_per_kwh));
	json_object_set_new(node, "carbon_intensity_source", json_string(is->value.source));
	json_object_set_new(node, "carbon_intensity_stale", json_boolean(is->stale));
	if (!is->from_file)
		return;
	if (is->reloads)
		json_object_set_new(node, "carbon_intensity_timestamp",
				    json_real(is->value.timestamp));
	json_object_set_new(node, "carbon_intensity_age_seconds", json_real(is->age_s));
	json_object_set_new(node, "carbon_intensity_max_age_seconds", json_real(is->max_age_s));
	json_object_set_new(node, "carbon_intensity_file_errors_total", json_integer(is->errors));
}

/* A kind of carbon's buckets: <part>_<kind>_carbon_grams_total. */
static void put_buckets(json_t *node, const char *kind, const struct carbon_buckets *b,
			double expired)
{
	char key[64];

	snprintf(key, sizeof(key), "unattributed_%s_carbon_grams_total", kind);
	json_object_set_new(node, key, json_real(b->unattributed));
	snprintf(key, sizeof(key), "idle_%s_carbon_grams_total", kind);
	json_object_set_new(node, key, json_real(b->idle));
	snprintf(key, sizeof(key), "retired_%s_carbon_grams_total", kind);
	json_object_set_new(node, key, json_real(b->retired));
	/* of pods and system workloads removed after --retain, as for energy */
	snprintf(key, sizeof(key), "expired_%s_carbon_grams_total", kind);
	json_object_set_new(node, key, json_real(expired));
}

static void put_node_carbon(json_t *node, const struct document_input *in)
{
	const struct attribution *at = in->attribution;

	if (operational_on(in)) {
		put_intensity(node, in->intensity);
		put_buckets(node, "operational", &at->operational,
			    in->workloads->expired_operational_grams);
	}
	if (embodied_on(in)) {
		json_object_set_new(node, "embodied_carbon_grams_per_second",
				    json_real(at->embodied_rate));
		put_buckets(node, "embodied", &at->embodied, in->workloads->expired_embodied_grams);
	}
	put_carbon(node, at->operational.total, at->embodied.total, in);
}

/* The CPU and cloud the agent runs on (cpu_model.h), and the model's row if it is one. */
static void put_platform(json_t *node, const struct document_input *in)
{
	const struct cpu_model *p = in->platform;

	if (in->reading && in->reading->model)
		json_object_set_new(node, "model", json_string(in->reading->model));
	if (!p)
		return;
	/* one key and its value per line, which clang-format would pack */
	/* clang-format off */
	json_object_set_new(node, "platform",
			    json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "cpu", p->cpu,
				      "microarchitecture", p->uarch[0] ? p->uarch : NULL,
				      "cloud", p->cloud[0] ? p->cloud : NULL,
				      "instance_type", p->instance_type[0] ? p->instance_type : NULL,
				      "sys_vendor", p->sys_vendor[0] ? p->sys_vendor : NULL,
				      "product_name", p->product_name[0] ? p->product_name : NULL));
	/* clang-format on */
}

static void put_node_energy(json_t *node, const struct document_input *in)
{
	const struct attribution *at = in->attribution;
	const struct options *o = in->opt;
	double joules = at->energy_joules_total;

	json_object_set_new(node, "meter", json_string(meter__name(in->meter)));
	put_platform(node, in);
	json_object_set_new(node, "energy_joules_total", json_real(joules));
	json_object_set_new(node, "active_energy_joules_total", json_real(at->active_joules_total));
	json_object_set_new(node, "idle_energy_joules_total", json_real(at->idle_joules_total));
	json_object_set_new(node, "unattributed_energy_joules_total",
			    json_real(at->unattributed_joules_total));
	/* energy of cgroups no longer reported: keeps the sum checkable */
	json_object_set_new(node, "retired_energy_joules_total",
			    json_real(at->retired_joules_total));
	json_object_set_new(node, "power_watts", json_real(at->power_watts));
	json_object_set_new(node, "zones", zones_json(in->reading));
	if (o->pue_set) {
		json_object_set_new(node, "pue", json_real(o->pue));
		json_object_set_new(node, "facility_energy_joules_total",
				    json_real(facility_joules(joules, o)));
	}
	put_node_dram(node, in);
	put_node_carbon(node, in);
	json_object_set_new(node, "meter_errors_total", json_integer(meter__errors(in->meter)));
	if (in->gpu_reading && in->gpu_attribution)
		put_node_gpus(node, in);
}

/* ---- cgroups and processes (collect + attribute, named by workloads) ---- */

static json_t *cgroups_json(const struct document_input *in)
{
	const struct accounts *acc = in->collection->acc;
	json_t *arr = json_array();
	size_t pos = 0;
	__u64 id;
	void *val;

	while (idmap__next(&acc->cgroups, &pos, &id, &val)) {
		const struct cgroup_account *cg = val;
		struct tally t =
			tally__join(&cg->cpu, attribution__cgroup(in->attribution, cg->id));
		json_t *o = json_pack("{s:I, s:s?}", "id", (json_int_t)cg->id, "path", cg->path);

		put_figures(o, &t, in);
		json_array_append_new(arr, o);
	}
	return arr;
}

static bool active(const struct proc_account *p)
{
	const struct cpu_figures *d = &p->cpu.delta;

	return p->exited || d->cpu_seconds > 0 || d->wakeups || d->context_switches;
}

static double activity(const struct proc_account *p)
{
	return p->cpu.delta.cpu_seconds + p->cpu.delta.wakeups * 1e-9;
}

static int by_activity(const void *a, const void *b)
{
	double x = activity(*(struct proc_account *const *)a);
	double y = activity(*(struct proc_account *const *)b);

	return x > y ? -1 : x < y ? 1 : 0;
}

/* The processes active in the interval (or exited in it), busiest first, at most limit. */
static const struct proc_account **listed(const struct accounts *acc, __u32 limit, size_t *n,
					  size_t *unlisted)
{
	const struct proc_account **v = malloc((acc->procs.len + 1) * sizeof(*v));
	size_t pos = 0;
	__u64 key;
	void *val;

	*n = 0;
	while (v && idmap__next(&acc->procs, &pos, &key, &val))
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

static void set_label(json_t *o, const char *key, const char *val)
{
	if (val)
		json_object_set_new(o, key, json_string(val));
}

static json_t *process_json(const struct proc_account *p, const struct document_input *in)
{
	const struct energy_tally *e = attribution__process(in->attribution, proc_account__key(p));
	const char *ns, *pod, *ctr;
	/* a comm that is not valid UTF-8 cannot be a JSON string */
	json_t *comm = json_string(p->comm) ?: json_string("?"), *o;
	struct tally t = tally__join(&p->cpu, e);

	o = json_pack("{s:i, s:o, s:I, s:s}", "pid", p->pid, "comm", comm, "cgroup_id",
		      (json_int_t)p->cgroup_id, "state", p->exited ? "exited" : "running");
	if (!o)
		return NULL;
	put_figures(o, &t, in);
	workloads__label(in->workloads, p->cgroup_id, &ns, &pod, &ctr);
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
static json_t *processes_json(const struct document_input *in, json_t *node)
{
	size_t n, unlisted;
	const struct proc_account **v =
		listed(in->collection->acc, in->opt->max_listed_processes, &n, &unlisted);
	json_t *arr = json_array();

	for (size_t i = 0; v && i < n; i++)
		json_array_append_new(arr, process_json(v[i], in));
	json_object_set_new(node, "processes_unlisted", json_integer(unlisted));
	free(v);
	return arr;
}

/* ---- Kubernetes workloads (name) ---- */

static const char *or_unknown(const char *s)
{
	return s[0] ? s : UNKNOWN;
}

static const char *state(const struct workload *w)
{
	return workload__terminated(w) ? "terminated" : "running";
}

/* The elements of a list as a sorted array (NULL: out of memory); *nr gets its length. */
static const struct workload **sorted(const struct workload *head,
				      int (*cmp)(const void *, const void *), size_t *nr)
{
	const struct workload **arr;
	size_t i = 0;

	*nr = 0;
	for (const struct workload *w = head; w; w = w->next)
		(*nr)++;
	arr = malloc((*nr + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	for (const struct workload *w = head; w; w = w->next)
		arr[i++] = w;
	qsort(arr, *nr, sizeof(*arr), cmp);
	return arr;
}

static int container_cmp(const void *a, const void *b)
{
	const struct container *x = container_of_workload(*(const struct workload *const *)a);
	const struct container *y = container_of_workload(*(const struct workload *const *)b);
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->id, y->id);
}

static int pod_cmp(const void *a, const void *b)
{
	const struct pod *x = pod_of(*(const struct workload *const *)a);
	const struct pod *y = pod_of(*(const struct workload *const *)b);
	int r = strcmp(or_unknown(x->ns_name), or_unknown(y->ns_name));

	if (!r)
		r = strcmp(or_unknown(x->name), or_unknown(y->name));
	return r ? r : strcmp(x->uid, y->uid);
}

static int system_cmp(const void *a, const void *b)
{
	return strcmp(system_of(*(const struct workload *const *)a)->name,
		      system_of(*(const struct workload *const *)b)->name);
}

/* Named containers only: the pause container and helpers count to the pod alone. */
static json_t *containers_json(const struct pod *p, const struct document_input *in)
{
	json_t *arr = json_array(), *o;
	const struct workload **v;
	const struct container *c;
	size_t n;

	v = sorted(p->ctrs, container_cmp, &n);
	for (size_t i = 0; v && i < n; i++) {
		c = container_of_workload(v[i]);
		if (!c->name[0])
			continue;
		o = json_pack("{s:s, s:s, s:s}", "name", c->name, "id", c->id, "state",
			      state(v[i]));
		put_figures(o, &v[i]->tally, in);
		json_array_append_new(arr, o);
	}
	free(v);
	return arr;
}

static json_t *pod_json(const struct pod *p, const struct document_input *in)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "namespace", or_unknown(p->ns_name), "name",
			      or_unknown(p->name), "uid", p->uid, "state", state(&p->base));

	put_figures(o, &p->base.tally, in);
	json_object_set_new(o, "containers", containers_json(p, in));
	return o;
}

static json_t *pods_json(const struct document_input *in)
{
	json_t *arr = json_array();
	const struct workload **v;
	size_t n;

	v = sorted(in->workloads->pods, pod_cmp, &n);
	for (size_t i = 0; v && i < n; i++)
		json_array_append_new(arr, pod_json(pod_of(v[i]), in));
	free(v);
	return arr;
}

static json_t *systems_json(const struct document_input *in)
{
	json_t *arr = json_array(), *o;
	const struct workload **v;
	size_t n;

	v = sorted(in->workloads->systems, system_cmp, &n);
	for (size_t i = 0; v && i < n; i++) {
		o = json_pack("{s:s}", "name", system_of(v[i])->name);
		put_figures(o, &v[i]->tally, in);
		json_array_append_new(arr, o);
	}
	free(v);
	return arr;
}

static int namespace_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct namespace *const *)a)->name,
		      (*(const struct namespace *const *)b)->name);
}

static json_t *namespaces_json(const struct document_input *in)
{
	const struct namespace **v;
	json_t *arr = json_array(), *o;
	size_t nr = 0, i = 0;

	for (const struct namespace *ns = in->workloads->nss; ns; ns = ns->next)
		nr++;
	v = malloc((nr + 1) * sizeof(*v));
	if (!v)
		return arr;
	for (const struct namespace *ns = in->workloads->nss; ns; ns = ns->next)
		v[i++] = ns;
	qsort(v, nr, sizeof(*v), namespace_cmp);
	for (i = 0; i < nr; i++) {
		o = json_pack("{s:s}", "name", v[i]->name);
		put_figures(o, &v[i]->tally, in);
		json_array_append_new(arr, o);
	}
	free(v);
	return arr;
}

/* ---- the agent ---- */

static json_t *histogram_json(const struct histogram *h)
{
	json_t *buckets = json_array(), *le;

	for (int i = 0; i <= h->nr_bounds; i++) {
		le = i < h->nr_bounds ? json_real(h->bounds[i]) : json_string("+Inf");
		json_array_append_new(buckets, json_pack("{s:o, s:I}", "le", le, "count",
							 (json_int_t)h->buckets[i]));
	}
	return json_pack("{s:f, s:I, s:o}", "sum", h->sum, "count", (json_int_t)h->count, "buckets",
			 buckets);
}

static json_t *agent_json(const struct agent_status *a)
{
	json_t *counters = json_array();

	for (int slot = 0; slot < a->nr_counters; slot++)
		json_array_append_new(counters, json_string(a->counters[slot]->name));
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:f, s:I, s:f, s:o}", "version", a->version,
			 "attach", a->raw_tp ? "raw_tp" : "tp_btf", "thread_state",
			 a->task_storage ? "task_storage" : "thread_hash", "cpu_times",
			 a->kcpustat ? "kcpustat" : "proc_stat", "counters", counters, "start_time",
			 a->start_time, "collections_total", (json_int_t)a->durations->count,
			 "last_collection_timestamp", a->last_collection_timestamp,
			 "collection_duration_seconds", histogram_json(a->durations));
}

/* ---- the document ---- */

static json_t *node_json(const struct document_input *in, json_t **processes)
{
	json_t *node = json_pack("{s:s}", "name", in->opt->node_name);

	if (!node)
		return NULL;
	put_node_cpu(node, in->collection);
	/* the listing says how many processes it left out, in the node */
	*processes = processes_json(in, node);
	put_node_energy(node, in);
	/* energy of pods and system workloads removed after --retain: keeps the sum checkable */
	json_object_set_new(node, "expired_energy_joules_total",
			    json_real(in->workloads->expired_joules));
	return node;
}

json_t *document__build(const struct document_input *in)
{
	json_t *processes = NULL, *node = node_json(in, &processes);
	json_t *doc;

	if (!node) {
		json_decref(processes);
		return NULL;
	}
	doc = json_pack("{s:f, s:f, s:o}", "timestamp", in->timestamp, "interval_seconds",
			in->collection->interval_s, "node", node);
	if (!doc) {
		json_decref(processes);
		return NULL;
	}
	json_object_set_new(doc, "cgroups", cgroups_json(in));
	json_object_set_new(doc, "processes", processes);
	json_object_set_new(doc, "pods", pods_json(in));
	json_object_set_new(doc, "namespaces", namespaces_json(in));
	json_object_set_new(doc, "system", systems_json(in));
	json_object_set_new(doc, "agent", agent_json(in->agent));
	return doc;
}
