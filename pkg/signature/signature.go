// Package signature verifies raw signatures with the key types of the Sigstore algorithm
// registry: ECDSA (P-256, P-384, P-521, ASN.1 DER signatures), Ed25519 (pure and pre-hashed)
// and RSA PKCS#1 v1.5. It owns nothing but the mapping from a public key and a hash to the
// right primitive; it trusts its caller to have chosen the key.
package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrMismatch reports a signature that does not verify under the given key.
var ErrMismatch = errors.New("signature does not verify")

// Fingerprint names a public key: the hex SHA-256 of its DER SubjectPublicKeyInfo.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// DefaultHash is the hash a key of this type signs with by default in Sigstore:
// SHA-256 for P-256 and RSA, SHA-384 for P-384, SHA-512 for P-521 and zero for Ed25519,
// which hashes internally.
func DefaultHash(pub crypto.PublicKey) crypto.Hash {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P384():
			return crypto.SHA384
		case elliptic.P521():
			return crypto.SHA512
		}
		return crypto.SHA256
	case ed25519.PublicKey:
		return 0
	}
	return crypto.SHA256
}

// Verify checks sig over message. ECDSA and RSA hash message with h; pure Ed25519 signs
// the message itself and ignores h.
func Verify(pub crypto.PublicKey, h crypto.Hash, message, sig []byte) error {
	if k, ok := pub.(ed25519.PublicKey); ok {
		if !ed25519.Verify(k, message, sig) {
			return ErrMismatch
		}
		return nil
	}
	if !h.Available() {
		return fmt.Errorf("unsupported hash algorithm %v", h)
	}
	hh := h.New()
	hh.Write(message)
	return VerifyDigest(pub, h, hh.Sum(nil), sig)
}

// VerifyDigest checks sig over a digest made with h. For Ed25519 keys it verifies an
// Ed25519ph signature, which requires h to be SHA-512.
func VerifyDigest(pub crypto.PublicKey, h crypto.Hash, digest, sig []byte) error {
	if h.Available() && len(digest) != h.Size() {
		return fmt.Errorf("digest is %d bytes, want %d for %v", len(digest), h.Size(), h)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return ErrMismatch
		}
		return nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("RSA key of %d bits is too small", k.N.BitLen())
		}
		if rsa.VerifyPKCS1v15(k, h, digest, sig) != nil {
			return ErrMismatch
		}
		return nil
	case ed25519.PublicKey:
		if h != crypto.SHA512 {
			return errors.New("an Ed25519 key cannot verify a pre-hashed message other than Ed25519ph with SHA-512")
		}
		if ed25519.VerifyWithOptions(k, digest, sig, &ed25519.Options{Hash: crypto.SHA512}) != nil {
			return ErrMismatch
		}
		return nil
	}
	return fmt.Errorf("unsupported public key type %T", pub)
}
