// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The Grafana and Perses dashboards: both parse and hold well-formed panels, they show the
// same panels with the same queries, and every PromQL expression parses (the Prometheus
// project's own lezer grammar) and names only metrics, and labels of those metrics, that
// a live agent's /metrics exports.
//
//   node check-dashboards.js [--self-test] METRICS_TEXT GRAFANA_JSON PERSES_JSON
'use strict';

const fs = require('fs');
const { parser } = require('@prometheus-io/lezer-promql');

const GRAFANA_PANELS = ['timeseries', 'bargauge', 'stat', 'table', 'row', 'text'];
const PERSES_PANELS = ['TimeSeriesChart', 'BarChart', 'StatChart', 'Table', 'Markdown', 'GaugeChart'];

// metric name -> Set of label names, from Prometheus text exposition.
function exported(text) {
	const metrics = new Map();
	for (const line of text.split('\n')) {
		const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s/);
		if (!m || line.startsWith('#'))
			continue;
		if (!metrics.has(m[1]))
			metrics.set(m[1], new Set());
		for (const l of (m[3] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g))
			metrics.get(m[1]).add(l[1]);
	}
	return metrics;
}

function text(q, node) {
	return q.slice(node.from, node.to);
}

// Problems with one PromQL expression, as strings.
function promqlProblems(q, metrics) {
	const tree = parser.parse(q);
	const out = [];
	const labelsOf = (names) => new Set([...names].flatMap((n) => [...(metrics.get(n) || [])]));

	tree.iterate({
		enter(n) {
			if (n.type.isError)
				out.push(`syntax error at ${n.from}: ${JSON.stringify(q.slice(n.from, n.from + 20))}`);
		},
	});
	const cursorAll = (node, name) => {
		const found = [];
		const c = node.cursor();
		do {
			if (c.name === name)
				found.push(c.node);
		} while (c.next() && c.from < node.to);
		return found.filter((f) => f.from >= node.from && f.to <= node.to);
	};
	const root = tree.topNode;
	const names = (node) => cursorAll(node, 'VectorSelector').map((vs) => {
		const id = vs.getChild('Identifier');
		if (id)
			return text(q, id);
		const m = text(q, vs).match(/__name__\s*=\s*"([^"]+)"/);
		return m ? m[1] : null;
	});
	for (const vs of cursorAll(root, 'VectorSelector')) {
		const [name] = names(vs);
		if (!name) {
			out.push(`selector without a metric name: ${text(q, vs)}`);
			continue;
		}
		if (!metrics.has(name)) {
			out.push(`metric ${name} is not exported`);
			continue;
		}
		for (const l of cursorAll(vs, 'LabelName'))
			if (text(q, l) !== '__name__' && !metrics.get(name).has(text(q, l)))
				out.push(`${name} has no label ${text(q, l)}`);
	}
	for (const agg of cursorAll(root, 'AggregateExpr')) {
		const mod = agg.getChild('AggregateModifier');
		const body = agg.getChild('FunctionCallBody');
		// Labels in without () need not exist: dropping an absent label is a no-op.
		if (!mod || !body || mod.getChild('Without'))
			continue;
		const have = labelsOf(names(body).filter(Boolean));
		for (const l of cursorAll(mod, 'LabelName'))
			if (!have.has(text(q, l)))
				out.push(`grouping label ${text(q, l)} is on none of ${names(body).join(', ')}`);
	}
	return out;
}

