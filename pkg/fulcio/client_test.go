package fulcio_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
)

// instant is a retry policy that never waits.
var instant = httpretry.Policy{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}

type fulcioFixture struct {
	ca     *sigstoretest.CA
	server *sigstoretest.FulcioServer
	fault  *sigstoretest.FaultHandler
	http   *httptest.Server
	client *fulcio.Client
}

func newFulcioFixture(t *testing.T, opts sigstoretest.FulcioOptions, fault *sigstoretest.FaultHandler) *fulcioFixture {
	t.Helper()
	f := &fulcioFixture{ca: sigstoretest.NewCA(t)}
	f.server = sigstoretest.NewFulcioServer(f.ca, opts)
	var h http.Handler = f.server
	if fault != nil {
		fault.Next, f.fault, h = f.server, fault, fault
	}
	f.http = httptest.NewServer(h)
	t.Cleanup(f.http.Close)
	f.client = &fulcio.Client{BaseURL: f.http.URL, HTTP: f.http.Client(), Retry: instant}
	return f
}

func (f *fulcioFixture) token(claims map[string]any) string {
	return sigstoretest.UnsignedToken(f.ca.Now(), claims)
}

func ecKey(t *testing.T, c elliptic.Curve) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	require.NoError(t, err)
	return k
}

