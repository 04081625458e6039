#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The core benchmarks of issue 2, in one run (results: docs/benchmarks.md, "## Core"):
#  1. BPF cost per context switch during `perf bench sched pipe`: the run_time_ns of all of
#     a subject's programs over /proc/stat ctxt, for wattlet (defaults), an empty tp_btf
#     sched_switch program (the floor), runqlat (the peer) and wattlet --counters cpu-clock,
#     each alone, in interleaved rounds;
#  2. pipe throughput with and without the agent (and the floor and the peer), bpf_stats
#     off, interleaved;
#  3. the daemon with PROCS live processes and a 1 s interval: CPU, RSS, BPF map memory and
#     collection time; once with the processes asleep, once with each waking every WAKE_MS
#     (so that the agent tracks all of them).
# Run as root from anywhere: tools/bench/core.sh [OUTPUT] (or `make bench`), OUTPUT being the
# build directory (default $OUTPUT, else build). Knobs (environment):
# PARTS="switch tput daemon" (the parts to run), ROUNDS=5 LOOPS=1000000 TPUT_ROUNDS=7 TPUT_REPS=3
# PROCS=10000 WAKE_MS=10000 HOLD=35, PIPE_CPU (default
# the last CPU), QUIET_BUSY=0.10 QUIET_WAIT=20 (corestat.py), WATTLET (default
# $OUTPUT/wattlet), BENCH_OUT (default $OUTPUT/bench, where helpers and results go).
# The pipe benchmark is pinned to one CPU: unpinned on a 2-vCPU VM its two tasks keep
# moving between sharing a CPU (~500k ops/s) and waking each other across CPUs through the
# hypervisor (~70k ops/s), a 7x swing that hides any per-switch cost.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=${1:-${OUTPUT:-build}}
WATTLET=$(realpath "${WATTLET:-$OUT/wattlet}")
BENCH_OUT=${BENCH_OUT:-$OUT/bench}
ROUNDS=${ROUNDS:-5}
LOOPS=${LOOPS:-1000000}
TPUT_ROUNDS=${TPUT_ROUNDS:-7}
TPUT_REPS=${TPUT_REPS:-3}
PIPE_CPU=${PIPE_CPU:-$(($(nproc) - 1))}
PROCS=${PROCS:-10000}
WAKE_MS=${WAKE_MS:-10000}
HOLD=${HOLD:-35}
PARTS=${PARTS:-switch tput daemon}
RUNQLAT=${RUNQLAT:-/usr/sbin/runqlat}
STAT="python3 tools/bench/corestat.py"
PIPE=(timeout 300 taskset -c "$PIPE_CPU" perf bench sched pipe -l "$LOOPS")

subject_pid=0
spawn_pid=0
old_stats=
old_pid_max=

log() { printf 'core: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

stop_pid() { # PID SIGNAL: signal, wait up to 10 s, then SIGKILL
	local pid=$1 i
	[ "$pid" -gt 0 ] || return 0
	kill -"$2" "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	stop_pid "$subject_pid" TERM
	stop_pid "$spawn_pid" TERM
	[ -n "$old_stats" ] && sysctl -qw kernel.bpf_stats_enabled="$old_stats"
	[ -n "$old_pid_max" ] && sysctl -qw kernel.pid_max="$old_pid_max"
	rm -rf "$tmp"
}

preflight() {
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: the core benchmark loads BPF programs: run as root"; exit 77; }
	[ -x "$WATTLET" ] || die "no agent at $WATTLET: run make first (or set WATTLET)"
	for t in perf bpftool python3 clang gcc "$RUNQLAT"; do
		command -v "$t" >/dev/null || die "$t not found: run tools/install-deps.sh"
	done
}

build_helpers() { # empty_switch.bpf.o, its loader, and spawn, rebuilt when their source changes
	local inc="-I/usr/include/$(gcc -dumpmachine)"
	mkdir -p "$BENCH_OUT"
	[ "$BENCH_OUT/empty_switch.bpf.o" -nt tools/bench/empty_switch.bpf.c ] ||
		clang -g -O2 -target bpf $inc -c tools/bench/empty_switch.bpf.c -o "$BENCH_OUT/empty_switch.bpf.o"
	[ "$BENCH_OUT/empty_switch" -nt tools/bench/empty_switch.c ] ||
		gcc -O2 -Wall -Wextra -Wno-unused-parameter tools/bench/empty_switch.c -lbpf -o "$BENCH_OUT/empty_switch"
	[ "$BENCH_OUT/spawn" -nt tools/bench/spawn.c ] ||
		gcc -O2 -Wall -Wextra -Wno-unused-parameter tools/bench/spawn.c -o "$BENCH_OUT/spawn"
}

bpf_links() { # number of BPF links PID holds
	local n=0 fd
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf_link" ] && n=$((n + 1))
	done
	echo "$n"
}

wait_attached() { # PID NAME SETTLE: until PID holds links, then SETTLE seconds more
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$1" 2>/dev/null || die "$2 exited while starting: $(tail -3 "$tmp/$2.log")"
		[ "$(bpf_links "$1")" -gt 0 ] && break
		sleep 0.1
	done
	[ "$i" -lt 200 ] || die "$2 attached nothing in 20 s: $(tail -3 "$tmp/$2.log")"
	sleep "$3"
}

start_subject() { # NAME: start one tool alone, set subject_pid (0 for none)
	local name=$1
	subject_pid=0
	case $name in
	none) return 0 ;;
	empty) "$BENCH_OUT/empty_switch" "$BENCH_OUT/empty_switch.bpf.o" >"$tmp/$name.log" 2>&1 & ;;
	wattlet) "$WATTLET" --output none --listen none >"$tmp/$name.log" 2>&1 & ;;
	wattlet-counters) "$WATTLET" --output none --listen none --counters cpu-clock \
		>"$tmp/$name.log" 2>&1 & ;;
	runqlat) "$RUNQLAT" >"$tmp/$name.log" 2>&1 & ;;
	*) die "unknown subject $name" ;;
	esac
	subject_pid=$!
	# wattlet: let the first (priming) collection pass; interval 2 s by default
	case $name in wattlet*) wait_attached "$subject_pid" "$name" 2.5 ;;
	*) wait_attached "$subject_pid" "$name" 0.5 ;; esac
}

