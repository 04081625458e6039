#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Perf counters that do not open leave no hole: with --counters cycles,cpu-clock
# on a machine without a PMU, cycles is left out and the document's
# agent.counters says exactly which counters are read, in the order of the
# values the BPF side keeps ("cpu-clock" alone, not "cycles", which once
# made "cycles" attribution read cpu-clock values). Ground truth for which
# counters can open: perf_event_open(2) called here, not the agent's word.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF programs"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Which of the two open on CPU 0, by the kernel's answer to perf_event_open.
python3 - >"$tmp/want" <<'PY'
import ctypes, json, os, struct
libc = ctypes.CDLL(None, use_errno=True)
NR_perf_event_open = {"x86_64": 298, "aarch64": 241}[os.uname().machine]
def opens(type_, config):
    # struct perf_event_attr: type, size, config; the rest zero (PERF_ATTR_SIZE_VER0 = 64)
    attr = struct.pack("=IIQ", type_, 64, config) + bytes(48)
    fd = libc.syscall(NR_perf_event_open, ctypes.c_char_p(attr), -1, 0, -1, 8)  # FD_CLOEXEC
    if fd >= 0:
        os.close(fd)
    return fd >= 0
want = [name for name, t, c in (("cycles", 0, 0), ("cpu-clock", 1, 0)) if opens(t, c)]
print(json.dumps(want))
PY
echo "counters that open here: $(cat "$tmp/want")"

"$WATTLET" --counters cycles,cpu-clock --share-by cycles --meter model --interval 0.5 \
	--duration 2 --output json --listen none >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: wattlet exited $rc"
	cat "$tmp/err"
	exit 1
fi
python3 - "$tmp/out" "$tmp/want" <<'PY'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want = json.load(open(sys.argv[2]))
if not docs:
    sys.exit("FAIL: no documents")
got = docs[-1]["agent"]["counters"]
print("agent.counters:", got, "want:", want)
if got != want:
    sys.exit("FAIL: agent.counters %s, but the counters that open are %s" % (got, want))
print("PASS")
PY
