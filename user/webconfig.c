// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exporter-toolkit web configuration, with the toolkit's rules: keys
 * are checked strictly (an unknown or repeated key is an error), scalars
 * are read as YAML 1.1 does (yes/no/on/off are booleans), relative paths
 * are joined with the file's directory, min_version defaults to TLS12 and
 * max_version to TLS13, and server cipher order is preferred. Where
 * wattlet is stricter, the check says why: TLS 1.0 and 1.1 are never
 * offered, and a verifying client_auth_type needs a client CA.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "webconfig.h"

#define WEB_CONFIG_MAX_BYTES (1 << 20)
#define ARRAY_LEN(a)	     (sizeof(a) / sizeof((a)[0]))

/* Go's tls.CipherSuites(): the suites exporter-toolkit accepts by name. */
static const struct web_cipher ciphers[] = {
	{ "TLS_AES_128_GCM_SHA256", WEB_KX_ANY, true, "AES-128-GCM", "AEAD" },
	{ "TLS_AES_256_GCM_SHA384", WEB_KX_ANY, true, "AES-256-GCM", "AEAD" },
	{ "TLS_CHACHA20_POLY1305_SHA256", WEB_KX_ANY, true, "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", WEB_KX_ECDHE_ECDSA, false, "AES-128-CBC",
	  "SHA1" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", WEB_KX_ECDHE_ECDSA, false, "AES-256-CBC",
	  "SHA1" },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", WEB_KX_ECDHE_RSA, false, "AES-128-CBC", "SHA1" },
	{ "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", WEB_KX_ECDHE_RSA, false, "AES-256-CBC", "SHA1" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", WEB_KX_ECDHE_ECDSA, false, "AES-128-GCM",
	  "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", WEB_KX_ECDHE_ECDSA, false, "AES-256-GCM",
	  "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", WEB_KX_ECDHE_RSA, false, "AES-128-GCM", "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", WEB_KX_ECDHE_RSA, false, "AES-256-GCM", "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", WEB_KX_ECDHE_RSA, false,
	  "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", WEB_KX_ECDHE_ECDSA, false,
	  "CHACHA20-POLY1305", "AEAD" },
};

static const struct web_curve curves[] = {
	{ "CurveP256", "GROUP-SECP256R1" },
	{ "CurveP384", "GROUP-SECP384R1" },
	{ "CurveP521", "GROUP-SECP521R1" },
	{ "X25519", "GROUP-X25519" },
};

static const char *const versions[] = { "TLS10", "TLS11", "TLS12", "TLS13" };

static const char *const client_auths[] = {
	[CLIENT_AUTH_NONE] = "NoClientCert",
	[CLIENT_AUTH_REQUEST] = "RequestClientCert",
	[CLIENT_AUTH_REQUIRE_ANY] = "RequireAnyClientCert",
	[CLIENT_AUTH_VERIFY_IF_GIVEN] = "VerifyClientCertIfGiven",
	[CLIENT_AUTH_REQUIRE_VERIFY] = "RequireAndVerifyClientCert",
};

/* The headers the toolkit lets a file set, and the values it allows (NULL: any). */
static const struct {
	const char *name;
	const char *allowed[3];
} headers[NR_WEB_HEADERS] = {
	[WEB_HDR_CSP] = { "Content-Security-Policy", {} },
	[WEB_HDR_FRAME_OPTIONS] = { "X-Frame-Options", { "deny", "sameorigin" } },
	[WEB_HDR_CONTENT_TYPE_OPTIONS] = { "X-Content-Type-Options", { "nosniff" } },
	[WEB_HDR_XSS_PROTECTION] = { "X-XSS-Protection", {} },
	[WEB_HDR_HSTS] = { "Strict-Transport-Security", {} },
};

struct parse {
	yaml_document_t *doc;
	const char *dir;
	struct web_config *c;
	const char *section; /* for messages: "tls_server_config" */
	/* reads one key of the section; 1 for a key it does not know */
	int (*field)(struct parse *p, const yaml_node_t *value, const char *key);
	const yaml_node_t *tls_node; /* where tls_server_config starts, for errors across keys */
	char *err;
	size_t errlen;
};

