#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The image (make image: $OUTPUT/wattlet-image.tar) run by a real runtime, the way the
# DaemonSet runs it, naming real containers. The test's own containerd (Debian's, through
# ctr and runc) imports the archive and runs:
#   - the agent, with the DaemonSet's args, env, securityContext and volume mounts read from
#     the rendered manifests: every capability dropped but the added ones, read-only root, no
#     new privileges, the runtime's default seccomp profile, the host PID namespace (joined
#     through containerd's own PID: /proc/1/ns may be unreadable), a network namespace of its
#     own, /sys read-only (recursively where runc can) at /host/sys, and the kubelet's log
#     directories. Its cgroup limits are the DaemonSet's, and it runs as a burstable pod.
#   - two pods the way the kubelet has containerd run them: a sandbox (pause) container and
#     the pod's containers, each in its own cgroup under the pod's, with kubelet-style
#     /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log files (the containers' own output)
#     and /var/log/containers/<pod>_<ns>_<container>-<id>.log links. One pod uses the systemd
#     driver's layout (kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/
#     cri-containerd-<id>.scope), one the cgroupfs driver's (kubepods/besteffort/pod<uid>/<id>).
#     runc makes both with its cgroupfs driver, given the paths: its systemd driver needs a
#     systemd, which these machines do not run.
# On a hybrid host runc's cgroupfs driver also makes each cgroup under the unified (v2) mount and
# moves the task there, as /proc/PID/cgroup's "0::" line shows; the test checks that it did.
# The host paths of the two log volumes are this test's own directories, mounted at the
# DaemonSet's mountPaths; /sys is the real one.
# Ground truth: each pod's and container's cgroup cpu.stat, /proc/PID/status and mountinfo of
# the agent, the runtime's exit codes.
set -uo pipefail
. tests/deploy/lib.sh
. tests/deploy/containerd.bash
need_root "containerd, cgroups and BPF"

OUT=${OUTPUT:-build}	# where make image wrote the archives
IMAGE=$OUT/wattlet-image.tar
TOLERANCE=0.01		# each pod's CPU against its cgroup's cpu.stat

# Pods: NAMESPACE POD LAYOUT QOS, then CONTAINER:CPU_SECONDS:PROCESSES for each container.
PODS=(
	"shop cart systemd burstable app:1.5:1 sidecar:0.4:2"
	"batch report cgroupfs besteffort worker:1:2"
)

need_runtime() {
	command -v containerd >/dev/null && command -v ctr >/dev/null && command -v runc >/dev/null ||
		apt_install containerd runc
}

