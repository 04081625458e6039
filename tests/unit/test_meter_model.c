// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The model meter: P = vcpus*(idle_w + (max_w - idle_w)*util) + mem_gib*w_per_gib,
 * checked against the formula worked out by hand, and the auto order.
 */
#include "meter_test.h"

/* CCF's averages, 2 vCPUs at 50 %, 4 GiB: 2*(0.74 + 2.76*0.5) + 4*0.392 = 5.808 W. */
static void model_read__average__ccf_formula(void **state)
{
	struct fixture *f = *state;
	struct meter_input in = input_of(2.0);
	struct meter_reading r;

	opts_from(&f->o, "--meter", "model", "--model-cpu", "average", NULL);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_true(r.valid);
	assert_string_equal(r.meter, "model");
	assert_string_equal(r.model, "ccf:average");
	assert_float_equal(r.joules, 5.808 * 2, J_EPS);
	assert_float_equal(r.idle_watts_hint, 2 * 0.74 + 4 * 0.392, J_EPS);
	assert_int_equal(r.nr_zones, 1);
	assert_string_equal(r.zones[0].name, "model");
	assert_float_equal(r.zones[0].watts, 5.808, J_EPS);
}

/* Each coefficient has its own flag. */
static void model_read__flags__override_each_coefficient(void **state)
{
	struct fixture *f = *state;
	struct meter_input in = {
		.interval_s = 1, .utilisation = 0.25, .nr_cpus = 4, .mem_gib = 8
	};
	struct meter_reading r;

	opts_from(&f->o, "--meter", "model", "--model-idle-watts", "1", "--model-max-watts", "5",
		  "--model-watts-per-gib", "0.5", NULL);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_float_equal(r.joules, 4 * (1 + 4 * 0.25) + 8 * 0.5, J_EPS); /* 12 W */
	in.utilisation = 1;
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_float_equal(r.joules, 4 * 5 + 8 * 0.5, J_EPS);
	in.utilisation = 0;
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_float_equal(r.joules, r.idle_watts_hint, J_EPS);
	assert_float_equal(r.zones[0].joules_total, 12 + 24 + 8, J_EPS);
	assert_string_equal(r.model, "custom");
}

/*
 * A row by name, from AWS's table without DMI: Cascade Lake's 0.6902978319127387 W
 * idle and 4.063193520161689 W max (ccf-coefficients b0032d9), 2 vCPUs at 50 %, 4 GiB.
 */
static void model_read__model_cpu_row__its_watts_logged(void **state)
{
	struct fixture *f = *state;
	struct meter_input in = input_of(1.0);
	struct meter_reading r;
	struct captured c;

	opts_from(&f->o, "--meter", "model", "--model-cpu", "cascade-lake", "--sysfs-root",
		  f->fs.root, NULL);
	capture__begin(&c);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_string_equal(capture__end(&c),
			    "wattlet: model: ccf:cascade-lake, 0.690298 W idle and 4.06319 W max "
			    "per vCPU (--model-cpu cascade-lake, CCF's aws table)\n");
	assert_string_equal(r.model, "ccf:cascade-lake");
	assert_float_equal(
		r.joules,
		2 * (0.6902978319127387 + (4.063193520161689 - 0.6902978319127387) * 0.5) +
			4 * 0.392,
		J_EPS);
	assert_float_equal(r.idle_watts_hint, 2 * 0.6902978319127387 + 4 * 0.392, J_EPS);
}

/* DMI under --sysfs-root says GCP: GCP's table, with its adjusted max watts. */
static void model_read__gcp_dmi__gcp_table(void **state)
{
	struct fixture *f = *state;
	struct meter_input in = input_of(1.0);
	struct meter_reading r;
	struct captured c;

	fake__write(&f->fs, "class/dmi/id/sys_vendor", "Google");
	fake__write(&f->fs, "class/dmi/id/product_name", "Google Compute Engine");
	opts_from(&f->o, "--meter", "model", "--model-cpu", "cascade-lake", "--sysfs-root",
		  f->fs.root, NULL);
	capture__begin(&c);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	assert_non_null(strstr(capture__end(&c), "CCF's gcp table"));
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_float_equal(
		r.joules,
		2 * (0.6902978319127387 + (3.754854273784877 - 0.6902978319127387) * 0.5) +
			4 * 0.392,
		J_EPS);
}

