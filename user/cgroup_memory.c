// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Memory charged to a cgroup, less its children: cgroup2, or the v1 memory hierarchy. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup_memory.h"

/* Whether the space-separated list in file names word. */
static bool lists(const char *file, const char *word)
{
	char buf[512], *tok, *save = NULL;
	ssize_t n;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

void cgroup_memory__open(struct cgroup_memory *cm, const char *v2_root, const char *v1_root)
{
	char path[PATH_MAX];

	memset(cm, 0, sizeof(*cm));
	snprintf(path, sizeof(path), "%s/cgroup.controllers", v2_root ? v2_root : "");
	if (v2_root && *v2_root && lists(path, "memory")) {
		cm->source = CGROUP_MEMORY_V2;
		snprintf(cm->root, sizeof(cm->root), "%s", v2_root);
		cm->file = "memory.current";
		snprintf(cm->why, sizeof(cm->why), "cgroup memory from memory.current in %s",
			 v2_root);
	} else if (v1_root && *v1_root) {
		cm->source = CGROUP_MEMORY_V1;
		snprintf(cm->root, sizeof(cm->root), "%s", v1_root);
		cm->file = "memory.usage_in_bytes";
		snprintf(cm->why, sizeof(cm->why),
			 "cgroup2 has no memory controller here: cgroup memory from the v1 "
			 "memory hierarchy at %s, same paths",
			 v1_root);
	} else {
		cm->source = CGROUP_MEMORY_NONE;
		snprintf(cm->why, sizeof(cm->why),
			 "no memory controller in cgroup2 nor v1: no cgroup memory figures");
	}
}

/* One unsigned decimal number in file name below dirfd. */
static int read_u64_at(int dirfd, const char *name, __u64 *val)
{
	char buf[32], *end;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || errno)
		return -EIO;
	return 0;
}

/* The sum of the file's figure over the child cgroups of the open directory. */
static __u64 children_sum(int dirfd, const char *file)
{
	struct dirent *de;
	__u64 sum = 0, v;
	int fd, child;
	DIR *d;

	fd = dup(dirfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		child = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (child < 0)
			continue;
		if (!read_u64_at(child, file, &v))
			sum += v;
		close(child);
	}
	closedir(d);
	return sum;
}

int cgroup_memory__own(const struct cgroup_memory *cm, const char *rel, __u64 *bytes)
{
	char path[PATH_MAX];
	__u64 total, children;
	int dirfd, err;

	if (cm->source == CGROUP_MEMORY_NONE || !rel || !strcmp(rel, "/") || !*rel)
		return -ENOENT;
	if (snprintf(path, sizeof(path), "%s%s", cm->root, rel) >= (int)sizeof(path))
		return -ENOENT;
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -ENOENT;
	err = read_u64_at(dirfd, cm->file, &total);
	if (!err) {
		children = children_sum(dirfd, cm->file);
		*bytes = total > children ? total - children : 0;
	}
	close(dirfd);
	return err ? -ENOENT : 0;
}

/* MemTotal - MemFree, in bytes: what the DIMMs hold for anyone. */
static int used_bytes(const char *meminfo_path, double *out)
{
	unsigned long long total = 0, free_kib = 0, v;
	bool got_total = false, got_free = false;
	char line[256];
	FILE *f;

	f = fopen(meminfo_path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu kB", &v) == 1)
			total = v, got_total = true;
		else if (sscanf(line, "MemFree: %llu kB", &v) == 1)
			free_kib = v, got_free = true;
	}
	fclose(f);
	if (!got_total || !got_free || free_kib > total)
		return -EIO;
	*out = (double)(total - free_kib) * 1024;
	return 0;
}

int memory_sample__take(struct memory_sample *out, const struct cgroup_memory *cm,
			const struct accounts *acc, const char *meminfo_path)
{
	const struct cgroup_account *cg;
	size_t pos = 0, n = 0;
	__u64 id, bytes;
	void *val;
	int err;

	idmap__free(&out->own);
	out->taken = false;
	if (cm->source == CGROUP_MEMORY_NONE)
		return 0;
	err = used_bytes(meminfo_path, &out->used_bytes);
	if (err)
		return err;
	if (out->cap < acc->cgroups.len) {
		__u64 *b = realloc(out->bytes, acc->cgroups.len * sizeof(*b));

		if (!b)
			return -ENOMEM;
		out->bytes = b;
		out->cap = acc->cgroups.len;
	}
	while (idmap__next(&acc->cgroups, &pos, &id, &val)) {
		cg = val;
		if (n == out->cap || cgroup_memory__own(cm, cg->path, &bytes))
			continue;
		out->bytes[n] = bytes;
		if (idmap__put(&out->own, id, &out->bytes[n]))
			return -ENOMEM;
		n++;
	}
	out->taken = n > 0;
	return 0;
}

bool memory_sample__own(const struct memory_sample *s, __u64 cgroup_id, double *bytes)
{
	const __u64 *b = s->taken ? idmap__get(&s->own, cgroup_id) : NULL;

	if (!b)
		return false;
	*bytes = (double)*b;
	return true;
}

void memory_sample__free(struct memory_sample *s)
{
	idmap__free(&s->own);
	free(s->bytes);
	*s = (struct memory_sample){ 0 };
}
