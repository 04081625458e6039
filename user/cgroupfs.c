// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup v2 discovery. A cgroup's id is the inode number of its directory
 * in cgroup2 (kernfs node id), the same number BPF reads from kn->id.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include "cgroupfs.h"
#include "util.h"

#define MAX_DEPTH	32
/* kernfs numbers a hierarchy's root node 1: the root cgroup's id, its directory's inode */
#define ROOT_CGROUP_INO 1

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static int unescape(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Field n (0-based, space separated) of a line, or NULL. */
static const char *field(const char *line, const char *end, int n, size_t *len)
{
	const char *p = line, *q;

	for (int i = 0; i < n; i++) {
		p = memchr(p, ' ', end - p);
		if (!p)
			return NULL;
		p++;
	}
	q = memchr(p, ' ', end - p);
	*len = (q ? q : end) - p;
	return p;
}

/* Whether the comma-separated list s (len bytes) holds word. */
static bool lists(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = s, *end = s + len; p < end;) {
		const char *comma = memchr(p, ',', end - p);
		size_t n = (comma ? comma : end) - p;

		if (n == wl && !strncmp(p, word, wl))
			return true;
		p += n + 1;
	}
	return false;
}

/*
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER"
 * The mount point is field 4; at least six fields stand before the " - ".
 * With controller, the super options must name it too (a cgroup v1 hierarchy).
 */
static int parse_line(const char *line, const char *end, const char *type, const char *controller,
		      char *out, size_t size)
{
	const char *dash = NULL, *mnt, *fstype, *super;
	size_t mlen, flen, slen;

	for (const char *p = line; p + 3 <= end; p++) {
		if (p[0] == ' ' && p[1] == '-' && p[2] == ' ') {
			dash = p;
			break;
		}
	}
	if (!dash || !field(line, dash, 5, &mlen))
		return -ENOENT;
	fstype = field(dash + 3, end, 0, &flen);
	mnt = field(line, dash, 4, &mlen);
	if (!fstype || !mnt || !mlen || flen != strlen(type) || strncmp(fstype, type, flen))
		return -ENOENT;
	super = field(dash + 3, end, 2, &slen);
	if (controller && (!super || !lists(super, slen, controller)))
		return -ENOENT;
	return unescape(mnt, mlen, out, size);
}

/* The first mount parse_line accepts whose mount point starts with near ("": any). */
static int find_mount(const char *text, const char *fstype, const char *controller,
		      const char *near, char *out, size_t size)
{
	const char *line = text, *end;

	while (*line) {
		int err;

		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		err = parse_line(line, end, fstype, controller, out, size);
		if (err != -ENOENT && (err || !strncmp(out, near, strlen(near))))
			return err;
		line = *end ? end + 1 : end;
	}
	return -ENOENT;
}

int cgroupfs__find_mount(const char *text, const char *fstype, char *out, size_t size)
{
	return find_mount(text, fstype, NULL, "", out, size);
}

int cgroupfs__parse_mountinfo_v1(const char *text, const char *controller, const char *near,
				 char *out, size_t size)
{
	int err = find_mount(text, "cgroup", controller, near, out, size);

	return err == -ENOENT && *near ? find_mount(text, "cgroup", controller, "", out, size) :
					 err;
}

int cgroupfs__parse_mountinfo(const char *text, char *out, size_t size)
{
	return cgroupfs__find_mount(text, "cgroup2", out, size);
}

int cgroupfs__check_root(const char *path, char *why, size_t size)
{
	struct statfs sfs;
	struct stat st;

	if (statfs(path, &sfs) || stat(path, &st)) {
		int err = -errno;

		snprintf(why, size, "%s", strerror(-err));
		return err;
	}
	if (sfs.f_type == CGROUP_SUPER_MAGIC) {
		snprintf(why, size, "a cgroup v1 hierarchy, not cgroup2");
		return -EINVAL;
	}
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(why, size, "not a cgroup2 mount");
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, size, "not a directory");
		return -ENOTDIR;
	}
	if (st.st_ino != ROOT_CGROUP_INO) {
		snprintf(why, size, "cgroup %llu, not the root of cgroup2 (%d)",
			 (unsigned long long)st.st_ino, ROOT_CGROUP_INO);
		return -EINVAL;
	}
	return 0;
}

