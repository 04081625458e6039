// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON Lines and a human table on stdout. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "output.h"

/*
 * Flush, and say whether anything written to f failed: errno is that of the
 * failed write (callers clear it first), -EIO if nothing set it.
 */
static int flushed(FILE *f)
{
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

int output__json_line(FILE *f, const json_t *doc)
{
	errno = 0;
	if (json_dumpf(doc, f, JSON_COMPACT) || fputc('\n', f) == EOF)
		return errno ? -errno : -EIO;
	return flushed(f);
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static int by_power_then_cpu(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double dx = num(x, "power_watts") - num(y, "power_watts");

	if (dx == 0)
		dx = num(x, "cpu_seconds_total") - num(y, "cpu_seconds_total");
	return dx > 0 ? -1 : dx < 0 ? 1 : 0;
}

/* The array's elements, sorted, borrowed (no references taken). */
static json_t **sorted(const json_t *arr, size_t *n)
{
	json_t **v;

	*n = json_array_size(arr);
	v = calloc(*n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < *n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, *n, sizeof(*v), by_power_then_cpu);
	return v;
}

static void table_node(FILE *f, const json_t *doc)
{
	const json_t *node = json_object_get(doc, "node");
	const char *meter = json_string_value(json_object_get(node, "meter"));

	fprintf(f,
		"wattlet  node %s  cpus %d  busy %.1f%%  tasks %lld  processes %lld  cgroups %lld\n",
		json_string_value(json_object_get(node, "name")) ?: "?",
		(int)json_integer_value(json_object_get(node, "cpus")),
		100 * num(node, "cpu_utilisation"),
		json_integer_value(json_object_get(node, "tasks")),
		json_integer_value(json_object_get(node, "processes")),
		json_integer_value(json_object_get(node, "cgroups")));
	if (meter)
		fprintf(f, "power %.2f W (%s)  energy %.1f J  active %.1f J  idle %.1f J\n",
			num(node, "power_watts"), meter, num(node, "energy_joules_total"),
			num(node, "active_energy_joules_total"),
			num(node, "idle_energy_joules_total"));
}

static void table_rows(FILE *f, const json_t *arr, int rows, bool procs)
{
	size_t n;
	json_t **v = sorted(arr, &n);

	if (!v)
		return;
	if (procs)
		fprintf(f, "\n%8s %-16s %10s %10s %10s %s\n", "PID", "COMM", "POWER_W", "CPU_S",
			"WAKEUPS", "CGROUP");
	else
		fprintf(f, "\n%10s %10s %10s %s\n", "POWER_W", "CPU_S", "WAKEUPS", "CGROUP");
	for (size_t i = 0; i < n && i < (size_t)rows; i++) {
		const json_t *o = v[i];

		if (procs)
			fprintf(f, "%8lld %-16.16s ", json_integer_value(json_object_get(o, "pid")),
				json_string_value(json_object_get(o, "comm")) ?: "?");
		fprintf(f, "%10.3f %10.2f %10lld %s\n", num(o, "power_watts"),
			num(o, "cpu_seconds_total"),
			json_integer_value(json_object_get(o, "wakeups_total")),
			procs ? (json_string_value(json_object_get(o, "pod")) ?: "") :
				(json_string_value(json_object_get(o, "path")) ?: "?"));
	}
	free(v);
}

int output__table(FILE *f, const json_t *doc, int rows)
{
	errno = 0;
	if (isatty(fileno(f)))
		fputs("\033[H\033[2J", f);
	table_node(f, doc);
	table_rows(f, json_object_get(doc, "cgroups"), rows, false);
	table_rows(f, json_object_get(doc, "processes"), rows, true);
	return flushed(f);
}
