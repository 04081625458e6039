// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The hwmon meter against fake hwmon trees: counters in µJ, gauges in µW. */
#include "meter_test.h"

#define HW "class/hwmon"

static void put(struct fixture *f, const char *chip_dir, const char *file, const char *fmt,
		unsigned long long v)
{
	char rel[256];

	snprintf(rel, sizeof(rel), HW "/%s/%s", chip_dir, file);
	if (fmt)
		assert_int_equal(fake__write(&f->fs, rel, fmt, v), 0);
}

static void chip(struct fixture *f, const char *dir, const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), HW "/%s/name", dir);
	assert_int_equal(fake__write(&f->fs, rel, "%s", name), 0);
}

static void label(struct fixture *f, const char *dir, const char *file, const char *text)
{
	char rel[256];

	snprintf(rel, sizeof(rel), HW "/%s/%s", dir, file);
	assert_int_equal(fake__write(&f->fs, rel, "%s", text), 0);
}

/* An ACPI power meter gauge: integrated with the trapezoid rule. */
static void hwmon_read__power_gauge__integrated_over_time(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	chip(f, "hwmon0", "power_meter");
	put(f, "hwmon0", "power1_average", "%llu", 25000000); /* 25 W */
	put(f, "hwmon0", "power1_input", "%llu", 99000000);   /* same sensor, not used */
	fixture__open(f, "auto", "hwmon");
	fixture__read_ok(f, 2.0, &r);
	assert_int_equal(r.nr_zones, 1);
	assert_string_equal(r.zones[0].name, "power_meter/power1");
	assert_float_equal(r.joules, 50.0, J_EPS);
	assert_float_equal(r.zones[0].watts, 25.0, J_EPS);

	put(f, "hwmon0", "power1_average", "%llu", 35000000); /* 25 -> 35 W over 2 s */
	fixture__read_ok(f, 2.0, &r);
	assert_float_equal(r.joules, 60.0, J_EPS);
	assert_float_equal(r.zones[0].joules_total, 110.0, J_EPS);
}

/* A gauge with only powerN_input is used too. */
static void hwmon_read__power_input_only__used(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	chip(f, "hwmon3", "amdgpu");
	put(f, "hwmon3", "power1_input", "%llu", 10000000);
	fixture__open(f, "hwmon", "hwmon");
	fixture__read_ok(f, 0.5, &r);
	assert_float_equal(r.joules, 5.0, J_EPS);
}

/* amd_energy: socket counter in the total, per-core counters detail. */
static void hwmon_read__energy_counters__socket_not_cores(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	chip(f, "hwmon1", "amd_energy");
	put(f, "hwmon1", "energy1_input", "%llu", 1000000);
	label(f, "hwmon1", "energy1_label", "Ecore000");
	put(f, "hwmon1", "energy2_input", "%llu", 2000000);
	label(f, "hwmon1", "energy2_label", "Ecore001");
	put(f, "hwmon1", "energy17_input", "%llu", 5000000);
	label(f, "hwmon1", "energy17_label", "Esocket0");
	fixture__open(f, "hwmon", "hwmon");
	put(f, "hwmon1", "energy1_input", "%llu", 4000000);
	put(f, "hwmon1", "energy2_input", "%llu", 5000000);
	put(f, "hwmon1", "energy17_input", "%llu", 15000000);
	fixture__read_ok(f, 1.0, &r);
	assert_int_equal(r.nr_zones, 3);
	assert_float_equal(r.joules, 10.0, J_EPS);
	assert_false(zone_named(&r, "amd_energy/energy1")->in_node_total);
	assert_float_equal(zone_named(&r, "amd_energy/energy2")->joules, 3.0, J_EPS);
}

/* Per-core counters and no socket counter: the cores are all there is. */
static void hwmon_read__core_counters_only__summed(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	chip(f, "hwmon1", "amd_energy");
	put(f, "hwmon1", "energy1_input", "%llu", 0);
	label(f, "hwmon1", "energy1_label", "Ecore000");
	put(f, "hwmon1", "energy2_input", "%llu", 0);
	label(f, "hwmon1", "energy2_label", "Ecore001");
	fixture__open(f, "hwmon", "hwmon");
	put(f, "hwmon1", "energy1_input", "%llu", 3000000);
	put(f, "hwmon1", "energy2_input", "%llu", 4000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 7.0, J_EPS);
}

/* Two chips of one name are two chips: one's counter does not demote the other's gauge. */
static void hwmon_read__same_name_counter_and_gauge__both_count(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	chip(f, "hwmon0", "acme");
	put(f, "hwmon0", "energy1_input", "%llu", 0);
	chip(f, "hwmon1", "acme");
	put(f, "hwmon1", "power1_input", "%llu", 2000000);
	fixture__open(f, "hwmon", "hwmon");
	put(f, "hwmon0", "energy1_input", "%llu", 5000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 7.0, J_EPS);
	assert_true(zone_named(&r, "acme.hwmon1/power1")->in_node_total);
}

