/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The JSON document of one interval: the one serializer behind the JSON
 * Lines output, the HTTP API and /metrics (which reads this document).
 */
#ifndef __WATTLET_REPORT_H
#define __WATTLET_REPORT_H

#include <jansson.h>
#include "figures.h"
#include "options.h"

struct report_ctx {
	const struct options *opt;
	double interval_s;	/* measured length of the interval just ended */
};

/*
 * Add a workload's figures to obj: cpu_seconds_total, cpu_cores, wakeups_total,
 * context_switches_total, energy_joules_total, power_watts, and, when
 * configured, idle_energy_joules_total, facility_energy_joules_total and
 * carbon_grams_total. Every level (process to namespace) uses this.
 */
void report__figures(json_t *obj, const struct tally *t, const struct report_ctx *ctx);

/* Facility energy and carbon for an amount of IT energy, per the options. */
double report__facility_joules(double joules, const struct options *o);
double report__carbon_grams(double joules, const struct options *o);

#endif /* __WATTLET_REPORT_H */
