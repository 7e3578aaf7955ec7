package sigstoretest_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/tsa"
)

var tsaTime = time.Date(2025, 6, 12, 12, 2, 20, 0, time.UTC)

func TestTSACertificates(t *testing.T) {
	f := sigstoretest.NewTSA(t, sigstoretest.WithTSAClock(tsaTime), sigstoretest.WithTSAIntermediate())
	chain := f.Chain()
	require.Len(t, chain, 3)
	assert.Equal(t, f.Leaf(), chain[0])
	assert.Equal(t, f.Intermediate(), chain[1])
	assert.Equal(t, f.Root(), chain[2])

	leaf := f.Leaf()
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, leaf.ExtKeyUsage)
	critical := false
	for _, e := range leaf.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 37}) {
			critical = e.Critical
		}
	}
	assert.True(t, critical, "RFC 3161 wants the EKU critical")
	assert.IsType(t, &ecdsa.PublicKey{}, leaf.PublicKey)
	assert.Equal(t, elliptic.P384(), leaf.PublicKey.(*ecdsa.PublicKey).Curve)
	assert.NotEmpty(t, leaf.SubjectKeyId)
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: pool(f.Root()), Intermediates: pool(f.Intermediate()), CurrentTime: tsaTime,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	})
	require.NoError(t, err)

	// The trusted-root entry: leaf first, window from the certificates' start, open.
	tr, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{MediaType: trust.TrustedRootMediaType01,
		TimestampAuthorities: []*pbtrust.CertificateAuthority{f.Authority()}})
	require.NoError(t, err)
	a := tr.TimestampAuthorities[0]
	require.Len(t, a.Chain, 3)
	assert.Equal(t, leaf.Raw, a.Chain[0].Raw)
	assert.Equal(t, f.Root().Raw, a.Root().Raw)
	assert.True(t, a.ValidFor.Start.Equal(tsaTime.Add(-time.Hour)))
	assert.True(t, a.ValidFor.End.IsZero())

	// Options change the certificates.
	start, end := tsaTime.Add(-time.Minute), tsaTime.Add(time.Minute)
	g := sigstoretest.NewTSA(t, sigstoretest.WithTSAValidity(start, end), sigstoretest.WithTSAValidFor(start, end),
		sigstoretest.WithTSAExtKeyUsage(false, x509.ExtKeyUsageTimeStamping))
	assert.True(t, g.Leaf().NotAfter.Equal(end))
	assert.True(t, g.Root().NotAfter.Equal(end))
	assert.Nil(t, g.Intermediate())
	for _, e := range g.Leaf().Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 37}) {
			assert.False(t, e.Critical)
		}
	}
	assert.True(t, g.Authority().GetValidFor().GetEnd().AsTime().Equal(end))
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// TestTSAOpenSSL checks the fake's responses with OpenSSL, an implementation that shares no
// code with either the fake or pkg/tsa. Skipped where openssl is not installed.
func TestTSAOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	signature := []byte("signature bytes")
	data := write("data", signature)
	for _, tc := range []struct {
		name string
		opts []sigstoretest.TSAOption
		resp sigstoretest.TSAResponse
		cms  bool
		ok   bool
		// failure is what OpenSSL must report when !ok.
		failure string
	}{
		{name: "default", ok: true},
		{name: "intermediate, chain embedded", opts: []sigstoretest.TSAOption{sigstoretest.WithTSAIntermediate()},
			resp: sigstoretest.TSAResponse{EmbedChain: true}, ok: true},
		{name: "ESS v1", resp: sigstoretest.TSAResponse{ESSv1: true}, ok: true},
		// "openssl ts" reads tokens with the PKCS #7 parser, which knows only issuer and serial;
		// "openssl cms" checks a token whose signer is named by subject key identifier.
		{name: "subject key identifier", resp: sigstoretest.TSAResponse{SignerKeyID: true}, cms: true, ok: true},
		{name: "subject key identifier, wrong key", resp: sigstoretest.TSAResponse{SignerKeyID: true, WrongKey: true}, cms: true,
			failure: "CMS_SignerInfo_verify:verification failure"},
		{name: "fraction and accuracy", resp: sigstoretest.TSAResponse{Time: tsaTime.Add(250 * time.Millisecond), Accuracy: 1500 * time.Microsecond}, ok: true},
		{name: "wrong key", resp: sigstoretest.TSAResponse{WrongKey: true}, failure: "PKCS7_signatureVerify:signature failure"},
		{name: "wrong message digest", resp: sigstoretest.TSAResponse{WrongMessageDigest: true}, failure: "PKCS7_signatureVerify:digest failure"},
		{name: "wrong ESS", resp: sigstoretest.TSAResponse{WrongESS: true}, failure: "ess cert id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := sigstoretest.NewTSA(t, append([]sigstoretest.TSAOption{sigstoretest.WithTSAClock(tsaTime)}, tc.opts...)...)
			resp := write("resp.tsr", f.TimestampWith(signature, tc.resp))
			ca := write("ca.pem", pemOf(f.Root()))
			args := []string{"ts", "-verify", "-in", resp, "-data", data, "-CAfile", ca, "-attime", fmt.Sprint(tsaTime.Unix())}
			if tc.cms {
				var r struct{ Status, Token asn1.RawValue }
				_, err := asn1.Unmarshal(f.TimestampWith(signature, tc.resp), &r)
				require.NoError(t, err)
				token := write("token.der", r.Token.FullBytes)
				args = []string{"cms", "-verify", "-inform", "DER", "-in", token, "-CAfile", ca, "-purpose", "timestampsign",
					"-attime", fmt.Sprint(tsaTime.Unix()), "-out", os.DevNull}
			}
			if !tc.resp.EmbedChain && f.Intermediate() != nil {
				args = append(args, "-untrusted", write("inter.pem", pemOf(f.Intermediate())))
			}
			out, err := exec.Command(openssl, args...).CombinedOutput()
			if tc.ok {
				require.NoError(t, err, "%s", out)
				assert.Regexp(t, "Verification (: )?successful|Verification: OK", string(out))
			} else {
				require.Error(t, err, "%s", out)
				assert.Contains(t, string(out), tc.failure)
			}
		})
	}
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func TestTSAResponses(t *testing.T) {
	f := sigstoretest.NewTSA(t, sigstoretest.WithTSAClock(tsaTime))
	tsas := authoritiesOf(t, f)
	sig := []byte("sig")

	// Timestamp follows SetResponse.
	ts, err := tsa.Parse(f.Timestamp(sig))
	require.NoError(t, err)
	assert.True(t, ts.Time.Equal(tsaTime))
	assert.Len(t, ts.Certificates, 1)
	_, err = ts.Verify(sig, tsas)
	require.NoError(t, err)

	f.SetResponse(sigstoretest.TSAResponse{OmitCertificates: true, Time: tsaTime.Add(time.Minute)})
	ts, err = tsa.Parse(f.Timestamp(sig))
	require.NoError(t, err)
	assert.Empty(t, ts.Certificates)
	assert.True(t, ts.Time.Equal(tsaTime.Add(time.Minute)))
	_, err = ts.Verify(sig, tsas)
	require.NoError(t, err)

	f.SetResponse(sigstoretest.TSAResponse{Status: 2, FailInfo: []int{15}})
	_, err = tsa.Parse(f.Timestamp(sig))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unacceptedPolicy")
}

