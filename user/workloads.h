/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Aggregation of cgroups into Kubernetes workloads: container -> pod ->
 * namespace, and system workloads (cgroups outside pods) by their top-level
 * cgroup. Each interval's cgroup deltas are added up the levels, so an upper
 * level equals the sum of what is below it and totals outlive the cgroups.
 *
 * A pod's figures are those of every cgroup below its pod cgroup: its named
 * containers, and its own cgroups that are no named container (the pod
 * cgroup itself, the sandbox/pause container, runtime helpers such as
 * conmon). Only containers the kubelet names are listed as containers.
 */
#ifndef __WATTLET_WORKLOADS_H
#define __WATTLET_WORKLOADS_H

#include <jansson.h>
#include <linux/types.h>
#include "accounts.h"
#include "options.h"
#include "report.h"

/* Terminated entries kept past these counts go oldest first, before --retain. */
#define WL_MAX_TERMINATED_PODS		1024
#define WL_MAX_TERMINATED_CONTAINERS	16	/* per pod */
#define WL_MAX_TERMINATED_SYSTEM	256

struct workloads;

struct workloads_stats {
	size_t pods, containers, namespaces, system, cgroups;
	unsigned long name_scans;	/* rescans of the name sources */
};

int workloads__new(struct workloads **out, const struct options *o);
/*
 * Once per interval, after energy attribution. Adds every cgroup account's
 * delta to its container / pod / namespace / system workload. A pod or
 * container whose cgroups are all gone is terminated, kept for --retain
 * seconds, then removed. now: monotonic seconds.
 */
int workloads__update(struct workloads *w, const struct accounts *acc, double now);
/* Add the "pods", "namespaces" and "system" arrays (docs/json.md) to doc. */
void workloads__to_json(const struct workloads *w, json_t *doc, const struct report_ctx *ctx);
/* A process's namespace, pod and container names by its cgroup; NULL where unknown. */
void workloads__label(const struct workloads *w, __u64 cgroup_id, const char **ns,
		      const char **pod, const char **container);
void workloads__stats(const struct workloads *w, struct workloads_stats *st);
void workloads__free(struct workloads *w);

#endif /* __WATTLET_WORKLOADS_H */
