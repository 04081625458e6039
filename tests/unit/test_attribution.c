// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attribution: idle/active split, cgroup and process shares, the
 * unattributed bucket, retirement, DRAM zones by memory, operational and
 * embodied carbon, the node's energy fields in the document, and the
 * conservation identities checked over randomly generated accounts.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>
#include "attribution.h"
#include "document.h"

#define REL 1e-9

struct fixture {
	struct options o;
	struct accounts acc;
	struct node_cpu cpu;  /* busy_delta_s and nr_cpus matter here */
	double per_cpu[2][2]; /* the document lists per-CPU totals */
	struct attribution at;
	struct wl_cgroup cg[64];  /* cumulative kernel values, by cgroup id */
	struct wl_proc pr[256];	  /* by pid */
	struct memory_sample mem; /* own bytes by cgroup id, in bytes[] */
	__u64 bytes[64];
	struct intensity intensity; /* from the options */
	struct intensity_state is;
	double interval_s;	 /* of the next apply(); 1 unless set */
	double prev_operational; /* the node's operational carbon before this interval */
};

static void opts(struct options *o, ...)
{
	char *argv[32] = { "wattlet" };
	int argc = 1;
	va_list ap;

	va_start(ap, o);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	assert_int_equal(options__parse(o, argc, argv), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	opts(&f->o, NULL);
	attribution__init(&f->at, &f->o, -1);
	f->cpu.nr_cpus = 2;
	f->cpu.busy_total = f->per_cpu[0];
	f->cpu.idle_total = f->per_cpu[1];
	f->interval_s = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	accounts__free(&f->acc);
	attribution__free(&f->at);
	idmap__free(&f->mem.own);
	free(f);
	return 0;
}

static void reconfigure(struct fixture *f, ...)
{
	char *argv[32] = { "wattlet" };
	int argc = 1;
	va_list ap;

	va_start(ap, f);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	assert_int_equal(options__parse(&f->o, argc, argv), 0);
	attribution__free(&f->at);
	/* as the loader would place them, every counter opening */
	attribution__init(&f->at, &f->o,
			  f->o.nr_counters && !strcmp(f->o.counters[0], "cycles") ? 0 : -1);
	assert_int_equal(intensity__init(&f->intensity, f->o.carbon_intensity_file,
					 f->o.carbon_intensity_max_age_s, f->o.carbon_intensity),
			 0);
	intensity__state(&f->intensity, 0, &f->is);
}

/* The grid intensity in force from now on, as the agent's intensity stage hands it. */
static void intensity_is(struct fixture *f, double grams_per_kwh)
{
	assert_int_equal(intensity__init(&f->intensity, NULL, 7200, grams_per_kwh), 0);
	intensity__state(&f->intensity, 0, &f->is);
}

/* This interval, cgroup id holds bytes of its own (the memory stage's figure). */
static void cgroup_holds(struct fixture *f, __u64 id, __u64 bytes, double node_used)
{
	f->bytes[id] = bytes;
	assert_int_equal(idmap__put(&f->mem.own, id, &f->bytes[id]), 0);
	f->mem.taken = true;
	f->mem.used_bytes = node_used;
}

/* This interval, cgroup id ran cpu_s more (and cycles more). */
static void cgroup_runs(struct fixture *f, __u64 id, double cpu_s, __u64 cycles)
{
	f->cg[id].usage.cpu_ns += (__u64)llround(cpu_s * 1e9);
	f->cg[id].usage.counters[0] += cycles;
	assert_int_equal(accounts__cgroup(&f->acc, id, &f->cg[id]), 0);
}

static void proc_runs(struct fixture *f, __u32 pid, __u64 cgroup, double cpu_s, __u64 cycles)
{
	f->pr[pid].start_ns = 1000 + pid;
	f->pr[pid].cgroup_id = cgroup;
	f->pr[pid].usage.cpu_ns += (__u64)llround(cpu_s * 1e9);
	f->pr[pid].usage.counters[0] += cycles;
	assert_int_equal(accounts__proc(&f->acc, pid, &f->pr[pid], false), 0);
}

/* The interval's collection as the collector hands it forward: the accounts, node busy time. */
static void apply(struct fixture *f, const struct meter_reading *r, double node_busy_s)
{
	struct collection col = { .interval_s = f->interval_s, .cpu = &f->cpu, .acc = &f->acc };
	struct attribution_input in = {
		.reading = r, .collection = &col, .memory = &f->mem, .intensity = &f->is
	};

	f->cpu.busy_delta_s = node_busy_s;
	attribution__apply(&f->at, &in, &f->o);
}

static const struct energy_tally none;

/* A tracked cgroup's energy (zero when attribution gave it none). */
static const struct energy_tally *cgroup(struct fixture *f, __u64 id)
{
	const struct energy_tally *e = attribution__cgroup(&f->at, id);

	assert_non_null(idmap__get(&f->acc.cgroups, id));
	return e ? e : &none;
}

static const struct energy_tally *proc(struct fixture *f, __u32 pid)
{
	struct proc_account *p = idmap__get(&f->acc.procs, ((__u64)(1000 + pid) << 32) | pid);
	const struct energy_tally *e;

	assert_non_null(p);
	e = attribution__process(&f->at, proc_account__key(p));
	return e ? e : &none;
}

static struct meter_reading reading(double joules, double span_s, double idle_hint)
{
	struct meter_reading r = { .meter = "rapl",
				   .valid = true,
				   .joules = joules,
				   .span_s = span_s,
				   .idle_watts_hint = idle_hint,
				   .nr_zones = 1 };

	snprintf(r.zones[0].name, sizeof(r.zones[0].name), "package-0");
	r.zones[0].joules = r.zones[0].joules_total = joules;
	r.zones[0].watts = joules / span_s;
	r.zones[0].in_node_total = true;
	return r;
}

static double cgroup_delta_sum(struct fixture *f)
{
	double sum = 0;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&f->acc.cgroups, &pos, &key, &val))
		sum += cgroup(f, key)->delta.energy_joules;
	return sum;
}

