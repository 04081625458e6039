// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mountinfo parsing: where cgroup2 is mounted, hybrid or unified, escaped or
 * not. And --cgroup-root's check against this machine's own mounts: only the
 * root of a cgroup2 hierarchy is accepted.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "cgroup2.h"
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

static void find_mount__v1_type__finds_first_v1(void **state)
{
	char out[PATH_MAX];

	assert_int_equal(cgroupfs__find_mount(hybrid, "cgroup", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/cpu");
	assert_int_equal(cgroupfs__find_mount(hybrid, "tmpfs", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup");
	assert_int_equal(cgroupfs__find_mount(hybrid, "cgroup3", out, sizeof(out)), -ENOENT);
}

static void check_root__cgroup2_mount__accepted(void **state)
{
	char root[PATH_MAX], why[256] = "";

	assert_int_equal(test__cgroup2_root(root, sizeof(root)), 0);
	assert_int_equal(cgroupfs__check_root(root, why, sizeof(why)), 0);
	assert_string_equal(why, "");
}

/* /tmp was walked every interval (103 ms each); / mislabelled the root cgroup. */
static void check_root__other_filesystems__einval(void **state)
{
	const char *paths[] = { "/tmp", "/", "/proc" };
	char why[256];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(cgroupfs__check_root(paths[i], why, sizeof(why)), -EINVAL);
		assert_string_equal(why, "not a cgroup2 mount");
	}
}

static void check_root__missing__enoent(void **state)
{
	char why[256];

	assert_int_equal(cgroupfs__check_root("/nonexistent/wattlet", why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "No such file or directory");
}

/* A v1 hierarchy: this host's own (hybrid), else one mounted for the test. */
static void check_root__v1_hierarchy__einval(void **state)
{
	char v1[PATH_MAX], why[256], dir[] = "/tmp/wattlet-v1-XXXXXX";
	bool mounted = false;
	int ret;

	if (test__find_mount("cgroup", v1, sizeof(v1))) {
		assert_non_null(mkdtemp(dir));
		if (mount("cgroup", dir, "cgroup", 0, "none,name=wattlet-test")) {
			rmdir(dir);
			skip(); /* no cgroup v1 in this kernel: nothing to refuse */
		}
		snprintf(v1, sizeof(v1), "%s", dir);
		mounted = true;
	}
	ret = cgroupfs__check_root(v1, why, sizeof(why));
	if (mounted) {
		umount(dir);
		rmdir(dir);
	}
	assert_int_equal(ret, -EINVAL);
	assert_string_equal(why, "a cgroup v1 hierarchy, not cgroup2");
}

/* A cgroup below the root would label every path relative to itself. */
static void check_root__child_cgroup__einval(void **state)
{
	char root[PATH_MAX], child[PATH_MAX + 64], why[256], want[128];
	struct stat st;
	int ret;

	assert_int_equal(test__cgroup2_root(root, sizeof(root)), 0);
	snprintf(child, sizeof(child), "%s/wattlet-test-check-root-%d", root, getpid());
	if (mkdir(child, 0755))
		skip(); /* not root: cannot make a cgroup */
	assert_int_equal(stat(child, &st), 0);
	ret = cgroupfs__check_root(child, why, sizeof(why));
	rmdir(child);
	assert_int_equal(ret, -EINVAL);
	snprintf(want, sizeof(want), "cgroup %llu, not the root of cgroup2 (1)",
		 (unsigned long long)st.st_ino);
	assert_string_equal(why, want);
}

static void check_root__cgroup_file__enotdir(void **state)
{
	char root[PATH_MAX], file[PATH_MAX + 32], why[256];

	assert_int_equal(test__cgroup2_root(root, sizeof(root)), 0);
	snprintf(file, sizeof(file), "%s/cgroup.procs", root);
	assert_int_equal(cgroupfs__check_root(file, why, sizeof(why)), -ENOTDIR);
	assert_string_equal(why, "not a directory");
}

/* This test VM's mounts: the memory controller is bound to v1. */
static const char hybrid_memory[] =
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void parse_mountinfo_v1__hybrid__memory_mount(void **state)
{
	char out[PATH_MAX];

	assert_int_equal(cgroupfs__parse_mountinfo_v1(hybrid_memory, "memory", "/sys/fs/cgroup",
						      out, sizeof(out)),
			 0);
	assert_string_equal(out, "/sys/fs/cgroup/memory");
	assert_int_equal(cgroupfs__parse_mountinfo_v1(hybrid_memory, "cpu", "", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/sys/fs/cgroup/cpu");
	/* "name=systemd" is no controller, and cgroup2 is not v1 */
	assert_int_equal(
		cgroupfs__parse_mountinfo_v1(hybrid_memory, "systemd", "", out, sizeof(out)),
		-ENOENT);
	assert_int_equal(cgroupfs__parse_mountinfo_v1(hybrid, "memory", "", out, sizeof(out)),
			 -ENOENT);
}

/* A pod with the host's /sys below /host/sys sees its own memory mount first. */
static void parse_mountinfo_v1__container__the_one_near_cgroup2(void **state)
{
	static const char text[] =
		"700 690 0:32 /kubepods/pod1 /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
		"800 790 0:32 / /host/sys/fs/cgroup/memory rw - cgroup cgroup rw,memory,cpuset\n"
		"801 790 0:38 / /host/sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
	char out[PATH_MAX];

	assert_int_equal(cgroupfs__parse_mountinfo_v1(text, "memory", "/host/sys/fs/cgroup", out,
						      sizeof(out)),
			 0);
	assert_string_equal(out, "/host/sys/fs/cgroup/memory");
	assert_int_equal(
		cgroupfs__parse_mountinfo_v1(text, "memory", "/elsewhere", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/memory");
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
		cmocka_unit_test(find_mount__v1_type__finds_first_v1),
		cmocka_unit_test(check_root__cgroup2_mount__accepted),
		cmocka_unit_test(check_root__other_filesystems__einval),
		cmocka_unit_test(check_root__missing__enoent),
		cmocka_unit_test(check_root__v1_hierarchy__einval),
		cmocka_unit_test(check_root__child_cgroup__einval),
		cmocka_unit_test(check_root__cgroup_file__enotdir),
		cmocka_unit_test(parse_mountinfo_v1__hybrid__memory_mount),
		cmocka_unit_test(parse_mountinfo_v1__container__the_one_near_cgroup2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
