// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Prometheus's query API over the one HTTP client; errors name the endpoint and the PromQL. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"
#include "output.h"
#include "promapi.h"

#define PROM_URL_MAX (4 * PROM_QUERY_MAX)

void promapi__quote(char *dst, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 2 < len; s++) {
		if (*s == '\\' || *s == '"')
			dst[o++] = '\\';
		dst[o++] = *s == '\n' ? ' ' : *s;
	}
	dst[o] = '\0';
}

double promapi__value(json_t *pair)
{
	json_t *v = json_array_get(pair, 1);
	char *end;
	double d;

	if (!json_is_string(v))
		return NAN;
	d = strtod(json_string_value(v), &end);
	return *end ? NAN : d;
}

/* GET endpoint?query=...&params; the "result" of a successful answer of the wanted type. */
static int promapi_get(struct wattctl *c, const char *endpoint, const char *query,
		       const char *params, const char *want, json_t **doc, json_t **result)
{
	char url[PROM_URL_MAX], err[PROM_URL_MAX + 256], *eq;
	json_t *status, *data, *type;

	*doc = NULL;
	eq = http__escape(c->http, query);
	if (!eq)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s%s?query=%s%s", c->prometheus, endpoint, eq, params);
	free(eq);
	if (http__get_json(c->http, url, doc, err, sizeof(err))) {
		/* The encoded query makes a poor read: name the endpoint, then the PromQL. */
		size_t skip = strlen("GET ") + strlen(url) + strlen(": ");

		p_err("GET %s%s: %s (query: %s)", c->prometheus, endpoint,
		      strlen(err) > skip ? err + skip : err, query);
		return -EIO;
	}
	status = json_object_get(*doc, "status");
	data = json_object_get(*doc, "data");
	type = json_object_get(data, "resultType");
	*result = json_object_get(data, "result");
	if (!json_is_string(status) || strcmp(json_string_value(status), "success") ||
	    !json_is_array(*result) ||
	    (json_is_string(type) && strcmp(json_string_value(type), want))) {
		json_t *e = json_object_get(*doc, "error");

		p_err("GET %s%s: Prometheus answered %s%s (query: %s)", c->prometheus, endpoint,
		      json_is_string(e) ? "an error: " : "no result ",
		      json_is_string(e) ? json_string_value(e) : want, query);
		json_decref(*doc);
		*doc = NULL;
		return -EBADMSG;
	}
	return 0;
}

int promapi__query(struct wattctl *c, const char *query, long long at, json_t **doc,
		   json_t **result)
{
	char params[64] = "";

	if (at > 0)
		snprintf(params, sizeof(params), "&time=%lld", at);
	return promapi_get(c, "/api/v1/query", query, params, "vector", doc, result);
}

int promapi__query_range(struct wattctl *c, const char *query, long long start, long long end,
			 long long step, json_t **doc, json_t **result)
{
	char params[128];

	snprintf(params, sizeof(params), "&start=%lld&end=%lld&step=%lld", start, end, step);
	return promapi_get(c, "/api/v1/query_range", query, params, "matrix", doc, result);
}
