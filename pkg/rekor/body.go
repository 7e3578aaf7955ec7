package rekor

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/trust"
)

// Entry kinds and versions signet reads.
const (
	KindHashedRekord = "hashedrekord"
	KindDSSE         = "dsse"
	KindIntoto       = "intoto"
)

// VerifyBody checks that the entry body records what the bundle claims: the signature, the
// key or certificate, and the subject (artifact digest or DSSE payload). The body is parsed
// as the kind and version e.KindVersion names, which must be the body's own "kind" and
// "apiVersion":
//
//   - hashedrekord 0.0.1 (Rekor v1): spec.data.hash is the artifact digest (hex),
//     spec.signature.content the signature, spec.signature.publicKey.content the base64 of
//     the PEM certificate or public key.
//   - dsse 0.0.1 (Rekor v1): spec.payloadHash is SHA-256 of the envelope payload (hex);
//     spec.signatures are exactly the envelope's signatures, each with the bundle's
//     certificate or key as verifier (base64 of PEM). spec.envelopeHash is not checked: it
//     hashes the envelope JSON as submitted, which no reader can rebuild.
//   - intoto 0.0.2 (Rekor v1, legacy): spec.content.envelope carries the payload type, the
//     signatures (sig: base64 of the envelope's base64 signature; publicKey: base64 of PEM)
//     and, in older entries only, the payload (base64 of the envelope's base64 payload);
//     spec.content.payloadHash is SHA-256 of the payload (hex). At least one of payload and
//     payloadHash must be present, and every one present must match. spec.content.hash
//     (the envelope hash) is not checked, as for dsse.
//   - hashedrekord 0.0.2 (Rekor v2): spec.hashedRekordV002.data is {algorithm, digest} with
//     the hash of the verifier's key details; signature {content, verifier{keyDetails,
//     x509Certificate | publicKey {rawBytes DER}}}. For message signatures data is the
//     artifact digest; for DSSE bundles it is the hash of PAE(payloadType, payload) and
//     content is the envelope's single signature. A publicKey verifier matches a
//     certificate bundle when it is the certificate's key, as some clients log it.
//   - dsse 0.0.2 (Rekor v2, deprecated, read only): spec.dsseV002.payloadHash {algorithm,
//     digest} of the payload; signatures [{content, verifier}] as for dsse 0.0.1.
//
// A field that differs is reported as a *MismatchError.
func VerifyBody(e *pbrekor.TransparencyLogEntry, exp Expected) error {
	if err := exp.check(); err != nil {
		return err
	}
	body := e.GetCanonicalizedBody()
	if len(body) == 0 {
		return fmt.Errorf("%w: empty", ErrMalformedBody)
	}
	if len(body) > MaxBodySize {
		return fmt.Errorf("%w: larger than %d bytes", ErrMalformedBody, MaxBodySize)
	}
	kv := e.GetKindVersion()
	if kv == nil {
		return errors.New("log entry has no kind and version")
	}
	var top struct {
		APIVersion, Kind string
		Spec             json.RawMessage
	}
	if err := decodeObject(body, fields{"apiVersion": &top.APIVersion, "kind": &top.Kind, "spec": &top.Spec},
		"apiVersion", "kind", "spec"); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedBody, err)
	}
	if top.Kind != kv.GetKind() || top.APIVersion != kv.GetVersion() {
		return fmt.Errorf("%w: body is %s %s, the entry says %s %s",
			ErrMalformedBody, top.Kind, top.APIVersion, kv.GetKind(), kv.GetVersion())
	}
	var err error
	switch top.Kind + " " + top.APIVersion {
	case KindHashedRekord + " 0.0.1":
		err = verifyHashedRekordV001(top.Spec, &exp)
	case KindDSSE + " 0.0.1":
		err = verifyDSSEV001(top.Spec, &exp)
	case KindIntoto + " 0.0.2":
		err = verifyIntotoV002(top.Spec, &exp)
	case KindHashedRekord + " 0.0.2":
		err = verifyHashedRekordV002(top.Spec, &exp)
	case KindDSSE + " 0.0.2":
		err = verifyDSSEV002(top.Spec, &exp)
	default:
		return fmt.Errorf("%w: %q version %q", ErrUnsupportedKind, top.Kind, top.APIVersion)
	}
	if err != nil {
		return fmt.Errorf("%s %s entry: %w", top.Kind, top.APIVersion, err)
	}
	return nil
}

