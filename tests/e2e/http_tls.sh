#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The server with --web-config-file (TLS and basic auth), judged by other programs:
# curl (no, wrong and right credentials; probes open), a real Prometheus scraping over TLS
# with CA verification and basic auth (and failing with a wrong password or another CA),
# openssl s_client (TLS 1.0/1.1 refused, where openssl s_server shows the client can speak
# them; 1.2 and 1.3 served), plain HTTP to the TLS port (no metrics, no crash), mutual TLS
# (no client certificate, a self-signed one and an impostor refused; the CA's served), the
# web config's headers, and keep-alive over TLS. Certificates come from openssl now.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/http_lib.bash
. tests/e2e/tls_lib.bash

C=$HTTP_TMP/certs
make_certs "$C" || fail "cannot make certificates"
printf 'right horse\n' >"$C/password"
printf 'wrong horse\n' >"$C/wrong-password"
cat >"$C/web.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
http_server_config:
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
basic_auth_users:
  alice: '$(htpasswd -nbBC 10 alice 'right horse' | cut -d: -f2)'
EOF
fixture_start 50 --interval 0.5 --web-config-file "$C/web.yml"
P=$PORT
U=https://localhost:$P

code() { # curl args...: the HTTP status, 000 when there was none
	curl -s -o /dev/null -w '%{http_code}' -m 5 "$@"
}

# --- curl: probes open, everything else behind basic auth ---------------------------------
[ "$(code --cacert "$C/ca.crt" "$U/healthz")" = 200 ] || fail "/healthz without credentials"
[ "$(code --cacert "$C/ca.crt" "$U/readyz")" = 200 ] || fail "/readyz without credentials"
curl -s -D "$HTTP_TMP/h401" -o "$HTTP_TMP/b401" --cacert "$C/ca.crt" "$U/metrics"
head -1 "$HTTP_TMP/h401" | grep -q '^HTTP/1.1 401' || fail "/metrics without credentials: $(head -1 "$HTTP_TMP/h401")"
grep -qi '^WWW-Authenticate: Basic realm="wattlet"' "$HTTP_TMP/h401" || fail "401 without WWW-Authenticate: Basic"
grep -qi '^X-Frame-Options: deny' "$HTTP_TMP/h401" || fail "the web config's header is missing on the 401"
grep -q wattlet_ "$HTTP_TMP/b401" && fail "a 401 carried metrics"
[ "$(code --cacert "$C/ca.crt" "$U/api/v1/node")" = 401 ] || fail "/api/v1/node without credentials"
[ "$(code --cacert "$C/ca.crt" -u 'alice:wrong horse' "$U/metrics")" = 401 ] || fail "wrong password not 401"
[ "$(code --cacert "$C/ca.crt" -u 'mallory:right horse' "$U/metrics")" = 401 ] || fail "unknown user not 401"
curl -s -D "$HTTP_TMP/h200" -o "$HTTP_TMP/b200" --cacert "$C/ca.crt" -u 'alice:right horse' "$U/metrics"
head -1 "$HTTP_TMP/h200" | grep -q '^HTTP/1.1 200' || fail "right password: $(head -1 "$HTTP_TMP/h200")"
grep -q '^wattlet_pod_cpu_seconds_total{' "$HTTP_TMP/b200" || fail "no pod series with the right password"
grep -qi '^X-Frame-Options: deny' "$HTTP_TMP/h200" || fail "the web config's header is missing on the 200"
[ "$(grep -ci '^X-Content-Type-Options: nosniff' "$HTTP_TMP/h200")" = 1 ] ||
	fail "X-Content-Type-Options, ours and the web config's, not sent once: $(grep -i '^X-Content' "$HTTP_TMP/h200")"
echo "curl: probes 200 without credentials; 401 (WWW-Authenticate: Basic) without, with a wrong password, an unknown user; 200 with the right one"

