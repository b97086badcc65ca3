#!/bin/sh
# Makes, in the directory given (default ./certs): a CA (ca.crt, ca.key) and one certificate per service signed by
# it (CN = the service, SAN 127.0.0.1 and localhost, usable as server and client); and, in rogue/, a certificate
# for "intruder" signed by another CA, which the mesh must refuse.
set -e
dir=${1:-certs}
mkdir -p "$dir/rogue"
cd "$dir"
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.crt" -days 365 -subj "/CN=$2" 2>/dev/null
}
cert() { # cert <ca file> <service> <output file>
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$3.key" -out "$3.csr" -subj "/CN=$2" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$3.ext"
  openssl x509 -req -in "$3.csr" -CA "$1.crt" -CAkey "$1.key" -CAcreateserial -out "$3.crt" -days 365 -extfile "$3.ext" 2>/dev/null
  rm "$3.csr" "$3.ext"
}
ca ca mesh-ca
for service in ledger billing reports; do cert ca "$service" "$service"; done
ca rogue/rogue-ca rogue-ca
cert rogue/rogue-ca intruder rogue/intruder
cp ca.crt rogue/ca.crt
