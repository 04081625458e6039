# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The report tests' Prometheus: two days of a three-node cluster whose truth is known
# (report_fixture.py), backfilled with promtool tsdb create-blocks-from openmetrics, served on
# loopback. Sourced (not *.sh, so the runner skips it) after wattctl_lib.bash, with $tmp set.
# shellcheck shell=bash

# report_prometheus: sets P (the URL), FROM and TO (the day the truth is for), TRUTH (its file).
report_prometheus() {
	local end port i
	command -v promtool >/dev/null || { echo "promtool not installed (tools/packages.txt has prometheus)"; return 1; }
	# Two whole hours ago, so that no sample is newer than now.
	end=$((($(date +%s) / 3600 - 2) * 3600))
	python3 tests/e2e/report_fixture.py "$tmp/fixture" "$end" || return 1
	promtool tsdb create-blocks-from openmetrics "$tmp/fixture/data.om" "$tmp/prom-data" \
		>"$tmp/backfill.log" 2>&1 || { cat "$tmp/backfill.log"; return 1; }
	port=$(closed_port)
	P=http://127.0.0.1:$port
	echo 'global: { scrape_interval: 60s }' >"$tmp/prometheus.yml"
	prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom-data" \
		--storage.tsdb.retention.time=3650d --web.listen-address="127.0.0.1:$port" \
		>"$tmp/prom.log" 2>&1 &
	prom=$!
	for i in $(seq 1 100); do
		curl -sf "$P/-/ready" >/dev/null && break
		sleep 0.2
	done
	curl -sf "$P/-/ready" >/dev/null || { echo "Prometheus did not get ready"; tail -5 "$tmp/prom.log"; return 1; }
	TRUTH=$tmp/fixture/truth.json
	FROM=$((end - 86400))
	TO=$end
}
