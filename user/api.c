// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /api/v1/ views of the published document. Lists come as
 * {"timestamp", "interval_seconds", "items": [...]}; items are the
 * document's own objects, shared by reference (the document is immutable).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"

#define PROCESSES_DEFAULT_LIMIT 100
#define PROCESSES_MAX_LIMIT 1000000

typedef void (*api_fn)(const json_t *doc, const struct api_request *req, const char *tail,
		       struct api_reply *rep);

struct route {
	const char *path;
	bool tail;		/* path is a prefix followed by more segments */
	const char *params[5];	/* the query parameters it takes */
	api_fn fn;
};

json_t *api__error(int status, const char *fmt, ...)
{
	char msg[256], *c;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Client bytes are echoed: keep them printable ASCII, so the JSON string is valid UTF-8. */
	for (c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	return json_pack("{s:s, s:i}", "error", msg, "status", status);
}

static void reply(struct api_reply *rep, int status, json_t *body)
{
	rep->status = body ? status : 500;
	rep->body = body;
}

static void reply_error(struct api_reply *rep, int status, const char *msg, const char *what)
{
	/* Names from the client are cut short: an error never echoes a 100 KB value. */
	rep->status = status;
	rep->body = what ? api__error(status, "%s '%.64s'", msg, what) : api__error(status, "%s", msg);
}

/* A parameter's value; NULL when absent or empty (no filter). */
static const char *arg(const struct api_request *req, const char *key)
{
	int i;

	for (i = 0; i < req->nr_args && i < API_MAX_ARGS; i++)
		if (!strcmp(req->args[i].key, key))
			return req->args[i].val && *req->args[i].val ? req->args[i].val : NULL;
	return NULL;
}

static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static bool matches(const char *want, const char *have)
{
	return !want || !strcmp(want, have);
}

/* {"timestamp", "interval_seconds", "items": items} (items stolen). */
static json_t *envelope(const json_t *doc, json_t *items)
{
	json_t *o = json_object();

	if (!o || !items) {
		json_decref(o);
		json_decref(items);
		return NULL;
	}
	json_object_set(o, "timestamp", json_object_get(doc, "timestamp"));
	json_object_set(o, "interval_seconds", json_object_get(doc, "interval_seconds"));
	json_object_set_new(o, "items", items);
	return o;
}

static void api__node(const json_t *doc, const struct api_request *req, const char *tail,
		      struct api_reply *rep)
{
	json_t *o = json_object();

	if (o) {
		json_object_set(o, "timestamp", json_object_get(doc, "timestamp"));
		json_object_set(o, "interval_seconds", json_object_get(doc, "interval_seconds"));
		json_object_set(o, "node", json_object_get(doc, "node"));
		json_object_set(o, "agent", json_object_get(doc, "agent"));
	}
	reply(rep, 200, o);
}

static void api__pods(const json_t *doc, const struct api_request *req, const char *tail,
		      struct api_reply *rep)
{
	const char *ns = arg(req, "namespace");
	json_t *items = json_array(), *p;
	size_t i;

	json_array_foreach(json_object_get(doc, "pods"), i, p)
		if (matches(ns, str(p, "namespace")))
			json_array_append(items, p);
	reply(rep, 200, envelope(doc, items));
}

/* /api/v1/pods/NS/NAME: a running pod before a retained terminated one of the same name. */
static void api__pod(const json_t *doc, const struct api_request *req, const char *tail,
		     struct api_reply *rep)
{
	const char *slash = strchr(tail, '/');
	json_t *p, *found = NULL;
	size_t i, nsl;

	if (!slash || slash == tail || !slash[1] || strchr(slash + 1, '/')) {
		reply_error(rep, 404, "want /api/v1/pods/NAMESPACE/NAME, got", tail);
		return;
	}
	nsl = slash - tail;
	json_array_foreach(json_object_get(doc, "pods"), i, p) {
		const char *ns = str(p, "namespace");

		if (strlen(ns) != nsl || strncmp(ns, tail, nsl) || strcmp(str(p, "name"), slash + 1))
			continue;
		if (!found || !strcmp(str(p, "state"), "running"))
			found = p;
	}
	if (!found) {
		reply_error(rep, 404, "no such pod", tail);
		return;
	}
	reply(rep, 200, json_incref(found));
}

static void api__namespaces(const json_t *doc, const struct api_request *req, const char *tail,
			    struct api_reply *rep)
{
	json_t *arr = json_object_get(doc, "namespaces");

	reply(rep, 200, envelope(doc, json_is_array(arr) ? json_incref(arr) : json_array()));
}

/* Containers flattened out of their pods, each with its namespace and pod. */
static void api__containers(const json_t *doc, const struct api_request *req, const char *tail,
			    struct api_reply *rep)
{
	const char *ns = arg(req, "namespace"), *pod = arg(req, "pod");
	json_t *items = json_array(), *p, *c, *copy;
	size_t i, j;

	json_array_foreach(json_object_get(doc, "pods"), i, p) {
		if (!matches(ns, str(p, "namespace")) || !matches(pod, str(p, "name")))
			continue;
		json_array_foreach(json_object_get(p, "containers"), j, c) {
			copy = json_copy(c);
			if (!copy)
				continue;
			json_object_set(copy, "namespace", json_object_get(p, "namespace"));
			json_object_set(copy, "pod", json_object_get(p, "name"));
			json_array_append_new(items, copy);
		}
	}
	reply(rep, 200, envelope(doc, items));
}

static int proc__cmp(const void *a, const void *b, void *key)
{
	double x = json_number_value(json_object_get(*(json_t *const *)a, key));
	double y = json_number_value(json_object_get(*(json_t *const *)b, key));

	return x < y ? 1 : x > y ? -1 : 0;
}

static int parse_limit(const char *s, long *out)
{
	char *end;
	long v;

	if (!s) {
		*out = PROCESSES_DEFAULT_LIMIT;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || *s == '+' || v < 1 || v > PROCESSES_MAX_LIMIT)
		return -EINVAL;
	*out = v;
	return 0;
}

static const char *sort__key(const char *s)
{
	if (!s || !strcmp(s, "power"))
		return "power_watts";
	if (!strcmp(s, "energy"))
		return "energy_joules_total";
	if (!strcmp(s, "cpu"))
		return "cpu_seconds_total";
	return NULL;
}

static json_t *processes__select(const json_t *doc, const char *ns, const char *pod, long limit,
				 const char *key)
{
	json_t *arr = json_object_get(doc, "processes"), *p, *items, **v;
	size_t i, n = 0;

	v = malloc((json_array_size(arr) + 1) * sizeof(*v));
	if (!v)
		return NULL;
	json_array_foreach(arr, i, p)
		if (matches(ns, str(p, "namespace")) && matches(pod, str(p, "pod")))
			v[n++] = p;
	qsort_r(v, n, sizeof(*v), proc__cmp, (void *)key);
	items = json_array();
	for (i = 0; items && i < n && i < (size_t)limit; i++)
		json_array_append(items, v[i]);
	free(v);
	return items;
}

static void api__processes(const json_t *doc, const struct api_request *req, const char *tail,
			   struct api_reply *rep)
{
	const char *key = sort__key(arg(req, "sort"));
	long limit;

	if (parse_limit(arg(req, "limit"), &limit)) {
		reply_error(rep, 400, "parameter 'limit' wants an integer 1..1000000, got",
			    arg(req, "limit"));
		return;
	}
	if (!key) {
		reply_error(rep, 400, "parameter 'sort' wants power, energy or cpu, got",
			    arg(req, "sort"));
		return;
	}
	reply(rep, 200, envelope(doc, processes__select(doc, arg(req, "namespace"),
							arg(req, "pod"), limit, key)));
}

static const struct route routes[] = {
	{ "/api/v1/node", false, {}, api__node },
	{ "/api/v1/pods", false, { "namespace" }, api__pods },
	{ "/api/v1/pods/", true, {}, api__pod },
	{ "/api/v1/namespaces", false, {}, api__namespaces },
	{ "/api/v1/containers", false, { "namespace", "pod" }, api__containers },
	{ "/api/v1/processes", false, { "namespace", "pod", "limit", "sort" }, api__processes },
	{},
};

static const struct route *route__find(const char *path, const char **tail)
{
	const struct route *r;
	size_t n;

	for (r = routes; r->path; r++) {
		n = strlen(r->path);
		if (r->tail ? !strncmp(path, r->path, n) : !strcmp(path, r->path)) {
			*tail = path + n;
			return r;
		}
	}
	return NULL;
}

/* The name of the first parameter the route does not take, or NULL. */
static const char *route__bad_param(const struct route *r, const struct api_request *req)
{
	int i, k;

	for (i = 0; i < req->nr_args && i < API_MAX_ARGS; i++) {
		for (k = 0; r->params[k]; k++)
			if (!strcmp(req->args[i].key, r->params[k]))
				break;
		if (!r->params[k])
			return req->args[i].key;
	}
	return NULL;
}

void api__handle(const json_t *doc, const struct api_request *req, struct api_reply *rep)
{
	const struct route *r;
	const char *tail, *bad;

	r = route__find(req->path, &tail);
	if (!r) {
		reply_error(rep, 404, "no such endpoint", req->path);
		return;
	}
	if (req->nr_args > API_MAX_ARGS) {
		reply_error(rep, 400, "too many query parameters", NULL);
		return;
	}
	bad = route__bad_param(r, req);
	if (bad) {
		reply_error(rep, 400, "unknown query parameter", bad);
		return;
	}
	if (!doc) {
		reply_error(rep, 503, "no collection yet", NULL);
		return;
	}
	r->fn(doc, req, tail, rep);
}
