// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wattctl report -o html: one self-contained page to attach to a
 * sustainability report as it is. Headline figures, the table, power over
 * time, carbon per group and the method, all drawn from the report document;
 * styles inline, charts as inline SVG, no script, nothing fetched.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "report.h"
#include "report_doc.h"
#include "report_svg.h"
#include "units.h"

#ifndef WATTLET_VERSION
#define WATTLET_VERSION "unknown"
#endif

#define CELL 64

static const char style[] =
	":root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:#fff;color:var(--ink);font:14px/1.45 system-ui,-apple-system,"
	"\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,\"Liberation Sans\",\"DejaVu Sans\",sans-serif}\n"
	"main{max-width:980px;margin:0 auto;padding:32px 32px 40px}\n"
	"h1{font-size:24px;margin:0 0 4px}\n"
	"h2{font-size:16px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}\n"
	"h3{font-size:14px;margin:20px 0 8px}\n"
	".sub{color:var(--muted);margin:0 0 24px}\n"
	".kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}\n"
	".kpi{border:1px solid var(--line);border-radius:6px;padding:12px 14px}\n"
	".kpi .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}\n"
	".kpi .value{font-size:22px;font-weight:600;margin-top:2px;font-variant-numeric:tabular-nums}\n"
	".kpi .unit{font-size:14px;font-weight:400;color:var(--muted)}\n"
	".kpi .detail{color:var(--muted);font-size:12px;margin-top:2px}\n"
	"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:13px}\n"
	"th,td{padding:6px 6px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}\n"
	"th:first-child,td:first-child{text-align:left;white-space:normal;overflow-wrap:anywhere;"
	"min-width:9em}\n"
	"thead th{font-size:12px;color:var(--muted);font-weight:600;vertical-align:bottom}\n"
	"th.text,td.text{text-align:left}\n"
	"thead th small{display:block;font-weight:400}\n"
	"tfoot td{font-weight:600;border-top:2px solid var(--ink);border-bottom:none}\n"
	".caption{color:var(--muted);font-size:12px;margin:8px 0 0}\n"
	".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:8px}\n"
	".basis{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px}\n"
	".basis.measured{background:#e3f4e8;color:#1e6b34}\n"
	".basis.modelled{background:#fdf0dc;color:#8a5300}\n"
	".basis.mixed{background:#e6eef7;color:#2b5582}\n"
	".up{color:#a61b1b}.down{color:#1e6b34}\n"
	".chart{width:100%;height:auto;display:block}\n"
	".chart .grid{stroke:var(--line)}\n"
	".chart .axis,.chart .tickline{stroke:#9aa5b1}\n"
	".chart text{font-size:11px;fill:var(--muted)}\n"
	".chart .area{stroke:#fff;stroke-width:.5}\n"
	".chart .bar text{font-size:12px;fill:var(--ink)}\n"
	".chart .embodied{opacity:.45}\n"
	".legend{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-wrap:wrap;"
	"gap:4px 16px;font-size:12px}\n"
	".method{padding-left:18px}\n"
	".method li{margin:4px 0}\n"
	".none{color:var(--muted)}\n"
	"footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);"
	"padding-top:8px}\n"
	"@media print{main{padding:0}section{break-inside:avoid}}\n";

/* "1 Nov 2026 00:00" (UTC) */
static const char *human_time(double t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%-d %b %Y %H:%M", &tm))
		snprintf(buf, len, "%.0f", t);
	return buf;
}

/* "30 days", "36 hours", "90 minutes", "45 seconds" */
static const char *human_span(double s, char *buf, size_t len)
{
	if (s >= 2 * 86400 && fmod(s, 86400) == 0)
		snprintf(buf, len, "%.0f days", s / 86400);
	else if (s >= 2 * 3600 && fmod(s, 3600) == 0)
		snprintf(buf, len, "%.0f hours", s / 3600);
	else if (s >= 120)
		snprintf(buf, len, "%.0f minutes", s / 60);
	else
		snprintf(buf, len, "%.0f seconds", s);
	return buf;
}

/* "namespace", "pod", or the label key. */
static const char *group_noun(json_t *doc)
{
	const char *by = report__str(doc, "by");

	return strncmp(by, "label:", 6) ? by : by + 6;
}

