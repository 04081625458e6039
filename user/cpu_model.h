/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which row of Cloud Carbon Footprint's coefficients the model meter uses:
 * the CPU's microarchitecture from /proc/cpuinfo (x86 vendor, family, model
 * and stepping; arm64 implementer and part), the cloud and instance type
 * from DMI (sys_vendor, product_name, chassis_asset_tag). An unknown CPU
 * gets CCF's average and says so. The result is still a model: it names
 * its row ("ccf:cascade-lake") so nobody takes it for a measurement.
 */
#ifndef __WATTLET_CPU_MODEL_H
#define __WATTLET_CPU_MODEL_H

#include <stdbool.h>

/* CCF's published averages, the row used for a CPU not in the tables. */
#define CPU_MODEL_AVERAGE_IDLE_W 0.74
#define CPU_MODEL_AVERAGE_MAX_W	 3.5

struct cpu_model {
	/* what was detected */
	/*
	 * "GenuineIntel family 6 model 85 stepping 7 (Intel(R) Xeon(R) Platinum 8259CL CPU
	 * @ 2.50GHz)", "arm implementer 0x41 part 0xd0c"
	 */
	char cpu[160];
	char uarch[32];		/* "cascade-lake", "neoverse-n1"; "" when unknown */
	char cloud[16];		/* "aws", "gcp", "azure", ...; "" when not recognised */
	char instance_type[64]; /* AWS puts it in DMI product_name; "" elsewhere */
	char sys_vendor[64];	/* DMI, as read ("" without DMI) */
	char product_name[64];

	/* the row used */
	char name[48]; /* "ccf:cascade-lake", "ccf:average" */
	char table[8]; /* CCF table it came from: "aws", "gcp", "azure"; "" for average */
	double idle_w; /* per vCPU */
	double max_w;  /* per vCPU */
	bool fallback; /* the CPU was not recognised: CCF's average */
	char why[224]; /* how the row was chosen, for the log and the document */
};

/*
 * Detect the CPU from cpuinfo_path (normally /proc/cpuinfo) and the cloud
 * from the DMI files in dmi_dir (normally /sys/class/dmi/id; missing files
 * are no error: many VMs have no DMI). Fills *out; 0, or -errno when
 * cpuinfo_path cannot be read (out then holds the average).
 */
int cpu_model__detect(struct cpu_model *out, const char *cpuinfo_path, const char *dmi_dir);

/*
 * Force a row by name ("cascade-lake", "graviton2", "average"), as
 * --model-cpu does, from the table of out->cloud. 0, or -ENOENT for a name
 * no table has (out unchanged).
 */
int cpu_model__use_row(struct cpu_model *out, const char *row);

/* The row names cpu_model__use_row() knows, comma-separated, for usage text. */
const char *cpu_model__row_names(void);

#endif /* __WATTLET_CPU_MODEL_H */