static int bad(struct parse *p, const yaml_node_t *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(struct parse *p, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
	const char *section = p->section ? p->section : "";
	char msg[256], *c;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "line %lu: %s%s%s%s%s",
		 n ? (unsigned long)n->start_mark.line + 1 : 1, section, *section && key ? "." : "",
		 key ? key : "", *section || key ? ": " : "", msg);
	/* Keys and values are echoed: keep the message on one line. */
	for (c = p->err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -EINVAL;
}

static yaml_node_t *node_at(struct parse *p, int idx)
{
	return yaml_document_get_node(p->doc, idx);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* YAML 1.1 null: an untagged plain ~, null or nothing. */
static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < ARRAY_LEN(nulls); i++)
		if (!strcmp(scalar(n), nulls[i]))
			return true;
	return false;
}

static int want_string(struct parse *p, const yaml_node_t *n, const char *key, char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return bad(p, n, key, "want a string");
	if (strlen(scalar(n)) != n->data.scalar.length)
		return bad(p, n, key, "contains a NUL byte");
	free(*out);
	*out = is_null(n) || !*scalar(n) ? NULL : strdup(scalar(n)); /* "" is unset, as in Go */
	return 0;
}

/* Go's yaml.v2 booleans (YAML 1.1), plain scalars only. */
static int want_bool(struct parse *p, const yaml_node_t *n, const char *key, bool *out)
{
	static const char *const yes[] = { "y",	   "Y",	   "yes", "Yes", "YES", "true",
					   "True", "TRUE", "on",  "On",	 "ON" };
	static const char *const no[] = { "n",	   "N",	    "no",  "No",  "NO", "false",
					  "False", "FALSE", "off", "Off", "OFF" };
	size_t i;

	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (i = 0; i < ARRAY_LEN(yes); i++)
			if (!strcmp(scalar(n), yes[i]))
				return *out = true, 0;
		for (i = 0; i < ARRAY_LEN(no); i++)
			if (!strcmp(scalar(n), no[i]))
				return *out = false, 0;
	}
	return bad(p, n, key, "want true or false");
}

/* A string naming one of choices; *out its index. The error lists them, unless hint is given. */
static int want_choice(struct parse *p, const yaml_node_t *n, const char *key,
		       const char *const *choices, size_t nr, const char *what, const char *hint,
		       int *out)
{
	char *s = NULL, list[256] = "";
	size_t i, len = 0;
	int err = want_string(p, n, key, &s);

	if (err)
		return err;
	for (i = 0; s && i < nr; i++) {
		if (choices[i] && !strcmp(s, choices[i])) {
			free(s);
			*out = (int)i;
			return 0;
		}
	}
	if (hint)
		snprintf(list, sizeof(list), "%s", hint);
	for (i = 0; !hint && i < nr && len < sizeof(list); i++)
		if (choices[i])
			len += snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
					choices[i]);
	err = bad(p, n, key, "unknown %s '%.64s' (want %s)", what, s ? s : "", list);
	free(s);
	return err;
}

/* A sequence (or null): calls one for each item. */
static int for_each_item(struct parse *p, const yaml_node_t *n, const char *key,
			 int (*one)(struct parse *, const yaml_node_t *, const char *))
{
	yaml_node_item_t *it;
	int err;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(p, n, key, "want a list");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		err = one(p, node_at(p, *it), key);
		if (err)
			return err;
	}
	return 0;
}

/* A relative path joined with the config file's directory, as the toolkit does. */
static int want_path(struct parse *p, const yaml_node_t *n, const char *key, char **out)
{
	char *s = NULL, *joined;
	int err = want_string(p, n, key, &s);

	if (err || !s || s[0] == '/' || !p->dir) {
		free(*out);
		*out = s;
		return err;
	}
	if (asprintf(&joined, "%s/%s", p->dir, s) < 0)
		joined = NULL;
	free(s);
	free(*out);
	*out = joined;
	return joined ? 0 : -ENOMEM;
}

static int one_cipher(struct parse *p, const yaml_node_t *n, const char *key)
{
	const char *names[ARRAY_LEN(ciphers)];
	struct web_config *c = p->c;
	size_t i;
	int idx, err;

	for (i = 0; i < ARRAY_LEN(ciphers); i++)
		names[i] = ciphers[i].name;
	err = want_choice(p, n, key, names, ARRAY_LEN(names), "cipher",
			  "a name of Go's tls.CipherSuites(), see docs/api.md", &idx);
	if (err)
		return err;
	for (i = 0; i < (size_t)c->nr_ciphers; i++)
		if (c->ciphers[i] == &ciphers[idx])
			return bad(p, n, key, "%s listed twice", ciphers[idx].name);
	c->ciphers[c->nr_ciphers++] = &ciphers[idx];
	return 0;
}

