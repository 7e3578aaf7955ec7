package bundle_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/bundle"
)

// conformanceDir is the sigstore-conformance suite's verification cases in the shared test
// data (internal/shareddata); each case's README says what is wrong with its bundle.
func conformanceDir(t testing.TB) string {
	t.Helper()
	return shareddata.Dir(t, "conformance", "bundle-verify")
}

// readCase returns the bundle of a conformance case.
func readCase(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(conformanceDir(t), name, "bundle.sigstore.json"))
	require.NoError(t, err)
	return data
}

// edit decodes a JSON document, lets f change it and encodes it again. Numbers are kept as
// written so that int64 fields survive the trip.
func edit(t testing.TB, data []byte, f func(d map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var d map[string]any
	require.NoError(t, dec.Decode(&d))
	f(d)
	out, err := json.Marshal(d)
	require.NoError(t, err)
	return out
}

// at walks a decoded JSON document along keys (string) and indexes (int).
func at(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v
}

func obj(v any, path ...any) map[string]any { return at(v, path...).(map[string]any) }
func arr(v any, path ...any) []any          { return at(v, path...).([]any) }

// repeat returns a slice holding n copies of v.
func repeat(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// checkInvariants asserts what every successfully loaded bundle promises its users.
func checkInvariants(t testing.TB, b *bundle.Bundle) {
	t.Helper()
	if (b.MessageSignature == nil) == (b.Envelope == nil) {
		t.Errorf("want exactly one of MessageSignature and Envelope, got %v and %v", b.MessageSignature != nil, b.Envelope != nil)
	}
	if (b.Certificate == nil) == (b.PublicKeyHint == nil) {
		t.Errorf("want exactly one of Certificate and PublicKeyHint, got %v and %v", b.Certificate != nil, b.PublicKeyHint != nil)
	}
	if b.Minor < 1 || b.Minor > 3 {
		t.Errorf("Minor = %d, want 1..3", b.Minor)
	}
	wantMinor := map[string]int{bundle.MediaType01: 1, bundle.MediaType02: 2, bundle.MediaType03: 3, bundle.MediaType03New: 3}[b.MediaType]
	if wantMinor != b.Minor {
		t.Errorf("media type %q loaded as minor %d", b.MediaType, b.Minor)
	}
	if len(b.Signature()) == 0 {
		t.Errorf("loaded a bundle with an empty signature")
	}
	if b.Envelope != nil && b.Envelope.PayloadType == "" {
		t.Errorf("loaded an envelope without a payload type")
	}
	if len(b.TlogEntries) > bundle.MaxTlogEntries || len(b.Timestamps) > bundle.MaxTimestamps {
		t.Errorf("loaded %d log entries and %d timestamps", len(b.TlogEntries), len(b.Timestamps))
	}
	for i, e := range b.TlogEntries {
		if e.GetLogIndex() < 0 || len(e.GetLogId().GetKeyId()) == 0 || len(e.GetCanonicalizedBody()) == 0 {
			t.Errorf("loaded tlog entry %d without index, log id or body", i)
		}
	}
	for i, ts := range b.Timestamps {
		if len(ts) == 0 {
			t.Errorf("loaded empty timestamp %d", i)
		}
	}
	if b.Proto() == nil {
		t.Errorf("Proto() is nil")
	}
}

func TestParse(t *testing.T) {
	happyV01 := readCase(t, "happy-path-v0.1")
	happyV02 := readCase(t, "happy-path-v0.2")
	happyV03 := readCase(t, "happy-path-v0.3")
	happyV03New := readCase(t, "happy-path-v0.3-new-mediaType")
	dsseV03 := readCase(t, "happy-path-intoto-in-dsse-v3")
	rekor2 := readCase(t, "rekor2-happy-path") // v0.3 with one RFC 3161 timestamp
	managedKey := readCase(t, "managed-key-happy-path")
	withRoot := readCase(t, "bundle-with-root-cert_fail")

	setMediaType := func(data []byte, mt string) []byte {
		return edit(t, data, func(d map[string]any) { d["mediaType"] = mt })
	}
	// certAsChain moves a v0.3 bundle's certificate into an x509CertificateChain of one.
	certAsChain := func(data []byte, mt string) []byte {
		return edit(t, data, func(d map[string]any) {
			vm := obj(d, "verificationMaterial")
			cert := vm["certificate"]
			delete(vm, "certificate")
			vm["x509CertificateChain"] = map[string]any{"certificates": []any{cert}}
			d["mediaType"] = mt
		})
	}
	chain := func(data []byte, f func(certs []any) []any) []byte {
		return edit(t, data, func(d map[string]any) {
			c := obj(d, "verificationMaterial", "x509CertificateChain")
			c["certificates"] = f(arr(c, "certificates"))
		})
	}
	entry := func(data []byte, f func(e map[string]any)) []byte {
		return edit(t, data, func(d map[string]any) { f(obj(d, "verificationMaterial", "tlogEntries", 0)) })
	}
	entries := func(data []byte, n int) []byte {
		return edit(t, data, func(d map[string]any) {
			vm := obj(d, "verificationMaterial")
			vm["tlogEntries"] = repeat(arr(vm, "tlogEntries")[0], n)
		})
	}
	timestamps := func(data []byte, n int) []byte {
		return edit(t, data, func(d map[string]any) {
			tvd := obj(d, "verificationMaterial", "timestampVerificationData")
			tvd["rfc3161Timestamps"] = repeat(arr(tvd, "rfc3161Timestamps")[0], n)
		})
	}
	envelope := func(data []byte, f func(env map[string]any)) []byte {
		return edit(t, data, func(d map[string]any) { f(obj(d, "dsseEnvelope")) })
	}

	cases := []struct {
		name  string
		data  []byte
		err   string // a part of the refusal's message; "" when the bundle loads
		check func(t *testing.T, b *bundle.Bundle)
	}{
		// Media types: every version signet reads, and a twin with a version it does not.
		{"v0.1", happyV01, "", func(t *testing.T, b *bundle.Bundle) {
			require.Equal(t, 1, b.Minor)
			require.Equal(t, bundle.MediaType01, b.MediaType)
			require.NotNil(t, b.Certificate)
			require.NotNil(t, b.MessageSignature)
			require.Len(t, b.TlogEntries, 1)
		}},
		{"v0.1 with version 0.4", setMediaType(happyV01, "application/vnd.dev.sigstore.bundle+json;version=0.4"), "media type", nil},
		{"unknown version (conformance)", readCase(t, "bundle-unknown-version_fail"), "media type", nil},
		{"v0.2", happyV02, "", func(t *testing.T, b *bundle.Bundle) {
			require.Equal(t, 2, b.Minor)
			require.Equal(t, bundle.MediaType02, b.MediaType)
			require.NotNil(t, b.Certificate)
		}},
		{"v0.2 media type with a space", setMediaType(happyV02, "application/vnd.dev.sigstore.bundle+json; version=0.2"), "media type", nil},
		{"v0.2 media type in upper case", setMediaType(happyV02, strings.ToUpper(bundle.MediaType02)), "media type", nil},
		{"v0.3", happyV03, "", func(t *testing.T, b *bundle.Bundle) {
			require.Equal(t, 3, b.Minor)
			require.Equal(t, bundle.MediaType03, b.MediaType)
			require.NotNil(t, b.Certificate)
			require.Nil(t, b.PublicKeyHint)
		}},
		{"v0.3 new spelling", happyV03New, "", func(t *testing.T, b *bundle.Bundle) {
			require.Equal(t, 3, b.Minor)
			require.Equal(t, bundle.MediaType03New, b.MediaType)
		}},
		{"v0.4 new spelling", setMediaType(happyV03New, "application/vnd.dev.sigstore.bundle.v0.4+json"), "media type", nil},
		{"no media type", edit(t, happyV03New, func(d map[string]any) { delete(d, "mediaType") }), "media type", nil},

		// v0.3 carries one certificate; the same chain is fine in v0.2.
		{"v0.2 with a chain of one", certAsChain(happyV03, bundle.MediaType02), "", func(t *testing.T, b *bundle.Bundle) {
			require.Equal(t, 2, b.Minor)
			require.NotNil(t, b.Certificate)
		}},
		{"v0.3 with x509CertificateChain", certAsChain(happyV03, bundle.MediaType03), "x509CertificateChain", nil},
		{"v0.3 new spelling with x509CertificateChain", certAsChain(happyV03, bundle.MediaType03New), "x509CertificateChain", nil},

		// Certificate chains.
		{"empty chain (conformance)", readCase(t, "bundle-empty-certificate-chain_fail"), "chain is empty", nil},
		{"empty chain", chain(happyV01, func([]any) []any { return []any{} }), "chain is empty", nil},
		// Old bundles may carry intermediates and the root after the leaf: they are ignored.
		{"chain with root (conformance)", withRoot, "", func(t *testing.T, b *bundle.Bundle) {
			require.Equal(t, "a@tny.town", b.Certificate.EmailAddresses[0])
		}},
		{"chain without its root", chain(withRoot, func(c []any) []any { return []any{c[0], c[2]} }), "", func(t *testing.T, b *bundle.Bundle) {
			// The leaf is the chain's first certificate, not the intermediate.
			require.Equal(t, "a@tny.town", b.Certificate.EmailAddresses[0])
		}},
		{"chain ending in its root", chain(withRoot, func(c []any) []any { return []any{c[0], c[2], c[1]} }), "", func(t *testing.T, b *bundle.Bundle) {
			require.Equal(t, "a@tny.town", b.Certificate.EmailAddresses[0])
		}},
		// A root in the leaf's place loads as the "leaf" (verification refuses a CA certificate).
		{"chain of only a root", chain(withRoot, func(c []any) []any { return []any{c[1]} }), "", func(t *testing.T, b *bundle.Bundle) {
			require.True(t, b.Certificate.IsCA)
		}},
		{"chain at the length limit", chain(happyV01, func(c []any) []any { return repeat(c[0], bundle.MaxChainLength) }), "", nil},
		{"chain over the length limit", chain(happyV01, func(c []any) []any { return repeat(c[0], bundle.MaxChainLength+1) }), "more than 10 certificates", nil},
		{"chain with an unparsable certificate", chain(happyV01, func(c []any) []any {
			return []any{c[0], map[string]any{"rawBytes": base64.StdEncoding.EncodeToString([]byte("not DER"))}}
		}), "chain[1]", nil},
		{"certificate without bytes", edit(t, happyV03, func(d map[string]any) {
			obj(d, "verificationMaterial")["certificate"] = map[string]any{}
		}), "empty certificate", nil},
		{"certificate that is not DER", edit(t, happyV03, func(d map[string]any) {
			obj(d, "verificationMaterial", "certificate")["rawBytes"] = base64.StdEncoding.EncodeToString([]byte("garbage"))
		}), "certificate:", nil},

		// Public key hints.
		{"public key hint", managedKey, "", func(t *testing.T, b *bundle.Bundle) {
			require.Nil(t, b.Certificate)
			require.NotNil(t, b.PublicKeyHint)
			require.Equal(t, "TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=", *b.PublicKeyHint)
			require.Len(t, b.Timestamps, 1)
		}},
		{"empty public key hint", edit(t, managedKey, func(d map[string]any) {
			obj(d, "verificationMaterial")["publicKey"] = map[string]any{}
		}), "", func(t *testing.T, b *bundle.Bundle) {
			require.NotNil(t, b.PublicKeyHint)
			require.Empty(t, *b.PublicKeyHint)
			require.Nil(t, b.Certificate)
		}},
		{"no key material", edit(t, managedKey, func(d map[string]any) {
			delete(obj(d, "verificationMaterial"), "publicKey")
		}), "no certificate or public key", nil},

		// Malformed JSON, unknown fields, bad base64.
		{"malformed JSON (conformance)", readCase(t, "bundle-malformed-json_fail"), "JSON", nil},
		{"truncated", happyV03[:len(happyV03)/2], "JSON", nil},
		{"empty input", []byte{}, "JSON", nil},
		{"JSON null", []byte("null"), "JSON", nil},
		{"JSON array", []byte("[]"), "JSON", nil},
		{"two documents", append(append([]byte{}, happyV03...), happyV03...), "JSON", nil},
		{"unknown top-level field", edit(t, happyV03, func(d map[string]any) { d["extra"] = true }), "unknown field \"extra\"", nil},
		{"unknown field in verificationMaterial", edit(t, happyV03, func(d map[string]any) {
			obj(d, "verificationMaterial")["x509Certificate"] = "x"
		}), "unknown field \"x509Certificate\"", nil},
		{"unknown field in a log entry", entry(happyV03, func(e map[string]any) { e["logURL"] = "https://example.com" }), "unknown field \"logURL\"", nil},
		{"invalid base64 signature (conformance)", readCase(t, "bundle-invalid-base64-signature_fail"), "field signature", nil},
		{"invalid base64 certificate", edit(t, happyV03, func(d map[string]any) {
			obj(d, "verificationMaterial", "certificate")["rawBytes"] = "!!!not base64!!!"
		}), "field rawBytes", nil},
		{"enum name unknown", edit(t, happyV03, func(d map[string]any) {
			obj(d, "messageSignature", "messageDigest")["algorithm"] = "SHA2_1024"
		}), "field algorithm", nil},

		// Content.
		{"no verificationMaterial", edit(t, happyV03, func(d map[string]any) { delete(d, "verificationMaterial") }), "no verificationMaterial", nil},
		{"no content", edit(t, happyV03, func(d map[string]any) { delete(d, "messageSignature") }), "neither messageSignature nor dsseEnvelope", nil},
		{"both messageSignature and dsseEnvelope", edit(t, happyV03, func(d map[string]any) {
			var v map[string]any
			require.NoError(t, json.Unmarshal(dsseV03, &v))
			d["dsseEnvelope"] = v["dsseEnvelope"]
		}), "already set", nil},
		{"empty message signature", edit(t, happyV03, func(d map[string]any) { obj(d, "messageSignature")["signature"] = "" }), "message signature is empty", nil},
		{"missing message signature", edit(t, happyV03, func(d map[string]any) { delete(obj(d, "messageSignature"), "signature") }), "message signature is empty", nil},
		{"empty message digest", edit(t, happyV03, func(d map[string]any) {
			obj(d, "messageSignature", "messageDigest")["digest"] = ""
		}), "message digest is empty", nil},
		{"no message digest", edit(t, happyV03, func(d map[string]any) { delete(obj(d, "messageSignature"), "messageDigest") }), "", func(t *testing.T, b *bundle.Bundle) {
			require.NotEmpty(t, b.Signature())
		}},

		// DSSE envelopes carry exactly one non-empty signature.
		{"DSSE", dsseV03, "", func(t *testing.T, b *bundle.Bundle) {
			require.Nil(t, b.MessageSignature)
			require.NotNil(t, b.Envelope)
			require.Equal(t, "application/vnd.in-toto+json", b.Envelope.PayloadType)
			require.True(t, json.Valid(b.Envelope.Payload), "payload is base64-decoded JSON")
			require.Equal(t, b.Envelope.Signature, b.Signature())
		}},
		{"DSSE with 0 signatures", envelope(dsseV03, func(env map[string]any) { env["signatures"] = []any{} }), "0 signatures", nil},
		{"DSSE without signatures", envelope(dsseV03, func(env map[string]any) { delete(env, "signatures") }), "0 signatures", nil},
		{"DSSE with 2 signatures", envelope(dsseV03, func(env map[string]any) {
			env["signatures"] = repeat(arr(env, "signatures")[0], 2)
		}), "2 signatures", nil},
		{"DSSE with an empty signature", envelope(dsseV03, func(env map[string]any) {
			env["signatures"] = []any{map[string]any{"sig": "", "keyid": ""}}
		}), "signature is empty", nil},
		{"DSSE with a key id", envelope(dsseV03, func(env map[string]any) {
			obj(env, "signatures", 0)["keyid"] = "my-key"
		}), "", func(t *testing.T, b *bundle.Bundle) { require.Equal(t, "my-key", b.Envelope.KeyID) }},
		{"DSSE without payloadType", envelope(dsseV03, func(env map[string]any) { delete(env, "payloadType") }), "no payloadType", nil},

		// Log entries.
		{"negative logIndex (conformance)", readCase(t, "bundle-negative-log-index_fail"), "negative logIndex", nil},
		{"logIndex 0", entry(happyV03, func(e map[string]any) { e["logIndex"] = "0" }), "", func(t *testing.T, b *bundle.Bundle) {
			require.Zero(t, b.TlogEntries[0].GetLogIndex())
		}},
		{"logIndex -1", entry(happyV03, func(e map[string]any) { e["logIndex"] = "-1" }), "negative logIndex", nil},
		{"missing logId", entry(happyV03, func(e map[string]any) { delete(e, "logId") }), "missing logId", nil},
		{"empty logId", entry(happyV03, func(e map[string]any) { e["logId"] = map[string]any{} }), "missing logId", nil},
		{"missing kindVersion", entry(happyV03, func(e map[string]any) { delete(e, "kindVersion") }), "missing kindVersion", nil},
		{"kindVersion without version", entry(happyV03, func(e map[string]any) { delete(obj(e, "kindVersion"), "version") }), "missing kindVersion", nil},
		{"kindVersion without kind", entry(happyV03, func(e map[string]any) { delete(obj(e, "kindVersion"), "kind") }), "missing kindVersion", nil},
		{"missing canonicalizedBody", entry(happyV03, func(e map[string]any) { delete(e, "canonicalizedBody") }), "missing canonicalizedBody", nil},
		{"negative integratedTime", entry(happyV03, func(e map[string]any) { e["integratedTime"] = "-5" }), "negative integratedTime", nil},
		{"inclusion proof with negative tree size", entry(happyV03, func(e map[string]any) {
			obj(e, "inclusionProof")["treeSize"] = "-1"
		}), "negative index or tree size", nil},
		{"inclusion proof with negative index", entry(happyV03, func(e map[string]any) {
			obj(e, "inclusionProof")["logIndex"] = "-1"
		}), "negative index or tree size", nil},
		{"inclusion proof with 64 hashes", entry(happyV03, func(e map[string]any) {
			p := obj(e, "inclusionProof")
			p["hashes"] = repeat(arr(p, "hashes")[0], 64)
		}), "", nil},
		{"inclusion proof with 65 hashes", entry(happyV03, func(e map[string]any) {
			p := obj(e, "inclusionProof")
			p["hashes"] = repeat(arr(p, "hashes")[0], 65)
		}), "more than 64 hashes", nil},
		{"no log entries", edit(t, happyV03, func(d map[string]any) { delete(obj(d, "verificationMaterial"), "tlogEntries") }), "", func(t *testing.T, b *bundle.Bundle) {
			require.Empty(t, b.TlogEntries)
		}},
		{"log entries at the limit", entries(happyV03, bundle.MaxTlogEntries), "", func(t *testing.T, b *bundle.Bundle) {
			require.Len(t, b.TlogEntries, bundle.MaxTlogEntries)
		}},
		{"too many log entries", entries(happyV03, bundle.MaxTlogEntries+1), "more than 32 transparency log entries", nil},
		{"second log entry bad", edit(t, happyV03, func(d map[string]any) {
			vm := obj(d, "verificationMaterial")
			var bad map[string]any
			raw, _ := json.Marshal(arr(vm, "tlogEntries")[0])
			require.NoError(t, json.Unmarshal(raw, &bad))
			bad["logIndex"] = "-2"
			vm["tlogEntries"] = []any{arr(vm, "tlogEntries")[0], bad}
		}), "tlogEntries[1]", nil},

		// RFC 3161 timestamps.
		{"one timestamp", rekor2, "", func(t *testing.T, b *bundle.Bundle) {
			require.Len(t, b.Timestamps, 1)
			require.Equal(t, byte(0x30), b.Timestamps[0][0], "a DER SEQUENCE")
		}},
		{"timestamps at the limit", timestamps(rekor2, bundle.MaxTimestamps), "", func(t *testing.T, b *bundle.Bundle) {
			require.Len(t, b.Timestamps, bundle.MaxTimestamps)
		}},
		{"too many timestamps", timestamps(rekor2, bundle.MaxTimestamps+1), "more than 32 timestamps", nil},
		{"empty timestamp", edit(t, rekor2, func(d map[string]any) {
			obj(d, "verificationMaterial", "timestampVerificationData", "rfc3161Timestamps", 0)["signedTimestamp"] = ""
		}), "rfc3161Timestamps[0] is empty", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := bundle.Parse(c.data)
			if c.err != "" {
				require.Nil(t, b)
				require.ErrorIs(t, err, bundle.ErrMalformed)
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			checkInvariants(t, b)
			if c.check != nil {
				c.check(t, b)
			}
		})
	}
}

// TestParseConformance loads every bundle of the conformance suite. Only the cases about a
// bundle's structure may be refused here; the others are well-formed and fail later, in
// verification (bundle-with-root-cert_fail too: the superfluous root is ignored, and its
// inclusion proof has no checkpoint).
func TestParseConformance(t *testing.T) {
	refused := map[string]bool{
		"bundle-empty-certificate-chain_fail":  true,
		"bundle-invalid-base64-signature_fail": true,
		"bundle-malformed-json_fail":           true,
		"bundle-negative-log-index_fail":       true,
		"bundle-unknown-version_fail":          true,
		// Its signedTimestamp is base64 wrapped at 76 columns with "\n" (see the case's README,
		// made with `base64 response.tsr`), which proto3 JSON does not allow.
		"rekor2-timestamp-with-incorrect-time_fail": true,
	}
	paths, err := filepath.Glob(filepath.Join(conformanceDir(t), "*", "bundle.sigstore.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		name := filepath.Base(filepath.Dir(p))
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			b, err := bundle.Parse(data)
			if refused[name] {
				require.ErrorIs(t, err, bundle.ErrMalformed)
				return
			}
			require.NoError(t, err)
			checkInvariants(t, b)
		})
	}
}

func TestNew(t *testing.T) {
	sig := &pbbundle.Bundle_MessageSignature{MessageSignature: &pbcommon.MessageSignature{Signature: []byte{0x30, 0x01}}}
	hint := &pbbundle.VerificationMaterial_PublicKey{PublicKey: &pbcommon.PublicKeyIdentifier{Hint: "key-1"}}
	cases := []struct {
		name string
		pb   *pbbundle.Bundle
		ok   bool
	}{
		{"public key and message signature", &pbbundle.Bundle{
			MediaType:            bundle.MediaType03New,
			VerificationMaterial: &pbbundle.VerificationMaterial{Content: hint},
			Content:              sig,
		}, true},
		{"nil message signature", &pbbundle.Bundle{
			MediaType:            bundle.MediaType03New,
			VerificationMaterial: &pbbundle.VerificationMaterial{Content: hint},
			Content:              &pbbundle.Bundle_MessageSignature{},
		}, false},
		{"nil envelope", &pbbundle.Bundle{
			MediaType:            bundle.MediaType03New,
			VerificationMaterial: &pbbundle.VerificationMaterial{Content: hint},
			Content:              &pbbundle.Bundle_DsseEnvelope{},
		}, false},
		{"nil certificate", &pbbundle.Bundle{
			MediaType:            bundle.MediaType03New,
			VerificationMaterial: &pbbundle.VerificationMaterial{Content: &pbbundle.VerificationMaterial_Certificate{}},
			Content:              sig,
		}, false},
		{"nil chain", &pbbundle.Bundle{
			MediaType:            bundle.MediaType02,
			VerificationMaterial: &pbbundle.VerificationMaterial{Content: &pbbundle.VerificationMaterial_X509CertificateChain{}},
			Content:              sig,
		}, false},
		{"no content", &pbbundle.Bundle{
			MediaType:            bundle.MediaType03New,
			VerificationMaterial: &pbbundle.VerificationMaterial{Content: hint},
		}, false},
		{"no verification material", &pbbundle.Bundle{MediaType: bundle.MediaType03New, Content: sig}, false},
		{"empty message", &pbbundle.Bundle{}, false},
		{"nil message", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := bundle.New(c.pb)
			if !c.ok {
				require.ErrorIs(t, err, bundle.ErrMalformed)
				return
			}
			require.NoError(t, err)
			checkInvariants(t, b)
			require.Same(t, c.pb, b.Proto())
			require.Equal(t, "key-1", *b.PublicKeyHint)
			require.Equal(t, []byte{0x30, 0x01}, b.Signature())
		})
	}
}

