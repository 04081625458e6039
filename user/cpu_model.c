// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPU microarchitecture and cloud detection for the model meter, and the
 * Cloud Carbon Footprint rows it picks from.
 *
 * Coefficients: github.com/cloud-carbon-footprint/ccf-coefficients, commit
 * b0032d928c787cf76cecd7d1d611c5b46f366e29 (2026-04-24), files
 * output/coefficients-{aws,gcp,azure}-use.csv, columns "Min Watts" and
 * "Max Watts" (per vCPU, from SPECpower_ssj2008 results), copied with every
 * digit. CCF has measured no Arm server: its four Graviton rows carry the
 * EPYC 2nd Gen values ("assume they are the same spec as AMD EPYC Gen 2",
 * ccfcoef/aws/coefficients.py). GCP's max watts are CCF's "GCP adjusted"
 * ones; a cloud's table is used when its row exists there, else AWS's,
 * which has every row.
 *
 * Microarchitectures by x86 family/model/stepping and arm64 part follow the
 * kernel's tables (arch/x86/include/asm/intel-family.h, the AMD Zen ranges
 * in arch/x86/kernel/cpu/amd.c, arch/arm64/include/asm/cputype.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu_model.h"
#include "meter.h"
#include "util.h"

struct ccf_row {
	const char *name;
	double min_w;
	double max_w;
};

/* output/coefficients-aws-use.csv */
static const struct ccf_row aws_rows[] = {
	{ "broadwell", 0.7128342245989305, 3.685327540106952 },
	{ "cascade-lake", 0.6902978319127387, 4.063193520161689 },
	{ "coffee-lake", 1.138425925925926, 5.421759259259259 },
	{ "epyc-1st-gen", 0.8467881944444444, 2.6041666666666665 },
	{ "epyc-2nd-gen", 0.4742621527777777, 1.6929615162037035 },
	{ "epyc-3rd-gen", 0.45562453497023814, 1.957333519345238 },
	{ "epyc-4th-gen", 0.7391482469512195, 2.282155106707317 },
	{ "epyc-5th-gen", 3.6824237779748152, 8.96143545344501 },
	{ "emerald-rapids", 0.8140104166666666, 4.48203125 },
	{ "granite-rapids", 0.5815883902616279, 2.5274707237711422 },
	{ "graviton2", 0.4742621527777777, 1.6929615162037035 },
	{ "graviton3", 0.4742621527777777, 1.6929615162037035 },
	{ "graviton3e", 0.4742621527777777, 1.6929615162037035 },
	{ "graviton4", 0.4742621527777777, 1.6929615162037035 },
	{ "haswell", 1.8573529411764707, 5.595383986928105 },
	{ "ice-lake", 0.766796875, 3.7582031249999996 },
	{ "ivy-bridge", 1.7074305555555556, 5.5569444444444445 },
	{ "sandy-bridge", 2.212243200231481, 8.630870594765684 },
	{ "sapphire-rapids", 1.0362861003136936, 4.160476336606656 },
	{ "skylake", 0.6129888539040325, 4.104170352960531 },
};

/* output/coefficients-gcp-use.csv */
static const struct ccf_row gcp_rows[] = {
	{ "broadwell", 0.7128342245989305, 3.3857473048128344 },
	{ "cascade-lake", 0.6902978319127387, 3.754854273784877 },
	{ "epyc-2nd-gen", 0.4742621527777777, 1.575187293981481 },
	{ "epyc-3rd-gen", 0.45562453497023814, 1.8336855193452382 },
	{ "epyc-4th-gen", 0.7391482469512195, 2.1958768628048784 },
	{ "emerald-rapids", 0.8140104166666666, 4.3816792499999995 },
	{ "ice-lake", 0.766796875, 3.6515791249999996 },
	{ "sapphire-rapids", 1.0362861003136936, 4.06210101745772 },
	{ "skylake", 0.6129888539040325, 3.8679459262938636 },
};