static double cgroup_total_sum(struct fixture *f)
{
	double sum = 0;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&f->acc.cgroups, &pos, &key, &val))
		sum += cgroup(f, key)->total.energy_joules;
	return sum;
}

static void assert_rel(double got, double want)
{
	double scale = fmax(fabs(want), 1e-12);

	if (fabs(got - want) / scale > REL)
		fail_msg("got %.17g want %.17g (rel %.3g)", got, want, fabs(got - want) / scale);
}

/*
 * 100 J over 2 s with 10 W idle: 80 J active. Node busy 2 s, cgroups ran
 * 1.0 s and 0.5 s: 40 J and 20 J, 20 J unattributed. Processes split their
 * cgroup's share by CPU; what they do not account for stays the cgroup's.
 */
static void attribution_apply__cpu_shares__cgroups_procs_unattributed(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(100, 2, 10);

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0, 0);
	cgroup_runs(f, 2, 0.5, 0);
	proc_runs(f, 10, 1, 0.6, 0);
	proc_runs(f, 11, 1, 0.2, 0);
	proc_runs(f, 20, 2, 0.5, 0);
	proc_runs(f, 30, 99, 0.3, 0); /* cgroup not tracked */
	apply(f, &r, 2.0);

	assert_rel(f->at.idle_joules, 20);
	assert_rel(f->at.active_joules, 80);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 40);
	assert_rel(cgroup(f, 2)->delta.energy_joules, 20);
	assert_rel(f->at.unattributed_joules, 20);
	assert_rel(proc(f, 10)->delta.energy_joules, 24);
	assert_rel(proc(f, 11)->delta.energy_joules, 8);
	assert_rel(proc(f, 20)->delta.energy_joules, 20);
	assert_float_equal(proc(f, 30)->delta.energy_joules, 0, 0);
	assert_float_equal(cgroup(f, 1)->total.idle_energy_joules, 0, 0);
	assert_rel(f->at.power_watts, 50);
}