static int read_file(const char *path, char **out)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f || !buf) {
		int err = f ? -ENOMEM : -errno;

		free(buf);
		if (f)
			fclose(f);
		return err;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
	}
	buf[len] = '\0';
	fclose(f);
	*out = buf;
	return 0;
}

/*
 * Only the root of a cgroup2 hierarchy names every cgroup right: a v1
 * hierarchy has other ids, another filesystem (/tmp) would be walked for
 * nothing every interval, a cgroup below the root (or /) mislabels paths.
 */
static int open_given(struct cgroupfs *fs, const char *root, char *why, size_t size)
{
	char reason[128];
	int err = cgroupfs__check_root(root, reason, sizeof(reason));

	if (err) {
		snprintf(why, size,
			 "--cgroup-root %s: %s; want where cgroup v2 is mounted "
			 "(/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts)",
			 root, reason);
		return err;
	}
	snprintf(fs->root, sizeof(fs->root), "%s", root);
	return 0;
}

static int open_found(struct cgroupfs *fs, char *why, size_t size)
{
	char *text = NULL;
	int err;

	err = read_file("/proc/self/mountinfo", &text);
	if (!err) {
		err = cgroupfs__parse_mountinfo(text, fs->root, sizeof(fs->root));
		free(text);
	}
	if (err)
		snprintf(why, size,
			 "no cgroup v2 mount found (%s): mount cgroup2, or pass "
			 "--cgroup-root",
			 strerror(-err));
	return err;
}

int cgroupfs__open(struct cgroupfs *fs, const char *root, char *why, size_t size)
{
	int err;

	memset(fs, 0, sizeof(*fs));
	err = root && *root ? open_given(fs, root, why, size) : open_found(fs, why, size);
	if (err)
		return err;
	err = cgroupfs__refresh(fs);
	if (err)
		snprintf(why, size, "cannot read the cgroup tree at %s: %s", fs->root,
			 strerror(-err));
	return err;
}

int cgroupfs__v1_mount(const char *controller, const char *near, char *out, size_t size)
{
	char *text = NULL;
	int err;

	err = read_file("/proc/self/mountinfo", &text);
	if (err)
		return err;
	err = cgroupfs__parse_mountinfo_v1(text, controller, near, out, size);
	free(text);
	return err;
}

static void clear(struct idmap *m)
{
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(m, &pos, &key, &val))
		free(val);
	idmap__free(m);
}

static void walk(struct idmap *m, int dirfd, char *rel, size_t len, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (fstat(dirfd, &st) == 0) {
		char *p = strdup(len ? rel : "/");

		if (p && idmap__put(m, st.st_ino, p))
			free(p);
	}
	if (depth >= MAX_DEPTH)
		goto out_close;
	d = fdopendir(dirfd);
	if (!d)
		goto out_close;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len + n + 2 > PATH_MAX)
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		rel[len] = '/';
		memcpy(rel + len + 1, de->d_name, n + 1);
		walk(m, fd, rel, len + n + 1, depth + 1);
		rel[len] = '\0';
	}
	closedir(d);
	return;
out_close:
	close(dirfd);
}

int cgroupfs__refresh(struct cgroupfs *fs)
{
	char rel[PATH_MAX] = "";
	struct idmap fresh = { 0 };
	int fd = open(fs->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	walk(&fresh, fd, rel, 0, 0);
	clear(&fs->paths);
	fs->paths = fresh;
	fs->last_walk = monotonic_s();
	fs->walks++;
	return 0;
}

const char *cgroupfs__path(const struct cgroupfs *fs, __u64 id)
{
	return idmap__get(&fs->paths, id);
}

void cgroupfs__close(struct cgroupfs *fs)
{
	if (fs)
		clear(&fs->paths);
}