/* output/coefficients-azure-use.csv */
static const struct ccf_row azure_rows[] = {
	{ "epyc-3rd-gen", 0.44538981119791665, 2.0193277994791665 },
	{ "haswell", 1.9005681818181814, 6.012910353535353 },
	{ "cascade-lake", 0.6389493581523519, 3.9673047343937564 },
	{ "skylake", 0.6446044454253452, 4.193436438541878 },
	{ "broadwell", 0.7128342245989304, 3.6853275401069516 },
	{ "epyc-2nd-gen", 0.4742621527777778, 1.6929615162037037 },
	{ "coffee-lake", 1.138425925925926, 5.421759259259258 },
	{ "epyc-1st-gen", 0.82265625, 2.553125 },
};

struct ccf_table {
	const char *cloud;
	const struct ccf_row *rows;
	size_t nr_rows;
};

static const struct ccf_table tables[] = {
	{ "aws", aws_rows, ARRAY_SIZE(aws_rows) }, /* first: the fallback table */
	{ "gcp", gcp_rows, ARRAY_SIZE(gcp_rows) },
	{ "azure", azure_rows, ARRAY_SIZE(azure_rows) },
};

/* A microarchitecture and the CCF row it takes, with why when they differ. */
struct uarch {
	const char *name;
	const char *row;
	const char *note;
};

static const struct uarch uarchs[] = {
	{ "sandy-bridge", "sandy-bridge", NULL },
	{ "ivy-bridge", "ivy-bridge", NULL },
	{ "haswell", "haswell", NULL },
	{ "broadwell", "broadwell", NULL },
	{ "skylake", "skylake", NULL },
	{ "kaby-lake", "skylake", "Kaby Lake is a Skylake core (CCF lists its parts as Skylake)" },
	{ "coffee-lake", "coffee-lake", NULL },
	{ "cascade-lake", "cascade-lake", NULL },
	{ "cooper-lake", "cascade-lake", "Cooper Lake is a Cascade Lake refresh" },
	{ "ice-lake", "ice-lake", NULL },
	{ "sapphire-rapids", "sapphire-rapids", NULL },
	{ "emerald-rapids", "emerald-rapids", NULL },
	{ "granite-rapids", "granite-rapids", NULL },
	{ "zen", "epyc-1st-gen", NULL },
	{ "zen+", "epyc-1st-gen", "no EPYC has Zen+ cores: the Zen row" },
	{ "zen2", "epyc-2nd-gen", NULL },
	{ "zen3", "epyc-3rd-gen", NULL },
	{ "zen4", "epyc-4th-gen", NULL },
	{ "zen5", "epyc-5th-gen", NULL },
	{ "neoverse-n1", "graviton2", "Graviton2 is Neoverse N1" },
	{ "neoverse-v1", "graviton3", "Graviton3 is Neoverse V1" },
	{ "neoverse-n2", "graviton3", "Neoverse N2 is V1's contemporary; CCF has no N2 row" },
	{ "neoverse-v2", "graviton4", "Graviton4 is Neoverse V2" },
};

/* ---- rows ---- */

static const struct ccf_table *table_of(const char *cloud)
{
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		if (!strcmp(tables[i].cloud, cloud))
			return &tables[i];
	return &tables[0];
}

static const struct ccf_row *row_in(const struct ccf_table *t, const char *name)
{
	for (size_t i = 0; i < t->nr_rows; i++)
		if (!strcmp(t->rows[i].name, name))
			return &t->rows[i];
	return NULL;
}

static void use_average(struct cpu_model *m)
{
	snprintf(m->name, sizeof(m->name), "ccf:average");
	m->table[0] = '\0';
	m->idle_w = CPU_MODEL_AVERAGE_IDLE_W;
	m->max_w = CPU_MODEL_AVERAGE_MAX_W;
}

int cpu_model__use_row(struct cpu_model *m, const char *name)
{
	const struct ccf_table *t = table_of(m->cloud);
	const struct ccf_row *row = row_in(t, name);

	if (!strcmp(name, "average")) {
		use_average(m);
		return 0;
	}
	if (!row) {
		t = &tables[0];
		row = row_in(t, name);
	}
	if (!row)
		return -ENOENT;
	snprintf(m->name, sizeof(m->name), "ccf:%s", row->name);
	snprintf(m->table, sizeof(m->table), "%s", t->cloud);
	m->idle_w = row->min_w;
	m->max_w = row->max_w;
	return 0;
}

