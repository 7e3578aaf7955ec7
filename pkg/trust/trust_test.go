package trust_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/trust"
)

const (
	// conformanceDir is the conformance suite's verification cases, relative to the shared
	// test data (internal/shareddata); readFile reads paths under it from there.
	conformanceDir  = "conformance/bundle-verify"
	publicGoodRoot  = "data/public-good/trusted_root.json"
	stagingRoot     = "data/staging/trusted_root.json"
	publicGoodSC    = "data/public-good/signing_config.v0.2.json"
	stagingSC       = "data/staging/signing_config.v0.2.json"
	rekor2CaseRoot  = conformanceDir + "/rekor2-happy-path/trusted_root.json"
	noStartCaseRoot = conformanceDir + "/trust-root-tlog-missing-validity-start_fail/trusted_root.json"
)

// readFile reads a file of this package, or of the shared test data for a name under conformanceDir.
func readFile(t testing.TB, name string) []byte {
	t.Helper()
	if strings.HasPrefix(name, conformanceDir+"/") {
		name = shareddata.Dir(t, name)
	}
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	return data
}

// edit decodes a JSON document, lets f change it and encodes it again.
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

func repeat(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// checkRoot asserts what every parsed trusted root promises its users.
func checkRoot(t testing.TB, tr *trust.TrustedRoot) {
	t.Helper()
	if tr.Proto() == nil {
		t.Errorf("Proto() is nil")
	}
	if tr.MediaType != trust.TrustedRootMediaType01 && tr.MediaType != trust.TrustedRootMediaType02 {
		t.Errorf("parsed media type %q", tr.MediaType)
	}
	for _, l := range append(append([]*trust.Log{}, tr.Tlogs...), tr.CTLogs...) {
		if len(l.ID) < 4 || len(l.KeyHint()) != 4 || l.PublicKey == nil {
			t.Errorf("log %s: id %x, hint %x, key %v", l.BaseURL, l.ID, l.KeyHint(), l.PublicKey)
		}
		checkRange(t, l.ValidFor)
	}
	for _, a := range append(append([]*trust.Authority{}, tr.CertificateAuthorities...), tr.TimestampAuthorities...) {
		if len(a.Chain) == 0 || len(a.Chain) > 10 || a.Root() == nil || a.Roots == nil || a.Intermediates == nil {
			t.Errorf("authority %s: chain of %d", a.URI, len(a.Chain))
		}
		checkRange(t, a.ValidFor)
	}
}

func checkRange(t testing.TB, r trust.TimeRange) {
	t.Helper()
	if r.Start.IsZero() {
		t.Errorf("validity window without a start")
	}
	if !r.End.IsZero() && r.End.Before(r.Start) {
		t.Errorf("validity window %v ends before it starts", r)
	}
}

func hostOf(t testing.TB, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	require.NoError(t, err)
	return p.Host
}

func TestParseTrustedRoot(t *testing.T) {
	cases := []struct {
		name                     string
		path                     string
		tlogs, ctlogs, cas, tsas int
		firstTlog                string
	}{
		{"public-good", publicGoodRoot, 2, 2, 2, 1, "https://rekor.sigstore.dev"},
		{"staging", stagingRoot, 4, 4, 1, 1, "https://rekor.sigstage.dev"},
		{"conformance rekor2", rekor2CaseRoot, 2, 3, 1, 1, "https://rekor.sigstage.dev"},
		{"conformance managed key", conformanceDir + "/managed-key-and-trusted-root/trusted_root.json", 2, 3, 1, 1, "https://rekor.sigstage.dev"},
		{"conformance custom root", conformanceDir + "/intoto-with-custom-trust-root/trusted_root.json", 1, 1, 1, 1, "http://localhost:8000"},
		{"conformance static CT", conformanceDir + "/bundle-with-sct-with-extensions/trusted_root.json", 1, 1, 1, 1, "http://rekor-local"},
		{"conformance end inclusive", conformanceDir + "/trust-root-tlog-validity-end-inclusive/trusted_root.json", 2, 2, 2, 1, "https://rekor.sigstore.dev"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := trust.ParseTrustedRoot(readFile(t, c.path))
			require.NoError(t, err)
			checkRoot(t, tr)
			require.Equal(t, trust.TrustedRootMediaType01, tr.MediaType)
			require.Len(t, tr.Tlogs, c.tlogs)
			require.Len(t, tr.CTLogs, c.ctlogs)
			require.Len(t, tr.CertificateAuthorities, c.cas)
			require.Len(t, tr.TimestampAuthorities, c.tsas)
			require.Equal(t, c.firstTlog, tr.Tlogs[0].BaseURL)

			for _, l := range append(append([]*trust.Log{}, tr.Tlogs...), tr.CTLogs...) {
				// v0.1 roots carry no checkpointKeyId: the hint comes from the log id.
				require.Nil(t, l.CheckpointKeyID)
				require.Equal(t, l.ID[:4], l.KeyHint())
				// Rekor v1 and CT log ids are SHA-256 of the DER key; Rekor v2 (Ed25519,
				// C2SP note) ids are SHA-256 of "<origin>\n" 0x01 <key>.
				id, err := trust.LogID(l.PublicKey)
				require.NoError(t, err)
				if k, ok := l.PublicKey.(ed25519.PublicKey); ok && bytes.Contains([]byte(l.BaseURL), []byte("rekor")) {
					sum := sha256.Sum256(append([]byte(hostOf(t, l.BaseURL)+"\n\x01"), k...))
					require.Equal(t, sum[:], l.ID, "Rekor v2 log %s", l.BaseURL)
				} else {
					require.Equal(t, id, l.ID, "log %s", l.BaseURL)
				}
			}
		})
	}
}

