// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GPU energy to processes. As for the CPU, the unattributed part is what is
 * left of the active energy once the processes have their shares, so the
 * parts add up to the whole.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gpu_attribution.h"

int gpu_attribution__new(struct gpu_attribution **out, const struct options *o)
{
	struct gpu_attribution *ga = calloc(1, sizeof(*ga));

	*out = ga;
	if (!ga)
		return -ENOMEM;
	ga->idle_watts = o->gpu_idle_watts;
	for (int i = 0; i < GPU_MAX_DEVICES; i++)
		ga->gpus[i].idle_source = ga->idle_watts >= 0 ? "flag" : "learned";
	return 0;
}

void gpu_attribution__free(struct gpu_attribution *ga)
{
	if (!ga)
		return;
	free(ga->shares);
	free(ga);
}

static int reserve_shares(struct gpu_attribution *ga, const struct gpu_reading *r)
{
	unsigned int want = 0;
	struct gpu_share *p;

	for (int i = 0; i < r->nr; i++)
		want += r->gpus[i].nr_procs;
	if (want <= ga->cap_shares)
		return 0;
	p = realloc(ga->shares, want * sizeof(*p));
	if (!p)
		return -ENOMEM;
	ga->shares = p;
	ga->cap_shares = want;
	return 0;
}

/* Idle and active parts of an accepted reading. */
static void split_idle(struct gpu_attribution *ga, struct gpu_energy *e, const struct gpu_zone *z)
{
	if (ga->idle_watts < 0) {
		idle_learner__observe(&e->learner, z->watts);
		e->idle_watts = idle_learner__watts(&e->learner);
	} else {
		e->idle_watts = ga->idle_watts;
	}
	e->joules = z->joules;
	e->idle_joules = fmin(fmax(e->idle_watts * z->span_s, 0), z->joules);
	e->active_joules = z->joules - e->idle_joules;
}

/*
 * The process account of each pid the agent can place: in a tracked cgroup,
 * the live one where a pid was reused.
 */
static int index_pids(const struct accounts *acc, struct idmap *by_pid)
{
	const struct proc_account *p, *had;
	size_t pos = 0;
	__u64 key;
	void *val;

	while (idmap__next(&acc->procs, &pos, &key, &val)) {
		p = val;
		if (!idmap__get(&acc->cgroups, p->cgroup_id))
			continue;
		had = idmap__get(by_pid, p->pid);
		if (had && !had->exited)
			continue;
		if (idmap__put(by_pid, p->pid, val))
			return -ENOMEM;
	}
	return 0;
}

/* Each process on this GPU: active x busy / all busy. Returns the energy handed out. */
static double share_out(struct gpu_attribution *ga, int gpu, const struct gpu_zone *z,
			double active, const struct idmap *by_pid)
{
	const struct proc_account *acct;
	const struct gpu_proc *p;
	struct gpu_share *s;
	double busy = 0, given = 0;

	for (int i = 0; i < z->nr_procs; i++)
		busy += z->procs[i].busy_s;
	for (int i = 0; i < z->nr_procs; i++) {
		p = &z->procs[i];
		acct = by_pid ? idmap__get(by_pid, p->pid) : NULL;
		s = &ga->shares[ga->nr_shares++];
		*s = (struct gpu_share){ .pid = p->pid,
					 .instance = p->instance,
					 .gpu = gpu,
					 .busy_s = p->busy_s,
					 .placed = !by_pid || acct };
		if (acct) {
			s->proc_key = proc_account__key(acct);
			s->cgroup_id = acct->cgroup_id;
		}
		if (busy > 0 && s->placed)
			s->joules = active * (p->busy_s / busy);
		given += s->joules;
	}
	return given;
}

static void add_totals(struct gpu_energy *e)
{
	e->joules_total += e->joules;
	e->active_joules_total += e->active_joules;
	e->idle_joules_total += e->idle_joules;
	e->unattributed_joules_total += e->unattributed_joules;
	e->busy_s_total += e->busy_s;
}

int gpu_attribution__apply(struct gpu_attribution *ga, const struct gpu_reading *r,
			   const struct accounts *acc)
{
	struct idmap by_pid = { 0 };
	const struct gpu_zone *z;
	struct gpu_energy *e;
	double given;

	ga->nr = r->nr;
	ga->nr_shares = 0;
	for (int i = 0; i < r->nr; i++) {
		e = &ga->gpus[i];
		e->joules = e->active_joules = e->idle_joules = e->unattributed_joules = 0;
		e->busy_s = 0;
	}
	if (reserve_shares(ga, r) || (acc && index_pids(acc, &by_pid))) {
		idmap__free(&by_pid);
		return -ENOMEM;
	}
	for (int i = 0; i < r->nr; i++) {
		z = &r->gpus[i];
		e = &ga->gpus[i];
		if (!z->valid || !(z->span_s > 0))
			continue;
		split_idle(ga, e, z);
		given = share_out(ga, i, z, e->active_joules, acc ? &by_pid : NULL);
		e->unattributed_joules = fmax(e->active_joules - given, 0);
		for (int j = 0; j < z->nr_procs; j++)
			e->busy_s += z->procs[j].busy_s;
		add_totals(e);
	}
	idmap__free(&by_pid);
	return 0;
}
