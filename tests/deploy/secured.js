// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The TLS, basic-auth and NetworkPolicy wiring of rendered manifests (a YAML stream on stdin):
//   node secured.js check              one line per requirement; exit 1 if any fails
//   node secured.js self-test          the same, after each of some mistakes: each must fail
//   node secured.js web-config         the web config the agent will read, decoded
// A component that is not rendered (no ServiceMonitor, no Certificate) is not checked.
'use strict';

const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

function load() {
	return YAML.parseAllDocuments(fs.readFileSync(0, 'utf8')).map((d) => d.toJS()).filter(Boolean);
}

const find = (docs, kind, name) => docs.find((d) => d.kind === kind && (!name || d.metadata.name === name));

function flagValue(args, flag) {
	const a = (args || []).find((x) => x.startsWith(flag + '='));
	return a === undefined ? undefined : a.slice(flag.length + 1);
}

// The Secret volume mounted where file lives: { mount, secret, key }, or null.
function secretFile(pod, c, file) {
	const vols = Object.fromEntries((pod.volumes || []).map((v) => [v.name, v]));
	for (const m of c.volumeMounts || []) {
		const v = vols[m.name];
		if (v && v.secret && path.dirname(file) === m.mountPath)
			return { mount: m, secret: v.secret.secretName, key: path.basename(file) };
	}
	return null;
}

function secretData(docs, name, key) {
	const s = find(docs, 'Secret', name);
	if (!s)
		return undefined;
	if (s.stringData && key in s.stringData)
		return s.stringData[key];
	return s.data && key in s.data ? Buffer.from(s.data[key].replace(/\s/g, ''), 'base64').toString() : undefined;
}

function webConfig(docs) {
	const ds = find(docs, 'DaemonSet', 'wattlet');
	const pod = ds.spec.template.spec, c = pod.containers[0];
	const file = flagValue(c.args, '--web-config-file');
	const where = file && secretFile(pod, c, file);
	const text = where && secretData(docs, where.secret, where.key);
	return { ds, pod, c, file, where, text, cfg: text ? YAML.parse(text) : null };
}

function requirements(docs) {
	const { pod, c, file, where, text, cfg } = webConfig(docs);
	const tls = (cfg && cfg.tls_server_config) || {};
	const cert = tls.cert_file && secretFile(pod, c, tls.cert_file);
	const key = tls.key_file && secretFile(pod, c, tls.key_file);
	const port = (c.ports || []).find((p) => p.name === 'metrics') || {};
	const labels = find(docs, 'DaemonSet', 'wattlet').spec.template.metadata.labels;
	const https = (p) => p && p.httpGet && p.httpGet.scheme === 'HTTPS';
	const out = [
		['--web-config-file in a read-only Secret volume', !!(where && where.mount.readOnly)],
		['the Secret holds the web config', typeof text === 'string' && !!cfg],
		['cert_file and key_file in one read-only Secret volume', !!(cert && key &&
			cert.secret === key.secret && cert.mount.readOnly)],
		['liveness and readiness probes over HTTPS', https(c.livenessProbe) && https(c.readinessProbe)],
		['prometheus.io/scheme: https', (pod && find(docs, 'DaemonSet', 'wattlet').spec.template.metadata
			.annotations || {})['prometheus.io/scheme'] === 'https'],
	];
	const crt = find(docs, 'Certificate');
	if (crt)
		out.push(['the Certificate writes the certificate Secret', !!cert && crt.spec.secretName === cert.secret]);
	const sm = find(docs, 'ServiceMonitor');
	if (sm) {
		const e = sm.spec.endpoints[0] || {}, t = e.tlsConfig || {}, b = e.basicAuth || {};
		out.push(['ServiceMonitor: https', e.scheme === 'https']);
		out.push(['ServiceMonitor: verifies against ca.crt of the certificate Secret', !!cert &&
			t.ca && t.ca.secret && t.ca.secret.name === cert.secret && t.ca.secret.key === 'ca.crt' &&
			!t.insecureSkipVerify]);
		out.push(['ServiceMonitor: serverName is a name of the Certificate', !crt ||
			(crt.spec.dnsNames || []).includes(t.serverName)]);
		out.push(['ServiceMonitor: basic auth from one Secret', b.username && b.password &&
			b.username.name === b.password.name && b.username.key === 'username' && b.password.key === 'password']);
		out.push(['web config has basic_auth_users when the ServiceMonitor sends them',
			!b.username || Object.keys((cfg && cfg.basic_auth_users) || {}).length > 0]);
	}
	const np = find(docs, 'NetworkPolicy');
	if (np) {
		const ing = np.spec.ingress || [];
		const sel = np.spec.podSelector.matchLabels || {};
		out.push(['NetworkPolicy selects the agent pods', Object.keys(sel).length > 0 &&
			Object.entries(sel).every(([k, v]) => labels[k] === v)]);
		out.push(['NetworkPolicy admits only TCP on the metrics port', ing.length === 1 &&
			ing[0].ports.length === 1 && ing[0].ports[0].port === port.containerPort &&
			(ing[0].ports[0].protocol || 'TCP') === 'TCP']);
		out.push(['NetworkPolicy admits only the namespace monitoring', ing.length === 1 &&
			ing[0].from.length === 1 && !ing[0].from[0].podSelector && !ing[0].from[0].ipBlock &&
			JSON.stringify(ing[0].from[0].namespaceSelector) ===
			'{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}']);
		out.push(['NetworkPolicy: no egress at all', (np.spec.policyTypes || []).includes('Egress') &&
			(np.spec.egress || []).length === 0]);
	}
	return out;
}