// TestParseTrustedRootDetails checks a few values of the public-good root against the JSON.
func TestParseTrustedRootDetails(t *testing.T) {
	tr, err := trust.ParseTrustedRoot(readFile(t, publicGoodRoot))
	require.NoError(t, err)

	rekor := tr.Tlogs[0]
	require.Equal(t, "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", b64(rekor.ID))
	require.Equal(t, pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, rekor.KeyDetails)
	require.Equal(t, crypto.SHA256, rekor.Hash)
	require.IsType(t, &ecdsa.PublicKey{}, rekor.PublicKey)
	require.Equal(t, time.Date(2021, 1, 12, 11, 53, 27, 0, time.UTC), rekor.ValidFor.Start)
	require.True(t, rekor.ValidFor.End.IsZero())

	rekor2 := tr.Tlogs[1]
	require.Equal(t, "https://log2025-1.rekor.sigstore.dev", rekor2.BaseURL)
	require.Equal(t, pbcommon.PublicKeyDetails_PKIX_ED25519, rekor2.KeyDetails)
	require.Equal(t, crypto.Hash(0), rekor2.Hash)
	require.IsType(t, ed25519.PublicKey{}, rekor2.PublicKey)
	require.Equal(t, []byte{0xcf, 0x11, 0x99, 0x15}, rekor2.KeyHint())

	// The first Fulcio CA has ended; the second is the current one, intermediate then root.
	old, cur := tr.CertificateAuthorities[0], tr.CertificateAuthorities[1]
	require.Equal(t, "https://fulcio.sigstore.dev", cur.URI)
	require.Equal(t, "sigstore", cur.Subject)
	require.Equal(t, time.Date(2022, 12, 31, 23, 59, 59, 999_000_000, time.UTC), old.ValidFor.End)
	require.Len(t, cur.Chain, 2)
	require.Same(t, cur.Chain[1], cur.Root())
	require.Equal(t, "sigstore", cur.Root().Subject.CommonName)
	require.Equal(t, "sigstore-intermediate", cur.Chain[0].Subject.CommonName)

	// The pools are wired the right way round: the intermediate chains to Roots, and the
	// intermediate alone is no trust anchor.
	at := cur.Chain[0].NotBefore.Add(time.Hour)
	opts := x509.VerifyOptions{Roots: cur.Roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	_, err = cur.Chain[0].Verify(opts)
	require.NoError(t, err)
	opts.Roots = cur.Intermediates
	_, err = cur.Root().Verify(opts)
	require.Error(t, err)

	tsa := tr.TimestampAuthorities[0]
	require.Equal(t, "https://timestamp.sigstore.dev/api/v1/timestamp", tsa.URI)
	require.Equal(t, "sigstore-tsa-selfsigned", tsa.Root().Subject.CommonName)
}

// TestTrustedRootV02 builds a v0.2 root by editing the public-good one: a checkpointKeyId
// becomes the log's key hint, and operators are kept.
func TestTrustedRootV02(t *testing.T) {
	ck := []byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28}
	v02 := func(ck []byte) []byte {
		return edit(t, readFile(t, publicGoodRoot), func(d map[string]any) {
			d["mediaType"] = trust.TrustedRootMediaType02
			l := obj(d, "tlogs", 1)
			l["checkpointKeyId"] = map[string]any{"keyId": b64(ck)}
			l["operator"] = "sigstore.dev"
			obj(d, "certificateAuthorities", 1)["operator"] = "sigstore.dev"
		})
	}

	tr, err := trust.ParseTrustedRoot(v02(ck))
	require.NoError(t, err)
	checkRoot(t, tr)
	require.Equal(t, trust.TrustedRootMediaType02, tr.MediaType)
	require.Equal(t, ck, tr.Tlogs[1].CheckpointKeyID)
	require.Equal(t, []byte{0xde, 0xad, 0xbe, 0xef}, tr.Tlogs[1].KeyHint())
	require.NotEqual(t, tr.Tlogs[1].ID[:4], tr.Tlogs[1].KeyHint())
	require.Equal(t, "sigstore.dev", tr.Tlogs[1].Operator)
	require.Equal(t, "sigstore.dev", tr.CertificateAuthorities[1].Operator)
	// A log without a checkpointKeyId still takes its hint from its id.
	require.Nil(t, tr.Tlogs[0].CheckpointKeyID)
	require.Equal(t, tr.Tlogs[0].ID[:4], tr.Tlogs[0].KeyHint())
	require.Empty(t, tr.Tlogs[0].Operator)

	// Tampered twins: a checkpointKeyId too short to give a hint; the same document under
	// the v0.1 media type is still read (protobuf carries the field) and keeps the id.
	_, err = trust.ParseTrustedRoot(v02(ck[:3]))
	require.ErrorIs(t, err, trust.ErrMalformed)
	require.ErrorContains(t, err, "checkpoint key id")
	tr, err = trust.ParseTrustedRoot(v02(ck[:4]))
	require.NoError(t, err)
	require.Equal(t, ck[:4], tr.Tlogs[1].KeyHint())
}

