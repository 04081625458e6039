/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The document stage: one interval's JSON document (docs/json.md), built
 * here and only here from the plain structs the stages before it produced.
 * It reads them and asks workloads for process names; it changes nothing.
 * Every output reads the document once it is published (snapshot.h): JSON
 * Lines on stdout, the HTTP API, and /metrics.
 */
#ifndef __WATTLET_DOCUMENT_H
#define __WATTLET_DOCUMENT_H

#include <stdbool.h>
#include <jansson.h>
#include "attribution.h"
#include "collector.h"
#include "counters.h"
#include "gpu.h"
#include "gpu_attribution.h"
#include "cpu_model.h"
#include "histogram.h"
#include "intensity.h"
#include "meter.h"
#include "options.h"
#include "workloads.h"

/* The agent's own state, for the document's "agent" section. */
struct agent_status {
	const char *version;
	bool raw_tp;	   /* attached as raw tracepoints */
	bool task_storage; /* per-thread state in task storage, else a hash */
	bool kcpustat;	   /* CPU times from kcpustat by BPF, else /proc/stat */
	const struct counter_def *const *counters; /* by slot (struct loader) */
	int nr_counters;
	double start_time;		   /* unix seconds */
	const struct histogram *durations; /* of the collections, in seconds */
	double last_collection_timestamp;  /* unix seconds */
};

/* Everything one interval's document is built from, stage by stage. */
struct document_input {
	const struct options *opt;
	double timestamp;			 /* unix seconds at the end of the interval */
	const struct collection *collection;	 /* collect */
	const struct meter *meter;		 /* meter: its name and rejected readings, */
	const struct meter_reading *reading;	 /*   and the interval's reading */
	const struct gpu_reading *gpu_reading;	 /* meter: the GPUs' (NULL: no GPU measured) */
	const struct cpu_model *platform;	 /*   the CPU and the cloud, from DMI */
	const struct intensity_state *intensity; /* the grid intensity in force */
	const struct attribution *attribution;	 /* attribute */
	const struct gpu_attribution *gpu_attribution; /*   each GPU's split (NULL: no GPU) */
	const struct workloads *workloads;	       /* name */
	const struct agent_status *agent;
};

/* The document, new (the caller owns it), or NULL when out of memory. */
json_t *document__build(const struct document_input *in);

#endif /* __WATTLET_DOCUMENT_H */
