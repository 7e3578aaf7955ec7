package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
)

func TestParsePublicKey(t *testing.T) {
	pub, err := parsePublicKey(readKey(t, "ec-p256.pub"), "ec-p256.pub")
	require.NoError(t, err)
	priv, err := parsePrivateKey(readKey(t, "ec-p256.pem"), noPassphrase)
	require.NoError(t, err)
	require.True(t, priv.Public().(*ecdsa.PublicKey).Equal(pub))

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)})
	pub, err = parsePublicKey(pkcs1, "rsa.pub")
	require.NoError(t, err)
	require.True(t, rsaKey.PublicKey.Equal(pub))

	for name, data := range map[string][]byte{
		"not PEM":     []byte("hello"),
		"private key": readKey(t, "ec-p256.pem"),
		"bad DER":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0x00}}),
	} {
		_, err := parsePublicKey(data, "key.pub")
		require.ErrorIs(t, err, errInput, name)
		require.ErrorContains(t, err, "key.pub", name)
	}
}

func TestLoadCertificates(t *testing.T) {
	load := func(data []byte) ([]*x509.Certificate, error) {
		path := filepath.Join(t.TempDir(), "chain.pem")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		return loadCertificates(path)
	}
	chain := caChainPEM(t)
	certs, err := load(append([]byte("# a comment\n"), chain...))
	require.NoError(t, err)
	require.Len(t, certs, 2)
	_, err = load(readKey(t, "ec-p256.pub"))
	require.ErrorIs(t, err, errInput)
	require.ErrorContains(t, err, "holds no PEM certificate")
	_, err = load(append(append([]byte{}, chain...), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})...))
	require.ErrorIs(t, err, errInput)
}

// caChainPEM is a fake Fulcio's intermediate and root, PEM.
func caChainPEM(t testing.TB) []byte {
	ca := sigstoretest.NewCA(t)
	var b []byte
	for _, c := range []*x509.Certificate{ca.Intermediate(), ca.Root()} {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// FuzzParsePublicKey feeds the parser of public key files (verify --key; trust create
// --rekor-v2-key, --ctlog-key) keys of each kind and near misses: a whole file, or (wrap set)
// DER that the harness wraps in a PUBLIC KEY block, so that mutations reach the DER. It never
// panics; what it accepts is a key that marshals, and what it refuses is an input error.
func FuzzParsePublicKey(f *testing.F) {
	add := func(data []byte) {
		f.Add(data, false)
		if b, _ := pem.Decode(data); b != nil {
			f.Add(b.Bytes, true)
		}
	}
	add(readKey(f, "ec-p256.pub"))
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(f, err)
	add(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)}))
	for _, name := range []string{"ed25519.pem", "rsa.pem"} {
		k, err := parsePrivateKey(readKey(f, name), noPassphrase)
		require.NoError(f, err)
		der, err := x509.MarshalPKIXPublicKey(k.Public())
		require.NoError(f, err)
		add(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(f, err)
	der, err := x509.MarshalPKIXPublicKey(ec384.Public())
	require.NoError(f, err)
	add(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	f.Add(readKey(f, "ec-p256.pem"), false)
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, wrap bool) {
		if wrap {
			data = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: data})
		}
		pub, err := parsePublicKey(data, "key.pub")
		if err != nil {
			if !errors.Is(err, errInput) {
				t.Fatalf("error %v is not an input error", err)
			}
			if pub != nil {
				t.Fatal("returned a key and an error")
			}
			return
		}
		if _, err := x509.MarshalPKIXPublicKey(pub); err != nil {
			if _, ok := pub.(*rsa.PublicKey); !ok {
				t.Fatalf("accepted a key that does not marshal: %v", err)
			}
		}
		// What trust create does with such a key: describe it as a trusted root would.
		_, _ = trust.KeyDetails(pub)
		_, _ = trust.LogID(pub)
	})
}

// FuzzLoadCertificates feeds the reader of certificate files (sign --certificate and
// --certificate-chain; trust create --ca-chain and --tsa-chain) real chains and near misses,
// and checks what parses as trust create does: a whole file, or (wrap set) DER that the
// harness wraps in a CERTIFICATE block, so that mutations reach the DER. Nothing may panic;
// what it accepts is at least one certificate.
func FuzzLoadCertificates(f *testing.F) {
	add := func(data []byte) {
		f.Add(data, false)
		if b, _ := pem.Decode(data); b != nil {
			f.Add(b.Bytes, true)
		}
	}
	add(caChainPEM(f))
	for _, inst := range []trust.Instance{trust.PublicGood, trust.Staging} {
		cfg, err := trust.Embedded(inst)
		require.NoError(f, err)
		for _, a := range append(cfg.TrustedRoot.CertificateAuthorities, cfg.TrustedRoot.TimestampAuthorities...) {
			var b []byte
			for _, c := range a.Chain {
				b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
			}
			add(b)
		}
	}
	f.Add(readKey(f, "ec-p256.pub"), false)
	// loadCertificates reads a file: each fuzzing process writes its inputs to one of its own.
	path := filepath.Join(f.TempDir(), "chain.pem")
	f.Fuzz(func(t *testing.T, data []byte, wrap bool) {
		if wrap {
			data = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: data})
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		certs, err := loadCertificates(path)
		if err != nil {
			if !errors.Is(err, errInput) {
				t.Fatalf("error %v is not an input error", err)
			}
			return
		}
		if len(certs) == 0 {
			t.Fatal("accepted a file without certificates")
		}
		for _, kind := range []trust.ChainKind{trust.CAChain, trust.TSAChain} {
			_, _ = trust.CheckChain(certs, kind)
		}
	})
}
