#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# "An operator's existing file works unchanged", checked against the exporter toolkit
# itself: Debian's prometheus-node-exporter (exporter-toolkit 0.8.2) and wattlet's server
# are given the same web config files. Each file both must accept or both refuse (wattlet
# with exit 2 for content, 1 for files), except where wattlet is stricter by design (listed);
# and for each accepted one, curl without and with credentials, with the CA's client
# certificate and with a self-signed one, gets the same answer from both (000: no handshake).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/http_lib.bash
. tests/e2e/tls_lib.bash

NE=$(command -v prometheus-node-exporter || command -v node_exporter) ||
	fail "no prometheus-node-exporter (tools/packages.txt lists it)"
C=$HTTP_TMP/certs
make_certs "$C" || fail "cannot make certificates"
HASH=$(htpasswd -nbBC 10 alice 'right horse' | cut -d: -f2)
fixture_build

tls='tls_server_config:
  cert_file: server.crt
  key_file: server.key'
declare -A CASE WANT
n=0
add() { # WANT(accept|2|1|stricter) YAML
	n=$((n + 1))
	WANT[$n]=$1
	CASE[$n]=$2
}
add accept "$tls"
add accept "$tls
basic_auth_users:
  alice: '$HASH'"
add accept "$tls
http_server_config:
  http2: false
  headers:
    X-Frame-Options: sameorigin
    Strict-Transport-Security: max-age=600
basic_auth_users:
  alice: '$HASH'"
add accept "$tls
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt"
add accept "$tls
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: ca.crt
basic_auth_users:
  alice: '$HASH'"
add accept "$tls
  client_auth_type: RequireAnyClientCert"
add accept "$tls
  client_auth_type: RequestClientCert"
add accept "$tls
  min_version: TLS12
  max_version: TLS13
  prefer_server_cipher_suites: false
  cipher_suites:
    - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
    - TLS_AES_128_GCM_SHA256
    - TLS_AES_256_GCM_SHA384
    - TLS_CHACHA20_POLY1305_SHA256
  curve_preferences: [X25519, CurveP256]"
add accept ""
add accept "basic_auth_users:
  alice: '$HASH'"
add accept "$tls
  min_version: TLS10"
add 2 "$tls
  cert_fil: x"
add 1 "tls_server_config:
  cert_file: missing.crt
  key_file: server.key"
add 2 "tls_server_config:
  cert_file: server.crt
  key_file: server2.key"
add 2 "basic_auth_users:
  alice: not-a-hash"
add 2 "http_server_config:
  headers:
    X-Frame-Options: allowall"
add 2 "http_server_config:
  headers:
    Server: wattlet"
add 2 "$tls
  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]"
add 2 "$tls
  client_ca_file: ca.crt"
add 2 "$tls
  client_auth_type: RequireAllClientCerts"
add 2 "$tls
  min_version: TLS14"
add stricter "$tls
  max_version: TLS11"
add stricter "$tls
  client_auth_type: RequireAndVerifyClientCert"

# start_ne FILE: node_exporter on a free port; its verdict (serving, or exited) in NE_OK.
start_ne() {
	NE_PORT=$(free_port)
	"$NE" --web.listen-address="127.0.0.1:$NE_PORT" --web.config.file="$1" \
		--collector.disable-defaults --collector.time >"$HTTP_TMP/ne.log" 2>&1 &
	NE_PID=$!
	HTTP_PIDS+=("$NE_PID")
	NE_OK=0
	for _ in $(seq 50); do
		kill -0 "$NE_PID" 2>/dev/null || return 0
		if (exec 3<>"/dev/tcp/127.0.0.1/$NE_PORT") 2>/dev/null; then
			sleep 0.2
			kill -0 "$NE_PID" 2>/dev/null && NE_OK=1
			return 0
		fi
		sleep 0.1
	done
}

# start_wl FILE: the server with FILE; WL_RC 0 when serving, else its exit status.
start_wl() {
	rm -f "$HTTP_TMP/wl.out" # the shell truncates it in the background: no stale port to read
	"$HTTP_TMP/http-fixture" 5 --listen 127.0.0.1:0 --web-config-file "$1" \
		>"$HTTP_TMP/wl.out" 2>"$HTTP_TMP/wl.err" &
	WL_PID=$!
	HTTP_PIDS+=("$WL_PID")
	WL_RC=
	for _ in $(seq 50); do
		WL_PORT=$(awk '/^listening/ {print $2}' "$HTTP_TMP/wl.out" 2>/dev/null)
		[ -n "$WL_PORT" ] && { WL_RC=0; return 0; }
		if ! kill -0 "$WL_PID" 2>/dev/null; then
			wait "$WL_PID"
			WL_RC=$?
			return 0
		fi
		sleep 0.1
	done
}

