#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# deploy/kubernetes renders with kubectl kustomize, the objects pass a strict offline schema
# check (and mistyped fields are shown to fail it), the optional ServiceMonitor and
# PrometheusRule components render on top of the base, the DaemonSet meets issue 7, and the
# agent accepts its args. docs/install.md's secured overlay (TLS, basic auth, cert-manager,
# NetworkPolicy) renders from the shell steps the docs give, passes the schema check and
# tests/deploy/secured.js, and the bcrypt hash it puts in the web config verifies
# (htpasswd -v) against the password it gives Prometheus.
set -uo pipefail
. tests/deploy/lib.sh

tmp=$(mktemp -d /tmp/wattlet-deploy-manifests.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

need_kubectl || { echo "FAIL: no kubectl and could not install it"; exit 1; }
need_node_modules || { echo "FAIL: could not install tests/deploy's node modules"; exit 1; }
tools=tests/deploy

renders() {
	render_base >"$tmp/base.yaml" || return 1
	local kinds
	kinds=$(grep -E '^kind: ' "$tmp/base.yaml" | sort | tr '\n' ' ')
	[ "$kinds" = "kind: DaemonSet kind: Namespace kind: ResourceQuota kind: Service kind: ServiceAccount " ] ||
		{ echo "unexpected kinds: $kinds"; return 1; }
}

# The overlay docs/install.md shows (image, ServiceMonitor component, PUE and carbon args),
# from outside the repo, with its paths pointed at this checkout.
docs_overlay_renders() {
	local rel out
	mkdir -p "$tmp/my-wattlet"
	rel=$(realpath --relative-to="$tmp/my-wattlet" deploy/kubernetes)
	awk '/<!-- tested: tests\/e2e\/deploy_manifests.sh/ { want = 1; next }
		want && /^```yaml/ { inside = 1; next }
		inside && /^```/ { exit }
		inside { print }' docs/install.md |
		sed "s|\.\./wattlet/deploy/kubernetes|$rel|; s|REGISTRY/wattlet|registry.example/wattlet|; s|TAG|v0|" \
		>"$tmp/my-wattlet/kustomization.yaml"
	grep -q components "$tmp/my-wattlet/kustomization.yaml" || { echo "no overlay found in docs/install.md"; return 1; }
	if ! out=$(kubectl kustomize "$tmp/my-wattlet" 2>&1); then
		if grep -q 'unknown field "\(components\|patches\)"' <<<"$out"; then
			# kubectl < 1.21 (Debian 12's kubernetes-client) embeds kustomize 2: check the file.
			echo "note: this kubectl's kustomize predates components; checking the component's file"
			cp deploy/kubernetes/components/servicemonitor/servicemonitor.yaml "$tmp/overlay.yaml"
			cp "$tmp/base.yaml" "$tmp/overlay-ds.yaml"
			return 0
		fi
		echo "$out"
		return 1
	fi
	printf '%s\n' "$out" >"$tmp/overlay.yaml"
	cp "$tmp/overlay.yaml" "$tmp/overlay-ds.yaml"
	grep -q '^kind: ServiceMonitor$' "$tmp/overlay.yaml" || { echo "no ServiceMonitor rendered"; return 1; }
	grep -q '^kind: PrometheusRule$' "$tmp/overlay.yaml" || { echo "no PrometheusRule rendered"; return 1; }
	grep -q 'image: registry.example/wattlet:v0$' "$tmp/overlay.yaml" || { echo "image not set"; return 1; }
	grep -q -- '- --carbon-intensity=350$' "$tmp/overlay.yaml" || { echo "args not patched"; return 1; }
}

# The two GPU overlays docs/install.md shows: the GPU one as written, the plain one as the
# overlay above plus the not-gpu component. Every node runs exactly one agent.
docs_gpu_overlays_render() {
	local rel out
	mkdir -p "$tmp/gpu" "$tmp/my-wattlet-gpu" "$tmp/my-wattlet-cpu"
	rel=$(realpath --relative-to="$tmp/my-wattlet-gpu" deploy/kubernetes)
	awk '/<!-- tested: tests\/e2e\/deploy_manifests.sh renders these two GPU overlays/ { want = 1; next }
		want && /^```yaml/ { n++; inside = n == 2; next }
		inside && /^```/ { exit }
		inside { print }' docs/install.md |
		sed "s|\.\./wattlet/deploy/kubernetes|$rel|; s|REGISTRY/wattlet|registry.example/wattlet|; s|TAG|v0|" \
		>"$tmp/my-wattlet-gpu/kustomization.yaml"
	grep -q 'components/gpu$' "$tmp/my-wattlet-gpu/kustomization.yaml" ||
		{ echo "no GPU overlay found in docs/install.md"; return 1; }
	sed "/components\/servicemonitor$/a\\  - $rel/components/not-gpu" "$tmp/my-wattlet/kustomization.yaml" \
		>"$tmp/my-wattlet-cpu/kustomization.yaml"
	grep -q 'components/not-gpu$' "$tmp/my-wattlet-cpu/kustomization.yaml" || return 1
	for o in my-wattlet-gpu my-wattlet-cpu; do
		if ! out=$(kubectl kustomize "$tmp/$o" 2>&1); then
			if grep -q 'unknown field "\(components\|patches\)"' <<<"$out"; then
				echo "note: this kubectl's kustomize predates components; checking the component files"
				node "$tools/check-manifests.js" deploy/kubernetes/components/gpu/gpu.yaml >/dev/null ||
					return 1
				cp "$tmp/base.yaml" "$tmp/gpu/$o.yaml"
				touch "$tmp/gpu/old-kustomize"
				return 0
			fi
			echo "$out"
			return 1
		fi
		printf '%s\n' "$out" >"$tmp/gpu/$o.yaml"
	done
	node -e '
	const Y = require("yaml"), fs = require("fs");
	const all = Y.parseAllDocuments(fs.readFileSync(process.argv[1], "utf8")).map((d) => d.toJS());
	const ds = all.find((d) => d.kind === "DaemonSet"), sm = all.find((d) => d.kind === "ServiceMonitor");
	const pod = ds.spec.template.spec, c = pod.containers[0];
	const env = Object.fromEntries(c.env.filter((e) => "value" in e).map((e) => [e.name, e.value]));
	const want = (ok, what) => { if (!ok) throw new Error(what); };
	want(ds.metadata.namespace === "wattlet-gpu", "namespace " + ds.metadata.namespace);
	want(pod.runtimeClassName === "nvidia", "runtimeClassName " + pod.runtimeClassName);
	want(env.NVIDIA_VISIBLE_DEVICES === "all" && env.NVIDIA_DRIVER_CAPABILITIES === "utility",
		"env " + JSON.stringify(env));
	want(c.env.some((e) => e.name === "NODE_NAME"), "NODE_NAME lost");
	want(c.args.includes("--gpu=nvml"), "no --gpu=nvml");
	want(c.image === "registry.example/wattlet:v0", "image " + c.image);
	want(JSON.stringify(sm.spec.namespaceSelector.matchNames) === "[\"wattlet-gpu\"]", "ServiceMonitor namespaces");
	' "$tmp/gpu/my-wattlet-gpu.yaml"
}

# Nodes labelled as GPU nodes either way run the GPU agent, every other node the plain one.
gpu_overlays_split_nodes() {
	local got want
	want=$'wattlet-gpu/wattlet\nwattlet-gpu/wattlet\nwattlet-gpu/wattlet\nwattlet/wattlet\nwattlet/wattlet\n-'
	got=$(echo '[{"kubernetes.io/os": "linux", "nvidia.com/gpu.present": "true"},
		{"kubernetes.io/os": "linux", "feature.node.kubernetes.io/pci-10de.present": "true"},
		{"kubernetes.io/os": "linux", "nvidia.com/gpu.present": "true", "feature.node.kubernetes.io/pci-10de.present": "true"},
		{"kubernetes.io/os": "linux"},
		{"kubernetes.io/os": "linux", "nvidia.com/gpu.present": "false"},
		{"kubernetes.io/os": "windows", "nvidia.com/gpu.present": "true"}]' |
		node "$tools/affinity.js" "$tmp/gpu/my-wattlet-gpu.yaml" "$tmp/gpu/my-wattlet-cpu.yaml")
	[ "$got" = "$want" ] || { printf 'got:\n%s\nwant:\n%s\n' "$got" "$want"; return 1; }
}

