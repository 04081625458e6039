// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * RAPL through the powercap sysfs tree: intel-rapl (MSR, also used by AMD)
 * and intel-rapl-mmio. Zones are told apart by their `name` file, never by
 * their index.
 *
 * What the node total counts, so no joule is counted twice:
 * - psys covers the whole platform (packages, dram and more), so when any
 *   psys zone exists the node total is psys alone and the rest is detail;
 *   unless psys stands still while a package counts (some CPUs list psys
 *   but never count it): from then on it is detail, said once on stderr;
 * - otherwise every package-N plus every dram zone: a package includes its
 *   core and uncore subzones, but not dram;
 * - an intel-rapl-mmio package duplicates the MSR package of the same name
 *   (same silicon, other interface): counted only when there is no MSR one.
 * Counters wrap at max_energy_range_uj.
 *
 * The zones are those seen so far, each named once: a zone that vanishes
 * keeps its name and its place (see meter.h for what its absence does), and
 * its subzones keep theirs (package-0/dram does not become dram).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meter.h"

#define RAPL_PREFIX	 "intel-rapl:"
#define RAPL_MMIO_PREFIX "intel-rapl-mmio:"

enum rapl_role {
	RAPL_DETAIL, /* core, uncore, anything unknown */
	RAPL_PACKAGE,
	RAPL_DRAM,
	RAPL_PSYS,
};

struct rapl_zone {
	char id[64];   /* directory name, e.g. intel-rapl:0:2 */
	char name[64]; /* e.g. package-0/dram, mmio/package-0 */
	char kind[32]; /* the `name` file */
	enum rapl_role role;
	bool mmio;
	bool in_total;
	bool present;		  /* listed at the last enumeration */
	unsigned long long range; /* max_energy_range_uj, 0: unknown */
	unsigned long long last;  /* energy_uj at the baseline */
	unsigned long long now;
};

struct rapl {
	char base[PATH_MAX]; /* <sysfs_root>/class/powercap */
	int nr;
	struct rapl_zone zones[METER_MAX_ZONES];
	bool have_baseline;
	enum meter_fault_kind baseline_fault; /* why there is none: reported at restart */
	bool psys_dead;			      /* psys seen standing still: not used */
	double span_s;			      /* time since the baseline */
};

static bool is_zone_dir(const char *d)
{
	const char *p;

	if (!strncmp(d, RAPL_PREFIX, strlen(RAPL_PREFIX)))
		p = d + strlen(RAPL_PREFIX);
	else if (!strncmp(d, RAPL_MMIO_PREFIX, strlen(RAPL_MMIO_PREFIX)))
		p = d + strlen(RAPL_MMIO_PREFIX);
	else
		return false;
	if (!*p)
		return false;
	for (; *p; p++)
		if ((*p < '0' || *p > '9') && *p != ':')
			return false;
	return true;
}

static enum rapl_role role_of(const char *kind, bool top)
{
	if (!strcmp(kind, "psys"))
		return RAPL_PSYS;
	if (!strcmp(kind, "dram"))
		return RAPL_DRAM;
	if (top && !strncmp(kind, "package-", 8))
		return RAPL_PACKAGE;
	return RAPL_DETAIL;
}

static const struct rapl_zone *find_id(const struct rapl_zone *z, int nr, const char *id)
{
	for (int i = 0; i < nr; i++)
		if (!strcmp(z[i].id, id))
			return &z[i];
	return NULL;
}

static void zone_path(char *buf, size_t size, const char *base, const char *id, const char *file)
{
	meter__path(buf, size, "%s/%s/%s", base, id, file);
}

/* Name the zone after its parent's name among the known zones, e.g. package-0/core. */
static void name_zone(struct rapl_zone *z, const struct rapl_zone *zones, int nr)
{
	char parent_id[64];
	const struct rapl_zone *parent;
	char *colon;

	meter__path(parent_id, sizeof(parent_id), "%s", z->id);
	colon = strrchr(parent_id, ':');
	*colon = '\0';
	parent = strchr(parent_id, ':') ? find_id(zones, nr, parent_id) : NULL;
	if (parent)
		meter__path(z->name, sizeof(z->name), "%s/%s", parent->name, z->kind);
	else
		meter__path(z->name, sizeof(z->name), "%s%s", z->mmio ? "mmio/" : "", z->kind);
}

static int read_zone(const char *base, struct rapl_zone *z, struct meter_fault *fault)
{
	char path[PATH_MAX];
	int err;

	zone_path(path, sizeof(path), base, z->id, "name");
	err = meter__read_line(path, z->kind, sizeof(z->kind));
	if (err)
		return meter__fault(fault, err == -ENOENT ? METER_MISSING : METER_GARBAGE,
				    "cannot read %s: %s", path, strerror(-err));
	if (!z->kind[0])
		return meter__fault(fault, METER_GARBAGE, "%s is empty", path);
	zone_path(path, sizeof(path), base, z->id, "max_energy_range_uj");
	if (meter__read_u64(path, &z->range, &(struct meter_fault){ 0 }))
		z->range = 0; /* no wrap handling: a backwards step is rejected */
	return 0;
}

