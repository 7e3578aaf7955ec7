package signature_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/pkg/signature"
)

func TestVerify(t *testing.T) {
	msg := []byte("hello, signet")
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)

	sign := func(s crypto.Signer, h crypto.Hash) []byte {
		var digest []byte = msg
		var opts crypto.SignerOpts = h
		if h != 0 {
			hh := h.New()
			hh.Write(msg)
			digest = hh.Sum(nil)
		}
		sig, err := s.Sign(rand.Reader, digest, opts)
		require.NoError(t, err)
		return sig
	}
	cases := []struct {
		name string
		pub  crypto.PublicKey
		hash crypto.Hash
		sig  []byte
	}{
		{"ecdsa-p256", p256.Public(), crypto.SHA256, sign(p256, crypto.SHA256)},
		{"ecdsa-p384", p384.Public(), crypto.SHA384, sign(p384, crypto.SHA384)},
		{"ed25519", edPriv.Public(), 0, sign(edPriv, 0)},
		{"rsa-pkcs1v15", rsaKey.Public(), crypto.SHA256, sign(rsaKey, crypto.SHA256)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, signature.Verify(c.pub, c.hash, msg, c.sig))
			tampered := append([]byte{}, c.sig...)
			tampered[len(tampered)/2] ^= 1
			require.Error(t, signature.Verify(c.pub, c.hash, msg, tampered))
			require.Error(t, signature.Verify(c.pub, c.hash, []byte("other message"), c.sig))
			require.Equal(t, c.hash, signature.DefaultHash(c.pub))
		})
	}
}

func TestVerifyDigest(t *testing.T) {
	msg := []byte("pre-hashed")
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := sha256.Sum256(msg)
	sig, _ := ecdsa.SignASN1(rand.Reader, p256, d[:])
	require.NoError(t, signature.VerifyDigest(p256.Public(), crypto.SHA256, d[:], sig))
	require.ErrorIs(t, signature.VerifyDigest(p256.Public(), crypto.SHA256, make([]byte, 32), sig), signature.ErrMismatch)
	require.Error(t, signature.VerifyDigest(p256.Public(), crypto.SHA256, d[:16], sig), "short digest")

	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	d512 := sha512.Sum512(msg)
	edSig, err := edPriv.Sign(rand.Reader, d512[:], &ed25519.Options{Hash: crypto.SHA512})
	require.NoError(t, err)
	require.NoError(t, signature.VerifyDigest(edPriv.Public(), crypto.SHA512, d512[:], edSig))
	require.Error(t, signature.VerifyDigest(edPriv.Public(), crypto.SHA256, d[:], edSig), "Ed25519ph needs SHA-512")

	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaSig, _ := rsa.SignPKCS1v15(rand.Reader, small, crypto.SHA256, d[:])
	require.Error(t, signature.VerifyDigest(small.Public(), crypto.SHA256, d[:], rsaSig), "small RSA keys are refused")
}

func TestFingerprint(t *testing.T) {
	a, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fa, err := signature.Fingerprint(a.Public())
	require.NoError(t, err)
	require.Len(t, fa, 64)
	again, _ := signature.Fingerprint(a.Public())
	require.Equal(t, fa, again)
	fb, _ := signature.Fingerprint(b.Public())
	require.NotEqual(t, fa, fb, "another key, another fingerprint")
	_, err = signature.Fingerprint(struct{}{})
	require.Error(t, err)
}
