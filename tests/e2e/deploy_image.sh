#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The runtime image's file list is complete: place exactly what deploy/Containerfile copies
# (deploy/rootfs.sh) in an empty directory, mount only what a container runtime provides
# (/proc, a read-only /sys and cgroup2, a minimal /dev), make the root read-only, and run
# the agent and the CLI from it with chroot.
set -uo pipefail
. tests/deploy/lib.sh
need_root "chroot and mount namespaces"

: "${WATTLET:?set WATTLET to the built wattlet}" "${WATTCTL:?set WATTCTL to the built wattctl}"
tmp=$(mktemp -d /tmp/wattlet-deploy-image.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The Containerfile's runtime stage copies the rootfs.sh output and nothing else.
containerfile_uses_rootfs() {
	local f=deploy/Containerfile
	awk '/^FROM /{stage=$NF} stage=="runtime" && /^(COPY|ADD) /{print}' "$f" >"$tmp/copies"
	[ "$(cat "$tmp/copies")" = "COPY --from=build /rootfs/ /" ] ||
		{ echo "runtime stage copies:"; cat "$tmp/copies"; return 1; }
	grep -Eq '^FROM scratch AS runtime$' "$f" || { echo "runtime stage is not FROM scratch"; return 1; }
	grep -Eq 'deploy/rootfs\.sh /build /rootfs' "$f" || { echo "build stage does not run deploy/rootfs.sh /build /rootfs"; return 1; }
	grep -Eq '^ENTRYPOINT \["/usr/bin/wattlet"\]' "$f" || { echo "entrypoint is not /usr/bin/wattlet"; return 1; }
}

# A build dir holding the two binaries under the names rootfs.sh expects.
stage_rootfs() {
	mkdir -p "$tmp/build" && ln -s "$WATTLET" "$tmp/build/wattlet" && ln -s "$WATTCTL" "$tmp/build/wattctl" &&
		deploy/rootfs.sh "$tmp/build" "$tmp/root" >"$tmp/files"
}

# Run "$@" chrooted in the staged root, with only runtime-provided mounts added.
in_container() {
	unshare --mount --fork bash -euc '
		r=$1; shift
		mount --bind "$r" "$r"
		mkdir -p "$r/proc" "$r/sys" "$r/dev"
		mount -o remount,bind,ro "$r"
		mount -t proc proc "$r/proc"
		mount -t sysfs -o ro sysfs "$r/sys"
		mount -t cgroup2 -o ro cgroup2 "$r/sys/fs/cgroup"
		mount -t tmpfs -o mode=755,size=64k tmpfs "$r/dev"
		for d in null zero full random urandom; do
			touch "$r/dev/$d" && mount --bind "/dev/$d" "$r/dev/$d"
		done
		exec chroot "$r" "$@"' in_container "$tmp/root" "$@"
}

no_missing_libraries() {
	local bin out
	for bin in /usr/bin/wattlet /usr/bin/wattctl; do
		out=$(in_container /lib64/ld-linux-x86-64.so.2 --list "$bin") || { echo "$out"; return 1; }
		! grep -n 'not found' <<<"$out" || return 1
	done
}

help_runs() {
	local out
	out=$(in_container "$@" --help) || { echo "exit $?: $out"; return 1; }
	grep -q '^Usage' <<<"$out" || { echo "no usage text: $out"; return 1; }
}

# Two seconds of collection from the image: one document with the node's CPUs and some CPU time.
agent_collects() {
	in_container /usr/bin/wattlet --duration 2 --interval 1 --output json --listen none \
		>"$tmp/docs" 2>"$tmp/err" || { echo "exit $?"; cat "$tmp/err"; return 1; }
	python3 - "$tmp/docs" <<-'PY'
	import json, os, sys
	docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	assert docs, "no JSON document"
	node = docs[-1]["node"]
	assert node["cpus"] == os.cpu_count(), f"cpus {node['cpus']} != {os.cpu_count()}"
	assert node["cpu_busy_seconds_total"] > 0, f"no busy CPU time: {node}"
	print(f"{len(docs)} documents, {node['processes']} processes")
	PY
}

check "Containerfile runtime stage = deploy/rootfs.sh output only" containerfile_uses_rootfs
if check "deploy/rootfs.sh stages the binaries and their libraries" stage_rootfs; then
	echo "    image: $(wc -l <"$tmp/files") paths, $(du -sh "$tmp/root" | cut -f1)"
	check "every library resolves inside the image" no_missing_libraries
	check "wattlet --help from the image" help_runs /usr/bin/wattlet
	check "wattctl --help from the image" help_runs /usr/bin/wattctl
	check "wattlet --duration 2 collects from the image, read-only root" agent_collects
fi
finish