// countingReader yields JSON whitespace, limit bytes of it, and counts what was read.
type countingReader struct{ n, limit int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.n >= r.limit {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.limit-r.n)]
	for i := range p {
		p[i] = ' '
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestRead(t *testing.T) {
	happy := readCase(t, "happy-path-v0.3")

	t.Run("bundle", func(t *testing.T) {
		b, err := bundle.Read(bytes.NewReader(happy))
		require.NoError(t, err)
		checkInvariants(t, b)
		require.Equal(t, 3, b.Minor)
	})
	t.Run("malformed", func(t *testing.T) {
		_, err := bundle.Read(bytes.NewReader(happy[:100]))
		require.ErrorIs(t, err, bundle.ErrMalformed)
	})
	t.Run("exactly MaxSize bytes", func(t *testing.T) {
		padded := append(append([]byte{}, happy...), bytes.Repeat([]byte{' '}, bundle.MaxSize-len(happy))...)
		require.Len(t, padded, bundle.MaxSize)
		b, err := bundle.Read(bytes.NewReader(padded))
		require.NoError(t, err)
		checkInvariants(t, b)
	})
	t.Run("MaxSize+1 bytes", func(t *testing.T) {
		padded := append(append([]byte{}, happy...), bytes.Repeat([]byte{' '}, bundle.MaxSize+1-len(happy))...)
		_, err := bundle.Read(bytes.NewReader(padded))
		require.ErrorIs(t, err, bundle.ErrMalformed)
		_, err = bundle.Parse(padded)
		require.ErrorIs(t, err, bundle.ErrMalformed)
	})
	t.Run("long input is not read past the limit", func(t *testing.T) {
		r := &countingReader{limit: 2 * bundle.MaxSize}
		_, err := bundle.Read(r)
		require.ErrorIs(t, err, bundle.ErrMalformed)
		require.LessOrEqual(t, r.n, int64(bundle.MaxSize+1))
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("disk on fire")
		_, err := bundle.Read(io.MultiReader(bytes.NewReader(happy[:10]), iotestErrReader{boom}))
		require.ErrorIs(t, err, boom)
	})
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

// TestMarshalRoundTrip checks that every bundle that loads survives Marshal and Parse unchanged.
func TestMarshalRoundTrip(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(conformanceDir(t), "*", "bundle.sigstore.json"))
	require.NoError(t, err)
	n := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		b, err := bundle.Parse(data)
		if err != nil {
			continue
		}
		n++
		t.Run(filepath.Base(filepath.Dir(p)), func(t *testing.T) {
			out, err := bundle.Marshal(b.Proto())
			require.NoError(t, err)
			b2, err := bundle.Parse(out)
			require.NoError(t, err)
			require.True(t, proto.Equal(b.Proto(), b2.Proto()), "round trip changed the bundle")
			require.Equal(t, b.MediaType, b2.MediaType)
			require.Equal(t, b.Minor, b2.Minor)
			require.Equal(t, b.Signature(), b2.Signature())
			require.Equal(t, b.PublicKeyHint, b2.PublicKeyHint)
			if b.Certificate != nil {
				require.True(t, b.Certificate.Equal(b2.Certificate))
			}
		})
	}
	require.Greater(t, n, 50, "most conformance bundles load")

	// A twin that differs in one byte of the signature must not compare equal: the check above can fail.
	b, err := bundle.Parse(readCase(t, "happy-path-v0.3"))
	require.NoError(t, err)
	tampered := proto.Clone(b.Proto()).(*pbbundle.Bundle)
	tampered.GetMessageSignature().Signature[0] ^= 1
	out, err := bundle.Marshal(tampered)
	require.NoError(t, err)
	b2, err := bundle.Parse(out)
	require.NoError(t, err)
	require.False(t, proto.Equal(b.Proto(), b2.Proto()))
}

