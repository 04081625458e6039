#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# /metrics in both formats passes promtool, and OpenMetrics also passes a
# strict OpenMetrics parser; both carry the same samples; Content-Type
# follows Accept.
#
# promtool 2.42 parses only text 0.0.4: on OpenMetrics it reads a counter
# family "foo" (TYPE without _total, as OpenMetrics requires) apart from its
# "foo_total" samples and says "foo_total no help text". That finding, and
# only for counters the document declares with HELP and TYPE, is expected.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/http_lib.bash

OM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

fixture_start 300 --interval 30 --process-metrics top:25
URL=http://127.0.0.1:$PORT/metrics

curl -sf -D "$HTTP_TMP/text.h" -o "$HTTP_TMP/text" "$URL" || fail "GET /metrics"
curl -sf -D "$HTTP_TMP/om.h" -H "Accept: $OM_ACCEPT" -o "$HTTP_TMP/om" "$URL" || fail "GET /metrics (OpenMetrics)"
grep -qi '^content-type: text/plain; version=0.0.4' "$HTTP_TMP/text.h" || fail "text content type: $(grep -i content-type "$HTTP_TMP/text.h")"
grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$HTTP_TMP/om.h" || fail "OpenMetrics content type: $(grep -i content-type "$HTTP_TMP/om.h")"

out=$(promtool check metrics <"$HTTP_TMP/text" 2>&1) || fail "promtool on text 0.0.4: $out"
[ -z "$out" ] || fail "promtool on text 0.0.4 reported: $out"
echo "promtool text 0.0.4: clean ($(grep -vc '^#' "$HTTP_TMP/text") samples)"

out=$(promtool check metrics <"$HTTP_TMP/om" 2>&1)
unexpected=$(printf '%s\n' "$out" | while read -r name rest; do
	[ -n "$name" ] || continue
	fam=${name%_total}
	if [ "$rest" = "no help text" ] && [ "$fam" != "$name" ] &&
		grep -q "^# TYPE $fam counter$" "$HTTP_TMP/om" && grep -q "^# HELP $fam " "$HTTP_TMP/om"; then
		continue
	fi
	echo "$name $rest"
done)
[ -z "$unexpected" ] || fail "promtool on OpenMetrics reported: $unexpected"
echo "promtool OpenMetrics: only the expected counter-family notes ($(printf '%s\n' "$out" | grep -c .))"

$PY - "$HTTP_TMP/text" "$HTTP_TMP/om" <<'EOF' || fail "parsers disagree or reject the output"
import sys
from prometheus_client.parser import text_string_to_metric_families as text_parse
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse

def samples(families):
    out = {}
    for f in families:
        for s in f.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in out:
                sys.exit("duplicate series %s" % (key,))
            out[key] = s.value
    return out

text = samples(text_parse(open(sys.argv[1]).read()))
om = samples(om_parse(open(sys.argv[2]).read()))  # strict: raises on any violation
if text != om:
    diff = set(text.items()) ^ set(om.items())
    sys.exit("text and OpenMetrics differ in %d samples, e.g. %s" % (len(diff), sorted(diff)[:3]))
need = ["wattlet_pod_cpu_seconds_total", "wattlet_pod_energy_joules_total", "wattlet_pod_power_watts",
        "wattlet_container_cpu_seconds_total", "wattlet_namespace_cpu_seconds_total",
        "wattlet_node_energy_joules_total", "wattlet_node_power_watts", "wattlet_node_cpu_seconds_total",
        "wattlet_build_info", "wattlet_collection_duration_seconds_bucket", "wattlet_bpf_overflow_drops_total",
        "wattlet_meter_read_errors_total", "wattlet_tracked_processes", "wattlet_tracked_cgroups",
        "wattlet_last_collection_timestamp_seconds", "wattlet_process_cpu_seconds_total"]
names = {k[0] for k in text}
missing = [n for n in need if n not in names]
if missing:
    sys.exit("missing series: %s" % missing)
pods = [k for k in text if k[0] == "wattlet_pod_cpu_seconds_total"]
procs = [k for k in text if k[0] == "wattlet_process_cpu_seconds_total"]
if len(pods) != 300 or len(procs) != 25:
    sys.exit("want 300 pods and 25 processes, got %d and %d" % (len(pods), len(procs)))
bad = [k for k in text if ("node", "e2e-node") not in k[1]]
if bad:
    sys.exit("series without node label: %s" % bad[:3])
print("strict OpenMetrics parse: %d samples, same as text 0.0.4" % len(om))
EOF
serves || fail "agent stopped serving"
echo "PASS"
