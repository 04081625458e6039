#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# wattctl --prometheus report against a real Prometheus holding two days of a three-node
# cluster (report_fixture.py, backfilled with promtool): per namespace, pod and team label,
# the kWh, facility kWh, operational, embodied and total grams, shares, average power, trend
# and measured/modelled basis equal the truth the fixture computed from the powers it chose
# (to 1e-9), across an agent restart, a pod that started in the period, a node that joined in
# it, a pod kube-state-metrics does not know and a node that attributes idle energy; power over
# time integrates to the energy; the table matches a golden file; the CSV holds the same
# figures; a period with nothing before it has no trend. Every error path is one line, exit 1
# for the environment and 2 for usage. Needs no root.
set -uo pipefail
: "${WATTCTL:?set WATTCTL to the built wattctl}"
. tests/e2e/wattctl_lib.bash
. tests/e2e/report_lib.bash
GOLD=tests/golden/wattctl
tmp=$(mktemp -d /tmp/wattctl-report.XXXXXX)
prom=
cleanup() {
	[ -n "$prom" ] && kill "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM

report_prometheus || { echo "FAIL: no Prometheus with the fixture"; exit 1; }
ok "Prometheus holds the backfilled fixture ($(grep -c . "$tmp/fixture/data.om") lines of OpenMetrics)"
R() { "$WATTCTL" --prometheus "$P" report --from "$FROM" --to "$TO" "$@"; }

# compare BY JSON: every group's figures equal the truth.
compare() {
	python3 - "$TRUTH" "$1" "$2" <<'EOF'
import json, sys
truth, by, report = json.load(open(sys.argv[1])), sys.argv[2], json.load(open(sys.argv[3]))
want, got = truth["groups"][by], {g["name"]: g for g in report["groups"]}
bad = []
if sorted(want) != sorted(got):
    bad.append("groups %s, want %s" % (sorted(got), sorted(want)))
for name, w in want.items():
    g = got.get(name, {})
    for k, v in w.items():
        x = g.get(k)
        if v is None or isinstance(v, str):
            if x != v:
                bad.append("%s %s = %r, want %r" % (name, k, x, v))
        elif x is None or abs(x - v) > 1e-9 * max(1.0, abs(v)):
            bad.append("%s %s = %r, want %r" % (name, k, x, v))
print("%d groups x %d figures; %s" % (len(want), len(next(iter(want.values()))),
      "; ".join(bad[:6]) or "all equal"))
sys.exit(1 if bad else 0)
EOF
}

for by in namespace pod label:team; do
	if ! R --by "$by" -o json >"$tmp/$by.json" 2>"$tmp/err"; then
		fail "report --by $by: $(cat "$tmp/err")"
	elif out=$(compare "$by" "$tmp/$by.json"); then
		ok "report --by $by: every figure equals the truth: $out"
	else
		fail "report --by $by: $out"
	fi
done

python3 - "$TRUTH" "$tmp/namespace.json" <<'EOF' && ok "cluster energy and GPU energy, and each node's basis, model row, GPU energy, PUE, grid intensity and embodied carbon, equal the truth" || fail "cluster or nodes differ from the truth"
import json, sys
truth, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
close = lambda a, b: a is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))
assert close(r["cluster"]["energy_kwh"], truth["cluster_energy_kwh"]), r["cluster"]
assert close(r["cluster"].get("gpu_energy_kwh"), truth["cluster_gpu_energy_kwh"]), r["cluster"]
nodes = {n["name"]: n for n in r["nodes"]}
assert sorted(nodes) == sorted(truth["nodes"]), nodes
for name, want in truth["nodes"].items():
    for k, v in want.items():
        got = nodes[name].get(k)
        assert got == v if isinstance(v, (str, type(None))) else close(got, v), (name, k, got, v)
print(nodes)
EOF

python3 - "$tmp/namespace.json" <<'EOF' && ok "power over time (rate on a 15 min grid) integrates to each group's energy" || fail "power over time does not add up"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["series"]
assert s["step_seconds"] == 900 and s["start_unix"] == r["period"]["from_unix"] + 900, s
for g in r["groups"]:
    w = s["watts"][g["name"]]
    assert len(w) == 96, len(w)
    kwh = sum(x or 0 for x in w) * s["step_seconds"] / 3.6e6
    assert abs(kwh - g["energy_kwh"]) <= 1e-9 * g["energy_kwh"], (g["name"], kwh, g["energy_kwh"])
    print(g["name"], kwh, g["energy_kwh"])
