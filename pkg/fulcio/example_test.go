package fulcio_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/trust"
)

// Verify a public-good Fulcio certificate at the time its Rekor entry was integrated:
// the chain to a trusted CA, its embedded SCT, then read who it was issued to.
func Example() {
	rootJSON, err := os.ReadFile("../trust/data/public-good/trusted_root.json")
	if err != nil {
		panic(err)
	}
	root, err := trust.ParseTrustedRoot(rootJSON)
	if err != nil {
		panic(err)
	}
	bundleJSON, err := os.ReadFile("../../testdata/conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json")
	if err != nil {
		panic(err)
	}
	var bundle struct {
		VerificationMaterial struct {
			Certificate struct{ RawBytes string }
		}
	}
	if err := json.Unmarshal(bundleJSON, &bundle); err != nil {
		panic(err)
	}
	der, err := base64.StdEncoding.DecodeString(bundle.VerificationMaterial.Certificate.RawBytes)
	if err != nil {
		panic(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	signedAt := time.Unix(1710869186, 0) // the bundle's integratedTime

	chain, ca, err := fulcio.VerifyChain(leaf, root.CertificateAuthorities, signedAt)
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
	fmt.Println("CA:", ca.URI)
	fmt.Printf("CT log: %x\n", logIDs[0][:8])
	fmt.Println("SAN type:", id.SANType)
	fmt.Println("issuer:", id.Issuer)
	fmt.Println("source repository:", id.Extensions.SourceRepositoryURI)

	// An hour later the ten-minute certificate had long expired.
	_, _, err = fulcio.VerifyChain(leaf, root.CertificateAuthorities, signedAt.Add(time.Hour))
	fmt.Println(err)
	// Output:
	// CA: https://fulcio.sigstore.dev
	// CT log: dd3d306ac6c71132
	// SAN type: uri
	// issuer: https://token.actions.githubusercontent.com
	// source repository: https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon
	// certificate was not valid at 2024-03-19T18:26:26Z (valid 2024-03-19T17:26:26Z to 2024-03-19T17:36:26Z)
}
