#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build a guest's initramfs: busybox, the kernel's 9p modules (from tests/vm/fetch.sh),
# tests/vm/init as /init, and optionally an extra tree copied over it (the arm64 guest's
# binaries and libraries).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 KERNEL_DIR OUT.img [EXTRA_DIR]" >&2
	exit 2
fi
kdir=$1 out=$2 extra=${3:-}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,modules}
install -m 0755 "$kdir/busybox" "$stage/bin/busybox"
install -m 0755 "$here/init" "$stage/init"
cp "$kdir"/modules/*.ko "$stage/modules/"
cp "$kdir/modules.list" "$stage/"
mknod "$stage/dev/console" c 5 1
[ -z "$extra" ] || cp -a "$extra/." "$stage/"
tmp=$(mktemp "$out.XXXXXX")
(cd "$stage" && find . | cpio -o -H newc --quiet) | gzip -1 >"$tmp"
mv "$tmp" "$out"
