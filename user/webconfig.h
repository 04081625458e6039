/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --web-config-file: the Prometheus exporter-toolkit web configuration
 * (the file node_exporter and Kepler read), parsed with libyaml into plain
 * data. Every key the toolkit knows is accepted; an unknown key or a bad
 * value is one error naming it. Files it names are not read here (see
 * tls.h); relative paths are taken from the config file's directory.
 */
#ifndef __WATTLET_WEBCONFIG_H
#define __WATTLET_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* tls_server_config.client_auth_type, as Go's crypto/tls names them. */
enum client_auth {
	CLIENT_AUTH_NONE,	     /* NoClientCert */
	CLIENT_AUTH_REQUEST,	     /* RequestClientCert: asked for, never checked */
	CLIENT_AUTH_REQUIRE_ANY,     /* RequireAnyClientCert: required, never checked */
	CLIENT_AUTH_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
	CLIENT_AUTH_REQUIRE_VERIFY,  /* RequireAndVerifyClientCert */
};

/* TLS versions as minor numbers: TLS 1.2 is 12. */
#define WEB_TLS_FLOOR 12 /* min_version below this is raised to it */
#define WEB_TLS_MAX   13

/* Key exchanges of the cipher suites; TLS 1.3 suites work with any key. */
enum web_kx {
	WEB_KX_ANY,
	WEB_KX_ECDHE_RSA,
	WEB_KX_ECDHE_ECDSA,
};

/* A cipher suite of Go's tls.CipherSuites(), with the GnuTLS names that make it. */
struct web_cipher {
	const char *name;
	enum web_kx kx;
	bool tls13;
	const char *gnutls_cipher;
	const char *gnutls_mac;
};

struct web_curve {
	const char *name;
	const char *gnutls_group;
};

/* The response headers http_server_config.headers may set, in this order. */
enum web_header {
	WEB_HDR_CSP,
	WEB_HDR_FRAME_OPTIONS,
	WEB_HDR_CONTENT_TYPE_OPTIONS,
	WEB_HDR_XSS_PROTECTION,
	WEB_HDR_HSTS,
	NR_WEB_HEADERS,
};

#define WEB_MAX_CIPHERS 16
#define WEB_MAX_CURVES	4

struct web_user {
	char *name;
	char *hash; /* bcrypt: $2a$, $2b$ or $2y$ */
};

struct web_config {
	/* tls_server_config; paths already joined with the config's directory */
	bool tls; /* any TLS key set: serve HTTPS */
	char *cert_file, *key_file, *client_ca_file;
	char *cert, *key, *client_ca; /* inline PEM, the alternative to the files */
	enum client_auth client_auth;
	int min_version, max_version;
	bool min_version_raised; /* the file asked for TLS 1.0 or 1.1 */
	bool prefer_server_cipher_suites;
	int nr_ciphers;
	const struct web_cipher *ciphers[WEB_MAX_CIPHERS]; /* in preference order */
	int nr_curves;
	const struct web_curve *curves[WEB_MAX_CURVES];
	int nr_allowed_sans;
	char **allowed_sans;

	/* http_server_config */
	bool http2;		       /* accepted; wattlet speaks HTTP/1.1 only */
	char *headers[NR_WEB_HEADERS]; /* NULL: not set */

	/* basic_auth_users */
	int nr_users;
	struct web_user *users;

	/* rate_limit: a token bucket over all requests; interval 0 turns it off */
	double rate_interval_s;
	int rate_burst;
};

/* 0, or -EINVAL with one line in err naming the line and key. dir: for relative paths. */
int web_config__parse(const char *text, size_t len, const char *dir, struct web_config **out,
		      char *err, size_t errlen);
/* Read and parse path. -errno when it cannot be read, -EINVAL when it is wrong. */
int web_config__load(const char *path, struct web_config **out, char *err, size_t errlen);
void web_config__free(struct web_config *c);

/* The header's name as sent ("X-Frame-Options"). */
const char *web_config__header_name(enum web_header h);
/* The user's bcrypt hash, or NULL. */
const char *web_config__user_hash(const struct web_config *c, const char *name);

#endif /* __WATTLET_WEBCONFIG_H */
