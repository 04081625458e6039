#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The runtime image's whole file list, in one place: the binaries and their shared
# libraries (the ldd closure), copied with the symlinks that lead to them.
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

# The absolute paths of what $1 loads: its interpreter and its libraries, recursively.
closure() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

main() {
	local build=${1:-} bin lib
	dest=${2:-}
	[ -n "$build" ] && [ -n "$dest" ] || usage
	mkdir -p "$dest/usr/bin"
	dest=$(cd "$dest" && pwd)
	for bin in "${BINARIES[@]}"; do
		[ -x "$build/$bin" ] || { echo "rootfs: no $build/$bin; run make first" >&2; exit 1; }
		cp --preserve=mode "$build/$bin" "$dest/usr/bin/$bin"
		echo "/usr/bin/$bin"
		for lib in $(closure "$build/$bin"); do
			copy_path "$lib"
		done
	done
}

main "$@"
