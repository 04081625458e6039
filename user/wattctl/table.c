// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Text tables, sized to their widest cell. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output.h"
#include "table.h"

#define TABLE_GAP 3

struct table {
	int ncols;
	int nrows; /* including the header row */
	int cap;
	char **cells; /* nrows * ncols */
	int *width;
};

static int table_grow(struct table *t)
{
	char **cells;
	int cap;

	if (t->nrows < t->cap)
		return 0;
	cap = t->cap ? t->cap * 2 : 16;
	cells = realloc(t->cells, (size_t)cap * t->ncols * sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	t->cells = cells;
	t->cap = cap;
	return 0;
}

int table__add_row(struct table *t, const char *const *cells)
{
	int i, err;

	err = table_grow(t);
	if (err)
		return err;
	for (i = 0; i < t->ncols; i++) {
		const char *s = cells[i] ? cells[i] : "<none>";
		char *dup = strdup(s);
		int w = (int)strlen(s);

		if (!dup) {
			while (i--)
				free(t->cells[t->nrows * t->ncols + i]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = dup;
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
	return 0;
}

struct table *table__new(int ncols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->width = calloc(ncols, sizeof(*t->width));
	if (!t->width || table__add_row(t, headers)) {
		table__free(t);
		return NULL;
	}
	return t;
}

void table__free(struct table *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

static void table_print_row(const struct table *t, int row)
{
	int i;

	for (i = 0; i < t->ncols; i++) {
		const char *s = t->cells[row * t->ncols + i];
		bool last = i == t->ncols - 1;

		if (last)
			fputs(s, stdout);
		else
			printf("%-*s", t->width[i] + TABLE_GAP, s);
	}
	output__eol();
}

void table__print(const struct table *t)
{
	int r;

	fputs(output__bold(), stdout);
	table_print_row(t, 0);
	fputs(output__reset(), stdout);
	for (r = 1; r < t->nrows; r++)
		table_print_row(t, r);
}
