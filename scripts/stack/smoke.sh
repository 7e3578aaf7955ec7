#!/usr/bin/env bash
# smoke.sh — prove a running local Sigstore (scripts/stack/up.sh) works end to
# end with curl, jq and openssl only: token -> Fulcio certificate -> signature
# -> Rekor v2 entry (+ checkpoint signature check) -> RFC 3161 timestamp, each
# checked against the trust material up.sh wrote, and an SCT in the certificate
# from the CT log in the trusted root. In full mode also a Rekor v1 hashedrekord
# entry with its signed entry timestamp verified. Also checks that Fulcio refuses
# an expired token and issues URI-SAN certificates for the second issuer.
# Re-runnable against the same stack; exits non-zero on the first failure.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -f "$RUN/env.sh" ] || stack_die "no running stack ($RUN/env.sh missing); run scripts/stack/up.sh"
# shellcheck disable=SC1091
. "$RUN/env.sh"
MODE="$SIGNET_STACK_MODE"
for c in jq openssl curl; do command -v "$c" >/dev/null || stack_die "$c is required"; done

W="$(mktemp -d "$RUN/smoke.XXXXXX")"
trap 'rm -rf "$W"' EXIT
cd "$W"
T0=$(now_ms)
step() { printf 'smoke: %-58s' "$1" >&2; TS=$(now_ms); }
ok() { printf 'ok (%s ms)%s\n' "$(($(now_ms) - TS))" "${1:+ $1}" >&2; }
fail() { printf 'FAILED\nsmoke: %s\n' "$*" >&2; exit 1; }
b64pem() { # TYPE BASE64 -> PEM
	printf -- '-----BEGIN %s-----\n%s\n-----END %s-----\n' "$1" "$(printf %s "$2" | fold -w64)" "$1"
}
post_json() { # URL FILE OUT -> prints HTTP status
	curl -sS -o "$3" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$2" "$1"
}
TR="$SIGNET_STACK_TRUSTED_ROOT"
EMAIL="smoke-$$@example.com"

# ------------------------------------------------------------ trust material
step "trust_config.json shape"
TC="$SIGNET_STACK_TRUST_CONFIG"
jq -e '.mediaType == "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
	and .trustedRoot.mediaType == "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
	and .signingConfig.mediaType == "application/vnd.dev.sigstore.signingconfig.v0.2+json"' "$TC" >/dev/null || fail "media types"
cmp -s <(jq -S .trustedRoot "$TC") <(jq -S . "$TR") || fail "trust_config.json and trusted_root.json differ"
WANT_VERSIONS='[2]'
[ "$MODE" = full ] && WANT_VERSIONS='[1,2]'
[ "$(jq -c '[.signingConfig.rekorTlogUrls[].majorApiVersion] | sort' "$TC")" = "$WANT_VERSIONS" ] || fail "rekor versions in signing config"
[ "$(jq -r '.signingConfig.caUrls[0].url' "$TC")" = "$SIGNET_STACK_FULCIO_URL" ] || fail "ca url"
[ "$(jq -r '.signingConfig.oidcUrls[0].url' "$TC")" = "$SIGNET_STACK_OIDC_URL" ] || fail "oidc url"
[ "$(jq -r '.signingConfig.tsaUrls[0].url' "$TC")" = "$SIGNET_STACK_TSA_URL" ] || fail "tsa url"
[ "$(jq '.ctlogs | length' "$TR")" = 1 ] || fail "no CT log in the trusted root"
if [ "$MODE" = full ]; then
	[ "$(jq -c '[.signingConfig.rekorTlogUrls[].majorApiVersion]' "$SIGNET_STACK_TRUST_CONFIG_REKOR_V1")" = '[1]' ] || fail "rekor-v1 variant"
fi
ok