# The container cgroup of id $3 in pod uid $2 under layout $1 and qos $4, relative to the root.
pod_cgroup() {
	local layout=$1 uid=$2 qos=$3
	case $layout/$qos in
	systemd/guaranteed) echo "/kubepods.slice/kubepods-pod${uid//-/_}.slice" ;;
	systemd/*) echo "/kubepods.slice/kubepods-$qos.slice/kubepods-$qos-pod${uid//-/_}.slice" ;;
	cgroupfs/guaranteed) echo "/kubepods/pod$uid" ;;
	cgroupfs/*) echo "/kubepods/$qos/pod$uid" ;;
	esac
}

container_cgroup() {
	case $1 in
	systemd) echo "$2/cri-containerd-$3.scope" ;;
	cgroupfs) echo "$2/$3" ;;
	esac
}

hex64() {
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# The log directory and link the kubelet keeps for a container.
kubelet_logs() { # NS POD UID CONTAINER ID
	mkdir -p "$T/pods/$1_$2_$3/$4" &&
		ln -s "/var/log/pods/$1_$2_$3/$4/0.log" "$T/containers/$2_$1_$4-$5.log"
}

# Run a pod: its sandbox, then its containers, under LAYOUT's cgroups; records each in $T/pods.tsv
# (NS POD UID LAYOUT POD_CGROUP CONTAINER ID CONTAINER_CGROUP).
run_pod() {
	local ns=$1 pod=$2 layout=$3 qos=$4 uid pcg sid c name secs procs id ccg
	shift 4
	uid=$(cat /proc/sys/kernel/random/uuid)
	pcg=$(pod_cgroup "$layout" "$uid" "$qos")
	sid=$(hex64)
	ctr_ run -d --rootfs --read-only --cgroup "$(container_cgroup "$layout" "$pcg" "$sid")" \
		"$T/workload" "$sid" /spin pause >/dev/null || return 1
	echo "$ns $pod $uid $layout $pcg (sandbox) $sid $(container_cgroup "$layout" "$pcg" "$sid")" >>"$T/pods.tsv"
	for c in "$@"; do
		IFS=: read -r name secs procs <<<"$c"
		id=$(hex64)
		ccg=$(container_cgroup "$layout" "$pcg" "$id")
		kubelet_logs "$ns" "$pod" "$uid" "$name" "$id" || return 1
		ctr_ run -d --rootfs --read-only --cgroup "$ccg" \
			--log-uri "file://$T/pods/${ns}_${pod}_${uid}/$name/0.log" \
			"$T/workload" "$id" /spin "$secs" "$procs" >/dev/null || return 1
		echo "$ns $pod $uid $layout $pcg $name $id $ccg" >>"$T/pods.tsv"
	done
}

spec() {
	python3 -c "import json; s = json.load(open('$T/spec.json'))
$1"
}

# ctr flags for the DaemonSet's container, minus the capabilities in $1 (for the runs without one).
agent_flags() {
	local without=${1:-} cap m src dst opts
	spec 's["privileged"] and print("--privileged")'
	spec 's["readOnlyRoot"] and print("--read-only")'
	spec 's["noNewPrivs"] or print("--allow-new-privs")'
	[ "$(spec 'print(s["seccomp"])')" = RuntimeDefault ] && echo --seccomp
	if spec 'import sys; sys.exit("ALL" not in s["dropCapabilities"])'; then
		for cap in $(runtime_default_capabilities); do echo --cap-drop; echo "$cap"; done
	fi
	for cap in $(spec 'print(" ".join(s["capabilities"]))'); do
		[ "$cap" = "$without" ] || { echo --cap-add; echo "CAP_$cap"; }
	done
	[ "$(spec 'print(s["hostPID"])')" = True ] && { echo --with-ns; echo "pid:/proc/$CTD_PID/ns/pid"; }
	echo --with-ns; echo "network:/run/netns/$NETNS"
	spec 'for k, v in s["env"].items(): print("--env"); print(f"{k}={v}")'
	# Limits as the kubelet sets them: CFS quota per 100 ms period, memory in bytes.
	spec 'print("--cpu-period\n100000\n--cpu-quota"); print(round(s["limits"]["cpu"] * 100000))'
	spec 'print("--memory-limit"); print(int(s["limits"]["memory"]))'
	while read -r src dst opts; do
		echo --mount
		echo "type=bind,src=$src,dst=$dst,options=$opts"
	done <"$T/mounts"
}

# Each volume: its hostPath (the log dirs remapped to this test's), at its mountPath.
plan_mounts() {
	local rro=
	runc_has_rro && rro=:rro
	spec 'for m in s["mounts"]: print(m["hostPath"], m["mountPath"], "ro" if m["readOnly"] else "rw", m["recursiveReadOnly"])' |
		while read -r src dst ro rec; do
			case $src in
			/sys) ;;
			/var/log/pods) src=$T/pods ;;
			/var/log/containers) src=$T/containers ;;
			*) echo "the DaemonSet mounts hostPath $src, which this test does not provide" >&2; return 1 ;;
			esac
			case $rec in
			Enabled) [ -n "$rro" ] || { echo "recursiveReadOnly: Enabled, and runc has no rro" >&2; return 1; } ;&
			IfPossible) echo "$src $dst rbind:$ro$rro" ;;
			*) echo "$src $dst rbind:$ro" ;;
			esac
		done >"$T/mounts"
}

# The agent's command: the image's entrypoint (or the DaemonSet's command), then its args.
agent_command() {
	if [ "$(spec 'print(s["command"] is not None)')" = True ]; then
		spec 'print("\n".join(s["command"]))'
	else
		python3 - "$IMAGE" <<-'EOF'
		import json, sys, tarfile
		t = tarfile.open(sys.argv[1])
		cfg = json.load(t.extractfile(json.load(t.extractfile("manifest.json"))[0]["Config"]))
		print("\n".join(cfg["config"]["Entrypoint"]))
		EOF
	fi
	spec 'print("\n".join(s["args"]))'
}

# Start the DaemonSet's pod on this node: a sandbox and the agent, as a burstable pod.
start_agent() {
	local ns pod uid pcg sid
	ns=$(spec 'print(s["namespace"])')
	pod="$(spec 'print(s["daemonset"])')-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-5)"
	CNAME=$(spec 'print(s["container"])')
	uid=$(cat /proc/sys/kernel/random/uuid)
	pcg=$(pod_cgroup systemd "$uid" burstable)
	sid=$(hex64) AGENT=$(hex64)
	AGENT_CG=$(container_cgroup systemd "$pcg" "$AGENT")
	AGENT_POD="$ns $pod"
	ctr_ run -d --rootfs --read-only --cgroup "$(container_cgroup systemd "$pcg" "$sid")" \
		"$T/workload" "$sid" /spin pause >/dev/null || return 1
	kubelet_logs "$ns" "$pod" "$uid" "$CNAME" "$AGENT" || return 1
	echo "$ns $pod $uid systemd $pcg (sandbox) $sid $(container_cgroup systemd "$pcg" "$sid")" >>"$T/pods.tsv"
	echo "$ns $pod $uid systemd $pcg $CNAME $AGENT $AGENT_CG" >>"$T/pods.tsv"
	mapfile -t flags < <(agent_flags)
	mapfile -t cmd < <(agent_command)
	AGENT_T0=$SECONDS
	ctr_ run -d "${flags[@]}" --cgroup "$AGENT_CG" \
		--log-uri "file://$T/pods/${ns}_${pod}_${uid}/$CNAME/0.log" \
		"$REF" "$AGENT" "${cmd[@]}" >/dev/null
}

imported_as_version() {
	[ "$REF" = "localhost/wattlet:$(make -s version)" ] || { echo "imported $REF"; return 1; }
}

version_in_image() {
	local got
	got=$(ctr_ run --rm --read-only "$REF" version /usr/bin/wattlet --version 2>&1)
	echo "$got"
	[ "$got" = "wattlet $(make -s version)" ]
}

in_netns() {
	ip netns exec "$NETNS" "$@"
}

wait_ready() {
	local i code
	for ((i = 0; i < 150; i++)); do
		code=$(in_netns curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT$READINESS")
		[ "$code" = 200 ] && return 0
		[ "$(task_status "$AGENT")" = RUNNING ] || break
		sleep 0.2
	done
	echo "$READINESS answered ${code:-nothing}; the agent's log:"
	tail -20 "$T"/pods/*/"$CNAME"/0.log
	return 1
}

