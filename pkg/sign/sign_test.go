package sign_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/sign"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/verify"
)

var clock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	email  = "user@sigstoretest.invalid"
	issuer = "https://oauth2.sigstoretest.invalid/auth"
)

// fakeInstance serves a fake Fulcio, Rekor v1, Rekor v2 and TSA on loopback, each behind a
// FaultHandler so that tests can break one.
type fakeInstance struct {
	ca                      *sigstoretest.CA
	v1, v2                  *sigstoretest.Log
	tsa                     *sigstoretest.TSA
	fulcioOpts              sigstoretest.FulcioOptions
	rekorOpts               sigstoretest.RekorOptions
	fulcio, rekor1, rekor2  *sigstoretest.FaultHandler
	tsaFault                *sigstoretest.FaultHandler
	fulcioURL, r1URL, r2URL string
	tsaURL                  string
	root                    *pbtrust.TrustedRoot
}

func newFake(t *testing.T) *fakeInstance {
	f := &fakeInstance{}
	f.ca = sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	f.v1 = sigstoretest.NewLog(t, sigstoretest.RekorV1)
	f.v2 = sigstoretest.NewLog(t, sigstoretest.RekorV2, sigstoretest.LogHost("log2.example.test"))
	f.tsa = sigstoretest.NewTSA(t, sigstoretest.WithTSAClock(clock.Add(10*time.Second)))
	serve := func(h http.Handler) (*sigstoretest.FaultHandler, string) {
		fh := &sigstoretest.FaultHandler{Next: h}
		srv := httptest.NewServer(fh)
		t.Cleanup(srv.Close)
		return fh, srv.URL
	}
	f.fulcio, f.fulcioURL = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sigstoretest.NewFulcioServer(f.ca, f.fulcioOpts).ServeHTTP(w, r)
	}))
	r1 := sigstoretest.NewRekorServer(f.v1, sigstoretest.RekorOptions{})
	f.rekor1, f.r1URL = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.rekorOpts != (sigstoretest.RekorOptions{}) {
			sigstoretest.NewRekorServer(f.v1, f.rekorOpts).ServeHTTP(w, r)
			return
		}
		r1.ServeHTTP(w, r)
	}))
	f.rekor2, f.r2URL = serve(sigstoretest.NewRekorServer(f.v2, sigstoretest.RekorOptions{}))
	f.tsaFault, f.tsaURL = serve(f.tsa)
	f.root = &pbtrust.TrustedRoot{
		MediaType:              trust.TrustedRootMediaType01,
		Tlogs:                  []*pbtrust.TransparencyLogInstance{f.v1.TransparencyLog(), f.v2.TransparencyLog()},
		CertificateAuthorities: []*pbtrust.CertificateAuthority{f.ca.Authority()},
		Ctlogs:                 f.ca.CTLogs(),
		TimestampAuthorities:   []*pbtrust.CertificateAuthority{f.tsa.Authority()},
	}
	return f
}

func (f *fakeInstance) config(t *testing.T, tlogVersion uint32, withTSA bool) *sign.Config {
	tr, err := trust.NewTrustedRoot(f.root)
	require.NoError(t, err)
	s := &trust.Services{CA: trust.Service{URL: f.fulcioURL, MajorAPIVersion: 1}}
	switch tlogVersion {
	case 1:
		s.Tlogs = []trust.Service{{URL: f.r1URL, MajorAPIVersion: 1}}
	case 2:
		s.Tlogs = []trust.Service{{URL: f.r2URL, MajorAPIVersion: 2}}
	}
	if withTSA {
		s.TSAs = []trust.Service{{URL: f.tsaURL + "/api/v1/timestamp", MajorAPIVersion: 1}}
	}
	return &sign.Config{TrustedRoot: tr, Services: s, Timeout: time.Second, Now: func() time.Time { return clock }}
}

var artifact = []byte("an artifact to sign\n")

func token() string { return sigstoretest.UnsignedToken(clock, nil) }

func keylessPolicy() verify.Policy {
	return verify.Policy{Identities: []verify.Matcher{verify.Exact(email)}, Issuers: []verify.Matcher{verify.Exact(issuer)}, Now: clock.Add(time.Hour)}
}

// verifyBundle checks a signed bundle with signet's verifier after a JSON round trip, as a
// user would.
func verifyBundle(t *testing.T, cfg *sign.Config, pb *pbbundle.Bundle, art verify.Artifact, p verify.Policy) *verify.Result {
	data, err := bundle.Marshal(pb)
	require.NoError(t, err)
	b, err := bundle.Parse(data)
	require.NoError(t, err)
	require.Equal(t, bundle.MediaType03New, b.MediaType)
	res, err := verify.Verify(cfg.TrustedRoot, b, art, p)
	require.NoError(t, err)
	return res
}

