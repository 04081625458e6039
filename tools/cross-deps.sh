#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what a cross build of wattlet for ARCH needs on Debian 12, once: the cross
# compiler and the ARCH (multiarch) -dev packages. Then, for example:
#     make OUTPUT=build/arm64 CROSS_COMPILE=aarch64-linux-gnu-
#
# Installing the :arm64 libraries upgrades the matching amd64 packages to the same version
# (multiarch packages must match); the host build keeps working with them.
set -euo pipefail

usage() {
	echo "usage: $0 arm64" >&2
	exit 2
}
[ $# -eq 1 ] || usage
case $1 in
arm64) arch=arm64 triplet=aarch64-linux-gnu ;;
*) usage ;;
esac

want=("gcc-$triplet" "binutils-$triplet" "libc6-dev-$arch-cross")
for dev in libbpf-dev libelf-dev zlib1g-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev \
	libyaml-dev libgnutls28-dev nettle-dev libcrypt-dev; do
	want+=("$dev:$arch")
done
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "cross-deps: missing ${missing[*]}; run as root" >&2
	exit 1
fi
echo "cross-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
