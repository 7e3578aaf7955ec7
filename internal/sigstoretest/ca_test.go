package sigstoretest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testClock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func findExt(c *x509.Certificate, oid asn1.ObjectIdentifier) (int, []byte, bool) {
	for i, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return i, e.Value, true
		}
	}
	return -1, nil, false
}

func TestCAShape(t *testing.T) {
	ca := NewCA(t, WithCAClock(testClock))

	root, inter := ca.Root(), ca.Intermediate()
	require.NoError(t, root.CheckSignatureFrom(root), "root is self-signed")
	require.NoError(t, inter.CheckSignatureFrom(root), "root signs the intermediate")
	assert.Equal(t, elliptic.P384(), root.PublicKey.(*ecdsa.PublicKey).Curve)
	assert.Equal(t, elliptic.P384(), inter.PublicKey.(*ecdsa.PublicKey).Curve)
	assert.True(t, root.IsCA)
	assert.True(t, inter.IsCA)
	assert.Contains(t, inter.ExtKeyUsage, x509.ExtKeyUsageCodeSigning)

	a := ca.Authority()
	require.Len(t, a.GetCertChain().GetCertificates(), 2)
	assert.Equal(t, inter.Raw, a.GetCertChain().GetCertificates()[0].GetRawBytes(), "intermediate first")
	assert.Equal(t, root.Raw, a.GetCertChain().GetCertificates()[1].GetRawBytes(), "root last")
	assert.Equal(t, testClock.Add(-time.Hour), a.GetValidFor().GetStart().AsTime())
	assert.Nil(t, a.GetValidFor().GetEnd())
	a.CertChain.Certificates = nil
	assert.Len(t, ca.Authority().GetCertChain().GetCertificates(), 2, "each call returns a fresh message")

	require.Len(t, ca.CTLogs(), 2)
	for i, l := range ca.CTLogs() {
		pub, err := x509.ParsePKIXPublicKey(l.GetPublicKey().GetRawBytes())
		require.NoError(t, err)
		assert.Equal(t, elliptic.P256(), pub.(*ecdsa.PublicKey).Curve)
		sum := sha256.Sum256(l.GetPublicKey().GetRawBytes())
		assert.Equal(t, sum[:], l.GetLogId().GetKeyId(), "log id is SHA-256 of the DER key")
		assert.Equal(t, pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, l.GetPublicKey().GetKeyDetails())
		assert.Equal(t, ca.Logs()[i].ID[:], l.GetLogId().GetKeyId())
	}
	assert.NotEqual(t, ca.CTLogs()[0].GetLogId().GetKeyId(), ca.CTLogs()[1].GetLogId().GetKeyId())
	assert.Len(t, NewCA(t, WithCTLogCount(1)).CTLogs(), 1)
}

func TestIssueLeafShape(t *testing.T) {
	ca := NewCA(t, WithCAClock(testClock))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	leaf := ca.IssueLeaf(key.Public(), LeafOptions{Issuer: "https://issuer.example", Extensions: map[int]string{2: "push", 9: "https://signer.example"}})
	require.NoError(t, leaf.CheckSignatureFrom(ca.Intermediate()))
	assert.True(t, leaf.PublicKey.(*ecdsa.PublicKey).Equal(key.Public()))
	assert.Equal(t, testClock.Add(-time.Minute), leaf.NotBefore)
	assert.Equal(t, testClock.Add(10*time.Minute), leaf.NotAfter)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, leaf.ExtKeyUsage)
	assert.Equal(t, x509.KeyUsageDigitalSignature, leaf.KeyUsage)
	assert.Empty(t, leaf.Subject.String())
	assert.Equal(t, []string{"user@sigstoretest.invalid"}, leaf.EmailAddresses)

	pool := func(c *x509.Certificate) *x509.CertPool { p := x509.NewCertPool(); p.AddCert(c); return p }
	_, err = leaf.Verify(x509.VerifyOptions{
		Roots: pool(ca.Root()), Intermediates: pool(ca.Intermediate()), CurrentTime: testClock,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	})
	require.NoError(t, err)

	_, v1, ok := findExt(leaf, FulcioOID(1))
	require.True(t, ok)
	assert.Equal(t, "https://issuer.example", string(v1), ".1 is raw")
	_, v2, ok := findExt(leaf, FulcioOID(8))
	require.True(t, ok)
	var s string
	_, err = asn1.UnmarshalWithParams(v2, &s, "utf8")
	require.NoError(t, err)
	assert.Equal(t, "https://issuer.example", s, ".8 is a UTF8String")
	assert.Equal(t, byte(asn1.TagUTF8String), v2[0])
	_, v, ok := findExt(leaf, FulcioOID(2))
	require.True(t, ok)
	assert.Equal(t, "push", string(v))
	_, v, ok = findExt(leaf, FulcioOID(9))
	require.True(t, ok)
	assert.Equal(t, byte(asn1.TagUTF8String), v[0])

	i, sctList, ok := findExt(leaf, oidSCTList)
	require.True(t, ok)
	assert.Equal(t, len(leaf.Extensions)-1, i, "the SCT list comes last")
	var list []byte
	_, err = asn1.Unmarshal(sctList, &list)
	require.NoError(t, err, "the SCT list is an OCTET STRING")
	require.GreaterOrEqual(t, len(list), 4)
	assert.Equal(t, len(list)-2, int(list[0])<<8|int(list[1]), "list length prefix")
	assert.Equal(t, len(list)-4, int(list[2])<<8|int(list[3]), "one SCT fills the list")
	assert.Equal(t, ca.Logs()[0].ID[:], list[5:37], "SCT from the first log")

	first := ca.IssueLeaf(key.Public(), LeafOptions{SCTListFirst: true})
	i, _, ok = findExt(first, oidSCTList)
	require.True(t, ok)
	j, _, _ := findExt(first, oidSAN)
	assert.Less(t, i, j, "the SCT list comes before the SAN and the Fulcio extensions")

	none := ca.IssueLeaf(key.Public(), LeafOptions{NoSCTs: true, OmitCodeSigning: true, OmitIssuerV1: true, OmitIssuerV2: true})
	_, _, ok = findExt(none, oidSCTList)
	assert.False(t, ok)
	_, _, ok = findExt(none, FulcioOID(1))
	assert.False(t, ok)
	_, _, ok = findExt(none, FulcioOID(8))
	assert.False(t, ok)
	assert.Empty(t, none.ExtKeyUsage)

	user := ca.IssueLeaf(key.Public(), LeafOptions{Username: "octocat"})
	assert.Empty(t, user.EmailAddresses)
	assert.Len(t, user.UnhandledCriticalExtensions, 1, "crypto/x509 does not understand the otherName SAN")
}
