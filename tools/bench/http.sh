#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# HTTP benchmark: 1,000 synthetic pods (2 containers, 3 processes each)
# republished every 2 s by tools/bench/http-fixture, served by the real
# server. Prints p50/p99 of /metrics and /api/v1/pods, body sizes and the
# server's CPU under a 1 s scrape; exits 1 if a p99 exceeds 10 ms. As root,
# also the real agent's CPU (this node's workloads) unscraped and scraped.
#   tools/bench/http.sh [OUTPUT dir with libwattlet.a and wattlet, default build] [seconds]
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-build}
SECS=${2:-20}
TMP=$(mktemp -d /tmp/wattlet-http-bench.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# shellcheck disable=SC2046
cc -O2 -Iuser -Ibpf tools/bench/http-fixture.c "$OUT/libwattlet.a" \
	$(pkg-config --libs libbpf jansson libmicrohttpd zlib yaml-0.1 gnutls nettle libcrypt) -lelf -lm -lpthread -o "$TMP/fixture"
"$TMP/fixture" 1000 --listen 127.0.0.1:0 --interval 2 --node-name bench >"$TMP/out" &
PID=$!
for _ in $(seq 50); do
	PORT=$(awk '/^listening/ {print $2}' "$TMP/out")
	[ -n "$PORT" ] && break
	sleep 0.1
done
[ -n "$PORT" ] || { echo "fixture did not start"; exit 1; }
echo "1,000 pods, document republished every 2 s; $(nproc) CPUs; $(uname -r)"
echo
rc=0
/usr/bin/python3 tools/bench/http-bench.py "$PORT" "$PID" --seconds "$SECS" || rc=1
kill "$PID"
wait "$PID" 2>/dev/null
PID=

if [ "$(id -u)" = 0 ] && [ -x "$OUT/wattlet" ]; then
	PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$OUT/wattlet" --listen "127.0.0.1:$PORT" --interval 2 --output none 2>"$TMP/agent.err" &
	PID=$!
	for _ in $(seq 50); do
		curl -sf -o /dev/null "127.0.0.1:$PORT/readyz" && break
		sleep 0.2
	done
	echo
	/usr/bin/python3 tools/bench/http-bench.py "$PORT" "$PID" --seconds "$SECS" --cpu-only || rc=1
fi
exit $rc
