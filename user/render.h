/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The render cache: the large bodies the server sends (/metrics in both
 * formats, the unfiltered pod list, each plain and gzipped), rendered at
 * most once per published snapshot and shared by every response that sends
 * them. A pre-render thread renders each body that clients have asked for
 * as soon as a new snapshot is published, so requests do not wait for it.
 */
#ifndef __WATTLET_RENDER_H
#define __WATTLET_RENDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "snapshot.h"

/* The cached bodies. Each gzip body directly follows its plain one: plain + 1 == gzip. */
enum render_body {
	RENDER_METRICS_TEXT,
	RENDER_METRICS_TEXT_GZ,
	RENDER_METRICS_OM,
	RENDER_METRICS_OM_GZ,
	RENDER_PODS, /* /api/v1/pods with no filter */
	RENDER_PODS_GZ,
	NR_RENDER_BODIES,
};

/* Rendered bytes, shared by the cache and the responses that send them. */
struct body {
	atomic_int refs;
	size_t len;
	char *data;
};

/* Another reference to b (NULL is passed through). */
struct body *body__get(struct body *b);
/* Drop a reference; the last frees. void * to serve as a response's free callback. */
void body__put(void *b);

struct render_cache;

/* Start the cache and its pre-render thread. process_top: --process-metrics top:N. */
int render_cache__start(struct render_cache **out, int process_top);
/*
 * The body for snap, referenced (body__put it), or NULL if rendering failed.
 * With allow_stale, a request that finds only an older snapshot's body gets
 * that at once and leaves this one to the pre-render thread: no request
 * waits for rendering but the first of its kind.
 */
struct body *render_cache__get(struct render_cache *rc, enum render_body which,
			       const struct snapshot *snap, bool allow_stale);
/* Stop the thread and free; accepts NULL. */
void render_cache__stop(struct render_cache *rc);

#endif /* __WATTLET_RENDER_H */
