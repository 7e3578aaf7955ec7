package rekor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/proto"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
)

// trustLog parses the fake log's trusted-root entry as a verifier would.
func trustLog(t testing.TB, l *sigstoretest.Log) *trust.Log {
	t.Helper()
	tr, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{
		MediaType: trust.TrustedRootMediaType01,
		Tlogs:     []*pbtrust.TransparencyLogInstance{l.TransparencyLog()},
	})
	if err != nil {
		t.Fatalf("trusted root: %v", err)
	}
	return tr.Tlogs[0]
}

func cloneEntry(e *pbrekor.TransparencyLogEntry) *pbrekor.TransparencyLogEntry {
	return proto.Clone(e).(*pbrekor.TransparencyLogEntry)
}

// flip returns b with one bit of byte i flipped.
func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x01
	return c
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newCert makes a self-signed leaf for key: VerifyBody compares certificates, it does not
// validate them.
func newCert(t testing.TB, key crypto.Signer, name string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2025, 1, 1, 0, 10, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// errCheck says whether an error is the one a test case wants.
type errCheck struct {
	desc string
	ok   func(error) bool
}

var noError = errCheck{"no error", func(err error) bool { return err == nil }}

func is(target error) errCheck {
	return errCheck{"errors.Is " + target.Error(), func(err error) bool { return errors.Is(err, target) }}
}

func mismatch(what string) errCheck {
	return errCheck{"a MismatchError on " + what, func(err error) bool {
		var m *MismatchError
		return errors.As(err, &m) && m.What == what
	}}
}

func anyError(desc string) errCheck {
	return errCheck{desc, func(err error) bool { return err != nil }}
}

func check(t *testing.T, err error, want errCheck) {
	t.Helper()
	if !want.ok(err) {
		t.Errorf("got error %v, want %s", err, want.desc)
	} else if err != nil {
		t.Logf("error (as wanted): %v", err)
	}
}
