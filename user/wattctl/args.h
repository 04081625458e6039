/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Parsing wattctl's command line into struct wattctl. */
#ifndef __WATTCTL_ARGS_H
#define __WATTCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include "wattctl.h"

struct args {
	struct wattctl *c;
	bool help;
	bool version;
	char bad[256]; /* the first usage error; reported once -o is known */
	char pod_buf[512];
};

/* Options into a->c; optind is left at the first command word. */
void args__parse(struct args *a, int argc, char **argv);

bool args__valid_url(const char *s);
bool args__valid_by(const char *s);
/* Split "NS/NAME" into buf; both parts non-empty, one slash. */
bool args__split_pod(const char *s, char *buf, size_t len, const char **ns, const char **name);
/* Server URLs are joined with "/api/...": drop trailing slashes, in place. */
void args__trim_slash(const char *url);

#endif /* __WATTCTL_ARGS_H */
