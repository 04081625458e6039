/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small harness in the kernel selftests shape for the BPF ground-truth
 * tests: ASSERT_* print what differed and by how much, then goto cleanup.
 * Workloads run in fresh cgroup v2 directories the tests make.
 */
#ifndef __WATTLET_TEST_HARNESS_H
#define __WATTLET_TEST_HARNESS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int test_failures;
static char test_skipped[256]; /* why the running test cannot run here; empty if it can */

/* The feature under test does not exist on this kernel: say why, count it as neither. */
#define TEST_SKIP(fmt, ...) snprintf(test_skipped, sizeof(test_skipped), fmt, ##__VA_ARGS__)

#define ASSERT_TRUE(cond, fmt, ...)                                                               \
	({                                                                                        \
		bool ___ok = (cond);                                                              \
		if (!___ok) {                                                                     \
			fprintf(stderr, "  %s:%d: " fmt "\n", __func__, __LINE__, ##__VA_ARGS__); \
			test_failures++;                                                          \
		}                                                                                 \
		___ok;                                                                            \
	})

#define ASSERT_OK(err, what) ASSERT_TRUE(!(err), "%s failed: %s", what, strerror(-(err)))

#define ASSERT_OK_PTR(p, what) ASSERT_TRUE((p) != NULL, "%s returned NULL", what)

/* |got - want| <= tol * want, with the relative error printed either way. */
#define ASSERT_WITHIN(got, want, tol, what)                                                      \
	({                                                                                       \
		double ___g = (got), ___w = (want);                                              \
		double ___e = ___w != 0 ? fabs(___g - ___w) / fabs(___w) : fabs(___g);           \
		printf("    %s: got %.6f, want %.6f, error %.4f%% (limit %.2f%%)\n", what, ___g, \
		       ___w, 100 * ___e, 100.0 * (tol));                                         \
		ASSERT_TRUE(___e <= (tol), "%s: got %.6f, want %.6f: off by %.3f%%", what, ___g, \
			    ___w, 100 * ___e);                                                   \
	})

/* Burn CPU in userspace for about this long of this thread's CPU time. */
static inline void spin_cpu(double seconds)
{
	struct timespec ts;
	double start;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	start = ts.tv_sec + ts.tv_nsec / 1e9;
	do {
		for (volatile int i = 0; i < 10000; i++)
			;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	} while (ts.tv_sec + ts.tv_nsec / 1e9 - start < seconds);
}

static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static inline int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* A cgroup's usage_usec from cpu.stat (the kernel's own accounting), in seconds. */
static inline double cgroup_usage_s(const char *cg)
{
	char path[4200], buf[1024];
	unsigned long long usec;
	const char *p;

	snprintf(path, sizeof(path), "%s/cpu.stat", cg);
	if (read_text(path, buf, sizeof(buf)))
		return NAN;
	p = strstr(buf, "usage_usec ");
	if (!p || sscanf(p, "usage_usec %llu", &usec) != 1)
		return NAN;
	return usec / 1e6;
}

/* Sum of /proc/PID/task/TID/schedstat runtimes: the kernel's per-thread runtime. */
static inline double proc_schedstat_s(pid_t pid)
{
	char path[300], buf[256];
	unsigned long long ns, sum = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return NAN;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid, de->d_name);
		if (!read_text(path, buf, sizeof(buf)) && sscanf(buf, "%llu", &ns) == 1)
			sum += ns;
	}
	closedir(d);
	return sum / 1e9;
}

/* busy = user+nice+system+irq+softirq from the first line of /proc/stat, in seconds. */
static inline double proc_stat_busy_s(void)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	char buf[4096];

	if (read_text("/proc/stat", buf, sizeof(buf)) ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
		   &iowait, &irq, &softirq) != 7)
		return NAN;
	return (double)(user + nice + sys + irq + softirq) / sysconf(_SC_CLK_TCK);
}

/* The figures of one CPU's line in /proc/stat, in USER_HZ ticks. */
enum {
	STAT_USER,
	STAT_NICE,
	STAT_SYSTEM,
	STAT_IDLE,
	STAT_IOWAIT,
	STAT_IRQ,
	STAT_SOFTIRQ,
	STAT_STEAL,
	STAT_FIELDS
};

/* Every CPU's figures: ticks[cpu][field]. Returns the CPUs read, 0 if none. */
static inline int proc_stat_cpus(unsigned long long (*ticks)[STAT_FIELDS], int nr_cpus)
{
	static char buf[1 << 16];
	unsigned long long *t;
	char *line;
	int cpu, n = 0;

	if (read_text("/proc/stat", buf, sizeof(buf)))
		return 0;
	for (line = strstr(buf, "\ncpu"); line; line = strstr(line + 1, "\ncpu")) {
		if (sscanf(line + 1, "cpu%d", &cpu) != 1 || cpu < 0 || cpu >= nr_cpus)
			continue;
		t = ticks[cpu];
		if (sscanf(line + 1, "cpu%*d %llu %llu %llu %llu %llu %llu %llu %llu", &t[0], &t[1],
			   &t[2], &t[3], &t[4], &t[5], &t[6], &t[7]) == STAT_FIELDS)
			n++;
	}
	return n;
}

#endif /* __WATTLET_TEST_HARNESS_H */
