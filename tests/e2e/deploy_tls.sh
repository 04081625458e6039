#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The secured deployment, end to end with the real agent: docs/install.md's password steps
# and overlay are rendered (kubectl stubbed where it would need a cluster); the agent runs
# with the web config from the rendered Secret and a certificate made the way the
# cert-manager component asks for it (its dnsNames, an ECDSA key; files named as
# cert-manager writes them), with only the Secret mount prefix moved to this test's
# directory. Then: probes the way the kubelet sends them (scheme from the DaemonSet, no
# credentials, no verification) answer 200; a real Prometheus, configured from the rendered
# ServiceMonitor's scheme, tlsConfig (CA key, serverName) and basicAuth (the docs' Secret),
# scrapes the agent; the docs' scrape config does the same; a wrong password is refused; a
# renewed certificate is served without a restart, and SIGHUP reloads.
set -uo pipefail
: "${WATTLET:?set WATTLET to the built wattlet}"
. tests/deploy/lib.sh
need_root "the agent (BPF)"
. tests/e2e/tls_lib.bash
need_kubectl || { echo "FAIL: no kubectl"; exit 1; }
need_node_modules || { echo "FAIL: no node modules"; exit 1; }

tmp=$(mktemp -d /tmp/wattlet-deploy-tls.XXXXXX)
agent= prom=
cleanup() {
	local p
	for p in $prom $agent; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

docs_block() { # the block after the marker in docs/install.md that contains $1
	awk -v marker="$1" 'index($0, "<!-- tested:") && index($0, marker) { want = 1; next }
		want && /^```/ && !inside { inside = 1; next }
		inside && /^```/ { exit }
		inside { print }' docs/install.md
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The overlay, from the docs' own steps.
mkdir -p "$tmp/site/my-wattlet"
docs_block "runs this with kubectl stubbed" >"$tmp/site/steps.sh"
(cd "$tmp/site" && kubectl() { :; } && . ./steps.sh && printf '%s' "$PASSWORD" >password) ||
	{ echo "FAIL: the docs' password steps"; exit 1; }
rel=$(realpath --relative-to="$tmp/site/my-wattlet" deploy/kubernetes)
docs_block "renders this secured overlay" | sed "s|\.\./wattlet/deploy/kubernetes|$rel|" \
	>"$tmp/site/my-wattlet/kustomization.yaml"
kubectl kustomize "$tmp/site/my-wattlet" >"$tmp/rendered.yaml" || { echo "FAIL: render"; exit 1; }

# What the manifests say, read with a YAML parser.
node -e '
const Y = require("yaml"), fs = require("fs");
const docs = Y.parseAllDocuments(fs.readFileSync(process.argv[1], "utf8")).map((d) => d.toJS()).filter(Boolean);
const ds = docs.find((d) => d.kind === "DaemonSet"), c = ds.spec.template.spec.containers[0];
const vols = Object.fromEntries(ds.spec.template.spec.volumes.map((v) => [v.name, v]));
const sm = docs.find((d) => d.kind === "ServiceMonitor").spec.endpoints[0];
const crt = docs.find((d) => d.kind === "Certificate").spec;
const tlsMount = c.volumeMounts.find((m) => vols[m.name].secret && vols[m.name].secret.secretName === crt.secretName);
const out = {
	web: c.args.find((a) => a.startsWith("--web-config-file=")).split("=")[1],
	tlsMount: tlsMount.mountPath,
	liveness: c.livenessProbe.httpGet.scheme + " " + c.livenessProbe.httpGet.path,
	readiness: c.readinessProbe.httpGet.scheme + " " + c.readinessProbe.httpGet.path,
	smScheme: sm.scheme, smCaKey: sm.tlsConfig.ca.secret.key, smServerName: sm.tlsConfig.serverName,
	smUser: sm.basicAuth.username.key, dns: crt.dnsNames.join(","), key: crt.privateKey.algorithm,
};
for (const [k, v] of Object.entries(out)) console.log(`${k}=${JSON.stringify(v)}`);' "$tmp/rendered.yaml" >"$tmp/facts" ||
	{ echo "FAIL: reading the manifests"; exit 1; }
cat "$tmp/facts"
. "$tmp/facts"
[ "$key" = ECDSA ] || { echo "FAIL: this test makes ECDSA keys, the Certificate asks for $key"; exit 1; }

# cert-manager's Secret: tls.crt, tls.key, ca.crt, for the Certificate's dnsNames.
C=$tmp/certs
make_certs "$C" || { echo "FAIL: certificates"; exit 1; }
san=$(printf 'DNS:%s,' ${dns//,/ })
tls_leaf "$C" issued 0x3001 "${san%,}" serverAuth && tls_leaf "$C" renewed 0x3002 "${san%,}" serverAuth ||
	{ echo "FAIL: the Certificate's certificates"; exit 1; }
mkdir -p "$tmp/secret"
cp "$C/issued.crt" "$tmp/secret/tls.crt" && cp "$C/issued.key" "$tmp/secret/tls.key" && cp "$C/ca.crt" "$tmp/secret/ca.crt"

# The web config from the rendered Secret, its Secret mount moved here.
node tests/deploy/secured.js web-config <"$tmp/rendered.yaml" | sed "s|$tlsMount/|$tmp/secret/|g" >"$tmp/web.yml"
grep -q "$tmp/secret/tls.crt" "$tmp/web.yml" || { echo "FAIL: the web config does not name $tlsMount/tls.crt"; exit 1; }

PORT=$(free_port)
"$WATTLET" --listen "127.0.0.1:$PORT" --output none --interval 1 --node-name deploy-tls \
	--web-config-file "$tmp/web.yml" >"$tmp/agent.log" 2>&1 &
agent=$!

probe() { # "SCHEME PATH": as the kubelet probes, with no credentials and no verification
	local scheme=${1%% *} path=${1#* }
	curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "${scheme,,}://127.0.0.1:$PORT$path"
}
for _ in $(seq 100); do [ "$(probe "$readiness")" = 200 ] && break; sleep 0.2; done
check "readiness probe ($readiness) answers 200 without credentials" test "$(probe "$readiness")" = 200
check "liveness probe ($liveness) answers 200 without credentials" test "$(probe "$liveness")" = 200

PW=$(cat "$tmp/site/password")
scrape() { # PASSWORD: /metrics as the ServiceMonitor asks
	curl -s -o "$tmp/metrics" -w '%{http_code}' --max-time 5 --cacert "$tmp/secret/$smCaKey" \
		--resolve "$smServerName:$PORT:127.0.0.1" -u "prometheus:$1" "$smScheme://$smServerName:$PORT/metrics"
}
code=$(scrape "$PW")
check "ServiceMonitor's scheme, CA, serverName and password: HTTP $code" test "$code" = 200
check "... with the agent's series" grep -q '^wattlet_node_cpu_seconds_total{' "$tmp/metrics"
code=$(scrape "not-$PW")
check "a wrong password: HTTP $code" test "$code" = 401

# A real Prometheus: the ServiceMonitor's endpoint, and docs/install.md's TLS scrape config.
mkdir -p "$tmp/prom/wattlet-tls" "$tmp/prom/wattlet-scrape-auth"
cp "$tmp/secret/ca.crt" "$tmp/prom/wattlet-tls/ca.crt"
printf '%s' "$PW" >"$tmp/prom/wattlet-scrape-auth/password"
awk '/<!-- tested: .*promtool check config/ { n++ } n == 3 && /^```yaml/ { inside = 1; next }
	inside && /^```/ { exit } inside { print }' docs/install.md >"$tmp/docs-scrape.yml"
grep -q 'scheme: https' "$tmp/docs-scrape.yml" || { echo "FAIL: no TLS scrape config in docs/install.md"; exit 1; }
node -e '
const Y = require("yaml"), fs = require("fs");
const [docsFile, promDir, port, scheme, serverName, caKey] = process.argv.slice(1);
const docs = Y.parse(fs.readFileSync(docsFile, "utf8")).scrape_configs[0];
// The docs: Kubernetes discovery becomes the one target; the mounted Secrets live here.
delete docs.kubernetes_sd_configs;
delete docs.relabel_configs;
docs.job_name = "docs";
docs.static_configs = [{ targets: [`127.0.0.1:${port}`] }];
docs.tls_config.ca_file = docs.tls_config.ca_file.replace("/etc/prometheus", promDir);
docs.basic_auth.password_file = docs.basic_auth.password_file.replace("/etc/prometheus", promDir);
const sm = { job_name: "servicemonitor", scheme, honor_labels: true,
	tls_config: { ca_file: `${promDir}/wattlet-tls/${caKey}`, server_name: serverName },
	basic_auth: { username: "prometheus", password_file: `${promDir}/wattlet-scrape-auth/password` },
	static_configs: [{ targets: [`127.0.0.1:${port}`] }] };
console.log(Y.stringify({ global: { scrape_interval: "1s" }, scrape_configs: [sm, docs] }));' \
	"$tmp/docs-scrape.yml" "$tmp/prom" "$PORT" "$smScheme" "$smServerName" "$smCaKey" >"$tmp/prometheus.yml"
check "promtool accepts the Prometheus config" promtool check config "$tmp/prometheus.yml"
PPORT=$(free_port)
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$tmp/prom.log" 2>&1 &
prom=$!
up() { # JOB
	curl -s -m 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=up{job=\"$1\"}" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
}
for _ in $(seq 60); do [ "$(up servicemonitor)" = 1 ] && [ "$(up docs)" = 1 ] && break; sleep 0.5; done
check "Prometheus scrapes as the ServiceMonitor says (up=$(up servicemonitor))" test "$(up servicemonitor)" = 1
check "Prometheus scrapes with docs/install.md's config (up=$(up docs))" test "$(up docs)" = 1

# cert-manager renews: the Secret's files change; no restart.
check "serves the issued certificate" test "$(served_serial "$PORT" "$C/ca.crt")" = 3001
cp "$C/renewed.key" "$tmp/secret/tls.key.new" && cp "$C/renewed.crt" "$tmp/secret/tls.crt.new" &&
	mv "$tmp/secret/tls.key.new" "$tmp/secret/tls.key" && mv "$tmp/secret/tls.crt.new" "$tmp/secret/tls.crt"
for _ in $(seq 50); do [ "$(served_serial "$PORT" "$C/ca.crt")" = 3002 ] && break; sleep 0.1; done
check "serves the renewed certificate, same process" test "$(served_serial "$PORT" "$C/ca.crt")" = 3002
before=$(grep -c '^wattlet: reloaded' "$tmp/agent.log")
kill -HUP "$agent"
for _ in $(seq 30); do [ "$(grep -c '^wattlet: reloaded' "$tmp/agent.log")" -gt "$before" ] && break; sleep 0.1; done
check "SIGHUP reloads: $(grep '^wattlet: reloaded' "$tmp/agent.log" | tail -1)" \
	test "$(grep -c '^wattlet: reloaded' "$tmp/agent.log")" -gt "$before"
check "the agent is still running" kill -0 "$agent"
code=$(scrape "$PW")
check "scraped after the reloads: HTTP $code" test "$code" = 200
finish
