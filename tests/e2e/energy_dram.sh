#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# DRAM energy by memory, end to end: a powercap tree this test writes (package 20 W, its dram
# zone 6 W, --idle-watts 13: half of each zone is active) and three real cgroups whose memory
# the test controls: A holds 64 MiB, B 192 MiB (both mostly asleep, waking 5 times a second: a
# cgroup is tracked once its tasks run), C spins with next to no memory.
# The cgroups' memory comes from cgroup2's memory.current where cgroup2 has the memory
# controller, else from the v1 memory hierarchy at the same path (a hybrid host, like the
# test VM); the test reads the same files, and /proc/meminfo, as ground truth.
# Checks, in every document to 1e-9: cgroups + retired + unattributed = active for the DRAM
# zone and for the rest. Over the run: the DRAM zone's active energy split A:B as the kernel's
# memory figures (2 %), A's share of it as A's share of the memory in use (10 %: the machine is
# shared, its memory in use moves); the package's active energy goes by CPU, to C, next to none
# to A and B.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF programs and create cgroups"
	exit 77
fi
PY=/usr/bin/python3
cg2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
v1=$(awk '$9 == "cgroup" && $NF ~ /(^|,)memory(,|$)/ { print $5; exit }' /proc/self/mountinfo)
name=wattlet-e2e-dram-$$
tmp=$(mktemp -d)
pids=()
dirs=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "${dirs[i]}" 2>/dev/null && break; sleep 0.2; done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
mk() { mkdir "$1" || exit 1; dirs+=("$1"); }

# Where memory is counted: cgroup2 if it has the controller, else v1 at the same paths.
mk "$cg2/$name"
if grep -qw memory "$cg2/cgroup.controllers"; then
	echo +memory >"$cg2/$name/cgroup.subtree_control" || exit 1
	memroot=$cg2 memfile=memory.current
elif [ -n "$v1" ]; then
	mk "$v1/$name"
	memroot=$v1 memfile=memory.usage_in_bytes
else
	echo "SKIP: no memory controller in cgroup2 nor in a v1 hierarchy"
	exit 77
fi
for c in a b c; do
	mk "$cg2/$name/$c"
	[ "$memroot" = "$cg2" ] || mk "$memroot/$name/$c"
done
join() { # cgroup: the shell's own pid into the cgroup in both hierarchies
	echo "echo \$\$ >'$cg2/$name/$1/cgroup.procs' && { [ '$memroot' = '$cg2' ] ||" \
		"echo \$\$ >'$memroot/$name/$1/cgroup.procs'; }"
}
hold='import sys, time; b = bytearray(int(sys.argv[1]) << 20)
for i in range(0, len(b), 4096): b[i] = 1
open(sys.argv[2], "w").close()
while True: time.sleep(0.2)'
sh -c "$(join a) && exec $PY -c '$hold' 64 $tmp/a.ready" &
pids+=($!)
sh -c "$(join b) && exec $PY -c '$hold' 192 $tmp/b.ready" &
pids+=($!)
sh -c "$(join c) && exec sh -c 'while :; do :; done'" &
pids+=($!)
for _ in $(seq 100); do [ -e "$tmp/a.ready" ] && [ -e "$tmp/b.ready" ] && break; sleep 0.1; done
[ -e "$tmp/b.ready" ] || { echo "FAIL: memory holders did not start"; exit 1; }

# The powercap tree: each counter = its power x elapsed time, renamed into place.
$PY - "$tmp" >"$tmp/writer.log" 2>&1 <<'PY' &
import os, sys, time
root = sys.argv[1] + "/class/powercap"
zones = {"intel-rapl:0": ("package-0", 20.0), "intel-rapl:0:0": ("dram", 6.0)}
def put(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".tmp", path)
for z, (zname, _) in zones.items():
    os.makedirs(f"{root}/{z}")
    put(f"{root}/{z}/name", zname)
    put(f"{root}/{z}/max_energy_range_uj", "262143328850")
t0 = time.monotonic()
while True:
    t = time.monotonic() - t0
    for z, (_, watts) in zones.items():
        put(f"{root}/{z}/energy_uj", str(1000 + int(watts * t * 1e6)))
    open(sys.argv[1] + "/ready", "w").close()
    time.sleep(0.01)
PY
pids+=($!)
for _ in $(seq 50); do [ -e "$tmp/ready" ] && break; sleep 0.1; done

# Ground truth while the agent runs: the kernel's memory figures, every 0.25 s (one process,
# so a loaded machine still gets its samples).
$PY - "$memroot/$name" "$memfile" >"$tmp/mem" <<'PY' &
import sys, time
base, memfile = sys.argv[1], sys.argv[2]
def meminfo():
    kv = dict(l.split(":", 1) for l in open("/proc/meminfo"))
    return (int(kv["MemTotal"].split()[0]) - int(kv["MemFree"].split()[0])) * 1024
while True:
    row = [time.time()] + [int(open(f"{base}/{c}/{memfile}").read()) for c in "abc"]
    print(*row, meminfo(), flush=True)
    time.sleep(0.25)
