package rekor_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/rekor"
	"github.com/signet-dev/signet/pkg/trust"
)

// Verify a bundle's Rekor v1 entry: its inclusion promise, its inclusion proof and
// checkpoint, and that its body records the bundle's signature, key and artifact. An
// in-process fake Rekor v1 log makes the entry here.
func Example() {
	t := &testing.T{} // the fake reports its own failures to a testing.TB
	fake := sigstoretest.NewLog(t, sigstoretest.RekorV1)
	root, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{
		MediaType: trust.TrustedRootMediaType01,
		Tlogs:     []*pbtrust.TransparencyLogInstance{fake.TransparencyLog()},
	})
	if err != nil {
		panic(err)
	}

	// What a bundle carries: a signature over the artifact's digest, and the log entry.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("the artifact"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	entry := fake.Append(sigstoretest.HashedRekordV001Body(t, sigstoretest.EntryContent{
		PublicKey: key.Public(), Hash: crypto.SHA256, Digest: digest[:], Signature: sig}))

	log := trust.FindLog(root.Tlogs, entry.GetLogId().GetKeyId())
	if log == nil {
		panic("the entry's log is not in the trusted root")
	}
	if err := rekor.VerifySET(entry, log); err != nil {
		panic(err)
	}
	if err := rekor.VerifyInclusion(entry, log); err != nil {
		panic(err)
	}
	err = rekor.VerifyBody(entry, rekor.Expected{PublicKey: key.Public(), Signature: sig, Hash: crypto.SHA256, Digest: digest[:]})
	if err != nil {
		panic(err)
	}
	c, _ := rekor.ParseCheckpoint(entry.GetInclusionProof().GetCheckpoint().GetEnvelope())
	fmt.Printf("entry %d is in %s, tree size %d\n", entry.GetLogIndex(), c.Origin, c.Size)

	// An entry whose body records another artifact proves nothing about this one.
	err = rekor.VerifyBody(entry, rekor.Expected{PublicKey: key.Public(), Signature: sig, Hash: crypto.SHA256, Digest: make([]byte, 32)})
	fmt.Println(err != nil)
	// Output:
	// entry 5 is in rekor.example.test - 1193050959916656506, tree size 6
	// true
}