func (exp *Expected) check() error {
	if (exp.Certificate == nil) == (exp.PublicKey == nil) {
		return errors.New("exactly one of the expected certificate and public key must be set")
	}
	if exp.Envelope != nil {
		if len(exp.Envelope.Signatures) == 0 {
			return errors.New("the expected DSSE envelope has no signature")
		}
		if exp.Signature != nil && (len(exp.Envelope.Signatures) != 1 || !bytes.Equal(exp.Signature, exp.Envelope.Signatures[0].Sig)) {
			return errors.New("the expected signature is not the DSSE envelope's single signature")
		}
	}
	return nil
}

// bundleKey returns the public key the bundle's verification material holds.
func (exp *Expected) bundleKey() (crypto.PublicKey, error) {
	if exp.PublicKey != nil {
		return exp.PublicKey, nil
	}
	cert, err := x509.ParseCertificate(exp.Certificate)
	if err != nil {
		return nil, fmt.Errorf("the expected certificate does not parse: %w", err)
	}
	return cert.PublicKey, nil
}

func (exp *Expected) needMessage() error {
	if exp.Envelope != nil {
		return errors.New("this entry kind records a message signature, but the bundle holds a DSSE envelope")
	}
	if exp.Signature == nil {
		return errors.New("the bundle's message signature is missing")
	}
	if !exp.Hash.Available() || len(exp.Digest) != exp.Hash.Size() {
		return fmt.Errorf("the expected artifact digest is %d bytes of %v", len(exp.Digest), exp.Hash)
	}
	return nil
}

func (exp *Expected) needEnvelope() error {
	if exp.Envelope == nil {
		return errors.New("this entry kind records a DSSE envelope, but the bundle holds a message signature")
	}
	return nil
}

// --- hashedrekord 0.0.1 ---

type hashValue struct{ Algorithm, Value string }

func (h *hashValue) UnmarshalJSON(b []byte) error {
	return decodeObject(b, fields{"algorithm": &h.Algorithm, "value": &h.Value}, "algorithm", "value")
}

type hashedRekordV001 struct {
	Data      struct{ Hash hashValue }
	Signature hashedRekordV001Signature
}

func (s *hashedRekordV001) UnmarshalJSON(b []byte) error {
	return decodeObject(b, fields{"data": jsonFunc(func(b []byte) error {
		return decodeObject(b, fields{"hash": &s.Data.Hash}, "hash")
	}), "signature": &s.Signature}, "data", "signature")
}

type hashedRekordV001Signature struct {
	Content   string
	PublicKey struct{ Content string }
}

func (s *hashedRekordV001Signature) UnmarshalJSON(b []byte) error {
	return decodeObject(b, fields{"content": &s.Content, "publicKey": jsonFunc(func(b []byte) error {
		return decodeObject(b, fields{"content": &s.PublicKey.Content}, "content")
	})}, "content", "publicKey")
}

func verifyHashedRekordV001(spec []byte, exp *Expected) error {
	if err := exp.needMessage(); err != nil {
		return err
	}
	var s hashedRekordV001
	if err := s.UnmarshalJSON(spec); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedBody, err)
	}
	if err := compareHexDigest("artifact digest", s.Data.Hash, exp.Hash, exp.Digest); err != nil {
		return err
	}
	if err := compareSignature(s.Signature.Content, exp.Signature); err != nil {
		return err
	}
	return comparePEMVerifier(s.Signature.PublicKey.Content, exp)
}

// jsonFunc decodes a value with a function.
type jsonFunc func([]byte) error

func (f jsonFunc) UnmarshalJSON(b []byte) error { return f(b) }