/* --idle-watts wins over the model's idle term; idle never exceeds the energy. */
static void attribution_apply__idle_watts_flag__used_and_capped(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(100, 2, 10);

	reconfigure(f, "--idle-watts", "30", NULL);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0, 0);
	apply(f, &r, 1.0);
	assert_rel(f->at.idle_joules, 60);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 40);

	reconfigure(f, "--idle-watts", "500", NULL);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0, 0);
	apply(f, &r, 1.0);
	assert_rel(f->at.idle_joules, 100);
	assert_float_equal(f->at.active_joules, 0, 0);
	assert_float_equal(cgroup(f, 1)->delta.energy_joules, 0, 0);
}

/* No --idle-watts and no model hint: idle is the 5th percentile of observed power. */
static void attribution_apply__no_hint__idle_learned_low_percentile(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	for (int i = 100; i >= 1; i--) { /* 100 W down to 1 W, one interval each */
		r = reading(i, 1, -1);
		accounts__begin(&f->acc);
		apply(f, &r, 0);
	}
	r = reading(60, 1, -1);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0, 0);
	apply(f, &r, 1.0);
	/* 101 samples 1..100 and 60: the 6th smallest (nearest rank of 5 %) is 6 W */
	assert_rel(f->at.idle_watts, 6);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 54);
}

static void attribution_apply__idle_attribution_cpu__idle_split_too(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(100, 2, 10);

	reconfigure(f, "--idle-attribution", "cpu", NULL);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.5, 0);
	proc_runs(f, 10, 1, 0.5, 0);
	apply(f, &r, 2.0);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 60);
	assert_rel(cgroup(f, 1)->delta.idle_energy_joules, 15);
	assert_rel(proc(f, 10)->delta.idle_energy_joules, 5);
	assert_rel(f->at.unattributed_joules, 20);
}

/* --share-by cycles: cycles split what the tracked cgroups get, CPU sets that part. */
static void attribution_apply__share_by_cycles__split_by_cycles(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(100, 1, 0);

	reconfigure(f, "--counters", "cycles", "--share-by", "cycles", NULL);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 0.5, 3000);
	cgroup_runs(f, 2, 0.5, 1000);
	proc_runs(f, 10, 1, 0.5, 1500);
	apply(f, &r, 2.0);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 37.5);
	assert_rel(cgroup(f, 2)->delta.energy_joules, 12.5);
	assert_rel(proc(f, 10)->delta.energy_joules, 18.75);
	assert_rel(f->at.unattributed_joules, 50);
}

/* Cycles asked for but not counted: falls back to CPU time. */
static void attribution_apply__cycles_without_counter__cpu(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(100, 1, 0);

	reconfigure(f, "--share-by", "cycles", NULL);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 0.75, 0);
	cgroup_runs(f, 2, 0.25, 9000);
	apply(f, &r, 1.0);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 75);
}

/*
 * --counters cycles,cpu-clock on a machine without a PMU: cycles does not
 * open, cpu-clock takes slot 0. Attribution must not take slot 0 for cycles.
 */
static void attribution_apply__cycles_not_opened_other_counter_in_slot__cpu(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(100, 1, 0);

	reconfigure(f, "--counters", "cycles,cpu-clock", "--share-by", "cycles", NULL);
	attribution__init(&f->at, &f->o, -1);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 0.75, 1000); /* slot 0 holds cpu-clock: 1000 and 9000 */
	cgroup_runs(f, 2, 0.25, 9000);
	apply(f, &r, 1.0);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 75);
	assert_rel(cgroup(f, 2)->delta.energy_joules, 25);
}

/* A rejected reading attributes nothing and changes no total. */
static void attribution_apply__rejected_reading__nothing_moves(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(100, 1, 0);

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1, 0);
	apply(f, &r, 1.0);
	r.valid = false;
	r.joules = 0;
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1, 0);
	apply(f, &r, 1.0);
	assert_rel(f->at.energy_joules_total, 100);
	assert_float_equal(cgroup(f, 1)->delta.energy_joules, 0, 0);
	assert_rel(cgroup(f, 1)->total.energy_joules, 100);
	assert_rel(f->at.power_watts, 100);
	apply(f, NULL, 1.0);
	assert_rel(f->at.energy_joules_total, 100);
}

