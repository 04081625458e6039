/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The grid carbon intensity in force: a static --carbon-intensity, or a
 * small JSON file (--carbon-intensity-file, typically a ConfigMap written
 * by a CronJob from a grid-intensity API) re-read whenever it changes:
 *
 *   {"grams_per_kwh": 231.5, "timestamp": "2026-05-01T12:00:00Z", "source": "..."}
 *
 * grams_per_kwh is required (gCO2e/kWh, 0..10000); timestamp (RFC 3339, or
 * unix seconds as a number) and source (text) are optional; other keys are
 * ignored. A value older than max_age (by its timestamp, else by the file's
 * mtime) is still used, but flagged stale; so is a --carbon-intensity value
 * standing in for a file that was never read well. A file that cannot be
 * read or parsed leaves the last good value in force, with one warning per
 * bad version of the file, counted in errors.
 */
#ifndef __WATTLET_INTENSITY_H
#define __WATTLET_INTENSITY_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define INTENSITY_MAX_GRAMS_PER_KWH 10000.0
#define INTENSITY_MAX_FILE_BYTES    65536

/* One value of the grid's intensity and where it came from. */
struct intensity_value {
	double grams_per_kwh;
	double timestamp;   /* unix seconds the value is for; the file's mtime without one */
	bool has_timestamp; /* timestamp came from the file's contents */
	char source[128];   /* the file's "source", or "--carbon-intensity" */
};

/* What the document and the gauges show for an interval. */
struct intensity_state {
	bool enabled; /* a value is in force (static or file) */
	bool from_file;
	struct intensity_value value;
	double age_s; /* now - value.timestamp (>= 0); 0 for a static value */
	bool stale;   /* age_s > max_age_s, or a stand-in for the file */
	double max_age_s;
	unsigned long long reloads; /* good versions of the file read since start */
	unsigned long long errors;  /* versions of the file that could not be used */
};

/* The identity of one version of the file: a ConfigMap swap changes the inode. */
struct intensity_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	long long mtime_ns, ctime_ns;
};

struct intensity {
	char path[PATH_MAX]; /* "": static value only */
	double max_age_s;
	bool loaded; /* value holds a good reading */
	struct intensity_value value;
	struct intensity_file_id seen; /* the version last looked at, good or bad */
	bool seen_any;
	bool missing; /* the file was absent at the last look */
	unsigned long long reloads, errors;
};

/*
 * Set up from the options: path ("" or NULL for none), max_age_s, and
 * static_g (--carbon-intensity, < 0 for none). With a file, it is read now:
 * when it is unusable and there is no static value, one line says why and
 * -errno returns; with a static value, that stays in force until the file
 * is good. Returns 0 otherwise (also when neither is set: carbon is off).
 */
int intensity__init(struct intensity *it, const char *path, double max_age_s, double static_g);
/* Re-read the file if it changed (one stat per call). */
void intensity__refresh(struct intensity *it);
/* The value in force at unix time now, with its age and staleness. */
void intensity__state(const struct intensity *it, double now, struct intensity_state *out);

/*
 * Parse one version of the file's text. 0, or -EINVAL with why filled.
 * Exposed for the tests and the fuzzer.
 */
int intensity__parse(const char *text, size_t len, struct intensity_value *out, char *why,
		     size_t why_size);
/* RFC 3339 ("2026-05-01T12:00:00.5+02:00") to unix seconds. 0 or -EINVAL. */
int intensity__parse_time(const char *s, double *out);

#endif /* __WATTLET_INTENSITY_H */
