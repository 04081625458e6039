#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Malformed and hostile requests over a raw socket: garbage request lines,
# a 100 KB URL, 200 KB of headers, slowloris (per-IP cap, idle timeout,
# request deadline), ".." segments, other methods,
# a connection flood. After each, the server still answers /healthz and
# /metrics quickly, and the publishing loop beside it stays on time.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/http_lib.bash

fixture_start 200 --interval 0.5
$PY - "$PORT" <<'EOF' || fail "hostile requests"
import os, select, socket, sys, time, threading

PORT = int(sys.argv[1])
failures = []

def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)

def exchange(data, src="127.0.0.1", timeout=5.0):
    """Send raw bytes, return (status or None, body bytes, seconds). None: closed with no reply."""
    t = time.monotonic()
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", PORT))
    reply = b""
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
            if b"\r\n\r\n" in reply:
                head, _, body = reply.partition(b"\r\n\r\n")
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(body) >= int(cl[0].split(b":")[1]):
                    break
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        reply += b"<timeout>"
    finally:
        s.close()
    status = None
    if reply.startswith(b"HTTP/1."):
        status = int(reply.split(b" ")[1])
    return status, reply.partition(b"\r\n\r\n")[2], time.monotonic() - t

def get(path, src="127.0.0.1"):
    return exchange(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode(), src)

def still_serves(after):
    st, body, dt = get("/healthz")
    st2, body2, dt2 = get("/metrics")
    check(st == 200 and st2 == 200 and b"wattlet_pod_cpu_seconds_total" in body2 and dt2 < 1.0,
          "serves after %s (healthz %s, metrics %s in %.0f ms)" % (after, st, st2, dt2 * 1e3))

def refused(st, body, dt):
    return (st is None or 400 <= st < 600) and b"<timeout>" not in body and dt < 5

# 1. Garbage request lines.
garbage = [b"\x00\xff\xfe garbage\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
           b"G\x7fT / HTTP/1.1\r\nHost: x\r\n\r\n", b"\r\n\r\n\r\n", b"GET / HTTP/1.1\nHost: x\n\n\x00",
           b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
           b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           b"GET /metrics HTTP/1.1\r\n: novalue\r\nHost x\r\n\r\n", os.urandom(4096),
           b"GET /%00%ff%c0%af HTTP/1.1\r\nHost: x\r\n\r\n", b"GET http://evil/metrics HTTP/1.1\r\n\r\n"]
# Each gets an error, a reply, or is closed, at the latest by the 10 s idle timeout
# (libmicrohttpd waits for more on a line it cannot yet judge). All at once, in parallel.
results = [None] * len(garbage)
def probe(i):
    results[i] = exchange(garbage[i], timeout=13)
threads = [threading.Thread(target=probe, args=(i,)) for i in range(len(garbage))]
for t in threads: t.start()
still_serves("garbage request lines still open")
for t in threads: t.join()
for i, (st, body, dt) in enumerate(results):
    check(b"<timeout>" not in body and st != 500 and dt < 13,
          "garbage %d %r -> %s in %.0f ms" % (i, garbage[i][:24], st, dt * 1e3))
still_serves("garbage request lines")

# 2. A 100 KB URL.
st, body, dt = exchange(b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
check(refused(st, body, dt), "100 KB URL refused: %s" % st)
st, body, dt = exchange(b"GET /api/v1/pods?namespace=" + b"n" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
check(refused(st, body, dt), "100 KB query refused: %s" % st)
still_serves("100 KB URL")

# 3. 200 KB of headers: many, and one huge.
many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(200))
st, body, dt = exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
check(refused(st, body, dt), "200 x 1 KB headers refused: %s" % st)
st, body, dt = exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 200000 + b"\r\n\r\n")
check(refused(st, body, dt), "one 200 KB header refused: %s" % st)
still_serves("200 KB headers")

# 4. ".." segments and other path tricks: names to look up, never files.
for p in ["/../../../../etc/passwd", "/api/v1/pods/../../../../etc/passwd", "/api/v1/pods/..%2f..%2fetc/passwd",
          "/api/v1/pods/%2e%2e/%2e%2e", "/metrics/../../etc/passwd", "/api/v1/../../proc/self/environ",
          "/./metrics/..", "//api//v1//pods"]:
    st, body, dt = get(p)
    check(st == 404 and b"root:" not in body and b"PATH=" not in body and body.startswith(b"{\"error\""),
          "%s -> %s %s" % (p, st, body[:60]))
