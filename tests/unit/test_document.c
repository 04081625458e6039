// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The document stage. The processes a document lists: those active in the
 * interval (CPU, wakeups, switches, or exited in it), the busiest first, at
 * most --max-listed-processes, and node.processes_unlisted saying exactly
 * how many active ones were left out. The accounts are the test's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "document.h"

/* Accounts fed by the test: tgid 100+i has run cpu_ns[i]. */
struct fake {
	struct accounts acc;
	__u64 cpu_ns[16];
};

/* One interval in which tgid 100+i ran ms[i] ms (0: read, but not active). */
static void interval(struct fake *f, const int *ms, int n)
{
	accounts__begin(&f->acc);
	for (int i = 0; i < n; i++) {
		struct wl_proc p = { .start_ns = 1, .cgroup_id = 7, .comm = "w" };

		f->cpu_ns[i] += ms[i] * 1000000ULL;
		p.usage.cpu_ns = f->cpu_ns[i];
		assert_int_equal(accounts__proc(&f->acc, 100 + i, &p, false), 0);
	}
	accounts__end(&f->acc);
}

/* The document's pids in order, and node.processes_unlisted. */
static json_int_t listing(const struct accounts *acc, __u32 limit, json_int_t *pids, size_t *n)
{
	struct options o = { .max_listed_processes = limit, .node_name = "n" };
	struct node_cpu cpu = { 0 };
	struct wl_stats stats = { 0 };
	struct collection col = { .interval_s = 1, .cpu = &cpu, .acc = acc, .stats = &stats };
	struct attribution at = { 0 };
	struct workloads w = { 0 };
	struct histogram durations = { 0 };
	struct agent_status agent = { .version = "test", .durations = &durations };
	struct document_input in = {
		.opt = &o, .collection = &col, .attribution = &at, .workloads = &w, .agent = &agent
	};
	json_t *doc = document__build(&in), *arr, *p;
	json_int_t unlisted;
	size_t i;

	assert_non_null(doc);
	arr = json_object_get(doc, "processes");
	*n = json_array_size(arr);
	json_array_foreach(arr, i, p)
		pids[i] = json_integer_value(json_object_get(p, "pid"));
	unlisted = json_integer_value(
		json_object_get(json_object_get(doc, "node"), "processes_unlisted"));
	json_decref(doc);
	return unlisted;
}

static void processes__limit_2_of_7_active__busiest_2_and_5_unlisted(void **state)
{
	/* tgids 100..109; 103, 106 and 109 idle this interval */
	static const int first[10] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
	static const int second[10] = { 30, 10, 70, 0, 20, 50, 0, 40, 60, 0 };
	struct fake f = { 0 };
	const struct accounts *acc = &f.acc;
	json_int_t pids[16];
	size_t n;

	interval(&f, first, 10);
	interval(&f, second, 10);

	assert_int_equal(listing(acc, 2, pids, &n), 5);
	assert_int_equal(n, 2);
	assert_int_equal(pids[0], 102); /* 70 ms */
	assert_int_equal(pids[1], 108); /* 60 ms */

	assert_int_equal(listing(acc, 7, pids, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(listing(acc, 0, pids, &n), 0); /* 0: every active one */
	assert_int_equal(n, 7);
	accounts__free(&f.acc);
}

/* The agent section names the variants the loader chose on this kernel. */
static void agent_variant(bool raw_tp, bool task_storage, bool kcpustat, const char *attach,
			  const char *thread_state, const char *cpu_times)
{
	struct options o = { .node_name = "n" };
	struct accounts acc = { 0 };
	struct node_cpu cpu = { 0 };
	struct wl_stats stats = { 0 };
	struct collection col = { .interval_s = 1, .cpu = &cpu, .acc = &acc, .stats = &stats };
	struct attribution at = { 0 };
	struct workloads w = { 0 };
	struct histogram durations = { 0 };
	struct agent_status agent = { .version = "test",
				      .durations = &durations,
				      .raw_tp = raw_tp,
				      .task_storage = task_storage,
				      .kcpustat = kcpustat };
	struct document_input in = {
		.opt = &o, .collection = &col, .attribution = &at, .workloads = &w, .agent = &agent
	};
	json_t *doc = document__build(&in), *a;

	assert_non_null(doc);
	a = json_object_get(doc, "agent");
	assert_string_equal(json_string_value(json_object_get(a, "attach")), attach);
	assert_string_equal(json_string_value(json_object_get(a, "thread_state")), thread_state);
	assert_string_equal(json_string_value(json_object_get(a, "cpu_times")), cpu_times);
	json_decref(doc);
}

static void agent__variants__named_as_chosen(void **state)
{
	/* Debian's 5.10 */
	agent_variant(false, false, false, "tp_btf", "thread_hash", "proc_stat");
	/* 6.1 and later */
	agent_variant(false, true, true, "tp_btf", "task_storage", "kcpustat");
	/* --raw-tracepoints */
	agent_variant(true, false, true, "raw_tp", "thread_hash", "kcpustat");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(processes__limit_2_of_7_active__busiest_2_and_5_unlisted),
		cmocka_unit_test(agent__variants__named_as_chosen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
