package tsa_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/tsa"
)

// instant is a retry policy that never waits.
var instant = httpretry.Policy{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}

const timestampPath = "/api/v1/timestamp"

func newTSAServer(t *testing.T, h http.Handler) (*httptest.Server, *tsa.Client) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, &tsa.Client{URL: srv.URL + timestampPath, HTTP: srv.Client(), Retry: instant}
}

var signatureBytes = []byte("a signature over an artifact")

func TestClientTimestamp(t *testing.T) {
	f := sigstoretest.NewTSA(t)
	_, c := newTSAServer(t, f)
	der, err := c.Timestamp(context.Background(), signatureBytes)
	require.NoError(t, err)
	ts, err := tsa.Parse(der)
	require.NoError(t, err)
	a, err := ts.Verify(signatureBytes, authorities(t, f.Authority()))
	require.NoError(t, err)
	assert.Equal(t, f.Root().Raw, a.Root().Raw)
	assert.NotNil(t, ts.Nonce)
	assert.NotEmpty(t, ts.Certificates, "certReq was set")

	// The timestamp vouches for this signature only.
	_, err = ts.Verify([]byte("another signature"), authorities(t, f.Authority()))
	require.ErrorIs(t, err, tsa.ErrInvalid)
}

// timeStampReq is RFC 3161's TimeStampReq, for tests that look at or rewrite requests.
type timeStampReq struct {
	Version        int
	MessageImprint struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		HashedMessage []byte
	}
	ReqPolicy asn1.ObjectIdentifier `asn1:"optional"`
	Nonce     *big.Int              `asn1:"optional"`
	CertReq   bool                  `asn1:"optional"`
}

// rewrite changes each request before the fake TSA sees it.
func rewrite(t *testing.T, next http.Handler, edit func(*timeStampReq)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req timeStampReq
		if _, err := asn1.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		edit(&req)
		der, err := asn1.Marshal(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(der))
		r.ContentLength = int64(len(der))
		next.ServeHTTP(w, r)
	})
}

func TestClientTimestampRequest(t *testing.T) {
	f := sigstoretest.NewTSA(t)
	var got timeStampReq
	var ctype string
	_, c := newTSAServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := asn1.Unmarshal(body, &got)
		require.NoError(t, err)
		ctype = r.Header.Get("Content-Type")
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.ServeHTTP(w, r)
	}))
	_, err := c.Timestamp(context.Background(), signatureBytes)
	require.NoError(t, err)
	sum := sha256.Sum256(signatureBytes)
	assert.Equal(t, "application/timestamp-query", ctype)
	assert.Equal(t, 1, got.Version)
	assert.Equal(t, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, got.MessageImprint.HashAlgorithm.Algorithm)
	assert.Equal(t, sum[:], got.MessageImprint.HashedMessage)
	assert.True(t, got.CertReq)
	require.NotNil(t, got.Nonce)
	assert.Positive(t, got.Nonce.Sign())
}

// TestClientTimestampTampered: answers that do not answer the request are refused.
func TestClientTimestampTampered(t *testing.T) {
	tests := []struct {
		name string
		edit func(*timeStampReq)
		want string
	}{
		{"nonce mismatch", func(r *timeStampReq) { r.Nonce = new(big.Int).Add(r.Nonce, big.NewInt(1)) },
			"a timestamp that does not answer the request: timestamp response nonce"},
		{"no nonce", func(r *timeStampReq) { r.Nonce = nil },
			"a timestamp that does not answer the request: timestamp response carries no nonce"},
		{"imprint of other bytes", func(r *timeStampReq) { r.MessageImprint.HashedMessage[0] ^= 1 },
			"a timestamp that does not answer the request: message imprint does not match the signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sigstoretest.NewTSA(t)
			srv, c := newTSAServer(t, rewrite(t, f, tc.edit))
			_, err := c.Timestamp(context.Background(), signatureBytes)
			require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
			require.ErrorIs(t, err, tsa.ErrInvalid)
			assert.Contains(t, err.Error(), "timestamp authority at "+srv.URL+": POST /api/v1/timestamp answered "+tc.want)
		})
	}
}

