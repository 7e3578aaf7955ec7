package sigstoretest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// RekorOptions shape the answers of a RekorServer. The zero value answers as the real log does.
type RekorOptions struct {
	// OtherSignature records (and answers) a body for another signature than the one
	// submitted: a log that lies about what it logged.
	OtherSignature bool
	// OmitProof drops the inclusion proof from answers; OmitSET (Rekor v1) the signed entry
	// timestamp.
	OmitProof bool
	OmitSET   bool
	// OmitLocation leaves the Location header out of a Rekor v1 409 Conflict.
	OmitLocation bool
}

// RekorServer is a fake Rekor HTTP API over a fake Log, in the log's version:
//
// Rekor v1 (NewLog(t, RekorV1)):
//
//	POST /api/v1/log/entries        a proposed hashedrekord 0.0.1 or dsse 0.0.1 entry;
//	                                201 {"<entry id>": {body, integratedTime, logID, logIndex,
//	                                verification{inclusionProof, signedEntryTimestamp}}},
//	                                or 409 with Location when an equal entry exists
//	GET  /api/v1/log/entries/<id>   200, the same shape, with a fresh inclusion proof
//	GET  /api/v1/log/publicKey      200, the log's public key as one PEM "PUBLIC KEY" block
//
// Rekor v2 (NewLog(t, RekorV2)), as rekor-tiles:
//
//	POST /api/v2/log/entries        {"hashedRekordRequestV002": {digest, signature{content,
//	                                verifier{publicKey|x509Certificate, keyDetails}}}};
//	                                201 and a TransparencyLogEntry in proto JSON, or 409 with
//	                                x-log-index when an equal entry exists
//
// Like the real logs it verifies each submitted signature before it logs anything, and builds
// the canonical body itself. It is safe for concurrent use.
type RekorServer struct {
	log  *Log
	opts RekorOptions

	mu      sync.Mutex
	entries map[[32]byte]*pbrekor.TransparencyLogEntry // by leaf hash
}

// NewRekorServer serves l.
func NewRekorServer(l *Log, opts RekorOptions) *RekorServer {
	return &RekorServer{log: l, opts: opts, entries: map[[32]byte]*pbrekor.TransparencyLogEntry{}}
}

// Entries is the number of entries logged through the server.
func (s *RekorServer) Entries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

func (s *RekorServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const v1Entries = "/api/v1/log/entries"
	switch {
	case s.log.version == RekorV1 && r.URL.Path == v1Entries && r.Method == http.MethodPost:
		s.createV1(w, r)
	case s.log.version == RekorV1 && strings.HasPrefix(r.URL.Path, v1Entries+"/") && r.Method == http.MethodGet:
		s.getV1(w, strings.TrimPrefix(r.URL.Path, v1Entries+"/"))
	case s.log.version == RekorV1 && r.URL.Path == "/api/v1/log/publicKey" && r.Method == http.MethodGet:
		der, err := x509.MarshalPKIXPublicKey(s.log.PublicKey())
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	case s.log.version == RekorV2 && r.URL.Path == "/api/v2/log/entries" && r.Method == http.MethodPost:
		s.createV2(w, r)
	default:
		writeJSONError(w, http.StatusNotFound, "not found")
	}
}

// entryID is the Rekor v1 entry id: the tree id (16 hex digits) and the leaf hash.
func (s *RekorServer) entryID(leaf [32]byte) string {
	return fmt.Sprintf("%016x%s", s.log.cfg.treeID, hex.EncodeToString(leaf[:]))
}

// add logs body, or returns the existing entry and false.
func (s *RekorServer) add(body []byte) (*pbrekor.TransparencyLogEntry, [32]byte, bool) {
	leaf := leafHash(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[leaf]; ok {
		return e, leaf, false
	}
	e := s.log.Append(body)
	s.entries[leaf] = e
	return e, leaf, true
}

func readJSONRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSONError(w, http.StatusUnsupportedMediaType, "content type must be application/json")
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSONError(w, http.StatusBadRequest, "malformed request: "+err.Error())
		return false
	}
	return true
}

// --- Rekor v1 ---

type v1Proposed struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Spec       json.RawMessage `json:"spec"`
}

