/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The report's charts as inline SVG: power over time (stacked areas), carbon per group (bars). */
#ifndef __WATTCTL_REPORT_SVG_H
#define __WATTCTL_REPORT_SVG_H

#include <stdio.h>
#include <jansson.h>

/* Groups past this many share one area ("other groups") in the power chart. */
#define SVG_MAX_AREAS 9
/* Groups past this many share one bar. */
#define SVG_MAX_BARS  20

/* The colour of the i-th group (in the report's order), the same in the table and both charts. */
const char *svg__color(size_t i, size_t n_groups);

/* Write text with &, <, >, " and ' escaped, for HTML text and attribute values. */
void svg__esc(FILE *f, const char *s);

/* The stacked areas of doc's "series" with axes and a legend. */
void svg__power(FILE *f, json_t *doc);
/* One bar per group: its carbon (operational and embodied), or its energy when no carbon. */
void svg__bars(FILE *f, json_t *doc);

#endif /* __WATTCTL_REPORT_SVG_H */