# /proc/PID/status of the agent: exactly the added capabilities, no new privileges, a seccomp
# filter, uid 0; the capability numbers come from the kernel's uapi header.
agent_confined() {
	local pid=$1 want=0 cap n
	for cap in $(spec 'print(" ".join(s["capabilities"]))'); do
		n=$(awk -v c="CAP_$cap" '$1 == "#define" && $2 == c { print $3 }' /usr/include/linux/capability.h)
		[ -n "$n" ] || { echo "no CAP_$cap in /usr/include/linux/capability.h"; return 1; }
		want=$((want | (1 << n)))
	done
	awk -v want="$(printf '%016x' "$want")" -v uid="$(spec 'print(s["runAsUser"])')" '
		function need(k, v) { if (got[k] != v) { printf "%s %s, want %s\n", k, got[k], v; bad = 1 } }
		{ got[$1] = $2 }
		END {
			need("CapEff:", want); need("CapPrm:", want); need("CapBnd:", want)
			need("CapInh:", "0000000000000000"); need("CapAmb:", "0000000000000000")
			need("NoNewPrivs:", "1"); need("Seccomp:", "2"); need("Uid:", uid)
			exit bad }' "/proc/$pid/status"
}

# The agent's namespaces: the host's PIDs (containerd's), this test's network, a mount ns of its own.
agent_namespaces() {
	local pid=$1
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$CTD_PID/ns/pid")" ] ||
		{ echo "pid ns $(readlink "/proc/$pid/ns/pid"), containerd's $(readlink "/proc/$CTD_PID/ns/pid")"; return 1; }
	[ "$(stat -L -c %i "/proc/$pid/ns/net")" = "$(stat -L -c %i "/run/netns/$NETNS")" ] ||
		{ echo "net ns is not $NETNS"; return 1; }
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] || { echo "host mount ns"; return 1; }
}

