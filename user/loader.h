/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Loads and attaches the BPF programs: open -> configure -> load -> attach. */
#ifndef __WATTLET_LOADER_H
#define __WATTLET_LOADER_H

#include <stdbool.h>
#include "counters.h"
#include "options.h"
#include "wattlet.h"

struct wattlet_bpf;

struct loader {
	struct wattlet_bpf *skel;
	bool raw_tp;	   /* the raw tracepoint twins are attached */
	bool task_storage; /* per-thread state in task storage, else in thread_hash */
	bool kcpustat;	   /* CPU times read by BPF from kcpustat, else /proc/stat */
	int nr_cpus;
	int nr_counters; /* counters that opened, in slots 0..nr_counters-1 */
	const struct counter_def *counters[WL_MAX_COUNTERS]; /* by slot */
	int *counter_fds; /* nr_counters * nr_cpus perf event fds */
	__u32 max_processes;
	__u32 max_cgroups;
};

/* Set up libbpf logging; verbose shows debug lines and the verifier log. */
void loader__set_verbose(bool verbose);
/* Check privileges and BTF, then load and attach. One clear message on failure. */
int loader__open(struct loader **out, const struct options *o);
/* The slot of the opened counter named name (its index in wl_usage.counters), or -1. */
int loader__counter_slot(const struct loader *l, const char *name);
/* Run the task iterator once: fold every task's gain into the maps. */
int loader__iterate(struct loader *l);
void loader__destroy(struct loader *l);

#endif /* __WATTLET_LOADER_H */
