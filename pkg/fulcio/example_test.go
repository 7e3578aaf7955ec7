package fulcio_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/trust"
)

// Verify a Fulcio certificate at the time it was used (the integrated time of its Rekor
// entry, or a timestamp): the chain to a trusted CA, its embedded SCT, then read who it was
// issued to. An in-process fake Fulcio issues the certificate here, as public Fulcio does
// for a GitHub Actions workflow.
func Example() {
	t := &testing.T{} // the fake reports its own failures to a testing.TB
	signedAt := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ca := sigstoretest.NewCA(t, sigstoretest.WithCAClock(signedAt))
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{
		URI:        "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main",
		Issuer:     "https://token.actions.githubusercontent.com",
		Extensions: map[int]string{12: "https://github.com/org/repo"},
	})
	root, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{
		MediaType:              trust.TrustedRootMediaType01,
		CertificateAuthorities: []*pbtrust.CertificateAuthority{ca.Authority()},
		Ctlogs:                 ca.CTLogs(),
	})
	if err != nil {
		panic(err)
	}

	chain, authority, err := fulcio.VerifyChain(leaf, root.CertificateAuthorities, signedAt)
	if err != nil {
		fmt.Println("chain:", err)
		return
	}
	logIDs, err := fulcio.VerifySCTs(leaf, chain[1], root.CTLogs, 1, time.Now())
	if err != nil {
		fmt.Println("SCTs:", err)
		return
	}
	id, err := fulcio.IdentityFromCertificate(leaf)
	if err != nil {
		fmt.Println("identity:", err)
		return
	}
	fmt.Println("CA:", authority.URI)
	fmt.Println("CT logs:", len(logIDs))
	fmt.Println("SAN type:", id.SANType)
	fmt.Println("issuer:", id.Issuer)
	fmt.Println("source repository:", id.Extensions.SourceRepositoryURI)

	// An hour later the ten-minute certificate had long expired.
	_, _, err = fulcio.VerifyChain(leaf, root.CertificateAuthorities, signedAt.Add(time.Hour))
	fmt.Println(err)
	// Output:
	// CA: https://fulcio.sigstoretest.invalid
	// CT logs: 1
	// SAN type: uri
	// issuer: https://token.actions.githubusercontent.com
	// source repository: https://github.com/org/repo
	// certificate was not valid at 2025-06-01T13:00:00Z (valid 2025-06-01T11:59:00Z to 2025-06-01T12:10:00Z)
}