func TestTrustedRootRefusals(t *testing.T) {
	pg := readFile(t, publicGoodRoot)
	edited := func(f func(d map[string]any)) []byte { return edit(t, pg, f) }
	tlog := func(f func(l map[string]any)) []byte {
		return edited(func(d map[string]any) { f(obj(d, "tlogs", 0)) })
	}
	ca := func(f func(c map[string]any)) []byte {
		return edited(func(d map[string]any) { f(obj(d, "certificateAuthorities", 1)) })
	}
	garbage := b64([]byte("this is not DER"))

	cases := []struct {
		name string
		data []byte
		err  string // a part of the refusal's message; "" when the root parses
	}{
		{"public-good", pg, ""},
		{"unknown media type", edited(func(d map[string]any) {
			d["mediaType"] = "application/vnd.dev.sigstore.trustedroot+json;version=0.3"
		}), "media type"},
		{"v0.2 media type", edited(func(d map[string]any) { d["mediaType"] = trust.TrustedRootMediaType02 }), ""},
		{"v0.2 media type, old spelling", edited(func(d map[string]any) {
			d["mediaType"] = "application/vnd.dev.sigstore.trustedroot+json;version=0.2"
		}), "media type"},
		{"bundle media type", edited(func(d map[string]any) { d["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3+json" }), "media type"},
		{"no media type", edited(func(d map[string]any) { delete(d, "mediaType") }), "media type"},
		{"not JSON", []byte("trusted root"), "JSON"},
		{"truncated", pg[:len(pg)/2], "JSON"},
		{"unknown field", edited(func(d map[string]any) { d["rekorLogs"] = []any{} }), "unknown field"},

		// Validity windows (and TestTrustedRootRefusalsConformance).
		{"tlog without validFor", tlog(func(l map[string]any) { delete(obj(l, "publicKey"), "validFor") }), "no start"},
		{"CA without validFor start", ca(func(c map[string]any) { delete(obj(c, "validFor"), "start") }), "no start"},
		{"TSA without validFor", edited(func(d map[string]any) { delete(obj(d, "timestampAuthorities", 0), "validFor") }), "no start"},
		{"CT log without validFor start", edited(func(d map[string]any) {
			delete(obj(d, "ctlogs", 0, "publicKey", "validFor"), "start")
		}), "no start"},
		{"tlog end before start", tlog(func(l map[string]any) {
			obj(l, "publicKey", "validFor")["end"] = "2021-01-12T11:53:26Z"
		}), "ends before"},
		{"tlog end equal to start", tlog(func(l map[string]any) {
			obj(l, "publicKey", "validFor")["end"] = "2021-01-12T11:53:27Z"
		}), ""},
		{"CA end before start", ca(func(c map[string]any) { obj(c, "validFor")["end"] = "2022-04-13T20:06:14Z" }), "ends before"},
		{"start before year 1", tlog(func(l map[string]any) {
			obj(l, "publicKey", "validFor")["start"] = "0000-01-01T00:00:00Z"
		}), "out of range"},

		// Keys.
		{"tlog key not DER", tlog(func(l map[string]any) { obj(l, "publicKey")["rawBytes"] = garbage }), "public key"},
		{"tlog key truncated", tlog(func(l map[string]any) {
			k := obj(l, "publicKey")
			raw, _ := base64.StdEncoding.DecodeString(k["rawBytes"].(string))
			k["rawBytes"] = b64(raw[:len(raw)-1])
		}), "public key"},
		{"CT log key not DER", edited(func(d map[string]any) { obj(d, "ctlogs", 1, "publicKey")["rawBytes"] = garbage }), "public key"},

		// The validity window lives in publicKey: a log without one is malformed.
		{"tlog without publicKey", tlog(func(l map[string]any) { delete(l, "publicKey") }), "no start"},
		{"empty CA chain without validFor", ca(func(c map[string]any) {
			obj(c, "certChain")["certificates"] = []any{}
			delete(c, "validFor")
		}), "no start"},

		// Log ids.
		{"short log id", tlog(func(l map[string]any) { l["logId"] = map[string]any{"keyId": b64([]byte{1, 2, 3})} }), "log id"},
		{"4-byte log id", tlog(func(l map[string]any) { l["logId"] = map[string]any{"keyId": b64([]byte{1, 2, 3, 4})} }), ""},
		{"no log id", tlog(func(l map[string]any) { delete(l, "logId") }), "log id"},
		{"short CT log id", edited(func(d map[string]any) { obj(d, "ctlogs", 0)["logId"] = map[string]any{"keyId": b64([]byte{1})} }), "log id"},
		{"a tlog listed twice", edited(func(d map[string]any) { d["tlogs"] = append(arr(d, "tlogs"), arr(d, "tlogs")[0]) }), ""},
		{"two tlogs with one log id and different keys", edited(func(d map[string]any) {
			obj(d, "tlogs", 1)["logId"] = obj(d, "tlogs", 0)["logId"]
		}), "have the same log id"},

		// Certificate chains.
		{"CA chain at the limit", ca(func(c map[string]any) {
			cc := obj(c, "certChain")
			cc["certificates"] = repeat(arr(cc, "certificates")[0], 10)
		}), ""},
		{"CA chain over the limit", ca(func(c map[string]any) {
			cc := obj(c, "certChain")
			cc["certificates"] = repeat(arr(cc, "certificates")[0], 11)
		}), "more than 10"},
		{"bad CA certificate", ca(func(c map[string]any) { obj(c, "certChain", "certificates", 1)["rawBytes"] = garbage }), "certificate 1"},
		{"empty CA certificate", ca(func(c map[string]any) { obj(c, "certChain", "certificates", 0)["rawBytes"] = "" }), "certificate 0"},
		{"bad TSA certificate", edited(func(d map[string]any) {
			obj(d, "timestampAuthorities", 0, "certChain", "certificates", 0)["rawBytes"] = garbage
		}), "certificate 0"},

		// Entry counts.
		{"256 tlogs", edited(func(d map[string]any) { d["tlogs"] = repeat(arr(d, "tlogs")[0], 256) }), ""},
		{"257 tlogs", edited(func(d map[string]any) { d["tlogs"] = repeat(arr(d, "tlogs")[0], 257) }), "more than 256"},
		{"257 CAs", edited(func(d map[string]any) {
			d["certificateAuthorities"] = repeat(arr(d, "certificateAuthorities")[0], 257)
		}), "more than 256"},
		{"empty root", []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), ""},

		// Size.
		{"larger than MaxDocumentSize", append(append([]byte{}, pg...), bytes.Repeat([]byte(" "), trust.MaxDocumentSize)...), "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := trust.ParseTrustedRoot(c.data)
			if c.err != "" {
				require.Nil(t, tr)
				require.ErrorIs(t, err, trust.ErrMalformed)
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			checkRoot(t, tr)
		})
	}
}