/* The first letter in capitals: "Namespace". */
static void cap_esc(FILE *f, const char *s)
{
	char first[2] = { (char)toupper((unsigned char)*s), '\0' };

	if (!*s)
		return;
	svg__esc(f, first);
	svg__esc(f, s + 1);
}

static void head(FILE *f, json_t *doc)
{
	json_t *period = json_object_get(doc, "period"), *src = json_object_get(doc, "source");
	const char *ns = report__str(doc, "namespace");
	char a[48], b[48], s[48];

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>",
	      f);
	fputs("Energy and carbon by ", f);
	svg__esc(f, group_noun(doc));
	fprintf(f, ", %s to %s UTC</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n",
		human_time(report__num(period, "from_unix"), a, sizeof(a)),
		human_time(report__num(period, "to_unix"), b, sizeof(b)), style);
	fputs("<header>\n<h1>Energy and carbon by ", f);
	svg__esc(f, group_noun(doc));
	fprintf(f, "</h1>\n<p class=\"sub\">%s to %s UTC &middot; %s &middot; ", a, b,
		human_span(report__num(period, "seconds"), s, sizeof(s)));
	if (*ns) {
		fputs("namespace ", f);
		svg__esc(f, ns);
	} else {
		fputs("all namespaces", f);
	}
	fputs(" &middot; from ", f);
	fputs(strcmp(report__str(src, "kind"), "prometheus") ? "the wattlet agent at " :
							       "Prometheus at ",
	      f);
	svg__esc(f, report__str(src, "url"));
	fputs("</p>\n</header>\n", f);
}

static void basis_badge(FILE *f, json_t *figs)
{
	char buf[CELL];

	fprintf(f, "<span class=\"basis %s\">%s</span>", report__str(figs, "basis"),
		report__basis_label(figs, buf, sizeof(buf)));
}

/* "▲ 12%" / "▼ 8.5%" against the period before, "new", or "" when there is no trend. */
static void trend(FILE *f, json_t *figs)
{
	double t = report__num(figs, "trend");

	if (isnan(t)) {
		if (report__num(figs, "previous_energy_kwh") == 0 &&
		    report__num(figs, "energy_kwh") > 0)
			fputs("new", f);
		else if (!isnan(report__num(figs, "previous_energy_kwh")))
			fputs("&ndash;", f);
		return;
	}
	fprintf(f,
		fabs(t) < 0.1 ? "<span class=\"%s\">%s %.1f%%</span>" :
				"<span class=\"%s\">%s %.0f%%</span>",
		t > 0 ? "up" : "down", t > 0 ? "&#9650;" : "&#9660;", fabs(100 * t));
}

static void kpi(FILE *f, const char *label, const char *value, const char *unit)
{
	fprintf(f,
		"<div class=\"kpi\"><div class=\"label\">%s</div><div class=\"value\">%s "
		"<span class=\"unit\">%s</span></div><div class=\"detail\">",
		label, value, unit);
}

/* The groups' total as four headline figures. */
static void kpis(FILE *f, json_t *doc)
{
	json_t *t = json_object_get(doc, "total");
	double g = report__num(t, "carbon_grams"), div;
	const char *unit = report__carbon_unit(doc, &div);
	char v[CELL], w[CELL];

	fputs("<section class=\"kpis\">\n", f);
	kpi(f, "Energy", units__sig(v, sizeof(v), report__num(t, "energy_kwh")), "kWh");
	basis_badge(f, t);
	fputs("</div></div>\n", f);
	kpi(f, "Facility energy", units__sig(v, sizeof(v), report__num(t, "facility_energy_kwh")),
	    isnan(report__num(t, "facility_energy_kwh")) ? "no PUE set" : "kWh");
	fputs("IT energy &times; PUE</div></div>\n", f);
	kpi(f, "Carbon", units__sig(v, sizeof(v), g / div), isnan(g) ? "no intensity set" : unit);
	if (!isnan(report__num(t, "embodied_carbon_grams")))
		fprintf(f, "%s%% embodied",
			units__sig(w, sizeof(w),
				   100 * report__num(t, "embodied_carbon_grams") / g));
	else
		fputs("operational", f);
	fputs("</div></div>\n", f);
	kpi(f, "Average power", units__watts(v, sizeof(v), report__num(t, "average_power_watts")),
	    "");
	fprintf(f, "%s%% of the cluster ", units__sig(w, sizeof(w), 100 * report__num(t, "share")));
	trend(f, t);
	fputs("</div></div>\n</section>\n", f);
}

