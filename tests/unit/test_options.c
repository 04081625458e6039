// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --listen: parsed once, into the socket address the server binds, with
 * every bad value a usage error that names what is wanted. Nothing is ever
 * looked up: getaddrinfo is interposed here to see every call's flags.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include "capture.h"
#include "options.h"

static int lookups, lookups_not_numeric;

/* The daemon's calls land here first (the executable's symbol wins), then in libc's. */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **) =
		dlsym(RTLD_NEXT, "getaddrinfo");
	int numeric = AI_NUMERICHOST | AI_NUMERICSERV;

	lookups++;
	if (!hints || (hints->ai_flags & numeric) != numeric)
		lookups_not_numeric++;
	return real(node, service, hints, res);
}

/* Parse "wattlet [--listen spec]"; *err gets what was printed on stderr. */
static int parse_listen(struct options *o, const char *spec, const char **err)
{
	static struct captured c;
	char *argv[] = { "wattlet", "--listen", (char *)spec, NULL };
	int ret;

	capture__begin(&c);
	ret = options__parse(o, spec ? 3 : 1, argv);
	*err = capture__end(&c);
	return ret;
}

static void assert_addr(const struct options *o, int family, const char *addr, int port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&o->listen_addr;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&o->listen_addr;
	char text[INET6_ADDRSTRLEN];

	assert_int_equal(o->listen_addr.ss_family, family);
	if (family == AF_INET) {
		assert_int_equal(o->listen_addr_len, sizeof(*in));
		assert_non_null(inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)));
		assert_int_equal(ntohs(in->sin_port), port);
	} else {
		assert_int_equal(o->listen_addr_len, sizeof(*in6));
		assert_non_null(inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)));
		assert_int_equal(ntohs(in6->sin6_port), port);
	}
	assert_string_equal(text, addr);
}

static void options_parse__listen_default__loopback_9188(void **state)
{
	struct options o;
	const char *err;

	assert_int_equal(parse_listen(&o, NULL, &err), 0);
	assert_string_equal(o.listen, "127.0.0.1:9188");
	assert_addr(&o, AF_INET, "127.0.0.1", 9188);
	assert_string_equal(err, "");
}

static void options_parse__listen_forms__socket_address(void **state)
{
	static const struct {
		const char *spec, *addr;
		int family, port;
	} cases[] = {
		{ "127.0.0.1:0", "127.0.0.1", AF_INET, 0 },
		{ "0.0.0.0:9188", "0.0.0.0", AF_INET, 9188 },
		{ ":9188", "0.0.0.0", AF_INET, 9188 }, /* every IPv4 address */
		{ "10.1.2.3:65535", "10.1.2.3", AF_INET, 65535 },
		{ "[::1]:9188", "::1", AF_INET6, 9188 },
		{ "[::]:80", "::", AF_INET6, 80 },
		{ "[fd00::1:2]:1", "fd00::1:2", AF_INET6, 1 },
	};
	struct options o;
	const char *err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_listen(&o, cases[i].spec, &err), 0);
		assert_string_equal(err, "");
		assert_string_equal(o.listen, cases[i].spec);
		assert_addr(&o, cases[i].family, cases[i].addr, cases[i].port);
	}
}

static void options_parse__listen_none__no_server(void **state)
{
	struct options o;
	const char *err;

	assert_int_equal(parse_listen(&o, "none", &err), 0);
	assert_string_equal(o.listen, "");
	assert_int_equal(o.listen_addr_len, 0);
}

#define WANT_FORM "want ADDR:PORT, [IPV6]:PORT, :PORT or none"
#define WANT_PORT "want a port from 0 to 65535"
#define WANT_V4	  "want a numeric IPv4 address, or [IPv6]; host names are not looked up"
#define WANT_V6	  "want a numeric IPv6 address inside [ ]"

/* 127.0.0.1:99999 listened on port 34463 (99999 mod 65536); :abc printed two wrong lines. */
static void options_parse__bad_listen__einval_one_line(void **state)
{
	static const struct {
		const char *spec, *why;
	} cases[] = {
		{ "127.0.0.1:99999", WANT_PORT },
		{ "127.0.0.1:65536", WANT_PORT },
		{ "127.0.0.1:abc", WANT_PORT },
		{ "127.0.0.1:", WANT_PORT },
		{ "127.0.0.1:-1", WANT_PORT },
		{ "127.0.0.1:+80", WANT_PORT },
		{ "127.0.0.1: 80", WANT_PORT },
		{ "127.0.0.1:0x50", WANT_PORT },
		{ "[::1]:http", WANT_PORT },
		{ "127.0.0.1", WANT_FORM },
		{ "nonsense", WANT_FORM },
		{ "", WANT_FORM },
		{ "[::1", WANT_FORM },
		{ "[::1]9188", WANT_FORM },
		{ "::1:9188", WANT_FORM }, /* IPv6 needs its brackets */
		{ "1.2.3.4.5:80", WANT_V4 },
		{ "localhost:9188", WANT_V4 },
		{ "example.com:80", WANT_V4 },
		{ "[127.0.0.1]:80", WANT_V6 },
		{ "[localhost]:80", WANT_V6 },
		{ "[]:80", WANT_V6 },
	};
	char want[256];
	struct options o;
	const char *err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_listen(&o, cases[i].spec, &err), -EINVAL);
		snprintf(want, sizeof(want), "wattlet: invalid value '%s' for --listen: %s\n",
			 cases[i].spec, cases[i].why);
		assert_string_equal(err, want);
	}
}

/* Numeric or refused: no spec, good or bad, makes a lookup that could reach DNS. */
static void options_parse__listen__only_numeric_lookups(void **state)
{
	const char *specs[] = { "127.0.0.1:9188", "[::1]:9188",	    ":80",
				"localhost:9188", "example.com:80", "[localhost]:80" };
	struct options o;
	const char *err;

	lookups = lookups_not_numeric = 0;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		parse_listen(&o, specs[i], &err);
	assert_int_equal(lookups, 12); /* per parse: the default's, then the spec's */
	assert_int_equal(lookups_not_numeric, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_parse__listen_default__loopback_9188),
		cmocka_unit_test(options_parse__listen_forms__socket_address),
		cmocka_unit_test(options_parse__listen_none__no_server),
		cmocka_unit_test(options_parse__bad_listen__einval_one_line),
		cmocka_unit_test(options_parse__listen__only_numeric_lookups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
