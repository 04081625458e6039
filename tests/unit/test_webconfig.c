// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exporter-toolkit web config: the toolkit's own good and bad cases
 * (its testdata, rewritten), defaults, YAML 1.1 scalars, relative paths, and
 * one error line naming the line and the key. Hashes are htpasswd's (-nbBC 4).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "webconfig.h"

#define ALICE_HASH "$2y$04$LBwx430I2kQ419vWHg5yhu7/sjH6IYAzaOWcNLSHuai3J67RFIpnC"
#define BOB_HASH   "$2y$04$y1IK1P6bPtEhsPRfvycuqu6l5zcfrJoVk57eKQD/W9VVbbn69xomm"

static char err[512];

static struct web_config *ok(const char *yaml)
{
	struct web_config *c = NULL;
	int ret = web_config__parse(yaml, strlen(yaml), "/etc/wattlet", &c, err, sizeof(err));

	if (ret)
		fail_msg("parse failed (%d): %s\n%s", ret, err, yaml);
	assert_non_null(c);
	return c;
}

/* Parsing fails with -EINVAL and exactly this message. */
static void bad(const char *yaml, const char *want)
{
	struct web_config *c = (void *)1;

	err[0] = '\0';
	if (web_config__parse(yaml, strlen(yaml), "/etc/wattlet", &c, err, sizeof(err)) != -EINVAL)
		fail_msg("not refused with -EINVAL:\n%s", yaml);
	assert_null(c);
	assert_string_equal(err, want);
}

static void parse__empty__plain_http_with_defaults(void **state)
{
	const char *empties[] = { "",
				  "\n",
				  "# nothing\n",
				  "---\n",
				  "tls_server_config:\n",
				  "tls_server_config: {}\nbasic_auth_users: ~\n" };
	struct web_config *c;
	size_t i;

	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		c = ok(empties[i]);
		assert_false(c->tls);
		assert_int_equal(c->min_version, 12);
		assert_int_equal(c->max_version, 13);
		assert_true(c->prefer_server_cipher_suites);
		assert_true(c->http2);
		assert_int_equal(c->client_auth, CLIENT_AUTH_NONE);
		assert_int_equal(c->nr_users, 0);
		assert_int_equal(c->nr_ciphers, 0);
		assert_true(c->rate_interval_s == 0);
		web_config__free(c);
	}
}

static void parse__tls_files__joined_with_config_dir(void **state)
{
	struct web_config *c = ok("tls_server_config:\n"
				  "  cert_file: server.crt\n"
				  "  key_file: /abs/server.key\n"
				  "  client_ca_file: \"../ca/ca.pem\"\n"
				  "  client_auth_type: RequireAndVerifyClientCert\n");

	assert_true(c->tls);
	assert_string_equal(c->cert_file, "/etc/wattlet/server.crt");
	assert_string_equal(c->key_file, "/abs/server.key");
	assert_string_equal(c->client_ca_file, "/etc/wattlet/../ca/ca.pem");
	assert_int_equal(c->client_auth, CLIENT_AUTH_REQUIRE_VERIFY);
	assert_null(c->cert);
	web_config__free(c);
}

static void parse__client_auth_types__five_and_the_old_name(void **state)
{
	static const struct {
		const char *name;
		enum client_auth want;
	} cases[] = {
		{ "NoClientCert", CLIENT_AUTH_NONE },
		{ "RequestClientCert", CLIENT_AUTH_REQUEST },
		{ "RequireAnyClientCert", CLIENT_AUTH_REQUIRE_ANY },
		{ "RequireClientCert", CLIENT_AUTH_REQUIRE_ANY },
		{ "VerifyClientCertIfGiven", CLIENT_AUTH_VERIFY_IF_GIVEN },
		{ "RequireAndVerifyClientCert", CLIENT_AUTH_REQUIRE_VERIFY },
	};
	char yaml[512];
	struct web_config *c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
			 "  client_auth_type: %s\n%s",
			 cases[i].name,
			 cases[i].want >= CLIENT_AUTH_VERIFY_IF_GIVEN ?
				 "  client_ca_file: ca.pem\n" :
				 "");
		c = ok(yaml);
		assert_int_equal(c->client_auth, cases[i].want);
		web_config__free(c);
	}
	bad("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
	    "  client_auth_type: RequireAndVerifyClientCerts\n",
	    "line 4: tls_server_config.client_auth_type: unknown client_auth_type "
	    "'RequireAndVerifyClientCerts' (want NoClientCert, RequestClientCert, "
	    "RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)");
}

