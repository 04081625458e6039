// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* List views: filter, sort and tabulate the items of an API answer. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output.h"
#include "table.h"
#include "units.h"
#include "view.h"

#define VIEW_MAX_COLS 24
#define VIEW_CELL     128

const char *view__id(const struct view *v, json_t *item, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; v->id_keys[i] && off < len; i++) {
		json_t *f = json_object_get(item, v->id_keys[i]);
		const char *sep = i ? "/" : "";

		if (json_is_string(f))
			off += snprintf(buf + off, len - off, "%s%s", sep, json_string_value(f));
		else if (json_is_number(f))
			off += snprintf(buf + off, len - off, "%s%.0f", sep, json_number_value(f));
		else
			off += snprintf(buf + off, len - off, "%s", sep);
	}
	return buf;
}

static bool view_str_is(json_t *item, const char *key, const char *want)
{
	json_t *f = json_object_get(item, key);

	return json_is_string(f) && !strcmp(json_string_value(f), want);
}

void view__filter(const struct view *v, json_t *items, const char *ns, const char *pod_ns,
		  const char *pod_name)
{
	size_t i = 0;

	while (i < json_array_size(items)) {
		json_t *it = json_array_get(items, i);
		bool keep = true;

		if (ns && !view_str_is(it, v->ns_key, ns))
			keep = false;
		if (pod_name &&
		    (!view_str_is(it, "namespace", pod_ns) || !view_str_is(it, "pod", pod_name)))
			keep = false;
		if (keep)
			i++;
		else
			json_array_remove(items, i);
	}
}

static double view_num(json_t *item, const char *key)
{
	json_t *f = json_object_get(item, key);

	return json_is_number(f) ? json_number_value(f) : NAN;
}

static const char *view_sort_field(enum sort_key key, bool have_cores)
{
	switch (key) {
	case SORT_ENERGY:
		return "energy_joules_total";
	case SORT_CPU:
		return have_cores ? VIEW_CORES_KEY : "cpu_seconds_total";
	case SORT_POWER:
	default:
		return "power_watts";
	}
}

struct sort_entry {
	json_t *item;
	double v;
	char id[256];
};

static int view_cmp(const void *a, const void *b)
{
	const struct sort_entry *x = a, *y = b;
	double vx = isnan(x->v) ? -INFINITY : x->v;
	double vy = isnan(y->v) ? -INFINITY : y->v;

	if (vx != vy)
		return vx < vy ? 1 : -1;
	return strcmp(x->id, y->id);
}

int view__sort(const struct view *v, json_t *items, enum sort_key key, long limit)
{
	size_t n = json_array_size(items), i;
	struct sort_entry *e;
	const char *field;

	if (key == SORT_NONE || n == 0)
		goto truncate;
	field = view_sort_field(key, json_object_get(json_array_get(items, 0), VIEW_CORES_KEY));
	e = calloc(n, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e[i].item = json_incref(json_array_get(items, i));
		e[i].v = view_num(e[i].item, field);
		view__id(v, e[i].item, e[i].id, sizeof(e[i].id));
	}
	qsort(e, n, sizeof(*e), view_cmp);
	json_array_clear(items);
	for (i = 0; i < n; i++)
		json_array_append_new(items, e[i].item);
	free(e);
truncate:
	while (limit > 0 && json_array_size(items) > (size_t)limit)
		json_array_remove(items, json_array_size(items) - 1);
	return 0;
}

static const char *view_cell(const struct column *col, json_t *item, char *buf, size_t len)
{
	json_t *f = json_object_get(item, col->key);
	double v = json_is_number(f) ? json_number_value(f) : NAN;

	if (!f || json_is_null(f))
		return col->kind == COL_STR || col->kind == COL_ID ? "<none>" : "-";
	switch (col->kind) {
	case COL_STR:
		if (json_is_string(f))
			return json_string_value(f);
		return units__count(buf, len, v);
	case COL_ID:
		snprintf(buf, len, "%.12s", json_is_string(f) ? json_string_value(f) : "");
		return buf;
	case COL_LEN:
		return units__count(buf, len, (double)json_array_size(f));
	case COL_CORES:
		return units__cores(buf, len, v);
	case COL_WATTS:
		return units__watts(buf, len, v);
	case COL_JOULES:
		return units__joules(buf, len, v);
	case COL_GRAMS:
		return units__grams(buf, len, v);
	case COL_COUNT:
	default:
		return units__count(buf, len, v);
	}
}

static bool view_any_has(json_t *items, const char *key)
{
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it)
		if (json_object_get(it, key))
			return true;
	return false;
}

static bool view_any_not_running(json_t *items, const char *key)
{
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it)
		if (!view_str_is(it, key, "running"))
			return true;
	return false;
}

/* The columns this invocation shows, by index into v->cols. */
static int view_pick(const struct view *v, json_t *items, const struct wattctl *c, int *pick)
{
	int i, n = 0;

	for (i = 0; v->cols[i].header && n < VIEW_MAX_COLS; i++) {
		const struct column *col = &v->cols[i];

		if ((col->flags & COLF_WIDE) && c->format != OUT_WIDE &&
		    !((col->flags & COLF_NOT_RUNNING) && view_any_not_running(items, col->key)))
			continue;
		if ((col->flags & COLF_ALLNS) && c->namespace)
			continue;
		if ((col->flags & COLF_OPTIONAL) && !view_any_has(items, col->key))
			continue;
		pick[n++] = i;
	}
	return n;
}

int view__print(const struct view *v, json_t *items, const struct wattctl *c)
{
	const char *hdr[VIEW_MAX_COLS], *cells[VIEW_MAX_COLS];
	char bufs[VIEW_MAX_COLS][VIEW_CELL];
	int pick[VIEW_MAX_COLS], n, i, err = 0;
	struct table *t;
	size_t r;
	json_t *it;

	n = view_pick(v, items, c, pick);
	for (i = 0; i < n; i++)
		hdr[i] = v->cols[pick[i]].header;
	t = table__new(n, hdr);
	if (!t)
		return -ENOMEM;
	json_array_foreach(items, r, it) {
		for (i = 0; i < n; i++)
			cells[i] = view_cell(&v->cols[pick[i]], it, bufs[i], VIEW_CELL);
		err = table__add_row(t, cells);
		if (err)
			goto cleanup;
	}
	if (json_array_size(items))
		table__print(t);
	else
		printf("No %s found%s%s.\n", v->name, c->namespace ? " in namespace " : "",
		       c->namespace ? c->namespace : "");
cleanup:
	table__free(t);
	return err;
}
