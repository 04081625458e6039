/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A hash map from a 64-bit id (tgid, cgroup id) to a pointer, open addressing. */
#ifndef __WATTLET_IDMAP_H
#define __WATTLET_IDMAP_H

#include <stddef.h>
#include <linux/types.h>

struct idmap_slot {
	__u64 key;
	void *val; /* NULL: empty */
};

struct idmap {
	struct idmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t len;
};

void *idmap__get(const struct idmap *m, __u64 key);
/* Insert or replace. Returns 0 or -ENOMEM. */
int idmap__put(struct idmap *m, __u64 key, void *val);
/* Remove and return the value, or NULL. */
void *idmap__del(struct idmap *m, __u64 key);
void idmap__free(struct idmap *m);

/*
 * Walk: for (size_t i = 0; idmap__next(m, &i, &k, &v);) ...
 * Do not delete while walking: collect the keys, delete after.
 */
int idmap__next(const struct idmap *m, size_t *pos, __u64 *key, void **val);

#endif /* __WATTLET_IDMAP_H */
