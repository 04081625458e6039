/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* gzip (RFC 1952) for HTTP bodies, with zlib. */
#ifndef __WATTLET_GZIP_H
#define __WATTLET_GZIP_H

#include <stddef.h>

/* Compress in into a malloc'd buffer (*out, *out_len). 0 or -errno. */
int gzip__compress(const char *in, size_t len, char **out, size_t *out_len);

#endif /* __WATTLET_GZIP_H */
