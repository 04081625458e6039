// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BPF lifecycle: preflight -> open -> configure -> load -> attach, one cleanup path. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "counters.h"
#include "loader.h"
#include "probe.h"
#include "wattlet.h"
#include "wattlet.skel.h"
#include "util.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

static bool verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void loader__set_verbose(bool v)
{
	verbose = v;
	libbpf_set_print(print_libbpf);
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

static int print_nothing(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

/*
 * Kernel BTF that exists but does not parse (empty, truncated, corrupt):
 * one line here, rather than libbpf's warnings from every later user of it,
 * ending in a bare "No such process". Kept for the probes (probe.c).
 */
static struct btf *load_vmlinux_btf(void)
{
	libbpf_print_fn_t print = libbpf_set_print(print_nothing);
	struct btf *btf = btf__parse(VMLINUX_BTF, NULL);
	int err = -errno;
	char why[128];

	libbpf_set_print(print);
	if (btf)
		return btf;
	libbpf_strerror(err, why, sizeof(why));
	fprintf(stderr,
		"wattlet: kernel BTF at %s cannot be parsed (%s): the file is empty, "
		"truncated or corrupt; the agent needs the running kernel's own BTF "
		"(CONFIG_DEBUG_INFO_BTF=y)\n",
		VMLINUX_BTF, why);
	return NULL;
}

/* One line saying what is missing and how to fix it. */
static int preflight(struct btf **vmlinux)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	bool bpf, perfmon, admin;

	if (syscall(SYS_capget, &hdr, data)) {
		fprintf(stderr, "wattlet: cannot read capabilities: %s\n", strerror(errno));
		return -errno;
	}
	admin = has_cap(data, CAP_SYS_ADMIN);
	bpf = has_cap(data, CAP_BPF) || admin;
	perfmon = has_cap(data, CAP_PERFMON) || admin;
	if (!bpf || !perfmon) {
		fprintf(stderr,
			"wattlet: missing %s%s%s: run as root, or grant them "
			"(setcap cap_bpf,cap_perfmon+ep wattlet; in Kubernetes, securityContext "
			"capabilities add: [BPF, PERFMON])\n",
			bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
			perfmon ? "" : "CAP_PERFMON");
		return -EPERM;
	}
	if (access(VMLINUX_BTF, R_OK)) {
		fprintf(stderr,
			"wattlet: no kernel BTF at %s (%s): the kernel needs "
			"CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 5.8 have it)\n",
			VMLINUX_BTF, strerror(errno));
		return -ENOENT;
	}
	*vmlinux = load_vmlinux_btf();
	return *vmlinux ? 0 : -ENOENT;
}

static __u32 default_max_processes(void)
{
	unsigned long pid_max = WL_DEFAULT_MAX_PROCESSES;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (f) {
		if (fscanf(f, "%lu", &pid_max) != 1)
			pid_max = WL_DEFAULT_MAX_PROCESSES;
		fclose(f);
	}
	return pid_max < WL_DEFAULT_MAX_PROCESSES ? pid_max : WL_DEFAULT_MAX_PROCESSES;
}

static void counter_attr(const struct counter_def *def, struct perf_event_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = def->type;
	a->config = def->config;
}

static void close_counters(struct loader *l)
{
	for (int i = 0; l->counter_fds && i < l->nr_counters * l->nr_cpus; i++)
		if (l->counter_fds[i] >= 0)
			close(l->counter_fds[i]);
	free(l->counter_fds);
	l->counter_fds = NULL;
}

/* One counter on every CPU into fds[nr_cpus]. 0 or -errno, with nothing left open. */
static int open_counter(const struct loader *l, const struct counter_def *def, int *fds)
{
	struct perf_event_attr attr;
	int cpu, err = 0;

	counter_attr(def, &attr);
	for (cpu = 0; cpu < l->nr_cpus; cpu++) {
		fds[cpu] = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fds[cpu] < 0 && errno != ENODEV) { /* ENODEV: CPU not present */
			err = -errno;
			break;
		}
	}
	if (err)
		while (--cpu >= 0)
			if (fds[cpu] >= 0)
				close(fds[cpu]);
	return err;
}

