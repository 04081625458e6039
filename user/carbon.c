// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Carbon arithmetic: operational grams per joule, embodied rate and its split. */
#include <math.h>
#include "carbon.h"

double carbon__grams_per_joule(double pue, double grams_per_kwh)
{
	return pue * grams_per_kwh / CARBON_JOULES_PER_KWH;
}

double carbon__embodied_rate(double kgco2e, double lifetime_years)
{
	if (!(kgco2e > 0) || !(lifetime_years > 0))
		return 0;
	return kgco2e * 1000 / (lifetime_years * CARBON_SECONDS_PER_YEAR);
}

void carbon__embodied_split(struct embodied_split *s, double rate, double span_s, int nr_cpus,
			    double node_busy_s, double tracked_cpu_s)
{
	double capacity, untracked;

	*s = (struct embodied_split){ 0 };
	if (!(rate > 0) || !(span_s > 0))
		return;
	s->node_grams = rate * span_s;
	tracked_cpu_s = fmax(tracked_cpu_s, 0);
	untracked = fmax(node_busy_s - tracked_cpu_s, 0);
	capacity = fmax(nr_cpus * span_s, tracked_cpu_s + untracked);
	if (!(capacity > 0)) {
		s->idle_grams = s->node_grams;
		return;
	}
	s->grams_per_cpu_second = s->node_grams / capacity;
	s->unattributed_grams = s->grams_per_cpu_second * untracked;
	/* what is left, so the three parts add up to the node */
	s->idle_grams = fmax(
		s->node_grams - s->grams_per_cpu_second * tracked_cpu_s - s->unattributed_grams, 0);
}
