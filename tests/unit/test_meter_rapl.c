// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The rapl meter against fake powercap trees written by the test: the
 * expected joules are the counter steps the test itself wrote.
 */
#include <linux/capability.h>
#include <sys/syscall.h>
#include "meter_test.h"

#define RANGE 262143328850ULL /* a real max_energy_range_uj */
#define PC    "class/powercap"

static void zone(struct fixture *f, const char *id, const char *name, unsigned long long uj)
{
	char rel[256];

	snprintf(rel, sizeof(rel), PC "/%s/name", id);
	assert_int_equal(fake__write(&f->fs, rel, "%s", name), 0);
	snprintf(rel, sizeof(rel), PC "/%s/max_energy_range_uj", id);
	assert_int_equal(fake__write(&f->fs, rel, "%llu", RANGE), 0);
	snprintf(rel, sizeof(rel), PC "/%s/energy_uj", id);
	assert_int_equal(fake__write(&f->fs, rel, "%llu", uj), 0);
}

static void set_uj(struct fixture *f, const char *id, unsigned long long uj)
{
	char rel[256];

	snprintf(rel, sizeof(rel), PC "/%s/energy_uj", id);
	assert_int_equal(fake__write(&f->fs, rel, "%llu", uj), 0);
}

static void set_raw(struct fixture *f, const char *id, const char *file, const char *text)
{
	char rel[256];

	snprintf(rel, sizeof(rel), PC "/%s/%s", id, file);
	assert_int_equal(fake__write(&f->fs, rel, "%s", text), 0);
}

static int setup(void **state)
{
	struct fixture *f;

	fixture__setup(state);
	f = *state;
	/* the control type directory itself is no zone */
	assert_int_equal(fake__write(&f->fs, PC "/intel-rapl/enabled", "1"), 0);
	return 0;
}

/* Rejected, and no zone counted anything either. */
static void read_rejected(struct fixture *f, double interval, struct meter_reading *r)
{
	fixture__read_rejected(f, interval, r);
	for (int i = 0; i < r->nr_zones; i++)
		assert_true(r->zones[i].joules == 0 && r->zones[i].joules_total >= 0);
}

/*
 * Two sockets with dram. Indexes are deliberately not in name order (dram is
 * :0:0 on socket 0 and :1:1 on socket 1): zones are known by name.
 */
static void rapl_read__intel_two_socket_dram__packages_plus_dram(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	zone(f, "intel-rapl:0", "package-0", 1000000);
	zone(f, "intel-rapl:0:0", "dram", 2000000);
	zone(f, "intel-rapl:0:1", "core", 3000000);
	zone(f, "intel-rapl:1", "package-1", 4000000);
	zone(f, "intel-rapl:1:0", "core", 5000000);
	zone(f, "intel-rapl:1:1", "dram", 6000000);
	fixture__open(f, "auto", "rapl");

	set_uj(f, "intel-rapl:0", 1000000 + 100000000);	 /* +100 J */
	set_uj(f, "intel-rapl:0:0", 2000000 + 20000000); /* +20 J */
	set_uj(f, "intel-rapl:0:1", 3000000 + 60000000); /* +60 J, inside package-0 */
	set_uj(f, "intel-rapl:1", 4000000 + 80000000);	 /* +80 J */
	set_uj(f, "intel-rapl:1:0", 5000000 + 50000000); /* +50 J, inside package-1 */
	set_uj(f, "intel-rapl:1:1", 6000000 + 10000000); /* +10 J */
	fixture__read_ok(f, 2.0, &r);

	assert_int_equal(r.nr_zones, 6);
	assert_float_equal(r.joules, 210.0, J_EPS);
	assert_float_equal(r.span_s, 2.0, J_EPS);
	assert_true(zone_named(&r, "package-0")->in_node_total);
	assert_true(zone_named(&r, "package-1/dram")->in_node_total);
	assert_false(zone_named(&r, "package-0/core")->in_node_total);
	/* DRAM zones say so: attribution shares them by memory */
	assert_true(zone_named(&r, "package-0/dram")->dram &&
		    zone_named(&r, "package-1/dram")->dram);
	assert_false(zone_named(&r, "package-0")->dram || zone_named(&r, "package-0/core")->dram);
	assert_float_equal(zone_named(&r, "package-0/dram")->joules, 20.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-1/core")->joules, 50.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-0")->watts, 50.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-1")->joules_total, 80.0, J_EPS);

	set_uj(f, "intel-rapl:0", 1000000 + 110000000); /* +10 J */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 10.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-0")->joules_total, 110.0, J_EPS);
	assert_int_equal(meter__errors(f->m), 0);
}

