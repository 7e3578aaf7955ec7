package signature_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"github.com/signet-dev/signet/pkg/signature"
)

func ExampleVerify() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	msg := []byte("hello")
	digest := sha256.Sum256(msg)
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])

	h := signature.DefaultHash(key.Public())
	fmt.Println(h, signature.Verify(key.Public(), h, msg, sig))
	fmt.Println(signature.Verify(key.Public(), h, []byte("tampered"), sig))
	// Output:
	// SHA-256 <nil>
	// signature does not verify
}