// [{title, exprs[], vars[]}] and structural problems, from a Grafana dashboard.
function grafana(d, problems) {
	const vars = ((d.templating || {}).list || []);
	const varNames = new Set(vars.map((v) => v.name));
	const ids = new Set();
	const panels = [];
	if (typeof d.title !== 'string' || typeof d.uid !== 'string' || typeof d.schemaVersion !== 'number')
		problems.push('grafana: title, uid or schemaVersion missing');
	for (const p of d.panels || []) {
		const where = `grafana panel ${JSON.stringify(p.title)}`;
		if (!GRAFANA_PANELS.includes(p.type))
			problems.push(`${where}: unknown type ${p.type}`);
		if (ids.has(p.id))
			problems.push(`${where}: duplicate id ${p.id}`);
		ids.add(p.id);
		const g = p.gridPos || {};
		if (![g.x, g.y, g.w, g.h].every(Number.isInteger) || g.x + g.w > 24)
			problems.push(`${where}: bad gridPos ${JSON.stringify(g)}`);
		for (const t of p.targets || []) {
			const ds = (t.datasource || p.datasource || {}).uid || '';
			const m = ds.match(/^\$\{(\w+)\}$/);
			if (!m || !varNames.has(m[1]))
				problems.push(`${where}: datasource ${ds} is not a dashboard variable`);
		}
		const exprs = (p.targets || []).map((t) => t.expr);
		if (!exprs.length || !exprs.every((e) => typeof e === 'string'))
			problems.push(`${where}: no PromQL targets`);
		panels.push({ title: p.title, exprs });
	}
	const queries = vars.filter((v) => v.type === 'query').map((v) => {
		const m = String((v.query || {}).query || v.query).match(/^label_values\((.+),\s*(\w+)\)$/);
		if (!m)
			problems.push(`grafana variable ${v.name}: not label_values(SELECTOR, LABEL)`);
		return m ? { name: v.name, selector: m[1], label: m[2] } : null;
	}).filter(Boolean);
	return { panels, vars: queries, varNames };
}