/* Cgroups ran more than the node says was busy: all of it is shared, none unattributed. */
static void attribution_apply__cgroups_exceed_busy__no_negative(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(10, 1, 0);

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 0.9, 0);
	cgroup_runs(f, 2, 0.3, 0);
	apply(f, &r, 1.0);
	assert_rel(cgroup(f, 1)->delta.energy_joules, 7.5);
	assert_true(f->at.unattributed_joules >= 0);
	assert_rel(cgroup_delta_sum(f) + f->at.unattributed_joules, 10);
}

/* A reading of a package zone and its DRAM zone, both in the node total. */
static struct meter_reading reading_with_dram(double package_j, double dram_j, double span_s,
					      double idle_hint)
{
	struct meter_reading r = reading(package_j + dram_j, span_s, idle_hint);

	r.zones[0].joules = package_j;
	r.nr_zones = 2;
	snprintf(r.zones[1].name, sizeof(r.zones[1].name), "package-0/dram");
	r.zones[1].joules = dram_j;
	r.zones[1].in_node_total = true;
	r.zones[1].dram = true;
	return r;
}

#define MIB (1024.0 * 1024.0)

/*
 * 30 J package + 10 J DRAM, no idle. Cgroup 1 runs 1 s with 100 MiB, cgroup 2
 * sleeps with 300 MiB, 800 MiB in use: DRAM 10 J goes 1.25 J and 3.75 J,
 * 5 J unattributed; the package's 30 J all to cgroup 1, the only CPU.
 */
static void attribution_apply__dram_zone__by_memory(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading_with_dram(30, 10, 1, 0);

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0, 0);
	cgroup_runs(f, 2, 0, 0);
	cgroup_holds(f, 1, 100 * MIB, 800 * MIB);
	cgroup_holds(f, 2, 300 * MIB, 800 * MIB);
	apply(f, &r, 1.0);
	assert_string_equal(f->at.dram_share_by, "memory");
	assert_rel(f->at.dram_active_joules_total, 10);
	assert_rel(cgroup(f, 1)->total.dram_energy_joules, 1.25);
	assert_rel(cgroup(f, 1)->total.energy_joules, 31.25);
	assert_rel(cgroup(f, 2)->total.dram_energy_joules, 3.75);
	assert_rel(cgroup(f, 2)->total.energy_joules, 3.75);
	assert_rel(f->at.unattributed_dram_joules_total, 5);
	assert_rel(f->at.unattributed_joules_total, 5);
	assert_rel(cgroup_delta_sum(f) + f->at.unattributed_joules, 40);
}

/* Idle is the node's proportion of every zone: 20 W idle of 40 W leaves 5 J of DRAM active. */
static void attribution_apply__dram_zone__idle_in_proportion(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading_with_dram(30, 10, 1, 20);

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1.0, 0);
	cgroup_holds(f, 1, 400 * MIB, 800 * MIB);
	apply(f, &r, 1.0);
	assert_rel(f->at.dram_active_joules_total, 5);
	assert_rel(cgroup(f, 1)->total.dram_energy_joules, 2.5);
	assert_rel(cgroup(f, 1)->total.energy_joules, 15 + 2.5);
}

/* No memory figures (no memory controller anywhere): DRAM goes by CPU, and says so. */
static void attribution_apply__dram_zone_no_memory__by_cpu(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading_with_dram(30, 10, 1, 0);

	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 0.5, 0);
	apply(f, &r, 1.0);
	assert_string_equal(f->at.dram_share_by, "cpu");
	assert_rel(cgroup(f, 1)->total.dram_energy_joules, 5);
	assert_rel(cgroup(f, 1)->total.energy_joules, 20);
	assert_rel(f->at.unattributed_dram_joules_total, 5);
	/* no DRAM zone at all: nothing is said about DRAM */
	reconfigure(f, NULL);
	r = reading(40, 1, 0);
	apply(f, &r, 1.0);
	assert_null(f->at.dram_share_by);
}

