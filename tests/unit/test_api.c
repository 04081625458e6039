// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The /api/v1/ views over a synthetic document. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "api.h"
#include "util.h"

static json_t *pod(const char *ns, const char *name, const char *state, double cpu)
{
	return json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:[{s:s, s:f}, {s:s, s:f}]}", "namespace",
			 ns, "name", name, "state", state, "cpu_seconds_total", cpu,
			 "energy_joules_total", cpu * 2, "power_watts", cpu / 10, "containers",
			 "name", "main", "cpu_seconds_total", cpu - 1, "name", "sidecar",
			 "cpu_seconds_total", 1.0);
}

static json_t *proc(int pid, const char *ns, const char *pod, double cpu, double j, double w)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:f, s:f, s:f}", "pid", pid, "comm", "w",
			 "namespace", ns, "pod", pod, "cpu_seconds_total", cpu,
			 "energy_joules_total", j, "power_watts", w);
}

static int setup(void **state)
{
	*state = json_pack(
		"{s:f, s:f, s:{s:s}, s:{s:s}, s:[o, o, o, o], s:[{s:s}, {s:s}], s:[o, o, o, o]}",
		"timestamp", 1763895000.5, "interval_seconds", 2.0, "node", "name", "node-a",
		"agent", "version", "1", "pods", pod("ns", "web-0", "terminated", 9),
		pod("ns", "web-0", "running", 3), pod("ns", "web-1", "running", 4),
		pod("kube-system", "dns", "running", 2), "namespaces", "name", "ns", "name",
		"kube-system", "processes", proc(1, "ns", "web-0", 5, 1, 0.1),
		proc(2, "ns", "web-1", 1, 9, 0.2), proc(3, "ns", "web-0", 2, 2, 0.9),
		proc(4, "kube-system", "dns", 9, 0, 0));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	json_decref(*state);
	return 0;
}

/* A reply with its text parsed back, to look into. */
struct reply {
	int status;
	json_t *body; /* owned by the test */
};

/* Handle path with "key=value" arguments; returns the reply, parsed. */
static struct reply call(const json_t *doc, const char *path, int n, ...)
{
	struct api_request req = { .path = path };
	struct api_reply rep = {};
	struct reply parsed;
	json_error_t jerr;
	static char kv[API_MAX_ARGS + 2][128];
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		char *eq;

		snprintf(kv[i], sizeof(kv[i]), "%s", va_arg(ap, const char *));
		eq = strchr(kv[i], '=');
		if (eq)
			*eq = '\0';
		if (i < API_MAX_ARGS)
			req.args[i] = (struct api_arg){ .key = kv[i], .val = eq ? eq + 1 : NULL };
	}
	va_end(ap);
	req.nr_args = n;
	api__handle(doc, &req, &rep);
	assert_non_null(rep.body);
	assert_int_equal(strlen(rep.body), rep.len);
	parsed.status = rep.status;
	parsed.body = json_loadb(rep.body, rep.len, 0, &jerr);
	if (!parsed.body)
		fail_msg("reply is not JSON: %s: %s", jerr.text, rep.body);
	free(rep.body);
	return parsed;
}

static const char *error_of(const struct reply *rep)
{
	return json_string_value(json_object_get(rep->body, "error"));
}

static size_t items(const struct reply *rep)
{
	return json_array_size(json_object_get(rep->body, "items"));
}

static void api__handle__unknown_path__404(void **state)
{
	struct reply rep = call(*state, "/api/v1/podz", 0);

	assert_int_equal(rep.status, 404);
	assert_non_null(strstr(error_of(&rep), "/api/v1/podz"));
	json_decref(rep.body);
}

static void api__handle__no_document__503(void **state)
{
	struct reply rep = call(NULL, "/api/v1/pods", 0);

	assert_int_equal(rep.status, 503);
	json_decref(rep.body);
}

static void api__handle__unknown_parameter__400_names_it(void **state)
{
	struct reply rep = call(*state, "/api/v1/pods", 1, "nmespace=ns");

	assert_int_equal(rep.status, 400);
	assert_non_null(strstr(error_of(&rep), "'nmespace'"));
	json_decref(rep.body);
}

