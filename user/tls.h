/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a TLS connection is served with, built from a web config: the
 * certificate and key, the client CA and client-certificate policy, and
 * GnuTLS priorities (versions from TLS 1.2, ciphers, curves). libmicrohttpd
 * makes each server session; tls_ctx__setup_session() then gives it the
 * current context before the first byte is read, so a reload changes what
 * new connections get while older ones keep the context they started with.
 */
#ifndef __WATTLET_TLS_H
#define __WATTLET_TLS_H

#include <stddef.h>
#include <gnutls/gnutls.h>
#include "webconfig.h"

struct tls_ctx;

/*
 * Read the files c names and build a context (one reference). 0; -EINVAL
 * for content that is wrong (a key that does not match, no certificate in
 * a file, cipher suites GnuTLS cannot honour); -errno for a file that
 * cannot be read. err gets one line naming the key or file.
 */
int tls_ctx__new(const struct web_config *c, struct tls_ctx **out, char *err, size_t errlen);
struct tls_ctx *tls_ctx__get(struct tls_ctx *t);
/* Drop a reference; accepts NULL. */
void tls_ctx__put(struct tls_ctx *t);

/* Give a new server session (before its handshake) this context; it must hold a reference. */
int tls_ctx__setup_session(struct tls_ctx *t, gnutls_session_t s);

/* The GnuTLS priority string, the certificate chain and key as PEM (libmicrohttpd's start-up). */
const char *tls_ctx__priorities(const struct tls_ctx *t);
const char *tls_ctx__cert_pem(const struct tls_ctx *t);
const char *tls_ctx__key_pem(const struct tls_ctx *t);
/* For the log: "serial 1001, CN=..., expires 2027-01-01T00:00:00Z". */
const char *tls_ctx__describe(const struct tls_ctx *t);

#endif /* __WATTLET_TLS_H */
