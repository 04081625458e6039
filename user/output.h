/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* stdout outputs, each reading only the published document. */
#ifndef __WATTLET_OUTPUT_H
#define __WATTLET_OUTPUT_H

#include <stdio.h>
#include <jansson.h>

/* One document per line (JSON Lines). 0, or -errno when f could not be written. */
int output__json_line(FILE *f, const json_t *doc);
/* A top-like view: node line, then the busiest cgroups and processes. 0 or -errno. */
int output__table(FILE *f, const json_t *doc, int rows);

#endif /* __WATTLET_OUTPUT_H */