# ------------------------------------------------------------ identity token
step "OIDC token ($EMAIL)"
TOKEN="$(curl -fsS "$SIGNET_STACK_TOKEN_URL?email=$EMAIL")" || fail "token endpoint"
PAYLOAD="$(printf %s "$TOKEN" | cut -d. -f2 | tr '_-' '/+')"
while [ $((${#PAYLOAD} % 4)) -ne 0 ]; do PAYLOAD="$PAYLOAD="; done
printf %s "$PAYLOAD" | base64 -d >claims.json
[ "$(jq -r .iss claims.json)" = "$SIGNET_STACK_OIDC_URL" ] || fail "iss $(jq -r .iss claims.json)"
[ "$(jq -r .aud claims.json)" = sigstore ] || fail "aud"
ok

# ------------------------------------------------------------------- Fulcio
step "Fulcio certificate (POST /api/v2/signingCert)"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem 2>/dev/null
openssl pkey -in key.pem -pubout -out pub.pem
CHALLENGE="$(curl -fsS "$SIGNET_STACK_FULCIO_URL/api/v2/configuration" |
	jq -r --arg iss "$SIGNET_STACK_OIDC_URL" '.issuers[] | select(.issuerUrl==$iss) | .challengeClaim')"
[ "$CHALLENGE" = email ] || fail "challenge claim for $SIGNET_STACK_OIDC_URL is '$CHALLENGE', want email"
printf %s "$EMAIL" | openssl dgst -sha256 -sign key.pem | base64 -w0 >pop.b64
jq -n --arg tok "$TOKEN" --rawfile pub pub.pem --rawfile pop pop.b64 \
	'{credentials: {oidcIdentityToken: $tok},
	  publicKeyRequest: {publicKey: {algorithm: "ECDSA", content: $pub}, proofOfPossession: $pop}}' >fulcio-req.json
code="$(post_json "$SIGNET_STACK_FULCIO_URL/api/v2/signingCert" fulcio-req.json fulcio-resp.json)"
[ "$code" = 200 ] || fail "Fulcio answered $code: $(head -c 300 fulcio-resp.json)"
KIND=signedCertificateEmbeddedSct
jq -e --arg k "$KIND" 'has($k)' fulcio-resp.json >/dev/null || fail "response has no $KIND: $(jq -c 'keys' fulcio-resp.json)"
jq -r --arg k "$KIND" '.[$k].chain.certificates[0]' fulcio-resp.json >leaf.pem
jq -r --arg k "$KIND" '.[$k].chain.certificates[1:][]' fulcio-resp.json >chain.pem
# The CA in the trusted root must anchor the leaf.
jq -r '.certificateAuthorities[0].certChain.certificates[].rawBytes' "$TR" | while read -r c; do b64pem CERTIFICATE "$c"; done >ca-root.pem
openssl verify -CAfile ca-root.pem -untrusted chain.pem -purpose any leaf.pem >/dev/null || fail "leaf does not chain to the trusted root's CA"
openssl x509 -in leaf.pem -noout -ext subjectAltName | grep -q "email:$EMAIL" || fail "SAN is not $EMAIL"
openssl x509 -in leaf.pem -noout -text | grep -A1 '1.3.6.1.4.1.57264.1.8:' | grep -q "$SIGNET_STACK_OIDC_URL" || fail "no issuer (v2) extension"
[ "$(openssl x509 -in leaf.pem -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" = \
	"$(openssl pkey -in pub.pem -pubin -outform DER | sha256sum)" ] || fail "certificate is for another key"
ok "$(openssl x509 -in leaf.pem -noout -enddate)"

step "SCT embedded, from the trusted CT log"
openssl x509 -in leaf.pem -noout -text >leaf.txt
grep -q 'CT Precertificate SCTs' leaf.txt || fail "no embedded SCT"
SCT_LOG="$(grep -A3 'Signed Certificate Timestamp' leaf.txt | sed -n 's/.*Log ID *: *//p' | head -n1)"
SCT_LOG="$SCT_LOG$(grep -A4 'Signed Certificate Timestamp' leaf.txt | sed -n '4p' | tr -d ' ')"
SCT_LOG="$(printf %s "$SCT_LOG" | tr -d ':' | tr 'A-F' 'a-f')"
CT_ID="$(jq -r '.ctlogs[0].logId.keyId' "$TR" | base64 -d | od -An -tx1 | tr -d ' \n')"
[ "$SCT_LOG" = "$CT_ID" ] || fail "SCT log id $SCT_LOG is not the trusted CT log $CT_ID"
ok

# -------------------------------------------------------------------- sign
step "sign artifact"
head -c 4096 /dev/urandom >artifact.bin
openssl dgst -sha256 -sign key.pem -out artifact.sig artifact.bin
openssl dgst -sha256 -verify pub.pem -signature artifact.sig artifact.bin >/dev/null || fail "own signature"
DIGEST_B64="$(openssl dgst -sha256 -binary artifact.bin | base64 -w0)"
DIGEST_HEX="$(openssl dgst -sha256 -binary artifact.bin | od -An -tx1 | tr -d ' \n')"
SIG_B64="$(base64 -w0 artifact.sig)"
CERT_DER_B64="$(openssl x509 -in leaf.pem -outform DER | base64 -w0)"
ok

# ------------------------------------------------------------------ Rekor v2
step "Rekor v2 hashedrekord 0.0.2 (POST /api/v2/log/entries)"
jq -n --arg d "$DIGEST_B64" --arg s "$SIG_B64" --arg c "$CERT_DER_B64" \
	'{hashedRekordRequestV002: {digest: $d, signature: {content: $s,
	   verifier: {x509Certificate: {rawBytes: $c}, keyDetails: "PKIX_ECDSA_P256_SHA_256"}}}}' >rekor2-req.json
