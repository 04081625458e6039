// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPU rate from two readings. The agent publishes a new snapshot once per
 * interval, so a reading is only as fresh as the last publication. Both
 * readings are therefore taken right after a publication is seen (the
 * answer changes), and the time between them is measured by the agent's
 * "timestamp" when the answer has one, else by our monotonic clock; both
 * ends then carry the same lag, which cancels.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sample.h"
#include "view.h"

struct sample_point {
	char *id;
	double cpu;
};

struct sample_set {
	struct sample_point *p;
	size_t n, cap;
};

static double sample__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sample__sleep(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

static void sample__collect(const char *id, json_t *obj, void *arg)
{
	struct sample_set *set = arg;
	json_t *cpu = json_object_get(obj, "cpu_seconds_total");
	struct sample_point *p;

	if (!json_is_number(cpu))
		return;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;

		p = realloc(set->p, cap * sizeof(*p));
		if (!p)
			return;
		set->p = p;
		set->cap = cap;
	}
	p = &set->p[set->n];
	p->id = strdup(id);
	if (!p->id)
		return;
	p->cpu = json_number_value(cpu);
	set->n++;
}

static int sample__cmp(const void *a, const void *b)
{
	return strcmp(((const struct sample_point *)a)->id, ((const struct sample_point *)b)->id);
}

static void sample__set_free(struct sample_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->p[i].id);
	free(set->p);
}

struct sample_apply {
	struct sample_set *before;
	double dt;
};

/* cores = delta cpu / delta t; an object absent from the first reading gets null. */
static void sample__apply(const char *id, json_t *obj, void *arg)
{
	struct sample_apply *a = arg;
	struct sample_point key = { .id = (char *)id }, *p;
	json_t *cpu = json_object_get(obj, "cpu_seconds_total");
	double cores;

	p = bsearch(&key, a->before->p, a->before->n, sizeof(*p), sample__cmp);
	if (!p || !json_is_number(cpu) || a->dt <= 0) {
		json_object_set_new(obj, VIEW_CORES_KEY, json_null());
		return;
	}
	cores = (json_number_value(cpu) - p->cpu) / a->dt;
	json_object_set_new(obj, VIEW_CORES_KEY, json_real(cores < 0 ? 0 : cores));
}

struct sample_probe {
	bool any;
	bool has_cores;
};

static void sample__probe(const char *id, json_t *obj, void *arg)
{
	struct sample_probe *pr = arg;

	pr->any = true;
	if (json_object_get(obj, VIEW_CORES_KEY))
		pr->has_cores = true;
}

static double sample__stamp(json_t *doc)
{
	json_t *ts = json_is_object(doc) ? json_object_get(doc, "timestamp") : NULL;

	return json_is_number(ts) ? json_number_value(ts) : NAN;
}

/*
 * Poll url until its answer differs from prev (a new snapshot), or the
 * wait runs out (*doc = NULL then). 0 or a negative errno.
 */
static int sample__next(const struct sampler *s, const char *url, json_t *prev, json_t **doc,
			double *at, char *err, size_t errlen)
{
	json_t *iv = json_is_object(prev) ? json_object_get(prev, "interval_seconds") : NULL;
	double wait = s->max_wait_s, deadline;

	/* A dated answer says how often the agent publishes: wait that long, and a bit. */
	if (json_is_number(iv) && json_number_value(iv) > 0)
		wait = fmin(json_number_value(iv) * 1.5 + 1, 3600);
	deadline = sample__now() + wait;
	int ret;

	*doc = NULL;
	while (sample__now() < deadline) {
		sample__sleep(s->poll_s);
		ret = http__get_json(s->http, url, doc, err, errlen);
		if (ret)
			return ret;
		*at = sample__now();
		if (!json_equal(*doc, prev))
			return 0;
		json_decref(*doc);
		*doc = NULL;
	}
	return 0;
}

static void sample__rate(const struct sampler *s, json_t *before, json_t *after, double dt)
{
	struct sample_set set = { 0 };
	struct sample_apply a = { .before = &set, .dt = dt };

	s->walk(before, sample__collect, &set, s->ctx);
	qsort(set.p, set.n, sizeof(*set.p), sample__cmp);
	s->walk(after, sample__apply, &a, s->ctx);
	sample__set_free(&set);
}

static void sample__zero(const char *id, json_t *obj, void *arg)
{
	json_object_set_new(obj, VIEW_CORES_KEY, json_real(0));
}

static void sample__unknown(const char *id, json_t *obj, void *arg)
{
	json_object_set_new(obj, VIEW_CORES_KEY, json_null());
}

/* The two-reading rate: wait for the next snapshot(s) after first. */
static int sample__fresh(const struct sampler *s, const char *url, json_t *first, json_t **doc,
			 char *err, size_t errlen)
{
	json_t *a = NULL, *b = NULL;
	double ta = 0, tb = 0, dt;
	int ret;

	if (isfinite(sample__stamp(first))) {
		/* The agent dates its answers: any two distinct snapshots do. */
		a = json_incref(first);
	} else {
		ret = sample__next(s, url, first, &a, &ta, err, errlen);
		if (ret || !a)
			goto out;
	}
	ret = sample__next(s, url, a, &b, &tb, err, errlen);
	if (ret || !b)
		goto out;
	dt = isfinite(sample__stamp(a)) && isfinite(sample__stamp(b))
		     ? sample__stamp(b) - sample__stamp(a)
		     : tb - ta;
	sample__rate(s, a, b, dt);
	*doc = json_incref(b);
out:
	if (!ret && !*doc) {
		/*
		 * No new snapshot in time. An undated answer that never changed
		 * means no CPU was seen; a dated one means the agent stalled.
		 */
		s->walk(first, isfinite(sample__stamp(first)) ? sample__unknown : sample__zero, NULL,
			s->ctx);
		*doc = json_incref(first);
	}
	json_decref(a);
	json_decref(b);
	return ret;
}

int sample__get(const struct sampler *s, const char *url, json_t **doc, char *err, size_t errlen)
{
	struct sample_probe pr = { 0 };
	json_t *first = NULL, *prev = s->prev ? *s->prev : NULL;
	int ret;

	*doc = NULL;
	ret = http__get_json(s->http, url, &first, err, errlen);
	if (ret)
		return ret;
	s->walk(first, sample__probe, &pr, s->ctx);
	if (!pr.any || pr.has_cores) {
		*doc = first;
		return 0;
	}
	if (prev && sample__stamp(first) > sample__stamp(prev)) {
		sample__rate(s, prev, first, sample__stamp(first) - sample__stamp(prev));
		*doc = json_incref(first);
	} else {
		ret = sample__fresh(s, url, first, doc, err, errlen);
	}
	json_decref(first);
	if (!ret && s->prev) {
		/* A copy: the caller filters and cuts *doc. */
		json_decref(*s->prev);
		*s->prev = json_deep_copy(*doc);
	}
	return ret;
}
