// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The HTTP server over loopback: listen errors, readiness, routing, and fresh bodies after a publish. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "server.h"
#include "snapshot.h"
#include "util.h"

static struct options opts(const char *listen)
{
	char *argv[] = { "test", "--listen", (char *)listen, NULL };
	struct options o;

	assert_int_equal(options__parse(&o, 3, argv), 0);
	return o;
}

/* GET (or another method) over a fresh connection; returns the status, *body the malloc'd reply. */
static int http(int port, const char *method, const char *path, char **reply)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	size_t len = 0, cap = 1 << 16;
	char req[512], *buf = malloc(cap);
	int fd, status = -1;
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", method,
		 path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	close(fd);
	sscanf(buf, "HTTP/1.%*d %d", &status);
	if (reply)
		*reply = buf;
	else
		free(buf);
	return status;
}

static json_t *doc_gen(int gen)
{
	return json_pack("{s:f, s:f, s:{s:s, s:f, s:f}, s:{s:s}, s:[{s:s, s:s, s:s, s:f, s:[]}]}",
			 "timestamp", 1.0 * gen, "interval_seconds", 1.0, "node", "name", "t",
			 "cpu_busy_seconds_total", 1.0 * gen, "cpu_idle_seconds_total", 2.0,
			 "agent", "version", "v", "pods", "namespace", "ns", "name", "p", "state",
			 "running", "cpu_seconds_total", 1.0 * gen, "containers");
}

static double busy_of(const char *reply)
{
	const char *k = "wattlet_node_cpu_seconds_total{node=\"t\",mode=\"busy\"} ";
	const char *p = strstr(reply, k);

	return p ? strtod(p + strlen(k), NULL) : -1;
}

/* Bad specs never get here (test_options); an address this host does not have does. */
static void server__start__address_not_here__eaddrnotavail(void **state)
{
	struct options o = opts("192.0.2.1:0"); /* TEST-NET-1 */
	struct server *s = (struct server *)&o;

	assert_int_equal(server__start(&s, &o), -EADDRNOTAVAIL);
	assert_null(s);
}

static void server__start__no_address__edestaddrreq(void **state)
{
	struct options o = opts("none");
	struct server *s = (struct server *)&o;

	assert_int_equal(server__start(&s, &o), -EDESTADDRREQ);
	assert_null(s);
}

static void server__start__port_in_use__eaddrinuse(void **state)
{
	struct options o = opts("127.0.0.1:0");
	struct server *a, *b;
	char spec[64];

	assert_int_equal(server__start(&a, &o), 0);
	assert_true(server__port(a) > 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", server__port(a));
	o = opts(spec);
	assert_int_equal(server__start(&b, &o), -EADDRINUSE);
	assert_null(b);
	server__stop(a);
	server__stop(NULL);
}

static void server__readyz__needs_snapshot_and_ready(void **state)
{
	struct options o = opts("127.0.0.1:0");
	struct server *s;
	int port;

	snapshot__clear();
	assert_int_equal(server__start(&s, &o), 0);
	port = server__port(s);
	assert_int_equal(http(port, "GET", "/healthz", NULL), 200);
	assert_int_equal(http(port, "GET", "/readyz", NULL), 503);
	assert_int_equal(http(port, "GET", "/metrics", NULL), 503);
	assert_int_equal(http(port, "GET", "/api/v1/pods", NULL), 503);
	server__set_ready(s, true);
	assert_int_equal(http(port, "GET", "/readyz", NULL), 503);
	snapshot__publish(doc_gen(1));
	assert_int_equal(http(port, "GET", "/readyz", NULL), 200);
	server__set_ready(s, false);
	assert_int_equal(http(port, "GET", "/readyz", NULL), 503);
	server__stop(s);
	snapshot__clear();
}

static void server__routes__status_and_content(void **state)
{
	struct options o = opts("127.0.0.1:0");
	struct server *s;
	char *reply;
	int port;

	snapshot__publish(doc_gen(1));
	assert_int_equal(server__start(&s, &o), 0);
	port = server__port(s);
	assert_int_equal(http(port, "GET", "/", &reply), 200);
	assert_non_null(strstr(reply, "/api/v1/processes"));
	free(reply);
	assert_int_equal(http(port, "GET", "/nope", &reply), 404);
	assert_non_null(strstr(reply, "application/json"));
	assert_non_null(strstr(reply, "{\"error\":"));
	free(reply);
	assert_int_equal(http(port, "DELETE", "/metrics", &reply), 405);
	assert_non_null(strstr(reply, "Allow: GET"));
	free(reply);
	assert_int_equal(http(port, "GET", "/api/v1/pods/ns/p", &reply), 200);
	assert_non_null(strstr(reply, "\"name\":\"p\""));
	free(reply);
	assert_int_equal(http(port, "GET", "/api/v1/processes?limit=abc", &reply), 400);
	assert_non_null(strstr(reply, "'limit'"));
	free(reply);
	server__stop(s);
	snapshot__clear();
}

static void server__start__ipv6_loopback__serves(void **state)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct options o = opts("[::1]:0");
	const char *req = "GET /healthz HTTP/1.0\r\n\r\n";
	struct server *s;
	char buf[256] = "";
	int fd, err;

	err = server__start(&s, &o);
	if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT)
		skip(); /* no IPv6 on this machine */
	assert_int_equal(err, 0);
	sa.sin6_port = htons(server__port(s));
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	assert_non_null(strstr(buf, " 200 "));
	close(fd);
	server__stop(s);
}

/* After each publish, /metrics shows the new document within 0.5 s and never goes back. */
static void server__metrics__follows_publishes_monotonic(void **state)
{
	struct options o = opts("127.0.0.1:0");
	struct server *s;
	double v, last = 0, t;
	char *reply;
	int gen, port;

	snapshot__publish(doc_gen(1));
	assert_int_equal(server__start(&s, &o), 0);
	port = server__port(s);
	for (gen = 1; gen <= 20; gen++) {
		snapshot__publish(doc_gen(gen));
		for (t = monotonic_s(), v = -1; v != gen && monotonic_s() - t < 0.5;) {
			assert_int_equal(http(port, "GET", "/metrics", &reply), 200);
			v = busy_of(reply);
			free(reply);
			if (v < last)
				fail_msg("went back from %g to %g", last, v);
			last = v;
		}
		if (v != gen)
			fail_msg("generation %d not served after 0.5 s (got %g)", gen, v);
	}
	server__stop(s);
	snapshot__clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(server__start__address_not_here__eaddrnotavail),
		cmocka_unit_test(server__start__no_address__edestaddrreq),
		cmocka_unit_test(server__start__port_in_use__eaddrinuse),
		cmocka_unit_test(server__start__ipv6_loopback__serves),
		cmocka_unit_test(server__readyz__needs_snapshot_and_ready),
		cmocka_unit_test(server__routes__status_and_content),
		cmocka_unit_test(server__metrics__follows_publishes_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
