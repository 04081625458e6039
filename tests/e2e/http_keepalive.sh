#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Keep-alive, counted where it cannot be faked: in a network namespace of its own, the
# kernel's count of accepted TCP connections (PassiveOpens in /proc/net/snmp) must grow by
# one for many requests on one connection (curl, Python's http.client, which would
# reconnect silently), and by exactly 33 for wrk's 32 keep-alive connections from one
# address (wrk first connects once to check the address, and closes), with 0 errors and
# every answer a 200. Plain HTTP and TLS.
set -u
cd "$(dirname "$0")/../.."
if [ -z "${IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a network namespace)"; exit 77; }
	exec unshare -n env IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up || { echo "FAIL: no loopback in the new network namespace"; exit 1; }
. tests/e2e/http_lib.bash
. tests/e2e/tls_lib.bash

accepted() {
	awk '$1 == "Tcp:" && !h { for (i = 2; i <= NF; i++) if ($i == "PassiveOpens") c = i; h = 1; next }
		$1 == "Tcp:" && h { print $c; exit }' /proc/net/snmp
}

# connections CMD...: runs CMD, prints how many connections the kernel accepted meanwhile.
connections() {
	local a
	a=$(accepted)
	"$@" >"$HTTP_TMP/cmd.out" 2>&1 || { cat "$HTTP_TMP/cmd.out"; fail "$1 failed"; }
	echo $(($(accepted) - a))
}

many_curl() { # SCHEME PORT [curl args]: 20 requests in one curl
	local scheme=$1 port=$2 urls=() i
	shift 2
	for i in $(seq 20); do urls+=("$scheme://localhost:$port/api/v1/node" -o /dev/null); done
	curl -sf "$@" "${urls[@]}"
}

python_client() { # SCHEME PORT CA: 100 requests through one http.client connection
	$PY - "$@" <<'EOF'
import http.client, ssl, sys
scheme, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if scheme == "https":
    c = http.client.HTTPSConnection("localhost", port, context=ssl.create_default_context(cafile=ca))
else:
    c = http.client.HTTPConnection("localhost", port)
for _ in range(100):
    c.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
EOF
}

# URL: 32 keep-alive connections for 5 s, gzip as Prometheus asks; prints wrk's report. A
# 10 s timeout: on a loaded shared machine an answer can take over wrk's default 2 s, which
# wrk would count among its socket errors.
wrk_32() {
	wrk -t 2 -c 32 -d 5s --timeout 10s --latency -H 'Accept-Encoding: gzip' "$1"
}

wrk_clean() { # the report of wrk_32: requests done, no socket errors, no non-2xx
	grep -q 'Socket errors' "$HTTP_TMP/cmd.out" && fail "wrk: $(grep 'Socket errors' "$HTTP_TMP/cmd.out")"
	grep -q 'Non-2xx' "$HTTP_TMP/cmd.out" && fail "wrk: $(grep 'Non-2xx' "$HTTP_TMP/cmd.out")"
	grep -q 'Requests/sec' "$HTTP_TMP/cmd.out" || fail "wrk: no report: $(cat "$HTTP_TMP/cmd.out")"
}

check_count() { # WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: the kernel accepted $2 connections, want $3"
	echo "$1: $2 accepted connection(s)"
}

C=$HTTP_TMP/certs
make_certs "$C" || fail "cannot make certificates"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$C/web.yml"

fixture_start 100 --interval 0.5
check_count "plain: curl, 20 requests" "$(connections many_curl http "$PORT")" 1
check_count "plain: Python http.client, 100 requests" "$(connections python_client http "$PORT" -)" 1
n=$(connections wrk_32 "http://127.0.0.1:$PORT/metrics")
wrk_clean
check_count "plain: wrk, 32 connections from one address, $(awk '/Requests\/sec/ {print $2}' "$HTTP_TMP/cmd.out") requests/s, 0 errors" "$n" 33

fixture_start 100 --interval 0.5 --web-config-file "$C/web.yml"
check_count "TLS: curl, 20 requests" "$(connections many_curl https "$PORT" --cacert "$C/ca.crt")" 1
check_count "TLS: Python http.client, 100 requests" "$(connections python_client https "$PORT" "$C/ca.crt")" 1
n=$(connections wrk_32 "https://127.0.0.1:$PORT/metrics")
wrk_clean
check_count "TLS: wrk, 32 connections from one address, $(awk '/Requests\/sec/ {print $2}' "$HTTP_TMP/cmd.out") requests/s, 0 errors" "$n" 33
echo PASS
