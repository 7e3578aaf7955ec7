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
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/verify"
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

// FuzzParseTrustedKeys feeds the reader of verify --key files (several PEM keys with
// headers) keys, headers and near misses. It never panics; what it accepts are keys with
// windows that do not end before they start, and what it refuses is an input error.
func FuzzParseTrustedKeys(f *testing.F) {
	one := readKey(f, "ec-p256.pub")
	f.Add(one)
	f.Add(append(append([]byte{}, one...), one...))
	block, _ := pem.Decode(one)
	block.Headers = map[string]string{"Key-Id": "release", "Not-Before": "2025-01-01T00:00:00Z", "Not-After": "2026-01-01T00:00:00+02:00"}
	f.Add(pem.EncodeToMemory(block))
	block.Headers = map[string]string{"Not-After": "2024-01-01T00:00:00Z", "Not-Before": "2025-01-01T00:00:00Z"}
	f.Add(pem.EncodeToMemory(block))
	f.Add(append(append([]byte{}, one...), "trailing"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parseTrustedKeys(data, "keys.pem")
		if err != nil {
			if !errors.Is(err, errInput) || keys != nil {
				t.Fatalf("refused with %v (keys %v): not a plain input error", err, keys)
			}
			return
		}
		if len(keys) == 0 {
			t.Fatal("accepted a file with no key")
		}
		for _, k := range keys {
			if k.Public == nil || (!k.ValidFor.End.IsZero() && k.ValidFor.End.Before(k.ValidFor.Start)) {
				t.Fatalf("accepted %+v", k)
			}
		}
	})
}

func TestParseTrustedKeys(t *testing.T) {
	one := readKey(t, "ec-p256.pub")
	withHeaders := func(h map[string]string) []byte {
		b, _ := pem.Decode(one)
		b.Headers = h
		return pem.EncodeToMemory(b)
	}
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	jan, dec := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	valid := []struct {
		name string
		data []byte
		want []verify.TrustedKey // Public is checked for presence only
	}{
		{"one key", one, []verify.TrustedKey{{}}},
		{"two keys, with text around them (RFC 7468)", cat([]byte("release keys\n"), one, []byte("\nthe old one:\n"), one, []byte("end\n")), []verify.TrustedKey{{}, {}}},
		{"a key with an id and a window", withHeaders(map[string]string{"Key-Id": "release-2025", "Not-Before": "2025-01-01T00:00:00Z", "Not-After": "2025-12-01T00:00:00Z"}),
			[]verify.TrustedKey{{ID: "release-2025", ValidFor: trust.TimeRange{Start: jan, End: dec}}}},
		{"a window open at one end", withHeaders(map[string]string{"Not-After": "2025-12-01T01:00:00+01:00"}),
			[]verify.TrustedKey{{ValidFor: trust.TimeRange{End: dec}}}},
	}
	for _, c := range valid {
		t.Run(c.name, func(t *testing.T) {
			keys, err := parseTrustedKeys(c.data, "keys.pem")
			require.NoError(t, err)
			require.Len(t, keys, len(c.want))
			for i, k := range keys {
				require.NotNil(t, k.Public)
				require.Equal(t, c.want[i].ID, k.ID)
				require.True(t, c.want[i].ValidFor.Start.Equal(k.ValidFor.Start) && c.want[i].ValidFor.End.Equal(k.ValidFor.End), "window %+v", k.ValidFor)
			}
		})
	}
	// Tampered twins of the valid cases, each wrong in one respect.
	invalid := []struct {
		name, msg string
		data      []byte
	}{
		{"a misspelt header", `has the header "Not-Befor"`, withHeaders(map[string]string{"Not-Befor": "2025-01-01T00:00:00Z"})},
		{"a time that is not RFC 3339", "Not-After is not an RFC 3339 time", withHeaders(map[string]string{"Not-After": "2025-12-01"})},
		{"a window that ends before it starts", "Not-After is before Not-Before", withHeaders(map[string]string{"Not-Before": "2025-12-01T00:00:00Z", "Not-After": "2025-01-01T00:00:00Z"})},
		{"a damaged block between two keys", "a PEM block that does not decode", cat(one, []byte("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n"), one)},
		{"a damaged last block", "a PEM block that does not decode", cat(one, []byte("-----BEGIN PUBLIC KEY-----\nMFkw\n"))},
		{"a certificate among the keys", `holds a "CERTIFICATE" PEM block`, cat(one, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0}}))},
		{"no PEM at all", "is not a PEM file", []byte("hello")},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			keys, err := parseTrustedKeys(c.data, "keys.pem")
			require.ErrorIs(t, err, errInput)
			require.ErrorContains(t, err, c.msg)
			require.Nil(t, keys)
		})
	}
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
