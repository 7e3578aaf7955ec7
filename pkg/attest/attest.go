// Package attest owns what signet says and checks inside in-toto statements: building a
// statement from subjects and a predicate, validating a statement a user wrote, publish
// attestations (signet's own predicate, npm's publish v0.1 and PyPI's publish v1) and the
// checks that bind one to a registry, a package, a version and a file, and the ecosystems'
// own wire formats: package URLs with their per-ecosystem normalisation, registry URL
// identities, Python distribution filenames and versions, PEP 740 attestation objects and
// provenance documents (converted to Sigstore bundles as pypi-attestations does), PyPI
// Trusted Publisher policies, npm attestation responses, and npm registry key sets with
// their validity windows.
//
// It trusts nothing it parses: every input is size-limited and parsed strictly, and every
// check fails closed. It verifies no signature over a statement (pkg/verify does, then calls
// the checks here); the one signature it checks itself is an npm registry signature over a
// package's integrity, with a key set the caller trusts. It is pure and offline.
package attest

import (
	"bytes"
	"crypto"
	_ "crypto/sha256" // registers SHA-256
	_ "crypto/sha512" // registers SHA-512
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/signet-dev/signet/pkg/dsse"
)

// Predicate types signet writes or checks.
const (
	// PublishPredicateType is signet's publish attestation (see PublishPredicate).
	PublishPredicateType = "https://signet.dev/attestation/publish/v1"
	// NPMPublishPredicateType is npm's publish attestation: predicate {name, version, registry}.
	NPMPublishPredicateType = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
	// PyPIPublishPredicateType is PyPI's publish attestation: an empty predicate, binding no index.
	PyPIPublishPredicateType = "https://docs.pypi.org/attestations/publish/v1"
	// SLSA build provenance.
	SLSAProvenanceV1  = "https://slsa.dev/provenance/v1"
	SLSAProvenanceV02 = "https://slsa.dev/provenance/v0.2"
)

// Limits on statements signet builds or checks.
const (
	MaxPredicateTypeLength = 1024
	MaxPredicateSize       = 16 << 20
	MaxSubjectNameLength   = 4096
)

// Digest algorithms signet writes into subjects.
const (
	SHA256 = "sha256"
	SHA512 = "sha512"
)

var digestHashes = map[string]crypto.Hash{SHA256: crypto.SHA256, SHA512: crypto.SHA512}

// hexDigestSizes are the in-toto digest algorithms whose values signet can check for
// well-formedness (lower-case hex of this many bytes).
var hexDigestSizes = map[string]int{
	"md5": 16, "sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64,
	"sha512_224": 28, "sha512_256": 32, "sha3_224": 28, "sha3_256": 32, "sha3_384": 48, "sha3_512": 64,
}

// Digest reads r once and returns a subject named name with its digests under algs
// (SHA256, SHA512), in lower-case hex.
func Digest(name string, r io.Reader, algs ...string) (dsse.Subject, error) {
	s := dsse.Subject{Name: name, Digest: map[string]string{}}
	if len(algs) == 0 {
		return s, errors.New("no digest algorithm")
	}
	var ws []io.Writer
	var hs []hash.Hash
	for _, a := range algs {
		h, ok := digestHashes[a]
		if !ok {
			return s, fmt.Errorf("unsupported subject digest %q (signet writes sha256 and sha512)", a)
		}
		hh := h.New()
		ws, hs = append(ws, hh), append(hs, hh)
	}
	if _, err := io.CopyBuffer(io.MultiWriter(ws...), onlyReader{r}, make([]byte, 256<<10)); err != nil {
		return s, fmt.Errorf("reading %s: %w", name, err)
	}
	for i, a := range algs {
		s.Digest[a] = hex.EncodeToString(hs[i].Sum(nil))
	}
	return s, nil
}

type onlyReader struct{ io.Reader }

// statementV1 is the JSON form signet writes, fields in the in-toto order.
type statementV1 struct {
	Type          string          `json:"_type"`
	Subject       []dsse.Subject  `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate,omitempty"`
}

