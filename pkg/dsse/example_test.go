package dsse_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"github.com/signet-dev/signet/pkg/dsse"
)

// Sign an in-toto statement about an artifact, verify the envelope's signature, and find the
// artifact among the statement's subjects.
func Example() {
	artifact := []byte("hello, signet\n")
	digest := sha256.Sum256(artifact)
	payload := []byte(fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1",`+
		`"subject":[{"name":"hello.txt","digest":{"sha256":"%x"}}],`+
		`"predicateType":"https://example.com/predicate/v1","predicate":{}}`, digest))

	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	sig, err := dsse.Sign(key, 0, dsse.InTotoPayloadType, payload)
	if err != nil {
		panic(err)
	}
	env := dsse.NewEnvelope(dsse.InTotoPayloadType, payload, sig, "")
	fmt.Println(env.PayloadType, len(env.Signatures))

	// The signature covers the pre-authentication encoding of type and payload.
	pae := dsse.PAE(dsse.InTotoPayloadType, payload)
	fmt.Printf("%q + payload\n", bytes.TrimSuffix(pae, payload))
	fmt.Println(dsse.Verify(key.Public(), 0, dsse.InTotoPayloadType, payload, sig))
	fmt.Println(dsse.Verify(key.Public(), 0, "application/json", payload, sig) != nil)

	st, err := dsse.ParseStatement(payload)
	if err != nil {
		panic(err)
	}
	s, ok := st.MatchDigest("sha256", digest[:])
	fmt.Println(st.PredicateType, st.DigestAlgorithms(), s.Name, ok)

	// Output:
	// application/vnd.in-toto+json 1
	// "DSSEv1 28 application/vnd.in-toto+json 229 " + payload
	// <nil>
	// true
	// https://example.com/predicate/v1 [sha256] hello.txt true
}