/*
 * Each interval's energy takes the intensity in force then: 3.6 MJ at
 * 100 g/kWh, then 3.6 MJ at 400 g/kWh, PUE 1.5: 150 g + 600 g. The cgroup
 * has half of each interval's active energy, idle energy stays at the node.
 */
static void attribution_apply__intensity_changes__each_interval_its_own(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(3.6e6, 1000, 1800); /* 1.8 MJ idle, 1.8 MJ active */

	reconfigure(f, "--pue", "1.5", NULL);
	intensity_is(f, 100);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 500, 0);
	apply(f, &r, 1000);
	assert_rel(f->at.operational.total, 150);
	assert_rel(cgroup(f, 1)->delta.operational_carbon_grams, 0.9e6 * 1.5 * 100 / 3.6e6);
	intensity_is(f, 400);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 500, 0);
	apply(f, &r, 1000);
	assert_rel(f->at.operational.total, 150 + 600);
	assert_rel(cgroup(f, 1)->total.operational_carbon_grams, 37.5 + 150);
	assert_rel(f->at.operational.idle, 75 + 300);
	assert_rel(f->at.operational.unattributed, 37.5 + 150);
	assert_rel(cgroup(f, 1)->total.operational_carbon_grams + f->at.operational.idle +
			   f->at.operational.unattributed,
		   f->at.operational.total);
}

/*
 * 1000 kg over 4 years, 2 CPUs, 10 s intervals: the node's 10 s share goes
 * a cgroup's CPU seconds / 20 CPU seconds, busy CPU of no cgroup to
 * unattributed, the rest to idle; a rejected reading does not stop it.
 */
static void attribution_apply__embodied__sci_share_by_cpu(void **state)
{
	struct fixture *f = *state;
	double rate = 1e6 / (4 * 365.25 * 86400), node;
	struct meter_reading r = reading(100, 10, 0);

	reconfigure(f, "--embodied-kgco2e", "1000", NULL);
	assert_rel(f->at.embodied_rate, rate);
	f->interval_s = 10;
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 5, 0);
	cgroup_runs(f, 2, 3, 0);
	apply(f, &r, 12); /* 4 CPU s of no cgroup */
	node = rate * 10;
	assert_rel(f->at.embodied.total, node);
	assert_rel(cgroup(f, 1)->total.embodied_carbon_grams, node * 5 / 20);
	assert_rel(cgroup(f, 2)->total.embodied_carbon_grams, node * 3 / 20);
	assert_rel(f->at.embodied.unattributed, node * 4 / 20);
	assert_rel(f->at.embodied.idle, node * 8 / 20);
	r.valid = false;
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 10, 0);
	apply(f, &r, 10);
	assert_rel(f->at.embodied.total, 2 * node);
	assert_rel(cgroup(f, 1)->total.embodied_carbon_grams, node * 5 / 20 + node * 10 / 20);
	/* no energy from the rejected one: still the first interval's 100 J x 8/12 x 5/8 */
	assert_rel(cgroup(f, 1)->total.energy_joules, 100.0 * 8 / 12 * 5 / 8);
}

/* The "node" of the document built from this fixture's accounts, shares and meter. */
static json_t *node_of_document(struct fixture *f, const struct meter *m,
				const struct meter_reading *r)
{
	struct wl_stats stats = { 0 };
	struct collection col = {
		.interval_s = 1, .cpu = &f->cpu, .acc = &f->acc, .stats = &stats
	};
	struct histogram durations = { 0 };
	struct agent_status agent = { .version = "test", .durations = &durations };
	struct workloads *w;
	struct document_input in = { .opt = &f->o,
				     .collection = &col,
				     .meter = m,
				     .reading = r,
				     .intensity = &f->is,
				     .attribution = &f->at,
				     .agent = &agent };
	json_t *doc, *node;

	assert_int_equal(workloads__new(&w, &f->o), 0);
	in.workloads = w;
	doc = document__build(&in);
	assert_non_null(doc);
	node = json_incref(json_object_get(doc, "node"));
	json_decref(doc);
	workloads__free(w);
	return node;
}

