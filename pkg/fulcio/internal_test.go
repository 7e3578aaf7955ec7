package fulcio

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readLeaf returns the leaf certificate of a conformance bundle in the shared test data.
func readLeaf(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(shareddata.Dir(t, "conformance", "bundle-verify", name, "bundle.sigstore.json"))
	require.NoError(t, err)
	var b struct {
		VerificationMaterial struct {
			Certificate struct {
				RawBytes string `json:"rawBytes"`
			} `json:"certificate"`
		} `json:"verificationMaterial"`
	}
	require.NoError(t, json.Unmarshal(data, &b))
	der, err := base64.StdEncoding.DecodeString(b.VerificationMaterial.Certificate.RawBytes)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

// sctListOf returns the TLS SCT list embedded in c.
func sctListOf(t testing.TB, c *x509.Certificate) []byte {
	t.Helper()
	for _, e := range c.Extensions {
		if e.Id.Equal(OIDSCTList) {
			var list []byte
			_, err := asn1.Unmarshal(e.Value, &list)
			require.NoError(t, err)
			return list
		}
	}
	t.Fatal("no SCT list")
	return nil
}

// encodeSCT serializes a parsed v1 SCT again; parseSCTList must be its inverse.
func encodeSCT(s sct) []byte {
	var b []byte
	b = append(b, s.version)
	b = append(b, s.logID[:]...)
	b = binary.BigEndian.AppendUint64(b, s.timestamp)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.extensions)))
	b = append(b, s.extensions...)
	b = append(b, s.hashAlg, s.sigAlg)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.signature)))
	return append(b, s.signature...)
}

func encodeSCTList(scts [][]byte) []byte {
	var inner []byte
	for _, s := range scts {
		inner = binary.BigEndian.AppendUint16(inner, uint16(len(s)))
		inner = append(inner, s...)
	}
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(inner))), inner...)
}

func repeat(b []byte, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestParseSCTListRealData(t *testing.T) {
	list := sctListOf(t, readLeaf(t, "bundle-with-sct-with-extensions"))
	scts, err := parseSCTList(list)
	require.NoError(t, err)
	require.Len(t, scts, 1)
	s := scts[0]
	assert.Equal(t, uint8(0), s.version)
	assert.Equal(t, []byte{0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x70}, s.extensions)
	assert.Equal(t, uint8(tlsHashSHA256), s.hashAlg)
	assert.Equal(t, uint8(tlsSigECDSA), s.sigAlg)
	assert.Equal(t, time.Date(2026, 1, 15, 22, 49, 24, 925e6, time.UTC), time.UnixMilli(int64(s.timestamp)).UTC())
	assert.Equal(t, list, encodeSCTList([][]byte{encodeSCT(s)}))
}

func TestParseSCTList(t *testing.T) {
	good := sct{timestamp: 1, hashAlg: 4, sigAlg: 3, signature: []byte{1, 2, 3}, extensions: []byte{9}}
	good.logID[0] = 0xaa
	one := encodeSCT(good)
	tests := []struct {
		name    string
		in      []byte
		wantN   int
		wantErr string
	}{
		{"one SCT", encodeSCTList([][]byte{one}), 1, ""},
		{"two SCTs", encodeSCTList([][]byte{one, one}), 2, ""},
		{"a future version is kept for the verifier to refuse", encodeSCTList([][]byte{{7, 1, 2, 3}}), 1, ""},
		{"empty input", nil, 0, "SCT list length"},
		{"empty list", []byte{0, 0}, 0, "at least 1"},
		{"list length beyond the data", []byte{0, 9, 0, 1, 0}, 0, "need 9 bytes"},
		{"trailing bytes after the list", append(encodeSCTList([][]byte{one}), 0), 0, "trailing"},
		{"empty SCT", []byte{0, 2, 0, 0}, 0, "at least 1"},
		{"SCT truncated", encodeSCTList([][]byte{one[:len(one)-1]}), 0, "signature"},
		{"SCT with trailing bytes", encodeSCTList([][]byte{append(bytes.Clone(one), 0)}), 0, "trailing"},
		{"an empty signature parses (and will not verify)", encodeSCTList([][]byte{encodeSCT(sct{hashAlg: 4, sigAlg: 3, signature: []byte{}})}), 1, ""},
		{"as many SCTs as allowed", encodeSCTList(repeat(one, maxSCTs)), maxSCTs, ""},
		{"too many SCTs", encodeSCTList(repeat(one, maxSCTs+1)), 0, "more than 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scts, err := parseSCTList(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, scts, tt.wantN)
			if scts[0].version == 0 && len(scts[0].signature) > 0 {
				assert.Equal(t, good, scts[0])
			}
		})
	}
}

