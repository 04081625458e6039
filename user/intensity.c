// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The grid intensity file: read when its identity (device, inode, size,
 * mtime, ctime, through the symlink) differs from the version last looked
 * at, which is how a ConfigMap update shows (kubelet swaps the ..data
 * symlink to a new directory), as is an in-place edit.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "intensity.h"

/* ---- parsing ---- */

static int __attribute__((format(printf, 3, 4))) fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "+02:00", "-0530", "Z" after the seconds: offset east of UTC in seconds. */
static int parse_zone(const char *s, long *offset)
{
	int hh, mm, n = 0;

	if ((s[0] == 'Z' || s[0] == 'z') && !s[1]) {
		*offset = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') ||
	    (sscanf(s + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 &&
	     sscanf(s + 1, "%2d%2d%n", &hh, &mm, &n) != 2) ||
	    s[1 + n] || hh > 23 || mm > 59)
		return -EINVAL;
	*offset = (hh * 3600L + mm * 60L) * (s[0] == '-' ? -1 : 1);
	return 0;
}

int intensity__parse_time(const char *s, double *out)
{
	struct tm tm = { 0 };
	double frac = 0;
	const char *p;
	long offset;
	char *end;

	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p || (*p != 'T' && *p != 't' && *p != ' '))
		return -EINVAL;
	p = strptime(p + 1, "%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		frac = strtod(p, &end);
		if (end == p + 1)
			return -EINVAL;
		p = end;
	}
	if (parse_zone(p, &offset))
		return -EINVAL;
	*out = (double)timegm(&tm) - offset + frac;
	return 0;
}

static int parse_timestamp(const json_t *ts, struct intensity_value *v, char *why, size_t size)
{
	if (!ts)
		return 0;
	if (json_is_number(ts) && json_number_value(ts) > 0 && isfinite(json_number_value(ts)))
		v->timestamp = json_number_value(ts);
	else if (!json_is_string(ts) || intensity__parse_time(json_string_value(ts), &v->timestamp))
		return fail(why, size, "timestamp is not RFC 3339 nor unix seconds");
	v->has_timestamp = true;
	return 0;
}

int intensity__parse(const char *text, size_t len, struct intensity_value *out, char *why,
		     size_t why_size)
{
	struct intensity_value v = { 0 };
	const json_t *g, *src;
	json_error_t jerr;
	json_t *doc;
	int err;

	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return fail(why, why_size, "not JSON: %s", jerr.text);
	err = fail(why, why_size, "want a JSON object with grams_per_kwh");
	g = json_object_get(doc, "grams_per_kwh");
	if (!json_is_object(doc) || !g)
		goto out_put;
	v.grams_per_kwh = json_number_value(g);
	if (!json_is_number(g) || !isfinite(v.grams_per_kwh) || v.grams_per_kwh < 0 ||
	    v.grams_per_kwh > INTENSITY_MAX_GRAMS_PER_KWH) {
		err = fail(why, why_size, "grams_per_kwh must be a number from 0 to 10000");
		goto out_put;
	}
	src = json_object_get(doc, "source");
	if (src && !json_is_string(src)) {
		err = fail(why, why_size, "source must be a string");
		goto out_put;
	}
	snprintf(v.source, sizeof(v.source), "%s", src ? json_string_value(src) : "");
	err = parse_timestamp(json_object_get(doc, "timestamp"), &v, why, why_size);
	if (!err)
		*out = v;
out_put:
	json_decref(doc);
	return err;
}

/* ---- the file ---- */

static void file_id(const struct stat *st, struct intensity_file_id *id)
{
	*id = (struct intensity_file_id){
		.dev = st->st_dev,
		.ino = st->st_ino,
		.size = st->st_size,
		.mtime_ns = st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec,
		.ctime_ns = st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec,
	};
}

