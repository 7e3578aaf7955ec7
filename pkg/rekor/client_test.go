package rekor_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/rekor"
	"github.com/signet-dev/signet/pkg/trust"
)

// instant is a retry policy that never waits.
var instant = httpretry.Policy{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}

type rekorFixture struct {
	log    *sigstoretest.Log
	server *sigstoretest.RekorServer
	fault  *sigstoretest.FaultHandler
	http   *httptest.Server
	client *rekor.Client
}

func newRekorFixture(t *testing.T, version int, opts sigstoretest.RekorOptions, fault *sigstoretest.FaultHandler) *rekorFixture {
	t.Helper()
	f := &rekorFixture{log: sigstoretest.NewLog(t, sigstoretest.LogVersion(version))}
	f.server = sigstoretest.NewRekorServer(f.log, opts)
	var h http.Handler = f.server
	if fault != nil {
		fault.Next = f.server
		f.fault, h = fault, fault
	}
	f.http = httptest.NewServer(h)
	t.Cleanup(f.http.Close)
	f.client = &rekor.Client{BaseURL: f.http.URL, Version: version, HTTP: f.http.Client(), Retry: instant}
	return f
}

func (f *rekorFixture) trustLog(t *testing.T) *trust.Log {
	t.Helper()
	tr, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{
		MediaType: trust.TrustedRootMediaType01,
		Tlogs:     []*pbtrust.TransparencyLogInstance{f.log.TransparencyLog()},
	})
	require.NoError(t, err)
	return tr.Tlogs[0]
}

// signer is a key with a Fulcio-shaped certificate.
type signer struct {
	key  crypto.Signer
	cert []byte
}

var (
	caOnce sync.Once
	ca     *sigstoretest.CA
)

func newSigner(t *testing.T, key crypto.Signer) signer {
	t.Helper()
	caOnce.Do(func() { ca = sigstoretest.NewCA(t) })
	return signer{key: key, cert: ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{}).Raw}
}

