#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# deploy/kubernetes renders with kubectl kustomize, the objects pass a strict offline schema
# check (and mistyped fields are shown to fail it), the optional ServiceMonitor and
# PrometheusRule components render on top of the base, the DaemonSet meets issue 7, and the agent accepts its args.
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
	[ "$n" -eq 2 ] || { echo "want 2 scrape configs in docs/install.md, found $n"; return 1; }
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
	fi
fi
finish
