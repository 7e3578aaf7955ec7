package tsa_test

import (
	"fmt"
	"os"

	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/tsa"
)

// Verify a bundle's RFC 3161 timestamp against the timestamp authorities of a trusted root.
// The token and signature come from a Rekor v2 bundle signed against Sigstore's staging
// instance; the timestamp is what proves when the signature existed.
func Example() {
	root, _ := os.ReadFile("testdata/trusted_root.staging.json")
	token, _ := os.ReadFile("testdata/happy-path.tsr")     // verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp
	signature, _ := os.ReadFile("testdata/happy-path.sig") // messageSignature.signature

	tr, err := trust.ParseTrustedRoot(root)
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
	// vouched for by https://timestamp.sigstage.dev/api/v1/timestamp
	// true
}