static int one_curve(struct parse *p, const yaml_node_t *n, const char *key)
{
	const char *names[ARRAY_LEN(curves)];
	struct web_config *c = p->c;
	size_t i;
	int idx, err;

	for (i = 0; i < ARRAY_LEN(curves); i++)
		names[i] = curves[i].name;
	err = want_choice(p, n, key, names, ARRAY_LEN(names), "curve", NULL, &idx);
	if (err)
		return err;
	for (i = 0; i < (size_t)c->nr_curves; i++)
		if (c->curves[i] == &curves[idx])
			return bad(p, n, key, "%s listed twice", curves[idx].name);
	c->curves[c->nr_curves++] = &curves[idx];
	return 0;
}

static int one_san(struct parse *p, const yaml_node_t *n, const char *key)
{
	struct web_config *c = p->c;
	char **sans = realloc(c->allowed_sans, (c->nr_allowed_sans + 1) * sizeof(*sans));

	if (!sans)
		return -ENOMEM;
	c->allowed_sans = sans;
	sans[c->nr_allowed_sans] = NULL;
	if (want_string(p, n, key, &sans[c->nr_allowed_sans]))
		return -EINVAL;
	if (!sans[c->nr_allowed_sans])
		return bad(p, n, key, "an empty name matches no certificate");
	c->nr_allowed_sans++;
	return 0;
}

static int want_version(struct parse *p, const yaml_node_t *n, const char *key, int *out)
{
	int idx, err = want_choice(p, n, key, versions, ARRAY_LEN(versions), "TLS version", NULL,
				   &idx);

	if (!err)
		*out = 10 + idx;
	return err;
}

static int tls_field(struct parse *p, const yaml_node_t *v, const char *key)
{
	struct web_config *c = p->c;
	int idx, err;

	if (!strcmp(key, "cert"))
		return want_string(p, v, key, &c->cert);
	if (!strcmp(key, "key"))
		return want_string(p, v, key, &c->key);
	if (!strcmp(key, "client_ca"))
		return want_string(p, v, key, &c->client_ca);
	if (!strcmp(key, "cert_file"))
		return want_path(p, v, key, &c->cert_file);
	if (!strcmp(key, "key_file"))
		return want_path(p, v, key, &c->key_file);
	if (!strcmp(key, "client_ca_file"))
		return want_path(p, v, key, &c->client_ca_file);
	if (!strcmp(key, "client_auth_type")) {
		char *s = NULL;

		/* RequireClientCert: the toolkit's old name for RequireAnyClientCert. */
		if (v->type == YAML_SCALAR_NODE && !strcmp(scalar(v), "RequireClientCert")) {
			c->client_auth = CLIENT_AUTH_REQUIRE_ANY;
			c->tls = true;
			return 0;
		}
		if (want_string(p, v, key, &s))
			return -EINVAL;
		if (!s) /* empty: the default */
			return 0;
		free(s);
		c->tls = true;
		err = want_choice(p, v, key, client_auths, ARRAY_LEN(client_auths),
				  "client_auth_type", NULL, &idx);
		c->client_auth = idx;
		return err;
	}
	if (!strcmp(key, "min_version"))
		return want_version(p, v, key, &c->min_version);
	if (!strcmp(key, "max_version"))
		return want_version(p, v, key, &c->max_version);
	if (!strcmp(key, "prefer_server_cipher_suites"))
		return want_bool(p, v, key, &c->prefer_server_cipher_suites);
	if (!strcmp(key, "cipher_suites"))
		return for_each_item(p, v, key, one_cipher);
	if (!strcmp(key, "curve_preferences"))
		return for_each_item(p, v, key, one_curve);
	if (!strcmp(key, "client_allowed_sans"))
		return for_each_item(p, v, key, one_san);
	return 1;
}

static bool header_value_ok(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 && *v != '\t')
			return false;
	return true;
}

