#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# GPU energy per pod, end to end: the agent loads the tests' fake NVML
# (build/tests/fake-nvml/libnvidia-ml.so.1) exactly as the real one, through
# LD_LIBRARY_PATH, and measures three pods built as real cgroup v2 hierarchies
# (kubelet systemd driver, containerd), whose PIDs the scenario names:
#   gpu-0  energy counter, per-process SM samples; lost for a step, then its
#          counter restarts (a driver reload); a sample of a pid nobody runs
#   gpu-1  no energy counter (power integrated), no samples (process lists);
#          both process lists NOT_SUPPORTED for a step, lost for another
#   gpu-2  MIG: two GPU instances with 28 and 14 SMs
# Checks, against the scenario (its counters, samples and lists are the truth;
# the interval lengths are the documents' own interval_seconds):
#   - each GPU's energy, active, idle and unattributed energy and errors;
#   - each pod's and a process's GPU energy and that pods' energy includes it;
#   - in every document: per GPU active + idle = energy; over the node
#     cgroups + retired + unattributed = active, for GPU energy and for all
#     energy; node energy = the CPU meter's + the GPUs';
#   - one warning per kind of fault; --gpu auto without the library says why
#     once and carries on; --gpu nvml without it exits 1 with one line;
#   - /metrics: pod, namespace, GPU and zone GPU energy exact, promtool-valid, and
#     both identities from its series alone.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root for BPF and cgroups"
	exit 77
fi
: "${WATTLET:?set WATTLET to the built agent}"
FAKE_NVML=$(dirname "$WATTLET")/tests/fake-nvml
[ -e "$FAKE_NVML/libnvidia-ml.so.1" ] || { echo "FAIL: no $FAKE_NVML/libnvidia-ml.so.1 (make tests-build)"; exit 1; }
cg2=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
	/proc/self/mountinfo | head -1)
[ -n "$cg2" ] || { echo "SKIP: no cgroup2 mount"; exit 77; }
DOCS=9			# intervals of 1 s
IDLE_W=5		# --gpu-idle-watts

tmp=$(mktemp -d /tmp/wattlet-gpu-pods-XXXXXX)
top="$cg2/wattlet-e2e-gpu-$$"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# a killed loop's last sleep may hold its cgroup for up to 0.1 s
	for _ in $(seq 20); do
		[ -d "$top" ] || break
		find "$top" -depth -type d -exec rmdir {} + 2>/dev/null
		sleep 0.1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

uuid() { cat /proc/sys/kernel/random/uuid; }
hex64() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
mkdir -p "$tmp/containers"
# pod NAME NS UID CONTAINER ID: its cgroups and kubelet log dirs; prints the container cgroup
pod() {
	local dir="$top/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${3//-/_}.slice"
	mkdir -p "$dir/cri-containerd-$5.scope" "$tmp/pods/$2_$1_$3/$4" || return 1
	: >"$tmp/pods/$2_$1_$3/$4/0.log"
	ln -s "$tmp/pods/$2_$1_$3/$4/0.log" "$tmp/containers/$1_$2_$4-$5.log"
	echo "$dir/cri-containerd-$5.scope"
}
uA=$(uuid) uB=$(uuid) uC=$(uuid)
ctrA=$(pod train-0 shop "$uA" trainer "$(hex64)") || exit 1
ctrB=$(pod infer-1 shop "$uB" server "$(hex64)") || exit 1
ctrC=$(pod render-2 batch "$uC" renderer "$(hex64)") || exit 1

# Light workloads that run a little every interval, so the agent tracks and lists them.
spawn() { # cgroup
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sh -c "while :; do sleep 0.1; done"' _ "$1" &
	pids+=($!)
}
spawn "$ctrA"; A1=$!
spawn "$ctrA"; A2=$!
spawn "$ctrB"; B=$!
spawn "$ctrC"; C=$!
X=$(($(cat /proc/sys/kernel/pid_max) - 1))	# a pid no process has: unattributed
while [ -d "/proc/$X" ]; do X=$((X - 1)); done

