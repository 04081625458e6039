#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Energy end to end with --meter rapl on a powercap tree this test writes
# (--sysfs-root): counters driven by the wall clock at known power, package
# 20 W (core 12 W inside it), dram 5 W. The package counter wraps mid-run and
# then turns to garbage for a while; later the package zone and its core
# vanish for two intervals while dram stays. The daemon must report 25 W of
# node power in every document (never dram alone), count the wrap as no
# error, reject the garbage and vanished intervals, one error each, keep the
# three zone names in every document, lose no energy, split --idle-watts 10
# into idle and active, and conserve energy in every JSON document.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF programs"
	exit 77
fi
tmp=$(mktemp -d)
writer_pid=
trap '[ -n "$writer_pid" ] && kill $writer_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

# The writer: each counter = its power x elapsed time, renamed into place so a
# reader never sees a half-written file. From 2.5 s to 3.7 s the package holds
# garbage; from 4.2 s to 6.4 s the package and its core are moved out of
# class/powercap (as when a driver unbinds). Their counters keep counting
# underneath, as RAPL's do in hardware.
python3 - "$tmp" >"$tmp/writer.log" 2>&1 <<'PY' &
import os, sys, time
root = sys.argv[1] + "/class/powercap"
RANGE = 262143328850
zones = {"intel-rapl:0": ("package-0", 20.0, RANGE - 30_000_000),	# wraps after 1.5 s
         "intel-rapl:0:0": ("core", 12.0, 0),
         "intel-rapl:0:1": ("dram", 5.0, 1_000_000)}
def put(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".tmp", path)
for z, (name, _, base) in zones.items():
    os.makedirs(f"{root}/{z}")
    put(f"{root}/{z}/name", name)
    put(f"{root}/{z}/max_energy_range_uj", str(RANGE))
gone = sys.argv[1] + "/gone"
os.makedirs(gone)
t0 = time.monotonic()
while True:
    t = time.monotonic() - t0
    for z, (name, watts, base) in zones.items():
        uj = (base + int(watts * t * 1e6)) % (RANGE + 1)
        text = "garbage" if z == "intel-rapl:0" and 2.5 <= t < 3.7 else str(uj)
        away = z != "intel-rapl:0:1" and 4.2 <= t < 6.4
        where = f"{gone}/{z}" if away else f"{root}/{z}"
        if not os.path.isdir(where):
            os.rename(f"{root}/{z}" if away else f"{gone}/{z}", where)
        put(f"{where}/energy_uj", text)
    open(sys.argv[1] + "/ready", "w").close()
    time.sleep(0.01)
PY
writer_pid=$!
for _ in $(seq 50); do [ -e "$tmp/ready" ] && break; sleep 0.1; done

"$WATTLET" --meter rapl --sysfs-root "$tmp" --idle-watts 10 --output json --interval 1 \
	--duration 8 --listen none >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: wattlet exited $rc"
	sed 's/^/    /' "$tmp/err" "$tmp/writer.log"
	exit 1
fi

python3 - "$tmp/out" "$tmp/err" <<'PY'
import json, sys
REL = 1e-9
ok = True
def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok &= bool(cond)
def close(a, b, rel=REL):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-9)

docs = [json.loads(l) for l in open(sys.argv[1])]
need(len(docs) >= 7, f"{len(docs)} documents in 8 s at --interval 1")
names = ["package-0", "package-0/core", "package-0/dram"]
prev_errors = 0
for i, d in enumerate(docs):
    nd = d["node"]
    need(nd["meter"] == "rapl" and all(z["meter"] == "rapl" for z in nd["zones"]),
         f"doc {i}: node and zones say rapl")
    lhs = (sum(c["energy_joules_total"] for c in d["cgroups"]) +
           nd["retired_energy_joules_total"] + nd["unattributed_energy_joules_total"])
    need(close(lhs, nd["active_energy_joules_total"]),
         f"doc {i}: cgroups + retired + unattributed = active ({lhs:.12g})")
    need(close(nd["active_energy_joules_total"] + nd["idle_energy_joules_total"],
               nd["energy_joules_total"]), f"doc {i}: active + idle = energy")
    need(all(z["joules_total"] >= 0 for z in nd["zones"]), f"doc {i}: zone totals >= 0")
    need(sorted(z["name"] for z in nd["zones"]) == names,
         f"doc {i}: zones {sorted(z['name'] for z in nd['zones'])}")
    step = nd["meter_errors_total"] - prev_errors
    need(step in (0, 1), f"doc {i}: {step} meter errors in one interval (0 or 1)")
    prev_errors = nd["meter_errors_total"]

nd = docs[-1]["node"]
span = sum(d["interval_seconds"] for d in docs)
zones = {z["name"]: z for z in nd["zones"]}
# garbage for 1.2 s: at least one rejected interval; gone for 2.2 s: at least two
need(nd["meter_errors_total"] >= 3, f"garbage and vanished rejected ({nd['meter_errors_total']} errors)")
warn = open(sys.argv[2]).read()
need("garbage" in warn and "intel-rapl:0/energy_uj" in warn, "warning names the file")
need(warn.count("garbage value") == 1, "one warning for the kind")
need(warn.count("zone vanished") == 1 and "intel-rapl:0" in warn, "one warning for the vanished zone")
# Counters kept their baseline through the garbage: nothing lost. The first
# interval's span also covers the agent's start-up, hence the 10 % bound.
power = nd["energy_joules_total"] / span
need(abs(power - 25) <= 2.5, f"node energy / time = {power:.2f} W, written 25 W")
need(abs(zones["package-0"]["joules_total"] / span - 20) <= 2,
     f"package {zones['package-0']['joules_total']:.2f} J over {span:.2f} s (20 W written)")
# the first interval also spans the agent's start-up; a rejected one keeps the last power
for i, d in enumerate(docs[1:], 1):
    w = d["node"]["power_watts"]
    need(abs(w - 25) <= 1.5, f"doc {i}: node power {w:.2f} W, written 25 W")
need(abs(zones["package-0/core"]["watts"] - 12) <= 1.5,
     f"core {zones['package-0/core']['watts']:.2f} W, detail only")
need(close(nd["idle_energy_joules_total"] / nd["energy_joules_total"],
           10 / 25, 0.05), f"idle share {nd['idle_energy_joules_total'] / nd['energy_joules_total']:.3f} with --idle-watts 10")
sys.exit(0 if ok else 1)
PY
