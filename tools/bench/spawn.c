// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Spawns N processes that sleep, and holds them until SIGINT or SIGTERM,
 * then kills and reaps them all. The core benchmark runs the agent against
 * a node with this many live processes.
 *
 *   spawn N [WAKE_MS]
 *
 * With WAKE_MS, each child wakes every WAKE_MS milliseconds (the children
 * spread over the period), so that all of them use some CPU and the agent
 * tracks every one; without it they sleep until killed.
 *
 * Prints "ready N" on stdout once all N are alive. The children die with
 * their parent (PR_SET_PDEATHSIG), so a killed spawn leaves nothing behind.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void child__sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void child__run(pid_t parent, long index, long wake_ms)
{
	sigset_t none;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(0);
	if (!wake_ms)
		for (;;)
			pause();
	child__sleep_ms(index % 1000 * wake_ms / 1000);
	for (;;)
		child__sleep_ms(wake_ms);
}

static int spawn__start(pid_t *pids, long n, long wake_ms, long *started)
{
	pid_t self = getpid();

	for (*started = 0; *started < n && !stop; (*started)++) {
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (pid == 0)
			child__run(self, *started, wake_ms);
		pids[*started] = pid;
	}
	return stop ? -EINTR : 0;
}

static void spawn__stop(const pid_t *pids, long n)
{
	for (long i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (long i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
}

int main(int argc, char **argv)
{
	long n, wake_ms = 0, started = 0;
	sigset_t block, none;
	char *end;
	pid_t *pids;
	int err;

	n = argc >= 2 ? strtol(argv[1], &end, 10) : 0;
	if (n > 0 && !*end && argc == 3)
		wake_ms = strtol(argv[2], &end, 10);
	if (argc < 2 || argc > 3 || *end || n <= 0 || wake_ms < 0) {
		fprintf(stderr, "usage: spawn N [WAKE_MS]\n");
		return 2;
	}
	pids = calloc(n, sizeof(*pids));
	if (!pids) {
		fprintf(stderr, "spawn: %s\n", strerror(ENOMEM));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);

	err = spawn__start(pids, n, wake_ms, &started);
	if (err) {
		fprintf(stderr, "spawn: started %ld of %ld: %s\n", started, n, strerror(-err));
		goto out_kill;
	}
	printf("ready %ld\n", started);
	fflush(stdout);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&none);
	while (!stop)
		sigsuspend(&none);
out_kill:
	spawn__stop(pids, started);
	free(pids);
	return err ? 1 : 0;
}