# The ServiceMonitor selects the Service and scrapes its metrics port by name.
monitor_matches_service() {
	node -e '
	const Y = require("yaml"), fs = require("fs");
	const all = process.argv.slice(1).flatMap((f) =>
		Y.parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS())).filter(Boolean);
	const svc = all.find((d) => d.kind === "Service"), sm = all.find((d) => d.kind === "ServiceMonitor");
	const sel = Object.entries(sm.spec.selector.matchLabels);
	if (!sel.every(([k, v]) => svc.metadata.labels[k] === v)) throw new Error("selector misses the Service");
	if (!sm.spec.namespaceSelector.matchNames.includes(svc.metadata.namespace)) throw new Error("wrong namespace");
	if (!sm.spec.endpoints.every((e) => svc.spec.ports.some((p) => p.name === e.port))) throw new Error("no such port");
	' "$tmp/base.yaml" "$tmp/overlay.yaml"
}

# Each Prometheus scrape config in docs/install.md passes promtool check config.
docs_scrape_configs_valid() {
	local n
	awk -v dir="$tmp" '/<!-- tested: .*promtool check config/ { want = 1; next }
		want && /^```yaml/ { inside = 1; n++; next }
		inside && /^```/ { inside = 0; want = 0; next }
		inside { print > (dir "/scrape-" n ".yml") }' docs/install.md
	n=$(ls "$tmp"/scrape-*.yml 2>/dev/null | wc -l)
	[ "$n" -eq 3 ] || { echo "want 3 scrape configs in docs/install.md, found $n"; return 1; }
	for f in "$tmp"/scrape-*.yml; do
		# Debian's Prometheus is built without Kubernetes discovery: check that block here
		# and let promtool check the rest with static targets in its place.
		node -e '
		const Y = require("yaml"), fs = require("fs"), f = process.argv[1];
		const c = Y.parse(fs.readFileSync(f, "utf8"));
		for (const j of c.scrape_configs) {
			for (const sd of j.kubernetes_sd_configs || []) {
				const extra = Object.keys(sd).filter((k) => !["role", "namespaces", "selectors"].includes(k));
				if (extra.length || !["pod", "endpoints", "endpointslice", "service", "node"].includes(sd.role))
					throw new Error(`bad kubernetes_sd_config ${JSON.stringify(sd)}`);
				if (sd.namespaces && !Array.isArray(sd.namespaces.names))
					throw new Error("namespaces.names is not a list");
			}
			delete j.kubernetes_sd_configs;
			j.static_configs = [{ targets: ["127.0.0.1:9188"] }];
		}
		fs.writeFileSync(f, Y.stringify(c));' "$f" || return 1
		promtool check config --syntax-only "$f" || return 1
	done
}

