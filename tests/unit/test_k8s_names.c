// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* k8s_names: the kubelet's log-dir names, malformed ones, and bounded rescans. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "k8s_names.h"
#include "util.h"

#define U   "0f3c8a2e-5b1d-4c7e-9a6f-2d8e1b4c7a90"
#define U2  "11111111-2222-3333-4444-555555555555"
#define S   "6f1c2a3b4d5e6f708192a3b4c5d6e7f8"
#define ID  "4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define ID2 "aa1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1ff"
#define L63 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"

struct pod_case {
	const char *entry;
	const char *ns, *name, *uid; /* ns NULL: rejected */
};

static const struct pod_case pod_cases[] = {
	{ "default_web-0_" U, "default", "web-0", U },
	{ "kube-system_kube-apiserver-node-a_" S, "kube-system", "kube-apiserver-node-a", S },
	{ "ns_a.b.c_" U, "ns", "a.b.c", U },
	{ L63 "_p_" U, L63, "p", U },
	{ "0_1_" U, "0", "1", U },
	{ "default_web_0_" U, NULL }, /* '_' is never in a pod name */
	{ "default_web-0", NULL },
	{ "default__" U, NULL },
	{ "_web-0_" U, NULL },
	{ "default_web-0_", NULL },
	{ "Default_web-0_" U, NULL },
	{ "default_Web-0_" U, NULL },
	{ "default_-web_" U, NULL },
	{ "default_web-_" U, NULL },
	{ "default_web..0_" U, NULL },
	{ "default_.web_" U, NULL },
	{ "default_web._" U, NULL },
	{ "default_web-0_" U "x", NULL },
	{ "default_web-0_" U "/", NULL },
	{ "default_web-0_0F3C8A2E-5B1D-4C7E-9A6F-2D8E1B4C7A90", NULL },
	{ "default_web-0_0f3c8a2e_5b1d_4c7e_9a6f_2d8e1b4c7a90", NULL },
	{ "de.fault_web-0_" U, NULL }, /* namespace is a label: no dots */
	{ L63 "a_p_" U, NULL },
	{ "", NULL },
	{ "__", NULL },
	{ "default web_x_" U, NULL },
};

struct ctr_case {
	const char *entry;
	const char *pod, *ns, *name, *id; /* pod NULL: rejected */
};

static const struct ctr_case ctr_cases[] = {
	{ "web-0_default_nginx-" ID ".log", "web-0", "default", "nginx", ID },
	{ "web-0_default_side-car-" ID ".log", "web-0", "default", "side-car", ID },
	{ "coredns-5d78c9869d-abcde_kube-system_coredns-" ID ".log", "coredns-5d78c9869d-abcde",
	  "kube-system", "coredns", ID },
	{ "a.b_ns_c-" ID ".log", "a.b", "ns", "c", ID },
	{ "web-0_default_nginx-" ID, NULL },
	{ "web-0_default_nginx-" ID ".log.1", NULL },
	{ "web-0_default_nginx_" ID ".log", NULL },
	{ "web-0_default_nginx" ID ".log", NULL },
	{ "web-0_default_-" ID ".log", NULL },
	{ "web-0_default_nginx--" ID ".log", NULL },
	{ "web-0_default_Nginx-" ID ".log", NULL },
	{ "web_0_default_nginx-" ID ".log", NULL },
	{ "web-0_nginx-" ID ".log", NULL },
	{ "web-0_default_nginx-"
	  "4F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0"
	  ".log",
	  NULL },
	{ "web-0_default_nginx-"
	  "4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f"
	  ".log",
	  NULL },
	{ "-" ID ".log", NULL },
	{ ID ".log", NULL },
	{ ".log", NULL },
	{ "", NULL },
	{ "web-0_de.fault_nginx-" ID ".log", NULL },
	{ "web-0_default_ng.inx-" ID ".log", NULL },
};

static void k8s_names__parse_pod_dir__table__matches(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(pod_cases); i++) {
		const struct pod_case *c = &pod_cases[i];
		struct k8s_pod_entry e;
		int err = k8s_names__parse_pod_dir(c->entry, &e);

		if (!c->ns) {
			if (err != -EINVAL)
				fail_msg("case %zu '%s': accepted as %s/%s", i, c->entry, e.ns,
					 e.name);
			continue;
		}
		if (err || strcmp(e.ns, c->ns) || strcmp(e.name, c->name) || strcmp(e.uid, c->uid))
			fail_msg("case %zu '%s': err %d", i, c->entry, err);
	}
}

