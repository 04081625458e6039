// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GPU readings and attribution against the fake NVML (tests/fake_nvml),
 * loaded as the real library is: dlopen("libnvidia-ml.so.1") through
 * LD_LIBRARY_PATH (main re-executes the test with the fake's directory in
 * it). Each test writes a scenario; its energy counters, samples and
 * process lists are the truth the readings are checked against.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "gpu.h"
#include "gpu_attribution.h"
#include "meter_test.h"

#define REL 1e-9

struct gpu_fixture {
	char scenario[64];
	struct options o;
	struct gpus *g;
	struct gpu_attribution *ga;
	struct gpu_reading r;
	struct captured cap;
	const char *log; /* stderr of gpu__open */
};

static int setup(void **state)
{
	struct gpu_fixture *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	snprintf(f->scenario, sizeof(f->scenario), "/tmp/wattlet-fake-nvml-XXXXXX");
	fd = mkstemp(f->scenario);
	assert_true(fd >= 0);
	close(fd);
	setenv("WATTLET_FAKE_NVML_SCENARIO", f->scenario, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct gpu_fixture *f = *state;

	gpu__close(f->g);
	gpu_attribution__free(f->ga);
	unlink(f->scenario);
	free(f);
	return 0;
}

static void scenario(struct gpu_fixture *f, const char *text)
{
	FILE *s = fopen(f->scenario, "w");

	assert_non_null(s);
	fputs(text, s);
	fclose(s);
}

/* Open with these flags (NULL-terminated); stderr kept in f->log. */
static int open_with(struct gpu_fixture *f, ...)
{
	char *argv[32] = { "wattlet" };
	int argc = 1, err;
	va_list ap;

	va_start(ap, f);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	assert_int_equal(options__parse(&f->o, argc, argv), 0);
	capture__begin(&f->cap);
	err = gpu__open(&f->g, &f->o);
	f->log = capture__end(&f->cap);
	if (!err && f->g)
		assert_int_equal(gpu_attribution__new(&f->ga, &f->o), 0);
	return err;
}

/* One interval of interval_s, attributed; sleeps 1 ms first so sample stamps move on. */
static const struct gpu_zone *interval(struct gpu_fixture *f, double interval_s)
{
	usleep(1000);
	assert_int_equal(gpu__read(f->g, interval_s, &f->r), 0);
	assert_int_equal(gpu_attribution__apply(f->ga, &f->r, NULL), 0);
	return &f->r.gpus[0];
}

static void assert_rel(double got, double want)
{
	double scale = fmax(fabs(want), 1e-12);

	if (fabs(got - want) / scale > REL)
		fail_msg("got %.17g want %.17g", got, want);
}

static const struct gpu_share *share_of(const struct gpu_fixture *f, int gpu, __u32 pid)
{
	for (unsigned int i = 0; i < f->ga->nr_shares; i++)
		if (f->ga->shares[i].gpu == gpu && f->ga->shares[i].pid == pid)
			return &f->ga->shares[i];
	fail_msg("no share for pid %u on GPU %d", pid, gpu);
	return NULL;
}

/* Per GPU: sum(processes) + unattributed = active, active + idle = energy. */
static void assert_conserved(const struct gpu_fixture *f)
{
	for (int g = 0; g < f->ga->nr; g++) {
		const struct gpu_energy *e = &f->ga->gpus[g];
		double sum = e->unattributed_joules;

		for (unsigned int i = 0; i < f->ga->nr_shares; i++)
			if (f->ga->shares[i].gpu == g)
				sum += f->ga->shares[i].joules;
		assert_rel(sum, e->active_joules);
		assert_rel(e->active_joules + e->idle_joules, e->joules);
	}
}

/* ---- loading ---- */

static void open__off__no_nvml(void **state)
{
	struct gpu_fixture *f = *state;

	scenario(f, "gpu 0\nstep 0 mj=0\n");
	assert_int_equal(open_with(f, "--gpu", "off", NULL), 0);
	assert_null(f->g);
	assert_string_equal(f->log, "");
}

static void open__driver_not_loaded__auto_says_why_once(void **state)
{
	struct gpu_fixture *f = *state;

	scenario(f, "init 9\ngpu 0\n");
	assert_int_equal(open_with(f, "--gpu", "auto", NULL), 0);
	assert_null(f->g);
	assert_string_equal(f->log,
			    "wattlet: gpu: not using NVML: nvmlInit_v2: Driver Not Loaded\n");
}

static void open__driver_not_loaded__nvml_is_an_error(void **state)
{
	struct gpu_fixture *f = *state;

	scenario(f, "init 9\n");
	assert_int_equal(open_with(f, "--gpu", "nvml", NULL), -ENODEV);
	assert_null(f->g);
	assert_string_equal(f->log, "wattlet: gpu: nvmlInit_v2: Driver Not Loaded\n");
}

static void open__no_gpu__auto_carries_on(void **state)
{
	struct gpu_fixture *f = *state;

	scenario(f, "# no gpu lines\n");
	assert_int_equal(open_with(f, NULL), 0);
	assert_null(f->g);
	assert_string_equal(f->log, "wattlet: gpu: not using NVML: NVML found no usable GPU\n");
}

static void open__two_gpus__one_line_each(void **state)
{
	struct gpu_fixture *f = *state;

	scenario(f, "gpu 0 uuid=GPU-aaaa name=NVIDIA_A100-SXM4-40GB\nstep 0 mj=5\n"
		    "gpu 1 uuid=GPU-bbbb name=Tesla_T4 energy=power util=no\nstep 1 mw=9000\n");
	assert_int_equal(open_with(f, "--gpu", "nvml", NULL), 0);
	assert_non_null(f->g);
	assert_string_equal(
		f->log,
		"wattlet: gpu-0: NVIDIA A100-SXM4-40GB (GPU-aaaa): energy from its mJ counter, "
		"busy time from sm-samples\n"
		"wattlet: gpu-1: Tesla T4 (GPU-bbbb): energy from its power readings (no energy "
		"counter), busy time from running-processes: no per-process utilisation samples "
		"(Not Supported); active energy shared equally among the processes holding a "
		"compute or graphics context\n");
	interval(f, 1.0);
	assert_int_equal(f->r.nr, 2);
	assert_string_equal(f->r.gpus[0].zone, "gpu-0");
	assert_string_equal(f->r.gpus[0].uuid, "GPU-aaaa");
	assert_string_equal(f->r.gpus[1].zone, "gpu-1");
	assert_string_equal(f->r.gpus[1].name, "Tesla T4");
	assert_string_equal(f->r.gpus[1].energy_source, "power");
	assert_string_equal(f->r.gpus[1].busy_rule, "running-processes");
}

/* ---- energy ---- */

static void counter__deltas__joules_and_totals(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f, "gpu 0\nstep 0 mj=1000\nstep 0 mj=3000\nstep 0 mj=8000\n");
	assert_int_equal(open_with(f, "--gpu-idle-watts", "0", NULL), 0);
	z = interval(f, 1.0);
	assert_true(z->valid);
	assert_string_equal(z->energy_source, "counter");
	assert_rel(z->joules, 2.0);
	assert_rel(z->watts, 2.0);
	z = interval(f, 2.0);
	assert_rel(z->joules, 5.0);
	assert_rel(z->watts, 2.5);
	assert_rel(z->joules_total, 7.0);
	assert_int_equal(z->errors_total, 0);
}

