// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wattctl's options: every command shares one getopt_long pass, so options
 * may come before or after the command words. A bad value is kept and
 * reported once the output format (-o) is known, as one line.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"

enum {
	OPT_PROMETHEUS = 256,
	OPT_SORT,
	OPT_LIMIT,
	OPT_POD,
	OPT_WINDOW,
	OPT_TIMEOUT,
	OPT_SINCE,
	OPT_FROM,
	OPT_TO,
	OPT_BY,
	OPT_CACERT,
	OPT_CERT,
	OPT_KEY,
	OPT_USER,
	OPT_PASSWORD_FILE,
	OPT_INSECURE,
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "watch", optional_argument, NULL, 'w' },
	{ "server", required_argument, NULL, 's' },
	{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },
	{ "namespace", required_argument, NULL, 'n' },
	{ "all-namespaces", no_argument, NULL, 'A' },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "pod", required_argument, NULL, OPT_POD },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "by", required_argument, NULL, OPT_BY },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "user", required_argument, NULL, OPT_USER },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "insecure-skip-verify", no_argument, NULL, OPT_INSECURE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

static void args_bad(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void args_bad(struct args *a, const char *fmt, ...)
{
	va_list ap;

	if (a->bad[0])
		return;
	va_start(ap, fmt);
	vsnprintf(a->bad, sizeof(a->bad), fmt, ap);
	va_end(ap);
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 86400)
		return false;
	*out = v;
	return true;
}

/* A PromQL duration: digits and a unit, repeated ("1m", "1h30m"). */
static bool valid_range(const char *s)
{
	const char *p = s;

	if (!*p)
		return false;
	while (*p) {
		if (!strchr("0123456789", *p))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		if (!strncmp(p, "ms", 2))
			p += 2;
		else if (*p && strchr("smhdwy", *p))
			p++;
		else
			return false;
	}
	return strlen(s) < 32;
}

/* namespace, pod, or label:KEY with KEY a Kubernetes label key (prefix/name). */
bool args__valid_by(const char *s)
{
	const char *key = s + strlen("label:");

	if (!strcmp(s, "namespace") || !strcmp(s, "pod"))
		return true;
	if (strncmp(s, "label:", strlen("label:")) || !*key || strlen(key) > 316)
		return false;
	return strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") ==
	       strlen(key);
}

bool args__valid_url(const char *s)
{
	return (!strncmp(s, "http://", 7) && s[7]) || (!strncmp(s, "https://", 8) && s[8]);
}

/* Split "NS/NAME" into buf; both parts non-empty, one slash. */
bool args__split_pod(const char *s, char *buf, size_t len, const char **ns, const char **name)
{
	char *slash;

	if (strlen(s) >= len)
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash || slash == buf || !slash[1] || strchr(slash + 1, '/'))
		return false;
	*slash = '\0';
	*ns = buf;
	*name = slash + 1;
	return true;
}

static const char *file_arg(struct args *a, const char *flag, const char *arg)
{
	if (!*arg)
		args_bad(a, "%s: empty file name", flag);
	return arg;
}

