#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The DaemonSet's volumes on an emulated node, for what a real /sys cannot give: a powercap
# zone whose energy the test writes. (image_containerd.sh runs the built image in containerd
# with the DaemonSet's securityContext, limits and real /sys; this test does not repeat that.)
# From the rendered manifests: the exact args (with $(NODE_NAME) expanded from the
# downward-API env), the env, the image's file list (deploy/rootfs.sh) as a read-only root,
# only the added capabilities (tests/deploy/contain.py), a network namespace of its own, and
# every hostPath volume mounted read-only at its mountPath, with the host paths remapped to
# this test's own directories:
#   /sys                -> a tree holding the real cgroup2 mount and a fake powercap zone
#   /var/log/pods       -> a fake pod's log dir; /var/log/containers -> its container link
# Ground truth: the pod cgroup's cpu.stat, the energy_uj values this test wrote, promtool.
set -uo pipefail
. tests/deploy/lib.sh

ENERGY_J=15		# joules the fake RAPL zone gains while the agent runs
WORK_S=3		# seconds of CPU the pod's container burns

# Inside the mount and network namespaces: build the container's view, run the scenario.
inner() {
	local a m i
	ip link set lo up
	mount --bind "$CG2" "$T/host/sys/fs/cgroup"
	mount --bind "$ROOT" "$ROOT"
	mount -o remount,bind,ro "$ROOT"
	mount -t proc proc "$ROOT/proc"
	mount -t sysfs -o ro sysfs "$ROOT/sys"
	mount -t cgroup2 -o ro cgroup2 "$ROOT/sys/fs/cgroup"
	mount -t tmpfs -o mode=755,size=64k tmpfs "$ROOT/dev"
	for a in null zero full random urandom; do
		touch "$ROOT/dev/$a" && mount --bind "/dev/$a" "$ROOT/dev/$a"
	done
	while read -r src dst ro; do
		mount --rbind "$src" "$ROOT$dst"
		[ "$ro" = ro ] && mount -o remount,bind,ro "$ROOT$dst"
	done <"$T/mounts"
	mapfile -t a <"$T/args"
	mapfile -t m <"$T/env"

	python3 "$TOOLS/contain.py" "$ROOT" "$CAPS" "${m[@]}" -- /usr/bin/wattlet "${a[@]}" \
		>"$T/agent.log" 2>&1 &
	apid=$!	# global: the EXIT trap runs outside this function
	trap 'kill "$apid" ${worker_pid:-} 2>/dev/null' EXIT
	{ wait_http "$PORT" "$LIVENESS" 20 && echo "healthz ok"; } >>"$T/results"
	{ wait_http "$PORT" "$READINESS" 20 && echo "readyz ok"; } >>"$T/results"

	start_worker "$CTR_CG" "$WORK_S"
	for i in 1 2 3 4 5 6; do	# the zone gains ENERGY_J in six steps
		sleep 0.5
		write_energy $((ENERGY0 + ENERGY_J * 1000000 * i / 6))
	done
	wait "$worker_pid"
	sleep "$(awk -v i="$INTERVAL" 'BEGIN { print 2 * i + 0.5 }')"
	curl -s --max-time 5 -o "$T/metrics.prom" "http://127.0.0.1:$PORT/metrics"
	cgroup_cpu_seconds "$POD_CG" >"$T/truth_cpu"
	kill -TERM "$apid"
	wait "$apid"
}

write_energy() {
	local d="$T/host/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0"
	echo "$1" >"$d/.energy_uj" && mv "$d/.energy_uj" "$d/energy_uj"
}

# The host side of the emulated node: the fake powercap tree, the pod, the image root.
prepare() {
	local zone="$T/host/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0" src dst ro
	mkdir -p "$T/host/sys/fs/cgroup" "$T/host/sys/class/powercap" "$T/host/pods" "$T/host/containers" "$zone"
	echo package-0 >"$zone/name"
	echo 262143328850 >"$zone/max_energy_range_uj"
	ln -s ../../devices/virtual/powercap/intel-rapl/intel-rapl:0 "$T/host/sys/class/powercap/intel-rapl:0"
	write_energy "$ENERGY0"

	make_pod "$T/host/pods" "$T/host/containers" "$PARENT" deploy-test busy-pod spin || return 1
	POD_CG=$pod_cg CTR_CG=$ctr_cg

	mkdir -p "$T/build" && ln -s "$WATTLET" "$T/build/wattlet" && ln -s "$WATTCTL" "$T/build/wattctl" &&
		deploy/rootfs.sh "$T/build" "$ROOT" >/dev/null || return 1
	mkdir -p "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
	# Each volume: the test's directory for its hostPath, mounted at its mountPath.
	spec 'for m in s["mounts"]: print(m["hostPath"], m["mountPath"], "ro" if m["readOnly"] else "rw")' |
		while read -r src dst ro; do
			case $src in
			/sys) echo "$T/host/sys $dst $ro" ;;
			/var/log/pods) echo "$T/host/pods $dst $ro" ;;
			/var/log/containers) echo "$T/host/containers $dst $ro" ;;
			*) echo "the DaemonSet mounts hostPath $src, which this test does not emulate" >&2; return 1 ;;
			esac
			mkdir -p "$ROOT$dst"
		done >"$T/mounts"
}

spec() {
	python3 -c "import json; s = json.load(open('$T/spec.json'))
$1"
}

