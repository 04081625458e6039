/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Content negotiation: what a client's Accept and Accept-Encoding headers
 * allow (RFC 9110 section 12). Names are compared without case; a q of 0
 * refuses.
 */
#ifndef __WATTLET_HTTP_ACCEPT_H
#define __WATTLET_HTTP_ACCEPT_H

#include <stdbool.h>

/* The q value of the first element of a header's list that starts with token; -1 if none. */
double accept__q(const char *header, const char *token);
/* Whether an Accept header takes OpenMetrics at least as gladly as text (and q > 0). */
bool accept__openmetrics(const char *accept);
/* Whether an Accept-Encoding header allows gzip (q > 0), by name or by "*". */
bool accept__gzip(const char *accept_encoding);

#endif /* __WATTLET_HTTP_ACCEPT_H */