EOF

python3 - "$tmp/namespace.json" <<'EOF' && ok "the groups' total is their sum; shares are of the cluster" || fail "totals or shares do not add up"
import json, sys
r = json.load(open(sys.argv[1]))
t, c, gs = r["total"], r["cluster"], r["groups"]
for k in ("energy_kwh", "facility_energy_kwh", "carbon_grams", "share", "previous_energy_kwh"):
    assert abs(sum(g[k] for g in gs) - t[k]) <= 1e-9 * abs(t[k]), k
assert abs(t["share"] - t["energy_kwh"] / c["energy_kwh"]) < 1e-12 and c["share"] == 1.0
EOF

python3 - "$tmp/namespace.json" "$(date -u -d "@$((TO - 12 * 3600))" +%FT%TZ)" <<'EOF' && ok "a node that joined 12 hours into the period is named in a note" || fail "no note of node-c's late start"
import json, sys
notes = json.load(open(sys.argv[1]))["notes"]
want = "Prometheus has node node-c's series only from %s, 12h into the period." % sys.argv[2]
print(notes)
sys.exit(want not in notes)
EOF

# Two hours from the fixture's start: the period before holds no data, so no trend.
"$WATTCTL" --prometheus "$P" report --from "$((TO - 49 * 3600))" --to "$((TO - 47 * 3600))" -o json \
	>"$tmp/early.json" 2>"$tmp/err" && python3 - "$tmp/early.json" <<'EOF' && ok "no data in the period before: no trend, and a note says why" || fail "no period before: $(cat "$tmp/err") $(head -c 400 "$tmp/early.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert "previous_period" not in r and all("trend" not in g and "previous_energy_kwh" not in g
                                          for g in r["groups"] + [r["total"]]), r
assert any(n.startswith("Prometheus has no wattlet series from the period before") for n in r["notes"]), r["notes"]
assert sorted(n["name"] for n in r["nodes"]) == ["node-a", "node-b"], r["nodes"]
EOF

R -n shop -o json >"$tmp/shop.json" && python3 - "$tmp/shop.json" "$tmp/namespace.json" <<'EOF' && ok "-n shop: only shop, with the same share of the cluster" || fail "-n shop"
import json, sys
one, all_ = (json.load(open(f)) for f in sys.argv[1:3])
assert [g["name"] for g in one["groups"]] == ["shop"] and one["namespace"] == "shop", one["groups"]
shop = [g for g in all_["groups"] if g["name"] == "shop"][0]
assert one["groups"][0] == shop, (one["groups"][0], shop)
EOF

# The table: a golden file, with the dates and the URL the run chose as words.
normalise() {
	sed -e "s|$P|PROMETHEUS|g" -e "s|$(date -u -d "@$FROM" +%FT%TZ)|FROM|g" \
		-e "s|$(date -u -d "@$TO" +%FT%TZ)|TO|g" -e "s|$(date -u -d "@$((FROM - 86400))" +%FT%TZ)|BEFORE|g" \
		-e "s|$(date -u -d "@$((TO - 12 * 3600))" +%FT%TZ)|TO-12h|g"
}
R >"$tmp/table" 2>"$tmp/err" || fail "report table: $(cat "$tmp/err")"
normalise <"$tmp/table" >"$tmp/table.norm"
golden "$tmp/table.norm" "$GOLD/report_prom_namespace.txt" "report table by namespace"
R --by label:team >"$tmp/table" 2>"$tmp/err" || fail "report table --by label:team: $(cat "$tmp/err")"
normalise <"$tmp/table" >"$tmp/table.norm"
golden "$tmp/table.norm" "$GOLD/report_prom_team.txt" "report table by team label"

R --by pod -o csv >"$tmp/pod.csv" && python3 - "$TRUTH" "$tmp/pod.csv" <<'EOF' && ok "-o csv: a row per pod, then total and cluster, figures equal the truth" || fail "-o csv: $(head -3 "$tmp/pod.csv")"
import csv, json, sys
truth = json.load(open(sys.argv[1]))["groups"]["pod"]
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
assert [r["kind"] for r in rows] == ["group"] * len(truth) + ["total", "cluster"], rows
for r in rows[:-2]:
    w = truth[r["name"]]
    for k in ("energy_kwh", "facility_energy_kwh", "carbon_grams", "share", "measured_fraction"):
        assert abs(float(r[k]) - w[k]) <= 1e-9 * max(1.0, abs(w[k])), (r["name"], k, r[k], w[k])
    assert r["basis"] == w["basis"] and (r["trend"] == "") == (w["trend"] is None), r
