package sigstoretest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func csrPEM(t *testing.T, key *ecdsa.PrivateKey, tamper bool) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	require.NoError(t, err)
	if tamper {
		der[len(der)-1] ^= 0x01
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func signingCertBody(token string, csr []byte) string {
	b, _ := json.Marshal(map[string]any{
		"credentials":               map[string]string{"oidcIdentityToken": token},
		"certificateSigningRequest": csr,
	})
	return string(b)
}

type fulcioAnswer struct {
	Embedded *struct {
		Chain struct{ Certificates []string }
	} `json:"signedCertificateEmbeddedSct"`
	Detached *struct {
		Chain struct{ Certificates []string }
	} `json:"signedCertificateDetachedSct"`
	Code    int
	Message string
}

func callFulcio(t *testing.T, srv *httptest.Server, body string) (int, fulcioAnswer) {
	t.Helper()
	resp, raw, err := postBody(t, srv.Client(), srv.URL+"/api/v2/signingCert", body)
	require.NoError(t, err)
	var a fulcioAnswer
	require.NoError(t, json.Unmarshal([]byte(raw), &a), raw)
	return resp.StatusCode, a
}

func parsePEMs(t *testing.T, pems []string) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for _, p := range pems {
		block, _ := pem.Decode([]byte(p))
		require.NotNil(t, block)
		c, err := x509.ParseCertificate(block.Bytes)
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

func TestFulcioServer(t *testing.T) {
	ca := NewCA(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	t.Run("embedded SCT", func(t *testing.T) {
		f := NewFulcioServer(ca, FulcioOptions{})
		srv := httptest.NewServer(f)
		defer srv.Close()
		status, a := callFulcio(t, srv, signingCertBody(UnsignedToken(ca.Now(), map[string]any{"email": "me@example.com"}), csrPEM(t, key, false)))
		require.Equal(t, 200, status)
		require.NotNil(t, a.Embedded)
		assert.Nil(t, a.Detached)
		chain := parsePEMs(t, a.Embedded.Chain.Certificates)
		require.Len(t, chain, 3)
		assert.True(t, key.PublicKey.Equal(chain[0].PublicKey))
		assert.Equal(t, []string{"me@example.com"}, chain[0].EmailAddresses)
		_, _, ok := findExt(chain[0], oidSCTList)
		assert.True(t, ok, "an embedded SCT")
		assert.Equal(t, ca.Intermediate().Raw, chain[1].Raw)
		assert.Equal(t, ca.Root().Raw, chain[2].Raw)
		require.Len(t, f.Issued(), 1)
		assert.Equal(t, chain[0].Raw, f.Issued()[0].Raw)
	})
	t.Run("detached", func(t *testing.T) {
		srv := httptest.NewServer(NewFulcioServer(ca, FulcioOptions{Detached: true}))
		defer srv.Close()
		status, a := callFulcio(t, srv, signingCertBody(UnsignedToken(ca.Now(), nil), csrPEM(t, key, false)))
		require.Equal(t, 200, status)
		require.NotNil(t, a.Detached)
		chain := parsePEMs(t, a.Detached.Chain.Certificates)
		_, _, ok := findExt(chain[0], oidSCTList)
		assert.False(t, ok)
	})
	t.Run("identities", func(t *testing.T) {
		srv := httptest.NewServer(NewFulcioServer(ca, FulcioOptions{}))
		defer srv.Close()
		_, a := callFulcio(t, srv, signingCertBody(UnsignedToken(ca.Now(), map[string]any{"email": nil, "sub": "https://ci.example/job"}), csrPEM(t, key, false)))
		leaf := parsePEMs(t, a.Embedded.Chain.Certificates)[0]
		assert.Equal(t, "https://ci.example/job", leaf.URIs[0].String())
		_, v, ok := findExt(leaf, FulcioOID(1))
		require.True(t, ok)
		assert.Equal(t, "https://oauth2.sigstoretest.invalid/auth", string(v))

		_, a = callFulcio(t, srv, signingCertBody(UnsignedToken(ca.Now(), map[string]any{"email": nil, "sub": "octocat", "iss": "https://other.example"}), csrPEM(t, key, false)))
		leaf = parsePEMs(t, a.Embedded.Chain.Certificates)[0]
		assert.Empty(t, leaf.EmailAddresses)
		assert.Empty(t, leaf.URIs)
		_, v, _ = findExt(leaf, FulcioOID(1))
		assert.Equal(t, "https://other.example", string(v))
	})
	t.Run("wrong key", func(t *testing.T) {
		srv := httptest.NewServer(NewFulcioServer(ca, FulcioOptions{WrongKey: true}))
		defer srv.Close()
		_, a := callFulcio(t, srv, signingCertBody(UnsignedToken(ca.Now(), nil), csrPEM(t, key, false)))
		leaf := parsePEMs(t, a.Embedded.Chain.Certificates)[0]
		assert.False(t, key.PublicKey.Equal(leaf.PublicKey))
	})

	srv := httptest.NewServer(NewFulcioServer(ca, FulcioOptions{}))
	defer srv.Close()
	good := UnsignedToken(ca.Now(), nil)
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"bad CSR signature": {signingCertBody(good, csrPEM(t, key, true)), "The signature supplied in the request could not be verified"},
		"CSR not PEM":       {signingCertBody(good, []byte("MIIB")), "The certificate signing request could not be parsed"},
		"expired token":     {signingCertBody(UnsignedToken(ca.Now().Add(-2*time.Hour), nil), csrPEM(t, key, false)), "There was an error processing the identity token"},
		"no expiry":         {signingCertBody(UnsignedToken(ca.Now(), map[string]any{"exp": nil}), csrPEM(t, key, false)), "There was an error processing the identity token"},
		"audiences":         {signingCertBody(UnsignedToken(ca.Now(), map[string]any{"aud": []string{"a", "b"}}), csrPEM(t, key, false)), "There was an error processing the identity token"},
		"not a JWT":         {signingCertBody("abc", csrPEM(t, key, false)), "There was an error processing the identity token"},
		"unknown field":     {`{"credentials":{},"publicKeyRequest":{}}`, "malformed request"},
		"not JSON":          {`nope`, "malformed request"},
	} {
		t.Run(name, func(t *testing.T) {
			status, a := callFulcio(t, srv, tc.body)
			assert.Equal(t, 400, status)
			assert.Equal(t, 3, a.Code)
			assert.Contains(t, a.Message, tc.want)
		})
	}
	t.Run("audience among several", func(t *testing.T) {
		status, _ := callFulcio(t, srv, signingCertBody(UnsignedToken(ca.Now(), map[string]any{"aud": []string{"a", "sigstore"}}), csrPEM(t, key, false)))
		assert.Equal(t, 200, status)
	})
	t.Run("content type", func(t *testing.T) {
		resp, err := srv.Client().Post(srv.URL+"/api/v2/signingCert", "text/plain", strings.NewReader(signingCertBody(good, csrPEM(t, key, false))))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 400, resp.StatusCode)
	})
	t.Run("trust bundle", func(t *testing.T) {
		resp, err := srv.Client().Get(srv.URL + "/api/v2/trustBundle")
		require.NoError(t, err)
		defer resp.Body.Close()
		var tb struct {
			Chains []struct{ Certificates []string }
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&tb))
		require.Len(t, tb.Chains, 1)
		chain := parsePEMs(t, tb.Chains[0].Certificates)
		assert.Equal(t, ca.Intermediate().Raw, chain[0].Raw)
		assert.Equal(t, ca.Root().Raw, chain[1].Raw)
	})
	t.Run("configuration", func(t *testing.T) {
		resp, err := srv.Client().Get(srv.URL + "/api/v2/configuration")
		require.NoError(t, err)
		defer resp.Body.Close()
		var cfg struct{ Issuers []map[string]any }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&cfg))
		require.Len(t, cfg.Issuers, 1, "the issuers of the tokens seen")
		assert.Equal(t, map[string]any{"issuerUrl": "https://oauth2.sigstoretest.invalid/auth", "audience": "sigstore",
			"challengeClaim": "email", "issuerType": "email"}, cfg.Issuers[0])
	})
	t.Run("not found", func(t *testing.T) {
		resp, err := srv.Client().Get(srv.URL + "/api/v2/signingCert")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 404, resp.StatusCode)
	})
}

func TestUnsignedToken(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tok := UnsignedToken(now, map[string]any{"email": nil, "sub": "x", "extra": 1})
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, json.Unmarshal(payload, &c))
	assert.NotContains(t, c, "email")
	assert.Equal(t, "x", c["sub"])
	assert.EqualValues(t, 1, c["extra"])
	assert.EqualValues(t, now.Add(time.Hour).Unix(), c["exp"])
	assert.Equal(t, "sigstore", c["aud"])
}
