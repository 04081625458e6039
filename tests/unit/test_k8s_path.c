// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* k8s_path: the cgroup path shapes the kubelet and the runtimes make, and near misses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "k8s_path.h"
#include "util.h"

#define U    "0f3c8a2e-5b1d-4c7e-9a6f-2d8e1b4c7a90"
#define U_   "0f3c8a2e_5b1d_4c7e_9a6f_2d8e1b4c7a90"
#define S    "6f1c2a3b4d5e6f708192a3b4c5d6e7f8" /* static pod: config hash */
#define ID   "4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define ID2  "aa1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1ff"
#define ID63 "4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f"

#define SD_BU "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" U_ ".slice"
#define SD_BE "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" U_ ".slice"
#define SD_GU "/kubepods.slice/kubepods-pod" U_ ".slice"

enum {
	NONE = K8S_KIND_NONE,
	UNKNOWN = K8S_KIND_UNKNOWN,
	POD = K8S_KIND_POD,
	CTR = K8S_KIND_CONTAINER,
	HELPER = K8S_KIND_HELPER
};
enum { SYSTEMD = K8S_DRIVER_SYSTEMD, CGROUPFS = K8S_DRIVER_CGROUPFS };
enum { GU = K8S_QOS_GUARANTEED, BU = K8S_QOS_BURSTABLE, BE = K8S_QOS_BESTEFFORT };
enum {
	RT_ANY = K8S_RUNTIME_UNKNOWN,
	CONTAINERD = K8S_RUNTIME_CONTAINERD,
	CRIO = K8S_RUNTIME_CRIO,
	DOCKER = K8S_RUNTIME_DOCKER
};

struct path_case {
	const char *path;
	int kind, driver, qos, runtime;
	const char *uid, *id;
};

