// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fuzz-sources: user/k8s_path.c
/*
 * k8s_path__parse on arbitrary paths: no crash, and whatever it returns is
 * well-formed and really in the path (a uid the path spells, under systemd
 * with '_'; a container id the path holds).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "k8s_path.h"

static int holds_uid(const char *path, const char *uid)
{
	char alt[K8S_UID_MAX + 1];

	strcpy(alt, uid);
	for (char *p = alt; *p; p++)
		if (*p == '-')
			*p = '_';
	return strstr(path, uid) || strstr(path, alt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1), top[256];
	struct k8s_ident id;
	enum k8s_kind kind;

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	kind = k8s_path__parse(path, &id);
	if (kind != id.kind)
		abort();
	if (kind >= K8S_KIND_POD) {
		if (!k8s_path__valid_uid(id.pod_uid, strlen(id.pod_uid), '-') ||
		    !holds_uid(path, id.pod_uid))
			abort();
	} else if (id.pod_uid[0]) {
		abort();
	}
	if (kind == K8S_KIND_CONTAINER || kind == K8S_KIND_HELPER) {
		if (!k8s_path__valid_id(id.container_id, strlen(id.container_id)) ||
		    !strstr(path, id.container_id))
			abort();
	} else if (id.container_id[0]) {
		abort();
	}
	k8s_path__top(path, top, sizeof(top));
	if (!top[0])
		abort();
	free(path);
	return 0;
}
