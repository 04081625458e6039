/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CPU as cores: the rate of cpu_seconds_total. The API carries totals, so
 * unless the agent already gives "cpu_cores", two answers of the same URL
 * are read one agent interval apart and the rate added to the second.
 */
#ifndef __WATTCTL_SAMPLE_H
#define __WATTCTL_SAMPLE_H

#include <stddef.h>
#include <jansson.h>
#include "http.h"

/* Calls visit for every object in doc that should get a rate, with its identity. */
typedef void (*sample_visit_fn)(const char *id, json_t *obj, void *arg);
typedef void (*sample_walk_fn)(json_t *doc, sample_visit_fn visit, void *arg, const void *ctx);

struct sampler {
	struct http *http;
	sample_walk_fn walk;
	const void *ctx;	/* passed to walk */
	double max_wait_s;	/* give up waiting for a new snapshot after this, unless the
				 * answer carries interval_seconds */
	double poll_s;
	json_t **prev;		/* --watch: the last answer, kept here; NULL: none */
};

/*
 * GET url into *doc with "cpu_cores" on every walked object. 0 or a
 * negative errno with the message in err. With prev, a dated answer older
 * than this one serves as the first reading, so --watch frames need not
 * wait for a second snapshot: their rate covers the time between frames.
 */
int sample__get(const struct sampler *s, const char *url, json_t **doc, char *err, size_t errlen);

#endif /* __WATTCTL_SAMPLE_H */
