package bundle_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/bundle"
)

// Load a bundle, look at what it carries, and see a structurally broken one refused before
// any cryptography runs. The bundle is made here with in-process fakes of Fulcio and Rekor.
func Example() {
	t := &testing.T{} // the fakes report their own failures to a testing.TB
	ca := sigstoretest.NewCA(t)
	log := sigstoretest.NewLog(t, sigstoretest.RekorV1)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{Email: "alice@example.com"})
	digest := sha256.Sum256([]byte("the artifact"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	entry := log.Append(sigstoretest.HashedRekordV001Body(t, sigstoretest.EntryContent{
		Certificate: leaf.Raw, Hash: crypto.SHA256, Digest: digest[:], Signature: sig}))
	data, err := bundle.Marshal(&pbbundle.Bundle{
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
		panic(err)
	}

	b, err := bundle.Read(bytes.NewReader(data))
	if err != nil {
		panic(err)
	}
	fmt.Printf("bundle v0.%d, signed by %s\n", b.Minor, b.Certificate.EmailAddresses[0])
	fmt.Printf("message signature: %v, DSSE envelope: %v\n", b.MessageSignature != nil, b.Envelope != nil)
	fmt.Printf("log entries: %d, kind %s\n", len(b.TlogEntries), b.TlogEntries[0].GetKindVersion().GetKind())

	// A bundle's DSSE envelope carries exactly one signature.
	_, err = bundle.Parse([]byte(`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": {"publicKey": {"hint": "release-key"}},
		"dsseEnvelope": {"payloadType": "application/vnd.in-toto+json", "payload": "e30=",
			"signatures": [{"sig": "AQ=="}, {"sig": "Ag=="}]}}`))
	fmt.Println(errors.Is(err, bundle.ErrMalformed))
	fmt.Println(err)

	// Output:
	// bundle v0.3, signed by alice@example.com
	// message signature: true, DSSE envelope: false
	// log entries: 1, kind hashedrekord
	// true
	// malformed bundle: DSSE envelope has 2 signatures; a bundle's envelope carries exactly one
}
