#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME (default 20s) each (make fuzz; CI runs it
# with FUZZTIME=20s). After each target, the inputs with which the fuzzer found new coverage in
# this run (Go keeps them in $(go env GOCACHE)/fuzz/<import path>/<FuzzName>/) are copied into
# the package's testdata/fuzz/<FuzzName>/, smallest first, up to FUZZ_KEEP (default 50) files
# per target, so that `go test` replays them as seeds; commit them. FUZZ_KEEP=0 copies none.
# A failing input is written there by Go itself. Every target runs even when one fails; the
# script then exits 1 and names them. FUZZ_TARGETS (a regular expression) picks targets by
# "<import path>.<FuzzName>". Targets run FUZZ_JOBS at a time (default: the CPU count), each with
# one fuzzing worker, so that every target gets its FUZZTIME and the whole takes about
# targets x FUZZTIME / FUZZ_JOBS.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-20s}
keep=${FUZZ_KEEP:-50}
only=${FUZZ_TARGETS:-}
cache=$(go env GOCACHE)/fuzz
start=$(date +%s)
n=0

# keep_new DIR DEST STAMP: copy the files of DIR newer than STAMP that DEST lacks, smallest
# first, until DEST holds $keep files.
keep_new() {
  local src=$1 dest=$2 stamp=$3 have f
  [ -d "$src" ] && [ "$keep" -gt 0 ] || return 0
  have=$(find "$dest" -maxdepth 1 -type f 2>/dev/null | wc -l)
  while IFS= read -r f; do
    [ "$have" -lt "$keep" ] || break
    [ -e "$dest/${f##*/}" ] && continue
    mkdir -p "$dest"
    cp "$f" "$dest/" && have=$((have + 1)) && echo "   kept ${f##*/}"
  done < <(find "$src" -maxdepth 1 -type f -newer "$stamp" -printf '%s %p\n' | sort -n | cut -d' ' -f2-)
}

# run_one PKG TARGET DIR: fuzz one target with one worker, keep its new inputs, and print its
# output in one piece (targets run FUZZ_JOBS at a time).
run_one() {
  local pkg=$1 target=$2 dir=$3 stamp out rc
  stamp=$(mktemp) out=$(mktemp)
  touch "$stamp"
  sleep 1 # file times have a second's grain on some file systems
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 1s -parallel 1 "$pkg" >"$out" 2>&1
  rc=$?
  # The Go fuzzer sometimes reports "context deadline exceeded" when its time runs out while it
  # minimises an input that found new coverage (not a failure: no input is written); that is
  # no finding.
  if [ $rc -ne 0 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
    echo "   (the fuzzer's time ran out while it minimised a new input: not a failure)" >>"$out"
    rc=0
  fi
  { echo "== $pkg $target ($fuzztime)"; cat "$out"; keep_new "$cache/$pkg/$target" "$dir/testdata/fuzz/$target" "$stamp"; } | flock "$lock" cat
  [ $rc -eq 0 ] || echo "$pkg $target" >>"$failures"
  rm -f "$stamp" "$out"
}

jobs=${FUZZ_JOBS:-$(nproc)}
lock=$(mktemp) failures=$(mktemp)
trap 'rm -f "$lock" "$failures"' EXIT
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    if [ -n "$only" ] && ! [[ "$pkg.$target" =~ $only ]]; then
      continue
    fi
    n=$((n + 1))
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    run_one "$pkg" "$target" "$dir" &
  done
done
wait
echo "fuzz: $n targets, $jobs at a time, $(($(date +%s) - start)) s"
if [ -s "$failures" ]; then
  sed 's/^/fuzz: FAILED /' "$failures" >&2
  exit 1
fi