static void power__no_counter__trapezoid(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f, "gpu 0 energy=power\nstep 0 mw=100000\nstep 0 mw=120000\nstep 0 mw=60000\n");
	assert_int_equal(open_with(f, NULL), 0);
	z = interval(f, 1.0);
	assert_string_equal(z->energy_source, "power");
	assert_rel(z->joules, 110.0);
	z = interval(f, 0.5);
	assert_rel(z->joules, 45.0);
	assert_rel(z->joules_total, 155.0);
}

static void lost__mid_run__error_then_gap_covered(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f, "gpu 0 uuid=GPU-lost\nstep 0 mj=0\nstep 0 mj=1000\nstep 0 lost\nstep 0 lost\n"
		    "step 0 mj=5000\n");
	assert_int_equal(open_with(f, "--gpu-idle-watts", "0", NULL), 0);
	z = interval(f, 1.0);
	assert_rel(z->joules, 1.0);
	capture__begin(&f->cap);
	z = interval(f, 1.0);
	assert_false(z->valid);
	assert_rel(z->joules, 0);
	assert_rel(z->joules_total, 1.0);
	assert_int_equal(z->errors_total, 1);
	z = interval(f, 1.0);
	assert_string_equal(
		capture__end(&f->cap),
		"wattlet: gpu-0 (GPU-lost): GPU is lost: nvmlDeviceGetTotalEnergyConsumption: GPU "
		"is lost; reading rejected (warned once per kind, see errors_total)\n");
	assert_int_equal(z->errors_total, 2);
	z = interval(f, 1.0);
	assert_true(z->valid);
	assert_rel(z->joules, 4.0); /* the lost intervals' energy, not lost */
	assert_rel(z->span_s, 3.0);
	assert_rel(z->joules_total, 5.0);
	assert_int_equal(gpu__errors(f->g), 2);
}

