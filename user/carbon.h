/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Carbon arithmetic, the way the Green Software Foundation's Software
 * Carbon Intensity (ISO/IEC 21031:2024) counts it: SCI = (E x I) + M.
 *
 * Operational: E x I, with E the facility energy (IT energy x PUE) of each
 * interval and I the grid intensity in force in that interval.
 *
 * Embodied: M = TE x (TiR / EL) x (RR / ToR), per interval:
 *   TE / EL   the node's embodied grams per second: --embodied-kgco2e over
 *             --lifetime-years (default 4: Cloud Carbon Footprint's
 *             commodity rack server lifespan, RACK_SERVER_LIFESPAN in
 *             ccf-coefficients' ccfcoef/constants.py);
 *   TiR       the interval;
 *   RR / ToR  the workload's CPU seconds over the node's CPU capacity
 *             (CPUs x interval): the resource it used, not what it reserved.
 * The node's whole M is shared out each interval: to workloads by CPU
 * time, CPU time of no tracked cgroup to an unattributed bucket and
 * capacity nobody used to an idle bucket, so the parts add up to the node.
 */
#ifndef __WATTLET_CARBON_H
#define __WATTLET_CARBON_H

#define CARBON_JOULES_PER_KWH	      3.6e6
#define CARBON_SECONDS_PER_YEAR	      (365.25 * 86400) /* Julian year */
#define CARBON_DEFAULT_LIFETIME_YEARS 4.0

/* Grams CO2e per joule of IT energy: pue x grams_per_kwh / 3.6e6. */
double carbon__grams_per_joule(double pue, double grams_per_kwh);
/* The node's embodied grams per second: kgco2e x 1000 / (years x seconds per year). */
double carbon__embodied_rate(double kgco2e, double lifetime_years);

/* One interval's embodied carbon and how it is shared. */
struct embodied_split {
	double node_grams;	     /* rate x interval */
	double grams_per_cpu_second; /* a workload's share: this x its CPU seconds */
	double unattributed_grams;   /* busy CPU of no tracked cgroup */
	double idle_grams;	     /* capacity nobody used */
};

/*
 * Split rate x span_s for a node of nr_cpus whose kernel counted
 * node_busy_s busy and whose tracked cgroups ran tracked_cpu_s. When the
 * measured CPU exceeds the capacity (tick sampling, a late interval), the
 * capacity is taken as the larger figure, so shares never exceed the node.
 */
void carbon__embodied_split(struct embodied_split *s, double rate, double span_s, int nr_cpus,
			    double node_busy_s, double tracked_cpu_s);

#endif /* __WATTLET_CARBON_H */