const char *cpu_model__row_names(void)
{
	static char names[512];
	size_t len = 0;

	if (names[0])
		return names;
	len = snprintf(names, sizeof(names), "average");
	for (size_t i = 0; i < tables[0].nr_rows && len < sizeof(names); i++)
		len += snprintf(names + len, sizeof(names) - len, ", %s", tables[0].rows[i].name);
	return names;
}

/* ---- /proc/cpuinfo ---- */

struct cpuinfo {
	char vendor[32]; /* x86 vendor_id */
	char model_name[96];
	int family, model, stepping;	/* x86, -1 when absent */
	unsigned int implementer, part; /* arm64, 0 when absent */
};

/* "key\t\t: value" -> key and value, trimmed. false for other lines. */
static bool split_field(char *line, char **key, char **val)
{
	char *colon = strchr(line, ':'), *end;

	if (!colon)
		return false;
	for (end = colon; end > line && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	*key = line;
	for (*val = colon + 1; **val == ' ' || **val == '\t'; (*val)++)
		;
	(*val)[strcspn(*val, "\n")] = '\0';
	return true;
}

static void cpuinfo_field(struct cpuinfo *ci, const char *key, const char *val)
{
	if (!strcmp(key, "vendor_id"))
		snprintf(ci->vendor, sizeof(ci->vendor), "%s", val);
	else if (!strcmp(key, "model name"))
		snprintf(ci->model_name, sizeof(ci->model_name), "%s", val);
	else if (!strcmp(key, "cpu family"))
		ci->family = atoi(val);
	else if (!strcmp(key, "model"))
		ci->model = atoi(val);
	else if (!strcmp(key, "stepping"))
		ci->stepping = atoi(val);
	else if (!strcmp(key, "CPU implementer"))
		ci->implementer = strtoul(val, NULL, 0);
	else if (!strcmp(key, "CPU part"))
		ci->part = strtoul(val, NULL, 0);
}

/* The first processor's fields (all CPUs of a node are alike). */
static int read_cpuinfo(struct cpuinfo *ci, const char *path)
{
	char *line = NULL, *key, *val;
	bool seen = false;
	size_t cap = 0;
	FILE *f;

	*ci = (struct cpuinfo){ .family = -1, .model = -1, .stepping = -1 };
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '\n' && seen)
			break;
		if (!split_field(line, &key, &val))
			continue;
		cpuinfo_field(ci, key, val);
		seen = true;
	}
	free(line);
	fclose(f);
	return 0;
}

/* ---- microarchitectures ---- */

struct intel_model {
	int model;
	int min_stepping, max_stepping;
	const char *uarch;
};

/* Family 6 server and client parts CCF has rows for (intel-family.h names). */
static const struct intel_model intel_models[] = {
	{ 0x2A, 0, 15, "sandy-bridge" },    /* SANDYBRIDGE */
	{ 0x2D, 0, 15, "sandy-bridge" },    /* SANDYBRIDGE_X */
	{ 0x3A, 0, 15, "ivy-bridge" },	    /* IVYBRIDGE */
	{ 0x3E, 0, 15, "ivy-bridge" },	    /* IVYBRIDGE_X */
	{ 0x3C, 0, 15, "haswell" },	    /* HASWELL */
	{ 0x3F, 0, 15, "haswell" },	    /* HASWELL_X */
	{ 0x45, 0, 15, "haswell" },	    /* HASWELL_L */
	{ 0x46, 0, 15, "haswell" },	    /* HASWELL_G */
	{ 0x3D, 0, 15, "broadwell" },	    /* BROADWELL */
	{ 0x47, 0, 15, "broadwell" },	    /* BROADWELL_G */
	{ 0x4F, 0, 15, "broadwell" },	    /* BROADWELL_X */
	{ 0x56, 0, 15, "broadwell" },	    /* BROADWELL_D */
	{ 0x4E, 0, 15, "skylake" },	    /* SKYLAKE_L */
	{ 0x5E, 0, 15, "skylake" },	    /* SKYLAKE */
	{ 0x55, 0, 4, "skylake" },	    /* SKYLAKE_X, steppings 0-4 */
	{ 0x55, 5, 7, "cascade-lake" },	    /* the same model, steppings 5-7 */
	{ 0x55, 8, 15, "cooper-lake" },	    /* and 10-11 */
	{ 0x8E, 0, 15, "kaby-lake" },	    /* KABYLAKE_L (with Whiskey, Amber Lake) */
	{ 0x9E, 0, 9, "kaby-lake" },	    /* KABYLAKE */
	{ 0x9E, 10, 15, "coffee-lake" },    /* the same model, steppings 10-13 */
	{ 0x6A, 0, 15, "ice-lake" },	    /* ICELAKE_X */
	{ 0x6C, 0, 15, "ice-lake" },	    /* ICELAKE_D */
	{ 0x7D, 0, 15, "ice-lake" },	    /* ICELAKE */
	{ 0x7E, 0, 15, "ice-lake" },	    /* ICELAKE_L */
	{ 0x8F, 0, 15, "sapphire-rapids" }, /* SAPPHIRERAPIDS_X */
	{ 0xCF, 0, 15, "emerald-rapids" },  /* EMERALDRAPIDS_X */
	{ 0xAD, 0, 15, "granite-rapids" },  /* GRANITERAPIDS_X */
	{ 0xAE, 0, 15, "granite-rapids" },  /* GRANITERAPIDS_D */
};