// TestMarshalFormat checks that Marshal writes proto3 JSON as other clients read it:
// lowerCamelCase keys and enum names.
func TestMarshalFormat(t *testing.T) {
	b, err := bundle.Parse(readCase(t, "happy-path-v0.3-new-mediaType"))
	require.NoError(t, err)
	out, err := bundle.Marshal(b.Proto())
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(out, &v))
	require.Equal(t, bundle.MediaType03New, v["mediaType"])
	require.Contains(t, v, "verificationMaterial")
	require.NotContains(t, v, "verification_material")
	require.Equal(t, "SHA2_256", at(v, "messageSignature", "messageDigest", "algorithm"))
	e := obj(v, "verificationMaterial", "tlogEntries", 0)
	require.Contains(t, e, "canonicalizedBody")
	require.Contains(t, e, "logIndex")
}

func TestParseRefusesSnakeCase(t *testing.T) {
	data := readCase(t, "happy-path-v0.3")
	_, err := bundle.Parse(data)
	require.NoError(t, err)
	for _, key := range []string{"verificationMaterial", "tlogEntries", "canonicalizedBody", "messageSignature"} {
		snake := strings.ReplaceAll(string(data), `"`+key+`"`, `"`+toSnake(key)+`"`)
		require.NotEqual(t, string(data), snake)
		_, err = bundle.Parse([]byte(snake))
		require.ErrorIs(t, err, bundle.ErrMalformed, key)
		require.ErrorContains(t, err, "is not lowerCamelCase", key)
	}
}

func toSnake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
