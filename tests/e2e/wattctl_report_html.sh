#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# wattctl report -o html rendered in a real browser: Debian's headless Chromium, driven over
# the DevTools protocol (playwright-core, tests/deploy/check-report-html.js), on reports of
# the backfilled three-node cluster (report_lib.bash) by namespace and by team label. For each
# group of the same report's JSON: its table row with its figures, its area in the power
# chart, its bar as long as its carbon, one colour for all three; no console error, no
# request but the page, no web font. A page broken on purpose (a bar missing, an image from
# elsewhere, a script error) is shown to fail the check. The screenshots are kept in
# $OUTPUT/test-logs (build/test-logs) for people to look at.
set -uo pipefail
: "${WATTCTL:?set WATTCTL to the built wattctl}"
. tests/deploy/lib.sh	# apt_install, need_node_modules; then wattctl_lib's ok, fail, summary
. tests/e2e/wattctl_lib.bash
. tests/e2e/report_lib.bash
tmp=$(mktemp -d /tmp/wattctl-report-html.XXXXXX)
prom=
cleanup() {
	[ -n "$prom" ] && kill "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: no $CHROMIUM, and installing it needs root"; exit 77; }
	apt_install chromium || { echo "FAIL: could not install chromium"; exit 1; }
fi
need_node_modules || { echo "FAIL: could not install tests/deploy's node modules"; exit 1; }
SHOTS=${OUTPUT:-build}/test-logs
mkdir -p "$SHOTS"

report_prometheus || { echo "FAIL: no Prometheus with the fixture"; exit 1; }
R() { "$WATTCTL" --prometheus "$P" report --from "$FROM" --to "$TO" "$@"; }
for by in namespace label:team; do
	name=report_by_${by#label:}
	R --by "$by" -o html >"$tmp/$name.html" && R --by "$by" -o json >"$tmp/$name.json" ||
		{ fail "report --by $by"; continue; }
done
if out=$(node "$DEPLOY_TOOLS/check-report-html.js" "$SHOTS" "$tmp/report_by_namespace.html" \
	"$tmp/report_by_namespace.json" "$tmp/report_by_team.html" "$tmp/report_by_team.json" 2>&1); then
	ok "both reports in $($CHROMIUM --version 2>/dev/null): $(tail -1 <<<"$out")"
else
	fail "the reports in a browser:"
fi
sed 's/^/    /' <<<"$out"

# Broken on purpose: the checker must see each fault.
sed -e 's|<g class="bar" data-group="search"|<g class="gone" data-group="search"|' \
	-e 's|</main>|<img src="http://127.0.0.1:9/logo.png" alt=""><script>console.error("broken")</script></main>|' \
	"$tmp/report_by_namespace.html" >"$tmp/broken.html"
node "$DEPLOY_TOOLS/check-report-html.js" "$tmp" "$tmp/broken.html" \
	"$tmp/report_by_namespace.json" >"$tmp/broken.out" 2>&1
# (The blocked image may log its own console error too, before or after the script's.)
for want in "^FAIL: search: its bar" "^FAIL: no console errors: .*broken" \
	"^FAIL: no request but the page itself: http://127.0.0.1:9/logo.png"; do
	grep -qE "$want" "$tmp/broken.out" && ok "a broken page is caught: $(grep -m1 -E "$want" "$tmp/broken.out")" ||
		fail "a broken page went unnoticed: no '$want' in: $(grep FAIL "$tmp/broken.out")"
done
summary