/*
 * Open the counters on every CPU, each that opens in the next slot. A
 * counter the machine cannot count (no PMU) is logged once and left out,
 * so a slot is not a command-line position: l->counters names each slot.
 */
static int open_counters(struct loader *l, const struct options *o)
{
	l->counter_fds = malloc(sizeof(int) * WL_MAX_COUNTERS * l->nr_cpus);
	if (!l->counter_fds)
		return -ENOMEM;
	for (int c = 0; c < o->nr_counters && l->nr_counters < WL_MAX_COUNTERS; c++) {
		const struct counter_def *def = counter__find(o->counters[c]);
		int err;

		if (!def)
			return -EINVAL; /* options accept only the table's names */
		err = open_counter(l, def, l->counter_fds + l->nr_counters * l->nr_cpus);
		if (err) {
			fprintf(stderr,
				"wattlet: perf counter '%s' not available (%s)%s; "
				"continuing without it\n",
				def->name, strerror(-err),
				err == -ENOENT || err == -EOPNOTSUPP ? ": no hardware PMU" : "");
			continue;
		}
		l->counters[l->nr_counters++] = def;
	}
	return 0;
}

int loader__counter_slot(const struct loader *l, const char *name)
{
	for (int slot = 0; slot < l->nr_counters; slot++)
		if (!strcmp(l->counters[slot]->name, name))
			return slot;
	return -1;
}