# mountinfo of the agent: a read-only root; each volume at its mountPath read-only, and every
# mount below a recursively read-only one read-only too.
agent_mounts() {
	local pid=$1
	awk -v plan="$T/mounts" '
		BEGIN { while ((getline l < plan) > 0) { split(l, f, " "); want[f[2]] = f[3] } }
		{ opts[$5] = $6; mnt[NR] = $5 }
		END {
			if (opts["/"] !~ /^ro(,|$)/) { print "root is " opts["/"]; bad = 1 }
			for (d in want) {
				if (!(d in opts)) { print "no mount at " d; bad = 1; continue }
				if (want[d] ~ /:ro/ && opts[d] !~ /^ro(,|$)/) { print d " is " opts[d]; bad = 1 }
				if (want[d] !~ /rro/) continue
				for (i in mnt) if (index(mnt[i], d "/") == 1 && opts[mnt[i]] !~ /^ro(,|$)/) {
					print mnt[i] " under " d " is " opts[mnt[i]]; bad = 1 }
			}
			exit bad }' "/proc/$pid/mountinfo"
}

# Every task of a pod in the cgroup the pod table names, in cgroup2 (0::) as in the v1 hierarchies.
tasks_placed() {
	local ns pod uid layout pcg name id ccg pid line
	while read -r ns pod uid layout pcg name id ccg; do
		pid=$(task_pid "$id")
		[ -n "$pid" ] && [ "$pid" != 0 ] || continue
		while IFS= read -r line; do
			[ "${line#*:*:}" = "$ccg" ] || { echo "$ns/$pod $name: /proc/$pid/cgroup has $line, want $ccg"; return 1; }
		done <"/proc/$pid/cgroup"
	done <"$T/pods.tsv"
}

wait_workloads() {
	local ns pod uid layout pcg name id ccg
	while read -r ns pod uid layout pcg name id ccg; do
		[ "$name" = "(sandbox)" ] || [ "$id" = "$AGENT" ] || wait_stopped "$id" 60 || return 1
	done <"$T/pods.tsv"
}

cpu_stat() {
	awk '$1 == "usage_usec" { printf "%.6f\n", $2 / 1e6 }' "$CG2$1/cpu.stat"
}

# The figures to compare, one line each: KIND NS POD CONTAINER TRUTH METRIC API.
collect() {
	local ns pod uid layout pcg name id ccg
	in_netns curl -s --max-time 5 -o "$T/metrics.prom" "http://127.0.0.1:$PORT/metrics"
	echo "liveness $(in_netns curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT$LIVENESS")" >>"$T/results"
	echo "agent cpu $(cpu_stat "$AGENT_CG") $((SECONDS - AGENT_T0))" >>"$T/results"
	in_netns curl -s --max-time 5 -o "$T/api-pods.json" "http://127.0.0.1:$PORT/api/v1/pods"
	while read -r ns pod uid layout pcg name id ccg; do
		# The agent's own pod: its CPU before its programs attached is in cpu.stat only.
		[ "$ns $pod" = "$AGENT_POD" ] && continue
		[ "$name" = "(sandbox)" ] && echo "pod $ns $pod - $layout $(cpu_stat "$pcg")" >>"$T/truth"
		[ "$name" = "(sandbox)" ] || echo "container $ns $pod $name $layout $(cpu_stat "$ccg")" >>"$T/truth"
	done <"$T/pods.tsv"
	# kubectl exec DS -- wattctl: the CLI from the image, in the agent's container.
	read -r ns pod _ <<<"$AGENT_POD"
	ctr_ tasks exec --exec-id wattctl "$AGENT" /usr/bin/wattctl -o json get pod shop/cart \
		>"$T/wattctl.json" 2>&1
	echo "wattctl exit $?" >>"$T/results"
	ctr_ tasks exec --exec-id shell "$AGENT" /bin/sh -c true >"$T/shell.log" 2>&1
	echo "shell exit $?" >>"$T/results"
}

# SIGTERM, as the kubelet stops a pod; the peak memory is read before runc removes the cgroup.
stop_agent() {
	ctr_ tasks kill -s SIGTERM "$AGENT"
	wait_stopped "$AGENT" 15
	echo "agent peak memory $(memory_peak "$AGENT_CG")" >>"$T/results"
	ctr_ tasks delete "$AGENT" >/dev/null 2>&1
	echo "agent exit $?" >>"$T/results"
}

