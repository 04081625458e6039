// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A pod's container for tests/e2e/image_containerd.sh, built static so that its image is
 * this one file:
 *
 *   spin SECONDS CHILDREN   CHILDREN processes burn CPU for SECONDS of wall time, then exit
 *   spin pause              sleep until killed, as a pod's sandbox (pause) container does
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void burn(double seconds)
{
	double end = now() + seconds;
	volatile unsigned long x = 0;

	while (now() < end)
		for (int i = 0; i < 100000; i++)
			x += i;
}

int main(int argc, char **argv)
{
	double seconds;
	int children;

	if (argc == 2 && !strcmp(argv[1], "pause")) {
		for (;;)
			pause();
	}
	if (argc != 3 || (seconds = atof(argv[1])) <= 0 || (children = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: spin SECONDS CHILDREN | spin pause\n");
		return 2;
	}
	printf("spinning %d processes for %.1f s\n", children, seconds);
	fflush(stdout);
	for (int i = 0; i < children; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			burn(seconds);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	printf("done\n");
	return 0;
}