static void parse__toolkit_bad_files__one_line_each(void **state)
{
	bad("tls_server_config:\n  cert_filse: \"server.crt\"\n",
	    "line 2: tls_server_config.cert_filse: unknown key");
	bad("tls_server_config:\n  cert_file: \"\"\n  key_file: \"server.key\"\n",
	    "line 1: tls_server_config: missing one of cert or cert_file");
	bad("tls_server_config:\n  cert: \"\"\n  key_file: \"server.key\"\n",
	    "line 1: tls_server_config: missing one of cert or cert_file");
	bad("tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"\"\n",
	    "line 1: tls_server_config: missing one of key or key_file");
	bad("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
	    "  client_ca_file: /dev/null\n",
	    "line 1: tls_server_config: client CA's have been configured without a Client Auth "
	    "Policy (set client_auth_type)");
	bad("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
	    "  client_auth_type: VerifyClientCertIfGiven\n  min_version: TLS111\n",
	    "line 5: tls_server_config.min_version: unknown TLS version 'TLS111' (want TLS10, "
	    "TLS11, TLS12, TLS13)");
	bad("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  cipher_suites:\n"
	    "    - TLS_RSA_WITH_AES_128_CBC_SHA\n",
	    "line 5: tls_server_config.cipher_suites: unknown cipher 'TLS_RSA_WITH_AES_128_CBC_SHA' "
	    "(want a name of Go's tls.CipherSuites(), see docs/api.md)");
	bad("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  curve_preferences:\n"
	    "    - CurveP257\n",
	    "line 5: tls_server_config.curve_preferences: unknown curve 'CurveP257' (want "
	    "CurveP256, CurveP384, CurveP521, X25519)");
	bad("basic_auth_users:\n  john: doe\n",
	    "line 2: basic_auth_users.john: not a bcrypt hash (want $2y$COST$ and 53 characters, "
	    "as htpasswd -nBC 12 USER makes)");
	bad("http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
	    "line 3: http_server_config.headers.X-Frame-Options: invalid value 'allow' (want deny "
	    "or sameorigin)");
	bad("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
	    "line 3: http_server_config.headers.X-Content-Type-Options: invalid value 'sniff' "
	    "(want nosniff)");
	bad("http_server_config:\n  headers:\n    Set-Cookie: a=b\n",
	    "line 3: http_server_config.headers: HTTP header 'Set-Cookie' can not be configured");
	bad("hWkNKCp3fvIx3jKnsaBI\nTuEjdwNS8A2vYdFbiKqr\n", "line 1: (top level): want a mapping");
	bad("web:\n  x: 1\n", "line 1: web: unknown key");
}

static void parse__stricter_than_toolkit__says_why(void **state)
{
	bad("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
	    "  client_auth_type: RequireAndVerifyClientCert\n",
	    "line 1: tls_server_config.client_auth_type: RequireAndVerifyClientCert needs "
	    "client_ca_file to verify against");
	bad("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
	    "  client_allowed_sans: [a]\n",
	    "line 1: tls_server_config.client_allowed_sans: needs a client_auth_type that asks "
	    "for a certificate");
	bad("tls_server_config:\n  cert_file: s.crt\n  cert: inline\n  key_file: s.key\n",
	    "line 1: tls_server_config: a PEM given both inline and as a file: keep one");
	bad("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  max_version: TLS11\n",
	    "line 1: tls_server_config.max_version: TLS11 is below min_version TLS12 (TLS 1.0 "
	    "and 1.1 are never offered)");
	bad("basic_auth_users:\n  \"a:b\": " ALICE_HASH "\n",
	    "line 2: basic_auth_users: user name 'a:b' has a ':', which basic auth cannot send");
}

