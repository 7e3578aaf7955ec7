package fulcio_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/trust"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestVerifyChain(t *testing.T) {
	ca := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	other := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	lapsed := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock),
		sigstoretest.WithCAIntermediateValidity(clock.Add(-2*time.Hour), clock.Add(-30*time.Minute)))

	leaf := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{})
	otherLeaf := other.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{})
	lapsedLeaf := lapsed.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{})
	noEKU := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{OmitCodeSigning: true})
	serverAuth := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	anyEKU := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	username := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{Username: "octocat!github.com"})
	foreignOtherName := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{
		OmitSAN:         true,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Critical: true, Value: otherNameSAN(t, asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}, "user@corp")}},
	})

	// The code-signing profile, beyond what crypto/x509 checks.
	noDigitalSignature := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{KeyUsage: x509.KeyUsageKeyEncipherment})
	moreUsages := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment})
	emailAndDNS := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{Email: "a@example.com", DNSName: "example.com"})
	emailAndUPN := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{Email: "a@example.com", UPN: "admin@corp"})
	// Without an OIDC issuer extension the leaf is not in Fulcio's profile: an enterprise
	// certificate may name a DNS name beside its email.
	enterprise := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{Email: "a@example.com", DNSName: "example.com", OmitIssuerV1: true, OmitIssuerV2: true})
	issuerV1Only := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{Email: "a@example.com", DNSName: "example.com", OmitIssuerV2: true})
	noKeyUsageCA := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock), sigstoretest.WithCAIntermediateKeyUsage(0))
	noKeyUsageLeaf := noKeyUsageCA.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{})

	// withWindow returns ca's authority with its trusted-root window changed.
	withWindow := func(c *sigstoretest.CA, start, end time.Time) *pbtrust.CertificateAuthority {
		a := c.Authority()
		if !start.IsZero() {
			a.ValidFor.Start = timestamppb.New(start)
		}
		if !end.IsZero() {
			a.ValidFor.End = timestamppb.New(end)
		}
		return a
	}
	rootOnly := ca.Authority()
	rootOnly.CertChain.Certificates = rootOnly.CertChain.Certificates[1:]

	tests := []struct {
		name    string
		leaf    *x509.Certificate
		cas     []*pbtrust.CertificateAuthority
		at      time.Time
		wantErr error  // nil: must verify
		wantMsg string // a substring of the error
		wantCA  *sigstoretest.CA
	}{
		{name: "valid at signing time", leaf: leaf, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock, wantCA: ca},

		{name: "valid at the leaf's NotAfter (closed interval)", leaf: leaf, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: leaf.NotAfter, wantCA: ca},
		{name: "expired at signing time", leaf: leaf, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: leaf.NotAfter.Add(time.Second),
			wantErr: fulcio.ErrCertificateNotValid, wantMsg: "certificate was not valid at 2025-06-01T12:10:01Z (valid 2025-06-01T11:59:00Z to 2025-06-01T12:10:00Z)"},

		{name: "valid at the leaf's NotBefore", leaf: leaf, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: leaf.NotBefore, wantCA: ca},
		{name: "not yet valid at signing time", leaf: leaf, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: leaf.NotBefore.Add(-time.Second),
			wantErr: fulcio.ErrCertificateNotValid, wantMsg: "certificate was not valid at 2025-06-01T11:58:59Z"},

		{name: "CA window ended before signing time", leaf: leaf, cas: []*pbtrust.CertificateAuthority{withWindow(ca, time.Time{}, clock.Add(-30*time.Minute))}, at: clock,
			wantErr: fulcio.ErrNoValidCA, wantMsg: "no CA in the trusted root was valid at 2025-06-01T12:00:00Z"},
		{name: "CA window starts after signing time", leaf: leaf, cas: []*pbtrust.CertificateAuthority{withWindow(ca, clock.Add(time.Minute), time.Time{})}, at: clock,
			wantErr: fulcio.ErrNoValidCA},
		{name: "CA window ends exactly at signing time (closed interval)", leaf: leaf, cas: []*pbtrust.CertificateAuthority{withWindow(ca, time.Time{}, clock)}, at: clock, wantCA: ca},
		{name: "CA window ends a nanosecond before signing time", leaf: leaf, cas: []*pbtrust.CertificateAuthority{withWindow(ca, time.Time{}, clock.Add(-time.Nanosecond))}, at: clock,
			wantErr: fulcio.ErrNoValidCA},
		{name: "CA window starts exactly at signing time", leaf: leaf, cas: []*pbtrust.CertificateAuthority{withWindow(ca, clock, time.Time{})}, at: clock, wantCA: ca},
		{name: "no CAs at all", leaf: leaf, cas: nil, at: clock, wantErr: fulcio.ErrNoValidCA},

		{name: "leaf from another CA", leaf: otherLeaf, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrUntrustedChain, wantMsg: "certificate does not chain to a trusted CA"},
		{name: "leaf from the second of two trusted CAs", leaf: otherLeaf, cas: []*pbtrust.CertificateAuthority{ca.Authority(), other.Authority()}, at: clock, wantCA: other},
		{name: "the CA that issued it is outside its window, another CA is inside", leaf: otherLeaf,
			cas: []*pbtrust.CertificateAuthority{ca.Authority(), withWindow(other, time.Time{}, clock.Add(-time.Minute))}, at: clock,
			wantErr: fulcio.ErrUntrustedChain},

		{name: "intermediate missing from the trusted root", leaf: leaf, cas: []*pbtrust.CertificateAuthority{rootOnly}, at: clock,
			wantErr: fulcio.ErrUntrustedChain, wantMsg: "unknown authority"},
		{name: "intermediate certificate expired while the window is open", leaf: lapsedLeaf, cas: []*pbtrust.CertificateAuthority{lapsed.Authority()}, at: clock,
			wantErr: fulcio.ErrUntrustedChain, wantMsg: "expired"},

		{name: "leaf without any extended key usage", leaf: noEKU, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrNoCodeSigningEKU, wantMsg: "certificate lacks the code-signing extended key usage (it lists no extended key usage)"},
		{name: "leaf for server auth only", leaf: serverAuth, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrNoCodeSigningEKU, wantMsg: "server auth"},
		{name: "leaf for any usage but not code signing by name", leaf: anyEKU, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrNoCodeSigningEKU},

		{name: "critical SAN holding a Fulcio username", leaf: username, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock, wantCA: ca},
		{name: "critical SAN holding only a foreign otherName", leaf: foreignOtherName, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrUntrustedChain, wantMsg: "unhandled critical extension"},

		{name: "a CA certificate is not a leaf", leaf: ca.Intermediate(), cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrUntrustedChain, wantMsg: "is a CA certificate"},

		{name: "leaf key usage with more than digitalSignature", leaf: moreUsages, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock, wantCA: ca},
		{name: "leaf key usage without digitalSignature", leaf: noDigitalSignature, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrProfile, wantMsg: "lacks digitalSignature"},
		{name: "Fulcio leaf with an email and a DNS name", leaf: emailAndDNS, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrProfile, wantMsg: "exactly one subject alternative name, this one 2"},
		{name: "Fulcio leaf with an email and a foreign otherName", leaf: emailAndUPN, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrProfile, wantMsg: "exactly one subject alternative name, this one 2"},
		{name: "Fulcio leaf (issuer .1 only) with an email and a DNS name", leaf: issuerV1Only, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock,
			wantErr: fulcio.ErrProfile},
		{name: "non-Fulcio leaf with an email and a DNS name", leaf: enterprise, cas: []*pbtrust.CertificateAuthority{ca.Authority()}, at: clock, wantCA: ca},
		{name: "intermediate without key usage", leaf: noKeyUsageLeaf, cas: []*pbtrust.CertificateAuthority{noKeyUsageCA.Authority()}, at: clock,
			wantErr: fulcio.ErrProfile, wantMsg: "not a CA certificate with keyCertSign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := trustedRoot(t, tt.cas, nil)
			chain, authority, err := fulcio.VerifyChain(tt.leaf, tr.CertificateAuthorities, tt.at)
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), tt.wantMsg)
				assert.Nil(t, chain)
				assert.Nil(t, authority)
				return
			}
			require.NoError(t, err)
			require.Len(t, chain, 3)
			assert.Same(t, tt.leaf, chain[0])
			assert.True(t, chain[1].Equal(tt.wantCA.Intermediate()), "chain[1] is the intermediate")
			assert.True(t, chain[2].Equal(tt.wantCA.Root()), "chain[2] is the root")
			require.NotNil(t, authority)
			assert.True(t, authority.Root().Equal(tt.wantCA.Root()))
		})
	}
}

