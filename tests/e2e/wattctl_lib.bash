# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Helpers for the wattctl end-to-end scripts; sourced (not *.sh, so the runner skips it).
# shellcheck shell=bash

fails=0
checks=0

ok() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL $*"; }

# expect_rc WANT DESCRIPTION -- command...: the exit code, and what it was if not.
expect_rc() {
	local want=$1 what=$2 rc
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$what (exit $rc)"; else
		fail "$what: exit $rc, want $want; stdout: $(head -c 300 "$tmp/out"); stderr: $(head -c 300 "$tmp/err")"
	fi
}

# File $1 has exactly one line, containing every further argument.
one_line_with() {
	local f=$1 what=$2 s
	shift 2
	if [ "$(wc -l <"$f")" != 1 ]; then fail "$what: $(wc -l <"$f") lines: $(cat "$f")"; return; fi
	for s in "$@"; do
		grep -qF -- "$s" "$f" || { fail "$what: no '$s' in: $(cat "$f")"; return; }
	done
	ok "$what"
}

# Two JSON files hold the same value (key order aside).
json_equal() {
	python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:3]); sys.exit(a!=b)' "$1" "$2"
}

# Table text with numbers masked: a number standing alone (with its unit,
# "12.3W", "42%") becomes '#' and keeps the unit; names such as web-0 stay.
# Runs of blanks become one blank, so column widths do not matter.
# MASK_UNITS=1 masks the unit too, for an agent whose figures vary.
mask_numbers() {
	python3 -c '
import os, re, sys
units = os.environ.get("MASK_UNITS") == "1"
num = re.compile(r"(?<![\w.-])\d+(?:\.\d+)?([a-zA-Z%]*)(?=[\s),]|$)")
for line in sys.stdin:
    line = num.sub("#" if units else lambda m: "#" + m.group(1), line.rstrip("\n"))
    print(re.sub(r"\s+", " ", line).rstrip())
'
}

# Compare masked output $1 with golden file $2; UPDATE_GOLDEN=1 rewrites it.
golden() {
	local out=$1 gold=$2 what=$3
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$out" "$gold"; ok "$what (golden rewritten)"; return; fi
	if diff -u "$gold" "$out" >"$tmp/diff"; then ok "$what matches $(basename "$gold")"; else
		fail "$what differs from $gold:"; sed 's/^/    /' "$tmp/diff"
	fi
}

# A TCP port on 127.0.0.1 with nothing listening (bound, then released).
closed_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Wait up to $2 seconds for file $1 to exist.
wait_file() {
	local i
	for i in $(seq 1 $(($2 * 10))); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}

summary() {
	echo "$((checks - fails)) passed, $fails failed"
	[ "$fails" = 0 ]
}
