// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wattctl: per-pod CPU, power and energy from the command line, like
 * `kubectl top` with energy added. The command table, the options every
 * command shares, per-command help, and the --watch loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "args.h"
#include "http.h"
#include "output.h"
#include "period.h"
#include "wattctl.h"
#include "util.h"

#define REPORT_DEFAULT_S (30LL * 86400)

#ifndef WATTLET_VERSION
#define WATTLET_VERSION "unknown"
#endif

struct cmd {
	const char *words[2];	    /* "top", "pods"; NULL-padded */
	const char *const *aliases; /* other spellings of words[1] */
	int (*run)(struct wattctl *c);
	int (*run_prom)(struct wattctl *c); /* NULL: not available with --prometheus */
	unsigned int opts;		    /* OPTF_* it accepts */
	const char *synopsis;
	const char *help;
};

static const char *const pod_aliases[] = { "pod", "po", NULL };
static const char *const container_aliases[] = { "container", NULL };
static const char *const namespace_aliases[] = { "namespace", "ns", NULL };
static const char *const process_aliases[] = { "process", "ps", NULL };

static int cmd_get_pod_arg(struct wattctl *c);

static const struct cmd commands[] = {
	{ .words = { "top", "pods" },
	  .aliases = pod_aliases,
	  .run = cmd_top_pods,
	  .run_prom = promql__top_pods,
	  .opts = OPTF_NAMESPACE | OPTF_ALL | OPTF_SORT | OPTF_LIMIT,
	  .synopsis = "top pods [-n NS | -A] [--sort power|energy|cpu] [--limit N]",
	  .help = "CPU (cores), power and energy of each pod, biggest first. Without -n or -A,\n"
		  "the pods of namespace \"default\", as kubectl does. With --prometheus, every\n"
		  "node's pods, with a NODE column.\n" },
	{ .words = { "top", "containers" },
	  .aliases = container_aliases,
	  .run = cmd_top_containers,
	  .opts = OPTF_NAMESPACE | OPTF_ALL | OPTF_POD | OPTF_SORT | OPTF_LIMIT,
	  .synopsis = "top containers [-n NS] [--pod NS/NAME] [--sort KEY] [--limit N]",
	  .help = "CPU, power and energy of each container, of all namespaces unless -n.\n" },
	{ .words = { "top", "namespaces" },
	  .aliases = namespace_aliases,
	  .run = cmd_top_namespaces,
	  .run_prom = promql__top_namespaces,
	  .opts = OPTF_NAMESPACE | OPTF_ALL | OPTF_SORT | OPTF_LIMIT,
	  .synopsis = "top namespaces [-n NS] [--sort KEY] [--limit N]",
	  .help = "CPU, power and energy of each namespace. With --prometheus, per node.\n" },
	{ .words = { "top", "processes" },
	  .aliases = process_aliases,
	  .run = cmd_top_processes,
	  .opts = OPTF_NAMESPACE | OPTF_ALL | OPTF_POD | OPTF_SORT | OPTF_LIMIT,
	  .synopsis = "top processes [-n NS] [--pod NS/NAME] [--sort KEY] [--limit N]",
	  .help = "CPU, power and energy of each process, with its namespace, pod and container.\n" },
	{ .words = { "node", NULL },
	  .run = cmd_node,
	  .synopsis = "node",
	  .help = "The node: CPU utilisation, power, energy (active, idle, by zone), the meter,\n"
		  "PUE and carbon when the agent is configured with them.\n" },
	{ .words = { "get", "pod" },
	  .aliases = pod_aliases + 1,
	  .run = cmd_get_pod_arg,
	  .opts = OPTF_NAMESPACE,
	  .synopsis = "get pod NS/NAME",
	  .help = "One pod's figures, with its containers.\n" },
	{ .words = { "report", NULL },
	  .run = cmd_report,
	  .run_prom = promql__report,
	  .opts = OPTF_NAMESPACE | OPTF_PERIOD | OPTF_BY,
	  .synopsis =
		  "report [--since 30d | --from T [--to T]] [-n NS] [--by namespace|pod|label:KEY]",
	  .help = "Energy and carbon per group over a period, for a sustainability report: energy\n"
		  "(kWh), facility energy (kWh, with PUE), operational, embodied and total carbon\n"
		  "(gCO2e), share of the cluster, average power and the trend against the period\n"
		  "before, each marked measured, modelled or mixed. With --prometheus, the whole\n"
		  "cluster over --since (default 30d) or --from/--to; --by label:KEY joins\n"
		  "kube-state-metrics' kube_pod_labels. Without it, one agent since it started.\n"
		  "-o table (default), json, csv, or html: one self-contained page with charts.\n"
		  "Times: 2026-11-01, 2026-11-01T08:00Z (UTC unless an offset is given), unix\n"
		  "seconds, now. Durations: 30d, 12h, 90m, 1w.\n" },
};