// TestTrustedRootUnusableEntries: an entry that is complete and well-formed but cannot vouch
// for anything (no certificate chain, no key, an algorithm signet does not implement) leaves
// the rest of the root usable; it is listed in Unusable and in none of the usable lists.
func TestTrustedRootUnusableEntries(t *testing.T) {
	pg := readFile(t, publicGoodRoot)
	full, err := trust.ParseTrustedRoot(pg)
	require.NoError(t, err)
	require.Empty(t, full.Unusable)
	edited := func(f func(d map[string]any)) []byte { return edit(t, pg, f) }
	cases := []struct {
		name     string
		data     []byte
		kind     string
		index    int
		reason   string
		lists    func(tr *trust.TrustedRoot) int // length of the list the entry left
		complete int                             // that list's length in the full root
	}{
		{"TSA without certificates", edited(func(d map[string]any) {
			obj(d, "timestampAuthorities", 0, "certChain")["certificates"] = []any{}
		}), "timestampAuthorities", 0, "no certificate chain",
			func(tr *trust.TrustedRoot) int { return len(tr.TimestampAuthorities) }, len(full.TimestampAuthorities)},
		{"CA without certChain", edited(func(d map[string]any) { delete(obj(d, "certificateAuthorities", 1), "certChain") }),
			"certificateAuthorities", 1, "no certificate chain",
			func(tr *trust.TrustedRoot) int { return len(tr.CertificateAuthorities) }, len(full.CertificateAuthorities)},
		{"tlog without key bytes", edited(func(d map[string]any) { delete(obj(d, "tlogs", 0, "publicKey"), "rawBytes") }),
			"tlogs", 0, "no public key",
			func(tr *trust.TrustedRoot) int { return len(tr.Tlogs) }, len(full.Tlogs)},
		{"CT log whose id is not its key's", edited(func(d map[string]any) {
			other := sha256.Sum256([]byte("another key"))
			obj(d, "ctlogs", 0)["logId"] = map[string]any{"keyId": b64(other[:])}
		}), "ctlogs", 0, "is not the SHA-256 of its public key",
			func(tr *trust.TrustedRoot) int { return len(tr.CTLogs) }, len(full.CTLogs)},
		{"CT log with an ML-DSA key", edited(func(d map[string]any) { obj(d, "ctlogs", 1, "publicKey")["keyDetails"] = "ML_DSA_65" }),
			"ctlogs", 1, "unsupported public key algorithm",
			func(tr *trust.TrustedRoot) int { return len(tr.CTLogs) }, len(full.CTLogs)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := trust.ParseTrustedRoot(c.data)
			require.NoError(t, err)
			checkRoot(t, tr)
			require.Len(t, tr.Unusable, 1)
			u := tr.Unusable[0]
			require.Equal(t, c.kind, u.Kind)
			require.Equal(t, c.index, u.Index)
			require.Contains(t, u.Reason, c.reason)
			require.Contains(t, u.String(), c.kind)
			require.Equal(t, c.complete-1, c.lists(tr))
			if c.kind == "tlogs" || c.kind == "ctlogs" {
				require.NotEmpty(t, u.LogID)
				require.Equal(t, &tr.Unusable[0], tr.UnusableLog(c.kind, u.LogID))
				require.Nil(t, trust.FindLog(append(tr.Tlogs, tr.CTLogs...), u.LogID))
			}
		})
	}
	// Tampered twin: the same entry with garbage instead of nothing is malformed, and the
	// whole document is refused.
	_, err = trust.ParseTrustedRoot(edited(func(d map[string]any) {
		obj(d, "timestampAuthorities", 0, "certChain")["certificates"] = []any{map[string]any{"rawBytes": b64([]byte("not DER"))}}
	}))
	require.ErrorIs(t, err, trust.ErrMalformed)
}

