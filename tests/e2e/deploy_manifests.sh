#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# deploy/kubernetes renders with kubectl kustomize, the objects pass a strict offline schema
# check (and mistyped fields are shown to fail it), the optional ServiceMonitor component
# renders on top of the base, the DaemonSet meets issue 7, and the agent accepts its args.
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

# A user's overlay: the base plus the component, from outside the repo.
component_renders() {
	local rel out
	mkdir -p "$tmp/overlay"
	rel=$(realpath --relative-to="$tmp/overlay" deploy/kubernetes)
	printf 'resources:\n  - %s\ncomponents:\n  - %s/components/servicemonitor\n' "$rel" "$rel" \
		>"$tmp/overlay/kustomization.yaml"
	if ! out=$(kubectl kustomize "$tmp/overlay" 2>&1); then
		if grep -q 'unknown field "components"' <<<"$out"; then
			# kubectl < 1.21 (Debian 12's kubernetes-client) embeds kustomize 2: check the file.
			echo "note: this kubectl's kustomize predates components; checking the component's file"
			cp deploy/kubernetes/components/servicemonitor/servicemonitor.yaml "$tmp/overlay.yaml"
			return 0
		fi
		echo "$out"
		return 1
	fi
	printf '%s\n' "$out" >"$tmp/overlay.yaml"
	grep -q '^kind: ServiceMonitor$' "$tmp/overlay.yaml" || { echo "no ServiceMonitor rendered"; return 1; }
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

# getopt parses every flag before --help returns: a bad flag or value fails here.
agent_accepts_args() {
	local args
	[ -n "${WATTLET:-}" ] || { echo "WATTLET not set"; return 1; }
	mapfile -t args < <(node "$tools/daemonset.js" spec NODE_NAME=node-a <"$tmp/base.yaml" |
		node -e 'for (const a of JSON.parse(require("fs").readFileSync(0)).args) console.log(a)')
	[ ${#args[@]} -gt 0 ] || return 1
	"$WATTLET" "${args[@]}" --help >/dev/null
}

if check "kubectl kustomize deploy/kubernetes renders (kubectl $(kubectl version --client 2>/dev/null | grep -o "v[0-9]*\.[0-9]*\.[0-9]*" | head -1))" renders; then
	check "schema: rendered base is valid, mistyped fields are caught" \
		node "$tools/check-manifests.js" --self-test "$tmp/base.yaml"
	check "DaemonSet meets issue 7" node "$tools/daemonset.js" check <"$tmp/base.yaml"
	check "the agent accepts the DaemonSet's args" agent_accepts_args
	if check "ServiceMonitor component renders on the base" component_renders; then
		check "schema: base + ServiceMonitor component" node "$tools/check-manifests.js" "$tmp/overlay.yaml"
		check "ServiceMonitor selects the Service's metrics port" monitor_matches_service
	fi
fi
finish
