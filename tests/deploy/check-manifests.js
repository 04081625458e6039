// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Offline schema check of rendered Kubernetes objects against the API types
// (kubernetes-models, generated from the Kubernetes OpenAPI spec and the Prometheus
// Operator CRDs), strict like `kubectl apply --validate=strict`: a wrong type, a bad
// enum value, a missing required field or an unknown (mistyped) field fails.
//
//   node check-manifests.js FILE...     YAML streams; "-" reads stdin
//   node check-manifests.js --self-test FILE...   also prove that mistakes are caught
'use strict';

const fs = require('fs');
const YAML = require('yaml');

const CRD_PACKAGES = {
	'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
	'cert-manager.io': '@kubernetes-models/cert-manager',
};

function modelFor(apiVersion, kind) {
	const slash = apiVersion.indexOf('/');
	const group = slash < 0 ? '' : apiVersion.slice(0, slash);
	const version = apiVersion.slice(slash + 1);
	const pkg = CRD_PACKAGES[group];
	const path = pkg ? `${pkg}/${group}/${version}/${kind}`
		: `kubernetes-models/${group ? group + '/' : ''}${version}/${kind}`;
	try {
		return require(path)[kind];
	} catch (e) {
		return null;
	}
}

// Wrap value so that every property the validator reads is recorded. A key the
// generated validator never reads is not in the schema: an unknown field.
function tracked(value, path, objects) {
	if (value === null || typeof value !== 'object')
		return value;
	if (Array.isArray(value))
		return value.map((v, i) => tracked(v, `${path}/${i}`, objects));
	const read = new Set();
	const copy = {};
	for (const [k, v] of Object.entries(value))
		copy[k] = tracked(v, `${path}/${k}`, objects);
	objects.push({ path, keys: Object.keys(copy), read });
	return new Proxy(copy, {
		get(target, key, receiver) {
			if (typeof key === 'string')
				read.add(key);
			return Reflect.get(target, key, receiver);
		},
	});
}

// The problems with one object, as strings; [] when it is valid.
function problems(obj) {
	if (!obj || typeof obj !== 'object')
		return ['not an object'];
	if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string')
		return ['no apiVersion/kind'];
	const Model = modelFor(obj.apiVersion, obj.kind);
	if (!Model)
		return [`no schema for ${obj.apiVersion} ${obj.kind}`];
	// kustomize folds a Secret's base64 over lines; the API server's decoder (Go's
	// encoding/base64) skips line breaks, the schema's "byte" format does not.
	if (obj.kind === 'Secret' && obj.data)
		for (const k of Object.keys(obj.data))
			if (typeof obj.data[k] === 'string')
				obj.data[k] = obj.data[k].replace(/[\r\n]/g, '');
	const objects = [];
	const proxy = tracked(obj, '', objects);
	try {
		Model.prototype.validate.call(proxy);
	} catch (e) {
		return [e.message];
	}
	const unknown = [];
	for (const o of objects)
		for (const k of o.keys)
			if (!o.read.has(k))
				unknown.push(`${o.path}/${k}`);
	// Name the outermost unknown field, not everything below it.
	return unknown.filter((u) => !unknown.some((a) => u.startsWith(a + '/')))
		.map((u) => `unknown field ${u}`);
}

function nameOf(obj) {
	const m = (obj && obj.metadata) || {};
	return `${obj && obj.kind}/${m.namespace ? m.namespace + '/' : ''}${m.name}`;
}

function load(files) {
	const docs = [];
	for (const f of files) {
		const text = fs.readFileSync(f === '-' ? 0 : f, 'utf8');
		for (const d of YAML.parseAllDocuments(text)) {
			if (d.errors.length)
				throw new Error(`${f}: ${d.errors[0].message}`);
			const obj = d.toJS();
			if (obj !== null)
				docs.push({ file: f, obj });
		}
	}
	return docs;
}

// Mistakes the check must catch, applied to a copy of the first DaemonSet.
const MISTAKES = [
	['mistyped field readOnlyRootFileSystem', (ds) => {
		const sc = ds.spec.template.spec.containers[0].securityContext;
		sc.readOnlyRootFileSystem = sc.readOnlyRootFilesystem;
		delete sc.readOnlyRootFilesystem;
	}],
	['mistyped field hostPid', (ds) => {
		ds.spec.template.spec.hostPid = ds.spec.template.spec.hostPID;
		delete ds.spec.template.spec.hostPID;
	}],
	['mistyped top-level field spce', (ds) => { ds.spce = ds.spec; delete ds.spec; }],
	['containerPort as a string', (ds) => {
		ds.spec.template.spec.containers[0].ports[0].containerPort = '9188';
	}],
	['bad enum imagePullPolicy', (ds) => {
		ds.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
	}],
	['missing required container name', (ds) => {
		delete ds.spec.template.spec.containers[0].name;
	}],
];

function selfTest(docs) {
	const ds = docs.find((d) => d.obj.kind === 'DaemonSet');
	let bad = 0;
	if (!ds) {
		console.log('FAIL: self-test needs a DaemonSet');
		return 1;
	}
	for (const [what, mutate] of MISTAKES) {
		const copy = JSON.parse(JSON.stringify(ds.obj));
		mutate(copy);
		const p = problems(copy);
		if (p.length) {
			console.log(`ok: caught ${what}: ${p[0]}`);
		} else {
			console.log(`FAIL: ${what} passed the schema check`);
			bad++;
		}
	}
	return bad;
}

function main(argv) {
	const test = argv[0] === '--self-test';
	const files = test ? argv.slice(1) : argv;
	let bad = 0;
	const docs = load(files.length ? files : ['-']);
	if (!docs.length) {
		console.log('FAIL: no objects');
		return 1;
	}
	for (const { file, obj } of docs) {
		const p = problems(obj);
		if (p.length) {
			bad++;
			console.log(`FAIL: ${file}: ${nameOf(obj)}`);
			for (const line of p)
				console.log(`    ${line}`);
		} else {
			console.log(`ok: ${nameOf(obj)}`);
		}
	}
	if (test)
		bad += selfTest(docs);
	return bad ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
