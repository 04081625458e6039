#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Run every test: the C files' layout, cmocka units, BPF ground truth,
# end-to-end scripts and a short bounded fuzz of each parser; then the units
# and end-to-end scripts again on the ASan+UBSan build, and the threaded paths
# (the HTTP server, the agent serving 50 clients while it collects, the web
# config's bcrypt and reload threads) on the TSan build. Ends with
# "N passed, N failed". SANITIZERS=0 skips the sanitizer passes.
set -u
cd "$(dirname "$0")/.."
OUT=${OUTPUT:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
SANITIZERS=${SANITIZERS:-1}
ASAN_OUT=${ASAN_OUTPUT:-build/san-address-undefined}
TSAN_OUT=${TSAN_OUTPUT:-build/san-thread}
LOGS=$OUT/test-logs
mkdir -p "$LOGS"
passed=0 failed=0 skipped=0

use_build() { # dir: the binaries the end-to-end scripts run
	local abs
	case $1 in /*) abs=$1 ;; *) abs=$PWD/$1 ;; esac
	export WATTLET=$abs/wattlet WATTCTL=$abs/wattctl
}
use_build "$OUT"

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
	skipped=$((skipped + $(sed -n 's/^[0-9]\+ passed, [0-9]\+ failed, \([0-9]\+\) skipped$/\1/p; s/^(\([0-9]\+\) skipped)$/\1/p' "$1" | tail -1 | grep . || echo 0)))
}

run() { # name command...
	local name=$1 log="$LOGS/$1.log" rc
	shift
	"$@" >"$log" 2>&1
	rc=$?
	report "$name" $rc "$log"
	count_cases "$log" $rc
}

units() { # build-dir [name-prefix]
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] && run "${2:-}$(basename "$t")" "$t"
	done
}

e2e() { # [name-prefix [skipped-names...]]
	local prefix=${1:-} name
	shift
	for t in tests/e2e/*.sh; do
		name=$(basename "$t" .sh)
		case " $* " in *" $name "*) continue ;; esac
		# -k: a script that traps TERM while it waits for a stuck child is killed anyway
		[ -f "$t" ] && run "${prefix}e2e_$name" timeout -k 10 300 bash "$t"
	done
}

# Not run on the ASan+UBSan build (each runs on the plain build above): those
# whose assertions are about time (power against a timed fake sysfs,
# publishing drift, a CPU rate over a few seconds, a process list of one
# instant), which a 2-3x slower build on a busy 2-CPU machine does not meet;
# the deploy checks, which test manifests and images around code the others
# run; the image checks, which test the image built from the Containerfile, not
# this build; the PromQL stub, whose wattctl paths wattctl_stub shares; and the
# build-flags and mount-lookup checks, which run no wattlet code of this
# build. About 3.5 minutes are left: the agent's CLI, energy, HTTP and
# Kubernetes paths, and wattctl's (top, get, report).
ASAN_E2E_SKIP="energy_rapl http_hostile wattctl_agent deploy_agent deploy_dashboards
	deploy_manifests image_contents image_containerd deploy_tls wattctl_prom_stub build_flags cgroup2_lookup"

# A sanitizer pass counts as one more test: failed if any process of it wrote a report.
sanitizer_reports() { # name report-dir
	local reports
	reports=$(find "$2" -type f -size +0 2>/dev/null)
	if [ -z "$reports" ]; then
		echo "PASS $1: no reports"
		passed=$((passed + 1))
	else
		echo "FAIL $1: $(echo "$reports" | wc -l) report(s) in $2; the first:"
		head -n 30 "$(echo "$reports" | head -n 1)" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

# Every tracked C file laid out as .clang-format says (a few seconds).
echo "== format"
run format tools/check-format.sh

echo "== unit tests"
units "$OUT"

echo "== BPF ground truth"
for t in "$OUT"/tests/bpf_*; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done

# Like run, showing the per-test lines as they come.
run_shown() { # name command...
	local name=$1 log="$LOGS/$1.log" rc
	shift
	"$@" 2>&1 | tee "$log" | grep --line-buffered -E '^(PASS|FAIL|SKIP|==) |^    '
	rc=${PIPESTATUS[0]}
	report "$name" "$rc" "$log"
	count_cases "$log" "$rc"
}

# WATTLET_VM_KERNELS: the kernels of tests/vm/kernels.txt to boot (default all, "none": skip)
echo "== kernel matrix (qemu guests: the agent and the BPF ground truth on each kernel)"
if [ "${WATTLET_VM_KERNELS:-}" = none ]; then
	echo "SKIP vm_matrix: WATTLET_VM_KERNELS=none"
	skipped=$((skipped + 1))
else
	# shellcheck disable=SC2086 # a list of names
	run_shown vm_matrix tests/vm/matrix.sh ${WATTLET_VM_KERNELS:-}
fi

echo "== end to end"
e2e

echo "== fuzz (${FUZZ_SECONDS}s each)"
for f in "$OUT"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	corpus=tests/fuzz/corpus/$(basename "$f")
	mkdir -p "$LOGS/corpus-$(basename "$f")"
	run "$(basename "$f")" "$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
		"$LOGS/corpus-$(basename "$f")" "$corpus"
done

# ASan (and its leak checker) and TSan write their reports to files
# (log_path), so a report from a daemon whose exit code a script ignores
# still fails the pass. Undefined behaviour stops the program
# (-fno-sanitize-recover); its report, on stderr, is looked for in the logs.
if [ "$SANITIZERS" != 0 ] && [ -x "$ASAN_OUT/wattlet" ]; then
	echo "== ASan+UBSan: unit tests and end to end ($ASAN_OUT)"
	rep=$LOGS/asan-reports
	rm -rf "$rep" && mkdir -p "$rep"
	(
		export ASAN_OPTIONS="log_path=$PWD/$rep/asan:detect_leaks=1"
		export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
		export SANITIZE_FLAGS="-fsanitize=address,undefined" E2E_SANITIZED=1
		use_build "$ASAN_OUT"
		units "$ASAN_OUT" asan_
		# shellcheck disable=SC2086
		e2e asan_ $ASAN_E2E_SKIP
		echo "$passed $failed $skipped" >"$LOGS/asan-counts"
	)
	read -r passed failed skipped <"$LOGS/asan-counts"
	# UBSan (gcc) reports on stderr only: look for them in every log of the pass too
	grep -l "runtime error:" "$LOGS"/asan_*.log 2>/dev/null | while read -r f; do cp "$f" "$rep/"; done
	sanitizer_reports asan_ubsan_reports "$rep"
fi
if [ "$SANITIZERS" != 0 ] && [ -x "$TSAN_OUT/wattlet" ]; then
	echo "== TSan: the threaded paths ($TSAN_OUT)"
	rep=$LOGS/tsan-reports
	rm -rf "$rep" && mkdir -p "$rep"
	(
		export TSAN_OPTIONS="log_path=$PWD/$rep/tsan" E2E_SANITIZED=1
		use_build "$TSAN_OUT"
		run tsan_test_server "$TSAN_OUT/tests/test_server"
		run tsan_e2e_http_concurrency timeout -k 10 300 bash tests/e2e/http_concurrency.sh
		# The web config's threads: bcrypt checks, reloads, requests suspended and resumed.
		run tsan_test_basic_auth "$TSAN_OUT/tests/test_basic_auth"
		run tsan_test_web "$TSAN_OUT/tests/test_web"
		SANITIZE_FLAGS=-fsanitize=thread run tsan_e2e_http_tls_reload \
			timeout -k 10 300 bash tests/e2e/http_tls_reload.sh
		echo "$passed $failed $skipped" >"$LOGS/tsan-counts"
	)
	read -r passed failed skipped <"$LOGS/tsan-counts"
	sanitizer_reports tsan_reports "$rep"
fi

[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