// NewStatement builds an in-toto Statement v1 about subjects with predicateType and
// predicate (a JSON object, or nil for none), and checks it as CheckStatement does.
func NewStatement(predicateType string, predicate json.RawMessage, subjects []dsse.Subject) ([]byte, error) {
	if predicate != nil {
		if len(predicate) > MaxPredicateSize {
			return nil, fmt.Errorf("the predicate is larger than %d bytes", MaxPredicateSize)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(predicate, &obj); err != nil || obj == nil {
			return nil, errors.New("the predicate must be a JSON object")
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, predicate); err != nil {
			return nil, fmt.Errorf("the predicate: %w", err)
		}
		predicate = buf.Bytes()
	}
	payload, err := marshal(statementV1{Type: dsse.StatementTypeV1, Subject: subjects, PredicateType: predicateType, Predicate: predicate})
	if err != nil {
		return nil, err
	}
	if _, err := CheckStatement(payload); err != nil {
		return nil, err
	}
	return payload, nil
}

// marshal writes JSON without HTML escaping: statements are read by people too.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// CheckStatement validates an in-toto statement before it is signed: what dsse.ParseStatement
// requires (a known _type, a predicateType, subjects with digests, no repeated keys), and
// also a predicateType that is an absolute URI, a predicate that is a JSON object or null,
// subject names of sane length, digests of known algorithms in lower-case hex of the right
// length, and in every subject a sha256, sha384 or sha512 digest, by which verifiers match
// artifacts.
func CheckStatement(payload []byte) (*dsse.Statement, error) {
	st, err := dsse.ParseStatement(payload)
	if err != nil {
		return nil, err
	}
	if err := checkTypeURI(st.PredicateType); err != nil {
		return nil, err
	}
	if p := bytes.TrimSpace(st.Predicate); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(p, &obj); err != nil {
			return nil, errors.New("in-toto statement predicate must be a JSON object")
		}
	}
	for i, s := range st.Subject {
		if len(s.Name) > MaxSubjectNameLength {
			return nil, fmt.Errorf("in-toto statement subject %d has a name longer than %d bytes", i, MaxSubjectNameLength)
		}
		sha2 := false
		for alg, v := range s.Digest {
			if v == "" {
				return nil, fmt.Errorf("in-toto statement subject %d has an empty %q digest", i, alg)
			}
			if size, ok := hexDigestSizes[alg]; ok {
				if d, err := hex.DecodeString(v); err != nil || len(d) != size || strings.ToLower(v) != v {
					return nil, fmt.Errorf("in-toto statement subject %d: the %s digest is not %d bytes of lower-case hex", i, alg, size)
				}
				sha2 = sha2 || alg == "sha256" || alg == "sha384" || alg == "sha512"
			}
		}
		if !sha2 {
			return nil, fmt.Errorf("in-toto statement subject %d (%q) has no sha256, sha384 or sha512 digest, by which verifiers match artifacts", i, s.Name)
		}
	}
	return st, nil
}

func checkTypeURI(t string) error {
	if len(t) > MaxPredicateTypeLength {
		return fmt.Errorf("predicate type is longer than %d bytes", MaxPredicateTypeLength)
	}
	u, err := url.Parse(t)
	if err != nil || u.Scheme == "" || strings.ContainsFunc(t, isControlOrSpace) {
		return fmt.Errorf("predicate type %q is not an absolute URI", t)
	}
	return nil
}

// CheckPredicateType validates a predicate type given by a user: an absolute URI.
func CheckPredicateType(t string) error { return checkTypeURI(t) }

// subjectsNamed returns the subjects of st named name.
func subjectsNamed(st *dsse.Statement, name string) []dsse.Subject {
	var out []dsse.Subject
	for _, s := range st.Subject {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// sortedNames lists the subjects' names, sorted.
func sortedNames(subjects []dsse.Subject) []string {
	var names []string
	for _, s := range subjects {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return names
}
