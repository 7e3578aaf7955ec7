package trust_test

import (
	"crypto/ed25519"
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

// Build a trusted root from its parts: here one Rekor v2 log, whose id is the C2SP signed-note
// key ID of its checkpoint origin (the host of its URL) and its Ed25519 key.
func ExampleParts_TrustedRoot() {
	raw, _ := base64.StdEncoding.DecodeString("nrEamgwzqNvbK29sXSRho3/UbUlF+v5z2+65uztIEos=")
	parts := &trust.Parts{
		Tlogs:     []trust.LogPart{{Kind: trust.RekorV2, URL: "http://127.0.0.1:3000", Key: ed25519.PublicKey(raw)}},
		ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	tr, err := parts.TrustedRoot()
	if err != nil {
		panic(err)
	}
	l := tr.GetTlogs()[0]
	fmt.Println(tr.GetMediaType())
	fmt.Println(l.GetBaseUrl(), l.GetPublicKey().GetKeyDetails(), base64.StdEncoding.EncodeToString(l.GetLogId().GetKeyId()))

	// A log key that is not one is refused.
	parts.Tlogs[0].Key = []byte("not a key")
	_, err = parts.TrustedRoot()
	fmt.Println(err)

	// Output:
	// application/vnd.dev.sigstore.trustedroot+json;version=0.1
	// http://127.0.0.1:3000 PKIX_ED25519 ZMypQaRTQCb4X3U2LoJVMNinUqgc0XR2xubGqpsVK5k=
	// Rekor v2 http://127.0.0.1:3000: malformed trust material: unsupported public key type []uint8 (ECDSA, Ed25519 or RSA)
}
