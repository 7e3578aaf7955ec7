package tsa

import (
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// derReader walks a run of DER elements, one at a time. encoding/asn1 decodes each element's
// tag and length (refusing indefinite and non-minimal lengths); the reader adds what
// asn1.Unmarshal into structs would not: every element is checked for the expected class, tag
// and form, and nothing may follow the last expected element.
type derReader struct {
	rest []byte
}

func newDERReader(b []byte) *derReader { return &derReader{rest: b} }

func (r *derReader) empty() bool { return len(r.rest) == 0 }

// done fails if anything is left after the last element of what.
func (r *derReader) done(what string) error {
	if len(r.rest) != 0 {
		return fmt.Errorf("%d bytes of trailing data after %s", len(r.rest), what)
	}
	return nil
}

// peek reports whether the next element carries the given class and tag (low tag numbers only).
func (r *derReader) peek(class, tag int) bool {
	if len(r.rest) == 0 {
		return false
	}
	b := r.rest[0]
	return int(b>>6) == class && int(b&0x1f) == tag && tag < 0x1f
}

// any reads the next element, whatever it is.
func (r *derReader) any(what string) (asn1.RawValue, error) {
	if len(r.rest) == 0 {
		return asn1.RawValue{}, fmt.Errorf("%s is missing", what)
	}
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(r.rest, &v)
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("%s: %v", what, err)
	}
	r.rest = rest
	return v, nil
}

// element reads the next element and checks its class, tag and form.
func (r *derReader) element(class, tag int, compound bool, what string) (asn1.RawValue, error) {
	v, err := r.any(what)
	if err != nil {
		return v, err
	}
	if v.Class != class || v.Tag != tag || v.IsCompound != compound {
		return v, fmt.Errorf("%s: unexpected %s", what, describeTag(v))
	}
	return v, nil
}

// sequence reads a SEQUENCE and returns a reader over its contents.
func (r *derReader) sequence(what string) (*derReader, error) {
	v, err := r.element(asn1.ClassUniversal, asn1.TagSequence, true, what)
	if err != nil {
		return nil, err
	}
	return newDERReader(v.Bytes), nil
}

// set reads a SET (or SET OF) and returns a reader over its contents.
func (r *derReader) set(what string) (*derReader, error) {
	v, err := r.element(asn1.ClassUniversal, asn1.TagSet, true, what)
	if err != nil {
		return nil, err
	}
	return newDERReader(v.Bytes), nil
}

// explicit reads a constructed context-specific [tag] and returns a reader over its contents.
func (r *derReader) explicit(tag int, what string) (*derReader, error) {
	v, err := r.element(asn1.ClassContextSpecific, tag, true, what)
	if err != nil {
		return nil, err
	}
	return newDERReader(v.Bytes), nil
}

func (r *derReader) oid(what string) (asn1.ObjectIdentifier, error) {
	v, err := r.element(asn1.ClassUniversal, asn1.TagOID, false, what)
	if err != nil {
		return nil, err
	}
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(v.FullBytes, &oid); err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	return oid, nil
}

// bigInt reads an INTEGER; encoding/asn1 refuses non-minimal encodings.
func (r *derReader) bigInt(what string) (*big.Int, error) {
	v, err := r.element(asn1.ClassUniversal, asn1.TagInteger, false, what)
	if err != nil {
		return nil, err
	}
	n := new(big.Int)
	if _, err := asn1.Unmarshal(v.FullBytes, &n); err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	return n, nil
}

// smallInt reads an INTEGER that must lie in [lo, hi].
func (r *derReader) smallInt(what string, lo, hi int64) (int64, error) {
	n, err := r.bigInt(what)
	if err != nil {
		return 0, err
	}
	return checkRange(n, what, lo, hi)
}

// implicitInt reads a context-specific [tag] IMPLICIT INTEGER that must lie in [lo, hi].
func (r *derReader) implicitInt(tag int, what string, lo, hi int64) (int64, error) {
	v, err := r.element(asn1.ClassContextSpecific, tag, false, what)
	if err != nil {
		return 0, err
	}
	n := new(big.Int)
	if _, err := asn1.UnmarshalWithParams(v.FullBytes, &n, fmt.Sprintf("tag:%d", tag)); err != nil {
		return 0, fmt.Errorf("%s: %v", what, err)
	}
	return checkRange(n, what, lo, hi)
}