static bool duplicated_by_msr(const struct rapl_zone *z, const struct rapl_zone *zones, int nr)
{
	for (int i = 0; i < nr; i++)
		if (!zones[i].mmio && zones[i].role == z->role && !strcmp(zones[i].kind, z->kind))
			return true;
	return false;
}

static void mark_node_total(struct rapl_zone *zones, int nr, bool psys_dead)
{
	bool psys = false;
	struct rapl_zone *z;

	for (int i = 0; i < nr; i++)
		psys |= zones[i].role == RAPL_PSYS && !psys_dead;
	for (int i = 0; i < nr; i++) {
		z = &zones[i];
		if (psys)
			z->in_total = z->role == RAPL_PSYS;
		else
			z->in_total = z->role == RAPL_PACKAGE || z->role == RAPL_DRAM;
		if (z->in_total && z->mmio && duplicated_by_msr(z, zones, nr))
			z->in_total = false;
	}
}

/* List the zones below base, sorted so that a parent comes before its subzones. */
static int enumerate(const char *base, struct rapl_zone *zones, int *nr, struct meter_fault *fault)
{
	struct dirent **ents;
	struct rapl_zone *z;
	int n, i, err = 0;

	*nr = 0;
	n = scandir(base, &ents, NULL, alphasort);
	if (n < 0)
		return meter__fault(fault, METER_MISSING, "cannot list %s: %s", base,
				    strerror(errno));
	for (i = 0; i < n; i++) {
		if (err || !is_zone_dir(ents[i]->d_name) || *nr == METER_MAX_ZONES)
			goto next;
		z = &zones[*nr];
		memset(z, 0, sizeof(*z));
		meter__path(z->id, sizeof(z->id), "%s", ents[i]->d_name);
		z->mmio = !strncmp(z->id, RAPL_MMIO_PREFIX, strlen(RAPL_MMIO_PREFIX));
		err = read_zone(base, z, fault);
		if (!err) {
			z->role = role_of(z->kind, !strchr(strchr(z->id, ':') + 1, ':'));
			z->present = true;
			(*nr)++;
		}
next:
		free(ents[i]);
	}
	free(ents);
	return err;
}

static struct rapl_zone *find_zone(struct rapl_zone *zones, int nr, const struct rapl_zone *z)
{
	for (int i = 0; i < nr; i++)
		if (!strcmp(zones[i].id, z->id) && !strcmp(zones[i].kind, z->kind))
			return &zones[i];
	return NULL;
}

/*
 * Mark which known zones are listed now, and add the new ones, named after
 * their known parents. A new zone needs a baseline before it counts.
 */
static void merge(struct rapl *r, const struct rapl_zone *now, int nr)
{
	struct rapl_zone *z;
	bool added = false;

	for (int i = 0; i < r->nr; i++)
		r->zones[i].present = false;
	for (int i = 0; i < nr; i++) {
		z = find_zone(r->zones, r->nr, &now[i]);
		if (z) {
			z->present = true;
			z->range = now[i].range;
			continue;
		}
		if (r->nr == METER_MAX_ZONES)
			continue;
		z = &r->zones[r->nr];
		*z = now[i];
		name_zone(z, r->zones, r->nr);
		r->nr++;
		added = true;
	}
	if (!added)
		return;
	mark_node_total(r->zones, r->nr, r->psys_dead);
	r->have_baseline = false;
	r->baseline_fault = METER_ZONES_CHANGED;
}

/* A known zone that is not listed: the node total cannot be told this interval. */
static int vanished(const struct rapl *r, struct meter_fault *fault)
{
	for (int i = 0; i < r->nr; i++)
		if (!r->zones[i].present)
			return meter__fault(fault, METER_VANISHED,
					    "%s/%s (%s) is gone; readings are rejected until it "
					    "returns (restart wattlet if it was removed for good)",
					    r->base, r->zones[i].id, r->zones[i].name);
	return 0;
}

/* Take every zone's energy_uj into now. */
static int sample(struct rapl *r, struct meter_fault *fault)
{
	char path[PATH_MAX];
	struct rapl_zone *z;
	int err;

	for (int i = 0; i < r->nr; i++) {
		z = &r->zones[i];
		zone_path(path, sizeof(path), r->base, z->id, "energy_uj");
		err = meter__read_u64(path, &z->now, fault);
		if (err)
			return err;
		if (z->range && z->now > z->range)
			return meter__fault(fault, METER_GARBAGE,
					    "%s: %llu above max_energy_range_uj %llu", path, z->now,
					    z->range);
	}
	return 0;
}

static void rebaseline(struct rapl *r)
{
	for (int i = 0; i < r->nr; i++)
		r->zones[i].last = r->zones[i].now;
	r->span_s = 0;
	r->have_baseline = true;
}

