// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup v2 path -> pod uid and container id. The shapes the kubelet makes:
 *
 *   systemd:  /kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod<uid_>.slice/<ctr>.scope
 *   cgroupfs: /kubepods[/<qos>]/pod<uid>/<ctr>
 *
 * with no QoS level for guaranteed pods, '_' for '-' in uids under systemd
 * (a '-' there separates slice levels), and any prefix above kubepods (a
 * kubelet --cgroup-root, a node that runs in a container). Under systemd a
 * prefix shows in every slice name: kubelet-kubepods-burstable-pod<uid>.slice.
 * Container cgroups are named by the runtime: cri-containerd-<id>.scope,
 * crio-<id>.scope, crio-conmon-<id>.scope, docker-<id>.scope (cri-dockerd);
 * under cgroupfs a bare <id> (containerd, cri-dockerd) or crio[-conmon]-<id>.
 * Anything below a container cgroup (crun's "container" subgroup) is that
 * container. Every check is exact: a path that almost matches is UNKNOWN.
 */
#include <stdio.h>
#include <string.h>
#include "k8s_path.h"
#include "util.h"

struct comp {
	const char *s;
	size_t len;
};

/* One runtime's container cgroup name: prefix <64 hex> suffix. */
struct ctr_shape {
	const char *prefix;
	const char *suffix;
	enum k8s_runtime runtime;
	enum k8s_kind kind;
};

static const struct ctr_shape systemd_shapes[] = {
	{ "cri-containerd-", ".scope", K8S_RUNTIME_CONTAINERD, K8S_KIND_CONTAINER },
	{ "crio-conmon-", ".scope", K8S_RUNTIME_CRIO, K8S_KIND_HELPER },
	{ "crio-", ".scope", K8S_RUNTIME_CRIO, K8S_KIND_CONTAINER },
	{ "docker-", ".scope", K8S_RUNTIME_DOCKER, K8S_KIND_CONTAINER },
	{},
};

static const struct ctr_shape cgroupfs_shapes[] = {
	{ "", "", K8S_RUNTIME_UNKNOWN, K8S_KIND_CONTAINER },
	{ "crio-conmon-", "", K8S_RUNTIME_CRIO, K8S_KIND_HELPER },
	{ "crio-", "", K8S_RUNTIME_CRIO, K8S_KIND_CONTAINER },
	{},
};

/* The next non-empty '/'-separated component after *p; false at the end. */
static bool next_comp(const char **p, struct comp *c)
{
	const char *s = *p;

	while (*s == '/')
		s++;
	if (!*s)
		return false;
	c->s = s;
	while (*s && *s != '/')
		s++;
	c->len = s - c->s;
	*p = s;
	return true;
}

static bool comp_is(const struct comp *c, const char *str)
{
	size_t n = strlen(str);

	return c->len == n && !memcmp(c->s, str, n);
}

static bool has_prefix(const struct comp *c, const char *pre, size_t n)
{
	return c->len >= n && !memcmp(c->s, pre, n);
}

static bool has_suffix(const struct comp *c, const char *suf)
{
	size_t n = strlen(suf);

	return c->len >= n && !memcmp(c->s + c->len - n, suf, n);
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

static bool all_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return false;
	return true;
}

bool k8s_path__valid_uid(const char *s, size_t len, char sep)
{
	static const size_t dash_at[] = { 8, 13, 18, 23 };
	size_t d = 0;

	if (len == 32)
		return all_hex(s, len);
	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (d < 4 && i == dash_at[d]) {
			if (s[i] != sep)
				return false;
			d++;
		} else if (!is_hex(s[i])) {
			return false;
		}
	}
	return true;
}

bool k8s_path__valid_id(const char *s, size_t len)
{
	return len == K8S_ID_LEN && all_hex(s, len);
}

static void set_uid(struct k8s_ident *id, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		id->pod_uid[i] = s[i] == '_' ? '-' : s[i];
	id->pod_uid[len] = '\0';
}

/* The cgroup right below the pod's: a container, a helper, or the pod's own. */
static enum k8s_kind parse_container(const char **p, struct k8s_ident *id,
				     const struct ctr_shape *shapes)
{
	struct comp c;

	if (!next_comp(p, &c))
		return id->kind = K8S_KIND_POD;
	for (const struct ctr_shape *sh = shapes; sh->prefix; sh++) {
		size_t pre = strlen(sh->prefix), suf = strlen(sh->suffix);

		if (c.len != pre + K8S_ID_LEN + suf || !has_prefix(&c, sh->prefix, pre) ||
		    !has_suffix(&c, sh->suffix) || !k8s_path__valid_id(c.s + pre, K8S_ID_LEN))
			continue;
		memcpy(id->container_id, c.s + pre, K8S_ID_LEN);
		id->container_id[K8S_ID_LEN] = '\0';
		id->runtime = sh->runtime;
		return id->kind = sh->kind;
	}
	return id->kind = K8S_KIND_POD;
}

