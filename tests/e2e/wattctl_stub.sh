#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# wattctl against a stand-in agent (wattctl_stub.py) whose answers and CPU
# rates the test chose: JSON equals the API's, tables match golden files with
# numbers masked, CPU cores match the stub's rates, -n/-A filter, and the
# error paths (unreachable, 500, invalid JSON, wrong shape, timeout, bad
# flags) exit 1 or 2 with one line naming the URL. Needs no root.
set -uo pipefail
: "${WATTCTL:?set WATTCTL to the built wattctl}"
. tests/e2e/wattctl_lib.bash
GOLD=tests/golden/wattctl
tmp=$(mktemp -d /tmp/wattctl-stub.XXXXXX)
stub=
cleanup() {
	[ -n "$stub" ] && kill "$stub" 2>/dev/null && wait "$stub" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM

python3 tests/e2e/wattctl_stub.py "$tmp/port" 0.5 &
stub=$!
wait_file "$tmp/port" 10 || { echo "stub did not start"; exit 1; }
S=http://127.0.0.1:$(cat "$tmp/port")
export WATTLET_SERVER=$S
W() { "$WATTCTL" "$@"; }

# --- -o json is the API's document ------------------------------------------------
# The stub publishes every 0.5 s: retry until two API reads around ours agree.
json_matches_api() { # what api-path wattctl-args...
	local what=$1 path=$2 i
	shift 2
	for i in 1 2 3 4 5 6; do
		curl -sf "$S$path" >"$tmp/api1" && W -o json "$@" >"$tmp/ours" &&
			curl -sf "$S$path" >"$tmp/api2" || { fail "$what: request failed"; return; }
		json_equal "$tmp/api1" "$tmp/api2" || continue
		if json_equal "$tmp/ours" "$tmp/api1"; then ok "$what: -o json equals GET $path"; else
			fail "$what: -o json differs from GET $path"; diff <(python3 -m json.tool "$tmp/api1") \
				<(python3 -m json.tool "$tmp/ours") | head -20
		fi
		return
	done
	fail "$what: the API never held still"
}
json_matches_api "top pods -A" /api/v1/pods top pods -A
json_matches_api "top pods -n shop" "/api/v1/pods?namespace=shop" top pods -n shop
json_matches_api "top pods (namespace default)" "/api/v1/pods?namespace=default" top pods
json_matches_api "top containers --pod" "/api/v1/containers?namespace=default&pod=web-0" \
	top containers --pod default/web-0
json_matches_api "top namespaces" /api/v1/namespaces top namespaces
json_matches_api "top processes" "/api/v1/processes?limit=2&sort=cpu" top processes --limit 2 --sort cpu
json_matches_api "node" /api/v1/node node
json_matches_api "get pod" /api/v1/pods/shop/cart-7f9c get pod shop/cart-7f9c

# --- tables: golden files with numbers masked ----------------------------------------
table_golden() { # golden-name wattctl-args...
	local name=$1
	shift
	if W "$@" >"$tmp/table" 2>"$tmp/err"; then
		mask_numbers <"$tmp/table" >"$tmp/masked"
		golden "$tmp/masked" "$GOLD/$name" "$*"
	else
		fail "$*: exit $?: $(cat "$tmp/err")"
	fi
}
table_golden stub_top_pods_all.txt top pods -A
table_golden stub_top_pods_default.txt top pods
table_golden stub_top_pods_wide.txt -o wide top pods -n shop
table_golden stub_top_containers.txt top containers
table_golden stub_top_namespaces.txt top namespaces --sort energy
table_golden stub_top_processes.txt top processes --pod default/web-0
table_golden stub_node.txt node
table_golden stub_get_pod.txt get pod default/web-0

# --- CPU cores as the stub publishes them ---------------------------------------------
# name -> cores: web-0 0.75, cart-7f9c 1.25, dns-1 0.05, idle-0 0 (tests/e2e/wattctl_stub.py),
# and web-0's terminated namesake 0: each pod shows its own, never its namesake's.
start=$(date +%s.%N)
W top pods -A >"$tmp/rates" 2>&1
took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
python3 -c "import sys; sys.exit($took > 0.4)" &&
	ok "top pods: one reading, no wait for a second snapshot (${took}s)" ||
	fail "top pods took ${took}s: it should read one answer"
python3 - "$tmp/rates" <<'EOF' && ok "CPU(cores) within 2% of the stub's rates, STATE shown for the terminated pod" || fail "CPU(cores) off: $(cat "$tmp/rates")"
import sys
want = {"web-0/running": 0.75, "cart-7f9c/running": 1.25, "dns-1/running": 0.05,
        "idle-0/running": 0.0, "web-0/terminated": 0.0}
lines = open(sys.argv[1]).read().splitlines()
assert lines[0].split()[-1] == "STATE", lines[0]
rows = [l.split() for l in lines[1:]]
got = {r[1] + "/" + r[-1]: float(r[2]) for r in rows}
bad = [(n, got.get(n), w) for n, w in want.items() if n not in got or abs(got[n] - w) > 0.02 * w + 1e-9]
print("rates:", got, "bad:", bad)
sys.exit(1 if bad or len(got) != len(want) else 0)
EOF
W get pod default/web-0 >"$tmp/pod"
cores=$(awk '/^CPU\(cores\):/ {print $2}' "$tmp/pod")
[ "$cores" = 0.750 ] && ok "get pod CPU $cores, as published" || fail "get pod CPU $cores, want 0.75"

# An agent that does not publish "cpu_cores": the rate is unknown, so "-", not a made-up 0.
W -s "$S/unrated" top pods -A >"$tmp/unrated" 2>&1
got=$(awk 'NR > 1 {printf "%s ", $3}' "$tmp/unrated")
[ "$got" = "- - - - - " ] && ok "no cpu_cores: CPU(cores) unknown (-)" || fail "no cpu_cores: $(cat "$tmp/unrated")"

# A GPU node: GPU_W shows each workload's GPU power (part of its POWER); -o wide adds GPU
# energy and time; the node lists its GPUs. Off GPU nodes the columns are absent (goldens above).
table_golden stub_gpu_top_pods_all.txt -s "$S/gpu" top pods -A
table_golden stub_gpu_top_pods_wide.txt -s "$S/gpu" -o wide top pods -n default
table_golden stub_gpu_node.txt -s "$S/gpu" node
got=$(W -s "$S/gpu" top pods -A | awk '$2 == "web-0" || $2 == "cart-7f9c" || $2 == "dns-1" {printf "%s=%s ", $2, $5}')
[ "$got" = "web-0=4.00W cart-7f9c=500mW dns-1=0W web-0=0W " ] && ok "GPU_W: $got" ||
	fail "GPU_W: got '$got'"

# --- -n and -A filter ----------------------------------------------------------------
names() { awk 'NR > 1 {print $1}' | sort | tr '\n' ' '; }
got=$(W top pods -n default | names)
[ "$got" = "idle-0 web-0 web-0 " ] && ok "-n default: $got" || fail "-n default gave '$got'"
got=$(W top pods -A | names)
[ "$got" = "default default default kube-system shop " ] && ok "-A: every namespace" || fail "-A gave '$got'"
got=$(W top pods -n nosuch)
[ "$got" = "No pods found in namespace nosuch." ] && ok "-n nosuch: none" || fail "-n nosuch gave '$got'"
got=$(W top containers -n shop | names)
[ "$got" = "cart-7f9c " ] && ok "top containers -n shop" || fail "top containers -n shop gave '$got'"
got=$(W top namespaces -n shop | names)
[ "$got" = "shop " ] && ok "top namespaces -n shop" || fail "top namespaces -n shop gave '$got'"
got=$(W top pods -A --sort cpu --limit 2 | awk 'NR > 1 {printf "%s ", $2}')
[ "$got" = "cart-7f9c web-0 " ] && ok "--sort cpu --limit 2" || fail "--sort cpu --limit 2 gave '$got'"

# --- no colours off a terminal; --watch -------------------------------------------
W top pods -A >"$tmp/plain"
grep -q $'\033' "$tmp/plain" && fail "escape codes in piped output" || ok "no escape codes when piped"
timeout -k 5 --preserve-status -s INT 3 "$WATTCTL" -o json --watch=0.5 top pods -A >"$tmp/watch"
rc=$?
n=$(wc -l <"$tmp/watch")
[ "$rc" = 0 ] && [ "$n" -ge 2 ] && python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/watch" &&
	ok "--watch -o json: $n JSON lines, exit 0 on SIGINT" || fail "--watch -o json: exit $rc, $n lines"
# Table frames off a terminal: a blank line apart, each with the rate the agent published.
timeout -k 5 --preserve-status -s INT 3.5 "$WATTCTL" --watch=1 top pods -A >"$tmp/frames"
python3 - "$tmp/frames" <<'EOF' && ok "--watch tables: every frame's web-0 at 0.75" || fail "--watch frames: $(cat "$tmp/frames")"
import sys
frames = [f for f in open(sys.argv[1]).read().split("\n\n") if f.strip()]
rates = [float(l.split()[2]) for f in frames for l in f.splitlines()
         if l.split()[1:2] == ["web-0"] and l.split()[-1] == "running"]
print(len(frames), "frames, web-0:", rates)
sys.exit(len(frames) < 2 or len(rates) != len(frames) or any(r != 0.75 for r in rates))
EOF
if command -v script >/dev/null; then
	timeout -s INT 2.5 script -qfec "$WATTCTL --watch=0.5 top pods -A" /dev/null >"$tmp/tty" 2>/dev/null
	homes=$(grep -o $'\033\\[H' "$tmp/tty" | wc -l)
	[ "$homes" -ge 2 ] && ok "--watch on a terminal redraws in place ($homes cursor homes)" ||
		fail "--watch on a terminal: $homes cursor homes"
fi

# --- report from the agent's API: one node since its agent started ----------------------
# Figures from one snapshot (the report asks again when one is published between its two
# requests): energy as the API has it, shares of the node's, average power over the time
# since the agent started, which for these pods is 3 W per core of the stub's rates.
report_matches_api() { # [SERVER]
	local i s=${1:-$S}
	for i in 1 2 3 4 5 6 7 8; do
		curl -sf "$s/api/v1/namespaces" >"$tmp/ns1" && curl -sf "$s/api/v1/node" >"$tmp/node1" &&
			W -s "$s" report -o json >"$tmp/report.json" && curl -sf "$s/api/v1/namespaces" >"$tmp/ns2" ||
			return 1
		python3 - "$tmp/ns1" "$tmp/node1" "$tmp/ns2" "$tmp/report.json" <<'PY' && return 0
import json, sys
ns1, node, ns2, r = (json.load(open(f)) for f in sys.argv[1:5])
if not (ns1["timestamp"] == node["timestamp"] == ns2["timestamp"] == r["period"]["to_unix"]):
    sys.exit(1)  # a snapshot was published meanwhile: again
PY
	done
	return 1
}
if report_matches_api; then
	python3 - "$tmp/ns1" "$tmp/node1" "$tmp/report.json" "$S" <<'PY' && ok "report: energy, shares, carbon and average power (3 W per core) from the API's snapshot" || fail "report: $(head -c 600 "$tmp/report.json")"
import json, sys
ns, node, r = (json.load(open(f)) for f in sys.argv[1:4])
close = lambda a, b, rel=1e-12: abs(a - b) <= rel * max(abs(b), 1e-300)
api = {i["name"]: i for i in ns["items"]}
node_j = node["node"]["energy_joules_total"]
secs = node["timestamp"] - node["agent"]["start_time"]
assert [g["name"] for g in r["groups"]] == ["shop", "default", "kube-system"], r["groups"]
assert r["source"] == {"kind": "agent", "url": sys.argv[4]}, r["source"]
assert close(r["period"]["seconds"], secs) and close(r["cluster"]["energy_kwh"], node_j / 3.6e6)
cores = {"shop": 1.25, "default": 0.75, "kube-system": 0.05}
for g in r["groups"]:
    a = api[g["name"]]
    assert close(g["energy_kwh"], a["energy_joules_total"] / 3.6e6), g
    assert close(g["share"], a["energy_joules_total"] / node_j, 1e-9), g
    assert close(g["carbon_grams"], a["carbon_grams_total"], 1e-9), g
    assert close(g["operational_carbon_grams"], a["carbon_grams_total"], 1e-9), g
    assert close(g["average_power_watts"], 3 * cores[g["name"]], 2e-3), g
    assert g["basis"] == "modelled" and g["measured_fraction"] == 0, g
    assert "trend" not in g and "previous_energy_kwh" not in g and "facility_energy_kwh" not in g, g
assert "series" not in r and "previous_period" not in r
assert "since its agent started" in r["notes"][0], r["notes"]
PY
else
	fail "report: no snapshot held still for the report and the API"
fi
# On a GPU node the report carries each namespace's GPU part of its energy, as the API has it.
if report_matches_api "$S/gpu"; then
	python3 - "$tmp/ns1" "$tmp/node1" "$tmp/report.json" <<'PY' && ok "report from a GPU node: each namespace's GPU kWh and the node's, as the API has them" || fail "report from a GPU node: $(head -c 600 "$tmp/report.json")"
import json, sys
ns, node, r = (json.load(open(f)) for f in sys.argv[1:4])
close = lambda a, b: a is not None and abs(a - b) <= 1e-12 * max(abs(b), 1e-300)
api = {i["name"]: i for i in ns["items"]}
assert any(a["gpu_energy_joules_total"] > 0 for a in api.values()), api
for g in r["groups"]:
    assert close(g.get("gpu_energy_kwh"), api[g["name"]]["gpu_energy_joules_total"] / 3.6e6), g
assert close(r["nodes"][0].get("gpu_energy_kwh"), node["node"]["gpu_energy_joules_total"] / 3.6e6)
assert close(r["total"].get("gpu_energy_kwh"), sum(g["gpu_energy_kwh"] for g in r["groups"]))
assert any(m.startswith("GPU energy, a part of energy") for m in r["method"]), r["method"]
PY
else
	fail "report from a GPU node: no snapshot held still for the report and the API"
fi
if W report >"$tmp/table" 2>"$tmp/err"; then
	sed -E "s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z/TIME/g; s/\([0-9]+[smhd]\)/(SPAN)/; s|$S|STUB|g" \
		"$tmp/table" | mask_numbers >"$tmp/masked"
	golden "$tmp/masked" "$GOLD/stub_report.txt" "report from the agent"
else
	fail "report: $(cat "$tmp/err")"
fi
W report --by pod -n default -o csv >"$tmp/csv" && awk -F, 'NR > 1 {printf "%s,%s ", $1, $2}' "$tmp/csv" >"$tmp/rows"
[ "$(cat "$tmp/rows")" = "group,default/web-0 group,default/idle-0 total, cluster, " ] &&
	ok "report --by pod -n default -o csv: web-0 and its terminated namesake as one pod, then idle-0" ||
	fail "report --by pod -n default: $(cat "$tmp/rows")"
W report -o html >"$tmp/report.html" && [ "$(grep -c '<tr data-group=' "$tmp/report.html")" = 3 ] &&
	grep -q "An agent's API keeps no history" "$tmp/report.html" &&
	ok "report -o html from the agent: three rows, and why there is no power chart" || fail "report -o html from the agent"
expect_rc 1 "report from an agent whose answer is not a document" -- W -s "$S/noitems" report
one_line_with "$tmp/err" "report, wrong shape: one line" "$S/noitems: the agent's answer lacks node, items, agent.start_time or timestamp"
expect_rc 1 "report from an agent answering 500" -- W -s "$S/status500" report
one_line_with "$tmp/err" "report, 500: one line" "$S/status500/api/v1/node" "HTTP 500"
expect_rc 1 "report of a namespace the agent does not have" -- W report -n nosuch
one_line_with "$tmp/err" "report -n nosuch: one line" "$S: no namespaces with energy in namespace nosuch"

# --- error paths ---------------------------------------------------------------------
dead=http://127.0.0.1:$(closed_port)
expect_rc 1 "unreachable server" -- W -s "$dead" top pods
one_line_with "$tmp/err" "unreachable: one line naming the URL" "$dead/api/v1/pods"
expect_rc 1 "unreachable server, -o json" -- W -o json -s "$dead" node
one_line_with "$tmp/out" "unreachable, -o json: {\"error\"} naming the URL" '{"error":' "$dead/api/v1/node"
expect_rc 1 "HTTP 500" -- W -s "$S/status500" top pods -A
one_line_with "$tmp/err" "500: one line with the URL and the server's error" "$S/status500/api/v1/pods" "HTTP 500" "collector is sad"
expect_rc 1 "invalid JSON" -- W -s "$S/garbage" top namespaces
one_line_with "$tmp/err" "invalid JSON: one line naming the URL" "$S/garbage/api/v1/namespaces" "invalid JSON"
expect_rc 1 "JSON of the wrong shape" -- W -s "$S/noitems" -o json top pods -A
one_line_with "$tmp/out" "wrong shape: {\"error\"} naming the URL" '{"error":' "$S/noitems/api/v1/pods"
expect_rc 1 "404 for a pod that is not there" -- W get pod default/nosuch
one_line_with "$tmp/err" "404: one line" "HTTP 404" "/api/v1/pods/default/nosuch"
start=$(date +%s.%N)
expect_rc 1 "--timeout 0.5 against a server that stalls" -- W --timeout 0.5 -s "$S/slow" node
took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
python3 -c "import sys; sys.exit($took > 5)" && ok "--timeout 0.5 honoured (${took}s; the stub stalls 30 s)" || fail "--timeout 0.5 took ${took}s"

# --- usage errors: exit 2 ----------------------------------------------------------------
for args in "top pods --bogus" "top pods -n a -A" "top containers -n a --pod b/c" "top pods --sort heat" "top pods --limit 0" \
	"-o yaml node" "node -n x" "top pods --pod a" "top gadgets" "get pod" "get pod a/b/c" \
	"--watch=-1 node" "--prometheus ftp://x top pods" "--prometheus http://x top processes" \
	"--window 5 --prometheus http://x top pods" "--server localhost node" "" "top pods extra"; do
	# shellcheck disable=SC2086
	expect_rc 2 "usage error: wattctl $args" -- W $args
	[ -s "$tmp/err" ] || fail "usage error '$args' printed nothing on stderr"
done
expect_rc 2 "usage error in JSON mode" -- W -o json top pods --limit x
one_line_with "$tmp/out" "usage error in JSON mode is {\"error\"}" '{"error":' "--limit x"
expect_rc 0 "--help" -- W --help
grep -q "wattctl top pods" "$tmp/out" && ok "--help lists commands" || fail "--help: $(cat "$tmp/out")"
expect_rc 0 "top pods --help" -- W top pods --help
grep -q "^Usage: wattctl top pods" "$tmp/out" && ok "per-command help" || fail "top pods --help: $(cat "$tmp/out")"
expect_rc 0 "help top" -- W help top

summary