static int one_header(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	struct web_config *c = p->c;
	const char *name = scalar(k);
	int h, i;

	for (h = 0; h < NR_WEB_HEADERS; h++)
		if (!strcmp(name, headers[h].name))
			break;
	if (h == NR_WEB_HEADERS)
		return bad(p, k, NULL, "HTTP header '%.64s' can not be configured", name);
	if (want_string(p, v, name, &c->headers[h]))
		return -EINVAL;
	if (!c->headers[h]) /* blank: unset */
		return 0;
	if (!header_value_ok(c->headers[h]))
		return bad(p, v, name, "control character in the value");
	if (!headers[h].allowed[0])
		return 0;
	for (i = 0; headers[h].allowed[i]; i++)
		if (!strcmp(c->headers[h], headers[h].allowed[i]))
			return 0;
	return bad(p, v, name, "invalid value '%.64s' (want %s%s%s)", c->headers[h],
		   headers[h].allowed[0], headers[h].allowed[1] ? " or " : "",
		   headers[h].allowed[1] ? headers[h].allowed[1] : "");
}

static int for_each_pair(struct parse *p, const yaml_node_t *n, const char *key,
			 int (*one)(struct parse *, const yaml_node_t *, const yaml_node_t *));

static int http_field(struct parse *p, const yaml_node_t *v, const char *key)
{
	const char *section = p->section;
	int err;

	if (!strcmp(key, "http2"))
		return want_bool(p, v, key, &p->c->http2);
	if (!strcmp(key, "headers")) {
		p->section = "http_server_config.headers";
		err = for_each_pair(p, v, NULL, one_header);
		p->section = section;
		return err;
	}
	return 1;
}

/* Go's bcrypt: $2a$, $2b$ or $2y$, a two-digit cost 04-31, 53 characters of salt and hash. */
static bool bcrypt_hash_ok(const char *h)
{
	static const char b64[] =
		"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	if (strlen(h) != 60 || strncmp(h, "$2", 2) || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[6] != '$' || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31 || strspn(h + 7, b64) != 53)
		return false;
	return crypt_checksalt(h) == CRYPT_SALT_OK;
}

static int one_user(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	struct web_config *c = p->c;
	struct web_user *users, *u;
	const char *name = scalar(k);

	if (!*name || strchr(name, ':'))
		return bad(p, k, NULL, "user name '%.64s' %s", name,
			   *name ? "has a ':', which basic auth cannot send" : "is empty");
	users = realloc(c->users, (c->nr_users + 1) * sizeof(*users));
	if (!users)
		return -ENOMEM;
	c->users = users;
	u = &users[c->nr_users];
	*u = (struct web_user){ .name = strdup(name) };
	c->nr_users++;
	if (!u->name)
		return -ENOMEM;
	if (want_string(p, v, name, &u->hash))
		return -EINVAL;
	if (!u->hash || !bcrypt_hash_ok(u->hash))
		return bad(p, v, name,
			   "not a bcrypt hash (want $2y$COST$ and 53 characters, as "
			   "htpasswd -nBC 12 USER makes)");
	return 0;
}

/* Go duration text ("1s", "250ms", "1m30s") or 0; seconds into *out. */
static bool parse_duration(const char *s, double *out)
{
	static const struct {
		const char *unit;
		double s;
	} units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 }, { "\xce\xbcs", 1e-6 },
		      { "ms", 1e-3 }, { "s", 1 },     { "m", 60 },	     { "h", 3600 } };
	double total = 0, v;
	char *end;
	size_t i;

	if (!strcmp(s, "0"))
		return *out = 0, true;
	if (*s == '+')
		s++;
	if (!*s)
		return false;
	while (*s) {
		v = strtod(s, &end);
		if (end == s || strspn(s, "0123456789.") < (size_t)(end - s))
			return false;
		/* ms before m, and the micro signs before s */
		for (i = 0; i < ARRAY_LEN(units); i++)
			if (!strncmp(end, units[i].unit, strlen(units[i].unit)))
				break;
		if (i == ARRAY_LEN(units))
			return false;
		total += v * units[i].s;
		s = end + strlen(units[i].unit);
	}
	*out = total;
	return isfinite(total);
}

