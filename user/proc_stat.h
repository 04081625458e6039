/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-CPU times from /proc/stat: the source of node and per-CPU CPU time
 * where the BPF programs cannot reach kcpustat (kernel BTF without per-CPU
 * offsets, as on Debian's 5.10). /proc/stat prints the same kcpustat, in
 * USER_HZ ticks.
 */
#ifndef __WATTLET_PROC_STAT_H
#define __WATTLET_PROC_STAT_H

#include <stdio.h>
#include <linux/types.h>
#include "wattlet.h"

/*
 * Fill cpus[N] from each "cpuN" line of f, ticks converted with tick_ns.
 * CPUs not listed (offline) are left as they were. Returns the number of
 * CPUs read, or -EINVAL for a line it cannot read.
 */
int proc_stat__parse(FILE *f, __u64 tick_ns, struct wl_cpu_times *cpus, int nr_cpus);
/* The same from /proc/stat itself. */
int proc_stat__read(struct wl_cpu_times *cpus, int nr_cpus);

#endif /* __WATTLET_PROC_STAT_H */