static void counter__restarts__error_new_baseline_never_backwards(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f, "gpu 0\nstep 0 mj=50000\nstep 0 mj=51000\nstep 0 mj=200\nstep 0 mj=700\n");
	assert_int_equal(open_with(f, NULL), 0);
	z = interval(f, 1.0);
	assert_rel(z->joules_total, 1.0);
	capture__begin(&f->cap);
	z = interval(f, 1.0);
	assert_string_equal(
		capture__end(&f->cap),
		"wattlet: gpu-0 (GPU-fake-0): energy counter went backwards: from 51000 to 200 mJ "
		"(driver reloaded?); reading rejected; its value is the new baseline (warned once "
		"per kind, see errors_total)\n");
	assert_false(z->valid);
	assert_rel(z->joules_total, 1.0);
	assert_int_equal(z->errors_total, 1);
	z = interval(f, 1.0);
	assert_rel(z->joules, 0.5);
	assert_rel(z->span_s, 1.0);
	assert_rel(z->joules_total, 1.5);
}

static void counter__absurd_jump__rejected(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f, "gpu 0\nstep 0 mj=0\nstep 0 mj=1000000\nstep 0 mj=1000500\n");
	assert_int_equal(open_with(f, "--max-watts", "500", NULL), 0);
	capture__begin(&f->cap);
	z = interval(f, 1.0);
	capture__end(&f->cap);
	assert_false(z->valid);
	assert_int_equal(z->errors_total, 1);
	z = interval(f, 1.0);
	assert_true(z->valid);
	assert_rel(z->joules, 0.5);
}

static void energy_none__error_every_interval(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f, "gpu 0 energy=none lists=no util=no\nstep 0\n");
	assert_int_equal(open_with(f, NULL), 0);
	assert_non_null(strstr(f->log, "energy from nowhere, busy time from none: no per-process "
				       "utilisation samples (Not Supported); no process lists "
				       "either (Not Supported): active energy unattributed\n"));
	capture__begin(&f->cap);
	interval(f, 1.0);
	z = interval(f, 1.0);
	capture__end(&f->cap);
	assert_false(z->valid);
	assert_int_equal(z->errors_total, 2);
}

/* ---- busy time and shares ---- */

static void samples__shares_by_sm__exact(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_energy *e;

	scenario(f, "gpu 0\nstep 0 mj=0\nstep 0 mj=3000 sm=100:60,200:20\n"
		    "step 0 mj=4000 sm=200:50\n");
	assert_int_equal(open_with(f, "--gpu-idle-watts", "1", NULL), 0);
	interval(f, 1.0);
	e = &f->ga->gpus[0];
	assert_string_equal(e->idle_source, "flag");
	assert_rel(e->idle_joules, 1.0);
	assert_rel(e->active_joules, 2.0);
	assert_rel(share_of(f, 0, 100)->joules, 1.5);
	assert_rel(share_of(f, 0, 200)->joules, 0.5);
	assert_rel(share_of(f, 0, 100)->busy_s / share_of(f, 0, 200)->busy_s, 3.0);
	assert_true(fabs(e->unattributed_joules) <= REL * e->active_joules);
	assert_conserved(f);
	interval(f, 1.0); /* idle 1 W of 1 J: nothing active */
	assert_int_equal(f->ga->nr_shares, 1);
	assert_rel(share_of(f, 0, 200)->joules, 0);
	assert_rel(f->ga->gpus[0].active_joules_total, 2.0);
	assert_rel(f->ga->gpus[0].idle_joules_total, 2.0);
	assert_conserved(f);
}

