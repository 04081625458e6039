// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPU model rows: /proc/cpuinfo and DMI fixtures as real machines show them
 * (x86 vendor/family/model/stepping, arm64 implementer/part, the clouds'
 * sys_vendor/product_name/chassis_asset_tag). Each expects the CCF row and
 * the watts printed in ccf-coefficients' output/coefficients-*-use.csv at
 * commit b0032d928c787cf76cecd7d1d611c5b46f366e29.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fake_sysfs.h"
#include "cpu_model.h"

#define X86(vendor, family, model, stepping, name)                                               \
	"processor\t: 0\nvendor_id\t: " vendor "\ncpu family\t: " #family "\nmodel\t\t: " #model \
	"\nmodel name\t: " name "\nstepping\t: " #stepping "\nmicrocode\t: 0x1000065\n"          \
	"cpu MHz\t\t: 2499.998\ncache size\t: 36608 KB\nflags\t\t: fpu vme de pse tsc msr\n\n"   \
	"processor\t: 1\nvendor_id\t: Other\ncpu family\t: 99\nmodel\t\t: 99\n"                  \
	"model name\t: second CPU, never read\nstepping\t: 99\n\n"

#define ARM64(part)                                                                             \
	"processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 " \
	"crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\n"                  \
	"CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: " part   \
	"\nCPU revision\t: 1\n\nprocessor\t: 1\nCPU implementer\t: 0x42\nCPU part\t: 0x001\n\n"

#define AZURE_TAG "7783-7084-3265-9085-8269-3286-77"

struct cpu_case {
	const char *cpuinfo;
	const char *sys_vendor, *product_name, *asset_tag; /* NULL: no such DMI file */
	/* expected */
	const char *name, *table, *uarch, *cloud, *instance_type;
	double idle_w, max_w;
	bool fallback;
};

/* One line per part of a case: cpuinfo, DMI files, the row expected, its watts */
/* clang-format off */
/* AWS m5.large of the first Nitro generation: Skylake-SP, stepping 4. */
static const struct cpu_case skylake_m5 = {
	X86("GenuineIntel", 6, 85, 4, "Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz"),
	"Amazon EC2", "m5.large", "Amazon EC2",
	"ccf:skylake", "aws", "skylake", "aws", "m5.large",
	0.6129888539040325, 4.104170352960531, false,
};

/* The same model number, stepping 7: Cascade Lake (m5.xlarge today). */
static const struct cpu_case cascade_m5 = {
	X86("GenuineIntel", 6, 85, 7, "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"),
	"Amazon EC2", "m5.xlarge", "Amazon EC2",
	"ccf:cascade-lake", "aws", "cascade-lake", "aws", "m5.xlarge",
	0.6902978319127387, 4.063193520161689, false,
};

/* Cascade Lake on Azure (Dv4): Azure's own table. */
static const struct cpu_case cascade_azure = {
	X86("GenuineIntel", 6, 85, 7, "Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz"),
	"Microsoft Corporation", "Virtual Machine", AZURE_TAG,
	"ccf:cascade-lake", "azure", "cascade-lake", "azure", "",
	0.6389493581523519, 3.9673047343937564, false,
};

/* Cooper Lake on a bare-metal server: the Cascade Lake row, AWS table. */
static const struct cpu_case cooper_metal = {
	X86("GenuineIntel", 6, 85, 11, "Intel(R) Xeon(R) Platinum 8380H CPU @ 2.90GHz"),
	"Dell Inc.", "PowerEdge R940xa", "",
	"ccf:cascade-lake", "aws", "cooper-lake", "", "",
	0.6902978319127387, 4.063193520161689, false,
};

/* An i3 on Xen (pre-Nitro EC2): no cloud in DMI, Broadwell from cpuinfo. */
static const struct cpu_case broadwell_xen = {
	X86("GenuineIntel", 6, 79, 1, "Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz"),
	"Xen", "HVM domU", NULL,
	"ccf:broadwell", "aws", "broadwell", "", "",
	0.7128342245989305, 3.685327540106952, false,
};

