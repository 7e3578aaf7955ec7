package trust_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	x509pkix "crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/pkg/trust"
)

// A real rekor-server-posix v2.3.0, run with --hostname=127.0.0.1 and this Ed25519 key,
// answered an upload with logId.keyId = liveRekorV2LogID, and signed its checkpoint with the
// key hint ZMypQQ== (its first 4 bytes). (Moved here from scripts/stack/mktrust.)
const (
	liveRekorV2Key   = "nrEamgwzqNvbK29sXSRho3/UbUlF+v5z2+65uztIEos="
	liveRekorV2LogID = "ZMypQaRTQCb4X3U2LoJVMNinUqgc0XR2xubGqpsVK5k="
)

var buildStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// pki is a small certificate hierarchy: a root, an intermediate, a TSA leaf under the
// intermediate, and an unrelated root.
type pki struct {
	root, intermediate, tsaLeaf, otherRoot, leafNoEKU *x509.Certificate
	rootKey, intKey, otherKey                         *ecdsa.PrivateKey
}

func genKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

type certSpec struct {
	cn                  string
	ca                  bool
	eku                 []x509.ExtKeyUsage
	notBefore, notAfter time.Time
}

func issue(t testing.TB, spec certSpec, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               x509pkix.Name{Organization: []string{"signet-test"}, CommonName: spec.cn},
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  spec.ca,
		ExtKeyUsage:           spec.eku,
	}
	if spec.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	p := &pki{rootKey: genKey(t), intKey: genKey(t), otherKey: genKey(t)}
	year := buildStart.AddDate(-1, 0, 0)
	p.root = issue(t, certSpec{cn: "root", ca: true, notBefore: year, notAfter: year.AddDate(10, 0, 0)}, p.rootKey.Public(), nil, p.rootKey)
	p.intermediate = issue(t, certSpec{cn: "intermediate", ca: true, notBefore: year.AddDate(0, 1, 0), notAfter: year.AddDate(5, 0, 0)},
		p.intKey.Public(), p.root, p.rootKey)
	p.tsaLeaf = issue(t, certSpec{cn: "tsa", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, notBefore: year.AddDate(0, 2, 0), notAfter: year.AddDate(3, 0, 0)},
		genKey(t).Public(), p.intermediate, p.intKey)
	p.leafNoEKU = issue(t, certSpec{cn: "not-a-tsa", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, notBefore: year, notAfter: year.AddDate(3, 0, 0)},
		genKey(t).Public(), p.intermediate, p.intKey)
	p.otherRoot = issue(t, certSpec{cn: "root", ca: true, notBefore: year, notAfter: year.AddDate(10, 0, 0)}, p.otherKey.Public(), nil, p.otherKey)
	return p
}

