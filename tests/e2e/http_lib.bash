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
	# shellcheck disable=SC2046
	cc -O2 -Iuser tools/bench/http-fixture.c "$lib" \
		$(pkg-config --libs libbpf jansson libmicrohttpd zlib) -lelf -lm -lpthread \
		-o "$HTTP_TMP/http-fixture" || fail "cannot build the fixture"
}

# fixture_start PODS [wattlet options]: sets PORT; its stdout goes to $HTTP_TMP/fixture.out.
fixture_start() {
	[ -x "$HTTP_TMP/http-fixture" ] || fixture_build
	"$HTTP_TMP/http-fixture" "$@" --listen 127.0.0.1:0 --node-name e2e-node \
		>"$HTTP_TMP/fixture.out" 2>"$HTTP_TMP/fixture.err" &
	FIXTURE_PID=$!
	HTTP_PIDS+=("$FIXTURE_PID")
	for _ in $(seq 50); do
		PORT=$(awk '/^listening/ {print $2}' "$HTTP_TMP/fixture.out")
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

cgroup2_root() {
	awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts
}

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