# The block of docs/install.md after the marker line that contains $1 (a fixed string).
docs_block() {
	awk -v marker="$1" 'index($0, "<!-- tested:") && index($0, marker) { want = 1; next }
		want && /^```/ && !inside { inside = 1; next }
		inside && /^```/ { exit }
		inside { print }' docs/install.md
}

# docs/install.md's steps for the secured overlay, run as written in $tmp/secured with kubectl
# stubbed (it would talk to a cluster), then the overlay rendered against this checkout.
secured_overlay_renders() {
	local rel
	mkdir -p "$tmp/secured/my-wattlet"
	docs_block "runs this with kubectl stubbed" >"$tmp/secured/steps.sh"
	grep -q htpasswd "$tmp/secured/steps.sh" || { echo "no password steps in docs/install.md"; return 1; }
	(cd "$tmp/secured" && kubectl() { :; } && . ./steps.sh && printf '%s' "$PASSWORD" >password) ||
		return 1
	rel=$(realpath --relative-to="$tmp/secured/my-wattlet" deploy/kubernetes)
	docs_block "renders this secured overlay" |
		sed "s|\.\./wattlet/deploy/kubernetes|$rel|; s|REGISTRY/wattlet|registry.example/wattlet|; s|TAG|v0|" \
		>"$tmp/secured/my-wattlet/kustomization.yaml"
	grep -q components/tls "$tmp/secured/my-wattlet/kustomization.yaml" ||
		{ echo "no secured overlay in docs/install.md"; return 1; }
	kubectl kustomize "$tmp/secured/my-wattlet" >"$tmp/secured.yaml" || return 1
	local kinds
	kinds=$(grep -E '^kind: ' "$tmp/secured.yaml" | sort | uniq | tr '\n' ' ')
	[ "$kinds" = "kind: Certificate kind: DaemonSet kind: Namespace kind: NetworkPolicy kind: ResourceQuota kind: Secret kind: Service kind: ServiceAccount kind: ServiceMonitor " ] ||
		{ echo "unexpected kinds: $kinds"; return 1; }
}

