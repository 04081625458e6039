/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The publish stage: the latest interval's document, handed from the agent
 * thread to the outputs (stdout in the agent thread; the HTTP pool and the
 * pre-render thread).
 *
 * The hand-off. A published document is immutable and its jansson tree is
 * never shared as jansson objects: a reader holds a reference to the
 * snapshot (counted here, with C11 atomics), never to the tree. Readers use
 * only jansson's reading calls on it (json_object_get, json_array_get,
 * json_*_value, iteration, json_dumps and json_dump_callback), and never
 * json_incref, json_decref, a setter, or anything that puts a node of the
 * tree into another tree: jansson's reference counts are read without
 * atomics in its inline functions, so sharing nodes across threads races
 * (ThreadSanitizer saw it). A reply that needs a part of the document dumps
 * it to text or deep-copies it. The tree is freed with the snapshot's last
 * reference, by whichever thread drops it; the atomic release/acquire on the
 * count orders every reader's last read before that free.
 */
#ifndef __WATTLET_SNAPSHOT_H
#define __WATTLET_SNAPSHOT_H

#include <jansson.h>

struct snapshot {
	const json_t *doc;	/* read-only, see above */
	unsigned long long seq; /* 1 for the first published document, then +1 each */
};

/* Take ownership of doc and make it the latest; the previous one goes with its last reader. */
void snapshot__publish(json_t *doc);
/* The latest snapshot, referenced (snapshot__put it), or NULL before the first. */
const struct snapshot *snapshot__get(void);
/* Drop a reference from snapshot__get; accepts NULL. */
void snapshot__put(const struct snapshot *s);
/* Drop the latest document (at exit). */
void snapshot__clear(void);

#endif /* __WATTLET_SNAPSHOT_H */
