// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Carbon arithmetic: E x I per joule, the embodied rate, and SCI's M split worked by hand. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>
#include "carbon.h"

#define EPS 1e-15

static void grams_per_joule__pue_and_intensity(void **state)
{
	(void)state;
	/* 1 kWh at 400 g/kWh, PUE 1.18: 472 g */
	assert_float_equal(carbon__grams_per_joule(1.18, 400) * 3.6e6, 472, 1e-9);
	assert_float_equal(carbon__grams_per_joule(1.0, 0), 0, 0);
}

/* 1000 kg over 4 Julian years: 1e6 g / 126,230,400 s. */
static void embodied_rate__ccf_server_four_years(void **state)
{
	(void)state;
	assert_float_equal(carbon__embodied_rate(1000, 4), 1e6 / 126230400.0, EPS);
	assert_float_equal(carbon__embodied_rate(1000, 4) * 86400 * 365.25 * 4, 1e6, 1e-6);
	assert_float_equal(carbon__embodied_rate(0, 4), 0, 0);
	assert_float_equal(carbon__embodied_rate(1000, 0), 0, 0);
}

/* 0.01 g/s for 10 s on 2 CPUs; kernel busy 12 CPU s, tracked cgroups 8. */
static void split__sci_worked_example(void **state)
{
	struct embodied_split s;

	(void)state;
	carbon__embodied_split(&s, 0.01, 10, 2, 12, 8);
	assert_float_equal(s.node_grams, 0.1, EPS);
	assert_float_equal(s.grams_per_cpu_second, 0.005, EPS); /* 0.1 g / 20 CPU s */
	/* a workload with 5 CPU s: M = TE/EL x TiR x RR/ToR = 0.01 x 10 x 5/20 */
	assert_float_equal(s.grams_per_cpu_second * 5, 0.025, EPS);
	assert_float_equal(s.unattributed_grams, 0.02, EPS); /* 4 CPU s of no cgroup */
	assert_float_equal(s.idle_grams, 0.04, EPS);	     /* 8 CPU s unused */
}

/* More CPU counted than capacity: the capacity grows, the shares still sum to the node. */
static void split__over_capacity__no_more_than_node(void **state)
{
	struct embodied_split s;

	(void)state;
	carbon__embodied_split(&s, 0.01, 10, 2, 25, 22);
	assert_float_equal(s.grams_per_cpu_second, 0.004, EPS);
	assert_float_equal(s.unattributed_grams, 0.012, EPS);
	assert_float_equal(s.idle_grams, 0, EPS);
	/* cgroups ran more than the kernel's tick-sampled busy: nothing unattributed */
	carbon__embodied_split(&s, 0.01, 10, 2, 5, 6);
	assert_float_equal(s.unattributed_grams, 0, 0);
	assert_float_equal(s.idle_grams, 0.07, EPS);
}

static void split__off_or_no_time__nothing(void **state)
{
	struct embodied_split s;

	(void)state;
	carbon__embodied_split(&s, 0, 10, 2, 5, 5);
	assert_float_equal(s.node_grams, 0, 0);
	carbon__embodied_split(&s, 0.01, 0, 2, 5, 5);
	assert_float_equal(s.node_grams + s.idle_grams + s.grams_per_cpu_second, 0, 0);
}

/* Over random intervals, tracked + unattributed + idle = node to 1e-12. */
static void split__random__parts_add_up(void **state)
{
	struct embodied_split s;
	double tracked, sum;

	(void)state;
	srand(15);
	for (int i = 0; i < 100000; i++) {
		int cpus = 1 + rand() % 256;
		double span = 0.05 + rand() / (double)RAND_MAX * 10;

		tracked = rand() / (double)RAND_MAX * cpus * span * 1.1;
		carbon__embodied_split(&s, 1e-3 + rand() / (double)RAND_MAX, span, cpus,
				       rand() / (double)RAND_MAX * cpus * span * 1.1, tracked);
		sum = s.grams_per_cpu_second * tracked + s.unattributed_grams + s.idle_grams;
		if (fabs(sum - s.node_grams) > 1e-12 * s.node_grams)
			fail_msg("interval %d: parts %.17g node %.17g", i, sum, s.node_grams);
		assert_true(s.unattributed_grams >= 0 && s.idle_grams >= 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grams_per_joule__pue_and_intensity),
		cmocka_unit_test(embodied_rate__ccf_server_four_years),
		cmocka_unit_test(split__sci_worked_example),
		cmocka_unit_test(split__over_capacity__no_more_than_node),
		cmocka_unit_test(split__off_or_no_time__nothing),
		cmocka_unit_test(split__random__parts_add_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
