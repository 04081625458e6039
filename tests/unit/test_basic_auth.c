// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Basic auth with real bcrypt (libcrypt) against hashes htpasswd made:
 * right and wrong passwords, the answer cache, a changed hash, unknown
 * users, and the limits that keep a flood of wrong passwords from costing
 * more than its budget: per client address (IPv6 by /64), bcrypt CPU time,
 * queue length. Stopping answers every queued check.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "basic_auth.h"

/* htpasswd -nbBC 4 alice 'correct horse', bob 'battery staple'; -C 12 carol 'x' */
#define ALICE_HASH "$2y$04$LBwx430I2kQ419vWHg5yhu7/sjH6IYAzaOWcNLSHuai3J67RFIpnC"
#define BOB_HASH   "$2y$04$y1IK1P6bPtEhsPRfvycuqu6l5zcfrJoVk57eKQD/W9VVbbn69xomm"
#define CAROL_HASH "$2y$12$kbCEHDmS.ns4iZkusQGZ9u3Hq4bauH3W.5ckzAAlWm3x7y1ynVHe."

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int calls;
	enum auth_result last;
};

static struct waiter *waiter__new(void)
{
	struct waiter *w = calloc(1, sizeof(*w));

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	return w;
}

static void on_done(void *arg, enum auth_result r)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	w->calls++;
	w->last = r;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* The result once calls reaches n (within 10 s). */
static enum auth_result waiter__wait(struct waiter *w, int n)
{
	struct timespec ts;
	enum auth_result r;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&w->lock);
	while (w->calls < n)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts))
			break;
	assert_int_equal(w->calls, n);
	r = w->last;
	pthread_mutex_unlock(&w->lock);
	return r;
}

static struct sockaddr_storage addr(const char *ip)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *s6 = (void *)&ss;
	struct sockaddr_in *s4 = (void *)&ss;

	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
	}
	return ss;
}

/* One check from ip, waited for when it is queued. */
static enum auth_result check(struct basic_auth *a, const char *hash, const char *user,
			      const char *pw, const char *ip, double *retry)
{
	struct sockaddr_storage ss = addr(ip);
	struct waiter *w = waiter__new();
	enum auth_result r;
	double dummy;

	r = basic_auth__check(a, hash, user, pw, (struct sockaddr *)&ss, on_done, w,
			      retry ? retry : &dummy);
	if (r == AUTH_PENDING)
		r = waiter__wait(w, 1);
	free(w);
	return r;
}

static enum auth_result start(struct basic_auth *a, const char *hash, const char *pw,
			      const char *ip, struct waiter *w, double *retry)
{
	struct sockaddr_storage ss = addr(ip);

	return basic_auth__check(a, hash, "u", pw, (struct sockaddr *)&ss, on_done, w, retry);
}

static void check__right_password__ok_then_cached(void **state)
{
	struct basic_auth *a = basic_auth__new(NULL);
	struct sockaddr_storage ss = addr("10.0.0.1");
	struct waiter *w = waiter__new();
	struct auth_stats st;
	double retry;

	assert_non_null(a);
	assert_int_equal(basic_auth__check(a, ALICE_HASH, "alice", "correct horse",
					   (struct sockaddr *)&ss, on_done, w, &retry),
			 AUTH_PENDING);
	assert_int_equal(waiter__wait(w, 1), AUTH_OK);
	/* The second time: at once, no bcrypt, done() not called. */
	assert_int_equal(basic_auth__check(a, ALICE_HASH, "alice", "correct horse",
					   (struct sockaddr *)&ss, on_done, w, &retry),
			 AUTH_OK);
	basic_auth__stats(a, &st);
	assert_int_equal(st.bcrypt_runs, 1);
	assert_int_equal(st.cache_hits, 1);
	assert_int_equal(w->calls, 1);
	basic_auth__free(a);
	free(w);
}

static void check__wrong_password__denied_and_cached(void **state)
{
	struct basic_auth *a = basic_auth__new(NULL);
	struct auth_stats st;

	assert_int_equal(check(a, ALICE_HASH, "alice", "correct horse ", "10.0.0.1", NULL),
			 AUTH_DENIED);
	assert_int_equal(check(a, ALICE_HASH, "alice", "Correct horse", "10.0.0.1", NULL),
			 AUTH_DENIED);
	assert_int_equal(check(a, ALICE_HASH, "alice", "", "10.0.0.1", NULL), AUTH_DENIED);
	assert_int_equal(check(a, ALICE_HASH, "alice", "correct horse ", "10.0.0.1", NULL),
			 AUTH_DENIED);
	basic_auth__stats(a, &st);
	assert_int_equal(st.bcrypt_runs, 3);
	assert_int_equal(st.cache_hits, 1);
	basic_auth__free(a);
}

