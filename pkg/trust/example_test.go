package trust_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/signet-dev/signet/pkg/trust"
)

// Load the embedded public-good trust material, find the log a bundle's entry names, and
// check that the log's key was valid when the entry was integrated.
func Example() {
	cfg, err := trust.Embedded(trust.PublicGood)
	if err != nil {
		panic(err)
	}
	root := cfg.TrustedRoot

	// A log entry names its log by id: SHA-256 of the log's DER public key.
	id, _ := base64.StdEncoding.DecodeString("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=")
	log := trust.FindLog(root.Tlogs, id)
	fmt.Println(log.BaseURL, log.KeyDetails, log.Hash)
	fmt.Printf("checkpoint key hint: %x\n", log.KeyHint())

	integrated := time.Unix(1683317662, 0) // the entry's integratedTime
	fmt.Println("valid then:", log.ValidFor.Contains(integrated))
	fmt.Println("valid in 2020:", log.ValidFor.Contains(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)))

	// Which Fulcio CA issued certificates at that time, and its trust anchor.
	for _, ca := range root.CertificateAuthorities {
		if ca.ValidFor.Contains(integrated) {
			fmt.Println(ca.URI, ca.Root().Subject.CommonName, len(ca.Chain))
		}
	}

	// Trust material signet cannot read is refused as a whole.
	_, err = trust.ParseTrustedRoot([]byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.9"}`))
	fmt.Println(errors.Is(err, trust.ErrMalformed))

	// Output:
	// https://rekor.sigstore.dev PKIX_ECDSA_P256_SHA_256 SHA-256
	// checkpoint key hint: c0d23d6a
	// valid then: true
	// valid in 2020: false
	// https://fulcio.sigstore.dev sigstore 2
	// true
}