static const struct path_case cases[] = {
	/* systemd driver */
	{ SD_BU "/cri-containerd-" ID ".scope", CTR, SYSTEMD, BU, CONTAINERD, U, ID },
	{ SD_BE "/crio-" ID ".scope", CTR, SYSTEMD, BE, CRIO, U, ID },
	{ SD_GU "/crio-conmon-" ID ".scope", HELPER, SYSTEMD, GU, CRIO, U, ID },
	{ SD_BU "/docker-" ID ".scope", CTR, SYSTEMD, BU, DOCKER, U, ID },
	{ SD_BE "/crio-" ID ".scope/container", CTR, SYSTEMD, BE, CRIO, U, ID },
	{ SD_BU, POD, SYSTEMD, BU, RT_ANY, U, "" },
	{ SD_GU, POD, SYSTEMD, GU, RT_ANY, U, "" },
	{ SD_BU "/", POD, SYSTEMD, BU, RT_ANY, U, "" },
	{ SD_BU "/init.scope", POD, SYSTEMD, BU, RT_ANY, U, "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" S
	  ".slice/cri-containerd-" ID ".scope",
	  CTR, SYSTEMD, BU, CONTAINERD, S, ID },
	{ "/kubepods.slice/kubepods-burstable.slice", NONE, SYSTEMD, BU, RT_ANY, "", "" },
	{ "/kubepods.slice", NONE, SYSTEMD, 0, RT_ANY, "", "" },
	/* kind: kubelet --cgroup-root=/kubelet shows in every slice name */
	{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod" U_ ".slice/cri-containerd-" ID ".scope",
	  CTR, SYSTEMD, BE, CONTAINERD, U, ID },
	/* a node that runs in a container */
	{ "/docker/" ID2 "/kubepods.slice/kubepods-pod" U_ ".slice/docker-" ID ".scope", CTR,
	  SYSTEMD, GU, DOCKER, U, ID },
	/* cgroupfs driver */
	{ "/kubepods/besteffort/pod" U "/" ID, CTR, CGROUPFS, BE, RT_ANY, U, ID },
	{ "/kubepods/burstable/pod" U "/" ID, CTR, CGROUPFS, BU, RT_ANY, U, ID },
	{ "/kubepods/pod" U "/" ID, CTR, CGROUPFS, GU, RT_ANY, U, ID },
	{ "/kubepods/burstable/pod" U "/crio-" ID, CTR, CGROUPFS, BU, CRIO, U, ID },
	{ "/kubepods/burstable/pod" U "/crio-conmon-" ID, HELPER, CGROUPFS, BU, CRIO, U, ID },
	{ "/kubepods/burstable/pod" U, POD, CGROUPFS, BU, RT_ANY, U, "" },
	{ "/kubepods/pod" S "/" ID, CTR, CGROUPFS, GU, RT_ANY, S, ID },
	{ "/kubepods/burstable", NONE, CGROUPFS, BU, RT_ANY, "", "" },
	{ "/kubepods", NONE, CGROUPFS, 0, RT_ANY, "", "" },
	{ "/kubelet/kubepods/besteffort/pod" U "/" ID, CTR, CGROUPFS, BE, RT_ANY, U, ID },
	{ "/docker/" ID2 "/kubepods/burstable/pod" U "/" ID, CTR, CGROUPFS, BU, RT_ANY, U, ID },
	{ "//kubepods//besteffort//pod" U "//" ID "/", CTR, CGROUPFS, BE, RT_ANY, U, ID },
	/* a pod nested in a pod (kind in a pod) belongs to the outer, this node's, pod */
	{ "/kubepods/burstable/pod" U "/" ID "/kubepods/besteffort/pod"
	  "11111111-2222-3333-4444-555555555555/" ID2,
	  CTR, CGROUPFS, BU, RT_ANY, U, ID },
	/* outside kubepods */
	{ "/system.slice/containerd.service", NONE, 0, 0, RT_ANY, "", "" },
	{ "/system.slice/docker-" ID ".scope", NONE, 0, 0, RT_ANY, "", "" },
	{ "/user.slice/user-1000.slice/session-2.scope", NONE, 0, 0, RT_ANY, "", "" },
	{ "/", NONE, 0, 0, RT_ANY, "", "" },
	{ "", NONE, 0, 0, RT_ANY, "", "" },
	{ "/xkubepods.slice/xkubepods-pod" U_ ".slice", NONE, 0, 0, RT_ANY, "", "" },
	{ "/-kubepods.slice/-kubepods-pod" U_ ".slice", NONE, 0, 0, RT_ANY, "", "" },
	{ "/kubepods-burstable.slice/kubepods-burstable-pod" U_ ".slice", NONE, 0, 0, RT_ANY, "",
	  "" },
	/* malformed below kubepods: unknown, never a pod */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" U ".slice", UNKNOWN,
	  SYSTEMD, BU, RT_ANY, "", "" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-burstable-pod" U_ ".slice/crio-" ID
	  ".scope",
	  UNKNOWN, SYSTEMD, BE, RT_ANY, "", "" },
	{ "/kubepods.slice/kubepods-burstable-pod" U_ ".slice", UNKNOWN, SYSTEMD, GU, RT_ANY, "",
	  "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod.slice", UNKNOWN, SYSTEMD,
	  BU, RT_ANY, "", "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" U_, UNKNOWN, SYSTEMD,
	  BU, RT_ANY, "", "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	  "0F3C8A2E_5B1D_4C7E_9A6F_2D8E1B4C7A90.slice",
	  UNKNOWN, SYSTEMD, BU, RT_ANY, "", "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	  "0f3c8a2e_5b1d_4c7e_9a6f_2d8e1b4c7a9.slice",
	  UNKNOWN, SYSTEMD, BU, RT_ANY, "", "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	  "0f3c8a2e5_b1d_4c7e_9a6f_2d8e1b4c7a90.slice",
	  UNKNOWN, SYSTEMD, BU, RT_ANY, "", "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" U_ "x.slice", UNKNOWN,
	  SYSTEMD, BU, RT_ANY, "", "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" U_ ".slicex", UNKNOWN,
	  SYSTEMD, BU, RT_ANY, "", "" },
	{ "/kubepods/besteffort/pod" U_ "/" ID, UNKNOWN, CGROUPFS, BE, RT_ANY, "", "" },
	{ "/kubepods/besteffort/" U "/" ID, UNKNOWN, CGROUPFS, BE, RT_ANY, "", "" },
	{ "/kubepods/besteffort/pod" U "0/" ID, UNKNOWN, CGROUPFS, BE, RT_ANY, "", "" },
	{ "/kubepods/besteffort/pod/" ID, UNKNOWN, CGROUPFS, BE, RT_ANY, "", "" },
	{ "/kubepods/guaranteed/pod" U "/" ID, UNKNOWN, CGROUPFS, GU, RT_ANY, "", "" },
	/* the pod is right, the container is not one: the pod's own */
	{ SD_BU "/cri-containerd-" ID63 ".scope", POD, SYSTEMD, BU, RT_ANY, U, "" },
	{ SD_BU "/cri-containerd-" ID "0.scope", POD, SYSTEMD, BU, RT_ANY, U, "" },
	{ SD_BU "/cri-containerd-" ID, POD, SYSTEMD, BU, RT_ANY, U, "" },
	{ SD_BU "/" ID, POD, SYSTEMD, BU, RT_ANY, U, "" },
	{ SD_BU "/containerd-" ID ".scope", POD, SYSTEMD, BU, RT_ANY, U, "" },
	{ SD_BU "/crio-"
		"4F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0"
		".scope",
	  POD, SYSTEMD, BU, RT_ANY, U, "" },
	{ "/kubepods/burstable/pod" U "/" ID63, POD, CGROUPFS, BU, RT_ANY, U, "" },
	{ "/kubepods/burstable/pod" U "/cri-containerd-" ID ".scope", POD, CGROUPFS, BU, RT_ANY, U,
	  "" },
};

