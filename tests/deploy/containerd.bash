# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A containerd of the test's own, for tests/e2e/image_*.sh: sourced, not run. Its root, state,
# socket and namespace are the test's, and it runs no CRI plugin, so it neither meets a
# containerd the machine may run nor leaves anything behind. Containers run through runc
# (containerd's io.containerd.runc.v2 shim) with the cgroupfs driver. Needs tests/deploy/lib.sh
# (remove_cgroups) sourced first.

# Start containerd with its store under DIR; sets CTD_PID, CTD_SOCK and CTD_NS.
start_containerd() {
	local dir=$1 i
	# Short: a unix socket's path holds at most 107 bytes.
	CTD_STATE=/run/wattlet-ctd-$$
	CTD_SOCK=$CTD_STATE/containerd.sock
	CTD_NS=wattlet-e2e-$$
	cat >"$dir/containerd.toml" <<-EOF
	version = 2
	root = "$dir/root"
	state = "$CTD_STATE"
	disabled_plugins = ["io.containerd.grpc.v1.cri"]
	[grpc]
	  address = "$CTD_SOCK"
	EOF
	containerd --config "$dir/containerd.toml" >"$dir/containerd.log" 2>&1 &
	CTD_PID=$!
	for ((i = 0; i < 100; i++)); do
		ctr_ version >/dev/null 2>&1 && return 0
		kill -0 "$CTD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "containerd did not start:"
	tail -5 "$dir/containerd.log"
	return 1
}

ctr_() {
	ctr --address "$CTD_SOCK" --namespace "$CTD_NS" "$@"
}

# Every task killed and deleted, every container and image removed, containerd stopped.
stop_containerd() {
	local id h
	[ -n "${CTD_PID:-}" ] || return 0
	for id in $(ctr_ tasks ls -q 2>/dev/null); do
		ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1
	done
	for id in $(ctr_ tasks ls -q 2>/dev/null); do
		wait_stopped "$id" 5
		ctr_ tasks delete "$id" >/dev/null 2>&1
	done
	for id in $(ctr_ containers ls -q 2>/dev/null); do
		ctr_ containers delete "$id" >/dev/null 2>&1
	done
	ctr_ images ls -q 2>/dev/null | xargs -r ctr --address "$CTD_SOCK" --namespace "$CTD_NS" images rm >/dev/null 2>&1
	ctr --address "$CTD_SOCK" namespaces remove "$CTD_NS" >/dev/null 2>&1
	kill "$CTD_PID" 2>/dev/null
	wait "$CTD_PID" 2>/dev/null
	# runc's cgroupfs driver made /$CTD_NS in every hierarchy for the tasks, and leaves it
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		remove_cgroups "$h$CTD_NS"
	done
	rm -rf "$CTD_STATE"
	CTD_PID=
}

# A task's status: RUNNING, STOPPED, ...; empty when there is no such task.
task_status() {
	ctr_ tasks ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'
}

task_pid() {
	ctr_ tasks ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2 }'
}

# Wait up to $2 seconds for task $1 to stop.
wait_stopped() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(task_status "$1")" = RUNNING ] || return 0
		sleep 0.1
	done
	return 1
}

# The capabilities the runtime grants a container by default: what "drop: [ALL]" takes away.
runtime_default_capabilities() {
	ctr oci spec | python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin)["process"]["capabilities"]["bounding"]))'
}

# Whether runc makes a mount read-only recursively ("rro", mount_setattr): what
# recursiveReadOnly: IfPossible asks of the runtime.
runc_has_rro() {
	runc features 2>/dev/null | python3 -c 'import json, sys; sys.exit("rro" not in json.load(sys.stdin).get("mountOptions", []))'
}
