// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report as a text table on standard output (as every wattctl view) or as
 * CSV, drawn from its JSON document; and -o dispatch.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "output.h"
#include "period.h"
#include "report.h"
#include "report_doc.h"
#include "table.h"
#include "units.h"

#define TEXT_WIDTH	100
#define REPORT_MAX_COLS 12
#define CELL		64

struct carbon_unit {
	double div;
	const char *name;
};

static struct carbon_unit carbon_unit(json_t *doc)
{
	struct carbon_unit cu;

	cu.name = report__carbon_unit(doc, &cu.div);
	return cu;
}

enum cell_kind {
	CELL_KWH,
	CELL_GRAMS,
	CELL_SHARE,
	CELL_WATTS,
	CELL_TREND,
	CELL_BASIS,
};

struct report_col {
	const char *header; /* "%s" takes the carbon unit */
	const char *key;
	enum cell_kind kind;
};

static const struct report_col report_cols[] = {
	{ "ENERGY(kWh)", "energy_kwh", CELL_KWH },
	{ "GPU(kWh)", "gpu_energy_kwh", CELL_KWH },
	{ "FACILITY(kWh)", "facility_energy_kwh", CELL_KWH },
	{ "OPERATIONAL(%s)", "operational_carbon_grams", CELL_GRAMS },
	{ "EMBODIED(%s)", "embodied_carbon_grams", CELL_GRAMS },
	{ "CARBON(%s)", "carbon_grams", CELL_GRAMS },
	{ "SHARE", "share", CELL_SHARE },
	{ "AVG-POWER", "average_power_watts", CELL_WATTS },
	{ "TREND", "trend", CELL_TREND },
	{ "BASIS", "basis", CELL_BASIS },
};

#define NR_REPORT_COLS (sizeof(report_cols) / sizeof(report_cols[0]))

/* "+12%", "-8.5%", "new" (nothing before), "-" (nothing now or before). */
static const char *trend_str(json_t *figs, char *buf, size_t len)
{
	double t = report__num(figs, "trend"), prev = report__num(figs, "previous_energy_kwh");

	if (isnan(t))
		return isnan(prev) ? "-" : report__num(figs, "energy_kwh") > 0 ? "new" : "-";
	snprintf(buf, len, fabs(t) < 0.1 ? "%+.1f%%" : "%+.0f%%", 100 * t);
	return buf;
}

static const char *cell(const struct report_col *col, json_t *figs, struct carbon_unit cu,
			char *buf, size_t len)
{
	double v = report__num(figs, col->key);
	char tmp[CELL];

	switch (col->kind) {
	case CELL_GRAMS:
		return units__sig(buf, len, v / cu.div);
	case CELL_SHARE:
		if (isnan(v))
			return "-";
		snprintf(buf, len, "%s%%", units__sig(tmp, sizeof(tmp), 100 * v));
		return buf;
	case CELL_WATTS:
		return units__watts(buf, len, v);
	case CELL_TREND:
		return trend_str(figs, buf, len);
	case CELL_BASIS:
		return report__basis_label(figs, buf, len);
	case CELL_KWH:
	default:
		return units__sig(buf, len, v);
	}
}

/* The columns this report has: a figure nothing reported is left out. */
static size_t report_pick(json_t *doc, const struct report_col **pick)
{
	json_t *total = json_object_get(doc, "total");
	size_t i, n = 0;

	for (i = 0; i < NR_REPORT_COLS; i++) {
		const struct report_col *col = &report_cols[i];

		if (col->kind == CELL_TREND ? !json_object_get(doc, "previous_period") :
					      col->kind != CELL_BASIS && col->kind != CELL_SHARE &&
						      !json_object_get(total, col->key))
			continue;
		pick[n++] = col;
	}
	return n;
}

/* "NAMESPACE", "POD", or the label key in capitals. */
static const char *group_header(json_t *doc, char *buf, size_t len)
{
	const char *by = report__str(doc, "by");
	size_t i;

	if (!strncmp(by, "label:", 6))
		by += 6;
	for (i = 0; by[i] && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)by[i]);
	buf[i] = '\0';
	return buf;
}

static int table_row(struct table *t, const char *name, json_t *figs,
		     const struct report_col **pick, size_t n, struct carbon_unit cu)
{
	char bufs[REPORT_MAX_COLS][CELL];
	const char *cells[REPORT_MAX_COLS + 1];
	size_t i;

	cells[0] = name;
	for (i = 0; i < n; i++)
		cells[i + 1] = cell(pick[i], figs, cu, bufs[i], CELL);
	return table__add_row(t, cells);
}

/* Words of s, at most TEXT_WIDTH a line. */
static void wrap(const char *s)
{
	size_t col = 0;

	while (*s) {
		size_t w = strcspn(s, " ");

		if (col && col + 1 + w > TEXT_WIDTH) {
			putchar('\n');
			col = 0;
		} else if (col) {
			putchar(' ');
			col++;
		}
		fwrite(s, 1, w, stdout);
		col += w;
		s += w;
		s += strspn(s, " ");
	}
	putchar('\n');
}

