// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /api/v1/ views of the published document. Lists come as
 * {"timestamp", "interval_seconds", "items": [...]}. Replies are written as
 * text straight from the document's nodes (json_dump_callback reads them),
 * so no reply holds a reference into the document: see snapshot.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "strbuf.h"

#define PROCESSES_DEFAULT_LIMIT 100
#define PROCESSES_MAX_LIMIT	1000000

typedef void (*view_fn)(const json_t *doc, const struct api_request *req, const char *tail,
			struct api_reply *rep);

struct route {
	const char *path;
	bool tail;	       /* path is a prefix followed by more segments */
	const char *params[5]; /* the query parameters it takes */
	view_fn fn;
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

static int dump_cb(const char *buf, size_t size, void *data)
{
	strbuf__add(data, buf, size);
	return 0;
}

/* A node of the document (or any value) as compact JSON text. */
static void put_json(struct strbuf *b, const json_t *v)
{
	if (json_dump_callback(v, dump_cb, b, JSON_COMPACT | JSON_ENCODE_ANY))
		b->err = b->err ?: -ENOMEM;
}

/* The reply is the text in b (taken); 500 if building it failed. */
static void reply(struct api_reply *rep, int status, struct strbuf *b)
{
	rep->body = strbuf__take(b, &rep->len);
	rep->status = rep->body ? status : 500;
}

/* A reply of a value made for it (stolen). */
static void reply_value(struct api_reply *rep, int status, json_t *v)
{
	struct strbuf b = {};

	if (v)
		put_json(&b, v);
	else
		b.err = -ENOMEM;
	json_decref(v);
	reply(rep, status, &b);
}

static void reply_error(struct api_reply *rep, int status, const char *msg, const char *what)
{
	/* Names from the client are cut short: an error never echoes a 100 KB value. */
	reply_value(rep, status,
		    what ? api__error(status, "%s '%.64s'", msg, what) :
			   api__error(status, "%s", msg));
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

/* The members every reply shares: '{"timestamp":T,"interval_seconds":I' (no closing brace). */
static void put_dated(struct strbuf *b, const json_t *doc)
{
	strbuf__puts(b, "{\"timestamp\":");
	put_json(b, json_object_get(doc, "timestamp"));
	strbuf__puts(b, ",\"interval_seconds\":");
	put_json(b, json_object_get(doc, "interval_seconds"));
}

/* A list reply: '{"timestamp", "interval_seconds", "items": [' ... ']}'. */
static void items_open(struct strbuf *b, const json_t *doc)
{
	put_dated(b, doc);
	strbuf__puts(b, ",\"items\":[");
}

static void items_add(struct strbuf *b, const json_t *item, size_t *n)
{
	if ((*n)++)
		strbuf__add(b, ",", 1);
	put_json(b, item);
}

static void items_close(struct strbuf *b)
{
	strbuf__puts(b, "]}");
}

static void view_node(const json_t *doc, const struct api_request *req, const char *tail,
		      struct api_reply *rep)
{
	struct strbuf b = {};

	put_dated(&b, doc);
	strbuf__puts(&b, ",\"node\":");
	put_json(&b, json_object_get(doc, "node"));
	strbuf__puts(&b, ",\"agent\":");
	put_json(&b, json_object_get(doc, "agent"));
	strbuf__puts(&b, "}");
	reply(rep, 200, &b);
}

static void view_pods(const json_t *doc, const struct api_request *req, const char *tail,
		      struct api_reply *rep)
{
	const char *ns = arg(req, "namespace");
	struct strbuf b = {};
	size_t i, n = 0;
	json_t *p;

	items_open(&b, doc);
	json_array_foreach(json_object_get(doc, "pods"), i, p)
		if (matches(ns, str(p, "namespace")))
			items_add(&b, p, &n);
	items_close(&b);
	reply(rep, 200, &b);
}

/* /api/v1/pods/NS/NAME: a running pod before a retained terminated one of the same name. */
static void view_pod(const json_t *doc, const struct api_request *req, const char *tail,
		     struct api_reply *rep)
{
	const char *slash = strchr(tail, '/');
	json_t *p, *found = NULL;
	struct strbuf b = {};
	size_t i, nsl;

	if (!slash || slash == tail || !slash[1] || strchr(slash + 1, '/')) {
		reply_error(rep, 404, "want /api/v1/pods/NAMESPACE/NAME, got", tail);
		return;
	}
	nsl = slash - tail;
	json_array_foreach(json_object_get(doc, "pods"), i, p) {
		const char *ns = str(p, "namespace");

		if (strlen(ns) != nsl || strncmp(ns, tail, nsl) ||
		    strcmp(str(p, "name"), slash + 1))
			continue;
		if (!found || !strcmp(str(p, "state"), "running"))
			found = p;
	}
	if (!found) {
		reply_error(rep, 404, "no such pod", tail);
		return;
	}
	put_json(&b, found);
	reply(rep, 200, &b);
}

static void view_namespaces(const json_t *doc, const struct api_request *req, const char *tail,
			    struct api_reply *rep)
{
	struct strbuf b = {};
	size_t i, n = 0;
	json_t *ns;

	items_open(&b, doc);
	json_array_foreach(json_object_get(doc, "namespaces"), i, ns)
		items_add(&b, ns, &n);
	items_close(&b);
	reply(rep, 200, &b);
}

/* Containers flattened out of their pods, each with its namespace and pod. */
/* A container with its pod's namespace and name: a copy, the document stays as it is. */
static void items_add_container(struct strbuf *b, const json_t *pod, const json_t *c, size_t *n)
{
	json_t *copy = json_deep_copy(c);

	if (!copy || json_object_set_new(copy, "namespace", json_string(str(pod, "namespace"))) ||
	    json_object_set_new(copy, "pod", json_string(str(pod, "name")))) {
		b->err = b->err ?: -ENOMEM;
		json_decref(copy);
		return;
	}
	items_add(b, copy, n);
	json_decref(copy);
}

static void view_containers(const json_t *doc, const struct api_request *req, const char *tail,
			    struct api_reply *rep)
{
	const char *ns = arg(req, "namespace"), *pod = arg(req, "pod");
	struct strbuf b = {};
	size_t i, j, n = 0;
	json_t *p, *c;

	items_open(&b, doc);
	json_array_foreach(json_object_get(doc, "pods"), i, p) {
		if (!matches(ns, str(p, "namespace")) || !matches(pod, str(p, "name")))
			continue;
		json_array_foreach(json_object_get(p, "containers"), j, c)
			items_add_container(&b, p, c, &n);
	}
	items_close(&b);
	reply(rep, 200, &b);
}

static int proc_cmp(const void *a, const void *b, void *key)
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

static const char *sort_key(const char *s)
{
	if (!s || !strcmp(s, "power"))
		return "power_watts";
	if (!strcmp(s, "energy"))
		return "energy_joules_total";
	if (!strcmp(s, "cpu"))
		return "cpu_seconds_total";
	return NULL;
}

/* The processes of ns and pod (NULL: any), ordered by key, at most limit. */
static void put_processes(struct strbuf *b, const json_t *doc, const char *ns, const char *pod,
			  long limit, const char *key)
{
	json_t *arr = json_object_get(doc, "processes"), *p, **v;
	size_t i, n = 0, listed = 0;

	v = malloc((json_array_size(arr) + 1) * sizeof(*v));
	if (!v) {
		b->err = -ENOMEM;
		return;
	}
	json_array_foreach(arr, i, p)
		if (matches(ns, str(p, "namespace")) && matches(pod, str(p, "pod")))
			v[n++] = p;
	qsort_r(v, n, sizeof(*v), proc_cmp, (void *)key);
	items_open(b, doc);
	for (i = 0; i < n && i < (size_t)limit; i++)
		items_add(b, v[i], &listed);
	items_close(b);
	free(v);
}

static void view_processes(const json_t *doc, const struct api_request *req, const char *tail,
			   struct api_reply *rep)
{
	const char *key = sort_key(arg(req, "sort"));
	struct strbuf b = {};
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
	put_processes(&b, doc, arg(req, "namespace"), arg(req, "pod"), limit, key);
	reply(rep, 200, &b);
}

static const struct route routes[] = {
	{ "/api/v1/node", false, {}, view_node },
	{ "/api/v1/pods", false, { "namespace" }, view_pods },
	{ "/api/v1/pods/", true, {}, view_pod },
	{ "/api/v1/namespaces", false, {}, view_namespaces },
	{ "/api/v1/containers", false, { "namespace", "pod" }, view_containers },
	{ "/api/v1/processes", false, { "namespace", "pod", "limit", "sort" }, view_processes },
	{},
};

static const struct route *route_find(const char *path, const char **tail)
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
static const char *route_bad_param(const struct route *r, const struct api_request *req)
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

	r = route_find(req->path, &tail);
	if (!r) {
		reply_error(rep, 404, "no such endpoint", req->path);
		return;
	}
	if (req->nr_args > API_MAX_ARGS) {
		reply_error(rep, 400, "too many query parameters", NULL);
		return;
	}
	bad = route_bad_param(r, req);
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
