/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the running kernel offers wattlet's BPF programs, found by probing it
 * (loading tiny programs, reading its BTF), never from its version number.
 */
#ifndef __WATTLET_PROBE_H
#define __WATTLET_PROBE_H

#include <stdbool.h>
#include <linux/types.h>

struct btf;

/* Does a tp_btf program attached to this tracepoint load? (libbpf-tools' probe_tp_btf) */
bool probe__tp_btf(const struct btf *vmlinux, const char *tracepoint);
/* Can tracing programs keep per-task state in task-local storage? */
bool probe__task_storage(const struct btf *vmlinux);
/*
 * Distance from a CPU's runqueue to its kernel_cpustat, both per-CPU
 * variables, from their offsets in BTF; 0 where BTF lacks those offsets or
 * a runqueue cannot be found from a task (then /proc/stat is the source).
 */
__s64 probe__kcpustat_from_rq(const struct btf *vmlinux);

#endif /* __WATTLET_PROBE_H */
