#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Carbon end to end (SCI = E x I + M), real BPF collector, --meter model, two pods of one
# namespace and a system cgroup, with --pue 1.2, --embodied-kgco2e 1000 over the default 4
# years, and the grid intensity from a ConfigMap-shaped directory that the test swaps mid-run
# the way kubelet does (a new ..data symlink):
#   v1: 100 g/kWh, timestamped 3 h ago (older than --carbon-intensity-max-age 3600: stale);
#   v2: 400 g/kWh, timestamped now; then v3, not JSON (kept 400, one file error).
# In every document, to 1e-9:
# - operational and embodied carbon: cgroups + retired + unattributed + idle = node, and
#   carbon = operational + embodied, at every level (process, container, pod, namespace,
#   system, cgroup, node);
# - a pod is the sum of its cgroups, a namespace of its pods; pods and system workloads
#   together are all cgroups, removed ones included; containers and processes are parts of
#   theirs;
# - each interval's operational grams = its facility energy x the intensity that document
#   says was in force (the node's and every cgroup's);
# - embodied: node = rate x elapsed; every cgroup got the same grams per CPU second;
# and the switch from 100 to 400 shows within one interval of the swap, the stale flag and
# the gauges follow it, and /metrics passes promtool and a strict OpenMetrics parser. The
# cloud and instance type come from the DMI files below --sysfs-root.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/http_lib.bash
need_root

# Bad input: one line and exit 2 for usage, exit 1 for a file the agent cannot use.
for bad in "--carbon-intensity-max-age 0" "--embodied-kgco2e lots" "--lifetime-years 0" \
	"--carbon-intensity 10001" "--model-cpu pentium-4"; do
	# shellcheck disable=SC2086
	"$WATTLET" $bad --listen none --duration 1 >/dev/null 2>"$HTTP_TMP/bad.err"
	rc=$?
	[ $rc = 2 ] && grep -q "^wattlet: invalid value" "$HTTP_TMP/bad.err" ||
		fail "$bad: exit $rc, $(head -1 "$HTTP_TMP/bad.err")"
done
"$WATTLET" --carbon-intensity-file "$HTTP_TMP/none.json" --listen none --duration 1 \
	--output none >/dev/null 2>"$HTTP_TMP/bad.err"
rc=$?
[ $rc = 1 ] && [ "$(grep -c . "$HTTP_TMP/bad.err")" = 1 ] &&
	grep -q "^wattlet: --carbon-intensity-file: cannot read .*none.json: No such file" "$HTTP_TMP/bad.err" ||
	fail "a missing intensity file: exit $rc, $(cat "$HTTP_TMP/bad.err")"
echo "ok   bad flags exit 2, a missing intensity file exits 1, one line each"

cm=$HTTP_TMP/cm			# the ConfigMap volume
mkdir -p "$cm"
version() { # name json: a new version of the ConfigMap, swapped in atomically
	mkdir "$cm/$1"
	printf '%s\n' "$2" >"$cm/$1/intensity.json"
	ln -s "$1" "$cm/..data_tmp"
	mv -T "$cm/..data_tmp" "$cm/..data"
}
version ..v1 "{\"grams_per_kwh\": 100, \"timestamp\": $(($(date +%s) - 10800)), \"source\": \"test v1\"}"
ln -s ..data/intensity.json "$cm/intensity.json"

uid_a=$(cat /proc/sys/kernel/random/uuid) uid_b=$(cat /proc/sys/kernel/random/uuid)
id_a=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
id_b=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
pod_cgroup "$uid_a" "$id_a"
cg_a=$POD_CG
pod_cgroup "$uid_b" "$id_b"
cg_b=$POD_CG
sys_cg=$(cgroup2_root)/wattlet-e2e-carbon-$$.slice
mkdir "$sys_cg" || fail "mkdir $sys_cg"
HTTP_CGROUPS+=("$sys_cg")
fake_logs shop web-0 "$uid_a" nginx "$id_a"
fake_logs shop cart-1 "$uid_b" cart "$id_b"
# light loads: this machine is shared, and the checks are arithmetic, not load
duty='while :; do i=0; while [ $i -lt 4000 ]; do i=$((i+1)); done; sleep 0.02; done'
for cg in "$cg_a" "$cg_b" "$sys_cg"; do
	sh -c "echo \$\$ > '$cg/cgroup.procs' && exec sh -c '$duty'" &
	HTTP_PIDS+=($!)
done