outer() {
	need_root "mount namespaces, cgroups and BPF"
	: "${WATTLET:?set WATTLET}" "${WATTCTL:?set WATTCTL}"
	need_kubectl || { echo "FAIL: no kubectl"; exit 1; }
	need_node_modules || { echo "FAIL: no node modules"; exit 1; }

	unshare_pid=
	T=$(mktemp -d /tmp/wattlet-deploy-agent.XXXXXX)
	ROOT=$T/root TOOLS=$DEPLOY_TOOLS CG2=$(cgroup2_root) NODE="wattlet-test-$$"
	PARENT="$CG2/wattlet-deploy-agent-$$" ENERGY0=1000000000
	trap 'kill "$unshare_pid" 2>/dev/null; wait 2>/dev/null; remove_cgroups "$PARENT"; rm -rf "$T"' EXIT

	render_base >"$T/rendered.yaml" &&
		node "$TOOLS/daemonset.js" spec "NODE_NAME=$NODE" <"$T/rendered.yaml" >"$T/spec.json" ||
		{ echo "FAIL: cannot read the DaemonSet"; exit 1; }
	spec 'print("\n".join(s["args"]))' >"$T/args"
	spec 'print("\n".join(f"{k}={v}" for k, v in s["env"].items()))' >"$T/env"
	CAPS=$(spec 'print(",".join(s["capabilities"]))')
	PORT=$(spec 'print(s["port"])')
	LIVENESS=$(spec 'print(s["liveness"])') READINESS=$(spec 'print(s["readiness"])')
	INTERVAL=$(sed -n 's/^--interval=//p' "$T/args")
	INTERVAL=${INTERVAL:-2}
	if prepare >"$T/prepare.log" 2>&1; then
		ok "the emulated node is set up (image root, powercap, pod, mounts)"
	else
		not_ok "the emulated node is set up"
		cat "$T/prepare.log"
		finish
		exit 1
	fi
	echo "    args: $(paste -sd' ' "$T/args")"
	echo "    env: $(paste -sd' ' "$T/env"); capabilities: $CAPS"

	export T ROOT TOOLS CG2 CAPS PORT LIVENESS READINESS INTERVAL ENERGY0 ENERGY_J WORK_S POD_CG CTR_CG
	unshare --mount --net --fork --kill-child bash "$0" --inner &
	unshare_pid=$!
	wait "$unshare_pid"
	evaluate
}

evaluate() {
	check "liveness probe $LIVENESS answers" grep -qx "healthz ok" "$T/results"
	check "readiness probe $READINESS answers" grep -qx "readyz ok" "$T/results"
	if ! [ -s "$T/metrics.prom" ]; then
		not_ok "scrape /metrics"
		tail -20 "$T/agent.log"
		finish
		exit 1
	fi
	check "promtool check metrics reports nothing on the scrape" promtool_clean "$T/metrics.prom"
	check "every series has node=\"$NODE\" (NODE_NAME from the downward API)" \
		awk -v want="node=\"$NODE\"" '!/^#/ && NF && index($0, want) == 0 { print "no node label: " $0; bad = 1 } END { exit bad }' "$T/metrics.prom"
	measure "pod CPU within 2% of its cgroup's cpu.stat" close \
		"$(sample "$T/metrics.prom" wattlet_pod_cpu_seconds_total 'namespace="deploy-test"' 'pod="busy-pod"')" \
		"$(cat "$T/truth_cpu")" 0.02 0.02
	measure "container spin carries the pod's CPU" close \
		"$(sample "$T/metrics.prom" wattlet_container_cpu_seconds_total 'pod="busy-pod"' 'container="spin"')" \
		"$(cat "$T/truth_cpu")" 0.02 0.02
	measure "namespace deploy-test carries the pod's CPU" close \
		"$(sample "$T/metrics.prom" wattlet_namespace_cpu_seconds_total 'namespace="deploy-test"')" \
		"$(cat "$T/truth_cpu")" 0.02 0.02
	measure "node energy from the remapped powercap = the $ENERGY_J J written" close \
		"$(node_energy)" "$ENERGY_J" 0.000001 0.000001
	if [ "$fails" -ne 0 ]; then
		echo "--- agent log"
		tail -20 "$T/agent.log"
	fi
	finish
}

promtool_clean() {
	local out
	out=$(promtool check metrics <"$1" 2>&1) && [ -z "$out" ] || { echo "$out"; return 1; }
}

# Active + idle energy of the node zone, summed over modes.
node_energy() {
	awk '/^wattlet_node_energy_joules_total\{/ && /zone="node"/ && /meter="rapl"/ { s += $NF; n++ }
		END { if (n) print s }' "$T/metrics.prom"
}

# close GOT WANT REL ABS: |GOT - WANT| <= max(REL * WANT, ABS)
close() {
	awk -v got="$1" -v want="$2" -v rel="$3" -v abs="$4" 'BEGIN {
		if (got == "" || want == "") { print "missing value: got=" got " want=" want; exit 1 }
		d = got - want; if (d < 0) d = -d
		tol = rel * want; if (tol < abs) tol = abs
		printf "got %s, want %s (off by %.6g, tolerance %.6g)\n", got, want, d, tol
		exit !(d <= tol) }'
}

if [ "${1:-}" = --inner ]; then
	inner
else
	outer
fi
