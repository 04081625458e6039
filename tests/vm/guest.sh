#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs inside a matrix guest as root (from tests/vm/init): the agent, then the whole BPF
# ground-truth suite. POSIX sh, for busybox too. Writes to RESULTS_DIR:
#   results   one line per test: PASS name | FAIL name: why; a retried test says so
#   variants  what the agent chose here: attach, per-thread state, CPU time source
#   *.log     each run's own output
# A test that fails is run once more (timing under emulation); the retry is reported.
BUILD=$1
RESULTS=$2

mount_once() { # type dir
	grep -q " $2 $1 " /proc/mounts || mount -t "$1" "$1" "$2"
}

setup() {
	mkdir -p "$RESULTS"
	mount_once cgroup2 /sys/fs/cgroup
	mount_once bpf /sys/fs/bpf
	mount_once tracefs /sys/kernel/tracing
	echo "kernel $(uname -r) $(uname -m), $(nproc) CPUs" >"$RESULTS/kernel"
}

result() {
	echo "$*" >>"$RESULTS/results"
	echo "guest: $*"
}

# A number from the agent's compact JSON line: field name.
json_num() {
	sed -n "s/.*\"$1\": *\([-0-9.e+]*\).*/\1/p"
}

json_str() {
	sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"
}

# A workload: once a line comes from fifo $1, a shell loop for about $2 seconds, forking date
# as it goes.
WORK='read -r go <"$1"
end=$(($(date +%s) + $2))
while [ "$(date +%s)" -lt $end ]; do
	i=0
	while [ $i -lt 1000 ]; do i=$((i + 1)); done
done'

# Wait (up to a minute) until the agent has written this many documents.
documents() { # count
	for i in $(seq 300); do
		[ "$(wc -l <"$log")" -ge "$1" ] && return
		kill -0 $agent 2>/dev/null || return
		sleep 0.2
	done
}

# The agent as a daemon: it loads, writes a document every interval naming its variants, a
# workload in a fresh cgroup gets what the kernel's cpu.stat says to 1%, and no interval has
# more node busy time than its CPUs had, give or take a tick (a layout bug once made it 400 s
# in 1 s). Node busy has no lower bound here: under emulation the kernel's own tick
# accounting loses ticks.
# The workload's shell waits, blocked, from before the agent starts until it has written its
# first document, and is moved into the cgroup while blocked: the agent counts a task's gains
# in the cgroup it is in when collected, so the shell's own start-up must be in the agent's
# baseline, not in the cgroup.
agent() {
	name=agent__documents__match_cpu_stat
	log=$RESULTS/agent.json
	cg=/sys/fs/cgroup/wattlet-agent-check
	cpus=$(nproc)
	fifo=/tmp/wattlet-agent-go
	mkdir -p $cg
	mkfifo $fifo
	sh -c "$WORK" work $fifo 2 &
	worker=$!
	for i in $(seq 100); do
		grep -q '^State:.*S (sleeping)' /proc/$worker/status && break
		sleep 0.1
	done
	"$BUILD/wattlet" --listen none --output json --interval 1 >"$log" 2>"$RESULTS/agent.err" &
	agent=$!
	documents 1
	echo $worker >$cg/cgroup.procs
	echo go >$fifo
	wait $worker
	# two more collections after the workload's last exit, then stop (SIGTERM: exit 0)
	documents $(($(wc -l <"$log") + 2))
	kill -TERM $agent
	wait $agent
	rc=$?
	truth=$(sed -n 's/^usage_usec \([0-9]*\)/\1/p' $cg/cpu.stat)
	rmdir $cg
	rm -f $fifo
	if [ $rc -ne 0 ]; then
		verdict="exit $rc: $(tail -n 1 "$RESULTS/agent.err")"
		return 1
	fi
	last=$(tail -n 1 "$log")
	printf 'attach=%s thread_state=%s cpu_times=%s\n' "$(echo "$last" | json_str attach)" \
		"$(echo "$last" | json_str thread_state)" "$(echo "$last" | json_str cpu_times)" \
		>"$RESULTS/variants"
	got=$(echo "$last" | grep -o '"path":"/wattlet-agent-check"[^}]*' | json_num cpu_seconds_total)
	verdict=$(while read -r line; do
		echo "$(echo "$line" | json_num interval_seconds) $(echo "$line" | json_num cpu_busy_seconds_total)"
	done <"$log" | awk -v cpus="$cpus" -v got="${got:-0}" -v truth="$truth" '
		NR > 1 && $2 - busy > cpus * ($1 * 1.02 + 0.02) {
			bad = 1
			printf "interval %d: node busy %.3f s in %.3f s on %d CPUs; ", NR, $2 - busy, $1, cpus }
		{ busy = $2 }
		END {
			if (NR < 3) { bad = 1; printf "%d documents, want >= 3; ", NR }
			want = truth / 1e6; err = got > want ? got - want : want - got
			if (err > 0.01 * want) bad = 1
			printf "cgroup cpu %.6f s, cpu.stat %.6f s, error %.3f%% (limit 1%%)", got, want,
				(want > 0 ? 100 * err / want : 100)
			exit bad
		}')
}

# The agent check, run once more if it fails; the retry is reported.
agent_checked() {
	if agent; then
		result "PASS $name ($(cat "$RESULTS/variants"); $verdict)"
		return
	fi
	first=$verdict
	if agent; then
		result "PASS $name ($(cat "$RESULTS/variants"); $verdict; retried once; first run: $first)"
	else
		result "FAIL $name: $verdict (also in the first run: $first)"
	fi
}

# The first assertion a failed test printed, for its one-line result.
why() { # log
	grep -m 1 '^  [a-z_]*:[0-9]*: ' "$1" | sed 's/^  //'
}

suite() {
	log=$RESULTS/bpf_accounting.log
	"$BUILD/tests/bpf_accounting" >"$log" 2>&1
	echo "exit $?" >>"$log"
	sed -n 's/^PASS \(.*\)/\1/p' "$log" | while read -r t; do
		result "PASS $t"
	done
	sed -n 's/^SKIP \(.*\)/\1/p' "$log" | while read -r t; do
		result "SKIP $t"
	done
	sed -n 's/^FAIL \(.*\)/\1/p' "$log" | while read -r t; do
		first=$(sed -n "/^RUN  $t\$/,/^FAIL $t\$/p" "$log" >"$RESULTS/first-$t.log"; why "$RESULTS/first-$t.log")
		"$BUILD/tests/bpf_accounting" "$t" >"$RESULTS/retry-$t.log" 2>&1
		if grep -q "^PASS $t\$" "$RESULTS/retry-$t.log"; then
			result "PASS $t (retried once; first run: $first)"
		else
			result "FAIL $t: $(why "$RESULTS/retry-$t.log") (also in the first run: $first)"
		fi
	done
	grep -q '^[0-9]* passed, [0-9]* failed' "$log" ||
		result "FAIL bpf_accounting: did not finish: $(tail -n 1 "$log")"
}

setup
agent_checked
suite
echo done >>"$RESULTS/results.done"