static void check__unknown_user_or_new_hash__denied(void **state)
{
	struct basic_auth *a = basic_auth__new(NULL);
	struct auth_stats st;

	assert_int_equal(check(a, NULL, "mallory", "correct horse", "10.0.0.1", NULL), AUTH_DENIED);
	assert_int_equal(check(a, ALICE_HASH, "alice", "correct horse", "10.0.0.1", NULL), AUTH_OK);
	/* alice's hash changed (a reload): her old password is checked anew, and fails. */
	assert_int_equal(check(a, BOB_HASH, "alice", "correct horse", "10.0.0.1", NULL),
			 AUTH_DENIED);
	assert_int_equal(check(a, BOB_HASH, "alice", "battery staple", "10.0.0.1", NULL), AUTH_OK);
	/* the same password under another user name is another check */
	assert_int_equal(check(a, ALICE_HASH, "alicE", "correct horse", "10.0.0.1", NULL), AUTH_OK);
	basic_auth__stats(a, &st);
	assert_int_equal(st.bcrypt_runs, 5);
	assert_int_equal(check(a, ALICE_HASH, "alice", "correct horse", "10.0.0.1", NULL), AUTH_OK);
	basic_auth__free(a);
}

static void check__client_burst_spent__throttled_that_client_only(void **state)
{
	const struct auth_limits lim = { .client_burst = 3,
					 .client_refill_s = 100,
					 .cpu_burst_s = 100,
					 .cpu_share = 1,
					 .max_queued = 8 };
	struct basic_auth *a = basic_auth__new(&lim);
	struct auth_stats st;
	char pw[16];
	double retry;
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(pw, sizeof(pw), "guess%d", i);
		assert_int_equal(check(a, ALICE_HASH, "alice", pw, "10.0.0.1", NULL), AUTH_DENIED);
	}
	assert_int_equal(check(a, ALICE_HASH, "alice", "guess3", "10.0.0.1", &retry),
			 AUTH_THROTTLED);
	assert_true(retry > 99 && retry <= 100);
	/* even the right password: the check itself is what costs */
	assert_int_equal(check(a, ALICE_HASH, "alice", "correct horse", "10.0.0.1", NULL),
			 AUTH_THROTTLED);
	/* an answer already known still comes from the cache */
	assert_int_equal(check(a, ALICE_HASH, "alice", "guess0", "10.0.0.1", NULL), AUTH_DENIED);
	assert_int_equal(check(a, ALICE_HASH, "alice", "correct horse", "10.0.0.2", NULL), AUTH_OK);
	/* the same address as IPv4-mapped IPv6: the same client */
	assert_int_equal(check(a, ALICE_HASH, "alice", "guess4", "::ffff:10.0.0.1", NULL),
			 AUTH_THROTTLED);
	basic_auth__stats(a, &st);
	assert_int_equal(st.bcrypt_runs, 4);
	assert_int_equal(st.throttled, 3);
	basic_auth__free(a);
}

static void check__ipv6__one_bucket_per_64(void **state)
{
	const struct auth_limits lim = { .client_burst = 1,
					 .client_refill_s = 100,
					 .cpu_burst_s = 100,
					 .cpu_share = 1,
					 .max_queued = 8 };
	struct basic_auth *a = basic_auth__new(&lim);

	assert_int_equal(check(a, ALICE_HASH, "alice", "a", "2001:db8::1", NULL), AUTH_DENIED);
	assert_int_equal(check(a, ALICE_HASH, "alice", "b", "2001:db8::ffff:2", NULL),
			 AUTH_THROTTLED);
	assert_int_equal(check(a, ALICE_HASH, "alice", "c", "2001:db8:0:1::1", NULL), AUTH_DENIED);
	basic_auth__free(a);
}

