// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Feature probes: tiny programs the kernel either loads or refuses, and its BTF. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probe.h"
#include "util.h"

#define INSN(c, dst, src, o, i) \
	((struct bpf_insn){ .code = c, .dst_reg = dst, .src_reg = src, .off = o, .imm = i })
#define MOV_IMM(dst, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, i)
#define EXIT		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* The BTF id a tp_btf program names to attach to this tracepoint, as libbpf finds it. */
static int tp_btf_id(const struct btf *vmlinux, const char *tracepoint)
{
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", tracepoint);
	return vmlinux ? btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) : -ENOENT;
}

static int load_tp_btf(const struct btf *vmlinux, const char *tracepoint,
		       const struct bpf_insn *insns, size_t n)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	int id = tp_btf_id(vmlinux, tracepoint);

	if (id <= 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	return bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, n, &opts);
}

bool probe__tp_btf(const struct btf *vmlinux, const char *tracepoint)
{
	const struct bpf_insn insns[] = { MOV_IMM(BPF_REG_0, 0), EXIT };
	int fd = load_tp_btf(vmlinux, tracepoint, insns, ARRAY_SIZE(insns));

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* A task storage map of int, with the BTF such maps must have. -errno if the kernel has none. */
static int task_storage_map(struct btf **btf)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	int id, err;

	*btf = btf__new_empty();
	if (!*btf)
		return -errno;
	id = btf__add_int(*btf, "int", sizeof(int), BTF_INT_SIGNED);
	if (id < 0)
		return id;
	err = btf__load_into_kernel(*btf);
	if (err)
		return err;
	opts.btf_fd = btf__fd(*btf);
	opts.btf_key_type_id = id;
	opts.btf_value_type_id = id;
	return bpf_map_create(BPF_MAP_TYPE_TASK_STORAGE, "wl_probe", sizeof(int), sizeof(int), 0,
			      &opts);
}

/*
 * What the programs do on every wakeup: bpf_task_storage_get() on the task a
 * tp_btf program is handed. The map type came in 5.11 (for BPF LSM), and
 * tracing programs may not have it where the map type exists.
 */
bool probe__task_storage(const struct btf *vmlinux)
{
	struct btf *btf = NULL;
	int map_fd = task_storage_map(&btf), fd = -1;

	if (map_fd >= 0) {
		const struct bpf_insn insns[] = {
			/* r2 = ctx->args[0], the woken task */
			INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_1, 0, 0),
			INSN(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd),
			INSN(0, 0, 0, 0, 0),
			MOV_IMM(BPF_REG_3, 0),
			MOV_IMM(BPF_REG_4, 0),
			INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_task_storage_get),
			MOV_IMM(BPF_REG_0, 0),
			EXIT,
		};

		fd = load_tp_btf(vmlinux, "sched_wakeup", insns, ARRAY_SIZE(insns));
		if (fd >= 0)
			close(fd);
		close(map_fd);
	}
	btf__free(btf);
	return fd >= 0;
}

static bool has_member(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return true;
	return false;
}

/* A per-CPU variable's offset in the per-CPU section, -1 if BTF does not have it. */
static __s64 percpu_offset(const struct btf *btf, const char *var)
{
	int id = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
	const struct btf_type *sec = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_var_secinfo *vs = sec ? btf_var_secinfos(sec) : NULL;

	for (int i = 0; vs && i < btf_vlen(sec); i++) {
		const struct btf_type *v = btf__type_by_id(btf, vs[i].type);

		if (!strcmp(btf__name_by_offset(btf, v->name_off), var))
			return vs[i].offset;
	}
	return -1;
}

__s64 probe__kcpustat_from_rq(const struct btf *vmlinux)
{
	__s64 rq, kc;

	if (!vmlinux)
		return 0;
	/* the programs reach each CPU's rq through a task's se.cfs_rq->rq */
	if (!has_member(vmlinux, "sched_entity", "cfs_rq") ||
	    !has_member(vmlinux, "cfs_rq", "rq") ||
	    !has_member(vmlinux, "kernel_cpustat", "cpustat"))
		return 0;
	rq = percpu_offset(vmlinux, "runqueues");
	kc = percpu_offset(vmlinux, "kernel_cpustat");
	return rq < 0 || kc < 0 ? 0 : kc - rq;
}