/* A pid with no process account in a tracked cgroup: its share is unattributed. */
static void samples__unplaceable_pid__unattributed(void **state)
{
	struct gpu_fixture *f = *state;
	struct wl_cgroup cg = { .usage.cpu_ns = 1000 };
	struct wl_proc in_cg = { .start_ns = 5, .cgroup_id = 7, .usage.cpu_ns = 1000 };
	struct wl_proc no_cg = { .start_ns = 6, .cgroup_id = 8, .usage.cpu_ns = 1000 };
	struct accounts acc = { 0 };
	const struct gpu_share *s;

	scenario(f, "gpu 0\nstep 0 mj=0\nstep 0 mj=4000 sm=100:30,300:10,400:10\n");
	assert_int_equal(open_with(f, "--gpu-idle-watts", "0", NULL), 0);
	assert_int_equal(accounts__cgroup(&acc, 7, &cg), 0);
	assert_int_equal(accounts__proc(&acc, 100, &in_cg, false), 0);
	assert_int_equal(accounts__proc(&acc, 300, &no_cg, false), 0); /* cgroup 8 untracked */
	usleep(1000);
	assert_int_equal(gpu__read(f->g, 1.0, &f->r), 0);
	assert_int_equal(gpu_attribution__apply(f->ga, &f->r, &acc), 0);
	s = share_of(f, 0, 100);
	assert_true(s->placed);
	assert_int_equal(s->cgroup_id, 7);
	assert_int_equal(s->proc_key, ((__u64)5 << 32) | 100);
	assert_rel(s->joules, 2.4);
	assert_false(share_of(f, 0, 300)->placed);
	assert_rel(share_of(f, 0, 300)->joules, 0);
	assert_rel(share_of(f, 0, 400)->joules, 0);
	assert_rel(f->ga->gpus[0].unattributed_joules, 1.6);
	assert_conserved(f);
	accounts__free(&acc);
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Busy time: a sample covers the time since the previous sample of its
 * process or the last one seen. pid 100 has two samples in the step, 0.1 s
 * apart: 50 % up to 0.1 s before the stamp, then 100 % for 0.1 s.
 */
static void samples__busy_seconds__sample_chain(void **state)
{
	struct gpu_fixture *f = *state;
	double t0, t1, since;

	scenario(f, "gpu 0\nstep 0 mj=0\nstep 0 mj=1000 sm=100:50@-100000,100:100,200:25\n");
	assert_int_equal(open_with(f, "--gpu-idle-watts", "0", NULL), 0);
	t0 = wall_s();
	usleep(300000);
	t1 = wall_s();
	assert_int_equal(gpu__read(f->g, 1.0, &f->r), 0);
	since = t1 - t0; /* at least the time since the baseline's last seen */
	assert_int_equal(gpu_attribution__apply(f->ga, &f->r, NULL), 0);
	/* within 20 ms of the wall clock's account (the stamps are taken nearby) */
	assert_true(fabs(share_of(f, 0, 100)->busy_s - (0.5 * (since - 0.1) + 0.1)) < 0.02);
	assert_true(fabs(share_of(f, 0, 200)->busy_s - 0.25 * since) < 0.02);
	assert_rel(f->ga->gpus[0].busy_s,
		   share_of(f, 0, 100)->busy_s + share_of(f, 0, 200)->busy_s);
}

static void samples__not_supported_mid_run__error_all_unattributed(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f, "gpu 0\nstep 0 mj=0\nstep 0 mj=2000 sm=100:50 fail=util:3\n"
		    "step 0 mj=3000 sm=100:50\n");
	assert_int_equal(open_with(f, "--gpu-idle-watts", "0", NULL), 0);
	capture__begin(&f->cap);
	z = interval(f, 1.0);
	assert_string_equal(
		capture__end(&f->cap),
		"wattlet: gpu-0 (GPU-fake-0): not supported: nvmlDeviceGetProcessUtilization: Not "
		"Supported; its active energy left unattributed (warned once per kind, see "
		"errors_total)\n");
	assert_true(z->valid);
	assert_int_equal(z->errors_total, 1);
	assert_int_equal(f->ga->nr_shares, 0);
	assert_rel(f->ga->gpus[0].unattributed_joules, 2.0);
	assert_conserved(f);
	interval(f, 1.0);
	assert_rel(share_of(f, 0, 100)->joules, 1.0);
}

static void lists__equal_shares__deduplicated(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f,
		 "gpu 0 util=no\nstep 0 mj=0\nstep 0 mj=6000 compute=100,200 graphics=200,300\n");
	assert_int_equal(open_with(f, "--gpu-idle-watts", "0", NULL), 0);
	z = interval(f, 1.5);
	assert_string_equal(z->busy_rule, "running-processes");
	assert_int_equal(z->nr_procs, 3);
	for (__u32 pid = 100; pid <= 300; pid += 100) {
		assert_rel(share_of(f, 0, pid)->joules, 2.0);
		assert_rel(share_of(f, 0, pid)->busy_s, 0.5);
	}
	assert_conserved(f);
}