func (s *RekorServer) createV1(w http.ResponseWriter, r *http.Request) {
	var p v1Proposed
	if !readJSONRequest(w, r, &p) {
		return
	}
	var body []byte
	var err error
	switch p.Kind + " " + p.APIVersion {
	case "hashedrekord 0.0.1":
		body, err = s.hashedRekordV001(p.Spec)
	case "dsse 0.0.1":
		body, err = s.dsseV001(p.Spec)
	default:
		err = fmt.Errorf("unsupported kind %q version %q", p.Kind, p.APIVersion)
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "error processing entry: "+err.Error())
		return
	}
	e, leaf, created := s.add(body)
	id := s.entryID(leaf)
	location := "/api/v1/log/entries/" + id
	if !created {
		if !s.opts.OmitLocation {
			w.Header().Set("Location", location)
		}
		writeJSONError(w, http.StatusConflict, "An equivalent entry already exists in the transparency log with UUID "+id)
		return
	}
	w.Header().Set("Location", location)
	w.Header().Set("ETag", id)
	writeJSON(w, http.StatusCreated, map[string]any{id: s.v1Anon(e)})
}

func (s *RekorServer) getV1(w http.ResponseWriter, id string) {
	raw, err := hex.DecodeString(id)
	if err != nil || (len(raw) != 32 && len(raw) != 40) {
		writeJSONError(w, http.StatusBadRequest, "invalid entry UUID")
		return
	}
	var leaf [32]byte
	copy(leaf[:], raw[len(raw)-32:])
	s.mu.Lock()
	e, ok := s.entries[leaf]
	if ok {
		e = proto.Clone(e).(*pbrekor.TransparencyLogEntry)
		s.log.Refresh(e)
	}
	s.mu.Unlock()
	if !ok {
		writeJSONError(w, http.StatusNotFound, "entry not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{s.entryID(leaf): s.v1Anon(e)})
}

// v1Anon is a Rekor v1 LogEntryAnon for an entry.
func (s *RekorServer) v1Anon(e *pbrekor.TransparencyLogEntry) map[string]any {
	verification := map[string]any{}
	if p := e.GetInclusionProof(); p != nil && !s.opts.OmitProof {
		hashes := []string{}
		for _, h := range p.GetHashes() {
			hashes = append(hashes, hex.EncodeToString(h))
		}
		verification["inclusionProof"] = map[string]any{
			"checkpoint": p.GetCheckpoint().GetEnvelope(),
			"hashes":     hashes,
			"logIndex":   p.GetLogIndex(),
			"rootHash":   hex.EncodeToString(p.GetRootHash()),
			"treeSize":   p.GetTreeSize(),
		}
	}
	if !s.opts.OmitSET {
		verification["signedEntryTimestamp"] = base64.StdEncoding.EncodeToString(e.GetInclusionPromise().GetSignedEntryTimestamp())
	}
	return map[string]any{
		"body":           base64.StdEncoding.EncodeToString(e.GetCanonicalizedBody()),
		"integratedTime": e.GetIntegratedTime(),
		"logID":          hex.EncodeToString(e.GetLogId().GetKeyId()),
		"logIndex":       e.GetLogIndex(),
		"verification":   verification,
	}
}

func (s *RekorServer) hashedRekordV001(spec []byte) ([]byte, error) {
	var hr struct {
		Data struct {
			Hash struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"value"`
			} `json:"hash"`
		} `json:"data"`
		Signature struct {
			Content   []byte `json:"content"`
			PublicKey struct {
				Content []byte `json:"content"`
			} `json:"publicKey"`
		} `json:"signature"`
	}
	dec := json.NewDecoder(bytes.NewReader(spec))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&hr); err != nil {
		return nil, err
	}
	h, ok := map[string]crypto.Hash{"sha256": crypto.SHA256, "sha384": crypto.SHA384, "sha512": crypto.SHA512}[hr.Data.Hash.Algorithm]
	if !ok {
		return nil, fmt.Errorf("unsupported hash algorithm %q", hr.Data.Hash.Algorithm)
	}
	digest, err := hex.DecodeString(hr.Data.Hash.Value)
	if err != nil || len(digest) != h.Size() {
		return nil, errors.New("invalid digest")
	}
	cert, pub, err := parsePEMVerifier(hr.Signature.PublicKey.Content)
	if err != nil {
		return nil, err
	}
	if err := verifyDigest(pub, h, digest, hr.Signature.Content); err != nil {
		return nil, err
	}
	sig := hr.Signature.Content
	if s.opts.OtherSignature {
		sig = flipLast(sig)
	}
	return HashedRekordV001Body(s.log.t, EntryContent{Certificate: cert, PublicKey: pub, Hash: h, Digest: digest, Signature: sig}), nil
}

func (s *RekorServer) dsseV001(spec []byte) ([]byte, error) {
	var d struct {
		ProposedContent struct {
			Envelope  string   `json:"envelope"`
			Verifiers [][]byte `json:"verifiers"`
		} `json:"proposedContent"`
	}
	dec := json.NewDecoder(bytes.NewReader(spec))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, err
	}
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal([]byte(d.ProposedContent.Envelope), &env); err != nil {
		return nil, fmt.Errorf("envelope: %v", err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("envelope payload: %v", err)
	}
	if len(env.Signatures) == 0 || len(d.ProposedContent.Verifiers) == 0 {
		return nil, errors.New("DSSE envelope must contain 1 or more signatures and verifiers")
	}
	type verifier struct {
		pemBytes []byte
		pub      crypto.PublicKey
	}
	var verifiers []verifier
	for _, v := range d.ProposedContent.Verifiers {
		cert, pub, err := parsePEMVerifier(v)
		if err != nil {
			return nil, err
		}
		if cert != nil {
			verifiers = append(verifiers, verifier{PEMCertificate(cert), pub})
		} else {
			verifiers = append(verifiers, verifier{PEMPublicKey(s.log.t, pub), pub})
		}
	}
	pae := PAE(env.PayloadType, payload)
	var sigs []map[string]any
	for _, es := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(es.Sig)
		if err != nil {
			return nil, fmt.Errorf("signature: %v", err)
		}
		var match *verifier
		for i := range verifiers {
			if verifyMessage(verifiers[i].pub, pae, sig) == nil {
				match = &verifiers[i]
				break
			}
		}
		if match == nil {
			return nil, errors.New("could not verify envelope signature")
		}
		text := es.Sig
		if s.opts.OtherSignature {
			text = base64.StdEncoding.EncodeToString(flipLast(sig))
		}
		sigs = append(sigs, map[string]any{"signature": text, "verifier": base64.StdEncoding.EncodeToString(match.pemBytes)})
	}
	sort.Slice(sigs, func(i, j int) bool { return sigs[i]["signature"].(string) < sigs[j]["signature"].(string) })
	return canonical(s.log.t, map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "dsse",
		"spec": map[string]any{
			"envelopeHash": map[string]any{"algorithm": "sha256", "value": hexSHA256([]byte(d.ProposedContent.Envelope))},
			"payloadHash":  map[string]any{"algorithm": "sha256", "value": hexSHA256(payload)},
			"signatures":   sigs,
		},
	}), nil
}

// --- Rekor v2 ---

type v2RawBytes struct {
	RawBytes []byte `json:"rawBytes"`
}

type v2CreateRequest struct {
	HashedRekordRequestV002 *struct {
		Digest    []byte `json:"digest"`
		Signature struct {
			Content  []byte `json:"content"`
			Verifier struct {
				PublicKey       *v2RawBytes `json:"publicKey"`
				X509Certificate *v2RawBytes `json:"x509Certificate"`
				KeyDetails      string      `json:"keyDetails"`
			} `json:"verifier"`
		} `json:"signature"`
	} `json:"hashedRekordRequestV002"`
}

func (s *RekorServer) createV2(w http.ResponseWriter, r *http.Request) {
	var req v2CreateRequest
	if !readJSONRequest(w, r, &req) {
		return
	}
	body, err := s.hashedRekordV002(&req)
	if err != nil {
		// rekor-tiles says no more than this to the client.
		writeGRPCError(w, http.StatusBadRequest, 3, "invalid hashedrekord request")
		return
	}
	e, _, created := s.add(body)
	if !created {
		w.Header().Set("x-log-index", strconv.FormatInt(e.GetLogIndex(), 10))
		writeGRPCError(w, http.StatusConflict, 6, fmt.Sprintf("an equivalent entry already exists at index %d", e.GetLogIndex()))
		return
	}
	out := proto.Clone(e).(*pbrekor.TransparencyLogEntry)
	if s.opts.OmitProof {
		out.InclusionProof = nil
	}
	b, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(out)
	if err != nil {
		writeGRPCError(w, http.StatusInternalServerError, 13, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
}

func (s *RekorServer) hashedRekordV002(req *v2CreateRequest) ([]byte, error) {
	hr := req.HashedRekordRequestV002
	if hr == nil {
		return nil, errors.New("invalid type, must be hashedrekord")
	}
	v := hr.Signature.Verifier
	if (v.PublicKey == nil) == (v.X509Certificate == nil) {
		return nil, errors.New("verifier must hold a public key or a certificate")
	}
	var cert []byte
	var pub crypto.PublicKey
	if v.X509Certificate != nil {
		c, err := x509.ParseCertificate(v.X509Certificate.RawBytes)
		if err != nil {
			return nil, err
		}
		cert, pub = c.Raw, c.PublicKey
	} else {
		k, err := x509.ParsePKIXPublicKey(v.PublicKey.RawBytes)
		if err != nil {
			return nil, err
		}
		pub = k
	}
	h, err := keyDetailsPrehash(v.KeyDetails, pub)
	if err != nil {
		return nil, err
	}
	if len(hr.Digest) != h.Size() {
		return nil, fmt.Errorf("digest of %d bytes for %s", len(hr.Digest), v.KeyDetails)
	}
	if err := verifyDigest(pub, h, hr.Digest, hr.Signature.Content); err != nil {
		return nil, err
	}
	sig := hr.Signature.Content
	if s.opts.OtherSignature {
		sig = flipLast(sig)
	}
	return HashedRekordV002Body(s.log.t, EntryContent{Certificate: cert, PublicKey: pub, KeyDetails: v.KeyDetails,
		Hash: h, Digest: hr.Digest, Signature: sig}), nil
}

// keyDetailsPrehash is the digest algorithm of a hashedrekord 0.0.2 signing algorithm, which
// must suit the key. Pure Ed25519 has none and is refused, as rekor-tiles does.
func keyDetailsPrehash(name string, pub crypto.PublicKey) (crypto.Hash, error) {
	ec := func(c elliptic.Curve) bool { k, ok := pub.(*ecdsa.PublicKey); return ok && k.Curve == c }
	rsaBits := func(n int) bool { k, ok := pub.(*rsa.PublicKey); return ok && k.N.BitLen() == n }
	var h crypto.Hash
	var fits bool
	switch name {
	case "PKIX_ECDSA_P256_SHA_256":
		h, fits = crypto.SHA256, ec(elliptic.P256())
	case "PKIX_ECDSA_P384_SHA_384":
		h, fits = crypto.SHA384, ec(elliptic.P384())
	case "PKIX_ECDSA_P521_SHA_512":
		h, fits = crypto.SHA512, ec(elliptic.P521())
	case "PKIX_ED25519_PH":
		_, ok := pub.(ed25519.PublicKey)
		h, fits = crypto.SHA512, ok
	case "PKIX_RSA_PKCS1V15_2048_SHA256":
		h, fits = crypto.SHA256, rsaBits(2048)
	case "PKIX_RSA_PKCS1V15_3072_SHA256":
		h, fits = crypto.SHA256, rsaBits(3072)
	case "PKIX_RSA_PKCS1V15_4096_SHA256":
		h, fits = crypto.SHA256, rsaBits(4096)
	default:
		return 0, fmt.Errorf("unsupported key details %q", name)
	}
	if !fits {
		return 0, fmt.Errorf("key details %s do not suit the key", name)
	}
	return h, nil
}

// --- shared ---

// parsePEMVerifier parses a Rekor v1 verifier: a PEM certificate or public key.
func parsePEMVerifier(b []byte) (cert []byte, pub crypto.PublicKey, err error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, nil, errors.New("verifier is not PEM")
	}
	switch block.Type {
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, err
		}
		return c.Raw, c.PublicKey, nil
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		return nil, k, err
	}
	return nil, nil, fmt.Errorf("verifier is a PEM %q block", block.Type)
}

// verifyDigest checks sig over a digest made with h (Ed25519: Ed25519ph, SHA-512 only).
func verifyDigest(pub crypto.PublicKey, h crypto.Hash, digest, sig []byte) error {
	ok := false
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, digest, sig)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(k, h, digest, sig) == nil
	case ed25519.PublicKey:
		ok = h == crypto.SHA512 && ed25519.VerifyWithOptions(k, digest, sig, &ed25519.Options{Hash: crypto.SHA512}) == nil
	}
	if !ok {
		return errors.New("signature does not verify")
	}
	return nil
}

// verifyMessage checks sig over msg with the key's usual hash (pure Ed25519 for Ed25519).
func verifyMessage(pub crypto.PublicKey, msg, sig []byte) error {
	if k, ok := pub.(ed25519.PublicKey); ok {
		if !ed25519.Verify(k, msg, sig) {
			return errors.New("signature does not verify")
		}
		return nil
	}
	h := crypto.SHA256
	if k, ok := pub.(*ecdsa.PublicKey); ok {
		switch k.Curve {
		case elliptic.P384():
			h = crypto.SHA384
		case elliptic.P521():
			h = crypto.SHA512
		}
	}
	hh := h.New()
	hh.Write(msg)
	return verifyDigest(pub, h, hh.Sum(nil), sig)
}

func flipLast(b []byte) []byte {
	c := bytes.Clone(b)
	if len(c) > 0 {
		c[len(c)-1] ^= 0x01
	}
	return c
}