/* A chip with a counter and a gauge: the counter counts, the gauge is detail. */
static void hwmon_read__counter_and_gauge__counter_counts(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	chip(f, "hwmon2", "cpu_meter");
	put(f, "hwmon2", "energy1_input", "%llu", 0);
	put(f, "hwmon2", "power1_input", "%llu", 7000000);
	chip(f, "hwmon4", "psu");
	put(f, "hwmon4", "power1_input", "%llu", 3000000);
	fixture__open(f, "hwmon", "hwmon");
	put(f, "hwmon2", "energy1_input", "%llu", 14000000);
	fixture__read_ok(f, 2.0, &r);
	assert_float_equal(r.joules, 14.0 + 6.0, J_EPS);
	assert_false(zone_named(&r, "cpu_meter/power1")->in_node_total);
	assert_float_equal(zone_named(&r, "cpu_meter/power1")->joules, 14.0, J_EPS);
}

/* With an ACPI power meter, the platform total is that alone. */
static void hwmon_read__power_meter_present__platform_only(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	chip(f, "hwmon0", "power_meter");
	put(f, "hwmon0", "power1_average", "%llu", 100000000);
	chip(f, "hwmon1", "amdgpu");
	put(f, "hwmon1", "power1_average", "%llu", 30000000);
	fixture__open(f, "hwmon", "hwmon");
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 100.0, J_EPS);
}

/* Two chips of one name get distinct zone names. */
static void hwmon_read__same_chip_name__distinct_zones(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	chip(f, "hwmon0", "amdgpu");
	put(f, "hwmon0", "power1_average", "%llu", 1000000);
	chip(f, "hwmon1", "amdgpu");
	put(f, "hwmon1", "power1_average", "%llu", 2000000);
	fixture__open(f, "hwmon", "hwmon");
	fixture__read_ok(f, 1.0, &r);
	assert_int_equal(r.nr_zones, 2);
	assert_non_null(zone_named(&r, "amdgpu/power1"));
	assert_non_null(zone_named(&r, "amdgpu.hwmon1/power1"));
	assert_float_equal(r.joules, 3.0, J_EPS);
}

static void hwmon_read__counter_backwards__rejected_then_rebaselined(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;

	chip(f, "hwmon0", "meter");
	put(f, "hwmon0", "energy1_input", "%llu", 9000000);
	fixture__open(f, "hwmon", "hwmon");
	put(f, "hwmon0", "energy1_input", "%llu", 1000000);
	capture__begin(&c);
	fixture__read_rejected(f, 1.0, &r);
	assert_non_null(strstr(capture__end(&c), "backwards"));
	put(f, "hwmon0", "energy1_input", "%llu", 3000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 2.0, J_EPS);
}

/* A garbage gauge value: that interval rejected, the gauge averaged over the span after. */
static void hwmon_read__garbage_gauge__rejected(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;
	char rel[64];

	chip(f, "hwmon0", "power_meter");
	put(f, "hwmon0", "power1_average", "%llu", 10000000);
	fixture__open(f, "hwmon", "hwmon");
	snprintf(rel, sizeof(rel), HW "/hwmon0/power1_average");
	assert_int_equal(fake__write(&f->fs, rel, "n/a"), 0);
	capture__begin(&c);
	fixture__read_rejected(f, 1.0, &r);
	assert_non_null(strstr(capture__end(&c), "garbage"));
	put(f, "hwmon0", "power1_average", "%llu", 20000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.span_s, 2.0, J_EPS);
	assert_float_equal(r.joules, 30.0, J_EPS); /* (10 + 20) / 2 W over 2 s */
}

static void hwmon_read__sensor_appears__rejected_once(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;

	chip(f, "hwmon0", "power_meter");
	put(f, "hwmon0", "power1_average", "%llu", 10000000);
	fixture__open(f, "hwmon", "hwmon");
	put(f, "hwmon0", "power2_average", "%llu", 5000000);
	capture__begin(&c);
	fixture__read_rejected(f, 1.0, &r);
	assert_non_null(strstr(capture__end(&c), "zones changed"));
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 15.0, J_EPS);
}

/*
 * One of two chips of one name vanishes: every interval it is gone is an
 * error, and the other keeps its name (it does not become "acme").
 */
