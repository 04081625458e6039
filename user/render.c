// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Each cached body remembers the snapshot (by its seq) it was rendered from.
 * One lock per body guards its two fields and is held only to read or swap
 * them; a second makes one thread at a time render that body. The
 * pre-render thread runs below the collector's priority.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "api.h"
#include "gzip.h"
#include "prom.h"
#include "render.h"
#include "util.h"

#define RENDER_NICE   5	   /* below the collector */
#define RENDER_POLL_S 0.02 /* how soon a new snapshot is noticed without a kick */

struct cached {
	pthread_mutex_t lock;
	pthread_mutex_t render_lock;
	unsigned long long seq; /* snapshot the body is from; 0: none yet */
	struct body *body;
	atomic_bool wanted; /* asked for once: pre-render it for every snapshot */
};

struct render_cache {
	int process_top;
	struct cached cached[NR_RENDER_BODIES];
	pthread_t thread;
	bool started;
	pthread_mutex_t wake_lock; /* guards kicked and stopping */
	pthread_cond_t wake_cond;
	bool kicked;
	bool stopping;
};

static struct body *body_new(char *data, size_t len)
{
	struct body *b = malloc(sizeof(*b));

	if (!b) {
		free(data);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->data = data;
	b->len = len;
	return b;
}

struct body *body__get(struct body *b)
{
	if (b)
		atomic_fetch_add(&b->refs, 1);
	return b;
}

void body__put(void *p)
{
	struct body *b = p;

	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		free(b->data);
		free(b);
	}
}

static struct body *render_metrics(const json_t *doc, enum prom_format fmt, int top)
{
	struct prom_opts po = { .format = fmt, .process_top = top };
	char *text;
	size_t len;

	if (prom__render(doc, &po, &text, &len))
		return NULL;
	return body_new(text, len);
}

static struct body *render_gzip(const struct body *plain)
{
	char *gz;
	size_t len;

	if (!plain || gzip__compress(plain->data, plain->len, &gz, &len))
		return NULL;
	return body_new(gz, len);
}

static struct body *render_pods(const json_t *doc)
{
	struct api_request req = { .path = "/api/v1/pods" };
	struct api_reply rep = {};

	api__handle(doc, &req, &rep);
	if (rep.status != 200 || !rep.body) {
		free(rep.body);
		return NULL;
	}
	return body_new(rep.body, rep.len);
}

static struct body *render(struct render_cache *rc, enum render_body which,
			   const struct snapshot *snap)
{
	struct body *plain, *b;

	switch (which) {
	case RENDER_METRICS_TEXT:
		return render_metrics(snap->doc, PROM_TEXT, rc->process_top);
	case RENDER_METRICS_OM:
		return render_metrics(snap->doc, PROM_OPENMETRICS, rc->process_top);
	case RENDER_PODS:
		return render_pods(snap->doc);
	case RENDER_METRICS_TEXT_GZ:
	case RENDER_METRICS_OM_GZ:
	case RENDER_PODS_GZ:
		/* The plain body of this very snapshot, never a stale one. */
		plain = render_cache__get(rc, which - 1, snap, false);
		b = render_gzip(plain);
		body__put(plain);
		return b;
	default:
		return NULL;
	}
}

/* The cached body if it is seq's; else *stale gets the older one (or NULL). */
static struct body *peek(struct cached *c, unsigned long long seq, struct body **stale)
{
	struct body *b = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->seq == seq)
		b = body__get(c->body);
	else if (stale)
		*stale = body__get(c->body);
	pthread_mutex_unlock(&c->lock);
	return b;
}

/* Make b (rendered from seq) the cached body; the old one is released outside the lock. */
static void store(struct cached *c, unsigned long long seq, struct body *b)
{
	struct body *old;

	pthread_mutex_lock(&c->lock);
	old = c->body;
	c->body = body__get(b);
	c->seq = seq;
	pthread_mutex_unlock(&c->lock);
	body__put(old);
}

static void kick(struct render_cache *rc)
{
	pthread_mutex_lock(&rc->wake_lock);
	rc->kicked = true;
	pthread_cond_signal(&rc->wake_cond);
	pthread_mutex_unlock(&rc->wake_lock);
}

