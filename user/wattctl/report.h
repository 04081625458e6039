/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * wattctl report: energy and carbon per group (namespace, pod or pod label)
 * over a period, with the figures a sustainability report needs. A source
 * (Prometheus, or one agent's API) fills the figures of each (group, node)
 * and of each node; report__finish derives the rest once, and every output
 * (table, JSON, CSV, HTML) prints the same finished report.
 */
#ifndef __WATTCTL_REPORT_H
#define __WATTCTL_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "wattctl.h"

#define JOULES_PER_KWH 3.6e6

/* Figures a source reports, per (group, node) and per node. NAN = not reported. */
enum report_fig {
	RF_ENERGY,	/* J: attributed share of active energy */
	RF_IDLE,	/* J: attributed share of idle energy (--idle-attribution cpu) */
	RF_FACILITY,	/* J: IT energy x PUE */
	RF_OPERATIONAL, /* g CO2e: energy x grid intensity */
	RF_EMBODIED,	/* g CO2e: the node's manufacturing footprint, allocated */
	RF_CARBON,	/* g CO2e: operational + embodied */
	RF_GPU,		/* J: the GPUs' part of RF_ENERGY (GPU nodes) */
	RF_PREV_ENERGY, /* J: active + idle in the period before, of the same length */
	RF_NR,
};

/*
 * A figure's name in the agent's document (a workload's or the node's field)
 * and in its metrics (wattlet_<level>_<name>); NULL for RF_PREV_ENERGY.
 */
extern const char *const report_fig_names[RF_NR];

enum report_basis {
	BASIS_NONE,	/* no energy */
	BASIS_MEASURED, /* every joule from a measuring meter (rapl, hwmon) */
	BASIS_MODELLED, /* every joule from a model */
	BASIS_MIXED,
};

/* A group's (or the cluster's) figures, finished. */
struct report_figures {
	double energy_j;      /* active + attributed idle */
	double measured_j;    /* the part of energy_j a meter measured */
	double facility_j;    /* NAN: no PUE anywhere */
	double operational_g; /* NAN: no carbon intensity anywhere */
	double embodied_g;    /* NAN: no embodied carbon anywhere */
	double carbon_g;
	double gpu_j;	      /* the GPUs' part of energy_j; NAN: no GPU anywhere */
	double prev_energy_j; /* NAN: nothing in the previous period */
	/* derived by report__finish */
	double share;	  /* of the cluster's energy, 0..1 */
	double avg_watts; /* energy_j / period */
	double trend;	  /* (energy - previous) / previous; NAN when no previous */
	enum report_basis basis;
};

struct report_group {
	char *name;
	struct report_figures f;
	double *watts; /* power over time, one per series point; NAN = no sample */
};

struct report_node {
	char *name;
	char *meters;	 /* "rapl", or "rapl,model" when it changed in the period */
	char *model;	 /* the model row, "ccf:a,ccf:b" when it changed; NULL: none named */
	double energy_j; /* all node energy: active + idle */
	double measured_j;
	double fig[RF_NR]; /* facility, operational, embodied, carbon, GPU of the node */
};

struct report {
	/* what was asked */
	const char *source; /* "prometheus" or "agent" */
	const char *url;
	const char *by;	       /* "namespace", "pod", "label:KEY" */
	const char *namespace; /* NULL: all */
	double from, to;       /* unix seconds */
	bool has_previous;     /* the source can tell the period before (Prometheus) */
	/* filled by the source */
	struct report_group *groups;
	size_t n_groups, cap_groups;
	struct report_node *nodes;
	size_t n_nodes, cap_nodes;
	double series_start, series_step; /* first point's time, seconds apart */
	size_t n_points;
	json_t *notes; /* strings: what the reader must know (unmatched pods, ...) */
	/* derived by report__finish */
	struct report_figures cluster; /* every node's energy, whoever used it */
	struct report_figures total;   /* the groups' sum */
	/* private */
	json_t *index; /* group name -> index; (group, node) -> cell */
	struct report_cell *cells;
	size_t n_cells, cap_cells;
};

struct report *report__new(const char *source, const char *url, const char *by, const char *ns,
			   double from, double to);
void report__free(struct report *r);

/* Add v to figure fig of group on node (node may be "" when unknown). 0 or -ENOMEM. */
int report__add(struct report *r, const char *group, const char *node, enum report_fig fig,
		double v);
/* A node's energy as read by meter. 0 or -ENOMEM. */
int report__node_energy(struct report *r, const char *node, const char *meter, double joules);
/* A node's facility/carbon figure. 0 or -ENOMEM. */
int report__node_add(struct report *r, const char *node, enum report_fig fig, double v);
/*
 * A model row a node's model meter used ("ccf:cascade-lake"), added once to its
 * set; a node with no energy reported yet is not added. 0 or -ENOMEM.
 */
int report__node_model(struct report *r, const char *node, const char *model);

/* n points from start, step s apart, every group NAN until set. 0 or -ENOMEM. */
int report__series(struct report *r, double start, double step, size_t n);
/* Add watts to point i of group's power (sources add active and idle power). */
int report__series_add(struct report *r, const char *group, size_t i, double watts);

int report__note(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sum the cells into groups, derive shares, power, trend and basis; sort by energy. */
int report__finish(struct report *r);

/* Is this meter a measurement (rapl, hwmon) rather than a model? */
bool report__meter_measures(const char *meter);
const char *report__basis_name(enum report_basis b);

/* The node's PUE (facility / IT energy) and grid intensity (g/kWh); NAN if not set. */
double report__node_pue(const struct report_node *n);
double report__node_intensity(const struct report_node *n);

/*
 * The outputs. The finished report becomes one JSON document
 * (report_json.c, described in docs/report.md); -o json prints it, and the
 * table, CSV and HTML (report_html.c) are drawn from it, so they agree.
 */
json_t *report__to_json(const struct report *r);
int report__print(const struct report *r, enum out_format format);
int report__table(json_t *doc);
int report__csv(json_t *doc, FILE *f);
int report__html(json_t *doc, FILE *f);

#endif /* __WATTCTL_REPORT_H */
