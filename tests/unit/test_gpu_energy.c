// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GPU energy in the node's: added to a CPU-side meter's energy, carved out
 * of a platform meter's (psys, power_meter) that already holds it; each
 * process's GPU share in its own and its cgroup's energy; retirement; and
 * both conservation identities. GPU readings are made by hand here (the
 * NVML side is tests/unit/test_gpu.c's).
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "attribution.h"
#include "collector.h"

#define REL 1e-9

struct fixture {
	struct options o;
	struct accounts acc;
	struct node_cpu cpu; /* only busy_delta_s matters here */
	struct attribution at;
	struct gpu_attribution *ga;
	struct gpu_reading gr;
	struct gpu_proc procs[8];
	struct wl_cgroup cg[16];
	struct wl_proc pr[64];
	struct intensity_state is; /* 360 g/kWh all along: 1e-4 g per J */
};

#define GRAMS_PER_JOULE (360 / 3.6e6)

static int setup(void **state)
{
	char *argv[] = { "wattlet", "--gpu-idle-watts", "10", "--idle-watts", "20" };
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(options__parse(&f->o, 5, argv), 0);
	attribution__init(&f->at, &f->o, -1);
	assert_int_equal(gpu_attribution__new(&f->ga, &f->o), 0);
	f->is = (struct intensity_state){ .enabled = true, .value.grams_per_kwh = 360 };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gpu_attribution__free(f->ga);
	attribution__free(&f->at);
	accounts__free(&f->acc);
	free(f);
	return 0;
}

static void assert_rel(double got, double want)
{
	double scale = fmax(fabs(want), 1.0);

	if (fabs(got - want) / scale > REL)
		fail_msg("got %.17g want %.17g", got, want);
}

static void cgroup_runs(struct fixture *f, __u64 id, double cpu_s)
{
	f->cg[id].usage.cpu_ns += (__u64)llround(cpu_s * 1e9);
	assert_int_equal(accounts__cgroup(&f->acc, id, &f->cg[id]), 0);
}

static void proc_runs(struct fixture *f, __u32 pid, __u64 cgroup, double cpu_s)
{
	f->pr[pid].start_ns = 1000 + pid;
	f->pr[pid].cgroup_id = cgroup;
	f->pr[pid].usage.cpu_ns += (__u64)llround(cpu_s * 1e9);
	assert_int_equal(accounts__proc(&f->acc, pid, &f->pr[pid], false), 0);
}

static const struct energy_tally none;

/* A tracked cgroup's energy (zero when attribution gave it none). */
static const struct energy_tally *cgroup(struct fixture *f, __u64 id)
{
	const struct energy_tally *e = attribution__cgroup(&f->at, id);

	return e ? e : &none;
}

static const struct energy_tally *proc(struct fixture *f, __u32 pid)
{
	const struct energy_tally *e =
		attribution__process(&f->at, ((__u64)(1000 + pid) << 32) | pid);

	return e ? e : &none;
}

/* A CPU-side reading (zone package-0), or a platform one (zone psys). */
static struct meter_reading reading(double joules, const char *zone)
{
	struct meter_reading r = { .meter = "rapl",
				   .valid = true,
				   .joules = joules,
				   .span_s = 1,
				   .idle_watts_hint = -1,
				   .nr_zones = 1 };

	snprintf(r.zones[0].name, sizeof(r.zones[0].name), "%s", zone);
	r.zones[0].joules = joules;
	r.zones[0].in_node_total = true;
	return r;
}

/* One GPU, 1 s: joules, its processes' busy seconds (pid, busy, pid, busy, ..., 0). */
static void gpu_interval(struct fixture *f, double joules, ...)
{
	struct gpu_zone *z = &f->gr.gpus[0];
	va_list ap;
	__u32 pid;

	f->gr.nr = 1;
	*z = (struct gpu_zone){ .zone = "gpu-0",
				.valid = true,
				.joules = joules,
				.span_s = 1,
				.watts = joules,
				.procs = f->procs };
	va_start(ap, joules);
	while ((pid = va_arg(ap, __u32)))
		f->procs[z->nr_procs++] =
			(struct gpu_proc){ .pid = pid, .busy_s = va_arg(ap, double) };
	va_end(ap);
}

/* Attribute one interval: accounts already fed, GPU reading made; node busy time busy_s. */
static void attribute(struct fixture *f, const struct meter_reading *r, double busy_s)
{
	struct collection col = { .interval_s = 1, .cpu = &f->cpu, .acc = &f->acc };
	struct attribution_input in = {
		.reading = r, .gpus = f->ga, .collection = &col, .intensity = &f->is
	};

	f->cpu.busy_delta_s = busy_s;
	assert_int_equal(gpu_attribution__apply(f->ga, &f->gr, &f->acc), 0);
	attribution__apply(&f->at, &in, &f->o);
}

/* The live cgroups' totals: all their energy, or its GPU part. */
static double cgroup_sum(struct fixture *f, bool gpu)
{
	double sum = 0;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&f->at.cgroups, &pos, &key, &val)) {
		const struct energy_figures *t = &((struct energy_tally *)val)->total;

		sum += gpu ? t->gpu_energy_joules : t->energy_joules;
	}
	return sum;
}

