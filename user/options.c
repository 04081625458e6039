// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's command line. Bad usage is reported here, once, with the flag named. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "carbon.h"
#include "counters.h"
#include "cpu_model.h"
#include "intensity.h"
#include "options.h"

enum {
	OPT_INTERVAL = 256,
	OPT_DURATION,
	OPT_OUTPUT,
	OPT_RAW_TP,
	OPT_MAX_PROCESSES,
	OPT_MAX_CGROUPS,
	OPT_MAX_LISTED_PROCESSES,
	OPT_COUNTERS,
	OPT_METER,
	OPT_SYSFS_ROOT,
	OPT_MODEL_CPU,
	OPT_MODEL_IDLE_W,
	OPT_MODEL_MAX_W,
	OPT_MODEL_W_PER_GIB,
	OPT_IDLE_WATTS,
	OPT_MAX_WATTS,
	OPT_IDLE_ATTRIBUTION,
	OPT_SHARE_BY,
	OPT_PUE,
	OPT_CARBON,
	OPT_GPU,
	OPT_GPU_IDLE_WATTS,
	OPT_CARBON_FILE,
	OPT_CARBON_MAX_AGE,
	OPT_EMBODIED,
	OPT_LIFETIME,
	OPT_POD_LOG_DIR,
	OPT_CONTAINER_LOG_DIR,
	OPT_CGROUP_ROOT,
	OPT_RETAIN,
	OPT_NODE_NAME,
	OPT_LISTEN,
	OPT_PROCESS_METRICS,
	OPT_WEB_CONFIG,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "raw-tracepoints", no_argument, NULL, OPT_RAW_TP },
	{ "max-processes", required_argument, NULL, OPT_MAX_PROCESSES },
	{ "max-cgroups", required_argument, NULL, OPT_MAX_CGROUPS },
	{ "max-listed-processes", required_argument, NULL, OPT_MAX_LISTED_PROCESSES },
	{ "counters", required_argument, NULL, OPT_COUNTERS },
	{ "meter", required_argument, NULL, OPT_METER },
	{ "sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT },
	{ "model-cpu", required_argument, NULL, OPT_MODEL_CPU },
	{ "model-idle-watts", required_argument, NULL, OPT_MODEL_IDLE_W },
	{ "model-max-watts", required_argument, NULL, OPT_MODEL_MAX_W },
	{ "model-watts-per-gib", required_argument, NULL, OPT_MODEL_W_PER_GIB },
	{ "idle-watts", required_argument, NULL, OPT_IDLE_WATTS },
	{ "max-watts", required_argument, NULL, OPT_MAX_WATTS },
	{ "idle-attribution", required_argument, NULL, OPT_IDLE_ATTRIBUTION },
	{ "share-by", required_argument, NULL, OPT_SHARE_BY },
	{ "pue", required_argument, NULL, OPT_PUE },
	{ "carbon-intensity", required_argument, NULL, OPT_CARBON },
	{ "gpu", required_argument, NULL, OPT_GPU },
	{ "gpu-idle-watts", required_argument, NULL, OPT_GPU_IDLE_WATTS },
	{ "carbon-intensity-file", required_argument, NULL, OPT_CARBON_FILE },
	{ "carbon-intensity-max-age", required_argument, NULL, OPT_CARBON_MAX_AGE },
	{ "embodied-kgco2e", required_argument, NULL, OPT_EMBODIED },
	{ "lifetime-years", required_argument, NULL, OPT_LIFETIME },
	{ "pod-log-dir", required_argument, NULL, OPT_POD_LOG_DIR },
	{ "container-log-dir", required_argument, NULL, OPT_CONTAINER_LOG_DIR },
	{ "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
	{ "retain", required_argument, NULL, OPT_RETAIN },
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "process-metrics", required_argument, NULL, OPT_PROCESS_METRICS },
	{ "web-config-file", required_argument, NULL, OPT_WEB_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{},
};

/* cpu_model's row names, wrapped at 80 columns and indented 28, for the usage text. */
static const char *row_list(void)
{
	static char out[1024];
	char names[512], *tok, *save = NULL;
	size_t len = 0, col = 0;

	snprintf(names, sizeof(names), "%s", cpu_model__row_names());
	for (tok = strtok_r(names, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (col && col + strlen(tok) + 2 > 80) {
			len += snprintf(out + len, sizeof(out) - len, ",\n");
			col = 0;
		}
		len += snprintf(out + len, sizeof(out) - len, "%*s%s", col ? 0 : 28,
				col ? ", " : "", tok);
		col = (col ? col + 2 : 28) + strlen(tok);
		if (len >= sizeof(out))
			return "";
	}
	snprintf(out + len, sizeof(out) - len, "\n");
	return out;
}

void options__usage(FILE *f, const char *prog)
{
	/* the help text flush left, as it prints */
	/* clang-format off */
	fprintf(f,
"Usage: %s [OPTIONS]\n"
"Per-process, per-cgroup and per-pod CPU time and energy, from eBPF.\n"
"\n"
"Collection:\n"
"  --interval SECONDS        collect every SECONDS (default 2)\n"
"  --duration SECONDS        stop after SECONDS; 0 runs until signalled (default 0)\n"
"  --output json|table|none  JSON Lines or a top-like table on stdout\n"
"                            (default: table on a terminal, else none)\n"
"  --max-processes N         per-process map size (default min(pid_max, %d))\n"
"  --max-cgroups N           per-cgroup map size (default %d)\n"
"  --max-listed-processes N  processes listed per document: the N busiest of the\n"
"                            interval; 0 lists every active one (default 1000)\n"
"  --counters LIST           perf counters read at context switch, up to %d:\n"
"                            %s\n"
"  --raw-tracepoints         use raw tracepoints even where tp_btf loads\n"
"  -v, --verbose             libbpf debug output and the verifier log\n"
"\n"
"Energy:\n"
"  --meter auto|rapl|hwmon|model   node energy source (default auto)\n"
"  --sysfs-root DIR          read powercap and hwmon below DIR (default /sys)\n"
"  --model-cpu auto|ROW      model: Cloud Carbon Footprint row for this CPU: auto\n"
"                            detects it (unknown CPUs get CCF's average); ROW is\n"
"%s"
"  --model-idle-watts W      model: idle watts per vCPU (default: the CPU's row)\n"
"  --model-max-watts W       model: full-load watts per vCPU (default: the CPU's row)\n"
"  --model-watts-per-gib W   model: watts per GiB of memory (default 0.392)\n"
"  --idle-watts W            node idle power; default: learned\n"
"  --max-watts W             reject readings above W (default 10000)\n"
"  --idle-attribution none|cpu     also split idle energy by CPU share (default none)\n"
"  --share-by cpu|cycles     split active energy by CPU time or cycles (default cpu)\n"
"  --pue X                   facility energy = IT energy x X (default 1.0)\n"
"  --carbon-intensity G      grid gCO2e per kWh; enables operational carbon\n"
"                            (default off)\n"
"  --carbon-intensity-file PATH  JSON file with the grid intensity in force, re-read\n"
"                            when it changes (docs/energy.md); --carbon-intensity\n"
"                            then stands in until the file is good\n"
"  --carbon-intensity-max-age SECONDS  older intensity values are flagged stale\n"
"                            (default 7200)\n"
"  --embodied-kgco2e KG      the node's embodied (manufacturing) carbon; enables\n"
"                            embodied carbon (default off)\n"
"  --lifetime-years Y        years embodied carbon is spread over (default 4,\n"
"                            Cloud Carbon Footprint's server lifespan)\n"
"  --gpu auto|nvml|off       NVIDIA GPU energy through NVML; auto uses it when\n"
"                            libnvidia-ml.so.1 loads (default auto)\n"
"  --gpu-idle-watts W        idle power of each GPU; default: learned\n"
"\n"
"Kubernetes:\n"
"  --pod-log-dir DIR         kubelet pod logs (default /var/log/pods)\n"
"  --container-log-dir DIR   kubelet container log links (default /var/log/containers)\n"
"  --cgroup-root DIR         where cgroup v2 is mounted, the root of the hierarchy\n"
"                            (default: from /proc/self/mountinfo)\n"
"  --retain SECONDS          keep a terminated pod's totals (default 600)\n"
"  --node-name NAME          node label (default $NODE_NAME, else the host name)\n"
"\n"
"Serving:\n"
"  --listen ADDR:PORT        HTTP address for /metrics and /api (default 127.0.0.1:9188):\n"
"                            a numeric IPv4 address, [IPv6], or :PORT for every IPv4\n"
"                            address; host names are not looked up; 'none': no server\n"
"  --process-metrics top:N   export per-process series for the top N (default off)\n"
"  --web-config-file PATH    TLS, client certificates and basic auth, in the Prometheus\n"
"                            exporter-toolkit format; reloaded on change and on SIGHUP\n"
"                            (default: none, plain HTTP)\n"
"\n"
"  -h, --help                this help\n"
"      --version             print the version\n",
		prog, WL_DEFAULT_MAX_PROCESSES, WL_DEFAULT_MAX_CGROUPS, WL_MAX_COUNTERS,
		counter__names(), row_list());
	/* clang-format on */
}

static int parse_listen(struct options *o, const char *s);

static void defaults(struct options *o)
{
	const char *node = getenv("NODE_NAME");

	memset(o, 0, sizeof(*o));
	o->interval_s = 2;
	o->output = isatty(STDOUT_FILENO) ? OUTPUT_TABLE : OUTPUT_NONE;
	o->max_cgroups = WL_DEFAULT_MAX_CGROUPS;
	o->max_listed_processes = 1000;
	strcpy(o->meter, "auto");
	strcpy(o->sysfs_root, "/sys");
	strcpy(o->model_cpu, "auto");
	o->model_idle_w = -1;
	o->model_max_w = -1;
	o->model_w_per_gib = 0.392;
	o->idle_watts = -1;
	o->max_watts = 10000;
	o->pue = 1.0;
	o->carbon_intensity = -1;
	strcpy(o->gpu, "auto");
	o->gpu_idle_watts = -1;
	o->carbon_intensity_max_age_s = 7200;
	o->embodied_kgco2e = -1;
	o->lifetime_years = CARBON_DEFAULT_LIFETIME_YEARS;
	strcpy(o->pod_log_dir, "/var/log/pods");
	strcpy(o->container_log_dir, "/var/log/containers");
	o->retain_s = 600;
	parse_listen(o, "127.0.0.1:9188");
	if (node && *node)
		snprintf(o->node_name, sizeof(o->node_name), "%s", node);
	else if (gethostname(o->node_name, sizeof(o->node_name) - 1))
		strcpy(o->node_name, "unknown");
}

static int bad(const char *flag, const char *val, const char *want)
{
	fprintf(stderr, "wattlet: invalid value '%s' for --%s: %s\n", val, flag, want);
	return -EINVAL;
}

static int parse_double(const char *flag, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max) {
		char want[96];

		snprintf(want, sizeof(want), "want a number from %g to %g", min, max);
		return bad(flag, s, want);
	}
	*out = v;
	return 0;
}

static int parse_u32(const char *flag, const char *s, __u32 min, __u32 max, __u32 *out)
{
	double v;
	int err = parse_double(flag, s, min, max, &v);

	if (err)
		return err;
	if (v != (__u32)v)
		return bad(flag, s, "want a whole number");
	*out = (__u32)v;
	return 0;
}

static int parse_choice(const char *flag, const char *s, const char *const *choices, int *out)
{
	for (int i = 0; choices[i]; i++) {
		if (!strcmp(s, choices[i])) {
			*out = i;
			return 0;
		}
	}
	return bad(flag, s, "see --help for the choices");
}

static int parse_path(const char *flag, const char *s, char *dst, size_t size)
{
	if (!*s || strlen(s) >= size)
		return bad(flag, s, "want a non-empty path");
	strcpy(dst, s);
	return 0;
}

static int parse_counters(struct options *o, const char *s)
{
	char buf[256], *tok, *save = NULL, want[160];

	if (strlen(s) >= sizeof(buf))
		return bad("counters", s, "list too long");
	strcpy(buf, s);
	o->nr_counters = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!counter__find(tok)) {
			snprintf(want, sizeof(want), "want one of %s", counter__names());
			return bad("counters", tok, want);
		}
		if (o->nr_counters == WL_MAX_COUNTERS) {
			snprintf(want, sizeof(want), "at most %d counters", WL_MAX_COUNTERS);
			return bad("counters", s, want);
		}
		strcpy(o->counters[o->nr_counters++], tok);
	}
	return 0;
}

