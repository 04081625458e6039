// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Cgroup memory figures on fake hierarchies: cgroup2 with the memory
 * controller, a hybrid host whose memory controller is on v1, neither;
 * a cgroup's own bytes are its figure less its children's.
 * (tests/e2e/energy_dram.sh reads real cgroups.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fake_sysfs.h"
#include "cgroup_memory.h"

struct fix {
	struct fake_sysfs fs;
	char v2[PATH_MAX], v1[PATH_MAX];
	struct cgroup_memory cm;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(fake__open(&f->fs), 0);
	fake__path(&f->fs, "unified", f->v2, sizeof(f->v2));
	fake__path(&f->fs, "memory", f->v1, sizeof(f->v1));
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

/* /a holds 300 (b 100 and c 50 of it), /a/b 100, /d 7; /e has no figure. */
static void tree(struct fix *f, const char *top, const char *file)
{
	char rel[256];

#define PUT(dir, val)                                          \
	snprintf(rel, sizeof(rel), "%s%s/%s", top, dir, file); \
	assert_int_equal(fake__write(&f->fs, rel, "%s", val), 0)
	PUT("/a", "300");
	PUT("/a/b", "100");
	PUT("/a/c", "50");
	PUT("/d", "7");
#undef PUT
	snprintf(rel, sizeof(rel), "%s/e/cgroup.procs", top);
	assert_int_equal(fake__write(&f->fs, rel, "%s", ""), 0);
}

static __u64 own(struct fix *f, const char *rel)
{
	__u64 bytes = 12345;

	assert_int_equal(cgroup_memory__own(&f->cm, rel, &bytes), 0);
	return bytes;
}

static void no_figure(struct fix *f, const char *rel)
{
	__u64 bytes = 12345;

	assert_int_equal(cgroup_memory__own(&f->cm, rel, &bytes), -ENOENT);
	assert_int_equal(bytes, 12345);
}

static void open__v2_with_memory__memory_current(void **state)
{
	struct fix *f = *state;

	assert_int_equal(fake__write(&f->fs, "unified/cgroup.controllers",
				     "cpuset cpu io memory hugetlb pids"),
			 0);
	tree(f, "unified", "memory.current");
	tree(f, "memory", "memory.usage_in_bytes");
	cgroup_memory__open(&f->cm, f->v2, f->v1);
	assert_int_equal(f->cm.source, CGROUP_MEMORY_V2);
	assert_string_equal(f->cm.file, "memory.current");
	assert_int_equal(own(f, "/a"), 150);
	assert_int_equal(own(f, "/a/b"), 100);
	assert_int_equal(own(f, "/d"), 7);
	no_figure(f, "/e");
	no_figure(f, "/");
	no_figure(f, "/gone");
}

/* This machine's layout: cgroup2 lists only hugetlb, memory is on v1. */
static void open__hybrid__v1_same_paths(void **state)
{
	struct fix *f = *state;

	assert_int_equal(fake__write(&f->fs, "unified/cgroup.controllers", "hugetlb"), 0);
	tree(f, "memory", "memory.usage_in_bytes");
	cgroup_memory__open(&f->cm, f->v2, f->v1);
	assert_int_equal(f->cm.source, CGROUP_MEMORY_V1);
	assert_string_equal(f->cm.root, f->v1);
	assert_non_null(strstr(f->cm.why, "cgroup2 has no memory controller here"));
	assert_int_equal(own(f, "/a"), 150);
	assert_int_equal(own(f, "/a/c"), 50);
	no_figure(f, "/");
}

static void open__neither__no_figures(void **state)
{
	struct fix *f = *state;

	assert_int_equal(fake__write(&f->fs, "unified/cgroup.controllers", "cpu"), 0);
	tree(f, "unified", "memory.current");
	cgroup_memory__open(&f->cm, f->v2, NULL);
	assert_int_equal(f->cm.source, CGROUP_MEMORY_NONE);
	no_figure(f, "/a");
}

/* Children read after their parent grew: never below zero. Garbage is no figure. */
static void own__children_above_parent_or_garbage(void **state)
{
	struct fix *f = *state;

	assert_int_equal(fake__write(&f->fs, "unified/cgroup.controllers", "memory"), 0);
	assert_int_equal(fake__write(&f->fs, "unified/p/memory.current", "10"), 0);
	assert_int_equal(fake__write(&f->fs, "unified/p/q/memory.current", "11"), 0);
	assert_int_equal(fake__write(&f->fs, "unified/g/memory.current", "lots"), 0);
	cgroup_memory__open(&f->cm, f->v2, NULL);
	assert_int_equal(own(f, "/p"), 0);
	no_figure(f, "/g");
}

/* An interval's sample: the collection's cgroups with a path, and MemTotal - MemFree. */
static void sample_take__accounts__own_bytes_and_in_use(void **state)
{
	struct fix *f = *state;
	struct wl_cgroup kv = { 0 };
	struct memory_sample ms = { 0 };
	struct accounts acc = { 0 };
	struct cgroup_account *c;
	char meminfo[PATH_MAX];
	double bytes;
	size_t pos = 0;
	__u64 id;
	void *val;

	assert_int_equal(fake__write(&f->fs, "unified/cgroup.controllers", "memory"), 0);
	tree(f, "unified", "memory.current");
	assert_int_equal(fake__write(&f->fs, "meminfo",
				     "MemTotal:       16384 kB\n"
				     "MemFree:         4096 kB\nMemAvailable:   8192 kB"),
			 0);
	fake__path(&f->fs, "meminfo", meminfo, sizeof(meminfo));
	cgroup_memory__open(&f->cm, f->v2, NULL);
	for (id = 1; id <= 4; id++)
		assert_int_equal(accounts__cgroup(&acc, id, &kv), 0);
	while (idmap__next(&acc.cgroups, &pos, &id, &val)) {
		c = val;
		c->path = id == 1 ? strdup("/a") :
			  id == 2 ? strdup("/a/b") :
			  id == 3 ? strdup("/e") :
				    NULL;
	}
	assert_int_equal(memory_sample__take(&ms, &f->cm, &acc, meminfo), 0);
	assert_true(ms.taken);
	assert_true(ms.used_bytes == 12288 * 1024.0);
	assert_true(memory_sample__own(&ms, 1, &bytes) && bytes == 150);
	assert_true(memory_sample__own(&ms, 2, &bytes) && bytes == 100);
	assert_false(memory_sample__own(&ms, 3, &bytes)); /* no memory.current */
	assert_false(memory_sample__own(&ms, 4, &bytes)); /* no path */
	/* the next interval starts afresh */
	assert_int_equal(fake__write(&f->fs, "unified/a/b/memory.current", "120"), 0);
	assert_int_equal(memory_sample__take(&ms, &f->cm, &acc, meminfo), 0);
	assert_true(memory_sample__own(&ms, 1, &bytes) && bytes == 130);
	memory_sample__free(&ms);
	accounts__free(&acc);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(open__v2_with_memory__memory_current),
		T(open__hybrid__v1_same_paths),
		T(open__neither__no_figures),
		T(own__children_above_parent_or_garbage),
		T(sample_take__accounts__own_bytes_and_in_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