static double cgroup_carbon(struct fixture *f)
{
	double sum = 0;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&f->at.cgroups, &pos, &key, &val))
		sum += ((struct energy_tally *)val)->total.operational_carbon_grams;
	return sum;
}

static void assert_conserved(struct fixture *f)
{
	const struct attribution *at = &f->at;

	assert_rel(cgroup_sum(f, false) + at->retired_joules_total + at->unattributed_joules_total,
		   at->active_joules_total);
	assert_rel(at->active_joules_total + at->idle_joules_total, at->energy_joules_total);
	assert_rel(cgroup_sum(f, true) + at->gpu_retired_joules_total +
			   at->gpu_unattributed_joules_total,
		   at->gpu_active_joules_total);
	/* the GPUs' energy carries carbon like the rest: the node's is all its energy's (in J) */
	assert_rel(at->operational.total / GRAMS_PER_JOULE, at->energy_joules_total);
	assert_rel((cgroup_carbon(f) + at->operational.retired + at->operational.unattributed +
		    at->operational.idle) /
			   GRAMS_PER_JOULE,
		   at->operational.total / GRAMS_PER_JOULE);
}

/*
 * CPU meter 100 J (20 W idle), GPU 60 J (10 W idle): node 160 J, active
 * 80 + 50. Cgroup 1 ran 1 s of 2 s busy: 40 J CPU; its process 10 kept the
 * GPU busy 0.3 s, process 20 (cgroup 2) 0.2 s: 30 J and 20 J of GPU.
 */
static void cpu_meter__gpu_added__shares_and_conservation(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(100, "package-0");

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0);
	cgroup_runs(f, 2, 0.5);
	proc_runs(f, 10, 1, 1.0);
	proc_runs(f, 20, 2, 0.5);
	gpu_interval(f, 60, (__u32)10, 0.3, (__u32)20, 0.2, (__u32)0);
	attribute(f, &r, 2.0);

	assert_false(f->at.gpu_in_platform);
	assert_rel(f->at.energy_joules, 160);
	assert_rel(f->at.idle_joules, 30);
	assert_rel(f->at.active_joules, 130);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 40 + 30);
	assert_rel(cgroup(f, 1)->delta.gpu_energy_joules, 30);
	assert_rel(cgroup(f, 1)->delta.gpu_seconds, 0.3);
	assert_rel(cgroup(f, 2)->delta.energy_joules, 20 + 20);
	assert_rel(proc(f, 10)->delta.energy_joules, 40 + 30);
	assert_rel(proc(f, 20)->delta.gpu_energy_joules, 20);
	assert_rel(cgroup(f, 1)->delta.operational_carbon_grams / GRAMS_PER_JOULE, 70);
	assert_rel(proc(f, 20)->delta.operational_carbon_grams / GRAMS_PER_JOULE, 40);
	assert_rel(f->at.unattributed_joules, 20); /* CPU: 0.5 s of no cgroup */
	assert_rel(f->at.gpu_unattributed_joules_total, 0);
	assert_rel(f->at.power_watts, 160);
	assert_rel(f->at.gpu_power_watts, 60);
	assert_conserved(f);
}

/*
 * psys 200 J (20 W idle) holds the GPU's 60 J (50 J active): node energy
 * stays 200 J, the CPU side shares 180 - 50 = 130 J.
 */