static const struct cpu_case icelake_m6i = {
	X86("GenuineIntel", 6, 106, 6, "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"),
	"Amazon EC2", "m6i.xlarge", "Amazon EC2",
	"ccf:ice-lake", "aws", "ice-lake", "aws", "m6i.xlarge",
	0.766796875, 3.7582031249999996, false,
};

static const struct cpu_case sapphire_m7i = {
	X86("GenuineIntel", 6, 143, 8, "Intel(R) Xeon(R) Platinum 8488C"),
	"Amazon EC2", "m7i.large", "Amazon EC2",
	"ccf:sapphire-rapids", "aws", "sapphire-rapids", "aws", "m7i.large",
	1.0362861003136936, 4.160476336606656, false,
};

static const struct cpu_case coffee_mac1 = {
	X86("GenuineIntel", 6, 158, 10, "Intel(R) Core(TM) i7-8700B CPU @ 3.20GHz"),
	NULL, NULL, NULL,
	"ccf:coffee-lake", "aws", "coffee-lake", "", "",
	1.138425925925926, 5.421759259259259, false,
};

static const struct cpu_case epyc1_m5a = {
	X86("AuthenticAMD", 23, 1, 2, "AMD EPYC 7571"),
	"Amazon EC2", "m5a.large", "Amazon EC2",
	"ccf:epyc-1st-gen", "aws", "zen", "aws", "m5a.large",
	0.8467881944444444, 2.6041666666666665, false,
};

/* GCP N2D, Rome: GCP's table, with its adjusted max watts. */
static const struct cpu_case epyc2_gcp = {
	X86("AuthenticAMD", 23, 49, 0, "AMD EPYC 7B12"),
	"Google", "Google Compute Engine", "",
	"ccf:epyc-2nd-gen", "gcp", "zen2", "gcp", "",
	0.4742621527777777, 1.575187293981481, false,
};

static const struct cpu_case epyc3_m6a = {
	X86("AuthenticAMD", 25, 1, 1, "AMD EPYC 7R13 Processor"),
	"Amazon EC2", "m6a.large", "Amazon EC2",
	"ccf:epyc-3rd-gen", "aws", "zen3", "aws", "m6a.large",
	0.45562453497023814, 1.957333519345238, false,
};

static const struct cpu_case epyc4_m7a = {
	X86("AuthenticAMD", 25, 17, 1, "AMD EPYC 9R14"),
	"Amazon EC2", "m7a.large", "Amazon EC2",
	"ccf:epyc-4th-gen", "aws", "zen4", "aws", "m7a.large",
	0.7391482469512195, 2.282155106707317, false,
};

static const struct cpu_case epyc5_metal = {
	X86("AuthenticAMD", 26, 2, 1, "AMD EPYC 9755 128-Core Processor"),
	"Supermicro", "AS -2125HS-TNR", "",
	"ccf:epyc-5th-gen", "aws", "zen5", "", "",
	3.6824237779748152, 8.96143545344501, false,
};

static const struct cpu_case graviton2_m6g = {
	ARM64("0xd0c"), "Amazon EC2", "m6g.large", "Amazon EC2",
	"ccf:graviton2", "aws", "neoverse-n1", "aws", "m6g.large",
	0.4742621527777777, 1.6929615162037035, false,
};

static const struct cpu_case graviton3_c7g = {
	ARM64("0xd40"), "Amazon EC2", "c7g.large", "Amazon EC2",
	"ccf:graviton3", "aws", "neoverse-v1", "aws", "c7g.large",
	0.4742621527777777, 1.6929615162037035, false,
};

static const struct cpu_case graviton4_r8g = {
	ARM64("0xd4f"), "Amazon EC2", "r8g.large", "Amazon EC2",
	"ccf:graviton4", "aws", "neoverse-v2", "aws", "r8g.large",
	0.4742621527777777, 1.6929615162037035, false,
};

/* Ampere Altra (Neoverse N1) on Azure: Azure's table has no Arm row, AWS's does. */
static const struct cpu_case altra_azure = {
	ARM64("0xd0c"), "Microsoft Corporation", "Virtual Machine", AZURE_TAG,
	"ccf:graviton2", "aws", "neoverse-n1", "azure", "",
	0.4742621527777777, 1.6929615162037035, false,
};

