package tsa_test

import (
	"crypto"
	"math/big"
	"testing"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/tsa"
)

// FuzzParse feeds Parse (and, for what parses, Verify and CheckResponse) arbitrary bytes,
// seeded with the real conformance tokens and the fake TSA's variants. Nothing may panic.
func FuzzParse(f *testing.F) {
	for _, token := range tsa.ConformanceTokens(f) {
		f.Add(token)
	}
	issuer := sigstoretest.NewTSA(f, sigstoretest.WithTSAClock(genTime), sigstoretest.WithTSAIntermediate())
	for _, r := range []sigstoretest.TSAResponse{
		{}, {EmbedChain: true, Nonce: big.NewInt(99)}, {SignerKeyID: true, OmitCertificates: true},
		{ESSv1: true}, {OmitSignedAttrs: true}, {Status: 2, FailInfo: []int{0, 25}, StatusString: "no"},
	} {
		f.Add(issuer.TimestampWith(messageSignature, r))
	}
	staging := conformanceRoot(f, "staging")
	tsas := append(staging.TimestampAuthorities, authorities(f, issuer.Authority())...)
	_, sig := tsa.ConformanceToken(f, "rekor2-happy-path")

	f.Fuzz(func(t *testing.T, der []byte) {
		ts, err := tsa.Parse(der)
		if err != nil {
			if ts != nil {
				t.Fatal("Parse returned a timestamp with an error")
			}
			return
		}
		if ts.Time.IsZero() || ts.HashedMessage == nil || ts.SerialNumber == nil || ts.Policy == nil {
			t.Fatalf("Parse succeeded with a field missing: %+v", ts)
		}
		// Verify costs a few milliseconds of signature checks; once per input is enough to
		// explore it on whatever Parse accepts.
		_, _ = ts.Verify(sig, tsas)
		_ = ts.CheckResponse(sig, crypto.SHA256, big.NewInt(1))
	})
}
