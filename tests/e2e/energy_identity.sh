#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Energy adds up from /metrics alone, also once workloads are gone: at every
# scrape, to 1e-9 relative,
#   sum(wattlet_pod_energy_joules_total) + sum(wattlet_system_energy_joules_total)
#   + wattlet_node_unattributed_energy_joules_total
#   + wattlet_node_expired_energy_joules_total = wattlet_node_energy_joules_total{mode="active"}
# The run (--meter model, --retain 1) has a pod-shaped cgroup and a system
# cgroup burn CPU, then removes them: their cgroups retire, their pod and
# system series are listed as terminated for --retain, then removed, and
# their totals must then show in the expired counter. Parsed with
# prometheus_client, not with the agent's own code.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to load BPF programs and create cgroups"
	exit 77
fi
. tests/cgroup2.sh
root=$(cgroup2_root)
[ -n "$root" ] || { echo "FAIL: no cgroup2 mount"; exit 1; }
tmp=$(mktemp -d)
uid=$(cat /proc/sys/kernel/random/uuid)
ctr=$(printf '%064x' $$)
qos=$root/kubepods.slice/kubepods-besteffort.slice
pod=$qos/kubepods-besteffort-pod${uid//-/_}.slice
made=()
sys_cg=$root/wattlet-e2e-identity-$$
agent_pid=

remove_cgroups() {
	local i cg
	for ((i = ${#made[@]} - 1; i >= 0; i--)); do
		cg=${made[i]}
		[ -d "$cg" ] || continue
		while read -r p; do kill -9 "$p" 2>/dev/null; done <"$cg/cgroup.procs"
		for _ in $(seq 20); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	done
}
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
	wait 2>/dev/null
	remove_cgroups
	rm -rf "$tmp"
}
trap cleanup EXIT
for d in "$root/kubepods.slice" "$qos" "$pod" "$pod/cri-containerd-$ctr.scope" "$sys_cg"; do
	[ -d "$d" ] && continue
	mkdir "$d" || { echo "FAIL: mkdir $d"; exit 1; }
	made+=("$d")
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$tmp/pods" "$tmp/containers"
"$WATTLET" --meter model --output none --interval 0.5 --retain 1 --listen "127.0.0.1:$port" \
	--pod-log-dir "$tmp/pods" --container-log-dir "$tmp/containers" 2>"$tmp/err" &
agent_pid=$!

burn() { # cgroup seconds
	bash -c 'echo $$ >"$1/cgroup.procs" && exec timeout "$2" bash -c "while :; do :; done"' \
		_ "$1" "$2" &
}
scrape() { # n
	curl -s -m 2 -o "$tmp/scrape.$1" "http://127.0.0.1:$port/metrics"
}
for _ in $(seq 50); do scrape 0 && break; sleep 0.1; done
burn "$pod/cri-containerd-$ctr.scope" 1.5
burn "$sys_cg" 1.5
n=1
for _ in $(seq 4); do sleep 0.5; scrape $n; n=$((n + 1)); done
wait $(jobs -p | grep -v "^$agent_pid$") 2>/dev/null
remove_cgroups	# retire: cgroups gone, the workloads terminated, then expired
# A cgroup the agent has not seen makes it walk the tree now, rather than at
# its next periodic walk (10 s), and so find the removed ones gone.
mkdir "$sys_cg-kick" && made+=("$sys_cg-kick")
bash -c 'echo $$ >"$1/cgroup.procs"' _ "$sys_cg-kick"
for _ in $(seq 30); do
	sleep 0.5
	scrape $n
	n=$((n + 1))
	grep -q "workload=\"${sys_cg##*/}\"" "$tmp/scrape.$((n - 1))" || break
done
sleep 0.5; scrape $n; n=$((n + 1))
kill "$agent_pid"
wait "$agent_pid"
agent_pid=

/usr/bin/python3 - "$tmp" "$n" "wattlet-e2e-identity-$$" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families

tmp, n, sys_name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
REL = 1e-9
ok = True
def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok &= bool(cond)

def samples(i):
    out = {}
    for fam in text_string_to_metric_families(open(f"{tmp}/scrape.{i}").read()):
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out

def total(s, name, **want):
    return sum(v for l, v in s.get(name, []) if all(l.get(k) == x for k, x in want.items()))

ours_last, expired = 0.0, []
for i in range(1, n):
    s = samples(i)
    active = total(s, "wattlet_node_energy_joules_total", mode="active")
    pods = total(s, "wattlet_pod_energy_joules_total")
    system = total(s, "wattlet_system_energy_joules_total")
    unattr = total(s, "wattlet_node_unattributed_energy_joules_total")
    exp = total(s, "wattlet_node_expired_energy_joules_total")
    lhs = pods + system + unattr + exp
    need(active > 0 and abs(lhs - active) <= REL * active,
         f"scrape {i}: pods {pods:.6f} + system {system:.6f} + unattributed {unattr:.6f} "
         f"+ expired {exp:.6f} = {lhs:.12g}, active {active:.12g}")
    if ("wattlet_system_energy_joules_total" in s and
            any(l.get("workload") == sys_name for l, _ in s["wattlet_system_energy_joules_total"])):
        ours_last = total(s, "wattlet_system_energy_joules_total", workload=sys_name)
    expired.append(exp)

last = samples(n - 1)
need(not any(l.get("workload") == sys_name for l, _ in last.get("wattlet_system_energy_joules_total", [])),
     f"the system workload {sys_name} is gone from the last scrape (--retain 1)")
need(ours_last > 0, f"the system workload burned {ours_last:.6f} J while listed")
need(expired[-1] - expired[0] >= ours_last * (1 - REL),
     f"expired grew by {expired[-1] - expired[0]:.6f} J, at least its {ours_last:.6f} J")
need(all(b >= a for a, b in zip(expired, expired[1:])), "expired never goes down")
sys.exit(0 if ok else 1)
PY