// TestTrustedRootRefusalsConformance: the conformance suite's trusted root without a validFor
// start is refused, and its twin with one is read.
func TestTrustedRootRefusalsConformance(t *testing.T) {
	tr, err := trust.ParseTrustedRoot(readFile(t, noStartCaseRoot))
	require.Nil(t, tr)
	require.ErrorIs(t, err, trust.ErrMalformed)
	require.ErrorContains(t, err, "no start")
	tr, err = trust.ParseTrustedRoot(readFile(t, rekor2CaseRoot))
	require.NoError(t, err)
	checkRoot(t, tr)
}

func TestTimeRangeContains(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	closed := trust.TimeRange{Start: start, End: end}
	open := trust.TimeRange{Start: start}
	point := trust.TimeRange{Start: start, End: start}
	berlin := time.FixedZone("CET", 3600)

	cases := []struct {
		name string
		r    trust.TimeRange
		t    time.Time
		want bool
	}{
		{"before start", closed, start.Add(-time.Nanosecond), false},
		{"at start", closed, start, true},
		{"inside", closed, start.Add(24 * time.Hour), true},
		{"at end", closed, end, true},
		{"after end", closed, end.Add(time.Nanosecond), false},
		{"long after end", closed, end.AddDate(10, 0, 0), false},
		{"at end, other zone", closed, end.In(berlin), true},
		{"after end, other zone", closed, end.Add(time.Second).In(berlin), false},
		{"at start, other zone", closed, start.In(berlin), true},
		{"open: before start", open, start.Add(-time.Nanosecond), false},
		{"open: at start", open, start, true},
		{"open: far future", open, start.AddDate(100, 0, 0), true},
		{"point: at it", point, start, true},
		{"point: just after", point, start.Add(time.Nanosecond), false},
		{"point: just before", point, start.Add(-time.Nanosecond), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, c.r.Contains(c.t))
		})
	}
}

