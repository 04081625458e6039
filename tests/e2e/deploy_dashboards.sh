#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Both dashboards (deploy/dashboards) parse, show the same panels, and every PromQL query in
# them names only metrics and labels that a live agent exports or that the rules in
# deploy/prometheus record from them; every rule reads only such series. The agent runs with
# a pod (real cgroups, kubelet-style log dirs), with --pue and --carbon-intensity, and on a
# GPU (the tests' fake NVML, loaded through LD_LIBRARY_PATH), so that every family a panel
# uses can appear; a real Prometheus scrapes it and a kube-state-metrics
# stand-in, evaluates the rules, and its /federate is what the checks read. The checkers are
# shown to catch a misspelt metric, a missing label, a syntax error and a panel only one
# dashboard has.
set -uo pipefail
. tests/deploy/lib.sh
need_root "cgroups and BPF"
: "${WATTLET:?set WATTLET}"
need_node_modules || { echo "FAIL: no node modules"; exit 1; }

T=$(mktemp -d /tmp/wattlet-deploy-dashboards.XXXXXX)
PARENT="$(cgroup2_root)/wattlet-deploy-dashboards-$$"
agent_pid= prom_pid= ksm_pid=
trap 'kill $agent_pid $worker_pid $prom_pid $ksm_pid 2>/dev/null; wait 2>/dev/null; remove_cgroups "$PARENT"; rm -rf "$T"' EXIT

mkdir -p "$T/pods" "$T/containers"
make_pod "$T/pods" "$T/containers" "$PARENT" dash-test web web || { echo "FAIL: cannot make a pod"; exit 1; }
# The links point into /var/log/pods on a node; here the pods live in $T/pods.
for l in "$T"/containers/*.log; do
	target=$(readlink "$l") && ln -sfn "$T/pods/${target#/var/log/pods/}" "$l"
done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# One GPU whose counter climbs 150 J a step.
fake_nvml=$(dirname "$WATTLET")/tests/fake-nvml
{ echo "gpu 0 uuid=GPU-dash name=NVIDIA_L4"; for i in $(seq 0 300); do echo "step 0 mj=$((i * 150000))"; done; } \
	>"$T/scenario"
LD_LIBRARY_PATH=$fake_nvml WATTLET_FAKE_NVML_SCENARIO=$T/scenario \
	"$WATTLET" --listen "127.0.0.1:$port" --output none --interval 1 --node-name dash-node --gpu nvml \
	--pod-log-dir "$T/pods" --container-log-dir "$T/containers" \
	--pue 1.18 --carbon-intensity 400 >"$T/agent.log" 2>&1 &
agent_pid=$!
if ! wait_http "$port" /readyz 20; then
	echo "FAIL: the agent did not get ready"
	cat "$T/agent.log"
	exit 1
fi
start_worker "$ctr_cg" 2
wait "$worker_pid"
sleep 2.5
curl -s --max-time 5 -o "$T/metrics.prom" "http://127.0.0.1:$port/metrics"

check "live /metrics has the pod's series" grep -q 'wattlet_pod_power_watts{.*pod="web"' "$T/metrics.prom"
gpu_series() {
	grep -q 'wattlet_pod_gpu_power_watts{.*pod="web"' "$T/metrics.prom" &&
		grep -q '^wattlet_gpu_power_watts{.*gpu="0"' "$T/metrics.prom"
}
check "live /metrics has the pod's and the GPU's GPU series" gpu_series

# kube-state-metrics' pod labels for the pod, served as a file; the rules as they are, but
# evaluated every second; the agent and the stand-in scraped every second.
mkdir -p "$T/ksm"
echo "kube_pod_labels{namespace=\"dash-test\",pod=\"web\",uid=\"$pod_uid\",label_team=\"storefront\"} 1" >"$T/ksm/metrics"
ksm_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$T/ksm" "$ksm_port" >/dev/null 2>&1 &
ksm_pid=$!
sed 's/^\(    interval:\).*/\1 1s/' deploy/prometheus/wattlet.rules.yml >"$T/rules.yml"
cat >"$T/prometheus.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ "$T/rules.yml" ]
scrape_configs:
  - { job_name: wattlet, honor_labels: true, static_configs: [ { targets: ["127.0.0.1:$port"] } ] }
  - { job_name: kube-state-metrics, honor_labels: true, static_configs: [ { targets: ["127.0.0.1:$ksm_port"] } ] }
EOF
prom_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom-data" \
	--web.listen-address="127.0.0.1:$prom_port" >"$T/prom.log" 2>&1 &
prom_pid=$!
# The pod burns CPU only once Prometheus has its first scrape, so that a rate can see it.
scraped() {
	curl -sf "http://127.0.0.1:$prom_port/api/v1/query" \
		--data-urlencode 'query=count(up == 1) == 2' | grep -q '"value"'
}
for i in $(seq 1 40); do scraped && break; sleep 0.5; done
start_worker "$ctr_cg" 3
# The join's series, once the rules have seen two scrapes of the pod using CPU.
recorded() {
	curl -sf "http://127.0.0.1:$prom_port/api/v1/query" \
		--data-urlencode 'query=pod_labels:wattlet_power_watts:rate5m{label_team="storefront"} > 0' |
		grep -q '"pod":"web"'
}
for i in $(seq 1 40); do recorded && break; sleep 0.5; done
wait "$worker_pid"
check "Prometheus recorded the pod's power under its kube-state-metrics label" recorded
curl -sf -G "http://127.0.0.1:$prom_port/federate" --data-urlencode 'match[]={__name__=~".+"}' \
	-o "$T/federate.prom"
check "federated series include every recording rule's" bash -c '
	for r in $(sed -n "s/^ *- record: //p" deploy/prometheus/wattlet.rules.yml); do
		grep -q "^$r[{ ]" "$1" || { echo "no $r"; exit 1; }
	done' rules "$T/federate.prom"
measure "dashboards parse, match each other and use only exported or recorded metrics and labels" \
	node "$DEPLOY_TOOLS/check-dashboards.js" --self-test "$T/federate.prom" \
	deploy/dashboards/grafana/wattlet.json deploy/dashboards/perses/wattlet.json
measure "every rule reads only series the agent exports or the rules record" \
	node "$DEPLOY_TOOLS/check-rules.js" "$T/federate.prom" deploy/prometheus/wattlet.rules.yml
finish
