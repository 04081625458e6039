// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The /metrics renderers over synthetic documents. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include "gzip.h"
#include "prom.h"

/* The labels of doc_new()'s node, and of its pods ns/web-0 and ns/web-1 */
#define NODE_A "node=\"node-a\""
#define WEB_0  NODE_A ",namespace=\"ns\",pod=\"web-0\""
#define WEB_1  NODE_A ",namespace=\"ns\",pod=\"web-1\""

static json_t *figs(double cpu, double joules, double watts)
{
	return json_pack("{s:f, s:I, s:I, s:f, s:f}", "cpu_seconds_total", cpu, "wakeups_total",
			 (json_int_t)10, "context_switches_total", (json_int_t)12,
			 "energy_joules_total", joules, "power_watts", watts);
}

static json_t *pod(const char *ns, const char *name, const char *state, double cpu)
{
	json_t *p = figs(cpu, cpu * 2, cpu / 10), *c = figs(cpu, cpu * 2, cpu / 10);

	json_object_set_new(c, "name", json_string("main"));
	json_object_set_new(c, "id", json_string("ab"));
	json_object_set_new(p, "namespace", json_string(ns));
	json_object_set_new(p, "name", json_string(name));
	json_object_set_new(p, "uid", json_string("u"));
	json_object_set_new(p, "state", json_string(state));
	json_object_set_new(p, "containers", json_pack("[o]", c));
	return p;
}

static json_t *proc(int pid, double watts)
{
	json_t *p = figs(pid, 1, watts);

	json_object_set_new(p, "pid", json_integer(pid));
	json_object_set_new(p, "comm", json_string("w"));
	json_object_set_new(p, "namespace", json_string("ns"));
	json_object_set_new(p, "pod", json_string("web-0"));
	json_object_set_new(p, "container", json_string("main"));
	return p;
}

static json_t *doc_new(void)
{
	json_t *ns = figs(5, 10, 1);

	json_object_set_new(ns, "name", json_string("ns"));
	return json_pack(
		"{s:f, s:f, s:{s:s, s:f, s:f, s:{s:i, s:i}, s:s, s:f, s:f, s:f,"
		" s:[{s:s, s:s, s:f, s:f}], s:i, s:i, s:i},"
		" s:{s:s, s:s, s:i, s:f, s:{s:f, s:i, s:[{s:f, s:i}, {s:f, s:i}]}},"
		" s:[o, o], s:[o], s:[o, o, o], s:[]}",
		"timestamp", 1763895000.5, "interval_seconds", 2.0, "node", "name", "node-a",
		"cpu_busy_seconds_total", 10.25, "cpu_idle_seconds_total", 30.0, "loss",
		"process_map_overflow", 3, "processes_lost", 1, "meter", "model",
		"active_energy_joules_total", 40.0, "idle_energy_joules_total", 60.0, "power_watts",
		5.5, "zones", "name", "package-0", "meter", "rapl", "joules_total", 100.0, "watts",
		5.5, "meter_errors_total", 2, "processes", 3, "cgroups", 4, "agent", "version",
		"1.2.3", "attach", "tp_btf", "collections_total", 7, "last_collection_timestamp",
		1763895000.5, "collection_duration_seconds", "sum", 0.014, "count", 7, "buckets",
		"le", 0.001, "count", 2, "le", 0.01, "count", 7, "pods",
		pod("ns", "web-0", "running", 3), pod("ns", "web-1", "running", 4), "namespaces",
		ns, "processes", proc(11, 0.5), proc(12, 2.5), proc(13, 1.5), "system");
}

