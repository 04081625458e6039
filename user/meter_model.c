// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The utilisation model, for machines with no energy sensor (most VMs):
 *   P = vcpus * (idle_w + (max_w - idle_w) * utilisation) + mem_gib * w_per_gib
 * Defaults are Cloud Carbon Footprint's published averages: 0.74 W idle and
 * 3.5 W at full load per vCPU, 0.392 W per GiB of memory. Its idle term
 * (vcpus * idle_w + the memory term) is handed on as the node's idle power.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meter.h"

struct model {
	double idle_w;
	double max_w;
	double w_per_gib;
};

static int model_open(void **priv, const struct options *o, struct meter_fault *why)
{
	struct model *m;

	if (!(o->model_idle_w >= 0) || !(o->model_max_w >= o->model_idle_w) ||
	    !(o->model_w_per_gib >= 0)) {
		meter__fault(why, METER_GARBAGE,
			     "model needs 0 <= --model-idle-watts <= --model-max-watts "
			     "and --model-watts-per-gib >= 0");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		meter__fault(why, METER_GARBAGE, "out of memory");
		return -ENOMEM;
	}
	m->idle_w = o->model_idle_w;
	m->max_w = o->model_max_w;
	m->w_per_gib = o->model_w_per_gib;
	*priv = m;
	return 0;
}

static int model_read(void *priv, const struct meter_input *in, struct meter_reading *out,
		      struct meter_fault *fault)
{
	const struct model *m = priv;
	struct meter_zone *z = &out->zones[0];
	double util = in->utilisation, idle_w;

	out->nr_zones = 1;
	snprintf(z->name, sizeof(z->name), "model");
	z->in_node_total = true;
	z->joules = 0;
	if (!isfinite(util) || util < -1e-9 || util > 1 + 1e-9)
		return meter__fault(fault, METER_GARBAGE, "utilisation %g is not in 0..1", util);
	if (in->nr_cpus <= 0 || !(in->mem_gib >= 0) || !isfinite(in->mem_gib))
		return meter__fault(fault, METER_GARBAGE, "%d cpus and %g GiB", in->nr_cpus,
				    in->mem_gib);
	util = fmin(fmax(util, 0), 1);
	idle_w = in->nr_cpus * m->idle_w + in->mem_gib * m->w_per_gib;
	out->idle_watts_hint = idle_w;
	z->joules = (idle_w + in->nr_cpus * (m->max_w - m->idle_w) * util) * in->interval_s;
	out->span_s = in->interval_s;
	return 0;
}

static void model_close(void *priv)
{
	free(priv);
}

const struct meter_ops meter_model_ops = {
	.name = "model",
	.open = model_open,
	.read = model_read,
	.close = model_close,
};