func TestRequestCertificate(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tests := []struct {
		name     string
		signer   crypto.Signer
		opts     sigstoretest.FulcioOptions
		claims   map[string]any
		identity func(*x509.Certificate) string
		want     string
		scts     bool
	}{
		{name: "P-256, embedded SCT", signer: ecKey(t, elliptic.P256()), scts: true,
			identity: func(c *x509.Certificate) string { return c.EmailAddresses[0] }, want: "user@sigstoretest.invalid"},
		{name: "P-384", signer: ecKey(t, elliptic.P384()), scts: true,
			identity: func(c *x509.Certificate) string { return c.EmailAddresses[0] }, want: "user@sigstoretest.invalid"},
		{name: "Ed25519", signer: edKey, scts: true,
			identity: func(c *x509.Certificate) string { return c.EmailAddresses[0] }, want: "user@sigstoretest.invalid"},
		{name: "RSA", signer: rsaKey, scts: true,
			identity: func(c *x509.Certificate) string { return c.EmailAddresses[0] }, want: "user@sigstoretest.invalid"},
		{name: "detached SCT (Fulcio without a CT log)", signer: ecKey(t, elliptic.P256()), opts: sigstoretest.FulcioOptions{Detached: true},
			identity: func(c *x509.Certificate) string { return c.EmailAddresses[0] }, want: "user@sigstoretest.invalid"},
		{name: "URI identity", signer: ecKey(t, elliptic.P256()), scts: true,
			claims:   map[string]any{"email": nil, "sub": "https://github.com/octo/repo/.github/workflows/release.yml@refs/heads/main"},
			identity: func(c *x509.Certificate) string { return c.URIs[0].String() },
			want:     "https://github.com/octo/repo/.github/workflows/release.yml@refs/heads/main"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFulcioFixture(t, tc.opts, nil)
			token := f.token(tc.claims)
			chain, err := f.client.RequestCertificate(context.Background(), token, tc.signer)
			require.NoError(t, err)
			require.Len(t, chain, 3)
			leaf := chain[0]
			assert.True(t, tc.signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(leaf.PublicKey))
			assert.Equal(t, tc.want, tc.identity(leaf))
			assert.Equal(t, f.ca.Intermediate().Raw, chain[1].Raw)
			assert.Equal(t, f.ca.Root().Raw, chain[2].Raw)

			// What the verifier will do with it.
			root := trustedRoot(t, []*pbtrust.CertificateAuthority{f.ca.Authority()}, f.ca.CTLogs())
			_, _, err = fulcio.VerifyChain(leaf, root.CertificateAuthorities, f.ca.Now())
			require.NoError(t, err)
			id, err := fulcio.IdentityFromCertificate(leaf)
			require.NoError(t, err)
			assert.Equal(t, "https://oauth2.sigstoretest.invalid/auth", id.Issuer)
			_, err = fulcio.VerifySCTs(leaf, chain[1], root.CTLogs, 1, time.Now())
			if tc.scts {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestRequestCertificateTampered(t *testing.T) {
	f := newFulcioFixture(t, sigstoretest.FulcioOptions{WrongKey: true}, nil)
	token := f.token(nil)
	_, err := f.client.RequestCertificate(context.Background(), token, ecKey(t, elliptic.P256()))
	require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
	assert.Regexp(t, `^Fulcio at `+f.http.URL+`: POST /api/v2/signingCert answered a certificate for another key \(leaf .* certifies sha256:[0-9a-f]{16}, the signer's key is sha256:[0-9a-f]{16}\)$`, err.Error())
	assert.NotContains(t, err.Error(), token)
}

func TestRequestCertificateRejected(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]any
	}{
		{"expired token", map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}},
		{"wrong audience", map[string]any{"aud": "someone-else"}},
		{"no issuer", map[string]any{"iss": nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFulcioFixture(t, sigstoretest.FulcioOptions{}, nil)
			token := f.token(tc.claims)
			_, err := f.client.RequestCertificate(context.Background(), token, ecKey(t, elliptic.P256()))
			require.ErrorIs(t, err, httpretry.ErrRejected)
			assert.Equal(t, "Fulcio at "+f.http.URL+": POST /api/v2/signingCert answered 400 Bad Request after 1 attempt: There was an error processing the identity token", err.Error())
			assert.NotContains(t, err.Error(), token)
		})
	}
	t.Run("not a JWT", func(t *testing.T) {
		f := newFulcioFixture(t, sigstoretest.FulcioOptions{}, nil)
		_, err := f.client.RequestCertificate(context.Background(), "opaque", ecKey(t, elliptic.P256()))
		require.ErrorIs(t, err, httpretry.ErrRejected)
	})
}

func TestRequestCertificateFaults(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	t.Run("500 twice, then success", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultStatus, Times: 2}
		f := newFulcioFixture(t, sigstoretest.FulcioOptions{}, fault)
		chain, err := f.client.RequestCertificate(context.Background(), f.token(nil), key)
		require.NoError(t, err)
		assert.Len(t, chain, 3)
		assert.Equal(t, 3, fault.Requests())
		assert.Len(t, f.server.Issued(), 1)
	})
	t.Run("429 with Retry-After, then success", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultRateLimit, Times: 1, RetryAfter: "3"}
		f := newFulcioFixture(t, sigstoretest.FulcioOptions{}, fault)
		var waits []time.Duration
		f.client.Retry.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		_, err := f.client.RequestCertificate(context.Background(), f.token(nil), key)
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{3 * time.Second}, waits)
	})
	t.Run("500 every time", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultStatus}
		f := newFulcioFixture(t, sigstoretest.FulcioOptions{}, fault)
		_, err := f.client.RequestCertificate(context.Background(), f.token(nil), key)
		require.ErrorIs(t, err, httpretry.ErrServer)
		assert.Equal(t, "Fulcio at "+f.http.URL+": POST /api/v2/signingCert answered 500 Internal Server Error after 4 attempts: injected fault: Internal Server Error", err.Error())
	})
	t.Run("malformed JSON", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultMalformedJSON}
		f := newFulcioFixture(t, sigstoretest.FulcioOptions{}, fault)
		_, err := f.client.RequestCertificate(context.Background(), f.token(nil), key)
		require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
		assert.Equal(t, "Fulcio at "+f.http.URL+": POST /api/v2/signingCert answered malformed JSON: unexpected EOF", err.Error())
	})
	t.Run("down", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		c := &fulcio.Client{BaseURL: srv.URL, Retry: instant}
		_, err := c.RequestCertificate(context.Background(), "a.b.c", key)
		require.ErrorIs(t, err, httpretry.ErrUnreachable)
		assert.Contains(t, err.Error(), "Fulcio at "+srv.URL+": POST /api/v2/signingCert failed after 4 attempts: ")
	})
	t.Run("slow", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultSlow}
		f := newFulcioFixture(t, sigstoretest.FulcioOptions{}, fault)
		f.client.Retry.AttemptTimeout = 10 * time.Millisecond
		f.client.Retry.MaxAttempts = 2
		_, err := f.client.RequestCertificate(context.Background(), f.token(nil), key)
		require.ErrorIs(t, err, httpretry.ErrUnreachable)
		assert.Contains(t, err.Error(), "failed after 2 attempts: no answer within 10ms")
	})
}

