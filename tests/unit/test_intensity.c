// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The grid intensity file: its format, re-reading on an in-place edit and
 * on a ConfigMap-style symlink swap, staleness by timestamp and by mtime,
 * and bad versions that leave the last good value in force.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fake_sysfs.h"
#include "meter_test.h"
#include "intensity.h"

#define T_2026_05_01_12Z 1777636800.0 /* python: datetime(2026,5,1,12,tzinfo=utc).timestamp() */

struct fix {
	struct fake_sysfs fs;
	struct intensity it;
	char path[PATH_MAX]; /* <root>/intensity.json */
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(fake__open(&f->fs), 0);
	fake__path(&f->fs, "intensity.json", f->path, sizeof(f->path));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	fake__close(&f->fs);
	free(f);
	return 0;
}

static struct intensity_value parse_ok(const char *text)
{
	struct intensity_value v;
	char why[256] = "";

	if (intensity__parse(text, strlen(text), &v, why, sizeof(why)))
		fail_msg("'%s' rejected: %s", text, why);
	return v;
}

static void parse_bad(const char *text, const char *want_why)
{
	struct intensity_value v;
	char why[256] = "";

	assert_int_equal(intensity__parse(text, strlen(text), &v, why, sizeof(why)), -EINVAL);
	if (!strstr(why, want_why))
		fail_msg("'%s': why is '%s', want '%s'", text, why, want_why);
}

static void parse__full__every_field(void **state)
{
	struct intensity_value v = parse_ok("{\"grams_per_kwh\": 231.5, \"timestamp\": "
					    "\"2026-05-01T12:00:00Z\", \"source\": \"grid:DE\","
					    " \"zone\": \"ignored\"}");

	(void)state;
	assert_true(v.grams_per_kwh == 231.5);
	assert_true(v.has_timestamp);
	assert_true(v.timestamp == T_2026_05_01_12Z);
	assert_string_equal(v.source, "grid:DE");
}

static void parse__minimal__no_timestamp_no_source(void **state)
{
	struct intensity_value v = parse_ok("{\"grams_per_kwh\": 0}");

	(void)state;
	assert_true(v.grams_per_kwh == 0);
	assert_false(v.has_timestamp);
	assert_string_equal(v.source, "");
	v = parse_ok("{\"grams_per_kwh\": 10000, \"timestamp\": 1777636800.5}");
	assert_true(v.timestamp == T_2026_05_01_12Z + 0.5);
}

static void parse__bad__says_why(void **state)
{
	(void)state;
	parse_bad("", "not JSON");
	parse_bad("{\"grams_per_kwh\": 1", "not JSON");
	parse_bad("[231]", "want a JSON object with grams_per_kwh");
	parse_bad("{\"intensity\": 231}", "want a JSON object with grams_per_kwh");
	parse_bad("{\"grams_per_kwh\": \"231\"}", "from 0 to 10000");
	parse_bad("{\"grams_per_kwh\": -1}", "from 0 to 10000");
	parse_bad("{\"grams_per_kwh\": 10000.5}", "from 0 to 10000");
	parse_bad("{\"grams_per_kwh\": 1, \"grams_per_kwh\": 2}", "not JSON");
	parse_bad("{\"grams_per_kwh\": 1, \"source\": 7}", "source must be a string");
	parse_bad("{\"grams_per_kwh\": 1, \"timestamp\": \"yesterday\"}", "RFC 3339");
	parse_bad("{\"grams_per_kwh\": 1, \"timestamp\": -5}", "RFC 3339");
}

static void parse_time__rfc3339__utc_seconds(void **state)
{
	double t = 0;

	(void)state;
	assert_int_equal(intensity__parse_time("2026-05-01T12:00:00Z", &t), 0);
	assert_true(t == T_2026_05_01_12Z);
	assert_int_equal(intensity__parse_time("2026-05-01T14:30:00+02:30", &t), 0);
	assert_true(t == T_2026_05_01_12Z);
	assert_int_equal(intensity__parse_time("2026-05-01t07:00:00-0500", &t), 0);
	assert_true(t == T_2026_05_01_12Z);
	assert_int_equal(intensity__parse_time("2026-05-01 12:00:00.25z", &t), 0);
	assert_true(t == T_2026_05_01_12Z + 0.25);
	assert_int_equal(intensity__parse_time("2026-05-01T12:00:00", &t), -EINVAL);
	assert_int_equal(intensity__parse_time("2026-05-01", &t), -EINVAL);
	assert_int_equal(intensity__parse_time("2026-05-01T12:00:00+25:00", &t), -EINVAL);
	assert_int_equal(intensity__parse_time("2026-05-01T12:00:00Zjunk", &t), -EINVAL);
}

static void write_file(struct fix *f, const char *rel, const char *json)
{
	assert_int_equal(fake__write(&f->fs, rel, "%s", json), 0);
}

static struct intensity_state state_at(struct fix *f, double now)
{
	struct intensity_state s;

	intensity__state(&f->it, now, &s);
	return s;
}