func TestSignKeyless(t *testing.T) {
	for _, c := range []struct {
		name    string
		version uint32
		tsa     bool
		alg     sign.KeyAlgorithm
	}{
		{"Rekor v1", 1, false, sign.ECDSAP256},
		{"Rekor v1 and TSA", 1, true, sign.ECDSAP256},
		{"Rekor v2 and TSA", 2, true, sign.ECDSAP256},
		{"Rekor v2, P-384", 2, true, sign.ECDSAP384},
		{"TSA only", 0, true, sign.ECDSAP256},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			cfg := f.config(t, c.version, c.tsa)
			id, err := cfg.Keyless(context.Background(), token(), mustKey(t, c.alg))
			require.NoError(t, err)
			pb, err := cfg.SignArtifact(context.Background(), id, bytes.NewReader(artifact))
			require.NoError(t, err)
			p := keylessPolicy()
			p.InsecureIgnoreTlog = c.version == 0
			res := verifyBundle(t, cfg, pb, verify.ArtifactReader(bytes.NewReader(artifact)), p)
			require.Equal(t, email, res.Identity.SAN)
			require.Len(t, pb.VerificationMaterial.TlogEntries, map[bool]int{true: 1, false: 0}[c.version > 0])

			// The tampered twin: another artifact does not verify with this bundle.
			b, _ := bundle.New(pb)
			_, err = verify.Verify(cfg.TrustedRoot, b, verify.ArtifactReader(bytes.NewReader([]byte("other"))), p)
			require.Error(t, err)
		})
	}
}