// canned answers with a fixed body and records the request.
type canned struct {
	answer string
	got    []byte
	ctype  string
	auth   string
}

func (c *canned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.got, _ = io.ReadAll(r.Body)
	c.ctype, c.auth = r.Header.Get("Content-Type"), r.Header.Get("Authorization")
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, c.answer)
}

func pemOf(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func chainJSON(certs ...string) string {
	b, _ := json.Marshal(map[string]any{"chain": map[string]any{"certificates": certs}})
	return string(b)
}

func TestRequestCertificateWire(t *testing.T) {
	ca := sigstoretest.NewCA(t)
	other := sigstoretest.NewCA(t)
	key := ecKey(t, elliptic.P256())
	leaf := ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{})
	good := `{"signedCertificateEmbeddedSct":` + chainJSON(pemOf(leaf), pemOf(ca.Intermediate()), pemOf(ca.Root())) + `}`

	t.Run("request shape", func(t *testing.T) {
		c := &canned{answer: good}
		srv := httptest.NewServer(c)
		defer srv.Close()
		_, err := (&fulcio.Client{BaseURL: srv.URL + "/", Retry: instant}).RequestCertificate(context.Background(), "the.token.here", key)
		require.NoError(t, err)
		assert.Equal(t, "application/json", c.ctype)
		assert.Empty(t, c.auth, "the token travels in the body only")
		var req map[string]any
		require.NoError(t, json.Unmarshal(c.got, &req))
		assert.Equal(t, map[string]any{"oidcIdentityToken": "the.token.here"}, req["credentials"])
		assert.Len(t, req, 2)
		pemCSR, err := base64.StdEncoding.DecodeString(req["certificateSigningRequest"].(string))
		require.NoError(t, err)
		block, rest := pem.Decode(pemCSR)
		require.NotNil(t, block)
		assert.Equal(t, "CERTIFICATE REQUEST", block.Type)
		assert.Empty(t, rest)
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		require.NoError(t, err)
		require.NoError(t, csr.CheckSignature())
		assert.True(t, key.Public().(*ecdsa.PublicKey).Equal(csr.PublicKey))
	})

	tests := []struct {
		name   string
		answer string
		want   string
	}{
		{"no certificate", `{}`, "answered no certificate"},
		{"both kinds", `{"signedCertificateEmbeddedSct":` + chainJSON(pemOf(leaf)) + `,"signedCertificateDetachedSct":` + chainJSON(pemOf(leaf)) + `}`,
			"both an embedded-SCT and a detached-SCT certificate"},
		{"empty chain", `{"signedCertificateEmbeddedSct":` + chainJSON() + `}`, "an empty certificate chain"},
		{"not PEM", `{"signedCertificateEmbeddedSct":` + chainJSON("MIIB") + `}`, "certificate 0 is not one PEM CERTIFICATE block"},
		{"two certificates in one string", `{"signedCertificateEmbeddedSct":` + chainJSON(pemOf(leaf)+pemOf(ca.Root())) + `}`,
			"certificate 0 is not one PEM CERTIFICATE block"},
		{"chain does not hang together", `{"signedCertificateEmbeddedSct":` + chainJSON(pemOf(leaf), pemOf(other.Intermediate()), pemOf(other.Root())) + `}`,
			"a chain that does not hang together: certificate 0"},
		{"too long", `{"signedCertificateEmbeddedSct":` + chainJSON(strings.Split(strings.Repeat(pemOf(leaf)+"|", 11), "|")[:11]...) + `}`,
			"a certificate chain of 11 certificates (at most 10)"},
		{"trailing data", good + `{}`, "malformed JSON: data after the JSON value"},
		{"wrong types", `{"signedCertificateEmbeddedSct":{"chain":{"certificates":"x"}}}`, "malformed JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&canned{answer: tc.answer})
			defer srv.Close()
			_, err := (&fulcio.Client{BaseURL: srv.URL, Retry: instant}).RequestCertificate(context.Background(), "t.o.k", key)
			require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "Fulcio at "+srv.URL+": POST /api/v2/signingCert answered "), err.Error())
		})
	}

	t.Run("arguments", func(t *testing.T) {
		c := &fulcio.Client{BaseURL: "https://fulcio.example"}
		_, err := c.RequestCertificate(context.Background(), "", key)
		assert.ErrorContains(t, err, "no identity token")
		_, err = c.RequestCertificate(context.Background(), "t", nil)
		assert.ErrorContains(t, err, "no signer")
		_, err = (&fulcio.Client{BaseURL: "fulcio.example"}).RequestCertificate(context.Background(), "t", key)
		assert.ErrorContains(t, err, `URL "fulcio.example" is not an http(s) URL`)
		var se *httpretry.ServiceError
		assert.False(t, errors.As(err, &se))
	})
}