static void parse__min_version_below_floor__raised_to_tls12(void **state)
{
	struct web_config *c = ok("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
				  "  min_version: TLS10\n");

	assert_int_equal(c->min_version, 12);
	assert_true(c->min_version_raised);
	web_config__free(c);
	c = ok("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
	       "  min_version: TLS13\n  max_version: TLS13\n");
	assert_int_equal(c->min_version, 13);
	assert_false(c->min_version_raised);
	web_config__free(c);
}

static void parse__ciphers_and_curves__kept_in_order(void **state)
{
	struct web_config *c = ok("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
				  "  cipher_suites:\n"
				  "  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
				  "  - TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\n"
				  "  - TLS_AES_128_GCM_SHA256\n"
				  "  prefer_server_cipher_suites: no\n"
				  "  curve_preferences: [X25519, CurveP521]\n");

	assert_int_equal(c->nr_ciphers, 3);
	assert_string_equal(c->ciphers[0]->name, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
	assert_string_equal(c->ciphers[0]->gnutls_cipher, "AES-256-GCM");
	assert_int_equal(c->ciphers[0]->kx, WEB_KX_ECDHE_RSA);
	assert_string_equal(c->ciphers[1]->gnutls_mac, "SHA1");
	assert_true(c->ciphers[2]->tls13);
	assert_false(c->prefer_server_cipher_suites);
	assert_int_equal(c->nr_curves, 2);
	assert_string_equal(c->curves[0]->gnutls_group, "GROUP-X25519");
	assert_string_equal(c->curves[1]->gnutls_group, "GROUP-SECP521R1");
	web_config__free(c);
	bad("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  curve_preferences:\n"
	    "    - X25519\n    - X25519\n",
	    "line 6: tls_server_config.curve_preferences: X25519 listed twice");
}

static void parse__users_and_headers__read(void **state)
{
	struct web_config *c =
		ok("basic_auth_users:\n"
		   "  alice: " ALICE_HASH "\n"
		   "  bob: '" BOB_HASH "'\n"
		   "http_server_config:\n"
		   "  http2: false\n"
		   "  headers:\n"
		   "    X-Frame-Options: deny\n"
		   "    Strict-Transport-Security: max-age=31536000; includeSubDomains\n"
		   "    X-XSS-Protection: 1\n"
		   "    Content-Security-Policy: \"default-src 'self'\"\n");

	assert_false(c->tls);
	assert_int_equal(c->nr_users, 2);
	assert_string_equal(web_config__user_hash(c, "alice"), ALICE_HASH);
	assert_string_equal(web_config__user_hash(c, "bob"), BOB_HASH);
	assert_null(web_config__user_hash(c, "carol"));
	assert_false(c->http2);
	assert_string_equal(c->headers[WEB_HDR_FRAME_OPTIONS], "deny");
	assert_string_equal(c->headers[WEB_HDR_HSTS], "max-age=31536000; includeSubDomains");
	assert_string_equal(c->headers[WEB_HDR_XSS_PROTECTION], "1");
	assert_string_equal(c->headers[WEB_HDR_CSP], "default-src 'self'");
	assert_null(c->headers[WEB_HDR_CONTENT_TYPE_OPTIONS]);
	assert_string_equal(web_config__header_name(WEB_HDR_HSTS), "Strict-Transport-Security");
	web_config__free(c);
	bad("http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n",
	    "line 3: http_server_config.headers.Content-Security-Policy: control character in "
	    "the value");
}

static void parse__yaml_scalars__as_go_yaml_v2_reads_them(void **state)
{
	struct web_config *c = ok("tls_server_config:\n  cert_file: 123\n  key_file: true\n"
				  "  prefer_server_cipher_suites: OFF\n");

	assert_string_equal(c->cert_file, "/etc/wattlet/123");
	assert_string_equal(c->key_file, "/etc/wattlet/true");
	assert_false(c->prefer_server_cipher_suites);
	web_config__free(c);
	bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  prefer_server_cipher_suites: 'yes'\n",
	    "line 4: tls_server_config.prefer_server_cipher_suites: want true or false");
	bad("tls_server_config:\n  cert_file: [a]\n",
	    "line 2: tls_server_config.cert_file: want a string");
	bad("tls_server_config:\n  cipher_suites: TLS_AES_128_GCM_SHA256\n",
	    "line 2: tls_server_config.cipher_suites: want a list");
	bad("tls_server_config: yes\n", "line 1: tls_server_config: want a mapping");
}