# The scenario; a rejected step (lost, restarted counter) carries the same samples as
# the step after it, which takes them in with its own (samples since the last one seen).
cat >"$tmp/scenario" <<EOF
gpu 0 uuid=GPU-00000000-1111-2222-3333-444444444444 name=NVIDIA_A100-SXM4-40GB
gpu 1 uuid=GPU-11111111-1111-2222-3333-444444444444 name=Tesla_K80 energy=power util=no
gpu 2 uuid=GPU-22222222-1111-2222-3333-444444444444 name=NVIDIA_A30 mig=on
mig 2 0 gi=3 sms=28
mig 2 1 gi=5 sms=14
step 0 mj=1000
step 0 mj=201000 sm=$A1:60,$A2:20,$B:20
step 0 mj=401000 sm=$A1:50,$B:50
step 0 lost sm=$A1:30,$B:10,$X:40
step 0 mj=701000 sm=$A1:30,$B:10,$X:40
step 0 mj=300 sm=$B:100
step 0 mj=150300 sm=$B:100
step 0 mj=350300 sm=$A2:70,$B:30
step 0 mj=450300 sm=$A1:10
step 0 mj=650300
step 0 mj=850300
step 1 mw=50000
step 1 mw=150000 compute=$C graphics=$A1
step 1 mw=150000 compute=$C
step 1 mw=100000 compute=$C,$B fail=compute:3,graphics:3
step 1 lost
step 1 mw=200000 compute=$C graphics=$C
step 1 mw=200000 compute=$C,$A1,$X
step 1 mw=80000 compute=$C
step 1 mw=80000 compute=$C
step 1 mw=80000
step 1 mw=80000
step 2 mj=0
step 2 mj=100000 mig0=$A2 mig1=$C,$B
step 2 mj=200000 mig0=$A2 mig1=$C,$B
step 2 mj=300000 mig1=$C
step 2 mj=400000 mig0=$A1,$A2
step 2 mj=500000
step 2 mj=600000 mig0=$A2 mig1=$B
step 2 mj=700000 mig0=$A2 mig1=$B
step 2 mj=800000 mig0=$A2 mig1=$B
step 2 mj=900000 mig0=$A2 mig1=$B
step 2 mj=1000000
EOF

LD_LIBRARY_PATH=$FAKE_NVML WATTLET_FAKE_NVML_SCENARIO=$tmp/scenario \
	"$WATTLET" --gpu nvml --gpu-idle-watts "$IDLE_W" --meter model --output json --interval 1 \
	--duration "$DOCS" --listen none --pod-log-dir "$tmp/pods" --container-log-dir "$tmp/containers" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
sed 's/^/agent: /' "$tmp/err"
[ $rc -eq 0 ] || { echo "FAIL: wattlet exited $rc"; exit 1; }

# /metrics of a GPU whose counter stops after one busy step: exact figures, promtool-valid.
cat >"$tmp/scenario2" <<EOF
gpu 0 uuid=GPU-33333333-1111-2222-3333-444444444444 name=NVIDIA_H100
step 0 mj=0
step 0 mj=100000 sm=$A1:75,$B:25
EOF
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LD_LIBRARY_PATH=$FAKE_NVML WATTLET_FAKE_NVML_SCENARIO=$tmp/scenario2 \
	"$WATTLET" --gpu nvml --gpu-idle-watts 0 --meter model --output none --interval 0.5 --duration 60 \
	--listen "127.0.0.1:$port" --pod-log-dir "$tmp/pods" --container-log-dir "$tmp/containers" \
	2>"$tmp/err2" &
agent2=$!
for _ in $(seq 60); do	# until the busy step is in (2 collections), at most 15 s
	sleep 0.25
	curl -s --max-time 5 -o "$tmp/metrics" "http://127.0.0.1:$port/metrics" &&
		grep -q '^wattlet_collections_total{[^}]*} [2-9]' "$tmp/metrics" && break
done
kill "$agent2"
wait "$agent2"
promtool check metrics <"$tmp/metrics" >"$tmp/promtool" 2>&1
echo "promtool rc=$?" >>"$tmp/promtool"

# Without the library: auto carries on, nvml is an error; neither loads the fake.
"$WATTLET" --gpu auto --meter model --output json --interval 0.5 --duration 1 --listen none \
	>"$tmp/auto.out" 2>"$tmp/auto.err"
echo "auto rc=$?" >"$tmp/auto.rc"
"$WATTLET" --gpu nvml --meter model --output json --interval 0.5 --duration 1 --listen none \
	>/dev/null 2>"$tmp/nvml.err"
