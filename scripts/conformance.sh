#!/usr/bin/env bash
# Runs the Sigstore conformance suite's verification cases against a client that speaks the
# suite's CLI protocol (conformance/README.md in the shared test data), exactly as the suite
# does: every case once with the artifact's path and once with sha256:<hex>, reading only the
# exit status. A case whose name ends in "fail" must be refused, every other must verify.
#   scripts/conformance.sh CLIENT [CASES_DIR...]
# The default CASES_DIRs are the suite's cases and the cases proposed upstream:
# $SHARED/conformance/bundle-verify (70) and $SHARED/conformance/pending (6), where SHARED is
# $SIGNET_SHARED_DIR (relative to the repository root), else the directory "shared" beside
# the repository. A case's artifact is its own "artifact" file, else a.txt in its CASES_DIR,
# else a.txt in the directory above.
set -u
shopt -s nullglob
client=${1:?usage: conformance.sh CLIENT [CASES_DIR...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SIGNET_SHARED_DIR:-$(dirname "$root")/shared}
case $shared in /*) ;; *) shared=$root/$shared ;; esac # relative to the repository, as in the Go tests
if [ $# -eq 0 ]; then
  set -- "$shared/conformance/bundle-verify" "$shared/conformance/pending"
fi
default_identity='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
default_issuer='https://token.actions.githubusercontent.com'

for cases in "$@"; do
  if [ ! -d "$cases" ]; then
    echo "conformance: no conformance cases at $cases (set SIGNET_SHARED_DIR to the shared test data directory; default: $(dirname "$root")/shared)" >&2
    exit 2
  fi
done

pass=0 total=0 failed=()
for cases in "$@"; do
  cases=${cases%/}
  suite=$(basename "$cases")
  default_artifact=$cases/a.txt
  [ -f "$default_artifact" ] || default_artifact=$(dirname "$cases")/a.txt
  for dir in "$cases"/*/; do
    dir=${dir%/}
    name=$(basename "$dir")
    artifact=$default_artifact
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
      mode=file
      [ "$target" = "$digest" ] && mode=digest
      if [ "$ok" -eq 1 ]; then pass=$((pass + 1)); else failed+=("$suite/$name ($mode, exit $rc)"); fi
    done
  done
done
for f in "${failed[@]}"; do echo "FAIL: $f"; done
echo "conformance: $pass/$total passed"
[ "$pass" -eq "$total" ]