func p256(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// messageEntry signs artifact with s and proposes it with s's certificate (or key, withKey).
func messageEntry(t *testing.T, s signer, h crypto.Hash, artifact string, withKey bool) rekor.ProposedEntry {
	t.Helper()
	hh := h.New()
	hh.Write([]byte(artifact))
	digest := hh.Sum(nil)
	var opts crypto.SignerOpts = h
	if _, ok := s.key.Public().(ed25519.PublicKey); ok {
		opts = &ed25519.Options{Hash: crypto.SHA512}
	}
	sig, err := s.key.Sign(rand.Reader, digest, opts)
	require.NoError(t, err)
	e := rekor.ProposedEntry{Signature: sig, Hash: h, Digest: digest}
	if withKey {
		e.PublicKey = s.key.Public()
	} else {
		e.Certificate = s.cert
	}
	return e
}

const payloadType = "application/vnd.in-toto+json"

func dsseEntry(t *testing.T, s signer, payload string) rekor.ProposedEntry {
	t.Helper()
	sig, err := dsse.Sign(s.key, crypto.SHA256, payloadType, []byte(payload))
	require.NoError(t, err)
	return rekor.ProposedEntry{Certificate: s.cert, Envelope: &rekor.Envelope{
		PayloadType: payloadType, Payload: []byte(payload),
		Signatures: []rekor.EnvelopeSignature{{Sig: sig}},
	}}
}

func expected(e rekor.ProposedEntry) rekor.Expected {
	return rekor.Expected{Certificate: e.Certificate, PublicKey: e.PublicKey, Signature: e.Signature,
		Hash: e.Hash, Digest: e.Digest, Envelope: e.Envelope}
}

// verifyUploaded checks an uploaded entry as a verifier would.
func verifyUploaded(t *testing.T, f *rekorFixture, e *pbrekor.TransparencyLogEntry, p rekor.ProposedEntry) {
	t.Helper()
	log := f.trustLog(t)
	require.NoError(t, rekor.VerifyBody(e, expected(p)))
	require.NoError(t, rekor.VerifyInclusion(e, log))
	if f.client.Version == 1 {
		require.NoError(t, rekor.VerifySET(e, log))
	}
}

func TestUpload(t *testing.T) {
	s := newSigner(t, p256(t))
	tests := []struct {
		name    string
		version int
		entry   func(t *testing.T) rekor.ProposedEntry
		kind    string
	}{
		{"v1 hashedrekord, certificate", 1, func(t *testing.T) rekor.ProposedEntry { return messageEntry(t, s, crypto.SHA256, "a", false) }, "hashedrekord 0.0.1"},
		{"v1 hashedrekord, public key", 1, func(t *testing.T) rekor.ProposedEntry { return messageEntry(t, s, crypto.SHA256, "a", true) }, "hashedrekord 0.0.1"},
		{"v1 hashedrekord, SHA-512 digest", 1, func(t *testing.T) rekor.ProposedEntry { return messageEntry(t, s, crypto.SHA512, "a", false) }, "hashedrekord 0.0.1"},
		{"v1 dsse", 1, func(t *testing.T) rekor.ProposedEntry { return dsseEntry(t, s, `{"_type":"x"}`) }, "dsse 0.0.1"},
		{"v2 hashedrekord, certificate", 2, func(t *testing.T) rekor.ProposedEntry { return messageEntry(t, s, crypto.SHA256, "a", false) }, "hashedrekord 0.0.2"},
		{"v2 hashedrekord, public key", 2, func(t *testing.T) rekor.ProposedEntry { return messageEntry(t, s, crypto.SHA256, "a", true) }, "hashedrekord 0.0.2"},
		{"v2 hashedrekord, P-384", 2, func(t *testing.T) rekor.ProposedEntry {
			k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			require.NoError(t, err)
			return messageEntry(t, newSigner(t, k), crypto.SHA384, "a", false)
		}, "hashedrekord 0.0.2"},
		{"v2 hashedrekord, Ed25519ph", 2, func(t *testing.T) rekor.ProposedEntry {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			require.NoError(t, err)
			return messageEntry(t, newSigner(t, k), crypto.SHA512, "a", true)
		}, "hashedrekord 0.0.2"},
		{"v2 DSSE as hashedrekord over the PAE", 2, func(t *testing.T) rekor.ProposedEntry { return dsseEntry(t, s, `{"_type":"x"}`) }, "hashedrekord 0.0.2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRekorFixture(t, tc.version, sigstoretest.RekorOptions{}, nil)
			p := tc.entry(t)
			e, err := f.client.Upload(context.Background(), p)
			require.NoError(t, err)
			assert.Equal(t, tc.kind, e.GetKindVersion().GetKind()+" "+e.GetKindVersion().GetVersion())
			assert.Equal(t, f.log.ID(), e.GetLogId().GetKeyId())
			assert.Equal(t, f.log.Size()-1, e.GetLogIndex())
			verifyUploaded(t, f, e, p)
			if tc.version == 2 {
				assert.Zero(t, e.GetIntegratedTime())
				assert.Nil(t, e.GetInclusionPromise())
			}
		})
	}
}

