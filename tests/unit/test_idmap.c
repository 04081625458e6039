// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* idmap against a plain array model, through growth and deletions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "idmap.h"

#define N 5000

static void idmap__random_ops__match_model(void **state)
{
	static void *model[N];
	struct idmap m = { 0 };
	size_t pos = 0, seen = 0, live = 0;
	__u64 key;
	void *val;

	srand(7);
	for (int i = 0; i < 200000; i++) {
		__u64 k = rand() % N;
		void *v = (void *)(uintptr_t)(rand() | 1);

		if (rand() % 3) {
			assert_int_equal(idmap__put(&m, k * 0x10001, v), 0);
			model[k] = v;
		} else {
			assert_ptr_equal(idmap__del(&m, k * 0x10001), model[k]);
			model[k] = NULL;
		}
	}
	for (int k = 0; k < N; k++) {
		assert_ptr_equal(idmap__get(&m, (__u64)k * 0x10001), model[k]);
		live += model[k] != NULL;
	}
	while (idmap__next(&m, &pos, &key, &val))
		seen++;
	assert_int_equal(seen, live);
	assert_int_equal(m.len, live);
	idmap__free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idmap__random_ops__match_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
