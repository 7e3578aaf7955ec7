package sign_test

import (
	"fmt"

	"github.com/signet-dev/signet/pkg/sign"
)

// An identity for the caller's own key: signet picks the digest the key signs artifacts with.
func ExampleKeyIdentity() {
	for _, alg := range []sign.KeyAlgorithm{sign.ECDSAP256, sign.ECDSAP384, sign.Ed25519} {
		key, _ := sign.GenerateKey(alg)
		id, err := sign.KeyIdentity(key, nil)
		fmt.Println(alg, id.Hash, err)
	}
	// Output:
	// ecdsa-p256 SHA-256 <nil>
	// ecdsa-p384 SHA-384 <nil>
	// ed25519 SHA-512 <nil>
}
