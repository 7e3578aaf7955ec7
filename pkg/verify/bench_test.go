package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/trust"
)

// conformanceDir is the conformance suite's verification cases in the shared test data
// (internal/shareddata).
func conformanceDir(tb testing.TB) string {
	tb.Helper()
	return shareddata.Dir(tb, "conformance", "bundle-verify")
}

const beaconIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"

// BenchmarkVerify measures verifying one real public-good bundle in-process, from its JSON
// bytes (parsing included) to the result, with the trusted root loaded once.
func BenchmarkVerify(b *testing.B) {
	cfg, err := trust.Embedded(trust.PublicGood)
	if err != nil {
		b.Fatal(err)
	}
	artifact, err := os.ReadFile(filepath.Join(conformanceDir(b), "a.txt"))
	if err != nil {
		b.Fatal(err)
	}
	policy := Policy{Identities: []Matcher{Exact(beaconIdentity)}, Issuers: []Matcher{Exact("https://token.actions.githubusercontent.com")}}
	for _, c := range []struct{ name, dir string }{
		{"message-signature", "happy-path-v0.3"},
		{"dsse", "happy-path-intoto-in-dsse-v3"},
	} {
		data, err := os.ReadFile(filepath.Join(conformanceDir(b), c.dir, "bundle.sigstore.json"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bn, err := bundle.Parse(data)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Verify(cfg.TrustedRoot, bn, ArtifactReader(bytes.NewReader(artifact)), policy); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawCrypto is the floor BenchmarkVerify is measured against: the signature
// verifications a public-good message-signature bundle needs and nothing else. Two P-384
// (root -> intermediate -> leaf) and four P-256 (SCT, SET, checkpoint, artifact signature).
func BenchmarkRawCrypto(b *testing.B) {
	cfg, err := trust.Embedded(trust.PublicGood)
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(conformanceDir(b), "happy-path-v0.3", "bundle.sigstore.json"))
	if err != nil {
		b.Fatal(err)
	}
	bn, err := bundle.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	ca := cfg.TrustedRoot.CertificateAuthorities[1]
	intermediate, root := ca.Chain[0], ca.Chain[1]
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("message"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	var leafCheck = func() error { return bn.Certificate.CheckSignatureFrom(intermediate) }
	var intermediateCheck = func() error { return intermediate.CheckSignatureFrom(root) }
	if err := leafCheck(); err != nil {
		b.Fatal(err)
	}
	if err := intermediateCheck(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if leafCheck() != nil || intermediateCheck() != nil {
			b.Fatal("chain")
		}
		for range 4 {
			if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
				b.Fatal("p256")
			}
		}
	}
}

// BenchmarkHashArtifact compares hashing a 1 GiB file the way verify does (one pass, a
// 1 MiB buffer) with plain io.Copy into crypto/sha256. B/op shows that memory does not
// grow with the artifact.
func BenchmarkHashArtifact(b *testing.B) {
	const size = 1 << 30
	path := filepath.Join(b.TempDir(), "artifact")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("signet benchmark artifact data\n"), 1<<15)
	for written := 0; written < size; written += len(chunk) {
		if _, err := f.Write(chunk[:min(len(chunk), size-written)]); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()

	b.Run("signet", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			f, _ := os.Open(path)
			if _, err := ArtifactReader(f).digests([]crypto.Hash{crypto.SHA256}); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("crypto-sha256", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			f, _ := os.Open(path)
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				b.Fatal(err)
			}
			h.Sum(nil)
			f.Close()
		}
	})
}
