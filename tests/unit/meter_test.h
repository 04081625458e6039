/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the meter tests: options from a command line, stderr capture, zone lookup. */
#ifndef __WATTLET_TESTS_METER_TEST_H
#define __WATTLET_TESTS_METER_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fake_sysfs.h"
#include "meter.h"
#include "options.h"

#define J_EPS 1e-9

/* Parse a NULL-terminated list of flags after the program name. */
static inline void opts_from(struct options *o, ...)
{
	char *argv[32] = { "wattlet" };
	int argc = 1;
	va_list ap;

	va_start(ap, o);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	assert_int_equal(options__parse(o, argc, argv), 0);
}

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

static inline const struct meter_zone *zone_named(const struct meter_reading *r,
						  const char *name)
{
	for (int i = 0; i < r->nr_zones; i++)
		if (!strcmp(r->zones[i].name, name))
			return &r->zones[i];
	return NULL;
}

static inline struct meter_input input_of(double interval_s)
{
	return (struct meter_input){ .interval_s = interval_s, .utilisation = 0.5,
				     .nr_cpus = 2, .mem_gib = 4 };
}

#endif /* __WATTLET_TESTS_METER_TEST_H */