/* "ADDR:PORT", "[IPV6]:PORT" or ":PORT" into host and port, nothing looked up yet. */
static int split_listen(const char *s, char *host, size_t hsz, const char **port, bool *v6)
{
	const char *colon, *h = s, *hend;

	*v6 = *s == '[';
	if (*v6) {
		hend = strchr(s, ']');
		if (!hend || hend[1] != ':')
			return -EINVAL;
		h = s + 1;
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', colon - s))
			return -EINVAL; /* an IPv6 address needs its brackets */
		hend = colon;
	}
	if ((size_t)(hend - h) >= hsz)
		return -EINVAL;
	snprintf(host, hsz, "%.*s", (int)(hend - h), h);
	*port = colon + 1;
	return 0;
}

static bool is_port(const char *s)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	return !errno && !*end && v <= 65535;
}

/*
 * Into the socket address the server binds. Numeric only (AI_NUMERICHOST):
 * a node agent's listen address should not wait on, or change with, DNS.
 */
static int parse_listen(struct options *o, const char *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	struct addrinfo *ai;
	const char *port;
	bool v6;

	if (!strcmp(s, "none")) {
		o->listen[0] = '\0';
		o->listen_addr_len = 0;
		return 0;
	}
	if (strlen(s) >= sizeof(o->listen) || split_listen(s, host, sizeof(host), &port, &v6))
		return bad("listen", s, "want ADDR:PORT, [IPV6]:PORT, :PORT or none");
	if (!is_port(port))
		return bad("listen", s, "want a port from 0 to 65535");
	hints.ai_family = v6 ? AF_INET6 : AF_INET;
	if (getaddrinfo(*host || v6 ? host : "0.0.0.0", port, &hints, &ai))
		return bad(
			"listen", s,
			v6 ? "want a numeric IPv6 address inside [ ]" :
			     "want a numeric IPv4 address, or [IPv6]; host names are not looked up");
	memcpy(&o->listen_addr, ai->ai_addr, ai->ai_addrlen);
	o->listen_addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	strcpy(o->listen, s);
	return 0;
}

