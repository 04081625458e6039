#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# /metrics in both formats passes promtool, and OpenMetrics also passes a
# strict OpenMetrics parser; both carry the same samples; Content-Type
# follows Accept. (exposition_check in tests/e2e/http_lib.bash; it is run
# on the real agent's output by http_prometheus.sh too.)
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/http_lib.bash

fixture_start 300 --interval 30 --process-metrics top:25
exposition_check 300 300 25
serves || fail "agent stopped serving"
echo "PASS"
