package tsa

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/pkg/trust"
)

// Checks on encodings the fake TSA does not produce, tested on the helpers directly.

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestSignatureAlgorithm(t *testing.T) {
	null := []byte{0x05, 0x00}
	hashAlg := func(oid asn1.ObjectIdentifier) pkix.AlgorithmIdentifier {
		return pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}
	}
	type pss struct {
		Hash    pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
		MGF     pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
		Salt    int                      `asn1:"optional,explicit,tag:2,default:-1"`
		Trailer int                      `asn1:"optional,explicit,tag:3"`
	}
	mgf1 := func(h asn1.ObjectIdentifier) pkix.AlgorithmIdentifier {
		return pkix.AlgorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: mustMarshal(t, hashAlg(h))}}
	}
	goodPSS := pss{Hash: hashAlg(oidSHA384), MGF: mgf1(oidSHA384), Salt: 48}

	tests := []struct {
		name    string
		oid     asn1.ObjectIdentifier
		params  []byte
		digest  asn1.ObjectIdentifier
		want    sigAlgorithm
		wantErr string
	}{
		{name: "ecdsa-with-SHA384", oid: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, want: sigAlgorithm{kind: sigECDSA, hash: crypto.SHA384}},
		{name: "ecdsa-with-SHA384 with NULL parameters", oid: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, params: null, wantErr: "not supported"},
		{name: "ecdsa-with-SHA224", oid: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}, wantErr: "not supported"},
		{name: "id-ecPublicKey takes the digest", oid: oidECPublicKey, digest: oidSHA512, want: sigAlgorithm{kind: sigECDSA, hash: crypto.SHA512}},
		{name: "rsaEncryption takes the digest", oid: oidRSAEncryption, params: null, digest: oidSHA384, want: sigAlgorithm{kind: sigRSAPKCS1, hash: crypto.SHA384}},
		{name: "rsaEncryption with SHA-1 digest", oid: oidRSAEncryption, params: null, digest: oidSHA1, wantErr: "not supported"},
		{name: "sha512WithRSAEncryption", oid: oidSHA512WithRSA, params: null, want: sigAlgorithm{kind: sigRSAPKCS1, hash: crypto.SHA512}},
		{name: "sha1WithRSAEncryption", oid: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, params: null, wantErr: "not supported"},
		{name: "Ed25519", oid: oidEd25519, want: sigAlgorithm{kind: sigEd25519}},
		{name: "Ed25519 with parameters", oid: oidEd25519, params: null, wantErr: "not supported"},
		{name: "RSA-PSS", oid: oidRSAPSS, params: mustMarshal(t, goodPSS), want: sigAlgorithm{kind: sigRSAPSS, hash: crypto.SHA384, salt: 48}},
		{name: "RSA-PSS with trailer 1", oid: oidRSAPSS, params: mustMarshal(t, pss{Hash: goodPSS.Hash, MGF: goodPSS.MGF, Salt: 48, Trailer: 1}),
			want: sigAlgorithm{kind: sigRSAPSS, hash: crypto.SHA384, salt: 48}},
		{name: "RSA-PSS with trailer 2", oid: oidRSAPSS, params: mustMarshal(t, pss{Hash: goodPSS.Hash, MGF: goodPSS.MGF, Salt: 48, Trailer: 2}),
			wantErr: "trailer field is 2"},
		{name: "RSA-PSS without parameters", oid: oidRSAPSS, wantErr: "has no parameters"},
		{name: "RSA-PSS with default hash", oid: oidRSAPSS, params: mustMarshal(t, pss{MGF: goodPSS.MGF, Salt: 48}), wantErr: "default hash"},
		{name: "RSA-PSS with default salt", oid: oidRSAPSS, params: mustMarshal(t, pss{Hash: goodPSS.Hash, MGF: goodPSS.MGF, Salt: -1}), wantErr: "default salt"},
		{name: "RSA-PSS with MGF1 over another hash", oid: oidRSAPSS, params: mustMarshal(t, pss{Hash: goodPSS.Hash, MGF: mgf1(oidSHA256), Salt: 48}),
			wantErr: "MGF1 hash differs"},
		{name: "RSA-PSS with trailing data", oid: oidRSAPSS, params: append(mustMarshal(t, goodPSS), 0), wantErr: "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			digest := tt.digest
			if digest == nil {
				digest = oidSHA256
			}
			si := signerInfo{sigAlgOID: tt.oid, sigAlgParams: tt.params, digestOID: digest}
			got, err := si.signatureAlgorithm()
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseExtension(t *testing.T) {
	type ext struct {
		ID       asn1.ObjectIdentifier
		Critical bool `asn1:"optional"`
		Value    []byte
	}
	id := asn1.ObjectIdentifier{1, 2, 3}
	require.NoError(t, parseExtension(newDERReader(mustMarshal(t, ext{ID: id, Value: []byte{1}}))))
	err := parseExtension(newDERReader(mustMarshal(t, ext{ID: id, Critical: true, Value: []byte{1}})))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unsupported critical TSTInfo extension 1.2.3")
}

func TestParseSignedAttributes(t *testing.T) {
	type attr struct {
		Type   asn1.ObjectIdentifier
		Values asn1.RawValue
	}
	set := func(values ...any) asn1.RawValue {
		var b []byte
		for _, v := range values {
			b = append(b, mustMarshal(t, v)...)
		}
		return asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: b}
	}
	ct := mustMarshal(t, attr{oidContentType, set(oidTSTInfo)})
	md := mustMarshal(t, attr{oidMessageDigest, set(make([]byte, 32))})
	tests := []struct {
		name    string
		content []byte
		wantErr string
	}{
		{name: "content type and digest", content: append(append([]byte(nil), ct...), md...)},
		{name: "duplicate content type", content: append(append([]byte(nil), ct...), ct...), wantErr: "occurs more than once"},
		{name: "two content type values", content: mustMarshal(t, attr{oidContentType, set(oidTSTInfo, oidTSTInfo)}), wantErr: "trailing data"},
		{name: "no value", content: mustMarshal(t, attr{asn1.ObjectIdentifier{1, 2, 3}, set()}), wantErr: "has no value"},
		{name: "digest not an octet string", content: mustMarshal(t, attr{oidMessageDigest, set(5)}), wantErr: "unexpected primitive universal tag 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var si signerInfo
			err := parseSignedAttributes(&si, tt.content)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, si.contentType.Equal(oidTSTInfo))
			assert.Len(t, si.messageDigest, 32)
		})
	}
}

