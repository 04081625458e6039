/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a function under test prints on stderr, captured through a temporary file. */
#ifndef __WATTLET_TESTS_CAPTURE_H
#define __WATTLET_TESTS_CAPTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

struct captured {
	int saved_fd;
	FILE *tmp;
	char text[8192];
};

static inline void capture__begin(struct captured *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	assert_non_null(c->tmp);
	c->saved_fd = dup(STDERR_FILENO);
	dup2(fileno(c->tmp), STDERR_FILENO);
}

static inline const char *capture__end(struct captured *c)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	rewind(c->tmp);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->tmp);
	c->text[n] = '\0';
	fclose(c->tmp);
	return c->text;
}

static inline int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#endif /* __WATTLET_TESTS_CAPTURE_H */