static char *render(const json_t *doc, enum prom_format fmt, int top)
{
	struct prom_opts po = { .format = fmt, .process_top = top };
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(prom__render(doc, &po, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

/* The value of the sample line that starts with prefix, or NAN. */
static double value_of(const char *text, const char *prefix)
{
	const char *line;

	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, prefix, strlen(prefix)))
			return strtod(strchr(line + strlen(prefix), ' ') + 1, NULL);
	return NAN;
}

/* The sample of that series (name{labels}) in out has the value want. */
#define assert_sample(out, series, want) assert_true(value_of(out, series) == (want))

static int count_lines(const char *text, const char *prefix)
{
	const char *line;
	int n = 0;

	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		n += !strncmp(line, prefix, strlen(prefix));
	return n;
}

/* The energy of removed workloads, so pods + system + unattributed + expired = active. */
static void prom__render__expired_energy__node_counter(void **state)
{
	json_t *doc = doc_new();
	char *out;

	json_object_set_new(json_object_get(doc, "node"), "expired_energy_joules_total",
			    json_real(12.5));
	out = render(doc, PROM_TEXT, 0);
	assert_non_null(strstr(out, "# TYPE wattlet_node_expired_energy_joules_total counter\n"));
	assert_sample(out, "wattlet_node_expired_energy_joules_total{" NODE_A "}", 12.5);
	free(out);
	json_decref(doc);
}

static void prom__render__text__every_series_has_node_label(void **state)
{
	json_t *doc = doc_new();
	char *out = render(doc, PROM_TEXT, 0), *line, *save = NULL;
	int samples = 0;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		samples++;
		if (!strstr(line, "{node=\"node-a\""))
			fail_msg("no node label: %s", line);
	}
	assert_true(samples > 20);
	free(out);
	json_decref(doc);
}

static void prom__render__text__issue_names_and_values(void **state)
{
	json_t *doc = doc_new();
	char *out = render(doc, PROM_TEXT, 0);

	assert_non_null(strstr(out, "# TYPE wattlet_pod_cpu_seconds_total counter\n"));
	assert_sample(out, "wattlet_pod_cpu_seconds_total{" WEB_1 "}", 4);
	assert_sample(out, "wattlet_pod_energy_joules_total{" WEB_0 "}", 6);
	assert_sample(out, "wattlet_container_power_watts{" WEB_0 ",container=\"main\"}", 0.3);
	assert_sample(out, "wattlet_namespace_energy_joules_total{" NODE_A ",namespace=\"ns\"}",
		      10);
	assert_sample(out,
		      "wattlet_node_energy_joules_total{" NODE_A
		      ",zone=\"node\",meter=\"model\",mode=\"idle\"}",
		      60);
	assert_sample(out, "wattlet_node_cpu_seconds_total{" NODE_A ",mode=\"busy\"}", 10.25);
	assert_sample(out, "wattlet_node_power_watts{" NODE_A ",zone=\"node\",meter=\"model\"}",
		      5.5);
	assert_sample(out,
		      "wattlet_zone_energy_joules_total{" NODE_A
		      ",zone=\"package-0\",meter=\"rapl\"}",
		      100);
	assert_sample(out, "wattlet_build_info{" NODE_A ",version=\"1.2.3\",attach=\"tp_btf\"}", 1);
	assert_sample(out,
		      "wattlet_bpf_overflow_drops_total{" NODE_A ",kind=\"process_map_overflow\"}",
		      3);
	assert_sample(out, "wattlet_processes_lost_total{" NODE_A "}", 1);
	assert_sample(out, "wattlet_meter_read_errors_total{" NODE_A "}", 2);
	assert_sample(out, "wattlet_tracked_cgroups{" NODE_A "}", 4);
	assert_null(strstr(out, "wattlet_node_expired_energy_joules")); /* not in this document */
	assert_sample(out, "wattlet_last_collection_timestamp_seconds{" NODE_A "}", 1763895000.5);
	/* Not configured in this document: no facility or carbon series. */
	assert_null(strstr(out, "facility"));
	assert_null(strstr(out, "carbon"));
	free(out);
	json_decref(doc);
}