stop() { kill "$@" 2>/dev/null; for p in "$@"; do timeout 5 tail --pid="$p" -f /dev/null; done; }

# answers SCHEME PORT: the status of /metrics for each client, one line.
answers() {
	local u="$1://localhost:$2/metrics" a=()
	a+=("$(curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$C/ca.crt" "$u")")
	a+=("$(curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$C/ca.crt" -u 'alice:right horse' "$u")")
	a+=("$(curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$C/ca.crt" -u 'alice:wrong' "$u")")
	a+=("$(curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key" -u 'alice:right horse' "$u")")
	a+=("$(curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$C/ca.crt" --cert "$C/rogue.crt" --key "$C/rogue.key" -u 'alice:right horse' "$u")")
	echo "${a[*]}"
}

bad=0
for i in $(seq "$n"); do
	printf '%s\n' "${CASE[$i]}" >"$C/case$i.yml"
	start_ne "$C/case$i.yml"
	start_wl "$C/case$i.yml"
	want=${WANT[$i]}
	first=$(printf '%s' "${CASE[$i]}" | grep -v '^tls_server_config:$\|cert_file: server.crt\|key_file: server.key' | head -1)
	[ -n "$first" ] || first="(TLS only)"
	[ -n "${CASE[$i]}" ] || first="(empty file)"
	case $want in
	accept)
		if [ "$NE_OK" != 1 ] || [ "$WL_RC" != 0 ]; then
			echo "FAIL case $i ($first): node_exporter serving=$NE_OK, wattlet rc=$WL_RC: $(cat "$HTTP_TMP/wl.err" "$HTTP_TMP/ne.log" | tail -3)"
			bad=$((bad + 1))
		else
			scheme=http
			grep -q '^tls_server_config' "$C/case$i.yml" && scheme=https
			ne=$(answers "$scheme" "$NE_PORT") wl=$(answers "$scheme" "$WL_PORT")
			if [ "$ne" = "$wl" ]; then
				echo "ok   case $i ($first): both serve; answers $wl"
			else
				echo "FAIL case $i ($first): node_exporter answers $ne, wattlet $wl"
				bad=$((bad + 1))
			fi
		fi
		;;
	stricter) # docs/api.md says why; the agent refuses as a usage error
		agent_rc=$(timeout 10 "$WATTLET" --web-config-file "$C/case$i.yml" --listen none --duration 0.1 \
			--output none 2>"$HTTP_TMP/agent.err" >/dev/null; echo $?)
		if [ "$NE_OK" = 1 ] && [ "$WL_RC" != 0 ] && [ "$agent_rc" = 2 ]; then
			echo "ok   case $i ($first): node_exporter serves, wattlet refuses by design: $(cat "$HTTP_TMP/agent.err")"
		else
			echo "FAIL case $i ($first): node_exporter serving=$NE_OK, server rc=$WL_RC, agent rc=$agent_rc"
			bad=$((bad + 1))
		fi
		;;
	*)
		# The fixture exits 1 for any start failure; the agent checks the file before it
		# loads anything (no root needed) and exits 2 or 1 with one line.
		agent_rc=$(timeout 10 "$WATTLET" --web-config-file "$C/case$i.yml" --listen none --duration 0.1 \
			--output none 2>"$HTTP_TMP/agent.err" >/dev/null; echo $?)
		if [ "$NE_OK" = 0 ] && [ "$WL_RC" != 0 ] && [ "$agent_rc" = "$want" ] &&
			[ "$(wc -l <"$HTTP_TMP/agent.err")" = 1 ]; then
			echo "ok   case $i ($first): both refuse; the agent exits $agent_rc: $(cat "$HTTP_TMP/agent.err")"
		else
			echo "FAIL case $i ($first): node_exporter serving=$NE_OK, server rc=$WL_RC, agent rc=$agent_rc (want $want): $(head -2 "$HTTP_TMP/agent.err")"
			bad=$((bad + 1))
		fi
		;;
	esac
	stop "$NE_PID" "$WL_PID"
done
[ "$bad" = 0 ] || fail "$bad of $n web configs handled unlike node_exporter"
echo "PASS ($n web configs)"