static void platform_meter__gpu_carved_out__counted_once(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(200, "psys");

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0);
	proc_runs(f, 10, 1, 1.0);
	gpu_interval(f, 60, (__u32)10, 0.5, (__u32)0);
	attribute(f, &r, 1.0);

	assert_true(f->at.gpu_in_platform);
	assert_rel(f->at.energy_joules, 200);
	assert_rel(f->at.idle_joules, 20);
	assert_rel(f->at.active_joules, 180);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 130 + 50);
	assert_rel(cgroup(f, 1)->delta.gpu_energy_joules, 50);
	assert_rel(f->at.unattributed_joules, 0);
	assert_conserved(f);
}

/* A platform reading below the GPU's active energy: the node's active is at least the GPU's. */
static void platform_meter__gpu_above_platform_active__idle_gives(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(40, "psys");

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0);
	proc_runs(f, 10, 1, 1.0);
	gpu_interval(f, 40, (__u32)10, 1.0, (__u32)0); /* 30 J active */
	attribute(f, &r, 1.0);
	assert_rel(f->at.active_joules, 30);
	assert_rel(f->at.idle_joules, 10);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 30);
	assert_conserved(f);
}

/*
 * The platform meter's reading is rejected while the GPU's is not: the
 * GPU's energy counts then, and the platform's next reading (which covers
 * both intervals) is reduced by it, so nothing counts twice.
 */
static void platform_rejected__gpu_counted__carried_into_next(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(0, "psys");

	r.valid = false;
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0);
	proc_runs(f, 10, 1, 1.0);
	gpu_interval(f, 60, (__u32)10, 1.0, (__u32)0);
	attribute(f, &r, 1.0);
	assert_rel(f->at.energy_joules_total, 60);
	assert_rel(cgroup(f, 1)->total.gpu_energy_joules, 50);

	r = reading(400, "psys"); /* two intervals' worth, 60 J of it counted already */
	r.span_s = 2;
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0);
	proc_runs(f, 10, 1, 1.0);
	gpu_interval(f, 60, (__u32)10, 1.0, (__u32)0);
	attribute(f, &r, 1.0);
	assert_rel(f->at.energy_joules_total, 400);
	assert_rel(f->at.energy_joules, 340);
	assert_rel(f->at.idle_joules, 40);
	assert_rel(cgroup(f, 1)->total.energy_joules, 50 + 300);
	assert_conserved(f);
}

/* A process the agent cannot place: its GPU share is unattributed, in both identities. */
static void unplaceable_process__gpu_unattributed(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(50, "package-0");

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0);
	proc_runs(f, 10, 1, 1.0);
	proc_runs(f, 30, 9, 0.1); /* cgroup 9 is not tracked */
	gpu_interval(f, 110, (__u32)10, 0.6, (__u32)30, 0.2, (__u32)40, 0.2, (__u32)0);
	attribute(f, &r, 1.0);
	assert_rel(cgroup(f, 1)->delta.gpu_energy_joules, 60);
	assert_rel(f->at.gpu_unattributed_joules_total, 40);
	assert_rel(f->at.unattributed_joules, 40);
	assert_conserved(f);
}

/* A dropped cgroup takes its GPU energy to both retired totals. */
static void retire__gpu_energy_retired(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(20, "package-0");
	struct cgroup_account *c;

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0);
	proc_runs(f, 10, 1, 1.0);
	gpu_interval(f, 30, (__u32)10, 1.0, (__u32)0);
	attribute(f, &r, 1.0);
	c = idmap__get(&f->acc.cgroups, 1);
	assert_non_null(c);
	c->gone = true; /* gone: reported one interval more, then dropped */
	for (int i = 0; i < 2; i++) {
		accounts__begin(&f->acc);
		gpu_interval(f, 0, (__u32)0);
		attribute(f, &r, 0);
	}
	assert_null(attribution__cgroup(&f->at, 1));
	assert_rel(f->at.gpu_retired_joules_total, 20);
	assert_rel(f->at.retired_joules_total, 20);
	assert_conserved(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cpu_meter__gpu_added__shares_and_conservation,
						setup, teardown),
		cmocka_unit_test_setup_teardown(platform_meter__gpu_carved_out__counted_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			platform_meter__gpu_above_platform_active__idle_gives, setup, teardown),
		cmocka_unit_test_setup_teardown(platform_rejected__gpu_counted__carried_into_next,
						setup, teardown),
		cmocka_unit_test_setup_teardown(unplaceable_process__gpu_unattributed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(retire__gpu_energy_retired, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
