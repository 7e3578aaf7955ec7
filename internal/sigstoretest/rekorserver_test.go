package sigstoretest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
)

type rekorSigner struct {
	key  *ecdsa.PrivateKey
	cert []byte
}

func newRekorSigner(t *testing.T) rekorSigner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return rekorSigner{key: key, cert: NewCA(t).IssueLeaf(key.Public(), LeafOptions{}).Raw}
}

func (s rekorSigner) sign(t *testing.T, msg []byte) (digest, sig []byte) {
	t.Helper()
	sum := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, sum[:])
	require.NoError(t, err)
	return sum[:], sig
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func (s rekorSigner) hashedRekordV001(t *testing.T, digest, sig []byte) string {
	return `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"` +
		hex.EncodeToString(digest) + `"}},"signature":{"content":"` + b64(sig) + `","publicKey":{"content":"` +
		b64(PEMCertificate(s.cert)) + `"}}}}`
}

func (s rekorSigner) dsseV001(t *testing.T, payload string) (string, string) {
	_, sig := s.sign(t, PAE("text/plain", []byte(payload)))
	env, _ := json.Marshal(map[string]any{"payloadType": "text/plain", "payload": b64([]byte(payload)),
		"signatures": []any{map[string]string{"keyid": "", "sig": b64(sig)}}})
	req, _ := json.Marshal(map[string]any{"apiVersion": "0.0.1", "kind": "dsse", "spec": map[string]any{
		"proposedContent": map[string]any{"envelope": string(env), "verifiers": []string{b64(PEMCertificate(s.cert))}}}})
	return string(req), string(env)
}

func (s rekorSigner) hashedRekordV002(digest, sig []byte, details string) string {
	return `{"hashedRekordRequestV002":{"digest":"` + b64(digest) + `","signature":{"content":"` + b64(sig) +
		`","verifier":{"x509Certificate":{"rawBytes":"` + b64(s.cert) + `"},"keyDetails":"` + details + `"}}}}`
}

// v1Answer decodes a Rekor v1 answer into its one entry.
func v1Answer(t *testing.T, l *Log, raw string) (string, *pbrekor.TransparencyLogEntry) {
	t.Helper()
	var m map[string]struct {
		Body           string
		IntegratedTime int64
		LogID          string
		LogIndex       int64
		Verification   struct {
			InclusionProof *struct {
				Checkpoint string
				Hashes     []string
				LogIndex   int64
				RootHash   string
				TreeSize   int64
			}
			SignedEntryTimestamp []byte
		}
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &m), raw)
	require.Len(t, m, 1)
	for id, a := range m {
		body, err := base64.StdEncoding.DecodeString(a.Body)
		require.NoError(t, err)
		logID, _ := hex.DecodeString(a.LogID)
		e := &pbrekor.TransparencyLogEntry{LogIndex: a.LogIndex, LogId: &pbcommon.LogId{KeyId: logID},
			IntegratedTime: a.IntegratedTime, CanonicalizedBody: body}
		if a.Verification.SignedEntryTimestamp != nil {
			e.InclusionPromise = &pbrekor.InclusionPromise{SignedEntryTimestamp: a.Verification.SignedEntryTimestamp}
		}
		if p := a.Verification.InclusionProof; p != nil {
			root, _ := hex.DecodeString(p.RootHash)
			proof := &pbrekor.InclusionProof{LogIndex: p.LogIndex, RootHash: root, TreeSize: p.TreeSize,
				Checkpoint: &pbrekor.Checkpoint{Envelope: p.Checkpoint}}
			for _, h := range p.Hashes {
				b, _ := hex.DecodeString(h)
				proof.Hashes = append(proof.Hashes, b)
			}
			e.InclusionProof = proof
		}
		return id, e
	}
	return "", nil
}

