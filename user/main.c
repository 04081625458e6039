// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wattlet: per-process, per-cgroup and per-pod CPU time and energy, from eBPF. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "loader.h"
#include "options.h"
#include "web.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void on_hangup(int sig)
{
	web_watch__request();
}

/* A wrong web config is a usage error (exit 2); one that cannot be read, the environment's (1). */
static int web_config_check(const char *path)
{
	struct web *w;
	char err[512];
	int ret;

	if (!*path)
		return 0;
	ret = web__load(path, &w, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "wattlet: --web-config-file %s\n", err);
		return ret == -EINVAL ? 2 : 1;
	}
	web__put(w);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct options opt;
	int err;

	err = options__parse(&opt, argc, argv);
	if (err > 0)
		return 0;
	if (err) {
		options__usage(stderr, argv[0]);
		return 2;
	}
	err = web_config_check(opt.web_config_file);
	if (err)
		return err;
	loader__set_verbose(opt.verbose);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (*opt.web_config_file) /* reload it; without one, SIGHUP keeps its default */
		sigaction(SIGHUP, &(struct sigaction){ .sa_handler = on_hangup }, NULL);
	signal(SIGPIPE, SIG_IGN);

	err = agent__run(&opt, &stop);
	return err ? 1 : 0;
}