static void api__handle__too_many_parameters__400(void **state)
{
	struct reply rep =
		call(*state, "/api/v1/pods", 9, "a", "b", "c", "d", "e", "f", "g", "h", "i");

	assert_int_equal(rep.status, 400);
	json_decref(rep.body);
}

static void api__pods__namespace_filter__only_that_namespace(void **state)
{
	struct reply rep = call(*state, "/api/v1/pods", 1, "namespace=kube-system");

	assert_int_equal(rep.status, 200);
	assert_int_equal(items(&rep), 1);
	json_decref(rep.body);
	rep = call(*state, "/api/v1/pods", 0);
	assert_int_equal(items(&rep), 4);
	assert_true(json_real_value(json_object_get(rep.body, "timestamp")) == 1763895000.5);
	json_decref(rep.body);
	/* An empty value is no filter. */
	rep = call(*state, "/api/v1/pods", 1, "namespace=");
	assert_int_equal(items(&rep), 4);
	json_decref(rep.body);
}

static void api__pod__by_name__running_before_terminated(void **state)
{
	struct reply rep = call(*state, "/api/v1/pods/ns/web-0", 0);

	assert_int_equal(rep.status, 200);
	assert_string_equal(json_string_value(json_object_get(rep.body, "state")), "running");
	json_decref(rep.body);
}

static void api__pod__bad_segments__404(void **state)
{
	const char *paths[] = {
		"/api/v1/pods/ns",
		"/api/v1/pods/ns/",
		"/api/v1/pods//web-0",
		"/api/v1/pods/ns/web-0/x",
		"/api/v1/pods/../../etc/passwd",
		"/api/v1/pods/ns/..",
		"/api/v1/pods/..%2f/web-0",
		"/api/v1/pods/",
		"/api/v1/pods/ns/nope",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		struct reply rep = call(*state, paths[i], 0);

		if (rep.status != 404)
			fail_msg("%s: status %d", paths[i], rep.status);
		json_decref(rep.body);
	}
}

static void api__containers__flattened__with_namespace_and_pod(void **state)
{
	struct reply rep = call(*state, "/api/v1/containers", 1, "pod=web-1");
	json_t *c;

	assert_int_equal(rep.status, 200);
	assert_int_equal(items(&rep), 2);
	c = json_array_get(json_object_get(rep.body, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "namespace")), "ns");
	assert_string_equal(json_string_value(json_object_get(c, "pod")), "web-1");
	assert_string_equal(json_string_value(json_object_get(c, "name")), "main");
	json_decref(rep.body);
	/* The document's own container is not modified. */
	c = json_array_get(
		json_object_get(json_array_get(json_object_get(*state, "pods"), 2), "containers"),
		0);
	assert_null(json_object_get(c, "pod"));
}

static void api__namespaces__all__items(void **state)
{
	struct reply rep = call(*state, "/api/v1/namespaces", 0);

	assert_int_equal(rep.status, 200);
	assert_int_equal(items(&rep), 2);
	json_decref(rep.body);
}

static int pid_at(const struct reply *rep, size_t i)
{
	return json_integer_value(
		json_object_get(json_array_get(json_object_get(rep->body, "items"), i), "pid"));
}

static void api__processes__sort_and_limit__ordered(void **state)
{
	struct reply rep = call(*state, "/api/v1/processes", 0);

	/* Default: by power. */
	assert_int_equal(items(&rep), 4);
	assert_int_equal(pid_at(&rep, 0), 3);
	json_decref(rep.body);
	rep = call(*state, "/api/v1/processes", 2, "sort=energy", "limit=2");
	assert_int_equal(items(&rep), 2);
	assert_int_equal(pid_at(&rep, 0), 2);
	assert_int_equal(pid_at(&rep, 1), 3);
	json_decref(rep.body);
	rep = call(*state, "/api/v1/processes", 3, "sort=cpu", "namespace=ns", "pod=web-0");
	assert_int_equal(items(&rep), 2);
	assert_int_equal(pid_at(&rep, 0), 1);
	json_decref(rep.body);
}

