# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Test certificates, made at test time with openssl (never committed): a CA, server
# certificates (EC P-256 and RSA) for localhost and 127.0.0.1, client certificates.
# Source it, or run it: bash tests/e2e/tls_lib.bash make_certs DIR
#
# make_certs DIR writes into DIR:
#   ca.crt ca.key                   the test CA (EC P-256)
#   server.crt server.key           EC, serial 0x1001, SAN DNS:localhost IP:127.0.0.1
#   server2.crt server2.key         EC, serial 0x1002, the same names (for rotation)
#   server-rsa.crt server-rsa.key   RSA 2048, serial 0x1003
#   client.crt client.key           signed by the CA, SAN DNS:prometheus, clientAuth
#   client-other.crt/.key           signed by the CA, SAN DNS:someone-else, clientAuth
#   rogue.crt rogue.key             self-signed client, SAN DNS:prometheus (not from the CA)
#   impostor.crt impostor.key       client, SAN DNS:prometheus, signed by another key under the
#                                   CA's name: clients offer it where the CA is asked for
#   other-ca.crt                    an unrelated CA

tls_leaf() { # DIR NAME SERIAL SAN EKU [KEYSPEC [CA]]
	local d=$1 n=$2 serial=$3 san=$4 eku=$5 key=${6:-ec} ca=${7:-ca}
	if [ "$key" = ec ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$n.key" 2>/dev/null
	else
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/$n.key" 2>/dev/null
	fi || return 1
	openssl req -new -key "$d/$n.key" -subj "/CN=$n" -out "$d/$n.csr" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' \
		"$san" "$eku" >"$d/$n.ext"
	openssl x509 -req -in "$d/$n.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" -set_serial "$serial" \
		-days 2 -extfile "$d/$n.ext" -out "$d/$n.crt" 2>/dev/null || return 1
	rm -f "$d/$n.csr" "$d/$n.ext"
}

tls_ca() { # DIR NAME [SUBJECT NAME]
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/$2.key" \
		-out "$1/$2.crt" -days 2 -subj "/CN=wattlet test ${3:-$2}" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		2>/dev/null
}

make_certs() { # DIR
	local d=$1
	mkdir -p "$d" && tls_ca "$d" ca && tls_ca "$d" other-ca && tls_ca "$d" impostor-ca ca || return 1
	tls_leaf "$d" server 0x1001 DNS:localhost,IP:127.0.0.1 serverAuth &&
		tls_leaf "$d" server2 0x1002 DNS:localhost,IP:127.0.0.1 serverAuth &&
		tls_leaf "$d" server-rsa 0x1003 DNS:localhost,IP:127.0.0.1 serverAuth rsa &&
		tls_leaf "$d" client 0x2001 DNS:prometheus clientAuth &&
		tls_leaf "$d" client-other 0x2002 DNS:someone-else clientAuth &&
		tls_leaf "$d" impostor 0x2003 DNS:prometheus clientAuth ec impostor-ca || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/rogue.key" \
		-out "$d/rogue.crt" -days 2 -subj /CN=rogue -addext subjectAltName=DNS:prometheus \
		-addext extendedKeyUsage=clientAuth 2>/dev/null || return 1
	rm -f "$d/other-ca.key" "$d/impostor-ca.key" "$d/impostor-ca.crt"
}

# The serial number (hex, lower case, no leading zeros) of the certificate a TLS server
# on 127.0.0.1:PORT presents, as openssl s_client sees it.
served_serial() { # PORT CAFILE
	openssl s_client -connect "127.0.0.1:$1" -CAfile "$2" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=0*//' | tr 'A-F' 'a-f'
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	"$@"
fi