func TestClientTimestampAnswers(t *testing.T) {
	t.Run("rejection", func(t *testing.T) {
		f := sigstoretest.NewTSA(t)
		f.SetResponse(sigstoretest.TSAResponse{Status: 2, FailInfo: []int{0}, StatusString: "unsupported algorithm"})
		_, c := newTSAServer(t, f)
		_, err := c.Timestamp(context.Background(), signatureBytes)
		require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
		assert.Contains(t, err.Error(), "answered an unusable timestamp response: ")
		assert.Contains(t, err.Error(), "unsupported algorithm")
	})
	t.Run("not DER", func(t *testing.T) {
		_, c := newTSAServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("<html>hello</html>"))
		}))
		_, err := c.Timestamp(context.Background(), signatureBytes)
		require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
		assert.Contains(t, err.Error(), "answered an unusable timestamp response: parsing timestamp: ")
	})
	t.Run("too large", func(t *testing.T) {
		_, c := newTSAServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(make([]byte, tsa.MaxResponseSize+1))
		}))
		_, err := c.Timestamp(context.Background(), signatureBytes)
		require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
		assert.Contains(t, err.Error(), "answered more than 1048576 bytes")
	})
	t.Run("arguments", func(t *testing.T) {
		_, err := (&tsa.Client{URL: "timestamp.example"}).Timestamp(context.Background(), signatureBytes)
		assert.ErrorContains(t, err, `URL "timestamp.example" is not an http(s) URL`)
		_, err = (&tsa.Client{URL: "https://timestamp.example"}).Timestamp(context.Background(), nil)
		assert.ErrorContains(t, err, "no signature to timestamp")
	})
}

func TestClientTimestampFaults(t *testing.T) {
	t.Run("500 twice, then success", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Next: sigstoretest.NewTSA(t), Fault: sigstoretest.FaultStatus, Times: 2}
		_, c := newTSAServer(t, fault)
		_, err := c.Timestamp(context.Background(), signatureBytes)
		require.NoError(t, err)
		assert.Equal(t, 3, fault.Requests())
	})
	t.Run("429 with Retry-After date, then success", func(t *testing.T) {
		now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		fault := &sigstoretest.FaultHandler{Next: sigstoretest.NewTSA(t), Fault: sigstoretest.FaultRateLimit, Times: 1,
			RetryAfter: now.Add(4 * time.Second).Format(http.TimeFormat)}
		_, c := newTSAServer(t, fault)
		var waits []time.Duration
		c.Retry.Now = func() time.Time { return now }
		c.Retry.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		_, err := c.Timestamp(context.Background(), signatureBytes)
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{4 * time.Second}, waits)
	})
	t.Run("503 every time", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Next: sigstoretest.NewTSA(t), Fault: sigstoretest.FaultStatus, Status: 503}
		srv, c := newTSAServer(t, fault)
		_, err := c.Timestamp(context.Background(), signatureBytes)
		require.ErrorIs(t, err, httpretry.ErrServer)
		assert.Equal(t, "timestamp authority at "+srv.URL+": POST /api/v1/timestamp answered 503 Service Unavailable after 4 attempts: injected fault: Service Unavailable", err.Error())
	})
	t.Run("400 is not retried", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultStatus, Status: 400}
		_, c := newTSAServer(t, fault)
		_, err := c.Timestamp(context.Background(), signatureBytes)
		require.ErrorIs(t, err, httpretry.ErrRejected)
		assert.Equal(t, 1, fault.Requests())
	})
	t.Run("down", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultDown}
		_, c := newTSAServer(t, fault)
		_, err := c.Timestamp(context.Background(), signatureBytes)
		require.ErrorIs(t, err, httpretry.ErrUnreachable)
		assert.Equal(t, 4, fault.Requests())
	})
	t.Run("slow", func(t *testing.T) {
		fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultSlow}
		_, c := newTSAServer(t, fault)
		c.Retry.AttemptTimeout = 10 * time.Millisecond
		c.Retry.MaxAttempts = 2
		_, err := c.Timestamp(context.Background(), signatureBytes)
		require.ErrorIs(t, err, httpretry.ErrUnreachable)
		assert.Contains(t, err.Error(), "failed after 2 attempts: no answer within 10ms")
	})
}

