/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --web-config-file, loaded and kept current. A struct web is one loaded
 * generation (the parsed config and, with TLS, its context), immutable and
 * reference-counted. The watcher reloads it on SIGHUP and when the config,
 * certificate, key or client CA file changes (inotify on their directories,
 * which sees cert-manager's symlink swap, and a stat every few seconds); a
 * new generation replaces the old only if it loads completely, otherwise
 * the old one stays and one line says why. Reloading runs on the
 * watcher's own thread: collection and serving never wait for it.
 */
#ifndef __WATTLET_WEB_H
#define __WATTLET_WEB_H

#include <stdatomic.h>
#include <stddef.h>
#include "tls.h"
#include "webconfig.h"

struct web {
	struct web_config *config;
	struct tls_ctx *tls; /* NULL: plain HTTP */
	atomic_int refs;
};

/*
 * Load path. 0; -EINVAL when its content is wrong (usage: exit 2); another
 * -errno when it or a file it names cannot be read (environment: exit 1).
 * err gets one line: "FILE: line N: key: why" or "FILE: key FILE2: why".
 */
int web__load(const char *path, struct web **out, char *err, size_t errlen);
struct web *web__get(struct web *w);
void web__put(struct web *w);

struct web_watch;

/* Watch path, starting from initial (a reference is taken). 0 or -errno. */
int web_watch__start(struct web_watch **out, const char *path, struct web *initial);
/* The current generation, with a new reference (web__put it). */
struct web *web_watch__current(struct web_watch *ww);
/* Ask for a reload now; async-signal-safe (call it from a SIGHUP handler). */
void web_watch__request(void);
/* Stop the thread and drop the current generation; accepts NULL. */
void web_watch__stop(struct web_watch *ww);
/* Reloads that replaced the generation, and those that failed (for tests and logs). */
void web_watch__counts(struct web_watch *ww, unsigned long *reloaded, unsigned long *failed);

#endif /* __WATTLET_WEB_H */