static const char *intel_uarch(const struct cpuinfo *ci)
{
	const struct intel_model *m;

	if (ci->family != 6)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(intel_models); i++) {
		m = &intel_models[i];
		if (m->model == ci->model && ci->stepping >= m->min_stepping &&
		    ci->stepping <= m->max_stepping)
			return m->uarch;
	}
	return NULL;
}

struct model_range {
	int family, first, last;
	const char *uarch;
};

/* The Zen generations by family and model range, as amd.c sets X86_FEATURE_ZEN*. */
static const struct model_range amd_ranges[] = {
	/* family 0x17: Zen, Zen+, Zen 2 */
	{ 0x17, 0x00, 0x2f, "zen" },  /* Naples; 0x08 and 0x18 are Zen+ desktop parts */
	{ 0x17, 0x30, 0xff, "zen2" }, /* Rome 0x31 */
	/* family 0x19: Zen 3, Zen 4 */
	{ 0x19, 0x00, 0x0f, "zen3" }, /* Milan 0x01 */
	{ 0x19, 0x20, 0x5f, "zen3" },
	{ 0x19, 0x10, 0x1f, "zen4" }, /* Genoa 0x11 */
	{ 0x19, 0x60, 0xaf, "zen4" }, /* Bergamo, Siena 0xa0 */
	/* family 0x1a: Zen 5 */
	{ 0x1a, 0x00, 0x2f, "zen5" }, /* Turin 0x02, 0x11 */
	{ 0x1a, 0x40, 0x4f, "zen5" },
	{ 0x1a, 0x60, 0x7f, "zen5" },
};

static const char *amd_uarch(const struct cpuinfo *ci)
{
	const struct model_range *r;

	for (size_t i = 0; i < ARRAY_SIZE(amd_ranges); i++) {
		r = &amd_ranges[i];
		if (r->family == ci->family && ci->model >= r->first && ci->model <= r->last) {
			/* family 0x17 models 0x08 and 0x18 are Zen+ */
			if (!strcmp(r->uarch, "zen") && (ci->model == 0x08 || ci->model == 0x18))
				return "zen+";
			return r->uarch;
		}
	}
	return NULL;
}

#define ARM_IMPLEMENTER_ARM 0x41

/* Arm Ltd's Neoverse parts (cputype.h ARM_CPU_PART_NEOVERSE_*). */
static const char *arm_uarch(const struct cpuinfo *ci)
{
	if (ci->implementer != ARM_IMPLEMENTER_ARM)
		return NULL;
	switch (ci->part) {
	case 0xd0c:
		return "neoverse-n1";
	case 0xd40:
		return "neoverse-v1";
	case 0xd49:
		return "neoverse-n2";
	case 0xd4f:
		return "neoverse-v2";
	}
	return NULL;
}

static const char *uarch_of(const struct cpuinfo *ci)
{
	if (!strcmp(ci->vendor, "GenuineIntel"))
		return intel_uarch(ci);
	if (!strcmp(ci->vendor, "AuthenticAMD"))
		return amd_uarch(ci);
	if (ci->implementer)
		return arm_uarch(ci);
	return NULL;
}

