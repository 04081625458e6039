// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Delta and total logic: gains, exits, kernel entries recreated from zero, lost processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "accounts.h"

static struct wl_proc proc(__u64 cpu_ns, __u64 wakeups, __u64 start)
{
	struct wl_proc p = { .start_ns = start, .cgroup_id = 7 };

	p.usage.cpu_ns = cpu_ns;
	p.usage.wakeups = wakeups;
	p.usage.vcsw = 3;
	strcpy(p.comm, "worker");
	return p;
}

static struct proc_account *only_proc(struct accounts *a)
{
	size_t pos = 0;
	__u64 key;
	void *val = NULL;

	assert_int_equal(a->procs.len, 1);
	assert_true(idmap__next(&a->procs, &pos, &key, &val));
	return val;
}

static void usage_gain__restart_from_zero__counts_new_value(void **state)
{
	struct wl_usage last = { .cpu_ns = 1000, .wakeups = 10 },
			now = { .cpu_ns = 300, .wakeups = 12 };
	struct wl_usage gain;

	usage__gain(&now, &last, &gain);
	assert_int_equal(gain.cpu_ns, 300); /* entry recreated: all of it is new */
	assert_int_equal(gain.wakeups, 2);
	assert_int_equal(last.cpu_ns, 300);
}

static void proc__two_reads__delta_and_total(void **state)
{
	struct accounts a = { 0 };
	struct wl_proc p = proc(2000000000ULL, 5, 42);
	struct proc_account *pa;

	accounts__begin(&a);
	assert_int_equal(accounts__proc(&a, 100, &p, false), 0);
	accounts__end(&a);
	pa = only_proc(&a);
	assert_float_equal(pa->cpu.total.cpu_seconds, 2.0, 1e-12);

	accounts__begin(&a);
	p.usage.cpu_ns += 500000000ULL;
	p.usage.wakeups += 7;
	accounts__proc(&a, 100, &p, false);
	accounts__end(&a);
	pa = only_proc(&a);
	assert_float_equal(pa->cpu.delta.cpu_seconds, 0.5, 1e-12);
	assert_float_equal(pa->cpu.total.cpu_seconds, 2.5, 1e-12);
	assert_int_equal(pa->cpu.total.wakeups, 12);
	assert_int_equal(pa->cpu.delta.wakeups, 7);
	assert_string_equal(pa->comm, "worker");
	accounts__free(&a);
}

static void proc__exit_record__reported_once_then_dropped(void **state)
{
	struct accounts a = { 0 };
	struct wl_proc p = proc(1000, 1, 42);

	accounts__begin(&a);
	accounts__proc(&a, 100, &p, false);
	accounts__end(&a);

	accounts__begin(&a);
	p.usage.cpu_ns = 4000;
	accounts__proc(&a, 100, &p, true);  /* final figures from the ring buffer */
	accounts__proc(&a, 100, &p, false); /* a late map read changes nothing */
	accounts__end(&a);
	assert_true(only_proc(&a)->exited);
	assert_float_equal(only_proc(&a)->cpu.total.cpu_seconds, 4000 / 1e9, 1e-15);
	assert_int_equal(a.exited_procs, 1);

	accounts__begin(&a);
	assert_int_equal(a.procs.len, 0);
	accounts__free(&a);
}

/* The account of tgid 100 that started at start_ns. */
static struct proc_account *proc_started(struct accounts *a, __u64 start_ns)
{
	struct proc_account *found = NULL, *p;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&a->procs, &pos, &key, &val)) {
		p = val;
		if (p->pid == 100 && p->start_ns == start_ns) {
			assert_null(found); /* one account per process */
			found = p;
		}
	}
	assert_non_null(found);
	return found;
}

/* A tgid reused by a new process: two accounts, each with only its own figures. */
static void proc__reused_tgid__separate_process(void **state)
{
	struct accounts a = { 0 };
	struct wl_proc old = proc(5000, 4, 42), new = proc(100, 1, 99);
	struct proc_account *po, *pn;

	accounts__begin(&a);
	accounts__proc(&a, 100, &old, true);
	accounts__proc(&a, 100, &new, false);
	accounts__end(&a);
	assert_int_equal(a.procs.len, 2);
	po = proc_started(&a, 42);
	pn = proc_started(&a, 99);
	assert_true(po->exited);
	assert_false(pn->exited);
	assert_float_equal(po->cpu.total.cpu_seconds, 5000 / 1e9, 1e-18);
	assert_float_equal(pn->cpu.total.cpu_seconds, 100 / 1e9, 1e-18);
	assert_int_equal(po->cpu.total.wakeups, 4);
	assert_int_equal(pn->cpu.total.wakeups, 1);
	assert_int_equal(a.exited_procs, 1);

	/* the old one goes at the next interval; the new one keeps counting from 100 ns */
	accounts__begin(&a);
	new.usage.cpu_ns = 300;
	accounts__proc(&a, 100, &new, false);
	accounts__end(&a);
	assert_int_equal(a.procs.len, 1);
	pn = proc_started(&a, 99);
	assert_float_equal(pn->cpu.delta.cpu_seconds, 200 / 1e9, 1e-18);
	assert_float_equal(pn->cpu.total.cpu_seconds, 300 / 1e9, 1e-18);
	accounts__free(&a);
}

