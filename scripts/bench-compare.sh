#!/usr/bin/env bash
# make bench-compare: signet against its peers, in the same run, on the same cores (issue 9).
#
#  1. start-up: `signet --help`, the empty Go program (scripts/bench/empty) and the dependency
#     floor (scripts/bench/depfloor: nothing but the packages signet's formats and TUF need);
#  2. one verify of a real public-good bundle: `signet verify --offline --trusted-root`, the
#     empty program, and sigstore-go's example verifier on the same bundle and root;
#  3. 1,000 verifies of public-good-shaped bundles (scripts/bench/genbundles, made once):
#     one `signet verify FILE...` process, 1,000 `signet verify` processes, 1,000 processes of
#     sigstore-go's example verifier, and sigstore-go's library in one process on every core
#     (scripts/bench/sgbatch, its own module);
#  4. signing 100 files with one identity against the local Sigstore (core): `signet sign` in
#     one process, sigstore-go's conformance client at the same parallelism, and cosign v3's
#     sign-blob one process per file as a release script runs it.
#
# Each comparison runs its commands alternately, A B A B ... (scripts/bench/alt), and prints
# min, median and max wall time and the median of the per-round ratios; nothing asserts a
# duration. Peers are installed once into .cache/bench (git-ignored), pinned. The real bundle
# is a conformance case in the shared test data ($SIGNET_SHARED_DIR, else ../shared).
#
# Knobs (environment): RUNS (start-up and one verify, default 30), BATCH (bundles, 1000),
# BATCH_RUNS (3), SIGN_FILES (files to sign, "100"; "100 1000" runs both), SIGN_RUNS (3),
# PARALLEL (signet sign --parallel and the conformance client's processes at a time; 32,
# signet's default), COSIGN_PARALLEL (1: also time cosign PARALLEL processes at a time; 0: no),
# SECTIONS (default "startup verify batch sign").
# The signing section takes the stack lock (.cache/e2e/lock, as the e2e tests do), starts the
# core stack unless one is running, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
# shellcheck source=bench/lib.sh
. scripts/bench/lib.sh

runs=${RUNS:-30}
batch=${BATCH:-1000}
batch_runs=${BATCH_RUNS:-3}
sign_files=${SIGN_FILES:-100}
sign_runs=${SIGN_RUNS:-3}
parallel=${PARALLEL:-32}
cosign_parallel=${COSIGN_PARALLEL:-1}
sections=" ${SECTIONS:-startup verify batch sign} "
want() { [[ $sections == *" $1 "* ]]; }

