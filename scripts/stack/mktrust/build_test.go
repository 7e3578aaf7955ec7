package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/pkg/trust"
)

// A real rekor-server-posix v2.3.0 run with --hostname=127.0.0.1 and this key
// answered an upload with logId.keyId = ZMypQaRT..., and signed its checkpoint
// with key hint ZMypQQ== (the first 4 bytes).
const (
	liveRekorV2Key   = "nrEamgwzqNvbK29sXSRho3/UbUlF+v5z2+65uztIEos="
	liveRekorV2LogID = "ZMypQaRTQCb4X3U2LoJVMNinUqgc0XR2xubGqpsVK5k="
)

func TestNoteKeyHashMatchesRekorV2(t *testing.T) {
	raw, _ := base64.StdEncoding.DecodeString(liveRekorV2Key)
	key := ed25519.PublicKey(raw)
	got, err := NoteKeyHash("127.0.0.1", key)
	if err != nil {
		t.Fatal(err)
	}
	if b64 := base64.StdEncoding.EncodeToString(got); b64 != liveRekorV2LogID {
		t.Errorf("key hash %s, want %s", b64, liveRekorV2LogID)
	}
	// Tampered twins: another origin or another key gives another id.
	if other, _ := NoteKeyHash("localhost", key); bytes.Equal(other, got) {
		t.Error("origin does not enter the hash")
	}
	flipped := bytes.Clone(raw)
	flipped[0] ^= 1
	if other, _ := NoteKeyHash("127.0.0.1", ed25519.PublicKey(flipped)); bytes.Equal(other, got) {
		t.Error("key does not enter the hash")
	}
	if _, err := NoteKeyHash("", key); err == nil {
		t.Error("empty origin accepted")
	}
}

func selfSigned(t *testing.T, cn string, notBefore time.Time) *x509.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"signet-local"}, CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testInstance(t *testing.T) *Instance {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v1Key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ctKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	raw, _ := base64.StdEncoding.DecodeString(liveRekorV2Key)
	return &Instance{
		Operator: "signet-local",
		Start:    start,
		CA:       &Authority{URL: "http://127.0.0.1:5555", Chain: []*x509.Certificate{selfSigned(t, "root", start.Add(-24*time.Hour))}},
		TSA:      &Authority{URL: "http://127.0.0.1:3004/api/v1/timestamp", Chain: []*x509.Certificate{selfSigned(t, "tsa", start.Add(time.Hour))}},
		OIDCURL:  "http://127.0.0.1:8090",
		Logs: []Log{
			{Kind: RekorV2, BaseURL: "http://127.0.0.1:3000", Key: ed25519.PublicKey(raw), Origin: "127.0.0.1"},
			{Kind: RekorV1, BaseURL: "http://127.0.0.1:3010", Key: &v1Key.PublicKey},
		},
		CTLogs: []Log{{Kind: CTLog, BaseURL: "http://127.0.0.1:6962/test", Key: &ctKey.PublicKey}},
	}
}

func TestTrustedRoot(t *testing.T) {
	in := testInstance(t)
	tr, err := in.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	if tr.GetMediaType() != TrustedRootMediaType {
		t.Errorf("media type %q", tr.GetMediaType())
	}
	if n := len(tr.GetTlogs()); n != 2 {
		t.Fatalf("%d tlogs", n)
	}
	v2 := tr.GetTlogs()[0]
	if got := base64.StdEncoding.EncodeToString(v2.GetLogId().GetKeyId()); got != liveRekorV2LogID {
		t.Errorf("rekor v2 log id %s", got)
	}
	if v2.GetPublicKey().GetKeyDetails() != pbcommon.PublicKeyDetails_PKIX_ED25519 {
		t.Errorf("rekor v2 key details %v", v2.GetPublicKey().GetKeyDetails())
	}
	v1 := tr.GetTlogs()[1]
	sum := sha256.Sum256(v1.GetPublicKey().GetRawBytes())
	if !bytes.Equal(v1.GetLogId().GetKeyId(), sum[:]) {
		t.Error("rekor v1 log id is not SHA-256 of the SPKI")
	}
	ct := tr.GetCtlogs()[0]
	sum = sha256.Sum256(ct.GetPublicKey().GetRawBytes())
	if !bytes.Equal(ct.GetLogId().GetKeyId(), sum[:]) || ct.GetBaseUrl() != "http://127.0.0.1:6962/test" {
		t.Error("ct log entry wrong")
	}
	// The CA started before Start: its window starts at the root's NotBefore.
	ca := tr.GetCertificateAuthorities()[0]
	if got, want := ca.GetValidFor().GetStart().AsTime(), in.CA.Chain[0].NotBefore; !got.Equal(want) {
		t.Errorf("ca start %v, want %v", got, want)
	}
	if ca.GetSubject().GetCommonName() != "root" || ca.GetSubject().GetOrganization() != "signet-local" {
		t.Errorf("ca subject %v", ca.GetSubject())
	}
	// The TSA chain started after Start: Start wins.
	tsa := tr.GetTimestampAuthorities()[0]
	if got := tsa.GetValidFor().GetStart().AsTime(); !got.Equal(in.Start) {
		t.Errorf("tsa start %v, want %v", got, in.Start)
	}
	// Round trip through JSON.
	b, err := protojson.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var back pbtrust.TrustedRoot
	if err := protojson.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
}

