// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Energy attribution: idle and active split, shares for cgroups and
 * processes, the unattributed bucket, and the node's energy figures.
 * The unattributed part is computed as what is left of the active energy
 * once the cgroups have their shares, so the parts add up to the whole.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "accounts.h"
#include "attribution.h"
#include "carbon.h"

void attribution__init(struct attribution *at, const struct options *o, int cycles_slot)
{
	memset(at, 0, sizeof(*at));
	at->cycles_slot = cycles_slot < WL_MAX_COUNTERS ? cycles_slot : -1;
	at->embodied_rate = carbon__embodied_rate(o->embodied_kgco2e, o->lifetime_years);
}

/* ---- idle power ---- */

static double idle_watts(const struct attribution *at, const struct meter_reading *r,
			 const struct options *o)
{
	if (o->idle_watts >= 0)
		return o->idle_watts;
	if (r->idle_watts_hint >= 0)
		return r->idle_watts_hint;
	return idle_learner__watts(&at->learner);
}

/* ---- shares ---- */

struct share {
	bool cycles;		/* weights are cycles, not CPU seconds */
	int idx;		/* cycles counter index */
	double weight_sum;	/* of all cgroups */
	double cpu_pool;	/* active energy shared by weight (all, or all but DRAM's) */
	double dram_cpu_pool;	/* the DRAM part of cpu_pool, when DRAM goes by CPU */
	double dram_pool;	/* DRAM active energy shared by memory */
	double mem_denom;	/* bytes the DRAM pool is shared over */
	double idle_pool;	/* idle energy for the cgroups, --idle-attribution cpu */
	double grams_per_joule; /* operational carbon, 0 when off */
	struct embodied_split embodied;
};

/* What the cgroups handed out this interval, to leave the rest in the buckets. */
struct given {
	double active, idle, dram, embodied;
};

static double cgroup_weight(const struct cgroup_account *c, const struct share *s)
{
	return s->cycles ? (double)c->counters_delta[s->idx] : c->cpu.delta.cpu_seconds;
}

static double proc_weight(const struct proc_account *p, const struct share *s)
{
	return s->cycles ? (double)p->counters_delta[s->idx] : p->cpu.delta.cpu_seconds;
}

static bool anything(const struct energy_figures *f)
{
	return f->energy_joules > 0 || f->idle_energy_joules > 0 || f->gpu_seconds > 0 ||
	       f->dram_energy_joules > 0 || f->operational_carbon_grams > 0 ||
	       f->embodied_carbon_grams > 0;
}

/* Add f to the share of key in m, making the entry on its first energy or carbon. */
static int give(struct idmap *m, __u64 key, const struct energy_figures *f)
{
	struct energy_tally *t = idmap__get(m, key);

	if (!t && !anything(f))
		return 0;
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || idmap__put(m, key, t)) {
			free(t);
			return -ENOMEM;
		}
	}
	energy_tally__add(t, f);
	return 0;
}

/* The DRAM zones' energy in a reading: zones marked dram that count in the node. */
static double dram_joules(const struct meter_reading *r, bool *has_dram)
{
	double j = 0;

	*has_dram = false;
	for (int i = 0; i < r->nr_zones; i++) {
		if (r->zones[i].dram && r->zones[i].in_node_total) {
			j += r->zones[i].joules;
			*has_dram = true;
		}
	}
	return j;
}

/* Bytes the DRAM pool is shared over: memory in use, or all the cgroups hold if more. */
static double memory_denominator(const struct memory_sample *mem, const struct accounts *acc)
{
	double sum = 0, bytes;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&acc->cgroups, &pos, &key, &val))
		if (memory_sample__own(mem, key, &bytes))
			sum += bytes;
	return fmax(mem->used_bytes, sum);
}

/*
 * The CPU side's pools: DRAM by memory when there are figures, the rest by
 * CPU or cycles. The reading's DRAM is active in the reading's proportion.
 */
