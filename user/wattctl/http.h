/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* GET a URL and parse the body as JSON, over libcurl. Errors name the URL. */
#ifndef __WATTCTL_HTTP_H
#define __WATTCTL_HTTP_H

#include <stddef.h>
#include <jansson.h>
#include "wattctl.h"

struct http;

/* auth: TLS files, client certificate, basic auth; NULL for none. */
struct http *http__new(double timeout_s, const struct http_auth *auth);
void http__free(struct http *h);

/*
 * GET url and parse its body. On success *doc owns the document and 0 is
 * returned. On failure a negative errno and a one-line message naming the
 * URL in err: unreachable (-ECONNREFUSED etc. as -EHOSTUNREACH), an HTTP
 * status >= 400 (-EPROTO, with the body's "error" when it has one), a body
 * that is not JSON (-EBADMSG).
 */
int http__get_json(struct http *h, const char *url, json_t **doc, char *err, size_t errlen);

/* Percent-encode s for a query value or a path segment; free() the result. */
char *http__escape(struct http *h, const char *s);

#endif /* __WATTCTL_HTTP_H */
