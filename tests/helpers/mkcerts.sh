#!/bin/bash
# shellcheck shell=bash
#
# mkcerts.sh DIR: make the test PKI for the fixture server with the openssl command.
# Nothing made here is committed; suites call it at test time (server.bash does).
# If DIR already holds a complete set it does nothing, so concurrent callers are safe:
# the set is built in a temporary sibling directory and renamed into place.
#
# DIR/ca.crt ca.key             self-signed test CA ("sretools test CA"): --cacert
# DIR/valid.crt valid.key       localhost + IP 127.0.0.1 + IP ::1, valid 1 day ago .. +365 days
# DIR/expired.crt expired.key   same names, valid 60 days ago .. 30 days ago (expired)
# DIR/soon.crt soon.key         same names, notAfter 5 days minus 1 hour from now
# DIR/wronghost.crt .key        DNS wrong.example only, valid (fails hostname checks)
# DIR/chain.crt chain.key       leaf (localhost, +90 days) followed by int.crt: the server
#                               sends both; the chain expires first through int.crt
# DIR/int.crt int.key           intermediate CA signed by ca.crt, notAfter +10 days
# DIR/client-ca.crt .key        a second CA, for client certificates (mTLS)
# DIR/client.crt client.key     client certificate (CN "sretools test client") from client-ca
#
# Keys are ECDSA P-256, unencrypted, mode 0600.  Dates are set with `openssl ca
# -startdate/-enddate`, so expired and soon-to-expire certificates need no fake clock.
set -euo pipefail

if [[ $# -ne 1 || -z $1 ]]; then
	echo "usage: mkcerts.sh DIR" >&2
	exit 2
fi
out=${1%/}
if [[ -f $out/client.crt ]]; then
	exit 0
fi
command -v openssl >/dev/null || { echo "mkcerts.sh: error: openssl not found" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
umask 077
work=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

# openssl ca wants a database; one shared by all three CAs is fine for tests.
mkdir "$work/newcerts"
: >"$work/index.txt"
echo 1000 >"$work/serial"
cat >"$work/ca.cnf" <<'EOF'
[ ca ]
default_ca = test_ca
[ test_ca ]
database = index.txt
new_certs_dir = newcerts
serial = serial
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
[ any_name ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
EOF

stamp() { # date -d offset -> the YYYYMMDDHHMMSSZ that openssl ca wants
	date -u -d "$1" +%Y%m%d%H%M%SZ
}

newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
}

# ext NAME LINES...: write an extension section file for `openssl ca -extfile`
ext() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$name.ext"
}

# issue NAME CN ISSUER EXT START END: key + CSR for NAME, signed by ISSUER
issue() {
	local name=$1 cn=$2 issuer=$3 extfile=$4 start=$5 end=$6
	newkey "$name"
	openssl req -new -config ca.cnf -key "$name.key" -subj "/CN=$cn" -out "$name.csr"
	openssl ca -batch -notext -config ca.cnf -cert "$issuer.crt" -keyfile "$issuer.key" \
		-in "$name.csr" -out "$name.crt" -extfile "$extfile" \
		-startdate "$(stamp "$start")" -enddate "$(stamp "$end")" 2>/dev/null
	rm -f "$name.csr"
}

cd "$work"
ext ca 'basicConstraints = critical, CA:true' \
	'keyUsage = critical, keyCertSign, cRLSign' \
	'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid'
ext server 'basicConstraints = CA:false' \
	'keyUsage = critical, digitalSignature, keyEncipherment' \
	'extendedKeyUsage = serverAuth' \
	'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1' \
	'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid'
ext wronghost 'basicConstraints = CA:false' \
	'keyUsage = critical, digitalSignature, keyEncipherment' \
	'extendedKeyUsage = serverAuth' 'subjectAltName = DNS:wrong.example' \
	'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid'
ext client 'basicConstraints = CA:false' \
	'keyUsage = critical, digitalSignature' 'extendedKeyUsage = clientAuth' \
	'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid'

for root in ca client-ca; do
	newkey "$root"
	cn="sretools test CA"
	[[ $root == client-ca ]] && cn="sretools test client CA"
	openssl req -new -config ca.cnf -key "$root.key" -subj "/CN=$cn" -out "$root.csr"
	openssl ca -batch -notext -selfsign -config ca.cnf -keyfile "$root.key" \
		-in "$root.csr" -out "$root.crt" -extfile ca.ext \
		-startdate "$(stamp '-2 days')" -enddate "$(stamp '+3650 days')" 2>/dev/null
	rm -f "$root.csr"
done

issue valid localhost ca server.ext '-1 day' '+365 days'
issue expired localhost ca server.ext '-60 days' '-30 days'
issue soon localhost ca server.ext '-1 day' '+5 days -1 hour'
issue wronghost wrong.example ca wronghost.ext '-1 day' '+365 days'
issue int "sretools test intermediate CA" ca ca.ext '-1 day' '+10 days'
issue chain-leaf localhost int server.ext '-1 day' '+90 days'
cat chain-leaf.crt int.crt >chain.crt
mv chain-leaf.key chain.key
rm -f chain-leaf.crt
issue client "sretools test client" client-ca client.ext '-1 day' '+365 days'

rm -rf newcerts index.txt* serial* ./*.ext ca.cnf
chmod 0644 ./*.crt
cd /
if ! mv -T "$work" "$out" 2>/dev/null; then
	# Another caller finished first (or DIR existed empty): keep theirs, or fill DIR.
	if [[ ! -f $out/client.crt ]]; then
		cp -p "$work"/* "$out"/
	fi
fi