/* This test machine's Firecracker guest: a model number no table lists. */
static const struct cpu_case unknown_intel = {
	X86("GenuineIntel", 6, 167, 1, "Intel(R) Xeon(R) Processor"),
	NULL, NULL, NULL,
	"ccf:average", "", "", "", "",
	0.74, 3.5, true,
};

/* AmpereOne: Ampere's own cores, not Neoverse. */
static const struct cpu_case unknown_arm = {
	"processor\t: 0\nBogoMIPS\t: 2000.00\nCPU implementer\t: 0xc0\n"
	"CPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xac3\nCPU revision\t: 0\n\n",
	NULL, NULL, NULL,
	"ccf:average", "", "", "", "",
	0.74, 3.5, true,
};
/* clang-format on */

static int setup(void **state)
{
	struct fake_sysfs *fs = calloc(1, sizeof(*fs));

	assert_non_null(fs);
	assert_int_equal(fake__open(fs), 0);
	*state = fs;
	return 0;
}

static int teardown(void **state)
{
	fake__close(*state);
	free(*state);
	return 0;
}

static void write_case(struct fake_sysfs *fs, const struct cpu_case *c)
{
	char dmi[PATH_MAX];

	assert_int_equal(fake__write(fs, "proc/cpuinfo", "%s", c->cpuinfo), 0);
	fake__path(fs, "dmi", dmi, sizeof(dmi));
	assert_int_equal(fake__mkdirs(dmi), 0);
	if (c->sys_vendor)
		assert_int_equal(fake__write(fs, "dmi/sys_vendor", "%s", c->sys_vendor), 0);
	if (c->product_name)
		assert_int_equal(fake__write(fs, "dmi/product_name", "%s", c->product_name), 0);
	if (c->asset_tag)
		assert_int_equal(fake__write(fs, "dmi/chassis_asset_tag", "%s", c->asset_tag), 0);
}

static void detect(struct fake_sysfs *fs, struct cpu_model *m)
{
	char cpuinfo[PATH_MAX], dmi[PATH_MAX];

	fake__path(fs, "proc/cpuinfo", cpuinfo, sizeof(cpuinfo));
	fake__path(fs, "dmi", dmi, sizeof(dmi));
	assert_int_equal(cpu_model__detect(m, cpuinfo, dmi), 0);
}

static void check_case(void **state, const struct cpu_case *c)
{
	struct cpu_model m;

	write_case(*state, c);
	detect(*state, &m);
	assert_string_equal(m.name, c->name);
	assert_string_equal(m.table, c->table);
	assert_string_equal(m.uarch, c->uarch);
	assert_string_equal(m.cloud, c->cloud);
	assert_string_equal(m.instance_type, c->instance_type);
	assert_true(m.idle_w == c->idle_w);
	assert_true(m.max_w == c->max_w);
	assert_int_equal(m.fallback, c->fallback);
	if (c->fallback)
		assert_non_null(strstr(m.why, "unknown CPU"));
	else
		assert_null(strstr(m.why, "unknown"));
}

#define CASE(c)                               \
	static void detect__##c(void **state) \
	{                                     \
		check_case(state, &c);        \
	}
CASE(skylake_m5)
CASE(cascade_m5)
CASE(cascade_azure)
CASE(cooper_metal)
CASE(broadwell_xen)
CASE(icelake_m6i)
CASE(sapphire_m7i)
CASE(coffee_mac1)
CASE(epyc1_m5a)
CASE(epyc2_gcp)
CASE(epyc3_m6a)
CASE(epyc4_m7a)
CASE(epyc5_metal)
CASE(graviton2_m6g)
CASE(graviton3_c7g)
CASE(graviton4_r8g)
CASE(altra_azure)
CASE(unknown_intel)
CASE(unknown_arm)

