// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Accept and Accept-Encoding: comma lists of tokens with optional "; q=" weights. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http_accept.h"

#define OPENMETRICS "application/openmetrics-text"
#define TEXT	    "text/plain"

/* The q value of an element's parameters ("; q=0.5"), 1 when absent. */
static double params_q(const char *params, const char *end)
{
	const char *q;

	for (q = params; q && q < end; q = memchr(q, ';', end - q)) {
		q++;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (end - q > 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=')
			return strtod(q + 2, NULL);
	}
	return 1;
}

static bool token_ends(const char *s, size_t tl, const char *end)
{
	return s + tl == end || s[tl] == ';' || s[tl] == ',' || s[tl] == ' ' || s[tl] == '\0';
}

double accept__q(const char *header, const char *token)
{
	size_t tl = strlen(token);
	const char *s = header, *end;

	while (s && *s) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		if ((size_t)(end - s) >= tl && !strncasecmp(s, token, tl) && token_ends(s, tl, end))
			return params_q(s + tl, end);
		s = end;
	}
	return -1;
}

bool accept__openmetrics(const char *accept)
{
	double om;

	if (!accept)
		return false;
	om = accept__q(accept, OPENMETRICS);
	return om > 0 && om >= accept__q(accept, TEXT);
}

bool accept__gzip(const char *accept_encoding)
{
	double q;

	if (!accept_encoding)
		return false;
	q = accept__q(accept_encoding, "gzip");
	if (q < 0)
		q = accept__q(accept_encoding, "*");
	return q > 0;
}