static void k8s_names__parse_container_log__table__matches(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctr_cases); i++) {
		const struct ctr_case *c = &ctr_cases[i];
		struct k8s_ctr_entry e;
		int err = k8s_names__parse_container_log(c->entry, &e);

		if (!c->pod) {
			if (err != -EINVAL)
				fail_msg("case %zu '%s': accepted as %s", i, c->entry, e.name);
			continue;
		}
		if (err || strcmp(e.pod, c->pod) || strcmp(e.ns, c->ns) ||
		    strcmp(e.name, c->name) || strcmp(e.id, c->id))
			fail_msg("case %zu '%s': err %d", i, c->entry, err);
	}
}

struct dirs {
	char root[64], pods[128], ctrs[128];
};

static void touch(const char *dir, const char *name)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static void mkdirf(const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(mkdir(p, 0755), 0);
}

static int dirs_setup(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));

	strcpy(d->root, "/tmp/wattlet-names-XXXXXX");
	if (!mkdtemp(d->root))
		return -1;
	snprintf(d->pods, sizeof(d->pods), "%s/pods", d->root);
	snprintf(d->ctrs, sizeof(d->ctrs), "%s/containers", d->root);
	mkdir(d->pods, 0755);
	mkdir(d->ctrs, 0755);
	*state = d;
	return 0;
}

static int dirs_teardown(void **state)
{
	struct dirs *d = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->root);
	if (system(cmd))
		return -1;
	free(d);
	return 0;
}

static void k8s_names__lookup__log_dirs__named(void **state)
{
	struct dirs *d = *state;
	const struct k8s_pod_entry *p;
	const struct k8s_ctr_entry *c;
	struct k8s_names *n;

	mkdirf(d->pods, "shop_web-0_" U);
	mkdirf(d->pods, "garbage_dir");
	touch(d->ctrs, "web-0_shop_nginx-" ID ".log");
	touch(d->ctrs, "junk.log");
	assert_int_equal(k8s_names__new(&n, 2.0), 0);
	assert_int_equal(k8s_names__add_log_dirs(n, d->pods, d->ctrs), 0);
	p = k8s_names__pod(n, U, 100.0);
	assert_non_null(p);
	assert_string_equal(p->ns, "shop");
	assert_string_equal(p->name, "web-0");
	c = k8s_names__container(n, ID, 100.0);
	assert_non_null(c);
	assert_string_equal(c->name, "nginx");
	assert_string_equal(c->pod, "web-0");
	assert_int_equal(k8s_names__scans(n), 1);
	k8s_names__free(n);
}

/* Hits never rescan; misses rescan at most once per min_rescan_s. */
static void k8s_names__lookup__misses__rate_limited(void **state)
{
	struct dirs *d = *state;
	struct k8s_names *n;

	mkdirf(d->pods, "shop_web-0_" U);
	assert_int_equal(k8s_names__new(&n, 2.0), 0);
	assert_int_equal(k8s_names__add_log_dirs(n, d->pods, d->ctrs), 0);
	assert_non_null(k8s_names__pod(n, U, 10.0));
	for (int i = 0; i < 100; i++)
		assert_non_null(k8s_names__pod(n, U, 10.0 + i));
	assert_int_equal(k8s_names__scans(n), 1);
	for (int i = 0; i < 20; i++)
		assert_null(k8s_names__pod(n, U2, 200.0 + i * 0.5)); /* 10 s of misses */
	assert_int_equal(k8s_names__scans(n), 1 + 5); /* at 200, 202, 204, 206, 208 */
	mkdirf(d->pods, "shop_web-1_" U2);
	assert_null(k8s_names__pod(n, U2, 209.0)); /* too soon after 208 */
	assert_non_null(k8s_names__pod(n, U2, 210.0));
	assert_int_equal(k8s_names__scans(n), 7);
	k8s_names__free(n);
}

