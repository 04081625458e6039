/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The HTTP server (libmicrohttpd): /metrics, /api/v1/..., /healthz,
 * /readyz and an index at /. GET only. Its own threads read the latest
 * published snapshot and never touch collection state.
 */
#ifndef __WATTLET_SERVER_H
#define __WATTLET_SERVER_H

#include <stdbool.h>
#include "options.h"

struct server;

/* Listen on o->listen and serve. 0 or -errno, after printing why to stderr. */
int server__start(struct server **out, const struct options *o);
/* /readyz answers 200 once ready is set and a snapshot is published. */
void server__set_ready(struct server *s, bool ready);
/* The port actually bound (useful with --listen ADDR:0). */
int server__port(const struct server *s);
/* Stop serving and free; accepts NULL. */
void server__stop(struct server *s);

#endif /* __WATTLET_SERVER_H */
