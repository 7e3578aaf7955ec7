# signet: thin wrappers around go and the scripts in scripts/. See README.md.
GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/signet-dev/signet/internal/cli.Version=$(VERSION)
# Third-party test data (conformance cases, bundle corpus) is read where it lies, never copied
# into the repository: $SIGNET_SHARED_DIR (relative to the repository root), else the
# directory "shared" beside the repository.
SHARED  := $(abspath $(or $(SIGNET_SHARED_DIR),../shared))

.PHONY: build test conformance corpus ecosystem e2e e2e-full stack-up stack-up-full stack-down demo bench fuzz lint clean

## build: compile signet and the conformance adapter into bin/ (static: no cgo, no dynamic loader at start-up)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/signet ./cmd/signet
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/signet-conformance ./cmd/signet-conformance

## test: unit, CLI (testscript) and conformance tests, then the conformance suite as a subprocess
test: build
	$(GO) test ./...
	scripts/conformance.sh $(BIN)/signet-conformance

## conformance: the Sigstore conformance verify cases and the pending ones, file and digest mode (152 runs)
conformance: build
	scripts/conformance.sh $(BIN)/signet-conformance

## corpus: the real-world bundle corpus in $(SHARED)/corpus (npm cases fetch their tarball with npm pack)
corpus: build
	@test -f "$(SHARED)/corpus/run.sh" || { echo "corpus: no bundle corpus at $(SHARED)/corpus (set SIGNET_SHARED_DIR to the shared test data directory)" >&2; exit 1; }
	"$(SHARED)/corpus/run.sh" "$(CURDIR)/$(BIN)/signet-conformance"

## ecosystem: the package-ecosystem attestation corpus in $(SHARED)/corpus/ecosystem (PEP 740, PyPI
## provenance, npm attestations and key sets, GitHub attestations) and the npm and PyPI cases of
## the bundle corpus, through signet verify's attestation flags; ambiguous cases are reported
ecosystem:
	SIGNET_SHARED_DIR="$(SHARED)" GO="$(GO)" scripts/ecosystem.sh

## e2e: end-to-end tests against a real Sigstore (core: Fulcio with a TesseraCT CT log, Rekor v2, TSA) that they start and stop
e2e: build
	scripts/stack/install.sh core
	SIGNET_E2E_MODE=core $(GO) test -tags e2e -count=1 -timeout 20m ./internal/e2e/

## e2e-full: the same with Rekor v1, Trillian and MariaDB (and the CT log on Trillian instead of TesseraCT)
e2e-full: build
	scripts/stack/install.sh full
	SIGNET_E2E_MODE=full $(GO) test -tags e2e -count=1 -timeout 30m ./internal/e2e/

## stack-up, stack-up-full, stack-down: run the local Sigstore by hand (see scripts/stack/README.md)
stack-up:
	scripts/stack/install.sh core && scripts/stack/up.sh core
stack-up-full:
	scripts/stack/install.sh full && scripts/stack/up.sh full
stack-down:
	scripts/stack/down.sh

## demo: sign a file keylessly against the local Sigstore, verify it, tamper, fail; stops everything
demo:
	scripts/demo.sh

## bench: in-process verification, hashing throughput, and whole-process timing against sigstore-go
bench: build
	scripts/bench.sh

## bench-compare: signet against sigstore-go and cosign in the same run, alternating: start-up, one
## verify, 1,000 verifies, signing 100 files (peers installed once into .cache/bench; RUNS, BATCH_RUNS,
## SIGN_FILES, SIGN_RUNS, ... in scripts/bench-compare.sh)
.PHONY: bench-compare
bench-compare: build
	scripts/bench-compare.sh

## fuzz: run every fuzz target for FUZZTIME (20s by default) and keep the inputs that found new
## coverage in each package's testdata/fuzz
fuzz:
	scripts/fuzz.sh

## lint: formatting and vet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'run gofmt -w'; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags e2e ./internal/e2e/

clean:
	rm -rf $(BIN)