echo "nvml rc=$?" >"$tmp/nvml.rc"

python3 - "$tmp" "$IDLE_W" "$uA" "$uB" "$uC" "$A1" "$A2" "$B" "$C" "$X" <<'PY'
import json, re, sys
tmp, idle_w = sys.argv[1], float(sys.argv[2])
uids = dict(zip("ABC", sys.argv[3:6]))
A1, A2, B, C, X = map(int, sys.argv[6:11])
pod_of_pid = {A1: "A", A2: "A", B: "B", C: "C"}
ok = True
def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok &= bool(cond)
def close(got, want, rel=1e-9):
    return abs(got - want) <= rel * max(1.0, abs(want))

docs = [json.loads(l) for l in open(f"{tmp}/out") if l.strip()]
# a stalled machine skips ticks: each document still took the next step, 6 cover every fault
need(len(docs) >= 6, f"{len(docs)} documents (at least 6: every fault step)")

# ---- the scenario, read back
gpus, steps, migs = {}, {}, {}
for line in open(f"{tmp}/scenario"):
    w = line.split()
    if not w:
        continue
    if w[0] == "gpu":
        gpus[int(w[1])] = dict(kv.split("=", 1) for kv in w[2:])
    elif w[0] == "mig":
        migs.setdefault(int(w[1]), {})[int(w[2])] = dict(kv.split("=", 1) for kv in w[3:])
    elif w[0] == "step":
        st = {"lost": "lost" in w[2:]}
        st.update(kv.split("=", 1) for kv in w[2:] if "=" in kv)
        steps.setdefault(int(w[1]), []).append(st)
def pidlist(s):
    return [int(p) for p in s.split(",")] if s else []

# ---- the truth, per document: each GPU's joules, idle, active, unattributed, errors,
# and each pid's GPU energy; interval lengths from the documents
def simulate(g):
    conf, rows = gpus[g], steps[g]
    power = conf.get("energy") == "power"
    base = rows[0]
    pending, errors = 0.0, 0
    out = []
    for k in range(1, len(docs) + 1):
        row = rows[min(k, len(rows) - 1)]
        pending += docs[k - 1]["interval_seconds"]
        t = {"joules": 0, "idle": 0, "active": 0, "unattributed": 0, "pids": {}}
        if row["lost"]:
            errors += 1
            t["errors"] = errors
            out.append(t)
            continue
        if power:
            joules = (int(base["mw"]) + int(row["mw"])) / 2 / 1000 * pending
        else:
            if int(row["mj"]) < int(base["mj"]):
                errors += 1
                base, pending = row, 0.0
                t["errors"] = errors
                out.append(t)
                continue
            joules = (int(row["mj"]) - int(base["mj"])) / 1000
        span, pending, base = pending, 0.0, row
        idle = min(idle_w * span, joules)
        active = joules - idle
        weights = {}
        if "fail" in row:
            errors += 1
        elif conf.get("mig") == "on":
            sms = {i: int(m["sms"]) for i, m in migs[g].items()}
            for i in sms:
                ps = pidlist(row.get(f"mig{i}", ""))
                for p in ps:
                    weights[p] = weights.get(p, 0) + sms[i] / sum(sms.values()) / len(ps)
        elif conf.get("util") == "no":
            ps = list(dict.fromkeys(pidlist(row.get("compute", "")) + pidlist(row.get("graphics", ""))))
            weights = {p: 1 / len(ps) for p in ps}
        else:
            for s in row.get("sm", "").split(",") if row.get("sm") else []:
                p, u = map(int, s.split(":"))
                weights[p] = weights.get(p, 0) + u
        total_w = sum(weights.values())
        given = 0
        for p, w in weights.items():
            if p in pod_of_pid and total_w > 0:
                t["pids"][p] = active * w / total_w
                given += t["pids"][p]
        t.update(joules=joules, idle=idle, active=active, unattributed=active - given, errors=errors)
        out.append(t)
    return out
truth = {g: simulate(g) for g in gpus}

# ---- each document: GPU figures and conservation
def cum(g, k, key):
    return sum(t[key] for t in truth[g][:k])
