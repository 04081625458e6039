// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hwmon energy and power sensors: energyN_input (µJ counters) and
 * powerN_average / powerN_input (µW gauges, integrated over time with the
 * trapezoid rule).
 *
 * What the node total counts, so no joule is counted twice:
 * - an ACPI power meter (chip "power_meter") measures the whole platform:
 *   when one exists, the node total is that alone;
 * - otherwise, per chip, its energy counters if it has any (its power gauges
 *   are then detail), else its power gauges, one per index (average
 *   preferred over input);
 * - per-core counters labelled "Ecore..." (amd_energy) are detail when the
 *   chip has a socket counter, which includes them.
 *
 * Sensors are those seen so far, known by their file and named once: when
 * one of two same-named chips vanishes, the other keeps its <chip>.hwmonN
 * name (see meter.h for what the absence does). A chip that comes back
 * under another hwmonN is a new sensor, and the old one stays vanished.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meter.h"

enum sensor_kind {
	SENSOR_ENERGY, /* µJ counter */
	SENSOR_POWER,  /* µW gauge */
};

struct sensor {
	char path[PATH_MAX]; /* the value file */
	char name[64];	     /* <prefix>/energyN, <prefix>/powerN */
	char stem[16];	     /* energyN, powerN */
	char chip[32];	     /* the chip's name file */
	char entry[16];	     /* the chip's directory: hwmonN */
	char prefix[48];     /* <chip>, or <chip>.hwmonN when that name is taken */
	enum sensor_kind kind;
	bool per_core; /* label Ecore...: in a socket counter */
	bool in_total;
	bool present;		      /* listed at the last enumeration */
	unsigned long long last, now; /* µJ or µW */
};

struct hwmon {
	char base[PATH_MAX]; /* <sysfs_root>/class/hwmon */
	int nr;
	struct sensor sensors[METER_MAX_ZONES];
	struct sensor scratch[METER_MAX_ZONES]; /* this interval's enumeration */
	bool have_baseline;
	enum meter_fault_kind baseline_fault;
	double span_s;
};

/* energyN_input, powerN_input, powerN_average: kind, index and whether it is an average. */
static bool parse_sensor_file(const char *f, enum sensor_kind *kind, int *idx, bool *average)
{
	const char *p;
	char *end;

	if (!strncmp(f, "energy", 6)) {
		*kind = SENSOR_ENERGY;
		p = f + 6;
	} else if (!strncmp(f, "power", 5)) {
		*kind = SENSOR_POWER;
		p = f + 5;
	} else {
		return false;
	}
	if (*p < '0' || *p > '9')
		return false;
	*idx = strtol(p, &end, 10);
	*average = !strcmp(end, "_average");
	if (*average)
		return *kind == SENSOR_POWER;
	return !strcmp(end, "_input");
}

static bool has_average(const char *dir, int idx)
{
	char path[PATH_MAX], buf[32];

	meter__path(path, sizeof(path), "%s/power%d_average", dir, idx);
	return !meter__read_line(path, buf, sizeof(buf));
}

static void add_sensor(struct sensor *out, int *nr, const char *dir, const char *file,
		       const char *chip, const char *entry)
{
	char path[PATH_MAX], label[64] = "";
	enum sensor_kind kind;
	struct sensor *s;
	bool average;
	int idx;

	if (!parse_sensor_file(file, &kind, &idx, &average) || *nr == METER_MAX_ZONES)
		return;
	if (kind == SENSOR_POWER && !average && has_average(dir, idx))
		return; /* the average of the same sensor is used */
	s = &out[(*nr)++];
	memset(s, 0, sizeof(*s));
	meter__path(s->path, sizeof(s->path), "%s/%s", dir, file);
	meter__path(s->chip, sizeof(s->chip), "%s", chip);
	meter__path(s->entry, sizeof(s->entry), "%s", entry);
	meter__path(s->stem, sizeof(s->stem), "%s%d", kind == SENSOR_ENERGY ? "energy" : "power",
		    idx);
	s->kind = kind;
	s->present = true;
	meter__path(path, sizeof(path), "%s/%s%d_label", dir,
		    kind == SENSOR_ENERGY ? "energy" : "power", idx);
	if (!meter__read_line(path, label, sizeof(label)))
		s->per_core = !strncmp(label, "Ecore", 5);
}

static int chip_name(const char *dir, char *chip, size_t size)
{
	char path[PATH_MAX];

	meter__path(path, sizeof(path), "%s/name", dir);
	if (meter__read_line(path, chip, size) || !chip[0])
		return -ENOENT;
	return 0;
}

