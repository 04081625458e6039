/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a filesystem is mounted, for the C tests: the daemon's own mountinfo
 * parser (user/cgroupfs.c), which reads the type after the " - " separator,
 * so optional fields (shared:N, master:N) never shift it.
 */
#ifndef __WATTLET_TESTS_CGROUP2_H
#define __WATTLET_TESTS_CGROUP2_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "cgroupfs.h"

/* The first mount of fstype ("cgroup2", "cgroup") into out. 0, -ENOENT or -errno. */
static inline int test__find_mount(const char *fstype, char *out, size_t size)
{
	size_t len = 0, cap = 1 << 16;
	char *text = malloc(cap);
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err = -ENOMEM;

	if (!f || !text) {
		err = f ? -ENOMEM : -errno;
		goto out;
	}
	while ((len += fread(text + len, 1, cap - len - 1, f)) == cap - 1) {
		char *bigger = realloc(text, cap *= 2);

		if (!bigger)
			goto out;
		text = bigger;
	}
	text[len] = '\0';
	err = cgroupfs__find_mount(text, fstype, out, size);
out:
	if (f)
		fclose(f);
	free(text);
	return err;
}

/* The cgroup v2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts. */
static inline int test__cgroup2_root(char *out, size_t size)
{
	return test__find_mount("cgroup2", out, size);
}

#endif /* __WATTLET_TESTS_CGROUP2_H */
