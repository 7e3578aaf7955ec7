package trust

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
)

// ChainKind says what a certificate chain vouches for, and so what its first certificate is.
type ChainKind int

const (
	// CAChain is a certificate authority's chain: CA certificates only (intermediates, then
	// the root), as Fulcio's trust bundle and a trusted root's certificateAuthorities hold it.
	CAChain ChainKind = iota + 1
	// TSAChain is a timestamp authority's chain: the certificate that signs timestamps (with
	// the timeStamping extended key usage), then the CAs that issued it.
	TSAChain
)

func (k ChainKind) String() string {
	switch k {
	case CAChain:
		return "certificate authority"
	case TSAChain:
		return "timestamp authority"
	}
	return fmt.Sprintf("ChainKind(%d)", int(k))
}

// CheckChain checks that chain is a chain as a trusted root lists one: 1 to 10 certificates,
// each issued and signed by the next, the last one self-signed (the trust anchor), every
// issuer a CA, the first certificate fitting kind, and a time at which all of them are valid.
// It returns that time window, the longest a trusted root may give the authority.
//
// It says nothing about whether the chain deserves trust: that is the caller's decision.
func CheckChain(chain []*x509.Certificate, kind ChainKind) (TimeRange, error) {
	if len(chain) == 0 {
		return TimeRange{}, malformed("certificate chain is empty")
	}
	if len(chain) > maxAuthorityChainLength {
		return TimeRange{}, malformed("certificate chain has %d certificates (at most %d)", len(chain), maxAuthorityChainLength)
	}
	for i, c := range chain {
		if c == nil {
			return TimeRange{}, malformed("certificate %d is missing", i)
		}
	}
	first := chain[0]
	switch kind {
	case CAChain:
		for i, c := range chain {
			if !c.BasicConstraintsValid || !c.IsCA {
				return TimeRange{}, malformed("certificate %d (%s) is not a CA certificate: a CA chain holds the CA's certificates, not a leaf", i, describeCert(c))
			}
		}
	case TSAChain:
		if !slices.Contains(first.ExtKeyUsage, x509.ExtKeyUsageTimeStamping) {
			return TimeRange{}, malformed("certificate 0 (%s) has no timeStamping extended key usage: a timestamp authority's chain starts with the certificate that signs timestamps", describeCert(first))
		}
	default:
		return TimeRange{}, fmt.Errorf("trust: unknown chain kind %d", int(kind))
	}
	for i := 0; i+1 < len(chain); i++ {
		child, parent := chain[i], chain[i+1]
		if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
			return TimeRange{}, malformed("certificate %d (%s) was issued by %q, not by certificate %d (%s): not a chain",
				i, describeCert(child), child.Issuer, i+1, describeCert(parent))
		}
		if err := child.CheckSignatureFrom(parent); err != nil {
			return TimeRange{}, malformed("certificate %d (%s) is not signed by certificate %d (%s): %v",
				i, describeCert(child), i+1, describeCert(parent), err)
		}
	}
	root := chain[len(chain)-1]
	if !bytes.Equal(root.RawIssuer, root.RawSubject) {
		return TimeRange{}, malformed("the last certificate (%s) is not self-signed: it was issued by %q; add the certificates up to the root", describeCert(root), root.Issuer)
	}
	if err := root.CheckSignature(root.SignatureAlgorithm, root.RawTBSCertificate, root.Signature); err != nil {
		return TimeRange{}, malformed("the last certificate (%s) is not self-signed: %v", describeCert(root), err)
	}
	window := TimeRange{Start: first.NotBefore, End: first.NotAfter}
	for _, c := range chain[1:] {
		if c.NotBefore.After(window.Start) {
			window.Start = c.NotBefore
		}
		if c.NotAfter.Before(window.End) {
			window.End = c.NotAfter
		}
	}
	if window.End.Before(window.Start) {
		return TimeRange{}, malformed("the certificates of the chain are never valid at the same time (latest start %s, earliest end %s)",
			window.Start.UTC().Format(time.RFC3339), window.End.UTC().Format(time.RFC3339))
	}
	return window, nil
}

func describeCert(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	if s := c.Subject.String(); s != "" {
		return s
	}
	return fmt.Sprintf("serial %s", c.SerialNumber)
}

// NoteKeyID is the C2SP signed-note key ID (c2sp.org/signed-note) of a log that signs its
// checkpoints as origin with key, in full (32 bytes); checkpoint signatures carry its first
// 4 bytes as their key hint. A Rekor v2 log returns the full value as the log id of its
// entries (logId.keyId), and a trusted root lists it as the log's id.
//
//	Ed25519 (signature type 0x01): SHA-256(origin || 0x0A || 0x01 || 32-byte key)
//	ECDSA   (signature type 0x02): SHA-256(DER SubjectPublicKeyInfo); no origin, as the spec says
//	RSA     (type 0xff, then an identifier, as protobuf-specs' TrustedRoot describes):
//	        SHA-256(origin || 0x0A || 0xff || "PKIX-RSA-PKCS#1v1.5" || DER SubjectPublicKeyInfo)
func NoteKeyID(origin string, key crypto.PublicKey) ([]byte, error) {
	if err := checkNoteName(origin); err != nil {
		return nil, err
	}
	h := sha256.New()
	switch k := key.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, malformed("an Ed25519 key of %d bytes", len(k))
		}
		h.Write([]byte(origin + "\n"))
		h.Write([]byte{0x01})
		h.Write(k)
	case *ecdsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, malformed("public key: %v", err)
		}
		h.Write(der)
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, malformed("public key: %v", err)
		}
		h.Write([]byte(origin + "\n"))
		h.Write([]byte{0xff})
		h.Write([]byte("PKIX-RSA-PKCS#1v1.5"))
		h.Write(der)
	default:
		return nil, malformed("unsupported log key type %T", key)
	}
	return h.Sum(nil), nil
}

// checkNoteName checks a signed-note key name: non-empty UTF-8 without spaces or '+'.
func checkNoteName(name string) error {
	if name == "" {
		return malformed("a checkpoint origin (note key name) is needed")
	}
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '+' }) {
		return malformed("checkpoint origin %q is not a note key name (no spaces, control characters or '+')", name)
	}
	return nil
}

// KeyDetails names a log key's algorithm as a trusted root records it: PKIX_ECDSA_P256_SHA_256
// for a P-256 key, PKIX_ED25519, PKIX_RSA_PKCS1V15_2048_SHA256, and so on.
func KeyDetails(key crypto.PublicKey) (pbcommon.PublicKeyDetails, error) {
	switch k := key.(type) {
	case ed25519.PublicKey:
		return pbcommon.PublicKeyDetails_PKIX_ED25519, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, nil
		case elliptic.P384():
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384, nil
		case elliptic.P521():
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512, nil
		}
		return 0, malformed("unsupported ECDSA curve %s", k.Curve.Params().Name)
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 2048:
			return pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256, nil
		case 3072:
			return pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256, nil
		case 4096:
			return pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256, nil
		}
		return 0, malformed("unsupported RSA key size %d bits (2048, 3072 or 4096)", k.N.BitLen())
	}
	return 0, malformed("unsupported public key type %T (ECDSA, Ed25519 or RSA)", key)
}