static void args_one(struct args *a, int opt, const char *arg)
{
	struct wattctl *c = a->c;
	char *end;

	switch (opt) {
	case 'o':
		if (!strcmp(arg, "table"))
			c->format = OUT_TABLE;
		else if (!strcmp(arg, "wide"))
			c->format = OUT_WIDE;
		else if (!strcmp(arg, "json"))
			c->format = OUT_JSON;
		else if (!strcmp(arg, "csv"))
			c->format = OUT_CSV;
		else if (!strcmp(arg, "html"))
			c->format = OUT_HTML;
		else
			args_bad(a, "-o %s: want table, wide, json, csv or html", arg);
		break;
	case 'w':
		c->watch = true;
		if (arg && !parse_seconds(arg, &c->watch_s))
			args_bad(a, "--watch=%s: want a number of seconds > 0", arg);
		break;
	case 's':
		c->server = arg;
		break;
	case OPT_PROMETHEUS:
		c->prometheus = arg;
		break;
	case 'n':
		c->namespace = arg;
		c->given |= OPTF_NAMESPACE;
		if (!*arg)
			args_bad(a, "-n: empty namespace");
		break;
	case 'A':
		c->all_namespaces = true;
		c->given |= OPTF_ALL;
		break;
	case OPT_SORT:
		c->given |= OPTF_SORT;
		if (!strcmp(arg, "power"))
			c->sort = SORT_POWER;
		else if (!strcmp(arg, "energy"))
			c->sort = SORT_ENERGY;
		else if (!strcmp(arg, "cpu"))
			c->sort = SORT_CPU;
		else
			args_bad(a, "--sort %s: want power, energy or cpu", arg);
		break;
	case OPT_LIMIT:
		c->given |= OPTF_LIMIT;
		errno = 0;
		c->limit = strtol(arg, &end, 10);
		if (errno || end == arg || *end || c->limit <= 0 || c->limit > 1000000)
			args_bad(a, "--limit %s: want a whole number from 1", arg);
		break;
	case OPT_POD:
		c->given |= OPTF_POD;
		if (!args__split_pod(arg, a->pod_buf, sizeof(a->pod_buf), &c->pod_ns, &c->pod_name))
			args_bad(a, "--pod %s: want NAMESPACE/NAME", arg);
		break;
	case OPT_WINDOW:
		c->window = arg;
		if (!valid_range(arg))
			args_bad(a, "--window %s: want a PromQL duration such as 1m", arg);
		break;
	case OPT_TIMEOUT:
		if (!parse_seconds(arg, &c->timeout_s))
			args_bad(a, "--timeout %s: want a number of seconds > 0", arg);
		break;
	case OPT_SINCE:
		c->since = arg;
		c->given |= OPTF_PERIOD;
		break;
	case OPT_FROM:
		c->from = arg;
		c->given |= OPTF_PERIOD;
		break;
	case OPT_TO:
		c->to = arg;
		c->given |= OPTF_PERIOD;
		break;
	case OPT_BY:
		c->by = arg;
		c->given |= OPTF_BY;
		if (!args__valid_by(arg))
			args_bad(a, "--by %s: want namespace, pod or label:KEY", arg);
		break;
	case OPT_CACERT:
		c->auth.cacert = file_arg(a, "--cacert", arg);
		break;
	case OPT_CERT:
		c->auth.cert = file_arg(a, "--cert", arg);
		break;
	case OPT_KEY:
		c->auth.key = file_arg(a, "--key", arg);
		break;
	case OPT_PASSWORD_FILE:
		c->auth.password_file = file_arg(a, "--password-file", arg);
		break;
	case OPT_USER:
		c->auth.user = arg;
		if (!*arg)
			args_bad(a, "--user: empty user name");
		else if (strchr(arg, ':'))
			args_bad(
				a,
				"--user takes a name only: the password comes from $WATTCTL_PASSWORD "
				"or --password-file, never from the command line");
		break;
	case OPT_INSECURE:
		c->auth.insecure = true;
		break;
	case 'h':
		a->help = true;
		break;
	case 'V':
		a->version = true;
		break;
	case ':':
		args_bad(a, "%s: needs a value", arg);
		break;
	default:
		args_bad(a, "unknown option %s", arg);
		break;
	}
}

void args__parse(struct args *a, int argc, char **argv)
{
	char shortopt[3] = "-?";
	const char *arg;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:w::s:n:AhV", long_opts, NULL)) != -1) {
		arg = optarg;
		if (opt == '?' || opt == ':') {
			shortopt[1] = (char)optopt;
			arg = optopt ? shortopt : argv[optind - 1];
		}
		args_one(a, opt, arg);
	}
}

/* Server URLs are joined with "/api/...": drop trailing slashes (argv is ours to edit). */
void args__trim_slash(const char *url)
{
	char *s = (char *)url;
	size_t n = s ? strlen(s) : 0;

	while (n > 8 && s[n - 1] == '/')
		s[--n] = '\0';
}