func TestVerifyChainDoesNotMutateLeaf(t *testing.T) {
	ca := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	leaf := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{Username: "octocat!github.com"})
	require.Len(t, leaf.UnhandledCriticalExtensions, 1, "crypto/x509 leaves an otherName-only SAN unhandled")
	tr := trustedRoot(t, []*pbtrust.CertificateAuthority{ca.Authority()}, nil)
	_, _, err := fulcio.VerifyChain(leaf, tr.CertificateAuthorities, clock)
	require.NoError(t, err)
	assert.Len(t, leaf.UnhandledCriticalExtensions, 1, "the caller's certificate is unchanged")
}

func TestVerifyChainNil(t *testing.T) {
	_, _, err := fulcio.VerifyChain(nil, []*trust.Authority{}, clock)
	require.Error(t, err)
}

// otherNameSAN encodes a SAN extension value with one otherName of the given type.
func otherNameSAN(t testing.TB, typeID asn1.ObjectIdentifier, value string) []byte {
	t.Helper()
	type otherName struct {
		TypeID asn1.ObjectIdentifier
		Value  string `asn1:"utf8,explicit,tag:0"`
	}
	b, err := asn1.MarshalWithParams(otherName{typeID, value}, "tag:0")
	require.NoError(t, err)
	der, err := asn1.Marshal([]asn1.RawValue{{FullBytes: b}})
	require.NoError(t, err)
	return der
}

