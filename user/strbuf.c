// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A growing string: doubling capacity, one error kept, NUL-terminated. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "strbuf.h"

#define STRBUF_MIN_CAP 4096

void strbuf__reserve(struct strbuf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : STRBUF_MIN_CAP;
	char *p;

	if (b->err || b->len + need + 1 <= b->cap)
		return;
	while (cap < b->len + need + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return;
	}
	b->p = p;
	b->cap = cap;
}

void strbuf__add(struct strbuf *b, const char *s, size_t n)
{
	strbuf__reserve(b, n);
	if (b->err)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void strbuf__puts(struct strbuf *b, const char *s)
{
	strbuf__add(b, s, strlen(s));
}

void strbuf__printf(struct strbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = b->err ?: -EINVAL;
		return;
	}
	if ((size_t)n < sizeof(tmp)) {
		strbuf__add(b, tmp, n);
		return;
	}
	strbuf__reserve(b, n);
	if (b->err)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

char *strbuf__take(struct strbuf *b, size_t *len)
{
	char *p = b->err ? NULL : b->p;

	if (!p)
		strbuf__free(b);
	if (len)
		*len = p ? b->len : 0;
	*b = (struct strbuf){ 0 };
	return p;
}

void strbuf__free(struct strbuf *b)
{
	free(b->p);
	*b = (struct strbuf){ 0 };
}