static void rapl_read__amd_single_socket__package_only(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	zone(f, "intel-rapl:0", "package-0", 0);
	zone(f, "intel-rapl:0:0", "core", 0);
	fixture__open(f, "rapl", "rapl");
	set_uj(f, "intel-rapl:0", 45500000); /* 45.5 J */
	set_uj(f, "intel-rapl:0:0", 30000000);
	fixture__read_ok(f, 1.0, &r);
	assert_int_equal(r.nr_zones, 2);
	assert_float_equal(r.joules, 45.5, J_EPS);
	assert_null(zone_named(&r, "package-0/dram"));
	assert_float_equal(zone_named(&r, "package-0/core")->joules, 30.0, J_EPS);
}

/* psys covers the platform: packages, dram and the mmio duplicate are detail. */
static void rapl_read__laptop_psys__psys_only(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	zone(f, "intel-rapl:0", "package-0", 0);
	zone(f, "intel-rapl:0:0", "core", 0);
	zone(f, "intel-rapl:0:1", "uncore", 0);
	zone(f, "intel-rapl:0:2", "dram", 0);
	zone(f, "intel-rapl:1", "psys", 0);
	zone(f, "intel-rapl-mmio:0", "package-0", 0);
	fixture__open(f, "auto", "rapl");
	set_uj(f, "intel-rapl:0", 8000000);
	set_uj(f, "intel-rapl:0:0", 5000000);
	set_uj(f, "intel-rapl:0:1", 1000000);
	set_uj(f, "intel-rapl:0:2", 1500000);
	set_uj(f, "intel-rapl:1", 12000000);
	set_uj(f, "intel-rapl-mmio:0", 8000000);
	fixture__read_ok(f, 1.0, &r);
	assert_int_equal(r.nr_zones, 6);
	assert_float_equal(r.joules, 12.0, J_EPS);
	assert_true(zone_named(&r, "psys")->in_node_total);
	assert_false(zone_named(&r, "package-0")->in_node_total);
	assert_false(zone_named(&r, "mmio/package-0")->in_node_total);
	assert_float_equal(zone_named(&r, "mmio/package-0")->joules, 8.0, J_EPS);
}

/* A psys that lists but never counts: packages and dram make the total instead. */
static void rapl_read__psys_stands_still__packages_and_dram(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;

	zone(f, "intel-rapl:0", "package-0", 0);
	zone(f, "intel-rapl:0:0", "dram", 0);
	zone(f, "intel-rapl:1", "psys", 0);
	fixture__open(f, "rapl", "rapl");
	set_uj(f, "intel-rapl:0", 8000000);
	set_uj(f, "intel-rapl:0:0", 2000000);
	capture__begin(&c);
	fixture__read_ok(f, 1.0, &r);
	assert_non_null(strstr(capture__end(&c), "psys"));
	assert_float_equal(r.joules, 10.0, J_EPS);
	assert_false(zone_named(&r, "psys")->in_node_total);
	set_uj(f, "intel-rapl:0", 9000000);
	set_uj(f, "intel-rapl:1", 5000000); /* a late start changes nothing now */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 1.0, J_EPS);
	assert_int_equal(meter__errors(f->m), 0);
}

/* Without psys, an mmio package counts once: not at all next to its MSR twin. */
static void rapl_read__mmio_beside_msr__counted_once(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	zone(f, "intel-rapl:0", "package-0", 0);
	zone(f, "intel-rapl-mmio:0", "package-0", 0);
	fixture__open(f, "rapl", "rapl");
	set_uj(f, "intel-rapl:0", 7000000);
	set_uj(f, "intel-rapl-mmio:0", 7000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 7.0, J_EPS);
}

static void rapl_read__mmio_only__counted(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	assert_int_equal(fake__remove(&f->fs, PC "/intel-rapl"), 0);
	zone(f, "intel-rapl-mmio:0", "package-0", 0);
	fixture__open(f, "rapl", "rapl");
	set_uj(f, "intel-rapl-mmio:0", 9000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 9.0, J_EPS);
	assert_true(zone_named(&r, "mmio/package-0")->in_node_total);
}

