package bundle_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/signet-dev/signet/pkg/bundle"
)

// Load a bundle, look at what it carries, and see a structurally broken one refused before
// any cryptography runs.
func Example() {
	f, err := os.Open("../../testdata/conformance/bundle-verify/happy-path-v0.3-new-mediaType/bundle.sigstore.json")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	b, err := bundle.Read(f)
	if err != nil {
		panic(err)
	}
	fmt.Printf("bundle v0.%d, signed by %s\n", b.Minor, b.Certificate.URIs[0])
	fmt.Printf("message signature: %v, DSSE envelope: %v\n", b.MessageSignature != nil, b.Envelope != nil)
	fmt.Printf("log entries: %d, kind %s\n", len(b.TlogEntries), b.TlogEntries[0].GetKindVersion().GetKind())

	// A v0.3 bundle carries one certificate, not a chain.
	data, _ := os.ReadFile("../../testdata/conformance/bundle-verify/bundle-with-root-cert_fail/bundle.sigstore.json")
	data = bytes.Replace(data, []byte(bundle.MediaType01), []byte(bundle.MediaType03), 1)
	_, err = bundle.Parse(data)
	fmt.Println(errors.Is(err, bundle.ErrMalformed))
	fmt.Println(err)

	// Output:
	// bundle v0.3, signed by https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
	// message signature: true, DSSE envelope: false
	// log entries: 1, kind hashedrekord
	// true
	// malformed bundle: a v0.3 bundle must carry a single certificate, not x509CertificateChain
}
