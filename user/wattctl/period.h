/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The time span of a report: --since DURATION, or --from TIME [--to TIME],
 * as whole unix seconds.
 */
#ifndef __WATTCTL_PERIOD_H
#define __WATTCTL_PERIOD_H

#include <stdbool.h>
#include <stddef.h>

/* What the command line said; a NULL string was not given. */
struct period_args {
	const char *since;
	const char *from;
	const char *to;
};

struct period {
	long long from;
	long long to;
};

/* "30d", "12h", "90m", "1w", "1d12h": seconds > 0. Units s, m, h, d, w (7d), y (365d). */
bool period__parse_duration(const char *s, long long *seconds);

/*
 * "2026-11-01" (midnight UTC), "2026-11-01T08:30[:15]" with "Z" or an offset
 * ("+01:00") or neither (UTC), unix seconds ("1795000000"), or "now".
 */
bool period__parse_time(const char *s, long long now, long long *t);

/*
 * The span the arguments name, now being the current time: --since D ends
 * at --to (default now); --from T ends at --to (default now). With neither
 * --since nor --from, the last default_s seconds. 0, or -EINVAL with one
 * line for the user in err.
 */
int period__resolve(const struct period_args *a, long long now, long long default_s,
		    struct period *p, char *err, size_t errlen);

/* "30d", "36h", "90m" or "45s": the shortest exact spelling, for PromQL ranges and people. */
const char *period__duration_str(long long seconds, char *buf, size_t len);

/* "2026-11-01T08:00:00Z". */
const char *period__iso(long long t, char *buf, size_t len);

#endif /* __WATTCTL_PERIOD_H */
