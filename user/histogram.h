/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A cumulative histogram in the Prometheus shape: counts per upper bound, then +Inf. */
#ifndef __WATTLET_HISTOGRAM_H
#define __WATTLET_HISTOGRAM_H

#define HISTOGRAM_MAX_BOUNDS 15

struct histogram {
	const double *bounds; /* upper bounds, ascending; +Inf follows the last */
	int nr_bounds;	      /* at most HISTOGRAM_MAX_BOUNDS */
	unsigned long long buckets[HISTOGRAM_MAX_BOUNDS + 1]; /* cumulative; the last is +Inf */
	unsigned long long count;
	double sum;
};

static inline void histogram__observe(struct histogram *h, double v)
{
	h->count++;
	h->sum += v;
	for (int i = 0; i <= h->nr_bounds; i++)
		if (i == h->nr_bounds || v <= h->bounds[i])
			h->buckets[i]++;
}

#endif /* __WATTLET_HISTOGRAM_H */