static void rapl_read__counter_wraps__gain_across_wrap(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;

	zone(f, "intel-rapl:0", "package-0", RANGE - 30000000); /* 30 J below the top */
	fixture__open(f, "rapl", "rapl");
	set_uj(f, "intel-rapl:0", RANGE - 10000000); /* +20 J */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 20.0, J_EPS);
	set_uj(f, "intel-rapl:0", 15000000); /* wraps: +10 J +15 J */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 25.0, J_EPS);
	set_uj(f, "intel-rapl:0", 20000000); /* +5 J */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 5.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-0")->joules_total, 50.0, J_EPS);
	assert_int_equal(meter__errors(f->m), 0);
}

/* Clear or restore CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH in the effective set. */
static int dac_override(bool on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	__u32 bits = (1U << CAP_DAC_OVERRIDE) | (1U << CAP_DAC_READ_SEARCH);

	if (syscall(SYS_capget, &h, d))
		return -errno;
	if (on)
		d[0].effective |= bits & d[0].permitted;
	else
		d[0].effective &= ~bits;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/*
 * energy_uj mode 000: root reads it anyway through CAP_DAC_OVERRIDE, so the
 * test clears that capability (and CAP_DAC_READ_SEARCH) from its effective
 * set, which makes open() fail with EACCES exactly as for a non-root agent
 * after the PLATYPUS fix.
 */
static void rapl_open__permission_denied__eacces_naming_file(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct captured c;
	const char *err;
	int ret;

	zone(f, "intel-rapl:0", "package-0", 1000);
	fake__path(&f->fs, PC "/intel-rapl:0/energy_uj", path, sizeof(path));
	assert_int_equal(chmod(path, 0), 0);
	opts_from(&f->o, "--meter", "rapl", "--sysfs-root", f->fs.root, NULL);

	assert_int_equal(dac_override(false), 0);
	capture__begin(&c);
	ret = meter__open(&f->m, &f->o);
	err = capture__end(&c);
	assert_int_equal(dac_override(true), 0);

	assert_int_equal(ret, -EACCES);
	assert_null(f->m);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "Permission denied"));
	assert_non_null(strstr(err, "CVE-2020-8694"));
}

/* auto goes on to the next meter when rapl is denied, and says why. */
static void rapl_open__denied_in_auto__falls_back_with_reason(void **state)
{
	struct meter_input in = input_of(1.0);
	struct fixture *f = *state;
	struct meter_reading r;
	char path[PATH_MAX];
	struct captured c;
	const char *err;
	int ret;

	zone(f, "intel-rapl:0", "package-0", 1000);
	fake__path(&f->fs, PC "/intel-rapl:0/energy_uj", path, sizeof(path));
	assert_int_equal(chmod(path, 0), 0);
	opts_from(&f->o, "--meter", "auto", "--sysfs-root", f->fs.root, NULL);

	assert_int_equal(dac_override(false), 0);
	capture__begin(&c);
	ret = meter__open(&f->m, &f->o);
	if (!ret)
		meter__read(f->m, &in, &r);
	err = capture__end(&c);
	assert_int_equal(dac_override(true), 0);

	assert_int_equal(ret, 0);
	assert_string_equal(meter__name(f->m), "model");
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "using model"));
}

/* Denied mid-run: that interval is rejected, the next one covers both. */
static void rapl_read__denied_mid_run__rejected_then_recovered(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	char path[PATH_MAX];
	struct captured c;
	const char *err;

	zone(f, "intel-rapl:0", "package-0", 0);
	fixture__open(f, "rapl", "rapl");
	set_uj(f, "intel-rapl:0", 4000000);
	fake__path(&f->fs, PC "/intel-rapl:0/energy_uj", path, sizeof(path));
	assert_int_equal(chmod(path, 0), 0);
	assert_int_equal(dac_override(false), 0);
	capture__begin(&c);
	read_rejected(f, 1.0, &r);
	err = capture__end(&c);
	assert_int_equal(dac_override(true), 0);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "permission denied"));

	assert_int_equal(chmod(path, 0400), 0);
	set_uj(f, "intel-rapl:0", 6000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 6.0, J_EPS);
	assert_float_equal(r.span_s, 2.0, J_EPS);
}