var v1HashNames = map[string]crypto.Hash{"sha256": crypto.SHA256, "sha384": crypto.SHA384, "sha512": crypto.SHA512}

// compareHexDigest compares a Rekor v1 {algorithm, value hex} with a digest.
func compareHexDigest(what string, got hashValue, h crypto.Hash, want []byte) error {
	alg, ok := v1HashNames[got.Algorithm]
	if !ok {
		return fmt.Errorf("%w: unknown hash algorithm %q", ErrMalformedBody, got.Algorithm)
	}
	value, err := hex.DecodeString(got.Value)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not hex", ErrMalformedBody, what, got.Value)
	}
	if alg != h || !bytes.Equal(value, want) {
		return &MismatchError{What: what,
			Entry:  got.Algorithm + ":" + strings.ToLower(got.Value),
			Bundle: v1HashName(h) + ":" + hex.EncodeToString(want)}
	}
	return nil
}

func v1HashName(h crypto.Hash) string {
	for name, hh := range v1HashNames {
		if hh == h {
			return name
		}
	}
	return h.String()
}

// compareSignature compares a base64 signature from the body with the bundle's.
func compareSignature(b64 string, want []byte) error {
	sig, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64: %v", ErrMalformedBody, err)
	}
	if !bytes.Equal(sig, want) {
		return &MismatchError{What: "signature", Entry: abbrev(sig), Bundle: abbrev(want)}
	}
	return nil
}

// comparePEMVerifier compares a Rekor v1 verifier, base64 of a PEM certificate or public
// key, with the bundle's certificate or key.
func comparePEMVerifier(b64 string, exp *Expected) error {
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return fmt.Errorf("%w: verifier is not base64: %v", ErrMalformedBody, err)
	}
	block, rest := pem.Decode(raw)
	if block == nil || len(bytes.TrimSpace(rest)) != 0 {
		return fmt.Errorf("%w: verifier is not one PEM block", ErrMalformedBody)
	}
	switch block.Type {
	case "CERTIFICATE":
		return compareCertificate(block.Bytes, exp)
	case "PUBLIC KEY":
		return comparePublicKey(block.Bytes, exp)
	}
	return fmt.Errorf("%w: verifier is a PEM %q block", ErrMalformedBody, block.Type)
}

func compareCertificate(der []byte, exp *Expected) error {
	if exp.Certificate == nil {
		return &MismatchError{What: "public key", Entry: "a certificate " + fingerprint(der), Bundle: bundleKeyEvidence(exp)}
	}
	if !bytes.Equal(der, exp.Certificate) {
		return &MismatchError{What: "certificate", Entry: fingerprint(der), Bundle: fingerprint(exp.Certificate)}
	}
	return nil
}

func comparePublicKey(der []byte, exp *Expected) error {
	if exp.PublicKey == nil {
		return &MismatchError{What: "certificate", Entry: "a public key " + fingerprint(der), Bundle: fingerprint(exp.Certificate)}
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return fmt.Errorf("%w: verifier public key: %v", ErrMalformedBody, err)
	}
	want, ok := exp.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !want.Equal(pub) {
		return &MismatchError{What: "public key", Entry: fingerprint(der), Bundle: bundleKeyEvidence(exp)}
	}
	return nil
}

// compareCertificateKey compares a public key verifier (DER) with the key of the bundle's
// certificate.
func compareCertificateKey(der []byte, exp *Expected) error {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return fmt.Errorf("%w: verifier public key: %v", ErrMalformedBody, err)
	}
	certKey, err := exp.bundleKey()
	if err != nil {
		return err
	}
	if k, ok := certKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(pub) {
		return &MismatchError{What: "public key", Entry: fingerprint(der), Bundle: "the key of certificate " + fingerprint(exp.Certificate)}
	}
	return nil
}

func bundleKeyEvidence(exp *Expected) string {
	if exp.Certificate != nil {
		return "a certificate " + fingerprint(exp.Certificate)
	}
	der, err := x509.MarshalPKIXPublicKey(exp.PublicKey)
	if err != nil {
		return fmt.Sprintf("a %T", exp.PublicKey)
	}
	return fingerprint(der)
}