#define NR_COMMANDS (ARRAY_SIZE(commands))

/* the help as it prints; clang-format would split the line that names the default server */
/* clang-format off */
static const char *global_help =
	"Global options:\n"
	"  -o, --output table|wide|json  table (default), more columns, or the API's JSON document\n"
	"                              (report: table, json, csv or html)\n"
	"  -w, --watch[=SECONDS]       repeat every SECONDS (default 2), redrawn in place on a terminal\n"
	"  -s, --server URL            the agent (default $WATTLET_SERVER, else " WATTCTL_DEFAULT_SERVER ")\n"
	"      --prometheus URL        the cluster from Prometheus (top pods, top namespaces, report)\n"
	"      --window RANGE          PromQL range for CPU rates (default 1m)\n"
	"      --timeout SECONDS       per request (default 10)\n"
	"HTTPS and authentication, for the server asked (the agent, or Prometheus):\n"
	"      --cacert FILE           verify the server against this CA (default: the system's)\n"
	"      --cert FILE, --key FILE a client certificate and its key (mutual TLS)\n"
	"      --user NAME             basic auth; the password is read from $WATTCTL_PASSWORD or\n"
	"      --password-file FILE    (its first line), never from the command line\n"
	"      --insecure-skip-verify  do not verify the server's certificate\n"
	"  -h, --help                  this help, or a command's with the command\n"
	"  -V, --version\n"
	"Sort keys: power (default), energy, cpu. Exit status: 0 ok, 1 error, 2 usage.\n";
/* clang-format on */

static void usage_all(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: wattctl [OPTIONS] COMMAND\n\nCommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  wattctl %s\n", commands[i].synopsis);
	fprintf(f, "  wattctl help [COMMAND]\n\n%s", global_help);
}

static void usage_cmd(FILE *f, const struct cmd *cmd)
{
	fprintf(f, "Usage: wattctl %s [OPTIONS]\n\n%s\n%s", cmd->synopsis, cmd->help, global_help);
}

/* Usage errors: one line, a pointer to --help, exit 2. */
static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p_err("%s", msg);
	if (!output__json())
		fprintf(stderr, "Try 'wattctl --help'.\n");
	return EXIT_USAGE;
}

static bool word_is(const char *w, const char *name, const char *const *aliases)
{
	int i;

	if (!strcmp(w, name))
		return true;
	for (i = 0; aliases && aliases[i]; i++)
		if (!strcmp(w, aliases[i]))
			return true;
	return false;
}

/* The command named by words; *nargs gets how many words it used. NULL if none. */
static const struct cmd *cmd_find(char **words, int nwords, int *nused)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS && nwords > 0; i++) {
		const struct cmd *cmd = &commands[i];

		if (strcmp(words[0], cmd->words[0]))
			continue;
		if (!cmd->words[1]) {
			*nused = 1;
			return cmd;
		}
		if (nwords > 1 && word_is(words[1], cmd->words[1], cmd->aliases)) {
			*nused = 2;
			return cmd;
		}
	}
	return NULL;
}

/* Help for a group ("top") or a command ("top pods"); 0 if the words name something. */
static int help_words(char **words, int nwords)
{
	const struct cmd *cmd;
	bool any = false;
	size_t i;
	int used;

	if (nwords == 0) {
		usage_all(stdout);
		return EXIT_OK;
	}
	cmd = cmd_find(words, nwords, &used);
	if (cmd) {
		usage_cmd(stdout, cmd);
		return EXIT_OK;
	}
	for (i = 0; i < NR_COMMANDS; i++) {
		if (strcmp(words[0], commands[i].words[0]))
			continue;
		printf("%s  wattctl %s\n", any ? "" : "Usage:\n", commands[i].synopsis);
		any = true;
	}
	if (any) {
		printf("\n'wattctl help %s COMMAND' tells more.\n", words[0]);
		return EXIT_OK;
	}
	return usage_err("no command '%s'", words[0]);
}