static void proc__vanished_without_record__counted_lost(void **state)
{
	struct accounts a = { 0 };
	struct wl_proc p = proc(1000, 0, 42);

	accounts__begin(&a);
	accounts__proc(&a, 100, &p, false);
	accounts__end(&a);
	accounts__begin(&a);
	accounts__end(&a); /* not read this time, no exit record: grace */
	assert_int_equal(a.lost_procs, 0);
	accounts__begin(&a);
	accounts__end(&a); /* nor the next time: lost */
	assert_int_equal(a.lost_procs, 1);
	assert_int_equal(a.procs.len, 0);
	accounts__free(&a);
}

static void proc__exit_record_one_interval_late__no_double_count(void **state)
{
	struct accounts a = { 0 };
	struct wl_proc p = proc(1000000000ULL, 0, 42);

	accounts__begin(&a);
	accounts__proc(&a, 100, &p, false);
	accounts__end(&a);
	accounts__begin(&a);
	accounts__end(&a); /* entry gone, record held up */
	accounts__begin(&a);
	p.usage.cpu_ns = 1500000000ULL;
	accounts__proc(&a, 100, &p, true);
	accounts__end(&a);
	assert_float_equal(only_proc(&a)->cpu.total.cpu_seconds, 1.5, 1e-12);
	assert_float_equal(only_proc(&a)->cpu.delta.cpu_seconds, 0.5, 1e-12);
	assert_int_equal(a.lost_procs, 0);
	accounts__free(&a);
}

/* A gone cgroup is reported once more, then dropped, its id listed as retired exactly once. */
static void cgroup__gone__retired_after_one_more_interval(void **state)
{
	struct accounts a = { 0 };
	struct wl_cgroup kv = { .usage.cpu_ns = 3000000000ULL, .exits = 2 };
	struct cgroup_account *c;

	accounts__begin(&a);
	accounts__cgroup(&a, 55, &kv);
	c = idmap__get(&a.cgroups, 55);
	c->gone = true;
	accounts__begin(&a); /* reported once more */
	assert_int_equal(a.retired.cgroups.len, 0);
	assert_non_null(idmap__get(&a.cgroups, 55));
	accounts__begin(&a);
	assert_int_equal(a.retired.cgroups.len, 1);
	assert_int_equal(a.retired.cgroups.keys[0], 55);
	assert_null(idmap__get(&a.cgroups, 55));
	accounts__begin(&a);
	assert_int_equal(a.retired.cgroups.len, 0);
	accounts__free(&a);
}

/* An exited process is dropped at the next interval, a lost one at the end of its second unseen one. */
static void proc__exited_and_lost__retired_by_key(void **state)
{
	struct accounts a = { 0 };
	struct wl_proc kv = { .usage.cpu_ns = 1000, .start_ns = 7 };
	struct proc_account key = { .pid = 42, .start_ns = 7 };

	accounts__begin(&a);
	accounts__proc(&a, 42, &kv, true);
	kv.start_ns = 9;
	accounts__proc(&a, 43, &kv, false);
	accounts__end(&a);
	assert_int_equal(a.retired.procs.len, 0);
	accounts__begin(&a); /* 42 exited last interval: dropped now */
	assert_int_equal(a.retired.procs.len, 1);
	assert_int_equal(a.retired.procs.keys[0], proc_account__key(&key));
	accounts__end(&a); /* 43 unseen once: grace */
	assert_int_equal(a.retired.procs.len, 1);
	accounts__begin(&a);
	accounts__end(&a); /* 43 unseen twice: lost */
	key = (struct proc_account){ .pid = 43, .start_ns = 9 };
	assert_int_equal(a.retired.procs.len, 1);
	assert_int_equal(a.retired.procs.keys[0], proc_account__key(&key));
	assert_int_equal(a.lost_procs, 1);
	accounts__free(&a);
}

static void cgroup__kernel_entry_recreated__total_monotonic(void **state)
{
	struct accounts a = { 0 };
	struct wl_cgroup kv = { .usage.cpu_ns = 5000 };
	struct cgroup_account *c;

	accounts__begin(&a);
	accounts__cgroup(&a, 9, &kv);
	accounts__begin(&a);
	kv.usage.cpu_ns = 1000; /* deleted and made again in the kernel */
	accounts__cgroup(&a, 9, &kv);
	c = idmap__get(&a.cgroups, 9);
	assert_float_equal(c->cpu.total.cpu_seconds, 6000 / 1e9, 1e-15);
	accounts__free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(usage_gain__restart_from_zero__counts_new_value),
		cmocka_unit_test(proc__two_reads__delta_and_total),
		cmocka_unit_test(proc__exit_record__reported_once_then_dropped),
		cmocka_unit_test(proc__reused_tgid__separate_process),
		cmocka_unit_test(proc__vanished_without_record__counted_lost),
		cmocka_unit_test(proc__exit_record_one_interval_late__no_double_count),
		cmocka_unit_test(cgroup__gone__retired_after_one_more_interval),
		cmocka_unit_test(proc__exited_and_lost__retired_by_key),
		cmocka_unit_test(cgroup__kernel_entry_recreated__total_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