// --- dsse 0.0.1 ---

type dsseV001Signature struct{ Signature, Verifier string }

func (s *dsseV001Signature) UnmarshalJSON(b []byte) error {
	return decodeObject(b, fields{"signature": &s.Signature, "verifier": &s.Verifier}, "signature", "verifier")
}

func verifyDSSEV001(spec []byte, exp *Expected) error {
	if err := exp.needEnvelope(); err != nil {
		return err
	}
	var envelopeHash, payloadHash *hashValue
	var sigs []dsseV001Signature
	if err := decodeObject(spec, fields{"envelopeHash": &envelopeHash, "payloadHash": &payloadHash, "signatures": &sigs},
		"payloadHash", "signatures"); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedBody, err)
	}
	if payloadHash == nil {
		return fmt.Errorf("%w: no payload hash", ErrMalformedBody)
	}
	if err := comparePayloadHash(*payloadHash, exp.Envelope.Payload); err != nil {
		return err
	}
	if len(sigs) > maxBodySignatures {
		return fmt.Errorf("%w: %d signatures", ErrMalformedBody, len(sigs))
	}
	var got []bodySignature
	for _, s := range sigs {
		sig, err := decodeStd(s.Signature)
		if err != nil {
			return err
		}
		got = append(got, bodySignature{sig: sig, checkVerifier: func() error { return comparePEMVerifier(s.Verifier, exp) }})
	}
	return compareSignatures(got, exp)
}

// comparePayloadHash compares a Rekor v1 payload hash {algorithm, value hex} with the hash
// of the envelope's payload.
func comparePayloadHash(got hashValue, payload []byte) error {
	alg, ok := v1HashNames[got.Algorithm]
	if !ok {
		return fmt.Errorf("%w: unknown payload hash algorithm %q", ErrMalformedBody, got.Algorithm)
	}
	h := alg.New()
	h.Write(payload)
	return compareHexDigest("DSSE payload", got, alg, h.Sum(nil))
}

// bodySignature is one signature listed in a dsse or intoto body, with a check that its
// verifier is the bundle's certificate or key.
type bodySignature struct {
	sig           []byte
	checkVerifier func() error
}

// compareSignatures checks that the body lists exactly the envelope's signatures, each
// with the bundle's verifier.
func compareSignatures(got []bodySignature, exp *Expected) error {
	want := exp.Envelope.Signatures
	if len(got) != len(want) {
		return &MismatchError{What: "signature", Entry: fmt.Sprintf("%d signatures", len(got)), Bundle: fmt.Sprintf("%d signatures", len(want))}
	}
	used := make([]bool, len(want))
	for _, g := range got {
		found := false
		for j, w := range want {
			if !used[j] && bytes.Equal(g.sig, w.Sig) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return &MismatchError{What: "signature", Entry: abbrev(g.sig), Bundle: abbrev(want[0].Sig)}
		}
		if err := g.checkVerifier(); err != nil {
			return err
		}
	}
	return nil
}

func decodeStd(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not base64: %v", ErrMalformedBody, err)
	}
	return b, nil
}

// --- intoto 0.0.2 ---

type intotoV002Signature struct {
	KeyID          *string
	Sig, PublicKey string
}

func (s *intotoV002Signature) UnmarshalJSON(b []byte) error {
	return decodeObject(b, fields{"keyid": &s.KeyID, "sig": &s.Sig, "publicKey": &s.PublicKey}, "sig", "publicKey")
}

type intotoV002Envelope struct {
	PayloadType string
	Payload     *string
	Signatures  []intotoV002Signature
}

func (e *intotoV002Envelope) UnmarshalJSON(b []byte) error {
	return decodeObject(b, fields{"payloadType": &e.PayloadType, "payload": &e.Payload, "signatures": &e.Signatures},
		"payloadType", "signatures")
}