/* ---- the node's energy figures, as the document makes them of attribution's results ---- */

static void check_json_number(json_t *node, const char *key, double want)
{
	json_t *v = json_object_get(node, key);

	if (!v)
		fail_msg("missing %s", key);
	assert_true(json_is_number(v));
	assert_rel(json_number_value(v), want);
}

static void document__build__pue_and_carbon__node_energy_fields(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r = reading(3.6e6, 1000, 0);
	json_t *node, *zones;

	reconfigure(f, "--pue", "1.18", "--carbon-intensity", "400", NULL);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 500, 0);
	apply(f, &r, 1000);
	node = node_of_document(f, NULL, &r);
	check_json_number(node, "energy_joules_total", 3.6e6);
	check_json_number(node, "active_energy_joules_total", 3.6e6);
	check_json_number(node, "idle_energy_joules_total", 0);
	check_json_number(node, "unattributed_energy_joules_total", 1.8e6);
	check_json_number(node, "power_watts", 3600);
	check_json_number(node, "pue", 1.18);
	check_json_number(node, "facility_energy_joules_total", 3.6e6 * 1.18);
	check_json_number(node, "carbon_intensity_grams_per_kwh", 400);
	check_json_number(node, "operational_carbon_grams_total", 1.18 * 400); /* 1 kWh IT */
	check_json_number(node, "carbon_grams_total", 1.18 * 400);
	assert_null(json_object_get(node, "embodied_carbon_grams_total"));
	assert_string_equal(json_string_value(json_object_get(node, "carbon_intensity_source")),
			    "--carbon-intensity");
	assert_true(json_is_false(json_object_get(node, "carbon_intensity_stale")));
	assert_null(json_object_get(node, "carbon_intensity_age_seconds")); /* no file */
	check_json_number(node, "meter_errors_total", 0);
	assert_string_equal(json_string_value(json_object_get(node, "meter")), "none");
	zones = json_object_get(node, "zones");
	assert_int_equal(json_array_size(zones), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(zones, 0), "meter")),
			    "rapl");
	json_decref(node);

	reconfigure(f, NULL);
	node = node_of_document(f, NULL, NULL);
	assert_null(json_object_get(node, "facility_energy_joules_total"));
	assert_null(json_object_get(node, "carbon_grams_total"));
	assert_null(json_object_get(node, "pue"));
	json_decref(node);
}

/* The meter's name and its rejected readings reach the node; a rejected interval moves nothing. */
static void document__build__rejected_model_reading__meter_and_errors(void **state)
{
	struct fixture *f = *state;
	struct meter_input in = { .interval_s = 1, .utilisation = 0.5, .nr_cpus = 2 };
	struct meter_reading r;
	struct meter *m;
	json_t *node, *zone;
	int saved, null;

	reconfigure(f, "--meter", "model", "--max-watts", "2", NULL);
	assert_int_equal(meter__open(&m, &f->o), 0);
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY);
	dup2(null, STDERR_FILENO); /* the warning is the meter tests' business */
	meter__read(m, &in, &r);   /* 2*(0.74 + 1.38) = 4.24 W > 2 W */
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
	assert_false(r.valid);
	accounts__begin(&f->acc);
	cgroup_runs(f, 1, 1, 0);
	apply(f, &r, 1);
	node = node_of_document(f, m, &r);
	assert_string_equal(json_string_value(json_object_get(node, "meter")), "model");
	check_json_number(node, "meter_errors_total", 1);
	check_json_number(node, "energy_joules_total", 0);
	zone = json_array_get(json_object_get(node, "zones"), 0);
	assert_string_equal(json_string_value(json_object_get(zone, "name")), "model");
	check_json_number(zone, "watts", 0);
	assert_float_equal(cgroup(f, 1)->total.energy_joules, 0, 0);
	json_decref(node);
	meter__close(m);
}

/* ---- property: conservation over random accounts ---- */