# --- keep-alive over TLS: one connection for five requests ------------------------------
conns=$(curl -s --cacert "$C/ca.crt" -u 'alice:right horse' -o /dev/null -o /dev/null -o /dev/null \
	-o /dev/null -o /dev/null -w '%{num_connects}' "$U/metrics" "$U/healthz" "$U/api/v1/node" \
	"$U/metrics" "$U/api/v1/pods")
[ "$conns" = 10000 ] || fail "five requests over TLS made connections $conns (want 1,0,0,0,0)"
echo "keep-alive over TLS: five requests, one connection"

# --- plain HTTP to the TLS port -----------------------------------------------------------
out=$(curl -s -m 5 "http://127.0.0.1:$P/metrics" 2>&1)
rc=$?
[ $rc != 0 ] || fail "plain HTTP to the TLS port succeeded"
grep -q wattlet_ <<<"$out" && fail "plain HTTP got metrics"
out=$(printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 5 $PY -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=4)
s.sendall(sys.stdin.buffer.read())
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
except OSError:
    pass
sys.stdout.write(repr(data[:200]))' "$P")
grep -q wattlet_ <<<"$out" && fail "raw plain HTTP got metrics: $out"
kill -0 "$FIXTURE_PID" || fail "the server died on plain HTTP"
[ "$(code --cacert "$C/ca.crt" "$U/healthz")" = 200 ] || fail "not serving after plain HTTP"
echo "plain HTTP to the TLS port: curl exit $rc, raw reply ${out:0:60}; still serving"

# --- TLS versions: openssl s_client -----------------------------------------------------
# SECLEVEL=0 lets OpenSSL 3 offer TLS 1.0/1.1 at all; s_server shows that it then does.
handshake() { # PORT s_client-args...: 0 when a session was established
	local port=$1
	shift
	timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost -CAfile "$C/ca.crt" \
		"$@" </dev/null >"$HTTP_TMP/s_client.out" 2>&1
	grep -q 'Verify return code: 0 (ok)' "$HTTP_TMP/s_client.out" &&
		! grep -q 'Cipher is (NONE)' "$HTTP_TMP/s_client.out"
}
OPORT=$(free_port)
openssl s_server -accept "127.0.0.1:$OPORT" -cert "$C/server.crt" -key "$C/server.key" -tls1_1 \
	-cipher 'DEFAULT:@SECLEVEL=0' -www -quiet >/dev/null 2>&1 &
HTTP_PIDS+=($!)
for _ in $(seq 50); do handshake "$OPORT" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' && break; sleep 0.1; done
handshake "$OPORT" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' ||
	fail "control: openssl s_client cannot speak TLS 1.1 to openssl s_server: $(tail -3 "$HTTP_TMP/s_client.out")"
for v in tls1 tls1_1; do
	handshake "$P" "-$v" -cipher 'DEFAULT:@SECLEVEL=0' && fail "the server accepted $v"
	grep -q 'alert protocol version\|unsupported protocol\|no protocols available' "$HTTP_TMP/s_client.out" ||
		echo "note: $v refused as: $(grep -m1 -i 'error\|alert' "$HTTP_TMP/s_client.out")"
done
handshake "$P" -tls1_2 || fail "TLS 1.2 refused: $(tail -3 "$HTTP_TMP/s_client.out")"
handshake "$P" -tls1_3 || fail "TLS 1.3 refused: $(tail -3 "$HTTP_TMP/s_client.out")"
[ "$(served_serial "$P" "$C/ca.crt")" = 1001 ] || fail "served serial $(served_serial "$P" "$C/ca.crt")"
kill -0 "$FIXTURE_PID" || fail "the server died on old TLS versions"
echo "openssl s_client: TLS 1.0 and 1.1 refused (openssl s_server accepts the same TLS 1.1 client); 1.2 and 1.3 served"

