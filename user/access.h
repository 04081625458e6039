/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who may connect to the HTTP server and what they must show, from
 * --web-config-file: TLS (each new connection gets the current
 * certificate and client-certificate policy), basic auth (checked off the
 * serving threads: a request waits suspended while bcrypt runs), the
 * toolkit's rate limit, and the extra response headers. /healthz and
 * /readyz need no credentials (kubelet probes carry none) but still come
 * over TLS when TLS is on. Without a web config everything is let through
 * over plain HTTP, as before.
 *
 * The server calls these from libmicrohttpd's callbacks: a connection
 * opens and closes, a request is checked once its headers are in, and is
 * done when libmicrohttpd says it completed.
 */
#ifndef __WATTLET_ACCESS_H
#define __WATTLET_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <microhttpd.h>

struct access;
struct access_conn;

/*
 * From a web config file ("" or NULL: open plain HTTP). Starts the reload
 * watcher and the bcrypt thread. 0, or as web__load(): -EINVAL for a wrong
 * file (usage), another -errno when a file cannot be read; err says which.
 */
int access__new(struct access **out, const char *web_config_file, char *err, size_t errlen);
/* Answer every request waiting on bcrypt (denied), stop the threads. Before MHD_stop_daemon. */
void access__stop(struct access *a);
/* After MHD_stop_daemon; accepts NULL. */
void access__free(struct access *a);

bool access__tls(const struct access *a);
/* The event loop, flags and options (ending with MHD_OPTION_END) the daemon must start with. */
unsigned int access__mhd_flags(const struct access *a);
const struct MHD_OptionItem *access__mhd_options(const struct access *a);

/*
 * A connection began (NOTIFY_STARTED): give its TLS session the current
 * context. NULL when that failed: on a TLS server the caller must close
 * the connection, and access__request() refuses its requests.
 */
struct access_conn *access__conn_open(struct access *a, struct MHD_Connection *c);
void access__conn_close(struct access_conn *ac);

enum access_verdict {
	ACCESS_GRANTED,	 /* serve the request */
	ACCESS_ANSWERED, /* a 401, 429 or 503 was queued; *ret is what to return */
	ACCESS_WAIT,	 /* suspended until bcrypt answers; return MHD_YES */
};

/* Check a request whose headers are in. Called again after a wait, with the same arguments. */
enum access_verdict access__request(struct access *a, struct access_conn *ac,
				    struct MHD_Connection *c, const char *url,
				    enum MHD_Result *ret);
/* Add the web config's headers to a response about to be queued on ac (NULL: none). */
void access__decorate(struct access_conn *ac, struct MHD_Response *r);
/* The request on ac completed (NOTIFY_COMPLETED): forget its check. */
void access__request_done(struct access_conn *ac);

#endif /* __WATTLET_ACCESS_H */
