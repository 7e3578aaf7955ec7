package tsa

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/bundle"
)

// Real RFC 3161 tokens for the tests come from the Sigstore conformance suite's bundles in the
// shared test data (internal/shareddata), read where they lie. This file is part of package
// tsa so that the internal tests and, through its exported names, package tsa_test share it.

// ConformanceCase returns the path of a file of a conformance case (bundle-verify/<name>/<file>).
func ConformanceCase(tb testing.TB, name, file string) string {
	tb.Helper()
	return shareddata.Dir(tb, "conformance", "bundle-verify", name, file)
}

// ConformanceToken returns the first RFC 3161 token of a conformance case's bundle
// (verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp) and
// the signature it covers (messageSignature.signature, or the DSSE signature).
//
// The token of rekor2-timestamp-with-incorrect-time_fail is MIME-wrapped base64, which
// proto3 JSON does not allow, so bundle.Parse refuses that bundle; the line breaks are
// removed from a bundle's signedTimestamp values when it does not load otherwise.
func ConformanceToken(tb testing.TB, name string) (token, signature []byte) {
	tb.Helper()
	data, err := os.ReadFile(ConformanceCase(tb, name, "bundle.sigstore.json"))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := parseBundle(data)
	if err != nil {
		tb.Fatalf("conformance case %s: %v", name, err)
	}
	if len(b.Timestamps) == 0 {
		tb.Fatalf("conformance case %s has no RFC 3161 timestamp", name)
	}
	return b.Timestamps[0], b.Signature()
}

// parseBundle loads a bundle with bundle.Parse, and if that fails, once more with the line
// breaks removed from its signedTimestamp values.
func parseBundle(data []byte) (*bundle.Bundle, error) {
	b, err := bundle.Parse(data)
	if err == nil {
		return b, nil
	}
	var doc map[string]any
	if json.Unmarshal(data, &doc) != nil {
		return nil, err
	}
	vm, _ := doc["verificationMaterial"].(map[string]any)
	tvd, _ := vm["timestampVerificationData"].(map[string]any)
	tss, _ := tvd["rfc3161Timestamps"].([]any)
	for _, ts := range tss {
		if m, ok := ts.(map[string]any); ok {
			if s, ok := m["signedTimestamp"].(string); ok {
				m["signedTimestamp"] = strings.ReplaceAll(s, "\n", "")
			}
		}
	}
	unwrapped, jerr := json.Marshal(doc)
	if jerr != nil {
		return nil, err
	}
	return bundle.Parse(unwrapped)
}

// ConformanceTokens returns the first RFC 3161 token of every conformance bundle that has one
// and loads, for fuzz seeds.
func ConformanceTokens(tb testing.TB) [][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(shareddata.Dir(tb, "conformance", "bundle-verify"), "*", "bundle.sigstore.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no conformance bundles: %v", err)
	}
	var tokens [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		if b, err := parseBundle(data); err == nil {
			tokens = append(tokens, b.Timestamps...)
		}
	}
	return tokens
}
