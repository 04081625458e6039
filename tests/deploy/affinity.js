// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Which of the rendered DaemonSets a node with the given labels would run, by their
// required node affinity (nodeSelectorTerms ORed, matchExpressions ANDed; In, NotIn,
// Exists, DoesNotExist as the scheduler reads them) and nodeSelector.
//
//   node affinity.js RENDERED.yaml... < NODES.json    NODES: [{label: value, ...}, ...]
// prints, per node, the namespaces/names of the DaemonSets that would run there.
'use strict';

const fs = require('fs');
const YAML = require('yaml');

function exprMatches(e, labels) {
	const has = Object.prototype.hasOwnProperty.call(labels, e.key);
	switch (e.operator) {
	case 'In': return has && e.values.includes(labels[e.key]);
	case 'NotIn': return !has || !e.values.includes(labels[e.key]);
	case 'Exists': return has;
	case 'DoesNotExist': return !has;
	default: throw new Error(`operator ${e.operator} not handled`);
	}
}

function runsOn(ds, labels) {
	const spec = ds.spec.template.spec;
	const sel = spec.nodeSelector || {};
	if (!Object.entries(sel).every(([k, v]) => labels[k] === v))
		return false;
	const req = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
	if (!req)
		return true;
	return req.nodeSelectorTerms.some((t) => (t.matchExpressions || []).every((e) => exprMatches(e, labels)));
}

const sets = process.argv.slice(2).flatMap((f) =>
	YAML.parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJS())).filter((d) => d?.kind === 'DaemonSet');
const nodes = JSON.parse(fs.readFileSync(0, 'utf8'));
for (const labels of nodes)
	console.log(sets.filter((ds) => runsOn(ds, labels)).map((ds) => `${ds.metadata.namespace}/${ds.metadata.name}`).join(' ') || '-');