// TestUploadTampered: a log that answers something other than what was proposed, or without
// the proofs its version promises, is refused.
func TestUploadTampered(t *testing.T) {
	s := newSigner(t, p256(t))
	tests := []struct {
		name    string
		version int
		opts    sigstoretest.RekorOptions
		dsse    bool
		want    string
	}{
		{"v1 body for another signature", 1, sigstoretest.RekorOptions{OtherSignature: true}, false,
			"an entry that does not record what was proposed: its signature differs"},
		{"v1 dsse body for another signature", 1, sigstoretest.RekorOptions{OtherSignature: true}, true,
			"an entry that does not record what was proposed: its signature differs"},
		{"v2 body for another signature", 2, sigstoretest.RekorOptions{OtherSignature: true}, false,
			"an entry that does not record what was proposed: its signature differs"},
		{"v2 DSSE body for another signature", 2, sigstoretest.RekorOptions{OtherSignature: true}, true,
			"an entry that does not record what was proposed: its signature differs"},
		{"v1 without inclusion proof", 1, sigstoretest.RekorOptions{OmitProof: true}, false, "an entry without an inclusion proof"},
		{"v1 without SET", 1, sigstoretest.RekorOptions{OmitSET: true}, false, "an entry without a signed entry timestamp"},
		{"v2 without inclusion proof", 2, sigstoretest.RekorOptions{OmitProof: true}, false, "an entry without an inclusion proof"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRekorFixture(t, tc.version, tc.opts, nil)
			p := messageEntry(t, s, crypto.SHA256, "a", false)
			if tc.dsse {
				p = dsseEntry(t, s, "{}")
			}
			_, err := f.client.Upload(context.Background(), p)
			require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "Rekor at "+f.http.URL+": "), err.Error())
		})
	}
}

func TestUploadExisting(t *testing.T) {
	s := newSigner(t, p256(t))
	t.Run("v1 returns the existing entry", func(t *testing.T) {
		f := newRekorFixture(t, 1, sigstoretest.RekorOptions{}, nil)
		for _, p := range []rekor.ProposedEntry{messageEntry(t, s, crypto.SHA256, "a", false), dsseEntry(t, s, "{}")} {
			first, err := f.client.Upload(context.Background(), p)
			require.NoError(t, err)
			again, err := f.client.Upload(context.Background(), p)
			require.NoError(t, err, "409 Conflict is success")
			assert.Equal(t, first.GetLogIndex(), again.GetLogIndex())
			assert.Equal(t, first.GetCanonicalizedBody(), again.GetCanonicalizedBody())
			verifyUploaded(t, f, again, p)
		}
		assert.Equal(t, 2, f.server.Entries())
	})
	t.Run("v1 without Location", func(t *testing.T) {
		f := newRekorFixture(t, 1, sigstoretest.RekorOptions{OmitLocation: true}, nil)
		p := messageEntry(t, s, crypto.SHA256, "a", false)
		_, err := f.client.Upload(context.Background(), p)
		require.NoError(t, err)
		_, err = f.client.Upload(context.Background(), p)
		require.ErrorIs(t, err, httpretry.ErrRejected)
		assert.Contains(t, err.Error(), "answered 409 Conflict after 1 attempt: An equivalent entry already exists")
		assert.Contains(t, err.Error(), "gives no usable Location")
	})
	t.Run("v2 says where the entry is", func(t *testing.T) {
		f := newRekorFixture(t, 2, sigstoretest.RekorOptions{}, nil)
		p := messageEntry(t, s, crypto.SHA256, "a", false)
		first, err := f.client.Upload(context.Background(), p)
		require.NoError(t, err)
		_, err = f.client.Upload(context.Background(), p)
		require.ErrorIs(t, err, httpretry.ErrRejected)
		var se *httpretry.ServiceError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, http.StatusConflict, se.StatusCode)
		assert.Contains(t, err.Error(), "an equivalent entry already exists at index "+itoa(first.GetLogIndex()))
		assert.Contains(t, err.Error(), "Rekor v2 does not hand out an existing entry")
		assert.Equal(t, itoa(first.GetLogIndex()), se.Header.Get("X-Log-Index"))
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestUploadFaults(t *testing.T) {
	s := newSigner(t, p256(t))
	for _, version := range []int{1, 2} {
		p := messageEntry(t, s, crypto.SHA256, "a", false)
		t.Run("v"+itoa(int64(version)), func(t *testing.T) {
			t.Run("500 twice, then success", func(t *testing.T) {
				fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultStatus, Times: 2}
				f := newRekorFixture(t, version, sigstoretest.RekorOptions{}, fault)
				e, err := f.client.Upload(context.Background(), p)
				require.NoError(t, err)
				verifyUploaded(t, f, e, p)
				assert.Equal(t, 3, fault.Requests())
			})
			t.Run("429 with Retry-After, then success", func(t *testing.T) {
				fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultRateLimit, Times: 1, RetryAfter: "2"}
				f := newRekorFixture(t, version, sigstoretest.RekorOptions{}, fault)
				var waits []time.Duration
				f.client.Retry.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
				_, err := f.client.Upload(context.Background(), p)
				require.NoError(t, err)
				assert.Equal(t, []time.Duration{2 * time.Second}, waits)
			})
			t.Run("500 every time", func(t *testing.T) {
				fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultStatus, Status: 503}
				f := newRekorFixture(t, version, sigstoretest.RekorOptions{}, fault)
				_, err := f.client.Upload(context.Background(), p)
				require.ErrorIs(t, err, httpretry.ErrServer)
				path := "/api/v1/log/entries"
				if version == 2 {
					path = "/api/v2/log/entries"
				}
				assert.Equal(t, "Rekor at "+f.http.URL+": POST "+path+" answered 503 Service Unavailable after 4 attempts: injected fault: Service Unavailable", err.Error())
				assert.Zero(t, f.server.Entries())
			})
			t.Run("malformed JSON", func(t *testing.T) {
				fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultMalformedJSON}
				f := newRekorFixture(t, version, sigstoretest.RekorOptions{}, fault)
				_, err := f.client.Upload(context.Background(), p)
				require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
				assert.Contains(t, err.Error(), "Rekor at "+f.http.URL+": POST /api/v")
				assert.Contains(t, err.Error(), "answered malformed JSON: ")
				assert.Equal(t, 1, fault.Requests(), "a malformed answer is not retried")
			})
			t.Run("down", func(t *testing.T) {
				fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultDown}
				f := newRekorFixture(t, version, sigstoretest.RekorOptions{}, fault)
				_, err := f.client.Upload(context.Background(), p)
				require.ErrorIs(t, err, httpretry.ErrUnreachable)
				assert.Contains(t, err.Error(), "failed after 4 attempts")
			})
			t.Run("slow", func(t *testing.T) {
				fault := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultSlow}
				f := newRekorFixture(t, version, sigstoretest.RekorOptions{}, fault)
				f.client.Retry.AttemptTimeout = 10 * time.Millisecond
				f.client.Retry.MaxAttempts = 2
				_, err := f.client.Upload(context.Background(), p)
				require.ErrorIs(t, err, httpretry.ErrUnreachable)
				assert.Contains(t, err.Error(), "failed after 2 attempts: no answer within 10ms")
			})
		})
	}
}

