/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The name stage: cgroups aggregated into Kubernetes workloads, container
 * -> pod -> namespace, and system workloads (cgroups outside pods) by their
 * top-level cgroup. Each interval's cgroup figures (CPU from the collection,
 * energy from attribution) are added up the levels, so an upper level
 * equals the sum of what is below it and totals outlive the cgroups.
 *
 * A pod's figures are those of every cgroup below its pod cgroup: its named
 * containers, and its own cgroups that are no named container (the pod
 * cgroup itself, the sandbox/pause container, runtime helpers such as
 * conmon). Only containers the kubelet names are listed as containers.
 *
 * The workloads below are plain structs for the document stage to read.
 */
#ifndef __WATTLET_WORKLOADS_H
#define __WATTLET_WORKLOADS_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>
#include "attribution.h"
#include "collector.h"
#include "figures.h"
#include "idmap.h"
#include "k8s_names.h"
#include "k8s_path.h"
#include "options.h"

/* Terminated entries kept past these counts go oldest first, before --retain. */
#define WL_MAX_TERMINATED_PODS	     1024
#define WL_MAX_TERMINATED_CONTAINERS 16 /* per pod */
#define WL_MAX_TERMINATED_SYSTEM     256

/* What every workload below namespace level starts with: list link, figures, liveness. */
struct workload {
	struct workload *next;
	struct tally tally;
	int nr_cgroups; /* live cgroups linked to it; 0: terminated */
	double gone_at; /* when nr_cgroups last fell to 0 */
};

struct naming {
	unsigned long seen_scans; /* name scans when it showed up */
	bool done;		  /* named, or given up */
};

struct container {
	struct workload base;
	struct naming naming;
	char id[K8S_ID_LEN + 1];
	char name[K8S_CTR_MAX + 1]; /* "": not named, not listed */
};

struct namespace
{
	struct namespace *next;
	struct tally tally;
	size_t nr_pods;
	char name[K8S_NS_MAX + 1];
};

struct pod {
	struct workload base;
	struct naming naming;
	struct namespace *ns;  /* NULL until named or given up */
	struct workload *ctrs; /* struct container */
	char uid[K8S_UID_MAX + 1];
	char ns_name[K8S_NS_MAX + 1]; /* "": unknown */
	char name[K8S_NAME_MAX + 1];  /* "": unknown */
};

/* Cgroups outside pods, by their top-level cgroup ("system.slice", "/"). */
struct system_workload {
	struct workload base;
	char name[NAME_MAX + 1];
};

struct workloads {
	struct workload *pods;	  /* struct pod, newest first */
	struct workload *systems; /* struct system_workload */
	struct namespace *nss;
	double expired_joules;		  /* total energy of removed pods and system workloads */
	double expired_operational_grams; /* and their carbon, of each kind */
	double expired_embodied_grams;

	/* the stage's own bookkeeping */
	double retain_s;
	struct k8s_names *names;
	struct idmap links; /* cgroup id -> its place */
	unsigned long gen;
};

static inline bool workload__terminated(const struct workload *w)
{
	return w->nr_cgroups == 0;
}

static inline struct pod *pod_of(const struct workload *w)
{
	return (struct pod *)w;
}

static inline struct container *container_of_workload(const struct workload *w)
{
	return (struct container *)w;
}

static inline struct system_workload *system_of(const struct workload *w)
{
	return (struct system_workload *)w;
}

struct workloads_stats {
	size_t pods, containers, namespaces, system, cgroups;
	unsigned long name_scans; /* rescans of the name sources */
};

int workloads__new(struct workloads **out, const struct options *o);
/*
 * Once per interval, after attribution. Adds every cgroup's figures of the
 * interval (CPU from col, energy from at) to its container / pod /
 * namespace / system workload. A pod or container whose cgroups are all gone
 * is terminated, kept for --retain seconds, then removed. now: monotonic
 * seconds.
 */
int workloads__update(struct workloads *w, const struct collection *col,
		      const struct attribution *at, double now);
/* A process's namespace, pod and container names by its cgroup; NULL where unknown. */
void workloads__label(const struct workloads *w, __u64 cgroup_id, const char **ns, const char **pod,
		      const char **container);
void workloads__stats(const struct workloads *w, struct workloads_stats *st);
void workloads__free(struct workloads *w);

#endif /* __WATTLET_WORKLOADS_H */
