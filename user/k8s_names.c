// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Names from the kubelet's log dirs. Kubernetes namespaces, pod and
 * container names never hold '_' (DNS labels and subdomains), which is what
 * makes the '_'-joined file names parseable; anything that does not
 * validate exactly is skipped, so a garbage entry can only leave a name
 * unknown, never make one wrong. Two entries that claim the same uid or id
 * with different names are both dropped for the same reason.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "k8s_names.h"

struct k8s_names {
	struct k8s_pod_entry *pods;
	size_t nr_pods, cap_pods;
	struct k8s_ctr_entry *ctrs;
	size_t nr_ctrs, cap_ctrs;
	struct k8s_source **srcs;
	size_t nr_srcs;
	double min_rescan_s;
	double last_scan;
	unsigned long scans;
};

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most max characters. */
static bool dns_label(const char *s, size_t len, size_t max)
{
	if (!len || len > max || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* RFC 1123 subdomain: labels joined by '.'. */
static bool dns_subdomain(const char *s, size_t len)
{
	const char *end = s + len, *dot;

	if (!len || len > K8S_NAME_MAX)
		return false;
	for (; s <= end; s = dot + 1) {
		dot = memchr(s, '.', end - s);
		if (!dot)
			dot = end;
		if (!dns_label(s, dot - s, 63))
			return false;
	}
	return true;
}

static void copy(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Split s[0..len) at its two '_' into a, b, c; false unless there are exactly two. */
static bool split3(const char *s, size_t len, size_t *a, size_t *b)
{
	const char *u1 = memchr(s, '_', len), *u2;

	if (!u1)
		return false;
	u2 = memchr(u1 + 1, '_', s + len - (u1 + 1));
	if (!u2 || memchr(u2 + 1, '_', s + len - (u2 + 1)))
		return false;
	*a = u1 - s;
	*b = u2 - s;
	return true;
}

int k8s_names__parse_pod_dir(const char *entry, struct k8s_pod_entry *out)
{
	size_t len = strlen(entry), a, b;

	if (!split3(entry, len, &a, &b) || !dns_label(entry, a, K8S_NS_MAX) ||
	    !dns_subdomain(entry + a + 1, b - a - 1) ||
	    !k8s_path__valid_uid(entry + b + 1, len - b - 1, '-'))
		return -EINVAL;
	copy(out->ns, entry, a);
	copy(out->name, entry + a + 1, b - a - 1);
	copy(out->uid, entry + b + 1, len - b - 1);
	return 0;
}

int k8s_names__parse_container_log(const char *entry, struct k8s_ctr_entry *out)
{
	static const size_t tail = 1 + K8S_ID_LEN + 4; /* -<id>.log */
	size_t len = strlen(entry), a, b;
	const char *id;

	if (len <= tail || strcmp(entry + len - 4, ".log"))
		return -EINVAL;
	id = entry + len - tail + 1;
	len -= tail;
	if (entry[len] != '-' || !k8s_path__valid_id(id, K8S_ID_LEN) ||
	    !split3(entry, len, &a, &b) || !dns_subdomain(entry, a) ||
	    !dns_label(entry + a + 1, b - a - 1, K8S_NS_MAX) ||
	    !dns_label(entry + b + 1, len - b - 1, K8S_CTR_MAX))
		return -EINVAL;
	copy(out->pod, entry, a);
	copy(out->ns, entry + a + 1, b - a - 1);
	copy(out->name, entry + b + 1, len - b - 1);
	copy(out->id, id, K8S_ID_LEN);
	return 0;
}

static int grow(void **arr, size_t *cap, size_t nr, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 64;
	void *n;

	if (nr < *cap)
		return 0;
	if (nr >= K8S_NAMES_MAX)
		return -ENOSPC;
	n = realloc(*arr, ncap * size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* Copy a string field into a zeroed one: entries are compared whole. */
#define set_field(dst, src) memcpy(dst, src, strnlen(src, sizeof(dst) - 1))

int k8s_names__put_pod(struct k8s_names *n, const struct k8s_pod_entry *e)
{
	int err = grow((void **)&n->pods, &n->cap_pods, n->nr_pods, sizeof(*e));
	struct k8s_pod_entry *d;

	if (err)
		return err;
	d = memset(&n->pods[n->nr_pods++], 0, sizeof(*d));
	set_field(d->uid, e->uid);
	set_field(d->ns, e->ns);
	set_field(d->name, e->name);
	return 0;
}

int k8s_names__put_container(struct k8s_names *n, const struct k8s_ctr_entry *e)
{
	int err = grow((void **)&n->ctrs, &n->cap_ctrs, n->nr_ctrs, sizeof(*e));
	struct k8s_ctr_entry *d;

	if (err)
		return err;
	d = memset(&n->ctrs[n->nr_ctrs++], 0, sizeof(*d));
	set_field(d->id, e->id);
	set_field(d->ns, e->ns);
	set_field(d->pod, e->pod);
	set_field(d->name, e->name);
	return 0;
}

/* Both entry types start with their key string. */
static int key_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sort by key; drop every entry whose key is claimed twice with other contents. */
static size_t sort_unique(void *arr, size_t nr, size_t size)
{
	char *base = arr;
	size_t out = 0, i = 0;

	if (!nr)
		return 0; /* arr may be NULL: qsort must not see it */
	qsort(arr, nr, size, key_cmp);
	while (i < nr) {
		size_t j = i + 1;
		bool clash = false;

		for (; j < nr && !key_cmp(base + i * size, base + j * size); j++)
			clash |= memcmp(base + i * size, base + j * size, size) != 0;
		if (!clash)
			memmove(base + out++ * size, base + i * size, size);
		i = j;
	}
	return out;
}

int k8s_names__rescan(struct k8s_names *n, double now)
{
	int err = 0;

	n->nr_pods = n->nr_ctrs = 0;
	for (size_t i = 0; i < n->nr_srcs; i++) {
		int e = n->srcs[i]->scan(n->srcs[i], n);

		if (e && !err)
			err = e;
	}
	n->nr_pods = sort_unique(n->pods, n->nr_pods, sizeof(*n->pods));
	n->nr_ctrs = sort_unique(n->ctrs, n->nr_ctrs, sizeof(*n->ctrs));
	n->last_scan = now;
	n->scans++;
	return err;
}

static const void *find(const void *arr, size_t nr, size_t size, const char *key)
{
	return nr ? bsearch(key, arr, nr, size, key_cmp) : NULL;
}

static bool may_rescan(const struct k8s_names *n, double now)
{
	return !n->scans || now - n->last_scan >= n->min_rescan_s;
}

const struct k8s_pod_entry *k8s_names__pod(struct k8s_names *n, const char *uid, double now)
{
	const struct k8s_pod_entry *e = find(n->pods, n->nr_pods, sizeof(*e), uid);

	if (e || !may_rescan(n, now))
		return e;
	k8s_names__rescan(n, now);
	return find(n->pods, n->nr_pods, sizeof(*e), uid);
}

const struct k8s_ctr_entry *k8s_names__container(struct k8s_names *n, const char *id, double now)
{
	const struct k8s_ctr_entry *e = find(n->ctrs, n->nr_ctrs, sizeof(*e), id);

	if (e || !may_rescan(n, now))
		return e;
	k8s_names__rescan(n, now);
	return find(n->ctrs, n->nr_ctrs, sizeof(*e), id);
}

unsigned long k8s_names__scans(const struct k8s_names *n)
{
	return n->scans;
}

int k8s_names__new(struct k8s_names **out, double min_rescan_s)
{
	struct k8s_names *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->min_rescan_s = min_rescan_s;
	*out = n;
	return 0;
}

int k8s_names__add_source(struct k8s_names *n, struct k8s_source *src)
{
	struct k8s_source **s = realloc(n->srcs, (n->nr_srcs + 1) * sizeof(*s));

	if (!s) {
		src->free(src);
		return -ENOMEM;
	}
	s[n->nr_srcs++] = src;
	n->srcs = s;
	return 0;
}

void k8s_names__free(struct k8s_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nr_srcs; i++)
		n->srcs[i]->free(n->srcs[i]);
	free(n->srcs);
	free(n->pods);
	free(n->ctrs);
	free(n);
}

/* The log dirs source. */

struct log_dirs {
	struct k8s_source src;
	char *pod_dir;
	char *ctr_dir;
};

/* Call fn for every entry of dir but dot files; -errno if dir cannot be read. */
static int scan_dir(const char *dir, struct k8s_names *n,
		    int (*fn)(struct k8s_names *n, const char *name))
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && fn(n, de->d_name) == -ENOSPC)
			break;
	closedir(d);
	return 0;
}

static int put_pod_dir(struct k8s_names *n, const char *name)
{
	struct k8s_pod_entry e;

	return k8s_names__parse_pod_dir(name, &e) ? 0 : k8s_names__put_pod(n, &e);
}

static int put_container_log(struct k8s_names *n, const char *name)
{
	struct k8s_ctr_entry e;

	return k8s_names__parse_container_log(name, &e) ? 0 : k8s_names__put_container(n, &e);
}

static int log_dirs_scan(struct k8s_source *src, struct k8s_names *n)
{
	struct log_dirs *ld = (struct log_dirs *)src;
	int err = scan_dir(ld->pod_dir, n, put_pod_dir);
	int err2 = scan_dir(ld->ctr_dir, n, put_container_log);

	return err ? err : err2;
}

static void log_dirs_free(struct k8s_source *src)
{
	struct log_dirs *ld = (struct log_dirs *)src;

	free(ld->pod_dir);
	free(ld->ctr_dir);
	free(ld);
}

int k8s_names__add_log_dirs(struct k8s_names *n, const char *pod_log_dir,
			    const char *container_log_dir)
{
	struct log_dirs *ld = calloc(1, sizeof(*ld));

	if (!ld)
		return -ENOMEM;
	ld->src = (struct k8s_source){ "log-dirs", log_dirs_scan, log_dirs_free };
	ld->pod_dir = strdup(pod_log_dir);
	ld->ctr_dir = strdup(container_log_dir);
	if (!ld->pod_dir || !ld->ctr_dir) {
		log_dirs_free(&ld->src);
		return -ENOMEM;
	}
	return k8s_names__add_source(n, &ld->src);
}
