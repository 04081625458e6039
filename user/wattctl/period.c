// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Report periods: durations, times and the span they make together. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "period.h"

#define PERIOD_MAX_S (100LL * 365 * 86400) /* a century: past that it is a typo */

static long long unit_seconds(char u)
{
	switch (u) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 7 * 86400;
	case 'y':
		return 365 * 86400;
	default:
		return 0;
	}
}

bool period__parse_duration(const char *s, long long *seconds)
{
	long long total = 0;
	const char *p = s;

	if (!s || !*s)
		return false;
	while (*p) {
		long long n = 0, unit;

		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (*p++ - '0');
			if (n > PERIOD_MAX_S)
				return false;
		}
		unit = unit_seconds(*p);
		if (!unit)
			return false;
		p++;
		total += n * unit;
		if (total > PERIOD_MAX_S)
			return false;
	}
	if (total <= 0)
		return false;
	*seconds = total;
	return true;
}

/* Exactly n digits at *p, as a number; advances *p. -1 if not. */
static int digits(const char **p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

/* "Z", "+HH:MM", "-HHMM", or nothing (UTC): the offset east of UTC in seconds. */
static bool parse_zone(const char *p, long long *offset)
{
	int sign, hh, mm;

	*offset = 0;
	if (!*p || ((*p == 'Z' || *p == 'z') && !p[1]))
		return true;
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	hh = digits(&p, 2);
	if (*p == ':')
		p++;
	mm = digits(&p, 2);
	if (hh < 0 || mm < 0 || hh > 23 || mm > 59 || *p)
		return false;
	*offset = sign * (hh * 3600LL + mm * 60);
	return true;
}

/* The clock part after 'T' or ' ': HH:MM[:SS]; advances *p. */
static bool parse_clock(const char **p, struct tm *tm)
{
	tm->tm_hour = digits(p, 2);
	if (tm->tm_hour < 0 || **p != ':')
		return false;
	(*p)++;
	tm->tm_min = digits(p, 2);
	if (tm->tm_min < 0)
		return false;
	if (**p == ':') {
		(*p)++;
		tm->tm_sec = digits(p, 2);
		if (tm->tm_sec < 0)
			return false;
	}
	return tm->tm_hour < 24 && tm->tm_min < 60 && tm->tm_sec < 60;
}

static bool parse_date_time(const char *s, long long *t)
{
	struct tm tm = { 0 }, check;
	const char *p = s;
	long long offset;
	time_t secs;

	tm.tm_year = digits(&p, 4);
	if (tm.tm_year < 1970 || *p++ != '-')
		return false;
	tm.tm_mon = digits(&p, 2);
	if (tm.tm_mon < 1 || *p++ != '-')
		return false;
	tm.tm_mday = digits(&p, 2);
	if (tm.tm_mday < 1)
		return false;
	if ((*p == 'T' || *p == 't' || *p == ' ') && (p++, !parse_clock(&p, &tm)))
		return false;
	if (!parse_zone(p, &offset))
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	check = tm;
	secs = timegm(&tm);
	/* timegm normalises 2026-02-30 to March: a date that moved did not exist. */
	if (secs == (time_t)-1 || tm.tm_mday != check.tm_mday || tm.tm_mon != check.tm_mon)
		return false;
	*t = (long long)secs - offset;
	return true;
}

bool period__parse_time(const char *s, long long now, long long *t)
{
	char *end;
	long long v;

	if (!s || !*s)
		return false;
	if (!strcmp(s, "now")) {
		*t = now;
		return true;
	}
	if (strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || *end || v <= 0)
			return false;
		*t = v;
		return true;
	}
	return parse_date_time(s, t);
}

static int period_bad(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -EINVAL;
}

int period__resolve(const struct period_args *a, long long now, long long default_s,
		    struct period *p, char *err, size_t errlen)
{
	long long len = default_s;

	if (a->since && a->from)
		return period_bad(err, errlen, "%s", "--since and --from exclude each other");
	if (a->since && !period__parse_duration(a->since, &len))
		return period_bad(err, errlen,
				  "--since %s: want a duration such as 30d, 12h or 90m", a->since);
	p->to = now;
	if (a->to && !period__parse_time(a->to, now, &p->to))
		return period_bad(
			err, errlen,
			"--to %s: want a time such as 2026-11-30, 2026-11-30T18:00Z or unix seconds",
			a->to);
	if (a->from && !period__parse_time(a->from, now, &p->from))
		return period_bad(
			err, errlen,
			"--from %s: want a time such as 2026-11-01, 2026-11-01T08:00Z or unix seconds",
			a->from);
	if (!a->from)
		p->from = p->to - len;
	if (p->to > now)
		return period_bad(err, errlen, "--to %s: is in the future", a->to);
	if (p->from >= p->to)
		return period_bad(err, errlen, "%s", "--from must come before --to");
	return 0;
}

const char *period__duration_str(long long s, char *buf, size_t len)
{
	if (s % 86400 == 0)
		snprintf(buf, len, "%lldd", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, len, "%lldh", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, len, "%lldm", s / 60);
	else
		snprintf(buf, len, "%llds", s);
	return buf;
}

const char *period__iso(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", t);
	return buf;
}
