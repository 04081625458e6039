/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The memory charged to each cgroup, to share DRAM energy by. Read from
 * cgroup2's memory.current where cgroup2 has the memory controller; on a
 * hybrid host, where the controller is bound to a v1 hierarchy, from that
 * hierarchy's memory.usage_in_bytes at the same path (systemd creates the
 * same paths in both); elsewhere there is no figure, and DRAM energy is
 * shared by CPU time like the packages'.
 *
 * Both files count a cgroup's descendants too. A cgroup's own memory is
 * its figure less its child cgroups' figures, so figures of nested tracked
 * cgroups never count a page twice. The root cgroup has no figure (cgroup2
 * has no memory.current there): its pages stay unattributed.
 */
#ifndef __WATTLET_CGROUP_MEMORY_H
#define __WATTLET_CGROUP_MEMORY_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>
#include "accounts.h"
#include "idmap.h"

enum cgroup_memory_source {
	CGROUP_MEMORY_NONE,
	CGROUP_MEMORY_V2, /* memory.current */
	CGROUP_MEMORY_V1, /* memory.usage_in_bytes */
};

struct cgroup_memory {
	enum cgroup_memory_source source;
	char root[PATH_MAX];	  /* the hierarchy read: the cgroup2 root or the v1 memory mount */
	const char *file;	  /* the file read in each cgroup */
	char why[PATH_MAX + 128]; /* the choice, in one line for the log */
};

/*
 * Choose the source: cgroup2 at v2_root if its cgroup.controllers lists
 * memory, else the v1 memory hierarchy mounted at v1_root (NULL or "": none),
 * else none. Never fails; cm->why says what was chosen.
 */
void cgroup_memory__open(struct cgroup_memory *cm, const char *v2_root, const char *v1_root);
/*
 * Bytes charged to the cgroup at rel (its path below the cgroup2 root, "/a/b")
 * less those of its child cgroups. 0, or -ENOENT when it has no figure.
 */
int cgroup_memory__own(const struct cgroup_memory *cm, const char *rel, __u64 *bytes);
/* One interval's memory figures, to share DRAM energy by. */
struct memory_sample {
	bool taken;	   /* figures were read this interval */
	double used_bytes; /* the node's memory in use: MemTotal - MemFree */
	struct idmap own;  /* cgroup id -> __u64 own bytes (into bytes[]) */
	__u64 *bytes;
	size_t cap;
};

/*
 * Read the own memory of every cgroup of acc that has a path, and the
 * node's memory in use from meminfo_path (normally /proc/meminfo). Returns
 * 0 (out->taken: at least one cgroup had a figure), or -errno.
 */
int memory_sample__take(struct memory_sample *out, const struct cgroup_memory *cm,
			const struct accounts *acc, const char *meminfo_path);
/* A cgroup's own bytes this interval, or false when it had no figure. */
bool memory_sample__own(const struct memory_sample *s, __u64 cgroup_id, double *bytes);
void memory_sample__free(struct memory_sample *s);

#endif /* __WATTLET_CGROUP_MEMORY_H */