func TestUploadRefusedSignature(t *testing.T) {
	s := newSigner(t, p256(t))
	for _, version := range []int{1, 2} {
		f := newRekorFixture(t, version, sigstoretest.RekorOptions{}, nil)
		p := messageEntry(t, s, crypto.SHA256, "a", false)
		p.Digest = make([]byte, 32) // the signature is over another digest
		_, err := f.client.Upload(context.Background(), p)
		require.ErrorIs(t, err, httpretry.ErrRejected, "v%d", version)
		assert.Contains(t, err.Error(), "answered 400 Bad Request after 1 attempt")
	}
}

func TestUploadInvalidProposal(t *testing.T) {
	s := newSigner(t, p256(t))
	msg := messageEntry(t, s, crypto.SHA256, "a", false)
	env := dsseEntry(t, s, "{}")
	tests := []struct {
		name    string
		version int
		edit    func(*rekor.ProposedEntry)
		want    string
	}{
		{"certificate and key", 1, func(e *rekor.ProposedEntry) { e.PublicKey = s.key.Public() }, "exactly one of a certificate and a public key"},
		{"neither certificate nor key", 1, func(e *rekor.ProposedEntry) { e.Certificate = nil }, "exactly one of a certificate and a public key"},
		{"no signature", 1, func(e *rekor.ProposedEntry) { e.Signature = nil }, "no signature"},
		{"short digest", 1, func(e *rekor.ProposedEntry) { e.Digest = e.Digest[:20] }, "the artifact digest is 20 bytes of SHA-256"},
		{"envelope and signature", 1, func(e *rekor.ProposedEntry) { e.Envelope = env.Envelope }, "either a DSSE envelope or a message signature"},
		{"unsupported version", 3, func(*rekor.ProposedEntry) {}, "unsupported log API version 3"},
		{"v2 digest hash unlike the key's", 2, func(e *rekor.ProposedEntry) {
			sum := sha512.Sum384([]byte("a"))
			e.Hash, e.Digest = crypto.SHA384, sum[:]
		}, "no Rekor v2 signing algorithm for ECDSA P-256 key with SHA-384"},
		{"v2 digest hash unlike the key details'", 2, func(e *rekor.ProposedEntry) {
			sum := sha512.Sum384([]byte("a"))
			e.Hash, e.Digest = crypto.SHA384, sum[:]
			e.KeyDetails = pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
		}, "Rekor v2 records a PKIX_ECDSA_P256_SHA_256 signature over a SHA-256 digest, not over a SHA-384 digest"},
		{"v2 key details unlike the key", 2, func(e *rekor.ProposedEntry) {
			e.KeyDetails = pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384
		}, "key details PKIX_ECDSA_P384_SHA_384 do not suit the signer's ECDSA P-256 key"},
		{"v2 pure Ed25519", 2, func(e *rekor.ProposedEntry) {
			e.KeyDetails = pbcommon.PublicKeyDetails_PKIX_ED25519
		}, "key details PKIX_ED25519"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := msg
			tc.edit(&e)
			c := &rekor.Client{BaseURL: "http://127.0.0.1:1", Version: tc.version, Retry: instant}
			_, err := c.Upload(context.Background(), e)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var se *httpretry.ServiceError
			assert.False(t, errors.As(err, &se), "refused before anything is sent")
		})
	}
	t.Run("envelope with two signatures", func(t *testing.T) {
		e := env
		e.Envelope = &rekor.Envelope{PayloadType: payloadType, Payload: []byte("{}"),
			Signatures: []rekor.EnvelopeSignature{{Sig: []byte{1}}, {Sig: []byte{2}}}}
		_, err := (&rekor.Client{BaseURL: "http://127.0.0.1:1", Version: 1}).Upload(context.Background(), e)
		assert.ErrorContains(t, err, "a DSSE envelope with 2 signatures")
	})
	t.Run("bad URL", func(t *testing.T) {
		_, err := (&rekor.Client{BaseURL: "rekor.example", Version: 1}).Upload(context.Background(), msg)
		assert.ErrorContains(t, err, `URL "rekor.example" is not an http(s) URL`)
	})
}