func TestCheckChain(t *testing.T) {
	p := newPKI(t)
	year := buildStart.AddDate(-1, 0, 0)
	// An intermediate whose validity ends before the root's starts: never valid together.
	lateRoot := issue(t, certSpec{cn: "late-root", ca: true, notBefore: year.AddDate(20, 0, 0), notAfter: year.AddDate(30, 0, 0)}, p.rootKey.Public(), nil, p.rootKey)
	earlyInt := issue(t, certSpec{cn: "early", ca: true, notBefore: year, notAfter: year.AddDate(1, 0, 0)}, p.intKey.Public(), lateRoot, p.rootKey)
	// An intermediate of the right name, signed by another key.
	forged := issue(t, certSpec{cn: "intermediate", ca: true, notBefore: year, notAfter: year.AddDate(5, 0, 0)}, p.intKey.Public(), p.otherRoot, p.otherKey)

	cases := []struct {
		name  string
		chain []*x509.Certificate
		kind  trust.ChainKind
		err   string // "" when accepted
		start time.Time
	}{
		{"root only", []*x509.Certificate{p.root}, trust.CAChain, "", p.root.NotBefore},
		{"intermediate and root", []*x509.Certificate{p.intermediate, p.root}, trust.CAChain, "", p.intermediate.NotBefore},
		{"TSA chain", []*x509.Certificate{p.tsaLeaf, p.intermediate, p.root}, trust.TSAChain, "", p.tsaLeaf.NotBefore},

		// Tampered twins.
		{"empty", nil, trust.CAChain, "empty", time.Time{}},
		{"root first", []*x509.Certificate{p.root, p.intermediate}, trust.CAChain, "not a chain", time.Time{}},
		{"intermediate without its root", []*x509.Certificate{p.intermediate}, trust.CAChain, "not self-signed", time.Time{}},
		{"intermediate and another root of the same name", []*x509.Certificate{p.intermediate, p.otherRoot}, trust.CAChain, "is not signed by", time.Time{}},
		{"forged intermediate", []*x509.Certificate{forged, p.root}, trust.CAChain, "is not signed by", time.Time{}},
		{"a leaf in a CA chain", []*x509.Certificate{p.tsaLeaf, p.intermediate, p.root}, trust.CAChain, "not a CA certificate", time.Time{}},
		{"TSA chain without its leaf", []*x509.Certificate{p.intermediate, p.root}, trust.TSAChain, "timeStamping", time.Time{}},
		{"TSA leaf without the timestamping EKU", []*x509.Certificate{p.leafNoEKU, p.intermediate, p.root}, trust.TSAChain, "timeStamping", time.Time{}},
		{"never valid together", []*x509.Certificate{earlyInt, lateRoot}, trust.CAChain, "never valid at the same time", time.Time{}},
		{"too long", []*x509.Certificate{p.root, p.root, p.root, p.root, p.root, p.root, p.root, p.root, p.root, p.root, p.root}, trust.CAChain, "at most 10", time.Time{}},
		{"nil certificate", []*x509.Certificate{nil}, trust.CAChain, "missing", time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := trust.CheckChain(c.chain, c.kind)
			if c.err != "" {
				require.ErrorIs(t, err, trust.ErrMalformed)
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.start, w.Start)
			require.False(t, w.End.Before(w.Start))
		})
	}
}

func TestNoteKeyID(t *testing.T) {
	raw, err := base64.StdEncoding.DecodeString(liveRekorV2Key)
	require.NoError(t, err)
	key := ed25519.PublicKey(raw)
	got, err := trust.NoteKeyID("127.0.0.1", key)
	require.NoError(t, err)
	require.Equal(t, liveRekorV2LogID, b64(got))

	// The public-good Rekor v2 log's id is its note key ID.
	tr, err := trust.ParseTrustedRoot(readFile(t, publicGoodRoot))
	require.NoError(t, err)
	v2 := tr.Tlogs[1]
	id, err := trust.NoteKeyID("log2025-1.rekor.sigstore.dev", v2.PublicKey)
	require.NoError(t, err)
	require.Equal(t, v2.ID, id)

	// ECDSA: SHA-256 of the DER key, whatever the origin (C2SP signature type 0x02).
	k := newKeys(t)
	ec, err := trust.NoteKeyID("a.example", k.p256.Public())
	require.NoError(t, err)
	sum := sha256.Sum256(pkix(t, k.p256.Public()))
	require.Equal(t, sum[:], ec)
	ec2, err := trust.NoteKeyID("b.example", k.p256.Public())
	require.NoError(t, err)
	require.Equal(t, ec, ec2)
	// RSA: 0xff and an identifier, then the DER key, after the origin.
	r, err := trust.NoteKeyID("a.example", k.rsa.Public())
	require.NoError(t, err)
	sum = sha256.Sum256(append([]byte("a.example\n\xffPKIX-RSA-PKCS#1v1.5"), pkix(t, k.rsa.Public())...))
	require.Equal(t, sum[:], r)

	// Tampered twins: another origin or another key gives another id; bad origins are refused.
	other, err := trust.NoteKeyID("localhost", key)
	require.NoError(t, err)
	require.NotEqual(t, got, other)
	flipped := bytes.Clone(raw)
	flipped[0] ^= 1
	other, err = trust.NoteKeyID("127.0.0.1", ed25519.PublicKey(flipped))
	require.NoError(t, err)
	require.NotEqual(t, got, other)
	for _, origin := range []string{"", "a b", "a+b", "a\nb"} {
		_, err := trust.NoteKeyID(origin, key)
		require.ErrorIs(t, err, trust.ErrMalformed, "origin %q", origin)
	}
	_, err = trust.NoteKeyID("a.example", struct{}{})
	require.ErrorIs(t, err, trust.ErrMalformed)
}

