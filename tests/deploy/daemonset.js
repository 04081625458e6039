// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The wattlet DaemonSet in rendered manifests (a YAML stream on stdin):
//   node daemonset.js check             the requirements, one line each
//   node daemonset.js spec NAME=VALUE.. the container as JSON for tests/e2e/deploy_agent.sh and
//                                       image_containerd.sh: args with $(VAR) expanded the way
//                                       the kubelet does, env, securityContext, limits, probes,
//                                       host mounts
'use strict';

const fs = require('fs');
const YAML = require('yaml');

// What measurement showed the agent needs (tests/e2e/image_containerd.sh drops each in turn).
const CAPABILITIES = ['BPF', 'PERFMON'];
const HOST_PATHS = ['/sys', '/var/log/pods', '/var/log/containers'];
const FLAGS = ['--listen', '--output', '--node-name', '--pod-log-dir', '--container-log-dir',
	'--sysfs-root'];

function load() {
	const docs = YAML.parseAllDocuments(fs.readFileSync(0, 'utf8')).map((d) => d.toJS());
	const ds = docs.find((d) => d && d.kind === 'DaemonSet' && d.metadata.name === 'wattlet');
	if (!ds)
		throw new Error('no DaemonSet wattlet');
	return { docs, ds, pod: ds.spec.template.spec, c: ds.spec.template.spec.containers[0] };
}

// Kubernetes $(VAR) expansion: $(VAR) from env when defined, $$ escapes a $.
function expand(s, env) {
	return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
		(m, name) => (m === '$$' ? '$' : (name in env ? env[name] : m)));
}

function cpu(q) {
	return q === undefined ? null : (String(q).endsWith('m') ? parseFloat(q) / 1000 : parseFloat(q));
}

function bytes(q) {
	if (q === undefined)
		return null;
	const m = String(q).match(/^([0-9.]+)([KMGT]i?)?$/);
	const mult = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
	return m ? parseFloat(m[1]) * (m[2] ? mult[m[2]] : 1) : NaN;
}

function flagValue(args, flag) {
	const a = args.find((x) => x.startsWith(flag + '='));
	return a === undefined ? undefined : a.slice(flag.length + 1);
}

function mounts(pod, c) {
	const vols = Object.fromEntries((pod.volumes || []).map((v) => [v.name, v]));
	return (c.volumeMounts || []).map((m) => ({
		name: m.name,
		mountPath: m.mountPath,
		readOnly: m.readOnly === true,
		recursiveReadOnly: m.recursiveReadOnly || 'Disabled',
		hostPath: vols[m.name] && vols[m.name].hostPath ? vols[m.name].hostPath.path : null,
	}));
}

function requirements({ docs, ds, pod, c }) {
	const sc = c.securityContext || {};
	const caps = sc.capabilities || {};
	const env = Object.fromEntries((c.env || []).map((e) => [e.name, e]));
	const args = c.args || [];
	const ms = mounts(pod, c);
	const port = (c.ports || []).find((p) => p.name === 'metrics') || {};
	const probe = (p, path) => p && p.httpGet && p.httpGet.path === path &&
		(p.httpGet.port === 'metrics' || p.httpGet.port === port.containerPort);
	const svc = docs.find((d) => d && d.kind === 'Service');
	const labels = ds.spec.template.metadata.labels;
	const under = (path) => ms.some((m) => path === m.mountPath || path.startsWith(m.mountPath + '/'));
	const seccomp = (sc.seccompProfile || (pod.securityContext || {}).seccompProfile || {}).type;

	return [
		['hostPID', pod.hostPID === true],
		['not privileged', sc.privileged !== true && pod.hostNetwork !== true],
		['no privilege escalation', sc.allowPrivilegeEscalation === false],
		['capabilities: drop ALL', (caps.drop || []).includes('ALL')],
		[`capabilities: add exactly ${CAPABILITIES}`,
			JSON.stringify([...(caps.add || [])].sort()) === JSON.stringify([...CAPABILITIES].sort())],
		['readOnlyRootFilesystem', sc.readOnlyRootFilesystem === true],
		['seccomp RuntimeDefault', seccomp === 'RuntimeDefault'],
		['every volume mount read-only', ms.length > 0 && ms.every((m) => m.readOnly)],
		[`host mounts ${HOST_PATHS}`, HOST_PATHS.every((h) => ms.some((m) => m.hostPath === h))],
		['NODE_NAME from the downward API', env.NODE_NAME && env.NODE_NAME.valueFrom &&
			env.NODE_NAME.valueFrom.fieldRef.fieldPath === 'spec.nodeName'],
		[`flags ${FLAGS}`, FLAGS.every((f) => flagValue(args, f) !== undefined)],
		['--node-name=$(NODE_NAME)', flagValue(args, '--node-name') === '$(NODE_NAME)'],
		['--listen on all addresses, the metrics port',
			flagValue(args, '--listen') === `0.0.0.0:${port.containerPort}`],
		['--output=none', flagValue(args, '--output') === 'none'],
		['path flags inside a volume mount', ['--sysfs-root', '--cgroup-root', '--pod-log-dir',
			'--container-log-dir'].every((f) => flagValue(args, f) === undefined || under(flagValue(args, f)))],
		['requests and limits for cpu and memory', ['requests', 'limits'].every((k) =>
			c.resources && c.resources[k] && c.resources[k].cpu && c.resources[k].memory)],
		['liveness probe on /healthz', probe(c.livenessProbe, '/healthz')],
		['readiness probe on /readyz', probe(c.readinessProbe, '/readyz')],
		['tolerates every taint', (pod.tolerations || []).some((t) => t.operator === 'Exists' &&
			!t.key && !t.effect)],
		['priorityClassName system-node-critical', pod.priorityClassName === 'system-node-critical'],
		['RollingUpdate', ds.spec.updateStrategy && ds.spec.updateStrategy.type === 'RollingUpdate'],
		['Service selects the pods and targets the metrics port', svc &&
			Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v) &&
			svc.spec.ports.some((p) => p.targetPort === 'metrics' || p.targetPort === port.containerPort)],
	];
}

