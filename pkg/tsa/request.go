package tsa

import (
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// RequestContentType and ResponseContentType are the media types of RFC 3161 §3.4.
const (
	RequestContentType  = "application/timestamp-query"
	ResponseContentType = "application/timestamp-reply"
)

// nonceBits is the size of the random nonce of a request.
const nonceBits = 128

// timeStampReq is RFC 3161 §2.4.1:
//
//	TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
//	    reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE,
//	    extensions [0] IMPLICIT Extensions OPTIONAL }
type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional"` // false is the DEFAULT and is omitted
}

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

// NewRequest builds a DER TimeStampReq over h(signature), with a random 128-bit nonce and
// certReq set, so that the TSA embeds its certificate. h must be SHA-256, SHA-384 or SHA-512;
// Sigstore uses SHA-256. Check the response with Parse and then CheckResponse.
func NewRequest(signature []byte, h crypto.Hash) (der []byte, nonce *big.Int, err error) {
	oid, ok := oidFromHash(h)
	if !ok {
		return nil, nil, fmt.Errorf("timestamp request: unsupported hash algorithm %v", h)
	}
	nonce, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), nonceBits))
	if err != nil {
		return nil, nil, fmt.Errorf("timestamp request: nonce: %w", err)
	}
	req := timeStampReq{
		Version: 1,
		MessageImprint: messageImprint{
			// NULL parameters, as OpenSSL and the Sigstore clients send them; RFC 5754
			// obliges receivers to accept both forms.
			HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue},
			HashedMessage: digest(h, signature),
		},
		Nonce:   nonce,
		CertReq: true,
	}
	der, err = asn1.Marshal(req)
	if err != nil {
		return nil, nil, fmt.Errorf("timestamp request: %w", err)
	}
	return der, nonce, nil
}
