/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /metrics: the published document as Prometheus text 0.0.4 or OpenMetrics
 * 1.0. Renders from the document only; never reaches into collection state.
 * Which format a client gets is http_accept.h's business, compression gzip.h's.
 */
#ifndef __WATTLET_PROM_H
#define __WATTLET_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum prom_format {
	PROM_TEXT,	  /* text/plain; version=0.0.4 */
	PROM_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

struct prom_opts {
	enum prom_format format;
	int process_top; /* per-process series for the top N by power; 0: none */
};

/* Render doc into a malloc'd buffer (*out, *len). 0 or -errno. */
int prom__render(const json_t *doc, const struct prom_opts *po, char **out, size_t *len);

const char *prom__content_type(enum prom_format format);

#endif /* __WATTLET_PROM_H */
