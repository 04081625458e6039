/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A list view: the items of one API endpoint as a table. Columns name the
 * JSON field they show and its unit; the same columns serve every level.
 */
#ifndef __WATTCTL_VIEW_H
#define __WATTCTL_VIEW_H

#include <jansson.h>
#include "wattctl.h"

enum col_kind {
	COL_STR,
	COL_COUNT,
	COL_CORES,
	COL_WATTS,
	COL_JOULES,
	COL_GRAMS,
	COL_ID,	 /* a container id, shortened to 12 hex like docker */
	COL_LEN, /* the length of an array field */
};

enum {
	COLF_WIDE = 1 << 0,	   /* only with -o wide */
	COLF_OPTIONAL = 1 << 1,	   /* only when some item has the field */
	COLF_ALLNS = 1 << 2,	   /* only when not filtered to one namespace */
	COLF_NOT_RUNNING = 1 << 3, /* in tables too when some item's value is not "running" */
};

struct column {
	const char *header;
	const char *key;
	enum col_kind kind;
	unsigned int flags;
};

struct view {
	const char *name;
	const struct column *cols;  /* ends with a NULL header */
	const char *const *id_keys; /* fields that name an item, NULL-ended */
	const char *ns_key;	    /* the field holding the item's namespace */
};

/* The cpu rate field the sampler adds (or the agent provides). */
#define VIEW_CORES_KEY "cpu_cores"

/* "ns/name"-style identity of an item from the view's id_keys, into buf. */
const char *view__id(const struct view *v, json_t *item, char *buf, size_t len);

/* Keep items in namespace ns (NULL: all) and, if pod_name, in that pod. */
void view__filter(const struct view *v, json_t *items, const char *ns, const char *pod_ns,
		  const char *pod_name);
/* Sort descending by the key's figure, ties by identity; then keep the first limit (0: all). */
int view__sort(const struct view *v, json_t *items, enum sort_key key, long limit);
/* The table of items (an array of objects). */
int view__print(const struct view *v, json_t *items, const struct wattctl *c);

#endif /* __WATTCTL_VIEW_H */
