/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP basic auth against bcrypt hashes (libcrypt), off the serving
 * threads. bcrypt at cost 12 takes a quarter of a second of CPU, so:
 *   - a checked (user, hash, password) is remembered, right or wrong, and
 *     answered at once the next time (a scrape every 15 s pays once);
 *   - a new check runs on one low-priority thread, never on a thread that
 *     serves other clients; the caller suspends the request meanwhile;
 *   - new checks are rate-limited per client address (an IPv6 /64 counts as
 *     one) and in total by the CPU time bcrypt may use, so a flood of wrong
 *     passwords cannot starve collection or other clients: beyond the
 *     limits a request is throttled at once, without bcrypt; so is a check
 *     that waited in the queue for 5 s (the thread is starved of CPU).
 * One object serves every config generation: a check names the hash it
 * compares against, so a changed hash never matches an old answer.
 */
#ifndef __WATTLET_BASIC_AUTH_H
#define __WATTLET_BASIC_AUTH_H

#include <stdbool.h>
#include <sys/socket.h>

enum auth_result {
	AUTH_OK,
	AUTH_DENIED,	/* 401 */
	AUTH_THROTTLED, /* 429: too many new checks; *retry_after_s says when */
	/*
	 * bcrypt queued: done() will be called with OK, DENIED, or THROTTLED when the
	 * check waited too long for the CPU
	 */
	AUTH_PENDING,
};

struct auth_limits {
	int client_burst;	/* new checks a client address may start at once */
	double client_refill_s; /* and one more every this many seconds */
	double cpu_burst_s;	/* bcrypt CPU seconds that may be spent at once */
	double cpu_share;	/* and, on average, this share of one core */
	int max_queued;		/* checks waiting for the bcrypt thread or in it */
};

/* 5 checks, then one per 10 s per address; 1 s of bcrypt, then 10% of a core; 2 at a time. */
extern const struct auth_limits auth_default_limits;

typedef void (*auth_done_fn)(void *arg, enum auth_result result);

struct basic_auth;

/* Start the bcrypt thread. NULL on failure (errno set). */
struct basic_auth *basic_auth__new(const struct auth_limits *limits);
/* Stop; checks still queued are answered AUTH_DENIED first. Accepts NULL. */
void basic_auth__free(struct basic_auth *a);

/*
 * Does password belong to user, whose bcrypt hash is hash (NULL: no such
 * user, which is checked like a wrong password so timing does not tell)?
 * Returns at once unless AUTH_PENDING; then done(arg, ...) is called once,
 * from the bcrypt thread. client: the peer's address, for the per-client limit.
 */
enum auth_result basic_auth__check(struct basic_auth *a, const char *hash, const char *user,
				   const char *password, const struct sockaddr *client,
				   auth_done_fn done, void *arg, double *retry_after_s);

/* Counters, for tests and logs. */
struct auth_stats {
	unsigned long bcrypt_runs;
	unsigned long cache_hits;
	unsigned long throttled;
	double bcrypt_cpu_s;
};
void basic_auth__stats(struct basic_auth *a, struct auth_stats *out);

#endif /* __WATTLET_BASIC_AUTH_H */
