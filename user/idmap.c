// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Linear probing with backward-shift deletion: no tombstones, no rehash storms. */
#include <errno.h>
#include <stdlib.h>
#include "idmap.h"

static size_t slot_of(const struct idmap *m, __u64 key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key & (m->cap - 1);
}

static struct idmap_slot *find(const struct idmap *m, __u64 key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = slot_of(m, key); m->slots[i].val; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].key == key)
			return &m->slots[i];
	return NULL;
}

void *idmap__get(const struct idmap *m, __u64 key)
{
	struct idmap_slot *s = find(m, key);

	return s ? s->val : NULL;
}

static int grow(struct idmap *m)
{
	struct idmap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->len = 0;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].val)
			idmap__put(m, old.slots[i].key, old.slots[i].val);
	free(old.slots);
	return 0;
}

int idmap__put(struct idmap *m, __u64 key, void *val)
{
	struct idmap_slot *s = find(m, key);
	size_t i;

	if (s) {
		s->val = val;
		return 0;
	}
	if ((m->len + 1) * 4 > m->cap * 3 && grow(m))
		return -ENOMEM;
	for (i = slot_of(m, key); m->slots[i].val; i = (i + 1) & (m->cap - 1))
		;
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->len++;
	return 0;
}

void *idmap__del(struct idmap *m, __u64 key)
{
	struct idmap_slot *s = find(m, key);
	size_t hole, i, home;
	void *val;

	if (!s)
		return NULL;
	val = s->val;
	hole = s - m->slots;
	/* shift back every entry of the run that would no longer be found */
	for (i = (hole + 1) & (m->cap - 1); m->slots[i].val; i = (i + 1) & (m->cap - 1)) {
		home = slot_of(m, m->slots[i].key);
		if (((i - home) & (m->cap - 1)) >= ((i - hole) & (m->cap - 1))) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	m->slots[hole].val = NULL;
	m->len--;
	return val;
}

int idmap__next(const struct idmap *m, size_t *pos, __u64 *key, void **val)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->slots[*pos].val) {
			*key = m->slots[*pos].key;
			*val = m->slots[*pos].val;
			(*pos)++;
			return 1;
		}
	}
	return 0;
}

void idmap__free(struct idmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}
