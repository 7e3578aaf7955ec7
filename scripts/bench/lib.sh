# Shared by scripts/bench.sh and scripts/bench-compare.sh (sourced from the repository root).
# shellcheck shell=bash

bench_cache=$PWD/.cache/bench
bench_bin=$bench_cache/bin

# install_peer NAME PKG@VERSION: go install a peer once into .cache/bench/bin/NAME, stamped
# with what was installed (NAME.version), outside the module so that its go.mod decides.
install_peer() {
  local name=$1 want=$2 tmp
  if [ -x "$bench_bin/$name" ] && [ "$(cat "$bench_bin/$name.version" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "installing $want into .cache/bench/bin/$name (once)..." >&2
  mkdir -p "$bench_bin"
  tmp=$(mktemp -d "$bench_cache/.install-XXXXXX")
  (cd "$tmp" && GOBIN=$tmp GOFLAGS= GOTOOLCHAIN=local go install -trimpath "$want") || { rm -rf "$tmp"; return 1; }
  local pkg=${want%@*}
  mv "$tmp/${pkg##*/}" "$bench_bin/$name"
  echo "$want" > "$bench_bin/$name.version"
  rm -rf "$tmp"
}

# The peers, pinned.
sigstore_go_verifier=github.com/sigstore/sigstore-go/examples/sigstore-go-verification@v1.3.0
sigstore_go_conformance=github.com/sigstore/sigstore-go/test/conformance@v1.3.0
cosign_pkg=github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3

# stack_running: a local Sigstore answers at the URLs env.sh names.
stack_running() {
  [ -f .cache/stack/run/env.sh ] && (. .cache/stack/run/env.sh && curl -fs -o /dev/null "$SIGNET_STACK_FULCIO_URL/api/v2/configuration")
}
