package sigstoretest_test

import (
	"fmt"
	"testing"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
)

// A trusted root for a fake instance: every fake describes itself as a trusted root lists it.
func Example() {
	t := &testing.T{}
	ca := sigstoretest.NewCA(t)
	log := sigstoretest.NewLog(t, sigstoretest.RekorV2)
	tsa := sigstoretest.NewTSA(t)
	tr, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{
		MediaType:              trust.TrustedRootMediaType01,
		CertificateAuthorities: []*pbtrust.CertificateAuthority{ca.Authority()},
		Ctlogs:                 ca.CTLogs(),
		Tlogs:                  []*pbtrust.TransparencyLogInstance{log.TransparencyLog()},
		TimestampAuthorities:   []*pbtrust.CertificateAuthority{tsa.Authority()},
	})
	fmt.Println(err, len(tr.CertificateAuthorities), len(tr.CTLogs), tr.Tlogs[0].BaseURL)
	// Output: <nil> 1 2 https://rekor.example.test
}
