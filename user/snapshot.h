/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The latest interval's document, published by the collector thread and
 * read by outputs. A published document is never modified again: readers
 * hold a reference and may use it for as long as they like.
 */
#ifndef __WATTLET_SNAPSHOT_H
#define __WATTLET_SNAPSHOT_H

#include <jansson.h>

/* Take ownership of doc and make it the latest; the previous one is released. */
void snapshot__publish(json_t *doc);
/* A new reference to the latest document (json_decref it), or NULL before the first. */
json_t *snapshot__get(void);
/* Drop the latest document (at exit). */
void snapshot__clear(void);

#endif /* __WATTLET_SNAPSHOT_H */
