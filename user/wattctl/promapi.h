/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Prometheus's HTTP query API (/api/v1/query, /api/v1/query_range) for --prometheus. */
#ifndef __WATTCTL_PROMAPI_H
#define __WATTCTL_PROMAPI_H

#include <stddef.h>
#include <jansson.h>
#include "wattctl.h"

#define PROM_QUERY_MAX 4096

/*
 * An instant query, evaluated at unix time at (0: now). On success *doc owns
 * the answer and *result is its "result" array (a vector); 0 is returned. On
 * failure one line naming the endpoint and the PromQL has been printed and
 * a negative errno is returned.
 */
int promapi__query(struct wattctl *c, const char *query, long long at, json_t **doc,
		   json_t **result);

/* A range query from start to end, step seconds apart: *result is a matrix. */
int promapi__query_range(struct wattctl *c, const char *query, long long start, long long end,
			 long long step, json_t **doc, json_t **result);

/* A PromQL label matcher value, escaped for "...": backslash and double quote. */
void promapi__quote(char *dst, size_t len, const char *s);

/* A sample's value (["<time>", "<value>"]) as a double; NAN if it is not one. */
double promapi__value(json_t *pair);

#endif /* __WATTCTL_PROMAPI_H */
