#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Energy end to end, real BPF collector and --meter model:
# - one busy cgroup running alone gets >= 90 % of the node's active energy,
#   and its share matches the kernel's own cpu.stat over /proc/stat busy time;
# - its processes get (almost) all of the cgroup's energy, never more;
# - the node energy matches the model's formula evaluated on /proc/stat
#   utilisation and /proc/meminfo;
# - conservation holds in every JSON document, to 1e-9 relative:
#   cgroups + retired + unattributed = active, active + idle = energy.
# "Alone": one busy loop per CPU in the cgroup, in their own session whose
# autogroup and nice are -20, so other work on a shared machine gets little
# CPU for those seconds. The agent and the kernel snapshots around it run in a
# -20 autogroup of their own too (measured_run): in the runner's they got ~1%
# of the CPU and could start only when the spinners stopped. The window judged
# is the agent's from its first document to its last, so that its own start-up
# is not "other work". An attempt in which the
# kernel still says the cgroup had < 90 % of the node's busy time is not
# quiet enough to judge the 90 % rule and is retried (3 attempts at most).
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF programs and create cgroups"
	exit 77
fi
. tests/cgroup2.sh
cgroot=$(cgroup2_root)
if [ -z "$cgroot" ]; then
	echo "FAIL: no cgroup2 mount in /proc/self/mountinfo"
	exit 1
fi
tmp=$(mktemp -d)
cg="$cgroot/wattlet-e2e-energy-$$"
agent_pid=

stop_busy() {
	[ -f "$cg/cgroup.procs" ] && kill $(cat "$cg/cgroup.procs") 2>/dev/null
	wait 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -d "$cg" ] || break
		rmdir "$cg" 2>/dev/null && break
		sleep 0.2
	done
}
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	stop_busy
	rm -rf "$tmp"
}
trap cleanup EXIT

# The kernel's view: node busy and idle jiffies, the cgroup's usage, wall time.
snap() { # file
	{
		awk '/^cpu / { print "busy", $2 + $3 + $4 + $7 + $8; print "idle", $5 + $6 }' /proc/stat
		awk '/^usage_usec/ { print "cg_usec", $2 }' "$cg/cpu.stat"
	} >"$1"
}

# The agent's run, the kernel's view at its first document and at its end; run in an
# autogroup of its own at -20 (setsid, below).
measured_run() { # n
	local n=$1 pid rc
	echo -20 >/proc/$$/autogroup 2>/dev/null
	"$WATTLET" --meter model --model-cpu average --output json --interval 1 --duration 5 \
		--listen none >"$tmp/out.$n" 2>"$tmp/err.$n" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && [ ! -s "$tmp/out.$n" ]; do sleep 0.02; done
	snap "$tmp/before.$n"
	wait "$pid"
	rc=$?
	snap "$tmp/after.$n"
	return $rc
}

attempt() { # n
	local n=$1 rc
	mkdir "$cg" || return 1
	setsid nice -n -20 bash -c '
		echo $$ > "$1/cgroup.procs" || exit 1
		echo -20 > /proc/$$/autogroup 2>/dev/null
		# setsid takes them out of the test runner'"'"'s process group, so a killed test
		# cannot take them along: each stops by itself after 60 s (an attempt takes 6)
		for _ in $(seq "$2"); do (while [ $SECONDS -lt 60 ]; do :; done) & done
		wait' _ "$cg" "$(nproc)" 2>"$tmp/spin.$n" &
	sleep 0.5
	if [ "$(wc -l <"$cg/cgroup.procs")" -le "$(nproc)" ]; then
		# the agent must find them there
		echo "the spinners are not in $cg: $(cat "$cg/cgroup.procs" | xargs) $(cat "$tmp/spin.$n")"
		stop_busy
		return 3
	fi
	export -f snap measured_run
	export cg tmp WATTLET
	# setsid does not fork here (the job is no group leader), so $! is the run's shell
	setsid nice -n -20 bash -c 'measured_run "$1"' _ "$n" &
	agent_pid=$!
	wait "$agent_pid"
	rc=$?
	agent_pid=
	local cgid pids
	cgid=$(stat -c %i "$cg")
	pids=$(cat "$cg/cgroup.procs")
	stop_busy
	if [ $rc -ne 0 ]; then
		echo "FAIL: wattlet exited $rc:"
		sed 's/^/    /' "$tmp/err.$n"
		return 1
	fi
	python3 - "$tmp" "$n" "$cgid" "$pids" <<'PY'
import json, os, sys

tmp, n, cgid = sys.argv[1], sys.argv[2], int(sys.argv[3])
pids = {int(p) for p in sys.argv[4].split()}
REL = 1e-9
HZ = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count()
ok = True

def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok &= bool(cond)

def close(a, b, rel=REL):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-9)