# A cgroup's peak memory, kernel memory (BPF maps) included: v1's memory controller on a
# hybrid host, else cgroup2's memory.peak.
memory_peak() {
	cat "/sys/fs/cgroup/memory$1/memory.max_usage_in_bytes" 2>/dev/null || cat "$CG2$1/memory.peak"
}

# The agent's cgroup holds the DaemonSet's limits: v1 files on a hybrid host, else cgroup2's.
agent_limits() {
	local cg=$1 mem quota period
	if [ -d "/sys/fs/cgroup/memory$cg" ]; then
		mem=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")
		quota=$(cat "/sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us") period=$(cat "/sys/fs/cgroup/cpu$cg/cpu.cfs_period_us")
	else
		mem=$(cat "$CG2$cg/memory.max")
		read -r quota period <"$CG2$cg/cpu.max"
	fi
	echo "memory $mem bytes, cpu $quota/$period"
	[ "$mem" = "$(spec 'print(int(s["limits"]["memory"]))')" ] &&
		awk -v q="$quota" -v p="$period" -v want="$(spec 'print(s["limits"]["cpu"])')" 'BEGIN { exit !(q / p == want) }'
}

# Each added capability is needed: the agent with one of them fewer, otherwise the same.
without_each_capability() {
	local cap flags cmd
	for cap in $(spec 'print(" ".join(s["capabilities"]))'); do
		mapfile -t flags < <(agent_flags "$cap")
		mapfile -t cmd < <(agent_command)
		timeout 60 ctr --address "$CTD_SOCK" --namespace "$CTD_NS" run --rm "${flags[@]}" \
			"$REF" "without-$cap" "${cmd[@]}" --duration=1 >"$T/without-$cap.log" 2>&1
		echo "without $cap exit $?" >>"$T/results"
	done
}

evaluate() {
	local kind ns pod name layout truth got
	check "liveness probe $LIVENESS answers 200" grep -qx "liveness 200" "$T/results"
	check "promtool check metrics reports nothing on the scrape" promtool_clean "$T/metrics.prom"
	check "every series has node=\"$NODE\" (NODE_NAME from the downward API)" awk -v want="node=\"$NODE\"" '
		!/^#/ && NF && index($0, want) == 0 { print "no node label: " $0; bad = 1 } END { exit bad }' "$T/metrics.prom"
	while read -r kind ns pod name layout truth; do
		if [ "$kind" = pod ]; then
			got=$(sample "$T/metrics.prom" wattlet_pod_cpu_seconds_total "namespace=\"$ns\"" "pod=\"$pod\"")
			measure "pod $ns/$pod ($layout layout) CPU within 1% of its cgroup's cpu.stat" \
				close "$got" "$truth" "$TOLERANCE" 0
			measure "API /api/v1/pods: $ns/$pod CPU within 1% of cpu.stat" close \
				"$(api_pod_cpu "$ns" "$pod")" "$truth" "$TOLERANCE" 0
		else
			got=$(sample "$T/metrics.prom" wattlet_container_cpu_seconds_total "namespace=\"$ns\"" \
				"pod=\"$pod\"" "container=\"$name\"")
			measure "container $ns/$pod/$name named, CPU within 1% of its cgroup's cpu.stat" \
				close "$got" "$truth" "$TOLERANCE" 0
		fi
	done <"$T/truth"
	read -r ns pod <<<"$AGENT_POD"
	check "the agent names its own pod $ns/$pod, container $CNAME" \
		sample "$T/metrics.prom" wattlet_container_cpu_seconds_total "namespace=\"$ns\"" "pod=\"$pod\"" "container=\"$CNAME\""
	check "wattctl from the image (ctr exec) gets shop/cart" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
items = d.get("items", [d])
assert any(p.get("namespace") == "shop" and p.get("name", p.get("pod")) == "cart" for p in items), d' "$T/wattctl.json"
	check "the image has no shell: exec /bin/sh fails" awk '/^shell exit/ { exit $3 == 0 }' "$T/results"
	check "each container's 0.log holds its own output" logs_written
	check "the agent stopped cleanly on SIGTERM" grep -qx "agent exit 0" "$T/results"
	awk '/^agent cpu/ { printf "    agent CPU: %.3f cores (%.2f s in %d s, BPF load included; the limit is enforced)\n", $3 / $4, $3, $4 }' "$T/results"
	measure "peak memory (RSS + kernel, BPF maps included) under the DaemonSet's limit" awk -v lim="$(spec 'print(int(s["limits"]["memory"]))')" '
		/^agent peak memory/ { m = $4 }
		END { printf "%.1f MiB of %.0f MiB\n", m / 1048576, lim / 1048576; exit !(m > 0 && m < lim) }' "$T/results"
	for cap in $(spec 'print(" ".join(s["capabilities"]))'); do
		check "without CAP_$cap the agent refuses to run, naming it" \
			awk -v c="without $cap exit" -v logf="$T/without-$cap.log" -v cap="CAP_$cap" '
			index($0, c) == 1 && $NF != 0 { failed = 1 }
			END { while ((getline l < logf) > 0) { print l; if (index(l, cap)) named = 1 }
				exit !(failed && named) }' "$T/results"
	done
}