func TestKeyDetails(t *testing.T) {
	k := newKeys(t)
	for _, c := range []struct {
		key  crypto.PublicKey
		want pbcommon.PublicKeyDetails
	}{
		{k.p256.Public(), pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256},
		{k.p384.Public(), pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384},
		{k.p521.Public(), pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512},
		{k.ed.Public(), pbcommon.PublicKeyDetails_PKIX_ED25519},
		{k.rsa.Public(), pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256},
	} {
		got, err := trust.KeyDetails(c.key)
		require.NoError(t, err)
		require.Equal(t, c.want, got)
		// What KeyDetails names, ParsePublicKey reads back.
		_, _, err = trust.ParsePublicKey(pkix(t, c.key), got)
		require.NoError(t, err)
	}
	_, err := trust.KeyDetails("not a key")
	require.ErrorIs(t, err, trust.ErrMalformed)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	_, err = trust.KeyDetails(p224.Public())
	require.ErrorContains(t, err, "P-224")
}

func TestParseSelector(t *testing.T) {
	for in, want := range map[string]trust.Selector{
		"ALL":      {Kind: pbtrust.ServiceSelector_ALL},
		"any":      {Kind: pbtrust.ServiceSelector_ANY},
		"EXACT:1":  {Kind: pbtrust.ServiceSelector_EXACT, Count: 1},
		"exact:12": {Kind: pbtrust.ServiceSelector_EXACT, Count: 12},
	} {
		got, err := trust.ParseSelector(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		again, err := trust.ParseSelector(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again)
	}
	for in, msg := range map[string]string{
		"EXACT:0": "at least 1", "EXACT:-1": "at least 1", "EXACT": "needs a count", "EXACT:x": "at least 1",
		"ALL:2": "unknown selector", "SOME": "unknown selector", "": "unknown selector", "EXACT:99999999999": "at least 1",
	} {
		_, err := trust.ParseSelector(in)
		require.ErrorContains(t, err, msg, in)
	}
}

func TestCheckURL(t *testing.T) {
	for _, u := range []string{"https://fulcio.example.com", "http://127.0.0.1:3000", "https://ct.example.com/2025", "https://tsa.example/api/v1/timestamp"} {
		require.NoError(t, trust.CheckURL(u), u)
	}
	for u, msg := range map[string]string{
		"":                            "needed",
		"ftp://example.com":           "not an http or https URL",
		"example.com":                 "not an http or https URL",
		"https://":                    "no host",
		"https://user:pw@example.com": "user information",
		"https://example.com/?a=b":    "query",
		"https://example.com/#x":      "fragment",
		"https://exa mple.com":        "invalid character",
	} {
		err := trust.CheckURL(u)
		require.ErrorIs(t, err, trust.ErrMalformed, u)
		require.ErrorContains(t, err, msg, u)
	}
}

// testParts is a private deployment like scripts/stack's full mode.
func testParts(t testing.TB, p *pki, k keys) *trust.Parts {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(liveRekorV2Key)
	require.NoError(t, err)
	return &trust.Parts{
		CertificateAuthorities: []trust.AuthorityPart{{URI: "http://127.0.0.1:5555", Chain: []*x509.Certificate{p.intermediate, p.root}, Operator: "signet-local"}},
		Tlogs: []trust.LogPart{
			{Kind: trust.RekorV2, URL: "http://127.0.0.1:3000", Key: ed25519.PublicKey(raw), Operator: "signet-local"},
			{Kind: trust.RekorV1, URL: "http://127.0.0.1:3010", Key: k.p256.Public(), Operator: "signet-local"},
		},
		CTLogs:               []trust.LogPart{{Kind: trust.CTLog, URL: "http://127.0.0.1:6962/test", Key: k.p384.Public(), Operator: "signet-local"}},
		TimestampAuthorities: []trust.AuthorityPart{{URI: "http://127.0.0.1:3004/api/v1/timestamp", Chain: []*x509.Certificate{p.tsaLeaf, p.intermediate, p.root}}},
		CAServices:           []trust.ServicePart{{URL: "http://127.0.0.1:5555", MajorAPIVersion: 1, Operator: "signet-local"}},
		OIDCServices:         []trust.ServicePart{{URL: "http://127.0.0.1:8090", MajorAPIVersion: 1}},
		TlogServices: []trust.ServicePart{
			{URL: "http://127.0.0.1:3000", MajorAPIVersion: 2, Operator: "signet-local"},
			{URL: "http://127.0.0.1:3010", MajorAPIVersion: 1, Operator: "signet-local"},
		},
		TSAServices: []trust.ServicePart{{URL: "http://127.0.0.1:3004/api/v1/timestamp", MajorAPIVersion: 1}},
		ValidFrom:   buildStart,
	}
}

func TestBuildClientTrustConfig(t *testing.T) {
	p := newPKI(t)
	parts := testParts(t, p, newKeys(t))
	ctc, err := parts.ClientTrustConfig()
	require.NoError(t, err)

	// It loads back into signet, and every log is found by the id its log kind defines.
	data, err := trust.Marshal(ctc)
	require.NoError(t, err)
	cfg, err := trust.ParseClientTrustConfig(data)
	require.NoError(t, err)
	checkRoot(t, cfg.TrustedRoot)
	tr := cfg.TrustedRoot
	require.Equal(t, trust.TrustedRootMediaType01, tr.MediaType)
	require.Len(t, tr.Tlogs, 2)
	require.Len(t, tr.CTLogs, 1)
	v2ID, _ := base64.StdEncoding.DecodeString(liveRekorV2LogID)
	require.NotNil(t, trust.FindLog(tr.Tlogs, v2ID), "Rekor v2 by the id it returns")
	require.Equal(t, []byte{0x64, 0xcc, 0xa9, 0x41}, trust.FindLog(tr.Tlogs, v2ID).KeyHint(), "ZMypQQ==")
	for _, l := range append(parts.Tlogs[1:], parts.CTLogs...) {
		id, err := trust.LogID(l.Key)
		require.NoError(t, err)
		require.NotNil(t, trust.FindLog(append(tr.Tlogs, tr.CTLogs...), id), "%s by SHA-256 of its key", l.URL)
	}
	for _, l := range append(tr.Tlogs, tr.CTLogs...) {
		require.Equal(t, buildStart, l.ValidFor.Start)
		// v0.1 has no log operators and no checkpoint key ids.
		require.Empty(t, l.Operator)
		require.Nil(t, l.CheckpointKeyID)
	}
	// Authorities start when their whole chain is valid; CAs keep their operator.
	ca := tr.CertificateAuthorities[0]
	require.Equal(t, p.intermediate.NotBefore, ca.ValidFor.Start)
	require.True(t, ca.ValidFor.End.IsZero())
	require.Equal(t, "signet-local", ca.Operator)
	require.Equal(t, "root", ca.Subject)
	require.Equal(t, "signet-test", ctc.GetTrustedRoot().GetCertificateAuthorities()[0].GetSubject().GetOrganization())
	require.Equal(t, p.tsaLeaf.NotBefore, tr.TimestampAuthorities[0].ValidFor.Start)

	// The signing config: services in order, ANY selectors, what Select picks.
	sc := ctc.GetSigningConfig()
	require.Equal(t, trust.SigningConfigMediaType02, sc.GetMediaType())
	require.Equal(t, pbtrust.ServiceSelector_ANY, sc.GetRekorTlogConfig().GetSelector())
	require.Equal(t, pbtrust.ServiceSelector_ANY, sc.GetTsaConfig().GetSelector())
	require.Equal(t, uint32(2), sc.GetRekorTlogUrls()[0].GetMajorApiVersion())
	require.Equal(t, "signet-local", sc.GetCaUrls()[0].GetOperator())
	require.Equal(t, buildStart, sc.GetCaUrls()[0].GetValidFor().GetStart().AsTime())
	sel, err := cfg.SigningConfig.Select(buildStart.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:5555", sel.CA.URL)
	require.Equal(t, "http://127.0.0.1:8090", sel.OIDC.URL)
	require.Equal(t, []string{"http://127.0.0.1:3000"}, urls(sel.Tlogs))
	require.Equal(t, []string{"http://127.0.0.1:3004/api/v1/timestamp"}, urls(sel.TSAs))

	// The output is stable: the same parts give the same bytes.
	again, err := parts.ClientTrustConfig()
	require.NoError(t, err)
	data2, err := trust.Marshal(again)
	require.NoError(t, err)
	require.Equal(t, string(data), string(data2))
	require.True(t, strings.HasPrefix(string(data), "{\n  \"mediaType\": \"application/vnd.dev.sigstore.clienttrustconfig.v0.1+json\",\n"))
}

func TestBuildTrustedRootV02(t *testing.T) {
	parts := testParts(t, newPKI(t), newKeys(t))
	parts.TrustedRootMediaType = trust.TrustedRootMediaType02
	pb, err := parts.TrustedRoot()
	require.NoError(t, err)
	tr, err := trust.NewTrustedRoot(pb)
	require.NoError(t, err)
	require.Equal(t, trust.TrustedRootMediaType02, tr.MediaType)
	for _, l := range tr.Tlogs {
		require.Equal(t, "signet-local", l.Operator)
		require.Equal(t, l.ID[:4], l.CheckpointKeyID)
	}
	require.Equal(t, "signet-local", tr.CTLogs[0].Operator)
	require.Nil(t, tr.CTLogs[0].CheckpointKeyID, "CT logs sign no checkpoints")

	parts.TrustedRootMediaType = "application/vnd.dev.sigstore.trustedroot.v0.3+json"
	_, err = parts.TrustedRoot()
	require.ErrorContains(t, err, "media type")
}

// TestBuildRefusals: each case is a tampered twin of testParts, which builds.
func TestBuildRefusals(t *testing.T) {
	p := newPKI(t)
	k := newKeys(t)
	cases := []struct {
		name string
		edit func(parts *trust.Parts)
		err  string
	}{
		{"valid", func(*trust.Parts) {}, ""},
		{"enterprise CA without a URI, not in the signing config", func(parts *trust.Parts) {
			parts.CertificateAuthorities[0].URI = ""
			parts.CAServices = nil
		}, ""},
		{"CA chain in the wrong order", func(parts *trust.Parts) {
			parts.CertificateAuthorities[0].Chain = []*x509.Certificate{p.root, p.intermediate}
		}, "not a chain"},
		{"CA chain without its root", func(parts *trust.Parts) {
			parts.CertificateAuthorities[0].Chain = []*x509.Certificate{p.intermediate}
		}, "not self-signed"},
		{"CA chain of another root", func(parts *trust.Parts) {
			parts.CertificateAuthorities[0].Chain = []*x509.Certificate{p.intermediate, p.otherRoot}
		}, "not signed by"},
		{"CA chain with a leaf", func(parts *trust.Parts) {
			parts.CertificateAuthorities[0].Chain = []*x509.Certificate{p.tsaLeaf, p.intermediate, p.root}
		}, "not a CA certificate"},
		{"TSA chain without the TSA certificate", func(parts *trust.Parts) {
			parts.TimestampAuthorities[0].Chain = []*x509.Certificate{p.intermediate, p.root}
		}, "timeStamping"},
		{"CA validity start given", func(parts *trust.Parts) {
			parts.CertificateAuthorities[0].ValidFrom = p.intermediate.NotBefore.Add(time.Hour)
		}, ""},
		{"CA validity start before the chain", func(parts *trust.Parts) {
			parts.CertificateAuthorities[0].ValidFrom = p.intermediate.NotBefore.Add(-time.Second)
		}, "before the chain is valid"},
		{"CA validity start after the chain expired", func(parts *trust.Parts) {
			parts.CertificateAuthorities[0].ValidFrom = p.intermediate.NotAfter.Add(time.Second)
		}, "after the chain expires"},
		{"CA URL not http(s)", func(parts *trust.Parts) { parts.CertificateAuthorities[0].URI = "ldap://ca.example" }, "not an http or https URL"},
		{"TSA without a URL", func(parts *trust.Parts) { parts.TimestampAuthorities[0].URI = "" }, "URL is needed"},
		{"log URL not http(s)", func(parts *trust.Parts) { parts.Tlogs[1].URL = "rekor.example.com" }, "not an http or https URL"},
		{"log without a key", func(parts *trust.Parts) { parts.Tlogs[1].Key = nil }, "public key is missing"},
		{"log key of an unsupported kind", func(parts *trust.Parts) { parts.Tlogs[1].Key = "key" }, "unsupported public key type"},
		{"Rekor v2 with an origin", func(parts *trust.Parts) { parts.Tlogs[0].Origin = "rekor.example.com" }, ""},
		{"Rekor v2 with a bad origin", func(parts *trust.Parts) { parts.Tlogs[0].Origin = "two words" }, "note key name"},
		{"Rekor v1 with an origin", func(parts *trust.Parts) { parts.Tlogs[1].Origin = "127.0.0.1" }, "only a Rekor v2 log"},
		{"CT log among the tlogs", func(parts *trust.Parts) { parts.Tlogs[1].Kind = trust.CTLog }, "listed among the transparency logs"},
		{"Rekor log among the CT logs", func(parts *trust.Parts) { parts.CTLogs[0].Kind = trust.RekorV1 }, "listed among the CT logs"},
		{"two logs with one key", func(parts *trust.Parts) { parts.CTLogs[0].Key = parts.Tlogs[1].Key }, "same log id"},
		{"operator with a scheme", func(parts *trust.Parts) { parts.Tlogs[1].Operator = "https://example.com" }, "scheme-less"},
		{"no validity start", func(parts *trust.Parts) { parts.ValidFrom = time.Time{} }, "no validity start"},
		{"log with its own start", func(parts *trust.Parts) {
			parts.ValidFrom = time.Time{}
			for i := range parts.Tlogs {
				parts.Tlogs[i].ValidFrom = buildStart
			}
			parts.CTLogs[0].ValidFrom = buildStart
			for _, set := range [][]trust.ServicePart{parts.CAServices, parts.OIDCServices, parts.TlogServices, parts.TSAServices} {
				for i := range set {
					set[i].ValidFrom = buildStart
				}
			}
		}, ""},
		{"service URL not http(s)", func(parts *trust.Parts) { parts.OIDCServices[0].URL = "127.0.0.1:8090" }, "not an http or https URL"},
		{"service of an unknown API version", func(parts *trust.Parts) { parts.TSAServices[0].MajorAPIVersion = 2 }, "API version 2"},
		{"EXACT:2 logs of two operators", func(parts *trust.Parts) {
			parts.TlogServices[1].MajorAPIVersion = 2
			parts.Tlogs[1].Kind = trust.RekorV2
			parts.TlogServices[1].Operator = "other"
			parts.TlogSelector = trust.Selector{Kind: pbtrust.ServiceSelector_EXACT, Count: 2}
		}, ""},
		{"EXACT:2 logs of one operator", func(parts *trust.Parts) {
			parts.TlogServices[1].MajorAPIVersion = 2
			parts.Tlogs[1].Kind = trust.RekorV2
			parts.TlogSelector = trust.Selector{Kind: pbtrust.ServiceSelector_EXACT, Count: 2}
		}, "needs 2 transparency logs of distinct operators, but the signing config lists 1"},
		{"EXACT:0", func(parts *trust.Parts) {
			parts.TSASelector = trust.Selector{Kind: pbtrust.ServiceSelector_EXACT}
		}, "at least 1"},
		{"signing with a log the root does not list", func(parts *trust.Parts) {
			parts.TlogServices[1].URL = "http://127.0.0.1:9999"
		}, "which the trusted root does not list"},
		{"signing with a log of another API version", func(parts *trust.Parts) {
			parts.TlogServices[1].MajorAPIVersion = 2
		}, "which the trusted root does not list"},
		{"signing with a TSA the root does not list", func(parts *trust.Parts) { parts.TimestampAuthorities = nil }, "timestamp authority"},
		{"signing with a CA the root does not list", func(parts *trust.Parts) {
			parts.CertificateAuthorities[0].URI = "http://ca.example"
		}, "certificate authority http://127.0.0.1:5555, which the trusted root does not list"},
		{"RSA log key", func(parts *trust.Parts) { parts.CTLogs[0].Key = k.rsa.Public() }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts := testParts(t, p, k)
			c.edit(parts)
			ctc, err := parts.ClientTrustConfig()
			if c.err != "" {
				require.ErrorIs(t, err, trust.ErrMalformed)
				require.ErrorContains(t, err, c.err)
				require.Nil(t, ctc)
				return
			}
			require.NoError(t, err)
			data, err := protojson.Marshal(ctc)
			require.NoError(t, err)
			_, err = trust.ParseClientTrustConfig(data)
			require.NoError(t, err)
		})
	}
}

func TestMarshalStable(t *testing.T) {
	parts := testParts(t, newPKI(t), newKeys(t))
	sc, err := parts.SigningConfig()
	require.NoError(t, err)
	var first []byte
	for range 20 {
		b, err := trust.Marshal(sc)
		require.NoError(t, err)
		if first == nil {
			first = b
		}
		require.Equal(t, string(first), string(b))
	}
	require.Contains(t, string(first), "\n  \"caUrls\": [\n")
	require.True(t, bytes.HasSuffix(first, []byte("}\n")))
}