stop_subject() {
	# runqlat only cleans up on SIGINT; the others on SIGTERM
	stop_pid "$subject_pid" "$([ "$1" = runqlat ] && echo INT || echo TERM)"
	subject_pid=0
}

rotate() { # ROUND WORDS...: WORDS rotated left by ROUND
	local r=$1
	shift
	local a=("$@") n=$#
	for ((i = 0; i < n; i++)); do echo "${a[$(((i + r) % n))]}"; done
}

window() { # PART SUBJECT ROUND [REPS]: REPS pipe runs while SUBJECT runs alone
	local i
	start_subject "$2"
	for ((i = 0; i < ${4:-1}; i++)); do
		$STAT window "$1" "$2" "$3" "$subject_pid" -- "${PIPE[@]}" >>"$results"
	done
	stop_subject "$2"
}

bench_switch() {
	local r s
	sysctl -qw kernel.bpf_stats_enabled=1
	for ((r = 1; r <= ROUNDS; r++)); do
		for s in $(rotate "$r" none empty wattlet runqlat wattlet-counters); do
			log "switch cost: round $r/$ROUNDS, $s"
			window switch "$s" "$r"
		done
	done
	sysctl -qw kernel.bpf_stats_enabled=0
}

bench_tput() {
	local r s
	sysctl -qw kernel.bpf_stats_enabled=0
	for ((r = 1; r <= TPUT_ROUNDS; r++)); do
		for s in $(rotate "$r" none wattlet empty runqlat); do
			log "throughput: round $r/$TPUT_ROUNDS, $s"
			window tput "$s" "$r" "$TPUT_REPS"
		done
	done
}

raise_limits() { # room for PROCS more tasks: pid_max and RLIMIT_NPROC
	local tasks need
	tasks=$(cut -d/ -f2 /proc/loadavg | cut -d' ' -f1)
	need=$((tasks + PROCS + 4096))
	if [ "$(cat /proc/sys/kernel/pid_max)" -lt "$need" ]; then
		old_pid_max=$(cat /proc/sys/kernel/pid_max)
		log "raising kernel.pid_max $old_pid_max -> $need for the run"
		sysctl -qw kernel.pid_max="$need"
	fi
	[ "$(ulimit -u)" = unlimited ] || [ "$(ulimit -u)" -ge "$need" ] || ulimit -u "$need"
}

bench_daemon() { # WAKE_MS: 0, the processes sleep; else each wakes every WAKE_MS
	local i
	raise_limits
	log "daemon: spawning $PROCS processes (wake every $1 ms)"
	"$BENCH_OUT/spawn" "$PROCS" "$1" >"$tmp/spawn.out" &
	spawn_pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -q '^ready' "$tmp/spawn.out" && break
		kill -0 "$spawn_pid" 2>/dev/null || die "spawn failed"
		sleep 0.1
	done
	[ "$i" -lt 600 ] || die "spawn: $PROCS processes not ready in 60 s"
	"$WATTLET" --interval 1 --output json --listen none >"$tmp/docs.jsonl" 2>"$tmp/daemon.log" &
	subject_pid=$!
	# waking processes: let every one of them run once, so the agent tracks all
	wait_attached "$subject_pid" daemon "$((3 + $1 / 1000))"
	log "daemon: measuring for $HOLD s"
	$STAT daemon "$subject_pid" "$HOLD" "$tmp/docs.jsonl" "$PROCS" "$1" >>"$results"
	stop_subject wattlet
	stop_pid "$spawn_pid" TERM
	spawn_pid=0
}

main() {
	preflight
	tmp=$(mktemp -d /tmp/wattlet-bench.XXXXXX)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	old_stats=$(sysctl -n kernel.bpf_stats_enabled)
	build_helpers
	results=$BENCH_OUT/core-results.jsonl
	WATTLET=$WATTLET PIPE_CMD="${PIPE[*]:2}" $STAT env >"$results"
	case " $PARTS " in *" switch "*) bench_switch ;; esac
	case " $PARTS " in *" tput "*) bench_tput ;; esac
	case " $PARTS " in *" daemon "*) bench_daemon 0; bench_daemon "$WAKE_MS" ;; esac
	$STAT summary "$results" | tee "$BENCH_OUT/core.md"
	log "raw rows: $results; summary: $BENCH_OUT/core.md"
}

main "$@"
