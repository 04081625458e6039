#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The runtime image's whole file list, in one place: the binaries and their shared
# libraries (the closure of their ELF NEEDED entries), copied with the symlinks that lead to
# them. Read from the ELF headers rather than ldd, so that a cross build's binaries, which
# cannot run here, get theirs too: an arm64 image's libraries come from Debian's multiarch
# /usr/lib/aarch64-linux-gnu (tools/install-deps.sh --cross arm64).
# deploy/Containerfile runs this in its build stage and copies only DEST into the runtime
# stage, with deploy/sbom.py's list of the same paths; tests/e2e/image_contents.sh checks the
# built image holds nothing else, and deploy_agent.sh runs the agent from the same list.
#
# Usage: deploy/rootfs.sh BUILD_DIR DEST     prints every path it placed, one a line
set -euo pipefail

BINARIES=(wattlet wattctl)	# from BUILD_DIR, installed as /usr/bin/NAME

usage() {
	echo "usage: $0 BUILD_DIR DEST" >&2
	exit 2
}

# Copy absolute path $1 to $dest, recreating each symlink met on the way.
copy_path() {
	local path=$1 cur="" rest target i
	local -a parts

	IFS=/ read -ra parts <<<"${path#/}"
	for i in "${!parts[@]}"; do
		cur="$cur/${parts[i]}"
		if [ -L "$cur" ]; then
			target=$(readlink "$cur")
			[ "${target#/}" != "$target" ] || target="$(dirname "$cur" | sed 's|/$||')/$target"
			[ -L "$dest$cur" ] || { ln -s "$(readlink "$cur")" "$dest$cur"; echo "$cur"; }
			rest=$(IFS=/; echo "${parts[*]:i+1}")
			copy_path "$target${rest:+/$rest}"
			return
		elif [ "$i" -eq $((${#parts[@]} - 1)) ]; then
			[ -e "$dest$cur" ] || { cp --preserve=mode "$cur" "$dest$cur"; echo "$cur"; }
		else
			mkdir -p "$dest$cur"
		fi
	done
}

# Debian's multiarch directory for the machine of ELF file $1.
triplet() {
	case $(readelf -h "$1" | sed -n 's/^ *Machine: *//p') in
	"Advanced Micro Devices X86-64") echo x86_64-linux-gnu ;;
	AArch64) echo aarch64-linux-gnu ;;
	*) echo "rootfs: $1 is not an x86-64 or AArch64 ELF file" >&2; return 1 ;;
	esac
}

# The absolute paths of what $1 loads: its interpreter and its libraries, recursively, each
# looked up where glibc's loader looks when there is no ld.so.cache, as in the image.
closure() {
	local t lib dir found
	local -a queue=("$1")
	local -A seen=()
	t=$(triplet "$1") || return 1
	readelf -l "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p'
	while [ ${#queue[@]} -gt 0 ]; do
		for lib in $(readelf -d "${queue[0]}" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
			[ -z "${seen[$lib]:-}" ] || continue
			seen[$lib]=1 found=
			for dir in "/lib/$t" "/usr/lib/$t" /lib /usr/lib; do
				[ -e "$dir/$lib" ] && { found=$dir/$lib; break; }
			done
			[ -n "$found" ] || { echo "rootfs: ${queue[0]} needs $lib, which is not installed" >&2; return 1; }
			echo "$found"
			queue+=("$found")
		done
		queue=("${queue[@]:1}")
	done
}

main() {
	local build=${1:-} bin lib libs
	dest=${2:-}
	[ -n "$build" ] && [ -n "$dest" ] || usage
	mkdir -p "$dest/usr/bin"
	dest=$(cd "$dest" && pwd)
	for bin in "${BINARIES[@]}"; do
		[ -x "$build/$bin" ] || { echo "rootfs: no $build/$bin; run make first" >&2; exit 1; }
		cp --preserve=mode "$build/$bin" "$dest/usr/bin/$bin"
		echo "/usr/bin/$bin"
		libs=$(closure "$build/$bin") || exit 1
		for lib in $libs; do
			copy_path "$lib"
		done
	done
}

main "$@"
