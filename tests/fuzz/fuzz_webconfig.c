// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fuzz-sources: user/webconfig.c
/*
 * The --web-config-file parser on arbitrary bytes: no crash, no leak, and
 * either a config that keeps the rules (TLS 1.2 floor, a cert and a key
 * when TLS is on, bcrypt hashes only) or one error line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "webconfig.h"

static void check(const struct web_config *c)
{
	int i;

	if (c->min_version < WEB_TLS_FLOOR || c->min_version > c->max_version ||
	    c->max_version > WEB_TLS_MAX)
		abort();
	if (c->tls && ((!c->cert && !c->cert_file) || (!c->key && !c->key_file)))
		abort();
	if ((c->client_ca || c->client_ca_file) && c->client_auth == CLIENT_AUTH_NONE)
		abort();
	if (c->nr_ciphers > WEB_MAX_CIPHERS || c->nr_curves > WEB_MAX_CURVES)
		abort();
	for (i = 0; i < c->nr_users; i++)
		if (strlen(c->users[i].hash) != 60 || strncmp(c->users[i].hash, "$2", 2) ||
		    strchr(c->users[i].name, ':') || !web_config__user_hash(c, c->users[i].name))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_config *c;
	char err[256];
	int ret;

	err[0] = '\0';
	ret = web_config__parse((const char *)data, size, "/etc/wattlet", &c, err, sizeof(err));
	if (ret == 0) {
		check(c);
		web_config__free(c);
	} else if (c || !err[0] || strchr(err, '\n')) {
		abort();
	}
	return 0;
}
