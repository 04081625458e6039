/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The cgroup v2 mount and the paths of cgroup ids below it. */
#ifndef __WATTLET_CGROUPFS_H
#define __WATTLET_CGROUPFS_H

#include <limits.h>
#include <stddef.h>
#include "idmap.h"

struct cgroupfs {
	char root[PATH_MAX]; /* where cgroup2 is mounted */
	struct idmap paths;  /* cgroup id -> path relative to root ("/" for root) */
	double last_walk;    /* monotonic seconds */
	unsigned long walks;
};

/*
 * Find the first mount of fstype in mountinfo text. Writes the unescaped
 * mount point to out. Returns 0, -ENOENT if there is none, -ENAMETOOLONG.
 */
int cgroupfs__find_mount(const char *text, const char *fstype, char *out, size_t size);
/* The first cgroup2 mount: cgroupfs__find_mount(text, "cgroup2", ...). */
int cgroupfs__parse_mountinfo(const char *text, char *out, size_t size);
/*
 * The mount point of a cgroup v1 hierarchy that holds controller (a hybrid
 * host binds some controllers to v1), preferring one below near (the
 * directory cgroup2 is mounted in: "/sys/fs/cgroup" when cgroup2 is at
 * /sys/fs/cgroup/unified), else the first. 0, -ENOENT, -ENAMETOOLONG.
 */
int cgroupfs__parse_mountinfo_v1(const char *text, const char *controller, const char *near,
				 char *out, size_t size);
/* The same from /proc/self/mountinfo. */
int cgroupfs__v1_mount(const char *controller, const char *near, char *out, size_t size);
/*
 * Whether path is the root of a cgroup2 hierarchy, the only place where
 * every cgroup's path comes out right. 0, or -errno with why (one phrase):
 * -EINVAL for another filesystem, a cgroup v1 hierarchy or a cgroup below
 * the root, -ENOTDIR, or the errno of statfs.
 */
int cgroupfs__check_root(const char *path, char *why, size_t size);

/*
 * root NULL or "": from /proc/self/mountinfo; else it must pass
 * cgroupfs__check_root. 0, or -errno with why (one line, no newline).
 */
int cgroupfs__open(struct cgroupfs *fs, const char *root, char *why, size_t size);
/* Walk the tree again; ids no longer found are dropped from the cache. */
int cgroupfs__refresh(struct cgroupfs *fs);
/* The path of id, or NULL if unknown (after at most one refresh a call to lookup). */
const char *cgroupfs__path(const struct cgroupfs *fs, __u64 id);
void cgroupfs__close(struct cgroupfs *fs);

#endif /* __WATTLET_CGROUPFS_H */