/*
 * Zone names start with the chip's name, made unique when a chip of that
 * name is known already: the first seen is <chip>, the others <chip>.hwmonN.
 */
static void name_sensor(struct sensor *s, const struct sensor *known, int nr)
{
	meter__path(s->prefix, sizeof(s->prefix), "%s", s->chip);
	for (int i = 0; i < nr; i++) {
		if (!strcmp(known[i].entry, s->entry)) {
			meter__path(s->prefix, sizeof(s->prefix), "%s", known[i].prefix);
			break;
		}
		if (!strcmp(known[i].chip, s->chip))
			meter__path(s->prefix, sizeof(s->prefix), "%s.%s", s->chip, s->entry);
	}
	meter__path(s->name, sizeof(s->name), "%s/%s", s->prefix, s->stem);
}

static void scan_chip(struct hwmon *h, struct sensor *out, int *nr, const char *entry)
{
	char dir[PATH_MAX], chip[32];
	struct dirent **ents;
	int n;

	meter__path(dir, sizeof(dir), "%s/%s", h->base, entry);
	if (chip_name(dir, chip, sizeof(chip))) {
		/* older drivers keep everything below device/ */
		meter__path(dir, sizeof(dir), "%s/%s/device", h->base, entry);
		if (chip_name(dir, chip, sizeof(chip)))
			return;
	}
	n = scandir(dir, &ents, NULL, versionsort);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		add_sensor(out, nr, dir, ents[i]->d_name, chip, entry);
		free(ents[i]);
	}
	free(ents);
}

/* Whether a chip has an energy counter (one that is not per core, if socket). */
static bool chip_has_energy(const struct sensor *s, int nr, const char *entry, bool socket)
{
	for (int i = 0; i < nr; i++)
		if (s[i].kind == SENSOR_ENERGY && !strcmp(s[i].entry, entry) &&
		    !(socket && s[i].per_core))
			return true;
	return false;
}

static void mark_node_total(struct sensor *s, int nr)
{
	bool platform = false;

	for (int i = 0; i < nr; i++)
		platform |= !strcmp(s[i].chip, "power_meter");
	for (int i = 0; i < nr; i++) {
		if (platform)
			s[i].in_total = !strcmp(s[i].chip, "power_meter");
		else if (chip_has_energy(s, nr, s[i].entry, false))
			s[i].in_total =
				s[i].kind == SENSOR_ENERGY &&
				!(s[i].per_core && chip_has_energy(s, nr, s[i].entry, true));
		else
			s[i].in_total = true;
	}
}

