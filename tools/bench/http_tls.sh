#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# TLS benchmark: three servers (tools/bench/http-fixture, 1,000 synthetic pods republished
# every 2 s) side by side: plain HTTP, TLS, and TLS + basic auth (bcrypt cost 12), measured in
# interleaved rounds (tools/bench/http-tls-bench.py): /metrics p50/p99, requests/s on 32
# kept-alive connections (wrk), CPU per request and at one scrape a second, new TLS
# handshakes per second (openssl s_time). Then the same web config on Debian's
# node_exporter (the exporter toolkit's own server) as a peer. As root, also the real
# agent's CPU, plain and with TLS + basic auth, scraped once a second.
#   tools/bench/http_tls.sh [OUTPUT dir with libwattlet.a and wattlet, default build] [rounds]
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-build}
ROUNDS=${2:-3}
TMP=$(mktemp -d /tmp/wattlet-tls-bench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
. tests/e2e/tls_lib.bash
C=$TMP/certs
make_certs "$C"
export BENCH_PASSWORD=bench-password
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$C/tls.yml"
{ cat "$C/tls.yml"; printf 'basic_auth_users:\n  prometheus: %s\n' \
	"$(htpasswd -nbBC 12 prometheus "$BENCH_PASSWORD" | cut -d: -f2)"; } >"$C/auth.yml"

# shellcheck disable=SC2046
cc -O2 -Iuser -Ibpf tools/bench/http-fixture.c "$OUT/libwattlet.a" \
	$(pkg-config --libs libbpf jansson libmicrohttpd zlib yaml-0.1 gnutls nettle libcrypt) -lelf -lm -lpthread \
	-o "$TMP/fixture"
start_fixture() { # NAME [args]: sets PORT, PID
	"$TMP/fixture" 1000 --listen 127.0.0.1:0 --interval 2 --node-name bench "${@:2}" >"$TMP/$1.out" &
	PID=$!
	PIDS+=("$PID")
	for _ in $(seq 100); do
		PORT=$(awk '/^listening/ {print $2}' "$TMP/$1.out")
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	echo "fixture $1 did not start"
	exit 1
}
start_fixture plain
PLAIN="plain HTTP=http:$PORT:$PID:-"
PLAIN_PORT=$PORT
start_fixture tls --web-config-file "$C/tls.yml"
TLS="TLS=https:$PORT:$PID:-"
start_fixture auth --web-config-file "$C/auth.yml"
AUTH="TLS + basic auth=https:$PORT:$PID:prometheus:$BENCH_PASSWORD"

PEER=()
NE=$(command -v prometheus-node-exporter || command -v node_exporter || true)
if [ -n "$NE" ]; then
	NPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$NE" --web.listen-address="127.0.0.1:$NPORT" --web.config.file="$C/auth.yml" \
		--collector.disable-defaults --collector.time >"$TMP/ne.log" 2>&1 &
	PIDS+=($!)
	PEER=(--peer "node_exporter $("$NE" --version 2>&1 | awk 'NR == 1 {print $3}')=$NPORT:$!:/")
	sleep 1
fi

echo "$(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; $ROUNDS rounds"
echo "1,000 pods: /metrics is $(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PLAIN_PORT/metrics") bytes of text, $(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PLAIN_PORT/metrics") gzipped; republished every 2 s"
echo
/usr/bin/python3 tools/bench/http-tls-bench.py "$C/ca.crt" "$ROUNDS" "$PLAIN" "$TLS" "$AUTH" "${PEER[@]}"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
PIDS=()

if [ "$(id -u)" = 0 ] && [ -x "$OUT/wattlet" ]; then
	agents=()
	first_port=
	for mode in plain auth; do
		port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		extra=()
		[ "$mode" = auth ] && extra=(--web-config-file "$C/auth.yml")
		[ -n "$first_port" ] || first_port=$port
		"$OUT/wattlet" --listen "127.0.0.1:$port" --interval 2 --output none "${extra[@]}" 2>"$TMP/agent-$mode.err" &
		PIDS+=($!)
		if [ "$mode" = auth ]; then
			agents+=("agent, TLS + basic auth=https:$port:$!:prometheus:$BENCH_PASSWORD")
		else
			agents+=("agent, plain HTTP=http:$port:$!:-")
		fi
	done
	for _ in $(seq 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$first_port/readyz" && break
		sleep 0.2
	done
	sleep 3
	echo
	echo "Both agents run at once, each measured alone in turn (the other idles between its scrapes):"
	/usr/bin/python3 tools/bench/http-tls-bench.py "$C/ca.crt" "$ROUNDS" "${agents[@]}" --cpu-only
fi
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
