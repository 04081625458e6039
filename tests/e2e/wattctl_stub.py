#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A stand-in wattlet agent for wattctl's tests, on 127.0.0.1 only.

It publishes a new snapshot every INTERVAL seconds, as the agent does, in the
shapes of docs/json.md and docs/api.md, with known rates: pod P's CPU total
grows by RATES[P] cores * elapsed and its "cpu_cores" is RATES[P], so a test
can check wattctl's CPU column against numbers it chose. Prefixes break the
answers on purpose:
  /status500/...  HTTP 500 with {"error": ...}
  /garbage/...    200 with a body that is not JSON
  /noitems/...    200 with JSON of the wrong shape
  /slow/...       answers after 30 s (for --timeout)
  /unrated/...    no "cpu_cores" anywhere, as from an agent too old to publish the rate
  /gpu/...        a GPU node: workloads with GPU_WATTS carry gpu_* figures (their GPU
                  power is part of their power), every item has them, the node lists its GPUs
/metrics serves the GPU power of GPU_WATTS too (gpu_power_watts), as a GPU node's would.
/metrics serves the same figures in the Prometheus text format, so a real
Prometheus can scrape this stub too.
With STUB_TLS_CERT and STUB_TLS_KEY it serves HTTPS (Python's ssl, OpenSSL); with
STUB_TLS_CLIENT_CA it requires a client certificate from that CA; with STUB_BASIC_AUTH
(user:password) it answers 401 unless the request carries those credentials.

usage: wattctl_stub.py PORTFILE [INTERVAL]
"""
import base64
import hashlib
import json
import os
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

INTERVAL = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
T0 = time.time()
NODE = "stub-node"
CARBON = 400.0  # g/kWh

# namespace, pod, uid, {container: cores}; power = 3 W per core
PODS = [
    ("default", "web-0", "11111111-1111-1111-1111-111111111111", {"nginx": 0.5, "sidecar": 0.25}),
    ("default", "idle-0", "22222222-2222-2222-2222-222222222222", {"app": 0.0}),
    ("shop", "cart-7f9c", "33333333-3333-3333-3333-333333333333", {"cart": 1.25}),
    ("kube-system", "dns-1", "44444444-4444-4444-4444-444444444444", {"coredns": 0.05}),
]
WATTS_PER_CORE = 3.0
GPU_WATTS = {("default", "web-0", "nginx"): 4.0, ("shop", "cart-7f9c", "cart"): 0.5}
OLD_WEB_UID = "99999999-9999-9999-9999-999999999999"


def figures(cores, t, gpu_w=None):
    cpu = cores * t
    joules = cpu * WATTS_PER_CORE + (gpu_w or 0) * t
    f = {
        "cpu_seconds_total": round(cpu, 6),
        "wakeups_total": int(cpu * 1000),
        "context_switches_total": int(cpu * 2000),
        "cpu_cores": cores,
        "energy_joules_total": round(joules, 6),
        "power_watts": cores * WATTS_PER_CORE + (gpu_w or 0),
        "carbon_grams_total": joules / 3.6e6 * CARBON,
    }
    if gpu_w is not None:
        f.update(gpu_seconds_total=round(gpu_w / 50 * t, 6),
                 gpu_energy_joules_total=round(gpu_w * t, 6), gpu_power_watts=gpu_w)
    return f


def add(a, b):
    for k, v in b.items():
        a[k] = a.get(k, 0) + v
    return a


def document(gpu=False):
    k = int((time.time() - T0) / INTERVAL)
    t = (k + 1) * INTERVAL  # seconds of accounting in snapshot k
    pods, namespaces, processes = [], {}, []
    pid = 1000
    for ns, name, uid, containers in PODS:
        pod = {"namespace": ns, "name": name, "uid": uid, "state": "running"}
        total, cs = {}, []
        for cname, cores in containers.items():
            f = figures(cores, t, GPU_WATTS.get((ns, name, cname), 0.0) if gpu else None)
            cid = hashlib.sha256(("%s/%s/%s" % (ns, name, cname)).encode()).hexdigest()
            cs.append(dict({"name": cname, "id": cid, "state": "running"}, **f))
            add(total, f)
            pid += 1
            processes.append(dict({"pid": pid, "comm": cname[:15], "cgroup_id": pid * 7,
                                   "state": "running"}, **f, namespace=ns, pod=name,
                                  container=cname))
        pod.update(total)
        pod["containers"] = cs
        pods.append(pod)
        add(namespaces.setdefault(ns, {}), total)
    # web-0's previous incarnation, terminated and retained: same name, other uid, a large
    # frozen total.
    old = dict(figures(0.0, 0, 0.0 if gpu else None), namespace="default", name="web-0",
               uid=OLD_WEB_UID,
               state="terminated", containers=[], cpu_seconds_total=500.0, power_watts=0.0,
               energy_joules_total=1500.0)
    pods.append(old)
    cores = sum(sum(c.values()) for _, _, _, c in PODS)
    node = {
        "name": NODE, "cpus": 2, "cpu_busy_seconds_total": cores * t,
        "cpu_idle_seconds_total": (2 - cores) * t if cores < 2 else 0.0,
        "cpu_steal_seconds_total": 0.0, "cpu_utilisation": cores / 2,
        "tasks": 312, "processes": len(processes), "cgroups": 40,
        "unattributed_cpu_seconds_total": 0.0,
        "loss": {"process_map_overflow": 0, "cgroup_map_overflow": 0},
        "meter": "model", "energy_joules_total": 5000.0 + 10 * t,
        "active_energy_joules_total": 3000.0 + 6 * t, "idle_energy_joules_total": 2000.0 + 4 * t,
        "unattributed_energy_joules_total": 12.5, "power_watts": 10.0,
        "zones": [{"name": "model", "meter": "model", "joules_total": 5000.0 + 10 * t,
                   "watts": 10.0}],
        "carbon_intensity_grams_per_kwh": CARBON, "carbon_grams_total": 0.56,
        "meter_errors_total": 0,
    }
    if gpu:
        w = sum(GPU_WATTS.values())
        node.update(gpu_energy_joules_total=6.0 * t, gpu_active_energy_joules_total=w * t,
                    gpu_unattributed_energy_joules_total=0.0, gpu_power_watts=6.0,
                    gpu_seconds_total=w / 50 * t,
                    gpus=[{"index": 0, "zone": "gpu-0", "uuid": "GPU-5ca1ab1e-0000-0000-0000-000000000000",
                           "name": "NVIDIA A100-SXM4-40GB", "meter": "nvml", "energy_source": "counter",
                           "busy_rule": "sm-samples", "joules_total": 6.0 * t,
                           "power_watts": 6.0, "idle_watts": 1.25, "idle_source": "learned",
                           "errors_total": 0}])
        node["zones"].append({"name": "gpu-0", "meter": "nvml", "joules_total": 6.0 * t,
                              "watts": 6.0})
    return {
        "timestamp": round(T0 + t, 3), "interval_seconds": INTERVAL, "node": node,
        "processes": processes, "pods": pods,
        "namespaces": [dict({"name": n}, **f) for n, f in sorted(namespaces.items())],
    }


def envelope(doc, items):
    return {"timestamp": doc["timestamp"], "interval_seconds": doc["interval_seconds"],
            "items": items}


def without_cores(o):
    """o and everything in it less "cpu_cores"."""
    if isinstance(o, dict):
        return {k: without_cores(v) for k, v in o.items() if k != "cpu_cores"}
    if isinstance(o, list):
        return [without_cores(v) for v in o]
    return o


def api(path, q, gpu=False):
    doc = document(gpu)
    ns = q.get("namespace", [None])[0]
    pod = q.get("pod", [None])[0]
    if path == "/api/v1/node":
        return 200, {"timestamp": doc["timestamp"], "interval_seconds": INTERVAL,
                     "node": doc["node"],
                     "agent": {"version": "stub", "attach": "tp_btf", "start_time": T0,
                               "collections_total": int((doc["timestamp"] - T0) / INTERVAL)}}
    if path == "/api/v1/pods":
        return 200, envelope(doc, [p for p in doc["pods"] if ns in (None, p["namespace"])])
    if path.startswith("/api/v1/pods/"):
        want = path[len("/api/v1/pods/"):]
        for p in doc["pods"]:
            if want == p["namespace"] + "/" + p["name"]:
                return 200, p
        return 404, {"error": "no such pod '%s'" % want, "status": 404}
    if path == "/api/v1/namespaces":
        return 200, envelope(doc, doc["namespaces"])
    if path == "/api/v1/containers":
        items = []
        for p in doc["pods"]:
            if ns in (None, p["namespace"]) and pod in (None, p["name"]):
                items += [dict(c, namespace=p["namespace"], pod=p["name"])
                          for c in p["containers"]]
        return 200, envelope(doc, items)
    if path == "/api/v1/processes":
        key = {"power": "power_watts", "energy": "energy_joules_total",
               "cpu": "cpu_seconds_total"}.get(q.get("sort", ["power"])[0])
        limit = int(q.get("limit", ["100"])[0])
        if key is None:
            return 400, {"error": "parameter 'sort' wants power, energy or cpu", "status": 400}
        items = [p for p in doc["processes"]
                 if ns in (None, p["namespace"]) and pod in (None, p["pod"])]
        items.sort(key=lambda p: -p[key])
        return 200, envelope(doc, items[:limit])
    return 404, {"error": "no such endpoint '%s'" % path, "status": 404}


def metrics():
    """Pods with the same labels (a retained terminated namesake) are summed, as the agent does."""
    doc = document()
    out = []
    for series, kind in (("cpu_seconds_total", "counter"), ("energy_joules_total", "counter"),
                         ("power_watts", "gauge"), ("carbon_grams_total", "counter")):
        for level in ("pod", "namespace"):
            name = "wattlet_%s_%s" % (level, series)
            out.append("# TYPE %s %s" % (name, kind))
            sums = {}
            for o in doc["pods"] if level == "pod" else doc["namespaces"]:
                labels = ('node="%s",namespace="%s",pod="%s"' % (NODE, o["namespace"], o["name"])
                          if level == "pod" else 'node="%s",namespace="%s"' % (NODE, o["name"]))
                sums[labels] = sums.get(labels, 0.0) + float(o[series])
            out += ["%s{%s} %r" % (name, labels, v) for labels, v in sums.items()]
    for level in ("pod", "namespace"):
        name = "wattlet_%s_gpu_power_watts" % level
        out.append("# TYPE %s gauge" % name)
        sums = {}
        for (ns, pod, _), w in GPU_WATTS.items():
            labels = ('node="%s",namespace="%s",pod="%s"' % (NODE, ns, pod) if level == "pod"
                      else 'node="%s",namespace="%s"' % (NODE, ns))
            sums[labels] = sums.get(labels, 0.0) + w
        out += ["%s{%s} %r" % (name, labels, v) for labels, v in sums.items()]
    return "\n".join(out) + "\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        creds = os.environ.get("STUB_BASIC_AUTH")
        if not creds:
            return True
        want = "Basic " + base64.b64encode(creds.encode()).decode()
        if self.headers.get("Authorization") == want:
            return True
        data = b'{"error": "unauthorized", "status": 401}'
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="stub"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return False

    def do_GET(self):
        if not self.authorized():
            return
        u = urlsplit(self.path)
        path, q = u.path, parse_qs(u.query)
        if path == "/metrics":
            return self.send(200, metrics(), "text/plain; version=0.0.4")
        if path.startswith("/status500/"):
            return self.send(500, '{"error": "collector is sad", "status": 500}')
        if path.startswith("/garbage/"):
            return self.send(200, '{"items": [ {"name": "web-0", ')
        if path.startswith("/noitems/"):
            return self.send(200, '{"things": []}')
        if path.startswith("/slow/"):
            time.sleep(30)
            return self.send(200, "{}")
        unrated = path.startswith("/unrated/")
        gpu = path.startswith("/gpu/")
        if unrated or gpu:
            path = path[path.index("/", 1):]
        status, body = api(path, q, gpu)
        self.send(status, json.dumps(without_cores(body) if unrated else body))

    def log_message(self, *args):
        pass


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.environ["STUB_TLS_CERT"], os.environ["STUB_TLS_KEY"])
    if os.environ.get("STUB_TLS_CLIENT_CA"):
        ctx.load_verify_locations(os.environ["STUB_TLS_CLIENT_CA"])
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


class TLSServer(ThreadingHTTPServer):
    """The handshake runs in the request's thread, so a failed one does not stop the server."""

    def get_request(self):
        sock, addr = super().get_request()
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def main():
    if os.environ.get("STUB_TLS_CERT"):
        srv = TLSServer(("127.0.0.1", 0), Handler)
        srv.ctx = tls_context()
    else:
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