static void prom__render__histogram__adds_inf_bucket(void **state)
{
	json_t *doc = doc_new();
	char *out = render(doc, PROM_TEXT, 0);

	assert_sample(out, "wattlet_collection_duration_seconds_bucket{" NODE_A ",le=\"0.001\"}",
		      2);
	assert_sample(out, "wattlet_collection_duration_seconds_bucket{" NODE_A ",le=\"+Inf\"}", 7);
	assert_sample(out, "wattlet_collection_duration_seconds_count{" NODE_A "}", 7);
	assert_sample(out, "wattlet_collection_duration_seconds_sum{" NODE_A "}", 0.014);
	free(out);
	json_decref(doc);
}

static void prom__render__same_labels__summed_once(void **state)
{
	json_t *doc = doc_new(), *pods = json_object_get(doc, "pods");
	char *out;

	/* web-0 re-created while the old one is retained as terminated. */
	json_array_append_new(pods, pod("ns", "web-0", "terminated", 10));
	out = render(doc, PROM_TEXT, 0);
	assert_int_equal(count_lines(out, "wattlet_pod_cpu_seconds_total{" WEB_0 "}"), 1);
	assert_sample(out, "wattlet_pod_cpu_seconds_total{" WEB_0 "}", 13);
	assert_int_equal(count_lines(out, "wattlet_container_cpu_seconds_total{" WEB_0
					  ",container=\"main\"}"),
			 1);
	free(out);
	json_decref(doc);
}

static void prom__render__hostile_names__escaped(void **state)
{
	json_t *doc = doc_new(), *pods = json_object_get(doc, "pods");
	char *out;

	json_array_append_new(pods, pod("n\"s", "a\\b\nc", "running", 1));
	out = render(doc, PROM_TEXT, 0);
	assert_non_null(
		strstr(out, "{node=\"node-a\",namespace=\"n\\\"s\",pod=\"a\\\\b\\nc\"} 1\n"));
	free(out);
	json_decref(doc);
}

static void prom__render__process_top__only_top_n_by_power(void **state)
{
	json_t *doc = doc_new();
	char *out = render(doc, PROM_TEXT, 0);

	assert_null(strstr(out, "wattlet_process_"));
	free(out);
	out = render(doc, PROM_TEXT, 2);
	assert_int_equal(count_lines(out, "wattlet_process_power_watts{"), 2);
	assert_non_null(strstr(out, "pid=\"12\""));
	assert_non_null(strstr(out, "pid=\"13\""));
	assert_null(strstr(out, "pid=\"11\""));
	free(out);
	json_decref(doc);
}

static void prom__render__configured__facility_and_carbon(void **state)
{
	json_t *doc = doc_new(), *p = json_array_get(json_object_get(doc, "pods"), 0);
	char *out;

	json_object_set_new(p, "facility_energy_joules_total", json_real(7.5));
	json_object_set_new(p, "carbon_grams_total", json_real(0.25));
	json_object_set_new(json_object_get(doc, "node"), "carbon_grams_total", json_real(9));
	out = render(doc, PROM_TEXT, 0);
	assert_sample(out, "wattlet_pod_facility_energy_joules_total{" WEB_0 "}", 7.5);
	assert_sample(out, "wattlet_pod_carbon_grams_total{" WEB_0 "}", 0.25);
	assert_sample(out, "wattlet_pod_carbon_grams_total{" WEB_1 "}", 0);
	assert_sample(out, "wattlet_node_carbon_grams_total{" NODE_A "}", 9);
	free(out);
	json_decref(doc);
}

