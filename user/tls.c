// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GnuTLS credentials and priorities from a web config.
 *
 * client_auth_type, as Go's crypto/tls applies it: the certificate is
 * asked for (Request, VerifyIfGiven) or required (RequireAny,
 * RequireAndVerify); the verifying ones check it against the client CA
 * for the TLS client purpose, and client_allowed_sans then wants one of
 * its DNS, e-mail, IP or URI names listed. A failed check fails the
 * handshake.
 *
 * cipher_suites: GnuTLS enables suites as the product of key exchanges,
 * ciphers and MACs, and one cipher list serves TLS 1.2 and 1.3. The key
 * exchange is the certificate's (ECDHE with its RSA or ECDSA key), so the
 * suites listed for that key are enabled exactly; a TLS 1.3 suite whose
 * cipher would enable an unlisted TLS 1.2 suite (or the reverse) is an
 * error rather than a silent widening. TLS 1.3 is offered with the listed
 * ciphers that TLS 1.3 has.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/x509.h>
#include "tls.h"

#define PEM_MAX_BYTES (1 << 20)

struct tls_ctx {
	atomic_int refs;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	gnutls_certificate_request_t request;
	enum client_auth client_auth;
	int nr_sans;
	char **sans;
	char *cert_pem, *key_pem;
	char priorities[512];
	char describe[256];
};

/* An inline PEM, or the file's bytes; NUL-terminated. */
static int pem_read(const char *inline_pem, const char *path, const char *key, char **out,
		    char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	if (inline_pem) {
		*out = strdup(inline_pem);
		return *out ? 0 : -ENOMEM;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		goto out_err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PEM_MAX_BYTES) {
		close(fd);
		snprintf(err, errlen, "tls_server_config.%s %s: not a file of at most 1 MiB", key,
			 path);
		return -EINVAL;
	}
	*out = malloc(st.st_size + 1);
	n = *out ? read(fd, *out, st.st_size) : -1;
	if (n != st.st_size) {
		ret = n < 0 ? -errno : -EIO;
		free(*out);
		*out = NULL;
		goto out_err;
	}
	(*out)[n] = '\0';
	close(fd);
	return 0;
out_err:
	if (fd >= 0)
		close(fd);
	snprintf(err, errlen, "tls_server_config.%s %s: %s", key, path, strerror(-ret));
	return ret;
}

static gnutls_datum_t datum(const char *s)
{
	return (gnutls_datum_t){ .data = (unsigned char *)s, .size = (unsigned int)strlen(s) };
}

static bool has_cipher(const char *const *list, int n, const char *cipher)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i], cipher))
			return true;
	return false;
}

/* The listed suites usable with the certificate's key exchange, by TLS version. */
struct suites {
	int n12, n13, nmacs;
	const char *tls12[WEB_MAX_CIPHERS], *tls13[WEB_MAX_CIPHERS], *macs[2];
	const char *names12[WEB_MAX_CIPHERS], *names13[WEB_MAX_CIPHERS];
};

static void suites_collect(const struct web_config *c, enum web_kx kx, struct suites *s)
{
	const struct web_cipher *w;
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < c->nr_ciphers; i++) {
		w = c->ciphers[i];
		if (w->tls13) {
			s->names13[s->n13] = w->name;
			s->tls13[s->n13++] = w->gnutls_cipher;
		} else if (w->kx == kx) {
			s->names12[s->n12] = w->name;
			s->tls12[s->n12++] = w->gnutls_cipher;
		} else {
			continue;
		}
		if (!has_cipher(s->macs, s->nmacs, w->gnutls_mac))
			s->macs[s->nmacs++] = w->gnutls_mac;
	}
}

