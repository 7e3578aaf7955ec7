package verify_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/verify"
)

// Verify a keyless bundle offline against a trusted root. In-process fakes of Fulcio (with
// its CT logs) and Rekor v1 play the Sigstore instance here; for a public-good bundle the
// trusted root is the one signet embeds (trust.Embedded).
func Example() {
	// The instance, as its trusted root describes it.
	t := &testing.T{} // the fakes report their own failures to a testing.TB
	ca := sigstoretest.NewCA(t, sigstoretest.WithCAClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)))
	log := sigstoretest.NewLog(t, sigstoretest.RekorV1, sigstoretest.LogHost("rekor.example.test"))
	root, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{
		MediaType:              trust.TrustedRootMediaType01,
		CertificateAuthorities: []*pbtrust.CertificateAuthority{ca.Authority()},
		Ctlogs:                 ca.CTLogs(),
		Tlogs:                  []*pbtrust.TransparencyLogInstance{log.TransparencyLog()},
	})
	if err != nil {
		panic(err)
	}

	// A signer: a certificate for alice's identity, a signature, a log entry, the bundle.
	artifact := []byte("release 1.0\n")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{Email: "alice@example.com", Issuer: "https://accounts.example.com"})
	digest := sha256.Sum256(artifact)
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	entry := log.Append(sigstoretest.HashedRekordV001Body(t, sigstoretest.EntryContent{
		Certificate: leaf.Raw, Hash: crypto.SHA256, Digest: digest[:], Signature: sig}))
	data, _ := bundle.Marshal(&pbbundle.Bundle{
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

	// The verifier: bundle, artifact, and who must have signed it.
	b, err := bundle.Parse(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	policy := verify.Policy{
		Identities: []verify.Matcher{verify.Exact("alice@example.com")},
		Issuers:    []verify.Matcher{verify.Exact("https://accounts.example.com")},
	}
	res, err := verify.Verify(root, b, verify.ArtifactReader(bytes.NewReader(artifact)), policy)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Verified, res.Identity.SAN, res.TlogEntries[0].LogURL, res.Times[0].Time)

	// Another artifact is refused.
	_, err = verify.Verify(root, b, verify.ArtifactReader(bytes.NewReader([]byte("release 1.1\n"))), policy)
	fmt.Println(err != nil)
	// Output:
	// true alice@example.com https://rekor.example.test 2025-06-01 12:00:01 +0000 UTC
	// true
}