/* SCI per workload: both kinds of carbon and their sum; the intensity in force and its staleness. */
static void prom__render__carbon__kinds_intensity_stale(void **state)
{
	json_t *doc = doc_new(), *p = json_array_get(json_object_get(doc, "pods"), 0);
	json_t *node = json_object_get(doc, "node");
	char *out;

	json_object_set_new(p, "operational_carbon_grams_total", json_real(0.5));
	json_object_set_new(p, "embodied_carbon_grams_total", json_real(0.25));
	json_object_set_new(p, "carbon_grams_total", json_real(0.75));
	json_object_set_new(p, "dram_energy_joules_total", json_real(1.5));
	json_object_set_new(node, "operational_carbon_grams_total", json_real(6));
	json_object_set_new(node, "embodied_carbon_grams_total", json_real(3));
	json_object_set_new(node, "carbon_grams_total", json_real(9));
	json_object_set_new(node, "carbon_intensity_grams_per_kwh", json_real(231.5));
	json_object_set_new(node, "carbon_intensity_source", json_string("grid \"GB\""));
	json_object_set_new(node, "carbon_intensity_stale", json_true());
	json_object_set_new(node, "carbon_intensity_age_seconds", json_real(9000));
	json_object_set_new(node, "carbon_intensity_file_errors_total", json_integer(2));
	json_object_set_new(node, "unattributed_operational_carbon_grams_total", json_real(1));
	json_object_set_new(node, "idle_embodied_carbon_grams_total", json_real(2));
	json_object_set_new(node, "expired_embodied_carbon_grams_total", json_real(0.5));
	out = render(doc, PROM_TEXT, 0);
	assert_sample(out, "wattlet_pod_operational_carbon_grams_total{" WEB_0 "}", 0.5);
	assert_sample(out, "wattlet_pod_embodied_carbon_grams_total{" WEB_0 "}", 0.25);
	assert_sample(out, "wattlet_pod_carbon_grams_total{" WEB_0 "}", 0.75);
	assert_sample(out, "wattlet_pod_dram_energy_joules_total{" WEB_0 "}", 1.5);
	assert_sample(out, "wattlet_node_operational_carbon_grams_total{" NODE_A "}", 6);
	assert_sample(out, "wattlet_node_embodied_carbon_grams_total{" NODE_A "}", 3);
	assert_sample(out,
		      "wattlet_node_carbon_intensity_grams_per_kwh{" NODE_A
		      ",source=\"grid \\\"GB\\\"\"}",
		      231.5);
	assert_sample(out, "wattlet_node_carbon_intensity_stale{" NODE_A "}", 1);
	assert_sample(out, "wattlet_node_carbon_intensity_age_seconds{" NODE_A "}", 9000);
	assert_sample(out, "wattlet_node_carbon_intensity_file_errors_total{" NODE_A "}", 2);
	assert_sample(out, "wattlet_node_unattributed_operational_carbon_grams_total{" NODE_A "}",
		      1);
	assert_sample(out, "wattlet_node_idle_embodied_carbon_grams_total{" NODE_A "}", 2);
	assert_sample(out, "wattlet_node_expired_embodied_carbon_grams_total{" NODE_A "}", 0.5);
	assert_null(strstr(out, "wattlet_node_idle_operational_carbon")); /* not in this document */
	assert_non_null(strstr(out, "# TYPE wattlet_node_carbon_intensity_stale gauge\n"));
	assert_non_null(strstr(out, "# TYPE wattlet_pod_embodied_carbon_grams_total counter\n"));
	free(out);
	json_object_set_new(node, "carbon_intensity_stale", json_false());
	out = render(doc, PROM_TEXT, 0);
	assert_sample(out, "wattlet_node_carbon_intensity_stale{" NODE_A "}", 0);
	free(out);
	json_decref(doc);
}

/* The node's platform and model row as one info gauge; no series when nothing is known. */
static void prom__render__platform__info_gauge(void **state)
{
	json_t *doc = doc_new(), *node = json_object_get(doc, "node");
	char *out = render(doc, PROM_TEXT, 0);

	assert_null(strstr(out, "wattlet_node_platform_info"));
	free(out);
	json_object_set_new(node, "model", json_string("ccf:cascade-lake"));
	json_object_set_new(node, "platform",
			    json_pack("{s:s, s:s, s:s, s:s}", "cpu", "Intel(R) Xeon(R) \"8259CL\"",
				      "microarchitecture", "cascade-lake", "cloud", "aws",
				      "instance_type", "m5.large"));
	out = render(doc, PROM_TEXT, 0);
	assert_sample(out,
		      "wattlet_node_platform_info{" NODE_A
		      ",cpu=\"Intel(R) Xeon(R) \\\"8259CL\\\"\",microarchitecture=\"cascade-lake\""
		      ",cloud=\"aws\",instance_type=\"m5.large\",model=\"ccf:cascade-lake\"}",
		      1);
	assert_non_null(strstr(out, "# TYPE wattlet_node_platform_info gauge\n"));
	free(out);
	json_object_del(node, "model");
	json_object_set_new(node, "platform", json_pack("{s:s}", "cpu", "Neoverse-N1"));
	out = render(doc, PROM_OPENMETRICS, 0);
	assert_sample(out, "wattlet_node_platform_info{" NODE_A ",cpu=\"Neoverse-N1\"}", 1);
	free(out);
	json_decref(doc);
}

