package fulcio

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/signet-dev/signet/pkg/signature"
	"github.com/signet-dev/signet/pkg/trust"
)

// OIDSCTList is the X.509v3 extension that embeds a SignedCertificateTimestampList in a
// certificate (RFC 6962 §3.3).
var OIDSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

// Reasons one SCT fails, wrapped in SCTError.Failures. ErrUnknownCTLog ("who signed this
// is not trusted") is kept apart from ErrSCTSignature ("a trusted log did not sign this").
var (
	ErrUnknownCTLog          = errors.New("SCT is from a CT log not in the trusted root")
	ErrSCTSignature          = errors.New("SCT signature does not verify")
	ErrSCTOutsideLogValidity = errors.New("SCT timestamp is outside the CT log's validity in the trusted root")
	ErrSCTUnsupported        = errors.New("SCT uses an unsupported version or algorithm")
	ErrSCTInFuture           = errors.New("SCT timestamp is in the future")
)

// maxSCTs bounds the SCTs verified per certificate; Fulcio embeds one.
const maxSCTs = 32

// SCTError reports that fewer distinct CT log operators than required vouched for a certificate.
// Its Unwrap exposes each failing SCT's error, so errors.Is(err, ErrUnknownCTLog) and
// errors.Is(err, ErrSCTSignature) tell the reasons apart.
type SCTError struct {
	Threshold  int     // distinct CT log operators required
	Verified   int     // distinct CT log operators whose SCTs verified
	SCTs       int     // SCTs embedded in the certificate
	Duplicates int     // verified SCTs from an operator that had already been counted
	Failures   []error // one per SCT that did not verify, "SCT <i> from log <id>: <reason>"
}

func (e *SCTError) Error() string {
	var b strings.Builder
	if e.SCTs == 0 {
		fmt.Fprintf(&b, "certificate has no embedded SCTs, %d required", e.Threshold)
		return b.String()
	}
	fmt.Fprintf(&b, "only %d of the %d required CT log operators verified the certificate (%d SCTs embedded", e.Verified, e.Threshold, e.SCTs)
	if e.Duplicates > 0 {
		fmt.Fprintf(&b, ", %d more from operators already counted, which count once", e.Duplicates)
	}
	b.WriteString(")")
	for _, f := range e.Failures {
		b.WriteString("; ")
		b.WriteString(f.Error())
	}
	return b.String()
}

func (e *SCTError) Unwrap() []error { return e.Failures }