static void hwmon_read__chip_vanishes__rejected_while_gone_names_kept(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;
	const char *err;

	chip(f, "hwmon0", "acme");
	put(f, "hwmon0", "energy1_input", "%llu", 0);
	chip(f, "hwmon1", "acme");
	put(f, "hwmon1", "energy1_input", "%llu", 0);
	fixture__open(f, "hwmon", "hwmon");
	put(f, "hwmon0", "energy1_input", "%llu", 3000000);
	put(f, "hwmon1", "energy1_input", "%llu", 2000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 5.0, J_EPS);

	assert_int_equal(fake__remove(&f->fs, HW "/hwmon0"), 0);
	capture__begin(&c);
	for (int i = 1; i <= 2; i++) {
		put(f, "hwmon1", "energy1_input", "%llu", 2000000 + i * 1000000ULL);
		fixture__read_rejected(f, 1.0, &r);
		assert_int_equal(r.nr_zones, 2);
		assert_float_equal(zone_named(&r, "acme/energy1")->joules_total, 3.0, J_EPS);
		assert_float_equal(zone_named(&r, "acme.hwmon1/energy1")->joules_total, 2.0, J_EPS);
	}
	err = capture__end(&c);
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "zone vanished"));
	assert_non_null(strstr(err, "hwmon0/energy1_input"));

	chip(f, "hwmon0", "acme");
	put(f, "hwmon0", "energy1_input", "%llu", 9000000); /* +6 J over the gap */
	put(f, "hwmon1", "energy1_input", "%llu", 6000000); /* +4 J over the gap */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 10.0, J_EPS);
	assert_float_equal(r.span_s, 3.0, J_EPS);
	assert_float_equal(zone_named(&r, "acme/energy1")->joules_total, 9.0, J_EPS);
	assert_float_equal(zone_named(&r, "acme.hwmon1/energy1")->joules_total, 6.0, J_EPS);
	assert_int_equal(meter__errors(f->m), 2);
}

/*
 * 2^64-1 is (u64)-1, a driver's error value, not a count: rejected every
 * interval it shows (not 0 W), and the last good value stays the baseline.
 */
static void hwmon_read__counter_stuck_at_u64_max__rejected_nothing_lost(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;

	chip(f, "hwmon0", "meter");
	put(f, "hwmon0", "energy1_input", "%llu", 5000000);
	fixture__open(f, "hwmon", "hwmon");
	put(f, "hwmon0", "energy1_input", "%llu", 18446744073709551615ULL);
	capture__begin(&c);
	fixture__read_rejected(f, 1.0, &r);
	fixture__read_rejected(f, 1.0, &r);
	assert_non_null(strstr(capture__end(&c), "garbage"));
	put(f, "hwmon0", "energy1_input", "%llu", 9000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 4.0, J_EPS);
	assert_float_equal(r.span_s, 3.0, J_EPS);
	assert_int_equal(meter__errors(f->m), 2);
}

static void hwmon_read__above_max_watts__rejected(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;

	chip(f, "hwmon0", "power_meter");
	put(f, "hwmon0", "power1_average", "%llu", 20000000000000ULL); /* 20 MW */
	fixture__open(f, "hwmon", "hwmon");
	capture__begin(&c);
	fixture__read_rejected(f, 1.0, &r);
	capture__end(&c);
	put(f, "hwmon0", "power1_average", "%llu", 100000000);
	fixture__read_rejected(f, 1.0, &r); /* trapezoid with the absurd value */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 100.0, J_EPS);
}

static void hwmon_open__no_sensors__enoent(void **state)
{
	struct fixture *f = *state;
	struct captured c;
	int ret;

	chip(f, "hwmon0", "k10temp");
	put(f, "hwmon0", "temp1_input", "%llu", 40000);
	opts_from(&f->o, "--meter", "hwmon", "--sysfs-root", f->fs.root, NULL);
	capture__begin(&c);
	ret = meter__open(&f->m, &f->o);
	assert_non_null(strstr(capture__end(&c), "no energy or power sensors"));
	assert_int_equal(ret, -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(hwmon_read__power_gauge__integrated_over_time,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__power_input_only__used, fixture__setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__energy_counters__socket_not_cores,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__core_counters_only__summed,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__same_name_counter_and_gauge__both_count,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__counter_and_gauge__counter_counts,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__power_meter_present__platform_only,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__same_chip_name__distinct_zones,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(
			hwmon_read__counter_backwards__rejected_then_rebaselined, fixture__setup,
			fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__garbage_gauge__rejected, fixture__setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__sensor_appears__rejected_once,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(
			hwmon_read__chip_vanishes__rejected_while_gone_names_kept, fixture__setup,
			fixture__teardown),
		cmocka_unit_test_setup_teardown(
			hwmon_read__counter_stuck_at_u64_max__rejected_nothing_lost, fixture__setup,
			fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_read__above_max_watts__rejected,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(hwmon_open__no_sensors__enoent, fixture__setup,
						fixture__teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