// capture answers with a canned response and records the request.
type capture struct {
	status int
	answer string
	header map[string]string
	got    []byte
	method string
	path   string
	ctype  string
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.got, _ = io.ReadAll(r.Body)
	c.method, c.path, c.ctype = r.Method, r.URL.Path, r.Header.Get("Content-Type")
	for k, v := range c.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(c.status)
	_, _ = io.WriteString(w, c.answer)
}

// TestUploadWireShapes pins the requests to the shapes of the Rekor v1 OpenAPI schemas and of
// rekor-tiles' CreateEntryRequest.
func TestUploadWireShapes(t *testing.T) {
	s := newSigner(t, p256(t))
	msg := messageEntry(t, s, crypto.SHA256, "artifact", false)
	env := dsseEntry(t, s, `{"a":1}`)
	pemCert := string(sigstoretest.PEMCertificate(s.cert))
	b64 := base64.StdEncoding.EncodeToString

	send := func(version int, p rekor.ProposedEntry) *capture {
		c := &capture{status: 500, answer: "{}"}
		srv := httptest.NewServer(c)
		defer srv.Close()
		p2 := instant
		p2.MaxAttempts = 1
		_, _ = (&rekor.Client{BaseURL: srv.URL + "/", Version: version, Retry: p2}).Upload(context.Background(), p)
		assert.Equal(t, "application/json", c.ctype)
		assert.Equal(t, http.MethodPost, c.method)
		return c
	}

	c := send(1, msg)
	assert.Equal(t, "/api/v1/log/entries", c.path)
	assert.JSONEq(t, `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{
		"data":{"hash":{"algorithm":"sha256","value":"`+hex.EncodeToString(msg.Digest)+`"}},
		"signature":{"content":"`+b64(msg.Signature)+`","publicKey":{"content":"`+b64([]byte(pemCert))+`"}}}}`, string(c.got))

	c = send(1, env)
	var d struct {
		APIVersion, Kind string
		Spec             struct {
			ProposedContent struct {
				Envelope  string
				Verifiers []string
			}
		}
	}
	require.NoError(t, json.Unmarshal(c.got, &d))
	assert.Equal(t, "0.0.1 dsse", d.APIVersion+" "+d.Kind)
	assert.Equal(t, []string{b64([]byte(pemCert))}, d.Spec.ProposedContent.Verifiers)
	assert.JSONEq(t, `{"payloadType":"`+payloadType+`","payload":"`+b64([]byte(`{"a":1}`))+`",
		"signatures":[{"keyid":"","sig":"`+b64(env.Envelope.Signatures[0].Sig)+`"}]}`, d.Spec.ProposedContent.Envelope)

	c = send(2, msg)
	assert.Equal(t, "/api/v2/log/entries", c.path)
	assert.JSONEq(t, `{"hashedRekordRequestV002":{"digest":"`+b64(msg.Digest)+`","signature":{"content":"`+b64(msg.Signature)+`",
		"verifier":{"x509Certificate":{"rawBytes":"`+b64(s.cert)+`"},"keyDetails":"PKIX_ECDSA_P256_SHA_256"}}}}`, string(c.got))

	withKey := messageEntry(t, s, crypto.SHA256, "artifact", true)
	c = send(2, withKey)
	der := mustPKIX(t, s.key.Public())
	assert.JSONEq(t, `{"hashedRekordRequestV002":{"digest":"`+b64(withKey.Digest)+`","signature":{"content":"`+b64(withKey.Signature)+`",
		"verifier":{"publicKey":{"rawBytes":"`+b64(der)+`"},"keyDetails":"PKIX_ECDSA_P256_SHA_256"}}}}`, string(c.got))

	c = send(2, env)
	pae := sha256.Sum256(dsse.PAE(payloadType, []byte(`{"a":1}`)))
	assert.JSONEq(t, `{"hashedRekordRequestV002":{"digest":"`+b64(pae[:])+`","signature":{"content":"`+b64(env.Envelope.Signatures[0].Sig)+`",
		"verifier":{"x509Certificate":{"rawBytes":"`+b64(s.cert)+`"},"keyDetails":"PKIX_ECDSA_P256_SHA_256"}}}}`, string(c.got))
}