static void prom__render__openmetrics__families_units_eof(void **state)
{
	json_t *doc = doc_new();
	char *out = render(doc, PROM_OPENMETRICS, 0);
	size_t len = strlen(out);

	assert_non_null(strstr(out, "# TYPE wattlet_pod_cpu_seconds counter\n"
				    "# UNIT wattlet_pod_cpu_seconds seconds\n"));
	assert_non_null(strstr(out, "\nwattlet_pod_cpu_seconds_total{"));
	assert_non_null(strstr(out, "le=\"0.01\""));
	assert_null(strstr(out, "_total counter"));
	assert_true(len > 6 && !strcmp(out + len - 6, "# EOF\n"));
	assert_int_equal(count_lines(out, "# EOF"), 1);
	free(out);
	json_decref(doc);
}

static void prom__render__not_an_object__einval(void **state)
{
	struct prom_opts po = {};
	json_t *arr = json_array();
	char *out = NULL;
	size_t len;

	assert_int_equal(prom__render(arr, &po, &out, &len), -EINVAL);
	assert_null(out);
	json_decref(arr);
}

static void prom__render__empty_document__valid(void **state)
{
	json_t *doc = json_object();
	char *out = render(doc, PROM_TEXT, 5);

	assert_non_null(strstr(out, "wattlet_build_info{node=\"\",version=\"\",attach=\"\"} 1\n"));
	free(out);
	json_decref(doc);
}

static void gzip__compress__metrics_body__round_trip_identical(void **state)
{
	json_t *doc = doc_new();
	char *out = render(doc, PROM_TEXT, 3), *gz, *back;
	size_t len = strlen(out), gzlen;
	z_stream zs = {};

	assert_int_equal(gzip__compress(out, len, &gz, &gzlen), 0);
	assert_true(gzlen < len);
	assert_int_equal((unsigned char)gz[0], 0x1f);
	assert_int_equal((unsigned char)gz[1], 0x8b);
	back = malloc(len + 1);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = gzlen;
	zs.next_out = (Bytef *)back;
	zs.avail_out = len + 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, len);
	assert_memory_equal(back, out, len);
	inflateEnd(&zs);
	free(back);
	free(gz);
	free(out);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prom__render__text__every_series_has_node_label),
		cmocka_unit_test(prom__render__expired_energy__node_counter),
		cmocka_unit_test(prom__render__text__issue_names_and_values),
		cmocka_unit_test(prom__render__histogram__adds_inf_bucket),
		cmocka_unit_test(prom__render__same_labels__summed_once),
		cmocka_unit_test(prom__render__hostile_names__escaped),
		cmocka_unit_test(prom__render__process_top__only_top_n_by_power),
		cmocka_unit_test(prom__render__configured__facility_and_carbon),
		cmocka_unit_test(prom__render__carbon__kinds_intensity_stale),
		cmocka_unit_test(prom__render__platform__info_gauge),
		cmocka_unit_test(prom__render__openmetrics__families_units_eof),
		cmocka_unit_test(prom__render__not_an_object__einval),
		cmocka_unit_test(prom__render__empty_document__valid),
		cmocka_unit_test(gzip__compress__metrics_body__round_trip_identical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
