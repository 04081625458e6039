#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Reloading without a restart, while a scrape loop (Python's ssl, verifying the CA and the
# name, a new connection each time plus one kept alive) runs throughout and must see no
# error: the certificate swapped the way the kubelet updates a Secret volume (..data
# symlink renamed), a change the watcher cannot see picked up at SIGHUP, a broken
# certificate (the old one kept, one line logged, once), the fix, and a changed password.
# Each step is checked by the serial of the certificate openssl s_client is served.
# The fixture's publishing loop must stay on time throughout (collection never pauses).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/http_lib.bash
. tests/e2e/tls_lib.bash

C=$HTTP_TMP/certs V=$HTTP_TMP/secret
make_certs "$C" || fail "cannot make certificates"
# The Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..v1 (serial 1001).
secret_version() { # NAME CERT: a new ..NAME directory holding CERT.crt/.key and the CA
	mkdir -p "$V/..$1" && cp "$C/$2.crt" "$V/..$1/tls.crt" && cp "$C/$2.key" "$V/..$1/tls.key" &&
		cp "$C/ca.crt" "$V/..$1/ca.crt"
}
secret_swap() { # NAME: what the kubelet does, an atomic rename of ..data
	ln -s "..$1" "$V/..data_tmp" && mv -T "$V/..data_tmp" "$V/..data"
}
mkdir -p "$V" && secret_version v1 server && ln -s ..v1 "$V/..data" &&
	ln -s ..data/tls.crt "$V/tls.crt" && ln -s ..data/tls.key "$V/tls.key" || fail "secret volume"
# The key through a chain of links whose middle directory nobody watches: only SIGHUP (or
# the 5 s stat) sees it change.
mkdir -p "$HTTP_TMP/mid" "$HTTP_TMP/keys1" "$HTTP_TMP/keys3"
hash() { htpasswd -nbBC 10 alice "$1" | cut -d: -f2; }
write_config() { # PASSWORD CERT KEY
	cat >"$HTTP_TMP/web.yml.tmp" <<EOF
tls_server_config:
  cert_file: $2
  key_file: $3
basic_auth_users:
  alice: '$(hash "$1")'
EOF
	mv "$HTTP_TMP/web.yml.tmp" "$HTTP_TMP/web.yml"
}
write_config 'pw one' "$V/tls.crt" "$V/tls.key"
fixture_start 100 --interval 0.5 --web-config-file "$HTTP_TMP/web.yml"
control_start
P=$PORT

serial_becomes() { # SERIAL SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(served_serial "$P" "$C/ca.crt")" = "$1" ] && return 0
		sleep 0.1
	done
	echo "served serial $(served_serial "$P" "$C/ca.crt"), want $1"
	return 1
}
reloads() { grep -c '^wattlet: reloaded' "$HTTP_TMP/fixture.err"; }
refusals() { grep -c 'keeping the previous web config' "$HTTP_TMP/fixture.err"; }

serial_becomes 1001 5 || fail "first certificate"

# The scrape loop: until $HTTP_TMP/stop exists; a summary line at the end.
$PY - "$P" "$C/ca.crt" "$HTTP_TMP/stop" >"$HTTP_TMP/loop.out" 2>&1 <<'EOF' &
import base64, http.client, os, ssl, sys, time
port, ca, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
auth = {"Authorization": "Basic " + base64.b64encode(b"alice:pw one").decode()}
ok = errors = 0
serials = []
kept = None
def get(conn):
    conn.request("GET", "/metrics", headers=auth)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200 or b"wattlet_pod_cpu_seconds_total" not in body:
        raise RuntimeError("HTTP %d" % r.status)
while not os.path.exists(stop):
    for fresh in (True, False):
        try:
            if fresh:
                c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=5)
                get(c)
                s = c.sock.getpeercert()["serialNumber"].lower().lstrip("0")
                if not serials or serials[-1] != s:
                    serials.append(s)
                c.close()
            else:
                if kept is None:
                    kept = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=5)
                get(kept)
            ok += 1
        except Exception as e:
            errors += 1
            print("error (%s connection): %r" % ("new" if fresh else "kept-alive", e), flush=True)
            kept = None
    time.sleep(0.05)
print("loop: %d ok, %d errors, serials seen %s" % (ok, errors, ",".join(serials)))
EOF
LOOP=$!
HTTP_PIDS+=($LOOP)
sleep 2