/* Whether GnuTLS can enable exactly the listed suites; else why not, in err. */
static int suites_check(const struct web_config *c, const struct suites *s, enum web_kx kx,
			char *err, size_t errlen)
{
	const char *kxname = kx == WEB_KX_ECDHE_RSA ? "RSA" : "ECDSA";
	bool tls12 = c->min_version <= 12, tls13 = c->max_version >= 13;
	int i;

	if ((!tls12 || !s->n12) && (!tls13 || !s->n13))
		return snprintf(err, errlen,
				"tls_server_config.cipher_suites: none can be used with "
				"the certificate's %s key and TLS1%d to TLS1%d",
				kxname, c->min_version - 10, c->max_version - 10),
		       -EINVAL;
	for (i = 0; tls12 && i < s->n13; i++)
		if (!has_cipher(s->tls12, s->n12, s->tls13[i]))
			return snprintf(
				       err, errlen,
				       "tls_server_config.cipher_suites: GnuTLS takes one "
				       "cipher list for TLS 1.2 and 1.3, so %s would also allow the "
				       "TLS 1.2 suite with %s: list it, or set min_version: TLS13",
				       s->names13[i], s->tls13[i]),
			       -EINVAL;
	/* Every cipher but CBC has a TLS 1.3 suite. */
	for (i = 0; tls13 && s->n13 && i < s->n12; i++)
		if (!strstr(s->tls12[i], "-CBC") && !has_cipher(s->tls13, s->n13, s->tls12[i]))
			return snprintf(
				       err, errlen,
				       "tls_server_config.cipher_suites: GnuTLS takes one "
				       "cipher list for TLS 1.2 and 1.3, so %s would also allow the "
				       "TLS 1.3 suite with %s: list it, or set max_version: TLS12",
				       s->names12[i], s->tls12[i]),
			       -EINVAL;
	return 0;
}

static void append(char *buf, size_t len, const char *fmt, const char *arg)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, fmt, arg);
}

/* The GnuTLS priority string for c, given the certificate's key exchange. */
static int priorities_build(const struct web_config *c, enum web_kx kx, char *buf, size_t len,
			    char *err, size_t errlen)
{
	static const char *const vers[] = { [12] = "VERS-TLS1.2", [13] = "VERS-TLS1.3" };
	struct suites s;
	int v, i, ret;

	snprintf(buf, len, "NORMAL:-VERS-ALL");
	for (v = c->max_version; v >= c->min_version; v--)
		append(buf, len, ":+%s", vers[v]);
	if (!c->nr_ciphers) {
		/* Forward secrecy only, as Go's defaults: no static RSA or finite-field DHE. */
		append(buf, len, "%s", ":-RSA:-DHE-RSA:-DHE-DSS");
	} else {
		suites_collect(c, kx, &s);
		ret = suites_check(c, &s, kx, err, errlen);
		if (ret)
			return ret;
		append(buf, len, ":-KX-ALL:+%s",
		       kx == WEB_KX_ECDHE_RSA ? "ECDHE-RSA" : "ECDHE-ECDSA");
		append(buf, len, "%s", ":-CIPHER-ALL");
		for (i = 0; i < s.n12; i++)
			append(buf, len, ":+%s", s.tls12[i]);
		for (i = 0; i < s.n13; i++)
			if (!has_cipher(s.tls12, s.n12, s.tls13[i]))
				append(buf, len, ":+%s", s.tls13[i]);
		append(buf, len, "%s", ":-MAC-ALL");
		for (i = 0; i < s.nmacs; i++)
			append(buf, len, ":+%s", s.macs[i]);
	}
	/*
	 * Go's groups, in its order, when none are listed: with the server's
	 * precedence GnuTLS would otherwise ask every client that sent an X25519
	 * key share for a P-256 one instead (a HelloRetryRequest: a round trip
	 * and four times the CPU per handshake, measured).
	 */
	append(buf, len, "%s", ":-GROUP-ALL");
	if (!c->nr_curves)
		append(buf, len, "%s",
		       ":+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1");
	for (i = 0; i < c->nr_curves; i++)
		append(buf, len, ":+%s", c->curves[i]->gnutls_group);
	if (c->prefer_server_cipher_suites)
		append(buf, len, "%s", ":%SERVER_PRECEDENCE");
	return 0;
}

