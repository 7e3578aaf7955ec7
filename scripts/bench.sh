#!/usr/bin/env bash
# Benchmarks verification speed (make bench):
#  1. in-process: verifying one real bundle (message signature, DSSE) against the raw signature
#     checks it must do, and hashing a 1 GiB file against plain crypto/sha256 (go test -bench);
#  2. whole process: `signet verify` against sigstore-go's example verifier (v1.3.0, installed
#     here with go install into .cache/bench) on the same bundle, N runs each, wall time.
# Nothing asserts a duration; this prints numbers and ratios. The real bundles are conformance
# cases in the shared test data: $SIGNET_SHARED_DIR, else the directory "shared" beside the
# repository.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SIGNET_SHARED_DIR:-$(dirname "$PWD")/shared}
cases=$shared/conformance/bundle-verify
if [ ! -d "$cases" ]; then
  echo "bench: no conformance cases at $cases (set SIGNET_SHARED_DIR to the shared test data directory)" >&2
  exit 1
fi
runs=${RUNS:-200}
# shellcheck source=bench/lib.sh
. scripts/bench/lib.sh
cache=$bench_cache
mkdir -p "$cache/bin"

echo "== in-process (go test -bench ./pkg/verify)"
out=$(go test -run '^$' -bench 'Verify|RawCrypto|HashArtifact' -benchmem -count "${COUNT:-3}" ./pkg/verify/)
echo "$out" | grep -E '^Benchmark'
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ns() { echo "$out" | awk -v n="$1" '$1 ~ "^"n"(-[0-9]+)?$" {print $3}' | median; }
mbs() { echo "$out" | awk -v n="$1" '$1 ~ "^"n"(-[0-9]+)?$" {for (i=1;i<=NF;i++) if ($(i+1)=="MB/s") print $i}' | median; }
raw=$(ns BenchmarkRawCrypto)
for c in message-signature dsse; do
  v=$(ns "BenchmarkVerify/$c")
  awk -v v="$v" -v r="$raw" -v c="$c" 'BEGIN {printf "verify %-18s %8.0f us, raw crypto %8.0f us: %.2fx\n", c, v/1000, r/1000, v/r}'
done
awk -v s="$(mbs BenchmarkHashArtifact/signet)" -v c="$(mbs BenchmarkHashArtifact/crypto-sha256)" \
  'BEGIN {printf "hashing 1 GiB: signet %.0f MB/s, crypto/sha256 %.0f MB/s: %.3fx\n", s, c, s/c}'

echo "== whole process ($runs runs each)"
make -s build
install_peer sigstore-go-verification "$sigstore_go_verifier"
oracle=$bench_bin/sigstore-go-verification
root=pkg/trust/data/public-good/trusted_root.json
artifact=$cases/a.txt
bundle=$cases/happy-path-v0.3/bundle.sigstore.json
san='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
iss='https://token.actions.githubusercontent.com'
signet_cmd=(bin/signet verify --bundle "$bundle" --certificate-identity "$san" --certificate-oidc-issuer "$iss" --trusted-root "$root" "$artifact")
oracle_cmd=("$oracle" -artifact "$artifact" -expectedSAN "$san" -expectedIssuer "$iss" -trustedrootJSONpath "$root" "$bundle")
"${signet_cmd[@]}" 2>/dev/null
"${oracle_cmd[@]}" >/dev/null 2>&1

time_runs() { # prints mean wall microseconds per run
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1; done
  end=$(date +%s%N)
  echo $(( (end - start) / runs / 1000 ))
}
if command -v hyperfine >/dev/null; then
  # hyperfine (apt install hyperfine) runs without a shell and reports the mean.
  q() { printf '%q ' "$@"; }
  hyperfine -N -w 20 -r "$runs" --export-json "$cache/verify.json" "$(q "${signet_cmd[@]}")" "$(q "${oracle_cmd[@]}")" >/dev/null
  read -r s o < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(int(r[0]["mean"]*1e6), int(r[1]["mean"]*1e6))' "$cache/verify.json")
else
  s=$(time_runs "${signet_cmd[@]}")
  o=$(time_runs "${oracle_cmd[@]}")
fi
awk -v s="$s" -v o="$o" 'BEGIN {printf "signet verify %.2f ms, sigstore-go example %.2f ms per run: signet takes %.2fx the time\n", s/1000, o/1000, s/o}'

echo "== signing throughput: ${SIGN_FILES:=100} files, one identity, against the local Sigstore (core)"
install_peer sigstore-go-conformance "$sigstore_go_conformance"
signer=$bench_bin/sigstore-go-conformance
# One stack at a time on this host (fixed ports): the lock the e2e tests take.
mkdir -p .cache/e2e
exec {lockfd}>>.cache/e2e/lock
flock -w 900 "$lockfd" || { echo "bench: another run holds .cache/e2e/lock (the Sigstore stack's)" >&2; exit 1; }
started=
if ! stack_running; then
  scripts/stack/install.sh core >/dev/null
  scripts/stack/up.sh core >/dev/null
  started=1
fi
work=$(mktemp -d)
trap '[ -z "$started" ] || scripts/stack/down.sh >/dev/null 2>&1; rm -rf "$work"' EXIT
# shellcheck disable=SC1091
. .cache/stack/run/env.sh
mkdir -p "$work/signet" "$work/oracle"
for i in $(seq "$SIGN_FILES"); do
  head -c 4096 /dev/urandom > "$work/signet/f$i"
  cp "$work/signet/f$i" "$work/oracle/f$i"
done
token=$(curl -fsS "$SIGNET_STACK_TOKEN_URL?sub=bench@example.com&email=bench@example.com&ttl=30m")
start=$(date +%s%N)
SIGSTORE_ID_TOKEN=$token bin/signet sign --trust-config "$SIGNET_STACK_TRUST_CONFIG" --parallel "${PARALLEL:=32}" "$work"/signet/f* 2>/dev/null
s=$(( ($(date +%s%N) - start) / 1000000 ))
start=$(date +%s%N)
# The conformance client signs one file per process; run as many at once as signet does.
printf '%s\n' "$work"/oracle/f* | xargs -P "$PARALLEL" -I{} "$signer" sign-bundle --identity-token "$token" \
  --bundle {}.sigstore.json --trusted-root "$SIGNET_STACK_TRUSTED_ROOT" --signing-config "$SIGNET_STACK_SIGNING_CONFIG" {} >/dev/null 2>&1
o=$(( ($(date +%s%N) - start) / 1000000 ))
ns=$(find "$work/signet" -name '*.sigstore.json' | wc -l)
no=$(find "$work/oracle" -name '*.sigstore.json' | wc -l)
awk -v s="$s" -v o="$o" -v p="$PARALLEL" -v ns="$ns" -v no="$no" 'BEGIN {
  printf "signet: %d bundles in %.1f s (%.1f files/s); sigstore-go conformance: %d bundles in %.1f s (%.1f files/s); %d at a time each\n", ns, s/1000, ns/(s/1000), no, o/1000, no/(o/1000), p }'