code="$(post_json "$SIGNET_STACK_REKOR_V2_URL/api/v2/log/entries" rekor2-req.json rekor2-resp.json)"
[ "$code" = 201 ] || fail "Rekor v2 answered $code: $(head -c 300 rekor2-resp.json)"
WANT_ID="$(jq -r --arg u "$SIGNET_STACK_REKOR_V2_URL" '.tlogs[] | select(.baseUrl==$u) | .logId.keyId' "$TR")"
GOT_ID="$(jq -r .logId.keyId rekor2-resp.json)"
[ "$GOT_ID" = "$WANT_ID" ] || fail "logId.keyId $GOT_ID is not the trusted root's $WANT_ID"
jq -e '.kindVersion == {kind: "hashedrekord", version: "0.0.2"}' rekor2-resp.json >/dev/null || fail "kindVersion"
jq -r .canonicalizedBody rekor2-resp.json | base64 -d >body.json
jq -e --arg d "$DIGEST_B64" --arg s "$SIG_B64" '.spec.hashedRekordV002.data.digest == $d and .spec.hashedRekordV002.signature.content == $s' body.json >/dev/null ||
	fail "canonicalized body does not hold our digest and signature"
# The checkpoint is a C2SP signed note by the log key: verify it with openssl.
jq -r .inclusionProof.checkpoint.envelope rekor2-resp.json >checkpoint.txt
sed '/^$/q' checkpoint.txt | sed '$d' >note-body.txt             # text before the blank line
[ "$(head -n1 note-body.txt)" = "$SIGNET_STACK_REKOR_V2_ORIGIN" ] || fail "checkpoint origin $(head -n1 note-body.txt)"
[ "$(sed -n 2p note-body.txt)" = "$(jq -r .inclusionProof.treeSize rekor2-resp.json)" ] || fail "checkpoint size != proof treeSize"
[ "$(sed -n 3p note-body.txt)" = "$(jq -r .inclusionProof.rootHash rekor2-resp.json)" ] || fail "checkpoint root != proof rootHash"
SIGLINE="$(grep "^— $SIGNET_STACK_REKOR_V2_ORIGIN " checkpoint.txt | head -n1)"
printf %s "${SIGLINE##* }" | base64 -d >sig.raw
[ "$(head -c4 sig.raw | base64)" = "$(printf %s "$WANT_ID" | base64 -d | head -c4 | base64)" ] || fail "key hint is not the log id prefix"
tail -c +5 sig.raw >sig.ed25519
jq -r --arg u "$SIGNET_STACK_REKOR_V2_URL" '.tlogs[] | select(.baseUrl==$u) | .publicKey.rawBytes' "$TR" >rekor2.spki.b64
b64pem "PUBLIC KEY" "$(cat rekor2.spki.b64)" >rekor2.pub.pem
openssl pkeyutl -verify -pubin -inkey rekor2.pub.pem -rawin -in note-body.txt -sigfile sig.ed25519 >/dev/null ||
	fail "checkpoint signature does not verify with the trusted Rekor v2 key"
