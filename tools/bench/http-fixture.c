// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A stand-in collector for HTTP tests and benchmarks: publishes a synthetic
 * document with N pods (2 containers, 3 processes each) every --interval,
 * serves it with the real server, and on SIGTERM/SIGINT prints how regular
 * its publishing loop stayed.
 *
 *   cc -Iuser tools/bench/http-fixture.c build/libwattlet.a $(LIBS) -o http-fixture
 *   http-fixture PODS [wattlet options: --listen, --process-metrics, --interval, ...]
 *
 * Prints "listening PORT" on stdout once serving. With --web-config-file,
 * SIGHUP reloads it, as in the agent.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "options.h"
#include "server.h"
#include "snapshot.h"
#include "util.h"
#include "web.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void on_hangup(int sig)
{
	web_watch__request();
}

static json_t *figures(double cpu, double scale)
{
	return json_pack("{s:f, s:I, s:I, s:f, s:f}", "cpu_seconds_total", cpu * scale,
			 "wakeups_total", (json_int_t)(cpu * 1000 * scale),
			 "context_switches_total", (json_int_t)(cpu * 1200 * scale),
			 "energy_joules_total", cpu * 3.1 * scale, "power_watts", 0.01 * cpu);
}

static json_t *pod(int i, int gen)
{
	char ns[32], name[64], uid[64], cname[32], id[65];
	json_t *p, *ctrs = json_array();
	int c;

	snprintf(ns, sizeof(ns), "ns-%d", i % 10);
	snprintf(name, sizeof(name), "app-%d-7d9f8b6c5-x%04d", i, i);
	snprintf(uid, sizeof(uid), "0000%04d-1111-2222-3333-444455556666", i);
	for (c = 0; c < 2; c++) {
		json_t *ct = figures(i + c + 1, gen);

		snprintf(cname, sizeof(cname), c ? "sidecar" : "main");
		snprintf(id, sizeof(id), "%064x", i * 2 + c);
		json_object_set_new(ct, "name", json_string(cname));
		json_object_set_new(ct, "id", json_string(id));
		json_object_set_new(ct, "state", json_string("running"));
		json_array_append_new(ctrs, ct);
	}
	p = figures(2 * i + 3, gen);
	json_object_set_new(p, "namespace", json_string(ns));
	json_object_set_new(p, "name", json_string(name));
	json_object_set_new(p, "uid", json_string(uid));
	json_object_set_new(p, "state", json_string("running"));
	json_object_set_new(p, "containers", ctrs);
	return p;
}

static json_t *process(int pid, int i, int gen)
{
	char ns[32], name[64];
	json_t *p = figures(pid % 97 + 1, gen);

	snprintf(ns, sizeof(ns), "ns-%d", i % 10);
	snprintf(name, sizeof(name), "app-%d-7d9f8b6c5-x%04d", i, i);
	json_object_set_new(p, "pid", json_integer(pid));
	json_object_set_new(p, "comm", json_string("worker"));
	json_object_set_new(p, "cgroup_id", json_integer(100000 + i));
	json_object_set_new(p, "state", json_string("running"));
	json_object_set_new(p, "namespace", json_string(ns));
	json_object_set_new(p, "pod", json_string(name));
	json_object_set_new(p, "container", json_string("main"));
	return p;
}

static json_t *agent(int gen)
{
	return json_pack(
		"{s:s, s:s, s:[], s:I, s:f, s:{s:f, s:I, s:[{s:f, s:I}, {s:f, s:I}, {s:s, s:I}]}}",
		"version", "fixture", "attach", "tp_btf", "counters", "collections_total",
		(json_int_t)gen, "last_collection_timestamp", (double)time(NULL),
		"collection_duration_seconds", "sum", gen * 0.002, "count", (json_int_t)gen,
		"buckets", "le", 0.001, "count", (json_int_t)0, "le", 0.01, "count",
		(json_int_t)gen, "le", "+Inf", "count", (json_int_t)gen);
}

