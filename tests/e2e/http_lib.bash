# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared by tests/e2e/http_*.sh: a scratch dir, child cleanup, the synthetic
# document server (tools/bench/http-fixture.c built against libwattlet.a) and
# the real agent started with a pod-shaped cgroup. Source it; not a test.

HTTP_PIDS=()
HTTP_CGROUPS=()
HTTP_TMP=$(mktemp -d /tmp/wattlet-http.XXXXXX)
# Debian's python3 has python3-prometheus-client; a pyenv shim first on PATH does not.
PY=/usr/bin/python3

http_cleanup() {
	local p cg
	for p in "${HTTP_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${HTTP_PIDS[@]}"; do
		timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null
		kill -9 "$p" 2>/dev/null
	done
	for ((i = ${#HTTP_CGROUPS[@]} - 1; i >= 0; i--)); do
		cg=${HTTP_CGROUPS[i]}
		[ -d "$cg" ] || continue
		if [ -f "$cg/cgroup.procs" ]; then
			while read -r p; do kill -9 "$p" 2>/dev/null; done <"$cg/cgroup.procs"
		fi
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; sleep 0.2; done
	done
	rm -rf "$HTTP_TMP"
}
trap http_cleanup EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root (BPF and cgroups)"
		exit 77
	fi
}

# Build the fixture next to the library the Makefile built with $WATTLET.
fixture_build() {
	local lib
	lib=$(dirname "$WATTLET")/libwattlet.a
	[ -f "$lib" ] || fail "no $lib: build first"
	# SANITIZE_FLAGS: the flags $lib was built with, for the sanitizer passes of tests/run.sh
	# shellcheck disable=SC2046,SC2086
	cc -O2 ${SANITIZE_FLAGS:-} -Iuser -Ibpf tools/bench/http-fixture.c "$lib" \
		$(pkg-config --libs libbpf jansson libmicrohttpd zlib yaml-0.1 gnutls nettle libcrypt) -lelf -lm -lpthread \
		-o "$HTTP_TMP/http-fixture" || fail "cannot build the fixture"
}

# fixture_start PODS [wattlet options]: sets PORT; its stdout goes to $HTTP_TMP/fixture.out.
fixture_start() {
	[ -x "$HTTP_TMP/http-fixture" ] || fixture_build
	rm -f "$HTTP_TMP/fixture.out" # truncated in the background: a second fixture must not read the first's port
	"$HTTP_TMP/http-fixture" "$@" --listen 127.0.0.1:0 --node-name e2e-node \
		>"$HTTP_TMP/fixture.out" 2>"$HTTP_TMP/fixture.err" &
	FIXTURE_PID=$!
	HTTP_PIDS+=("$FIXTURE_PID")
	for _ in $(seq 50); do
		PORT=$(awk '/^listening/ {print $2}' "$HTTP_TMP/fixture.out" 2>/dev/null)
		[ -n "$PORT" ] && return 0
		kill -0 "$FIXTURE_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$HTTP_TMP/fixture.err"
	fail "fixture did not start"
}

# Whether the process still serves: /healthz within 2 s.
serves() {
	[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" = 200 ]
}

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

. tests/cgroup2.sh	# cgroup2_root

# pod_cgroup UID CONTAINER_ID: a systemd-driver besteffort containerd pod; sets POD_CG.
pod_cgroup() {
	local root uid_ us=${1//-/_} qos
	root=$(cgroup2_root)
	[ -n "$root" ] || fail "no cgroup2 mount"
	qos=$root/kubepods.slice/kubepods-besteffort.slice
	for d in "$root/kubepods.slice" "$qos" "$qos/kubepods-besteffort-pod$us.slice" \
		"$qos/kubepods-besteffort-pod$us.slice/cri-containerd-$2.scope"; do
		if [ ! -d "$d" ]; then
			mkdir "$d" || fail "mkdir $d"
			HTTP_CGROUPS+=("$d")
		fi
	done
	POD_CG=$qos/kubepods-besteffort-pod$us.slice/cri-containerd-$2.scope
}

# fake_logs NS POD UID CONTAINER ID: the kubelet's log dirs, under $HTTP_TMP.
fake_logs() {
	mkdir -p "$HTTP_TMP/pods/$1_$2_$3/$4" "$HTTP_TMP/containers"
	touch "$HTTP_TMP/pods/$1_$2_$3/$4/0.log"
	ln -sf "$HTTP_TMP/pods/$1_$2_$3/$4/0.log" "$HTTP_TMP/containers/$2_$1_$4-$5.log"
}

# busy_in CGROUP: a busy loop in the cgroup; sets BUSY_PID.
busy_in() {
	sh -c "echo \$\$ > '$1/cgroup.procs' && exec sh -c 'while :; do :; done'" &
	BUSY_PID=$!
	HTTP_PIDS+=("$BUSY_PID")
}

# agent_start [options]: the real agent on a free port; sets PORT, AGENT_PID.
agent_start() {
	PORT=$(free_port)
	"$WATTLET" --listen "127.0.0.1:$PORT" --node-name e2e-node \
		--pod-log-dir "$HTTP_TMP/pods" --container-log-dir "$HTTP_TMP/containers" "$@" \
		>"$HTTP_TMP/agent.out" 2>"$HTTP_TMP/agent.err" &
	AGENT_PID=$!
	HTTP_PIDS+=("$AGENT_PID")
	for _ in $(seq 100); do
		[ "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && return 0
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.2
	done
	tail -20 "$HTTP_TMP/agent.err"
	fail "agent not ready on port $PORT within 20 s"
}

OM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

# exposition_compare PODS_MIN PODS_MAX PROCS: $HTTP_TMP/text and om parse (OpenMetrics
# strictly) to the same samples, with the series the issue names, a node label on each and
# no duplicates. Exit 3 when only values differ (a new document came between the fetches).
exposition_compare() {
	$PY - "$HTTP_TMP/text" "$HTTP_TMP/om" "$@" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families as text_parse
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse

def samples(families):
    out = {}
    for f in families:
        for s in f.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in out:
                sys.exit("duplicate series %s" % (key,))
            out[key] = s.value
    return out

text = samples(text_parse(open(sys.argv[1]).read()))
om = samples(om_parse(open(sys.argv[2]).read()))  # strict: raises on any violation
pods_min, pods_max, nprocs = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
if set(text) != set(om):
    sys.exit("text and OpenMetrics have different series, e.g. %s" % sorted(set(text) ^ set(om))[:3])
if text != om:
    print("values differ: a new document came between the two fetches")
    sys.exit(3)
need = ["wattlet_pod_cpu_seconds_total", "wattlet_pod_energy_joules_total", "wattlet_pod_power_watts",
        "wattlet_container_cpu_seconds_total", "wattlet_namespace_cpu_seconds_total",
        "wattlet_node_energy_joules_total", "wattlet_node_power_watts", "wattlet_node_cpu_seconds_total",
        "wattlet_build_info", "wattlet_collection_duration_seconds_bucket", "wattlet_bpf_overflow_drops_total",
        "wattlet_meter_read_errors_total", "wattlet_tracked_processes", "wattlet_tracked_cgroups",
        "wattlet_last_collection_timestamp_seconds", "wattlet_process_cpu_seconds_total"]
names = {k[0] for k in text}
missing = [n for n in need if n not in names]
if missing:
    sys.exit("missing series: %s" % missing)
pods = [k for k in text if k[0] == "wattlet_pod_cpu_seconds_total"]
procs = [k for k in text if k[0] == "wattlet_process_cpu_seconds_total"]
if not pods_min <= len(pods) <= pods_max or len(procs) != nprocs:
    sys.exit("want %d..%d pods and %d processes, got %d and %d"
             % (pods_min, pods_max, nprocs, len(pods), len(procs)))
bad = [k for k in text if ("node", "e2e-node") not in k[1]]
if bad:
    sys.exit("series without node label: %s" % bad[:3])
print("strict OpenMetrics parse: %d samples, same as text 0.0.4" % len(om))
EOF
}

# exposition_check PODS_MIN PODS_MAX PROCS: /metrics on $PORT in both formats.
# promtool 2.42 parses only text 0.0.4: on OpenMetrics it reads a counter
# family "foo" (TYPE without _total, as OpenMetrics requires) apart from its
# "foo_total" samples and says "foo_total no help text". That finding, and
# only for counters the document declares with HELP and TYPE, is expected.
exposition_check() {
	local url=http://127.0.0.1:$PORT/metrics out unexpected rc=3
	for _ in 1 2 3 4 5; do
		curl -sf -D "$HTTP_TMP/text.h" -o "$HTTP_TMP/text" "$url" || fail "GET /metrics"
		curl -sf -D "$HTTP_TMP/om.h" -H "Accept: $OM_ACCEPT" -o "$HTTP_TMP/om" "$url" ||
			fail "GET /metrics (OpenMetrics)"
		exposition_compare "$@"
		rc=$?
		[ $rc = 3 ] || break
	done
	[ $rc = 0 ] || fail "parsers disagree or reject the output"
	grep -qi '^content-type: text/plain; version=0.0.4' "$HTTP_TMP/text.h" ||
		fail "text content type: $(grep -i content-type "$HTTP_TMP/text.h")"
	grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$HTTP_TMP/om.h" ||
		fail "OpenMetrics content type: $(grep -i content-type "$HTTP_TMP/om.h")"

	out=$(promtool check metrics <"$HTTP_TMP/text" 2>&1) || fail "promtool on text 0.0.4: $out"
	[ -z "$out" ] || fail "promtool on text 0.0.4 reported: $out"
	echo "promtool text 0.0.4: clean ($(grep -vc '^#' "$HTTP_TMP/text") samples)"

	out=$(promtool check metrics <"$HTTP_TMP/om" 2>&1)
	unexpected=$(printf '%s\n' "$out" | while read -r name rest; do
		[ -n "$name" ] || continue
		fam=${name%_total}
		if [ "$rest" = "no help text" ] && [ "$fam" != "$name" ] &&
			grep -q "^# TYPE $fam counter$" "$HTTP_TMP/om" && grep -q "^# HELP $fam " "$HTTP_TMP/om"; then
			continue
		fi
		echo "$name $rest"
	done)
	[ -z "$unexpected" ] || fail "promtool on OpenMetrics reported: $unexpected"
	echo "promtool OpenMetrics: only the expected counter-family notes ($(printf '%s\n' "$out" | grep -c .))"
}

# A control beside the fixture: a process of its own that ticks every 0.5 s as the fixture's
# publishing loop does and counts its own late ticks. When the machine stalls (other jobs,
# the hypervisor), both are late; when the server stalls the loop, only the fixture is.
control_start() {
	$PY - "$HTTP_TMP/control.out" <<'EOF' &
import os, signal, sys, time
out, late, worst, n = sys.argv[1], 0, 0.0, 0
def report(*_):
    with open(out, "w") as f:
        f.write("control %d late_100ms %d max_ms %.3f\n" % (n, late, worst * 1e3))
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
nxt = time.monotonic()
while True:
    nxt += 0.5
    time.sleep(max(0, nxt - time.monotonic()))
    dev = abs(time.monotonic() - nxt)
    n, late, worst = n + 1, late + (dev > 0.1), max(worst, dev)
EOF
	CONTROL_PID=$!
	HTTP_PIDS+=("$CONTROL_PID")
}

# After the fixture stopped: its publishing loop stayed on time, against the control's
# ticks (control_start) when there is one: at most 10% of ticks more than 100 ms late
# beyond the control's late ticks, none later than 1 s beyond the control's worst.
publisher_on_time() {
	local n mean max late cl=0 cmax=0
	read -r _ n _ mean _ max _ _ _ late < <(grep '^intervals' "$HTTP_TMP/fixture.out")
	[ -n "${late:-}" ] || fail "publisher did not report"
	if [ -n "${CONTROL_PID:-}" ]; then
		kill "$CONTROL_PID" 2>/dev/null
		timeout 5 tail --pid="$CONTROL_PID" -f /dev/null
		read -r _ _ _ cl _ cmax < "$HTTP_TMP/control.out" || fail "the control did not report"
	fi
	echo "publishing: $n ticks, mean deviation $mean ms, max $max ms, $late more than 100 ms late" \
		"(control process: $cl late, max $cmax ms)"
	if [ -n "${E2E_SANITIZED:-}" ]; then # a sanitizer build is 2-3x slower: not judged on time
		echo "note: sanitizer build, publishing times not judged"
		return 0
	fi
	awk -v n="$n" -v m="$max" -v l="$late" -v cl="$cl" -v cm="$cmax" \
		'BEGIN { exit !(n > 0 && l <= n / 10 + cl && m < 1000 + cm) }' ||
		fail "publishing did not stay on time"
}
