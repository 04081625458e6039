/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The perf counters wattlet can read at context switch: one table for the
 * option parser, the help text and the loader. A counter's slot is its
 * position among the counters that opened (struct loader), which is the
 * index of its values in wl_usage.counters[] and in the accounts, not its
 * position on the command line.
 */
#ifndef __WATTLET_COUNTERS_H
#define __WATTLET_COUNTERS_H

#include <stddef.h>
#include <linux/types.h>

struct counter_def {
	const char *name; /* as given to --counters */
	__u32 type;	  /* perf_event_attr.type */
	__u64 config;	  /* perf_event_attr.config */
};

/* The table entry of name, or NULL if wattlet does not know that counter. */
const struct counter_def *counter__find(const char *name);
/* Every known name, comma-separated, for help text. */
const char *counter__names(void);

#endif /* __WATTLET_COUNTERS_H */
