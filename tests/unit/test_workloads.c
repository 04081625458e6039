// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * workloads: synthetic cgroup accounts, as the collector leaves them each
 * interval, with energy as attribution leaves it, aggregated into
 * containers, pods, namespaces and system workloads, read back from the
 * document. Expected sums are computed here from the inputs, not by the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "document.h"
#include "workloads.h"
#include "util.h"

#define UA    "0f3c8a2e-5b1d-4c7e-9a6f-2d8e1b4c7a90"
#define UA_   "0f3c8a2e_5b1d_4c7e_9a6f_2d8e1b4c7a90"
#define UB    "11111111-2222-3333-4444-555555555555"
#define UC    "6f1c2a3b4d5e6f708192a3b4c5d6e7f8"
#define UX    "99999999-8888-7777-6666-555555555555" /* no log dir */
#define ID1   "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2   "2222222222222222222222222222222222222222222222222222222222222222"
#define ID3   "3333333333333333333333333333333333333333333333333333333333333333"
#define PAUSE "5555555555555555555555555555555555555555555555555555555555555555"
#define ID4   "4444444444444444444444444444444444444444444444444444444444444444"
#define ID5   "5555555555555555555555555555555555555555555555555555555555555550"

#define POD_A "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UA_ ".slice"
#define POD_B "/kubepods/besteffort/pod" UB
#define POD_C "/kubepods.slice/kubepods-pod" UC ".slice"
#define POD_X "/kubepods/pod" UX

struct fx {
	char root[64];
	char pods[128], ctrs[128];
	struct options o;
	struct accounts acc;
	struct attribution at;
	struct workloads *w;
	double now;
	json_t *doc;
};

struct cg_def {
	__u64 id;
	const char *path;
};

