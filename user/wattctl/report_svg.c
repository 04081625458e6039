// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Inline SVG charts for the HTML report, drawn from the report document:
 * no script, no font or image from elsewhere, so the page reads the same
 * attached to a mail, printed, or opened years later. Each group's area and
 * bar carry data-group, the name the table row carries too.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report_doc.h"
#include "report_svg.h"
#include "units.h"

/* Tableau 10 without its grey, which marks "other groups". */
static const char *const palette[SVG_MAX_AREAS] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f",
};
#define OTHER_COLOR "#bab0ac"

/* Chart geometry, in SVG user units (the page scales the whole chart). */
#define CHART_W		880
#define AREA_H		300
#define AREA_LEFT	64
#define AREA_RIGHT	16
#define AREA_TOP	14
#define AREA_BOTTOM	30
#define BAR_ROW		28
#define BAR_H		18
#define BAR_LABEL_W	210
#define BAR_VALUE_W	120
#define BAR_LABEL_CHARS 26 /* what BAR_LABEL_W holds at 12 px */

/* Groups that get an area of their own: all, or all but those that share the last one. */
static size_t own_areas(size_t n_groups)
{
	return n_groups <= SVG_MAX_AREAS ? n_groups : SVG_MAX_AREAS - 1;
}

const char *svg__color(size_t i, size_t n_groups)
{
	return i < own_areas(n_groups) ? palette[i] : OTHER_COLOR;
}

void svg__esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* 1, 2, 2.5 or 5 times a power of ten, at least v. */
static double nice_ceil(double v)
{
	static const double m[] = { 1, 2, 2.5, 5, 10 };
	double p;
	size_t i;

	if (!(v > 0))
		return 1;
	p = pow(10, floor(log10(v)));
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i] * p >= v * (1 - 1e-12))
			return m[i] * p;
	return 10 * p;
}

/* Gridlines a round number apart, at most five of them up to the top of the data. */
static void y_scale(double max, double *top, double *step)
{
	*step = nice_ceil(max / 5);
	*top = ceil(max / *step * (1 - 1e-12)) * *step;
	if (*top <= 0)
		*top = *step;
}

/* The layers of the stack: one per group up to SVG_MAX_AREAS, the rest as one. */
struct stack {
	size_t layers, points;
	double *v;     /* layers x points, watts, stacked (cumulative) */
	json_t *names; /* layer -> group name, or "other groups" */
};

static double pt(json_t *a, size_t i)
{
	json_t *v = json_array_get(a, i);

	return json_is_number(v) ? json_number_value(v) : 0;
}

static int stack_build(struct stack *s, json_t *doc)
{
	json_t *groups = json_object_get(doc, "groups"), *watts;
	size_t n = json_array_size(groups), g, i, k;

	watts = json_object_get(json_object_get(doc, "series"), "watts");
	size_t own = own_areas(n);

	s->points = json_array_size(json_object_iter_value(json_object_iter(watts)));
	s->layers = own < n ? own + 1 : n;
	s->v = calloc(s->layers * s->points + 1, sizeof(*s->v));
	s->names = json_array();
	if (!s->v || !s->names)
		return -1;
	for (g = 0; g < n; g++) {
		const char *name = report__str(json_array_get(groups, g), "name");
		json_t *a = json_object_get(watts, name);

		k = g < own ? g : own;
		if (g < own)
			json_array_append_new(s->names, json_string(name));
		for (i = 0; i < s->points; i++)
			s->v[k * s->points + i] += pt(a, i);
	}
	if (n > own)
		json_array_append_new(s->names, json_sprintf("%zu other groups", n - own));
	for (k = 1; k < s->layers; k++)
		for (i = 0; i < s->points; i++)
			s->v[k * s->points + i] += s->v[(k - 1) * s->points + i];
	return 0;
}

static void stack_free(struct stack *s)
{
	free(s->v);
	json_decref(s->names);
}

