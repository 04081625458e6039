#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A real Prometheus server on loopback scrapes the real agent (it negotiates
# OpenMetrics); a PromQL query through its HTTP API returns the CPU rate of
# a busy test pod, which must match the rate the pod's own cgroup cpu.stat
# shows over the same window. The agent's /metrics passes promtool and a
# strict OpenMetrics parser too.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/http_lib.bash
need_root

NS=e2e-http POD=busy-pod UID_=5f3c1a2b-9d8e-4f70-a1b2-c3d4e5f60718 CTR=burner
CID=$(printf '%064x' 0xb05e)
pod_cgroup "$UID_" "$CID"
fake_logs "$NS" "$POD" "$UID_" "$CTR" "$CID"
busy_in "$POD_CG"
agent_start --interval 1 --output none --process-metrics top:5

PPORT=$(free_port)
cat >"$HTTP_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: wattlet
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
prometheus --config.file="$HTTP_TMP/prometheus.yml" --storage.tsdb.path="$HTTP_TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$HTTP_TMP/prom.log" 2>&1 &
HTTP_PIDS+=($!)

query() { # PROMQL: prints the first value, or nothing
	curl -s -m 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		$PY -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
}
usage_usec() {
	awk '$1 == "usage_usec" {print $2}' "$POD_CG/../cpu.stat"
}

for _ in $(seq 40); do
	[ "$(query 'up{job="wattlet"}')" = 1 ] && break
	sleep 0.5
done
[ "$(query 'up{job="wattlet"}')" = 1 ] || { tail -5 "$HTTP_TMP/prom.log"; fail "Prometheus does not scrape the agent"; }
echo "Prometheus scrapes the agent (up == 1)"

SEL="namespace=\"$NS\",pod=\"$POD\",node=\"e2e-node\""
for _ in $(seq 30); do
	[ -n "$(query "wattlet_pod_cpu_seconds_total{$SEL}")" ] && break
	sleep 0.5
done
[ -n "$(query "wattlet_pod_cpu_seconds_total{$SEL}")" ] ||
	fail "no wattlet_pod_cpu_seconds_total{$SEL} in Prometheus; pods: $(curl -s "127.0.0.1:$PORT/api/v1/pods" | head -c 400)"

# Ground truth: the pod cgroup's own usage over a 10 s window, then PromQL over the same window.
u0=$(usage_usec) t0=$(date +%s.%N)
sleep 10
u1=$(usage_usec) t1=$(date +%s.%N)
sleep 2 # the last interval reaches Prometheus: one collection plus one scrape
truth=$(awk -v a="$u0" -v b="$u1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e6 / (e - s) }')
got=$(query "rate(wattlet_pod_cpu_seconds_total{$SEL}[10s] offset 2s)")
ctr=$(query "rate(wattlet_container_cpu_seconds_total{$SEL,container=\"$CTR\"}[10s] offset 2s)")
echo "pod CPU rate: PromQL $got, cgroup cpu.stat $truth cores; container $ctr"
[ -n "$got" ] && [ -n "$ctr" ] || fail "PromQL returned no rate"
awk -v g="$got" -v t="$truth" 'BEGIN { exit !(t > 0.2) }' || fail "busy loop got only $truth cores: machine too loaded"
awk -v g="$got" -v t="$truth" 'BEGIN { d = g - t; if (d < 0) d = -d; exit !(d <= 0.05 + 0.1 * t) }' ||
	fail "PromQL rate $got differs from cpu.stat $truth by more than 0.05 + 10%"
awk -v g="$got" -v c="$ctr" 'BEGIN { d = g - c; if (d < 0) d = -d; exit !(d <= 0.05 + 0.1 * g) }' ||
	fail "container rate $ctr differs from its pod's $got"

# The real agent's exposition passes the same checks as the synthetic one (other pods may exist).
exposition_check 1 100000 5

n=$(query 'count({__name__=~"wattlet_.+",node!="e2e-node"})')
[ -z "$n" ] || fail "$n series without node=\"e2e-node\""
[ "$(query "wattlet_build_info{node=\"e2e-node\"}")" = 1 ] || fail "no wattlet_build_info"
serves || fail "agent stopped serving"
echo "PASS"