static int rate_field(struct parse *p, const yaml_node_t *v, const char *key)
{
	struct web_config *c = p->c;
	char *end;
	long n;

	if (!strcmp(key, "interval")) {
		if (v->type != YAML_SCALAR_NODE || !parse_duration(scalar(v), &c->rate_interval_s))
			return bad(p, v, key, "want a duration such as 1s or 250ms");
		return 0;
	}
	if (!strcmp(key, "burst")) {
		errno = 0;
		n = v->type == YAML_SCALAR_NODE ? strtol(scalar(v), &end, 10) : -1;
		if (v->type != YAML_SCALAR_NODE || errno || end == scalar(v) || *end || n < 0 ||
		    n > 1000000)
			return bad(p, v, key, "want a whole number from 0");
		c->rate_burst = (int)n;
		return 0;
	}
	return 1;
}

/*
 * A mapping's pairs, each key a scalar seen once; one() reads the pair.
 * The toolkit decodes strictly: a repeated key is an error, as in Go.
 */
static int for_each_pair(struct parse *p, const yaml_node_t *n, const char *key,
			 int (*one)(struct parse *, const yaml_node_t *, const yaml_node_t *))
{
	yaml_node_pair_t *a, *b;
	const yaml_node_t *k;
	int err;

	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return bad(p, n, key, "want a mapping");
	for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++) {
		k = node_at(p, a->key);
		if (k->type != YAML_SCALAR_NODE || strlen(scalar(k)) != k->data.scalar.length)
			return bad(p, k, key, "want string keys");
		for (b = n->data.mapping.pairs.start; b < a; b++)
			if (!strcmp(scalar(node_at(p, b->key)), scalar(k)))
				return bad(p, k, scalar(k), "set twice");
		err = one(p, k, node_at(p, a->value));
		if (err)
			return err;
	}
	return 0;
}

static int one_field(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	int err = p->field(p, v, scalar(k));

	if (err > 0)
		return bad(p, k, scalar(k), "unknown key");
	return err;
}

static int read_section(struct parse *p, const yaml_node_t *v, const char *name,
			int (*field)(struct parse *, const yaml_node_t *, const char *))
{
	int err;

	p->section = name;
	p->field = field;
	err = for_each_pair(p, v, NULL, one_field);
	p->section = NULL;
	return err;
}

static int one_top(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	const char *key = scalar(k);
	int err;

	if (!strcmp(key, "tls_server_config")) {
		p->tls_node = k;
		return read_section(p, v, key, tls_field);
	}
	if (!strcmp(key, "http_server_config"))
		return read_section(p, v, key, http_field);
	if (!strcmp(key, "rate_limit"))
		return read_section(p, v, key, rate_field);
	if (!strcmp(key, "basic_auth_users")) {
		p->section = key;
		err = for_each_pair(p, v, NULL, one_user);
		p->section = NULL;
		return err;
	}
	return bad(p, k, key, "unknown key");
}

static bool tls_is_set(const struct web_config *c)
{
	return c->tls || c->cert || c->key || c->cert_file || c->key_file || c->client_ca ||
	       c->client_ca_file;
}

/* What the toolkit checks across keys, and where wattlet is stricter. */
static int check_tls(struct parse *p)
{
	struct web_config *c = p->c;
	bool ca = c->client_ca || c->client_ca_file;

	p->section = "tls_server_config";
	c->tls = tls_is_set(c);
	if (c->min_version < WEB_TLS_FLOOR) {
		c->min_version_raised = true;
		c->min_version = WEB_TLS_FLOOR;
	}
	if (c->max_version < c->min_version)
		return bad(p, p->tls_node, "max_version",
			   "TLS1%d is below min_version TLS1%d (TLS 1.0 "
			   "and 1.1 are never offered)",
			   c->max_version - 10, c->min_version - 10);
	if (!c->tls) /* plain HTTP; the toolkit ignores the other TLS keys then */
		return 0;
	if (!c->cert && !c->cert_file)
		return bad(p, p->tls_node, NULL, "missing one of cert or cert_file");
	if (!c->key && !c->key_file)
		return bad(p, p->tls_node, NULL, "missing one of key or key_file");
	if ((c->cert && c->cert_file) || (c->key && c->key_file) ||
	    (c->client_ca && c->client_ca_file))
		return bad(p, p->tls_node, NULL, "a PEM given both inline and as a file: keep one");
	if (ca && c->client_auth == CLIENT_AUTH_NONE)
		return bad(p, p->tls_node, NULL,
			   "client CA's have been configured without a Client Auth "
			   "Policy (set client_auth_type)");
	if (!ca && (c->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN ||
		    c->client_auth == CLIENT_AUTH_REQUIRE_VERIFY))
		return bad(p, p->tls_node, "client_auth_type",
			   "%s needs client_ca_file to verify against",
			   client_auths[c->client_auth]);
	if (c->nr_allowed_sans && c->client_auth == CLIENT_AUTH_NONE)
		return bad(p, p->tls_node, "client_allowed_sans",
			   "needs a client_auth_type that asks for "
			   "a certificate");
	return 0;
}