static int fill_counter_maps(struct loader *l)
{
	struct bpf_map *maps[] = { l->skel->maps.counter0, l->skel->maps.counter1,
				   l->skel->maps.counter2 };

	for (int c = 0; c < l->nr_counters; c++) {
		for (int cpu = 0; cpu < l->nr_cpus; cpu++) {
			int fd = l->counter_fds[c * l->nr_cpus + cpu];
			__u32 key = cpu;

			if (fd >= 0 && bpf_map__update_elem(maps[c], &key, sizeof(key), &fd,
							    sizeof(fd), BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

static void choose_programs(struct wattlet_bpf *skel, bool raw, bool counters)
{
	bpf_program__set_autoload(skel->progs.wl_exit, !raw);
	bpf_program__set_autoload(skel->progs.wl_free, !raw);
	bpf_program__set_autoload(skel->progs.wl_wakeup, !raw);
	bpf_program__set_autoload(skel->progs.wl_wakeup_new, !raw);
	bpf_program__set_autoload(skel->progs.wl_switch, !raw && counters);
	bpf_program__set_autoload(skel->progs.wl_exit_raw, raw);
	bpf_program__set_autoload(skel->progs.wl_free_raw, raw);
	bpf_program__set_autoload(skel->progs.wl_wakeup_raw, raw);
	bpf_program__set_autoload(skel->progs.wl_wakeup_new_raw, raw);
	bpf_program__set_autoload(skel->progs.wl_switch_raw, raw && counters);
}

/*
 * Choose each variant by what this kernel offers: tp_btf or the raw twins,
 * task storage or the tid-keyed hash, kcpustat through BPF or /proc/stat.
 * The preflight's vmlinux BTF serves every probe. Returns the kcpustat distance.
 */
static __s64 probe_kernel(struct loader *l, const struct options *o, const struct btf *vmlinux)
{
	__s64 kcpustat_from_rq;

	l->raw_tp = o->raw_tracepoints || !probe__tp_btf(vmlinux, "sched_wakeup");
	if (l->raw_tp && !o->raw_tracepoints)
		fprintf(stderr,
			"wattlet: tp_btf programs do not load here; using raw tracepoints\n");
	l->task_storage = !l->raw_tp && probe__task_storage(vmlinux);
	if (!l->raw_tp && !l->task_storage)
		fprintf(stderr, "wattlet: tracing programs cannot use task-local storage here; "
				"per-thread state is kept in a hash by thread id\n");
	kcpustat_from_rq = probe__kcpustat_from_rq(vmlinux);
	l->kcpustat = kcpustat_from_rq != 0;
	if (!l->kcpustat)
		fprintf(stderr, "wattlet: kernel BTF has no per-CPU offsets for runqueues and "
				"kernel_cpustat; reading CPU times from /proc/stat\n");
	return kcpustat_from_rq;
}

static int configure(struct loader *l, const struct options *o, __s64 kcpustat_from_rq)
{
	struct wattlet_bpf *skel = l->skel;
	__u32 counter_slots = l->nr_cpus;
	/* thread state in a hash: room for 4 threads per process */
	__u32 thread_slots = l->task_storage ? 1 : default_max_processes() * 4;
	int err;

	l->max_processes = o->max_processes ? o->max_processes : default_max_processes();
	l->max_cgroups = o->max_cgroups;
	skel->rodata->targ_task_storage = l->task_storage;
	skel->rodata->targ_nr_cpus = l->nr_cpus;
	skel->rodata->targ_nr_counters = l->nr_counters;
	skel->rodata->targ_kcpustat_from_rq = kcpustat_from_rq;
	choose_programs(skel, l->raw_tp, l->nr_counters > 0);
	/* the programs' task storage paths are dead code without it: see targ_task_storage */
	bpf_map__set_autocreate(skel->maps.thread_store, l->task_storage);

	err = bpf_map__set_max_entries(skel->maps.procs, l->max_processes);
	err = err ?: bpf_map__set_max_entries(skel->maps.cgroups, l->max_cgroups);
	err = err ?: bpf_map__set_max_entries(skel->maps.thread_hash, thread_slots);
	err = err ?: bpf_map__set_max_entries(skel->maps.cpu_times, l->nr_cpus);
	err = err ?: bpf_map__set_max_entries(skel->maps.cpu_rq, l->nr_cpus);
	err = err ?: bpf_map__set_max_entries(skel->maps.counter0, counter_slots);
	err = err ?: bpf_map__set_max_entries(skel->maps.counter1, counter_slots);
	err = err ?: bpf_map__set_max_entries(skel->maps.counter2, counter_slots);
	return err;
}

int loader__open(struct loader **out, const struct options *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .kernel_log_level = verbose ? 1 : 0);
	struct btf *vmlinux = NULL;
	__s64 kcpustat_from_rq;
	struct loader *l;
	int err;

	err = preflight(&vmlinux);
	if (err)
		return err;
	l = calloc(1, sizeof(*l));
	if (!l) {
		btf__free(vmlinux);
		return -ENOMEM;
	}
	l->nr_cpus = libbpf_num_possible_cpus();
	if (l->nr_cpus <= 0 || l->nr_cpus > WL_MAX_CPUS) {
		fprintf(stderr, "wattlet: unsupported CPU count %d\n", l->nr_cpus);
		err = -EINVAL;
		goto out_destroy;
	}
	kcpustat_from_rq = probe_kernel(l, o, vmlinux);
	btf__free(vmlinux);
	vmlinux = NULL;

	err = open_counters(l, o);
	if (err)
		goto out_destroy;
	l->skel = wattlet_bpf__open_opts(&open_opts);
	if (!l->skel) {
		err = -errno;
		fprintf(stderr, "wattlet: failed to open BPF object: %s\n", strerror(-err));
		goto out_destroy;
	}
	err = configure(l, o, kcpustat_from_rq);
	if (err) {
		fprintf(stderr, "wattlet: failed to size BPF maps: %s\n", strerror(-err));
		goto out_destroy;
	}
	err = wattlet_bpf__load(l->skel);
	if (err) {
		fprintf(stderr, "wattlet: failed to load BPF programs: %s%s\n", strerror(-err),
			verbose ? "" : " (run with -v for the verifier log)");
		goto out_destroy;
	}
	err = fill_counter_maps(l);
	if (err) {
		fprintf(stderr, "wattlet: failed to install perf counters: %s\n", strerror(-err));
		goto out_destroy;
	}
	err = wattlet_bpf__attach(l->skel);
	if (err) {
		fprintf(stderr, "wattlet: failed to attach BPF programs: %s\n", strerror(-err));
		goto out_destroy;
	}
	*out = l;
	return 0;

out_destroy:
	btf__free(vmlinux);
	loader__destroy(l);
	return err;
}

int loader__iterate(struct loader *l)
{
	char buf[256];
	ssize_t n;
	int fd;

	fd = bpf_iter_create(bpf_link__fd(l->skel->links.wl_iter_task));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

void loader__destroy(struct loader *l)
{
	if (!l)
		return;
	wattlet_bpf__destroy(l->skel);
	close_counters(l);
	free(l);
}