logs_written() {
	local ns pod uid layout pcg name id ccg
	while read -r ns pod uid layout pcg name id ccg; do
		[ "$name" = "(sandbox)" ] || [ "$id" = "$AGENT" ] && continue
		grep -qx done "$T/pods/${ns}_${pod}_${uid}/$name/0.log" || { echo "$ns/$pod/$name: no 'done' in 0.log"; return 1; }
	done <"$T/pods.tsv"
}

promtool_clean() {
	local out
	out=$(promtool check metrics <"$1" 2>&1) && [ -z "$out" ] || { echo "$out"; return 1; }
}

# The cross-built arm64 archive is an image containerd takes for linux/arm64. Run here, it
# fails with exec format error, unless the machine emulates arm64 (binfmt_misc): then it
# prints the version.
arm64_image() {
	local archive=$OUT/wattlet-image-arm64.tar ref platform out
	ref="localhost/wattlet:$(make -s version)"
	[ -f "$archive" ] || { echo "no $archive (make image IMAGE_ARCH=arm64)"; return 1; }
	ctr_ images import --platform linux/arm64 "$archive" >/dev/null || return 1
	platform=$(ctr_ images ls | awk -v r="$ref" '$1 == r { print $(NF - 1) }')
	[ "$platform" = linux/arm64 ] || { echo "$ref is for ${platform:-nothing}"; return 1; }
	out=$(ctr_ run --rm --platform linux/arm64 "$ref" arm64-version /usr/bin/wattlet --version 2>&1)
	echo "$ref: $platform; run here: $out"
	case $out in
	*"exec format error"* | "wattlet $(make -s version)") ;;
	*) return 1 ;;
	esac
}

api_pod_cpu() {
	python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["items"]:
    if p.get("namespace") == sys.argv[2] and p.get("name") == sys.argv[3]:
        print(p["cpu_seconds_total"])' "$T/api-pods.json" "$1" "$2"
}

# close GOT WANT REL ABS: |GOT - WANT| <= max(REL * WANT, ABS)
close() {
	awk -v got="$1" -v want="$2" -v rel="$3" -v abs="$4" 'BEGIN {
		if (got == "" || want == "") { print "missing value: got=" got " want=" want; exit 1 }
		d = got - want; if (d < 0) d = -d
		tol = rel * want; if (tol < abs) tol = abs
		printf "got %s, want %s (off by %.3f%%, tolerance %.3g)\n", got, want, 100 * d / want, tol
		exit !(d <= tol) }'
}

