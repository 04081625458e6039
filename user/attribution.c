// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Energy attribution: idle and active split, shares for cgroups and
 * processes, the unattributed bucket, and the node's energy figures.
 * The unattributed part is computed as what is left of the active energy
 * once the cgroups have their shares, so the parts add up to the whole.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "attribution.h"
#include "report.h"

void attribution__init(struct attribution *at, const struct options *o, int cycles_slot)
{
	memset(at, 0, sizeof(*at));
	at->cycles_slot = cycles_slot < WL_MAX_COUNTERS ? cycles_slot : -1;
}

/* ---- idle power ---- */

static void learn(struct attribution *at, double watts)
{
	at->learn[at->next_learn] = watts;
	at->next_learn = (at->next_learn + 1) % ATTRIBUTION_LEARN_WINDOW;
	if (at->nr_learn < ATTRIBUTION_LEARN_WINDOW)
		at->nr_learn++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* A low percentile (nearest rank) of the power seen so far. */
static double learned_idle(const struct attribution *at)
{
	double sorted[ATTRIBUTION_LEARN_WINDOW];
	int rank;

	memcpy(sorted, at->learn, at->nr_learn * sizeof(sorted[0]));
	qsort(sorted, at->nr_learn, sizeof(sorted[0]), cmp_double);
	rank = (int)ceil(ATTRIBUTION_LEARN_PERCENTILE / 100.0 * at->nr_learn) - 1;
	return sorted[rank < 0 ? 0 : rank];
}

static double idle_watts(const struct attribution *at, const struct meter_reading *r,
			 const struct options *o)
{
	if (o->idle_watts >= 0)
		return o->idle_watts;
	if (r->idle_watts_hint >= 0)
		return r->idle_watts_hint;
	return learned_idle(at);
}

/* ---- shares ---- */

struct share {
	bool cycles;		/* weights are cycles, not CPU seconds */
	int idx;		/* cycles counter index */
	double active_pool;	/* active energy for the tracked cgroups */
	double idle_pool;	/* idle energy for them, --idle-attribution cpu */
	double weight_sum;	/* of all cgroups */
};

static double cgroup_weight(const struct cgroup_account *c, const struct share *s)
{
	return s->cycles ? (double)c->counters_delta[s->idx] : c->tally.delta.cpu_seconds;
}

static double proc_weight(const struct proc_account *p, const struct share *s)
{
	return s->cycles ? (double)p->counters_delta[s->idx] : p->tally.delta.cpu_seconds;
}

/* How much of the node's energy the cgroups get, and by what weight. */
static void share__plan(struct share *s, const struct attribution *at, double active,
			double idle, double node_busy_s, const struct accounts *acc,
			const struct options *o)
{
	double cpu_sum = 0, cycles_sum = 0, part;
	const struct cgroup_account *c;
	size_t pos = 0;
	__u64 key;
	void *val;

	memset(s, 0, sizeof(*s));
	s->idx = at->cycles_slot;
	while (idmap__next(&acc->cgroups, &pos, &key, &val)) {
		c = val;
		cpu_sum += c->tally.delta.cpu_seconds;
		if (s->idx >= 0)
			cycles_sum += c->counters_delta[s->idx];
	}
	/* busy time no cgroup accounts for is unattributed */
	part = node_busy_s > cpu_sum ? cpu_sum / node_busy_s : (cpu_sum > 0 ? 1 : 0);
	s->cycles = o->share_by == SHARE_CYCLES && s->idx >= 0 && cycles_sum > 0;
	s->weight_sum = s->cycles ? cycles_sum : cpu_sum;
	s->active_pool = active * part;
	if (o->idle_attribution == IDLE_CPU)
		s->idle_pool = idle * part;
}

/* Give each cgroup its share; returns the active energy handed out. */
static double share__cgroups(const struct share *s, struct accounts *acc)
{
	struct cgroup_account *c;
	double given = 0, w;
	struct figures f;
	size_t pos = 0;
	__u64 key;
	void *val;

	if (!(s->weight_sum > 0))
		return 0;
	while (idmap__next(&acc->cgroups, &pos, &key, &val)) {
		c = val;
		w = cgroup_weight(c, s);
		if (!(w > 0))
			continue;
		f = (struct figures){
			.energy_joules = s->active_pool * (w / s->weight_sum),
			.idle_energy_joules = s->idle_pool * (w / s->weight_sum),
		};
		tally__add(&c->tally, &f);
		given += f.energy_joules;
	}
	return given;
}

struct proc_sum {
	double weight;
};

/* Sum of the process weights per cgroup, in sums (indexed by the map). */
static int sum_procs(const struct share *s, const struct accounts *acc, struct idmap *map,
		     struct proc_sum *sums)
{
	const struct proc_account *p;
	struct proc_sum *sum;
	size_t pos = 0, n = 0;
	__u64 key;
	void *val;

	while (idmap__next(&acc->procs, &pos, &key, &val)) {
		p = val;
		if (!idmap__get(&acc->cgroups, p->cgroup_id))
			continue;
		sum = idmap__get(map, p->cgroup_id);
		if (!sum) {
			sum = &sums[n++];
			if (idmap__put(map, p->cgroup_id, sum))
				return -1;
		}
		sum->weight += proc_weight(p, s);
	}
	return 0;
}

/* Each process: its cgroup's energy * its weight / the cgroup's weight. */
static void share__procs(const struct share *s, struct accounts *acc)
{
	const struct cgroup_account *c;
	const struct proc_sum *sum;
	struct idmap map = { 0 };
	struct proc_account *p;
	struct proc_sum *sums;
	double w, denom;
	struct figures f;
	size_t pos = 0;
	__u64 key;
	void *val;

	sums = calloc(acc->cgroups.len + 1, sizeof(*sums));
	if (!sums || sum_procs(s, acc, &map, sums))
		goto out_free;
	while (idmap__next(&acc->procs, &pos, &key, &val)) {
		p = val;
		c = idmap__get(&acc->cgroups, p->cgroup_id);
		sum = idmap__get(&map, p->cgroup_id);
		w = proc_weight(p, s);
		if (!c || !sum || !(w > 0))
			continue;
		denom = fmax(cgroup_weight(c, s), sum->weight);
		f = (struct figures){
			.energy_joules = c->tally.delta.energy_joules * (w / denom),
			.idle_energy_joules = c->tally.delta.idle_energy_joules * (w / denom),
		};
		tally__add(&p->tally, &f);
	}
out_free:
	idmap__free(&map);
	free(sums);
}

/* ---- the interval ---- */

static void begin_interval(struct attribution *at)
{
	at->energy_joules = at->active_joules = at->idle_joules = 0;
	at->unattributed_joules = 0;
}

void attribution__apply(struct attribution *at, const struct meter_reading *r,
			double node_busy_s, struct accounts *acc, const struct options *o)
{
	double watts, given;
	struct share s;

	begin_interval(at);
	if (!r || !r->valid || !(r->span_s > 0))
		return;
	watts = r->joules / r->span_s;
	learn(at, watts);
	at->idle_watts = idle_watts(at, r, o);
	at->energy_joules = r->joules;
	at->idle_joules = fmin(fmax(at->idle_watts * r->span_s, 0), r->joules);
	at->active_joules = r->joules - at->idle_joules;

	share__plan(&s, at, at->active_joules, at->idle_joules, node_busy_s, acc, o);
	given = share__cgroups(&s, acc);
	share__procs(&s, acc);
	at->unattributed_joules = fmax(at->active_joules - given, 0);

	at->power_watts = watts;
	at->energy_joules_total += at->energy_joules;
	at->active_joules_total += at->active_joules;
	at->idle_joules_total += at->idle_joules;
	at->unattributed_joules_total += at->unattributed_joules;
}

void attribution__retire(struct attribution *at, const struct cgroup_account *c)
{
	if (c)
		at->retired_joules_total += c->tally.total.energy_joules;
}

void attribution__retire_cb(void *at, const struct cgroup_account *c)
{
	attribution__retire(at, c);
}

/* ---- output ---- */

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

void attribution__to_json(const struct attribution *at, const struct meter *m,
			  const struct meter_reading *r, json_t *node, const struct options *o)
{
	double joules = at->energy_joules_total;

	json_object_set_new(node, "meter", json_string(meter__name(m)));
	json_object_set_new(node, "energy_joules_total", json_real(joules));
	json_object_set_new(node, "active_energy_joules_total",
			    json_real(at->active_joules_total));
	json_object_set_new(node, "idle_energy_joules_total", json_real(at->idle_joules_total));
	json_object_set_new(node, "unattributed_energy_joules_total",
			    json_real(at->unattributed_joules_total));
	/* energy of cgroups no longer reported: keeps the sum checkable */
	json_object_set_new(node, "retired_energy_joules_total",
			    json_real(at->retired_joules_total));
	json_object_set_new(node, "power_watts", json_real(at->power_watts));
	json_object_set_new(node, "zones", zones_json(r));
	if (o->pue_set) {
		json_object_set_new(node, "pue", json_real(o->pue));
		json_object_set_new(node, "facility_energy_joules_total",
				    json_real(report__facility_joules(joules, o)));
	}
	if (o->carbon_intensity >= 0) {
		json_object_set_new(node, "carbon_intensity_grams_per_kwh",
				    json_real(o->carbon_intensity));
		json_object_set_new(node, "carbon_grams_total",
				    json_real(report__carbon_grams(joules, o)));
	}
	json_object_set_new(node, "meter_errors_total", json_integer(meter__errors(m)));
}