# DMI as an EC2 instance shows it, below --sysfs-root
mkdir -p "$HTTP_TMP/sys/class/dmi/id"
echo "Amazon EC2" >"$HTTP_TMP/sys/class/dmi/id/sys_vendor"
echo "m5.xlarge" >"$HTTP_TMP/sys/class/dmi/id/product_name"

agent_start --output json --interval 1 --meter model --model-cpu average --pue 1.2 \
	--sysfs-root "$HTTP_TMP/sys" \
	--carbon-intensity-file "$cm/intensity.json" --carbon-intensity-max-age 3600 \
	--embodied-kgco2e 1000 --idle-attribution cpu --retain 600
out=$HTTP_TMP/agent.out
docs() { wc -l <"$out"; }
wait_docs() { # count
	for _ in $(seq 100); do [ "$(docs)" -ge "$1" ] && return 0; sleep 0.1; done
	fail "agent stopped writing documents ($(docs) of $1)"
}
scrape() { # name
	curl -sf -o "$HTTP_TMP/$1.text" "http://127.0.0.1:$PORT/metrics" || fail "GET /metrics"
	curl -sf -H "Accept: $OM_ACCEPT" -o "$HTTP_TMP/$1.om" "http://127.0.0.1:$PORT/metrics" ||
		fail "GET /metrics (OpenMetrics)"
	msg=$(promtool check metrics <"$HTTP_TMP/$1.text" 2>&1) || fail "promtool: $msg"
	[ -z "$msg" ] || fail "promtool reported: $msg"
}

wait_docs 3
scrape before
swap_at=$(date +%s.%N)
version ..v2 "{\"grams_per_kwh\": 400, \"timestamp\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"source\": \"test v2\"}"
wait_docs $(($(docs) + 3))
scrape after
version ..v3 'not json'
wait_docs $(($(docs) + 2))
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null

$PY - "$HTTP_TMP" "$swap_at" "${cg_a#$(cgroup2_root)}" "${cg_b#$(cgroup2_root)}" \
	"${sys_cg#$(cgroup2_root)}" "$uid_a" "$uid_b" <<'PY'
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families as text_parse

tmp, swap_at, path_a, path_b, path_sys, uid_a, uid_b = sys.argv[1], float(sys.argv[2]), *sys.argv[3:]
REL = 1e-9
PUE = 1.2
RATE = 1000 * 1000 / (4 * 365.25 * 86400)	# g/s: 1000 kg over 4 Julian years
ok = True
fails = 0

def need(cond, what, quiet=False):
    global ok, fails
    if not cond or not quiet:
        print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        ok = False
        fails += 1
        if fails > 40:
            sys.exit(1)

def close(a, b, rel=REL):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)

docs = [json.loads(l) for l in open(f"{tmp}/agent.out")]
need(len(docs) >= 8, f"{len(docs)} documents")
KINDS = ("operational", "embodied")

def fig(o, k):
    return o[f"{k}_carbon_grams_total"]

def workloads(d):
    for p in d["pods"]:
        yield f"pod {p['name']}", p
        for c in p["containers"]:
            yield f"container {c['name']}", c
    for n in d["namespaces"]:
        yield f"namespace {n['name']}", n
    for s in d["system"]:
        yield f"system {s['name']}", s
    for c in d["cgroups"]:
        yield f"cgroup {c['id']}", c
    for p in d["processes"]:
        yield f"process {p['pid']}", p

def sums_to(what, whole, parts, quiet):
    for k in KINDS:
        s = sum(fig(p, k) for p in parts)
        need(close(fig(whole, k), s), f"{what} {k}: {fig(whole, k):.15g} = sum {s:.15g}", quiet)

def parts_of(what, whole, parts, quiet):
    for k in KINDS:
        s = sum(fig(p, k) for p in parts)
        need(s <= fig(whole, k) * (1 + REL) + 1e-15, f"{what} {k}: parts {s:.15g} <= {fig(whole, k):.15g}", quiet)

