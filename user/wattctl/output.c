// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Results on stdout, errors in the format the caller asked for (bpftool's p_err). */
#include <stdarg.h>
#include <stdio.h>
#include "output.h"

static bool json_mode;
static bool tty_mode;
static bool color_mode;
static int frames;

void output__init(bool json, bool tty, bool color)
{
	json_mode = json;
	tty_mode = tty;
	color_mode = tty && color;
}

bool output__json(void)
{
	return json_mode;
}

bool output__color(void)
{
	return color_mode;
}

void p_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (json_mode) {
		json_t *err = json_pack("{s:s}", "error", msg);

		if (err)
			output__json_doc(err, true);
		json_decref(err);
		return;
	}
	fprintf(stderr, "wattctl: %s\n", msg);
}

int output__json_doc(const json_t *doc, bool compact)
{
	size_t flags = JSON_PRESERVE_ORDER | (compact ? JSON_COMPACT : JSON_INDENT(2));

	if (json_dumpf(doc, stdout, flags))
		return -1;
	fputc('\n', stdout);
	fflush(stdout);
	return 0;
}

/*
 * On a terminal each frame is drawn over the last one: home the cursor,
 * draw, clear what the previous frame left below. Elsewhere (a pipe, a
 * file) frames follow one another, text frames apart by a blank line.
 */
void output__frame_begin(void)
{
	if (json_mode)
		return;
	if (tty_mode)
		fputs(frames ? "\033[H" : "\033[H\033[2J", stdout);
	else if (frames)
		fputc('\n', stdout);
	frames++;
}

void output__frame_end(void)
{
	if (tty_mode && !json_mode)
		fputs("\033[J", stdout);
	fflush(stdout);
}

/* End a text line; on a terminal also clear what a longer previous frame left there. */
void output__eol(void)
{
	fputs(tty_mode && frames ? "\033[K\n" : "\n", stdout);
}

const char *output__bold(void)
{
	return color_mode ? "\033[1m" : "";
}

const char *output__reset(void)
{
	return color_mode ? "\033[0m" : "";
}
