/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The JSON API under /api/v1/: views of the published document. Path
 * segments and parameters are names compared with the document, never
 * file paths. Independent of the HTTP library, so it is tested directly.
 */
#ifndef __WATTLET_API_H
#define __WATTLET_API_H

#include <jansson.h>

#define API_MAX_ARGS 8

struct api_arg {
	const char *key;
	const char *val; /* NULL for "?key" with no '=' */
};

struct api_request {
	const char *path; /* decoded, starting with "/api/" */
	int nr_args;	  /* may exceed API_MAX_ARGS: then the request is refused */
	struct api_arg args[API_MAX_ARGS];
};

struct api_reply {
	int status; /* HTTP status */
	char *body; /* JSON text, malloc'd: the caller frees it */
	size_t len;
};

/*
 * Answer req from doc (NULL before the first collection: 503). The reply is
 * text: it shares nothing with doc, which may be read by other threads.
 */
void api__handle(const json_t *doc, const struct api_request *req, struct api_reply *rep);

/* {"error": message, "status": status} */
json_t *api__error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* __WATTLET_API_H */
