#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""HTTP benchmark against a running server (tools/bench/http-fixture or wattlet).

  http-bench.py PORT PID [--seconds S] [--cpu-only]

1. Sizes of /metrics (text, OpenMetrics; plain and gzip) and /api/v1/pods.
2. Latency: keep-alive clients request /metrics (gzip, as Prometheus does),
   /metrics (plain) and /api/v1/pods every 20 ms, one process each, for S seconds while the
   document keeps being republished; p50, p99 and max per endpoint.
3. CPU of the server under one gzip OpenMetrics scrape a second, from
   /proc/PID/task/*/stat: the serving threads (every thread but the main
   one, which publishes) and the whole process.
With --cpu-only (for the real agent): only 3, after the same time unscraped.
Prints Markdown.
"""
import http.client, multiprocessing, os, sys, time

PORT, PID = int(sys.argv[1]), int(sys.argv[2])
SECONDS = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 20
OM = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
TICK = os.sysconf("SC_CLK_TCK")


def fetch(conn, path, headers):
    t = time.monotonic()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit("%s: HTTP %d" % (path, r.status))
    return time.monotonic() - t, len(body)


def sizes():
    c = http.client.HTTPConnection("127.0.0.1", PORT)
    out = {}
    for name, path, h in [("text", "/metrics", {}), ("text gzip", "/metrics", {"Accept-Encoding": "gzip"}),
                          ("OpenMetrics", "/metrics", {"Accept": OM}),
                          ("OpenMetrics gzip", "/metrics", {"Accept": OM, "Accept-Encoding": "gzip"}),
                          ("/api/v1/pods", "/api/v1/pods", {}),
                          ("/api/v1/pods gzip", "/api/v1/pods", {"Accept-Encoding": "gzip"})]:
        out[name] = fetch(c, path, h)[1]
    return out


def latency_client(path, headers, q):
    """One process per client, so clients do not share an interpreter lock."""
    c = http.client.HTTPConnection("127.0.0.1", PORT)
    lat, end = [], time.monotonic() + SECONDS
    while time.monotonic() < end:
        lat.append(fetch(c, path, headers)[0])
        time.sleep(0.02)
    q.put(lat)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def latencies():
    cases = [("/metrics text gzip", "/metrics", {"Accept-Encoding": "gzip"}),
             ("/metrics text", "/metrics", {}),
             ("/metrics OpenMetrics gzip", "/metrics", {"Accept": OM, "Accept-Encoding": "gzip"}),
             ("/api/v1/pods", "/api/v1/pods", {})]
    procs = []
    for name, path, h in cases:
        q = multiprocessing.Queue()
        procs.append((name, q, multiprocessing.Process(target=latency_client, args=(path, h, q))))
    for _, _, p in procs:
        p.start()
    res = {name: q.get() for name, q, _ in procs}
    for _, _, p in procs:
        p.join()
    return res


def cpu_ticks():
    """(serving threads, whole process) CPU ticks."""
    serving = total = 0
    for tid in os.listdir("/proc/%d/task" % PID):
        with open("/proc/%d/task/%s/stat" % (PID, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        total += ticks
        if int(tid) != PID:
            serving += ticks
    return serving, total


def cpu_under_scrape(seconds, scrape=True):
    c = http.client.HTTPConnection("127.0.0.1", PORT)
    s0, t0, w0 = *cpu_ticks(), time.monotonic()
    n = 0
    while time.monotonic() - w0 < seconds:
        if scrape:
            fetch(c, "/metrics", {"Accept": OM, "Accept-Encoding": "gzip"})
            n += 1
        time.sleep(1)
    s1, t1, w1 = *cpu_ticks(), time.monotonic()
    wall = w1 - w0
    return 100.0 * (s1 - s0) / TICK / wall, 100.0 * (t1 - t0) / TICK / wall, n, wall


def cpu_only():
    _, idle, _, wall = cpu_under_scrape(SECONDS, scrape=False)
    _, busy, n, wall2 = cpu_under_scrape(SECONDS)
    size = fetch(http.client.HTTPConnection("127.0.0.1", PORT), "/metrics", {})[1]
    print("| real agent, %d-byte /metrics | CPU, %% of one CPU |\n| --- | ---: |" % size)
    print("| not scraped (%.0f s) | %.2f |" % (wall, idle))
    print("| scraped every second, gzip OpenMetrics (%d scrapes in %.0f s) | %.2f |" % (n, wall2, busy))
    return 0


def main():
    if "--cpu-only" in sys.argv:
        return cpu_only()
    sz = sizes()
    print("| body | bytes |\n| --- | ---: |")
    for k, v in sz.items():
        print("| %s | %d |" % (k, v))
    print()
    res = latencies()
    print("| endpoint (%.0f s, 4 keep-alive clients, 50 req/s each) | requests | p50 ms | p99 ms | max ms |" % SECONDS)
    print("| --- | ---: | ---: | ---: | ---: |")
    worst = 0
    for k, v in res.items():
        print("| %s | %d | %.2f | %.2f | %.2f |" % (k, len(v), pct(v, .5) * 1e3, pct(v, .99) * 1e3, max(v) * 1e3))
        worst = max(worst, pct(v, .99))
    print()
    serving, total, n, wall = cpu_under_scrape(SECONDS)
    print("CPU under one gzip OpenMetrics scrape a second (%d scrapes in %.0f s): serving threads %.2f%% of one CPU, "
          "whole process %.2f%% (the rest is the synthetic publisher)." % (n, wall, serving, total))
    return 0 if worst <= 0.010 else 1


sys.exit(main())