struct area_axes {
	double from, to;    /* the period, unix seconds */
	double start, step; /* the first point's time and the spacing */
	double ymax, ystep;
};

static double ax_x(const struct area_axes *a, double t)
{
	return AREA_LEFT + (t - a->from) / (a->to - a->from) * (CHART_W - AREA_LEFT - AREA_RIGHT);
}

static double ax_y(const struct area_axes *a, double w)
{
	return AREA_TOP + (1 - w / a->ymax) * (AREA_H - AREA_TOP - AREA_BOTTOM);
}

/* Point i stands for the step that ends at its time: drawn at the step's middle. */
static double point_x(const struct area_axes *a, size_t i)
{
	return ax_x(a, a->start + (double)i * a->step - a->step / 2);
}

/* One layer: along its top from the period's start to its end, back along the layer below. */
static void area_path(FILE *f, const struct area_axes *a, const struct stack *s, size_t k)
{
	const double *top = s->v + k * s->points, *low = k ? s->v + (k - 1) * s->points : NULL;
	size_t i, n = s->points;

	fprintf(f, "M%.1f,%.1f", ax_x(a, a->from), ax_y(a, top[0]));
	for (i = 0; i < n; i++)
		fprintf(f, "L%.1f,%.1f", point_x(a, i), ax_y(a, top[i]));
	fprintf(f, "L%.1f,%.1f", ax_x(a, a->to), ax_y(a, top[n - 1]));
	fprintf(f, "L%.1f,%.1f", ax_x(a, a->to), ax_y(a, low ? low[n - 1] : 0));
	for (i = n; i-- > 0;)
		fprintf(f, "L%.1f,%.1f", point_x(a, i), ax_y(a, low ? low[i] : 0));
	fprintf(f, "L%.1f,%.1fZ", ax_x(a, a->from), ax_y(a, low ? low[0] : 0));
}

/* A gridline's watts as short as they are round: "25W", "2.5kW", "500mW". */
static const char *axis_watts(char *buf, size_t len, double w)
{
	if (w >= 1000)
		snprintf(buf, len, "%gkW", w / 1000);
	else if (w > 0 && w < 1)
		snprintf(buf, len, "%gmW", w * 1000);
	else
		snprintf(buf, len, "%gW", w);
	return buf;
}

static void area_yaxis(FILE *f, const struct area_axes *a)
{
	char b[32];
	double w;

	for (w = 0; w <= a->ymax * (1 + 1e-9); w += a->ystep) {
		fprintf(f, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>",
			AREA_LEFT, CHART_W - AREA_RIGHT, ax_y(a, w), ax_y(a, w));
		fprintf(f,
			"<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			AREA_LEFT - 6, ax_y(a, w) + 4, axis_watts(b, sizeof(b), w));
	}
}

/* Tick spacing: the first of these that gives at most 8 ticks. */
static double tick_step(double span)
{
	static const double steps[] = { 300,	   600,	      900,	  1800,	     3600,
					7200,	   10800,     21600,	  43200,     86400,
					2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400 };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 8)
			return steps[i];
	return ceil(span / 8 / 86400) * 86400;
}

static void area_xaxis(FILE *f, const struct area_axes *a)
{
	double step = tick_step(a->to - a->from), t;
	char b[32];

	for (t = ceil(a->from / step) * step; t <= a->to; t += step) {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(b, sizeof(b),
			 step >= 86400 || (tm.tm_hour == 0 && tm.tm_min == 0) ? "%d %b" : "%H:%M",
			 &tm);
		fprintf(f, "<line class=\"tickline\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>",
			ax_x(a, t), ax_x(a, t), AREA_H - AREA_BOTTOM, AREA_H - AREA_BOTTOM + 5);
		/* A label at either end of the axis is kept inside the chart. */
		fprintf(f,
			"<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>\n",
			ax_x(a, t), AREA_H - AREA_BOTTOM + 18,
			ax_x(a, t) > CHART_W - AREA_RIGHT - 24 ? "end" :
			ax_x(a, t) < AREA_LEFT + 24	       ? "start" :
								 "middle",
			b);
	}
}