if [ "$(jq -r .inclusionProof.treeSize rekor2-resp.json)" = 1 ]; then
	# Single-leaf tree: the root is the RFC 6962 leaf hash of the body.
	LEAF="$( (printf '\0'; cat body.json) | openssl dgst -sha256 -binary | base64 -w0)"
	[ "$LEAF" = "$(jq -r .inclusionProof.rootHash rekor2-resp.json)" ] || fail "leaf hash != root of a 1-entry tree"
fi
ok "index $(jq -r .logIndex rekor2-resp.json), tree size $(jq -r .inclusionProof.treeSize rekor2-resp.json)"

step "Rekor v2 checkpoint readable on :$REKOR2_READ_PORT"
sleep 1.1 # checkpoint interval 1s
curl -fsS "$SIGNET_STACK_REKOR_V2_READ_URL/checkpoint" >published.txt || fail "GET /checkpoint"
[ "$(head -n1 published.txt)" = "$SIGNET_STACK_REKOR_V2_ORIGIN" ] || fail "published checkpoint origin"
[ "$(sed -n 2p published.txt)" -ge "$(jq -r .inclusionProof.treeSize rekor2-resp.json)" ] || fail "published checkpoint older than our entry"
ok "size $(sed -n 2p published.txt)"

# ----------------------------------------------------------------------- TSA
step "RFC 3161 timestamp over the signature"
openssl ts -query -data artifact.sig -sha256 -cert -out ts.tsq 2>/dev/null
code="$(curl -sS -o ts.tsr -w '%{http_code}' -H 'Content-Type: application/timestamp-query' --data-binary @ts.tsq "$SIGNET_STACK_TSA_URL")"
[ "$code" = 200 ] || [ "$code" = 201 ] || fail "TSA answered $code"
jq -r '.timestampAuthorities[0].certChain.certificates[].rawBytes' "$TR" >tsa-chain.b64
head -n -1 tsa-chain.b64 | while read -r c; do b64pem CERTIFICATE "$c"; done >tsa-untrusted.pem
tail -n 1 tsa-chain.b64 | while read -r c; do b64pem CERTIFICATE "$c"; done >tsa-root.pem
openssl ts -verify -in ts.tsr -queryfile ts.tsq -CAfile tsa-root.pem -untrusted tsa-untrusted.pem >/dev/null 2>ts-verify.err ||
	fail "timestamp does not verify against the trusted root's TSA: $(cat ts-verify.err)"
ok "$(openssl ts -reply -in ts.tsr -text 2>/dev/null | sed -n 's/^Time stamp: //p')"

