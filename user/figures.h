/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The figures every workload level carries (process, cgroup, container,
 * pod, namespace, system workload, node), as totals and per-interval deltas.
 * Two stages make them: the collector counts CPU (cpu_figures, in the
 * accounts) and attribution gives energy (energy_figures, in its own
 * results); the later stages join the two into figures.
 */
#ifndef __WATTLET_FIGURES_H
#define __WATTLET_FIGURES_H

#include <linux/types.h>

/* What the kernel counted: the collect stage's part. */
struct cpu_figures {
	double cpu_seconds;
	__u64 wakeups;
	__u64 context_switches;
};

/* What attribution gave: the attribute stage's part. */
struct energy_figures {
	double energy_joules;		 /* attributed active energy, GPUs' included */
	double idle_energy_joules;	 /* attributed idle, --idle-attribution cpu */
	double gpu_seconds;		 /* busy-weighted GPU time (user/gpu.h) */
	double gpu_energy_joules;	 /* the GPU part of energy_joules */
	double dram_energy_joules;	 /* the part of energy_joules from DRAM zones */
	double operational_carbon_grams; /* facility energy x the intensity in force */
	double embodied_carbon_grams;	 /* SCI's M: the node's embodied share by CPU time */
};

/* Both, as workloads add them up and the document reports them. */
struct figures {
	struct cpu_figures cpu;
	struct energy_figures energy;
};

/* Running totals and what the last interval added, of each kind. */
struct cpu_tally {
	struct cpu_figures total;
	struct cpu_figures delta;
};

struct energy_tally {
	struct energy_figures total;
	struct energy_figures delta;
};

struct tally {
	struct figures total;
	struct figures delta;
};

static inline void cpu_figures__add(struct cpu_figures *dst, const struct cpu_figures *src)
{
	dst->cpu_seconds += src->cpu_seconds;
	dst->wakeups += src->wakeups;
	dst->context_switches += src->context_switches;
}

static inline void energy_figures__add(struct energy_figures *dst, const struct energy_figures *src)
{
	dst->energy_joules += src->energy_joules;
	dst->idle_energy_joules += src->idle_energy_joules;
	dst->gpu_seconds += src->gpu_seconds;
	dst->gpu_energy_joules += src->gpu_energy_joules;
	dst->dram_energy_joules += src->dram_energy_joules;
	dst->operational_carbon_grams += src->operational_carbon_grams;
	dst->embodied_carbon_grams += src->embodied_carbon_grams;
}

static inline void figures__add(struct figures *dst, const struct figures *src)
{
	cpu_figures__add(&dst->cpu, &src->cpu);
	energy_figures__add(&dst->energy, &src->energy);
}

/* A workload's figures from its CPU and its energy (NULL: none given). */
static inline struct figures figures__join(const struct cpu_figures *c,
					   const struct energy_figures *e)
{
	return (struct figures){
		.cpu = *c,
		.energy = e ? *e : (struct energy_figures){ 0 },
	};
}

/* Start a new interval: delta becomes empty, total stays. */
static inline void cpu_tally__begin(struct cpu_tally *t)
{
	t->delta = (struct cpu_figures){ 0 };
}

static inline void energy_tally__begin(struct energy_tally *t)
{
	t->delta = (struct energy_figures){ 0 };
}

static inline void tally__begin(struct tally *t)
{
	t->delta = (struct figures){ 0 };
}

/* Add one interval's delta. */
static inline void cpu_tally__add(struct cpu_tally *t, const struct cpu_figures *d)
{
	cpu_figures__add(&t->delta, d);
	cpu_figures__add(&t->total, d);
}

static inline void energy_tally__add(struct energy_tally *t, const struct energy_figures *d)
{
	energy_figures__add(&t->delta, d);
	energy_figures__add(&t->total, d);
}

static inline void tally__add(struct tally *t, const struct figures *d)
{
	figures__add(&t->delta, d);
	figures__add(&t->total, d);
}

/* A workload's tally from its CPU and its energy (NULL: none given). */
static inline struct tally tally__join(const struct cpu_tally *c, const struct energy_tally *e)
{
	return (struct tally){
		.total = figures__join(&c->total, e ? &e->total : NULL),
		.delta = figures__join(&c->delta, e ? &e->delta : NULL),
	};
}

#endif /* __WATTLET_FIGURES_H */
