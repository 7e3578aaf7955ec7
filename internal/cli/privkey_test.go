package cli

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/stretchr/testify/require"
)

const testPassphrase = "signet-test"

func readKey(t testing.TB, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", "keys", name))
	require.NoError(t, err)
	return data
}

func passphrase(p string) func() ([]byte, error) {
	return func() ([]byte, error) { return []byte(p), nil }
}

func noPassphrase() ([]byte, error) {
	return nil, errors.New("passphrase asked for an unencrypted key")
}

// cosignKey encrypts a PKCS#8 key the way cosign and go-securesystemslib do.
func cosignKey(t *testing.T, pemType string) []byte {
	block, _ := pem.Decode(readKey(t, "ec-p256.pem"))
	ct, err := encrypted.Encrypt(block.Bytes, []byte(testPassphrase))
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: ct})
}

func TestParsePrivateKey(t *testing.T) {
	ecPub := func(t *testing.T) crypto.PublicKey {
		block, _ := pem.Decode(readKey(t, "ec-p256.pub"))
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		require.NoError(t, err)
		return pub
	}
	cases := []struct {
		name     string
		data     func(t *testing.T) []byte
		pass     func() ([]byte, error)
		wantType any
		wantErr  error
		errText  string
	}{
		{name: "PKCS#8 EC", data: func(t *testing.T) []byte { return readKey(t, "ec-p256.pem") }, pass: noPassphrase, wantType: &ecdsa.PrivateKey{}},
		{name: "SEC1 EC", data: func(t *testing.T) []byte { return readKey(t, "ec-p256-sec1.pem") }, pass: noPassphrase, wantType: &ecdsa.PrivateKey{}},
		{name: "PKCS#8 RSA", data: func(t *testing.T) []byte { return readKey(t, "rsa.pem") }, pass: noPassphrase, wantType: &rsa.PrivateKey{}},
		{name: "PKCS#1 RSA", data: func(t *testing.T) []byte { return readKey(t, "rsa-pkcs1.pem") }, pass: noPassphrase, wantType: &rsa.PrivateKey{}},
		{name: "PKCS#8 Ed25519", data: func(t *testing.T) []byte { return readKey(t, "ed25519.pem") }, pass: noPassphrase, wantType: ed25519.PrivateKey{}},
		{name: "encrypted PKCS#8 AES-256 SHA-256", data: func(t *testing.T) []byte { return readKey(t, "ec-p256-enc.pem") }, pass: passphrase(testPassphrase), wantType: &ecdsa.PrivateKey{}},
		{name: "encrypted PKCS#8 wrong passphrase", data: func(t *testing.T) []byte { return readKey(t, "ec-p256-enc.pem") }, pass: passphrase("nope"), wantErr: errBadPassphrase},
		{name: "encrypted PKCS#8 AES-128 SHA-1", data: func(t *testing.T) []byte { return readKey(t, "rsa-enc-sha1.pem") }, pass: passphrase(testPassphrase), wantType: &rsa.PrivateKey{}},
		{name: "encrypted PKCS#8 AES-192 SHA-512", data: func(t *testing.T) []byte { return readKey(t, "ed25519-enc.pem") }, pass: passphrase(testPassphrase), wantType: ed25519.PrivateKey{}},
		{name: "encrypted PKCS#8 tampered ciphertext", data: func(t *testing.T) []byte {
			block, _ := pem.Decode(readKey(t, "ec-p256-enc.pem"))
			block.Bytes[len(block.Bytes)-20] ^= 0x40
			return pem.EncodeToMemory(block)
		}, pass: passphrase(testPassphrase), wantErr: errBadPassphrase},
		{name: "encrypted PKCS#8 passphrase unavailable", data: func(t *testing.T) []byte { return readKey(t, "ec-p256-enc.pem") },
			pass: func() ([]byte, error) { return nil, errors.New("no passphrase: set SIGNET_PASSWORD") }, errText: "SIGNET_PASSWORD"},
		{name: "PBES1 refused", data: func(t *testing.T) []byte { return readKey(t, "ec-pbes1.pem") }, pass: passphrase(testPassphrase), errText: "only PBES2"},
		{name: "legacy PEM encryption refused", data: func(t *testing.T) []byte { return readKey(t, "ec-legacy-enc.pem") }, pass: passphrase(testPassphrase), errText: "openssl pkcs8 -topk8"},
		{name: "cosign key", data: func(t *testing.T) []byte { return cosignKey(t, "ENCRYPTED SIGSTORE PRIVATE KEY") }, pass: passphrase(testPassphrase), wantType: &ecdsa.PrivateKey{}},
		{name: "cosign legacy type", data: func(t *testing.T) []byte { return cosignKey(t, "ENCRYPTED COSIGN PRIVATE KEY") }, pass: passphrase(testPassphrase), wantType: &ecdsa.PrivateKey{}},
		{name: "cosign key wrong passphrase", data: func(t *testing.T) []byte { return cosignKey(t, "ENCRYPTED SIGSTORE PRIVATE KEY") }, pass: passphrase("nope"), wantErr: errBadPassphrase},
		{name: "public key is not a private key", data: func(t *testing.T) []byte { return readKey(t, "ec-p256.pub") }, pass: noPassphrase, wantErr: errInput},
		{name: "not PEM", data: func(t *testing.T) []byte { return []byte("hello") }, pass: noPassphrase, wantErr: errInput},
		{name: "corrupt PKCS#8", data: func(t *testing.T) []byte {
			return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}})
		}, pass: noPassphrase, wantErr: errInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := parsePrivateKey(c.data(t), c.pass)
			switch {
			case c.wantErr != nil:
				require.ErrorIs(t, err, c.wantErr)
			case c.errText != "":
				require.ErrorContains(t, err, c.errText)
			default:
				require.NoError(t, err)
				require.IsType(t, c.wantType, k)
			}
		})
	}
	// The unencrypted and encrypted forms are the same key.
	plain, err := parsePrivateKey(readKey(t, "ec-p256.pem"), noPassphrase)
	require.NoError(t, err)
	enc, err := parsePrivateKey(readKey(t, "ec-p256-enc.pem"), passphrase(testPassphrase))
	require.NoError(t, err)
	require.True(t, plain.Public().(*ecdsa.PublicKey).Equal(enc.Public()))
	require.True(t, plain.Public().(*ecdsa.PublicKey).Equal(ecPub(t)))
}

func FuzzParsePrivateKey(f *testing.F) {
	for _, name := range []string{"ec-p256.pem", "ec-p256-enc.pem", "ec-p256-sec1.pem", "rsa-pkcs1.pem", "ed25519-enc.pem", "ec-pbes1.pem"} {
		f.Add(readKey(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parsePrivateKey(data, passphrase(testPassphrase))
	})
}