static void check__right_password__costs_its_client_nothing(void **state)
{
	const struct auth_limits lim = { .client_burst = 1,
					 .client_refill_s = 100,
					 .cpu_burst_s = 100,
					 .cpu_share = 1,
					 .max_queued = 8 };
	struct basic_auth *a = basic_auth__new(&lim);

	assert_int_equal(check(a, ALICE_HASH, "alice", "correct horse", "10.0.0.1", NULL), AUTH_OK);
	assert_int_equal(check(a, BOB_HASH, "bob", "battery staple", "10.0.0.1", NULL), AUTH_OK);
	assert_int_equal(check(a, BOB_HASH, "bob", "wrong", "10.0.0.1", NULL), AUTH_DENIED);
	assert_int_equal(check(a, BOB_HASH, "bob", "wrong again", "10.0.0.1", NULL),
			 AUTH_THROTTLED);
	basic_auth__free(a);
}

static void check__cpu_budget_spent__throttled_everyone(void **state)
{
	/* 1 ms of bcrypt at once, then 1% of a core: one cost-10 check (tens of ms) spends it. */
	const struct auth_limits lim = { .client_burst = 100,
					 .client_refill_s = 1,
					 .cpu_burst_s = 0.001,
					 .cpu_share = 0.01,
					 .max_queued = 8 };
	struct basic_auth *a = basic_auth__new(&lim);
	struct auth_stats st;
	double retry;

	assert_int_equal(check(a, NULL, "nobody", "x", "10.0.0.1", NULL), AUTH_DENIED);
	basic_auth__stats(a, &st);
	assert_true(st.bcrypt_cpu_s > 0.001);
	assert_int_equal(check(a, ALICE_HASH, "alice", "correct horse", "10.0.0.9", &retry),
			 AUTH_THROTTLED);
	/* the debt, paid back at 1% of a core */
	assert_true(retry > (st.bcrypt_cpu_s - 0.001) / 0.01 - 1);
	assert_true(retry < st.bcrypt_cpu_s / 0.01 + 1);
	basic_auth__free(a);
}

static void check__queue_full__throttled(void **state)
{
	const struct auth_limits lim = { .client_burst = 100,
					 .client_refill_s = 1,
					 .cpu_burst_s = 100,
					 .cpu_share = 1,
					 .max_queued = 2 };
	struct basic_auth *a = basic_auth__new(&lim);
	struct waiter *w = waiter__new();
	enum auth_result r[4];
	double retry;
	char pw[8];
	int i, pending = 0;

	/* cost 12: the first is still being hashed when the fourth arrives */
	for (i = 0; i < 4; i++) {
		snprintf(pw, sizeof(pw), "x%d", i);
		r[i] = start(a, CAROL_HASH, pw, "10.0.0.1", w, &retry);
		pending += r[i] == AUTH_PENDING;
	}
	assert_int_equal(r[0], AUTH_PENDING);
	assert_int_equal(r[1], AUTH_PENDING);
	assert_int_equal(r[3], AUTH_THROTTLED);
	assert_true(retry == 1);
	/* Stopping answers the queued ones without hashing them. */
	basic_auth__free(a);
	assert_int_equal(w->calls, pending);
	assert_int_equal(w->last, AUTH_DENIED);
	free(w);
}

static void check__oversized_fields__denied_at_once(void **state)
{
	struct basic_auth *a = basic_auth__new(NULL);
	char big[2048];
	struct auth_stats st;

	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(check(a, ALICE_HASH, "alice", big, "10.0.0.1", NULL), AUTH_DENIED);
	assert_int_equal(check(a, ALICE_HASH, big, "correct horse", "10.0.0.1", NULL), AUTH_DENIED);
	basic_auth__stats(a, &st);
	assert_int_equal(st.bcrypt_runs, 0);
	basic_auth__free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check__right_password__ok_then_cached),
		cmocka_unit_test(check__wrong_password__denied_and_cached),
		cmocka_unit_test(check__unknown_user_or_new_hash__denied),
		cmocka_unit_test(check__client_burst_spent__throttled_that_client_only),
		cmocka_unit_test(check__ipv6__one_bucket_per_64),
		cmocka_unit_test(check__right_password__costs_its_client_nothing),
		cmocka_unit_test(check__cpu_budget_spent__throttled_everyone),
		cmocka_unit_test(check__queue_full__throttled),
		cmocka_unit_test(check__oversized_fields__denied_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