func verifyIntotoV002(spec []byte, exp *Expected) error {
	if err := exp.needEnvelope(); err != nil {
		return err
	}
	var content struct {
		Envelope          intotoV002Envelope
		Hash, PayloadHash *hashValue
	}
	err := decodeObject(spec, fields{"content": jsonFunc(func(b []byte) error {
		return decodeObject(b, fields{"envelope": &content.Envelope, "hash": &content.Hash, "payloadHash": &content.PayloadHash}, "envelope")
	})}, "content")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedBody, err)
	}
	env := content.Envelope
	if env.PayloadType != exp.Envelope.PayloadType {
		return &MismatchError{What: "DSSE payload type", Entry: fmt.Sprintf("%q", env.PayloadType), Bundle: fmt.Sprintf("%q", exp.Envelope.PayloadType)}
	}
	if env.Payload == nil && content.PayloadHash == nil {
		return fmt.Errorf("%w: records neither the DSSE payload nor its hash", ErrMalformedBody)
	}
	if env.Payload != nil {
		payload, err := decodeTwice(*env.Payload)
		if err != nil {
			return &MismatchError{What: "DSSE payload", Entry: "not base64 of base64 (" + err.Error() + ")", Bundle: fingerprint(exp.Envelope.Payload)}
		}
		if !bytes.Equal(payload, exp.Envelope.Payload) {
			return &MismatchError{What: "DSSE payload", Entry: fingerprint(payload), Bundle: fingerprint(exp.Envelope.Payload)}
		}
	}
	if content.PayloadHash != nil {
		if err := comparePayloadHash(*content.PayloadHash, exp.Envelope.Payload); err != nil {
			return err
		}
	}
	if len(env.Signatures) > maxBodySignatures {
		return fmt.Errorf("%w: %d signatures", ErrMalformedBody, len(env.Signatures))
	}
	var got []bodySignature
	for _, s := range env.Signatures {
		sig, err := decodeTwice(s.Sig)
		if err != nil {
			// A signature encoded only once is not the envelope's signature as this
			// format records it.
			return &MismatchError{What: "signature", Entry: "not base64 of base64 (" + err.Error() + ")", Bundle: abbrev(exp.Envelope.Signatures[0].Sig)}
		}
		got = append(got, bodySignature{sig: sig, checkVerifier: func() error { return comparePEMVerifier(s.PublicKey, exp) }})
	}
	return compareSignatures(got, exp)
}

// decodeTwice undoes the intoto 0.0.2 encoding: the body holds the standard base64 of the
// envelope's own base64 text, which DSSE allows in standard or URL-safe form, padded or not.
func decodeTwice(s string) ([]byte, error) {
	inner, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("outer: %v", err)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(string(inner)); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("inner layer is not base64")
}

// --- Rekor v2: hashedrekord 0.0.2, dsse 0.0.2 ---

// hashOutput is a protobuf-specs HashOutput in proto3 JSON.
type hashOutput struct{ Algorithm, Digest string }

func (h *hashOutput) UnmarshalJSON(b []byte) error {
	return decodeObject(b, fields{"algorithm": &h.Algorithm, "digest": &h.Digest}, "algorithm", "digest")
}

type v2Verifier struct {
	KeyDetails                 string
	X509Certificate, PublicKey *struct{ RawBytes string }
}

func (v *v2Verifier) UnmarshalJSON(b []byte) error {
	raw := func(dst **struct{ RawBytes string }) jsonFunc {
		return func(b []byte) error {
			*dst = new(struct{ RawBytes string })
			return decodeObject(b, fields{"rawBytes": &(*dst).RawBytes}, "rawBytes")
		}
	}
	return decodeObject(b, fields{"keyDetails": &v.KeyDetails, "x509Certificate": raw(&v.X509Certificate), "publicKey": raw(&v.PublicKey)},
		"keyDetails")
}

type v2Signature struct {
	Content  string
	Verifier v2Verifier
}

func (s *v2Signature) UnmarshalJSON(b []byte) error {
	return decodeObject(b, fields{"content": &s.Content, "verifier": &s.Verifier}, "content", "verifier")
}

