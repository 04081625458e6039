// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Meter selection and the checks every reading goes through: the sanity
 * ceiling, the error counter, a warning once per kind of fault, and the
 * per-zone totals since start.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "meter.h"
#include "util.h"

struct zone_total {
	char name[64];
	double joules;
};

struct meter {
	const struct meter_ops *ops;
	void *priv;
	double max_watts;
	unsigned long long errors;
	bool warned[METER_NR_FAULTS];
	int nr_totals;
	struct zone_total totals[METER_MAX_ZONES * 2];
};

/* one name per line like the enum, not in the two columns clang-format makes */
/* clang-format off */
static const char *const fault_names[METER_NR_FAULTS] = {
	[METER_GARBAGE] = "garbage value",
	[METER_MISSING] = "missing file",
	[METER_DENIED] = "permission denied",
	[METER_ZONES_CHANGED] = "zones changed",
	[METER_VANISHED] = "zone vanished",
	[METER_BACKWARDS] = "counter went backwards",
	[METER_ABSURD] = "implausible power",
};
/* clang-format on */

int meter__fault(struct meter_fault *f, enum meter_fault_kind kind, const char *fmt, ...)
{
	va_list ap;

	f->kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	return -EIO;
}

int meter__path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int meter__read_line(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int fault_from_errno(struct meter_fault *f, int err, const char *path)
{
	if (err == -EACCES || err == -EPERM)
		return meter__fault(f, METER_DENIED,
				    "cannot read %s: %s (energy counters are readable only "
				    "by root since CVE-2020-8694)",
				    path, strerror(-err));
	if (err == -ENOENT || err == -ENODEV || err == -ENXIO)
		return meter__fault(f, METER_MISSING, "cannot read %s: %s", path, strerror(-err));
	return meter__fault(f, METER_GARBAGE, "cannot read %s: %s", path, strerror(-err));
}

int meter__read_u64(const char *path, unsigned long long *val, struct meter_fault *fault)
{
	char buf[64], *end;
	int err;

	err = meter__read_line(path, buf, sizeof(buf));
	if (err)
		return fault_from_errno(fault, err, path);
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (buf[0] < '0' || buf[0] > '9' || *end != '\0' || errno)
		return meter__fault(fault, METER_GARBAGE, "%s holds '%.32s', not a counter", path,
				    buf);
	/* drivers show a failed read as (u64)-1; taken as a count it is a jump to the top */
	if (*val == ULLONG_MAX)
		return meter__fault(fault, METER_GARBAGE,
				    "%s holds %llu, (u64)-1: a driver's "
				    "error value",
				    path, *val);
	return 0;
}

double meter__counter_gain(unsigned long long last, unsigned long long now,
			   unsigned long long range)
{
	unsigned long long wrapped;

	if (now >= last)
		return (double)(now - last);
	if (!range || last > range)
		return -1;
	/* a real wrap uses less than half the range in one interval */
	wrapped = range - last + now;
	return wrapped <= range / 2 ? (double)wrapped : -1;
}

/* ---- selection ---- */

static const struct meter_ops *const auto_order[] = {
	&meter_rapl_ops,
	&meter_hwmon_ops,
	&meter_model_ops,
};

static const struct meter_ops *ops_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(auto_order); i++)
		if (!strcmp(auto_order[i]->name, name))
			return auto_order[i];
	return NULL;
}

static int open_named(struct meter *m, const struct options *o)
{
	const struct meter_ops *ops = ops_by_name(o->meter);
	struct meter_fault why = { 0 };
	int err;

	if (!ops) {
		fprintf(stderr, "wattlet: unknown meter '%s' (auto, rapl, hwmon or model)\n",
			o->meter);
		return -EINVAL;
	}
	err = ops->open(&m->priv, o, &why);
	if (err) {
		fprintf(stderr, "wattlet: meter %s: %s\n", ops->name, why.what);
		return err;
	}
	m->ops = ops;
	return 0;
}

/* Append "name: why" to the list of meters auto passed over. */
static void note_skipped(char *buf, size_t size, const char *name, const char *why)
{
	size_t len = strlen(buf);

	if (len < size)
		meter__path(buf + len, size - len, "%s%s: %s", len ? "; " : "", name, why);
}

static int open_auto(struct meter *m, const struct options *o)
{
	char skipped[4000] = "";
	struct meter_fault why;
	int err = -ENOENT;

	for (size_t i = 0; i < ARRAY_SIZE(auto_order); i++) {
		why = (struct meter_fault){ 0 };
		err = auto_order[i]->open(&m->priv, o, &why);
		if (!err) {
			m->ops = auto_order[i];
			fprintf(stderr, "wattlet: meter: using %s%s%s%s\n", m->ops->name,
				skipped[0] ? " (" : "", skipped, skipped[0] ? ")" : "");
			return 0;
		}
		note_skipped(skipped, sizeof(skipped), auto_order[i]->name, why.what);
	}
	fprintf(stderr, "wattlet: meter: none usable (%s)\n", skipped);
	return err;
}

