// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Basic auth checks: a cache of answers keyed by an HMAC of (user, hash,
 * password) under a per-process random key, token buckets per client
 * address and for bcrypt's CPU time, and one bcrypt thread fed by a short
 * queue. bcrypt's output is compared with the stored hash in constant time
 * (nettle's memeql_sec).
 */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include "basic_auth.h"

#define AUTH_CACHE_SIZE	  256
#define AUTH_CLIENTS	  1024
#define AUTH_NICE	  10 /* below the serving threads (5) and the collector (0) */
#define AUTH_MAX_USER	  256
#define AUTH_MAX_PASSWORD 1024
#define CLIENT_KEY_LEN	  9   /* family, then 8 address bytes: IPv4, or an IPv6 /64 */
#define AUTH_MAX_WAIT_S	  5.0 /* a check queued longer (a starved CPU) is throttled instead */

/* Checked against for users that do not exist, so that they take as long as wrong passwords. */
static const char dummy_hash[] = "$2y$10$p8yMIS/te17tf5NRGsd5Qu5qLxwsSQG9Qr5DG/JCSAV..j0M8ErDq";

const struct auth_limits auth_default_limits = {
	.client_burst = 5,
	.client_refill_s = 10,
	.cpu_burst_s = 1.0,
	.cpu_share = 0.1,
	.max_queued = 2, /* one hashing, one waiting: a wait is one bcrypt long */
};

struct cache_entry {
	uint8_t digest[SHA256_DIGEST_SIZE];
	bool used;
	bool ok;
	unsigned long stamp; /* last use, for eviction */
};

struct client {
	uint8_t key[CLIENT_KEY_LEN];
	bool used;
	double tokens;
	double at; /* when tokens was last brought up to date */
};

struct job {
	struct job *next;
	double queued_at;
	uint8_t digest[SHA256_DIGEST_SIZE];
	uint8_t client[CLIENT_KEY_LEN];
	char hash[64];
	char *password;
	bool known_user;
	auth_done_fn done;
	void *arg;
};

struct basic_auth {
	struct auth_limits lim;
	uint8_t hmac_key[32];
	pthread_t thread;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;
	bool stopping;
	struct job *head, **tail;
	int queued; /* checks waiting or hashing */
	struct cache_entry cache[AUTH_CACHE_SIZE];
	unsigned long stamp;
	struct client clients[AUTH_CLIENTS];
	double cpu_budget_s;
	double cpu_at;
	struct auth_stats stats;
};

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void client_key(const struct sockaddr *sa, uint8_t key[CLIENT_KEY_LEN])
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct sockaddr_in6 *s6 = (const void *)sa;
	const struct sockaddr_in *s4 = (const void *)sa;

	memset(key, 0, CLIENT_KEY_LEN);
	if (sa && sa->sa_family == AF_INET) {
		key[0] = AF_INET;
		memcpy(key + 1, &s4->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6 &&
		   !memcmp(&s6->sin6_addr, v4mapped, sizeof(v4mapped))) {
		key[0] = AF_INET;
		memcpy(key + 1, s6->sin6_addr.s6_addr + 12, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		key[0] = AF_INET6;
		memcpy(key + 1, &s6->sin6_addr, 8);
	}
}

static void digest_of(const struct basic_auth *a, const char *user, const char *hash,
		      const char *password, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct hmac_sha256_ctx ctx;

	hmac_sha256_set_key(&ctx, sizeof(a->hmac_key), a->hmac_key);
	hmac_sha256_update(&ctx, strlen(user) + 1, (const uint8_t *)user);
	hmac_sha256_update(&ctx, strlen(hash) + 1, (const uint8_t *)hash);
	hmac_sha256_update(&ctx, strlen(password), (const uint8_t *)password);
	hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

/* Under lock. */
static struct cache_entry *cache_find(struct basic_auth *a, const uint8_t *digest)
{
	int i;

	for (i = 0; i < AUTH_CACHE_SIZE; i++)
		if (a->cache[i].used && memeql_sec(a->cache[i].digest, digest, SHA256_DIGEST_SIZE))
			return &a->cache[i];
	return NULL;
}

/* Under lock: remember an answer, in place of the least recently used one. */
static void cache_put(struct basic_auth *a, const uint8_t *digest, bool ok)
{
	struct cache_entry *e = cache_find(a, digest), *oldest = &a->cache[0];
	int i;

	for (i = 0; !e && i < AUTH_CACHE_SIZE; i++) {
		if (!a->cache[i].used) {
			e = &a->cache[i];
			break;
		}
		if (a->cache[i].stamp < oldest->stamp)
			oldest = &a->cache[i];
	}
	if (!e)
		e = oldest;
	memcpy(e->digest, digest, SHA256_DIGEST_SIZE);
	e->used = true;
	e->ok = ok;
	e->stamp = ++a->stamp;
}

/* Under lock: the client's bucket, refilled to now; a new one replaces the longest unseen. */
static struct client *client_get(struct basic_auth *a, const uint8_t *key, double now)
{
	struct client *c = NULL, *oldest = &a->clients[0];
	int i;

	for (i = 0; i < AUTH_CLIENTS; i++) {
		if (a->clients[i].used && !memcmp(a->clients[i].key, key, CLIENT_KEY_LEN)) {
			c = &a->clients[i];
			break;
		}
		if (!a->clients[i].used || (oldest->used && a->clients[i].at < oldest->at))
			oldest = &a->clients[i];
	}
	if (!c) {
		c = oldest;
		memcpy(c->key, key, CLIENT_KEY_LEN);
		c->used = true;
		c->tokens = a->lim.client_burst;
		c->at = now;
	}
	c->tokens += (now - c->at) / a->lim.client_refill_s;
	if (c->tokens > a->lim.client_burst)
		c->tokens = a->lim.client_burst;
	c->at = now;
	return c;
}

/* Under lock: the bcrypt CPU budget, refilled to now. */
static double cpu_budget(struct basic_auth *a, double now)
{
	a->cpu_budget_s += (now - a->cpu_at) * a->lim.cpu_share;
	if (a->cpu_budget_s > a->lim.cpu_burst_s)
		a->cpu_budget_s = a->lim.cpu_burst_s;
	a->cpu_at = now;
	return a->cpu_budget_s;
}

/* Under lock: 0 if a new check may start now, else the seconds until one may. */
static double throttle(struct basic_auth *a, struct client *c, double now)
{
	double budget = cpu_budget(a, now);

	if (c->tokens < 1)
		return (1 - c->tokens) * a->lim.client_refill_s;
	if (budget <= 0)
		return -budget / a->lim.cpu_share + 0.01;
	if (a->queued >= a->lim.max_queued)
		return 1;
	return 0;
}

static struct job *job_new(const uint8_t *digest, const uint8_t *client, const char *hash,
			   const char *password, auth_done_fn done, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->password = strdup(password);
	if (!j->password) {
		free(j);
		return NULL;
	}
	memcpy(j->digest, digest, SHA256_DIGEST_SIZE);
	memcpy(j->client, client, CLIENT_KEY_LEN);
	snprintf(j->hash, sizeof(j->hash), "%s", hash ? hash : dummy_hash);
	j->known_user = hash != NULL;
	j->done = done;
	j->arg = arg;
	return j;
}

static void job_free(struct job *j)
{
	explicit_bzero(j->password, strlen(j->password));
	free(j->password);
	free(j);
}

enum auth_result basic_auth__check(struct basic_auth *a, const char *hash, const char *user,
				   const char *password, const struct sockaddr *client,
				   auth_done_fn done, void *arg, double *retry_after_s)
{
	uint8_t digest[SHA256_DIGEST_SIZE], key[CLIENT_KEY_LEN];
	enum auth_result res = AUTH_PENDING;
	struct cache_entry *e;
	struct client *c;
	struct job *j;
	double wait;

	*retry_after_s = 0;
	if (strlen(user) > AUTH_MAX_USER || strlen(password) > AUTH_MAX_PASSWORD ||
	    (hash && strlen(hash) >= sizeof(j->hash)))
		return AUTH_DENIED;
	digest_of(a, user, hash ? hash : dummy_hash, password, digest);
	client_key(client, key);
	pthread_mutex_lock(&a->lock);
	e = cache_find(a, digest);
	if (e) {
		e->stamp = ++a->stamp;
		a->stats.cache_hits++;
		res = e->ok && hash ? AUTH_OK : AUTH_DENIED;
		goto out_unlock;
	}
	c = client_get(a, key, now_s(CLOCK_MONOTONIC));
	wait = throttle(a, c, c->at);
	if (wait > 0) {
		a->stats.throttled++;
		*retry_after_s = wait;
		res = AUTH_THROTTLED;
		goto out_unlock;
	}
	j = job_new(digest, key, hash, password, done, arg);
	if (!j) {
		res = AUTH_DENIED;
		goto out_unlock;
	}
	c->tokens -= 1;
	j->queued_at = c->at;
	*a->tail = j;
	a->tail = &j->next;
	a->queued++;
	pthread_cond_signal(&a->cond);
out_unlock:
	pthread_mutex_unlock(&a->lock);
	return res;
}

/* bcrypt, timed in this thread's CPU time. */
static bool job_verify(struct job *j, struct crypt_data *cd, double *cpu_s)
{
	double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	const char *out;
	size_t len = strlen(j->hash);
	bool same;

	memset(cd, 0, sizeof(*cd));
	out = crypt_rn(j->password, j->hash, cd, sizeof(*cd));
	same = out && strlen(out) == len && memeql_sec(out, j->hash, len);
	*cpu_s = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
	explicit_bzero(cd, sizeof(*cd));
	return same && j->known_user;
}

/* Under lock: account for a finished check. */
static void job_finish(struct basic_auth *a, struct job *j, bool ok, double cpu_s)
{
	struct client *c;

	cpu_budget(a, now_s(CLOCK_MONOTONIC));
	a->cpu_budget_s -= cpu_s;
	a->stats.bcrypt_runs++;
	a->stats.bcrypt_cpu_s += cpu_s;
	cache_put(a, j->digest, ok);
	if (ok) { /* a right password costs its client nothing */
		c = client_get(a, j->client, a->cpu_at);
		c->tokens =
			c->tokens + 1 > a->lim.client_burst ? a->lim.client_burst : c->tokens + 1;
	}
}

static struct job *queue_pop(struct basic_auth *a)
{
	struct job *j = a->head;

	if (j) {
		a->head = j->next;
		if (!a->head)
			a->tail = &a->head;
	}
	return j;
}

static void *bcrypt_run(void *arg)
{
	struct basic_auth *a = arg;
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	struct job *j;
	double cpu_s;
	bool ok;

	pthread_setname_np(pthread_self(), "http-bcrypt"); /* for top -H, and the tests */
	setpriority(PRIO_PROCESS, gettid(), AUTH_NICE);
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->head && !a->stopping)
			pthread_cond_wait(&a->cond, &a->lock);
		j = queue_pop(a);
		if (!j)
			break;
		if (a->stopping || !cd) {
			a->queued--;
			pthread_mutex_unlock(&a->lock);
			j->done(j->arg, AUTH_DENIED);
			job_free(j);
			pthread_mutex_lock(&a->lock);
			continue;
		}
		if (now_s(CLOCK_MONOTONIC) - j->queued_at > AUTH_MAX_WAIT_S) {
			/* Its client has waited long enough: ask it to come back, unhashed and uncharged. */
			client_get(a, j->client, now_s(CLOCK_MONOTONIC))->tokens += 1;
			a->stats.throttled++;
			a->queued--;
			pthread_mutex_unlock(&a->lock);
			j->done(j->arg, AUTH_THROTTLED);
			job_free(j);
			pthread_mutex_lock(&a->lock);
			continue;
		}
		pthread_mutex_unlock(&a->lock);
		ok = job_verify(j, cd, &cpu_s);
		pthread_mutex_lock(&a->lock);
		job_finish(a, j, ok, cpu_s);
		a->queued--;
		pthread_mutex_unlock(&a->lock);
		j->done(j->arg, ok ? AUTH_OK : AUTH_DENIED);
		job_free(j);
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	free(cd);
	return NULL;
}

struct basic_auth *basic_auth__new(const struct auth_limits *limits)
{
	struct basic_auth *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return NULL;
	a->lim = limits ? *limits : auth_default_limits;
	a->tail = &a->head;
	a->cpu_budget_s = a->lim.cpu_burst_s;
	a->cpu_at = now_s(CLOCK_MONOTONIC);
	if (getrandom(a->hmac_key, sizeof(a->hmac_key), 0) != sizeof(a->hmac_key)) {
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	err = pthread_create(&a->thread, NULL, bcrypt_run, a);
	if (err) {
		pthread_cond_destroy(&a->cond);
		pthread_mutex_destroy(&a->lock);
		free(a);
		errno = err;
		return NULL;
	}
	return a;
}

void basic_auth__free(struct basic_auth *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

void basic_auth__stats(struct basic_auth *a, struct auth_stats *out)
{
	pthread_mutex_lock(&a->lock);
	*out = a->stats;
	pthread_mutex_unlock(&a->lock);
}
