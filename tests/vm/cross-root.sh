#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The guest root of a cross-architecture matrix guest, which cannot share the host's /:
# the cross-built agent and BPF suite under /wattlet, tests/vm/guest.sh as /guest.sh, and
# every shared library they need (their NEEDED entries, followed) in /lib.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 3 ]; then
	echo "usage: $0 TRIPLET BUILD_DIR STAGE_DIR (e.g. aarch64-linux-gnu build/arm64 /tmp/root)" >&2
	exit 2
fi
triplet=$1 build=$2 stage=$3
libdirs=("/lib/$triplet" "/usr/lib/$triplet" "/usr/$triplet/lib")

needed() { # elf
	"$triplet-readelf" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

find_lib() { # soname
	local d
	for d in "${libdirs[@]}"; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return; }
	done
	echo "cross-root: $1 not found in ${libdirs[*]}" >&2
	return 1
}

# Breadth first over NEEDED entries, each library once.
copy_libs() { # elf...
	local queue=("$@") lib path
	while [ ${#queue[@]} -gt 0 ]; do
		for lib in $(needed "${queue[0]}"); do
			[ -e "$stage/lib/$lib" ] && continue
			path=$(find_lib "$lib")
			cp -L "$path" "$stage/lib/$lib"
			queue+=("$stage/lib/$lib")
		done
		queue=("${queue[@]:1}")
	done
}

mkdir -p "$stage/wattlet/tests" "$stage/lib"
install -m 0755 "$build/wattlet" "$stage/wattlet/wattlet"
install -m 0755 "$build/tests/bpf_accounting" "$stage/wattlet/tests/bpf_accounting"
install -m 0755 "$here/guest.sh" "$stage/guest.sh"
interp=$("$triplet-readelf" -l "$build/wattlet" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
cp -L "$(find_lib "$(basename "$interp")")" "$stage/lib/$(basename "$interp")"
copy_libs "$stage/wattlet/wattlet" "$stage/wattlet/tests/bpf_accounting"
