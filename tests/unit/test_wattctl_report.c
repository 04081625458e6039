// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wattctl report's pure parts: periods, report figures (sums across nodes,
 * measured/modelled, carbon of older agents, shares, trend), the document,
 * CSV quoting, and the HTML page (escaped names, nothing fetched from
 * elsewhere). wattctl does not link libwattlet, so its sources are compiled
 * into this test directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <cmocka.h>
#include "../../user/wattctl/period.c"
#include "../../user/wattctl/units.c"
#include "../../user/wattctl/output.c"
#include "../../user/wattctl/table.c"
#include "../../user/wattctl/report.c"
#include "../../user/wattctl/report_json.c"
#include "../../user/wattctl/report_out.c"
#include "../../user/wattctl/report_svg.c"
#include "../../user/wattctl/report_html.c"

#define NOW 1795000000LL

static void period__parse_duration__units__seconds(void **state)
{
	long long s = 0;

	assert_true(period__parse_duration("30d", &s));
	assert_int_equal(s, 2592000);
	assert_true(period__parse_duration("1d12h", &s));
	assert_int_equal(s, 129600);
	assert_true(period__parse_duration("90m", &s));
	assert_int_equal(s, 5400);
	assert_true(period__parse_duration("1w", &s));
	assert_int_equal(s, 604800);
	assert_true(period__parse_duration("45s", &s));
	assert_int_equal(s, 45);
}

static void period__parse_duration__bad__rejected(void **state)
{
	static const char *const bad[] = { "",	"30",	"30x", "0d",	    "-1d",
					   "d", "1.5d", "1d ", "999999999y" };
	long long s = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(period__parse_duration(bad[i], &s));
		assert_int_equal(s, 7);
	}
}

static void period__parse_time__forms__unix_seconds(void **state)
{
	long long t = 0;

	assert_true(period__parse_time("2026-11-01", NOW, &t));
	assert_int_equal(t, 1793491200);
	assert_true(period__parse_time("2026-11-01T08:30Z", NOW, &t));
	assert_int_equal(t, 1793521800);
	assert_true(period__parse_time("2026-11-01T08:30:15+01:00", NOW, &t));
	assert_int_equal(t, 1793518215);
	assert_true(period__parse_time("2026-11-01 08:30", NOW, &t));
	assert_int_equal(t, 1793521800);
	assert_true(period__parse_time("1795000123", NOW, &t));
	assert_int_equal(t, 1795000123);
	assert_true(period__parse_time("now", NOW, &t));
	assert_int_equal(t, NOW);
}

static void period__parse_time__impossible__rejected(void **state)
{
	static const char *const bad[] = {
		"2026-02-30",	    "2026-13-01",	  "2026-11-01T25:00",
		"2026-11-01T08:61", "2026-11-01T08:30+1", "yesterday",
		"2026-11-1",	    "1969-12-31",	  ""
	};
	long long t = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(period__parse_time(bad[i], NOW, &t));
	assert_int_equal(t, 7);
}

static void period__resolve__since_from_to__span(void **state)
{
	struct period_args a = { .since = "30d" };
	struct period p;
	char err[256];

	assert_int_equal(period__resolve(&a, NOW, 86400, &p, err, sizeof(err)), 0);
	assert_int_equal(p.from, NOW - 2592000);
	assert_int_equal(p.to, NOW);
	a = (struct period_args){ .since = "1d", .to = "2026-11-02" };
	assert_int_equal(period__resolve(&a, NOW, 86400, &p, err, sizeof(err)), 0);
	assert_int_equal(p.from, 1793491200);
	assert_int_equal(p.to, 1793491200 + 86400);
	a = (struct period_args){ .from = "2026-11-01", .to = "2026-11-02" };
	assert_int_equal(period__resolve(&a, NOW, 86400, &p, err, sizeof(err)), 0);
	assert_int_equal(p.to - p.from, 86400);
	a = (struct period_args){ 0 };
	assert_int_equal(period__resolve(&a, NOW, 3600, &p, err, sizeof(err)), 0);
	assert_int_equal(p.from, NOW - 3600);
}