/* The leaf certificate: its key exchange, and a line for the log. */
static int cert_inspect(struct tls_ctx *t, enum web_kx *kx, char *err, size_t errlen)
{
	gnutls_datum_t pem = datum(t->cert_pem), dn = {};
	gnutls_x509_crt_t *crts = NULL;
	unsigned char serial[64];
	size_t slen = sizeof(serial);
	char hex[2 * sizeof(serial) + 1] = "", when[32] = "?";
	unsigned int n = 0, i;
	struct tm tm;
	time_t exp;
	int pk, ret;

	ret = gnutls_x509_crt_list_import2(&crts, &n, &pem, GNUTLS_X509_FMT_PEM, 0);
	if (ret < 0 || !n) {
		snprintf(err, errlen, "tls_server_config.cert: no certificate: %s",
			 ret < 0 ? gnutls_strerror(ret) : "empty");
		return -EINVAL;
	}
	pk = gnutls_x509_crt_get_pk_algorithm(crts[0], NULL);
	*kx = pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS ? WEB_KX_ECDHE_RSA :
							       WEB_KX_ECDHE_ECDSA;
	if (gnutls_x509_crt_get_serial(crts[0], serial, &slen) == 0)
		for (i = 0; i < slen; i++)
			snprintf(hex + 2 * i, 3, "%02x", serial[i]);
	exp = gnutls_x509_crt_get_expiration_time(crts[0]);
	if (exp != (time_t)-1 && gmtime_r(&exp, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	gnutls_x509_crt_get_dn3(crts[0], &dn, 0);
	snprintf(t->describe, sizeof(t->describe), "serial %s, %s, expires %s",
		 hex + strspn(hex, "0"), dn.data ? (char *)dn.data : "?", when);
	gnutls_free(dn.data);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return 0;
}

/* Does any DNS, e-mail, IP or URI name of the certificate appear in the list? (Go's rule) */
static bool sans_match(const struct tls_ctx *t, const gnutls_datum_t *der)
{
	char name[1024], ip[INET6_ADDRSTRLEN];
	gnutls_x509_crt_t crt;
	bool found = false;
	unsigned int seq;
	size_t size;
	int type, i;

	if (gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	for (seq = 0; !found; seq++) {
		size = sizeof(name) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, name, &size, NULL);
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (type < 0)
			break;
		name[size] = '\0';
		if (type == GNUTLS_SAN_IPADDRESS)
			snprintf(name, sizeof(name), "%s",
				 inet_ntop(size == 4 ? AF_INET : AF_INET6, name, ip, sizeof(ip)) ?
					 ip :
					 "");
		else if (type != GNUTLS_SAN_DNSNAME && type != GNUTLS_SAN_RFC822NAME &&
			 type != GNUTLS_SAN_URI)
			continue;
		for (i = 0; i < t->nr_sans && !found; i++)
			found = !strcmp(name, t->sans[i]);
	}
out:
	gnutls_x509_crt_deinit(crt);
	return found;
}

/* GnuTLS calls this in the handshake once the client's certificate (or none) is in. */
static int client_verify(gnutls_session_t s)
{
	const struct tls_ctx *t = gnutls_db_get_ptr(s);
	gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
					  .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT };
	const gnutls_datum_t *certs;
	unsigned int n = 0, status = 0;
	bool verify;

	if (!t)
		return -1;
	verify = t->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN ||
		 t->client_auth == CLIENT_AUTH_REQUIRE_VERIFY;
	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || !n) /* none given: fine unless required, or names are wanted */
		return t->request == GNUTLS_CERT_REQUIRE || t->nr_sans ? -1 : 0;
	if (verify && (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0 || status))
		return -1;
	if (t->nr_sans && !sans_match(t, &certs[0]))
		return -1;
	return 0;
}

static gnutls_certificate_request_t request_of(enum client_auth a)
{
	switch (a) {
	case CLIENT_AUTH_NONE:
		return GNUTLS_CERT_IGNORE;
	case CLIENT_AUTH_REQUEST:
	case CLIENT_AUTH_VERIFY_IF_GIVEN:
		return GNUTLS_CERT_REQUEST;
	default:
		return GNUTLS_CERT_REQUIRE;
	}
}

