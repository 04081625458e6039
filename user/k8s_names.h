/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pod and container names without API credentials, from the files the
 * kubelet writes on every node:
 *   <pod-log-dir>/<namespace>_<pod>_<uid>/<container>/
 *   <container-log-dir>/<pod>_<namespace>_<container>-<64 hex id>.log
 * Names are looked up by pod uid and container id. The store is rebuilt by
 * a rescan of its sources, only when a lookup misses, at most once per
 * min_rescan_s: no walk every interval.
 *
 * Sources are a seam: the log dirs are one; the kubelet's /pods API (for
 * labels) can be another, feeding the same store.
 */
#ifndef __WATTLET_K8S_NAMES_H
#define __WATTLET_K8S_NAMES_H

#include "k8s_path.h"

#define K8S_NS_MAX    63    /* a DNS label */
#define K8S_NAME_MAX  253   /* a DNS subdomain */
#define K8S_CTR_MAX   63    /* a DNS label */
#define K8S_NAMES_MAX 16384 /* entries of each kind kept by one scan */

struct k8s_pod_entry {
	char uid[K8S_UID_MAX + 1];
	char ns[K8S_NS_MAX + 1];
	char name[K8S_NAME_MAX + 1];
};

struct k8s_ctr_entry {
	char id[K8S_ID_LEN + 1];
	char ns[K8S_NS_MAX + 1];
	char pod[K8S_NAME_MAX + 1];
	char name[K8S_CTR_MAX + 1];
};

/* "<namespace>_<pod>_<uid>": 0, or -EINVAL for anything else. */
int k8s_names__parse_pod_dir(const char *entry, struct k8s_pod_entry *out);
/* "<pod>_<namespace>_<container>-<64 hex>.log": 0, or -EINVAL for anything else. */
int k8s_names__parse_container_log(const char *entry, struct k8s_ctr_entry *out);

struct k8s_names;

/* Where names come from. scan() reports every entry it knows with k8s_names__put_*. */
struct k8s_source {
	const char *name;
	int (*scan)(struct k8s_source *src, struct k8s_names *into);
	void (*free)(struct k8s_source *src);
};

int k8s_names__new(struct k8s_names **out, double min_rescan_s);
/* Takes ownership of src, also on error. */
int k8s_names__add_source(struct k8s_names *n, struct k8s_source *src);
/* The kubelet log dirs as a source; either may be missing at scan time. */
int k8s_names__add_log_dirs(struct k8s_names *n, const char *pod_log_dir,
			    const char *container_log_dir);

/* For sources, during a scan. -ENOSPC past K8S_NAMES_MAX entries. */
int k8s_names__put_pod(struct k8s_names *n, const struct k8s_pod_entry *e);
int k8s_names__put_container(struct k8s_names *n, const struct k8s_ctr_entry *e);

/*
 * The entry for a pod uid / container id, or NULL. A miss rescans first if
 * the last scan is min_rescan_s old (now: monotonic seconds). The pointer is
 * valid until the next call on n.
 */
const struct k8s_pod_entry *k8s_names__pod(struct k8s_names *n, const char *uid, double now);
const struct k8s_ctr_entry *k8s_names__container(struct k8s_names *n, const char *id, double now);

/* Rebuild the store from every source now. */
int k8s_names__rescan(struct k8s_names *n, double now);
/* Scans done so far; a scan that a lookup asks for counts once. */
unsigned long k8s_names__scans(const struct k8s_names *n);
void k8s_names__free(struct k8s_names *n);

#endif /* __WATTLET_K8S_NAMES_H */