remove_pod_cgroups() {
	local ns pod uid layout pcg rest h
	[ -f "$T/pods.tsv" ] || return 0
	while read -r ns pod uid layout pcg rest; do
		for h in /sys/fs/cgroup/*/ "$CG2/"; do
			remove_cgroups "$h${pcg#/}"
		done
	done <"$T/pods.tsv"
	for h in /sys/fs/cgroup/*/ "$CG2/"; do	# the QoS and kubepods levels, once empty
		rmdir "$h"kubepods.slice/kubepods-*.slice "$h"kubepods.slice "$h"kubepods/* "$h"kubepods 2>/dev/null
	done
}

cleanup() {
	stop_containerd
	ip netns delete "$NETNS" 2>/dev/null
	remove_pod_cgroups
	rm -rf "$T"
}

main() {
	local t0=$SECONDS
	if ! [ -f "$IMAGE" ]; then
		echo "FAIL: no $IMAGE; run make image"
		[ -f "$OUT/image.log" ] && tail -5 "$OUT/image.log"
		exit 1
	fi
	need_runtime || { echo "FAIL: no containerd and could not install it"; exit 1; }
	need_kubectl || { echo "FAIL: no kubectl"; exit 1; }
	need_node_modules || { echo "FAIL: no node modules"; exit 1; }
	T=$(mktemp -d /tmp/wattlet-image-ctd.XXXXXX)
	NETNS=wattlet-e2e-$$ CG2=$(cgroup2_root) NODE="wattlet-ctd-$$"
	trap cleanup EXIT
	mkdir -p "$T/pods" "$T/containers" "$T/workload" && : >"$T/results"
	gcc -static -O2 -o "$T/workload/spin" tests/deploy/spin.c || { echo "FAIL: cannot build the workload"; exit 1; }
	render_base >"$T/rendered.yaml" &&
		node "$DEPLOY_TOOLS/daemonset.js" spec "NODE_NAME=$NODE" <"$T/rendered.yaml" >"$T/spec.json" ||
		{ echo "FAIL: cannot read the DaemonSet"; exit 1; }
	# The hybrid-host patch docs/install.md gives: cgroup2 is at /sys/fs/cgroup/unified here.
	if [ "$CG2" = /sys/fs/cgroup/unified ]; then
		python3 -c 'import json, sys; p = sys.argv[1]; s = json.load(open(p))
s["args"] = [a.replace("--cgroup-root=/host/sys/fs/cgroup", "--cgroup-root=/host/sys/fs/cgroup/unified") for a in s["args"]]
json.dump(s, open(p, "w"))' "$T/spec.json"
		echo "    hybrid host: --cgroup-root=/host/sys/fs/cgroup/unified (docs/install.md, Troubleshooting)"
	fi
	PORT=$(spec 'print(s["port"])') READINESS=$(spec 'print(s["readiness"])') LIVENESS=$(spec 'print(s["liveness"])')
	INTERVAL=$(spec 'print(next((a.split("=", 1)[1] for a in s["args"] if a.startswith("--interval=")), 2))')
	plan_mounts || { echo "FAIL: cannot map the DaemonSet's volumes"; exit 1; }
	start_containerd "$T" || { echo "FAIL: containerd"; exit 1; }
	echo "    $(containerd --version | cut -d' ' -f1,3), $(runc --version | head -1), kernel $(uname -r)"
	ip netns add "$NETNS" && ip -n "$NETNS" link set lo up || { echo "FAIL: no network namespace"; exit 1; }
	ctr_ images import "$IMAGE" >"$T/import.log" 2>&1 || { cat "$T/import.log"; echo "FAIL: import"; exit 1; }
	REF=$(ctr_ images ls -q | head -1)
	check "the archive imports into containerd as localhost/wattlet:$(make -s version)" imported_as_version
	measure "wattlet --version in the image prints the git version" version_in_image
	echo "    $REF; args: $(spec 'print(" ".join(s["args"]))')"
	echo "    mounts: $(paste -sd' ' "$T/mounts")"

	if ! start_agent || ! wait_ready; then
		not_ok "the agent starts in containerd and $READINESS answers"
		finish
		exit 1
	fi
	ok "the agent starts in containerd and $READINESS answers"
	pid=$(task_pid "$AGENT")
	check "the agent runs with exactly the DaemonSet's capabilities, no new privileges, seccomp, uid 0" \
		agent_confined "$pid"
	check "the agent is in the host PID namespace, its own network namespace, its own mounts" \
		agent_namespaces "$pid"
	check "the agent's root and volumes are read-only, /host/sys recursively" agent_mounts "$pid"
	measure "the agent's cgroup holds the DaemonSet's limits" agent_limits "$AGENT_CG"

	for p in "${PODS[@]}"; do
		# shellcheck disable=SC2086
		run_pod $p || { echo "FAIL: cannot run pod $p"; exit 1; }
	done
	check "runc placed every task in its pod's cgroups, v2 (unified) included" tasks_placed
	wait_workloads || { echo "FAIL: the workloads did not finish"; exit 1; }
	sleep "$(awk -v i="$INTERVAL" 'BEGIN { print 2 * i + 0.5 }')"
	collect
	stop_agent
	without_each_capability
	evaluate
	[ "$(dpkg --print-architecture)" = amd64 ] &&
		measure "the arm64 archive imports into containerd as linux/arm64" arm64_image
	echo "    ran in $((SECONDS - t0)) s"
	finish
}

main "$@"
