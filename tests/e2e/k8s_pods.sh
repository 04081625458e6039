#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Kubernetes identity end to end, with no kubelet: three pods built as real
# cgroup v2 hierarchies the way the kubelet and runtimes make them
#   A: systemd driver, burstable,  containerd (a container and a pause sandbox)
#   B: cgroupfs driver, besteffort, CRI-O     (a container and conmon)
#   C: systemd driver, guaranteed, cri-dockerd (two containers)
# below a prefix (like a node in a container), fake kubelet log dirs naming
# them, and busy loops in them. Checks each pod's CPU against its pod
# cgroup's own cpu.stat over the same window, the names, and that a removed
# pod keeps its totals as "terminated".
#
# The window: the agent counts from its first (priming) pass. The workloads
# are stopped (SIGSTOP) while the agent starts and again before the end
# reading, so cpu.stat before/after brackets exactly what the agent can see.
set -u
TOL=0.02		# pods within 2% of cpu.stat
RUN_S=6			# seconds the workloads run
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root for BPF and cgroups"
	exit 77
fi
. tests/cgroup2.sh
cg2=$(cgroup2_root)
if [ -z "$cg2" ]; then
	echo "SKIP: no cgroup2 mount"
	exit 77
fi

tmp=$(mktemp -d /tmp/wattlet-k8s-XXXXXX)
prefix="wattlet-e2e-k8s-$$"
top="$cg2/$prefix"
pids=()
agent=
cleanup() {
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -d "$top" ] && find "$top" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

uuid() { cat /proc/sys/kernel/random/uuid; }
hex64() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
uA=$(uuid) uB=$(uuid) uC=$(uuid)
idA=$(hex64) idApause=$(hex64) idB=$(hex64) idC1=$(hex64) idC2=$(hex64)

podA="$top/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uA//-/_}.slice"
podB="$top/kubepods/besteffort/pod$uB"
podC="$top/kubepods.slice/kubepods-pod${uC//-/_}.slice"
ctrA="$podA/cri-containerd-$idA.scope" pauseA="$podA/cri-containerd-$idApause.scope"
ctrB="$podB/crio-$idB" conmonB="$podB/crio-conmon-$idB"
ctrC1="$podC/docker-$idC1.scope" ctrC2="$podC/docker-$idC2.scope"
mkdir -p "$ctrA" "$pauseA" "$ctrB" "$conmonB" "$ctrC1" "$ctrC2" || exit 1

# kubelet log dirs: pods/<ns>_<pod>_<uid>/<container>/, containers/<pod>_<ns>_<ctr>-<id>.log
logs() { # ns pod uid container id
	mkdir -p "$tmp/pods/$1_$2_$3/$4"
	: >"$tmp/pods/$1_$2_$3/$4/0.log"
	ln -s "$tmp/pods/$1_$2_$3/$4/0.log" "$tmp/containers/$2_$1_$4-$5.log"
}
mkdir -p "$tmp/containers"
logs shop web-0 "$uA" nginx "$idA"
logs shop cart-1 "$uB" cart "$idB"
logs batch job-x-7d9f2 "$uC" worker "$idC1"
logs batch job-x-7d9f2 "$uC" helper "$idC2"

# Each workload moves itself into its cgroup, then runs.
spawn() { # cgroup, shell code
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sh -c "$2"' _ "$1" "$2" &
	pids+=($!)
}
busy='while :; do :; done'
spawn "$ctrA" "$busy"
pidA=$!
spawn "$pauseA" 'exec sleep 1000'
spawn "$ctrB" "$busy"
spawn "$conmonB" 'while :; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 0.05; done'
pidConmon=$!
spawn "$ctrC1" "$busy"
spawn "$ctrC2" "$busy"
pidsB=("${pids[2]}" "${pids[3]}")
sleep 0.3
stop_all() { kill -"$1" "${pids[@]}"; }
stop_all STOP
sleep 0.2
usage() { sed -n 's/^usage_usec //p' "$1/cpu.stat"; }
a0=$(usage "$podA") b0=$(usage "$podB") c0=$(usage "$podC")

"$WATTLET" --output json --interval 1 --duration 90 --listen none \
	--pod-log-dir "$tmp/pods" --container-log-dir "$tmp/containers" --retain 600 \
	>"$tmp/out" 2>"$tmp/err" &
agent=$!
docs() { wc -l <"$tmp/out"; }
wait_docs() { # count, max seconds
	for _ in $(seq $(($2 * 10))); do [ "$(docs)" -ge "$1" ] && return 0; sleep 0.1; done
	return 1
}
if ! wait_docs 1 15; then
	echo "FAIL agent printed no document in 15 s:"
	cat "$tmp/err"
	exit 1
fi

stop_all CONT
sleep $((RUN_S / 2))
n=$(docs)
wait_docs $((n + 1)) 5
tail -n 1 "$tmp/out" >"$tmp/mid.json"	# processes are listed while active
sleep $((RUN_S / 2))
stop_all STOP
sleep 0.3
a1=$(usage "$podA") b1=$(usage "$podB") c1=$(usage "$podC")
wait_docs $(($(docs) + 2)) 10 || { echo "FAIL agent stopped printing"; exit 1; }
tail -n 1 "$tmp/out" >"$tmp/running.json"

