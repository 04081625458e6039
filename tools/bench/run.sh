#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench`: runs every benchmark script in tools/bench/ in turn (core.sh, http*.sh, ...),
# each with the same environment and the build directory ($OUTPUT, default build) as its
# first argument, and ends with a summary line. Exit 77 from a benchmark
# means skipped (not root); anything else non-zero is a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0 skipped=0
for b in tools/bench/*.sh; do
	[ "$b" = tools/bench/run.sh ] && continue
	echo "== $b" >&2
	bash "$b" "${OUTPUT:-build}"
	rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); echo "bench: $b exited $rc" >&2 ;;
	esac
done
echo "bench: $passed ran, $skipped skipped, $failed failed" >&2
[ "$failed" -eq 0 ]