static void rapl_open__no_powercap__enoent(void **state)
{
	struct fixture *f = *state;
	struct captured c;
	const char *err;
	int ret;

	opts_from(&f->o, "--meter", "rapl", "--sysfs-root", f->fs.root, NULL);
	capture__begin(&c);
	ret = meter__open(&f->m, &f->o);
	err = capture__end(&c);
	assert_int_equal(ret, -ENOENT);
	assert_non_null(strstr(err, f->fs.root));
}

/* Garbage is rejected; the baseline stays, so the next reading covers both intervals. */
static void rapl_read__garbage__rejected_nothing_lost(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;
	const char *err;

	zone(f, "intel-rapl:0", "package-0", 1000000);
	fixture__open(f, "rapl", "rapl");
	set_raw(f, "intel-rapl:0", "energy_uj", "12abc");
	capture__begin(&c);
	read_rejected(f, 1.0, &r);
	set_raw(f, "intel-rapl:0", "energy_uj", "");
	read_rejected(f, 1.0, &r);
	set_raw(f, "intel-rapl:0", "energy_uj", "-5");
	read_rejected(f, 1.0, &r);
	set_uj(f, "intel-rapl:0", RANGE + 1); /* above the range */
	read_rejected(f, 1.0, &r);
	err = capture__end(&c);
	assert_int_equal(count_lines(err), 1); /* one warning per kind */
	assert_non_null(strstr(err, "garbage"));

	set_uj(f, "intel-rapl:0", 9000000); /* +8 J over 5 s */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 8.0, J_EPS);
	assert_float_equal(r.span_s, 5.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-0")->watts, 1.6, J_EPS);
	assert_int_equal(meter__errors(f->m), 4);
}

static void rapl_read__missing_file__rejected_nothing_lost(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;

	zone(f, "intel-rapl:0", "package-0", 0);
	fixture__open(f, "rapl", "rapl");
	assert_int_equal(fake__remove(&f->fs, PC "/intel-rapl:0/energy_uj"), 0);
	capture__begin(&c);
	read_rejected(f, 2.0, &r);
	assert_non_null(strstr(capture__end(&c), "missing file"));
	set_uj(f, "intel-rapl:0", 3000000);
	fixture__read_ok(f, 2.0, &r);
	assert_float_equal(r.joules, 3.0, J_EPS);
}

/* Backwards with no plausible wrap: rejected, and the new value is the baseline. */
static void rapl_read__backwards__rejected_then_rebaselined(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;

	zone(f, "intel-rapl:0", "package-0", 50000000);
	fixture__open(f, "rapl", "rapl");
	set_uj(f, "intel-rapl:0", 40000000);
	capture__begin(&c);
	read_rejected(f, 1.0, &r);
	assert_non_null(strstr(capture__end(&c), "backwards"));
	set_uj(f, "intel-rapl:0", 43000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 3.0, J_EPS);
	assert_float_equal(r.span_s, 1.0, J_EPS);
}