static void k8s_names__scan__missing_dirs__no_names(void **state)
{
	struct k8s_names *n;

	assert_int_equal(k8s_names__new(&n, 2.0), 0);
	assert_int_equal(k8s_names__add_log_dirs(n, "/nonexistent/pods", "/nonexistent/c"), 0);
	assert_null(k8s_names__pod(n, U, 1.0));
	assert_null(k8s_names__container(n, ID, 1.0));
	assert_int_equal(k8s_names__rescan(n, 5.0), -ENOENT);
	k8s_names__free(n);
}

/* Two entries claiming one id with different names: neither is believed. */
static void k8s_names__scan__conflicting_ids__dropped(void **state)
{
	struct dirs *d = *state;
	struct k8s_names *n;

	touch(d->ctrs, "web-0_shop_nginx-" ID ".log");
	touch(d->ctrs, "web-0_shop_evil-" ID ".log");
	touch(d->ctrs, "web-0_shop_sidecar-" ID2 ".log");
	assert_int_equal(k8s_names__new(&n, 2.0), 0);
	assert_int_equal(k8s_names__add_log_dirs(n, d->pods, d->ctrs), 0);
	assert_null(k8s_names__container(n, ID, 1.0));
	assert_non_null(k8s_names__container(n, ID2, 1.0));
	k8s_names__free(n);
}

/* A second source (the seam for the kubelet API) feeds the same store. */
static int fake_scan(struct k8s_source *src, struct k8s_names *into)
{
	struct k8s_pod_entry e = { U2, "api", "from-api" };

	return k8s_names__put_pod(into, &e);
}

static void fake_free(struct k8s_source *src)
{
}

static void k8s_names__source__extra__merged(void **state)
{
	static struct k8s_source fake = { "fake", fake_scan, fake_free };
	struct dirs *d = *state;
	const struct k8s_pod_entry *p;
	struct k8s_names *n;

	mkdirf(d->pods, "shop_web-0_" U);
	assert_int_equal(k8s_names__new(&n, 2.0), 0);
	assert_int_equal(k8s_names__add_log_dirs(n, d->pods, d->ctrs), 0);
	assert_int_equal(k8s_names__add_source(n, &fake), 0);
	assert_non_null(k8s_names__pod(n, U, 1.0));
	p = k8s_names__pod(n, U2, 1.0);
	assert_non_null(p);
	assert_string_equal(p->name, "from-api");
	k8s_names__free(n);
}

/* More entries than K8S_NAMES_MAX: the store stops growing, nothing breaks. */
static int flood_scan(struct k8s_source *src, struct k8s_names *into)
{
	struct k8s_ctr_entry e = { "", "ns", "p", "c" };

	for (int i = 0; i < K8S_NAMES_MAX + 100; i++) {
		snprintf(e.id, sizeof(e.id), "%064x", i);
		if (k8s_names__put_container(into, &e) == -ENOSPC)
			return i == K8S_NAMES_MAX ? 0 : -EIO;
	}
	return -EIO;
}

static void k8s_names__put__past_max__bounded(void **state)
{
	static struct k8s_source flood = { "flood", flood_scan, fake_free };
	struct k8s_names *n;
	char id[K8S_ID_LEN + 1];

	assert_int_equal(k8s_names__new(&n, 2.0), 0);
	assert_int_equal(k8s_names__add_source(n, &flood), 0);
	assert_int_equal(k8s_names__rescan(n, 1.0), 0);
	snprintf(id, sizeof(id), "%064x", 7);
	assert_non_null(k8s_names__container(n, id, 1.0));
	snprintf(id, sizeof(id), "%064x", K8S_NAMES_MAX + 1);
	assert_null(k8s_names__container(n, id, 1.0));
	k8s_names__free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(k8s_names__parse_pod_dir__table__matches),
		cmocka_unit_test(k8s_names__parse_container_log__table__matches),
		cmocka_unit_test_setup_teardown(k8s_names__lookup__log_dirs__named, dirs_setup,
						dirs_teardown),
		cmocka_unit_test_setup_teardown(k8s_names__lookup__misses__rate_limited, dirs_setup,
						dirs_teardown),
		cmocka_unit_test(k8s_names__scan__missing_dirs__no_names),
		cmocka_unit_test_setup_teardown(k8s_names__scan__conflicting_ids__dropped,
						dirs_setup, dirs_teardown),
		cmocka_unit_test_setup_teardown(k8s_names__source__extra__merged, dirs_setup,
						dirs_teardown),
		cmocka_unit_test(k8s_names__put__past_max__bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
