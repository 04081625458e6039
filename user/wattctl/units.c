// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Humanised units: three significant figures, the largest unit that keeps the value >= 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "units.h"

#define JOULES_PER_KWH 3.6e6

/* v with three significant figures (at most two decimals), then the unit. */
static const char *units_fmt(char *buf, size_t len, double v, const char *unit)
{
	double a = fabs(v);

	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (a == 0)
		snprintf(buf, len, "0%s", unit);
	else if (a < 9.995)
		snprintf(buf, len, "%.2f%s", v, unit);
	else if (a < 99.95)
		snprintf(buf, len, "%.1f%s", v, unit);
	else
		snprintf(buf, len, "%.0f%s", v, unit);
	return buf;
}

const char *units__watts(char *buf, size_t len, double watts)
{
	double a = fabs(watts);

	if (a == 0)
		return units_fmt(buf, len, 0, "W");
	if (a < 0.9995)
		return units_fmt(buf, len, watts * 1e3, "mW");
	if (a < 999.5)
		return units_fmt(buf, len, watts, "W");
	return units_fmt(buf, len, watts / 1e3, "kW");
}

const char *units__joules(char *buf, size_t len, double joules)
{
	double a = fabs(joules);

	if (a < 999.5)
		return units_fmt(buf, len, joules, "J");
	if (a < JOULES_PER_KWH)
		return units_fmt(buf, len, joules / 1e3, "kJ");
	return units_fmt(buf, len, joules / JOULES_PER_KWH, "kWh");
}

const char *units__grams(char *buf, size_t len, double grams)
{
	double a = fabs(grams);

	if (a != 0 && a < 0.9995)
		return units_fmt(buf, len, grams * 1e3, "mg");
	if (a < 999.5)
		return units_fmt(buf, len, grams, "g");
	if (a < 999.5e3)
		return units_fmt(buf, len, grams / 1e3, "kg");
	return units_fmt(buf, len, grams / 1e6, "t");
}

/* Cores keep three decimals below one core: a millicore is the least kubectl shows. */
const char *units__cores(char *buf, size_t len, double cores)
{
	if (!isfinite(cores))
		snprintf(buf, len, "-");
	else if (fabs(cores) < 0.9995)
		snprintf(buf, len, "%.3f", cores);
	else
		snprintf(buf, len, "%.2f", cores);
	return buf;
}

const char *units__count(char *buf, size_t len, double n)
{
	if (!isfinite(n))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f", n);
	return buf;
}

/* Digits of a whole number with a comma every three, into buf. */
static const char *units_group(char *buf, size_t len, double v)
{
	char digits[64];
	size_t n, i, o = 0;

	snprintf(digits, sizeof(digits), "%.0f", fabs(v));
	n = strlen(digits);
	if (v < 0 && o + 1 < len)
		buf[o++] = '-';
	for (i = 0; i < n && o + 2 < len; i++) {
		buf[o++] = digits[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

const char *units__sig(char *buf, size_t len, double v)
{
	char e[32];
	int exp10;

	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (v == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	/* The exponent after rounding to three figures: 9.996 is 1.00e+01. */
	snprintf(e, sizeof(e), "%.2e", v);
	exp10 = atoi(strchr(e, 'e') + 1);
	if (exp10 >= 3)
		return units_group(buf, len, v);
	snprintf(buf, len, "%.*f", exp10 >= 2 ? 0 : 2 - exp10 > 12 ? 12 : 2 - exp10, v);
	return buf;
}