static int parse_model_cpu(struct options *o, const char *s)
{
	struct cpu_model probe = { 0 };

	if (strcmp(s, "auto") && cpu_model__use_row(&probe, s))
		return bad("model-cpu", s, "want auto or a row named in --help");
	snprintf(o->model_cpu, sizeof(o->model_cpu), "%s", s);
	return 0;
}

static int parse_process_metrics(struct options *o, const char *s)
{
	__u32 n;

	if (strncmp(s, "top:", 4))
		return bad("process-metrics", s, "want top:N");
	if (parse_u32("process-metrics", s + 4, 1, 100000, &n))
		return -EINVAL;
	o->process_metrics_top = n;
	return 0;
}

static int parse_one(struct options *o, int c, const char *arg)
{
	static const char *const outputs[] = { "none", "json", "table", NULL };
	static const char *const meters[] = { "auto", "rapl", "hwmon", "model", NULL };
	static const char *const idles[] = { "none", "cpu", NULL };
	static const char *const shares[] = { "cpu", "cycles", NULL };
	static const char *const gpus[] = { "auto", "nvml", "off", NULL };
	int idx = 0, err;

	switch (c) {
	case OPT_INTERVAL:
		return parse_double("interval", arg, 0.05, 3600, &o->interval_s);
	case OPT_DURATION:
		return parse_double("duration", arg, 0, 1e9, &o->duration_s);
	case OPT_OUTPUT:
		err = parse_choice("output", arg, outputs, &idx);
		o->output = idx;
		return err;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_RAW_TP:
		o->raw_tracepoints = true;
		return 0;
	case OPT_MAX_PROCESSES:
		return parse_u32("max-processes", arg, 1, 1 << 24, &o->max_processes);
	case OPT_MAX_CGROUPS:
		return parse_u32("max-cgroups", arg, 1, 1 << 22, &o->max_cgroups);
	case OPT_MAX_LISTED_PROCESSES:
		return parse_u32("max-listed-processes", arg, 0, 1 << 24, &o->max_listed_processes);
	case OPT_COUNTERS:
		return parse_counters(o, arg);
	case OPT_METER:
		err = parse_choice("meter", arg, meters, &idx);
		if (!err)
			strcpy(o->meter, meters[idx]);
		return err;
	case OPT_SYSFS_ROOT:
		return parse_path("sysfs-root", arg, o->sysfs_root, sizeof(o->sysfs_root));
	case OPT_MODEL_CPU:
		return parse_model_cpu(o, arg);
	case OPT_MODEL_IDLE_W:
		return parse_double("model-idle-watts", arg, 0, 1000, &o->model_idle_w);
	case OPT_MODEL_MAX_W:
		return parse_double("model-max-watts", arg, 0, 1000, &o->model_max_w);
	case OPT_MODEL_W_PER_GIB:
		return parse_double("model-watts-per-gib", arg, 0, 100, &o->model_w_per_gib);
	case OPT_IDLE_WATTS:
		return parse_double("idle-watts", arg, 0, 1e6, &o->idle_watts);
	case OPT_MAX_WATTS:
		return parse_double("max-watts", arg, 1, 1e7, &o->max_watts);
	case OPT_IDLE_ATTRIBUTION:
		err = parse_choice("idle-attribution", arg, idles, &idx);
		o->idle_attribution = idx;
		return err;
	case OPT_SHARE_BY:
		err = parse_choice("share-by", arg, shares, &idx);
		o->share_by = idx;
		return err;
	case OPT_PUE:
		o->pue_set = true;
		return parse_double("pue", arg, 1.0, 10.0, &o->pue);
	case OPT_CARBON:
		return parse_double("carbon-intensity", arg, 0, INTENSITY_MAX_GRAMS_PER_KWH,
				    &o->carbon_intensity);
	case OPT_CARBON_FILE:
		return parse_path("carbon-intensity-file", arg, o->carbon_intensity_file,
				  sizeof(o->carbon_intensity_file));
	case OPT_CARBON_MAX_AGE:
		return parse_double("carbon-intensity-max-age", arg, 1, 1e9,
				    &o->carbon_intensity_max_age_s);
	case OPT_EMBODIED:
		return parse_double("embodied-kgco2e", arg, 0, 1e6, &o->embodied_kgco2e);
	case OPT_LIFETIME:
		return parse_double("lifetime-years", arg, 0.1, 100, &o->lifetime_years);
	case OPT_GPU:
		err = parse_choice("gpu", arg, gpus, &idx);
		if (!err)
			strcpy(o->gpu, gpus[idx]);
		return err;
	case OPT_GPU_IDLE_WATTS:
		return parse_double("gpu-idle-watts", arg, 0, 1e5, &o->gpu_idle_watts);
	case OPT_POD_LOG_DIR:
		return parse_path("pod-log-dir", arg, o->pod_log_dir, sizeof(o->pod_log_dir));
	case OPT_CONTAINER_LOG_DIR:
		return parse_path("container-log-dir", arg, o->container_log_dir,
				  sizeof(o->container_log_dir));
	case OPT_CGROUP_ROOT:
		return parse_path("cgroup-root", arg, o->cgroup_root, sizeof(o->cgroup_root));
	case OPT_RETAIN:
		return parse_double("retain", arg, 0, 1e7, &o->retain_s);
	case OPT_NODE_NAME:
		return parse_path("node-name", arg, o->node_name, sizeof(o->node_name));
	case OPT_LISTEN:
		return parse_listen(o, arg);
	case OPT_PROCESS_METRICS:
		return parse_process_metrics(o, arg);
	case OPT_WEB_CONFIG:
		return parse_path("web-config-file", arg, o->web_config_file,
				  sizeof(o->web_config_file));
	}
	return -EINVAL;
}

int options__parse(struct options *o, int argc, char **argv)
{
	int c;

	defaults(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		if (c == 'h') {
			options__usage(stdout, argv[0]);
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("wattlet %s\n", WATTLET_VERSION);
			return 1;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, "wattlet: unknown option or missing value: '%s'\n",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (parse_one(o, c, optarg))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "wattlet: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->model_max_w >= 0 && o->model_max_w < o->model_idle_w) {
		fprintf(stderr, "wattlet: --model-max-watts must be at least --model-idle-watts\n");
		return -EINVAL;
	}
	return 0;
}
