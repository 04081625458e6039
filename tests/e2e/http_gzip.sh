#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# gzip round trip: /metrics with Accept-Encoding: gzip is a gzip stream
# (checked by gzip(1), not by zlib as the server uses it) whose content is
# byte for byte the plain body, in both formats and for the JSON API; no
# gzip when not accepted.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/http_lib.bash

fixture_start 1000 --interval 60 --process-metrics top:50
URL=http://127.0.0.1:$PORT/metrics
OM='Accept: application/openmetrics-text; version=1.0.0'

get() { # name curl-args...
	local name=$1
	shift
	curl -sf -D "$HTTP_TMP/$name.h" -o "$HTTP_TMP/$name" "$@" "$URL" || fail "GET $name"
}

get plain
get plain_gz -H 'Accept-Encoding: gzip'
get om -H "$OM"
get om_gz -H "$OM" -H 'Accept-Encoding: deflate, gzip;q=0.8'
get refused -H 'Accept-Encoding: gzip;q=0, identity'

for v in plain_gz om_gz; do
	grep -qi '^content-encoding: gzip' "$HTTP_TMP/$v.h" || fail "$v: no Content-Encoding: gzip"
	grep -qi '^vary: .*accept-encoding' "$HTTP_TMP/$v.h" || fail "$v: no Vary: Accept-Encoding"
	gzip -t "$HTTP_TMP/$v" || fail "$v: not a valid gzip stream"
done
for v in plain om refused; do
	grep -qi '^content-encoding' "$HTTP_TMP/$v.h" && fail "$v: encoded although gzip was not accepted"
done
gzip -dc "$HTTP_TMP/plain_gz" | cmp - "$HTTP_TMP/plain" || fail "text: gunzipped body differs from the plain one"
gzip -dc "$HTTP_TMP/om_gz" | cmp - "$HTTP_TMP/om" || fail "OpenMetrics: gunzipped body differs from the plain one"
cmp -s "$HTTP_TMP/refused" "$HTTP_TMP/plain" || fail "gzip;q=0 body differs from plain"
[ "$(tail -c 6 "$HTTP_TMP/om")" = "# EOF" ] || fail "OpenMetrics body does not end with # EOF"

# curl's own decoder agrees too.
curl -sf --compressed "$URL" | cmp - "$HTTP_TMP/plain" || fail "curl --compressed differs"

# The JSON API too: the cached pod list and a filtered one.
for u in /api/v1/pods '/api/v1/pods?namespace=ns-3'; do
	curl -sf -o "$HTTP_TMP/api" "http://127.0.0.1:$PORT$u" || fail "GET $u"
	curl -sf -D "$HTTP_TMP/api_gz.h" -o "$HTTP_TMP/api_gz" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT$u" || fail "GET $u gzip"
	grep -qi '^content-encoding: gzip' "$HTTP_TMP/api_gz.h" || fail "$u: not gzipped"
	gzip -dc "$HTTP_TMP/api_gz" | cmp - "$HTTP_TMP/api" || fail "$u: gunzipped body differs"
done

p=$(stat -c %s "$HTTP_TMP/plain") g=$(stat -c %s "$HTTP_TMP/plain_gz")
echo "text: $p bytes plain, $g gzip ($((100 * g / p))%)"
[ "$g" -lt $((p / 4)) ] || fail "gzip saves less than 75% ($g of $p)"
serves || fail "stopped serving"
echo "PASS"
