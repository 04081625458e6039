#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# wattctl --prometheus against a real Prometheus server (started here, on
# loopback) scraping the stand-in agent, whose CPU rates the test chose: the
# NODE column, CPU cores within 5% of the rates, -n filtering, the JSON
# form, and Prometheus errors (unreachable, 500, garbage). Needs no root.
set -uo pipefail
: "${WATTCTL:?set WATTCTL to the built wattctl}"
. tests/e2e/wattctl_lib.bash
command -v prometheus >/dev/null || { echo "prometheus not installed (tools/packages.txt has it)"; exit 1; }
tmp=$(mktemp -d /tmp/wattctl-prom.XXXXXX)
stub= prom=
cleanup() {
	[ -n "$prom" ] && kill "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	[ -n "$stub" ] && kill "$stub" 2>/dev/null && wait "$stub" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM

python3 tests/e2e/wattctl_stub.py "$tmp/port" 0.5 &
stub=$!
wait_file "$tmp/port" 10 || { echo "stub did not start"; exit 1; }
target=127.0.0.1:$(cat "$tmp/port")
pport=$(closed_port)
P=http://127.0.0.1:$pport
cat >"$tmp/prometheus.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: wattlet
    static_configs: [ { targets: ["$target"] } ]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:$pport" >"$tmp/prom.log" 2>&1 &
prom=$!

# Wait for 12 s of samples: a rate over a step-wise counter is then within a few %.
for i in $(seq 1 40); do
	n=$(curl -sf "$P/api/v1/query" --data-urlencode 'query=count_over_time(wattlet_pod_cpu_seconds_total{pod="web-0"}[1m])' |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' 2>/dev/null)
	[ "${n:-0}" -ge 12 ] 2>/dev/null && break
	sleep 1
done
[ "${n:-0}" -ge 12 ] 2>/dev/null || { echo "Prometheus has ${n:-no} samples after 40 s"; tail -5 "$tmp/prom.log"; exit 1; }
ok "Prometheus scraped the stub ($n samples)"

# 10 s windows, all covered by samples (a 1m window would be, after a minute).
W() { "$WATTCTL" --prometheus "$P" --window 10s "$@"; }

W top pods -A >"$tmp/pods" 2>"$tmp/err" || fail "top pods -A: $(cat "$tmp/err")"
python3 - "$tmp/pods" <<'EOF' && ok "top pods -A: NODE column, CPU within 5% of the stub's rates" || fail "top pods -A: $(cat "$tmp/pods")"
import sys
want = {"web-0": 0.75, "cart-7f9c": 1.25, "dns-1": 0.05, "idle-0": 0.0}
lines = open(sys.argv[1]).read().splitlines()
assert lines[0].split()[:4] == ["NODE", "NAMESPACE", "NAME", "CPU(cores)"], lines[0]
rows = [l.split() for l in lines[1:]]
assert all(r[0] == "stub-node" for r in rows), rows
got = {r[2]: float(r[3]) for r in rows}
bad = [(n, got.get(n), w) for n, w in want.items() if n not in got or abs(got[n] - w) > 0.05 * w + 1e-9]
print("rates:", got, "bad:", bad)
sys.exit(1 if bad or len(got) != len(want) else 0)
EOF
W top pods -A | mask_numbers >"$tmp/masked"
golden "$tmp/masked" tests/golden/wattctl/prom_top_pods_all.txt "--prometheus top pods -A"
W top namespaces | mask_numbers >"$tmp/masked"
golden "$tmp/masked" tests/golden/wattctl/prom_top_namespaces.txt "--prometheus top namespaces"
got=$(W top pods -A | awk 'NR > 1 {printf "%s=%s ", $3, $6}')
[ "$got" = "cart-7f9c=500mW web-0=4.00W dns-1=- idle-0=- " ] &&
	ok "--prometheus GPU_W: wattlet_pod_gpu_power_watts where a pod has it: $got" || fail "GPU_W gave '$got'"

got=$(W top pods -n default | awk 'NR > 1 {print $2}' | sort | tr '\n' ' ')
[ "$got" = "idle-0 web-0 " ] && ok "--prometheus top pods -n default: $got" || fail "-n default gave '$got'"
got=$(W top pods | awk 'NR > 1 {print $2}' | sort | tr '\n' ' ')
[ "$got" = "idle-0 web-0 " ] && ok "--prometheus top pods: namespace default" || fail "top pods gave '$got'"
got=$(W top namespaces -n shop | awk 'NR > 1 {print $1 "/" $2}')
[ "$got" = "stub-node/shop" ] && ok "--prometheus top namespaces -n shop" || fail "top namespaces -n shop gave '$got'"

W -o json top pods -A >"$tmp/json"
python3 - "$tmp/json" <<'EOF' && ok "--prometheus -o json: items with node, namespace, name and figures" || fail "-o json: $(head -c 500 "$tmp/json")"
import json, sys
items = json.load(open(sys.argv[1]))["items"]
web = [i for i in items if i["name"] == "web-0"][0]
assert web["node"] == "stub-node" and web["namespace"] == "default", web
assert abs(web["cpu_cores"] - 0.75) < 0.04 and web["power_watts"] == 2.25, web
assert web["energy_joules_total"] > 0 and "carbon_grams_total" in web, web
EOF

# Prometheus's own answer for the same PromQL, as ground truth for the join.
q='sum by (node, namespace, pod) (wattlet_pod_power_watts)'
curl -sf "$P/api/v1/query" --data-urlencode "query=$q" >"$tmp/truth"
python3 - "$tmp/truth" "$tmp/json" <<'EOF' && ok "power per pod equals Prometheus's own answer" || fail "power per pod differs from Prometheus"
import json, sys
truth = {(r["metric"]["namespace"], r["metric"]["pod"]): float(r["value"][1])
         for r in json.load(open(sys.argv[1]))["data"]["result"]}
ours = {(i["namespace"], i["name"]): i["power_watts"] for i in json.load(open(sys.argv[2]))["items"]}
print(truth, ours)
sys.exit(truth != ours)
EOF

dead=http://127.0.0.1:$(closed_port)
expect_rc 1 "Prometheus unreachable" -- W --prometheus "$dead" top pods -A
one_line_with "$tmp/err" "unreachable Prometheus: one line naming the URL" "$dead/api/v1/query"
S=http://$target
expect_rc 1 "Prometheus answering 500" -- "$WATTCTL" --prometheus "$S/status500" top namespaces
one_line_with "$tmp/err" "500: one line naming the URL" "$S/status500/api/v1/query" "HTTP 500"
expect_rc 1 "Prometheus answering garbage" -- "$WATTCTL" --prometheus "$S/garbage" top pods
one_line_with "$tmp/err" "garbage: one line naming the URL" "$S/garbage/api/v1/query" "invalid JSON"
expect_rc 1 "not a Prometheus answer" -- "$WATTCTL" --prometheus "$S/noitems" -o json top pods
one_line_with "$tmp/out" "wrong shape: {\"error\"} naming the URL" '{"error":' "$S/noitems/api/v1/query"
expect_rc 2 "top processes is not a --prometheus command" -- W top processes

summary
