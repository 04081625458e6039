// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A low percentile of the power seen lately, as idle power. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "idle_learner.h"

void idle_learner__observe(struct idle_learner *l, double watts)
{
	l->watts[l->next] = watts;
	l->next = (l->next + 1) % IDLE_LEARN_WINDOW;
	if (l->nr < IDLE_LEARN_WINDOW)
		l->nr++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double idle_learner__watts(const struct idle_learner *l)
{
	double sorted[IDLE_LEARN_WINDOW];
	int rank;

	if (!l->nr)
		return 0;
	memcpy(sorted, l->watts, l->nr * sizeof(sorted[0]));
	qsort(sorted, l->nr, sizeof(sorted[0]), cmp_double);
	rank = (int)ceil(IDLE_LEARN_PERCENTILE / 100.0 * l->nr) - 1;
	return sorted[rank < 0 ? 0 : rank];
}
