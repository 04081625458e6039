// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TLS contexts from web configs, exercised by real handshakes over a
 * socketpair: a server session set up by tls_ctx__setup_session(), a
 * GnuTLS client that verifies the server as "localhost" against the test
 * CA (certificates made by openssl at test time, tests/e2e/tls_lib.bash).
 * Versions (TLS 1.1 refused), ciphers, curves, the five client_auth_type
 * policies, client_allowed_sans, and the errors for bad files.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <gnutls/gnutls.h>
#include "tls.h"

static char dir[] = "/tmp/wattlet-test-tls.XXXXXX";
static char err[512];

struct client_opts {
	const char *prio; /* NULL: NORMAL */
	const char *cert; /* base name in dir: "client" uses client.crt and client.key */
};

struct result {
	int server, client;
	gnutls_protocol_t version;
	gnutls_cipher_algorithm_t cipher;
	gnutls_group_t group;
};

struct side {
	gnutls_session_t s;
	int fd;
	int ret;
};

static void *handshake(void *arg)
{
	struct side *h = arg;

	do {
		h->ret = gnutls_handshake(h->s);
	} while (h->ret < 0 && !gnutls_error_is_fatal(h->ret));
	if (h->ret < 0) /* let the peer see the end */
		shutdown(h->fd, SHUT_RDWR);
	return NULL;
}

static char *path(const char *base, const char *ext)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s.%s", dir, base, ext);
	return b;
}

/* One handshake between the context and a client; both sides' results. */
static struct result connect_with(struct tls_ctx *t, const struct client_opts *o)
{
	gnutls_certificate_credentials_t cred;
	struct side srv = {}, cli = {};
	struct result r;
	pthread_t th;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(gnutls_init(&srv.s, GNUTLS_SERVER), 0);
	assert_int_equal(tls_ctx__setup_session(t, srv.s), 0);
	gnutls_transport_set_int(srv.s, sv[0]);
	srv.fd = sv[0];
	gnutls_handshake_set_timeout(srv.s, 5000);

	assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
	assert_true(gnutls_certificate_set_x509_trust_file(cred, path("ca", "crt"),
							   GNUTLS_X509_FMT_PEM) > 0);
	if (o->cert)
		assert_int_equal(gnutls_certificate_set_x509_key_file(cred, path(o->cert, "crt"),
								      path(o->cert, "key"),
								      GNUTLS_X509_FMT_PEM),
				 0);
	assert_int_equal(gnutls_init(&cli.s, GNUTLS_CLIENT), 0);
	assert_int_equal(gnutls_priority_set_direct(cli.s, o->prio ? o->prio : "NORMAL", NULL), 0);
	gnutls_credentials_set(cli.s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_session_set_verify_cert(cli.s, "localhost", 0);
	gnutls_transport_set_int(cli.s, sv[1]);
	cli.fd = sv[1];
	gnutls_handshake_set_timeout(cli.s, 5000);

	assert_int_equal(pthread_create(&th, NULL, handshake, &srv), 0);
	handshake(&cli);
	pthread_join(th, NULL);
	r = (struct result){ .server = srv.ret,
			     .client = cli.ret,
			     .version = gnutls_protocol_get_version(cli.s),
			     .cipher = gnutls_cipher_get(cli.s),
			     .group = gnutls_group_get(cli.s) };
	gnutls_deinit(srv.s);
	gnutls_deinit(cli.s);
	gnutls_certificate_free_credentials(cred);
	close(sv[0]);
	close(sv[1]);
	return r;
}

/* A context from YAML whose paths are relative to the test directory. */
static struct tls_ctx *ctx(const char *yaml)
{
	struct web_config *c;
	struct tls_ctx *t;
	int ret = web_config__parse(yaml, strlen(yaml), dir, &c, err, sizeof(err));