static void area_legend(FILE *f, const struct stack *s, size_t n_groups)
{
	json_t *name;
	size_t k;

	fputs("<ul class=\"legend\">", f);
	json_array_foreach(s->names, k, name) {
		fprintf(f, "<li><span class=\"swatch\" style=\"background:%s\"></span>",
			svg__color(k, n_groups));
		svg__esc(f, json_string_value(name));
		fputs("</li>", f);
	}
	fputs("</ul>\n", f);
}

void svg__power(FILE *f, json_t *doc)
{
	json_t *period = json_object_get(doc, "period"), *series = json_object_get(doc, "series");
	size_t n_groups = json_array_size(json_object_get(doc, "groups")), k, i;
	struct stack s = { 0 };
	struct area_axes a = {
		.from = report__num(period, "from_unix"),
		.to = report__num(period, "to_unix"),
		.start = report__num(series, "start_unix"),
		.step = report__num(series, "step_seconds"),
	};

	if (stack_build(&s, doc) || !s.points || !s.layers) {
		fputs("<p class=\"none\">No power samples in this period.</p>\n", f);
		stack_free(&s);
		return;
	}
	for (i = 0; i < s.points; i++)
		a.ymax = fmax(a.ymax, s.v[(s.layers - 1) * s.points + i]);
	y_scale(a.ymax, &a.ymax, &a.ystep);
	fprintf(f,
		"<svg class=\"chart\" id=\"power-chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"Power over time, stacked by group\">\n",
		CHART_W, AREA_H);
	area_yaxis(f, &a);
	for (k = s.layers; k-- > 0;) {
		const char *name = json_string_value(json_array_get(s.names, k));

		fputs("<path class=\"area\" data-group=\"", f);
		svg__esc(f, name);
		fprintf(f, "\" fill=\"%s\" d=\"", svg__color(k, n_groups));
		area_path(f, &a, &s, k);
		fputs("\"><title>", f);
		svg__esc(f, name);
		fputs("</title></path>\n", f);
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>", AREA_LEFT,
		CHART_W - AREA_RIGHT, AREA_H - AREA_BOTTOM, AREA_H - AREA_BOTTOM);
	area_xaxis(f, &a);
	fputs("</svg>\n", f);
	area_legend(f, &s, n_groups);
	stack_free(&s);
}

/* A bar: the group's carbon (or energy), split into operational and embodied. */
struct bar {
	const char *name;
	size_t color; /* the group's index, for its colour */
	double total, embodied;
};

static int bar_cmp(const void *x, const void *y)
{
	const struct bar *a = x, *b = y;

	if (a->total != b->total)
		return a->total < b->total ? 1 : -1;
	return strcmp(a->name, b->name);
}

/* The bars, largest first; past SVG_MAX_BARS, one bar for the rest. *n gets their number. */
static struct bar *bars_build(json_t *groups, bool carbon, size_t *n, char *other, size_t len)
{
	size_t ng = json_array_size(groups), i;
	struct bar *b = calloc(ng + 1, sizeof(*b));
	json_t *g;

	if (!b)
		return NULL;
	json_array_foreach(groups, i, g) {
		b[i].name = report__str(g, "name");
		b[i].color = i;
		b[i].total = report__num(g, carbon ? "carbon_grams" : "energy_kwh");
		b[i].embodied = carbon ? report__num(g, "embodied_carbon_grams") : NAN;
		if (isnan(b[i].total))
			b[i].total = 0;
	}
	qsort(b, ng, sizeof(*b), bar_cmp);
	*n = ng;
	if (ng > SVG_MAX_BARS + 1) {
		struct bar *rest = &b[SVG_MAX_BARS];

		snprintf(other, len, "%zu other groups", ng - SVG_MAX_BARS);
		rest->name = other;
		rest->color = (size_t)-1;
		for (i = SVG_MAX_BARS + 1; i < ng; i++) {
			rest->total += b[i].total;
			rest->embodied = isnan(b[i].embodied) ?
						 rest->embodied :
						 (isnan(rest->embodied) ? 0 : rest->embodied) +
							 b[i].embodied;
		}
		*n = SVG_MAX_BARS + 1;
	}
	return b;
}

