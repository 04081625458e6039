#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Two days of a three-node cluster's wattlet series, with the truth they hold.

Writes OUT/data.om (OpenMetrics, for `promtool tsdb create-blocks-from
openmetrics`) and OUT/truth.json: per namespace, pod and team label, the
energy (kWh), facility energy, operational, embodied and total carbon, share
of the cluster, average power, trend and measured fraction that a correct
report of the day before END gives, computed here from the powers chosen
below, never from the series.

The cluster, scraped every 60 s:
  node-a  meter rapl (measured), PUE 1.2, grid intensity 250/350/300 g/kWh by hour
  node-b  meter model (modelled), PUE 1.5, 450 g/kWh, --idle-attribution cpu,
          and its agent restarts (every counter back to 0) 7 hours before END
  node-c  meter hwmon (measured), PUE 1.5, 200 g/kWh, no pods, joined 12 hours before END
node-a has a GPU (NVML): 8 W of its idle power is the GPU's, and ml/train spends 60% of its
energy there; wattlet_{node,namespace,pod}_gpu_energy_joules exist on node-a only.
Each node's wattlet_node_platform_info names its CPU; node-b's names its model row too,
ccf:average until 30 hours before END (outside the period reported) and ccf:cascade-lake after.
  shop/cart  node-a  team=checkout (kube-state-metrics runs twice: two label series)
  shop/web   node-b  team=frontend
  search/index node-a team=frontend
  batch/job-1 node-b  no team label
  batch/job-2 node-b  unknown to kube-state-metrics
  ml/train   node-a  team=research, started 6 hours before END
kube-state-metrics was installed 30 hours before END: before that, no kube_pod_labels.
Each pod's power is constant within an hour and changes from hour to hour.