PY
pids+=($!)
"$WATTLET" --meter rapl --sysfs-root "$tmp" --idle-watts 13 --output json --interval 1 \
	--duration 6 --listen none >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: wattlet exited $rc"
	sed 's/^/    /' "$tmp/err" "$tmp/writer.log"
	exit 1
fi
ids=$(for c in a b c; do stat -c %i "$cg2/$name/$c"; done)

$PY - "$tmp" "$memfile" $ids <<'PY'
import json, sys
tmp, memfile = sys.argv[1], sys.argv[2]
ida, idb, idc = (int(x) for x in sys.argv[3:6])
ok = True
def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok &= bool(cond)
def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-9)

docs = [json.loads(l) for l in open(f"{tmp}/out")]
err = open(f"{tmp}/err").read()
need(len(docs) >= 5, f"{len(docs)} documents")
print("     agent said: " + " | ".join(l for l in err.splitlines() if "dram" in l.lower()))
for i, d in enumerate(docs):
    nd = d["node"]
    need(nd["dram_share_by"] == "memory", f"doc {i}: DRAM shared by memory ({memfile})")
    dram = (sum(c["dram_energy_joules_total"] for c in d["cgroups"]) +
            nd["retired_dram_energy_joules_total"] + nd["unattributed_dram_energy_joules_total"])
    need(close(dram, nd["dram_active_energy_joules_total"]),
         f"doc {i}: DRAM zone: cgroups + retired + unattributed {dram:.12g} = active "
         f"{nd['dram_active_energy_joules_total']:.12g}")
    rest = (sum(c["energy_joules_total"] - c["dram_energy_joules_total"] for c in d["cgroups"]) +
            nd["retired_energy_joules_total"] - nd["retired_dram_energy_joules_total"] +
            nd["unattributed_energy_joules_total"] - nd["unattributed_dram_energy_joules_total"])
    want = nd["active_energy_joules_total"] - nd["dram_active_energy_joules_total"]
    need(close(rest, want), f"doc {i}: package: cgroups + retired + unattributed {rest:.12g} = "
         f"active {want:.12g}")

first, last = docs[0], docs[-1]
def cg(d, i):
    return next((c for c in d["cgroups"] if c["id"] == i), None)
# each interval, the DRAM zone is active in the node's proportion
def zone_j(d):
    return next(z["joules_total"] for z in d["node"]["zones"] if z["name"] == "package-0/dram")
for i in range(1, len(docs)):
    a, b = docs[i - 1]["node"], docs[i]["node"]
    share = ((b["active_energy_joules_total"] - a["active_energy_joules_total"]) /
             (b["energy_joules_total"] - a["energy_joules_total"]))
    got = b["dram_active_energy_joules_total"] - a["dram_active_energy_joules_total"]
    want = (zone_j(docs[i]) - zone_j(docs[i - 1])) * share
    need(abs(got - want) <= 1e-9 * b["dram_active_energy_joules_total"],
         f"doc {i}: DRAM active +{got:.9f} J = DRAM zone +{want / share:.9f} J x active share {share:.4f}")
nd = last["node"]
A, B, C = cg(last, ida), cg(last, idb), cg(last, idc)
need(A and B and C, "the three cgroups are reported")
if not (A and B and C):
    sys.exit(1)

# the kernel's memory over the same window (only the agent's first interval precedes docs[0])
t0, t1 = first["timestamp"] - first["interval_seconds"], last["timestamp"]
rows = [[float(x) for x in l.split()] for l in open(f"{tmp}/mem") if len(l.split()) == 5]
rows = [r for r in rows if t0 <= r[0] <= t1]
need(len(rows) >= 5, f"{len(rows)} memory samples in the run")
mean = lambda k: sum(r[k] for r in rows) / len(rows)
ma, mb, mc, used = mean(1), mean(2), mean(3), mean(4)
print(f"     kernel: A {ma / 2**20:.1f} MiB, B {mb / 2**20:.1f} MiB, C {mc / 2**20:.1f} MiB, "
      f"node in use {used / 2**20:.0f} MiB")
da, db, dc = (x["dram_energy_joules_total"] for x in (A, B, C))
ratio, truth = da / db, ma / mb
need(abs(ratio / truth - 1) <= 0.02, f"DRAM A:B {ratio:.4f}, memory A:B {truth:.4f}")
share, truth = da / nd["dram_active_energy_joules_total"], ma / used
need(abs(share / truth - 1) <= 0.10, f"A's share of DRAM {share:.5f}, of memory in use {truth:.5f}")
need(dc < da / 4, f"C (spinning, {mc / 2**20:.1f} MiB) has {dc:.4f} J of DRAM, A {da:.4f} J")
pkg = nd["active_energy_joules_total"] - nd["dram_active_energy_joules_total"]
pa, pc = A["energy_joules_total"] - da, C["energy_joules_total"] - dc
pb = B["energy_joules_total"] - db
need(pa < 0.02 * pkg and pb < 0.02 * pkg,
     f"A and B (asleep) have {pa:.4f} J and {pb:.4f} J of the package's {pkg:.3f} J active")
need(pc > 20 * max(pa, pb), f"C (spinning) has {pc:.3f} J of it, 20 times theirs at least")
sys.exit(0 if ok else 1)
PY