static void describe_cpu(char *buf, size_t size, const struct cpuinfo *ci)
{
	if (ci->vendor[0])
		snprintf(buf, size, "%s family %d model %d stepping %d (%s)", ci->vendor,
			 ci->family, ci->model, ci->stepping, ci->model_name);
	else if (ci->implementer)
		snprintf(buf, size, "arm implementer 0x%02x part 0x%03x", ci->implementer,
			 ci->part);
	else
		snprintf(buf, size, "%s",
			 ci->model_name[0] ? ci->model_name : "no CPU identification");
}

/* ---- DMI ---- */

/* Azure's chassis asset tag, the same on every Azure VM. */
#define AZURE_ASSET_TAG "7783-7084-3265-9085-8269-3286-77"

static void dmi_read(const char *dir, const char *file, char *buf, size_t size)
{
	char path[4096];

	buf[0] = '\0';
	if (meter__path(path, sizeof(path), "%s/%s", dir, file) ||
	    meter__read_line(path, buf, size))
		buf[0] = '\0';
	buf[strcspn(buf, "\r")] = '\0';
	while (*buf && buf[strlen(buf) - 1] == ' ')
		buf[strlen(buf) - 1] = '\0';
}

static void detect_cloud(struct cpu_model *m, const char *dmi_dir)
{
	char asset[64];

	dmi_read(dmi_dir, "sys_vendor", m->sys_vendor, sizeof(m->sys_vendor));
	dmi_read(dmi_dir, "product_name", m->product_name, sizeof(m->product_name));
	dmi_read(dmi_dir, "chassis_asset_tag", asset, sizeof(asset));
	if (!strcmp(m->sys_vendor, "Amazon EC2")) {
		snprintf(m->cloud, sizeof(m->cloud), "aws");
		/* "m5.large", "m6g.metal" */
		snprintf(m->instance_type, sizeof(m->instance_type), "%s", m->product_name);
	} else if (!strcmp(m->sys_vendor, "Google") &&
		   !strcmp(m->product_name, "Google Compute Engine")) {
		snprintf(m->cloud, sizeof(m->cloud), "gcp");
	} else if (!strcmp(asset, AZURE_ASSET_TAG)) {
		snprintf(m->cloud, sizeof(m->cloud), "azure");
	} else if (!strcmp(asset, "OracleCloud.com")) {
		snprintf(m->cloud, sizeof(m->cloud), "oracle");
	} else if (!strcmp(m->sys_vendor, "Alibaba Cloud")) {
		snprintf(m->cloud, sizeof(m->cloud), "alibaba");
	}
}

/* ---- detection ---- */

static const struct uarch *uarch_named(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(uarchs); i++)
		if (!strcmp(uarchs[i].name, name))
			return &uarchs[i];
	return NULL;
}

static void choose_row(struct cpu_model *m, const struct uarch *u)
{
	if (!u || cpu_model__use_row(m, u->row)) {
		m->fallback = true;
		use_average(m);
		snprintf(m->why, sizeof(m->why), "unknown CPU %s: CCF's average", m->cpu);
		return;
	}
	snprintf(m->uarch, sizeof(m->uarch), "%s", u->name);
	snprintf(m->why, sizeof(m->why), "%s CPU: %s row of CCF's %s table; cloud: %s%s%s", u->name,
		 u->row, m->table, m->cloud[0] ? m->cloud : "none", u->note ? "; " : "",
		 u->note ? u->note : "");
}

int cpu_model__detect(struct cpu_model *m, const char *cpuinfo_path, const char *dmi_dir)
{
	struct cpuinfo ci;
	int err;

	memset(m, 0, sizeof(*m));
	detect_cloud(m, dmi_dir);
	err = read_cpuinfo(&ci, cpuinfo_path);
	if (err) {
		m->fallback = true;
		use_average(m);
		snprintf(m->cpu, sizeof(m->cpu), "unreadable %s", cpuinfo_path);
		snprintf(m->why, sizeof(m->why), "cannot read %s: %s; CCF's average", cpuinfo_path,
			 strerror(-err));
		return err;
	}
	describe_cpu(m->cpu, sizeof(m->cpu), &ci);
	choose_row(m, uarch_named(uarch_of(&ci)));
	return 0;
}
