# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared by tests/e2e/deploy_*.sh: sourced, not run. Expects cwd = repo root.

DEPLOY_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Signals end the script through exit, so its EXIT trap cleans up (timeout sends TERM).
trap 'exit 143' TERM
trap 'exit 130' INT
fails=0
passes=0

ok() {
	passes=$((passes + 1))
	echo "ok: $*"
}

not_ok() {
	fails=$((fails + 1))
	echo "FAIL: $*"
}

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds, its output shown on failure.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
		printf '%s\n' "$out" | sed 's/^/    /' | tail -40
	fi
}

# measure DESCRIPTION COMMAND...: like check, and shows what COMMAND measured.
measure() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
	fi
	printf '%s\n' "$out" | sed 's/^/    /' | tail -20
}

finish() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $1 needs root"
		exit 77
	fi
}

apt_install() {
	[ "$(id -u)" -eq 0 ] || { echo "need $*: install it (apt-get install $*)" >&2; return 1; }
	echo "installing $* with apt-get" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# kubectl: Debian 12 ships it as kubernetes-client. Not in tools/packages.txt because it
# clashes with the kubectl package of other repositories (both own /usr/bin/kubectl).
need_kubectl() {
	command -v kubectl >/dev/null || apt_install kubernetes-client
}

# node and npm for the checks in tests/deploy. Debian's npm conflicts with NodeSource's
# nodejs (which bundles npm), so npm is installed only where it is missing.
need_node_modules() {
	command -v node >/dev/null || apt_install nodejs || return 1
	command -v npm >/dev/null || apt_install npm || return 1
	if [ ! -d "$DEPLOY_TOOLS/node_modules" ] ||
		[ "$DEPLOY_TOOLS/package-lock.json" -nt "$DEPLOY_TOOLS/node_modules/.package-lock.json" ]; then
		# One npm ci at a time when several deploy checks start together.
		(flock 9 && cd "$DEPLOY_TOOLS" && npm ci --no-audit --no-fund --loglevel=error \
			9>&-) 9>/tmp/wattlet-deploy-npm.lock >&2 || return 1
	fi
	export NODE_PATH="$DEPLOY_TOOLS/node_modules"
}

# The base, rendered the way kubectl apply -k will.
render_base() {
	kubectl kustomize deploy/kubernetes
}

. tests/cgroup2.sh	# cgroup2_root: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts

# A pod the way the kubelet leaves it on a node (systemd driver, besteffort, containerd):
# its log dir, its container's log link and its cgroups under PARENT (a cgroup2 dir).
# make_pod PODS_DIR CONTAINERS_DIR PARENT NAMESPACE POD CONTAINER
# Sets pod_uid, ctr_id, pod_cg (the pod cgroup) and ctr_cg (the container's).
make_pod() {
	local pods=$1 ctrs=$2 parent=$3 ns=$4 pod=$5 ctr=$6 slice
	pod_uid=$(cat /proc/sys/kernel/random/uuid)
	ctr_id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	mkdir -p "$pods/${ns}_${pod}_${pod_uid}/$ctr" &&
		: >"$pods/${ns}_${pod}_${pod_uid}/$ctr/0.log" &&
		ln -s "/var/log/pods/${ns}_${pod}_${pod_uid}/$ctr/0.log" \
			"$ctrs/${pod}_${ns}_${ctr}-${ctr_id}.log" || return 1
	slice="$parent/kubepods.slice/kubepods-besteffort.slice"
	pod_cg="$slice/kubepods-besteffort-pod${pod_uid//-/_}.slice"
	ctr_cg="$pod_cg/cri-containerd-${ctr_id}.scope"
	mkdir -p "$ctr_cg"
}

# Burn CPU in cgroup $1 for $2 seconds of wall time, in the background; sets worker_pid.
start_worker() {
	bash -c 'echo $BASHPID >"$1/cgroup.procs" || exit 1; end=$((SECONDS + $2)); while [ $SECONDS -lt $end ]; do :; done' \
		worker "$1" "$2" &
	worker_pid=$!
}

# The pod cgroup's CPU time from the kernel (cpu.stat usage_usec), in seconds.
cgroup_cpu_seconds() {
	awk '$1 == "usage_usec" { printf "%.6f\n", $2 / 1e6 }' "$1/cpu.stat"
}

# Remove a cgroup tree, deepest first, once its processes are gone.
remove_cgroups() {
	[ -d "$1" ] || return 0
	find "$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
}

# The value of the sample whose name and labels match: sample FILE NAME 'l1="v1"' ...
sample() {
	local file=$1 name=$2
	shift 2
	awk -v name="$name" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		$0 !~ /^#/ {
			split($0, parts, /[{ ]/); if (parts[1] != name) next
			for (i = 1; i <= n; i++) if (index($0, w[i]) == 0) next
			print $NF; found = 1; exit
		}
		END { exit !found }' "$file"
}

# Poll http://127.0.0.1:PORT/PATH until it answers 200 or $3 seconds pass.
wait_http() {
	local url="http://127.0.0.1:$1$2" i
	for ((i = 0; i < $3 * 5; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url")" = 200 ] && return 0
		sleep 0.2
	done
	echo "$url did not answer 200 within $3 s"
	return 1
}
