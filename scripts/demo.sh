#!/usr/bin/env bash
# make demo: start a private Sigstore on 127.0.0.1 (Fulcio, Rekor v2, a timestamp authority
# and a test OIDC issuer), sign a file keylessly with signet, verify it, tamper with it and
# show the failure, then stop everything, also when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
started=
# Stop the stack only if this run started it.
cleanup() { [ -z "$started" ] || scripts/stack/down.sh >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*" | sed "s#$work/##g; s#$root/##g; s#$HOME/##g"; "$@"; }

step "Build signet and the local Sigstore (cached after the first run)"
make -s build
scripts/stack/install.sh core
scripts/stack/up.sh core
started=1
# shellcheck disable=SC1091
. .cache/stack/run/env.sh
cd "$work"
signet=$root/bin/signet
echo "signet demo release 1.0" > release.txt

step "Get an identity token for alice@example.com from the test OIDC issuer"
SIGSTORE_ID_TOKEN=$(curl -fsS "$SIGNET_STACK_TOKEN_URL?sub=alice@example.com&email=alice@example.com")
export SIGSTORE_ID_TOKEN
echo "(a JWT of ${#SIGSTORE_ID_TOKEN} bytes in \$SIGSTORE_ID_TOKEN; signet never prints it)"

step "Sign keylessly: Fulcio certificate, RFC 3161 timestamp, Rekor v2 entry, bundle"
show "$signet" sign --trust-config "$SIGNET_STACK_TRUST_CONFIG" release.txt

step "Verify it offline against the instance's trusted root (no CT log here, hence --insecure-ignore-sct)"
verify=("$signet" verify --trust-config "$SIGNET_STACK_TRUST_CONFIG" --insecure-ignore-sct
  --certificate-identity alice@example.com --certificate-oidc-issuer "$SIGNET_STACK_OIDC_URL")
show "${verify[@]}" release.txt

step "Tamper with the artifact: verification fails (exit code 1)"
echo "one more line" >> release.txt
if show "${verify[@]}" release.txt; then echo "demo: a tampered artifact verified" >&2; exit 1; fi

step "Someone else's identity fails too"
echo "signet demo release 1.0" > release.txt
if show "$signet" verify --trust-config "$SIGNET_STACK_TRUST_CONFIG" --insecure-ignore-sct \
  --certificate-identity mallory@example.com --certificate-oidc-issuer "$SIGNET_STACK_OIDC_URL" release.txt; then
  echo "demo: a wrong identity verified" >&2; exit 1
fi

step "Done: the stack is stopped on exit"