struct html_col {
	const char *head;
	const char *unit; /* NULL: the carbon unit */
	const char *key;
};

static const struct html_col html_cols[] = {
	{ "Energy", "kWh", "energy_kwh" },
	{ "GPU", "kWh", "gpu_energy_kwh" },
	{ "Facility", "kWh", "facility_energy_kwh" },
	{ "Operational", NULL, "operational_carbon_grams" },
	{ "Embodied", NULL, "embodied_carbon_grams" },
	{ "Carbon", NULL, "carbon_grams" },
	{ "Share", "of cluster", "share" },
	{ "Avg power", "", "average_power_watts" },
	{ "Trend", "vs before", "trend" },
	{ "Basis", "", "basis" },
};

#define NR_HTML_COLS (sizeof(html_cols) / sizeof(html_cols[0]))

static bool col_shown(json_t *doc, const struct html_col *c)
{
	if (!strcmp(c->key, "trend"))
		return json_object_get(doc, "previous_period");
	if (!strcmp(c->key, "basis") || !strcmp(c->key, "share"))
		return true;
	return json_object_get(json_object_get(doc, "total"), c->key);
}

static void td(FILE *f, const struct html_col *c, json_t *figs, double gdiv)
{
	double v = report__num(figs, c->key);
	char b[CELL];

	fputs("<td>", f);
	if (!strcmp(c->key, "trend"))
		trend(f, figs);
	else if (!strcmp(c->key, "basis"))
		basis_badge(f, figs);
	else if (!strcmp(c->key, "share"))
		fprintf(f, "%s%%", units__sig(b, sizeof(b), 100 * v));
	else if (!strcmp(c->key, "average_power_watts"))
		fputs(units__watts(b, sizeof(b), v), f);
	else
		fputs(units__sig(b, sizeof(b), c->unit ? v : v / gdiv), f);
	fputs("</td>", f);
}