static void period__resolve__bad__one_line(void **state)
{
	struct period p;
	char err[256];
	struct {
		struct period_args a;
		const char *msg;
	} cases[] = {
		{ { .since = "30x" }, "--since 30x: want a duration such as 30d, 12h or 90m" },
		{ { .since = "1d", .from = "2026-11-01" },
		  "--since and --from exclude each other" },
		{ { .from = "2026-11-02", .to = "2026-11-01" }, "--from must come before --to" },
		{ { .to = "2099-01-01" }, "--to 2099-01-01: is in the future" },
		{ { .from = "soon" },
		  "--from soon: want a time such as 2026-11-01, 2026-11-01T08:00Z "
		  "or unix seconds" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(period__resolve(&cases[i].a, NOW, 86400, &p, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

static void period__duration_str__shortest_exact(void **state)
{
	char b[32];

	assert_string_equal(period__duration_str(2592000, b, sizeof(b)), "30d");
	assert_string_equal(period__duration_str(129600, b, sizeof(b)), "36h");
	assert_string_equal(period__duration_str(5400, b, sizeof(b)), "90m");
	assert_string_equal(period__duration_str(45, b, sizeof(b)), "45s");
}

static void units__sig__three_figures_grouped(void **state)
{
	char b[UNITS_LEN];

	assert_string_equal(units__sig(b, sizeof(b), 0), "0");
	assert_string_equal(units__sig(b, sizeof(b), 0.000123456), "0.000123");
	assert_string_equal(units__sig(b, sizeof(b), 1.2345), "1.23");
	assert_string_equal(units__sig(b, sizeof(b), 9.996), "10.0");
	assert_string_equal(units__sig(b, sizeof(b), 99.96), "100");
	assert_string_equal(units__sig(b, sizeof(b), 999.6), "1,000");
	assert_string_equal(units__sig(b, sizeof(b), 1234567.8), "1,234,568");
	assert_string_equal(units__sig(b, sizeof(b), -0.5), "-0.500");
	assert_string_equal(units__sig(b, sizeof(b), NAN), "-");
}

/*
 * Two nodes, one measured (rapl) and one modelled; shop runs on both, so its
 * basis is mixed by energy: 300 of 400 J measured. node-b's agent is older and
 * reports only carbon_grams_total, which is then all operational.
 */
static struct report *two_node_report(void)
{
	struct report *r = report__new("prometheus", "http://p", "namespace", NULL, 1000, 2000);

	r->has_previous = true;
	assert_int_equal(report__node_energy(r, "node-a", "rapl", 1000), 0);
	assert_int_equal(report__node_energy(r, "node-b", "model", 600), 0);
	report__node_add(r, "node-a", RF_FACILITY, 1200);
	report__node_add(r, "node-a", RF_OPERATIONAL, 0.1);
	report__node_add(r, "node-a", RF_EMBODIED, 0.05);
	report__node_add(r, "node-a", RF_CARBON, 0.15);
	report__node_add(r, "node-b", RF_CARBON, 0.2);
	report__node_add(r, "node-a", RF_GPU, 250);
	report__add(r, "shop", "node-a", RF_ENERGY, 300);
	report__add(r, "shop", "node-a", RF_FACILITY, 360);
	report__add(r, "shop", "node-a", RF_OPERATIONAL, 0.03);
	report__add(r, "shop", "node-a", RF_EMBODIED, 0.01);
	report__add(r, "shop", "node-a", RF_CARBON, 0.04);
	report__add(r, "shop", "node-a", RF_GPU, 120);
	report__add(r, "shop", "node-b", RF_ENERGY, 80);
	report__add(r, "shop", "node-b", RF_IDLE, 20);
	report__add(r, "shop", "node-b", RF_CARBON, 0.05);
	report__add(r, "shop", "node-a", RF_PREV_ENERGY, 500);
	report__add(r, "batch", "node-b", RF_ENERGY, 200);
	report__add(r, "batch", "node-b", RF_PREV_ENERGY, 100);
	report__add(r, "gone", "node-b", RF_PREV_ENERGY, 50);
	assert_int_equal(report__finish(r), 0);
	return r;
}

static void report__finish__groups_across_nodes__derived(void **state)
{
	struct report *r = two_node_report();
	struct report_group *shop = &r->groups[0], *batch = &r->groups[1], *gone = &r->groups[2];

	assert_int_equal(r->n_groups, 3);
	assert_string_equal(shop->name, "shop");
	assert_float_equal(shop->f.energy_j, 400, 1e-12);
	assert_float_equal(shop->f.measured_j, 300, 1e-12);
	assert_int_equal(shop->f.basis, BASIS_MIXED);
	assert_float_equal(shop->f.share, 400.0 / 1600, 1e-12);
	assert_float_equal(shop->f.avg_watts, 0.4, 1e-12);
	assert_float_equal(shop->f.trend, -0.2, 1e-12);
	/* node-b reported no facility: shop's is node-a's part only */
	assert_float_equal(shop->f.facility_j, 360, 1e-12);
	/* node-b's carbon_grams_total alone counts as operational */
	assert_float_equal(shop->f.operational_g, 0.08, 1e-12);
	assert_float_equal(shop->f.embodied_g, 0.01, 1e-12);
	assert_float_equal(shop->f.carbon_g, 0.09, 1e-12);
	assert_string_equal(batch->name, "batch");
	assert_int_equal(batch->f.basis, BASIS_MODELLED);
	assert_float_equal(batch->f.trend, 1.0, 1e-12);
	assert_true(isnan(batch->f.facility_j));
	/* GPU energy only where a GPU node reported it: shop's part on node-a, none for batch */
	assert_float_equal(shop->f.gpu_j, 120, 1e-12);
	assert_true(isnan(batch->f.gpu_j));
	assert_float_equal(r->total.gpu_j, 120, 1e-12);
	assert_float_equal(r->cluster.gpu_j, 250, 1e-12);
	assert_string_equal(gone->name, "gone");
	assert_float_equal(gone->f.energy_j, 0, 0);
	assert_float_equal(gone->f.trend, -1.0, 1e-12);
	assert_int_equal(gone->f.basis, BASIS_NONE);
	assert_float_equal(r->cluster.energy_j, 1600, 1e-12);
	assert_float_equal(r->cluster.measured_j, 1000, 1e-12);
	assert_float_equal(r->total.energy_j, 600, 1e-12);
	assert_float_equal(r->total.share, 600.0 / 1600, 1e-12);
	assert_float_equal(report__node_pue(&r->nodes[0]), 1.2, 1e-12);
	assert_float_equal(report__node_intensity(&r->nodes[0]), 0.1 / (1200 / 3.6e6), 1e-9);
	assert_float_equal(report__node_intensity(&r->nodes[1]), 0.2 / (600 / 3.6e6), 1e-9);
	report__free(r);
}

static void report__finish__no_groups__cluster_only(void **state)
{
	struct report *r = report__new("agent", "http://a", "namespace", "nosuch", 0, 100);

	report__node_energy(r, "n", "rapl", 500);
	assert_int_equal(report__finish(r), 0);
	assert_int_equal(r->n_groups, 0);
	assert_float_equal(r->total.energy_j, 0, 0);
	assert_float_equal(r->total.share, 0, 0);
	assert_float_equal(r->cluster.avg_watts, 5, 1e-12);
	assert_int_equal(r->cluster.basis, BASIS_MEASURED);
	report__free(r);
}

/* Each model row a node used, once, in the order met; rows of unreported nodes are dropped. */
static void report__node_model__rows__set_of_known_nodes(void **state)
{
	struct report *r = report__new("prometheus", "http://p", "namespace", NULL, 0, 100);

	report__node_energy(r, "node-b", "model", 500);
	assert_int_equal(report__node_model(r, "node-b", "ccf:average"), 0);
	assert_int_equal(report__node_model(r, "node-b", "ccf:cascade-lake"), 0);
	assert_int_equal(report__node_model(r, "node-b", "ccf:average"), 0);
	assert_int_equal(report__node_model(r, "node-x", "ccf:average"), 0);
	assert_int_equal(r->n_nodes, 1);
	assert_string_equal(r->nodes[0].model, "ccf:average,ccf:cascade-lake");
	report__free(r);
}

static void report__to_json__absent_figures__left_out(void **state)
{
	struct report *r = two_node_report();
	json_t *doc = report__to_json(r),
	       *batch = json_array_get(json_object_get(doc, "groups"), 1);
	json_t *shop = json_array_get(json_object_get(doc, "groups"), 0);
	char b[64];

	assert_non_null(doc);
	assert_string_equal(report__str(batch, "name"), "batch");
	assert_null(json_object_get(batch, "facility_energy_kwh"));
	assert_null(json_object_get(batch, "embodied_carbon_grams"));
	assert_float_equal(report__num(batch, "energy_kwh"), 200 / 3.6e6, 1e-18);
	assert_string_equal(report__basis_label(shop, b, sizeof(b)), "mixed (75% measured)");
	assert_string_equal(report__basis_label(batch, b, sizeof(b)), "modelled");
	assert_string_equal(report__str(json_object_get(doc, "period"), "from"),
			    "1970-01-01T00:16:40Z");
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "method"), 1)),
			    "Energy: measured by rapl on node-a; modelled by model on node-b.");
	json_decref(doc);
	report__free(r);
}

static void report__basis_label__nearly_all__never_100(void **state)
{
	json_t *f = json_pack("{s:s, s:f}", "basis", "mixed", "measured_fraction", 0.997);
	char b[64];

	assert_string_equal(report__basis_label(f, b, sizeof(b)), "mixed (99% measured)");
	json_object_set_new(f, "measured_fraction", json_real(0.002));
	assert_string_equal(report__basis_label(f, b, sizeof(b)), "mixed (1% measured)");
	json_decref(f);
}

/* Run an output into a string. */
static char *capture(int (*out)(json_t *, FILE *), json_t *doc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(out(doc, f), EXIT_OK);
	fclose(f);
	return buf;
}

static void report__csv__name_with_comma__quoted(void **state)
{
	struct report *r = report__new("agent", "http://a", "pod", NULL, 0, 100);
	json_t *doc;
	char *csv;

	report__node_energy(r, "n", "rapl", 100);
	report__add(r, "a,\"b\"", "n", RF_ENERGY, 36);
	report__finish(r);
	doc = report__to_json(r);
	csv = capture(report__csv, doc);
	assert_string_equal(
		csv,
		"kind,name,energy_kwh,facility_energy_kwh,operational_carbon_grams,"
		"embodied_carbon_grams,carbon_grams,share,average_power_watts,previous_energy_kwh,"
		"trend,measured_fraction,basis\r\n"
		"group,\"a,\"\"b\"\"\",1e-05,,,,,0.36,0.36,,,1,measured\r\n"
		"total,,1e-05,,,,,0.36,0.36,,,1,measured\r\n"
		"cluster,,2.77777777778e-05,,,,,1,1,,,1,measured\r\n");
	free(csv);
	json_decref(doc);
	report__free(r);
}

static void svg__esc__markup__entities(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	svg__esc(f, "<a href=\"x\">&'");
	fclose(f);
	assert_string_equal(buf, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
	free(buf);
}

/* A page with a hostile group name: escaped everywhere, and nothing that loads from elsewhere. */
static void report__html__hostile_name__escaped_self_contained(void **state)
{
	static const char *const loads[] = { "<script", "<link", "<img",    "<iframe",	 "src=",
					     "href=",	"url(",	 "@import", "@font-face" };
	struct report *r = report__new("prometheus", "http://p", "namespace", NULL, 0, 7200);
	json_t *doc;
	char *html;
	size_t i;

	report__series(r, 900, 900, 8);
	report__node_energy(r, "n", "model", 7200);
	report__add(r, "<script>alert(1)</script>", "n", RF_ENERGY, 3600);
	report__add(r, "web", "n", RF_ENERGY, 1800);
	for (i = 0; i < 8; i++) {
		report__series_add(r, "<script>alert(1)</script>", i, 0.5);
		report__series_add(r, "web", i, 0.25);
	}
	report__finish(r);
	doc = report__to_json(r);
	html = capture(report__html, doc);
	for (i = 0; i < sizeof(loads) / sizeof(loads[0]); i++)
		assert_null(strstr(html, loads[i]));
	assert_non_null(strstr(html, "<tr data-group=\"&lt;script&gt;alert(1)&lt;/script&gt;\">"));
	assert_non_null(strstr(html, "<path class=\"area\" data-group=\"web\""));
	assert_non_null(strstr(html, "<g class=\"bar\" data-group=\"web\" data-value=\"0.0005\">"));
	assert_non_null(strstr(html, "<tr data-group=\"web\">"));
	assert_true(strstr(html, "</html>\n") == html + strlen(html) - strlen("</html>\n"));
	free(html);
	json_decref(doc);
	report__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(period__parse_duration__units__seconds),
		cmocka_unit_test(period__parse_duration__bad__rejected),
		cmocka_unit_test(period__parse_time__forms__unix_seconds),
		cmocka_unit_test(period__parse_time__impossible__rejected),
		cmocka_unit_test(period__resolve__since_from_to__span),
		cmocka_unit_test(period__resolve__bad__one_line),
		cmocka_unit_test(period__duration_str__shortest_exact),
		cmocka_unit_test(units__sig__three_figures_grouped),
		cmocka_unit_test(report__finish__groups_across_nodes__derived),
		cmocka_unit_test(report__finish__no_groups__cluster_only),
		cmocka_unit_test(report__node_model__rows__set_of_known_nodes),
		cmocka_unit_test(report__to_json__absent_figures__left_out),
		cmocka_unit_test(report__basis_label__nearly_all__never_100),
		cmocka_unit_test(report__csv__name_with_comma__quoted),
		cmocka_unit_test(svg__esc__markup__entities),
		cmocka_unit_test(report__html__hostile_name__escaped_self_contained),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
