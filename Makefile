# signet: thin wrappers around go and the scripts in scripts/. See README.md.
GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/signet-dev/signet/internal/cli.Version=$(VERSION)

.PHONY: build test conformance bench fuzz lint clean

## build: compile signet and the conformance adapter into bin/
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/signet ./cmd/signet
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/signet-conformance ./cmd/signet-conformance

## test: unit, CLI (testscript) and conformance tests, then the conformance suite as a subprocess
test: build
	$(GO) test ./...
	scripts/conformance.sh $(BIN)/signet-conformance

## conformance: the Sigstore conformance verify cases, file and digest mode (140 runs)
conformance: build
	scripts/conformance.sh $(BIN)/signet-conformance

## bench: in-process verification, hashing throughput, and whole-process timing against sigstore-go
bench: build
	scripts/bench.sh

## fuzz: run every fuzz target briefly (FUZZTIME=10s by default)
fuzz:
	scripts/fuzz.sh

## lint: formatting and vet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'run gofmt -w'; exit 1; }
	$(GO) vet ./...

clean:
	rm -rf $(BIN)