// VerifySCTs verifies the SCTs embedded in leaf (extension 1.3.6.1.4.1.11129.2.4.2, an
// OCTET STRING holding a TLS SignedCertificateTimestampList) per RFC 6962 §3.2 with entry
// type precert_entry: issuer_key_hash is SHA-256 of issuer's SubjectPublicKeyInfo and the
// signed TBSCertificate is leaf's with the SCT list extension removed. An SCT's log id
// selects the CT log in ctlogs, whose validity must contain the SCT timestamp, which may not
// lie after latest (the verifier's clock plus the skew it allows); the SCT's extensions
// (used by Static CT logs) are part of the signed data. Thresholds count operators, as the
// trusted root names them: the SCTs of all CT logs of one operator count once, and a log
// without an operator counts as its own operator.
//
// It returns the ids of the CT logs whose SCTs verified and counted, or an *SCTError if
// fewer than threshold operators did. A leaf without SCTs passes only a threshold of zero
// or less; a malformed SCT list fails whatever the threshold.
func VerifySCTs(leaf, issuer *x509.Certificate, ctlogs []*trust.Log, threshold int, latest time.Time) ([][]byte, error) {
	if leaf == nil || issuer == nil {
		return nil, errors.New("SCT verification needs the certificate and its issuer")
	}
	var extValue []byte
	found := false
	for _, ext := range leaf.Extensions {
		if ext.Id.Equal(OIDSCTList) {
			extValue, found = ext.Value, true
			break
		}
	}
	if !found {
		if threshold <= 0 {
			return nil, nil
		}
		return nil, &SCTError{Threshold: threshold}
	}
	var list []byte
	rest, err := asn1.Unmarshal(extValue, &list)
	if err != nil || len(rest) != 0 {
		return nil, errors.New("malformed SCT list extension: not a single OCTET STRING")
	}
	scts, err := parseSCTList(list)
	if err != nil {
		return nil, fmt.Errorf("malformed SCT list extension: %w", err)
	}
	tbs, err := precertTBS(leaf.RawTBSCertificate)
	if err != nil {
		return nil, fmt.Errorf("rebuilding the precertificate: %w", err)
	}
	issuerKeyHash := sha256.Sum256(issuer.RawSubjectPublicKeyInfo)

	var ids [][]byte
	seen := map[any]bool{} // operator names, and the log ids of logs without one
	sctErr := &SCTError{Threshold: threshold, SCTs: len(scts)}
	for i, s := range scts {
		log, err := verifySCT(s, issuerKeyHash, tbs, ctlogs, latest)
		if err != nil {
			if s.version != 0 {
				sctErr.Failures = append(sctErr.Failures, fmt.Errorf("SCT %d: %w", i, err))
			} else {
				sctErr.Failures = append(sctErr.Failures, fmt.Errorf("SCT %d from log %x: %w", i, s.logID, err))
			}
			continue
		}
		var op any = s.logID
		if log.Operator != "" {
			op = log.Operator
		}
		if seen[op] {
			sctErr.Duplicates++
			continue
		}
		seen[op] = true
		ids = append(ids, append([]byte(nil), s.logID[:]...))
	}
	sctErr.Verified = len(ids)
	if len(ids) < threshold {
		return nil, sctErr
	}
	return ids, nil
}

// verifySCT checks one SCT against the CT log its id names, and returns that log.
func verifySCT(s sct, issuerKeyHash [32]byte, tbs []byte, ctlogs []*trust.Log, latest time.Time) (*trust.Log, error) {
	if s.version != 0 {
		return nil, fmt.Errorf("%w: version %d, only v1 (0) is defined", ErrSCTUnsupported, s.version)
	}
	log := trust.FindLog(ctlogs, s.logID[:])
	if log == nil {
		return nil, ErrUnknownCTLog
	}
	if s.timestamp > math.MaxInt64 {
		return nil, fmt.Errorf("%w: timestamp %d ms is out of range", ErrSCTOutsideLogValidity, s.timestamp)
	}
	ts := time.UnixMilli(int64(s.timestamp))
	if ts.After(latest) {
		return nil, fmt.Errorf("%w: %s is after %s", ErrSCTInFuture, formatTime(ts), formatTime(latest))
	}
	if !log.ValidFor.Contains(ts) {
		return nil, fmt.Errorf("%w: %s, log %s", ErrSCTOutsideLogValidity, formatTime(ts), describeRange(log.ValidFor))
	}
	h, err := sctHash(s.hashAlg)
	if err != nil {
		return nil, err
	}
	switch s.sigAlg {
	case tlsSigECDSA:
		if _, ok := log.PublicKey.(*ecdsa.PublicKey); !ok {
			return nil, fmt.Errorf("%w: an ECDSA signature from a log whose key is %T", ErrSCTUnsupported, log.PublicKey)
		}
	case tlsSigRSA:
		if _, ok := log.PublicKey.(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("%w: an RSA signature from a log whose key is %T", ErrSCTUnsupported, log.PublicKey)
		}
	default:
		return nil, fmt.Errorf("%w: signature algorithm %d", ErrSCTUnsupported, s.sigAlg)
	}
	msg, err := sctSignedData(s, issuerKeyHash, tbs)
	if err != nil {
		return nil, err
	}
	if err := signature.Verify(log.PublicKey, h, msg, s.signature); err != nil {
		if errors.Is(err, signature.ErrMismatch) {
			return nil, ErrSCTSignature
		}
		return nil, fmt.Errorf("%w: %v", ErrSCTSignature, err)
	}
	return log, nil
}