# ---------------------------------------------------------------- Rekor v1
if [ "$MODE" = full ]; then
	step "Rekor v1 hashedrekord 0.0.1 (POST /api/v1/log/entries)"
	jq -n --arg h "$DIGEST_HEX" --arg s "$SIG_B64" --arg c "$(base64 -w0 leaf.pem)" \
		'{apiVersion: "0.0.1", kind: "hashedrekord",
		  spec: {data: {hash: {algorithm: "sha256", value: $h}},
		         signature: {content: $s, publicKey: {content: $c}}}}' >rekor1-req.json
	code="$(post_json "$SIGNET_STACK_REKOR_V1_URL/api/v1/log/entries" rekor1-req.json rekor1-resp.json)"
	[ "$code" = 201 ] || fail "Rekor v1 answered $code: $(head -c 300 rekor1-resp.json)"
	jq '.[keys[0]]' rekor1-resp.json >entry.json
	WANT_V1="$(jq -r --arg u "$SIGNET_STACK_REKOR_V1_URL" '.tlogs[] | select(.baseUrl==$u) | .logId.keyId' "$TR" | base64 -d | od -An -tx1 | tr -d ' \n')"
	[ "$(jq -r .logID entry.json)" = "$WANT_V1" ] || fail "logID $(jq -r .logID entry.json) is not the trusted root's $WANT_V1"
	# SET: the log's signature over canonical JSON {body, integratedTime, logID, logIndex}.
	jq -cS '{body, integratedTime, logID, logIndex}' entry.json | tr -d '\n' >set-payload.json
	jq -r .verification.signedEntryTimestamp entry.json | base64 -d >set.sig
	jq -r --arg u "$SIGNET_STACK_REKOR_V1_URL" '.tlogs[] | select(.baseUrl==$u) | .publicKey.rawBytes' "$TR" >rekor1.spki.b64
	b64pem "PUBLIC KEY" "$(cat rekor1.spki.b64)" >rekor1.pub.pem
	openssl dgst -sha256 -verify rekor1.pub.pem -signature set.sig set-payload.json >/dev/null ||
		fail "signed entry timestamp does not verify with the trusted Rekor v1 key"
	jq -e '.verification.inclusionProof.checkpoint | length > 0' entry.json >/dev/null || fail "no inclusion proof checkpoint"
	ok "index $(jq -r .logIndex entry.json), integratedTime $(jq -r .integratedTime entry.json)"
fi

# ------------------------------------------------------------ negative + URI
step "Fulcio refuses an expired token"
EXPIRED="$(curl -fsS "$SIGNET_STACK_TOKEN_URL?email=$EMAIL&ttl=1m&age=1h")"
jq --arg tok "$EXPIRED" '.credentials.oidcIdentityToken = $tok' fulcio-req.json >expired-req.json
code="$(post_json "$SIGNET_STACK_FULCIO_URL/api/v2/signingCert" expired-req.json expired-resp.json)"
# Fulcio maps every token verification failure to InvalidArgument: HTTP 400,
# "There was an error processing the identity token" (its log says "token is expired").
[ "$code" = 400 ] || fail "Fulcio answered $code to an expired token: $(head -c 200 expired-resp.json)"
ok "$code"

step "URI issuer: certificate with a URI SAN"
SUB="$SIGNET_STACK_OIDC_URI_ISSUER_URL/users/smoke"
UTOKEN="$(curl -fsS "$SIGNET_STACK_OIDC_URI_ISSUER_URL/token?sub=$SUB")"
printf %s "$SUB" | openssl dgst -sha256 -sign key.pem | base64 -w0 >upop.b64
jq -n --arg tok "$UTOKEN" --rawfile pub pub.pem --rawfile pop upop.b64 \
	'{credentials: {oidcIdentityToken: $tok},
	  publicKeyRequest: {publicKey: {algorithm: "ECDSA", content: $pub}, proofOfPossession: $pop}}' >uri-req.json
code="$(post_json "$SIGNET_STACK_FULCIO_URL/api/v2/signingCert" uri-req.json uri-resp.json)"
[ "$code" = 200 ] || fail "Fulcio answered $code: $(head -c 300 uri-resp.json)"
jq -r --arg k "$KIND" '.[$k].chain.certificates[0]' uri-resp.json | openssl x509 -noout -ext subjectAltName | grep -q "URI:$SUB" ||
	fail "no URI SAN $SUB"
ok

stack_log "smoke ($MODE) passed in $(($(now_ms) - T0)) ms"