static bool same_id(const struct intensity_file_id *a, const struct intensity_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* Read the open file (at most INTENSITY_MAX_FILE_BYTES) into buf. Length or -errno. */
static ssize_t read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size && (n = read(fd, buf + len, size - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len += n;
	}
	return len;
}

/*
 * Load the version of the file that is there now. The identity is taken
 * from the descriptor that was read, so a swap between stat and read is
 * seen at the next look. 0, or -errno with why filled.
 */
static int load(struct intensity *it, struct intensity_file_id *id, char *why, size_t size)
{
	char *buf = malloc(INTENSITY_MAX_FILE_BYTES + 1);
	struct intensity_value v;
	struct stat st;
	ssize_t len;
	int fd, err;

	if (!buf)
		return -ENOMEM;
	fd = open(it->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		snprintf(why, size, "cannot read %s: %s", it->path, strerror(-err));
		goto out_close;
	}
	file_id(&st, id);
	len = read_all(fd, buf, INTENSITY_MAX_FILE_BYTES + 1);
	err = len < 0 ? (int)len : len > INTENSITY_MAX_FILE_BYTES ? -EFBIG : 0;
	if (err) {
		snprintf(why, size, "cannot read %s: %s", it->path,
			 err == -EFBIG ? "larger than 64 KiB" : strerror(-err));
		goto out_close;
	}
	err = intensity__parse(buf, len, &v, why, size);
	if (!err) {
		if (!v.has_timestamp)
			v.timestamp = st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
		it->value = v;
		it->loaded = true;
	}
out_close:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

/* Look at the file once: reload a new version, count and warn a bad one. */
static int look(struct intensity *it, bool quiet)
{
	struct intensity_file_id id;
	char why[PATH_MAX + 256];
	struct stat st;
	int err;

	if (stat(it->path, &st)) {
		err = -errno;
		if (!it->missing) {
			it->missing = true;
			it->errors++;
			if (!quiet)
				fprintf(stderr,
					"wattlet: carbon intensity: cannot read %s: %s; "
					"keeping %g gCO2e/kWh\n",
					it->path, strerror(-err), it->value.grams_per_kwh);
		}
		return err;
	}
	file_id(&st, &id);
	if (it->seen_any && !it->missing && same_id(&id, &it->seen))
		return 0;
	it->missing = false;
	err = load(it, &id, why, sizeof(why));
	it->seen = id;
	it->seen_any = true;
	if (!err) {
		it->reloads++;
		return 0;
	}
	it->errors++;
	if (!quiet)
		fprintf(stderr, "wattlet: carbon intensity: %s; keeping %g gCO2e/kWh\n", why,
			it->value.grams_per_kwh);
	return err;
}

int intensity__init(struct intensity *it, const char *path, double max_age_s, double static_g)
{
	char why[PATH_MAX + 256];
	struct intensity_file_id id;
	int err;

	memset(it, 0, sizeof(*it));
	it->max_age_s = max_age_s;
	if (static_g >= 0) {
		it->value.grams_per_kwh = static_g;
		snprintf(it->value.source, sizeof(it->value.source), "--carbon-intensity");
		it->loaded = true;
	}
	if (!path || !*path)
		return 0;
	snprintf(it->path, sizeof(it->path), "%s", path);
	if (static_g >= 0) {
		look(it, false); /* the static value stands in until the file is good */
		return 0;
	}
	err = load(it, &id, why, sizeof(why));
	if (err) {
		fprintf(stderr, "wattlet: --carbon-intensity-file: %s\n", why);
		return err == -EINVAL || err == -EFBIG ? -EINVAL : err;
	}
	it->seen = id;
	it->seen_any = true;
	it->reloads = 1;
	return 0;
}

void intensity__refresh(struct intensity *it)
{
	if (it->path[0])
		look(it, false);
}

void intensity__state(const struct intensity *it, double now, struct intensity_state *out)
{
	*out = (struct intensity_state){
		.enabled = it->loaded,
		.from_file = it->path[0] != '\0',
		.value = it->value,
		.max_age_s = it->max_age_s,
		.reloads = it->reloads,
		.errors = it->errors,
	};
	if (!out->from_file || !it->loaded)
		return;
	/* a --carbon-intensity stand-in for a file never read well is flagged too */
	if (!it->reloads) {
		out->stale = true;
		return;
	}
	out->age_s = fmax(now - it->value.timestamp, 0);
	out->stale = out->age_s > it->max_age_s;
}
