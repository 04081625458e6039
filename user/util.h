/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Small helpers every part of wattlet shares: array length and the clocks. */
#ifndef __WATTLET_UTIL_H
#define __WATTLET_UTIL_H

#include <time.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static inline double timespec_s(const struct timespec *ts)
{
	return ts->tv_sec + ts->tv_nsec / 1e9;
}

/* Seconds on CLOCK_MONOTONIC: intervals, deadlines, ages. */
static inline double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_s(&ts);
}

/* Unix seconds (CLOCK_REALTIME): timestamps in the document. */
static inline double wall_clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return timespec_s(&ts);
}

/* The timespec of s seconds (s >= 0), for sleeps and absolute deadlines. */
static inline struct timespec timespec_of(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	return ts;
}

#endif /* __WATTLET_UTIL_H */
