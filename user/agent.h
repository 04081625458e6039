/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's interval loop. Data flows one way:
 * BPF maps -> collector -> attribution -> workloads -> document -> outputs.
 */
#ifndef __WATTLET_AGENT_H
#define __WATTLET_AGENT_H

#include <signal.h>
#include "options.h"

#define AGENT_DURATION_BUCKETS 11

struct collection_stats {
	unsigned long long count;
	double sum_s;
	unsigned long long buckets[AGENT_DURATION_BUCKETS]; /* cumulative, last is +Inf */
	double last_timestamp;
};

/* Run until *stop or --duration. Returns 0, or -errno after one clear message. */
int agent__run(const struct options *o, volatile sig_atomic_t *stop);

#endif /* __WATTLET_AGENT_H */