func pemOf(certs ...*x509.Certificate) string {
	var b strings.Builder
	for _, c := range certs {
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return b.String()
}

type cannedAnswer struct {
	status int
	body   string
}

func (c cannedAnswer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(c.status)
	_, _ = io.WriteString(w, c.body)
}

func TestClientCertChain(t *testing.T) {
	f := sigstoretest.NewTSA(t, sigstoretest.WithTSAIntermediate())
	_, c := newTSAServer(t, f)
	chain, err := c.CertChain(context.Background())
	require.NoError(t, err)
	require.Len(t, chain, 3)
	for i, want := range f.Chain() {
		assert.Equal(t, want.Raw, chain[i].Raw)
	}

	_, err = (&tsa.Client{URL: "tsa.example/api/v1/timestamp"}).CertChain(context.Background())
	require.ErrorContains(t, err, "not an http(s) URL")

	// Tampered twins of the answer.
	other := sigstoretest.NewTSA(t, sigstoretest.WithTSAIntermediate())
	noEKU := sigstoretest.NewTSA(t, sigstoretest.WithTSAExtKeyUsage(true, x509.ExtKeyUsageCodeSigning))
	for name, cse := range map[string]struct {
		answer cannedAnswer
		class  error
		msg    string
	}{
		"good":                {cannedAnswer{200, pemOf(f.Chain()...)}, nil, ""},
		"root first":          {cannedAnswer{200, pemOf(f.Root(), f.Intermediate(), f.Leaf())}, httpretry.ErrInvalidResponse, "timeStamping"},
		"without the root":    {cannedAnswer{200, pemOf(f.Leaf(), f.Intermediate())}, httpretry.ErrInvalidResponse, "not self-signed"},
		"another TSA's root":  {cannedAnswer{200, pemOf(f.Leaf(), f.Intermediate(), other.Root())}, httpretry.ErrInvalidResponse, "not signed by"},
		"no timestamping EKU": {cannedAnswer{200, pemOf(noEKU.Chain()...)}, httpretry.ErrInvalidResponse, "timeStamping"},
		"HTML":                {cannedAnswer{200, "<html>hi</html>"}, httpretry.ErrInvalidResponse, "not PEM certificates"},
		"empty":               {cannedAnswer{200, "\n"}, httpretry.ErrInvalidResponse, "no certificates"},
		"a key among them":    {cannedAnswer{200, pemOf(f.Leaf()) + "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}, httpretry.ErrInvalidResponse, `"PUBLIC KEY" block`},
		"garbage after them":  {cannedAnswer{200, pemOf(f.Chain()...) + "trailing"}, httpretry.ErrInvalidResponse, "not PEM certificates"},
		"eleven certificates": {cannedAnswer{200, strings.Repeat(pemOf(f.Root()), 11)}, httpretry.ErrInvalidResponse, "more than 10"},
		"too large":           {cannedAnswer{200, strings.Repeat("A", 300<<10)}, httpretry.ErrInvalidResponse, "more than"},
		"not a sigstore TSA":  {cannedAnswer{404, "404 page not found"}, httpretry.ErrRejected, "404"},
		"service unavailable": {cannedAnswer{503, "later"}, httpretry.ErrServer, "later"},
		"certificate mangled": {cannedAnswer{200, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}, httpretry.ErrInvalidResponse, "certificate 0"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(cse.answer)
			defer srv.Close()
			got, err := (&tsa.Client{URL: srv.URL + timestampPath, Retry: instant}).CertChain(context.Background())
			if cse.class == nil {
				require.NoError(t, err)
				require.Len(t, got, 3)
				return
			}
			require.ErrorIs(t, err, cse.class)
			require.ErrorContains(t, err, "timestamp authority at "+srv.URL+": GET /api/v1/timestamp/certchain")
			require.ErrorContains(t, err, cse.msg)
		})
	}
}