// TestUploadV1Answers feeds the client hand-made Rekor v1 answers.
func TestUploadV1Answers(t *testing.T) {
	s := newSigner(t, p256(t))
	p := messageEntry(t, s, crypto.SHA256, "a", false)
	// A real answer to take apart.
	fake := sigstoretest.NewRekorServer(sigstoretest.NewLog(t, sigstoretest.RekorV1), sigstoretest.RekorOptions{})
	good := &capture{}
	recording := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, r)
		good.answer = rec.Body.String()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	defer recording.Close()
	_, err := (&rekor.Client{BaseURL: recording.URL, Version: 1}).Upload(context.Background(), p)
	require.NoError(t, err)
	var answer map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(good.answer), &answer))
	require.Len(t, answer, 1)
	var id string
	for k := range answer {
		id = k
	}

	edit := func(f func(id string, e map[string]any) (string, map[string]any)) string {
		e := map[string]any{}
		b, _ := json.Marshal(answer[id])
		_ = json.Unmarshal(b, &e)
		newID, e := f(id, e)
		out, _ := json.Marshal(map[string]any{newID: e})
		return string(out)
	}
	tests := []struct {
		name   string
		answer string
		want   string
	}{
		{"entry id of another body", edit(func(id string, e map[string]any) (string, map[string]any) {
			return id[:16] + strings.Repeat("0", 64), e
		}), "does not name the entry's body"},
		{"two entries", `{"a":{},"b":{}}`, "2 entries where one was expected"},
		{"body not base64", edit(func(id string, e map[string]any) (string, map[string]any) { e["body"] = "%%%"; return id, e }), "body is not base64"},
		{"log id not hex", edit(func(id string, e map[string]any) (string, map[string]any) { e["logID"] = "xyz"; return id, e }), `log id "xyz" is not hex`},
		{"no log index", edit(func(id string, e map[string]any) (string, map[string]any) { delete(e, "logIndex"); return id, e }), "without a log index"},
		{"no integrated time", edit(func(id string, e map[string]any) (string, map[string]any) { delete(e, "integratedTime"); return id, e }), "without an integrated time"},
		{"proof hash not hex", edit(func(id string, e map[string]any) (string, map[string]any) {
			e["verification"].(map[string]any)["inclusionProof"].(map[string]any)["hashes"] = []string{"zz"}
			return id, e
		}), "hash 0 is not hex"},
		{"short root hash", edit(func(id string, e map[string]any) (string, map[string]any) {
			e["verification"].(map[string]any)["inclusionProof"].(map[string]any)["rootHash"] = "abcd"
			return id, e
		}), "root hash is 2 bytes"},
		{"index outside the tree", edit(func(id string, e map[string]any) (string, map[string]any) {
			e["verification"].(map[string]any)["inclusionProof"].(map[string]any)["logIndex"] = 1e6
			return id, e
		}), "an inclusion proof for index 1000000"},
		{"no checkpoint", edit(func(id string, e map[string]any) (string, map[string]any) {
			e["verification"].(map[string]any)["inclusionProof"].(map[string]any)["checkpoint"] = ""
			return id, e
		}), "an inclusion proof without a checkpoint"},
		{"trailing data", good.answer + "{}", "malformed JSON: data after the JSON value"},
		{"not JSON", "<html>", "malformed JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &capture{status: http.StatusCreated, answer: tc.answer}
			srv := httptest.NewServer(c)
			defer srv.Close()
			_, err := (&rekor.Client{BaseURL: srv.URL, Version: 1, Retry: instant}).Upload(context.Background(), p)
			require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "Rekor at "+srv.URL+": POST /api/v1/log/entries answered ")
		})
	}

	t.Run("Location is only a source of the entry id", func(t *testing.T) {
		var paths []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.Method+" "+r.URL.Path)
			if r.Method == http.MethodPost {
				w.Header().Set("Location", "https://evil.example/elsewhere/"+id)
				w.WriteHeader(http.StatusConflict)
				return
			}
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, good.answer)
		}))
		defer srv.Close()
		e, err := (&rekor.Client{BaseURL: srv.URL, Version: 1, Retry: instant}).Upload(context.Background(), p)
		require.NoError(t, err)
		assert.Equal(t, []string{"POST /api/v1/log/entries", "GET /api/v1/log/entries/" + id}, paths)
		assert.NotNil(t, e.GetInclusionPromise())
	})
}