static void rapl_read__above_max_watts__rejected(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;

	zone(f, "intel-rapl:0", "package-0", 0);
	opts_from(&f->o, "--meter", "rapl", "--sysfs-root", f->fs.root, "--max-watts", "500", NULL);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	f->name = "rapl";
	set_uj(f, "intel-rapl:0", 1200000000); /* 1200 J in 2 s: 600 W */
	capture__begin(&c);
	read_rejected(f, 2.0, &r);
	assert_non_null(strstr(capture__end(&c), "--max-watts"));
	set_uj(f, "intel-rapl:0", 1300000000); /* 100 J in 2 s */
	fixture__read_ok(f, 2.0, &r);
	assert_float_equal(r.joules, 100.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-0")->joules_total, 100.0, J_EPS);
}

/* A new zone: that interval rejected, then counted with the others. */
static void rapl_read__zone_appears__rejected_once_then_counted(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;

	zone(f, "intel-rapl:0", "package-0", 0);
	fixture__open(f, "rapl", "rapl");
	set_uj(f, "intel-rapl:0", 1000000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 1.0, J_EPS);

	zone(f, "intel-rapl:1", "package-1", 9000000);
	capture__begin(&c);
	read_rejected(f, 1.0, &r);
	assert_non_null(strstr(capture__end(&c), "zones changed"));
	assert_int_equal(r.nr_zones, 2);
	set_uj(f, "intel-rapl:0", 2000000);
	set_uj(f, "intel-rapl:1", 9500000);
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 1.5, J_EPS);
	assert_float_equal(zone_named(&r, "package-0")->joules_total, 1.0 + 1.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-1")->joules_total, 0.5, J_EPS);
	assert_int_equal(meter__errors(f->m), 1);
}

/*
 * package-0 vanishes and its dram stays (the fault probe's case: dram alone
 * was taken as the node, 5 W of 25 W). Every interval it is gone is an
 * error, no zone changes its name, and when it returns the counters it kept
 * running cover the whole gap.
 */
static void rapl_read__zone_vanishes__rejected_while_gone_names_kept(void **state)
{
	struct fixture *f = *state;
	struct meter_reading r;
	struct captured c;
	const char *err;

	zone(f, "intel-rapl:0", "package-0", 0);
	zone(f, "intel-rapl:0:0", "dram", 0);
	fixture__open(f, "rapl", "rapl");
	set_uj(f, "intel-rapl:0", 20000000);  /* +20 J */
	set_uj(f, "intel-rapl:0:0", 5000000); /* +5 J */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 25.0, J_EPS);

	assert_int_equal(fake__remove(&f->fs, PC "/intel-rapl:0"), 0);
	capture__begin(&c);
	for (int i = 1; i <= 3; i++) {
		set_uj(f, "intel-rapl:0:0", 5000000 + i * 5000000ULL);
		read_rejected(f, 1.0, &r);
		assert_int_equal(r.nr_zones, 2);
		assert_null(zone_named(&r, "dram"));
		assert_float_equal(zone_named(&r, "package-0")->joules_total, 20.0, J_EPS);
		assert_float_equal(zone_named(&r, "package-0/dram")->joules_total, 5.0, J_EPS);
	}
	err = capture__end(&c);
	assert_int_equal(meter__errors(f->m), 3);
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "zone vanished"));
	assert_non_null(strstr(err, "intel-rapl:0 "));

	zone(f, "intel-rapl:0", "package-0", 100000000); /* +80 J over the gap */
	set_uj(f, "intel-rapl:0:0", 25000000);		 /* +20 J over the gap */
	fixture__read_ok(f, 1.0, &r);
	assert_float_equal(r.joules, 100.0, J_EPS);
	assert_float_equal(r.span_s, 4.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-0")->joules_total, 100.0, J_EPS);
	assert_float_equal(zone_named(&r, "package-0/dram")->joules_total, 25.0, J_EPS);
	assert_int_equal(meter__errors(f->m), 3);
}

static void counter_gain__cases__plausible_or_negative(void **state)
{
	(void)state;
	assert_float_equal(meter__counter_gain(10, 15, 100), 5, 0);
	assert_float_equal(meter__counter_gain(95, 5, 100), 10, 0);
	assert_true(meter__counter_gain(60, 50, 100) < 0); /* 90 of 100 in one go */
	assert_true(meter__counter_gain(10, 5, 0) < 0);	   /* no range known */
	assert_true(meter__counter_gain(150, 5, 100) < 0); /* last above range */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			rapl_read__intel_two_socket_dram__packages_plus_dram, setup,
			fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__amd_single_socket__package_only, setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__laptop_psys__psys_only, setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__psys_stands_still__packages_and_dram,
						setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__mmio_beside_msr__counted_once, setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__mmio_only__counted, setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__counter_wraps__gain_across_wrap, setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_open__permission_denied__eacces_naming_file,
						setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_open__denied_in_auto__falls_back_with_reason,
						setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__denied_mid_run__rejected_then_recovered,
						setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_open__no_powercap__enoent, setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__garbage__rejected_nothing_lost, setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__missing_file__rejected_nothing_lost,
						setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__backwards__rejected_then_rebaselined,
						setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__above_max_watts__rejected, setup,
						fixture__teardown),
		cmocka_unit_test_setup_teardown(rapl_read__zone_appears__rejected_once_then_counted,
						setup, fixture__teardown),
		cmocka_unit_test_setup_teardown(
			rapl_read__zone_vanishes__rejected_while_gone_names_kept, setup,
			fixture__teardown),
		cmocka_unit_test(counter_gain__cases__plausible_or_negative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