# The hash the docs put in the web config is the password the docs give Prometheus,
# as Apache's htpasswd sees it (not wattlet).
secured_hash_verifies() {
	node "$tools/secured.js" web-config <"$tmp/secured.yaml" >"$tmp/secured/web.yml" || return 1
	node -e '
	const Y = require("yaml"), fs = require("fs");
	const u = Y.parse(fs.readFileSync(process.argv[1], "utf8")).basic_auth_users;
	for (const [name, hash] of Object.entries(u)) console.log(`${name}:${hash}`);' \
		"$tmp/secured/web.yml" >"$tmp/secured/htpasswd" || return 1
	htpasswd -vb "$tmp/secured/htpasswd" prometheus "$(cat "$tmp/secured/password")" &&
		! htpasswd -vb "$tmp/secured/htpasswd" prometheus "not-the-password" 2>/dev/null
}

# getopt parses every flag before --help returns: a bad flag or value fails here.
agent_accepts_args() {
	local args
	[ -n "${WATTLET:-}" ] || { echo "WATTLET not set"; return 1; }
	mapfile -t args < <(node "$tools/daemonset.js" spec NODE_NAME=node-a <"$1" |
		node -e 'for (const a of JSON.parse(require("fs").readFileSync(0)).args) console.log(a)')
	[ ${#args[@]} -gt 0 ] || return 1
	"$WATTLET" "${args[@]}" --help >/dev/null
}

if check "kubectl kustomize deploy/kubernetes renders (kubectl $(kubectl version --client 2>/dev/null | grep -o "v[0-9]*\.[0-9]*\.[0-9]*" | head -1))" renders; then
	check "schema: rendered base is valid, mistyped fields are caught" \
		node "$tools/check-manifests.js" --self-test "$tmp/base.yaml"
	check "DaemonSet meets issue 7" node "$tools/daemonset.js" check <"$tmp/base.yaml"
	check "the agent accepts the DaemonSet's args" agent_accepts_args "$tmp/base.yaml"
	check "docs/install.md's Prometheus scrape configs pass promtool" docs_scrape_configs_valid
	if check "docs/install.md's overlay renders (image, ServiceMonitor, PrometheusRule, --pue, --carbon-intensity)" \
		docs_overlay_renders; then
		check "schema: docs overlay" node "$tools/check-manifests.js" "$tmp/overlay.yaml"
		check "ServiceMonitor selects the Service's metrics port" monitor_matches_service
		check "the agent accepts the docs overlay's args" agent_accepts_args "$tmp/overlay-ds.yaml"
		if check "docs/install.md's GPU overlays render (runtime class, NVIDIA env, --gpu=nvml)" \
			docs_gpu_overlays_render && [ ! -e "$tmp/gpu/old-kustomize" ]; then
			check "schema: GPU overlays" node "$tools/check-manifests.js" \
				"$tmp/gpu/my-wattlet-gpu.yaml" "$tmp/gpu/my-wattlet-cpu.yaml"
			check "GPU nodes run the GPU agent, every other node the plain one" gpu_overlays_split_nodes
			check "the agent accepts the GPU overlay's args" agent_accepts_args "$tmp/gpu/my-wattlet-gpu.yaml"
		fi
	fi
	if check "docs/install.md's secured overlay renders (TLS, basic auth, cert-manager, NetworkPolicy)" \
		secured_overlay_renders; then
		check "schema: secured overlay (Certificate and NetworkPolicy too)" \
			node "$tools/check-manifests.js" "$tmp/secured.yaml"
		check "secured overlay: TLS, ServiceMonitor and NetworkPolicy wiring" \
			node "$tools/secured.js" check <"$tmp/secured.yaml"
		check "secured overlay: the wiring check catches mistakes" \
			node "$tools/secured.js" self-test <"$tmp/secured.yaml"
		check "secured overlay: the web config's hash is the scrape password (htpasswd -v)" \
			secured_hash_verifies
		check "secured overlay: DaemonSet still meets issue 7" node "$tools/daemonset.js" check <"$tmp/secured.yaml"
		check "the agent accepts the secured overlay's args" agent_accepts_args "$tmp/secured.yaml"
	fi
fi
finish
