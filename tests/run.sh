#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Run every test: cmocka units, BPF ground truth, end-to-end scripts and a
# short bounded fuzz of each parser. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
OUT=${OUTPUT:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
LOGS=$OUT/test-logs
case $OUT in /*) abs=$OUT ;; *) abs=$PWD/$OUT ;; esac
export WATTLET=$abs/wattlet WATTCTL=$abs/wattctl
mkdir -p "$LOGS"
passed=0 failed=0 skipped=0

report() { # name rc log
	case $2 in
	0) echo "PASS $1" ;;
	77) echo "SKIP $1: $(grep -m1 SKIP "$3" || echo 'no reason given')"; skipped=$((skipped + 1)) ;;
	*) echo "FAIL $1 (exit $2); last lines of $3:"; tail -n 25 "$3" | sed 's/^/    /' ;;
	esac
}

# A binary that prints its own "N passed, N failed" or cmocka summary adds its counts.
count_cases() { # log rc
	local p f
	p=$(sed -n 's/^\([0-9]\+\) passed, \([0-9]\+\) failed.*/\1/p' "$1" | tail -1)
	f=$(sed -n 's/^\([0-9]\+\) passed, \([0-9]\+\) failed.*/\2/p' "$1" | tail -1)
	if [ -z "$p" ]; then
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then # no summary: one test, judged by exit code
		case $2 in 0) p=1 ;; 77) ;; *) f=1 ;; esac
	elif [ "$2" != 0 ] && [ "$f" = 0 ]; then
		f=1 # crashed after its summary, or summary lied
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

run() { # name command...
	local name=$1 log="$LOGS/$1.log" rc
	shift
	"$@" >"$log" 2>&1
	rc=$?
	report "$name" $rc "$log"
	count_cases "$log" $rc
}

echo "== unit tests"
for t in "$OUT"/tests/test_*; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done

echo "== BPF ground truth"
for t in "$OUT"/tests/bpf_*; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done

echo "== end to end"
for t in tests/e2e/*.sh; do
	[ -f "$t" ] && run "e2e_$(basename "$t" .sh)" timeout 300 bash "$t"
done

echo "== fuzz (${FUZZ_SECONDS}s each)"
for f in "$OUT"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	corpus=tests/fuzz/corpus/$(basename "$f")
	mkdir -p "$LOGS/corpus-$(basename "$f")"
	run "$(basename "$f")" "$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
		"$LOGS/corpus-$(basename "$f")" "$corpus"
done

[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
