/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading the report document (report_json.c) back, for the outputs drawn from it. */
#ifndef __WATTCTL_REPORT_DOC_H
#define __WATTCTL_REPORT_DOC_H

#include <stddef.h>
#include <jansson.h>

/* A number field, NAN when absent. */
double report__num(json_t *o, const char *key);
/* A string field, "" when absent. */
const char *report__str(json_t *o, const char *key);
/* "measured", "modelled", "none" or "mixed (62% measured)" for a figures object. */
const char *report__basis_label(json_t *figs, char *buf, size_t len);
/*
 * The one unit of every carbon figure of a report, so that rows and charts
 * compare at a glance: gCO2e, kgCO2e or tCO2e by the groups' total. *div
 * gets the grams in one unit.
 */
const char *report__carbon_unit(json_t *doc, double *div);
/* The method as sentences, from the document's source, nodes and periods. */
json_t *report__method(json_t *doc);

#endif /* __WATTCTL_REPORT_DOC_H */
