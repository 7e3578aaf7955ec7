package tsa_test

import (
	"fmt"
	"testing"
	"time"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/tsa"
)

// Verify a bundle's RFC 3161 timestamp against the timestamp authorities of a trusted root:
// the timestamp is what proves when the signature existed. Here an in-process fake TSA
// stands in for a real one (TestConformanceTokens checks the real tokens of the
// conformance suite); a bundle carries the token as
// verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp.
func Example() {
	signature := []byte("the bundle's messageSignature.signature")
	fake := sigstoretest.NewTSA(&testing.T{}, sigstoretest.WithTSAClock(time.Date(2025, 6, 12, 12, 2, 20, 0, time.UTC)),
		sigstoretest.WithTSAURL("https://timestamp.example.test/api/v1/timestamp"))
	token := fake.Timestamp(signature)
	tr, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{
		MediaType:            trust.TrustedRootMediaType01,
		TimestampAuthorities: []*pbtrust.CertificateAuthority{fake.Authority()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	ts, err := tsa.Parse(token)
	if err != nil {
		fmt.Println(err)
		return
	}
	authority, err := ts.Verify(signature, tr.TimestampAuthorities)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("signed before", ts.Time)
	fmt.Println("vouched for by", authority.URI)

	// The same token does not vouch for another signature.
	_, err = ts.Verify([]byte("another signature"), tr.TimestampAuthorities)
	fmt.Println(err != nil)
	// Output:
	// signed before 2025-06-12 12:02:20 +0000 UTC
	// vouched for by https://timestamp.example.test/api/v1/timestamp
	// true
}