# Pod B goes: its processes die, then its cgroups are removed.
for p in "${pidsB[@]}"; do kill -KILL "$p"; wait "$p" 2>/dev/null; done
b2=$(usage "$podB")
rmdir "$ctrB" "$conmonB" "$podB" || exit 1
pod_state() { # uid: its state in the latest document
	tail -n 1 "$tmp/out" | python3 -c 'import json, sys
d = json.loads(sys.stdin.read() or "{}")
print(next((p["state"] for p in d.get("pods", []) if p["uid"] == sys.argv[1]), "absent"))' "$1"
}
gone=0
for _ in $(seq 100); do	# the agent walks cgroupfs every 10 s
	if [ "$(pod_state "$uB")" = terminated ]; then
		gone=1
		break
	fi
	sleep 0.25
done
tail -n 1 "$tmp/out" >"$tmp/after.json"

python3 - "$tmp" "$TOL" "$pidA" "$gone" "$pidConmon" <<PY
import json, sys
tmp, tol, pid_a, gone = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
pid_conmon = int(sys.argv[5])
ok = True
def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok &= bool(cond)
def pod(doc, uid):
    return next((p for p in doc.get("pods", []) if p["uid"] == uid), None)
def close(what, got, want):
    diff = abs(got - want) / want if want else abs(got)
    need(want > 0.1 and diff <= tol,
         f"{what}: agent {got:.6f} s, cpu.stat {want:.6f} s, off by {100 * diff:.3f}% (max {100 * tol:.0f}%)")

run = json.load(open(f"{tmp}/running.json"))
want = {"$uA": ($a1 - $a0) / 1e6, "$uB": ($b1 - $b0) / 1e6, "$uC": ($c1 - $c0) / 1e6}
names = {"$uA": ("shop", "web-0", ["nginx"]), "$uB": ("shop", "cart-1", ["cart"]),
         "$uC": ("batch", "job-x-7d9f2", ["helper", "worker"])}
for uid, (ns, name, ctrs) in names.items():
    p = pod(run, uid)
    need(p is not None, f"pod {ns}/{name} ({uid}) reported")
    if not p:
        continue
    close(f"{ns}/{name} cpu", p["cpu_seconds_total"], want[uid])
    need((p["namespace"], p["name"]) == (ns, name),
         f"{uid}: namespace/name {p['namespace']}/{p['name']}, want {ns}/{name}")
    got = sorted(c["name"] for c in p["containers"])
    need(got == ctrs, f"{ns}/{name}: containers {got}, want {ctrs} (no pause, no conmon)")
    need(p["state"] == "running", f"{ns}/{name} running")
c_ids = {c["name"]: c["id"] for c in (pod(run, "$uC") or {"containers": []})["containers"]}
need(c_ids == {"worker": "$idC1", "helper": "$idC2"}, f"job-x containers' ids {c_ids}")
# Every figure: a pod is the sum of the cgroups below it, a namespace of its pods.
figs = ("cpu_seconds_total", "wakeups_total", "context_switches_total", "energy_joules_total",
        "power_watts")
def sums_to(what, obj, parts):
    for k in figs:
        s = sum(p[k] for p in parts)
        need(abs(obj[k] - s) <= 1e-6 * max(1, abs(s)), f"{what} {k} {obj[k]:.6f} = {s:.6f}")
paths = {"$uA": "${podA#"$cg2"}", "$uB": "${podB#"$cg2"}", "$uC": "${podC#"$cg2"}"}
for uid, path in paths.items():
    p = pod(run, uid)
    below = [c for c in run["cgroups"] if (c.get("path") or "").startswith(path)]
    if p:
        sums_to(f"pod {p['name']}: sum of its {len(below)} cgroups:", p, below)
need(pod(run, "$uA") and pod(run, "$uA")["energy_joules_total"] > 0, "pods carry energy")
nss = {n["name"]: n for n in run.get("namespaces", [])}
if "shop" in nss and pod(run, "$uA") and pod(run, "$uB"):
    sums_to("namespace shop: sum of its pods:", nss["shop"], [pod(run, "$uA"), pod(run, "$uB")])
else:
    need(False, "namespace shop reported")
mid = json.load(open(f"{tmp}/mid.json"))
proc = next((p for p in mid.get("processes", []) if p["pid"] == pid_a), None)
need(proc is not None and (proc.get("namespace"), proc.get("pod"), proc.get("container"))
     == ("shop", "web-0", "nginx"), f"process {pid_a} labelled shop/web-0/nginx: {proc and {k: proc.get(k) for k in ('namespace', 'pod', 'container')}}")
proc = next((p for p in mid.get("processes", []) if p["pid"] == pid_conmon), None)
need(proc is not None and (proc.get("namespace"), proc.get("pod"), proc.get("container"))
     == ("shop", "cart-1", None), f"conmon {pid_conmon} labelled shop/cart-1, no container")

after = json.load(open(f"{tmp}/after.json"))
b = pod(after, "$uB")
need(gone and b is not None and b["state"] == "terminated",
     f"pod shop/cart-1 terminated after its cgroups went (seen: {gone})")
if b:
    close("terminated shop/cart-1 keeps its cpu", b["cpu_seconds_total"], ($b2 - $b0) / 1e6)
    need(all(c["state"] == "terminated" for c in b["containers"]), "its container terminated")
a = pod(after, "$uA")
need(a is not None and a["state"] == "running", "shop/web-0 still running")
sys.exit(0 if ok else 1)
PY
