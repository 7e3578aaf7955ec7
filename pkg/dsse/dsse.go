// Package dsse owns DSSE envelopes and the in-toto statements they carry: the pre-authentication
// encoding (PAE), signing and verifying an envelope's single signature over a crypto.Signer or
// crypto.PublicKey, and parsing statements with their subjects. It trusts no input: payloads and
// statements are size-limited and parsed strictly. The envelope wire type and PAE come from
// go-securesystemslib, the reference DSSE implementation.
package dsse

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/signet-dev/signet/pkg/signature"
)

// InTotoPayloadType is the DSSE payload type of in-toto statements.
const InTotoPayloadType = "application/vnd.in-toto+json"

// Limits on untrusted statements.
const (
	MaxPayloadSize = 32 << 20
	MaxSubjects    = 4096
)

// Envelope is the DSSE JSON envelope (payload and signatures base64-encoded).
type Envelope = ssldsse.Envelope

// PAE returns the DSSE v1 pre-authentication encoding of a payload:
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
func PAE(payloadType string, payload []byte) []byte {
	return ssldsse.PAE(payloadType, payload)
}

// Sign signs PAE(payloadType, payload) with s, hashing with h (zero for Ed25519), and returns
// the raw signature.
func Sign(s crypto.Signer, h crypto.Hash, payloadType string, payload []byte) ([]byte, error) {
	msg := PAE(payloadType, payload)
	if _, ok := s.Public().(ed25519.PublicKey); ok {
		return s.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	if !h.Available() {
		return nil, fmt.Errorf("DSSE signing needs a hash for a %T key; %v is unavailable", s.Public(), h)
	}
	hh := h.New()
	hh.Write(msg)
	return s.Sign(rand.Reader, hh.Sum(nil), h)
}

// Verify checks sig over PAE(payloadType, payload) with pub and hash h.
func Verify(pub crypto.PublicKey, h crypto.Hash, payloadType string, payload, sig []byte) error {
	if err := signature.Verify(pub, h, PAE(payloadType, payload), sig); err != nil {
		return fmt.Errorf("DSSE envelope signature: %w", err)
	}
	return nil
}

// NewEnvelope builds the JSON envelope for one signature.
func NewEnvelope(payloadType string, payload, sig []byte, keyID string) *Envelope {
	return &Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []ssldsse.Signature{{KeyID: keyID, Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
}

// Statement is an in-toto statement (v1, or v0.1 which has the same shape).
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate,omitempty"`
}

// Subject is one artifact a statement is about.
type Subject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// Statement type URIs accepted when parsing.
const (
	StatementTypeV1  = "https://in-toto.io/Statement/v1"
	StatementTypeV01 = "https://in-toto.io/Statement/v0.1"
)

// ParseStatement parses an in-toto statement payload. It requires a known _type, a
// predicateType, and at least one subject with at least one digest.
func ParseStatement(payload []byte) (*Statement, error) {
	if len(payload) > MaxPayloadSize {
		return nil, fmt.Errorf("in-toto statement is larger than %d bytes", MaxPayloadSize)
	}
	if err := checkUniqueKeys(payload); err != nil {
		return nil, fmt.Errorf("in-toto statement is not valid JSON: %w", err)
	}
	st, err := decodeStatement(payload)
	if err != nil {
		return nil, fmt.Errorf("in-toto statement is not valid JSON: %w", err)
	}
	switch st.Type {
	case StatementTypeV1, StatementTypeV01:
	case "":
		return nil, errors.New("in-toto statement has no _type; it must be " + StatementTypeV1 + " (or " + StatementTypeV01 + ")")
	default:
		return nil, fmt.Errorf("unsupported in-toto statement type %q; signet reads %s and %s", st.Type, StatementTypeV1, StatementTypeV01)
	}
	if st.PredicateType == "" {
		return nil, errors.New("in-toto statement has no predicateType")
	}
	if len(st.Subject) == 0 {
		return nil, errors.New("in-toto statement has no subject")
	}
	if len(st.Subject) > MaxSubjects {
		return nil, fmt.Errorf("in-toto statement has more than %d subjects", MaxSubjects)
	}
	for i, s := range st.Subject {
		if len(s.Digest) == 0 {
			return nil, fmt.Errorf("in-toto statement subject %d has no digest", i)
		}
	}
	return st, nil
}

// decodeStatement decodes a statement matching keys exactly, as other in-toto consumers do:
// encoding/json would also take "Subject" or "_TYPE" for a field, and the last of them wins.
func decodeStatement(payload []byte) (*Statement, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil {
		return nil, err
	}
	st := &Statement{Predicate: top["predicate"]}
	if err := decodeField(top, "_type", &st.Type); err != nil {
		return nil, err
	}
	if err := decodeField(top, "predicateType", &st.PredicateType); err != nil {
		return nil, err
	}
	var subjects []map[string]json.RawMessage
	if err := decodeField(top, "subject", &subjects); err != nil {
		return nil, err
	}
	for _, s := range subjects {
		var sub Subject
		if err := decodeField(s, "name", &sub.Name); err != nil {
			return nil, err
		}
		if err := decodeField(s, "digest", &sub.Digest); err != nil {
			return nil, err
		}
		st.Subject = append(st.Subject, sub)
	}
	return st, nil
}

// CheckUniqueKeys refuses a JSON document in which any object, at any depth, repeats a key
// (see ParseStatement): other formats that carry statements, such as PEP 740 attestation
// objects and npm attestation responses, are read with the same care.
func CheckUniqueKeys(doc []byte) error { return checkUniqueKeys(doc) }

// checkUniqueKeys refuses a JSON document in which any object, at any depth, repeats a
// key: parsers disagree on which of two "subject" members counts (encoding/json takes the
// last, others the first), so such a statement means two things at once.
func checkUniqueKeys(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	// keys holds, for each open container, the keys seen so far (nil for arrays).
	var keys []map[string]bool
	expectKey := func() bool { return len(keys) > 0 && keys[len(keys)-1] != nil }
	afterKey := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(keys) != 0 {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if err != nil {
			return err
		}
		if expectKey() && !afterKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				keys = keys[:len(keys)-1]
				continue
			}
			k := tok.(string) // the decoder only yields strings in key position
			if keys[len(keys)-1][k] {
				return fmt.Errorf("key %q appears twice in one object", k)
			}
			keys[len(keys)-1][k] = true
			afterKey = true
			continue
		}
		afterKey = false
		switch tok {
		case json.Delim('{'):
			keys = append(keys, map[string]bool{})
		case json.Delim('['):
			keys = append(keys, nil)
		case json.Delim(']'):
			keys = keys[:len(keys)-1]
		}
	}
}

func decodeField(m map[string]json.RawMessage, key string, v any) error {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// SubjectDigests are the in-toto digest names signet can compute, strongest first.
var SubjectDigests = []struct {
	Name string
	Hash crypto.Hash
}{{"sha512", crypto.SHA512}, {"sha384", crypto.SHA384}, {"sha256", crypto.SHA256}}

// MatchDigest returns the first subject whose digest under algorithm alg (in-toto names:
// "sha256", "sha512", ...) equals digest.
func (st *Statement) MatchDigest(alg string, digest []byte) (*Subject, bool) {
	want := hex.EncodeToString(digest)
	for i := range st.Subject {
		if v, ok := st.Subject[i].Digest[alg]; ok && strings.EqualFold(v, want) {
			return &st.Subject[i], true
		}
	}
	return nil, false
}

// DigestAlgorithms lists the digest algorithms the statement's subjects use, each once.
func (st *Statement) DigestAlgorithms() []string {
	var algs []string
	seen := map[string]bool{}
	for _, s := range st.Subject {
		for alg := range s.Digest {
			if !seen[alg] {
				seen[alg] = true
				algs = append(algs, alg)
			}
		}
	}
	sort.Strings(algs)
	return algs
}