var v2HashNames = map[string]crypto.Hash{"SHA2_256": crypto.SHA256, "SHA2_384": crypto.SHA384, "SHA2_512": crypto.SHA512}

func v2HashName(h crypto.Hash) string {
	for name, hh := range v2HashNames {
		if hh == h {
			return name
		}
	}
	return h.String()
}

func verifyHashedRekordV002(spec []byte, exp *Expected) error {
	var s struct {
		Data      hashOutput
		Signature v2Signature
	}
	err := decodeObject(spec, fields{"hashedRekordV002": jsonFunc(func(b []byte) error {
		return decodeObject(b, fields{"data": &s.Data, "signature": &s.Signature}, "data", "signature")
	})}, "hashedRekordV002")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedBody, err)
	}
	keyHash, err := compareV2Verifier(s.Signature.Verifier, exp, true)
	if err != nil {
		return err
	}
	alg, ok := v2HashNames[s.Data.Algorithm]
	if !ok {
		return fmt.Errorf("%w: unknown digest algorithm %q", ErrMalformedBody, s.Data.Algorithm)
	}
	if alg != keyHash {
		return fmt.Errorf("%w: digest algorithm %s is not the %v of key details %s", ErrMalformedBody, s.Data.Algorithm, keyHash, s.Signature.Verifier.KeyDetails)
	}
	digest, err := base64.StdEncoding.Strict().DecodeString(s.Data.Digest)
	if err != nil {
		return fmt.Errorf("%w: digest is not base64: %v", ErrMalformedBody, err)
	}
	var wantSig []byte
	if exp.Envelope != nil {
		// Rekor v2 logs a DSSE envelope as a hashedrekord over its PAE.
		if len(exp.Envelope.Signatures) != 1 {
			return fmt.Errorf("a DSSE envelope with %d signatures cannot be a hashedrekord entry", len(exp.Envelope.Signatures))
		}
		h := alg.New()
		h.Write(dsse.PAE(exp.Envelope.PayloadType, exp.Envelope.Payload))
		if pae := h.Sum(nil); !bytes.Equal(digest, pae) {
			return &MismatchError{What: "DSSE payload",
				Entry:  s.Data.Algorithm + ":" + hex.EncodeToString(digest),
				Bundle: s.Data.Algorithm + ":" + hex.EncodeToString(pae) + " (hash of the envelope's PAE)"}
		}
		wantSig = exp.Envelope.Signatures[0].Sig
	} else {
		if err := exp.needMessage(); err != nil {
			return err
		}
		if alg != exp.Hash || !bytes.Equal(digest, exp.Digest) {
			return &MismatchError{What: "artifact digest",
				Entry:  s.Data.Algorithm + ":" + hex.EncodeToString(digest),
				Bundle: v2HashName(exp.Hash) + ":" + hex.EncodeToString(exp.Digest)}
		}
		wantSig = exp.Signature
	}
	return compareSignature(s.Signature.Content, wantSig)
}

func verifyDSSEV002(spec []byte, exp *Expected) error {
	if err := exp.needEnvelope(); err != nil {
		return err
	}
	var s struct {
		PayloadHash hashOutput
		Signatures  []v2Signature
	}
	err := decodeObject(spec, fields{"dsseV002": jsonFunc(func(b []byte) error {
		return decodeObject(b, fields{"payloadHash": &s.PayloadHash, "signatures": &s.Signatures}, "payloadHash", "signatures")
	})}, "dsseV002")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedBody, err)
	}
	alg, ok := v2HashNames[s.PayloadHash.Algorithm]
	if !ok {
		return fmt.Errorf("%w: unknown payload hash algorithm %q", ErrMalformedBody, s.PayloadHash.Algorithm)
	}
	digest, err := base64.StdEncoding.Strict().DecodeString(s.PayloadHash.Digest)
	if err != nil {
		return fmt.Errorf("%w: payload hash is not base64: %v", ErrMalformedBody, err)
	}
	h := alg.New()
	h.Write(exp.Envelope.Payload)
	if sum := h.Sum(nil); !bytes.Equal(digest, sum) {
		return &MismatchError{What: "DSSE payload",
			Entry:  s.PayloadHash.Algorithm + ":" + hex.EncodeToString(digest),
			Bundle: s.PayloadHash.Algorithm + ":" + hex.EncodeToString(sum)}
	}
	if len(s.Signatures) > maxBodySignatures {
		return fmt.Errorf("%w: %d signatures", ErrMalformedBody, len(s.Signatures))
	}
	var got []bodySignature
	for _, sig := range s.Signatures {
		content, err := decodeStd(sig.Content)
		if err != nil {
			return err
		}
		got = append(got, bodySignature{sig: content, checkVerifier: func() error {
			_, err := compareV2Verifier(sig.Verifier, exp, false)
			return err
		}})
	}
	return compareSignatures(got, exp)
}