func authoritiesOf(t *testing.T, fs ...*sigstoretest.TSA) []*trust.Authority {
	t.Helper()
	var cas []*pbtrust.CertificateAuthority
	for _, f := range fs {
		cas = append(cas, f.Authority())
	}
	tr, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{MediaType: trust.TrustedRootMediaType01, TimestampAuthorities: cas})
	require.NoError(t, err)
	return tr.TimestampAuthorities
}

func TestTSAHTTP(t *testing.T) {
	f := sigstoretest.NewTSA(t, sigstoretest.WithTSAIntermediate())
	srv := httptest.NewServer(f)
	defer srv.Close()
	do := func(method, path, contentType string, body []byte) (int, string, []byte) {
		req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		require.NoError(t, err)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}

	// The certificate chain, PEM, leaf first.
	code, _, body := do(http.MethodGet, "/api/v1/timestamp/certchain", "", nil)
	require.Equal(t, http.StatusOK, code)
	var got [][]byte
	for rest := body; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		got = append(got, b.Bytes)
	}
	require.Len(t, got, 3)
	assert.Equal(t, f.Leaf().Raw, got[0])
	assert.Equal(t, f.Root().Raw, got[2])

	// A timestamp for a request built by hand (no certReq, a nonce, SHA-256).
	sig := []byte("signature")
	sum := sha256.Sum256(sig)
	nonce := big.NewInt(123456789)
	type algorithm struct{ OID asn1.ObjectIdentifier }
	type imprint struct {
		Alg  algorithm
		Hash []byte
	}
	type request struct {
		Version int
		Imprint imprint
		Nonce   *big.Int
	}
	sha256OID := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	req, err := asn1.Marshal(request{Version: 1, Imprint: imprint{Alg: algorithm{sha256OID}, Hash: sum[:]}, Nonce: nonce})
	require.NoError(t, err)
	code, ct, body := do(http.MethodPost, "/api/v1/timestamp", "application/timestamp-query", req)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "application/timestamp-reply", ct)
	ts, err := tsa.Parse(body)
	require.NoError(t, err)
	require.NoError(t, ts.CheckResponse(sig, crypto.SHA256, nonce))
	assert.Empty(t, ts.Certificates, "no certReq, no certificates")
	_, err = ts.Verify(sig, authoritiesOf(t, f))
	require.NoError(t, err)

	// An unsupported hash is a rejection with badAlg.
	md5Req := bytes.Replace(req, []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01},
		[]byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x07}, 1)
	require.NotEqual(t, req, md5Req)
	code, _, body = do(http.MethodPost, "/api/v1/timestamp", "application/timestamp-query", md5Req)
	require.Equal(t, http.StatusOK, code)
	_, err = tsa.Parse(body)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rejection(2), failInfo badAlg")

	// Wrong content type, wrong method, unknown path.
	code, _, _ = do(http.MethodPost, "/api/v1/timestamp", "application/json", req)
	assert.Equal(t, http.StatusUnsupportedMediaType, code)
	code, _, _ = do(http.MethodGet, "/api/v1/timestamp", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, code)
	code, _, body = do(http.MethodGet, "/api/v1/other", "", nil)
	assert.Equal(t, http.StatusNotFound, code, strings.TrimSpace(string(body)))
}