int meter__open(struct meter **out, const struct options *o)
{
	struct meter *m;
	int err;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->max_watts = o->max_watts;
	err = strcmp(o->meter, "auto") ? open_named(m, o) : open_auto(m, o);
	if (err) {
		free(m);
		return err;
	}
	*out = m;
	return 0;
}

/* ---- reading ---- */

static struct zone_total *zone_total(struct meter *m, const char *name)
{
	struct zone_total *t;
	int i;

	for (i = 0; i < m->nr_totals; i++)
		if (!strcmp(m->totals[i].name, name))
			return &m->totals[i];
	if (m->nr_totals == (int)ARRAY_SIZE(m->totals))
		return NULL;
	t = &m->totals[m->nr_totals++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->joules = 0;
	return t;
}

static int check_sane(const struct meter *m, const struct meter_reading *r,
		      struct meter_fault *fault)
{
	const struct meter_zone *z;
	int i;

	if (!(r->span_s > 0) || !isfinite(r->span_s))
		return meter__fault(fault, METER_GARBAGE, "reading spans %g s", r->span_s);
	for (i = 0; i < r->nr_zones; i++) {
		z = &r->zones[i];
		if (!isfinite(z->joules) || z->joules < 0)
			return meter__fault(fault, METER_GARBAGE, "zone %s: %g J", z->name,
					    z->joules);
		if (z->joules > m->max_watts * r->span_s)
			return meter__fault(fault, METER_ABSURD,
					    "zone %s: %.1f W above --max-watts %g", z->name,
					    z->joules / r->span_s, m->max_watts);
	}
	return 0;
}

static void reject_reading(struct meter *m, struct meter_reading *r, const struct meter_fault *f)
{
	enum meter_fault_kind kind = f->kind;

	if (kind <= METER_OK || kind >= METER_NR_FAULTS)
		kind = METER_GARBAGE;
	m->errors++;
	if (!m->warned[kind]) {
		m->warned[kind] = true;
		fprintf(stderr,
			"wattlet: meter %s: %s: %s; reading rejected "
			"(warned once per kind, see meter_errors_total)\n",
			m->ops->name, fault_names[kind], f->what);
	}
	r->valid = false;
	r->joules = 0;
	for (int i = 0; i < r->nr_zones; i++)
		r->zones[i].joules = r->zones[i].watts = 0;
}

/* Node total and zone totals, once the reading is accepted. */
static void accept_reading(struct meter *m, struct meter_reading *r)
{
	struct meter_zone *z;
	struct zone_total *t;

	r->valid = true;
	r->joules = 0;
	for (int i = 0; i < r->nr_zones; i++) {
		z = &r->zones[i];
		z->watts = z->joules / r->span_s;
		if (z->in_node_total)
			r->joules += z->joules;
		t = zone_total(m, z->name);
		if (t)
			t->joules += z->joules;
	}
}

static void fill_totals(struct meter *m, struct meter_reading *r)
{
	struct zone_total *t;

	for (int i = 0; i < r->nr_zones; i++) {
		t = zone_total(m, r->zones[i].name);
		r->zones[i].joules_total = t ? t->joules : 0;
	}
}

int meter__read(struct meter *m, const struct meter_input *in, struct meter_reading *out)
{
	struct meter_fault fault = { 0 };
	int err;

	memset(out, 0, offsetof(struct meter_reading, zones));
	out->meter = m->ops->name;
	out->idle_watts_hint = -1;
	out->span_s = in->interval_s;
	err = m->ops->read(m->priv, in, out, &fault);
	if (!err)
		err = check_sane(m, out, &fault);
	if (err)
		reject_reading(m, out, &fault);
	else
		accept_reading(m, out);
	fill_totals(m, out);
	return 0;
}

bool meter__covers_platform(const struct meter_reading *r)
{
	for (int i = 0; r && i < r->nr_zones; i++)
		if (r->zones[i].in_node_total && (!strcmp(r->zones[i].name, "psys") ||
						  !strncmp(r->zones[i].name, "power_meter", 11)))
			return true;
	return false;
}

const char *meter__name(const struct meter *m)
{
	return m ? m->ops->name : "none";
}

unsigned long long meter__errors(const struct meter *m)
{
	return m ? m->errors : 0;
}

void meter__close(struct meter *m)
{
	if (!m)
		return;
	if (m->ops && m->ops->close)
		m->ops->close(m->priv);
	free(m);
}