// compareV2Verifier compares a Rekor v2 verifier with the bundle's certificate or key, and
// returns the hash its key details name (which must suit the key). With certKey, a public
// key verifier also matches a certificate bundle whose certificate holds that key.
func compareV2Verifier(v v2Verifier, exp *Expected, certKey bool) (crypto.Hash, error) {
	if (v.X509Certificate == nil) == (v.PublicKey == nil) {
		return 0, fmt.Errorf("%w: verifier must hold exactly one of a certificate and a public key", ErrMalformedBody)
	}
	if v.X509Certificate != nil {
		der, err := base64.StdEncoding.Strict().DecodeString(v.X509Certificate.RawBytes)
		if err != nil {
			return 0, fmt.Errorf("%w: verifier certificate is not base64: %v", ErrMalformedBody, err)
		}
		if err := compareCertificate(der, exp); err != nil {
			return 0, err
		}
	} else {
		der, err := base64.StdEncoding.Strict().DecodeString(v.PublicKey.RawBytes)
		if err != nil {
			return 0, fmt.Errorf("%w: verifier public key is not base64: %v", ErrMalformedBody, err)
		}
		if certKey && exp.Certificate != nil {
			err = compareCertificateKey(der, exp)
		} else {
			err = comparePublicKey(der, exp)
		}
		if err != nil {
			return 0, err
		}
	}
	pub, err := exp.bundleKey()
	if err != nil {
		return 0, err
	}
	return keyDetailsHash(v.KeyDetails, pub)
}

// keyDetailsHash returns the prehash of a signing algorithm from the algorithm registry,
// after checking that it suits the key. Rekor v2 refuses algorithms without a prehash
// (pure Ed25519) and the deprecated ones that name no key size, so they are refused here too.
func keyDetailsHash(name string, pub crypto.PublicKey) (crypto.Hash, error) {
	kd, ok := pbcommon.PublicKeyDetails_value[name]
	if !ok {
		return 0, fmt.Errorf("%w: unknown key details %q", ErrMalformedBody, name)
	}
	d := pbcommon.PublicKeyDetails(kd)
	h, fits, ok := trust.KeyAlgorithm(d, pub)
	if !ok || !rekorV2Algorithms[d] {
		return 0, fmt.Errorf("%w: key details %s name no algorithm with a prehash", ErrUnsupportedKind, name)
	}
	if !fits {
		return 0, &MismatchError{What: "key details", Entry: name, Bundle: trust.DescribeKey(pub)}
	}
	return h, nil
}

// rekorV2Algorithms are the key details of the signing algorithms Rekor v2 logs.
var rekorV2Algorithms = map[pbcommon.PublicKeyDetails]bool{
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256:       true,
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384:       true,
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_256:       true,
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512:       true,
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_256:       true,
	pbcommon.PublicKeyDetails_PKIX_ED25519_PH:               true,
	pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256: true,
	pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256: true,
	pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256: true,
	pbcommon.PublicKeyDetails_PKIX_RSA_PSS_2048_SHA256:      true,
	pbcommon.PublicKeyDetails_PKIX_RSA_PSS_3072_SHA256:      true,
	pbcommon.PublicKeyDetails_PKIX_RSA_PSS_4096_SHA256:      true,
}
