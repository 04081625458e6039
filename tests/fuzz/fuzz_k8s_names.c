// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fuzz-sources: user/k8s_names.c user/k8s_path.c
/*
 * The kubelet log-dir name parsers on arbitrary names: no crash, and an
 * accepted name is exactly what its parts spell (nothing skipped or guessed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k8s_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1), back[1024];
	struct k8s_pod_entry p;
	struct k8s_ctr_entry c;

	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	if (!k8s_names__parse_pod_dir(name, &p)) {
		snprintf(back, sizeof(back), "%s_%s_%s", p.ns, p.name, p.uid);
		if (strcmp(back, name))
			abort();
	}
	if (!k8s_names__parse_container_log(name, &c)) {
		snprintf(back, sizeof(back), "%s_%s_%s-%s.log", c.pod, c.ns, c.name, c.id);
		if (strcmp(back, name))
			abort();
	}
	free(name);
	return 0;
}
