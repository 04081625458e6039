#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# wattctl over HTTPS against a stand-in agent that Python's ssl (OpenSSL) serves, with
# certificates openssl makes now: --cacert verifies the server (and without it the
# connection is refused), --insecure-skip-verify only when given, basic auth with the
# password from $WATTCTL_PASSWORD or --password-file (never argv: --user a:b is a usage
# error), mutual TLS with --cert/--key. Errors are one line; exit 1, or 2 for usage.
set -uo pipefail
: "${WATTCTL:?set WATTCTL to the built wattctl}"
. tests/e2e/wattctl_lib.bash
. tests/e2e/tls_lib.bash
tmp=$(mktemp -d /tmp/wattctl-tls.XXXXXX)
stubs=()
cleanup() {
	local p
	for p in "${stubs[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM

make_certs "$tmp/certs" || { echo "FAIL: cannot make certificates"; exit 1; }
C=$tmp/certs

start_stub() { # PORTFILE, environment: STUB_*
	python3 tests/e2e/wattctl_stub.py "$1" 0.5 &
	stubs+=($!)
	wait_file "$1" 10 || { echo "FAIL: stub did not start"; exit 1; }
}

STUB_TLS_CERT=$C/server.crt STUB_TLS_KEY=$C/server.key STUB_BASIC_AUTH=alice:s3cret \
	start_stub "$tmp/port-auth"
S=https://127.0.0.1:$(cat "$tmp/port-auth")
L=https://localhost:$(cat "$tmp/port-auth")
unset WATTCTL_PASSWORD WATTLET_SERVER
printf 's3cret\n' >"$tmp/pw"
printf 'wrong\n' >"$tmp/pw-wrong"

expect_rc 0 "CA-verified HTTPS with basic auth from \$WATTCTL_PASSWORD" -- \
	env WATTCTL_PASSWORD=s3cret "$WATTCTL" -s "$S" --cacert "$C/ca.crt" --user alice node
grep -q stub-node "$tmp/out" && ok "node table from the HTTPS stub" || fail "no stub-node in: $(cat "$tmp/out")"
expect_rc 0 "by host name (the certificate's DNS name), password from --password-file" -- \
	"$WATTCTL" -s "$L" --cacert "$C/ca.crt" --user alice --password-file "$tmp/pw" -o json node
expect_rc 1 "no --cacert: the test CA is not trusted" -- \
	env WATTCTL_PASSWORD=s3cret "$WATTCTL" -s "$S" --user alice node
one_line_with "$tmp/err" "untrusted server: one line" "wattctl: GET $S/api/v1/node" "certificate"
expect_rc 1 "another CA: refused" -- \
	env WATTCTL_PASSWORD=s3cret "$WATTCTL" -s "$S" --cacert "$C/other-ca.crt" --user alice node
expect_rc 0 "--insecure-skip-verify, only when asked" -- \
	env WATTCTL_PASSWORD=s3cret "$WATTCTL" -s "$S" --insecure-skip-verify --user alice node
expect_rc 1 "wrong password: 401" -- \
	"$WATTCTL" -s "$S" --cacert "$C/ca.crt" --user alice --password-file "$tmp/pw-wrong" node
one_line_with "$tmp/err" "401 named in one line" "HTTP 401" "unauthorized"
expect_rc 1 "no credentials: 401" -- "$WATTCTL" -s "$S" --cacert "$C/ca.crt" node
one_line_with "$tmp/err" "401 without credentials" "HTTP 401"
expect_rc 2 "--user without a password source" -- "$WATTCTL" -s "$S" --cacert "$C/ca.crt" --user alice node
head -1 "$tmp/err" >"$tmp/err1"
one_line_with "$tmp/err1" "says where the password comes from" "WATTCTL_PASSWORD" "--password-file"
expect_rc 2 "--user NAME:PASSWORD refused" -- \
	env WATTCTL_PASSWORD=x "$WATTCTL" -s "$S" --cacert "$C/ca.crt" --user alice:s3cret node
grep -q "never from the command line" "$tmp/err" && ok "says why" || fail "message: $(cat "$tmp/err")"
expect_rc 2 "--password-file without --user" -- "$WATTCTL" -s "$S" --password-file "$tmp/pw" node
expect_rc 1 "unreadable --password-file" -- "$WATTCTL" -s "$S" --user alice --password-file "$tmp/nope" node
one_line_with "$tmp/err" "names the file" "$tmp/nope" "No such file"
expect_rc 2 "--key without --cert" -- "$WATTCTL" -s "$S" --key "$C/client.key" node
expect_rc 0 "-o json through HTTPS" -- \
	env WATTCTL_PASSWORD=s3cret "$WATTCTL" -s "$S" --cacert "$C/ca.crt" --user alice -o json top ns
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not d["items"])' "$tmp/out" &&
	ok "namespaces listed" || fail "no items: $(head -c 200 "$tmp/out")"

STUB_TLS_CERT=$C/server.crt STUB_TLS_KEY=$C/server.key STUB_TLS_CLIENT_CA=$C/ca.crt \
	start_stub "$tmp/port-mtls"
M=https://127.0.0.1:$(cat "$tmp/port-mtls")
expect_rc 0 "mutual TLS with the CA's client certificate" -- \
	"$WATTCTL" -s "$M" --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key" node
expect_rc 1 "mutual TLS without a client certificate: refused" -- \
	"$WATTCTL" -s "$M" --cacert "$C/ca.crt" node
one_line_with "$tmp/err" "refusal in one line" "wattctl: GET $M/api/v1/node"
expect_rc 1 "mutual TLS with a self-signed client certificate: refused" -- \
	"$WATTCTL" -s "$M" --cacert "$C/ca.crt" --cert "$C/rogue.crt" --key "$C/rogue.key" node

summary