static const char *opt_name(unsigned int f)
{
	switch (f) {
	case OPTF_NAMESPACE:
		return "-n";
	case OPTF_ALL:
		return "-A";
	case OPTF_SORT:
		return "--sort";
	case OPTF_LIMIT:
		return "--limit";
	case OPTF_PERIOD:
		return "--since/--from/--to";
	case OPTF_BY:
		return "--by";
	default:
		return "--pod";
	}
}

/* report: what only Prometheus can answer, and the period. */
static int cmd_check_report(struct wattctl *c)
{
	struct period_args pa = { c->since, c->from, c->to };
	struct period p;
	char err[256];

	if (!c->prometheus && (c->given & OPTF_PERIOD))
		return usage_err("report: --since, --from and --to need --prometheus; "
				 "an agent reports the time since it started");
	if (!c->prometheus && c->by && !strncmp(c->by, "label:", 6))
		return usage_err("report: --by %s needs --prometheus "
				 "(pod labels come from kube-state-metrics)",
				 c->by);
	if (c->watch)
		return usage_err("report does not take --watch");
	if (period__resolve(&pa, (long long)time(NULL), REPORT_DEFAULT_S, &p, err, sizeof(err)))
		return usage_err("%s", err);
	c->from_t = p.from;
	c->to_t = p.to;
	return EXIT_OK;
}

static int cmd_check(struct wattctl *c, const struct cmd *cmd)
{
	unsigned int extra = c->given & ~cmd->opts;

	if (extra)
		return usage_err("'%s%s%s' does not take %s", cmd->words[0],
				 cmd->words[1] ? " " : "", cmd->words[1] ? cmd->words[1] : "",
				 opt_name(extra & -extra));
	if (c->namespace && c->all_namespaces)
		return usage_err("-n and -A exclude each other");
	if (c->namespace && c->pod_ns && strcmp(c->namespace, c->pod_ns))
		return usage_err("-n %s and --pod %s/%s name different namespaces", c->namespace,
				 c->pod_ns, c->pod_name);
	if (c->prometheus && !cmd->run_prom)
		return usage_err("'%s%s%s' is not available with --prometheus", cmd->words[0],
				 cmd->words[1] ? " " : "", cmd->words[1] ? cmd->words[1] : "");
	if (!c->prometheus && c->window)
		return usage_err("--window only applies with --prometheus");
	if (c->prometheus && !args__valid_url(c->prometheus))
		return usage_err("--prometheus %s: want an http:// or https:// URL", c->prometheus);
	if (!args__valid_url(c->server))
		return usage_err("server %s: want an http:// or https:// URL", c->server);
	if (cmd->run == cmd_report)
		return cmd_check_report(c);
	if (c->format == OUT_CSV || c->format == OUT_HTML)
		return usage_err("-o %s is for report only", c->format == OUT_CSV ? "csv" : "html");
	return EXIT_OK;
}

/* The basic-auth password: $WATTCTL_PASSWORD or the first line of --password-file. */
static int auth_password(struct http_auth *a)
{
	const char *env = getenv("WATTCTL_PASSWORD");
	char line[1024];
	FILE *f;

	if (a->key && !a->cert)
		return usage_err("--key needs --cert");
	if (!a->user) {
		if (a->password_file)
			return usage_err("--password-file needs --user");
		return EXIT_OK;
	}
	if (!a->password_file) {
		if (!env)
			return usage_err("--user %s: set $WATTCTL_PASSWORD or --password-file",
					 a->user);
		a->password = strdup(env);
		return a->password ? EXIT_OK : EXIT_ERR;
	}
	f = fopen(a->password_file, "r");
	if (!f) {
		p_err("--password-file %s: %s", a->password_file, strerror(errno));
		return EXIT_ERR;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	a->password = strdup(line);
	explicit_bzero(line, sizeof(line));
	return a->password ? EXIT_OK : EXIT_ERR;
}

static void auth_forget(struct http_auth *a)
{
	if (a->password)
		explicit_bzero(a->password, strlen(a->password));
	free(a->password);
	a->password = NULL;
}

/* get pod takes NS/NAME, or NAME with -n. */
static int cmd_get_pod_arg(struct wattctl *c)
{
	const char *arg = c->arg, *ns, *name;
	char buf[512];

	if (args__split_pod(arg, buf, sizeof(buf), &ns, &name)) {
		if (c->namespace && strcmp(c->namespace, ns))
			return usage_err("get pod %s: conflicts with -n %s", arg, c->namespace);
		return cmd_get_pod(c, ns, name);
	}
	if (strchr(arg, '/') || !*arg)
		return usage_err("get pod %s: want NAMESPACE/NAME", arg);
	return cmd_get_pod(c, c->namespace ? c->namespace : WATTCTL_DEFAULT_NAMESPACE, arg);
}

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
}

