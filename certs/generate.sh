#!/usr/bin/env bash
# Regenerates the test PKI: a CA, the servers' and the client's certificates, and the negative
# fixtures the TLS tests need. Every certificate is written as PEM and DER, every private key as
# PKCS#8 PEM and PKCS#8 unencrypted DER (the forms Moddable's TLS resources take).
#
#   certs/generate.sh            rewrites the files next to this script
#   certs/generate.sh OUTDIR     writes a fresh set into OUTDIR instead
#   PKI_ORGANIZATION="Example Co" certs/generate.sh OUTDIR
#                                a PKI of your own (its keys never leave your machine): see README
#
# Needs bash and openssl (checked with OpenSSL 3.0). Keys are new on every run; subject names
# are fixed; serial numbers are random.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# Everything meant to work is valid for 20 years from midnight UTC yesterday: Moddable's TLS
# rejects a certificate whose notBefore is not strictly in the past, and a device's clock set
# by SNTP may lag the machine that generated the files.
not_before="$(date -u -d 'yesterday' +%Y%m%d000000Z)"
not_after="$(date -u -d "$(date -u -d yesterday +%Y-%m-%d) + 20 years" +%Y%m%d000000Z)"
# PKI_ORGANIZATION names another PKI (your own): firmware flags any certificate naming the
# default one as the public test PKI (tlsserver/identity.ts fromTestPki).
organization="${PKI_ORGANIZATION:-moddable-ws-at-bridge test PKI}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# X.509 v3 extensions. Moddable's chain walk (modules/crypt/ssl/ssl_cert.js) looks the CA up by
# the authorityKeyIdentifier of the last certificate the server sends, so the CA carries both
# its subjectKeyIdentifier and an authorityKeyIdentifier naming itself.
cat >"$work/extensions.cnf" <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_rsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:localhost, IP:127.0.0.1

[server_ec]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:localhost, IP:127.0.0.1

[server_wronghost]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:wrong.example

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

# `openssl x509 -req` in OpenSSL 3.0 has no -not_before/-not_after, so every leaf is signed by
# `openssl ca`, which takes explicit -startdate/-enddate (needed for the expired fixture) and
# draws random serial numbers (rand_serial).
ca_config() { # $1 = name of the signing CA
	mkdir -p "$work/$1.db"
	: >"$work/$1.db/index.txt"
	cat >"$work/$1.db/ca.cnf" <<EOF
[ca]
default_ca = this_ca
[this_ca]
database = $work/$1.db/index.txt
new_certs_dir = $work/$1.db
certificate = $out/$1.pem
private_key = $out/$1-key.pem
rand_serial = yes
default_md = sha256
policy = any_name
unique_subject = no
email_in_dn = no
copy_extensions = none
[any_name]
organizationName = optional
commonName = supplied
EOF
}

# Runs openssl, showing its chatter (`openssl ca` is verbose on stderr) only when it fails.
quiet() {
	if ! "$@" 2>"$work/stderr"; then
		cat "$work/stderr" >&2
		return 1
	fi
}

key_rsa() { openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$1-key.pem"; }
key_ec() { openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$out/$1-key.pem"; }

# A self-signed CA, made by `openssl ca -selfsign` for the same dates and serials as the leaves.
make_ca() { # $1 = name, $2 = common name
	key_rsa "$1"
	ca_config "$1"
	openssl req -new -sha256 -key "$out/$1-key.pem" -subj "/O=$organization/CN=$2" -out "$work/$1.csr"
	quiet openssl ca -batch -notext -selfsign -config "$work/$1.db/ca.cnf" \
		-extfile "$work/extensions.cnf" -extensions ca -startdate "$not_before" -enddate "$not_after" \
		-in "$work/$1.csr" -out "$out/$1.pem"
}

# A leaf signed by a CA. $1 = name, $2 = signing CA, $3 = common name, $4 = extension section,
# $5 $6 = notBefore and notAfter (YYYYMMDDHHMMSSZ).
make_leaf() {
	local name="$1" issuer="$2" common_name="$3" section="$4" start="$5" end="$6"
	openssl req -new -sha256 -key "$out/$name-key.pem" -subj "/O=$organization/CN=$common_name" \
		-out "$work/$name.csr"
	quiet openssl ca -batch -notext -config "$work/$issuer.db/ca.cnf" \
		-extfile "$work/extensions.cnf" -extensions "$section" -startdate "$start" -enddate "$end" \
		-in "$work/$name.csr" -out "$out/$name.pem"
	# Moddable's TLS needs the server to send its chain (leaf, then CA).
	if [[ "$section" == server_* ]]; then
		cat "$out/$name.pem" "$out/$issuer.pem" >"$out/$name-chain.pem"
	fi
}

der_forms() { # $1 = name: the certificate and the key in DER, the key as PKCS#8
	openssl x509 -in "$out/$1.pem" -outform DER -out "$out/$1.der"
	openssl pkcs8 -topk8 -nocrypt -in "$out/$1-key.pem" -outform DER -out "$out/$1-key.der"
}

# The CA the device trusts, and what it signs.
make_ca ca "Test CA"
key_rsa server-rsa
make_leaf server-rsa ca localhost server_rsa "$not_before" "$not_after"
key_ec server-ec
make_leaf server-ec ca localhost server_ec "$not_before" "$not_after"
key_rsa client # RSA: Moddable's mutual TLS does not work with EC client keys.
make_leaf client ca "Test Client" client "$not_before" "$not_after"

# Negative fixtures. An expired server certificate from our CA...
key_rsa server-expired
make_leaf server-expired ca localhost server_rsa 20200101000000Z 20210101000000Z
# ...a server certificate for another host name (no IP address either)...
key_rsa server-wronghost
make_leaf server-wronghost ca wrong.example server_wronghost "$not_before" "$not_after"
# ...and a valid-looking server certificate from a CA the device does not trust.
make_ca other-ca "Other Test CA"
key_rsa server-other
make_leaf server-other other-ca localhost server_rsa "$not_before" "$not_after"

for name in ca server-rsa server-ec client server-expired server-wronghost other-ca server-other; do
	der_forms "$name"
done
chmod 644 "$out"/*.pem "$out"/*.der
echo "wrote the test PKI to $out"