static void plan_energy(struct share *s, struct attribution *at, const struct attribution_input *in,
			double cpu_active, double cpu_idle, double cpu_sum, const struct options *o)
{
	const struct collection *col = in->collection;
	const struct meter_reading *r = in->reading;
	const struct memory_sample *mem = in->memory;
	double busy = col->cpu->busy_delta_s, part, dram = 0;
	bool has_dram = false, by_memory;

	if (r->joules > 0)
		dram = fmin(dram_joules(r, &has_dram) * cpu_active / r->joules, cpu_active);
	at->dram_active_joules = dram;
	by_memory = has_dram && mem && mem->taken;
	if (has_dram)
		at->dram_share_by = by_memory ? "memory" : "cpu";
	if (by_memory) {
		s->dram_pool = dram;
		s->mem_denom = memory_denominator(mem, col->acc);
	}
	/* busy time no cgroup accounts for is unattributed */
	part = busy > cpu_sum ? cpu_sum / busy : (cpu_sum > 0 ? 1 : 0);
	s->cpu_pool = (cpu_active - s->dram_pool) * part;
	s->dram_cpu_pool = by_memory ? 0 : dram * part;
	if (o->idle_attribution == IDLE_CPU)
		s->idle_pool = cpu_idle * part;
}

/* How much of the node's energy and carbon the cgroups get, and by what weight. */
static void share_plan(struct share *s, struct attribution *at, const struct attribution_input *in,
		       const double *cpu_energy, const struct options *o)
{
	const struct collection *col = in->collection;
	double cpu_sum = 0, cycles_sum = 0;
	const struct cgroup_account *c;
	size_t pos = 0;
	__u64 key;
	void *val;

	memset(s, 0, sizeof(*s));
	s->idx = at->cycles_slot;
	while (idmap__next(&col->acc->cgroups, &pos, &key, &val)) {
		c = val;
		cpu_sum += c->cpu.delta.cpu_seconds;
		if (s->idx >= 0)
			cycles_sum += c->counters_delta[s->idx];
	}
	s->cycles = o->share_by == SHARE_CYCLES && s->idx >= 0 && cycles_sum > 0;
	s->weight_sum = s->cycles ? cycles_sum : cpu_sum;
	carbon__embodied_split(&s->embodied, at->embodied_rate, col->interval_s, col->cpu->nr_cpus,
			       col->cpu->busy_delta_s, cpu_sum);
	if (in->intensity && in->intensity->enabled)
		s->grams_per_joule =
			carbon__grams_per_joule(o->pue, in->intensity->value.grams_per_kwh);
	if (cpu_energy)
		plan_energy(s, at, in, cpu_energy[0], cpu_energy[1], cpu_sum, o);
}

/* One cgroup's share of everything on the CPU side this interval. */
static struct energy_figures cgroup_share(const struct cgroup_account *c, const struct share *s,
					  const struct memory_sample *mem)
{
	double w = cgroup_weight(c, s), frac = s->weight_sum > 0 && w > 0 ? w / s->weight_sum : 0;
	struct energy_figures f = {
		.energy_joules = s->cpu_pool * frac,
		.idle_energy_joules = s->idle_pool * frac,
		.dram_energy_joules = s->dram_cpu_pool * frac,
		.embodied_carbon_grams =
			s->embodied.grams_per_cpu_second * c->cpu.delta.cpu_seconds,
	};
	double bytes;

	if (s->dram_pool > 0 && s->mem_denom > 0 && memory_sample__own(mem, c->id, &bytes)) {
		f.dram_energy_joules = s->dram_pool * (bytes / s->mem_denom);
		f.energy_joules += f.dram_energy_joules;
	}
	f.operational_carbon_grams = s->grams_per_joule * (f.energy_joules + f.idle_energy_joules);
	return f;
}

