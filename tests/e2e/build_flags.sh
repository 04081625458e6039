#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The build takes a packager's flags as they are given: `make CFLAGS=... LDFLAGS=...`
# must build, with the given CFLAGS on every compile and LDFLAGS on the link. Ground
# truth is the compiler's and the linker's own record: -frecord-gcc-switches puts each
# object's command line into .GCC.command.line, and -Wl,-Map writes a link map.
# Cheap: the generated BPF object and skeleton are copied from the main build, so only
# the daemon's C files are compiled again (into a scratch OUTPUT).
set -u
fail=0
check() { # description, condition...
	local what=$1
	shift
	if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
main=$(dirname "$WATTLET")
for f in vmlinux.h wattlet.bpf.o wattlet.skel.h; do
	[ -f "$main/$f" ] || { echo "FAIL: no $main/$f: build first"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/out"
cp -p "$main/vmlinux.h" "$main/wattlet.bpf.o" "$main/wattlet.skel.h" "$tmp/out/"

make -s OUTPUT="$tmp/out" CFLAGS="-O1 -frecord-gcc-switches" \
	LDFLAGS="-Wl,-Map=$tmp/wattlet.map" "$tmp/out/wattlet" >"$tmp/log" 2>&1
rc=$?
check "make CFLAGS=-O1 LDFLAGS=-Wl,-Map builds (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/    /' "$tmp/log" | tail -5
check "the link honoured LDFLAGS: the map was written" [ -s "$tmp/wattlet.map" ]
switches=$(readelf -p .GCC.command.line "$tmp/out/wattlet" 2>/dev/null)
check "the compiles honoured CFLAGS: -O1 recorded" grep -q -- "-O1" <<<"$switches"
check "the Makefile's own flags stayed: -std=gnu11 recorded" grep -q -- "-std=gnu11" <<<"$switches"
check "no -O2 from the Makefile's default" bash -c '! grep -q -- "-O2" <<<"$1"' _ "$switches"
check "the binary runs: --version" "$tmp/out/wattlet" --version
exit $fail
