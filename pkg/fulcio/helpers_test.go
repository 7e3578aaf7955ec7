package fulcio_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/trust"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/require"
)

// clock is the fixed "now" of every fake CA in these tests.
var clock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// trustedRoot parses a trusted root made of the given CAs and CT logs, through the same
// code path as a trusted_root.json file.
func trustedRoot(t testing.TB, cas []*pbtrust.CertificateAuthority, ctlogs []*pbtrust.TransparencyLogInstance) *trust.TrustedRoot {
	t.Helper()
	tr, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{
		MediaType:              trust.TrustedRootMediaType01,
		CertificateAuthorities: cas,
		Ctlogs:                 ctlogs,
	})
	require.NoError(t, err)
	return tr
}

func newSignerKey(t testing.TB) crypto.PublicKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k.Public()
}

// conformanceCase is what these tests read from a conformance bundle.
type conformanceCase struct {
	leaf     *x509.Certificate
	signedAt time.Time // the first tlog entry's integrated time, if it has one
	root     *trust.TrustedRoot
}

// conformanceCaseDir is conformance/bundle-verify/<name> in the shared test data (internal/shareddata).
func conformanceCaseDir(t testing.TB, name string) string {
	t.Helper()
	return shareddata.Dir(t, "conformance", "bundle-verify", name)
}

// loadCase reads a conformance case: the bundle's leaf certificate, the first tlog entry's
// integrated time (or a time inside the leaf's validity) and the case's trusted root (or the public-good one).
func loadCase(t testing.TB, name string) conformanceCase {
	t.Helper()
	dir := conformanceCaseDir(t, name)
	data, err := os.ReadFile(filepath.Join(dir, "bundle.sigstore.json"))
	require.NoError(t, err)
	var b struct {
		VerificationMaterial struct {
			Certificate *struct {
				RawBytes string `json:"rawBytes"`
			} `json:"certificate"`
			X509CertificateChain *struct {
				Certificates []struct {
					RawBytes string `json:"rawBytes"`
				} `json:"certificates"`
			} `json:"x509CertificateChain"`
			TlogEntries []struct {
				IntegratedTime string `json:"integratedTime"`
			} `json:"tlogEntries"`
		} `json:"verificationMaterial"`
	}
	require.NoError(t, json.Unmarshal(data, &b))
	vm := b.VerificationMaterial
	var raw string
	switch {
	case vm.Certificate != nil:
		raw = vm.Certificate.RawBytes
	case vm.X509CertificateChain != nil && len(vm.X509CertificateChain.Certificates) > 0:
		raw = vm.X509CertificateChain.Certificates[0].RawBytes
	default:
		t.Fatalf("%s: bundle has no certificate", name)
	}
	der, err := base64.StdEncoding.DecodeString(raw)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	// Rekor v2 entries carry no integrated time (their time comes from an RFC 3161
	// timestamp, which is not this package's business): use a minute into the leaf's life.
	signedAt := leaf.NotBefore.Add(time.Minute)
	if len(vm.TlogEntries) > 0 && vm.TlogEntries[0].IntegratedTime != "" {
		secs, err := strconv.ParseInt(vm.TlogEntries[0].IntegratedTime, 10, 64)
		require.NoError(t, err)
		signedAt = time.Unix(secs, 0)
	}

	rootFile := filepath.Join(dir, "trusted_root.json")
	if _, err := os.Stat(rootFile); err != nil {
		rootFile = "../trust/data/public-good/trusted_root.json"
	}
	rootData, err := os.ReadFile(rootFile)
	require.NoError(t, err)
	root, err := trust.ParseTrustedRoot(rootData)
	require.NoError(t, err)
	return conformanceCase{leaf: leaf, signedAt: signedAt, root: root}
}