func TestCheckSignedAttributesMissing(t *testing.T) {
	b, _ := ConformanceToken(t, "rekor2-happy-path")
	ts, err := Parse(b)
	require.NoError(t, err)
	require.NoError(t, ts.checkSignedAttributes())

	noCT := *ts
	noCT.signer.contentType = nil
	assert.ErrorContains(t, noCT.checkSignedAttributes(), "lack the content-type attribute")
	noMD := *ts
	noMD.signer.messageDigest = nil
	assert.ErrorContains(t, noMD.checkSignedAttributes(), "lack the message-digest attribute")
	sha1Digest := *ts
	sha1Digest.signer.digestOID = oidSHA1
	assert.ErrorContains(t, sha1Digest.checkSignedAttributes(), "digest algorithm 1.3.14.3.2.26 is not supported")

	// A signature algorithm for another key type than the certificate's.
	b, _ = ConformanceToken(t, "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail")
	freeTSA, err := Parse(b)
	require.NoError(t, err)
	err = ts.checkSignature(freeTSA.Certificates[0])
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "does not fit the *rsa.PublicKey key")
}

// FuzzParsePEMChain feeds the parser of GET .../certchain answers real TSA chains and near
// misses. It never panics, and what it accepts is 1 to 10 parsed certificates.
func FuzzParsePEMChain(f *testing.F) {
	for _, inst := range []trust.Instance{trust.PublicGood, trust.Staging} {
		cfg, err := trust.Embedded(inst)
		if err != nil {
			f.Fatal(err)
		}
		for _, a := range cfg.TrustedRoot.TimestampAuthorities {
			var b []byte
			for _, c := range a.Chain {
				b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
			}
			f.Add(b)
			f.Add(b[:len(b)/2])
		}
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		chain, err := parsePEMChain(data)
		if err != nil {
			if chain != nil {
				t.Errorf("returned a chain and an error")
			}
			return
		}
		if len(chain) == 0 || len(chain) > maxChainCertificates {
			t.Errorf("accepted a chain of %d certificates", len(chain))
		}
		_, _ = trust.CheckChain(chain, trust.TSAChain)
	})
}