// TestPrecertTBS checks the rebuilt precertificate against a certificate crypto/x509
// issued from the same template without the SCT list: they must be identical.
func TestPrecertTBS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sctExt := pkix.Extension{Id: OIDSCTList, Value: []byte{0x04, 0x02, 0x00, 0x00}}
	other := pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: []byte{0x05, 0x00}}
	issue := func(exts ...pkix.Extension) *x509.Certificate {
		tmpl := &x509.Certificate{
			SerialNumber:    big.NewInt(42),
			Subject:         pkix.Name{CommonName: "precert test"},
			NotBefore:       time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter:        time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC),
			ExtraExtensions: exts,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		require.NoError(t, err)
		c, err := x509.ParseCertificate(der)
		require.NoError(t, err)
		return c
	}
	tests := []struct {
		name      string
		final     *x509.Certificate
		precert   *x509.Certificate // nil: an error is expected
		wantError string
	}{
		{"SCT list last", issue(other, sctExt), issue(other), ""},
		{"SCT list first", issue(sctExt, other), issue(other), ""},
		{"SCT list the only extension: the extensions field goes", issue(sctExt), issue(), ""},
		{"no SCT list", issue(other), nil, "0 SCT list extensions"},
		{"no extensions at all", issue(), nil, "0 SCT list extensions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := precertTBS(tt.final.RawTBSCertificate)
			if tt.precert == nil {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantError)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.precert.RawTBSCertificate, got)
		})
	}
	_, err = precertTBS([]byte{0x30, 0x01})
	assert.Error(t, err)
	_, err = precertTBS(append(bytes.Clone(issue(sctExt).RawTBSCertificate), 0))
	assert.Error(t, err)
}

func FuzzParseSCTList(f *testing.F) {
	for _, name := range []string{"happy-path-v0.3", "bundle-with-sct-with-extensions"} {
		f.Add(sctListOf(f, readLeaf(f, name)))
	}
	f.Add([]byte{0, 0})
	f.Add([]byte{0, 4, 0, 2, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		scts, err := parseSCTList(data)
		if err != nil {
			return
		}
		if len(scts) == 0 || len(scts) > maxSCTs {
			t.Fatalf("parsed %d SCTs", len(scts))
		}
		// A list of v1 SCTs that parses must serialize back to the same bytes.
		var raw [][]byte
		for _, s := range scts {
			if s.version != 0 {
				return
			}
			raw = append(raw, encodeSCT(s))
		}
		if got := encodeSCTList(raw); !bytes.Equal(got, data) {
			t.Fatalf("round trip changed the list:\n in  %x\n out %x", data, got)
		}
	})
}

func FuzzIdentityFromCertificate(f *testing.F) {
	for _, name := range []string{"happy-path-v0.3", "bundle-with-sct-with-extensions"} {
		f.Add(readLeaf(f, name).Raw)
	}
	ca := sigstoretest.NewCA(f)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(f, err)
	for _, o := range []sigstoretest.LeafOptions{
		{Username: "octocat!example.com", NoSCTs: true},
		{Email: "a@example.com", URI: "https://example.com", SCTs: []sigstoretest.SCTOptions{{Extensions: []byte{1}}, {Log: 1}}},
		{URI: "https://example.com/w", Extensions: map[int]string{2: "push", 9: "s", 22: "public", 30: "x"}},
	} {
		f.Add(ca.IssueLeaf(key.Public(), o).Raw)
	}
	f.Fuzz(fuzzIdentity)
}

func fuzzIdentity(t *testing.T, der []byte) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return
	}
	id, err := IdentityFromCertificate(cert)
	if err == nil && (id.SAN == "" || id.SANType == "") {
		t.Fatalf("identity without a SAN: %+v", id)
	}
	for _, fe := range fulcioExtensions {
		_, _, _ = ExtensionValue(cert, fulcioOID(fe.arc))
	}
	// The other parsers that read certificate bytes must not panic either.
	_, _ = precertTBS(cert.RawTBSCertificate)
	_, _ = VerifySCTs(cert, cert, nil, 1, time.Now())
	_, _ = leafForVerify(cert)
}
