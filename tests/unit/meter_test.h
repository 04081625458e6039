/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the meter tests: options from a command line, stderr capture, zone lookup. */
#ifndef __WATTLET_TESTS_METER_TEST_H
#define __WATTLET_TESTS_METER_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "capture.h"
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

static inline const struct meter_zone *zone_named(const struct meter_reading *r, const char *name)
{
	for (int i = 0; i < r->nr_zones; i++)
		if (!strcmp(r->zones[i].name, name))
			return &r->zones[i];
	return NULL;
}

static inline struct meter_input input_of(double interval_s)
{
	return (struct meter_input){
		.interval_s = interval_s, .utilisation = 0.5, .nr_cpus = 2, .mem_gib = 4
	};
}

/* A fake sysfs tree, the options and the meter under test. */
struct fixture {
	struct fake_sysfs fs;
	struct options o;
	struct meter *m;
	const char *name; /* the meter fixture__open expected */
};

static inline int fixture__setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(fake__open(&f->fs), 0);
	*state = f;
	return 0;
}

static inline int fixture__teardown(void **state)
{
	struct fixture *f = *state;

	meter__close(f->m);
	fake__close(&f->fs);
	free(f);
	return 0;
}

/* Open --meter meter on the fake tree; the one chosen must be expect. */
static inline void fixture__open(struct fixture *f, const char *meter, const char *expect)
{
	opts_from(&f->o, "--meter", meter, "--sysfs-root", f->fs.root, NULL);
	assert_int_equal(meter__open(&f->m, &f->o), 0);
	assert_string_equal(meter__name(f->m), expect);
	f->name = expect;
}

static inline void fixture__read_ok(struct fixture *f, double interval, struct meter_reading *r)
{
	struct meter_input in = input_of(interval);

	assert_non_null(f->name); /* set by fixture__open */
	assert_int_equal(meter__read(f->m, &in, r), 0);
	assert_true(r->valid);
	assert_string_equal(r->meter, f->name);
}

/* A reading rejected: nothing counted, one more error. */
static inline void fixture__read_rejected(struct fixture *f, double interval,
					  struct meter_reading *r)
{
	struct meter_input in = input_of(interval);
	unsigned long long errors = meter__errors(f->m);

	assert_int_equal(meter__read(f->m, &in, r), 0);
	assert_false(r->valid);
	assert_float_equal(r->joules, 0, 0);
	assert_int_equal(meter__errors(f->m), errors + 1);
}

#endif /* __WATTLET_TESTS_METER_TEST_H */
