// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fuzz-sources: user/intensity.c
/*
 * intensity__parse on arbitrary file contents (a ConfigMap written from a
 * remote API): no crash, and an accepted value is in range, its timestamp
 * finite, its source a terminated string; a rejection says why.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "intensity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intensity_value v;
	char why[256] = "";

	if (intensity__parse((const char *)data, size, &v, why, sizeof(why))) {
		if (!why[0])
			abort();
		return 0;
	}
	if (!(v.grams_per_kwh >= 0 && v.grams_per_kwh <= INTENSITY_MAX_GRAMS_PER_KWH))
		abort();
	if (v.has_timestamp && !isfinite(v.timestamp))
		abort();
	if (strnlen(v.source, sizeof(v.source)) == sizeof(v.source))
		abort();
	return 0;
}
