#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Plain HTTP against TLS against TLS + basic auth, side by side, in interleaved rounds.

  http-tls-bench.py CA ROUNDS NAME=SCHEME:PORT:PID:AUTH ... [--peer NAME=PORT:PID:PATH] [--cpu-only]

Each server (tools/bench/http-fixture with 1,000 pods, or the agent) is measured in turn,
in an order that rotates each round; the tables give medians over the rounds:
  1. /metrics latency as Prometheus asks (gzip, one kept-alive connection, every 20 ms);
  2. requests/s on 32 kept-alive connections from one address (wrk), with wrk's p50/p99,
     its error count, and the server's CPU per request;
  3. the server's CPU under one scrape a second;
  4. new TLS handshakes per second (openssl s_time -new, one client) and CPU per handshake.
AUTH is "user:password" or "-". CPU comes from /proc/PID/task/*/stat: every thread but the
main one (the fixture's publisher) for the fixture; the whole process for the agent (NAME
starting with "agent"). --cpu-only measures 3 alone (for agents). --peer adds a table
against another server with the same web config (basic auth as prometheus:$BENCH_PASSWORD):
requests/s on a small answer and new handshakes. Prints Markdown.
"""
import base64, http.client, os, re, ssl, statistics, subprocess, sys, time

TICK = os.sysconf("SC_CLK_TCK")
CA, ROUNDS = sys.argv[1], int(sys.argv[2])
LAT_S, WRK_S, CPU_S, HS_S = 10, 8, 15, 5


class Server:
    def __init__(self, spec):
        self.name, rest = spec.split("=", 1)
        self.scheme, port, pid, auth = rest.split(":", 3)
        self.port, self.pid = int(port), int(pid)
        self.headers = {"Accept-Encoding": "gzip"}
        if auth != "-":
            self.headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
        self.rows = {}

    def conn(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection("localhost", self.port,
                                               context=ssl.create_default_context(cafile=CA))
        return http.client.HTTPConnection("127.0.0.1", self.port)

    def url(self, path):
        return "%s://127.0.0.1:%d%s" % (self.scheme, self.port, path)

    def ticks(self):
        total = 0
        for tid in os.listdir("/proc/%d/task" % self.pid):
            if int(tid) == self.pid and not self.name.startswith("agent"):
                continue
            with open("/proc/%d/task/%s/stat" % (self.pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total

    def add(self, key, value):
        self.rows.setdefault(key, []).append(value)

    def median(self, key):
        v = self.rows.get(key)
        return statistics.median(v) if v else None


def fetch(c, path, headers):
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        raise RuntimeError("%s: HTTP %d" % (path, r.status))
    return len(body)


def latency(s):
    c = s.conn()
    fetch(c, "/metrics", s.headers)  # the connection and the credentials check, once
    lat, end = [], time.monotonic() + LAT_S
    while time.monotonic() < end:
        t = time.monotonic()
        fetch(c, "/metrics", s.headers)
        lat.append(time.monotonic() - t)
        time.sleep(0.02)
    lat.sort()
    s.add("lat_p50", lat[len(lat) // 2] * 1e3)
    s.add("lat_p99", lat[int(len(lat) * 0.99)] * 1e3)


def ms(text):
    """wrk's durations: 577.00us, 1.20ms, 2.01s, 1.02m."""
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        raise RuntimeError("wrk printed a latency of %r" % text)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 60e3}[m.group(2)]


def wrk(s, path="/metrics", prefix="wrk"):
    args = ["wrk", "-t", "2", "-c", "32", "-d", "%ds" % WRK_S, "--timeout", "10s", "--latency"]
    for k, v in s.headers.items():
        args += ["-H", "%s: %s" % (k, v)]
    t0 = s.ticks()
    out = subprocess.run(args + [s.url(path)], capture_output=True, text=True).stdout
    cpu = (s.ticks() - t0) / TICK
    reqs = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    n = int(re.search(r"(\d+) requests in", out).group(1))
    errs = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    s.add(prefix + "_rps", reqs)
    s.add(prefix + "_p50", ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)))
    s.add(prefix + "_p99", ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)))
    s.add(prefix + "_errors", errs + (int(non2xx.group(1)) if non2xx else 0))
    s.add(prefix + "_cpu_us", cpu / n * 1e6)


OM = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"


def cpu_scraped(s):
    s.headers.setdefault("Accept", OM)
    c = s.conn()
    fetch(c, "/metrics", s.headers)
    t0, w0 = s.ticks(), time.monotonic()
    while time.monotonic() - w0 < CPU_S:
        fetch(c, "/metrics", s.headers)
        time.sleep(1)
    s.add("cpu_pct", 100.0 * (s.ticks() - t0) / TICK / (time.monotonic() - w0))


def handshakes(s):
    if s.scheme != "https":
        return
    t0 = s.ticks()
    out = subprocess.run(["openssl", "s_time", "-connect", "127.0.0.1:%d" % s.port, "-new",
                          "-time", str(HS_S), "-CAfile", CA], capture_output=True, text=True).stdout
    cpu = (s.ticks() - t0) / TICK
    m = re.search(r"(\d+) connections in ([\d.]+) real seconds", out)
    n, secs = int(m.group(1)), float(m.group(2))
    s.add("hs_per_s", n / secs)
    s.add("hs_cpu_us", cpu / n * 1e6 if n else float("nan"))


def f(v, fmt="%.1f"):
    return "-" if v is None else fmt % v


def main():
    args = sys.argv[3:]
    peer, cpu_only = None, "--cpu-only" in args
    args = [a for a in args if a != "--cpu-only"]
    if "--peer" in args:
        i = args.index("--peer")
        peer, args = args[i + 1], args[:i] + args[i + 2:]
    servers = [Server(a) for a in args]
    for r in range(ROUNDS):
        order = servers[r % len(servers):] + servers[:r % len(servers)]
        for s in order:
            if cpu_only:
                cpu_scraped(s)
                continue
            latency(s)
            wrk(s)
            cpu_scraped(s)
            handshakes(s)
        print("round %d of %d done" % (r + 1, ROUNDS), file=sys.stderr)
    if cpu_only:
        print("| agent | CPU %% of one core, scraped once a second (gzip OpenMetrics), median of %d |" % ROUNDS)
        print("| --- | ---: |")
        for s in servers:
            print("| %s | %s |" % (s.name, f(s.median("cpu_pct"), "%.2f")))
        return 0
    print("| server | /metrics p50 ms | p99 ms | wrk req/s (32 kept-alive) | wrk p50 ms | wrk p99 ms "
          "| wrk errors | CPU µs/request | CPU % at 1 scrape/s | new TLS handshakes/s | CPU µs/handshake |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in servers:
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s.name, f(s.median("lat_p50"), "%.2f"), f(s.median("lat_p99"), "%.2f"),
            f(s.median("wrk_rps"), "%.0f"), f(s.median("wrk_p50"), "%.2f"), f(s.median("wrk_p99"), "%.2f"),
            f(s.median("wrk_errors"), "%.0f"), f(s.median("wrk_cpu_us"), "%.0f"), f(s.median("cpu_pct"), "%.2f"),
            f(s.median("hs_per_s"), "%.0f"), f(s.median("hs_cpu_us"), "%.0f")))
    if peer:
        name, rest = peer.split("=", 1)
        port, pid, path = rest.split(":", 2)
        ours = next(s for s in servers if "auth" in s.name)
        theirs = Server("%s=https:%s:%s:%s" % (name, port, pid, "prometheus:" + os.environ["BENCH_PASSWORD"]))
        theirs.name = name + " (whole process)"
        theirs.ticks = lambda p=int(pid): sum_ticks(p)
        for r in range(ROUNDS):
            for s, p in ((ours, "/api/v1/node"), (theirs, path)):
                wrk(s, p, "small")
                handshakes(s)
        print()
        print("| TLS + basic auth, same web config | wrk req/s, small answer | CPU µs/request "
              "| new TLS handshakes/s | CPU µs/handshake |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for s, what in ((ours, "wattlet, /api/v1/node"), (theirs, "%s, %s" % (theirs.name, path))):
            print("| %s | %s | %s | %s | %s |" % (what, f(s.median("small_rps"), "%.0f"),
                  f(s.median("small_cpu_us"), "%.0f"), f(s.median("hs_per_s"), "%.0f"),
                  f(s.median("hs_cpu_us"), "%.0f")))
    return 0


def sum_ticks(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


sys.exit(main())