/* An edit in place (new size or mtime) is read at the next refresh, not before. */
static void refresh__edited_in_place__new_value(void **state)
{
	struct fix *f = *state;
	struct intensity_state s;

	write_file(f, "intensity.json", "{\"grams_per_kwh\": 400, \"timestamp\": 1777636800}");
	assert_int_equal(intensity__init(&f->it, f->path, 7200, -1), 0);
	intensity__refresh(&f->it);
	s = state_at(f, T_2026_05_01_12Z + 60);
	assert_true(s.enabled && s.from_file);
	assert_true(s.value.grams_per_kwh == 400);
	assert_true(s.age_s == 60);
	assert_false(s.stale);
	assert_int_equal(s.reloads, 1);

	write_file(f, "intensity.json", "{\"grams_per_kwh\": 120.25, \"timestamp\": 1777640400}");
	s = state_at(f, T_2026_05_01_12Z + 3600);
	assert_true(s.value.grams_per_kwh == 400); /* not looked at yet */
	intensity__refresh(&f->it);
	s = state_at(f, T_2026_05_01_12Z + 3600);
	assert_true(s.value.grams_per_kwh == 120.25);
	assert_true(s.age_s == 0);
	assert_int_equal(s.reloads, 2);
	assert_int_equal(s.errors, 0);
}

/* kubelet's layout: name -> ..data/name, ..data -> ..<timestamp>; an update swaps ..data. */
static void configmap_swap(struct fix *f, const char *version, const char *json)
{
	char dir[PATH_MAX], tmp[PATH_MAX], data[PATH_MAX], rel[128];

	snprintf(rel, sizeof(rel), "%s/intensity.json", version);
	write_file(f, rel, json);
	fake__path(&f->fs, version, dir, sizeof(dir));
	fake__path(&f->fs, "..data_tmp", tmp, sizeof(tmp));
	fake__path(&f->fs, "..data", data, sizeof(data));
	assert_int_equal(symlink(version, tmp), 0);
	assert_int_equal(rename(tmp, data), 0);
}

static void refresh__configmap_symlink_swap__new_value(void **state)
{
	struct fix *f = *state;
	struct intensity_state s;

	configmap_swap(f, "..2026_05_01_12_00_00.1", "{\"grams_per_kwh\": 300}");
	assert_int_equal(symlink("..data/intensity.json", f->path), 0);
	assert_int_equal(intensity__init(&f->it, f->path, 7200, -1), 0);
	assert_true(state_at(f, 0).value.grams_per_kwh == 300);

	/* the same size and, often, the same second: only the inode tells */
	configmap_swap(f, "..2026_05_01_12_00_00.2", "{\"grams_per_kwh\": 301}");
	intensity__refresh(&f->it);
	s = state_at(f, 0);
	assert_true(s.value.grams_per_kwh == 301);
	assert_int_equal(s.reloads, 2);
	intensity__refresh(&f->it);
	assert_int_equal(state_at(f, 0).reloads, 2); /* unchanged: not read again */
}

static void state__old_timestamp__stale_but_used(void **state)
{
	struct fix *f = *state;
	struct intensity_state s;

	write_file(f, "intensity.json",
		   "{\"grams_per_kwh\": 250, \"timestamp\": \"2026-05-01T12:00:00Z\"}");
	assert_int_equal(intensity__init(&f->it, f->path, 7200, -1), 0);
	s = state_at(f, T_2026_05_01_12Z + 7200);
	assert_false(s.stale);
	s = state_at(f, T_2026_05_01_12Z + 7200.5);
	assert_true(s.stale);
	assert_true(s.age_s == 7200.5);
	assert_true(s.value.grams_per_kwh == 250);
	assert_true(s.max_age_s == 7200);
	s = state_at(f, T_2026_05_01_12Z - 30); /* a clock behind the writer's */
	assert_true(s.age_s == 0);
}

/* Without a timestamp in it, the value is as old as the file. */
static void state__no_timestamp__age_from_mtime(void **state)
{
	struct fix *f = *state;
	struct timespec times[2] = { { .tv_sec = 1777636800, .tv_nsec = 500000000 },
				     { .tv_sec = 1777636800, .tv_nsec = 500000000 } };
	struct intensity_state s;

	write_file(f, "intensity.json", "{\"grams_per_kwh\": 80, \"source\": \"hand\"}");
	assert_int_equal(utimensat(AT_FDCWD, f->path, times, 0), 0);
	assert_int_equal(intensity__init(&f->it, f->path, 600, -1), 0);
	s = state_at(f, T_2026_05_01_12Z + 600.5);
	assert_true(s.age_s == 600);
	assert_false(s.stale);
	assert_false(s.value.has_timestamp);
	assert_string_equal(s.value.source, "hand");
	assert_true(state_at(f, T_2026_05_01_12Z + 601).stale);
}