static void mig__instances_by_sm_count(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f, "gpu 0 mig=on\nmig 0 0 gi=1 sms=42\nmig 0 1 gi=2 sms=14\n"
		    "step 0 mj=0\nstep 0 mj=8000 mig0=100,101 mig1=200\n");
	assert_int_equal(open_with(f, "--gpu-idle-watts", "0", NULL), 0);
	assert_non_null(strstr(f->log, "busy time from mig-instances: MIG: NVML gives no "
				       "per-process utilisation on MIG GPUs"));
	z = interval(f, 2.0);
	assert_string_equal(z->busy_rule, "mig-instances");
	assert_int_equal(z->nr_procs, 3);
	assert_rel(share_of(f, 0, 100)->busy_s, 2.0 * 42 / 56 / 2);
	assert_int_equal(share_of(f, 0, 100)->instance, 1);
	assert_rel(share_of(f, 0, 200)->busy_s, 2.0 * 14 / 56);
	assert_int_equal(share_of(f, 0, 200)->instance, 2);
	assert_rel(share_of(f, 0, 100)->joules, 3.0);
	assert_rel(share_of(f, 0, 101)->joules, 3.0);
	assert_rel(share_of(f, 0, 200)->joules, 2.0);
	assert_conserved(f);
}

static void mig__no_instances__gpu_level_and_why(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_zone *z;

	scenario(f, "gpu 0 mig=nohandles\nmig 0 0 gi=1 sms=42\n"
		    "step 0 mj=0\nstep 0 mj=8000 mig0=100,101\n");
	assert_int_equal(open_with(f, "--gpu-idle-watts", "0", NULL), 0);
	z = interval(f, 1.0);
	assert_string_equal(z->busy_rule, "running-processes");
	assert_string_equal(
		z->rule_note,
		"MIG enabled but NVML gives no GPU instances (Insufficient Permissions): attributed "
		"at the GPU level; active energy shared equally among the processes holding a "
		"compute or graphics context");
	assert_rel(share_of(f, 0, 100)->joules, 4.0);
	assert_rel(share_of(f, 0, 101)->joules, 4.0);
	assert_conserved(f);
}

static void idle__learned__low_percentile_of_power(void **state)
{
	struct gpu_fixture *f = *state;
	const struct gpu_energy *e;

	scenario(f, "gpu 0\nstep 0 mj=0\nstep 0 mj=50000\nstep 0 mj=100000\n"
		    "step 0 mj=300000 sm=100:90\n");
	assert_int_equal(open_with(f, NULL), 0);
	interval(f, 1.0);
	e = &f->ga->gpus[0];
	assert_string_equal(e->idle_source, "learned");
	assert_rel(e->idle_joules, 50.0); /* first interval: all idle */
	interval(f, 1.0);
	interval(f, 1.0);
	assert_rel(e->idle_watts, 50.0);
	assert_rel(e->active_joules, 150.0);
	assert_rel(share_of(f, 0, 100)->joules, 150.0);
	assert_rel(e->joules_total, 300.0);
	assert_rel(e->idle_joules_total, 150.0);
	assert_conserved(f);
}

int main(int argc, char **argv)
{
	const char *path = getenv("LD_LIBRARY_PATH");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open__off__no_nvml, setup, teardown),
		cmocka_unit_test_setup_teardown(open__driver_not_loaded__auto_says_why_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(open__driver_not_loaded__nvml_is_an_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(open__no_gpu__auto_carries_on, setup, teardown),
		cmocka_unit_test_setup_teardown(open__two_gpus__one_line_each, setup, teardown),
		cmocka_unit_test_setup_teardown(counter__deltas__joules_and_totals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(power__no_counter__trapezoid, setup, teardown),
		cmocka_unit_test_setup_teardown(lost__mid_run__error_then_gap_covered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			counter__restarts__error_new_baseline_never_backwards, setup, teardown),
		cmocka_unit_test_setup_teardown(counter__absurd_jump__rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(energy_none__error_every_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(samples__shares_by_sm__exact, setup, teardown),
		cmocka_unit_test_setup_teardown(samples__unplaceable_pid__unattributed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(samples__busy_seconds__sample_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			samples__not_supported_mid_run__error_all_unattributed, setup, teardown),
		cmocka_unit_test_setup_teardown(lists__equal_shares__deduplicated, setup, teardown),
		cmocka_unit_test_setup_teardown(mig__instances_by_sm_count, setup, teardown),
		cmocka_unit_test_setup_teardown(mig__no_instances__gpu_level_and_why, setup,
						teardown),
		cmocka_unit_test_setup_teardown(idle__learned__low_percentile_of_power, setup,
						teardown),
	};

	/* the fake is found the way the real library is: through the search path */
	if (!path || strcmp(path, FAKE_NVML_DIR)) {
		setenv("LD_LIBRARY_PATH", FAKE_NVML_DIR, 1);
		execv("/proc/self/exe", argv);
		perror("execv");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