static json_t *node(const char *name, int gen)
{
	return json_pack("{s:s, s:i, s:f, s:f, s:f, s:i, s:i, s:i, s:f,"
			 " s:{s:i, s:i, s:i, s:i, s:i}, s:s, s:f, s:f, s:f, s:f, s:f,"
			 " s:[{s:s, s:s, s:f, s:f}], s:i}",
			 "name", name, "cpus", 2, "cpu_busy_seconds_total", gen * 1.5,
			 "cpu_idle_seconds_total", gen * 2.5, "cpu_steal_seconds_total", 0.0,
			 "tasks", 300, "processes", 120, "cgroups", 40,
			 "unattributed_cpu_seconds_total", 0.0, "loss", "process_map_overflow", 0,
			 "cgroup_map_overflow", 0, "thread_state_overflow", 0,
			 "exit_records_dropped", 0, "processes_lost", 0, "meter", "model",
			 "energy_joules_total", gen * 9.0, "active_energy_joules_total", gen * 4.0,
			 "idle_energy_joules_total", gen * 5.0, "unattributed_energy_joules_total",
			 gen * 0.1, "power_watts", 4.5, "zones", "name", "model", "meter", "model",
			 "joules_total", gen * 9.0, "watts", 4.5, "meter_errors_total", 0);
}

static json_t *document(int pods, const struct options *o, int gen)
{
	json_t *doc = json_object(), *ps = json_array(), *procs = json_array();
	json_t *nss = json_array(), *sys = json_array(), *ns;
	char name[32];
	int i, k;

	for (i = 0; i < pods; i++) {
		json_array_append_new(ps, pod(i, gen));
		for (k = 0; k < 3; k++)
			json_array_append_new(procs, process(1000 + i * 3 + k, i, gen));
	}
	for (i = 0; i < 10 && i < pods; i++) {
		snprintf(name, sizeof(name), "ns-%d", i);
		ns = figures(i + 1, gen);
		json_object_set_new(ns, "name", json_string(name));
		json_array_append_new(nss, ns);
	}
	ns = figures(5, gen);
	json_object_set_new(ns, "name", json_string("system.slice"));
	json_array_append_new(sys, ns);
	json_object_set_new(doc, "timestamp", json_real(time(NULL)));
	json_object_set_new(doc, "interval_seconds", json_real(o->interval_s));
	json_object_set_new(doc, "node", node(o->node_name, gen));
	json_object_set_new(doc, "agent", agent(gen));
	json_object_set_new(doc, "cgroups", json_array());
	json_object_set_new(doc, "processes", procs);
	json_object_set_new(doc, "pods", ps);
	json_object_set_new(doc, "namespaces", nss);
	json_object_set_new(doc, "system", sys);
	return doc;
}

int main(int argc, char **argv)
{
	double start, next, t, dev, max_dev = 0, sum_dev = 0;
	int late = 0;
	struct server *srv = NULL;
	struct options o;
	int pods, gen = 1, err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PODS [wattlet options]\n", argv[0]);
		return 2;
	}
	pods = atoi(argv[1]);
	argv[1] = argv[0];
	err = options__parse(&o, argc - 1, argv + 1);
	if (err)
		return err < 0 ? 2 : 0;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (*o.web_config_file)
		signal(SIGHUP, on_hangup);
	snapshot__publish(document(pods, &o, gen));
	err = server__start(&srv, &o);
	if (err)
		return 1;
	server__set_ready(srv, true);
	printf("listening %d\n", server__port(srv));
	fflush(stdout);
	start = next = monotonic_s();
	while (!stop) {
		next += o.interval_s;
		t = next - monotonic_s();
		if (t > 0)
			usleep(t * 1e6);
		if (stop)
			break;
		dev = fabs(monotonic_s() - next);
		sum_dev += dev;
		max_dev = dev > max_dev ? dev : max_dev;
		late += dev > 0.1;
		if (getenv("FIXTURE_LOG_LATE") && dev > 0.1)
			fprintf(stderr, "late %.3f s at %.1f s\n", dev, monotonic_s() - start);
		snapshot__publish(document(pods, &o, ++gen));
	}
	printf("intervals %d mean_dev_ms %.3f max_dev_ms %.3f elapsed_s %.1f late_100ms %d\n",
	       gen - 1, gen > 1 ? sum_dev / (gen - 1) * 1e3 : 0, max_dev * 1e3,
	       monotonic_s() - start, late);
	server__stop(srv);
	snapshot__clear();
	return 0;
}
