/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Numbers for people: mW/W/kW, J/kJ/kWh, mg/g/kg/t (CO2e), CPU cores. */
#ifndef __WATTCTL_UNITS_H
#define __WATTCTL_UNITS_H

#include <stddef.h>

#define UNITS_LEN 32

/* Each writes a short string ("12.3W", "450mW", "4.56kJ", "1.20kWh", "0.250") into buf. */
const char *units__watts(char *buf, size_t len, double watts);
const char *units__joules(char *buf, size_t len, double joules);
const char *units__grams(char *buf, size_t len, double grams);
const char *units__cores(char *buf, size_t len, double cores);
const char *units__count(char *buf, size_t len, double n);
/* Three significant figures in plain notation, thousands grouped: "0.00123", "45.6", "12,346". */
const char *units__sig(char *buf, size_t len, double v);

#endif /* __WATTCTL_UNITS_H */