// TLS 1.2 HashAlgorithm and SignatureAlgorithm codes (RFC 5246 §7.4.1.4.1).
const (
	tlsHashSHA256 = 4
	tlsHashSHA384 = 5
	tlsHashSHA512 = 6
	tlsSigRSA     = 1
	tlsSigECDSA   = 3
)

func sctHash(code uint8) (crypto.Hash, error) {
	switch code {
	case tlsHashSHA256:
		return crypto.SHA256, nil
	case tlsHashSHA384:
		return crypto.SHA384, nil
	case tlsHashSHA512:
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("%w: hash algorithm %d", ErrSCTUnsupported, code)
}

// sctSignedData builds the RFC 6962 §3.2 digitally-signed struct of a precertificate SCT:
//
//	sct_version(1) signature_type(1)=certificate_timestamp(0) timestamp(8)
//	entry_type(2)=precert_entry(1) issuer_key_hash(32) tbs_certificate<1..2^24-1>
//	extensions<0..2^16-1>
func sctSignedData(s sct, issuerKeyHash [32]byte, tbs []byte) ([]byte, error) {
	if len(tbs) == 0 || len(tbs) >= 1<<24 {
		return nil, fmt.Errorf("precertificate TBS of %d bytes does not fit the SCT structure", len(tbs))
	}
	if len(s.extensions) >= 1<<16 {
		return nil, fmt.Errorf("SCT extensions of %d bytes do not fit the SCT structure", len(s.extensions))
	}
	b := make([]byte, 0, 2+8+2+32+3+len(tbs)+2+len(s.extensions))
	b = append(b, s.version, 0)
	b = binary.BigEndian.AppendUint64(b, s.timestamp)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = append(b, issuerKeyHash[:]...)
	b = append(b, byte(len(tbs)>>16), byte(len(tbs)>>8), byte(len(tbs)))
	b = append(b, tbs...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.extensions)))
	b = append(b, s.extensions...)
	return b, nil
}

// sct is one parsed SignedCertificateTimestamp (RFC 6962 §3.2). For a version other than
// v1 only the version is known: the rest of a future version's layout is not.
type sct struct {
	version    uint8
	logID      [32]byte
	timestamp  uint64
	extensions []byte
	hashAlg    uint8
	sigAlg     uint8
	signature  []byte
}

// tlsReader reads the TLS presentation language encoding (RFC 5246 §4) used by CT.
// The first error sticks; every read after it returns zero values.
type tlsReader struct {
	b   []byte
	err error
}

func (r *tlsReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *tlsReader) next(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.fail("%s: need %d bytes, %d left", what, n, len(r.b))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *tlsReader) uint8(what string) uint8 {
	if v := r.next(1, what); v != nil {
		return v[0]
	}
	return 0
}

func (r *tlsReader) uint16(what string) uint16 {
	if v := r.next(2, what); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *tlsReader) uint64(what string) uint64 {
	if v := r.next(8, what); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// vector16 reads opaque<min..2^16-1>.
func (r *tlsReader) vector16(min int, what string) []byte {
	n := int(r.uint16(what + " length"))
	if r.err == nil && n < min {
		r.fail("%s: %d bytes, at least %d required", what, n, min)
		return nil
	}
	return r.next(n, what)
}

func (r *tlsReader) done(what string) {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%s: %d trailing bytes", what, len(r.b))
	}
}

// parseSCTList parses a SignedCertificateTimestampList (RFC 6962 §3.3):
// SerializedSCT sct_list<1..2^16-1>, each SerializedSCT opaque<1..2^16-1>.
func parseSCTList(b []byte) ([]sct, error) {
	outer := &tlsReader{b: b}
	list := outer.vector16(1, "SCT list")
	outer.done("SCT list")
	if outer.err != nil {
		return nil, outer.err
	}
	r := &tlsReader{b: list}
	var out []sct
	for len(r.b) > 0 && r.err == nil {
		if len(out) == maxSCTs {
			return nil, fmt.Errorf("SCT list holds more than %d SCTs", maxSCTs)
		}
		raw := r.vector16(1, fmt.Sprintf("SCT %d", len(out)))
		if r.err != nil {
			break
		}
		s, err := parseSCT(raw)
		if err != nil {
			return nil, fmt.Errorf("SCT %d: %w", len(out), err)
		}
		out = append(out, s)
	}
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}

