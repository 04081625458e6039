// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A mutex guards only the swap of the latest pointer; the references are
 * atomic counts of ours, so no thread but the last one touches the tree's
 * own (jansson) count.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include "snapshot.h"

struct published {
	struct snapshot pub;
	atomic_uint refs;
	json_t *doc; /* the one jansson reference to the tree */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct published *latest;
static unsigned long long published_total;

static struct published *published_of(const struct snapshot *s)
{
	return (struct published *)((char *)s - offsetof(struct published, pub));
}

static void release(struct published *p)
{
	if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
		json_decref(p->doc);
		free(p);
	}
}

static void swap_latest(struct published *p)
{
	struct published *old;

	pthread_mutex_lock(&lock);
	old = latest;
	latest = p;
	if (p)
		p->pub.seq = ++published_total;
	pthread_mutex_unlock(&lock);
	release(old);
}

void snapshot__publish(json_t *doc)
{
	struct published *p;

	if (!doc)
		return;
	p = malloc(sizeof(*p));
	if (!p) {
		/* keep serving the previous document rather than none */
		json_decref(doc);
		return;
	}
	p->doc = doc;
	p->pub.doc = doc;
	atomic_init(&p->refs, 1);
	swap_latest(p);
}

const struct snapshot *snapshot__get(void)
{
	struct published *p;

	pthread_mutex_lock(&lock);
	p = latest;
	if (p)
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&lock);
	return p ? &p->pub : NULL;
}

void snapshot__put(const struct snapshot *s)
{
	if (s)
		release(published_of(s));
}

void snapshot__clear(void)
{
	swap_latest(NULL);
}