func TestTrustBundle(t *testing.T) {
	f := newFulcioFixture(t, sigstoretest.FulcioOptions{}, nil)
	tb, err := f.client.TrustBundle(context.Background())
	require.NoError(t, err)
	require.Len(t, tb.Chains, 1)
	require.Len(t, tb.Chains[0], 2)
	assert.Equal(t, f.ca.Intermediate().Raw, tb.Chains[0][0].Raw)
	assert.Equal(t, f.ca.Root().Raw, tb.Chains[0][1].Raw)

	for name, answer := range map[string]string{
		"no chains":   `{"chains":[]}`,
		"bad PEM":     `{"chains":[{"certificates":["nope"]}]}`,
		"not JSON":    `<html>`,
		"empty chain": `{"chains":[{"certificates":[]}]}`,
		// Tampered twins of the good answer: root first, intermediate without its root.
		"not a chain": `{"chains":[{"certificates":[` + pemJSON(f.ca.Root()) + `,` + pemJSON(f.ca.Intermediate()) + `]}]}`,
		"no root":     `{"chains":[{"certificates":[` + pemJSON(f.ca.Intermediate()) + `]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(&canned{answer: answer})
			defer srv.Close()
			_, err := (&fulcio.Client{BaseURL: srv.URL, Retry: instant}).TrustBundle(context.Background())
			require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
			assert.Contains(t, err.Error(), "Fulcio at "+srv.URL+": GET /api/v2/trustBundle answered ")
		})
	}
}

func pemJSON(c *x509.Certificate) string {
	b, _ := json.Marshal(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
	return string(b)
}

func TestConfiguration(t *testing.T) {
	f := newFulcioFixture(t, sigstoretest.FulcioOptions{}, nil)
	_, err := f.client.RequestCertificate(context.Background(), f.token(nil), ecKey(t, elliptic.P256()))
	require.NoError(t, err)
	cfg, err := f.client.Configuration(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []fulcio.Issuer{{IssuerURL: "https://oauth2.sigstoretest.invalid/auth", Audience: "sigstore",
		ChallengeClaim: "email", IssuerType: "email"}}, cfg.Issuers)

	// Fulcio's gateway writes every field, unset ones too.
	srv := httptest.NewServer(&canned{answer: `{"issuers":[
		{"issuerUrl":"http://127.0.0.1:8090","wildcardIssuerUrl":"","audience":"sigstore","challengeClaim":"email","spiffeTrustDomain":"","issuerType":"email","subjectDomain":"","skipEmailVerification":false},
		{"wildcardIssuerUrl":"https://oidc.eks.*.amazonaws.com/id/*","audience":"sigstore","challengeClaim":"sub","issuerType":"kubernetes","futureField":1}]}`})
	defer srv.Close()
	cfg, err = (&fulcio.Client{BaseURL: srv.URL}).Configuration(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []fulcio.Issuer{
		{IssuerURL: "http://127.0.0.1:8090", Audience: "sigstore", ChallengeClaim: "email", IssuerType: "email"},
		{WildcardIssuerURL: "https://oidc.eks.*.amazonaws.com/id/*", Audience: "sigstore", ChallengeClaim: "sub", IssuerType: "kubernetes"},
	}, cfg.Issuers)

	bad := httptest.NewServer(&canned{answer: `{"issuers":{}}`})
	defer bad.Close()
	_, err = (&fulcio.Client{BaseURL: bad.URL}).Configuration(context.Background())
	require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
	assert.Contains(t, err.Error(), "GET /api/v2/configuration answered malformed JSON")
}
