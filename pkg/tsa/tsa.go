// Package tsa owns RFC 3161 timestamps: it builds timestamp requests (TimeStampReq), parses
// timestamp responses and tokens (TimeStampResp, or a bare CMS SignedData TimeStampToken) with
// its own DER code, and verifies a token as a Sigstore verifier must: the message imprint is the
// hash of the signature it vouches for, the CMS signature is made by a certificate that chains,
// at the timestamp's own time, to a timestamp authority of the trusted root whose validity window
// contains that time, and the signed attributes follow RFC 5652, RFC 3161 and RFC 5816.
//
// It trusts only the authorities its caller passes to Verify (normally the trusted root's
// timestampAuthorities). Certificates embedded in a token are never trusted by themselves: they
// only help to build a chain to one of those authorities. Parse checks structure only; a parsed
// Timestamp proves nothing until Verify succeeds. Everything but Client, which asks a TSA for a
// timestamp over HTTP, is pure and offline.
package tsa

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"time"
)

// MaxResponseSize bounds a DER timestamp response or token; Parse refuses larger inputs.
const MaxResponseSize = 1 << 20

// Limits on the parts of a token, to bound the work an input can cause.
const (
	maxCertificates     = 16 // certificates embedded in the SignedData
	maxAttributes       = 32 // signed attributes of the SignerInfo
	maxAlgorithms       = 8  // digestAlgorithms of the SignedData
	maxESSCertIDs       = 16 // certificate identifiers in an ESS signingCertificate(V2)
	maxExtensions       = 16 // TSTInfo extensions
	maxAccuracySeconds  = 1 << 31
	maxStatusStringRune = 256 // characters of a rejection's statusString kept in the error
)

// Errors a caller can branch on. Verify's errors wrap exactly one of them; their messages say
// what failed.
var (
	// ErrUntrusted reports a timestamp that no trusted timestamp authority vouches for: its time
	// is outside every authority's validity window, its signing certificate does not chain to an
	// authority (or did not at the timestamp's time), or that certificate may not sign timestamps.
	ErrUntrusted = errors.New("timestamp was not issued by a trusted timestamp authority")
	// ErrInvalid reports a timestamp that is not what it claims: its message imprint is over other
	// bytes, its CMS signature does not verify, or its signed attributes break the CMS rules.
	ErrInvalid = errors.New("invalid timestamp")
)

// Timestamp is a parsed RFC 3161 timestamp token. Parse fills it; Verify checks it.
type Timestamp struct {
	Time          time.Time   // TSTInfo genTime, in UTC
	Hash          crypto.Hash // message imprint hash algorithm
	HashedMessage []byte      // message imprint
	Nonce         *big.Int    // nil when the token carries none
	Policy        asn1.ObjectIdentifier
	SerialNumber  *big.Int
	Accuracy      time.Duration
	Ordering      bool
	Certificates  []*x509.Certificate // certificates embedded in the SignedData (may be empty)

	eContent []byte // DER of the TSTInfo, as signed
	signer   signerInfo
}

// signerInfo is the one CMS SignerInfo of a timestamp token.
type signerInfo struct {
	// sid: either issuer and serial (version 1) or subject key identifier (version 3).
	issuer []byte // DER Name
	serial *big.Int
	skid   []byte

	digestOID asn1.ObjectIdentifier
	// signedAttrs is the DER of the signed attributes re-tagged as SET OF, i.e. the bytes
	// the signature is over (RFC 5652 §5.4). nil when the SignerInfo has none.
	signedAttrs   []byte
	contentType   asn1.ObjectIdentifier // content-type attribute, nil if absent
	messageDigest []byte                // message-digest attribute, nil if absent
	essV1         *essCertID            // first ESSCertID of signingCertificate
	essV2         *essCertID            // first ESSCertIDv2 of signingCertificateV2

	sigAlgOID    asn1.ObjectIdentifier
	sigAlgParams []byte // DER of the parameters, nil when absent
	signature    []byte
}

// essCertID identifies the signing certificate (RFC 2634 §5.4, RFC 5035 §4).
type essCertID struct {
	hash     crypto.Hash
	certHash []byte
	issuer   []byte // DER Name from the directoryName of issuerSerial; nil if no issuerSerial
	serial   *big.Int
	hasIS    bool // issuerSerial present
}

// Object identifiers.
var (
	oidSignedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCert    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSigningCertV2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidSHA1           = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidECDSAWithSHA   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3} // .2 SHA-256, .3 SHA-384, .4 SHA-512
	oidECPublicKey    = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidRSAEncryption  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidRSAPSS         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidEd25519        = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidExtKeyUsage    = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidKPTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
)

// hashFromOID maps the digest algorithms signet accepts for message imprints, CMS digests and
// ESS certificate hashes. SHA-1 is accepted only where sha1OK (ESS signingCertificate v1, whose
// hash is fixed to SHA-1 by RFC 2634).
func hashFromOID(oid asn1.ObjectIdentifier, sha1OK bool) (crypto.Hash, bool) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, true
	case oid.Equal(oidSHA384):
		return crypto.SHA384, true
	case oid.Equal(oidSHA512):
		return crypto.SHA512, true
	case sha1OK && oid.Equal(oidSHA1):
		return crypto.SHA1, true
	}
	return 0, false
}

func oidFromHash(h crypto.Hash) (asn1.ObjectIdentifier, bool) {
	switch h {
	case crypto.SHA256:
		return oidSHA256, true
	case crypto.SHA384:
		return oidSHA384, true
	case crypto.SHA512:
		return oidSHA512, true
	}
	return nil, false
}

// hashName is the lower-case name used in messages ("sha256").
func hashName(h crypto.Hash) string {
	switch h {
	case crypto.SHA1:
		return "sha1"
	case crypto.SHA256:
		return "sha256"
	case crypto.SHA384:
		return "sha384"
	case crypto.SHA512:
		return "sha512"
	}
	return h.String()
}

func digest(h crypto.Hash, data []byte) []byte {
	hh := h.New()
	hh.Write(data)
	return hh.Sum(nil)
}