function check(d) {
	let bad = 0;
	for (const [what, good] of requirements(d)) {
		console.log(`${good ? 'ok' : 'FAIL'}: ${what}`);
		bad += good ? 0 : 1;
	}
	return bad ? 1 : 0;
}

function resolveEnv(c, given) {
	const env = {};
	for (const e of c.env || []) {
		if (e.value !== undefined)
			env[e.name] = expand(e.value, env);
		else if (e.name in given)
			env[e.name] = given[e.name];	// valueFrom: the test plays the kubelet
		else
			throw new Error(`env ${e.name} comes from ${JSON.stringify(e.valueFrom)}: pass ${e.name}=...`);
	}
	return env;
}

function spec({ ds, pod, c }, pairs) {
	const given = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
	const env = resolveEnv(c, given);
	const sc = c.securityContext || {};
	const res = c.resources || {};
	const port = (c.ports || []).find((p) => p.name === 'metrics') || {};
	const path = (p) => p && p.httpGet && p.httpGet.path;
	const seccomp = (sc.seccompProfile || (pod.securityContext || {}).seccompProfile || {}).type;
	console.log(JSON.stringify({
		namespace: ds.metadata.namespace,
		daemonset: ds.metadata.name,
		container: c.name,
		image: c.image,
		command: c.command || null,
		args: (c.args || []).map((a) => expand(a, env)),
		env,
		capabilities: (sc.capabilities || {}).add || [],
		dropCapabilities: (sc.capabilities || {}).drop || [],
		seccomp: seccomp || null,
		hostPID: pod.hostPID === true,
		hostNetwork: pod.hostNetwork === true,
		privileged: sc.privileged === true,
		runAsUser: sc.runAsUser === undefined ? null : sc.runAsUser,
		runAsGroup: sc.runAsGroup === undefined ? null : sc.runAsGroup,
		noNewPrivs: sc.allowPrivilegeEscalation === false,
		readOnlyRoot: sc.readOnlyRootFilesystem === true,
		limits: { cpu: cpu((res.limits || {}).cpu), memory: bytes((res.limits || {}).memory) },
		requests: { cpu: cpu((res.requests || {}).cpu), memory: bytes((res.requests || {}).memory) },
		port: port.containerPort,
		liveness: path(c.livenessProbe),
		readiness: path(c.readinessProbe),
		mounts: mounts(pod, c),
	}));
	return 0;
}

function main(argv) {
	const d = load();
	if (argv[0] === 'check')
		return check(d);
	if (argv[0] === 'spec')
		return spec(d, argv.slice(1));
	console.error('usage: node daemonset.js check|spec [NAME=VALUE...] < rendered.yaml');
	return 2;
}

process.exitCode = main(process.argv.slice(2));
