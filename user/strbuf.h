/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A growing string for bodies built piece by piece (/metrics, API replies).
 * An allocation failure is kept in err and every later append does nothing,
 * so a builder checks once, at the end.
 */
#ifndef __WATTLET_STRBUF_H
#define __WATTLET_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *p; /* NUL-terminated once anything was added */
	size_t len, cap;
	int err; /* 0, or -ENOMEM / -EINVAL from the first failed append */
};

/* Make room for need more bytes (and the NUL). */
void strbuf__reserve(struct strbuf *b, size_t need);
void strbuf__add(struct strbuf *b, const char *s, size_t n);
void strbuf__puts(struct strbuf *b, const char *s);
void strbuf__printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The string (malloc'd, the caller frees it) and its length; NULL after an error. */
char *strbuf__take(struct strbuf *b, size_t *len);
void strbuf__free(struct strbuf *b);

#endif /* __WATTLET_STRBUF_H */