/* A bad version keeps the last good value, warns once, and counts; a good one recovers. */
static void refresh__bad_version__last_good_kept(void **state)
{
	struct fix *f = *state;
	struct captured c;
	struct intensity_state s;

	write_file(f, "intensity.json", "{\"grams_per_kwh\": 500}");
	assert_int_equal(intensity__init(&f->it, f->path, 7200, -1), 0);
	write_file(f, "intensity.json", "{\"grams_per_kwh\": \"lots\"}");
	capture__begin(&c);
	intensity__refresh(&f->it);
	intensity__refresh(&f->it);
	assert_string_equal(capture__end(&c),
			    "wattlet: carbon intensity: grams_per_kwh must be a number from 0 to "
			    "10000; keeping 500 gCO2e/kWh\n");
	s = state_at(f, 0);
	assert_true(s.value.grams_per_kwh == 500);
	assert_int_equal(s.errors, 1);
	write_file(f, "intensity.json", "{\"grams_per_kwh\": 501}");
	intensity__refresh(&f->it);
	s = state_at(f, 0);
	assert_true(s.value.grams_per_kwh == 501);
	assert_int_equal(s.errors, 1);
	assert_int_equal(s.reloads, 2);
}

static void refresh__file_vanishes__kept_warned_once(void **state)
{
	struct fix *f = *state;
	struct captured c;

	write_file(f, "intensity.json", "{\"grams_per_kwh\": 42}");
	assert_int_equal(intensity__init(&f->it, f->path, 7200, -1), 0);
	assert_int_equal(unlink(f->path), 0);
	capture__begin(&c);
	for (int i = 0; i < 3; i++)
		intensity__refresh(&f->it);
	assert_int_equal(count_lines(capture__end(&c)), 1);
	assert_true(state_at(f, 0).value.grams_per_kwh == 42);
	assert_int_equal(state_at(f, 0).errors, 1);
	write_file(f, "intensity.json", "{\"grams_per_kwh\": 43}");
	intensity__refresh(&f->it);
	assert_true(state_at(f, 0).value.grams_per_kwh == 43);
}

/* At start, a file that cannot be used is an error unless a static value stands in. */
static void init__unusable_file__error_or_static_stand_in(void **state)
{
	struct fix *f = *state;
	struct intensity_state s;
	struct captured c;

	capture__begin(&c);
	assert_int_equal(intensity__init(&f->it, f->path, 7200, -1), -ENOENT);
	write_file(f, "intensity.json", "{}");
	assert_int_equal(intensity__init(&f->it, f->path, 7200, -1), -EINVAL);
	assert_int_equal(count_lines(capture__end(&c)), 2);

	capture__begin(&c);
	assert_int_equal(intensity__init(&f->it, f->path, 7200, 350), 0);
	assert_int_equal(count_lines(capture__end(&c)), 1);
	s = state_at(f, T_2026_05_01_12Z);
	assert_true(s.enabled);
	assert_true(s.value.grams_per_kwh == 350);
	assert_string_equal(s.value.source, "--carbon-intensity");
	assert_true(s.stale);
	write_file(f, "intensity.json", "{\"grams_per_kwh\": 90, \"timestamp\": 1777636800}");
	intensity__refresh(&f->it);
	s = state_at(f, T_2026_05_01_12Z);
	assert_true(s.value.grams_per_kwh == 90);
	assert_false(s.stale);
}

static void init__static_only__never_stale(void **state)
{
	struct fix *f = *state;
	struct intensity_state s;

	assert_int_equal(intensity__init(&f->it, NULL, 7200, 475), 0);
	intensity__refresh(&f->it);
	s = state_at(f, 1e12);
	assert_true(s.enabled);
	assert_false(s.from_file);
	assert_false(s.stale);
	assert_true(s.value.grams_per_kwh == 475);
	assert_int_equal(intensity__init(&f->it, NULL, 7200, -1), 0);
	assert_false(state_at(f, 0).enabled);
}

static void init__oversized_file__rejected(void **state)
{
	struct fix *f = *state;
	char *big = malloc(INTENSITY_MAX_FILE_BYTES + 64);
	struct captured c;

	assert_non_null(big);
	memset(big, ' ', INTENSITY_MAX_FILE_BYTES + 32);
	strcpy(big + INTENSITY_MAX_FILE_BYTES + 8, "{\"grams_per_kwh\": 1}");
	write_file(f, "intensity.json", big);
	free(big);
	capture__begin(&c);
	assert_int_equal(intensity__init(&f->it, f->path, 7200, -1), -EINVAL);
	assert_non_null(strstr(capture__end(&c), "larger than 64 KiB"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(parse__full__every_field),
		T(parse__minimal__no_timestamp_no_source),
		T(parse__bad__says_why),
		T(parse_time__rfc3339__utc_seconds),
		T(refresh__edited_in_place__new_value),
		T(refresh__configmap_symlink_swap__new_value),
		T(state__old_timestamp__stale_but_used),
		T(state__no_timestamp__age_from_mtime),
		T(refresh__bad_version__last_good_kept),
		T(refresh__file_vanishes__kept_warned_once),
		T(init__unusable_file__error_or_static_stand_in),
		T(init__static_only__never_stale),
		T(init__oversized_file__rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