static double rnd(void)
{
	return rand() / (double)RAND_MAX;
}

/* Random activity: cgroups come and go, procs run in them, some busy time is nobody's. */
static double random_interval(struct fixture *f, int nr_cgroups)
{
	double busy = 0, cpu;

	idmap__free(&f->mem.own);
	f->mem.taken = false;
	for (__u64 id = 1; id <= (__u64)nr_cgroups; id++) {
		if (rnd() < 0.3)
			continue; /* not read this interval */
		cpu = rnd() < 0.1 ? 0 : rnd() * rnd() * 2;
		cgroup_runs(f, id, cpu, (__u64)(rnd() * 1e6));
		if (rnd() < 0.8)
			cgroup_holds(f, id, (__u64)(rnd() * 1e9), 20e9);
		busy += cpu;
		for (__u32 k = 0; k < 3; k++) {
			if (rnd() < 0.5)
				proc_runs(f, id * 3 + k, id, cpu * rnd() * 0.5,
					  (__u64)(rnd() * 1e5));
		}
	}
	return busy + (rnd() < 0.2 ? 0 : rnd()); /* nobody's: kernel threads, irq */
}

/* Mark some cgroups gone: the next accounts__begin retires and drops them. */
static void churn(struct fixture *f)
{
	struct cgroup_account *c;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&f->acc.cgroups, &pos, &key, &val)) {
		c = val;
		if (!c->gone && rnd() < 0.02)
			c->gone = true;
	}
}

static void check_procs_within_cgroups(struct fixture *f)
{
	struct proc_account *p;
	struct cgroup_account *c;
	double sum[64] = { 0 };
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&f->acc.procs, &pos, &key, &val)) {
		const struct energy_tally *e = attribution__process(&f->at, key);

		p = val;
		if (!e)
			continue;
		assert_true(e->delta.energy_joules >= 0);
		if (p->cgroup_id < 64)
			sum[p->cgroup_id] += e->delta.energy_joules;
	}
	for (__u64 id = 0; id < 64; id++) {
		c = idmap__get(&f->acc.cgroups, id);
		if (c)
			assert_true(sum[id] <=
				    cgroup(f, id)->delta.energy_joules * (1 + REL) + 1e-12);
	}
}

/* Sum over the live cgroups of one field of their totals, by offset. */
static double cgroup_total_field(struct fixture *f, size_t offset)
{
	double sum = 0;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&f->acc.cgroups, &pos, &key, &val))
		sum += *(const double *)((const char *)&cgroup(f, key)->total + offset);
	return sum;
}

/* Per kind of carbon and for DRAM: cgroups + retired + unattributed (+ idle) = node. */
static void check_carbon_and_dram(struct fixture *f)
{
	const struct attribution *at = &f->at;

	assert_rel(
		cgroup_total_field(f, offsetof(struct energy_figures, operational_carbon_grams)) +
			at->operational.retired + at->operational.unattributed +
			at->operational.idle,
		at->operational.total);
	assert_rel(cgroup_total_field(f, offsetof(struct energy_figures, embodied_carbon_grams)) +
			   at->embodied.retired + at->embodied.unattributed + at->embodied.idle,
		   at->embodied.total);
	assert_rel(cgroup_total_field(f, offsetof(struct energy_figures, dram_energy_joules)) +
			   at->retired_dram_joules_total + at->unattributed_dram_joules_total,
		   at->dram_active_joules_total);
}

/* A cgroup's carbon this interval is its energy this interval at the intensity in force. */
static void check_interval_carbon(struct fixture *f)
{
	double k = f->is.enabled ? f->o.pue * f->is.value.grams_per_kwh / 3.6e6 : 0;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&f->acc.cgroups, &pos, &key, &val)) {
		const struct energy_figures *d = &cgroup(f, key)->delta;

		assert_rel(d->operational_carbon_grams,
			   k * (d->energy_joules + d->idle_energy_joules));
	}
	/* the difference of two running totals is exact to their rounding, not to its own */
	if (fabs(f->at.operational.total - f->prev_operational - k * f->at.energy_joules) >
	    1e-12 * f->at.operational.total)
		fail_msg("node +%.17g g, want %.17g", f->at.operational.total - f->prev_operational,
			 k * f->at.energy_joules);
	f->prev_operational = f->at.operational.total;
}