/* base is a slice name without ".slice"; true if c is base<tail>. */
static bool slice_is(const struct comp *c, const struct comp *base, const char *tail)
{
	size_t n = strlen(tail);

	return c->len == base->len + n && !memcmp(c->s, base->s, base->len) &&
	       !memcmp(c->s + base->len, tail, n);
}

static enum k8s_qos systemd_qos(const struct comp *c, struct comp *base)
{
	if (slice_is(c, base, "-burstable.slice")) {
		base->len += strlen("-burstable");
		base->s = c->s;
		return K8S_QOS_BURSTABLE;
	}
	if (slice_is(c, base, "-besteffort.slice")) {
		base->len += strlen("-besteffort");
		base->s = c->s;
		return K8S_QOS_BESTEFFORT;
	}
	return K8S_QOS_GUARANTEED;
}

/* After <prefix->kubepods.slice: [qos slice/]pod slice/container scope. */
static enum k8s_kind parse_systemd(const struct comp *root, const char **p, struct k8s_ident *id)
{
	struct comp base = { root->s, root->len - strlen(".slice") };
	size_t pre, uid_len;
	struct comp c;

	id->driver = K8S_DRIVER_SYSTEMD;
	if (!next_comp(p, &c))
		return K8S_KIND_NONE;
	id->qos = systemd_qos(&c, &base);
	if (id->qos != K8S_QOS_GUARANTEED && !next_comp(p, &c))
		return K8S_KIND_NONE;
	pre = base.len + strlen("-pod");
	if (c.len <= pre + strlen(".slice") || memcmp(c.s, base.s, base.len) ||
	    memcmp(c.s + base.len, "-pod", 4) || !has_suffix(&c, ".slice"))
		return id->kind = K8S_KIND_UNKNOWN;
	uid_len = c.len - pre - strlen(".slice");
	if (!k8s_path__valid_uid(c.s + pre, uid_len, '_'))
		return id->kind = K8S_KIND_UNKNOWN;
	set_uid(id, c.s + pre, uid_len);
	return parse_container(p, id, systemd_shapes);
}

/* After <prefix>/kubepods: [qos/]pod<uid>/container. */
static enum k8s_kind parse_cgroupfs(const char **p, struct k8s_ident *id)
{
	struct comp c;

	id->driver = K8S_DRIVER_CGROUPFS;
	if (!next_comp(p, &c))
		return K8S_KIND_NONE;
	id->qos = comp_is(&c, "burstable")  ? K8S_QOS_BURSTABLE :
		  comp_is(&c, "besteffort") ? K8S_QOS_BESTEFFORT :
					      K8S_QOS_GUARANTEED;
	if (id->qos != K8S_QOS_GUARANTEED && !next_comp(p, &c))
		return K8S_KIND_NONE;
	if (!has_prefix(&c, "pod", 3) || !k8s_path__valid_uid(c.s + 3, c.len - 3, '-'))
		return id->kind = K8S_KIND_UNKNOWN;
	set_uid(id, c.s + 3, c.len - 3);
	return parse_container(p, id, cgroupfs_shapes);
}

static bool is_systemd_root(const struct comp *c)
{
	return comp_is(c, "kubepods.slice") ||
	       (c->len > strlen("-kubepods.slice") && has_suffix(c, "-kubepods.slice"));
}

enum k8s_kind k8s_path__parse(const char *path, struct k8s_ident *id)
{
	const char *p = path;
	struct comp c;

	memset(id, 0, sizeof(*id));
	if (!p)
		return K8S_KIND_NONE;
	while (next_comp(&p, &c)) {
		if (comp_is(&c, "kubepods"))
			return parse_cgroupfs(&p, id);
		if (is_systemd_root(&c))
			return parse_systemd(&c, &p, id);
	}
	return K8S_KIND_NONE;
}

void k8s_path__top(const char *path, char *buf, size_t size)
{
	const char *p = path;
	struct comp c;

	if (!size)
		return;
	if (!p)
		snprintf(buf, size, "unknown");
	else if (!next_comp(&p, &c))
		snprintf(buf, size, "/");
	else
		snprintf(buf, size, "%.*s", (int)c.len, c.s);
}

const char *k8s_kind__name(enum k8s_kind k)
{
	static const char *const names[] = { "none", "unknown", "pod", "container", "helper" };

	return (unsigned int)k < ARRAY_SIZE(names) ? names[k] : "unknown";
}

const char *k8s_driver__name(enum k8s_driver d)
{
	static const char *const names[] = { "unknown", "systemd", "cgroupfs" };

	return (unsigned int)d < ARRAY_SIZE(names) ? names[d] : "unknown";
}

const char *k8s_qos__name(enum k8s_qos q)
{
	static const char *const names[] = { "unknown", "guaranteed", "burstable", "besteffort" };

	return (unsigned int)q < ARRAY_SIZE(names) ? names[q] : "unknown";
}

const char *k8s_runtime__name(enum k8s_runtime r)
{
	static const char *const names[] = { "unknown", "containerd", "cri-o", "docker" };

	return (unsigned int)r < ARRAY_SIZE(names) ? names[r] : "unknown";
}