func checkRange(n *big.Int, what string, lo, hi int64) (int64, error) {
	if !n.IsInt64() || n.Int64() < lo || n.Int64() > hi {
		return 0, fmt.Errorf("%s is %s, want %d to %d", what, intString(n), lo, hi)
	}
	return n.Int64(), nil
}

// octets reads a primitive OCTET STRING.
func (r *derReader) octets(what string) ([]byte, error) {
	v, err := r.element(asn1.ClassUniversal, asn1.TagOctetString, false, what)
	if err != nil {
		return nil, err
	}
	return v.Bytes, nil
}

func (r *derReader) boolean(what string) (bool, error) {
	v, err := r.element(asn1.ClassUniversal, asn1.TagBoolean, false, what)
	if err != nil {
		return false, err
	}
	var b bool
	if _, err := asn1.Unmarshal(v.FullBytes, &b); err != nil {
		return false, fmt.Errorf("%s: %v", what, err)
	}
	return b, nil
}

// generalizedTime reads a GeneralizedTime as RFC 3161 §2.4.2 wants it: UTC ("Z"), whole
// seconds, an optional fraction without trailing zeros.
func (r *derReader) generalizedTime(what string) (time.Time, error) {
	v, err := r.element(asn1.ClassUniversal, asn1.TagGeneralizedTime, false, what)
	if err != nil {
		return time.Time{}, err
	}
	if len(v.Bytes) < 15 || v.Bytes[len(v.Bytes)-1] != 'Z' {
		return time.Time{}, fmt.Errorf("%s %q is not a UTC GeneralizedTime", what, clip(string(v.Bytes)))
	}
	var t time.Time
	// encoding/asn1 re-serializes the parsed time and refuses any value that does not
	// round-trip, which rules out trailing zeros in the fraction and missing seconds.
	if _, err := asn1.Unmarshal(v.FullBytes, &t); err != nil {
		return time.Time{}, fmt.Errorf("%s: %v", what, err)
	}
	return t.UTC(), nil
}

// algorithmIdentifier reads an AlgorithmIdentifier; params is the DER of the parameters, nil
// when they are absent.
func (r *derReader) algorithmIdentifier(what string) (oid asn1.ObjectIdentifier, params []byte, err error) {
	s, err := r.sequence(what)
	if err != nil {
		return nil, nil, err
	}
	if oid, err = s.oid(what + " algorithm"); err != nil {
		return nil, nil, err
	}
	if !s.empty() {
		p, err := s.any(what + " parameters")
		if err != nil {
			return nil, nil, err
		}
		params = p.FullBytes
	}
	return oid, params, s.done(what)
}

// hashAlgorithm reads an AlgorithmIdentifier of a digest: a supported hash with absent or NULL
// parameters (RFC 5754 §2 allows both).
func (r *derReader) hashAlgorithm(what string, sha1OK bool) (asn1.ObjectIdentifier, error) {
	oid, params, err := r.algorithmIdentifier(what)
	if err != nil {
		return nil, err
	}
	if params != nil && !isNull(params) {
		return nil, fmt.Errorf("%s %v has unexpected parameters", what, oid)
	}
	if _, ok := hashFromOID(oid, sha1OK); !ok {
		return nil, fmt.Errorf("%s %v is not a supported hash algorithm", what, oid)
	}
	return oid, nil
}

func isNull(der []byte) bool { return len(der) == 2 && der[0] == asn1.TagNull && der[1] == 0 }

func describeTag(v asn1.RawValue) string {
	form := "primitive"
	if v.IsCompound {
		form = "constructed"
	}
	class := [...]string{"universal", "application", "context-specific", "private"}[v.Class&3]
	return fmt.Sprintf("%s %s tag %d", form, class, v.Tag)
}

// intString formats an untrusted integer for a message without the cost of printing a huge one.
func intString(n *big.Int) string {
	if n.BitLen() > 64 {
		return fmt.Sprintf("a %d-bit integer", n.BitLen())
	}
	return n.String()
}

// clip shortens untrusted text before it goes into an error message.
func clip(s string) string {
	const max = 120
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
