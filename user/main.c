// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wattlet: per-process, per-cgroup and per-pod CPU time and energy, from eBPF. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "loader.h"
#include "options.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
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
	loader__set_verbose(opt.verbose);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	err = agent__run(&opt, &stop);
	return err ? 1 : 0;
}
