// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Content negotiation: the Accept and Accept-Encoding headers real clients send. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "http_accept.h"

static void accept__openmetrics__accept_headers__choice(void **state)
{
	assert_false(accept__openmetrics(NULL));
	assert_false(accept__openmetrics("*/*"));
	assert_false(accept__openmetrics("text/plain;version=0.0.4"));
	/* What Prometheus 2.x sends. */
	assert_true(accept__openmetrics(
		"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
	assert_false(accept__openmetrics("application/openmetrics-text; q=0"));
	assert_false(accept__openmetrics("text/plain, application/openmetrics-text;q=0.5"));
	assert_false(accept__openmetrics("application/openmetrics-textX"));
}

static void accept__gzip__encodings__decision(void **state)
{
	assert_false(accept__gzip(NULL));
	assert_false(accept__gzip(""));
	assert_true(accept__gzip("gzip"));
	assert_true(accept__gzip("deflate, gzip;q=0.5"));
	assert_false(accept__gzip("gzip;q=0"));
	assert_false(accept__gzip("gzipx"));
	assert_true(accept__gzip("*"));
	assert_false(accept__gzip("identity"));
}

static void accept__q__weights__parsed(void **state)
{
	assert_true(accept__q("gzip;q=0.25, br", "gzip") == 0.25);
	assert_true(accept__q("gzip;q=0.25, br", "br") == 1);
	assert_true(accept__q("GZIP ; Q=0.5", "gzip") == 0.5);
	assert_true(accept__q("deflate", "gzip") == -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accept__openmetrics__accept_headers__choice),
		cmocka_unit_test(accept__gzip__encodings__decision),
		cmocka_unit_test(accept__q__weights__parsed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
