/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A text table: a header row, then rows, columns left-aligned three spaces apart (kubectl's look). */
#ifndef __WATTCTL_TABLE_H
#define __WATTCTL_TABLE_H

struct table;

struct table *table__new(int ncols, const char *const *headers);
void table__free(struct table *t);
/* Copy one row of ncols cells (NULL prints as "<none>"). 0 or -ENOMEM. */
int table__add_row(struct table *t, const char *const *cells);
void table__print(const struct table *t);

#endif /* __WATTCTL_TABLE_H */
