#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Measurements and summary for tools/bench/core.sh.

  corestat.py env                          machine facts, one JSON line
  corestat.py window switch|tput SUBJECT ROUND PID -- CMD...
      runs CMD (perf bench sched pipe) and prints one JSON line: the context
      switches (/proc/stat ctxt) and the run_time_ns / run_cnt gained by every
      BPF program PID owns (0: none) over the same window, and CMD's ops/sec
  corestat.py daemon PID SECONDS DOCS PROCS WAKE_MS   CPU, RSS and BPF map
      memory of PID over SECONDS, collection durations from its JSON Lines
      output DOCS, then its programs' run time over 5 s with bpf_stats on
  corestat.py summary RESULTS              the markdown tables for docs/benchmarks.md

A program belongs to PID when PID holds a file descriptor of it, or of a link
to it (/proc/PID/fdinfo). The counters come from `bpftool prog show`, which
reports them while kernel.bpf_stats_enabled is 1.
"""
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

TARGET_VS_PEER = 0.5      # wattlet / runqlat, per switch
TARGET_TPUT = 0.98        # pipe throughput with the agent / without
TARGET_CPU_PCT = 1.0      # % of one core, 10,000 processes, 1 s interval
TARGET_RSS_MIB = 20.0


def fdinfo(pid, fd):
    info = {}
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}") as f:
            for line in f:
                key, _, val = line.partition(":")
                info[key.strip()] = val.strip()
    except OSError:
        pass
    return info


def bpf_fds(pid):
    """(kind, fdinfo) for each BPF object PID holds: prog, map or link."""
    kinds = {"anon_inode:bpf-prog": "prog", "anon_inode:bpf-map": "map",
             "anon_inode:bpf_link": "link"}
    out = []
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return out
    for fd in fds:
        try:
            kind = kinds.get(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
        if kind:
            out.append((kind, fdinfo(pid, fd)))
    return out


def owned_progs(pid):
    """{prog id: what it is attached to} for the programs PID owns."""
    progs = {}
    if not pid:
        return progs
    for kind, info in bpf_fds(pid):
        if kind == "prog" and "prog_id" in info:
            progs.setdefault(int(info["prog_id"]), "unattached")
        elif kind == "link" and "prog_id" in info:
            ltype = info.get("link_type", "?")
            where = "iter" if ltype == "iter" else info.get("tp_name", ltype)
            progs[int(info["prog_id"])] = where
    return progs


def prog_stats(ids):
    if not ids:
        return {}
    out = subprocess.run(["bpftool", "-j", "prog", "show"], check=True,
                         capture_output=True, text=True).stdout
    return {p["id"]: p for p in json.loads(out) if p["id"] in ids}


def ctxt():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("ctxt "):
                return int(line.split()[1])
    raise RuntimeError("no ctxt in /proc/stat")


def cpu_busy():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return sum(v) - v[3] - v[4], sum(v)


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wait_quiet():
    """Wait (QUIET_WAIT s at most) until the machine is idle enough (QUIET_BUSY)
    that a window is not mostly measuring someone else; returns the busy share."""
    limit = float(os.environ.get("QUIET_BUSY", "0.10"))
    deadline = time.monotonic() + float(os.environ.get("QUIET_WAIT", "30"))
    while True:
        b0, t0 = cpu_busy()
        time.sleep(1)
        b1, t1 = cpu_busy()
        share = (b1 - b0) / max(t1 - t0, 1)
        if share <= limit or time.monotonic() >= deadline:
            return share


def bpf_stats_on():
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        return f.read().strip() == "1"


def cmd_window(part, subject, rnd, pid, cmd):
    owned = owned_progs(pid)
    if pid and not owned:
        sys.exit(f"corestat: pid {pid} ({subject}) owns no BPF program")
    quiet = wait_quiet()
    stats_on = bpf_stats_on()
    before = prog_stats(owned)
    hz = os.sysconf("SC_CLK_TCK")
    k0, r0, c0, t0 = cpu_busy()[0], children_cpu(), ctxt(), time.monotonic()
    run = subprocess.run(cmd, check=True, capture_output=True, text=True)
    t1, c1, r1, k1 = time.monotonic(), ctxt(), children_cpu(), cpu_busy()[0]
    after = prog_stats(owned)
    stats_on = stats_on and bpf_stats_on()
    # CPUs busy with anything but the benchmark (other jobs, the subject's daemon)
    others = ((k1 - k0) / hz - (r1 - r0)) / (t1 - t0)
    m = re.search(r"([\d.]+)\s+ops/sec", run.stdout)
    progs = []
    for pid_, where in sorted(owned.items()):
        a, b = after.get(pid_, {}), before.get(pid_, {})
        progs.append({"id": pid_, "name": a.get("name", "?"), "attach": where,
                      "run_time_ns": a.get("run_time_ns", 0) - b.get("run_time_ns", 0),
                      "run_cnt": a.get("run_cnt", 0) - b.get("run_cnt", 0)})
    print(json.dumps({"part": part, "subject": subject, "round": int(rnd),
                      "ctxt": c1 - c0, "seconds": t1 - t0,
                      "busy_before": quiet, "others_cpus": others, "bpf_stats": stats_on,
                      "ops_per_sec": float(m.group(1)) if m else None,
                      "progs": progs}))


def cpu_ticks(pid):
    """(utime, stime) of PID: fields 14 and 15 of /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def status_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(val.split()[0])
    return out