func TestSignDSSE(t *testing.T) {
	sum := sha256.Sum256(artifact)
	statement, _ := json.Marshal(map[string]any{"_type": dsse.StatementTypeV1, "predicateType": "https://example.com/p",
		"subject": []any{map[string]any{"name": "a", "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])}}}})
	for _, version := range []uint32{1, 2} {
		f := newFake(t)
		cfg := f.config(t, version, version == 2)
		id, err := cfg.Keyless(context.Background(), token(), mustKey(t, sign.ECDSAP256))
		require.NoError(t, err)
		pb, err := cfg.SignDSSE(context.Background(), id, dsse.InTotoPayloadType, statement)
		require.NoError(t, err)
		res := verifyBundle(t, cfg, pb, verify.ArtifactReader(bytes.NewReader(artifact)), keylessPolicy())
		require.JSONEq(t, string(statement), string(res.Statement))
	}
	// A statement whose subject has no usable digest is refused before anything is logged.
	f := newFake(t)
	cfg := f.config(t, 1, false)
	id, err := cfg.Keyless(context.Background(), token(), mustKey(t, sign.ECDSAP256))
	require.NoError(t, err)
	bad, _ := json.Marshal(map[string]any{"_type": dsse.StatementTypeV1, "predicateType": "p",
		"subject": []any{map[string]any{"name": "a", "digest": map[string]string{"md5": "00"}}}})
	_, err = cfg.SignDSSE(context.Background(), id, dsse.InTotoPayloadType, bad)
	requireStep(t, err, sign.StepArtifact)
	require.Zero(t, f.rekor1.Requests())
}

func TestSignWithKey(t *testing.T) {
	f := newFake(t)
	cfg := f.config(t, 1, true)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	// A bare key: the bundle carries a key hint and verifies with the key.
	id, err := sign.KeyIdentity(key, nil)
	require.NoError(t, err)
	pb, err := cfg.SignArtifact(context.Background(), id, bytes.NewReader(artifact))
	require.NoError(t, err)
	require.NotEmpty(t, pb.VerificationMaterial.GetPublicKey().GetHint())
	verifyBundle(t, cfg, pb, verify.ArtifactReader(bytes.NewReader(artifact)), verify.Policy{Keys: []verify.TrustedKey{{Public: key.Public()}}, Now: clock.Add(time.Hour)})

	// A key with a certificate from a CA the trusted root knows (an enterprise CA).
	leaf := f.ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{Email: email, Issuer: issuer})
	id, err = sign.KeyIdentity(key, append([]*x509.Certificate{leaf}, f.ca.Intermediate()))
	require.NoError(t, err)
	pb, err = cfg.SignArtifact(context.Background(), id, bytes.NewReader(artifact))
	require.NoError(t, err)
	verifyBundle(t, cfg, pb, verify.ArtifactReader(bytes.NewReader(artifact)), keylessPolicy())

	// An enterprise CA's certificate names no OIDC issuer and carries no SCT: signing
	// succeeds (its self-check asks what its verifiers will), and the bundle verifies by the
	// SAN alone, and not with an issuer expected.
	plain := f.ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{Email: email, OmitIssuerV1: true, OmitIssuerV2: true, NoSCTs: true})
	id, err = sign.KeyIdentity(key, []*x509.Certificate{plain, f.ca.Intermediate()})
	require.NoError(t, err)
	pb, err = cfg.SignArtifact(context.Background(), id, bytes.NewReader(artifact))
	require.NoError(t, err)
	enterprise := verify.Policy{Identities: []verify.Matcher{verify.Exact(email)}, WithoutIssuer: true, InsecureIgnoreSCT: true, Now: clock.Add(time.Hour)}
	verifyBundle(t, cfg, pb, verify.ArtifactReader(bytes.NewReader(artifact)), enterprise)
	b, err := bundle.New(pb)
	require.NoError(t, err)
	p := keylessPolicy()
	p.InsecureIgnoreSCT = true
	_, err = verify.Verify(cfg.TrustedRoot, b, verify.ArtifactReader(bytes.NewReader(artifact)), p)
	require.ErrorContains(t, err, `OIDC issuer "" does not match`)

	// A certificate for another key is refused.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, err = sign.KeyIdentity(other, []*x509.Certificate{leaf})
	requireStep(t, err, sign.StepIdentity)
}

func requireStep(t *testing.T, err error, step sign.Step) *sign.Error {
	t.Helper()
	var se *sign.Error
	require.True(t, errors.As(err, &se), "error %v is not a *sign.Error", err)
	require.Equal(t, step, se.Step, "failed for another reason: %v", err)
	return se
}

func TestSignFailures(t *testing.T) {
	for _, c := range []struct {
		name    string
		version uint32
		tsa     bool
		breakIt func(t *testing.T, f *fakeInstance)
		step    sign.Step
		service bool // the error is a *sign.ServiceError
		errText string
	}{
		{name: "Rekor v2 without a TSA", version: 2, step: sign.StepIdentity, errText: "records no signing time"},
		{name: "Fulcio certifies another key", version: 1, breakIt: func(t *testing.T, f *fakeInstance) { f.fulcioOpts.WrongKey = true }, step: sign.StepCertificate, service: true, errText: "certificate for another key"},
		{name: "Fulcio's CA is not trusted", version: 1, breakIt: func(t *testing.T, f *fakeInstance) {
			f.root.CertificateAuthorities = []*pbtrust.CertificateAuthority{sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock)).Authority()}
		}, step: sign.StepCertificate, errText: "does not verify against the trusted root"},
		{name: "Fulcio down", version: 1, breakIt: func(t *testing.T, f *fakeInstance) { f.fulcio.Fault = sigstoretest.FaultDown }, step: sign.StepCertificate, service: true},
		{name: "Fulcio answers malformed JSON", version: 1, breakIt: func(t *testing.T, f *fakeInstance) { f.fulcio.Fault = sigstoretest.FaultMalformedJSON }, step: sign.StepCertificate, service: true},
		{name: "Rekor logs another signature", version: 1, breakIt: func(t *testing.T, f *fakeInstance) { f.rekorOpts.OtherSignature = true }, step: sign.StepTlog, service: true, errText: "does not record what was proposed"},
		{name: "Rekor answers 500 forever", version: 1, breakIt: func(t *testing.T, f *fakeInstance) { f.rekor1.Fault = sigstoretest.FaultStatus }, step: sign.StepTlog, service: true, errText: "500"},
		{name: "Rekor v2 log key not trusted", version: 2, tsa: true, breakIt: func(t *testing.T, f *fakeInstance) { f.root.Tlogs = f.root.Tlogs[:1] }, step: sign.StepVerify},
		{name: "TSA down", version: 2, tsa: true, breakIt: func(t *testing.T, f *fakeInstance) { f.tsaFault.Fault = sigstoretest.FaultDown }, step: sign.StepTimestamp, service: true},
		{name: "TSA not trusted", version: 2, tsa: true, breakIt: func(t *testing.T, f *fakeInstance) {
			f.root.TimestampAuthorities = []*pbtrust.CertificateAuthority{sigstoretest.NewTSA(t).Authority()}
		}, step: sign.StepVerify},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			if c.breakIt != nil {
				c.breakIt(t, f)
			}
			cfg := f.config(t, c.version, c.tsa)
			id, err := cfg.Keyless(context.Background(), token(), mustKey(t, sign.ECDSAP256))
			if err == nil {
				_, err = cfg.SignArtifact(context.Background(), id, bytes.NewReader(artifact))
			}
			require.Error(t, err)
			requireStep(t, err, c.step)
			var svc *sign.ServiceError
			require.Equal(t, c.service, errors.As(err, &svc), "service error: %v", err)
			if c.errText != "" {
				require.ErrorContains(t, err, c.errText)
			}
		})
	}
}

