#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# deploy/prometheus/wattlet.rules.yml passes promtool check rules and promtool test rules
# (tests/prometheus/wattlet.rules.test.yml: recorded namespace, cluster and pod-label series
# from input series of known rates, the kube-state-metrics join, and each alert firing, and not
# firing, when it should); mistakes in the rules are shown to fail those tests; the Prometheus
# Operator's PrometheusRule holds exactly the same groups and passes a strict schema check.
# Needs no root.
set -uo pipefail
. tests/deploy/lib.sh
command -v promtool >/dev/null || { echo "FAIL: promtool not installed (tools/packages.txt has prometheus)"; exit 1; }

RULES=deploy/prometheus/wattlet.rules.yml
UNIT=tests/prometheus/wattlet.rules.test.yml
PROMRULE=deploy/kubernetes/components/prometheusrule/prometheusrule.yaml
tmp=$(mktemp -d /tmp/wattlet-prom-rules.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

check "promtool check rules $RULES" promtool check rules "$RULES"
measure "promtool test rules: recorded series, the label join and the alerts" promtool test rules "$UNIT"

# mutant NAME SED-EXPRESSION: the unit tests must fail on the rules changed so.
mutant() {
	local what=$1 out
	mkdir -p "$tmp/$what/rules" "$tmp/$what/tests"
	sed "$2" "$RULES" >"$tmp/$what/rules/wattlet.rules.yml"
	if cmp -s "$RULES" "$tmp/$what/rules/wattlet.rules.yml"; then
		not_ok "mutant $what: the edit changed nothing"
		return
	fi
	sed 's|^  - ../../deploy/prometheus/wattlet.rules.yml|  - ../rules/wattlet.rules.yml|' "$UNIT" \
		>"$tmp/$what/tests/unit.yml"
	if out=$(promtool test rules "$tmp/$what/tests/unit.yml" 2>&1); then
		not_ok "mutant $what passed the rule tests"
	else
		ok "the rule tests catch $what: $(grep -m1 -E 'expr:|alertname:' <<<"$out" | sed 's/^ *//')"
	fi
}
mutant "scrape labels kept on the join" 's/max without (instance, job, uid, container, endpoint, service)/max without (uid)/'
mutant "a one-to-one join (labels dropped)" 's/group_left ()//'
mutant "a join without one series per pod" 's/topk by (namespace, pod) (1, max without/(max without/'
mutant "delta() for increase() (resets)" '/pod_labels:wattlet_energy_joules:increase1h/,/increase(wattlet_pod/ s/(increase(wattlet_pod/(delta(wattlet_pod/'
mutant "an agent-down alert without its 5m wait" '/alert: WattletAgentDown/,/for:/ s/for: 5m/for: 1m/'
mutant "a meter alert on the wrong counter" 's/wattlet_meter_read_errors_total/wattlet_collections_total/'
mutant "GPU power from all energy, not the GPU part" 's/rate(wattlet_namespace_gpu_energy_joules_total/rate(wattlet_namespace_energy_joules_total/'

need_node_modules || { echo "FAIL: could not install tests/deploy's node modules"; exit 1; }
check "$PROMRULE is generated from $RULES" node "$DEPLOY_TOOLS/rules.js" check "$RULES" "$PROMRULE"
check "schema: the PrometheusRule" node "$DEPLOY_TOOLS/check-manifests.js" "$PROMRULE"
node -e 'const Y = require("yaml"), fs = require("fs");
	const pr = Y.parse(fs.readFileSync(process.argv[1], "utf8"));
	pr.spec.groups[0].rules[0].record = "renamed";
	fs.writeFileSync(process.argv[2], Y.stringify(pr));' "$PROMRULE" "$tmp/edited.yaml"
if node "$DEPLOY_TOOLS/rules.js" check "$RULES" "$tmp/edited.yaml" >"$tmp/out" 2>&1; then
	not_ok "a hand-edited PrometheusRule passed the check"
else
	ok "a hand-edited PrometheusRule is caught: $(head -1 "$tmp/out")"
fi
finish
