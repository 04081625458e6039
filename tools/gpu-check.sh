#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The real-GPU check: on a machine with an NVIDIA GPU and its driver, run a
# GPU load (tools/gpu/burn.cu, built with nvcc) in a pod-shaped cgroup under
# the agent (--gpu nvml, the real libnvidia-ml.so.1) and check
#   - the agent's GPU energy against NVML's own counter read by nvidia-smi
#     (total_energy_consumption; where this driver's nvidia-smi lacks that
#     field, the same counter read through Python's ctypes, and says so),
#     within 5% over the same window;
#   - that the load's pod gets >= 90% of the GPU's active energy in it, and
#     GPU seconds for >= 50% of the load's run time.
# Without a GPU it prints "no GPU: real-GPU check not run" and exits 77
# (tests/run.sh: skipped, neither passed nor failed).
# Usage: tools/gpu-check.sh [GPU_INDEX]   (WATTLET: the agent, default build/wattlet)
set -u
cd "$(dirname "$0")/.." || exit 1
GPU=${1:-0}
REST_S=6		# the agent learns the GPU's idle power first
LOAD_S=12
TOL=0.05
WATTLET=${WATTLET:-$PWD/build/wattlet}

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
	echo "SKIP: no GPU: real-GPU check not run"
	exit 77
fi
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
if [ ! -x "$NVCC" ]; then
	echo "SKIP: no nvcc to build the GPU load (set NVCC=...): real-GPU check not run"
	exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root for BPF and cgroups: real-GPU check not run"
	exit 77
fi
cg2=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
	/proc/self/mountinfo | head -1)
[ -n "$cg2" ] || { echo "FAIL: no cgroup2 mount"; exit 1; }

tmp=$(mktemp -d /tmp/wattlet-gpu-check-XXXXXX)
top="$cg2/wattlet-gpu-check-$$"
agent="" sampler="" load=""
cleanup() {
	for p in $load $sampler $agent; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -d "$top" ] && find "$top" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

"$NVCC" -O2 -o "$tmp/burn" tools/gpu/burn.cu || { echo "FAIL: nvcc could not build the load"; exit 1; }

# A pod as the kubelet (systemd driver) and containerd make it, and its log dirs.
uid=$(cat /proc/sys/kernel/random/uuid)
id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
pod="$top/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid//-/_}.slice"
ctr="$pod/cri-containerd-$id.scope"
mkdir -p "$ctr" "$tmp/pods/gpu-check_burn-0_$uid/burn" "$tmp/containers" || exit 1
: >"$tmp/pods/gpu-check_burn-0_$uid/burn/0.log"
ln -s "$tmp/pods/gpu-check_burn-0_$uid/burn/0.log" "$tmp/containers/burn-0_gpu-check_burn-$id.log"

# NVML's counter in mJ, as nvidia-smi reports it (its unit is in the answer).
smi_mj() {
	nvidia-smi -i "$GPU" --query-gpu=total_energy_consumption --format=csv,noheader 2>/dev/null |
		awk '$1 ~ /^[0-9.]+$/ { f = $2 == "J" ? 1000 : $2 == "kJ" ? 1e6 : 1; printf "%.3f\n", $1 * f }'
}
ctypes_mj() {
	python3 - "$GPU" <<'PY'
import ctypes, sys
nvml = ctypes.CDLL("libnvidia-ml.so.1")
dev, mj = ctypes.c_void_p(), ctypes.c_ulonglong()
assert nvml.nvmlInit_v2() == 0
assert nvml.nvmlDeviceGetHandleByIndex_v2(int(sys.argv[1]), ctypes.byref(dev)) == 0
assert nvml.nvmlDeviceGetTotalEnergyConsumption(dev, ctypes.byref(mj)) == 0
print(mj.value)
nvml.nvmlShutdown()
PY
}
if [ -n "$(smi_mj)" ]; then
	truth=smi_mj how="nvidia-smi total_energy_consumption"
