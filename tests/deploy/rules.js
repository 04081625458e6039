// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// deploy/prometheus/wattlet.rules.yml is the one source of wattlet's Prometheus rules; the
// Prometheus Operator's PrometheusRule (deploy/kubernetes/components/prometheusrule) is
// generated from it, and checked to hold exactly its groups.
//
//   node rules.js generate RULES_YAML > PROMETHEUSRULE_YAML
//   node rules.js check RULES_YAML PROMETHEUSRULE_YAML
'use strict';

const fs = require('fs');
const YAML = require('yaml');

const HEADER = `# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Generated from deploy/prometheus/wattlet.rules.yml by
#   node tests/deploy/rules.js generate deploy/prometheus/wattlet.rules.yml
# Do not edit: tests/e2e/prom_rules.sh checks that the two hold the same groups. The Prometheus
# Operator loads it when its Prometheus's ruleSelector matches these labels and its
# ruleNamespaceSelector this namespace: add your selector's labels (kube-prometheus:
# role: alert-rules; kube-prometheus-stack: release: NAME) in your overlay.
`;

function groupsOf(file) {
	const doc = YAML.parse(fs.readFileSync(file, 'utf8'));
	if (!doc || !Array.isArray(doc.groups) || !doc.groups.length)
		throw new Error(`${file}: no rule groups`);
	return doc.groups;
}

function generate(rulesFile) {
	const rule = {
		apiVersion: 'monitoring.coreos.com/v1',
		kind: 'PrometheusRule',
		metadata: {
			name: 'wattlet',
			namespace: 'wattlet',
			labels: { 'app.kubernetes.io/name': 'wattlet', 'app.kubernetes.io/component': 'rules' },
		},
		spec: { groups: groupsOf(rulesFile) },
	};
	return HEADER + YAML.stringify(rule, { lineWidth: 0, blockQuote: 'literal' });
}

// Where two values first differ, as a path; null when equal.
function diff(a, b, path) {
	if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null))
		return path;
	if (a === null || typeof a !== 'object')
		return a === b ? null : path;
	const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
	for (const k of keys) {
		const d = diff(a[k], b[k], `${path}/${k}`);
		if (d)
			return d;
	}
	return null;
}

function check(rulesFile, promRuleFile) {
	const want = groupsOf(rulesFile);
	const pr = YAML.parse(fs.readFileSync(promRuleFile, 'utf8'));
	const d = diff(want, (pr.spec || {}).groups, 'groups');
	if (pr.kind !== 'PrometheusRule') {
		console.log(`FAIL: ${promRuleFile} is a ${pr.kind}, not a PrometheusRule`);
		return 1;
	}
	if (d) {
		console.log(`FAIL: ${promRuleFile} differs from ${rulesFile} at ${d}; regenerate it:`);
		console.log(`    node tests/deploy/rules.js generate ${rulesFile} > ${promRuleFile}`);
		return 1;
	}
	console.log(`ok: ${promRuleFile} holds the ${want.length} groups of ${rulesFile}`);
	return 0;
}

function main(argv) {
	if (argv[0] === 'generate' && argv.length === 2) {
		process.stdout.write(generate(argv[1]));
		return 0;
	}
	if (argv[0] === 'check' && argv.length === 3)
		return check(argv[1], argv[2]);
	console.error('usage: rules.js generate RULES | rules.js check RULES PROMETHEUSRULE');
	return 2;
}

process.exitCode = main(process.argv.slice(2));