EOF

R -o html >"$tmp/report.html" && head -c 15 "$tmp/report.html" | grep -q '<!DOCTYPE html>' &&
	ok "-o html writes a page (tests/e2e/wattctl_report_html.sh opens it in a browser)" ||
	fail "-o html"

# --- errors: one line each, exit 1 for the environment, 2 for usage -------------------
dead=http://127.0.0.1:$(closed_port)
expect_rc 1 "Prometheus unreachable" -- "$WATTCTL" --prometheus "$dead" report
one_line_with "$tmp/err" "unreachable: one line naming the endpoint" "$dead/api/v1/query" "query:"
expect_rc 1 "Prometheus unreachable, -o json" -- "$WATTCTL" --prometheus "$dead" -o json report
one_line_with "$tmp/out" "unreachable in JSON mode is {\"error\"}" '{"error":' "$dead/api/v1/query"
expect_rc 1 "no data in range" -- "$WATTCTL" --prometheus "$P" report --from 2020-01-01 --to 2020-01-02
one_line_with "$tmp/err" "no data: one line naming the period" \
	"wattctl: Prometheus at $P has no wattlet series between 2020-01-01T00:00:00Z and 2020-01-02T00:00:00Z"
expect_rc 1 "no such namespace" -- R -n nosuch
one_line_with "$tmp/err" "no such namespace: one line" "no wattlet namespace energy in namespace nosuch between"
expect_rc 1 "--by a label no pod has" -- R --by label:owner
one_line_with "$tmp/err" "missing label: one line saying how kube-state-metrics exports it" \
	"no pod in kube_pod_labels has label owner (label_owner)" "--metric-labels-allowlist=pods=[owner]"
expect_rc 1 "--by label before kube-state-metrics ran" -- "$WATTCTL" --prometheus "$P" report \
	--by label:team --from "$((TO - 48 * 3600))" --to "$((TO - 36 * 3600))"
one_line_with "$tmp/err" "no kube_pod_labels: one line" "has no kube_pod_labels between" \
	"needs kube-state-metrics"

# usage: the first line says what is wrong; nothing on stdout.
usage() { # description expected-first-line wattctl-args...
	local what=$1 want=$2
	shift 2
	expect_rc 2 "$what" -- "$WATTCTL" "$@"
	if [ "$(head -1 "$tmp/err")" = "wattctl: $want" ] && [ ! -s "$tmp/out" ]; then
		ok "$what: '$want'"
	else
		fail "$what: stderr '$(head -1 "$tmp/err")', want 'wattctl: $want'; stdout $(wc -c <"$tmp/out") bytes"
	fi
}
usage "bad --since" "--since 30x: want a duration such as 30d, 12h or 90m" --prometheus "$P" report --since 30x
usage "bad --from" "--from yesterday: want a time such as 2026-11-01, 2026-11-01T08:00Z or unix seconds" \
	--prometheus "$P" report --from yesterday
usage "--since with --from" "--since and --from exclude each other" --prometheus "$P" report --since 1d --from 2026-11-01
usage "--to in the future" "--to 2999-01-01: is in the future" --prometheus "$P" report --to 2999-01-01
usage "--from after --to" "--from must come before --to" --prometheus "$P" report --from 2026-11-02 --to 2026-11-01
usage "bad --by" "--by team: want namespace, pod or label:KEY" --prometheus "$P" report --by team
usage "a period without --prometheus" \
	"report: --since, --from and --to need --prometheus; an agent reports the time since it started" \
	-s "$dead" report --since 7d
usage "--by label without --prometheus" \
	"report: --by label:team needs --prometheus (pod labels come from kube-state-metrics)" \
	-s "$dead" report --by label:team
usage "-o html for another command" "-o html is for report only" -s "$dead" -o html top pods
usage "--since for another command" "'top pods' does not take --since/--from/--to" -s "$dead" top pods --since 1d
summary