static void watch_sleep(double s)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	double slept;

	for (slept = 0; slept < s && !stopping; slept += 0.05)
		nanosleep(&ts, NULL);
}

/* Once, or every watch_s until interrupted; in watch mode an error waits for the next frame. */
static int cmd_run(struct wattctl *c, const struct cmd *cmd)
{
	int (*run)(struct wattctl *) = c->prometheus ? cmd->run_prom : cmd->run;
	int ret;

	if (!c->watch)
		return run(c);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stopping) {
		output__frame_begin();
		ret = run(c);
		output__frame_end();
		if (ret == EXIT_USAGE)
			return ret;
		watch_sleep(c->watch_s);
	}
	return EXIT_OK;
}

static void ctl_defaults(struct wattctl *c)
{
	const char *env = getenv("WATTLET_SERVER");

	memset(c, 0, sizeof(*c));
	c->server = env && *env ? env : WATTCTL_DEFAULT_SERVER;
	c->watch_s = 2;
	c->timeout_s = 10;
	c->tty = isatty(STDOUT_FILENO);
	c->color = c->tty && !getenv("NO_COLOR") &&
		   !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"));
}

/* Resolve -n/-A into the one namespace to ask for (NULL: all). */
static void ctl_namespace(struct wattctl *c, const struct cmd *cmd)
{
	if (c->all_namespaces)
		c->namespace = NULL;
	else if (!c->namespace && cmd->run == cmd_top_pods)
		c->namespace = WATTCTL_DEFAULT_NAMESPACE;
}

static int wattctl_main(struct wattctl *c, struct args *a, char **words, int nwords)
{
	const struct cmd *cmd;
	int used = 0, ret;

	if (a->bad[0])
		return usage_err("%s", a->bad);
	if (a->version) {
		printf("wattctl %s\n", WATTLET_VERSION);
		return EXIT_OK;
	}
	if (nwords > 0 && !strcmp(words[0], "help"))
		return help_words(words + 1, nwords - 1);
	if (a->help)
		return help_words(words, nwords);
	if (nwords == 0)
		return usage_err("no command given");
	cmd = cmd_find(words, nwords, &used);
	if (!cmd)
		return usage_err("no command '%s%s%s'", words[0], nwords > 1 ? " " : "",
				 nwords > 1 ? words[1] : "");
	if (cmd->run == cmd_get_pod_arg) {
		if (nwords != used + 1)
			return usage_err("get pod: want one NAMESPACE/NAME");
		c->arg = words[used++];
	}
	if (nwords > used)
		return usage_err("unexpected argument '%s'", words[used]);
	ret = cmd_check(c, cmd);
	if (ret)
		return ret;
	ctl_namespace(c, cmd);
	ret = auth_password(&c->auth);
	if (ret)
		return ret;
	c->http = http__new(c->timeout_s, &c->auth);
	if (!c->http) {
		auth_forget(&c->auth);
		p_err("cannot set up libcurl");
		return EXIT_ERR;
	}
	ret = cmd_run(c, cmd);
	http__free(c->http);
	auth_forget(&c->auth);
	return ret;
}

int main(int argc, char **argv)
{
	struct wattctl c;
	struct args a = { .c = &c };

	ctl_defaults(&c);
	args__parse(&a, argc, argv);
	if (!c.window)
		c.window = c.prometheus ? "1m" : NULL;
	args__trim_slash(c.server);
	args__trim_slash(c.prometheus);
	output__init(c.format == OUT_JSON, c.tty, c.color);
	return wattctl_main(&c, &a, argv + optind, argc - optind);
}
