// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loads a BPF object file, attaches every program in it, and holds the
 * links until SIGINT or SIGTERM. The core benchmark uses it for the empty
 * sched_switch program (empty_switch.bpf.o), so that the floor is owned by
 * a process the same way the agent and runqlat own theirs.
 *
 *   empty_switch [-v] OBJECT.bpf.o
 *
 * Prints "ready" on stdout once everything is attached.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 16

static volatile sig_atomic_t stop;
static int verbose;

static void on_signal(int sig)
{
	stop = 1;
}

static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int hold__attach_all(struct bpf_object *obj, struct bpf_link **links, int *nr)
{
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, obj) {
		if (*nr == MAX_LINKS)
			return -E2BIG;
		links[*nr] = bpf_program__attach(prog);
		if (!links[*nr]) {
			err = -errno;
			fprintf(stderr, "empty_switch: attach %s: %s\n", bpf_program__name(prog),
				strerror(-err));
			return err;
		}
		(*nr)++;
	}
	return 0;
}

static void hold__wait(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!stop)
		sigsuspend(&none);
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	struct bpf_object *obj;
	sigset_t block;
	int nr = 0, err;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argc--, argv++;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: empty_switch [-v] OBJECT.bpf.o\n");
		return 2;
	}
	libbpf_set_print(on_libbpf_print);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		err = -errno;
		fprintf(stderr, "empty_switch: open %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "empty_switch: load %s: %s\n", argv[1], strerror(-err));
		goto out_close;
	}
	err = hold__attach_all(obj, links, &nr);
	if (err)
		goto out_detach;
	printf("ready\n");
	fflush(stdout);
	hold__wait();
out_detach:
	while (nr--)
		bpf_link__destroy(links[nr]);
out_close:
	bpf_object__close(obj);
	return err ? 1 : 0;
}