// TestSignRetries: a service that fails a few times, then answers, is retried.
func TestSignRetries(t *testing.T) {
	for _, fault := range []sigstoretest.Fault{sigstoretest.FaultStatus, sigstoretest.FaultRateLimit} {
		f := newFake(t)
		f.rekor1.Fault, f.rekor1.Times, f.rekor1.RetryAfter = fault, 2, "0"
		cfg := f.config(t, 1, false)
		id, err := cfg.Keyless(context.Background(), token(), mustKey(t, sign.ECDSAP256))
		require.NoError(t, err)
		_, err = cfg.SignArtifact(context.Background(), id, bytes.NewReader(artifact))
		require.NoError(t, err, fault.String())
		require.Equal(t, 3, f.rekor1.Requests(), fault.String())
	}
}

func mustKey(t *testing.T, alg sign.KeyAlgorithm) crypto.Signer {
	k, err := sign.GenerateKey(alg)
	require.NoError(t, err)
	return k
}

// TestSignSeveralLogs: a signing config that selects two logs (ALL over two operators) puts
// the signature in both, and the bundle meets a tlog threshold of 2.
func TestSignSeveralLogs(t *testing.T) {
	f := newFake(t)
	other := sigstoretest.NewLog(t, sigstoretest.RekorV1, sigstoretest.LogHost("rekor.other.test"))
	srv := httptest.NewServer(sigstoretest.NewRekorServer(other, sigstoretest.RekorOptions{}))
	t.Cleanup(srv.Close)
	f.root.Tlogs = append(f.root.Tlogs, other.TransparencyLog())
	cfg := f.config(t, 1, false)
	cfg.Services.Tlogs = append(cfg.Services.Tlogs, trust.Service{URL: srv.URL, MajorAPIVersion: 1})

	id, err := cfg.Keyless(context.Background(), token(), mustKey(t, sign.ECDSAP256))
	require.NoError(t, err)
	pb, err := cfg.SignArtifact(context.Background(), id, bytes.NewReader(artifact))
	require.NoError(t, err)
	require.Len(t, pb.VerificationMaterial.TlogEntries, 2)
	p := keylessPolicy()
	p.TlogThreshold = 2
	res := verifyBundle(t, cfg, pb, verify.ArtifactReader(bytes.NewReader(artifact)), p)
	require.ElementsMatch(t, []string{f.v1.BaseURL(), other.BaseURL()}, []string{res.TlogEntries[0].LogURL, res.TlogEntries[1].LogURL})

	// The tampered twin: drop one entry and the threshold is not met.
	pb.VerificationMaterial.TlogEntries = pb.VerificationMaterial.TlogEntries[:1]
	b, err := bundle.New(pb)
	require.NoError(t, err)
	_, err = verify.Verify(cfg.TrustedRoot, b, verify.ArtifactReader(bytes.NewReader(artifact)), p)
	require.ErrorContains(t, err, "1 distinct transparency log operators verified, 2 required")
}

// A signing config without a CA (an enterprise CA's users sign with their own keys) cannot
// sign keylessly: refused before any request.
func TestKeylessWithoutCA(t *testing.T) {
	f := newFake(t)
	cfg := f.config(t, 1, false)
	cfg.Services.CA = trust.Service{}
	_, err := cfg.Keyless(context.Background(), token(), mustKey(t, sign.ECDSAP256))
	requireStep(t, err, sign.StepCertificate)
	require.ErrorContains(t, err, "the signing config lists no certificate authority")
	require.Zero(t, f.fulcio.Requests())
}

// TestSignTimestampsBeforeLogging: a log entry is forever, so a signature whose timestamp
// fails is never logged; the twin: with the timestamp authority back, the same signing logs it.
func TestSignTimestampsBeforeLogging(t *testing.T) {
	f := newFake(t)
	var logged atomic.Int32
	rekor := sigstoretest.NewRekorServer(f.v2, sigstoretest.RekorOptions{})
	logSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logged.Add(1)
		rekor.ServeHTTP(w, r)
	}))
	t.Cleanup(logSrv.Close)
	var tsaFails atomic.Bool
	tsaFails.Store(true)
	tsaSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tsaFails.Load() {
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		f.tsa.ServeHTTP(w, r)
	}))
	t.Cleanup(tsaSrv.Close)
	cfg := f.config(t, 2, true)
	cfg.Services.Tlogs[0].URL = logSrv.URL
	cfg.Services.TSAs[0].URL = tsaSrv.URL + "/api/v1/timestamp"
	id, err := cfg.Keyless(context.Background(), token(), mustKey(t, sign.ECDSAP256))
	require.NoError(t, err)
	_, err = cfg.SignArtifact(context.Background(), id, bytes.NewReader(artifact))
	requireStep(t, err, sign.StepTimestamp)
	require.Zero(t, logged.Load(), "a signature whose timestamp failed was logged")

	tsaFails.Store(false)
	_, err = cfg.SignArtifact(context.Background(), id, bytes.NewReader(artifact))
	require.NoError(t, err)
	require.Equal(t, int32(1), logged.Load())
}
