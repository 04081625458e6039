// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fuzz-sources: user/prom.c user/api.c user/http_accept.c user/strbuf.c
/*
 * What a client controls, on arbitrary bytes: the Accept and
 * Accept-Encoding parsers, and the API router with a path and query
 * parameters over a small document. No crash; every API reply has a
 * status and a body that is a JSON object; a 200 only for a path the API serves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "http_accept.h"

static json_t *doc;

static void doc__init(void)
{
	doc = json_pack("{s:f, s:f, s:{s:s}, s:{}, s:[{s:s, s:s, s:s, s:f, s:[{s:s, s:f}]}],"
			" s:[{s:s}], s:[{s:i, s:s, s:s, s:f}]}",
			"timestamp", 1.0, "interval_seconds", 2.0, "node", "name", "n", "agent",
			"pods", "namespace", "ns", "name", "web-0", "state", "running",
			"cpu_seconds_total", 1.0, "containers", "name", "main", "cpu_seconds_total",
			1.0, "namespaces", "name", "ns", "processes", "pid", 1, "namespace", "ns",
			"pod", "web-0", "power_watts", 0.5);
	if (!doc)
		abort();
}

/* Input: "path\0key\0value\0key\0value..." */
static void api__fuzz(char *s, size_t len)
{
	struct api_request req = {};
	struct api_reply rep = {};
	char *p = s, *end = s + len;
	json_t *parsed;

	req.path = p;
	p += strlen(p) + 1;
	while (p < end && req.nr_args < API_MAX_ARGS + 1) {
		char *key = p, *val;

		p += strlen(p) + 1;
		val = p < end ? p : NULL;
		if (val)
			p += strlen(p) + 1;
		if (req.nr_args < API_MAX_ARGS)
			req.args[req.nr_args] = (struct api_arg){ .key = key, .val = val };
		req.nr_args++;
	}
	api__handle(doc, &req, &rep);
	if (!rep.body || rep.status < 200 || rep.status > 599)
		abort();
	if (rep.status == 200 && strncmp(req.path, "/api/v1/", 8))
		abort();
	parsed = json_loadb(rep.body, rep.len, 0, NULL);
	if (!json_is_object(parsed))
		abort();
	json_decref(parsed);
	free(rep.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	if (!doc)
		doc__init();
	memcpy(s, data, size);
	s[size] = '\0';
	if (accept__openmetrics(s) && !strcasestr(s, "application/openmetrics-text"))
		abort();
	if (accept__gzip(s) && !strcasestr(s, "gzip") && !strchr(s, '*'))
		abort();
	api__fuzz(s, size + 1);
	free(s);
	return 0;
}