function report(docs, quiet) {
	let bad = 0;
	for (const [what, good] of requirements(docs)) {
		if (!quiet)
			console.log(`${good ? 'ok' : 'FAIL'}: ${what}`);
		bad += good ? 0 : 1;
	}
	return bad;
}

// Mistakes the check must catch, each on a copy.
const MISTAKES = [
	['probe back to HTTP', (d) => { delete find(d, 'DaemonSet').spec.template.spec.containers[0].livenessProbe.httpGet.scheme; }],
	['web config outside the Secret volume', (d) => {
		const c = find(d, 'DaemonSet').spec.template.spec.containers[0];
		c.args = c.args.map((a) => a.startsWith('--web-config-file=') ? '--web-config-file=/etc/web.yml' : a);
	}],
	['NetworkPolicy port 9090', (d) => { find(d, 'NetworkPolicy').spec.ingress[0].ports[0].port = 9090; }],
	['NetworkPolicy from every namespace', (d) => { find(d, 'NetworkPolicy').spec.ingress[0].from[0].namespaceSelector = {}; }],
	['ServiceMonitor skipping verification', (d) => { find(d, 'ServiceMonitor').spec.endpoints[0].tlsConfig.insecureSkipVerify = true; }],
	['Certificate writing another Secret', (d) => { find(d, 'Certificate').spec.secretName = 'other'; }],
];

function main(argv) {
	const docs = load();
	if (argv[0] === 'check')
		return report(docs, false) ? 1 : 0;
	if (argv[0] === 'web-config') {
		const { text } = webConfig(docs);
		if (!text)
			return 1;
		process.stdout.write(text);
		return 0;
	}
	if (argv[0] === 'self-test') {
		let missed = 0;
		for (const [what, mutate] of MISTAKES) {
			const copy = JSON.parse(JSON.stringify(docs));
			mutate(copy);
			const caught = report(copy, true) > 0;
			console.log(`${caught ? 'ok: caught' : 'FAIL: missed'} ${what}`);
			missed += caught ? 0 : 1;
		}
		return missed ? 1 : 0;
	}
	console.error('usage: node secured.js check|self-test|web-config < rendered.yaml');
	return 2;
}

process.exitCode = main(process.argv.slice(2));