usage: report_fixture.py OUT END_UNIX_SECONDS
"""
import json
import math
import os
import sys

STEP = 60
HOUR = 3600
DAY = 86400
KSM_SINCE = 30 * HOUR

NODES = {
    "node-a": {"meter": "rapl", "pue": 1.2, "idle_w": 20.0, "system_w": 5.0,
               "embodied_gps": 0.004, "idle_attr": False, "start": None,
               "cpu": "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", "gpu_idle_w": 8.0},
    "node-b": {"meter": "model", "pue": 1.5, "idle_w": 30.0, "system_w": 3.0,
               "embodied_gps": 0.006, "idle_attr": True, "start": None,
               "cpu": "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"},
    "node-c": {"meter": "hwmon", "pue": 1.5, "idle_w": 15.0, "system_w": 4.0,
               "embodied_gps": 0.002, "idle_attr": False, "start": 12 * HOUR,
               "cpu": "AMD EPYC 7R13 Processor"},
}
GPU_FRACTION = {"train": 0.6}  # the GPU part of a pod's energy, on a GPU node
MODEL_CHANGE = 30 * HOUR  # node-b's model row before it, and after
MODEL_ROWS = ("ccf:average", "ccf:cascade-lake")

# namespace, pod, node, team (None: no label, False: not in kube_pod_labels), base W,
# the previous day's base as a factor, start (seconds before END, None: always there)
PODS = [
    ("shop", "cart", "node-a", "checkout", 12.0, 1.25, None),
    ("shop", "web", "node-b", "frontend", 8.0, 1.0, None),
    ("search", "index", "node-a", "frontend", 20.0, 0.8, None),
    ("batch", "job-1", "node-b", None, 5.0, 2.0, None),
    ("batch", "job-2", "node-b", False, 3.0, 1.0, None),
    ("ml", "train", "node-a", "research", 30.0, 1.0, 6 * HOUR),
]


def intensity(node, hour):
    if node == "node-b":
        return 450.0
    if node == "node-c":
        return 200.0
    return (250.0, 350.0, 300.0)[hour % 3]


class Sim:
    """Integrates the chosen powers minute by minute into counters and truth sums."""

    def __init__(self, end):
        self.end = end
        self.start = end - 2 * DAY - HOUR
        self.stop = end + 10 * 60
        self.restart = end - 7 * HOUR - 30 * STEP
        self.series = {}  # (family, labels tuple) -> [(t, value)]

    def node_up(self, node, t):
        start = NODES[node]["start"]
        return start is None or t >= self.end - start

    def hour(self, t):
        """Hours from END (negative before it): the same figures whatever END is."""
        return int((t - self.end) // HOUR)

    def pod_power(self, i, t):
        ns, pod, node, team, base, prev_factor, start = PODS[i]
        if start is not None and t < self.end - start:
            return None
        h = self.hour(t)
        w = base * (1 + 0.1 * ((h * 7 + i * 3) % 5))
        return w * (prev_factor if t < self.end - DAY else 1.0)

    def pod_idle(self, i, t):
        """node-b attributes idle energy: its pods share 60% of it, by fixed weights."""
        node = PODS[i][2]
        if not NODES[node]["idle_attr"] or self.pod_power(i, t) is None:
            return 0.0
        return NODES[node]["idle_w"] * 0.6 * (i + 1) / 10.0

    def run(self):
        cum = {}
        truth = {}

        def add(key, v):
            cum[key] = cum.get(key, 0.0) + v

        def sample(family, labels, t, key):
            self.series.setdefault((family, labels), []).append((t, cum.get(key, 0.0)))

        t = self.start
        while t <= self.stop:
            self.emit(t, sample)
            if t == self.restart:  # node-b's agent restarts: its counters start again
                for key in list(cum):
                    if key[0] == "node-b":
                        cum[key] = 0.0
            self.step(t, add, truth)
            t += STEP
        return truth

    def step(self, t, add, truth):
        """Energy in (t, t + STEP], into counters and, when inside a period, the truth."""
        period = None
        if self.end - DAY <= t < self.end:
            period = "now"
        elif self.end - 2 * DAY <= t < self.end - DAY:
            period = "prev"
        node_active = {n: NODES[n]["system_w"] * STEP for n in NODES}
        node_gpu = {n: NODES[n].get("gpu_idle_w", 0.0) * STEP for n in NODES}
        for i, (ns, pod, node, team, _, _, _) in enumerate(PODS):
            w = self.pod_power(i, t)
            if w is None:
                continue
            cfg = NODES[node]
            active, idle = w * STEP, self.pod_idle(i, t) * STEP
            energy = active + idle
            facility = energy * cfg["pue"]
            op = facility / 3.6e6 * intensity(node, self.hour(t))
            emb = cfg["embodied_gps"] * STEP * w / 100.0
            gpu = active * GPU_FRACTION.get(pod, 0.0) if "gpu_idle_w" in cfg else None
            node_active[node] += active
            if gpu is not None:
                node_gpu[node] += gpu
            for level, key in (("pod", (node, "pod", ns, pod)), ("namespace", (node, "ns", ns))):
                if gpu is not None:
                    add(key + ("gpu",), gpu)
                add(key + ("energy",), active)
                add(key + ("idle",), idle)
                add(key + ("facility",), facility)
                add(key + ("op",), op)
                add(key + ("emb",), emb)
            if period:
                g = truth.setdefault(period, {})
                for by, name in (("namespace", ns), ("pod", ns + "/" + pod),
                                 ("label:team", team if team else
                                  "(no team label)" if team is None else
                                  "(not in kube_pod_labels)")):
                    d = g.setdefault(by, {}).setdefault(name, {
                        "energy_j": 0.0, "measured_j": 0.0, "facility_j": 0.0, "op": 0.0,
                        "emb": 0.0, "gpu_j": None})
                    d["energy_j"] += energy
                    d["measured_j"] += 0.0 if cfg["meter"] == "model" else energy
                    d["facility_j"] += facility
                    d["op"] += op
                    d["emb"] += emb
                    if gpu is not None:
                        d["gpu_j"] = (d["gpu_j"] or 0.0) + gpu
        for node, cfg in NODES.items():
            if not self.node_up(node, t):
                continue
            idle = cfg["idle_w"] * STEP
            add((node, "node", "active"), node_active[node])
            add((node, "node", "idle"), idle)
            facility = (node_active[node] + idle) * cfg["pue"]
            add((node, "node", "facility"), facility)
            add((node, "node", "op"), facility / 3.6e6 * intensity(node, self.hour(t)))
            add((node, "node", "emb"), cfg["embodied_gps"] * STEP)
            if "gpu_idle_w" in cfg:
                add((node, "node", "gpu"), node_gpu[node])
            if period:
                n = truth.setdefault(period, {}).setdefault("nodes", {}).setdefault(
                    node, {"energy_j": 0.0, "facility_j": 0.0, "op": 0.0, "emb": 0.0,
                           "gpu_j": None})
                if "gpu_idle_w" in cfg:
                    n["gpu_j"] = (n["gpu_j"] or 0.0) + node_gpu[node]
                n["energy_j"] += node_active[node] + idle
                n["facility_j"] += facility
                n["op"] += facility / 3.6e6 * intensity(node, self.hour(t))
                n["emb"] += cfg["embodied_gps"] * STEP

    def emit(self, t, sample):
        done = set()
        for i, (ns, pod, node, team, _, _, start) in enumerate(PODS):
            if start is not None and t < self.end - start:
                continue
            for level, key, labels in (
                    ("pod", (node, "pod", ns, pod),
                     (("node", node), ("namespace", ns), ("pod", pod))),
                    ("namespace", (node, "ns", ns), (("node", node), ("namespace", ns)))):
                if key in done:
                    continue
                done.add(key)
                for fig, fam in (("energy", "energy_joules"), ("facility", "facility_energy_joules"),
                                 ("op", "operational_carbon_grams"),
                                 ("emb", "embodied_carbon_grams")):
                    sample("wattlet_%s_%s" % (level, fam), labels, t, key + (fig,))
                if NODES[node]["idle_attr"]:
                    sample("wattlet_%s_idle_energy_joules" % level, labels, t, key + ("idle",))
                if "gpu_idle_w" in NODES[node]:
                    sample("wattlet_%s_gpu_energy_joules" % level, labels, t, key + ("gpu",))
        for node, cfg in NODES.items():
            if not self.node_up(node, t):
                continue
            self.series.setdefault(("wattlet_last_collection_timestamp_seconds", (("node", node),)),
                                   []).append((t, float(t)))
            base = (("node", node), ("zone", "node"), ("meter", cfg["meter"]))
            for mode in ("active", "idle"):
                sample("wattlet_node_energy_joules", base + (("mode", mode),), t,
                       (node, "node", mode))
            for fig, fam in (("facility", "facility_energy_joules"),
                             ("op", "operational_carbon_grams"), ("emb", "embodied_carbon_grams")):
                sample("wattlet_node_%s" % fam, (("node", node),), t, (node, "node", fig))
            if "gpu_idle_w" in cfg:
                sample("wattlet_node_gpu_energy_joules", (("node", node),), t, (node, "node", "gpu"))
            self.series.setdefault(("wattlet_node_platform_info", self.platform(node, t)),
                                   []).append((t, 1.0))

    def platform(self, node, t):
        labels = (("node", node), ("cpu", NODES[node]["cpu"]))
        if NODES[node]["meter"] == "model":
            labels += (("model", MODEL_ROWS[t >= self.end - MODEL_CHANGE]),)
        return labels


def carbon_totals(sim):
    """carbon_grams_total is operational + embodied, sample by sample, at every level."""
    for (family, labels), pts in list(sim.series.items()):
        if not family.endswith("_operational_carbon_grams"):
            continue
        emb = dict(sim.series[(family.replace("operational", "embodied"), labels)])
        total = family.replace("_operational_carbon_grams", "_carbon_grams")
        sim.series[(total, labels)] = [(t, v + emb[t]) for t, v in pts]


def pod_labels(sim):
    """kube_pod_labels, as kube-state-metrics (twice for shop/cart) exports it."""
    for ns, pod, node, team, _, _, start in PODS:
        if team is False:
            continue
        instances = ("ksm-0:8080", "ksm-1:8080") if pod == "cart" else ("ksm-0:8080",)
        for inst in instances:
            labels = [("instance", inst), ("job", "kube-state-metrics"), ("namespace", ns),
                      ("pod", pod), ("uid", "uid-" + pod)]
            if team:
                labels.append(("label_team", team))
            t0 = sim.end - KSM_SINCE if start is None else sim.end - start
            sim.series[("kube_pod_labels", tuple(labels))] = [
                (t, 1.0) for t in range(int(t0), int(sim.stop) + 1, STEP)]


def write_openmetrics(sim, path):
    families = {}
    for (family, labels), pts in sim.series.items():
        families.setdefault(family, []).append((labels, pts))
    with open(path, "w") as f:
        for family in sorted(families):
            gauge = family in ("kube_pod_labels", "wattlet_last_collection_timestamp_seconds",
                               "wattlet_node_platform_info")
            f.write("# TYPE %s %s\n" % (family, "gauge" if gauge else "counter"))
            name = family if gauge else family + "_total"
            for labels, pts in families[family]:
                lb = ",".join('%s="%s"' % kv for kv in labels)
                for t, v in pts:
                    f.write("%s{%s} %r %d\n" % (name, lb, v, t))
        f.write("# EOF\n")


def summarize(sim, truth):
    now, prev = truth["now"], truth["prev"]
    cluster_j = sum(n["energy_j"] for n in now["nodes"].values())
    cluster_gpu_j = sum(n["gpu_j"] for n in now["nodes"].values() if n["gpu_j"] is not None)
    out = {"from": sim.end - DAY, "to": sim.end, "cluster_energy_kwh": cluster_j / 3.6e6,
           "cluster_gpu_energy_kwh": cluster_gpu_j / 3.6e6,
           "nodes": {}, "groups": {}}
    for node, n in now["nodes"].items():
        out["nodes"][node] = {
            "energy_kwh": n["energy_j"] / 3.6e6, "pue": n["facility_j"] / n["energy_j"],
            "carbon_intensity_grams_per_kwh": n["op"] / (n["facility_j"] / 3.6e6),
            "embodied_carbon_grams": n["emb"],
            "basis": "modelled" if NODES[node]["meter"] == "model" else "measured",
            "model": MODEL_ROWS[1] if NODES[node]["meter"] == "model" else None,
            "gpu_energy_kwh": n["gpu_j"] / 3.6e6 if n["gpu_j"] is not None else None}
    for by, groups in now.items():
        if by == "nodes":
            continue
        out["groups"][by] = {}
        for name, d in groups.items():
            p = prev.get(by, {}).get(name)
            pe = p["energy_j"] if p else 0.0
            m = d["measured_j"] / d["energy_j"]
            out["groups"][by][name] = {
                "energy_kwh": d["energy_j"] / 3.6e6,
                "facility_energy_kwh": d["facility_j"] / 3.6e6,
                "operational_carbon_grams": d["op"], "embodied_carbon_grams": d["emb"],
                "carbon_grams": d["op"] + d["emb"], "share": d["energy_j"] / cluster_j,
                "gpu_energy_kwh": d["gpu_j"] / 3.6e6 if d["gpu_j"] is not None else None,
                "average_power_watts": d["energy_j"] / DAY,
                "previous_energy_kwh": pe / 3.6e6,
                "trend": (d["energy_j"] - pe) / pe if pe else None,
                "measured_fraction": m,
                "basis": "measured" if m == 1 else "modelled" if m == 0 else "mixed"}
    return out


def main():
    out, end = sys.argv[1], int(sys.argv[2])
    if end % HOUR:
        sys.exit("END must be a whole hour")
    sim = Sim(end)
    truth = sim.run()
    carbon_totals(sim)
    pod_labels(sim)
    os.makedirs(out, exist_ok=True)
    write_openmetrics(sim, os.path.join(out, "data.om"))
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(summarize(sim, truth), f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