all_ok = ok
for k, d in enumerate(docs, 1):
    n = d["node"]
    byidx = {x["index"]: x for x in n.get("gpus", [])}
    for g in gpus:
        x = byidx.get(g)
        if not x:
            need(False, f"doc {k}: gpu-{g} listed")
            continue
        want = {"joules_total": cum(g, k, "joules"), "idle_energy_joules_total": cum(g, k, "idle"),
                "active_energy_joules_total": cum(g, k, "active"),
                "unattributed_energy_joules_total": cum(g, k, "unattributed")}
        bad = {f: (x[f], v) for f, v in want.items() if not close(x[f], v)}
        if bad or x["errors_total"] != truth[g][k - 1]["errors"]:
            need(False, f"doc {k}: gpu-{g} {bad} errors {x['errors_total']} want {truth[g][k - 1]['errors']}")
        if not close(x["active_energy_joules_total"] + x["idle_energy_joules_total"], x["joules_total"]):
            need(False, f"doc {k}: gpu-{g} active + idle != energy")
    cg = d.get("cgroups", [])
    gpu_sum = sum(c.get("gpu_energy_joules_total", 0) for c in cg)
    if not close(gpu_sum + n["gpu_retired_energy_joules_total"] + n["gpu_unattributed_energy_joules_total"],
                 n["gpu_active_energy_joules_total"]):
        need(False, f"doc {k}: cgroups' GPU energy {gpu_sum} + retired + unattributed != GPU active")
    all_sum = sum(c["energy_joules_total"] for c in cg)
    if not close(all_sum + n["retired_energy_joules_total"] + n["unattributed_energy_joules_total"],
                 n["active_energy_joules_total"], 1e-6):
        need(False, f"doc {k}: cgroups + retired + unattributed != active")
    if not close(n["active_energy_joules_total"] + n["idle_energy_joules_total"], n["energy_joules_total"]):
        need(False, f"doc {k}: active + idle != energy")
    model = next(z for z in n["zones"] if z["meter"] == "model")
    if not close(n["energy_joules_total"], model["joules_total"] + sum(x["joules_total"] for x in byidx.values())):
        need(False, f"doc {k}: node energy != model + GPUs")
    if not close(n["gpu_active_energy_joules_total"], sum(x["active_energy_joules_total"] for x in byidx.values())):
        need(False, f"doc {k}: node GPU active != sum of GPUs")
need(ok == all_ok, f"every document: GPU figures as the scenario says, conservation holds ({len(docs)} documents)")

last = docs[-1]
n = last["node"]
want_pid = {}
for g in gpus:
    for t in truth[g]:
        for p, j in t["pids"].items():
            want_pid[p] = want_pid.get(p, 0) + j
for name, uid in uids.items():
    p = next((p for p in last.get("pods", []) if p["uid"] == uid), None)
    want = sum(j for pid, j in want_pid.items() if pod_of_pid[pid] == name)
    need(p is not None and close(p["gpu_energy_joules_total"], want),
         f"pod {name}: GPU energy {p and p['gpu_energy_joules_total']:.9f} J, scenario {want:.9f} J")
    if p:
        need(p["energy_joules_total"] >= p["gpu_energy_joules_total"] and
             close(sum(c["gpu_energy_joules_total"] for c in p["containers"]), p["gpu_energy_joules_total"]),
             f"pod {name}: energy includes GPU energy; its containers sum to it")
        need(p["gpu_seconds_total"] > 0, f"pod {name}: gpu_seconds_total {p['gpu_seconds_total']:.3f}")
nss = {x["name"]: x for x in last.get("namespaces", [])}
shop = [p for p in last.get("pods", []) if p["namespace"] == "shop"]
need("shop" in nss and close(nss["shop"]["gpu_energy_joules_total"], sum(p["gpu_energy_joules_total"] for p in shop)),
     "namespace shop: GPU energy is the sum of its pods'")
procs = [p for d in docs for p in d.get("processes", []) if p["pid"] == A1]
need(procs and close(procs[-1]["gpu_energy_joules_total"], sum(
    t["pids"].get(A1, 0) for g in gpus for t in truth[g][:docs.index(next(d for d in reversed(docs)
        if any(p["pid"] == A1 for p in d.get("processes", [])))) + 1])),
     f"process {A1}: GPU energy as the scenario gives it")