func TestRekorServerV1(t *testing.T) {
	s := newRekorSigner(t)
	l := NewLog(t, RekorV1)
	f := NewRekorServer(l, RekorOptions{})
	srv := httptest.NewServer(f)
	defer srv.Close()

	digest, sig := s.sign(t, []byte("artifact"))
	req := s.hashedRekordV001(t, digest, sig)
	resp, raw, err := postBody(t, srv.Client(), srv.URL+"/api/v1/log/entries", req)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, resp.StatusCode, raw)
	id, e := v1Answer(t, l, raw)
	leaf := sha256.Sum256(append([]byte{0}, e.GetCanonicalizedBody()...))
	assert.Len(t, id, 80)
	assert.True(t, strings.HasSuffix(id, hex.EncodeToString(leaf[:])))
	assert.Equal(t, "/api/v1/log/entries/"+id, resp.Header.Get("Location"))
	assert.Equal(t, id, resp.Header.Get("ETag"))
	assert.Equal(t, string(HashedRekordV001Body(t, EntryContent{Certificate: s.cert, Hash: crypto.SHA256, Digest: digest, Signature: sig})),
		string(e.GetCanonicalizedBody()))
	require.NoError(t, checkEntry(t, l, e))
	assert.NotNil(t, e.GetInclusionPromise())
	assert.Equal(t, 1, f.Entries())

	// The same entry again: 409, and the entry where Location says.
	resp, raw, err = postBody(t, srv.Client(), srv.URL+"/api/v1/log/entries", req)
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, raw, "An equivalent entry already exists in the transparency log with UUID "+id)
	assert.Equal(t, "/api/v1/log/entries/"+id, resp.Header.Get("Location"))
	for _, path := range []string{id, id[16:]} {
		got, err := srv.Client().Get(srv.URL + "/api/v1/log/entries/" + path)
		require.NoError(t, err)
		buf, err := io.ReadAll(got.Body)
		got.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, got.StatusCode)
		_, again := v1Answer(t, l, string(buf))
		assert.Equal(t, e.GetLogIndex(), again.GetLogIndex())
		require.NoError(t, checkEntry(t, l, again))
	}
	assert.Equal(t, 1, f.Entries())

	// DSSE.
	dreq, env := s.dsseV001(t, "hello")
	resp, raw, err = postBody(t, srv.Client(), srv.URL+"/api/v1/log/entries", dreq)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, resp.StatusCode, raw)
	_, e = v1Answer(t, l, raw)
	require.NoError(t, checkEntry(t, l, e))
	var body struct {
		Kind, APIVersion string
		Spec             struct {
			EnvelopeHash, PayloadHash struct{ Algorithm, Value string }
			Signatures                []struct{ Signature, Verifier string }
		}
	}
	require.NoError(t, json.Unmarshal(e.GetCanonicalizedBody(), &body))
	assert.Equal(t, "dsse", body.Kind)
	assert.Equal(t, hexSHA256([]byte(env)), body.Spec.EnvelopeHash.Value, "the hash of the envelope as submitted")
	assert.Equal(t, hexSHA256([]byte("hello")), body.Spec.PayloadHash.Value)
	require.Len(t, body.Spec.Signatures, 1)
	assert.Equal(t, b64(PEMCertificate(s.cert)), body.Spec.Signatures[0].Verifier)

	for name, tc := range map[string]struct {
		body   string
		status int
	}{
		"signature over another digest": {s.hashedRekordV001(t, make([]byte, 32), sig), 400},
		"unknown kind":                  {`{"apiVersion":"0.0.2","kind":"intoto","spec":{}}`, 400},
		"unknown field":                 {`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{},"extra":1}`, 400},
		"dsse signature by another key": {strings.Replace(dreq, b64(PEMCertificate(s.cert)), b64(PEMCertificate(newRekorSigner(t).cert)), 1), 400},
	} {
		resp, raw, err := postBody(t, srv.Client(), srv.URL+"/api/v1/log/entries", tc.body)
		require.NoError(t, err)
		assert.Equal(t, tc.status, resp.StatusCode, "%s: %s", name, raw)
	}
	for path, status := range map[string]int{"/api/v1/log/entries/zz": 400, "/api/v1/log/entries/" + strings.Repeat("ab", 32): 404} {
		got, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		got.Body.Close()
		assert.Equal(t, status, got.StatusCode, path)
	}
	got, err := srv.Client().Post(srv.URL+"/api/v2/log/entries", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	got.Body.Close()
	assert.Equal(t, 404, got.StatusCode, "a Rekor v1 log has no v2 API")
}

func TestRekorServerV1Options(t *testing.T) {
	s := newRekorSigner(t)
	digest, sig := s.sign(t, []byte("artifact"))
	for name, opts := range map[string]RekorOptions{
		"other signature": {OtherSignature: true}, "no proof": {OmitProof: true}, "no SET": {OmitSET: true}, "no location": {OmitLocation: true},
	} {
		t.Run(name, func(t *testing.T) {
			l := NewLog(t, RekorV1)
			srv := httptest.NewServer(NewRekorServer(l, opts))
			defer srv.Close()
			_, raw, err := postBody(t, srv.Client(), srv.URL+"/api/v1/log/entries", s.hashedRekordV001(t, digest, sig))
			require.NoError(t, err)
			_, e := v1Answer(t, l, raw)
			other := string(HashedRekordV001Body(t, EntryContent{Certificate: s.cert, Hash: crypto.SHA256, Digest: digest, Signature: flipLast(sig)}))
			assert.Equal(t, opts.OtherSignature, string(e.GetCanonicalizedBody()) == other)
			assert.Equal(t, opts.OmitProof, e.GetInclusionProof() == nil)
			assert.Equal(t, opts.OmitSET, len(e.GetInclusionPromise().GetSignedEntryTimestamp()) == 0)
			resp, _, err := postBody(t, srv.Client(), srv.URL+"/api/v1/log/entries", s.hashedRekordV001(t, digest, sig))
			require.NoError(t, err)
			assert.Equal(t, http.StatusConflict, resp.StatusCode)
			assert.Equal(t, opts.OmitLocation, resp.Header.Get("Location") == "")
		})
	}
}

