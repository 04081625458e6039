// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Every PromQL expression of a Prometheus rules file parses (the Prometheus project's own
// lezer grammar) and reads only metrics, and labels of those metrics, that METRICS_TEXT holds:
// a live agent's series as a real Prometheus federates them, with the series the rules record.
// Shown to catch a misspelt metric and a grouping label the metric lacks.
//
//   node check-rules.js METRICS_TEXT RULES_YAML
'use strict';

const fs = require('fs');
const YAML = require('yaml');
const { exported, promqlProblems } = require('./check-dashboards.js');

function problemsOf(groups, metrics) {
	const out = [];
	for (const g of groups)
		for (const r of g.rules) {
			const name = r.record || r.alert;
			for (const p of promqlProblems(String(r.expr), metrics))
				out.push(`${g.name} ${name}: ${p}`);
		}
	return out;
}

const MISTAKES = [
	['a misspelt metric', /is not exported/, (e) => e.replace(/wattlet_(\w+)_total/, 'wattlet_$1x_total')],
	['a grouping label the metric lacks', /grouping label/, (e) => e.replace(/by \(/, 'by (no_such_label, ')],
];

function main(argv) {
	const metrics = exported(fs.readFileSync(argv[0], 'utf8'));
	const groups = YAML.parse(fs.readFileSync(argv[1], 'utf8')).groups;
	const rules = groups.reduce((n, g) => n + g.rules.length, 0);
	let bad = 0;

	for (const p of problemsOf(groups, metrics)) {
		console.log(`FAIL: ${p}`);
		bad++;
	}
	if (!bad)
		console.log(`ok: ${rules} rules parse and read only series a live Prometheus holds`);
	for (const [what, expected, edit] of MISTAKES) {
		const copy = JSON.parse(JSON.stringify(groups));
		const r = copy[0].rules[0];
		r.expr = edit(String(r.expr));
		const found = problemsOf(copy, metrics).find((x) => expected.test(x));
		console.log(found ? `ok: caught ${what}: ${found}` : `FAIL: ${what} went unnoticed`);
		bad += found ? 0 : 1;
	}
	return bad ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