static void defaults(struct web_config *c)
{
	c->min_version = WEB_TLS_FLOOR;
	c->max_version = WEB_TLS_MAX;
	c->prefer_server_cipher_suites = true;
	c->http2 = true;
}

static int yaml_error(struct parse *p, const yaml_parser_t *yp)
{
	snprintf(p->err, p->errlen, "line %lu: not YAML: %s%s%s",
		 (unsigned long)yp->problem_mark.line + 1, yp->problem ? yp->problem : "error",
		 yp->context ? " " : "", yp->context ? yp->context : "");
	return -EINVAL;
}

static int parse_doc(struct parse *p, yaml_parser_t *yp)
{
	yaml_document_t extra;
	yaml_node_t *root;
	int err;

	if (!yaml_parser_load(yp, p->doc))
		return yaml_error(p, yp);
	root = yaml_document_get_root_node(p->doc);
	if (root) {
		err = for_each_pair(p, root, "(top level)", one_top);
		if (err)
			return err;
		if (!yaml_parser_load(yp, &extra))
			return yaml_error(p, yp);
		if (yaml_document_get_root_node(&extra)) {
			err = bad(p, yaml_document_get_root_node(&extra), NULL,
				  "more than one YAML document");
			yaml_document_delete(&extra);
			return err;
		}
		yaml_document_delete(&extra);
	}
	return check_tls(p);
}

int web_config__parse(const char *text, size_t len, const char *dir, struct web_config **out,
		      char *err, size_t errlen)
{
	struct web_config *c = calloc(1, sizeof(*c));
	struct parse p = { .dir = dir, .c = c, .err = err, .errlen = errlen };
	yaml_document_t doc;
	yaml_parser_t yp;
	int ret;

	*out = NULL;
	if (!c || !yaml_parser_initialize(&yp)) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	defaults(c);
	memset(&doc, 0, sizeof(doc));
	p.doc = &doc;
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	ret = parse_doc(&p, &yp);
	if (doc.nodes.start)
		yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (ret) {
		web_config__free(c);
		return ret;
	}
	*out = c;
	return 0;
}

int web_config__load(const char *path, struct web_config **out, char *err, size_t errlen)
{
	char dirbuf[PATH_MAX], *text;
	struct stat st;
	ssize_t n;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot read: %s", strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > WEB_CONFIG_MAX_BYTES) {
		close(fd);
		snprintf(err, errlen, "not a regular file of at most 1 MiB");
		return -EINVAL;
	}
	text = malloc(st.st_size + 1);
	n = text ? read(fd, text, st.st_size) : -1;
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (n != st.st_size) {
		free(text);
		snprintf(err, errlen, "cannot read: %s", ret ? strerror(-ret) : "short read");
		return ret ? ret : -EIO;
	}
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	ret = web_config__parse(text, n, dirname(dirbuf), out, err, errlen);
	free(text);
	return ret;
}

void web_config__free(struct web_config *c)
{
	int i;

	if (!c)
		return;
	free(c->cert_file);
	free(c->key_file);
	free(c->client_ca_file);
	free(c->cert);
	free(c->key);
	free(c->client_ca);
	for (i = 0; i < c->nr_allowed_sans; i++)
		free(c->allowed_sans[i]);
	free(c->allowed_sans);
	for (i = 0; i < NR_WEB_HEADERS; i++)
		free(c->headers[i]);
	for (i = 0; i < c->nr_users; i++) {
		free(c->users[i].name);
		free(c->users[i].hash);
	}
	free(c->users);
	free(c);
}

const char *web_config__header_name(enum web_header h)
{
	return h < NR_WEB_HEADERS ? headers[h].name : NULL;
}

const char *web_config__user_hash(const struct web_config *c, const char *name)
{
	int i;

	for (i = 0; c && i < c->nr_users; i++)
		if (!strcmp(c->users[i].name, name))
			return c->users[i].hash;
	return NULL;
}