func TestRekorServerV2(t *testing.T) {
	s := newRekorSigner(t)
	l := NewLog(t, RekorV2)
	f := NewRekorServer(l, RekorOptions{})
	srv := httptest.NewServer(f)
	defer srv.Close()

	digest, sig := s.sign(t, []byte("artifact"))
	req := s.hashedRekordV002(digest, sig, "PKIX_ECDSA_P256_SHA_256")
	resp, raw, err := postBody(t, srv.Client(), srv.URL+"/api/v2/log/entries", req)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, resp.StatusCode, raw)
	var e pbrekor.TransparencyLogEntry
	require.NoError(t, protojson.Unmarshal([]byte(raw), &e))
	assert.Contains(t, raw, `"integratedTime":"0"`, "every field is written, as rekor-tiles does")
	assert.Equal(t, "hashedrekord", e.GetKindVersion().GetKind())
	assert.Equal(t, "0.0.2", e.GetKindVersion().GetVersion())
	assert.Equal(t, string(HashedRekordV002Body(t, EntryContent{Certificate: s.cert, Hash: crypto.SHA256, Digest: digest, Signature: sig})),
		string(e.GetCanonicalizedBody()))
	require.NoError(t, checkEntry(t, l, &e))
	assert.Nil(t, e.GetInclusionPromise())

	resp, raw, err = postBody(t, srv.Client(), srv.URL+"/api/v2/log/entries", req)
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Equal(t, itoa(e.GetLogIndex()), resp.Header.Get("X-Log-Index"))
	assert.Contains(t, raw, `"code":6`)

	// Ed25519ph.
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sum := sha512Sum([]byte("artifact"))
	edSig, err := priv.Sign(rand.Reader, sum, &ed25519.Options{Hash: crypto.SHA512})
	require.NoError(t, err)
	edReq := `{"hashedRekordRequestV002":{"digest":"` + b64(sum) + `","signature":{"content":"` + b64(edSig) +
		`","verifier":{"publicKey":{"rawBytes":"` + b64(mustDER(t, pub)) + `"},"keyDetails":"PKIX_ED25519_PH"}}}}`
	resp, raw, err = postBody(t, srv.Client(), srv.URL+"/api/v2/log/entries", edReq)
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode, raw)

	for name, body := range map[string]string{
		"signature over another digest": s.hashedRekordV002(make([]byte, 32), sig, "PKIX_ECDSA_P256_SHA_256"),
		"key details unlike the key":    s.hashedRekordV002(digest, sig, "PKIX_ECDSA_P384_SHA_384"),
		"pure Ed25519":                  strings.Replace(edReq, "PKIX_ED25519_PH", "PKIX_ED25519", 1),
		"short digest":                  s.hashedRekordV002(digest[:16], sig, "PKIX_ECDSA_P256_SHA_256"),
		"no verifier":                   `{"hashedRekordRequestV002":{"digest":"` + b64(digest) + `","signature":{"content":"` + b64(sig) + `","verifier":{"keyDetails":"PKIX_ECDSA_P256_SHA_256"}}}}`,
		"dsse request":                  `{"dsseRequestV002":{}}`,
		"empty":                         `{}`,
	} {
		resp, raw, err := postBody(t, srv.Client(), srv.URL+"/api/v2/log/entries", body)
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", name, raw)
	}
	assert.Equal(t, 2, f.Entries())

	t.Run("options", func(t *testing.T) {
		l := NewLog(t, RekorV2)
		srv := httptest.NewServer(NewRekorServer(l, RekorOptions{OtherSignature: true, OmitProof: true}))
		defer srv.Close()
		_, raw, err := postBody(t, srv.Client(), srv.URL+"/api/v2/log/entries", req)
		require.NoError(t, err)
		var e pbrekor.TransparencyLogEntry
		require.NoError(t, protojson.Unmarshal([]byte(raw), &e))
		assert.Nil(t, e.GetInclusionProof())
		assert.Equal(t, string(HashedRekordV002Body(t, EntryContent{Certificate: s.cert, Hash: crypto.SHA256, Digest: digest, Signature: flipLast(sig)})),
			string(e.GetCanonicalizedBody()))
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func sha512Sum(b []byte) []byte {
	sum := sha512.Sum512(b)
	return sum[:]
}
