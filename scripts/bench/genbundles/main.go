// Command genbundles writes N public-good-shaped bundles, their artifacts and a matching
// trusted root, for scripts/bench-compare.sh to verify with signet and with sigstore-go.
//
//	go run ./scripts/bench/genbundles -n 1000 -out DIR
//
// DIR gets trusted_root.json, identity.env (SAN and ISSUER), and files/aNNNN.txt with their
// bundles files/aNNNN.txt.sigstore.json. Each bundle has the shape of a real public-good v0.3
// message-signature bundle made in GitHub Actions: an ECDSA P-256 leaf certificate under a
// P-384 intermediate and root, as Fulcio issues, with a URI SAN, the GitHub Fulcio extensions
// and one embedded SCT; a Rekor v1 hashedrekord 0.0.1 entry with a SET, an inclusion proof and
// a signed checkpoint. Every bundle has its own key, certificate, SCT, entry and checkpoint.
// The instance is made by internal/sigstoretest's fakes, fresh keys every run.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/trust"
)

// fatalTB lets the test fakes run in a program: they only call Helper and Fatal(f).
type fatalTB struct{ testing.TB }

func (fatalTB) Helper()                   {}
func (fatalTB) Fatal(args ...any)         { log.Fatal(args...) }
func (fatalTB) Fatalf(f string, a ...any) { log.Fatalf(f, a...) }

const (
	repo   = "https://github.com/example-org/example-repo"
	san    = repo + "/.github/workflows/release.yml@refs/tags/v1.2.3"
	issuer = "https://token.actions.githubusercontent.com"
	sha    = "7d6a3f5e9b1c2d4e8f0a1b2c3d4e5f60718293a4"
)

// The extensions Fulcio writes for a GitHub Actions token (legacy .2-.6 and .8-.22).
var githubExtensions = map[int]string{
	2: "push", 3: sha, 4: "Release", 5: "example-org/example-repo", 6: "refs/tags/v1.2.3",
	9:  san,
	10: sha,
	11: "github-hosted",
	12: repo,
	13: sha,
	14: "refs/tags/v1.2.3",
	15: "123456789",
	16: "https://github.com/example-org",
	17: "987654",
	18: san,
	19: sha,
	20: "push",
	21: repo + "/actions/runs/1234567890/attempts/1",
	22: "public",
}

func main() {
	n := flag.Int("n", 1000, "number of bundles")
	out := flag.String("out", "", "output directory (created; must not hold a previous set)")
	size := flag.Int("size", 1024, "artifact size in bytes")
	flag.Parse()
	if *out == "" {
		log.Fatal("genbundles: -out is required")
	}
	log.SetPrefix("genbundles: ")
	log.SetFlags(0)
	if err := os.MkdirAll(filepath.Join(*out, "files"), 0o755); err != nil {
		log.Fatal(err)
	}

	tb := fatalTB{}
	now := time.Now().UTC().Truncate(time.Second)
	ca := sigstoretest.NewCA(tb, sigstoretest.WithCAClock(now))
	// Every entry is integrated a second after the CA's clock, inside each leaf's ten minutes
	// however long the run takes; the public-good log's shard offset and tree id.
	tlog := sigstoretest.NewLog(tb, sigstoretest.RekorV1,
		sigstoretest.LogHost("rekor.sigstore.dev"),
		sigstoretest.LogShardOffset(108071139),
		sigstoretest.LogPrefill(1000),
		sigstoretest.LogClock(func() time.Time { return now.Add(time.Second) }))

	root := &pbtrust.TrustedRoot{
		MediaType:              trust.TrustedRootMediaType01,
		CertificateAuthorities: []*pbtrust.CertificateAuthority{ca.Authority()},
		Ctlogs:                 ca.CTLogs(),
		Tlogs:                  []*pbtrust.TransparencyLogInstance{tlog.TransparencyLog()},
	}
	if _, err := trust.NewTrustedRoot(root); err != nil {
		log.Fatalf("trusted root: %v", err)
	}
	data, err := trust.Marshal(root)
	if err != nil {
		log.Fatal(err)
	}
	write(filepath.Join(*out, "trusted_root.json"), data)
	write(filepath.Join(*out, "identity.env"), []byte(fmt.Sprintf("SAN='%s'\nISSUER='%s'\n", san, issuer)))

	artifact := make([]byte, *size)
	for i := range *n {
		if _, err := rand.Read(artifact); err != nil {
			log.Fatal(err)
		}
		name := filepath.Join(*out, "files", fmt.Sprintf("a%04d.txt", i))
		write(name, artifact)

		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			log.Fatal(err)
		}
		leaf := ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{URI: san, Issuer: issuer, Extensions: githubExtensions})
		digest := sha256.Sum256(artifact)
		sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
		if err != nil {
			log.Fatal(err)
		}
		entry := tlog.Append(sigstoretest.HashedRekordV001Body(tb, sigstoretest.EntryContent{
			Certificate: leaf.Raw, Hash: crypto.SHA256, Digest: digest[:], Signature: sig}))
		b, err := bundle.Marshal(&pbbundle.Bundle{
			MediaType: bundle.MediaType03New,
			VerificationMaterial: &pbbundle.VerificationMaterial{
				Content:     &pbbundle.VerificationMaterial_Certificate{Certificate: &pbcommon.X509Certificate{RawBytes: leaf.Raw}},
				TlogEntries: []*pbrekor.TransparencyLogEntry{entry},
			},
			Content: &pbbundle.Bundle_MessageSignature{MessageSignature: &pbcommon.MessageSignature{
				MessageDigest: &pbcommon.HashOutput{Algorithm: pbcommon.HashAlgorithm_SHA2_256, Digest: digest[:]},
				Signature:     sig,
			}},
		})
		if err != nil {
			log.Fatal(err)
		}
		write(name+".sigstore.json", b)
	}
}

func write(name string, data []byte) {
	if err := os.WriteFile(name, data, 0o644); err != nil {
		log.Fatal(err)
	}
}