static void run_property(struct fixture *f, unsigned int seed, int rounds)
{
	struct meter_reading r;
	double busy, joules, dram;

	srand(seed);
	for (int i = 0; i < rounds; i++) {
		churn(f);
		accounts__begin(&f->acc);
		busy = random_interval(f, 40);
		joules = rnd() < 0.05 ? 0 : rnd() * 500;
		dram = rnd() < 0.5 ? 0 : rnd() * joules * 0.3;
		r = reading_with_dram(joules - dram, dram, 0.5 + rnd() * 3,
				      rnd() < 0.5 ? -1 : rnd() * 50);
		r.valid = rnd() > 0.05;
		if (rnd() < 0.1)
			intensity_is(f, rnd() * 800);
		f->interval_s = 0.5 + rnd() * 3;
		apply(f, &r, busy);
		accounts__end(&f->acc);

		assert_true(f->at.unattributed_joules >= 0 && f->at.idle_joules >= 0);
		assert_rel(cgroup_delta_sum(f) + f->at.unattributed_joules, f->at.active_joules);
		assert_rel(f->at.active_joules + f->at.idle_joules, f->at.energy_joules);
		assert_rel(cgroup_total_sum(f) + f->at.retired_joules_total +
				   f->at.unattributed_joules_total,
			   f->at.active_joules_total);
		assert_rel(f->at.active_joules_total + f->at.idle_joules_total,
			   f->at.energy_joules_total);
		check_procs_within_cgroups(f);
		check_carbon_and_dram(f);
		check_interval_carbon(f);
	}
	assert_true(f->at.retired_joules_total > 0); /* churn did retire some */
	assert_true(f->at.unattributed_joules_total > 0);
	assert_true(f->at.operational.retired > 0 && f->at.embodied.retired > 0);
	assert_true(f->at.retired_dram_joules_total > 0);
	assert_string_equal(f->at.dram_share_by, "memory");
}

static void attribution_apply__random_accounts__conserves(void **state)
{
	struct fixture *f = *state;

	reconfigure(f, "--embodied-kgco2e", "1000", "--pue", "1.3", NULL);
	intensity_is(f, 300);
	run_property(f, 20261123, 3000);
}

static void attribution_apply__random_accounts_cycles_idle_cpu__conserves(void **state)
{
	struct fixture *f = *state;

	reconfigure(f, "--counters", "cycles", "--share-by", "cycles", "--idle-attribution", "cpu",
		    "--embodied-kgco2e", "2500", "--lifetime-years", "6", NULL);
	intensity_is(f, 50);
	run_property(f, 42, 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			attribution_apply__cpu_shares__cgroups_procs_unattributed, setup, teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__idle_watts_flag__used_and_capped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			attribution_apply__no_hint__idle_learned_low_percentile, setup, teardown),
		cmocka_unit_test_setup_teardown(
			attribution_apply__idle_attribution_cpu__idle_split_too, setup, teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__share_by_cycles__split_by_cycles,
						setup, teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__cycles_without_counter__cpu,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			attribution_apply__cycles_not_opened_other_counter_in_slot__cpu, setup,
			teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__rejected_reading__nothing_moves,
						setup, teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__cgroups_exceed_busy__no_negative,
						setup, teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__dram_zone__by_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__dram_zone__idle_in_proportion,
						setup, teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__dram_zone_no_memory__by_cpu,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			attribution_apply__intensity_changes__each_interval_its_own, setup,
			teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__embodied__sci_share_by_cpu,
						setup, teardown),
		cmocka_unit_test_setup_teardown(document__build__pue_and_carbon__node_energy_fields,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			document__build__rejected_model_reading__meter_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(attribution_apply__random_accounts__conserves,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			attribution_apply__random_accounts_cycles_idle_cpu__conserves, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