/* One flag over a row: the other coefficient stays the row's; an impossible pair fails. */
static void model_open__one_flag__rest_from_row(void **state)
{
	struct fixture *f = *state;
	struct meter_input in = input_of(1.0);
	struct meter_reading r;
	struct captured c;

	opts_from(&f->o, "--meter", "model", "--model-cpu", "average", "--model-idle-watts", "1",
		  NULL);
	capture__begin(&c);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	capture__end(&c);
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_float_equal(r.joules, 2 * (1 + (3.5 - 1) * 0.5) + 4 * 0.392, J_EPS);
	meter__close(f->m);
	f->m = NULL;
	opts_from(&f->o, "--meter", "model", "--model-cpu", "average", "--model-idle-watts", "4",
		  NULL);
	capture__begin(&c);
	assert_int_equal(meter__open(&f->m, &f->o), -EINVAL);
	assert_string_equal(capture__end(&c),
			    "wattlet: meter model: model needs 0 <= idle watts (4) <= max watts "
			    "(3.5) per vCPU and --model-watts-per-gib >= 0\n");
}

static void model_read__bad_utilisation__rejected(void **state)
{
	struct fixture *f = *state;
	struct meter_input in = input_of(1.0);
	struct meter_reading r;
	struct captured c;

	opts_from(&f->o, "--meter", "model", "--model-cpu", "average", NULL);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	capture__begin(&c);
	in.utilisation = 0.0 / 0.0;
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_false(r.valid);
	in.utilisation = 1.7;
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_false(r.valid);
	in.utilisation = 0.5;
	in.nr_cpus = 0;
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_false(r.valid);
	assert_int_equal(count_lines(capture__end(&c)), 1);
	assert_int_equal(meter__errors(f->m), 3);
	assert_float_equal(r.joules, 0, 0);
}

static void model_read__above_max_watts__rejected(void **state)
{
	struct fixture *f = *state;
	struct meter_input in = input_of(1.0);
	struct meter_reading r;
	struct captured c;

	opts_from(&f->o, "--meter", "model", "--model-cpu", "average", "--max-watts", "5", NULL);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	capture__begin(&c);
	assert_int_equal(meter__read(f->m, &in, &r), 0); /* 5.808 W */
	assert_non_null(strstr(capture__end(&c), "implausible power"));
	assert_false(r.valid);
	assert_int_equal(meter__errors(f->m), 1);
}

/* An empty --sysfs-root: auto skips rapl and hwmon, says why, and uses the model. */
static void meter_open__auto_without_sensors__model_logged(void **state)
{
	struct fixture *f = *state;
	struct captured c;
	const char *err;

	struct meter_input in = input_of(1.0);
	struct meter_reading r;

	opts_from(&f->o, "--sysfs-root", f->fs.root, NULL);
	capture__begin(&c);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	err = capture__end(&c);
	assert_int_equal(count_lines(err), 2); /* the model's row and the choice, when made */
	assert_non_null(strstr(err, "wattlet: model: ccf:"));
	assert_non_null(strstr(err, "\nwattlet: meter: using model (rapl: "));
	assert_non_null(strstr(err, "class/powercap"));
	assert_non_null(strstr(err, "; hwmon: "));
	assert_string_equal(meter__name(f->m), "model");
	capture__begin(&c);
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_string_equal(capture__end(&c), ""); /* readings add nothing */
}

/* rapl before hwmon when both exist. */
static void meter_open__auto_with_rapl_and_hwmon__rapl(void **state)
{
	struct fixture *f = *state;
	struct captured c;

	fake__write(&f->fs, "class/powercap/intel-rapl:0/name", "package-0");
	fake__write(&f->fs, "class/powercap/intel-rapl:0/energy_uj", "1");
	fake__write(&f->fs, "class/hwmon/hwmon0/name", "power_meter");
	fake__write(&f->fs, "class/hwmon/hwmon0/power1_average", "1");
	opts_from(&f->o, "--sysfs-root", f->fs.root, NULL);
	struct meter_input in = input_of(1.0);
	struct meter_reading r;

	capture__begin(&c);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	assert_int_equal(meter__read(f->m, &in, &r), 0);
	assert_string_equal(capture__end(&c), "wattlet: meter: using rapl\n");
	assert_string_equal(meter__name(f->m), "rapl");
}

static void meter_close__null__no_crash(void **state)
{
	(void)state;
	meter__close(NULL);
	assert_int_equal(meter__errors(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(model_read__average__ccf_formula, fixture__setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(model_read__model_cpu_row__its_watts_logged,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(model_read__gcp_dmi__gcp_table, fixture__setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(model_open__one_flag__rest_from_row, fixture__setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(model_read__flags__override_each_coefficient,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(model_read__bad_utilisation__rejected,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(model_read__above_max_watts__rejected,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(meter_open__auto_without_sensors__model_logged,
						fixture__setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(meter_open__auto_with_rapl_and_hwmon__rapl,
						fixture__setup, fixture__teardown),
		cmocka_unit_test(meter_close__null__no_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
