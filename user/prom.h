/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /metrics: the published document as Prometheus text 0.0.4 or OpenMetrics
 * 1.0, optionally gzip-compressed. Renders from the document only; never
 * reaches into collection state.
 */
#ifndef __WATTLET_PROM_H
#define __WATTLET_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum prom_format {
	PROM_TEXT,		/* text/plain; version=0.0.4 */
	PROM_OPENMETRICS,	/* application/openmetrics-text; version=1.0.0 */
};

struct prom_opts {
	enum prom_format format;
	int process_top;	/* per-process series for the top N by power; 0: none */
};

/* Render doc into a malloc'd buffer (*out, *len). 0 or -errno. */
int prom__render(const json_t *doc, const struct prom_opts *po, char **out, size_t *len);

/* gzip (RFC 1952) in into a malloc'd buffer. 0 or -errno. */
int prom__gzip(const char *in, size_t len, char **out, size_t *out_len);

/* The format an Accept header asks for: OpenMetrics when it is acceptable (q > 0). */
enum prom_format prom__negotiate(const char *accept);

/* Whether an Accept-Encoding header allows gzip (q > 0). */
bool prom__accepts_gzip(const char *accept_encoding);

const char *prom__content_type(enum prom_format format);

#endif /* __WATTLET_PROM_H */