static int enumerate(struct hwmon *h, struct sensor *out, int *nr, struct meter_fault *fault)
{
	struct dirent **ents;
	int n;

	*nr = 0;
	n = scandir(h->base, &ents, NULL, versionsort);
	if (n < 0)
		return meter__fault(fault, METER_MISSING, "cannot list %s: %s", h->base,
				    strerror(errno));
	for (int i = 0; i < n; i++) {
		if (!strncmp(ents[i]->d_name, "hwmon", 5))
			scan_chip(h, out, nr, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return 0;
}

static struct sensor *find_sensor(struct sensor *known, int nr, const char *path)
{
	for (int i = 0; i < nr; i++)
		if (!strcmp(known[i].path, path))
			return &known[i];
	return NULL;
}

/* Mark which known sensors are listed now, and add the new ones, unbaselined. */
static void merge(struct hwmon *h, const struct sensor *now, int nr)
{
	struct sensor *s;
	bool added = false;

	for (int i = 0; i < h->nr; i++)
		h->sensors[i].present = false;
	for (int i = 0; i < nr; i++) {
		s = find_sensor(h->sensors, h->nr, now[i].path);
		if (s) {
			s->present = true;
			continue;
		}
		if (h->nr == METER_MAX_ZONES)
			continue;
		s = &h->sensors[h->nr];
		*s = now[i];
		name_sensor(s, h->sensors, h->nr);
		h->nr++;
		added = true;
	}
	if (!added)
		return;
	mark_node_total(h->sensors, h->nr);
	h->have_baseline = false;
	h->baseline_fault = METER_ZONES_CHANGED;
}

/* A known sensor that is not listed: the node total cannot be told this interval. */
static int vanished(const struct hwmon *h, struct meter_fault *fault)
{
	for (int i = 0; i < h->nr; i++)
		if (!h->sensors[i].present)
			return meter__fault(fault, METER_VANISHED,
					    "%s (%s) is gone; readings are rejected until it "
					    "returns (restart wattlet if it was removed for good)",
					    h->sensors[i].path, h->sensors[i].name);
	return 0;
}

static int sample(struct hwmon *h, struct meter_fault *fault)
{
	int err;

	for (int i = 0; i < h->nr; i++) {
		err = meter__read_u64(h->sensors[i].path, &h->sensors[i].now, fault);
		if (err)
			return err;
	}
	return 0;
}

static void rebaseline(struct hwmon *h)
{
	for (int i = 0; i < h->nr; i++)
		h->sensors[i].last = h->sensors[i].now;
	h->span_s = 0;
	h->have_baseline = true;
}

static int take_baseline(struct hwmon *h, struct meter_fault *fault)
{
	int err = sample(h, fault);

	if (err) {
		h->have_baseline = false;
		h->baseline_fault = fault->kind;
		return err;
	}
	rebaseline(h);
	return 0;
}

static int hwmon_open(void **priv, const struct options *o, struct meter_fault *why)
{
	struct hwmon *h;
	int nr, err;

	h = calloc(1, sizeof(*h));
	if (!h) {
		meter__fault(why, METER_GARBAGE, "out of memory");
		return -ENOMEM;
	}
	meter__path(h->base, sizeof(h->base), "%s/class/hwmon", o->sysfs_root);
	err = enumerate(h, h->scratch, &nr, why);
	if (!err)
		merge(h, h->scratch, nr);
	if (!err && !h->nr)
		err = meter__fault(why, METER_MISSING, "no energy or power sensors in %s", h->base);
	if (!err)
		err = take_baseline(h, why);
	if (err) {
		free(h);
		if (why->kind == METER_DENIED)
			return -EACCES;
		return why->kind == METER_MISSING ? -ENOENT : -EIO;
	}
	*priv = h;
	return 0;
}

/* Energy of one sensor over the span, in joules; < 0 when a counter went backwards. */
static double sensor_joules(const struct sensor *s, double span_s)
{
	if (s->kind == SENSOR_POWER)
		return (s->last + s->now) / 2e6 * span_s;
	return s->now >= s->last ? (s->now - s->last) / 1e6 : -1;
}

static void fill_zones(const struct hwmon *h, struct meter_reading *out, bool with_energy)
{
	out->nr_zones = h->nr;
	for (int i = 0; i < h->nr; i++) {
		meter__path(out->zones[i].name, sizeof(out->zones[i].name), "%s",
			    h->sensors[i].name);
		out->zones[i].in_node_total = h->sensors[i].in_total;
		out->zones[i].joules = with_energy ? sensor_joules(&h->sensors[i], h->span_s) : 0;
	}
}

/* A new sensor, or a baseline still missing: take one, reject this interval. */
static int restart(struct hwmon *h, struct meter_reading *out, struct meter_fault *fault)
{
	enum meter_fault_kind kind = h->baseline_fault;

	take_baseline(h, &(struct meter_fault){ 0 });
	fill_zones(h, out, false);
	if (kind == METER_ZONES_CHANGED)
		return meter__fault(fault, kind, "sensors in %s changed (now %d)", h->base, h->nr);
	return meter__fault(fault, kind, "no baseline yet in %s", h->base);
}

static int backwards(const struct hwmon *h, struct meter_fault *fault)
{
	const struct sensor *s;

	for (int i = 0; i < h->nr; i++) {
		s = &h->sensors[i];
		if (s->kind == SENSOR_ENERGY && s->now < s->last)
			return meter__fault(fault, METER_BACKWARDS, "%s went from %llu to %llu",
					    s->path, s->last, s->now);
	}
	return 0;
}

static int hwmon_read(void *priv, const struct meter_input *in, struct meter_reading *out,
		      struct meter_fault *fault)
{
	struct hwmon *h = priv;
	int nr, err;

	err = enumerate(h, h->scratch, &nr, fault);
	if (err)
		goto keep_baseline;
	merge(h, h->scratch, nr);
	err = vanished(h, fault);
	if (err)
		goto keep_baseline;
	if (!h->have_baseline)
		return restart(h, out, fault);
	err = sample(h, fault);
	if (err)
		goto keep_baseline;
	h->span_s += in->interval_s;
	err = backwards(h, fault);
	if (err) {
		fill_zones(h, out, false);
		rebaseline(h);
		return err;
	}
	fill_zones(h, out, true);
	out->span_s = h->span_s;
	rebaseline(h);
	return 0;

keep_baseline:
	/* counters keep counting; gauges are averaged over the longer span */
	h->span_s += in->interval_s;
	fill_zones(h, out, false);
	return err;
}

static void hwmon_close(void *priv)
{
	free(priv);
}

const struct meter_ops meter_hwmon_ops = {
	.name = "hwmon",
	.open = hwmon_open,
	.read = hwmon_read,
	.close = hwmon_close,
};