func TestTrustedRootRejectsLeafOnlyChain(t *testing.T) {
	in := testInstance(t)
	leaf := selfSigned(t, "leaf", in.Start)
	leaf.IsCA = false
	in.CA.Chain = []*x509.Certificate{leaf}
	if _, err := in.TrustedRoot(); err == nil {
		t.Fatal("chain ending in a non-CA accepted")
	}
	in = testInstance(t)
	in.TSA.Chain = nil
	if _, err := in.TrustedRoot(); err == nil {
		t.Fatal("empty TSA chain accepted")
	}
}

func TestSigningConfig(t *testing.T) {
	in := testInstance(t)
	versions := func(sc *pbtrust.SigningConfig) (out []uint32) {
		for _, s := range sc.GetRekorTlogUrls() {
			out = append(out, s.GetMajorApiVersion())
		}
		return out
	}
	all, err := in.SigningConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := versions(all); len(v) != 2 || v[0] != 2 || v[1] != 1 {
		t.Errorf("all: versions %v", v)
	}
	if all.GetMediaType() != SigningConfigMediaType || all.GetRekorTlogConfig().GetSelector() != pbtrust.ServiceSelector_ANY ||
		all.GetTsaConfig().GetSelector() != pbtrust.ServiceSelector_ANY {
		t.Errorf("header %v %v %v", all.GetMediaType(), all.GetRekorTlogConfig(), all.GetTsaConfig())
	}
	if u := all.GetTsaUrls()[0].GetUrl(); u != "http://127.0.0.1:3004/api/v1/timestamp" {
		t.Errorf("tsa url %s", u)
	}
	if ca := all.GetCaUrls()[0]; ca.GetMajorApiVersion() != 1 || ca.GetOperator() != "signet-local" || !ca.GetValidFor().GetStart().AsTime().Equal(in.Start) {
		t.Errorf("ca service %v", ca)
	}
	v1, err := in.SigningConfig(func(l Log) bool { return l.Kind == RekorV1 })
	if err != nil {
		t.Fatal(err)
	}
	if v := versions(v1); len(v) != 1 || v[0] != 1 {
		t.Errorf("v1 only: versions %v", v)
	}
	if _, err := in.SigningConfig(func(Log) bool { return false }); err == nil {
		t.Error("signing config with no log accepted")
	}
	ctc := ClientTrustConfig(nil, v1)
	if ctc.GetMediaType() != ClientTrustConfigMediaType {
		t.Errorf("client trust config media type %q", ctc.GetMediaType())
	}
}

func TestKeyDetails(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if d, err := KeyDetails(&p384.PublicKey); err != nil || d != pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384 {
		t.Errorf("p384: %v %v", d, err)
	}
	if _, err := KeyDetails("not a key"); err == nil {
		t.Error("string accepted as key")
	}
}

// What mktrust writes must be what signet reads.
func TestOutputParsesWithPkgTrust(t *testing.T) {
	in := testInstance(t)
	tr, err := in.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := in.SigningConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(ClientTrustConfig(tr, sc))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := trust.ParseClientTrustConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cfg.TrustedRoot.Tlogs); n != 2 {
		t.Errorf("pkg/trust sees %d tlogs", n)
	}
	raw, _ := base64.StdEncoding.DecodeString(liveRekorV2LogID)
	if trust.FindLog(cfg.TrustedRoot.Tlogs, raw) == nil {
		t.Error("pkg/trust cannot find the Rekor v2 log by the id Rekor v2 returns")
	}
}
