package rekor_test

import (
	"crypto"
	"crypto/sha256"
	"fmt"
	"os"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/pkg/rekor"
	"github.com/signet-dev/signet/pkg/trust"
)

// Verify a bundle's Rekor v1 entry: its inclusion promise, its inclusion proof and
// checkpoint, and that its body records the bundle's signature, certificate and artifact.
func Example() {
	rootJSON, _ := os.ReadFile("../trust/data/public-good/trusted_root.json")
	root, err := trust.ParseTrustedRoot(rootJSON)
	if err != nil {
		panic(err)
	}
	bundleJSON, _ := os.ReadFile("../../testdata/conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json")
	var b pbbundle.Bundle
	if err := protojson.Unmarshal(bundleJSON, &b); err != nil {
		panic(err)
	}
	artifact, _ := os.ReadFile("../../testdata/conformance/a.txt")

	entry := b.GetVerificationMaterial().GetTlogEntries()[0]
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
	digest := sha256.Sum256(artifact)
	err = rekor.VerifyBody(entry, rekor.Expected{
		Certificate: b.GetVerificationMaterial().GetCertificate().GetRawBytes(),
		Signature:   b.GetMessageSignature().GetSignature(),
		Hash:        crypto.SHA256,
		Digest:      digest[:],
	})
	if err != nil {
		panic(err)
	}
	c, _ := rekor.ParseCheckpoint(entry.GetInclusionProof().GetCheckpoint().GetEnvelope())
	fmt.Printf("entry %d is in %s, tree size %d\n", entry.GetLogIndex(), c.Origin, c.Size)

	// An entry whose body records another artifact proves nothing about this one.
	err = rekor.VerifyBody(entry, rekor.Expected{
		Certificate: b.GetVerificationMaterial().GetCertificate().GetRawBytes(),
		Signature:   b.GetMessageSignature().GetSignature(),
		Hash:        crypto.SHA256,
		Digest:      make([]byte, 32),
	})
	fmt.Println(err != nil)
	// Output:
	// entry 79571823 is in rekor.sigstore.dev - 2605736670972794746, tree size 75408393
	// true
}