def map_memory(pid):
    names = {}
    out = subprocess.run(["bpftool", "-j", "map", "show"], capture_output=True, text=True)
    if out.returncode == 0:
        names = {m["id"]: m.get("name", "?") for m in json.loads(out.stdout)}
    maps = {}
    for kind, info in bpf_fds(pid):
        if kind == "map" and "map_id" in info:
            mid = int(info["map_id"])
            maps[mid] = {"id": mid, "name": names.get(mid, "?"),
                         "type": int(info.get("map_type", -1)),
                         "max_entries": int(info.get("max_entries", 0)),
                         "memlock": int(info.get("memlock", 0))}
    return sorted(maps.values(), key=lambda m: -m["memlock"])


def complete_lines(path):
    with open(path, "rb") as f:
        return f.read().count(b"\n")


def collection_window(path, first_line):
    """Collection durations published between line first_line and the last."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    lines = [l for l in lines if l.strip()]
    d0 = json.loads(lines[first_line - 1]) if first_line else None
    d1 = json.loads(lines[-1])
    h1 = d1["agent"]["collection_duration_seconds"]
    h0 = d0["agent"]["collection_duration_seconds"] if d0 else {"sum": 0, "count": 0,
                                                                "buckets": []}
    n = h1["count"] - h0["count"]
    old = {str(b["le"]): b["count"] for b in h0["buckets"]}
    worst = None
    for b in h1["buckets"]:
        if b["count"] - old.get(str(b["le"]), 0) == n:
            worst = b["le"]
            break
    return {"collections": n, "mean_s": (h1["sum"] - h0["sum"]) / n if n else None,
            "max_le_s": worst, "tasks": d1["node"].get("tasks"),
            "node_processes": d1["node"].get("processes"),
            "doc_processes": len(d1.get("processes", [])), "doc_bytes": len(lines[-1]),
            "loss": d1["node"].get("loss")}


def program_time(pid, seconds):
    """ns per second that PID's iterator and event programs ran, over SECONDS
    with bpf_stats on (turned on only here, so the CPU figures above are without)."""
    path = "/proc/sys/kernel/bpf_stats_enabled"
    with open(path) as f:
        old = f.read().strip()
    owned = owned_progs(pid)
    with open(path, "w") as f:
        f.write("1")
    try:
        s0, t0 = prog_stats(owned), time.monotonic()
        time.sleep(seconds)
        s1, t1 = prog_stats(owned), time.monotonic()
    finally:
        with open(path, "w") as f:
            f.write(old)
    out = {"iter": 0, "events": 0, "iter_runs": 0}
    for pid_, where in owned.items():
        dt = s1.get(pid_, {}).get("run_time_ns", 0) - s0.get(pid_, {}).get("run_time_ns", 0)
        out["iter" if where == "iter" else "events"] += dt / (t1 - t0)
        if where == "iter":
            out["iter_runs"] += (s1.get(pid_, {}).get("run_cnt", 0)
                                 - s0.get(pid_, {}).get("run_cnt", 0)) / (t1 - t0)
    return out


def cmd_daemon(pid, seconds, docs, procs, wake_ms):
    hz = os.sysconf("SC_CLK_TCK")
    first = complete_lines(docs)
    c0, t0 = cpu_ticks(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_ticks(pid), time.monotonic()
    kib = status_kib(pid)
    maps = map_memory(pid)
    collection = collection_window(docs, first)
    ut, st = ((c1[i] - c0[i]) / hz / (t1 - t0) * 100.0 for i in (0, 1))
    print(json.dumps({"part": "daemon", "pid": pid, "procs": procs, "wake_ms": wake_ms,
                      "seconds": t1 - t0, "cpu_pct": ut + st, "user_pct": ut, "sys_pct": st,
                      "bpf_ns_per_s": program_time(pid, 5),
                      "rss_kib": kib.get("VmRSS"), "hwm_kib": kib.get("VmHWM"),
                      "map_memlock": sum(m["memlock"] for m in maps), "maps": maps,
                      "collection": collection}))


def sh(cmd):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    return (r.stdout + r.stderr).strip()


def cmd_env():
    pmu = "no PMU (cycles <not supported>)" if "not supported" in sh(
        "perf stat -e cycles true") else "PMU present"
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    print(json.dumps({"part": "env", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                      "kernel": platform.release(), "nproc": os.cpu_count(), "cpu": cpu,
                      "pmu": pmu, "wattlet": sh(f"{os.environ.get('WATTLET', 'wattlet')} --version"),
                      "runqlat": sh("dpkg-query -W -f='${Version}' libbpf-tools"),
                      "perf": sh("perf --version"), "pipe": os.environ.get("PIPE_CMD")}))


# ---- summary -----------------------------------------------------------------

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def switch_rows(rows):
    """Per subject: per-round ns/switch (total, iterator, events) and per-program medians."""
    out = {}
    for r in rows:
        s = out.setdefault(r["subject"], {"total": [], "iter": [], "ops": [], "others": [],
                                          "progs": {}})
        n = r["ctxt"]
        it = sum(p["run_time_ns"] for p in r["progs"] if p["attach"] == "iter")
        tot = sum(p["run_time_ns"] for p in r["progs"])
        s["total"].append(tot / n)
        s["iter"].append(it / n)
        s["ops"].append(r["ops_per_sec"])
        s["others"].append(r.get("others_cpus"))
        for p in r["progs"]:
            key = (p["name"], p["attach"])
            q = s["progs"].setdefault(key, {"per_switch": [], "per_run": [], "runs": []})
            q["per_switch"].append(p["run_time_ns"] / n)
            q["runs"].append(p["run_cnt"] / n)
            if p["run_cnt"]:
                q["per_run"].append(p["run_time_ns"] / p["run_cnt"])
    return out


def verdict(ok):
    return "met" if ok else "**MISSED**"


def summary_switch(rows, lines):
    subj = switch_rows(rows)
    nrounds = len({r["round"] for r in rows})
    lines.append(f"### 1. BPF cost per context switch (medians of {nrounds} interleaved rounds)\n")
    lines.append("| subject | ns/switch, all programs | of which iterator | event programs |"
                 " pipe ops/s (stats on) | other load (CPUs) |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for name, s in subj.items():
        ev = [t - i for t, i in zip(s["total"], s["iter"])]
        lines.append(f"| {name} | {med(s['total']):.1f} | {med(s['iter']):.2f} |"
                     f" {med(ev):.1f} | {med(s['ops']):,.0f} | {med(s['others']):.2f} |")
    lines.append("\nPer program (medians): ns per run, runs per context switch, ns per switch.\n")
    lines.append("| subject | program | attached to | ns/run | runs/switch | ns/switch |")
    lines.append("|---|---|---|---:|---:|---:|")
    for name, s in subj.items():
        for (prog, where), q in s["progs"].items():
            lines.append(f"| {name} | {prog} | {where} | {med(q['per_run']):.1f} |"
                         f" {med(q['runs']):.3f} | {med(q['per_switch']):.2f} |")
    w = med(subj.get("wattlet", {}).get("total", []))
    rq = med(subj.get("runqlat", {}).get("total", []))
    em = med(subj.get("empty", {}).get("total", []))
    lines.append("")
    lines.append(f"- wattlet / runqlat = {w / rq:.2f} (target <= {TARGET_VS_PEER}):"
                 f" {verdict(w / rq <= TARGET_VS_PEER)}")
    lines.append(f"- wattlet / empty sched_switch = {w / em:.2f} (ideally < 1):"
                 f" {'below the floor' if w < em else '**above the floor**'}")
    if "wattlet-counters" in subj:
        wc = med(subj["wattlet-counters"]["total"])
        lines.append(f"- wattlet --counters cpu-clock (switch program on), for information:"
                     f" {wc:.1f} ns/switch = {wc / rq:.2f} x runqlat, {wc / em:.2f} x empty")


def summary_tput(rows, lines):
    reps, others = {}, {}
    for r in rows:
        reps.setdefault(r["subject"], {}).setdefault(r["round"], []).append(r["ops_per_sec"])
        others.setdefault(r["subject"], []).append(r.get("others_cpus"))
    # a round's figure: the median of the runs made while the subject was up once
    by = {s: {k: med(v) for k, v in rounds.items()} for s, rounds in reps.items()}
    base = by.get("none", {})
    nrounds = len(base)
    nruns = max(len(v) for v in reps["none"].values()) if "none" in reps else 0
    lines.append(f"\n### 2. `perf bench sched pipe` throughput, bpf_stats off"
                 f" (medians of {nrounds} interleaved rounds of {nruns} runs)\n")
    lines.append("| subject | ops/s | vs none (ratio of medians) | vs none (median of paired"
                 " ratios) | other load (CPUs) |")
    lines.append("|---|---:|---:|---:|---:|")
    for name, runs in by.items():
        paired = [runs[k] / base[k] for k in runs if k in base]
        lines.append(f"| {name} | {med(runs.values()):,.0f} |"
                     f" {med(runs.values()) / med(base.values()):.3f} | {med(paired):.3f} |"
                     f" {med(others[name]):.2f} |")
    if "wattlet" in by:
        ratio = med(by["wattlet"].values()) / med(base.values())
        lines.append(f"\n- wattlet: {100 * ratio:.1f}% of the throughput without it"
                     f" (target >= {100 * TARGET_TPUT:.0f}%): {verdict(ratio >= TARGET_TPUT)}")


def summary_daemon(r, procs, lines):
    c = r["collection"]
    how = (f"each waking every {r['wake_ms'] / 1000:g} s, so all are tracked" if r["wake_ms"]
           else "all asleep")
    lines.append(f"\n### 3. The daemon with {procs} live processes ({how}),"
                 f" `--interval 1 --output json` ({r['seconds']:.0f} s)\n")
    mib = 1024.0
    b = r["bpf_ns_per_s"]
    lines.append(f"- CPU: {r['cpu_pct']:.2f}% of one core (utime+stime, /proc/PID/stat;"
                 f" target <= {TARGET_CPU_PCT}%): {verdict(r['cpu_pct'] <= TARGET_CPU_PCT)};"
                 f" user {r['user_pct']:.2f}%, system {r['sys_pct']:.2f}%, of which the task"
                 f" iterator program {b['iter'] / 1e7:.2f}%"
                 f" ({b['iter'] / max(b['iter_runs'], 1):.0f} ns per task visited, bpf_stats,"
                 f" 5 s after); the event programs ran {b['events'] / 1e7:.3f}% of a CPU"
                 f" in other tasks' context")
    lines.append(f"- RSS: VmRSS {r['rss_kib'] / mib:.1f} MiB, VmHWM {r['hwm_kib'] / mib:.1f} MiB"
                 f" (target <= {TARGET_RSS_MIB:.0f} MiB): "
                 f"{verdict(max(r['rss_kib'], r['hwm_kib']) / mib <= TARGET_RSS_MIB)}")
    lines.append(f"- BPF map memory (memlock, fdinfo): {r['map_memlock'] / 2**20:.1f} MiB in"
                 f" {len(r['maps'])} maps; largest: " + ", ".join(
                     f"{m['name']} {m['memlock'] / 2**20:.2f} MiB ({m['max_entries']} entries)"
                     for m in r["maps"][:4]))
    mean = c["mean_s"] * 1000 if c["mean_s"] is not None else float("nan")
    lines.append(f"- collection: {c['collections']} collections, mean {mean:.2f} ms,"
                 f" all <= {c['max_le_s']} s (agent.collection_duration_seconds);"
                 f" the node: {c['tasks']} tasks, {c['node_processes']} processes;"
                 f" last document {c['doc_bytes'] / 1024:.0f} KiB with {c['doc_processes']}"
                 f" processes listed; loss counters {json.dumps(c['loss'])}")


def cmd_summary(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    lines = []
    env = next((r for r in rows if r["part"] == "env"), None)
    if env:
        lines.append(f"Measured {env['date']} on {env['kernel']}, {env['nproc']} vCPUs"
                     f" ({env['cpu']}), {env['pmu']}; {env['wattlet']},"
                     f" runqlat from libbpf-tools {env['runqlat']}, {env['perf']}."
                     f" Load: `{env.get('pipe')}`.\n")
    # someone turned bpf_stats off during these: their run_time_ns is short
    sw = [r for r in rows if r["part"] == "switch" and r.get("bpf_stats", True)]
    if sw:
        summary_switch(sw, lines)
    tp = [r for r in rows if r["part"] == "tput"]
    if tp:
        summary_tput(tp, lines)
    for r in rows:
        if r["part"] == "daemon":
            summary_daemon(r, r.get("procs", "?"), lines)
    print("\n".join(lines))


def main(argv):
    if len(argv) >= 2 and argv[1] == "env":
        return cmd_env()
    if len(argv) >= 8 and argv[1] == "window" and argv[6] == "--":
        return cmd_window(argv[2], argv[3], argv[4], int(argv[5]), argv[7:])
    if len(argv) == 7 and argv[1] == "daemon":
        return cmd_daemon(int(argv[2]), float(argv[3]), argv[4], int(argv[5]), int(argv[6]))
    if len(argv) == 3 and argv[1] == "summary":
        return cmd_summary(argv[2])
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