/* Give each cgroup its share; g gets what was handed out. */
static void share_cgroups(struct attribution *at, const struct share *s,
			  const struct attribution_input *in, struct given *g)
{
	const struct cgroup_account *c;
	struct energy_figures f;
	size_t pos = 0;
	__u64 key;
	void *val;

	*g = (struct given){ 0 };
	while (idmap__next(&in->collection->acc->cgroups, &pos, &key, &val)) {
		c = val;
		f = cgroup_share(c, s, in->memory);
		/* out of memory: the share stays unattributed, the sums still add up */
		if (!anything(&f) || give(&at->cgroups, c->id, &f))
			continue;
		g->active += f.energy_joules;
		g->idle += f.idle_energy_joules;
		g->dram += f.dram_energy_joules;
		g->embodied += f.embodied_carbon_grams;
	}
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

/* A part of a cgroup's interval figures (before its GPU shares are added). */
static struct energy_figures scaled(const struct energy_figures *d, double frac)
{
	return (struct energy_figures){
		.energy_joules = d->energy_joules * frac,
		.idle_energy_joules = d->idle_energy_joules * frac,
		.dram_energy_joules = d->dram_energy_joules * frac,
		.operational_carbon_grams = d->operational_carbon_grams * frac,
		.embodied_carbon_grams = d->embodied_carbon_grams * frac,
	};
}

/* Each process: its cgroup's share * its weight / the cgroup's weight. */
static void share_procs(struct attribution *at, const struct share *s, const struct accounts *acc)
{
	const struct energy_tally *ce;
	const struct cgroup_account *c;
	const struct proc_account *p;
	const struct proc_sum *sum;
	struct idmap map = { 0 };
	struct energy_figures f;
	struct proc_sum *sums;
	double w, denom;
	size_t pos = 0;
	__u64 key;
	void *val;

	sums = calloc(acc->cgroups.len + 1, sizeof(*sums));
	if (!sums || sum_procs(s, acc, &map, sums))
		goto out_free;
	while (idmap__next(&acc->procs, &pos, &key, &val)) {
		p = val;
		c = idmap__get(&acc->cgroups, p->cgroup_id);
		ce = idmap__get(&at->cgroups, p->cgroup_id);
		sum = idmap__get(&map, p->cgroup_id);
		w = proc_weight(p, s);
		if (!c || !ce || !sum || !(w > 0))
			continue;
		denom = fmax(cgroup_weight(c, s), sum->weight);
		f = scaled(&ce->delta, w / denom);
		give(&at->procs, key, &f);
	}
out_free:
	idmap__free(&map);
	free(sums);
}

/* ---- the interval ---- */

/* The collection dropped these accounts: their shares go, a cgroup's to the retired buckets. */
static void retire(struct attribution *at, const struct retired *retired)
{
	struct energy_tally *t;

	for (size_t i = 0; i < retired->cgroups.len; i++) {
		t = idmap__del(&at->cgroups, retired->cgroups.keys[i]);
		if (t) {
			at->retired_joules_total += t->total.energy_joules;
			at->gpu_retired_joules_total += t->total.gpu_energy_joules;
			at->retired_dram_joules_total += t->total.dram_energy_joules;
			at->operational.retired += t->total.operational_carbon_grams;
			at->embodied.retired += t->total.embodied_carbon_grams;
		}
		free(t);
	}
	for (size_t i = 0; i < retired->procs.len; i++)
		free(idmap__del(&at->procs, retired->procs.keys[i]));
}

static void begin_shares(struct idmap *m)
{
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(m, &pos, &key, &val))
		energy_tally__begin(val);
}

static void begin_interval(struct attribution *at, const struct accounts *acc)
{
	at->energy_joules = at->active_joules = at->idle_joules = 0;
	at->unattributed_joules = at->dram_active_joules = 0;
	retire(at, &acc->retired);
	begin_shares(&at->cgroups);
	begin_shares(&at->procs);
}

/* ---- GPUs ---- */

/* This interval's GPU figures, summed over the GPUs. */
struct gpu_sums {
	double joules, active, idle, unattributed, busy_s;
};

static struct gpu_sums gpu_sums(const struct gpu_attribution *ga)
{
	struct gpu_sums s = { 0 };

	for (int i = 0; ga && i < ga->nr; i++) {
		s.joules += ga->gpus[i].joules;
		s.active += ga->gpus[i].active_joules;
		s.idle += ga->gpus[i].idle_joules;
		s.unattributed += ga->gpus[i].unattributed_joules;
		s.busy_s += ga->gpus[i].busy_s;
	}
	return s;
}

/* Each placed process's GPU share, with its carbon, into its own and its cgroup's. */
static void give_gpu(struct attribution *at, const struct gpu_attribution *ga, double k)
{
	const struct gpu_share *s;
	struct energy_figures f;

	for (unsigned int i = 0; ga && i < ga->nr_shares; i++) {
		s = &ga->shares[i];
		if (!s->placed)
			continue;
		f = (struct energy_figures){ .energy_joules = s->joules,
					     .gpu_energy_joules = s->joules,
					     .gpu_seconds = s->busy_s,
					     .operational_carbon_grams = k * s->joules };
		/* out of memory: that share is lost to both sides alike */
		give(&at->procs, s->proc_key, &f);
		give(&at->cgroups, s->cgroup_id, &f);
	}
}

static void add_gpu_totals(struct attribution *at, const struct gpu_sums *g, double span_s)
{
	at->gpu_joules_total += g->joules;
	at->gpu_active_joules_total += g->active;
	at->gpu_idle_joules_total += g->idle;
	at->gpu_unattributed_joules_total += g->unattributed;
	at->gpu_seconds_total += g->busy_s;
	at->gpu_power_watts = span_s > 0 ? g->joules / span_s : 0;
}

/* ---- the interval ---- */

/*
 * The node's idle and active energy of a valid reading, GPUs included, and
 * what of it the CPU side shares (cpu_active, cpu_idle).
 */
