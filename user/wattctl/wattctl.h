/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * wattctl: what uses the energy, asked of one wattlet agent (its JSON API)
 * or of a whole cluster (Prometheus). Shared state of one invocation.
 */
#ifndef __WATTCTL_H
#define __WATTCTL_H

#include <stdbool.h>
#include <jansson.h>

#define WATTCTL_DEFAULT_SERVER	  "http://127.0.0.1:9188"
#define WATTCTL_DEFAULT_NAMESPACE "default"

/* Exit codes: success, runtime error (agent/Prometheus), usage error. */
enum {
	EXIT_OK = 0,
	EXIT_ERR = 1,
	EXIT_USAGE = 2,
};

enum out_format {
	OUT_TABLE,
	OUT_WIDE,
	OUT_JSON,
	OUT_CSV,  /* report only */
	OUT_HTML, /* report only */
};

enum sort_key {
	SORT_NONE, /* the API's order */
	SORT_POWER,
	SORT_ENERGY,
	SORT_CPU,
};

/* Options that only some commands take; each command lists what it accepts. */
enum {
	OPTF_NAMESPACE = 1 << 0, /* -n NS */
	OPTF_ALL = 1 << 1,	 /* -A */
	OPTF_SORT = 1 << 2,	 /* --sort */
	OPTF_LIMIT = 1 << 3,	 /* --limit */
	OPTF_POD = 1 << 4,	 /* --pod NS/NAME */
	OPTF_PERIOD = 1 << 5,	 /* --since, --from, --to */
	OPTF_BY = 1 << 6,	 /* --by */
};

struct http;

/* How to reach a server over HTTPS and who to be: for the agent, or Prometheus with --prometheus. */
struct http_auth {
	const char *cacert;	/* CA bundle to verify the server against; NULL: system's */
	const char *cert, *key; /* client certificate (mTLS) */
	const char *user;	/* basic auth; the password never comes from argv */
	const char *password_file;
	char *password; /* from $WATTCTL_PASSWORD or password_file */
	bool insecure;	/* --insecure-skip-verify */
};

struct wattctl {
	struct http *http;	/* one connection for every request */
	const char *server;	/* agent base URL, no trailing slash */
	const char *prometheus; /* NULL: ask the agent */
	const char *window;	/* PromQL rate range, "1m" */
	enum out_format format;
	bool watch;
	double watch_s;
	double timeout_s;
	struct http_auth auth;
	unsigned int given;    /* OPTF_* seen on the command line */
	const char *namespace; /* NULL with -A */
	bool all_namespaces;
	const char *pod_ns; /* --pod NS/NAME, split */
	const char *pod_name;
	enum sort_key sort;
	long limit;		/* 0: all */
	const char *arg;	/* get pod's NS/NAME */
	const char *since;	/* report: --since DURATION */
	const char *from;	/* report: --from TIME */
	const char *to;		/* report: --to TIME */
	const char *by;		/* report: namespace, pod or label:KEY */
	long long from_t, to_t; /* report: the period, unix seconds, resolved */
	bool tty;		/* stdout is a terminal */
	bool color;		/* tty and not $NO_COLOR */
};

/* Commands: each returns an EXIT_* code, having printed its own error. */
int cmd_top_pods(struct wattctl *c);
int cmd_top_containers(struct wattctl *c);
int cmd_top_namespaces(struct wattctl *c);
int cmd_top_processes(struct wattctl *c);
int cmd_node(struct wattctl *c);
int cmd_get_pod(struct wattctl *c, const char *ns, const char *name);
int promql__top_pods(struct wattctl *c);
int promql__top_namespaces(struct wattctl *c);
int cmd_report(struct wattctl *c);
int promql__report(struct wattctl *c);

#endif /* __WATTCTL_H */