/* The unknown CPU names itself in why, so the log says what was not recognised. */
static void detect__unknown__why_names_the_cpu(void **state)
{
	struct cpu_model m;

	write_case(*state, &unknown_intel);
	detect(*state, &m);
	assert_string_equal(m.why, "unknown CPU GenuineIntel family 6 model 167 stepping 1 "
				   "(Intel(R) Xeon(R) Processor): CCF's average");
	assert_string_equal(m.cpu, "GenuineIntel family 6 model 167 stepping 1 "
				   "(Intel(R) Xeon(R) Processor)");
}

/* A known CPU says what it is, which row and table, and why when they differ. */
static void detect__known__why_names_row_table_cloud(void **state)
{
	struct cpu_model m;

	write_case(*state, &cooper_metal);
	detect(*state, &m);
	assert_string_equal(m.why, "cooper-lake CPU: cascade-lake row of CCF's aws table; "
				   "cloud: none; Cooper Lake is a Cascade Lake refresh");
	write_case(*state, &epyc2_gcp);
	detect(*state, &m);
	assert_string_equal(m.why, "zen2 CPU: epyc-2nd-gen row of CCF's gcp table; cloud: gcp");
}

static void detect__no_cpuinfo__average_and_errno(void **state)
{
	struct fake_sysfs *fs = *state;
	char missing[PATH_MAX];
	struct cpu_model m;

	fake__path(fs, "proc/none", missing, sizeof(missing));
	assert_int_equal(cpu_model__detect(&m, missing, fs->root), -ENOENT);
	assert_string_equal(m.name, "ccf:average");
	assert_true(m.fallback);
	assert_true(m.idle_w == 0.74 && m.max_w == 3.5);
}

/* --model-cpu: a named row from the cloud's table, AWS's when the cloud lacks it. */
static void use_row__named__cloud_table_then_aws(void **state)
{
	struct cpu_model m;

	write_case(*state, &epyc2_gcp);
	detect(*state, &m);
	assert_int_equal(cpu_model__use_row(&m, "skylake"), 0);
	assert_string_equal(m.name, "ccf:skylake");
	assert_string_equal(m.table, "gcp");
	assert_true(m.max_w == 3.8679459262938636);
	assert_int_equal(cpu_model__use_row(&m, "graviton3e"), 0);
	assert_string_equal(m.table, "aws");
	assert_true(m.idle_w == 0.4742621527777777);
	assert_int_equal(cpu_model__use_row(&m, "average"), 0);
	assert_string_equal(m.name, "ccf:average");
	assert_int_equal(cpu_model__use_row(&m, "pentium-4"), -ENOENT);
	assert_string_equal(m.name, "ccf:average");
}

static void row_names__every_aws_row(void **state)
{
	(void)state;
	assert_string_equal(cpu_model__row_names(),
			    "average, broadwell, cascade-lake, coffee-lake, epyc-1st-gen, "
			    "epyc-2nd-gen, epyc-3rd-gen, epyc-4th-gen, epyc-5th-gen, "
			    "emerald-rapids, granite-rapids, graviton2, graviton3, graviton3e, "
			    "graviton4, haswell, ice-lake, ivy-bridge, sandy-bridge, "
			    "sapphire-rapids, skylake");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(detect__skylake_m5),
		T(detect__cascade_m5),
		T(detect__cascade_azure),
		T(detect__cooper_metal),
		T(detect__broadwell_xen),
		T(detect__icelake_m6i),
		T(detect__sapphire_m7i),
		T(detect__coffee_mac1),
		T(detect__epyc1_m5a),
		T(detect__epyc2_gcp),
		T(detect__epyc3_m6a),
		T(detect__epyc4_m7a),
		T(detect__epyc5_metal),
		T(detect__graviton2_m6g),
		T(detect__graviton3_c7g),
		T(detect__graviton4_r8g),
		T(detect__altra_azure),
		T(detect__unknown_intel),
		T(detect__unknown_arm),
		T(detect__unknown__why_names_the_cpu),
		T(detect__known__why_names_row_table_cloud),
		T(detect__no_cpuinfo__average_and_errno),
		T(use_row__named__cloud_table_then_aws),
		T(row_names__every_aws_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
