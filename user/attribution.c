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

void attribution__init(struct attribution *at, const struct options *o, int cycles_slot)
{
	memset(at, 0, sizeof(*at));
	at->cycles_slot = cycles_slot < WL_MAX_COUNTERS ? cycles_slot : -1;
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
	double active_pool;	/* active energy for the tracked cgroups */
	double idle_pool;	/* idle energy for them, --idle-attribution cpu */
	double weight_sum;	/* of all cgroups */
};

static double cgroup_weight(const struct cgroup_account *c, const struct share *s)
{
	return s->cycles ? (double)c->counters_delta[s->idx] : c->cpu.delta.cpu_seconds;
}

static double proc_weight(const struct proc_account *p, const struct share *s)
{
	return s->cycles ? (double)p->counters_delta[s->idx] : p->cpu.delta.cpu_seconds;
}

/* Add f to the share of key in m, making the entry on its first energy. */
static int give(struct idmap *m, __u64 key, const struct energy_figures *f)
{
	struct energy_tally *t = idmap__get(m, key);

	if (!t && !(f->energy_joules > 0) && !(f->idle_energy_joules > 0) && !(f->gpu_seconds > 0))
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

/* How much of the node's energy the cgroups get, and by what weight. */
static void share_plan(struct share *s, const struct attribution *at, double active,
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
		cpu_sum += c->cpu.delta.cpu_seconds;
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
static double share_cgroups(struct attribution *at, const struct share *s,
			    const struct accounts *acc)
{
	const struct cgroup_account *c;
	struct energy_figures f;
	double given = 0, w;
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
		f = (struct energy_figures){
			.energy_joules = s->active_pool * (w / s->weight_sum),
			.idle_energy_joules = s->idle_pool * (w / s->weight_sum),
		};
		/* out of memory: the share stays unattributed, the sums still add up */
		if (give(&at->cgroups, c->id, &f))
			continue;
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
static void share_procs(struct attribution *at, const struct share *s,
			const struct accounts *acc)
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
		f = (struct energy_figures){
			.energy_joules = ce->delta.energy_joules * (w / denom),
			.idle_energy_joules = ce->delta.idle_energy_joules * (w / denom),
		};
		give(&at->procs, key, &f);
	}
out_free:
	idmap__free(&map);
	free(sums);
}

/* ---- the interval ---- */

/* The collection dropped these accounts: their shares go, a cgroup's energy to retired. */
static void retire(struct attribution *at, const struct retired *retired)
{
	struct energy_tally *t;

	for (size_t i = 0; i < retired->cgroups.len; i++) {
		t = idmap__del(&at->cgroups, retired->cgroups.keys[i]);
		if (t) {
			at->retired_joules_total += t->total.energy_joules;
			at->gpu_retired_joules_total += t->total.gpu_energy_joules;
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
	at->unattributed_joules = 0;
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

/* Each placed process's GPU share into its own and its cgroup's energy. */
static void give_gpu(struct attribution *at, const struct gpu_attribution *ga)
{
	const struct gpu_share *s;
	struct energy_figures f;

	for (unsigned int i = 0; ga && i < ga->nr_shares; i++) {
		s = &ga->shares[i];
		if (!s->placed)
			continue;
		f = (struct energy_figures){ .energy_joules = s->joules,
					     .gpu_energy_joules = s->joules,
					     .gpu_seconds = s->busy_s };
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

void attribution__apply(struct attribution *at, const struct meter_reading *r,
			const struct gpu_attribution *ga, const struct collection *col,
			const struct options *o)
{
	const struct accounts *acc = col->acc;
	struct gpu_sums g = gpu_sums(ga);
	double cpu_active = 0, cpu_idle = 0, given = 0;
	struct share s;

	begin_interval(at, acc);
	at->gpu_in_platform = ga && r && meter__covers_platform(r);
	if (r && r->valid && r->span_s > 0) {
		idle_learner__observe(&at->learner, r->joules / r->span_s);
		split_node(at, r, &g, o, &cpu_active, &cpu_idle);
		share_plan(&s, at, cpu_active, cpu_idle, col->cpu->busy_delta_s, acc, o);
		given = share_cgroups(at, &s, acc);
		share_procs(at, &s, acc);
		at->power_watts = at->energy_joules / r->span_s;
	} else {
		/* the meter's reading was rejected; the GPUs' still counts */
		at->energy_joules = g.joules;
		at->idle_joules = g.idle;
		at->active_joules = g.active;
		if (at->gpu_in_platform)
			at->gpu_carry_joules += g.joules;
	}
	/* after share_procs, which splits each cgroup's CPU share among its processes */
	give_gpu(at, ga);
	at->unattributed_joules = fmax(cpu_active - given, 0) + g.unattributed;
	if (ga)
		add_gpu_totals(at, &g, col->interval_s);

	at->energy_joules_total += at->energy_joules;
	at->active_joules_total += at->active_joules;
	at->idle_joules_total += at->idle_joules;
	at->unattributed_joules_total += at->unattributed_joules;
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
