// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The utilisation model, for machines with no energy sensor (most VMs):
 *   P = vcpus * (idle_w + (max_w - idle_w) * utilisation) + mem_gib * w_per_gib
 * idle_w and max_w per vCPU come from the Cloud Carbon Footprint row of this
 * CPU's microarchitecture (cpu_model.c; CCF's average, 0.74 W and 3.5 W, for
 * a CPU it does not know), or --model-cpu's row, or the flags; 0.392 W per
 * GiB is CCF's memory coefficient. Its idle term (vcpus * idle_w + the
 * memory term) is handed on as the node's idle power.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu_model.h"
#include "meter.h"

struct model {
	double idle_w;
	double max_w;
	double w_per_gib;
	char name[48]; /* "ccf:cascade-lake", "custom" with the flags */
};

/* The row for this CPU, or --model-cpu's; the flags override its watts. why: how. */
static void choose(struct model *m, const struct options *o, char *why, size_t size)
{
	struct cpu_model cpu;
	char dmi[PATH_MAX + 16];

	snprintf(dmi, sizeof(dmi), "%s/class/dmi/id", o->sysfs_root);
	cpu_model__detect(&cpu, "/proc/cpuinfo", dmi);
	if (strcmp(o->model_cpu, "auto") && !cpu_model__use_row(&cpu, o->model_cpu))
		snprintf(cpu.why, sizeof(cpu.why), "--model-cpu %s%s%s%s", o->model_cpu,
			 cpu.table[0] ? ", CCF's " : "", cpu.table, cpu.table[0] ? " table" : "");
	m->idle_w = o->model_idle_w >= 0 ? o->model_idle_w : cpu.idle_w;
	m->max_w = o->model_max_w >= 0 ? o->model_max_w : cpu.max_w;
	m->w_per_gib = o->model_w_per_gib;
	if (o->model_idle_w >= 0 || o->model_max_w >= 0) {
		snprintf(m->name, sizeof(m->name), "custom");
		snprintf(why, size, "--model-idle-watts/--model-max-watts over %s", cpu.name);
	} else {
		snprintf(m->name, sizeof(m->name), "%s", cpu.name);
		snprintf(why, size, "%s", cpu.why);
	}
}

static int model_open(void **priv, const struct options *o, struct meter_fault *why)
{
	char how[sizeof(((struct cpu_model *)0)->why) + 64];
	struct model *m;

	m = calloc(1, sizeof(*m));
	if (!m) {
		meter__fault(why, METER_GARBAGE, "out of memory");
		return -ENOMEM;
	}
	choose(m, o, how, sizeof(how));
	if (!(m->idle_w >= 0) || !(m->max_w >= m->idle_w) || !(m->w_per_gib >= 0)) {
		meter__fault(why, METER_GARBAGE,
			     "model needs 0 <= idle watts (%g) <= max watts (%g) per vCPU "
			     "and --model-watts-per-gib >= 0",
			     m->idle_w, m->max_w);
		free(m);
		return -EINVAL;
	}
	fprintf(stderr, "wattlet: model: %s, %g W idle and %g W max per vCPU (%s)\n", m->name,
		m->idle_w, m->max_w, how);
	*priv = m;
	return 0;
}

static int model_read(void *priv, const struct meter_input *in, struct meter_reading *out,
		      struct meter_fault *fault)
{
	const struct model *m = priv;
	struct meter_zone *z = &out->zones[0];
	double util = in->utilisation, idle_w;

	out->model = m->name;
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