// parseSCT parses one SignedCertificateTimestamp:
//
//	sct_version(1) id(32) timestamp(8) extensions<0..2^16-1>
//	hash_algorithm(1) signature_algorithm(1) signature<0..2^16-1>
func parseSCT(b []byte) (sct, error) {
	r := &tlsReader{b: b}
	s := sct{version: r.uint8("version")}
	if r.err == nil && s.version != 0 {
		return s, nil // its layout is unknown; verifySCT reports the version
	}
	copy(s.logID[:], r.next(32, "log id"))
	s.timestamp = r.uint64("timestamp")
	s.extensions = r.vector16(0, "extensions")
	s.hashAlg = r.uint8("hash algorithm")
	s.sigAlg = r.uint8("signature algorithm")
	s.signature = r.vector16(0, "signature")
	r.done("SCT")
	if r.err != nil {
		return sct{}, r.err
	}
	return s, nil
}

// precertTBS rebuilds the TBSCertificate a CT log signed for a precertificate from the
// final certificate's: the same DER with the SCT list extension removed (RFC 6962 §3.2).
// Every other element, and every other extension, is kept byte for byte; only the
// lengths of the enclosing SEQUENCEs change. An extensions field left empty is dropped.
func precertTBS(rawTBS []byte) ([]byte, error) {
	var tbs asn1.RawValue
	rest, err := asn1.Unmarshal(rawTBS, &tbs)
	if err != nil {
		return nil, fmt.Errorf("TBSCertificate: %v", err)
	}
	if len(rest) != 0 || tbs.Class != asn1.ClassUniversal || tbs.Tag != asn1.TagSequence || !tbs.IsCompound {
		return nil, errors.New("TBSCertificate is not a single SEQUENCE")
	}
	var out []byte
	removed := 0
	for b := tbs.Bytes; len(b) > 0; {
		var field asn1.RawValue
		b, err = asn1.Unmarshal(b, &field)
		if err != nil {
			return nil, fmt.Errorf("TBSCertificate field: %v", err)
		}
		if field.Class != asn1.ClassContextSpecific || field.Tag != 3 {
			out = append(out, field.FullBytes...)
			continue
		}
		// extensions [3] EXPLICIT SEQUENCE SIZE (1..MAX) OF Extension
		if !field.IsCompound {
			return nil, errors.New("TBSCertificate extensions field is not constructed")
		}
		var exts asn1.RawValue
		r, err := asn1.Unmarshal(field.Bytes, &exts)
		if err != nil || len(r) != 0 || exts.Class != asn1.ClassUniversal || exts.Tag != asn1.TagSequence || !exts.IsCompound {
			return nil, errors.New("TBSCertificate extensions are not a single SEQUENCE")
		}
		var kept []byte
		for eb := exts.Bytes; len(eb) > 0; {
			var ext asn1.RawValue
			eb, err = asn1.Unmarshal(eb, &ext)
			if err != nil {
				return nil, fmt.Errorf("extension: %v", err)
			}
			var id asn1.ObjectIdentifier
			if ext.Class != asn1.ClassUniversal || ext.Tag != asn1.TagSequence || !ext.IsCompound {
				return nil, errors.New("extension is not a SEQUENCE")
			}
			if _, err := asn1.Unmarshal(ext.Bytes, &id); err != nil {
				return nil, errors.New("extension does not start with an OID")
			}
			if id.Equal(OIDSCTList) {
				removed++
				continue
			}
			kept = append(kept, ext.FullBytes...)
		}
		if len(kept) == 0 {
			continue
		}
		seq, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: kept})
		if err != nil {
			return nil, err
		}
		wrapped, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 3, IsCompound: true, Bytes: seq})
		if err != nil {
			return nil, err
		}
		out = append(out, wrapped...)
	}
	if removed != 1 {
		return nil, fmt.Errorf("TBSCertificate has %d SCT list extensions, want 1", removed)
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: out})
}