function perses(d, problems) {
	const spec = d.spec || {};
	const panels = [];
	const placed = new Map();
	if (d.kind !== 'Dashboard' || !d.metadata || !d.metadata.name || !d.metadata.project)
		problems.push('perses: not a Dashboard with metadata.name and metadata.project');
	for (const layout of spec.layouts || []) {
		if (layout.kind !== 'Grid')
			problems.push(`perses: layout kind ${layout.kind}`);
		for (const it of (layout.spec || {}).items || []) {
			const ref = ((it.content || {}).$ref || '').match(/^#\/spec\/panels\/(.+)$/);
			if (!ref || !(spec.panels || {})[ref[1]])
				problems.push(`perses: layout item points at no panel: ${JSON.stringify(it.content)}`);
			else
				placed.set(ref[1], (placed.get(ref[1]) || 0) + 1);
			if (![it.x, it.y, it.width, it.height].every(Number.isInteger) || it.x + it.width > 24)
				problems.push(`perses: bad grid item ${JSON.stringify(it)}`);
		}
	}
	for (const [key, p] of Object.entries(spec.panels || {})) {
		const s = p.spec || {};
		const where = `perses panel ${key}`;
		if (p.kind !== 'Panel' || !s.display || typeof s.display.name !== 'string')
			problems.push(`${where}: not a Panel with display.name`);
		if (!s.plugin || !PERSES_PANELS.includes(s.plugin.kind))
			problems.push(`${where}: unknown plugin ${s.plugin && s.plugin.kind}`);
		if (placed.get(key) !== 1)
			problems.push(`${where}: placed ${placed.get(key) || 0} times in the layouts`);
		const exprs = (s.queries || []).map((q) => {
			const plugin = (q.spec || {}).plugin || {};
			if (q.kind !== 'TimeSeriesQuery' || plugin.kind !== 'PrometheusTimeSeriesQuery')
				problems.push(`${where}: query is not a PrometheusTimeSeriesQuery`);
			return (plugin.spec || {}).query;
		});
		if (!exprs.length || !exprs.every((e) => typeof e === 'string'))
			problems.push(`${where}: no PromQL queries`);
		panels.push({ title: s.display && s.display.name, exprs });
	}
	const vars = (spec.variables || []).map((v) => {
		const s = v.spec || {};
		const plugin = s.plugin || {};
		if (v.kind !== 'ListVariable' || plugin.kind !== 'PrometheusLabelValuesVariable' ||
			!(plugin.spec || {}).labelName || !((plugin.spec || {}).matchers || []).length)
			problems.push(`perses variable ${s.name}: not a PrometheusLabelValuesVariable list`);
		return { name: s.name, selector: ((plugin.spec || {}).matchers || [])[0], label: (plugin.spec || {}).labelName };
	});
	return { panels, vars, varNames: new Set(vars.map((v) => v.name)) };
}

function samePanels(g, p, problems) {
	const key = (ps) => JSON.stringify(ps.map((x) => [x.title, [...x.exprs].sort()])
		.sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
	if (key(g.panels) !== key(p.panels))
		problems.push(`grafana and perses differ:\n      grafana ${key(g.panels)}\n      perses  ${key(p.panels)}`);
	const vkey = (d) => JSON.stringify(d.vars.map((v) => [v.name, v.selector, v.label]).sort());
	if (vkey(g) !== vkey(p))
		problems.push(`variables differ: grafana ${vkey(g)} perses ${vkey(p)}`);
}

function queryProblems(which, dash, metrics, problems) {
	for (const { title, exprs } of dash.panels)
		for (const e of exprs) {
			for (const v of String(e).matchAll(/\$\{?(\w+)/g))
				if (!dash.varNames.has(v[1]))
					problems.push(`${which} "${title}": variable $${v[1]} is not defined`);
			for (const p of promqlProblems(String(e), metrics))
				problems.push(`${which} "${title}": ${p}\n      in ${e}`);
		}
	for (const v of dash.vars) {
		for (const p of promqlProblems(String(v.selector), metrics))
			problems.push(`${which} variable ${v.name}: ${p}`);
		const name = String(v.selector).match(/^[a-zA-Z_:][a-zA-Z0-9_:]*/);
		if (name && metrics.has(name[0]) && !metrics.get(name[0]).has(v.label))
			problems.push(`${which} variable ${v.name}: ${name[0]} has no label ${v.label}`);
	}
}

function problemsOf(g, p, metrics) {
	const problems = [];
	const gd = grafana(g, problems);
	const pd = perses(p, problems);
	samePanels(gd, pd, problems);
	queryProblems('grafana', gd, metrics, problems);
	queryProblems('perses', pd, metrics, problems);
	return problems;
}

// Change the first query the same way in both dashboards, so only the query check can tell.
function editFirstQuery(g, p, edit) {
	const t = g.panels[0].targets[0];
	const before = t.expr;
	t.expr = edit(before);
	for (const panel of Object.values(p.spec.panels))
		for (const q of panel.spec.queries)
			if (q.spec.plugin.spec.query === before)
				q.spec.plugin.spec.query = t.expr;
}

// Mistakes the check must catch, applied to copies of the dashboards: [what, expected, mutate].
const MISTAKES = [
	['a misspelt metric', /is not exported/, (g, p) =>
		editFirstQuery(g, p, (e) => e.replace(/wattlet_(\w+)/, 'wattlet_$1x'))],
	['a label the metric lacks', /no label|grouping label/, (g, p) =>
		editFirstQuery(g, p, (e) => e.replace(/by \(/, 'by (no_such_label, '))],
	['a PromQL syntax error', /syntax error/, (g, p) => editFirstQuery(g, p, (e) => e + ')')],
	['a panel only one dashboard has', /differ|points at no panel/, (g, p) => {
		delete p.spec.panels[Object.keys(p.spec.panels)[0]];
	}],
];

function main(argv) {
	const test = argv[0] === '--self-test';
	const [metricsFile, gFile, pFile] = test ? argv.slice(1) : argv;
	const metrics = exported(fs.readFileSync(metricsFile, 'utf8'));
	const g = JSON.parse(fs.readFileSync(gFile, 'utf8'));
	const p = JSON.parse(fs.readFileSync(pFile, 'utf8'));
	let bad = 0;

	if (!metrics.size) {
		console.log(`FAIL: no samples in ${metricsFile}`);
		return 1;
	}
	for (const line of problemsOf(g, p, metrics)) {
		console.log(`FAIL: ${line}`);
		bad++;
	}
	if (!bad)
		console.log(`ok: ${g.panels.length} panels, the same in both, every query on exported metrics`);
	if (test)
		for (const [what, expected, mutate] of MISTAKES) {
			const [g2, p2] = [JSON.parse(JSON.stringify(g)), JSON.parse(JSON.stringify(p))];
			mutate(g2, p2);
			const found = problemsOf(g2, p2, metrics).find((x) => expected.test(x));
			console.log(found ? `ok: caught ${what}: ${found.split('\n')[0]}` : `FAIL: ${what} went unnoticed`);
			bad += found ? 0 : 1;
		}
	return bad ? 1 : 0;
}

if (require.main === module)
	process.exitCode = main(process.argv.slice(2));
module.exports = { exported, promqlProblems };
