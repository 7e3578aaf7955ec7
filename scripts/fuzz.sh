#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME (default 20s) each (make fuzz; CI runs it
# with FUZZTIME=20s). After each target, the inputs with which the fuzzer found new coverage in
# this run (Go keeps them in $(go env GOCACHE)/fuzz/<import path>/<FuzzName>/) are copied into
# the package's testdata/fuzz/<FuzzName>/, smallest first, up to FUZZ_KEEP (default 50) files
# per target, so that `go test` replays them as seeds; commit them. FUZZ_KEEP=0 copies none.
# A failing input is written there by Go itself. Every target runs even when one fails; the
# script then exits 1 and names them. FUZZ_TARGETS (a regular expression) picks targets by
# "<import path>.<FuzzName>".
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-20s}
keep=${FUZZ_KEEP:-50}
only=${FUZZ_TARGETS:-}
cache=$(go env GOCACHE)/fuzz
stamp=$(mktemp)
trap 'rm -f "$stamp"' EXIT
failed=()
start=$(date +%s)
n=0

# keep_new DIR DEST: copy the files of DIR newer than $stamp that DEST lacks, smallest first,
# until DEST holds $keep files.
keep_new() {
  local src=$1 dest=$2 have f
  [ -d "$src" ] && [ "$keep" -gt 0 ] || return 0
  have=$(find "$dest" -maxdepth 1 -type f 2>/dev/null | wc -l)
  while IFS= read -r f; do
    [ "$have" -lt "$keep" ] || break
    [ -e "$dest/${f##*/}" ] && continue
    mkdir -p "$dest"
    cp "$f" "$dest/" && have=$((have + 1)) && echo "   kept ${f##*/}"
  done < <(find "$src" -maxdepth 1 -type f -newer "$stamp" -printf '%s %p\n' | sort -n | cut -d' ' -f2-)
}

for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    if [ -n "$only" ] && ! [[ "$pkg.$target" =~ $only ]]; then
      continue
    fi
    n=$((n + 1))
    echo "== $pkg $target ($fuzztime)"
    touch "$stamp"
    sleep 1 # file times have a second's grain on some file systems
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 1s "$pkg"; then
      failed+=("$pkg $target")
    fi
    keep_new "$cache/$pkg/$target" "$dir/testdata/fuzz/$target"
  done
done
echo "fuzz: $n targets, $(($(date +%s) - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz: FAILED %s\n' "${failed[@]}" >&2
  exit 1
fi