// TestUploadV2Answers feeds the client hand-made Rekor v2 answers.
func TestUploadV2Answers(t *testing.T) {
	s := newSigner(t, p256(t))
	p := messageEntry(t, s, crypto.SHA256, "a", false)
	tests := []struct {
		name   string
		answer string
		want   string
	}{
		{"not JSON", "nope", "answered malformed JSON"},
		{"wrong kind", `{"logIndex":"1","logId":{"keyId":"AQ=="},"kindVersion":{"kind":"dsse","version":"0.0.2"},"canonicalizedBody":"e30="}`,
			"a dsse 0.0.2 entry, but hashedrekord 0.0.2 was proposed"},
		{"wrong body", `{"logIndex":"1","logId":{"keyId":"AQ=="},"kindVersion":{"kind":"hashedrekord","version":"0.0.2"},"canonicalizedBody":"e30="}`,
			"an entry that does not record what was proposed"},
		{"unknown fields are fine, missing ones are not", `{"futureField":1,"kindVersion":{"kind":"hashedrekord","version":"0.0.2"}}`,
			"an entry that does not record what was proposed: malformed log entry body: empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &capture{status: http.StatusCreated, answer: tc.answer}
			srv := httptest.NewServer(c)
			defer srv.Close()
			_, err := (&rekor.Client{BaseURL: srv.URL, Version: 2, Retry: instant}).Upload(context.Background(), p)
			require.ErrorIs(t, err, httpretry.ErrInvalidResponse)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func mustPKIX(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return der
}

// cannedAnswer answers every request with one status and body.
type cannedAnswer struct {
	status int
	body   string
}

func (c cannedAnswer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(c.status)
	_, _ = io.WriteString(w, c.body)
}

func TestClientPublicKey(t *testing.T) {
	f := newRekorFixture(t, 1, sigstoretest.RekorOptions{}, nil)
	key, err := f.client.PublicKey(context.Background())
	require.NoError(t, err)
	require.True(t, f.log.PublicKey().(interface{ Equal(crypto.PublicKey) bool }).Equal(key))
	// The key gives the log id the log stamps on its entries.
	id, err := trust.LogID(key)
	require.NoError(t, err)
	require.Equal(t, f.log.ID(), id)

	// Rekor v2 serves no key.
	_, err = (&rekor.Client{BaseURL: f.http.URL, Version: 2}).PublicKey(context.Background())
	require.ErrorContains(t, err, "only Rekor v1 serves its public key")
	_, err = (&rekor.Client{BaseURL: "rekor.example", Version: 1}).PublicKey(context.Background())
	require.ErrorContains(t, err, "not an http(s) URL")

	// Tampered twins of the answer: each one is an unusable response, or a service failure.
	der, err := x509.MarshalPKIXPublicKey(f.log.PublicKey())
	require.NoError(t, err)
	good := "-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----\n"
	for name, c := range map[string]struct {
		answer cannedAnswer
		class  error
		msg    string
	}{
		"good":              {cannedAnswer{200, good}, nil, ""},
		"HTML":              {cannedAnswer{200, "<html>hello</html>"}, httpretry.ErrInvalidResponse, "not a PEM public key"},
		"a certificate":     {cannedAnswer{200, strings.ReplaceAll(good, "PUBLIC KEY", "CERTIFICATE")}, httpretry.ErrInvalidResponse, `a PEM "CERTIFICATE" block`},
		"two keys":          {cannedAnswer{200, good + good}, httpretry.ErrInvalidResponse, "more than one"},
		"truncated key":     {cannedAnswer{200, "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ==\n-----END PUBLIC KEY-----\n"}, httpretry.ErrInvalidResponse, "does not parse"},
		"too large":         {cannedAnswer{200, strings.Repeat("A", 70<<10)}, httpretry.ErrInvalidResponse, "more than"},
		"not found":         {cannedAnswer{404, `{"code":404,"message":"no such thing"}`}, httpretry.ErrRejected, "no such thing"},
		"server error once": {cannedAnswer{500, "boom"}, httpretry.ErrServer, "boom"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(c.answer)
			defer srv.Close()
			got, err := (&rekor.Client{BaseURL: srv.URL, Version: 1, Retry: instant}).PublicKey(context.Background())
			if c.class == nil {
				require.NoError(t, err)
				require.NotNil(t, got)
				return
			}
			require.ErrorIs(t, err, c.class)
			require.ErrorContains(t, err, "Rekor at "+srv.URL+": GET /api/v1/log/publicKey")
			require.ErrorContains(t, err, c.msg)
		})
	}
}
