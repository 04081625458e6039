// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report model: figures per (group, node) and per node as a source
 * reports them, summed into groups once, with every derived figure (share,
 * average power, trend, measured or modelled) computed here and nowhere else.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

const char *const report_fig_names[RF_NR] = {
	[RF_ENERGY] = "energy_joules_total",
	[RF_IDLE] = "idle_energy_joules_total",
	[RF_FACILITY] = "facility_energy_joules_total",
	[RF_OPERATIONAL] = "operational_carbon_grams_total",
	[RF_EMBODIED] = "embodied_carbon_grams_total",
	[RF_CARBON] = "carbon_grams_total",
	[RF_GPU] = "gpu_energy_joules_total",
};

/* What one group used on one node. */
struct report_cell {
	size_t group;
	size_t node;
	double fig[RF_NR];
};

/* A missing figure stays NAN; a reported one adds. */
static void fig_add(double *dst, double v)
{
	if (isnan(v))
		return;
	*dst = isnan(*dst) ? v : *dst + v;
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *q;

	if (n < *cap)
		return p;
	q = realloc(p, c * size);
	if (q)
		*cap = c;
	return q;
}

struct report *report__new(const char *source, const char *url, const char *by, const char *ns,
			   double from, double to)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->source = source;
	r->url = url;
	r->by = by;
	r->namespace = ns;
	r->from = from;
	r->to = to;
	r->index = json_object();
	r->notes = json_array();
	if (!r->index || !r->notes) {
		report__free(r);
		return NULL;
	}
	return r;
}

void report__free(struct report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_groups; i++) {
		free(r->groups[i].name);
		free(r->groups[i].watts);
	}
	for (i = 0; i < r->n_nodes; i++) {
		free(r->nodes[i].name);
		free(r->nodes[i].meters);
		free(r->nodes[i].model);
	}
	free(r->groups);
	free(r->nodes);
	free(r->cells);
	json_decref(r->index);
	json_decref(r->notes);
	free(r);
}

static void figures_init(struct report_figures *f)
{
	f->energy_j = 0;
	f->measured_j = 0;
	f->facility_j = f->operational_g = f->embodied_g = f->carbon_g = f->gpu_j = NAN;
	f->prev_energy_j = NAN;
	f->share = f->avg_watts = f->trend = NAN;
	f->basis = BASIS_NONE;
}

