// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A pod's container for tests/e2e/image_containerd.sh, built static so that its image is
 * this one file:
 *
 *   spin SECONDS CHILDREN   CHILDREN processes each burn SECONDS of CPU time, then exit
 *                           (CPU time, not wall time: on a busy machine each pod still
 *                           gets enough CPU that a fixed error is a small fraction of it)
 *   spin pause              sleep until killed, as a pod's sandbox (pause) container does
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void burn(double seconds)
{
	double end = cpu_time() + seconds;
	volatile unsigned long x = 0;

	while (cpu_time() < end)
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
	printf("spinning %d processes for %.1f s of CPU each\n", children, seconds);
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
