// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Figures shared by every workload level, as JSON. */
#include "report.h"

#define JOULES_PER_KWH 3.6e6

double report__facility_joules(double joules, const struct options *o)
{
	return joules * o->pue;
}

double report__carbon_grams(double joules, const struct options *o)
{
	return report__facility_joules(joules, o) / JOULES_PER_KWH * o->carbon_intensity;
}

void report__figures(json_t *obj, const struct tally *t, const struct report_ctx *ctx)
{
	const struct options *o = ctx->opt;
	double joules = t->total.energy_joules;

	json_object_set_new(obj, "cpu_seconds_total", json_real(t->total.cpu_seconds));
	json_object_set_new(obj, "cpu_cores",
			    json_real(ctx->interval_s > 0 ? t->delta.cpu_seconds / ctx->interval_s : 0));
	json_object_set_new(obj, "wakeups_total", json_integer(t->total.wakeups));
	json_object_set_new(obj, "context_switches_total",
			    json_integer(t->total.context_switches));
	json_object_set_new(obj, "energy_joules_total", json_real(joules));
	json_object_set_new(obj, "power_watts",
			    json_real(ctx->interval_s > 0 ?
					      t->delta.energy_joules / ctx->interval_s : 0));
	if (o->idle_attribution == IDLE_CPU) {
		joules += t->total.idle_energy_joules;
		json_object_set_new(obj, "idle_energy_joules_total",
				    json_real(t->total.idle_energy_joules));
	}
	if (o->pue_set)
		json_object_set_new(obj, "facility_energy_joules_total",
				    json_real(report__facility_joules(joules, o)));
	if (o->carbon_intensity >= 0)
		json_object_set_new(obj, "carbon_grams_total",
				    json_real(report__carbon_grams(joules, o)));
}