byidx = {x["index"]: x for x in n["gpus"]}
need((byidx[0]["busy_rule"], byidx[1]["busy_rule"], byidx[2]["busy_rule"]) ==
     ("sm-samples", "running-processes", "mig-instances") and byidx[1]["energy_source"] == "power",
     "rules: sm-samples, running-processes (no samples), mig-instances; gpu-1 energy from power")
need(n["gpu_errors_total"] == 4 and n["gpu_unattributed_energy_joules_total"] > 0,
     f"errors counted: {n['gpu_errors_total']} (lost twice, a restarted counter, lists not supported)")
need(sum(truth[g][-1]["errors"] for g in gpus) == 4, "the scenario's faults all came up")
err = open(f"{tmp}/err").read()
for kind in ("GPU is lost", "energy counter went backwards", "not supported"):
    need(err.count(f": {kind}: ") == 1, f"one warning for '{kind}'")
need(err.count("wattlet: gpu-") >= 3 + 3, "one line per GPU found, plus the warnings")

auto_err, auto_docs = open(f"{tmp}/auto.err").read(), [json.loads(l) for l in open(f"{tmp}/auto.out") if l.strip()]
need(open(f"{tmp}/auto.rc").read().strip() == "auto rc=0" and
     auto_err.count("wattlet: gpu: not using NVML: cannot load libnvidia-ml.so.1") == 1 and
     auto_docs and "gpus" not in auto_docs[-1]["node"] and "gpu_energy_joules_total" not in auto_docs[-1]["node"],
     "--gpu auto without the library: one line, then no GPU figures")
nvml_err = open(f"{tmp}/nvml.err").read()
need(open(f"{tmp}/nvml.rc").read().strip() == "nvml rc=1" and
     re.fullmatch(r"wattlet: gpu: cannot load libnvidia-ml\.so\.1: [^\n]*\n", nvml_err),
     f"--gpu nvml without the library: exit 1, one line: {nvml_err.strip()}")
metrics = {}
for l in open(f"{tmp}/metrics"):
    m = re.match(r'^(wattlet_\w+)\{([^}]*)\} (\S+)$', l.strip())
    if m:
        metrics[(m.group(1), m.group(2))] = float(m.group(3))
def metric(name, **labels):
    hits = [v for (n, lb), v in metrics.items() if n == name and
            all(f'{k}="{v}"' in lb for k, v in labels.items())]
    return hits[0] if len(hits) == 1 else None
got = (metric("wattlet_pod_gpu_energy_joules_total", pod="train-0"),
       metric("wattlet_pod_gpu_energy_joules_total", pod="infer-1"),
       metric("wattlet_namespace_gpu_energy_joules_total", namespace="shop"),
       metric("wattlet_gpu_energy_joules_total", gpu="0", uuid="GPU-33333333-1111-2222-3333-444444444444"),
       metric("wattlet_zone_energy_joules_total", zone="gpu-0", meter="nvml"))
need(None not in got and all(close(g, w) for g, w in zip(got, (75, 25, 100, 100, 100))),
     f"/metrics: pods 75 and 25 J, namespace, GPU and zone 100 J: {got}")
need("promtool rc=0" in open(f"{tmp}/promtool").read(), "/metrics with GPU families passes promtool check metrics")
def total(name, **labels):
    return sum(v for (n, lb), v in metrics.items() if n == name and
               all(f'{k}="{v}"' in lb for k, v in labels.items()))
active = total("wattlet_node_energy_joules_total", mode="active")
lhs = (total("wattlet_pod_energy_joules_total") + total("wattlet_system_energy_joules_total") +
       total("wattlet_node_unattributed_energy_joules_total") +
       total("wattlet_node_expired_energy_joules_total"))
need(active > 100 and close(lhs, active),
     f"/metrics alone: pods + system + unattributed + expired = node active ({lhs:.9f}, {active:.9f} J)")
gpu_lhs = (total("wattlet_pod_gpu_energy_joules_total") + total("wattlet_system_gpu_energy_joules_total") +
           total("wattlet_node_gpu_unattributed_energy_joules_total"))
need(close(gpu_lhs, total("wattlet_gpu_active_energy_joules_total")),
     f"/metrics alone: GPU energy of pods + system + unattributed = GPUs' active ({gpu_lhs:.9f} J)")
sys.exit(0 if ok else 1)
PY
