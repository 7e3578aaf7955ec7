#!/usr/bin/env bash
# Runs the Sigstore conformance suite's verification cases against a client that speaks the
# suite's CLI protocol (testdata/conformance/README.md), exactly as the suite does: every case
# once with the artifact's path and once with sha256:<hex>, reading only the exit status.
#   scripts/conformance.sh CLIENT [CASES_DIR]
set -u
client=${1:?usage: conformance.sh CLIENT [CASES_DIR]}
cases=${2:-testdata/conformance/bundle-verify}
default_identity='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
default_issuer='https://token.actions.githubusercontent.com'

pass=0 total=0 failed=()
for dir in "$cases"/*/; do
  dir=${dir%/}
  name=$(basename "$dir")
  artifact=$cases/a.txt
  [ -f "$dir/artifact" ] && artifact=$dir/artifact
  args=(verify-bundle --bundle "$dir/bundle.sigstore.json")
  if [ -f "$dir/key.pub" ]; then
    args+=(--key "$dir/key.pub")
  else
    identity=$default_identity issuer=$default_issuer
    [ -f "$dir/identity" ] && identity=$(<"$dir/identity")
    [ -f "$dir/issuer" ] && issuer=$(<"$dir/issuer")
    args+=(--certificate-identity "$identity" --certificate-oidc-issuer "$issuer")
  fi
  [ -f "$dir/trusted_root.json" ] && args+=(--trusted-root "$dir/trusted_root.json")
  digest="sha256:$(sha256sum "$artifact" | cut -d' ' -f1)"
  for target in "$artifact" "$digest"; do
    total=$((total + 1))
    "$client" "${args[@]}" "$target" >/dev/null 2>&1
    rc=$?
    if [[ $name == *fail ]]; then ok=$((rc != 0)); else ok=$((rc == 0)); fi
    if [ "$ok" -eq 1 ]; then pass=$((pass + 1)); else failed+=("$name ($target, exit $rc)"); fi
  done
done
for f in "${failed[@]}"; do echo "FAIL: $f"; done
echo "conformance: $pass/$total passed"
[ "$pass" -eq "$total" ]