# --- a real Prometheus: CA-verified TLS and basic auth ----------------------------------
PPORT=$(free_port)
cat >"$HTTP_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: secured
    scheme: https
    tls_config: { ca_file: $C/ca.crt, server_name: localhost }
    basic_auth: { username: alice, password_file: $C/password }
    static_configs: [ { targets: ['127.0.0.1:$P'] } ]
  - job_name: wrong-password
    scheme: https
    tls_config: { ca_file: $C/ca.crt, server_name: localhost }
    basic_auth: { username: alice, password_file: $C/wrong-password }
    static_configs: [ { targets: ['127.0.0.1:$P'] } ]
  - job_name: other-ca
    scheme: https
    tls_config: { ca_file: $C/other-ca.crt, server_name: localhost }
    basic_auth: { username: alice, password_file: $C/password }
    static_configs: [ { targets: ['127.0.0.1:$P'] } ]
EOF
promtool check config "$HTTP_TMP/prometheus.yml" >/dev/null || fail "promtool rejects the scrape config"
prometheus --config.file="$HTTP_TMP/prometheus.yml" --storage.tsdb.path="$HTTP_TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$HTTP_TMP/prom.log" 2>&1 &
HTTP_PIDS+=($!)
query() {
	curl -s -m 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		$PY -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
}
target_error() { # JOB
	curl -s -m 5 "http://127.0.0.1:$PPORT/api/v1/targets" | $PY -c '
import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    if t["labels"]["job"] == sys.argv[1]:
        print(t["lastError"])' "$1"
}
for _ in $(seq 60); do
	[ "$(query 'up{job="secured"}')" = 1 ] && [ -n "$(query 'up{job="other-ca"}')" ] &&
		[ -n "$(query 'up{job="wrong-password"}')" ] && break
	sleep 0.5
done
[ "$(query 'up{job="secured"}')" = 1 ] || fail "Prometheus cannot scrape over TLS: $(target_error secured)"
[ "$(query 'count(wattlet_pod_cpu_seconds_total{job="secured",node="e2e-node"})')" = 50 ] ||
	fail "Prometheus has $(query 'count(wattlet_pod_cpu_seconds_total{job="secured"})') pods, want 50"
[ "$(query 'up{job="wrong-password"}')" = 0 ] || fail "a wrong password scraped"
target_error wrong-password | grep -q 401 || fail "wrong password: $(target_error wrong-password)"
[ "$(query 'up{job="other-ca"}')" = 0 ] || fail "a server not from the configured CA was trusted"
target_error other-ca | grep -qi 'x509\|certificate' || fail "other CA: $(target_error other-ca)"
echo "Prometheus: scrapes 50 pods over TLS with basic auth; wrong password: $(target_error wrong-password); other CA: $(target_error other-ca | cut -c1-80)"

# --- mutual TLS -----------------------------------------------------------------------------
cat >"$C/mtls.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
EOF
fixture_start 10 --interval 0.5 --web-config-file "$C/mtls.yml"
M=https://localhost:$PORT
[ "$(code --cacert "$C/ca.crt" "$M/metrics")" = 000 ] || fail "mTLS: served without a client certificate"
[ "$(code --cacert "$C/ca.crt" --cert "$C/rogue.crt" --key "$C/rogue.key" "$M/metrics")" = 000 ] ||
	fail "mTLS: served a self-signed client certificate"
[ "$(code --cacert "$C/ca.crt" --cert "$C/impostor.crt" --key "$C/impostor.key" "$M/metrics")" = 000 ] ||
	fail "mTLS: served a certificate signed under the CA's name by another key"
[ "$(code --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key" "$M/metrics")" = 200 ] ||
	fail "mTLS: the CA's client certificate refused"
[ "$(code --cacert "$C/ca.crt" "$M/healthz")" = 000 ] || fail "mTLS: probes need the certificate too"
kill -0 "$FIXTURE_PID" || fail "the mTLS server died"
echo "mutual TLS: no certificate, a self-signed one and an impostor refused in the handshake; the CA's: 200"
echo PASS
