#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Both dashboards (deploy/dashboards) parse, show the same panels, and every PromQL query in
# them names only metrics and labels that a live agent exports. The agent runs with a pod
# (real cgroups, kubelet-style log dirs) and with --pue and --carbon-intensity, so that
# every family a panel uses can appear; the checker is shown to catch a misspelt metric,
# a missing label, a syntax error and a panel only one dashboard has.
set -uo pipefail
. tests/deploy/lib.sh
need_root "cgroups and BPF"
: "${WATTLET:?set WATTLET}"
need_node_modules || { echo "FAIL: no node modules"; exit 1; }

T=$(mktemp -d /tmp/wattlet-deploy-dashboards.XXXXXX)
PARENT="$(cgroup2_root)/wattlet-deploy-dashboards-$$"
agent_pid=
trap 'kill $agent_pid $worker_pid 2>/dev/null; wait 2>/dev/null; remove_cgroups "$PARENT"; rm -rf "$T"' EXIT

mkdir -p "$T/pods" "$T/containers"
make_pod "$T/pods" "$T/containers" "$PARENT" dash-test web web || { echo "FAIL: cannot make a pod"; exit 1; }
# The links point into /var/log/pods on a node; here the pods live in $T/pods.
for l in "$T"/containers/*.log; do
	target=$(readlink "$l") && ln -sfn "$T/pods/${target#/var/log/pods/}" "$l"
done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$WATTLET" --listen "127.0.0.1:$port" --output none --interval 1 --node-name dash-node \
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
measure "dashboards parse, match each other and use only exported metrics and labels" \
	node "$DEPLOY_TOOLS/check-dashboards.js" --self-test "$T/metrics.prom" \
	deploy/dashboards/grafana/wattlet.json deploy/dashboards/perses/wattlet.json
finish