shared=${SIGNET_SHARED_DIR:-$(dirname "$PWD")/shared}
case $shared in /*) ;; *) shared=$PWD/$shared ;; esac
cases=$shared/conformance/bundle-verify

machine() {
  local cpu
  cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
  echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, $(go env GOVERSION) $(go env GOOS)/$(go env GOARCH), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
}

echo "== bench-compare: $(date -u +%Y-%m-%dT%H:%MZ)"
machine
t0=$(date +%s)

# --- tools ---
make -s build
mkdir -p "$bench_bin"
go build -trimpath -o "$bench_bin/alt" ./scripts/bench/alt
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$bench_bin/empty" ./scripts/bench/empty # as make build builds signet
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$bench_bin/depfloor" ./scripts/bench/depfloor
install_peer sigstore-go-verification "$sigstore_go_verifier"
(cd scripts/bench/sgbatch && GOFLAGS=-buildvcs=false go build -trimpath -o "$bench_bin/sgbatch" .)
if want sign; then
  install_peer sigstore-go-conformance "$sigstore_go_conformance"
  install_peer cosign "$cosign_pkg" || echo "bench-compare: could not install $cosign_pkg; its row is skipped" >&2
fi
alt=$bench_bin/alt
signet=$PWD/bin/signet
sgv=$bench_bin/sigstore-go-verification
tsv=$(mktemp)
work=$(mktemp -d)
cleanup_stack=:
trap 'eval "$cleanup_stack"; rm -rf "$work" "$tsv"' EXIT

# ratio NAME: the median per-round ratio of the first command's time to NAME's (alt -tsv).
ratio() { awk -F'\t' -v n="$1" '$1 == n {print $6}' "$tsv"; }
# target DESCRIPTION NAME MAX: signet's time over NAME's must be at most MAX.
target() {
  local r
  r=$(ratio "$2")
  awk -v d="$1" -v r="$r" -v m="$3" 'BEGIN {
    faster = (r < 1) ? sprintf(", %.1fx faster", 1/r) : ""
    printf "target: %s: %.2fx%s (target at most %.2fx): %s\n", d, r, faster, m, (r <= m) ? "met" : "NOT met" }'
}

if want startup; then
  echo
  echo "== 1a. start-up: signet --help and the empty Go program ($runs runs each, alternating)"
  "$alt" -runs "$runs" -warmup 3 -tsv "$tsv" \
    'signet --help' :: "$signet" --help :: \
    'empty Go program' :: "$bench_bin/empty" :: \
    'dependency floor (scripts/bench/depfloor)' :: "$bench_bin/depfloor"
  target 'signet --help / empty Go program' 'empty Go program' 1.5
  awk -v r="$(ratio 'dependency floor (scripts/bench/depfloor)')" 'BEGIN {
    printf "(the dependency floor links only protobuf-specs, protojson, go-tuf metadata, net/http and crypto/x509: signet --help / floor %.2fx)\n", r }'
fi

if want verify; then
  if [ ! -d "$cases" ]; then
    echo "bench-compare: no conformance cases at $cases (set SIGNET_SHARED_DIR to the shared test data directory)" >&2
    exit 1
  fi
  root=$PWD/pkg/trust/data/public-good/trusted_root.json
  artifact=$cases/a.txt
  bundle=$cases/happy-path-v0.3/bundle.sigstore.json
  san='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
  iss='https://token.actions.githubusercontent.com'
  echo
  echo "== 1b. one verify of a public-good bundle (conformance happy-path-v0.3, public-good trusted root; $runs runs each, alternating)"
  "$alt" -runs "$runs" -warmup 3 -tsv "$tsv" \
    'signet verify' :: "$signet" verify --offline --trusted-root "$root" --bundle "$bundle" \
    --certificate-identity "$san" --certificate-oidc-issuer "$iss" "$artifact" :: \
    'empty Go program' :: "$bench_bin/empty" :: \
    'sigstore-go v1.3.0 example verifier' :: "$sgv" -artifact "$artifact" -expectedSAN "$san" \
    -expectedIssuer "$iss" -trustedrootJSONpath "$root" "$bundle"
  target 'signet verify / empty Go program' 'empty Go program' 2.5
  target 'signet verify / sigstore-go example verifier' 'sigstore-go v1.3.0 example verifier' 0.5
fi

if want batch; then
  set_dir=$bench_cache/bundles-$batch
  if [ ! -f "$set_dir/done" ]; then
    echo
    echo "generating $batch public-good-shaped bundles into .cache/bench/bundles-$batch (once)..."
    rm -rf "$set_dir"
    go run ./scripts/bench/genbundles -n "$batch" -out "$set_dir"
    touch "$set_dir/done"
  fi
  # shellcheck disable=SC1091
  . "$set_dir/identity.env"
  root=$set_dir/trusted_root.json
  files=("$set_dir"/files/*.txt)
  policy=(--certificate-identity "$SAN" --certificate-oidc-issuer "$ISSUER")
  : > "$work/signet-loop" && : > "$work/sg-loop"
  for f in "${files[@]}"; do
    printf '%s\t' "$signet" verify --offline --trusted-root "$root" "${policy[@]}" >> "$work/signet-loop"
    printf '%s\n' "$f" >> "$work/signet-loop"
    printf '%s\t' "$sgv" -artifact "$f" -expectedSAN "$SAN" -expectedIssuer "$ISSUER" -trustedrootJSONpath "$root" >> "$work/sg-loop"
    printf '%s\n' "$f.sigstore.json" >> "$work/sg-loop"
  done
  batch_cmd=("$signet" verify --offline --trusted-root "$root" "${policy[@]}")
  echo
  echo "== 2. $batch verifies of public-good-shaped bundles ($batch_runs runs each, alternating; $(nproc) cores)"
  # signet verify FILE... may not exist yet: try it on two files.
  if out=$("${batch_cmd[@]}" "${files[@]:0:2}" 2>&1); then
    "$alt" -runs "$batch_runs" -warmup 1 -tsv "$tsv" \
      "signet verify FILE... (one process, $batch files)" :: "${batch_cmd[@]}" "${files[@]}" :: \
      "signet verify, one process per file" :: @each "$work/signet-loop" :: \
      "sigstore-go v1.3.0 example verifier, one process per file" :: @each "$work/sg-loop" :: \
      "sigstore-go v1.3.0 library, one process, $(nproc) workers (sgbatch)" :: "$bench_bin/sgbatch" \
      -trusted-root "$root" -san "$SAN" -issuer "$ISSUER" "${files[@]}"
    target "signet verify FILE... / sigstore-go in-process batch" "sigstore-go v1.3.0 library, one process, $(nproc) workers (sgbatch)" 0.5
    target "signet verify FILE... / sigstore-go per-process loop" "sigstore-go v1.3.0 example verifier, one process per file" 0.05
  else
    echo "| signet verify FILE... (one process, $batch files) | not available yet: $(echo "$out" | grep -m1 -i error || echo "$out" | head -1) |"
    echo
    "$alt" -runs "$batch_runs" -warmup 1 -tsv "$tsv" \
      "signet verify, one process per file" :: @each "$work/signet-loop" :: \
      "sigstore-go v1.3.0 example verifier, one process per file" :: @each "$work/sg-loop" :: \
      "sigstore-go v1.3.0 library, one process, $(nproc) workers (sgbatch)" :: "$bench_bin/sgbatch" \
      -trusted-root "$root" -san "$SAN" -issuer "$ISSUER" "${files[@]}"
    echo "target: signet verify FILE... / sigstore-go in-process batch (at most 0.50x): not available yet"
    echo "target: signet verify FILE... / sigstore-go per-process loop (at most 0.05x): not available yet"
  fi
fi

if want sign; then
  # One stack at a time on this host (fixed ports): the lock the e2e tests take.
  mkdir -p .cache/e2e
  exec {lockfd}>>.cache/e2e/lock
  if ! flock -w 900 "$lockfd"; then
    echo "bench-compare: another run holds .cache/e2e/lock (the Sigstore stack's); giving up" >&2
    exit 1
  fi
  if ! stack_running; then
    scripts/stack/install.sh core >/dev/null
    scripts/stack/up.sh core >/dev/null
    cleanup_stack='scripts/stack/down.sh >/dev/null 2>&1'
  fi
  # shellcheck disable=SC1091
  . .cache/stack/run/env.sh
  # One identity for the whole run (tokens from the stack's test OIDC issuer).
  token=$(curl -fsS "$SIGNET_STACK_TOKEN_URL?sub=bench@example.com&email=bench@example.com&ttl=3h")
  # cosign takes --identity-token as a raw token only if it is an RS256 JWT; the stack's
  # issuer signs with ES256, so cosign gets the token as a file, which it also accepts.
  printf '%s' "$token" > "$work/token"
  tr=$SIGNET_STACK_TRUSTED_ROOT
  sc=$SIGNET_STACK_SIGNING_CONFIG
  cosign=$bench_bin/cosign
  have_cosign=
  if [ -x "$cosign" ]; then
    # Can cosign sign against this private instance? (--trusted-root and --signing-config are
    # cosign v3's flags for one.)
    echo probe > "$work/probe"
    if out=$("$cosign" sign-blob --yes --bundle "$work/probe.sigstore.json" --trusted-root "$tr" \
      --signing-config "$sc" --identity-token "$work/token" "$work/probe" 2>&1); then
      have_cosign=1
    else
      cosign_why=$(echo "$out" | grep -v '^\s*$' | tail -1)
    fi
  fi
  for n in $sign_files; do
    d=$work/sign-$n
    mkdir -p "$d/signet" "$d/sg" "$d/cosign" "$d/cosignp"
    for i in $(seq -w 1 "$n"); do
      head -c 4096 /dev/urandom > "$d/signet/f$i"
      for t in sg cosign cosignp; do cp "$d/signet/f$i" "$d/$t/f$i"; done
    done
    : > "$d/sg.list" && : > "$d/cosign.list" && : > "$d/cosignp.list"
    for i in $(seq -w 1 "$n"); do
      printf '%s\t' "$bench_bin/sigstore-go-conformance" sign-bundle --identity-token "$token" \
        --bundle "$d/sg/f$i.sigstore.json" --trusted-root "$tr" --signing-config "$sc" >> "$d/sg.list"
      printf '%s\n' "$d/sg/f$i" >> "$d/sg.list"
      for t in cosign cosignp; do
        printf '%s\t' "$cosign" sign-blob --yes --bundle "$d/$t/f$i.sigstore.json" --trusted-root "$tr" \
          --signing-config "$sc" --identity-token "$work/token" >> "$d/$t.list"
        printf '%s\n' "$d/$t/f$i" >> "$d/$t.list"
      done
    done
    cmds=("signet sign, one process, --parallel $parallel" :: "$signet" sign --trust-config "$SIGNET_STACK_TRUST_CONFIG"
      --identity-token "$token" --parallel "$parallel" --overwrite "$d"/signet/f*
      :: "sigstore-go v1.3.0 conformance client, $parallel processes at a time" :: "@each:$parallel" "$d/sg.list")
    if [ -n "$have_cosign" ]; then
      cmds+=(:: "cosign ${cosign_pkg##*@} sign-blob, one process per file, one after another" :: @each "$d/cosign.list")
      if [ "$cosign_parallel" = 1 ]; then
        cmds+=(:: "cosign ${cosign_pkg##*@} sign-blob, $parallel processes at a time" :: "@each:$parallel" "$d/cosignp.list")
      fi
    fi
    echo
    echo "== 3. signing $n files with one identity against the local Sigstore ($SIGNET_STACK_MODE stack: Fulcio with its CT log, Rekor v2, TSA; $sign_runs runs each, alternating)"
    "$alt" -runs "$sign_runs" -warmup 0 -tsv "$tsv" "${cmds[@]}"
    # Every signer wrote a bundle per file, and its bundles verify (signet verify on the first
    # and last, SCT included).
    for t in signet sg cosign; do
      [ "$t" != cosign ] || [ -n "$have_cosign" ] || continue
      got=$(find "$d/$t" -name '*.sigstore.json' | wc -l)
      [ "$got" -eq "$n" ] || { echo "bench-compare: $t wrote $got bundles for $n files" >&2; exit 1; }
      for f in "$d/$t/f$(seq -w 1 "$n" | head -1)" "$d/$t/f$n"; do
        "$signet" verify --trust-config "$SIGNET_STACK_TRUST_CONFIG" --certificate-identity bench@example.com \
          --certificate-oidc-issuer "$SIGNET_STACK_OIDC_URL" "$f" >/dev/null 2>"$work/verify.err" ||
          { echo "bench-compare: $t's bundle for $f does not verify:" >&2; cat "$work/verify.err" >&2; exit 1; }
      done
    done
    if [ -n "$have_cosign" ]; then
      target "signet sign / cosign sign-blob per file ($n files)" "cosign ${cosign_pkg##*@} sign-blob, one process per file, one after another" 0.2
    else
      echo "| cosign ${cosign_pkg##*@} sign-blob | cannot sign against the local stack: ${cosign_why:-not installed} |"
    fi
    target "signet sign / sigstore-go conformance client ($n files)" "sigstore-go v1.3.0 conformance client, $parallel processes at a time" 0.5
  done
fi

echo
machine
echo "bench-compare: $(($(date +%s) - t0)) s in all"
