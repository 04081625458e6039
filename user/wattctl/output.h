/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Where results and errors go: JSON on stdout, or text; {"error": ...} in JSON mode. */
#ifndef __WATTCTL_OUTPUT_H
#define __WATTCTL_OUTPUT_H

#include <stdbool.h>
#include <jansson.h>

void output__init(bool json, bool tty, bool color);
bool output__json(void);
bool output__color(void);

/* One line: {"error": "..."} on stdout in JSON mode, else "wattctl: ..." on stderr. */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a JSON document on one line (watch mode: JSON Lines) or indented. */
int output__json_doc(const json_t *doc, bool compact);

/* Terminal control for --watch: home the cursor before a frame, clear after it. */
void output__frame_begin(void);
void output__frame_end(void);

void output__eol(void);

/* Bold on a colour terminal, plain otherwise (headers). */
const char *output__bold(void);
const char *output__reset(void);

#endif /* __WATTCTL_OUTPUT_H */