	if (ret)
		fail_msg("config: %s", err);
	ret = tls_ctx__new(c, &t, err, sizeof(err));
	web_config__free(c);
	if (ret)
		fail_msg("context: %s", err);
	return t;
}

static int ctx_error(const char *yaml)
{
	struct web_config *c;
	struct tls_ctx *t = (void *)1;
	int ret = web_config__parse(yaml, strlen(yaml), dir, &c, err, sizeof(err));

	if (ret)
		fail_msg("config: %s", err);
	ret = tls_ctx__new(c, &t, err, sizeof(err));
	web_config__free(c);
	assert_null(t);
	return ret;
}

#define SERVER	   "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
#define SERVER_RSA "tls_server_config:\n  cert_file: server-rsa.crt\n  key_file: server-rsa.key\n"

static bool ok(struct result r)
{
	return r.server == 0 && r.client == 0;
}

static void setup_certs(void)
{
	char cmd[512];

	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "bash tests/e2e/tls_lib.bash make_certs %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void versions__default__tls12_and_13_only(void **state)
{
	struct tls_ctx *t = ctx(SERVER);
	struct result r;

	r = connect_with(t, &(struct client_opts){});
	assert_true(ok(r));
	assert_int_equal(r.version, GNUTLS_TLS1_3);
	r = connect_with(t, &(struct client_opts){ .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2" });
	assert_true(ok(r));
	assert_int_equal(r.version, GNUTLS_TLS1_2);
	r = connect_with(t, &(struct client_opts){ .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.1" });
	assert_int_equal(r.server, GNUTLS_E_UNSUPPORTED_VERSION_PACKET);
	assert_true(r.client < 0);
	r = connect_with(t, &(struct client_opts){ .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.0" });
	assert_true(r.server < 0 && r.client < 0);
	assert_non_null(strstr(tls_ctx__describe(t), "serial 1001, CN=server, expires 20"));
	tls_ctx__put(t);
}

static void versions__min_tls10_in_file__still_refused(void **state)
{
	struct tls_ctx *t = ctx(SERVER "  min_version: TLS10\n");
	struct result r =
		connect_with(t, &(struct client_opts){ .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.1" });

	assert_true(r.server < 0 && r.client < 0);
	assert_null(strstr(tls_ctx__priorities(t), "TLS1.1"));
	tls_ctx__put(t);
	t = ctx(SERVER "  min_version: TLS13\n");
	r = connect_with(t, &(struct client_opts){ .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2" });
	assert_true(r.server < 0 && r.client < 0);
	tls_ctx__put(t);
}

static void ciphers__listed__exactly_those(void **state)
{
	struct tls_ctx *t = ctx(SERVER_RSA "  max_version: TLS12\n  cipher_suites:\n"
					   "  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
					   "  - TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA\n");
	struct result r;

	r = connect_with(t, &(struct client_opts){ .prio = "NORMAL:-CIPHER-ALL:+AES-256-GCM" });
	assert_true(r.server < 0 && r.client < 0);
	r = connect_with(
		t, &(struct client_opts){ .prio = "NORMAL:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM" });
	assert_true(ok(r));
	assert_int_equal(r.cipher, GNUTLS_CIPHER_AES_128_GCM);
	r = connect_with(t, &(struct client_opts){
				    .prio = "NORMAL:-CIPHER-ALL:+AES-256-CBC:-MAC-ALL:+SHA1" });
	assert_true(ok(r));
	assert_int_equal(r.cipher, GNUTLS_CIPHER_AES_256_CBC);
	/* the CBC cipher with another MAC is another suite, not listed */
	r = connect_with(t, &(struct client_opts){
				    .prio = "NORMAL:-CIPHER-ALL:+AES-256-CBC:-MAC-ALL:+SHA384" });
	assert_true(r.server < 0 && r.client < 0);
	tls_ctx__put(t);
}

static void ciphers__server_order__unless_turned_off(void **state)
{
	const char *client = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM";
	struct tls_ctx *t = ctx(SERVER "  cipher_suites:\n"
				       "  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n"
				       "  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n");
	struct result r = connect_with(t, &(struct client_opts){ .prio = client });

	assert_int_equal(r.cipher, GNUTLS_CIPHER_AES_256_GCM);
	tls_ctx__put(t);
	t = ctx(SERVER "  prefer_server_cipher_suites: false\n  cipher_suites:\n"
		       "  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n"
		       "  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n");
	r = connect_with(t, &(struct client_opts){ .prio = client });
	assert_int_equal(r.cipher, GNUTLS_CIPHER_AES_128_GCM);
	tls_ctx__put(t);
}

static void ciphers__not_honourable__error_says_why(void **state)
{
	assert_int_equal(ctx_error(SERVER "  cipher_suites:\n  - TLS_AES_128_GCM_SHA256\n"
					  "  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n"),
			 -EINVAL);
	assert_string_equal(
		err, "tls_server_config.cipher_suites: GnuTLS takes one cipher list for "
		     "TLS 1.2 and 1.3, so TLS_AES_128_GCM_SHA256 would also allow the TLS 1.2 "
		     "suite with AES-128-GCM: list it, or set min_version: TLS13");
	assert_int_equal(ctx_error(SERVER_RSA "  cipher_suites:\n"
					      "  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n"),
			 -EINVAL);
	assert_string_equal(err, "tls_server_config.cipher_suites: none can be used with the "
				 "certificate's RSA key and TLS12 to TLS13");
	/* TLS 1.3 names alone are fine when TLS 1.2 is off */
	tls_ctx__put(ctx(
		SERVER "  min_version: TLS13\n  cipher_suites: [TLS_CHACHA20_POLY1305_SHA256]\n"));
}

static void curves__listed__only_those(void **state)
{
	struct tls_ctx *t = ctx(SERVER "  curve_preferences: [CurveP521]\n");
	struct result r;

	r = connect_with(t, &(struct client_opts){ .prio = "NORMAL:-GROUP-ALL:+GROUP-X25519" });
	assert_true(r.server < 0 && r.client < 0);
	r = connect_with(t, &(struct client_opts){
				    .prio = "NORMAL:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP521R1" });
	assert_true(ok(r));
	assert_int_equal(r.group, GNUTLS_GROUP_SECP521R1);
	tls_ctx__put(t);
}

static void client_auth__five_policies(void **state)
{
	static const struct {
		const char *type;
		bool none, ca_signed, rogue; /* accepted with no cert, the CA's, an impostor's */
	} cases[] = {
		{ "NoClientCert", true, true, true },
		{ "RequestClientCert", true, true, true },
		{ "RequireAnyClientCert", false, true, true },
		{ "VerifyClientCertIfGiven", true, true, false },
		{ "RequireAndVerifyClientCert", false, true, false },
	};
	char yaml[512];
	struct tls_ctx *t;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* A CA only where it verifies: with one, a client offers only certificates it issued. */
		snprintf(yaml, sizeof(yaml), SERVER "  client_auth_type: %s\n%s", cases[i].type,
			 i >= 3 ? "  client_ca_file: ca.crt\n" : "");
		t = ctx(yaml);
		print_message("%s\n", cases[i].type);
		assert_int_equal(ok(connect_with(t, &(struct client_opts){})), cases[i].none);
		assert_int_equal(ok(connect_with(t, &(struct client_opts){ .cert = "client" })),
				 cases[i].ca_signed);
		assert_int_equal(ok(connect_with(t, &(struct client_opts){ .cert = "impostor" })),
				 cases[i].rogue);
		/* and over TLS 1.2, where the certificate request is another message */
		assert_int_equal(
			ok(connect_with(
				t, &(struct client_opts){ .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2",
							  .cert = "impostor" })),
			cases[i].rogue);
		tls_ctx__put(t);
	}
}

static void client_auth__allowed_sans__one_must_match(void **state)
{
	struct tls_ctx *t = ctx(
		SERVER "  client_auth_type: RequireAndVerifyClientCert\n"
		       "  client_ca_file: ca.crt\n  client_allowed_sans: [nobody, prometheus]\n");

	assert_true(ok(connect_with(t, &(struct client_opts){ .cert = "client" })));
	assert_false(ok(connect_with(t, &(struct client_opts){ .cert = "client-other" })));
	tls_ctx__put(t);
	/* Without verification the names are still checked, and a missing certificate fails. */
	t = ctx(SERVER
		"  client_auth_type: RequestClientCert\n  client_allowed_sans: [prometheus]\n");
	assert_true(ok(connect_with(t, &(struct client_opts){ .cert = "rogue" })));
	assert_false(ok(connect_with(t, &(struct client_opts){ .cert = "client-other" })));
	assert_false(ok(connect_with(t, &(struct client_opts){})));
	tls_ctx__put(t);
}

static void files__wrong__one_line_naming_them(void **state)
{
	char yaml[512];

	assert_int_equal(
		ctx_error("tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n"),
		-ENOENT);
	snprintf(yaml, sizeof(yaml),
		 "tls_server_config.cert_file %s/nope.crt: No such file or directory", dir);
	assert_string_equal(err, yaml);
	assert_int_equal(
		ctx_error("tls_server_config:\n  cert_file: server.crt\n  key_file: server2.key\n"),
		-EINVAL);
	assert_string_equal(err,
			    "tls_server_config.key_file: The certificate and the given key do not "
			    "match. (with cert_file)");
	assert_int_equal(
		ctx_error("tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n"),
		-EINVAL);
	assert_string_equal(err,
			    "tls_server_config.cert: no certificate: No certificate was found.");
	assert_int_equal(ctx_error(SERVER "  client_auth_type: RequireAndVerifyClientCert\n"
					  "  client_ca_file: server.key\n"),
			 -EINVAL);
	assert_string_equal(err, "tls_server_config.client_ca_file: no CA certificate: none found");
}

/* The file's text with four spaces before each line: a YAML block scalar's body. */
static char *indented(const char *base, const char *ext)
{
	char line[256], *out = calloc(1, 1 << 16);
	FILE *f = fopen(path(base, ext), "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		strcat(out, "    ");
		strcat(out, line);
	}
	fclose(f);
	return out;
}

static void inline_pem__works_like_files(void **state)
{
	char *cert = indented("server2", "crt"), *key = indented("server2", "key"), *yaml;
	struct tls_ctx *t;

	assert_true(asprintf(&yaml, "tls_server_config:\n  cert: |\n%s  key: |\n%s", cert, key) >
		    0);
	t = ctx(yaml);
	assert_true(ok(connect_with(t, &(struct client_opts){})));
	assert_non_null(strstr(tls_ctx__describe(t), "serial 1002, CN=server2,"));
	tls_ctx__put(t);
	free(yaml);
	free(cert);
	free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(versions__default__tls12_and_13_only),
		cmocka_unit_test(versions__min_tls10_in_file__still_refused),
		cmocka_unit_test(ciphers__listed__exactly_those),
		cmocka_unit_test(ciphers__server_order__unless_turned_off),
		cmocka_unit_test(ciphers__not_honourable__error_says_why),
		cmocka_unit_test(curves__listed__only_those),
		cmocka_unit_test(client_auth__five_policies),
		cmocka_unit_test(client_auth__allowed_sans__one_must_match),
		cmocka_unit_test(files__wrong__one_line_naming_them),
		cmocka_unit_test(inline_pem__works_like_files),
	};
	char cmd[300];
	int ret;

	setup_certs();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		ret = 1;
	return ret;
}