static int take_baseline(struct rapl *r, struct meter_fault *fault)
{
	int err = sample(r, fault);

	if (err) {
		r->have_baseline = false;
		r->baseline_fault = fault->kind;
		return err;
	}
	rebaseline(r);
	return 0;
}

static int rapl_open(void **priv, const struct options *o, struct meter_fault *why)
{
	struct rapl_zone now[METER_MAX_ZONES];
	struct rapl *r;
	int nr, err;

	r = calloc(1, sizeof(*r));
	if (!r) {
		meter__fault(why, METER_GARBAGE, "out of memory");
		return -ENOMEM;
	}
	meter__path(r->base, sizeof(r->base), "%s/class/powercap", o->sysfs_root);
	err = enumerate(r->base, now, &nr, why);
	if (!err)
		merge(r, now, nr);
	if (!err && !r->nr)
		err = meter__fault(why, METER_MISSING, "no intel-rapl zones in %s", r->base);
	if (!err)
		err = take_baseline(r, why);
	if (err) {
		free(r);
		if (why->kind == METER_DENIED)
			return -EACCES;
		return why->kind == METER_MISSING ? -ENOENT : -EIO;
	}
	*priv = r;
	return 0;
}

static void fill_zones(const struct rapl *r, struct meter_reading *out, bool with_energy)
{
	const struct rapl_zone *z;

	out->nr_zones = r->nr;
	for (int i = 0; i < r->nr; i++) {
		z = &r->zones[i];
		meter__path(out->zones[i].name, sizeof(out->zones[i].name), "%s", z->name);
		out->zones[i].in_node_total = z->in_total;
		out->zones[i].dram = z->role == RAPL_DRAM;
		out->zones[i].joules =
			with_energy ? meter__counter_gain(z->last, z->now, z->range) / 1e6 : 0;
	}
}

/* A new zone, or a baseline still missing: take one, reject this interval. */
static int restart(struct rapl *r, struct meter_reading *out, struct meter_fault *fault)
{
	enum meter_fault_kind kind = r->baseline_fault;

	take_baseline(r, &(struct meter_fault){ 0 });
	fill_zones(r, out, false);
	if (kind == METER_ZONES_CHANGED)
		return meter__fault(fault, kind, "zones in %s changed (now %d)", r->base, r->nr);
	return meter__fault(fault, kind, "no baseline yet in %s", r->base);
}

static int backwards(const struct rapl *r, struct meter_fault *fault)
{
	const struct rapl_zone *z;

	for (int i = 0; i < r->nr; i++) {
		z = &r->zones[i];
		if (meter__counter_gain(z->last, z->now, z->range) < 0)
			return meter__fault(fault, METER_BACKWARDS,
					    "%s/%s/energy_uj went from %llu to %llu "
					    "(max_energy_range_uj %llu)",
					    r->base, z->id, z->last, z->now, z->range);
	}
	return 0;
}

/* A psys counter that did not move while a package's did is not counting. */
static void check_psys(struct rapl *r)
{
	bool psys_still = false, package_moved = false;
	const struct rapl_zone *z;

	for (int i = 0; i < r->nr; i++) {
		z = &r->zones[i];
		if (z->role == RAPL_PSYS && z->in_total)
			psys_still |= z->now == z->last;
		if (z->role == RAPL_PACKAGE)
			package_moved |= z->now != z->last;
	}
	if (!psys_still || !package_moved)
		return;
	r->psys_dead = true;
	mark_node_total(r->zones, r->nr, true);
	fprintf(stderr,
		"wattlet: meter rapl: psys in %s does not count; the node total is "
		"packages and dram\n",
		r->base);
}

static int rapl_read(void *priv, const struct meter_input *in, struct meter_reading *out,
		     struct meter_fault *fault)
{
	struct rapl_zone now[METER_MAX_ZONES];
	struct rapl *r = priv;
	int nr, err;

	err = enumerate(r->base, now, &nr, fault);
	if (err)
		goto keep_baseline;
	merge(r, now, nr);
	err = vanished(r, fault);
	if (err)
		goto keep_baseline;
	if (!r->have_baseline)
		return restart(r, out, fault);
	err = sample(r, fault);
	if (err)
		goto keep_baseline;
	r->span_s += in->interval_s;
	err = backwards(r, fault);
	if (err) {
		fill_zones(r, out, false);
		rebaseline(r);
		return err;
	}
	check_psys(r);
	fill_zones(r, out, true);
	out->span_s = r->span_s;
	rebaseline(r);
	return 0;

keep_baseline:
	/* counters keep counting: the next good reading covers this interval */
	r->span_s += in->interval_s;
	fill_zones(r, out, false);
	return err;
}

static void rapl_close(void *priv)
{
	free(priv);
}

const struct meter_ops meter_rapl_ops = {
	.name = "rapl",
	.open = rapl_open,
	.read = rapl_read,
	.close = rapl_close,
};