// TestTimeRangeConformanceEndInclusive checks the conformance case whose Rekor entry was
// integrated exactly at the end of its log key's validity.
func TestTimeRangeConformanceEndInclusive(t *testing.T) {
	tr, err := trust.ParseTrustedRoot(readFile(t, conformanceDir+"/trust-root-tlog-validity-end-inclusive/trusted_root.json"))
	require.NoError(t, err)
	var b struct {
		VerificationMaterial struct {
			TlogEntries []struct {
				LogID          struct{ KeyID []byte } `json:"logId"`
				IntegratedTime string                 `json:"integratedTime"`
			} `json:"tlogEntries"`
		} `json:"verificationMaterial"`
	}
	require.NoError(t, json.Unmarshal(readFile(t, conformanceDir+"/trust-root-tlog-validity-end-inclusive/bundle.sigstore.json"), &b))
	e := b.VerificationMaterial.TlogEntries[0]
	log := trust.FindLog(tr.Tlogs, e.LogID.KeyID)
	require.NotNil(t, log)
	integrated, err := time.Parse(time.RFC3339, "2023-07-12T15:56:36Z")
	require.NoError(t, err)
	require.Equal(t, "1689177396", e.IntegratedTime)
	require.Equal(t, integrated, log.ValidFor.End)
	require.True(t, log.ValidFor.Contains(integrated))
	require.False(t, log.ValidFor.Contains(integrated.Add(time.Second)))
}

type keys struct {
	p256, p384, p521 *ecdsa.PrivateKey
	ed               ed25519.PrivateKey
	rsa              *rsa.PrivateKey
}

func newKeys(t testing.TB) keys {
	t.Helper()
	var k keys
	var err error
	k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	k.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return k
}

func pkix(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return der
}