/* A name that fits the bar chart's label column: its start and end, "…" between. */
static void bar_label(FILE *f, const char *name)
{
	size_t n = strlen(name), i;
	char head[BAR_LABEL_CHARS + 1], tail[BAR_LABEL_CHARS + 1];

	if (n <= BAR_LABEL_CHARS) {
		svg__esc(f, name);
		return;
	}
	/* Cut at character boundaries: never inside a UTF-8 sequence. */
	for (i = BAR_LABEL_CHARS / 2; i > 0 && (name[i] & 0xc0) == 0x80; i--)
		;
	snprintf(head, sizeof(head), "%.*s", (int)i, name);
	for (i = n - BAR_LABEL_CHARS / 2 + 1; i < n && (name[i] & 0xc0) == 0x80; i++)
		;
	snprintf(tail, sizeof(tail), "%s", name + i);
	svg__esc(f, head);
	fputs("\xe2\x80\xa6", f);
	svg__esc(f, tail);
}

static void bar_row(FILE *f, const struct bar *b, size_t row, double max, const char *color,
		    const char *unit, double div)
{
	double w = CHART_W - BAR_LABEL_W - BAR_VALUE_W, y = row * BAR_ROW + 4;
	double len = max > 0 ? b->total / max * w : 0;
	double emb = isnan(b->embodied) || max <= 0 ? 0 : b->embodied / max * w;
	char v[48];

	fputs("<g class=\"bar\" data-group=\"", f);
	svg__esc(f, b->name);
	fprintf(f, "\" data-value=\"%.12g\"><title>", b->total);
	svg__esc(f, b->name);
	fprintf(f, "</title><text class=\"label\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
		BAR_LABEL_W - 8, y + BAR_H - 5);
	bar_label(f, b->name);
	fprintf(f,
		"</text><rect class=\"operational\" x=\"%d\" y=\"%.1f\" width=\"%.2f\" "
		"height=\"%d\" fill=\"%s\"/>",
		BAR_LABEL_W, y, len - emb, BAR_H, color);
	if (emb > 0)
		fprintf(f,
			"<rect class=\"embodied\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			"height=\"%d\" fill=\"%s\"/>",
			BAR_LABEL_W + len - emb, y, emb, BAR_H, color);
	fprintf(f, "<text class=\"value\" x=\"%.1f\" y=\"%.1f\">%s %s</text></g>\n",
		BAR_LABEL_W + len + 6, y + BAR_H - 5, units__sig(v, sizeof(v), b->total / div),
		unit);
}

void svg__bars(FILE *f, json_t *doc)
{
	json_t *groups = json_object_get(doc, "groups");
	bool carbon = json_object_get(json_object_get(doc, "total"), "carbon_grams");
	double max = 0, div = 1;
	const char *unit = carbon ? report__carbon_unit(doc, &div) : "kWh";
	char other[48];
	size_t n, i;
	struct bar *b = bars_build(groups, carbon, &n, other, sizeof(other));

	if (!b)
		return;
	for (i = 0; i < n; i++)
		max = fmax(max, b[i].total);
	fprintf(f,
		"<svg class=\"chart\" id=\"bar-chart\" viewBox=\"0 0 %d %zu\" role=\"img\" "
		"aria-label=\"%s by group\">\n",
		CHART_W, n * BAR_ROW + 8, carbon ? "Carbon" : "Energy");
	for (i = 0; i < n; i++)
		bar_row(f, &b[i], i, max,
			b[i].color == (size_t)-1 ? OTHER_COLOR :
						   svg__color(b[i].color, json_array_size(groups)),
			unit, div);
	fputs("</svg>\n", f);
	free(b);
}