for i, d in enumerate(docs):
    nd, q = d["node"], i not in (0, len(docs) - 1)
    tag = f"doc {i}:"
    for k in KINDS:
        parts = (sum(fig(c, k) for c in d["cgroups"]) + nd[f"retired_{k}_carbon_grams_total"] +
                 nd[f"unattributed_{k}_carbon_grams_total"] + nd[f"idle_{k}_carbon_grams_total"])
        need(close(parts, fig(nd, k)), f"{tag} {k}: cgroups + retired + unattributed + idle "
             f"{parts:.15g} = node {fig(nd, k):.15g}", q)
        need(all(nd[f"{b}_{k}_carbon_grams_total"] >= 0 for b in ("retired", "unattributed", "idle")),
             f"{tag} {k} buckets >= 0", q)
    everything = [("node", nd)] + list(workloads(d))
    bad = [w for w, o in everything if not close(o["carbon_grams_total"],
                                                 fig(o, "operational") + fig(o, "embodied"))]
    need(not bad, f"{tag} carbon = operational + embodied at {len(everything)} places {bad[:3]}", q)
    cgs = {c.get("path"): c for c in d["cgroups"]}
    for uid, path in ((uid_a, path_a), (uid_b, path_b)):
        pod = next((p for p in d["pods"] if p["uid"] == uid), None)
        below = [c for c in d["cgroups"] if (c.get("path") or "").startswith(path.rsplit("/", 1)[0])]
        need(pod is not None, f"{tag} pod {uid} listed", q)
        if pod:
            sums_to(f"{tag} pod {pod['name']} = its {len(below)} cgroups", pod, below, q)
            parts_of(f"{tag} pod {pod['name']} holds its containers", pod, pod["containers"], q)
    shop = next((n for n in d["namespaces"] if n["name"] == "shop"), None)
    need(shop is not None, f"{tag} namespace shop listed", q)
    if shop:
        sums_to(f"{tag} namespace shop = its pods", shop,
                [p for p in d["pods"] if p["namespace"] == "shop"], q)
    # every cgroup is in one pod or one system workload, which keep the totals of removed ones
    for k in KINDS:
        top = sum(fig(p, k) for p in d["pods"]) + sum(fig(x, k) for x in d["system"])
        cg = sum(fig(c, k) for c in d["cgroups"]) + nd[f"retired_{k}_carbon_grams_total"]
        need(close(top, cg), f"{tag} {k}: pods + system {top:.15g} = cgroups + retired {cg:.15g}", q)
    by_cg = {}
    for p in d["processes"]:
        by_cg.setdefault(p["cgroup_id"], []).append(p)
    # the test's own cgroups, whose processes never moved (a moved one brings its totals along)
    ours = [c for c in d["cgroups"] if c.get("path") in (path_a, path_b, path_sys)]
    need(len(ours) == 3, f"{tag} the test's 3 cgroups listed", q)
    for c in ours:
        parts_of(f"{tag} cgroup {c['path']} holds its processes", c, by_cg.get(c["id"], []), q)

# Intensity in force, per document, and the grams each interval added.
seen = [d["node"]["carbon_intensity_grams_per_kwh"] for d in docs]
need(set(seen) == {100, 400} and seen == sorted(seen), f"intensity per document {seen}")
first400 = seen.index(400)
need(docs[first400]["timestamp"] >= swap_at, "400 only after the swap")
need(docs[first400]["timestamp"] <= swap_at + docs[first400]["interval_seconds"] + 1.0,
     f"400 in force within one interval of the swap (+{docs[first400]['timestamp'] - swap_at:.2f} s)")
for d in docs:
    nd = d["node"]
    v1 = nd["carbon_intensity_grams_per_kwh"] == 100
    need(nd["carbon_intensity_source"] == ("test v1" if v1 else "test v2") and
         nd["carbon_intensity_stale"] == v1, f"doc at {d['timestamp']:.1f}: source "
         f"{nd['carbon_intensity_source']!r}, stale {nd['carbon_intensity_stale']} "
         f"(age {nd['carbon_intensity_age_seconds']:.0f} s)", True)
need(10790 < docs[0]["node"]["carbon_intensity_age_seconds"] < 10900, "v1 is 3 h old")
need(docs[-1]["node"]["carbon_intensity_file_errors_total"] == 1 and seen[-1] == 400,
     "the bad v3 is counted once, 400 stays in force")