/* Every cgroup kind: containers, pause, conmon, pod-own, QoS, system, root, unknown pods. */
static const struct cg_def cgs[] = {
	{ 10, POD_A },
	{ 11, POD_A "/cri-containerd-" ID1 ".scope" },
	{ 12, POD_A "/cri-containerd-" ID2 ".scope" },
	{ 13, POD_A "/cri-containerd-" PAUSE ".scope" },
	{ 20, POD_B "/" ID3 },
	{ 21, POD_B "/crio-conmon-" ID3 },
	{ 30, POD_C "/docker-" ID4 ".scope" },
	{ 40, POD_X "/"
		    "7777777777777777777777777777777777777777777777777777777777777777" },
	{ 50, "/kubepods.slice/kubepods-burstable.slice" },
	{ 51, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podjunk.slice" },
	{ 60, "/system.slice/containerd.service" },
	{ 61, "/system.slice/kubelet.service" },
	{ 62, "/user.slice/user-0.slice/session-1.scope" },
	{ 63, "/" },
	{ 64, "/init.scope" },
};
#define NR_CGS (ARRAY_SIZE(cgs))

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

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *argv[] = { "wattlet", "--output", "none", "--retain", "30",
			 /* the fixture's kubelet log directories, made below */
			 "--pod-log-dir", f->pods, "--container-log-dir", f->ctrs, NULL };

	strcpy(f->root, "/tmp/wattlet-wl-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->pods, sizeof(f->pods), "%s/pods", f->root);
	snprintf(f->ctrs, sizeof(f->ctrs), "%s/containers", f->root);
	mkdir(f->pods, 0755);
	mkdir(f->ctrs, 0755);
	mkdirf(f->pods, "shop_web-0_" UA);
	mkdirf(f->pods, "shop_cart-1_" UB);
	mkdirf(f->pods, "kube-system_etcd-node-a_" UC);
	touch(f->ctrs, "web-0_shop_nginx-" ID1 ".log");
	touch(f->ctrs, "web-0_shop_sidecar-" ID2 ".log");
	touch(f->ctrs, "cart-1_shop_cart-" ID3 ".log");
	touch(f->ctrs, "etcd-node-a_kube-system_etcd-" ID4 ".log");
	if (options__parse(&f->o, 9, argv))
		return -1;
	attribution__init(&f->at, &f->o, -1);
	f->now = 1000.0;
	if (workloads__new(&f->w, &f->o))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	json_decref(f->doc);
	workloads__free(f->w);
	accounts__free(&f->acc);
	attribution__free(&f->at);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static struct cgroup_account *cg_add(struct fx *f, __u64 id, const char *path)
{
	struct cgroup_account *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->id = id;
	c->path = path ? strdup(path) : NULL;
	assert_int_equal(idmap__put(&f->acc.cgroups, id, c), 0);
	return c;
}

static struct cgroup_account *cg(struct fx *f, __u64 id)
{
	struct cgroup_account *c = idmap__get(&f->acc.cgroups, id);

	assert_non_null(c);
	return c;
}

/* A cgroup's energy share, as attribution keeps it (made on first use). */
static struct energy_tally *attribution_share(struct fx *f, __u64 id)
{
	struct energy_tally *t = idmap__get(&f->at.cgroups, id);

	if (!t) {
		t = calloc(1, sizeof(*t));
		assert_non_null(t);
		assert_int_equal(idmap__put(&f->at.cgroups, id, t), 0);
	}
	return t;
}

static void charge(struct fx *f, __u64 id, double cpu, __u64 wakeups, double joules)
{
	struct cpu_figures c = { .cpu_seconds = cpu,
				 .wakeups = wakeups,
				 .context_switches = wakeups };
	struct energy_figures e = { .energy_joules = joules };
	struct energy_tally *t = attribution_share(f, id);

	cpu_tally__add(&cg(f, id)->cpu, &c);
	energy_tally__add(t, &e);
}

/* The document of an interval of 2 s, built from the accounts, the shares and the workloads. */
static json_t *document(struct fx *f, const struct collection *col)
{
	struct histogram durations = { 0 };
	struct agent_status agent = { .version = "test", .durations = &durations };
	struct document_input in = { .opt = &f->o,
				     .collection = col,
				     .attribution = &f->at,
				     .workloads = f->w,
				     .agent = &agent };

	return document__build(&in);
}

/* One interval: the collector's begin, the charges already made, then update and the document. */
static void finish(struct fx *f)
{
	struct node_cpu cpu = { 0 };
	struct wl_stats stats = { 0 };
	struct collection col = { .interval_s = 2.0, .cpu = &cpu, .acc = &f->acc, .stats = &stats };

	assert_int_equal(workloads__update(f->w, &col, &f->at, f->now), 0);
	json_decref(f->doc);
	f->doc = document(f, &col);
	assert_non_null(f->doc);
}

static void begin(struct fx *f, double dt)
{
	f->now += dt;
	size_t pos = 0;
	__u64 key;
	void *val;

	accounts__begin(&f->acc);
	/* attribution starts each interval's shares at 0 */
	while (idmap__next(&f->at.cgroups, &pos, &key, &val))
		energy_tally__begin(val);
}

static json_t *find(json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
		if (!strcmp(json_string_value(json_object_get(o, key)) ?: "", val))
			return o;
	return NULL;
}

static json_t *pod(struct fx *f, const char *uid)
{
	return find(json_object_get(f->doc, "pods"), "uid", uid);
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	return json_number_value(v);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	assert_non_null(s);
	return s;
}

static double cg_total(struct fx *f, __u64 id)
{
	return cg(f, id)->cpu.total.cpu_seconds;
}

#define assert_close(a, b)                                              \
	do {                                                            \
		double _a = (a), _b = (b);                              \
		if (fabs(_a - _b) > 1e-9 * (1 + fabs(_b)))              \
			fail_msg("%s = %.12g, want %.12g", #a, _a, _b); \
	} while (0)

/* Charge every cgroup a different amount for n intervals. */
static void run_all(struct fx *f, int n)
{
	if (!idmap__get(&f->acc.cgroups, cgs[0].id))
		for (size_t i = 0; i < NR_CGS; i++)
			cg_add(f, cgs[i].id, cgs[i].path);
	for (int k = 0; k < n; k++) {
		begin(f, 2.0);
		for (size_t i = 0; i < NR_CGS; i++)
			charge(f, cgs[i].id, 0.01 * (i + 1) * (k + 1), i + k, 0.1 * (i + 2));
		finish(f);
	}
}

static double sum_array(json_t *arr, const char *key)
{
	double s = 0;
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
		s += num(o, key);
	return s;
}

static void workloads__update__mixed_cgroups__levels_sum(void **state)
{
	struct fx *f = *state;
	json_t *a, *b, *c, *ctrs, *ns, *sys;
	double all = 0;

	run_all(f, 5);
	for (size_t i = 0; i < NR_CGS; i++)
		all += cg_total(f, cgs[i].id);
	a = pod(f, UA);
	b = pod(f, UB);
	c = pod(f, UC);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_string_equal(str(a, "namespace"), "shop");
	assert_string_equal(str(a, "name"), "web-0");
	assert_string_equal(str(a, "state"), "running");
	assert_string_equal(str(c, "namespace"), "kube-system");
	assert_string_equal(str(c, "name"), "etcd-node-a");
	/* a pod is every cgroup below it: containers, pause, its own */
	assert_close(num(a, "cpu_seconds_total"),
		     cg_total(f, 10) + cg_total(f, 11) + cg_total(f, 12) + cg_total(f, 13));
	assert_close(num(b, "cpu_seconds_total"), cg_total(f, 20) + cg_total(f, 21));
	assert_close(num(c, "cpu_seconds_total"), cg_total(f, 30));
	/* named containers only: pause and conmon count to the pod alone */
	ctrs = json_object_get(a, "containers");
	assert_int_equal(json_array_size(ctrs), 2);
	assert_close(num(find(ctrs, "name", "nginx"), "cpu_seconds_total"), cg_total(f, 11));
	assert_close(num(find(ctrs, "name", "sidecar"), "cpu_seconds_total"), cg_total(f, 12));
	assert_string_equal(str(find(ctrs, "name", "nginx"), "id"), ID1);
	ctrs = json_object_get(b, "containers");
	assert_int_equal(json_array_size(ctrs), 1);
	assert_close(num(find(ctrs, "name", "cart"), "cpu_seconds_total"), cg_total(f, 20));
	/* namespaces are the sum of their pods */
	ns = json_object_get(f->doc, "namespaces");
	assert_close(num(find(ns, "name", "shop"), "cpu_seconds_total"),
		     num(a, "cpu_seconds_total") + num(b, "cpu_seconds_total"));
	assert_close(num(find(ns, "name", "shop"), "energy_joules_total"),
		     num(a, "energy_joules_total") + num(b, "energy_joules_total"));
	assert_close(num(find(ns, "name", "kube-system"), "wakeups_total"),
		     num(c, "wakeups_total"));
	/* system workloads by top-level cgroup; a malformed pod path is no pod */
	sys = json_object_get(f->doc, "system");
	assert_close(num(find(sys, "name", "system.slice"), "cpu_seconds_total"),
		     cg_total(f, 60) + cg_total(f, 61));
	assert_close(num(find(sys, "name", "kubepods.slice"), "cpu_seconds_total"),
		     cg_total(f, 50) + cg_total(f, 51));
	assert_close(num(find(sys, "name", "/"), "cpu_seconds_total"), cg_total(f, 63));
	assert_non_null(find(sys, "name", "user.slice"));
	assert_non_null(find(sys, "name", "init.scope"));
	/* the node: pods and system workloads cover every cgroup exactly once */
	assert_close(sum_array(json_object_get(f->doc, "pods"), "cpu_seconds_total") +
			     sum_array(sys, "cpu_seconds_total"),
		     all);
	/* power is the last interval's energy */
	assert_close(num(a, "power_watts"), (0.1 * 2 + 0.1 * 3 + 0.1 * 4 + 0.1 * 5) / 2.0);
}

/* A pod with no log dir: its uid, "unknown" names, and the "unknown" namespace once given up. */
static void workloads__update__pod_without_logs__unknown(void **state)
{
	struct fx *f = *state;
	json_t *x, *ns;

	run_all(f, 1);
	x = pod(f, UX);
	assert_non_null(x);
	assert_string_equal(str(x, "namespace"), "unknown");
	assert_string_equal(str(x, "name"), "unknown");
	assert_int_equal(json_array_size(json_object_get(x, "containers")), 0);
	run_all(f, 10); /* 20 s: the name is given up after a few rescans */
	ns = find(json_object_get(f->doc, "namespaces"), "name", "unknown");
	assert_non_null(ns);
	assert_close(num(ns, "cpu_seconds_total"), cg_total(f, 40));
	assert_close(num(pod(f, UX), "cpu_seconds_total"), cg_total(f, 40));
}

static void workloads__update__names_rescans__bounded(void **state)
{
	struct fx *f = *state;
	struct workloads_stats st;

	run_all(f, 100); /* an unknown pod and a pause container throughout */
	workloads__stats(f->w, &st);
	if (st.name_scans > 10)
		fail_msg("%lu name scans in 100 intervals", st.name_scans);
	assert_int_equal(st.pods, 4);
	assert_int_equal(st.namespaces, 3);
}

/* Cgroups gone: terminated with totals kept; removed after --retain. */
static void workloads__update__pod_gone__terminated_then_removed(void **state)
{
	struct fx *f = *state;
	double a_cpu, shop_cpu;
	json_t *a;

	run_all(f, 3);
	a_cpu = num(pod(f, UA), "cpu_seconds_total");
	shop_cpu = num(find(json_object_get(f->doc, "namespaces"), "name", "shop"),
		       "cpu_seconds_total");
	/* the collector marks them gone, charges a last bit, drops them an interval later */
	begin(f, 2.0);
	for (__u64 id = 10; id <= 13; id++) {
		cg(f, id)->gone = true;
		charge(f, id, 0.5, 1, 1.0);
	}
	finish(f);
	a = pod(f, UA);
	assert_string_equal(str(a, "state"), "terminated");
	assert_close(num(a, "cpu_seconds_total"), a_cpu + 2.0);
	assert_string_equal(str(find(json_object_get(a, "containers"), "name", "nginx"), "state"),
			    "terminated");
	assert_close(num(find(json_object_get(f->doc, "namespaces"), "name", "shop"),
			 "cpu_seconds_total"),
		     shop_cpu + 2.0);
	assert_null(idmap__get(&f->acc.cgroups, 99));
	for (int i = 0; i < 3; i++) { /* accounts drops them; the pod stays */
		begin(f, 2.0);
		finish(f);
	}
	assert_null(idmap__get(&f->acc.cgroups, 10));
	a = pod(f, UA);
	assert_non_null(a);
	assert_string_equal(str(a, "state"), "terminated");
	assert_close(num(a, "cpu_seconds_total"), a_cpu + 2.0);
	assert_close(num(a, "power_watts"), 0);
	begin(f, 30.0); /* --retain 30 after it went */
	finish(f);
	assert_null(pod(f, UA));
	assert_non_null(pod(f, UB));
	/* the namespace keeps counting: its total never goes back */
	assert_close(num(find(json_object_get(f->doc, "namespaces"), "name", "shop"),
			 "cpu_seconds_total"),
		     shop_cpu + 2.0);
}

/*
 * A removed pod's carbon stays counted, as expired, like its energy: pods +
 * system + unattributed + idle + expired = node holds in /metrics too.
 */
static void workloads__update__pod_expired__carbon_kept(void **state)
{
	struct fx *f = *state;
	struct energy_figures e = { .energy_joules = 2,
				    .operational_carbon_grams = 0.25,
				    .embodied_carbon_grams = 0.125 };
	double joules;

	run_all(f, 1);
	begin(f, 2.0);
	for (__u64 id = 10; id <= 13; id++) {
		energy_tally__add(attribution_share(f, id), &e);
		cg(f, id)->gone = true;
	}
	finish(f);
	joules = num(pod(f, UA), "energy_joules_total");
	assert_close(f->w->expired_operational_grams, 0);
	for (int i = 0; i < 3; i++) {
		begin(f, 2.0);
		finish(f);
	}
	begin(f, 30.0); /* --retain 30 after it went */
	finish(f);
	assert_null(pod(f, UA));
	assert_close(f->w->expired_joules, joules);
	assert_close(f->w->expired_operational_grams, 4 * 0.25);
	assert_close(f->w->expired_embodied_grams, 4 * 0.125);
}

/* A cgroup that simply disappears from accounts (no gone mark) also ends its pod. */
static void workloads__update__cgroup_dropped__terminated(void **state)
{
	struct fx *f = *state;
	struct cgroup_account *c;

	run_all(f, 2);
	c = idmap__del(&f->acc.cgroups, 30);
	free(c->path);
	free(c);
	begin(f, 2.0);
	finish(f);
	assert_string_equal(str(pod(f, UC), "state"), "terminated");
	begin(f, 29.0);
	finish(f);
	assert_non_null(pod(f, UC));
	begin(f, 1.0);
	finish(f);
	assert_null(pod(f, UC));
	assert_null(find(json_object_get(f->doc, "namespaces"), "name", "kube-system"));
}

/* A restarted container: the old one terminates inside a running pod. */
static void workloads__update__container_restart__old_terminated(void **state)
{
	struct fx *f = *state;
	json_t *ctrs;

	run_all(f, 2);
	touch(f->ctrs, "cart-1_shop_cart-" ID5 ".log"); /* restart count 1 */
	cg(f, 20)->gone = true;
	cg_add(f, 22, POD_B "/" ID5);
	begin(f, 2.0);
	charge(f, 22, 1.0, 1, 1.0);
	finish(f);
	assert_string_equal(str(pod(f, UB), "state"), "running");
	ctrs = json_object_get(pod(f, UB), "containers");
	assert_int_equal(json_array_size(ctrs), 2);
	assert_string_equal(str(find(ctrs, "id", ID3), "state"), "terminated");
	assert_string_equal(str(find(ctrs, "id", ID5), "state"), "running");
	assert_string_equal(str(find(ctrs, "id", ID5), "name"), "cart");
	for (int i = 0; i < 16; i++) {
		begin(f, 2.0);
		finish(f);
	}
	ctrs = json_object_get(pod(f, UB), "containers");
	assert_int_equal(json_array_size(ctrs), 1);
	assert_string_equal(str(json_array_get(ctrs, 0), "id"), ID5);
}

static void workloads__label__cgroups__names(void **state)
{
	struct fx *f = *state;
	const char *ns, *p, *c;

	run_all(f, 1);
	workloads__label(f->w, 11, &ns, &p, &c);
	assert_string_equal(ns, "shop");
	assert_string_equal(p, "web-0");
	assert_string_equal(c, "nginx");
	workloads__label(f->w, 21, &ns, &p, &c); /* conmon */
	assert_string_equal(p, "cart-1");
	assert_null(c);
	workloads__label(f->w, 13, &ns, &p, &c); /* pause */
	assert_string_equal(p, "web-0");
	assert_null(c);
	workloads__label(f->w, 40, &ns, &p, &c);
	assert_null(ns);
	assert_null(p);
	workloads__label(f->w, 60, &ns, &p, &c);
	assert_null(ns);
	assert_null(p);
	assert_null(c);
	workloads__label(f->w, 12345, &ns, &p, &c);
	assert_null(p);
}

/* A cgroup whose path is not known yet is placed again once it is. */
static void workloads__update__path_late__placed(void **state)
{
	struct fx *f = *state;
	struct cgroup_account *c = cg_add(f, 70, NULL);

	begin(f, 2.0);
	charge(f, 70, 1.0, 0, 0);
	finish(f);
	assert_close(num(find(json_object_get(f->doc, "system"), "name", "unknown"),
			 "cpu_seconds_total"),
		     1.0);
	c->path = strdup(POD_C "/docker-" ID4 ".scope");
	begin(f, 2.0);
	charge(f, 70, 2.0, 0, 0);
	finish(f);
	assert_close(num(pod(f, UC), "cpu_seconds_total"), 2.0);
	assert_string_equal(str(pod(f, UC), "state"), "running");
}

/* Pods come and go faster than --retain: the terminated ones are capped. */
static void workloads__update__pod_churn__bounded(void **state)
{
	struct fx *f = *state;
	struct workloads_stats st;
	char path[256];

	f->o.retain_s = 1e9;
	workloads__free(f->w);
	assert_int_equal(workloads__new(&f->w, &f->o), 0);
	for (int i = 0; i < 3000; i++) {
		__u64 id = 1000 + i;

		snprintf(path, sizeof(path),
			 "/kubepods/besteffort/pod%08x-0000-4000-8000-%012x/%064x", i, i, i);
		cg_add(f, id, path);
		begin(f, 1.0);
		charge(f, id, 0.1, 1, 0.1);
		if (i > 0)
			cg(f, id - 1)->gone = true;
		finish(f);
	}
	workloads__stats(f->w, &st);
	/* the cap, the live pod, and the one that went in the last interval */
	if (st.pods > WL_MAX_TERMINATED_PODS + 2)
		fail_msg("%zu pods kept", st.pods);
	assert_true(st.pods >= WL_MAX_TERMINATED_PODS);
	assert_true(st.cgroups <= 3);
	assert_int_equal(json_array_size(json_object_get(f->doc, "pods")), st.pods);
}

/* The document names a process by its cgroup, asking workloads; and lists the counters by slot. */
static void document__build__process_in_container__named(void **state)
{
	static const struct counter_def cpu_clock = { "cpu-clock" };
	const struct counter_def *slots[] = { &cpu_clock };
	struct fx *f = *state;
	struct wl_proc kv = {
		.usage.cpu_ns = 250000000, .cgroup_id = 11, .start_ns = 5, .comm = "nginx"
	};
	struct node_cpu cpu = { 0 };
	struct wl_stats stats = { 0 };
	struct collection col = { .interval_s = 2.0, .cpu = &cpu, .acc = &f->acc, .stats = &stats };
	struct histogram durations = { 0 };
	struct agent_status agent = {
		.version = "test", .durations = &durations, .counters = slots, .nr_counters = 1
	};
	struct document_input in = { .opt = &f->o,
				     .collection = &col,
				     .attribution = &f->at,
				     .workloads = f->w,
				     .agent = &agent };
	json_t *doc, *p;

	run_all(f, 1);
	assert_int_equal(accounts__proc(&f->acc, 4242, &kv, false), 0);
	doc = document__build(&in);
	p = find(json_object_get(doc, "processes"), "comm", "nginx");
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "pid")), 4242);
	assert_string_equal(str(p, "namespace"), "shop");
	assert_string_equal(str(p, "pod"), "web-0");
	assert_string_equal(str(p, "container"), "nginx");
	assert_close(num(p, "cpu_seconds_total"), 0.25);
	assert_close(num(p, "cpu_cores"), 0.125);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(doc, "agent"), "counters"), 0)),
			    "cpu-clock");
	json_decref(doc);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(workloads__update__mixed_cgroups__levels_sum),
		T(workloads__update__pod_without_logs__unknown),
		T(workloads__update__names_rescans__bounded),
		T(workloads__update__pod_gone__terminated_then_removed),
		T(workloads__update__pod_expired__carbon_kept),
		T(workloads__update__cgroup_dropped__terminated),
		T(workloads__update__container_restart__old_terminated),
		T(workloads__label__cgroups__names),
		T(workloads__update__path_late__placed),
		T(workloads__update__pod_churn__bounded),
		T(document__build__process_in_container__named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