static void table_head(json_t *doc)
{
	json_t *period = json_object_get(doc, "period");
	const char *ns = report__str(doc, "namespace");
	char len[32];

	const char *by = report__str(doc, "by");

	printf("Energy and carbon by %s%s, %s to %s (%s)%s%s\n\n",
	       strncmp(by, "label:", 6) ? "" : "pod label ", strncmp(by, "label:", 6) ? by : by + 6,
	       report__str(period, "from"), report__str(period, "to"),
	       period__duration_str((long long)report__num(period, "seconds"), len, sizeof(len)),
	       *ns ? ", namespace " : "", ns);
}

static void table_foot(json_t *doc)
{
	json_t *cluster = json_object_get(doc, "cluster"), *s;
	size_t i, nodes = json_array_size(json_object_get(doc, "nodes"));
	char e[CELL], m[CELL], sh[CELL], line[512];

	snprintf(
		line, sizeof(line),
		"Cluster: %s kWh of IT energy on %zu node%s, %s%% of it measured; the groups above "
		"used %s%% of it.",
		units__sig(e, sizeof(e), report__num(cluster, "energy_kwh")), nodes,
		nodes == 1 ? "" : "s",
		units__sig(m, sizeof(m), 100 * report__num(cluster, "measured_fraction")),
		units__sig(sh, sizeof(sh),
			   100 * report__num(json_object_get(doc, "total"), "share")));
	putchar('\n');
	wrap(line);
	json_array_foreach(json_object_get(doc, "method"), i, s)
		wrap(json_string_value(s));
	json_array_foreach(json_object_get(doc, "notes"), i, s) {
		snprintf(line, sizeof(line), "Note: %s", json_string_value(s));
		wrap(line);
	}
}

int report__table(json_t *doc)
{
	const struct report_col *pick[REPORT_MAX_COLS];
	const char *hdr[REPORT_MAX_COLS + 1];
	char hbuf[REPORT_MAX_COLS][CELL], gh[CELL];
	struct carbon_unit cu = carbon_unit(doc);
	size_t n = report_pick(doc, pick), i;
	struct table *t;
	json_t *g;
	int err = 0;

	hdr[0] = group_header(doc, gh, sizeof(gh));
	for (i = 0; i < n; i++) {
		snprintf(hbuf[i], CELL, pick[i]->header, cu.name);
		hdr[i + 1] = hbuf[i];
	}
	t = table__new((int)n + 1, hdr);
	if (!t)
		return EXIT_ERR;
	json_array_foreach(json_object_get(doc, "groups"), i, g)
		err = err ?: table_row(t, report__str(g, "name"), g, pick, n, cu);
	err = err ?: table_row(t, "TOTAL", json_object_get(doc, "total"), pick, n, cu);
	if (!err) {
		table_head(doc);
		table__print(t);
		table_foot(doc);
	}
	table__free(t);
	return err ? EXIT_ERR : EXIT_OK;
}

/* RFC 4180: quoted when it holds a comma, quote or line break. */
static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const char *const csv_cols[] = {
	"energy_kwh",
	"facility_energy_kwh",
	"operational_carbon_grams",
	"embodied_carbon_grams",
	"carbon_grams",
	"share",
	"average_power_watts",
	"previous_energy_kwh",
	"trend",
	"measured_fraction",
};

#define NR_CSV_COLS (sizeof(csv_cols) / sizeof(csv_cols[0]))

static void csv_row(FILE *f, const char *kind, const char *name, json_t *figs)
{
	size_t i;

	fprintf(f, "%s,", kind);
	csv_str(f, name);
	for (i = 0; i < NR_CSV_COLS; i++) {
		double v = report__num(figs, csv_cols[i]);

		if (isnan(v))
			fputs(",", f);
		else
			fprintf(f, ",%.12g", v);
	}
	fprintf(f, ",%s\r\n", report__str(figs, "basis"));
}

/* One row per group, then the groups' total and the whole cluster's; a column per figure. */
int report__csv(json_t *doc, FILE *f)
{
	size_t i;
	json_t *g;

	fputs("kind,name", f);
	for (i = 0; i < NR_CSV_COLS; i++)
		fprintf(f, ",%s", csv_cols[i]);
	fputs(",basis\r\n", f);
	json_array_foreach(json_object_get(doc, "groups"), i, g)
		csv_row(f, "group", report__str(g, "name"), g);
	csv_row(f, "total", "", json_object_get(doc, "total"));
	csv_row(f, "cluster", "", json_object_get(doc, "cluster"));
	return EXIT_OK;
}

int report__print(const struct report *r, enum out_format format)
{
	json_t *doc = report__to_json(r);
	int ret;

	if (!doc) {
		p_err("out of memory");
		return EXIT_ERR;
	}
	switch (format) {
	case OUT_JSON:
		ret = output__json_doc(doc, false) ? EXIT_ERR : EXIT_OK;
		break;
	case OUT_CSV:
		ret = report__csv(doc, stdout);
		break;
	case OUT_HTML:
		ret = report__html(doc, stdout);
		break;
	default:
		ret = report__table(doc);
		break;
	}
	json_decref(doc);
	if (fflush(stdout) || ferror(stdout)) {
		p_err("cannot write the report: standard output failed");
		return EXIT_ERR;
	}
	return ret;
}
