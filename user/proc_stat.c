// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-CPU times from /proc/stat, for kernels where BPF cannot read kcpustat. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "proc_stat.h"

/* "cpuN user nice system idle iowait irq softirq steal ...": 8 figures since 2.6.11 */
static int parse_cpu_line(const char *line, __u64 tick_ns, struct wl_cpu_times *cpus, int nr_cpus)
{
	unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
	int cpu;

	if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &user, &nice,
		   &system, &idle, &iowait, &irq, &softirq, &steal) != 9 ||
	    cpu < 0)
		return -EINVAL;
	if (cpu >= nr_cpus)
		return 0;
	cpus[cpu] = (struct wl_cpu_times){
		.user = user * tick_ns,
		.nice = nice * tick_ns,
		.system = system * tick_ns,
		.irq = irq * tick_ns,
		.softirq = softirq * tick_ns,
		.idle = idle * tick_ns,
		.iowait = iowait * tick_ns,
		.steal = steal * tick_ns,
	};
	return 1;
}

int proc_stat__parse(FILE *f, __u64 tick_ns, struct wl_cpu_times *cpus, int nr_cpus)
{
	char line[512];
	int n = 0, err;

	while (fgets(line, sizeof(line), f) && !strncmp(line, "cpu", 3)) {
		if (line[3] == ' ') /* the all-CPUs line */
			continue;
		err = parse_cpu_line(line, tick_ns, cpus, nr_cpus);
		if (err < 0)
			return err;
		n += err;
	}
	return n;
}

int proc_stat__read(struct wl_cpu_times *cpus, int nr_cpus)
{
	FILE *f = fopen("/proc/stat", "re");
	int n;

	if (!f)
		return -errno;
	n = proc_stat__parse(f, 1000000000ULL / sysconf(_SC_CLK_TCK), cpus, nr_cpus);
	fclose(f);
	return n < 0 ? n : 0;
}