/* The index of a named thing ("g\x1fNAME", "n\x1fNAME", ...), or -1. */
static long index_get(json_t *index, const char *kind, const char *a, const char *b)
{
	char key[1024];
	json_t *v;

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", kind, a, b ? b : "");
	v = json_object_get(index, key);
	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

static int index_set(json_t *index, const char *kind, const char *a, const char *b, size_t i)
{
	char key[1024];

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", kind, a, b ? b : "");
	return json_object_set_new(index, key, json_integer((json_int_t)i)) ? -ENOMEM : 0;
}

static long report_group_at(struct report *r, const char *name)
{
	long i = index_get(r->index, "g", name, NULL);
	struct report_group *g;

	if (i >= 0)
		return i;
	g = grow(r->groups, &r->cap_groups, r->n_groups, sizeof(*g));
	if (!g)
		return -ENOMEM;
	r->groups = g;
	g = &r->groups[r->n_groups];
	memset(g, 0, sizeof(*g));
	figures_init(&g->f);
	g->name = strdup(name);
	if (!g->name)
		return -ENOMEM;
	if (r->n_points) {
		size_t k;

		g->watts = malloc(r->n_points * sizeof(*g->watts));
		if (!g->watts)
			return -ENOMEM;
		for (k = 0; k < r->n_points; k++)
			g->watts[k] = NAN;
	}
	if (index_set(r->index, "g", name, NULL, r->n_groups))
		return -ENOMEM;
	return (long)r->n_groups++;
}

static long report_node_at(struct report *r, const char *name)
{
	long i = index_get(r->index, "n", name, NULL);
	struct report_node *n;
	int k;

	if (i >= 0)
		return i;
	n = grow(r->nodes, &r->cap_nodes, r->n_nodes, sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->nodes = n;
	n = &r->nodes[r->n_nodes];
	memset(n, 0, sizeof(*n));
	for (k = 0; k < RF_NR; k++)
		n->fig[k] = NAN;
	n->name = strdup(name);
	if (!n->name || index_set(r->index, "n", name, NULL, r->n_nodes))
		return -ENOMEM;
	return (long)r->n_nodes++;
}

static struct report_cell *report_cell_at(struct report *r, const char *group, const char *node)
{
	long i = index_get(r->index, "c", group, node), g, n;
	struct report_cell *c;
	int k;

	if (i >= 0)
		return &r->cells[i];
	g = report_group_at(r, group);
	n = report_node_at(r, node);
	if (g < 0 || n < 0)
		return NULL;
	c = grow(r->cells, &r->cap_cells, r->n_cells, sizeof(*c));
	if (!c)
		return NULL;
	r->cells = c;
	c = &r->cells[r->n_cells];
	c->group = (size_t)g;
	c->node = (size_t)n;
	for (k = 0; k < RF_NR; k++)
		c->fig[k] = NAN;
	if (index_set(r->index, "c", group, node, r->n_cells))
		return NULL;
	r->n_cells++;
	return c;
}

int report__add(struct report *r, const char *group, const char *node, enum report_fig fig,
		double v)
{
	struct report_cell *c = report_cell_at(r, group, node ? node : "");

	if (!c)
		return -ENOMEM;
	fig_add(&c->fig[fig], v);
	return 0;
}

bool report__meter_measures(const char *meter)
{
	return meter && *meter && strncmp(meter, "model", 5);
}

/* Add name to a comma-separated set (meters, model rows), once. */
static int names_add(char **set, const char *name)
{
	size_t n = *set ? strlen(*set) : 0, m = strlen(name);
	const char *p;
	char *s;

	for (p = *set; p && *p; p += strcspn(p, ","), p += *p == ',')
		if (strcspn(p, ",") == m && !strncmp(p, name, m))
			return 0;
	s = realloc(*set, n + m + 2);
	if (!s)
		return -ENOMEM;
	if (n)
		s[n++] = ',';
	memcpy(s + n, name, m + 1);
	*set = s;
	return 0;
}

int report__node_energy(struct report *r, const char *node, const char *meter, double joules)
{
	long i = report_node_at(r, node);
	struct report_node *n;

	if (i < 0)
		return -ENOMEM;
	n = &r->nodes[i];
	if (isnan(joules))
		return 0;
	n->energy_j += joules;
	if (report__meter_measures(meter))
		n->measured_j += joules;
	return names_add(&n->meters, meter && *meter ? meter : "unknown");
}

int report__node_add(struct report *r, const char *node, enum report_fig fig, double v)
{
	long i = report_node_at(r, node);

	if (i < 0)
		return -ENOMEM;
	fig_add(&r->nodes[i].fig[fig], v);
	return 0;
}

int report__node_model(struct report *r, const char *node, const char *model)
{
	long i = index_get(r->index, "n", node, NULL);

	return i < 0 ? 0 : names_add(&r->nodes[i].model, model);
}

int report__series(struct report *r, double start, double step, size_t n)
{
	r->series_start = start;
	r->series_step = step;
	r->n_points = n;
	return 0;
}

int report__series_add(struct report *r, const char *group, size_t i, double watts)
{
	long g = report_group_at(r, group);

	if (g < 0)
		return -ENOMEM;
	if (i < r->n_points && r->groups[g].watts)
		fig_add(&r->groups[g].watts[i], watts);
	return 0;
}

int report__note(struct report *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_array_append_new(r->notes, json_string(buf)) ? -ENOMEM : 0;
}

double report__node_pue(const struct report_node *n)
{
	return n->energy_j > 0 && !isnan(n->fig[RF_FACILITY]) ? n->fig[RF_FACILITY] / n->energy_j :
								NAN;
}

/* Carbon is operational grams per kWh of facility energy (IT energy where no PUE). */
double report__node_intensity(const struct report_node *n)
{
	double j = isnan(n->fig[RF_FACILITY]) ? n->energy_j : n->fig[RF_FACILITY];
	double g = isnan(n->fig[RF_OPERATIONAL]) && isnan(n->fig[RF_EMBODIED]) ?
			   n->fig[RF_CARBON] :
			   n->fig[RF_OPERATIONAL];

	return j > 0 && !isnan(g) ? g / (j / JOULES_PER_KWH) : NAN;
}

/* The share of a node's energy that a meter measured (a model: 0). */
static double node_measured_fraction(const struct report_node *n)
{
	return n->energy_j > 0 ? n->measured_j / n->energy_j : 0;
}

/*
 * An agent from before embodied carbon reports only carbon_grams_total, which
 * is then all operational; a newer one reports the parts and their sum.
 */
static void cell_carbon(double *fig)
{
	if (isnan(fig[RF_OPERATIONAL]) && isnan(fig[RF_EMBODIED]))
		fig[RF_OPERATIONAL] = fig[RF_CARBON];
	if (isnan(fig[RF_CARBON]) && !(isnan(fig[RF_OPERATIONAL]) && isnan(fig[RF_EMBODIED]))) {
		fig[RF_CARBON] = 0;
		fig_add(&fig[RF_CARBON], fig[RF_OPERATIONAL]);
		fig_add(&fig[RF_CARBON], fig[RF_EMBODIED]);
	}
}

static void figures_add_cell(struct report_figures *f, double *fig, double measured_fraction)
{
	double e = 0;

	cell_carbon(fig);
	fig_add(&e, fig[RF_ENERGY]);
	fig_add(&e, fig[RF_IDLE]);
	f->energy_j += e;
	f->measured_j += e * measured_fraction;
	fig_add(&f->facility_j, fig[RF_FACILITY]);
	fig_add(&f->operational_g, fig[RF_OPERATIONAL]);
	fig_add(&f->embodied_g, fig[RF_EMBODIED]);
	fig_add(&f->carbon_g, fig[RF_CARBON]);
	fig_add(&f->gpu_j, fig[RF_GPU]);
	fig_add(&f->prev_energy_j, fig[RF_PREV_ENERGY]);
}

static void figures_sum(struct report_figures *dst, const struct report_figures *src)
{
	dst->energy_j += src->energy_j;
	dst->measured_j += src->measured_j;
	fig_add(&dst->facility_j, src->facility_j);
	fig_add(&dst->operational_g, src->operational_g);
	fig_add(&dst->embodied_g, src->embodied_g);
	fig_add(&dst->carbon_g, src->carbon_g);
	fig_add(&dst->gpu_j, src->gpu_j);
	fig_add(&dst->prev_energy_j, src->prev_energy_j);
}

/* Share, average power, trend and basis, from the sums. */
static void figures_derive(struct report_figures *f, const struct report *r)
{
	double m;

	f->share = r->cluster.energy_j > 0 ? f->energy_j / r->cluster.energy_j : NAN;
	f->avg_watts = r->to > r->from ? f->energy_j / (r->to - r->from) : NAN;
	f->trend = r->has_previous && f->prev_energy_j > 0 ?
			   (f->energy_j - f->prev_energy_j) / f->prev_energy_j :
			   NAN;
	if (f->energy_j <= 0) {
		f->basis = BASIS_NONE;
		return;
	}
	m = f->measured_j / f->energy_j;
	f->basis = m >= 1 - 1e-9 ? BASIS_MEASURED : m <= 1e-9 ? BASIS_MODELLED : BASIS_MIXED;
}

static void report_cluster(struct report *r)
{
	size_t i;

	figures_init(&r->cluster);
	for (i = 0; i < r->n_nodes; i++) {
		struct report_node *n = &r->nodes[i];
		double fig[RF_NR];

		/* The node's energy is all of it, active and idle, by every meter it had. */
		memcpy(fig, n->fig, sizeof(fig));
		fig[RF_ENERGY] = n->energy_j;
		fig[RF_IDLE] = NAN;
		figures_add_cell(&r->cluster, fig, node_measured_fraction(n));
	}
}

static int node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct report_node *)a)->name, ((const struct report_node *)b)->name);
}

