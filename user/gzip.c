// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One-shot gzip: the whole body is in memory, so one deflate call does. */
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>
#include "gzip.h"

/* 15 window bits, + 16 for a gzip wrapper rather than zlib's. */
#define GZIP_WINDOW_BITS (15 + 16)
/* Level 1: /metrics compresses well even so, at a fraction of the CPU. */
#define GZIP_LEVEL	 1

int gzip__compress(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream zs = {};
	size_t cap;
	char *buf;
	int err;

	if (deflateInit2(&zs, GZIP_LEVEL, Z_DEFLATED, GZIP_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	cap = deflateBound(&zs, len);
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out_end;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		free(buf);
		err = -EIO;
		goto out_end;
	}
	*out = buf;
	*out_len = zs.total_out;
	err = 0;
out_end:
	deflateEnd(&zs);
	return err;
}
