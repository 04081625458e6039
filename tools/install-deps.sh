#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what wattlet needs on Debian 12, once: packages already present are left alone.
# --build: only what building the agent and wattctl needs (tools/packages.txt above "# test:").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case ${1:-} in
"") build_only=0 ;;
--build) build_only=1 ;;
*) echo "usage: $0 [--build]" >&2; exit 2 ;;
esac
mapfile -t want < <(awk -v build_only="$build_only" '
	build_only && /^# test:/ { exit }
	!/^[[:space:]]*#/ && NF { print $1 }' "$here/packages.txt")
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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
