package attest_test

import (
	"fmt"
	"strings"

	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/dsse"
)

// A maintainer's publish attestation names the registry, the package, the version and the
// files; a consumer's policy accepts it only for that registry, package and version.
// (Signing and verifying the statement is pkg/sign's and pkg/verify's work.)
func Example() {
	sdist, _ := attest.Digest("signet_demo-1.0.0.tar.gz", strings.NewReader("the sdist's bytes"), attest.SHA256, attest.SHA512)
	release, err := attest.NewRelease("pkg:pypi/Signet_Demo@1.0.0", "https://test.pypi.org/legacy/", []dsse.Subject{sdist})
	if err != nil {
		panic(err)
	}
	predicateType, payload, err := release.Statement("")
	if err != nil {
		panic(err)
	}
	fmt.Println(predicateType)
	st, _ := dsse.ParseStatement(payload)
	fmt.Println(string(st.Predicate))

	for _, registry := range []string{"https://test.pypi.org/simple/", "https://pypi.org/simple/"} {
		policy, _ := attest.NewPublishPolicy("pkg:pypi/signet-demo@1.0.0", registry)
		res, err := policy.Check(st, &st.Subject[0])
		if err != nil {
			fmt.Println("refused:", err)
			continue
		}
		fmt.Println("accepted:", res.File, "is", res.Package+"@"+res.Version, "from", res.Registry)
	}
	// Output:
	// https://signet.dev/attestation/publish/v1
	// {"registry":"https://test.pypi.org","package":{"purl":"pkg:pypi/signet-demo","ecosystem":"pypi","name":"signet-demo"},"version":"1.0.0","files":[{"name":"signet_demo-1.0.0.tar.gz"}]}
	// accepted: signet_demo-1.0.0.tar.gz is pkg:pypi/signet-demo@1.0.0 from https://test.pypi.org
	// refused: the attestation is for registry https://test.pypi.org, not https://pypi.org
}
