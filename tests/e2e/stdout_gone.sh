#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# stdout that goes away: a pipe whose reader quits early (head -c 100) and a
# full disk (/dev/full). With --listen the daemon says so in one line, stops
# printing, and goes on collecting and serving until --duration, exit 0.
# Without a listener there is nothing left to do: one line, exit 1, at the
# first write that fails.
set -u
fail=0
check() { # description, condition...
	local what=$1
	shift
	if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF programs"
	exit 77
fi
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
collections() { # port: wattlet_collections_total, or nothing
	curl -s -m 2 "http://127.0.0.1:$1/metrics" | awk '/^wattlet_collections_total/ {print $2}'
}
# The error lines (the meter's choice, the model's row, and what --gpu auto found or why it
# measures no GPU, are the only other lines wattlet prints here).
errors() { grep -v -e '^wattlet: meter: using' -e '^wattlet: model: ' -e '^wattlet: gpu' "$1" 2>/dev/null; }

# $1 name, $2 how stdout goes away (pipe or full), $3 port or none
serve_case() {
	local name=$1 how=$2 port=$3 n1 n2 i
	if [ "$how" = pipe ]; then
		("$WATTLET" --output json --interval 0.5 --duration 5 --listen "127.0.0.1:$port" \
			2>"$tmp/$name.err" | head -c 100 >"$tmp/$name.head"
		 echo "${PIPESTATUS[0]}" >"$tmp/$name.rc") &
	else
		("$WATTLET" --output json --interval 0.5 --duration 5 --listen "127.0.0.1:$port" \
			2>"$tmp/$name.err" >/dev/full
		 echo $? >"$tmp/$name.rc") &
	fi
	for i in $(seq 40); do
		[ -n "$(errors "$tmp/$name.err")" ] && break
		sleep 0.1
	done
	n1=$(collections "$port")
	sleep 1.2
	n2=$(collections "$port")
	wait
	check "$name: serves /metrics after stdout went away" [ -n "$n1" ]
	check "$name: collects on ($n1 then $n2 collections, 1.2 s apart at 0.5 s)" \
		[ "${n2:-0}" -ge $((${n1:-999} + 2)) ]
	check "$name: runs to --duration, exit 0 (got $(cat "$tmp/$name.rc"))" \
		[ "$(cat "$tmp/$name.rc")" = 0 ]
	check "$name: one line on stderr ($(errors "$tmp/$name.err" | wc -l))" \
		[ "$(errors "$tmp/$name.err" | wc -l)" -eq 1 ]
	check "$name: the line says what happened and what goes on" \
		grep -qx "wattlet: cannot write to stdout: $4; stopped printing, still serving on 127.0.0.1:$port" \
		"$tmp/$name.err"
}
serve_case pipe-serving pipe "$(free_port)" "Broken pipe"
check "pipe-serving: the reader got its 100 bytes" [ "$(wc -c <"$tmp/pipe-serving.head")" -eq 100 ]
serve_case full-serving full "$(free_port)" "No space left on device"

# Without a listener: one line, exit 1, long before --duration.
start=$(date +%s%N)
"$WATTLET" --output json --interval 0.5 --duration 30 --listen none 2>"$tmp/pipe.err" |
	head -c 100 >/dev/null
rc=${PIPESTATUS[0]}
took=$((($(date +%s%N) - start) / 1000000))
check "pipe, no listener: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "pipe, no listener: stops at the failed write (${took} ms, not 30 s)" \
	[ "$took" -lt 10000 ]
check "pipe, no listener: one line" [ "$(errors "$tmp/pipe.err" | wc -l)" -eq 1 ]
check "pipe, no listener: the line says why it exits" \
	grep -qx "wattlet: cannot write to stdout: Broken pipe; exiting, as there is no --listen to serve" \
	"$tmp/pipe.err"

"$WATTLET" --output json --interval 0.5 --duration 30 --listen none >/dev/full 2>"$tmp/full.err"
rc=$?
check "/dev/full, no listener: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "/dev/full, no listener: the line says why it exits" \
	grep -qx "wattlet: cannot write to stdout: No space left on device; exiting, as there is no --listen to serve" \
	"$tmp/full.err"
check "/dev/full, no listener: one line" [ "$(errors "$tmp/full.err" | wc -l)" -eq 1 ]
exit $fail