# 1. The kubelet's Secret update: new files, one rename.
secret_version v2 server2 && secret_swap v2 || fail "swap to v2"
serial_becomes 1002 5 || fail "file swap not picked up"
echo "Secret volume swap: serial 1002 served (reloads so far: $(reloads))"

# 2. SIGHUP: unchanged files reload too, and a change nobody watches is picked up at once.
before=$(reloads)
kill -HUP "$FIXTURE_PID"
for _ in $(seq 20); do [ "$(reloads)" -gt "$before" ] && break; sleep 0.1; done
[ "$(reloads)" -gt "$before" ] || fail "SIGHUP did not reload"
cp "$C/server-rsa.key" "$HTTP_TMP/keys3/key.pem" && cp "$C/server.key" "$HTTP_TMP/keys1/key.pem"
cp "$C/server-rsa.crt" "$HTTP_TMP/keys3/cert.pem" && cp "$C/server.crt" "$HTTP_TMP/keys1/cert.pem"
ln -s "$HTTP_TMP/keys1/cert.pem" "$HTTP_TMP/mid/cert.pem" && ln -s "$HTTP_TMP/keys1/key.pem" "$HTTP_TMP/mid/key.pem"
ln -s "$HTTP_TMP/mid/cert.pem" "$HTTP_TMP/cert.pem" && ln -s "$HTTP_TMP/mid/key.pem" "$HTTP_TMP/key.pem"
write_config 'pw one' "$HTTP_TMP/cert.pem" "$HTTP_TMP/key.pem"
serial_becomes 1001 5 || fail "config pointing at other files not picked up"
sleep 1
ln -sfn "$HTTP_TMP/keys3/cert.pem" "$HTTP_TMP/mid/cert.pem.new" && mv -T "$HTTP_TMP/mid/cert.pem.new" "$HTTP_TMP/mid/cert.pem"
ln -sfn "$HTTP_TMP/keys3/key.pem" "$HTTP_TMP/mid/key.pem.new" && mv -T "$HTTP_TMP/mid/key.pem.new" "$HTTP_TMP/mid/key.pem"
kill -HUP "$FIXTURE_PID"
serial_becomes 1003 1 || fail "SIGHUP did not pick up the change within 1 s"
echo "SIGHUP: reloaded with no change ($before -> $(reloads) reloads), and a change in an unwatched directory served at once (serial 1003)"

# 3. A broken certificate: the old one stays, one line says why, once.
write_config 'pw one' "$V/tls.crt" "$V/tls.key"
serial_becomes 1002 5 || fail "back to the Secret volume"
mkdir -p "$V/..v3" && printf -- '-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n' >"$V/..v3/tls.crt" &&
	cp "$C/server.key" "$V/..v3/tls.key" && secret_swap v3 || fail "swap to v3"
for _ in $(seq 30); do [ "$(refusals)" -ge 1 ] && break; sleep 0.1; done
[ "$(refusals)" = 1 ] || fail "a broken certificate: $(refusals) refusal lines, want 1"
sleep 6 # past a 5 s stat: still broken, not reported again
[ "$(refusals)" = 1 ] || fail "the broken certificate was reported $(refusals) times"
serial_becomes 1002 1 || fail "the old certificate was not kept"
grep 'keeping the previous web config' "$HTTP_TMP/fixture.err" | sed 's/^/    /'
secret_version v4 server && secret_swap v4 || fail "swap to v4"
serial_becomes 1001 5 || fail "the fixed certificate was not picked up"
echo "broken certificate: kept serial 1002, one line; fixed: serial 1001"

touch "$HTTP_TMP/stop"
wait "$LOOP"
cat "$HTTP_TMP/loop.out"
grep -q '^loop: [0-9]* ok, 0 errors, serials seen 1001,1002,1001,1003,1002,1001$' "$HTTP_TMP/loop.out" ||
	fail "the scrape loop saw errors or another sequence of certificates"

# 4. A new password: the old one stops working for new requests, the new one works.
write_config 'pw two' "$V/tls.crt" "$V/tls.key"
for _ in $(seq 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" -u 'alice:pw two' "https://localhost:$P/metrics")" = 200 ] && break
	sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" -u 'alice:pw two' "https://localhost:$P/metrics")" = 200 ] ||
	fail "the new password is refused"
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" -u 'alice:pw one' "https://localhost:$P/metrics")" = 401 ] ||
	fail "the old password still works"
echo "password changed in the file: new one 200, old one 401"

kill "$FIXTURE_PID"
timeout 5 tail --pid="$FIXTURE_PID" -f /dev/null
publisher_on_time
echo PASS