static int cred_build(struct tls_ctx *t, const struct web_config *c, char *err, size_t errlen)
{
	gnutls_datum_t cert = datum(t->cert_pem), key = datum(t->key_pem), ca;
	char *ca_pem = NULL;
	int ret;

	if (gnutls_certificate_allocate_credentials(&t->cred) < 0)
		return -ENOMEM;
	ret = gnutls_certificate_set_x509_key_mem2(t->cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL,
						   0);
	if (ret < 0) {
		snprintf(err, errlen, "tls_server_config.%s: %s (with %s)",
			 c->key ? "key" : "key_file", gnutls_strerror(ret),
			 c->cert ? "cert" : "cert_file");
		return -EINVAL;
	}
	if (c->client_ca || c->client_ca_file) {
		ret = pem_read(c->client_ca, c->client_ca_file, "client_ca_file", &ca_pem, err,
			       errlen);
		if (ret)
			return ret;
		ca = datum(ca_pem);
		ret = gnutls_certificate_set_x509_trust_mem(t->cred, &ca, GNUTLS_X509_FMT_PEM);
		free(ca_pem);
		if (ret <= 0) {
			snprintf(err, errlen, "tls_server_config.%s: no CA certificate: %s",
				 c->client_ca ? "client_ca" : "client_ca_file",
				 ret < 0 ? gnutls_strerror(ret) : "none found");
			return -EINVAL;
		}
	}
	gnutls_certificate_set_verify_function(t->cred, client_verify);
	return 0;
}

static int sans_copy(struct tls_ctx *t, const struct web_config *c)
{
	int i;

	if (!c->nr_allowed_sans)
		return 0;
	t->sans = calloc(c->nr_allowed_sans, sizeof(*t->sans));
	if (!t->sans)
		return -ENOMEM;
	for (i = 0; i < c->nr_allowed_sans; i++) {
		t->sans[i] = strdup(c->allowed_sans[i]);
		if (!t->sans[i])
			return -ENOMEM;
		t->nr_sans++;
	}
	return 0;
}

static void tls_ctx_free(struct tls_ctx *t)
{
	int i;

	if (t->prio)
		gnutls_priority_deinit(t->prio);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	for (i = 0; i < t->nr_sans; i++)
		free(t->sans[i]);
	free(t->sans);
	free(t->cert_pem);
	if (t->key_pem)
		explicit_bzero(t->key_pem, strlen(t->key_pem));
	free(t->key_pem);
	free(t);
}

int tls_ctx__new(const struct web_config *c, struct tls_ctx **out, char *err, size_t errlen)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));
	const char *errpos = NULL;
	enum web_kx kx;
	int ret;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	atomic_init(&t->refs, 1);
	t->client_auth = c->client_auth;
	t->request = request_of(c->client_auth);
	ret = pem_read(c->cert, c->cert_file, "cert_file", &t->cert_pem, err, errlen);
	ret = ret ?: pem_read(c->key, c->key_file, "key_file", &t->key_pem, err, errlen);
	ret = ret ?: cert_inspect(t, &kx, err, errlen);
	ret = ret ?: cred_build(t, c, err, errlen);
	ret = ret ?: priorities_build(c, kx, t->priorities, sizeof(t->priorities), err, errlen);
	ret = ret ?: sans_copy(t, c);
	if (!ret && gnutls_priority_init(&t->prio, t->priorities, &errpos) < 0) {
		snprintf(err, errlen, "GnuTLS refused the priorities at '%s'",
			 errpos ? errpos : "?");
		ret = -EINVAL;
	}
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		tls_ctx_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

struct tls_ctx *tls_ctx__get(struct tls_ctx *t)
{
	if (t)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

void tls_ctx__put(struct tls_ctx *t)
{
	if (t && atomic_fetch_sub(&t->refs, 1) == 1)
		tls_ctx_free(t);
}

int tls_ctx__setup_session(struct tls_ctx *t, gnutls_session_t s)
{
	int ret = gnutls_priority_set(s, t->prio);

	if (!ret)
		ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, t->cred);
	if (ret)
		return -EINVAL;
	gnutls_certificate_server_set_request(s, t->request);
	/* Where client_verify finds the policy; libmicrohttpd keeps no session cache. */
	gnutls_db_set_ptr(s, t);
	return 0;
}

const char *tls_ctx__priorities(const struct tls_ctx *t)
{
	return t->priorities;
}

const char *tls_ctx__cert_pem(const struct tls_ctx *t)
{
	return t->cert_pem;
}

const char *tls_ctx__key_pem(const struct tls_ctx *t)
{
	return t->key_pem;
}

const char *tls_ctx__describe(const struct tls_ctx *t)
{
	return t->describe;
}
