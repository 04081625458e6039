// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wattctl's pure parts: humanised units at their boundaries, and the list
 * views' filter and sort. wattctl does not link libwattlet, so its sources
 * are compiled into this test directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>
#include "../../user/wattctl/units.c"
#include "../../user/wattctl/output.c"
#include "../../user/wattctl/table.c"
#include "../../user/wattctl/view.c"

#define FMT(fn, v) fn(buf, sizeof(buf), (v))

static void units__watts__ranges__mw_w_kw(void **state)
{
	char buf[UNITS_LEN];

	assert_string_equal(FMT(units__watts, 0), "0W");
	assert_string_equal(FMT(units__watts, 0.45), "450mW");
	assert_string_equal(FMT(units__watts, 0.0042), "4.20mW");
	assert_string_equal(FMT(units__watts, 0.9994), "999mW");
	assert_string_equal(FMT(units__watts, 0.9996), "1.00W");
	assert_string_equal(FMT(units__watts, 9.996), "10.0W");
	assert_string_equal(FMT(units__watts, 12.34), "12.3W");
	assert_string_equal(FMT(units__watts, 250), "250W");
	assert_string_equal(FMT(units__watts, 1234), "1.23kW");
	assert_string_equal(FMT(units__watts, NAN), "-");
}

static void units__joules__ranges__j_kj_kwh(void **state)
{
	char buf[UNITS_LEN];

	assert_string_equal(FMT(units__joules, 0), "0J");
	assert_string_equal(FMT(units__joules, 0.23), "0.23J");
	assert_string_equal(FMT(units__joules, 999), "999J");
	assert_string_equal(FMT(units__joules, 1000), "1.00kJ");
	assert_string_equal(FMT(units__joules, 45600), "45.6kJ");
	assert_string_equal(FMT(units__joules, 3.6e6), "1.00kWh");
	assert_string_equal(FMT(units__joules, 5e6), "1.39kWh");
	assert_string_equal(FMT(units__joules, 3.6e9), "1000kWh");
}

static void units__grams__ranges__mg_g_kg(void **state)
{
	char buf[UNITS_LEN];

	assert_string_equal(FMT(units__grams, 0), "0g");
	assert_string_equal(FMT(units__grams, 0.0045), "4.50mg");
	assert_string_equal(FMT(units__grams, 12), "12.0g");
	assert_string_equal(FMT(units__grams, 1500), "1.50kg");
	assert_string_equal(FMT(units__grams, 2.5e6), "2.50t");
}

static void units__cores__below_one__three_decimals(void **state)
{
	char buf[UNITS_LEN];

	assert_string_equal(FMT(units__cores, 0), "0.000");
	assert_string_equal(FMT(units__cores, 0.25), "0.250");
	assert_string_equal(FMT(units__cores, 0.0004), "0.000");
	assert_string_equal(FMT(units__cores, 1.5), "1.50");
	assert_string_equal(FMT(units__cores, NAN), "-");
}

static const struct column cols[] = { { "NAME", "name", COL_STR, 0 }, { NULL } };
static const char *const ids[] = { "namespace", "name", NULL };
static const struct view pods = { "pods", cols, ids, "namespace" };

static json_t *items(void)
{
	/* one object per line, which clang-format would pack */
	/* clang-format off */
	return json_pack("[{s:s,s:s,s:s,s:f,s:f},{s:s,s:s,s:s,s:f,s:f},{s:s,s:s,s:s,s:f},"
			 "{s:s,s:s,s:s,s:f,s:f}]",
			 "namespace", "shop", "name", "web-0", "pod", "web-0", "power_watts", 2.0,
			 "energy_joules_total", 10.0,
			 "namespace", "shop", "name", "cart-1", "pod", "cart-1", "power_watts", 2.0,
			 "energy_joules_total", 30.0,
			 "namespace", "batch", "name", "job-x", "pod", "job-x", "energy_joules_total", 99.0,
			 "namespace", "default", "name", "big", "pod", "big", "power_watts", 5.0,
			 "energy_joules_total", 1.0);
	/* clang-format on */
}

static const char *name_at(json_t *a, size_t i)
{
	return json_string_value(json_object_get(json_array_get(a, i), "name"));
}

static void view__sort__power__descending_ties_by_id_missing_last(void **state)
{
	json_t *a = items();

	assert_int_equal(view__sort(&pods, a, SORT_POWER, 0), 0);
	assert_int_equal(json_array_size(a), 4);
	assert_string_equal(name_at(a, 0), "big");
	assert_string_equal(name_at(a, 1), "cart-1"); /* 2 W each: shop/cart-1 < shop/web-0 */
	assert_string_equal(name_at(a, 2), "web-0");
	assert_string_equal(name_at(a, 3), "job-x"); /* no power_watts at all */
	json_decref(a);
}

static void view__sort__energy_limit__keeps_first_n(void **state)
{
	json_t *a = items();

	assert_int_equal(view__sort(&pods, a, SORT_ENERGY, 2), 0);
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(name_at(a, 0), "job-x");
	assert_string_equal(name_at(a, 1), "cart-1");
	json_decref(a);
}

static void view__sort__none__keeps_api_order(void **state)
{
	json_t *a = items();

	assert_int_equal(view__sort(&pods, a, SORT_NONE, 3), 0);
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(name_at(a, 0), "web-0");
	assert_string_equal(name_at(a, 2), "job-x");
	json_decref(a);
}

static void view__filter__namespace__keeps_only_it(void **state)
{
	json_t *a = items();

	view__filter(&pods, a, "shop", NULL, NULL);
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(name_at(a, 0), "web-0");
	assert_string_equal(name_at(a, 1), "cart-1");
	view__filter(&pods, a, "nosuch", NULL, NULL);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
}

static void view__filter__pod__needs_namespace_and_name(void **state)
{
	json_t *a = items();

	view__filter(&pods, a, NULL, "batch", "web-0");
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	a = items();
	view__filter(&pods, a, NULL, "shop", "web-0");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(name_at(a, 0), "web-0");
	json_decref(a);
}

static void view__id__mixed_fields__slash_joined(void **state)
{
	static const char *const pid_ids[] = { "pid", "comm", NULL };
	static const struct view procs = { "processes", cols, pid_ids, "namespace" };
	json_t *p = json_pack("{s:i,s:s}", "pid", 42, "comm", "nginx");
	char buf[64];

	assert_string_equal(view__id(&procs, p, buf, sizeof(buf)), "42/nginx");
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(units__watts__ranges__mw_w_kw),
		cmocka_unit_test(units__joules__ranges__j_kj_kwh),
		cmocka_unit_test(units__grams__ranges__mg_g_kg),
		cmocka_unit_test(units__cores__below_one__three_decimals),
		cmocka_unit_test(view__sort__power__descending_ties_by_id_missing_last),
		cmocka_unit_test(view__sort__energy_limit__keeps_first_n),
		cmocka_unit_test(view__sort__none__keeps_api_order),
		cmocka_unit_test(view__filter__namespace__keeps_only_it),
		cmocka_unit_test(view__filter__pod__needs_namespace_and_name),
		cmocka_unit_test(view__id__mixed_fields__slash_joined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