static void split_node(struct attribution *at, const struct meter_reading *r,
		       const struct gpu_sums *g, const struct options *o, double *cpu_active,
		       double *cpu_idle)
{
	double energy;

	at->idle_watts = idle_watts(at, r, o);
	if (!at->gpu_in_platform) {
		*cpu_idle = fmin(fmax(at->idle_watts * r->span_s, 0), r->joules);
		*cpu_active = r->joules - *cpu_idle;
		at->energy_joules = r->joules + g->joules;
		at->idle_joules = *cpu_idle + g->idle;
		at->active_joules = *cpu_active + g->active;
		return;
	}
	/* the GPUs are inside the platform's reading: only their active part is carved out */
	energy = fmax(r->joules - at->gpu_carry_joules, 0);
	at->gpu_carry_joules = 0;
	at->idle_joules = fmin(fmax(at->idle_watts * r->span_s, 0), energy);
	at->active_joules = fmax(energy - at->idle_joules, g->active);
	at->idle_joules = fmax(energy - at->active_joules, 0);
	at->energy_joules = at->idle_joules + at->active_joules;
	*cpu_active = at->active_joules - g->active;
	*cpu_idle = at->idle_joules;
}

/* What the cgroups were not given stays at the node, in its buckets. */
static void add_carbon(struct attribution *at, const struct share *s, const struct given *g)
{
	double k = s->grams_per_joule;

	at->operational.total += k * at->energy_joules;
	at->operational.unattributed += k * at->unattributed_joules;
	at->operational.idle += k * fmax(at->idle_joules - g->idle, 0);

	at->embodied.total += s->embodied.node_grams;
	at->embodied.unattributed += s->embodied.unattributed_grams;
	/* the share of tracked cgroups that got none (out of memory) stays idle */
	at->embodied.idle +=
		fmax(s->embodied.node_grams - s->embodied.unattributed_grams - g->embodied, 0);
}

void attribution__apply(struct attribution *at, const struct attribution_input *in,
			const struct options *o)
{
	const struct meter_reading *r = in->reading;
	const struct gpu_attribution *ga = in->gpus;
	const struct accounts *acc = in->collection->acc;
	struct gpu_sums g = gpu_sums(ga);
	double cpu_energy[2] = { 0, 0 }; /* the CPU side's active and idle */
	struct given given;
	struct share s;

	begin_interval(at, acc);
	at->gpu_in_platform = ga && r && meter__covers_platform(r);
	if (r && r->valid && r->span_s > 0) {
		idle_learner__observe(&at->learner, r->joules / r->span_s);
		split_node(at, r, &g, o, &cpu_energy[0], &cpu_energy[1]);
		share_plan(&s, at, in, cpu_energy, o);
		at->power_watts = at->energy_joules / r->span_s;
	} else {
		/* the meter's reading was rejected; the GPUs' still counts */
		at->energy_joules = g.joules;
		at->idle_joules = g.idle;
		at->active_joules = g.active;
		if (at->gpu_in_platform)
			at->gpu_carry_joules += g.joules;
		share_plan(&s, at, in, NULL, o);
	}
	share_cgroups(at, &s, in, &given);
	share_procs(at, &s, acc);
	/* after share_procs, which splits each cgroup's CPU share among its processes */
	give_gpu(at, ga, s.grams_per_joule);
	at->unattributed_joules = fmax(cpu_energy[0] - given.active, 0) + g.unattributed;
	if (ga)
		add_gpu_totals(at, &g, in->collection->interval_s);

	at->energy_joules_total += at->energy_joules;
	at->active_joules_total += at->active_joules;
	at->idle_joules_total += at->idle_joules;
	at->unattributed_joules_total += at->unattributed_joules;
	at->dram_active_joules_total += at->dram_active_joules;
	at->unattributed_dram_joules_total += fmax(at->dram_active_joules - given.dram, 0);
	add_carbon(at, &s, &given);
}

const struct energy_tally *attribution__cgroup(const struct attribution *at, __u64 cgroup_id)
{
	return idmap__get(&at->cgroups, cgroup_id);
}

const struct energy_tally *attribution__process(const struct attribution *at, __u64 proc_key)
{
	return idmap__get(&at->procs, proc_key);
}

static void free_shares(struct idmap *m)
{
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(m, &pos, &key, &val))
		free(val);
	idmap__free(m);
}

void attribution__free(struct attribution *at)
{
	free_shares(&at->cgroups);
	free_shares(&at->procs);
}