prev = None
for i, d in enumerate(docs):
    nd, I = d["node"], d["node"]["carbon_intensity_grams_per_kwh"]
    k = PUE * I / 3.6e6
    if prev is None:
        dE, dOp = nd["energy_joules_total"], nd["operational_carbon_grams_total"]
    else:
        dE = nd["energy_joules_total"] - prev["node"]["energy_joules_total"]
        dOp = nd["operational_carbon_grams_total"] - prev["node"]["operational_carbon_grams_total"]
    need(close(dOp, dE * k), f"doc {i}: node +{dOp:.12g} g = {dE:.6f} J x {PUE} x {I} g/kWh", True)
    if prev is not None:
        before = {c["id"]: c for c in prev["cgroups"]}
        for c in d["cgroups"]:
            b = before.get(c["id"])
            if not b:
                continue
            dj = (c["energy_joules_total"] + c["idle_energy_joules_total"] -
                  b["energy_joules_total"] - b["idle_energy_joules_total"])
            dg = c["operational_carbon_grams_total"] - b["operational_carbon_grams_total"]
            need(close(dg, dj * k, 1e-9) or abs(dg - dj * k) < 1e-15,
                 f"doc {i}: cgroup {c['id']} +{dg:.12g} g = {dj:.9g} J x k", True)
        # embodied: one price per CPU second for every cgroup in the interval
        per_cpu = []
        for c in d["cgroups"]:
            b = before.get(c["id"])
            if b and c["cpu_seconds_total"] - b["cpu_seconds_total"] > 1e-3:
                per_cpu.append((c["embodied_carbon_grams_total"] - b["embodied_carbon_grams_total"]) /
                               (c["cpu_seconds_total"] - b["cpu_seconds_total"]))
        need(per_cpu and max(per_cpu) - min(per_cpu) <= 1e-9 * max(per_cpu),
             f"doc {i}: {len(per_cpu)} cgroups at one embodied price per CPU second", True)
        cap = d["node"]["cpus"] * d["interval_seconds"]
        need(per_cpu and max(per_cpu) <= RATE * d["interval_seconds"] / cap * (1 + 1e-9),
             f"doc {i}: the price is at most rate x interval / capacity", True)
    prev = d
plat = docs[-1]["node"]["platform"]
need(plat["cloud"] == "aws" and plat["instance_type"] == "m5.xlarge" and
     docs[-1]["node"]["model"] == "ccf:average", f"platform {plat}, model {docs[-1]['node']['model']}")
elapsed = sum(d["interval_seconds"] for d in docs)
emb = docs[-1]["node"]["embodied_carbon_grams_total"]
need(close(emb, RATE * elapsed), f"node embodied {emb:.12g} g = rate x {elapsed:.3f} s")
need(close(docs[-1]["node"]["embodied_carbon_grams_per_second"], RATE), "rate reported")
pods = [p for p in docs[-1]["pods"] if p["uid"] in (uid_a, uid_b)]
need(all(p["operational_carbon_grams_total"] > 0 and p["embodied_carbon_grams_total"] > 0
         for p in pods) and len(pods) == 2, "both pods carry both kinds of carbon")

def series(name):
    out = {}
    for f in text_parse(open(f"{tmp}/{name}.text").read()):
        for s in f.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    list(om_parse(open(f"{tmp}/{name}.om").read()))	# strict: raises on any violation
    return out

for name, want_g, want_stale in (("before", 100, 1), ("after", 400, 0)):
    s = series(name)
    g = s.get("wattlet_node_carbon_intensity_grams_per_kwh", [])
    st = s.get("wattlet_node_carbon_intensity_stale", [])
    need([v for _, v in g] == [want_g] and [v for _, v in st] == [want_stale],
         f"/metrics {name} the swap: intensity {g}, stale {st}")
    for lvl in ("node", "pod", "container", "namespace", "system"):
        for kind in ("operational_carbon", "embodied_carbon", "carbon"):
            n = f"wattlet_{lvl}_{kind}_grams_total"
            need(n in s, f"/metrics {name}: {n}", True)
    info = [lb for lb, v in s.get("wattlet_node_platform_info", []) if v == 1]
    need(len(info) == 1 and info[0].get("cloud") == "aws" and info[0].get("model") == "ccf:average"
         and info[0].get("instance_type") == "m5.xlarge" and info[0].get("cpu") == plat["cpu"],
         f"/metrics {name}: wattlet_node_platform_info {info}")
    # from a scrape alone: pods + system + unattributed + idle + expired = node
    total = lambda n: sum(v for _, v in s.get(n, []))
    for k in KINDS:
        parts = (total(f"wattlet_pod_{k}_carbon_grams_total") +
                 total(f"wattlet_system_{k}_carbon_grams_total") +
                 sum(total(f"wattlet_node_{b}_{k}_carbon_grams_total")
                     for b in ("unattributed", "idle", "expired")))
        node = total(f"wattlet_node_{k}_carbon_grams_total")
        need(close(parts, node), f"/metrics {name}: {k}: pods + system + unattributed + idle + "
             f"expired {parts:.15g} = node {node:.15g}")
print("strict OpenMetrics parse and promtool: clean")
sys.exit(0 if ok else 1)
PY