struct body *render_cache__get(struct render_cache *rc, enum render_body which,
			       const struct snapshot *snap, bool allow_stale)
{
	struct cached *c = &rc->cached[which];
	struct body *b, *stale = NULL;

	atomic_store(&c->wanted, true);
	b = peek(c, snap->seq, allow_stale ? &stale : NULL);
	if (b)
		return b;
	if (stale) {
		kick(rc);
		return stale;
	}
	pthread_mutex_lock(&c->render_lock);
	b = peek(c, snap->seq, NULL);
	if (!b) {
		b = render(rc, which, snap);
		if (b)
			store(c, snap->seq, b);
	}
	pthread_mutex_unlock(&c->render_lock);
	return b;
}

static void prerender(struct render_cache *rc, const struct snapshot *snap)
{
	for (int id = 0; id < NR_RENDER_BODIES; id++)
		if (atomic_load(&rc->cached[id].wanted))
			body__put(render_cache__get(rc, id, snap, false));
}

/* Sleep until kicked, stopped, or RENDER_POLL_S passed. Called and returns with wake_lock held. */
static void wait_for_work(struct render_cache *rc)
{
	struct timespec ts = timespec_of(wall_clock_s() + RENDER_POLL_S);

	if (!rc->stopping && !rc->kicked)
		pthread_cond_timedwait(&rc->wake_cond, &rc->wake_lock, &ts);
}

/* Render each wanted body once for every snapshot published. */
static void *prerender_thread(void *arg)
{
	struct render_cache *rc = arg;
	unsigned long long last = 0;
	const struct snapshot *snap;

	setpriority(PRIO_PROCESS, gettid(), RENDER_NICE);
	pthread_mutex_lock(&rc->wake_lock);
	while (!rc->stopping) {
		rc->kicked = false;
		pthread_mutex_unlock(&rc->wake_lock);
		snap = snapshot__get();
		if (snap && snap->seq != last) {
			prerender(rc, snap);
			last = snap->seq;
		}
		snapshot__put(snap);
		pthread_mutex_lock(&rc->wake_lock);
		wait_for_work(rc);
	}
	pthread_mutex_unlock(&rc->wake_lock);
	return NULL;
}

static struct render_cache *render_cache_alloc(int process_top)
{
	struct render_cache *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return NULL;
	rc->process_top = process_top;
	pthread_mutex_init(&rc->wake_lock, NULL);
	pthread_cond_init(&rc->wake_cond, NULL);
	for (int id = 0; id < NR_RENDER_BODIES; id++) {
		pthread_mutex_init(&rc->cached[id].lock, NULL);
		pthread_mutex_init(&rc->cached[id].render_lock, NULL);
		atomic_init(&rc->cached[id].wanted, false);
	}
	/* Scrapers almost always want gzipped text: have it ready for the first one. */
	atomic_store(&rc->cached[RENDER_METRICS_TEXT_GZ].wanted, true);
	return rc;
}

static void render_cache_free(struct render_cache *rc)
{
	for (int id = 0; id < NR_RENDER_BODIES; id++) {
		body__put(rc->cached[id].body);
		pthread_mutex_destroy(&rc->cached[id].lock);
		pthread_mutex_destroy(&rc->cached[id].render_lock);
	}
	pthread_cond_destroy(&rc->wake_cond);
	pthread_mutex_destroy(&rc->wake_lock);
	free(rc);
}

int render_cache__start(struct render_cache **out, int process_top)
{
	struct render_cache *rc = render_cache_alloc(process_top);
	int err;

	*out = NULL;
	if (!rc)
		return -ENOMEM;
	err = -pthread_create(&rc->thread, NULL, prerender_thread, rc);
	if (err) {
		render_cache_free(rc);
		return err;
	}
	rc->started = true;
	*out = rc;
	return 0;
}

void render_cache__stop(struct render_cache *rc)
{
	if (!rc)
		return;
	if (rc->started) {
		pthread_mutex_lock(&rc->wake_lock);
		rc->stopping = true;
		pthread_cond_signal(&rc->wake_cond);
		pthread_mutex_unlock(&rc->wake_lock);
		pthread_join(rc->thread, NULL);
	}
	render_cache_free(rc);
}