// TestProvenCA: once VerifyChain has proven a CA's path, another leaf of it is checked against
// its intermediate alone, and gets the same verdicts: a leaf of another CA, a leaf outside its
// validity, a CA outside its window, and a chain that is not the CA's are all refused.
func TestProvenCA(t *testing.T) {
	ca := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	other := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	tr := trustedRoot(t, []*pbtrust.CertificateAuthority{ca.Authority()}, nil)
	first := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{})
	chain, authority, err := fulcio.VerifyChain(first, tr.CertificateAuthorities, clock)
	require.NoError(t, err)
	p, ok := fulcio.Prove(chain, authority)
	require.True(t, ok)

	second := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{})
	got, err := p.VerifyIssuedBy(second, clock)
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Same(t, second, got[0])
	require.True(t, got[2].Equal(ca.Root()))

	_, err = p.VerifyIssuedBy(other.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{}), clock)
	require.Error(t, err, "a leaf of another CA")
	_, err = p.VerifyIssuedBy(second, second.NotAfter.Add(time.Second))
	require.Error(t, err, "after the leaf expired")
	_, err = p.VerifyIssuedBy(ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{KeyUsage: x509.KeyUsageKeyEncipherment}), clock)
	require.ErrorIs(t, err, fulcio.ErrProfile)

	closed := ca.Authority()
	closed.ValidFor.End = timestamppb.New(clock.Add(-time.Minute))
	trClosed := trustedRoot(t, []*pbtrust.CertificateAuthority{closed}, nil)
	pc, ok := fulcio.Prove(chain, trClosed.CertificateAuthorities[0])
	require.True(t, ok)
	_, err = pc.VerifyIssuedBy(second, clock)
	require.Error(t, err, "the CA's window closed")

	// Prove takes only the CA's own chain.
	_, ok = fulcio.Prove(chain[:2], authority)
	require.False(t, ok)
	trOther := trustedRoot(t, []*pbtrust.CertificateAuthority{other.Authority()}, nil)
	_, ok = fulcio.Prove(chain, trOther.CertificateAuthorities[0])
	require.False(t, ok)
}

// TestProveRefusesConstrainingRoot: a root with name constraints constrains every leaf below
// it, so its path is never taken as proven for other leaves.
func TestProveRefusesConstrainingRoot(t *testing.T) {
	for _, constrained := range []bool{false, true} {
		rootKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "root"},
			NotBefore: clock.Add(-time.Hour), NotAfter: clock.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign}
		if constrained {
			rootTmpl.PermittedEmailAddresses = []string{"example.com"}
		}
		root := mustCert(t, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
		interKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		inter := mustCert(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "inter"},
			NotBefore: clock.Add(-time.Hour), NotAfter: clock.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}, root, interKey.Public(), rootKey)
		leaf := mustCert(t, &x509.Certificate{SerialNumber: big.NewInt(3), EmailAddresses: []string{"a@example.com"},
			NotBefore: clock.Add(-time.Minute), NotAfter: clock.Add(time.Minute), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}, inter, newSignerKey(t), interKey)
		authority := &pbtrust.CertificateAuthority{Uri: "https://ca.example.com",
			CertChain: &pbcommon.X509CertificateChain{Certificates: []*pbcommon.X509Certificate{{RawBytes: inter.Raw}, {RawBytes: root.Raw}}},
			ValidFor:  &pbcommon.TimeRange{Start: timestamppb.New(clock.Add(-time.Hour))}}
		tr := trustedRoot(t, []*pbtrust.CertificateAuthority{authority}, nil)
		chain, ca, err := fulcio.VerifyChain(leaf, tr.CertificateAuthorities, clock)
		require.NoError(t, err)
		_, ok := fulcio.Prove(chain, ca)
		require.Equal(t, !constrained, ok, "constrained root: %v", constrained)
	}
}

func mustCert(t *testing.T, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}