static void k8s_path__parse__table__matches(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct path_case *c = &cases[i];
		struct k8s_ident id;
		int kind = k8s_path__parse(c->path, &id);
		char what[1024];

		snprintf(what, sizeof(what), "case %zu: %s", i, c->path);
		if (kind != c->kind || (int)id.kind != c->kind || (int)id.driver != c->driver ||
		    (int)id.qos != c->qos || (int)id.runtime != c->runtime ||
		    strcmp(id.pod_uid, c->uid) || strcmp(id.container_id, c->id))
			fail_msg("%s: got kind %s driver %s qos %s runtime %s uid '%s' id '%s'",
				 what, k8s_kind__name(kind), k8s_driver__name(id.driver),
				 k8s_qos__name(id.qos), k8s_runtime__name(id.runtime), id.pod_uid,
				 id.container_id);
	}
}

static void k8s_path__parse__null__none(void **state)
{
	struct k8s_ident id;

	assert_int_equal(k8s_path__parse(NULL, &id), K8S_KIND_NONE);
	assert_string_equal(id.pod_uid, "");
}

/* Every prefix of a valid path is a valid, shorter path or unknown: never another pod. */
static void k8s_path__parse__truncated__never_other_pod(void **state)
{
	const char *full = SD_BU "/cri-containerd-" ID ".scope";
	char buf[512];

	for (size_t n = 0; n <= strlen(full); n++) {
		struct k8s_ident id;

		memcpy(buf, full, n);
		buf[n] = '\0';
		k8s_path__parse(buf, &id);
		if (id.pod_uid[0])
			assert_string_equal(id.pod_uid, U);
		if (id.container_id[0])
			assert_string_equal(id.container_id, ID);
	}
}

static void k8s_path__valid_uid__shapes__checked(void **state)
{
	assert_true(k8s_path__valid_uid(U, strlen(U), '-'));
	assert_true(k8s_path__valid_uid(U_, strlen(U_), '_'));
	assert_true(k8s_path__valid_uid(S, strlen(S), '-'));
	assert_false(k8s_path__valid_uid(U, strlen(U), '_'));
	assert_false(k8s_path__valid_uid(U_, strlen(U_), '-'));
	assert_false(k8s_path__valid_uid(U, strlen(U) - 1, '-'));
	assert_false(k8s_path__valid_uid("", 0, '-'));
	assert_false(k8s_path__valid_uid("0f3c8a2e-5b1d-4c7e-9a6f-2d8e1b4c7a9g", 36, '-'));
	assert_false(k8s_path__valid_uid("0f3c8a2e-5b1d-4c7e-9a6f-2d8e-b4c7a90", 36, '-'));
}

static void k8s_path__top__paths__first_component(void **state)
{
	char buf[64];

	k8s_path__top("/system.slice/containerd.service", buf, sizeof(buf));
	assert_string_equal(buf, "system.slice");
	k8s_path__top("/", buf, sizeof(buf));
	assert_string_equal(buf, "/");
	k8s_path__top("", buf, sizeof(buf));
	assert_string_equal(buf, "/");
	k8s_path__top("/init.scope", buf, sizeof(buf));
	assert_string_equal(buf, "init.scope");
	k8s_path__top(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "unknown");
	k8s_path__top("/abcdefgh/x", buf, 4);
	assert_string_equal(buf, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(k8s_path__parse__table__matches),
		cmocka_unit_test(k8s_path__parse__null__none),
		cmocka_unit_test(k8s_path__parse__truncated__never_other_pod),
		cmocka_unit_test(k8s_path__valid_uid__shapes__checked),
		cmocka_unit_test(k8s_path__top__paths__first_component),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