static int group_cmp(const void *a, const void *b)
{
	const struct report_group *x = a, *y = b;

	if (x->f.energy_j != y->f.energy_j)
		return x->f.energy_j < y->f.energy_j ? 1 : -1;
	return strcmp(x->name, y->name);
}

int report__finish(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n_cells; i++) {
		struct report_cell *c = &r->cells[i];

		figures_add_cell(&r->groups[c->group].f, c->fig,
				 node_measured_fraction(&r->nodes[c->node]));
	}
	report_cluster(r);
	figures_init(&r->total);
	for (i = 0; i < r->n_groups; i++)
		figures_sum(&r->total, &r->groups[i].f);
	figures_derive(&r->cluster, r);
	figures_derive(&r->total, r);
	for (i = 0; i < r->n_groups; i++)
		figures_derive(&r->groups[i].f, r);
	if (r->n_groups) /* qsort wants an array, even of none */
		qsort(r->groups, r->n_groups, sizeof(*r->groups), group_cmp);
	if (r->n_nodes)
		qsort(r->nodes, r->n_nodes, sizeof(*r->nodes), node_cmp);
	/* The index points at cells by position: sorting made it stale. */
	json_object_clear(r->index);
	free(r->cells);
	r->cells = NULL;
	r->n_cells = r->cap_cells = 0;
	return 0;
}

const char *report__basis_name(enum report_basis b)
{
	switch (b) {
	case BASIS_MEASURED:
		return "measured";
	case BASIS_MODELLED:
		return "modelled";
	case BASIS_MIXED:
		return "mixed";
	default:
		return "none";
	}
}