elif [ -n "$(ctypes_mj 2>/dev/null)" ]; then
	truth=ctypes_mj how="NVML's counter through ctypes (this nvidia-smi has no total_energy_consumption)"
else
	echo "SKIP: GPU $GPU has no energy counter (pre-Volta): real-GPU check not run"
	exit 77
fi
echo "truth: $how"
( while :; do echo "$(date +%s.%N) $($truth)"; sleep 0.2; done ) >"$tmp/counter" &
sampler=$!

"$WATTLET" --gpu nvml --output json --interval 1 --duration $((REST_S + LOAD_S + 4)) --listen none \
	--pod-log-dir "$tmp/pods" --container-log-dir "$tmp/containers" >"$tmp/out" 2>"$tmp/err" &
agent=$!
sleep "$REST_S"
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" "$3" "$4"' _ "$ctr" "$tmp/burn" "$LOAD_S" "$GPU" \
	>"$tmp/burn.out" 2>&1 &
load=$!
wait "$load" || { echo "FAIL: the load failed:"; cat "$tmp/burn.out"; exit 1; }
load=
cat "$tmp/burn.out"
wait "$agent" || { echo "FAIL: wattlet exited $?:"; cat "$tmp/err"; exit 1; }
agent=
sed 's/^/agent: /' "$tmp/err"

python3 - "$tmp" "$GPU" "$uid" "$TOL" "$LOAD_S" <<'PY'
import bisect, json, sys
tmp, gpu, uid, tol, load_s = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
docs = [json.loads(l) for l in open(f"{tmp}/out") if l.strip()]
pts = sorted((float(t), float(v)) for t, v in (l.split() for l in open(f"{tmp}/counter") if len(l.split()) == 2))
ok = True
def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok &= bool(cond)
def counter_at(t):  # the counter interpolated at wall time t
    i = bisect.bisect_left([p[0] for p in pts], t)
    if i == 0 or i == len(pts):
        return None
    (t0, v0), (t1, v1) = pts[i - 1], pts[i]
    return v0 + (v1 - v0) * (t - t0) / (t1 - t0)
def gpu_of(d):
    return next((g for g in d["node"].get("gpus", []) if g["index"] == gpu), None)
def pod_of(d):
    return next((p for p in d.get("pods", []) if p["uid"] == uid), None)
need(len(docs) >= 6 and gpu_of(docs[0]), f"{len(docs)} documents with gpu-{gpu}")
a, b = docs[1], docs[-1]
ga, gb = gpu_of(a), gpu_of(b)
ca, cb = counter_at(a["timestamp"]), counter_at(b["timestamp"])
need(ca is not None and cb is not None, "the counter was sampled around the documents")
if ga and gb and ca is not None and cb is not None:
    agent_j, true_j = gb["joules_total"] - ga["joules_total"], (cb - ca) / 1000
    need(true_j > 0 and abs(agent_j - true_j) <= tol * true_j,
         f"gpu-{gpu} energy: agent {agent_j:.1f} J, NVML counter {true_j:.1f} J, "
         f"off by {100 * abs(agent_j - true_j) / max(true_j, 1e-9):.2f}% (max {100 * tol:.0f}%)")
    active = gb["active_energy_joules_total"] - ga["active_energy_joules_total"]
    pa, pb = pod_of(a), pod_of(b)
    pod_j = (pb or {}).get("gpu_energy_joules_total", 0) - (pa or {}).get("gpu_energy_joules_total", 0)
    need(active > 0 and pod_j >= 0.9 * active,
         f"the load's pod got {pod_j:.1f} J of {active:.1f} J active GPU energy "
         f"({100 * pod_j / max(active, 1e-9):.1f}%, min 90%); idle {gb['idle_watts']:.1f} W "
         f"({gb['idle_source']})")
    pod_s = (pb or {}).get("gpu_seconds_total", 0)
    need(pod_s >= 0.5 * load_s, f"its GPU seconds {pod_s:.2f} for a {load_s:.0f} s load (min 50%)")
sys.exit(0 if ok else 1)
PY
