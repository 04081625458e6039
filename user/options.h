/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's command line: every setting, with its default. */
#ifndef __WATTLET_OPTIONS_H
#define __WATTLET_OPTIONS_H

#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "wattlet.h"

enum output_mode {
	OUTPUT_NONE,
	OUTPUT_JSON,
	OUTPUT_TABLE,
};

enum idle_attribution {
	IDLE_NONE,
	IDLE_CPU,
};

enum share_by {
	SHARE_CPU,
	SHARE_CYCLES,
};

struct options {
	/* collection */
	double interval_s;
	double duration_s; /* 0: until signalled */
	enum output_mode output;
	bool verbose;
	bool raw_tracepoints; /* force the raw_tp twins */
	__u32 max_processes;  /* 0: derived from pid_max */
	__u32 max_cgroups;
	__u32 max_listed_processes; /* per document; 0: all active ones */
	int nr_counters;
	char counters[WL_MAX_COUNTERS][32]; /* perf event names, as asked for (counters.h) */

	/* energy */
	char meter[16]; /* auto|rapl|hwmon|model */
	char sysfs_root[PATH_MAX];
	char model_cpu[32];  /* auto | a CCF row (cpu_model.h) */
	double model_idle_w; /* per vCPU; < 0: from the CPU's row */
	double model_max_w;  /* per vCPU; < 0: from the CPU's row */
	double model_w_per_gib;
	double idle_watts; /* < 0: learn */
	double max_watts;  /* sanity ceiling for a reading */
	enum idle_attribution idle_attribution;
	enum share_by share_by;
	double pue;
	bool pue_set;			      /* facility figures only when asked for */
	double carbon_intensity;	      /* gCO2e/kWh, < 0: off */
	char gpu[8];			      /* auto|nvml|off */
	double gpu_idle_watts;		      /* per GPU; < 0: learn */
	char carbon_intensity_file[PATH_MAX]; /* "": none */
	double carbon_intensity_max_age_s;    /* older values are flagged stale */
	double embodied_kgco2e;		      /* the node's manufacturing footprint, < 0: off */
	double lifetime_years;		      /* over which it is spread */

	/* kubernetes */
	char pod_log_dir[PATH_MAX];
	char container_log_dir[PATH_MAX];
	char cgroup_root[PATH_MAX]; /* "": from /proc/self/mountinfo */
	double retain_s;
	char node_name[256];

	/* serving */
	char listen[128];		     /* as given, for messages; "": no HTTP server */
	struct sockaddr_storage listen_addr; /* what --listen names, to bind as is */
	socklen_t listen_addr_len;	     /* 0: no HTTP server */
	int process_metrics_top;	     /* 0: no per-process series */
	char web_config_file[PATH_MAX];	     /* "": plain HTTP, no auth */
};

/* Fill defaults, then parse argv. 0 to run, 1 after --help/--version, -EINVAL on bad usage. */
int options__parse(struct options *o, int argc, char **argv);
void options__usage(FILE *f, const char *prog);

#endif /* __WATTLET_OPTIONS_H */