still_serves(".. segments")

# 5. Methods other than GET.
for m in [b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"TRACE", b"PATCH"]:
    st, body, dt = exchange(m + b" /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
    check(st == 405, "%s -> %s" % (m.decode(), st))
still_serves("other methods")

# 6. Slowloris from 127.0.0.2: 56 connections dribbling a header every 2 s for 20 s (more
#    than the per-IP cap of 48), plus 10 from 127.0.0.3 that send half a request line and stop.
#    Beyond the cap they are closed at once; the stalled ones by the 10 s idle timeout; the
#    dribbling ones by the 15 s deadline for a whole request, not before.
def closed_now(socks):
    """The sockets of socks the server has closed (EOF or reset), without waiting on each."""
    out = set()
    for s in select.select(socks, [], [], 0.05)[0]:
        try:
            if s.recv(1) == b"":
                out.add(s)
        except OSError:
            out.add(s)
    return out

dribblers, idlers, closed_at = [], [], {}
start = time.monotonic()
for i in range(56):
    s = socket.socket(); s.bind(("127.0.0.2", 0)); s.settimeout(1); s.connect(("127.0.0.1", PORT))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    dribblers.append(s)
for i in range(10):
    s = socket.socket(); s.bind(("127.0.0.3", 0)); s.settimeout(1); s.connect(("127.0.0.1", PORT))
    s.sendall(b"GET /metr")
    idlers.append(s)
time.sleep(0.5)
worst = 0.0
while time.monotonic() - start < 20:
    for s in closed_now([s for s in dribblers + idlers if s not in closed_at]):
        closed_at[s] = time.monotonic() - start
    for s in dribblers:
        if s not in closed_at:
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                pass
    st, body, dt = get("/metrics")
    worst = max(worst, dt)
    check(st == 200, "during slowloris, /metrics %s in %.0f ms" % (st, dt * 1e3))
    time.sleep(2)
for s in closed_now([s for s in dribblers + idlers if s not in closed_at]):
    closed_at[s] = time.monotonic() - start
check(worst < 1.0, "slowest /metrics during slowloris: %.0f ms" % (worst * 1e3))
early = sorted(t for s, t in closed_at.items() if s in dribblers and t < 2)
late = sorted(t for s, t in closed_at.items() if s in dribblers and t >= 2)
check(len(early) == 8, "per-IP cap: %d of 56 dribbling connections closed at once (want 8)" % len(early))
check(len(late) == 48 and late[0] >= 14, "request deadline: %d dribbling connections closed at %.0f-%.0f s (want 48, from 15 s)"
      % (len(late), late[0] if late else -1, late[-1] if late else -1))
idle = sorted(t for s, t in closed_at.items() if s in idlers)
check(len(idle) == 10 and idle[0] >= 9, "idle timeout: %d of 10 stalled connections closed at %.0f-%.0f s (want 10, from 10 s)"
      % (len(idle), idle[0] if idle else -1, idle[-1] if idle else -1))
for s in dribblers + idlers:
    s.close()
still_serves("slowloris")

# 7. A connection flood from 20 addresses (10 each): the server keeps answering.
flood = []
for a in range(20):
    for i in range(10):
        s = socket.socket(); s.bind(("127.0.0.%d" % (10 + a), 0)); s.settimeout(2)
        try:
            s.connect(("127.0.0.1", PORT)); flood.append(s)
        except OSError:
            s.close()
time.sleep(0.5)
for s in flood:
    s.close()
time.sleep(0.5)
still_serves("a 200-connection flood")

sys.exit(1 if failures else 0)
EOF
rc=$?
kill "$FIXTURE_PID"
timeout 5 tail --pid="$FIXTURE_PID" -f /dev/null
cat "$HTTP_TMP/fixture.out"
read -r _ n _ mean _ max _ < <(grep '^intervals' "$HTTP_TMP/fixture.out")
[ "$rc" = 0 ] || fail "see above"
[ -n "${max:-}" ] || fail "publisher did not report"
# The publisher loop shares the process with the server: its 0.5 s ticks stay within 250 ms
# (on an idle machine they stay within a few ms; see the PASS line).
awk -v m="$max" 'BEGIN { exit !(m < 250) }' || fail "publishing drifted by up to $max ms"
echo "PASS ($n publishes, mean deviation $mean ms, max $max ms)"
