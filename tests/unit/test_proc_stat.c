// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/stat parsing: the CPU time source where BPF cannot read kcpustat. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "proc_stat.h"

#define TICK_NS 10000000ULL /* USER_HZ 100 */

/* Debian 11's 5.10, two CPUs, trimmed after the cpu lines */
static const char two_cpus[] = "cpu  2255 34 2290 22625563 6290 127 456 0 0 0\n"
			       "cpu0 1132 34 1441 11311896 3093 66 227 5 0 0\n"
			       "cpu1 1123 0 849 11313667 3197 61 229 0 0 0\n"
			       "intr 114930548 113199788 9 0 0 0 0 0 0 0 0 0\n"
			       "ctxt 1990473\n";

static int parse(const char *text, struct wl_cpu_times *cpus, int nr_cpus)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int n = proc_stat__parse(f, TICK_NS, cpus, nr_cpus);

	fclose(f);
	return n;
}

static void parse__two_cpus__every_field_in_ns(void **state)
{
	struct wl_cpu_times cpus[2] = {};

	assert_int_equal(parse(two_cpus, cpus, 2), 2);
	assert_int_equal(cpus[0].user, 1132 * TICK_NS);
	assert_int_equal(cpus[0].nice, 34 * TICK_NS);
	assert_int_equal(cpus[0].system, 1441 * TICK_NS);
	assert_int_equal(cpus[0].idle, 11311896 * TICK_NS);
	assert_int_equal(cpus[0].iowait, 3093 * TICK_NS);
	assert_int_equal(cpus[0].irq, 66 * TICK_NS);
	assert_int_equal(cpus[0].softirq, 227 * TICK_NS);
	assert_int_equal(cpus[0].steal, 5 * TICK_NS);
	assert_int_equal(cpus[1].user, 1123 * TICK_NS);
	assert_int_equal(cpus[1].idle, 11313667 * TICK_NS);
}

static void parse__offline_cpu__left_as_it_was(void **state)
{
	static const char text[] = "cpu  1 1 1 1 1 1 1 1 0 0\n"
				   "cpu0 7 0 0 9 0 0 0 0 0 0\n"
				   "cpu2 8 0 0 9 0 0 0 0 0 0\n"
				   "intr 1\n";
	struct wl_cpu_times cpus[3] = { [1] = { .user = 42, .idle = 43 } };

	assert_int_equal(parse(text, cpus, 3), 2);
	assert_int_equal(cpus[1].user, 42);
	assert_int_equal(cpus[1].idle, 43);
	assert_int_equal(cpus[2].user, 8 * TICK_NS);
}

static void parse__more_cpus_than_room__extra_ignored(void **state)
{
	struct wl_cpu_times cpus[1] = {};

	assert_int_equal(parse(two_cpus, cpus, 1), 1);
	assert_int_equal(cpus[0].user, 1132 * TICK_NS);
}

static void parse__truncated_line__einval(void **state)
{
	static const char text[] = "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3\n";
	struct wl_cpu_times cpus[1] = {};

	assert_int_equal(parse(text, cpus, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__two_cpus__every_field_in_ns),
		cmocka_unit_test(parse__offline_cpu__left_as_it_was),
		cmocka_unit_test(parse__more_cpus_than_room__extra_ignored),
		cmocka_unit_test(parse__truncated_line__einval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