static void api__processes__bad_values__400_names_parameter(void **state)
{
	const char *cases[][2] = {
		{ "limit=0", "'limit'" },     { "limit=-3", "'limit'" },
		{ "limit=12abc", "'limit'" }, { "limit=99999999999999999999", "'limit'" },
		{ "sort=joy", "'sort'" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct reply rep = call(*state, "/api/v1/processes", 1, cases[i][0]);

		if (rep.status != 400 || !strstr(error_of(&rep), cases[i][1]))
			fail_msg("%s: %d %s", cases[i][0], rep.status, error_of(&rep));
		json_decref(rep.body);
	}
}

static void api__error__long_value__truncated(void **state)
{
	char big[4096];
	struct reply rep;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "sort=", 5);
	rep = call(*state, "/api/v1/processes", 1, big);
	assert_int_equal(rep.status, 400);
	assert_true(strlen(error_of(&rep)) < 200);
	json_decref(rep.body);
}

static void api__handle__invalid_utf8_path__404_with_body(void **state)
{
	struct reply rep = call(*state, "/api/\xff\xfe\x01v1", 0);

	assert_int_equal(rep.status, 404);
	assert_non_null(strstr(error_of(&rep), "/api/???v1"));
	json_decref(rep.body);
}

static void api__node__has_node_and_agent(void **state)
{
	struct reply rep = call(*state, "/api/v1/node", 0);

	assert_int_equal(rep.status, 200);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(rep.body, "node"), "name")),
		"node-a");
	assert_non_null(json_object_get(rep.body, "agent"));
	json_decref(rep.body);
}

/* Replies share nothing with the document: no view takes a reference into it (snapshot.h). */
static void api__handle__every_view__document_refcounts_untouched(void **state)
{
	const char *paths[] = { "/api/v1/node",	      "/api/v1/pods",	    "/api/v1/pods/ns/web-0",
				"/api/v1/namespaces", "/api/v1/containers", "/api/v1/processes" };
	json_t *doc = *state, *pods = json_object_get(doc, "pods");
	json_t *pod = json_array_get(pods, 1), *node = json_object_get(doc, "node");
	size_t before[3] = { pods->refcount, pod->refcount, node->refcount };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		struct reply rep = call(doc, paths[i], 0);

		assert_int_equal(rep.status, 200);
		json_decref(rep.body);
		assert_int_equal(pods->refcount, before[0]);
		assert_int_equal(pod->refcount, before[1]);
		assert_int_equal(node->refcount, before[2]);
	}
}

/* The list envelope keeps the document's own text for each item. */
static void api__pods__items__same_text_as_document(void **state)
{
	const char *head = "{\"timestamp\":1763895000.5,\"interval_seconds\":2.0,\"items\":[";
	struct api_request req = { .path = "/api/v1/pods" };
	struct api_reply rep = {};
	char *want = json_dumps(json_array_get(json_object_get(*state, "pods"), 0), JSON_COMPACT);

	api__handle(*state, &req, &rep);
	assert_int_equal(strncmp(rep.body, head, strlen(head)), 0);
	assert_non_null(strstr(rep.body, want));
	free(want);
	free(rep.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(api__handle__unknown_path__404),
		cmocka_unit_test(api__handle__no_document__503),
		cmocka_unit_test(api__handle__unknown_parameter__400_names_it),
		cmocka_unit_test(api__handle__too_many_parameters__400),
		cmocka_unit_test(api__pods__namespace_filter__only_that_namespace),
		cmocka_unit_test(api__pod__by_name__running_before_terminated),
		cmocka_unit_test(api__pod__bad_segments__404),
		cmocka_unit_test(api__containers__flattened__with_namespace_and_pod),
		cmocka_unit_test(api__namespaces__all__items),
		cmocka_unit_test(api__processes__sort_and_limit__ordered),
		cmocka_unit_test(api__processes__bad_values__400_names_parameter),
		cmocka_unit_test(api__error__long_value__truncated),
		cmocka_unit_test(api__handle__invalid_utf8_path__404_with_body),
		cmocka_unit_test(api__node__has_node_and_agent),
		cmocka_unit_test(api__handle__every_view__document_refcounts_untouched),
		cmocka_unit_test(api__pods__items__same_text_as_document),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
