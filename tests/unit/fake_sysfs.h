/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Fake /sys trees for the meter tests: a mkdtemp root, files written by the test. */
#ifndef __WATTLET_TESTS_FAKE_SYSFS_H
#define __WATTLET_TESTS_FAKE_SYSFS_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fake_sysfs {
	char root[64]; /* /tmp/wattlet-sysfs-XXXXXX */
};

static inline int fake__mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

static inline int fake__open(struct fake_sysfs *fs)
{
	snprintf(fs->root, sizeof(fs->root), "/tmp/wattlet-sysfs-XXXXXX");
	return mkdtemp(fs->root) ? 0 : -errno;
}

/* Write root/rel (creating its directories) with printf-style content and a newline. */
static inline __attribute__((format(printf, 3, 4))) int
fake__write(struct fake_sysfs *fs, const char *rel, const char *fmt, ...)
{
	char path[PATH_MAX], dir[PATH_MAX], *slash;
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fs->root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (fake__mkdirs(dir))
		return -1;
	f = fopen(path, "w");
	if (!f)
		return -1;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	return fclose(f);
}

static inline void fake__path(const struct fake_sysfs *fs, const char *rel, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", fs->root, rel);
}

static inline int fake__remove(struct fake_sysfs *fs, const char *rel)
{
	char path[PATH_MAX], cmd[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/%s", fs->root, rel);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

static inline void fake__close(struct fake_sysfs *fs)
{
	if (fs->root[0] && strstr(fs->root, "/tmp/wattlet-sysfs-") == fs->root)
		fake__remove(fs, "");
	fs->root[0] = '\0';
}

#endif /* __WATTLET_TESTS_FAKE_SYSFS_H */