type equaler interface{ Equal(crypto.PublicKey) bool }

func TestParsePublicKey(t *testing.T) {
	k := newKeys(t)
	rsaPKCS1 := x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)
	p256 := pkix(t, k.p256.Public())

	cases := []struct {
		name    string
		der     []byte
		details pbcommon.PublicKeyDetails
		want    crypto.PublicKey // nil when refused
		hash    crypto.Hash
	}{
		{"ECDSA P-256", p256, pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, k.p256.Public(), crypto.SHA256},
		{"ECDSA P-384", pkix(t, k.p384.Public()), pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384, k.p384.Public(), crypto.SHA384},
		{"ECDSA P-384 with SHA-256", pkix(t, k.p384.Public()), pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_256, k.p384.Public(), crypto.SHA256},
		{"ECDSA P-521", pkix(t, k.p521.Public()), pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512, k.p521.Public(), crypto.SHA512},
		{"Ed25519", pkix(t, k.ed.Public()), pbcommon.PublicKeyDetails_PKIX_ED25519, k.ed.Public(), 0},
		{"Ed25519ph", pkix(t, k.ed.Public()), pbcommon.PublicKeyDetails_PKIX_ED25519_PH, k.ed.Public(), crypto.SHA512},
		{"RSA PKIX PKCS#1 v1.5 2048", pkix(t, k.rsa.Public()), pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256, k.rsa.Public(), crypto.SHA256},
		{"RSA PKIX PSS 2048", pkix(t, k.rsa.Public()), pbcommon.PublicKeyDetails_PKIX_RSA_PSS_2048_SHA256, k.rsa.Public(), crypto.SHA256},
		{"RSA PKIX (legacy details)", pkix(t, k.rsa.Public()), pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V5, k.rsa.Public(), crypto.SHA256},
		{"RSA PKCS#1", rsaPKCS1, pbcommon.PublicKeyDetails_PKCS1_RSA_PKCS1V5, k.rsa.Public(), crypto.SHA256},
		{"RSA PKCS#1 PSS", rsaPKCS1, pbcommon.PublicKeyDetails_PKCS1_RSA_PSS, k.rsa.Public(), crypto.SHA256},

		// Tampered twins: the wrong encoding for the details, broken or missing bytes.
		{"RSA PKCS#1 bytes as PKIX", rsaPKCS1, pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256, nil, 0},
		{"RSA PKIX bytes as PKCS#1", pkix(t, k.rsa.Public()), pbcommon.PublicKeyDetails_PKCS1_RSA_PKCS1V5, nil, 0},
		{"ECDSA P-256 as PKCS#1", p256, pbcommon.PublicKeyDetails_PKCS1_RSA_PKCS1V5, nil, 0},
		{"ECDSA P-256 truncated", p256[:len(p256)-1], pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, nil, 0},
		{"ECDSA P-256 with trailing data", append(append([]byte{}, p256...), 0), pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, nil, 0},
		{"empty", nil, pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, nil, 0},
		{"garbage", []byte("not a key"), pbcommon.PublicKeyDetails_PKIX_ED25519, nil, 0},
		// Details that name an RSA size fix it: the twin of "RSA PKIX PSS 2048".
		{"RSA 2048 key under 4096 details", pkix(t, k.rsa.Public()), pbcommon.PublicKeyDetails_PKIX_RSA_PSS_4096_SHA256, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pub, h, err := trust.ParsePublicKey(c.der, c.details)
			if c.want == nil {
				require.ErrorIs(t, err, trust.ErrMalformed)
				require.Nil(t, pub)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.hash, h)
			require.True(t, c.want.(equaler).Equal(pub), "parsed %T is not the key", pub)
		})
	}
}

