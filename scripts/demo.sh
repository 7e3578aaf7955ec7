#!/usr/bin/env bash
# make demo: start a private Sigstore on 127.0.0.1 (Fulcio, Rekor v2, a timestamp authority
# and a test OIDC issuer), sign a file keylessly with signet, verify it, tamper with it and
# show the failure, then stop everything, also when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
# Stop the stack only if this run started it. up.sh writes SIGNET_STACK_OWNER to the run
# directory's owner file once it has found no other stack running and begins starting one, so
# from then on any failure (in up.sh, or any later step) or a signal stops what this run
# started, while a stack someone else runs (up.sh refuses to start over it) is left alone.
export SIGNET_STACK_OWNER="demo pid $$ at $(date +%s%N)"
owner_file=$root/.cache/stack/run/owner
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$(cat "$owner_file" 2>/dev/null)" = "$SIGNET_STACK_OWNER" ]; then
    if ! "$root/scripts/stack/down.sh" >"$work/down.log" 2>&1; then
      cat "$work/down.log" >&2
      echo "demo: could not stop the local Sigstore; run scripts/stack/down.sh" >&2
      [ "$rc" -ne 0 ] || rc=1
    fi
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*" | sed "s#$work/##g; s#$root/##g; s#$HOME/##g"; "$@"; }

step "Build signet and the local Sigstore (cached after the first run)"
make -s build
scripts/stack/install.sh core
scripts/stack/up.sh core
# shellcheck disable=SC1091
. .cache/stack/run/env.sh
cd "$work"
signet=$root/bin/signet
echo "signet demo release 1.0" > release.txt

step "Get an identity token for alice@example.com from the test OIDC issuer"
SIGSTORE_ID_TOKEN=$(curl -fsS "$SIGNET_STACK_TOKEN_URL?sub=alice@example.com&email=alice@example.com")
export SIGSTORE_ID_TOKEN
echo "(a JWT of ${#SIGSTORE_ID_TOKEN} bytes in \$SIGSTORE_ID_TOKEN; signet never prints it)"

step "Sign keylessly: Fulcio certificate (with an SCT from the CT log), RFC 3161 timestamp, Rekor v2 entry, bundle"
show "$signet" sign --trust-config "$SIGNET_STACK_TRUST_CONFIG" release.txt

step "Verify it offline against the instance's trusted root: certificate chain, SCT, log entry, timestamp, identity"
verify=("$signet" verify --trust-config "$SIGNET_STACK_TRUST_CONFIG"
  --certificate-identity alice@example.com --certificate-oidc-issuer "$SIGNET_STACK_OIDC_URL")
show "${verify[@]}" release.txt

step "Tamper with the artifact: verification fails (exit code 1)"
echo "one more line" >> release.txt
if show "${verify[@]}" release.txt; then echo "demo: a tampered artifact verified" >&2; exit 1; fi

step "Someone else's identity fails too"
echo "signet demo release 1.0" > release.txt
if show "$signet" verify --trust-config "$SIGNET_STACK_TRUST_CONFIG" \
  --certificate-identity mallory@example.com --certificate-oidc-issuer "$SIGNET_STACK_OIDC_URL" release.txt; then
  echo "demo: a wrong identity verified" >&2; exit 1
fi

step "Done: the stack is stopped on exit"
