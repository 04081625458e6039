// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Hardware counters need a PMU; the software ones (cpu-clock, task-clock) stand in without one. */
#include <linux/perf_event.h>
#include <string.h>
#include "counters.h"
#include "util.h"

static const struct counter_def defs[] = {
	{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
};

const struct counter_def *counter__find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
		if (!strcmp(name, defs[i].name))
			return &defs[i];
	return NULL;
}

const char *counter__names(void)
{
	static char names[128];

	if (!names[0]) {
		for (size_t i = 0; i < ARRAY_SIZE(defs); i++) {
			if (i)
				strcat(names, ",");
			strcat(names, defs[i].name);
		}
	}
	return names;
}