// TestParsePublicKeyDetailsMismatch: the key details name the algorithm the key is used
// with, so a key of another type, curve or size makes the document malformed, and details
// signet cannot verify with make the entry unsupported.
func TestParsePublicKeyDetailsMismatch(t *testing.T) {
	k := newKeys(t)
	cases := []struct {
		name    string
		der     []byte
		details pbcommon.PublicKeyDetails
	}{
		{"P-384 key as Ed25519", pkix(t, k.p384.Public()), pbcommon.PublicKeyDetails_PKIX_ED25519},
		{"Ed25519 key as ECDSA P-256", pkix(t, k.ed.Public()), pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256},
		{"RSA key as ECDSA P-256", pkix(t, k.rsa.Public()), pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256},
		{"P-256 key as RSA", pkix(t, k.p256.Public()), pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256},
		{"P-384 key as P-256", pkix(t, k.p384.Public()), pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256},
		{"P-256 key as P-521", pkix(t, k.p256.Public()), pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pub, h, err := trust.ParsePublicKey(c.der, c.details)
			require.ErrorIs(t, err, trust.ErrMalformed, "loaded a %T with hash %v", pub, h)
			require.ErrorContains(t, err, "do not fit the public key")
		})
	}
	// Details signet does not implement are unsupported, not malformed, whatever the bytes.
	for _, d := range []pbcommon.PublicKeyDetails{pbcommon.PublicKeyDetails_ML_DSA_65, pbcommon.PublicKeyDetails_LMS_SHA256} {
		_, _, err := trust.ParsePublicKey(pkix(t, k.p256.Public()), d)
		require.ErrorIs(t, err, trust.ErrUnsupportedKey)
		require.NotErrorIs(t, err, trust.ErrMalformed)
	}
}

func TestLogID(t *testing.T) {
	k := newKeys(t)
	for _, pub := range []crypto.PublicKey{k.p256.Public(), k.p384.Public(), k.ed.Public(), k.rsa.Public()} {
		id, err := trust.LogID(pub)
		require.NoError(t, err)
		want := sha256.Sum256(pkix(t, pub))
		require.Equal(t, want[:], id)
	}
	a, err := trust.LogID(k.p256.Public())
	require.NoError(t, err)
	b, err := trust.LogID(k.p384.Public())
	require.NoError(t, err)
	require.NotEqual(t, a, b)

	// The public-good Rekor's published log id.
	tr, err := trust.ParseTrustedRoot(readFile(t, publicGoodRoot))
	require.NoError(t, err)
	id, err := trust.LogID(tr.Tlogs[0].PublicKey)
	require.NoError(t, err)
	require.Equal(t, "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", hex.EncodeToString(id))

	_, err = trust.LogID(struct{}{})
	require.Error(t, err)
	_, err = trust.LogID(nil)
	require.Error(t, err)
}

func TestFindLog(t *testing.T) {
	tr, err := trust.ParseTrustedRoot(readFile(t, stagingRoot))
	require.NoError(t, err)
	for _, l := range tr.Tlogs {
		require.Same(t, l, trust.FindLog(tr.Tlogs, l.ID))
		require.Same(t, l, trust.FindLog(tr.Tlogs, append([]byte{}, l.ID...)))
		// Only whole ids match: not the key hint, not a longer id, not in another set.
		require.Nil(t, trust.FindLog(tr.Tlogs, l.ID[:4]))
		require.Nil(t, trust.FindLog(tr.Tlogs, append(append([]byte{}, l.ID...), 0)))
		require.Nil(t, trust.FindLog(tr.CTLogs, l.ID))
		flipped := append([]byte{}, l.ID...)
		flipped[len(flipped)-1] ^= 1
		require.Nil(t, trust.FindLog(tr.Tlogs, flipped))
	}
	for _, l := range tr.CTLogs {
		require.Same(t, l, trust.FindLog(tr.CTLogs, l.ID))
	}
	require.Nil(t, trust.FindLog(nil, tr.Tlogs[0].ID))
	require.Nil(t, trust.FindLog(tr.Tlogs, nil))
}

// TestParseConformanceRoots parses every trusted root of the conformance suite; only the
// case about a malformed root is refused.
func TestParseConformanceRoots(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(shareddata.Dir(t, conformanceDir), "*", "trusted_root.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		name := filepath.Base(filepath.Dir(p))
		t.Run(name, func(t *testing.T) {
			tr, err := trust.ParseTrustedRoot(readFile(t, p))
			if name == "trust-root-tlog-missing-validity-start_fail" {
				require.ErrorIs(t, err, trust.ErrMalformed)
				return
			}
			require.NoError(t, err)
			checkRoot(t, tr)
		})
	}
}