static void table(FILE *f, json_t *doc)
{
	json_t *groups = json_object_get(doc, "groups"), *g,
	       *cluster = json_object_get(doc, "cluster");
	double gdiv;
	const char *gunit = report__carbon_unit(doc, &gdiv);
	char a[CELL], b[CELL];
	size_t i, k;

	fputs("<section>\n<h2>By ", f);
	svg__esc(f, group_noun(doc));
	fputs("</h2>\n<table id=\"groups\">\n<thead><tr><th>", f);
	cap_esc(f, group_noun(doc));
	fputs("</th>", f);
	for (k = 0; k < NR_HTML_COLS; k++)
		if (col_shown(doc, &html_cols[k]))
			fprintf(f, "<th>%s<small>%s</small></th>", html_cols[k].head,
				html_cols[k].unit ? html_cols[k].unit : gunit);
	fputs("</tr></thead>\n<tbody>\n", f);
	json_array_foreach(groups, i, g) {
		fputs("<tr data-group=\"", f);
		svg__esc(f, report__str(g, "name"));
		fprintf(f, "\"><td><span class=\"swatch\" style=\"background:%s\"></span>",
			svg__color(i, json_array_size(groups)));
		svg__esc(f, report__str(g, "name"));
		fputs("</td>", f);
		for (k = 0; k < NR_HTML_COLS; k++)
			if (col_shown(doc, &html_cols[k]))
				td(f, &html_cols[k], g, gdiv);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n<tfoot><tr><td>Total</td>", f);
	for (k = 0; k < NR_HTML_COLS; k++)
		if (col_shown(doc, &html_cols[k]))
			td(f, &html_cols[k], json_object_get(doc, "total"), gdiv);
	fprintf(f,
		"</tr></tfoot>\n</table>\n<p class=\"caption\">The cluster used %s kWh of IT "
		"energy on %zu node%s, %s%% of it measured. The rest of it, beyond the total "
		"above, is idle, system or unattributed energy%s.</p>\n</section>\n",
		units__sig(a, sizeof(a), report__num(cluster, "energy_kwh")),
		json_array_size(json_object_get(doc, "nodes")),
		json_array_size(json_object_get(doc, "nodes")) == 1 ? "" : "s",
		units__sig(b, sizeof(b), 100 * report__num(cluster, "measured_fraction")),
		*report__str(doc, "namespace") ? ", or other namespaces'" : "");
}

static void charts(FILE *f, json_t *doc)
{
	bool carbon = json_object_get(json_object_get(doc, "total"), "carbon_grams");

	fputs("<section>\n<h2>Power over time</h2>\n", f);
	if (json_object_get(doc, "series"))
		svg__power(f, doc);
	else
		fputs("<p class=\"none\">An agent's API keeps no history: power over time needs "
		      "wattctl --prometheus.</p>\n",
		      f);
	fputs("</section>\n<section>\n<h2>", f);
	fputs(carbon ? "Carbon by " : "Energy by ", f);
	svg__esc(f, group_noun(doc));
	fputs("</h2>\n", f);
	svg__bars(f, doc);
	if (!carbon)
		fputs("<p class=\"caption\">No carbon intensity is configured: the bars show "
		      "energy.</p>\n",
		      f);
	else if (json_object_get(json_object_get(doc, "total"), "embodied_carbon_grams"))
		fputs("<p class=\"caption\">Solid: operational carbon (energy &times; grid "
		      "intensity). Light: embodied carbon (modelled).</p>\n",
		      f);
	else
		fputs("<p class=\"caption\">Operational carbon: energy &times; grid intensity. "
		      "No embodied carbon is configured.</p>\n",
		      f);
	fputs("</section>\n", f);
}

static void opt_cell(FILE *f, json_t *o, const char *key, const char *fmt)
{
	double v = report__num(o, key);

	if (isnan(v))
		fputs("<td>&ndash;</td>", f);
	else
		fprintf(f, fmt, v);
}

static void nodes(FILE *f, json_t *doc)
{
	json_t *nd;
	size_t i;
	char b[CELL];

	fputs("<h3>Nodes</h3>\n<table id=\"nodes\">\n<thead><tr><th>Node</th><th class=\"text\">"
	      "Meter</th><th class=\"text\">Basis</th><th>Energy<small>kWh</small></th>"
	      "<th>PUE<small>&nbsp;</small></th><th>Intensity<small>gCO2e/kWh</small></th>"
	      "<th class=\"text\">Model row</th></tr></thead>\n<tbody>\n",
	      f);
	json_array_foreach(json_object_get(doc, "nodes"), i, nd) {
		fputs("<tr><td>", f);
		svg__esc(f, report__str(nd, "name"));
		fputs("</td><td class=\"text\">", f);
		svg__esc(f, report__str(nd, "meters"));
		fprintf(f,
			"</td><td class=\"text\"><span class=\"basis %s\">%s</span></td><td>%s</td>",
			report__str(nd, "basis"), report__str(nd, "basis"),
			units__sig(b, sizeof(b), report__num(nd, "energy_kwh")));
		opt_cell(f, nd, "pue", "<td>%.3g</td>");
		opt_cell(f, nd, "carbon_intensity_grams_per_kwh", "<td>%.4g</td>");
		fputs("<td class=\"text\">", f);
		svg__esc(f, *report__str(nd, "model") ? report__str(nd, "model") : "\xe2\x80\x93");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void method(FILE *f, json_t *doc)
{
	json_t *s;
	size_t i;

	fputs("<section>\n<h2>Method</h2>\n<ul class=\"method\">\n", f);
	json_array_foreach(json_object_get(doc, "method"), i, s) {
		fputs("<li>", f);
		svg__esc(f, json_string_value(s));
		fputs("</li>\n", f);
	}
	json_array_foreach(json_object_get(doc, "notes"), i, s) {
		fputs("<li class=\"note\">", f);
		svg__esc(f, json_string_value(s));
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
	nodes(f, doc);
	fputs("</section>\n", f);
}

static void foot(FILE *f)
{
	char now[48];

	fprintf(f,
		"<footer>Made by wattctl %s on %s UTC. 1 kWh = 3.6 MJ; gCO2e: grams of "
		"carbon dioxide equivalent. Measured: read from a hardware energy meter (RAPL, "
		"hwmon); modelled: estimated from CPU use.</footer>\n</main>\n</body>\n</html>\n",
		WATTLET_VERSION, human_time((double)time(NULL), now, sizeof(now)));
}

int report__html(json_t *doc, FILE *f)
{
	head(f, doc);
	kpis(f, doc);
	table(f, doc);
	charts(f, doc);
	method(f, doc);
	foot(f);
	return ferror(f) ? EXIT_ERR : EXIT_OK;
}