static void parse__repeats_and_documents__refused(void **state)
{
	bad("basic_auth_users:\n  alice: " ALICE_HASH "\n  alice: " BOB_HASH "\n",
	    "line 3: basic_auth_users.alice: set twice");
	bad("tls_server_config: {}\ntls_server_config: {}\n",
	    "line 2: tls_server_config: set twice");
	bad("basic_auth_users: {}\n---\nbasic_auth_users: {}\n",
	    "line 3: more than one YAML document");
	bad("tls_server_config:\n  cert_file: \"unterminated\n",
	    "line 3: not YAML: found unexpected end of stream while scanning a quoted scalar");
}

static void parse__rate_limit__go_durations(void **state)
{
	static const struct {
		const char *text;
		double s;
	} cases[] = { { "0", 0 },      { "1s", 1 },	 { "250ms", 0.25 },
		      { "1m30s", 90 }, { "1.5h", 5400 }, { "100us", 1e-4 } };
	char yaml[128];
	struct web_config *c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(yaml, sizeof(yaml), "rate_limit:\n  interval: %s\n  burst: 3\n",
			 cases[i].text);
		c = ok(yaml);
		assert_float_equal(c->rate_interval_s, cases[i].s, 1e-12);
		assert_int_equal(c->rate_burst, 3);
		web_config__free(c);
	}
	bad("rate_limit:\n  interval: 1x\n",
	    "line 2: rate_limit.interval: want a duration such as 1s or 250ms");
	bad("rate_limit:\n  interval: 0x10s\n",
	    "line 2: rate_limit.interval: want a duration such as 1s or 250ms");
	bad("rate_limit:\n  burst: -1\n", "line 2: rate_limit.burst: want a whole number from 0");
}

static void load__missing_file__errno(void **state)
{
	struct web_config *c;

	assert_int_equal(web_config__load("/nonexistent/web.yml", &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot read: No such file or directory");
	assert_int_equal(web_config__load("/", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "not a regular file of at most 1 MiB");
}

static void load__file__dir_from_its_path(void **state)
{
	char dir[] = "/tmp/wattlet-webconfig.XXXXXX", path[128];
	struct web_config *c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n", f);
	fclose(f);
	assert_int_equal(web_config__load(path, &c, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/tls.crt", dir);
	assert_string_equal(c->cert_file, path);
	web_config__free(c);
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__empty__plain_http_with_defaults),
		cmocka_unit_test(parse__tls_files__joined_with_config_dir),
		cmocka_unit_test(parse__client_auth_types__five_and_the_old_name),
		cmocka_unit_test(parse__toolkit_bad_files__one_line_each),
		cmocka_unit_test(parse__stricter_than_toolkit__says_why),
		cmocka_unit_test(parse__min_version_below_floor__raised_to_tls12),
		cmocka_unit_test(parse__ciphers_and_curves__kept_in_order),
		cmocka_unit_test(parse__users_and_headers__read),
		cmocka_unit_test(parse__yaml_scalars__as_go_yaml_v2_reads_them),
		cmocka_unit_test(parse__repeats_and_documents__refused),
		cmocka_unit_test(parse__rate_limit__go_durations),
		cmocka_unit_test(load__missing_file__errno),
		cmocka_unit_test(load__file__dir_from_its_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
