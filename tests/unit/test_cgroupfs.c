// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* mountinfo parsing: where cgroup2 is mounted, hybrid or unified, escaped or not. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "cgroupfs.h"

static const char hybrid[] =
	"23 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void parse_mountinfo__hybrid__finds_unified(void **state)
{
	char out[PATH_MAX];

	assert_int_equal(cgroupfs__parse_mountinfo(hybrid, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
}

static void parse_mountinfo__unified__finds_sys_fs_cgroup(void **state)
{
	static const char text[] =
		"25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 "
		"cgroup2 rw,nsdelegate,memory_recursiveprot";
	char out[PATH_MAX];

	assert_int_equal(cgroupfs__parse_mountinfo(text, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup");
}

static void parse_mountinfo__optional_fields__skipped(void **state)
{
	static const char text[] = "30 25 0:26 / /host/cg rw shared:1 master:2 - cgroup2 none rw\n";
	char out[PATH_MAX];

	assert_int_equal(cgroupfs__parse_mountinfo(text, out, sizeof(out)), 0);
	assert_string_equal(out, "/host/cg");
}

static void parse_mountinfo__escaped_space__unescaped(void **state)
{
	static const char text[] = "30 25 0:26 / /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw\n";
	char out[PATH_MAX];

	assert_int_equal(cgroupfs__parse_mountinfo(text, out, sizeof(out)), 0);
	assert_string_equal(out, "/mnt/my cgroups");
}

static void parse_mountinfo__v1_only__enoent(void **state)
{
	static const char text[] = "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
				   "33 31 0:30 / /x rw - cgroup2fs x rw\n";
	char out[PATH_MAX];

	assert_int_equal(cgroupfs__parse_mountinfo(text, out, sizeof(out)), -ENOENT);
}

static void parse_mountinfo__garbage__enoent(void **state)
{
	char out[PATH_MAX];

	assert_int_equal(cgroupfs__parse_mountinfo("", out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroupfs__parse_mountinfo(" - cgroup2", out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroupfs__parse_mountinfo("1 2 3\n - \n\n", out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroupfs__parse_mountinfo("a b c d - cgroup2 x y", out, sizeof(out)),
			 -ENOENT);
}

static void parse_mountinfo__long_path__enametoolong(void **state)
{
	static const char text[] = "1 2 0:1 / /a/very/long/path rw - cgroup2 cgroup2 rw\n";
	char out[8];

	assert_int_equal(cgroupfs__parse_mountinfo(text, out, sizeof(out)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_mountinfo__hybrid__finds_unified),
		cmocka_unit_test(parse_mountinfo__unified__finds_sys_fs_cgroup),
		cmocka_unit_test(parse_mountinfo__optional_fields__skipped),
		cmocka_unit_test(parse_mountinfo__escaped_space__unescaped),
		cmocka_unit_test(parse_mountinfo__v1_only__enoent),
		cmocka_unit_test(parse_mountinfo__garbage__enoent),
		cmocka_unit_test(parse_mountinfo__long_path__enametoolong),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