def snap(name):
    return {k: float(v) for k, v in (l.split() for l in open(f"{tmp}/{name}.{n}"))}

docs = [json.loads(l) for l in open(f"{tmp}/out.{n}")]
need(len(docs) >= 4, f"{len(docs)} documents in 5 s at --interval 1")
if not docs:
    sys.exit(1)

for i, d in enumerate(docs):
    nd = d["node"]
    cg_sum = sum(c["energy_joules_total"] for c in d["cgroups"])
    lhs = cg_sum + nd["retired_energy_joules_total"] + nd["unattributed_energy_joules_total"]
    need(nd["meter"] == "model" and nd["zones"][0]["meter"] == "model",
         f"doc {i}: meter and zone say model")
    need(close(lhs, nd["active_energy_joules_total"]),
         f"doc {i}: cgroups {cg_sum:.12g} + retired + unattributed = {lhs:.15g}, "
         f"active {nd['active_energy_joules_total']:.15g}")
    need(close(nd["active_energy_joules_total"] + nd["idle_energy_joules_total"],
               nd["energy_joules_total"]), f"doc {i}: active + idle = energy")
    bad = [w for w in d["cgroups"] + d["processes"] if w["energy_joules_total"] < 0]
    need(not bad and nd["unattributed_energy_joules_total"] >= 0 and nd["meter_errors_total"] == 0,
         f"doc {i}: nothing negative, no meter errors")

# The kernel's snapshots bracket the agent's first document and its last: judge that window.
nd, nd0 = docs[-1]["node"], docs[0]["node"]
busy = [c for c in docs[-1]["cgroups"] if c["id"] == cgid]
need(len(busy) == 1, f"busy cgroup id {cgid} reported")
if not busy:
    sys.exit(1)
busy = busy[0]
busy0 = sum(c["energy_joules_total"] for c in docs[0]["cgroups"] if c["id"] == cgid)

before, after = snap("before"), snap("after")
d_busy = (after["busy"] - before["busy"]) / HZ
d_idle = (after["idle"] - before["idle"]) / HZ
truth = (after["cg_usec"] - before["cg_usec"]) / 1e6 / d_busy
cg_j = busy["energy_joules_total"] - busy0
active_j = nd["active_energy_joules_total"] - nd0["active_energy_joules_total"]
share = cg_j / active_j
print(f"     kernel: busy cgroup had {truth:.3f} of node busy time; agent gave it "
      f"{share:.3f} of active energy ({cg_j:.3f} of {active_j:.3f} J) from its first "
      f"document to its last")
if truth < 0.9:
    print(f"     not quiet: other work had {1 - truth:.1%} of the busy time")
    sys.exit(3)
need(share >= 0.9, f"busy cgroup has >= 90 % of active energy ({share:.3f})")
need(abs(share - truth) <= 0.05, f"share {share:.3f} within 0.05 of the kernel's {truth:.3f}")

procs = [p for p in docs[-1]["processes"] if p["pid"] in pids]
need(len(procs) >= CPUS, f"{len(procs)} busy processes of {sorted(pids)} reported")
pe, ce = sum(p["energy_joules_total"] for p in procs), busy["energy_joules_total"]
need(0.95 * ce <= pe <= ce * (1 + REL), f"its processes have {pe:.4f} of its {ce:.4f} J")

# the model on the kernel's utilisation, CCF's average row (--model-cpu average):
# P = cpus*(0.74 + 2.76 u) + GiB*0.392
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
u = d_busy / (d_busy + d_idle)
want_w = CPUS * (0.74 + (3.5 - 0.74) * u) + mem / 2**20 * 0.392
span = sum(d["interval_seconds"] for d in docs[1:])
got_w = (nd["energy_joules_total"] - nd0["energy_joules_total"]) / span
need(abs(got_w - want_w) <= 0.05 * want_w,
     f"node power {got_w:.3f} W vs model on /proc/stat {want_w:.3f} W (u={u:.3f})")
sys.exit(0 if ok else 1)
PY
}

for n in 1 2 3; do
	attempt "$n"
	rc=$?
	[ $rc -ne 3 ] && exit $rc
	echo "attempt $n: retrying"
done
echo "FAIL: the node was never quiet enough in 3 attempts to judge the 90 % rule"
exit 1
