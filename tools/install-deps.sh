#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what wattlet needs on Debian 12, once: packages already present are left alone.
#   (no option)    everything in tools/packages.txt: build, test and benchmark
#   --build        only what building the agent and wattctl needs (above "# test:")
#   --cross ARCH   what a cross build for ARCH needs: the cross compiler and the build list's
#                  -dev libraries as ARCH (multiarch) packages. Then, for example:
#                      make OUTPUT=build/arm64 CROSS_COMPILE=aarch64-linux-gnu-
#                  Installing the :arm64 libraries upgrades the matching amd64 packages to
#                  the same version (multiarch packages must match); the host build keeps
#                  working with them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "usage: $0 [--build | --cross arm64]" >&2
	exit 2
}

packages() { # build-only(0|1)
	awk -v build_only="$1" '
		build_only && /^# test:/ { exit }
		!/^[[:space:]]*#/ && NF { print $1 }' "$here/packages.txt"
}

arch=
case "${1:-}:$#" in
:0) mapfile -t want < <(packages 0) ;;
--build:1) mapfile -t want < <(packages 1) ;;
--cross:2)
	case $2 in
	arm64) arch=arm64 triplet=aarch64-linux-gnu ;;
	*) usage ;;
	esac
	want=("gcc-$triplet" "binutils-$triplet" "libc6-dev-$arch-cross")
	mapfile -t -O 3 want < <(packages 1 | sed -n "s/-dev\$/-dev:$arch/p")
	;;
*) usage ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if [ -n "$arch" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	dpkg --add-architecture "$arch"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
