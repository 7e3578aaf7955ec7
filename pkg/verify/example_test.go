package verify_test

import (
	"fmt"
	"os"

	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/verify"
)

// Verify a real public-good bundle offline, against the trusted root embedded in signet.
func Example() {
	cfg, _ := trust.Embedded(trust.PublicGood)
	data, _ := os.ReadFile("../../testdata/conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json")
	b, err := bundle.Parse(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	artifact, _ := os.Open("../../testdata/conformance/a.txt")
	defer artifact.Close()
	policy := verify.Policy{
		Identities: []verify.Matcher{verify.Exact("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main")},
		Issuers:    []verify.Matcher{verify.Exact("https://token.actions.githubusercontent.com")},
	}
	res, err := verify.Verify(cfg.TrustedRoot, b, verify.ArtifactReader(artifact), policy)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Verified, res.Identity.Issuer, res.TlogEntries[0].LogURL, res.Times[0].Time)
	// Output: true https://token.actions.githubusercontent.com https://rekor.sigstore.dev 2024-03-19 17:26:26 +0000 UTC
}
