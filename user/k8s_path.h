/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kubernetes identity from a cgroup v2 path alone: which pod (by uid) and
 * which container (by runtime id) a cgroup belongs to, as the kubelet and
 * the container runtimes name their cgroups. No API call, no file read.
 */
#ifndef __WATTLET_K8S_PATH_H
#define __WATTLET_K8S_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define K8S_UID_MAX 36 /* a UUID; static pods use 32 hex digits */
#define K8S_ID_LEN  64 /* a container id: 64 hex digits */

enum k8s_kind {
	K8S_KIND_NONE,	    /* outside pods (kubepods, QoS levels too): a system workload */
	K8S_KIND_UNKNOWN,   /* below kubepods but not a valid pod path: never guessed */
	K8S_KIND_POD,	    /* the pod cgroup, or a cgroup below it that is no container */
	K8S_KIND_CONTAINER, /* a container (the sandbox too), or a cgroup below one */
	K8S_KIND_HELPER,    /* a runtime helper (CRI-O's conmon): the pod, no container */
};

enum k8s_driver {
	K8S_DRIVER_UNKNOWN,
	K8S_DRIVER_SYSTEMD,
	K8S_DRIVER_CGROUPFS,
};

enum k8s_qos {
	K8S_QOS_UNKNOWN,
	K8S_QOS_GUARANTEED,
	K8S_QOS_BURSTABLE,
	K8S_QOS_BESTEFFORT,
};

enum k8s_runtime {
	K8S_RUNTIME_UNKNOWN, /* a bare id: containerd or cri-dockerd under cgroupfs */
	K8S_RUNTIME_CONTAINERD,
	K8S_RUNTIME_CRIO,
	K8S_RUNTIME_DOCKER,
};

struct k8s_ident {
	enum k8s_kind kind;
	enum k8s_driver driver;
	enum k8s_qos qos;
	enum k8s_runtime runtime;
	char pod_uid[K8S_UID_MAX + 1];	   /* canonical, with dashes; "" outside pods */
	char container_id[K8S_ID_LEN + 1]; /* "" unless CONTAINER or HELPER */
};

/*
 * Parse a path relative to the cgroup2 root ("/kubepods.slice/..."), at any
 * depth below other prefixes. Fills id and returns its kind. A path that
 * does not parse cleanly below kubepods is K8S_KIND_UNKNOWN, never a guess.
 */
enum k8s_kind k8s_path__parse(const char *path, struct k8s_ident *id);

/*
 * A pod uid as Kubernetes writes it: a lowercase UUID (8-4-4-4-12) or, for
 * static pods, 32 lowercase hex digits. sep is the UUID separator: '-', or
 * '_' as the systemd driver writes it.
 */
bool k8s_path__valid_uid(const char *s, size_t len, char sep);
bool k8s_path__valid_id(const char *s, size_t len);

/* The top-level cgroup of a path, the name of its system workload: "system.slice", "/". */
void k8s_path__top(const char *path, char *buf, size_t size);

const char *k8s_kind__name(enum k8s_kind k);
const char *k8s_driver__name(enum k8s_driver d);
const char *k8s_qos__name(enum k8s_qos q);
const char *k8s_runtime__name(enum k8s_runtime r);

#endif /* __WATTLET_K8S_PATH_H */
