/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Node energy meters behind one small interface: rapl (powercap), hwmon
 * (energy counters and power gauges) and model (CPU utilisation model).
 *
 * Every reading names its meter, so a model is never taken for a
 * measurement. A reading that cannot be trusted (garbage, missing or
 * unreadable files, zones appearing or vanishing, a counter going backwards
 * without a plausible wrap, more power than --max-watts) is rejected for
 * that interval: valid is false, joules are 0, meter__errors() grows by one
 * and a warning is printed once per kind of fault. Nothing counted is lost:
 * when a counter file could not be read, its last good value stays the
 * baseline, so the next good reading covers the missed interval too (span_s
 * says how long); after a backwards or absurd jump, the counters are taken
 * again as the new baseline.
 *
 * Zones are those seen since open, each named once. A zone that appears is
 * added: one rejected interval while every counter is taken afresh. A zone
 * that vanishes makes every interval an error for as long as it is gone (the
 * rest would be a partial node total taken for the whole), stays in the
 * reading under its name with its total, and keeps its baseline like an
 * unreadable file: when it returns, the first reading covers the gap. A zone
 * removed for good is dropped by restarting the agent.
 */
#ifndef __WATTLET_METER_H
#define __WATTLET_METER_H

#include <limits.h>
#include <stdbool.h>
#include "options.h"

#define METER_MAX_ZONES 64

struct meter_zone {
	/*
	 * "package-0", "package-0/core", "package-0/dram", "psys", hwmon "<chip>/energy1",
	 * model "model"
	 */
	char name[64];
	double joules;	     /* this interval */
	double joules_total; /* since start */
	double watts;	     /* this interval */
	bool in_node_total;  /* counted in the node total (a package's core/uncore are not) */
	bool dram;	     /* a DRAM zone: its energy follows memory, not CPU */
};

struct meter_input {
	double interval_s;  /* measured length of the interval */
	double utilisation; /* busy share of all CPUs in the interval, 0..1 (from BPF kcpustat) */
	int nr_cpus;
	double mem_gib; /* MemTotal, for the model */
};

struct meter_reading {
	const char *meter; /* "rapl" | "hwmon" | "model" */
	const char *model; /* model meter: the coefficients' row, "ccf:cascade-lake"; else NULL */
	bool valid;	   /* false: this interval's reading was rejected (counted in errors) */
	double joules;	   /* node energy this interval: sum of in_node_total zones */
	/*
	 * seconds the joules cover: the interval, or more when a rejected interval's
	 * counters were carried over
	 */
	double span_s;
	double idle_watts_hint; /* model: its idle term (vcpus*idle_w + mem term); else < 0 */
	int nr_zones;
	struct meter_zone zones[METER_MAX_ZONES];
};

struct meter;

/*
 * --meter auto tries rapl, hwmon, model in that order and logs its choice,
 * with why the others were passed over, in one line on stderr. (The agent
 * opens the meter after its privilege checks, so this line never comes
 * before theirs.)
 * Returns 0 or -errno after one clear message (a named meter that cannot be
 * used, a file that cannot be read, naming the file).
 */
int meter__open(struct meter **out, const struct options *o);
/* One interval's reading. Returns 0; a rejected reading has valid false and 0 joules. */
int meter__read(struct meter *m, const struct meter_input *in, struct meter_reading *out);
const char *meter__name(const struct meter *m);
/*
 * Whether the reading's node total is a whole-platform sensor (RAPL psys,
 * an ACPI power meter): it then includes what PCIe devices such as GPUs draw.
 */
bool meter__covers_platform(const struct meter_reading *r);
unsigned long long meter__errors(const struct meter *m); /* rejected readings */
void meter__close(struct meter *m);			 /* accepts NULL */

/* ---- For the meter implementations (meter_rapl.c, meter_hwmon.c, meter_model.c) ---- */

enum meter_fault_kind {
	METER_OK,
	METER_GARBAGE,	     /* a value that is not a number, or out of range */
	METER_MISSING,	     /* a file that should be there is not */
	METER_DENIED,	     /* a file that cannot be read for lack of privilege */
	METER_ZONES_CHANGED, /* zones appeared */
	METER_VANISHED,	     /* a zone seen before is gone */
	METER_BACKWARDS,     /* a counter went backwards with no plausible wrap */
	METER_ABSURD,	     /* more power than --max-watts */
	METER_NR_FAULTS,
};

struct meter_fault {
	enum meter_fault_kind kind;
	char what[PATH_MAX + 128]; /* the file or zone, for the warning */
};

struct meter_ops {
	const char *name;
	/*
	 * Find the meter's sensors below o->sysfs_root and take a first
	 * reading as the baseline. -ENOENT: no such sensor here; other
	 * -errno: present but unusable. Either way *why says what and where.
	 */
	int (*open)(void **priv, const struct options *o, struct meter_fault *why);
	/*
	 * Fill out->zones (name, joules, watts, in_node_total) and out->span_s
	 * for one interval. Returns 0, or -EIO with fault set, having
	 * re-baselined or kept baselines as the fault requires.
	 */
	int (*read)(void *priv, const struct meter_input *in, struct meter_reading *out,
		    struct meter_fault *fault);
	void (*close)(void *priv);
};

extern const struct meter_ops meter_rapl_ops;
extern const struct meter_ops meter_hwmon_ops;
extern const struct meter_ops meter_model_ops;

/* Helpers shared by the implementations (meter.c). */

/* Set a fault and return -EIO. */
int meter__fault(struct meter_fault *f, enum meter_fault_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Read a file holding one unsigned decimal number. 0, or -EIO with fault
 * set to GARBAGE, MISSING or DENIED naming the file.
 */
int meter__read_u64(const char *path, unsigned long long *val, struct meter_fault *fault);
/* snprintf for paths and names: 0, or -ENAMETOOLONG when cut short. */
int meter__path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Read a one-line text file without its newline. 0 or -errno. */
int meter__read_line(const char *path, char *buf, size_t size);
/* Counter gain from last to now, wrapping at range (0: no wrap). -1 if implausible. */
double meter__counter_gain(unsigned long long last, unsigned long long now,
			   unsigned long long range);

#endif /* __WATTLET_METER_H */
