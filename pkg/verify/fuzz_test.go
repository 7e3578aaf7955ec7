package verify_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbdsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/verify"
)

// FuzzVerify runs the whole verification of a bundle that parses against a fake instance
// (CA with CT logs, Rekor v1 and v2, TSA): bundles of every shape the instance signs (message
// signature and DSSE, Rekor v1 and v2, with and without a timestamp, a key instead of a
// certificate) and mutations of them. The parser's checks are fuzzed by pkg/bundle; here the
// fuzzer reaches the chain, SCT, SET, inclusion proof, checkpoint, timestamp, signature,
// statement and policy steps with what the parser lets through. Nothing may panic; a bundle
// that verifies with a key policy names that key, and one that verifies keylessly names the
// signer's identity.
func FuzzVerify(f *testing.F) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ca := sigstoretest.NewCA(f, sigstoretest.WithCAClock(now))
	v1 := sigstoretest.NewLog(f, sigstoretest.RekorV1)
	v2 := sigstoretest.NewLog(f, sigstoretest.RekorV2, sigstoretest.LogHost("log2025.rekor.example.test"))
	tsa := sigstoretest.NewTSA(f, sigstoretest.WithTSAClock(now.Add(30*time.Second)))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	const email, issuer = "alice@example.com", "https://oauth2.sigstoretest.invalid/auth"
	leaf := ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{Email: email, Issuer: issuer,
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(10 * time.Minute)}).Raw
	tr, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{
		MediaType:              trust.TrustedRootMediaType01,
		Tlogs:                  []*pbtrust.TransparencyLogInstance{v1.TransparencyLog(), v2.TransparencyLog()},
		CertificateAuthorities: []*pbtrust.CertificateAuthority{ca.Authority()},
		Ctlogs:                 ca.CTLogs(),
		TimestampAuthorities:   []*pbtrust.CertificateAuthority{tsa.Authority()},
	})
	if err != nil {
		f.Fatal(err)
	}
	art := []byte("signet fuzz artifact\n")
	digest := sha256.Sum256(art)
	policies := []verify.Policy{
		{Identities: []verify.Matcher{verify.Exact(email)}, Issuers: []verify.Matcher{verify.Exact(issuer)}, Now: now.Add(time.Hour)},
		{Keys: []verify.TrustedKey{{Public: key.Public()}}, Now: now.Add(time.Hour)},
	}

	material := func(withKey bool) *pbbundle.VerificationMaterial {
		if withKey {
			return &pbbundle.VerificationMaterial{Content: &pbbundle.VerificationMaterial_PublicKey{
				PublicKey: &pbcommon.PublicKeyIdentifier{Hint: "release-key"}}}
		}
		return &pbbundle.VerificationMaterial{Content: &pbbundle.VerificationMaterial_Certificate{
			Certificate: &pbcommon.X509Certificate{RawBytes: leaf}}}
	}
	content := func(withKey bool) sigstoretest.EntryContent {
		if withKey {
			return sigstoretest.EntryContent{PublicKey: key.Public()}
		}
		return sigstoretest.EntryContent{Certificate: leaf}
	}
	add := func(b *pbbundle.Bundle, withKey bool) {
		data, err := bundle.Marshal(b)
		if err != nil {
			f.Fatal(err)
		}
		parsed, err := bundle.Parse(data)
		if err == nil {
			_, err = verify.Verify(tr, parsed, verify.ArtifactReader(bytes.NewReader(art)), policies[b2i(withKey)])
		}
		if err != nil {
			f.Fatalf("a seed does not verify: %v", err)
		}
		f.Add(data, withKey)
	}
	for _, withKey := range []bool{false, true} {
		// Message signatures: Rekor v1 (SET and proof), Rekor v2 with a timestamp.
		sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
		if err != nil {
			f.Fatal(err)
		}
		c := content(withKey)
		c.Hash, c.Digest, c.Signature = crypto.SHA256, digest[:], sig
		for _, log := range []*sigstoretest.Log{v1, v2} {
			b := &pbbundle.Bundle{MediaType: bundle.MediaType03New, VerificationMaterial: material(withKey),
				Content: &pbbundle.Bundle_MessageSignature{MessageSignature: &pbcommon.MessageSignature{
					MessageDigest: &pbcommon.HashOutput{Algorithm: pbcommon.HashAlgorithm_SHA2_256, Digest: digest[:]},
					Signature:     sig,
				}}}
			if log == v1 {
				b.VerificationMaterial.TlogEntries = []*pbrekor.TransparencyLogEntry{log.Append(sigstoretest.HashedRekordV001Body(f, c))}
			} else {
				b.VerificationMaterial.TlogEntries = []*pbrekor.TransparencyLogEntry{log.Append(sigstoretest.HashedRekordV002Body(f, c))}
				b.VerificationMaterial.TimestampVerificationData = &pbbundle.TimestampVerificationData{
					Rfc3161Timestamps: []*pbcommon.RFC3161SignedTimestamp{{SignedTimestamp: tsa.Timestamp(sig)}}}
			}
			add(b, withKey)
		}
		// DSSE envelopes of an in-toto statement: Rekor v1 dsse, Rekor v2 hashedrekord over
		// the PAE with a timestamp.
		payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"artifact","digest":{"sha256":"` +
			hex.EncodeToString(digest[:]) + `"}}],"predicateType":"https://example.com/predicate/v1","predicate":{}}`)
		dsig, err := dsse.Sign(key, crypto.SHA256, dsse.InTotoPayloadType, payload)
		if err != nil {
			f.Fatal(err)
		}
		for _, log := range []*sigstoretest.Log{v1, v2} {
			b := &pbbundle.Bundle{MediaType: bundle.MediaType03New, VerificationMaterial: material(withKey),
				Content: &pbbundle.Bundle_DsseEnvelope{DsseEnvelope: &pbdsse.Envelope{
					PayloadType: dsse.InTotoPayloadType, Payload: payload, Signatures: []*pbdsse.Signature{{Sig: dsig}}}}}
			c := content(withKey)
			if log == v1 {
				c.PayloadType, c.Payload, c.Signatures = dsse.InTotoPayloadType, payload, [][]byte{dsig}
				b.VerificationMaterial.TlogEntries = []*pbrekor.TransparencyLogEntry{log.Append(sigstoretest.DSSEV001Body(f, c))}
			} else {
				pae := sha256.Sum256(dsse.PAE(dsse.InTotoPayloadType, payload))
				c.Hash, c.Digest, c.Signature = crypto.SHA256, pae[:], dsig
				b.VerificationMaterial.TlogEntries = []*pbrekor.TransparencyLogEntry{log.Append(sigstoretest.HashedRekordV002Body(f, c))}
				b.VerificationMaterial.TimestampVerificationData = &pbbundle.TimestampVerificationData{
					Rfc3161Timestamps: []*pbcommon.RFC3161SignedTimestamp{{SignedTimestamp: tsa.Timestamp(dsig)}}}
			}
			add(b, withKey)
		}
	}

	f.Fuzz(func(t *testing.T, data []byte, withKey bool) {
		b, err := bundle.Parse(data)
		if err != nil {
			return
		}
		res, err := verify.Verify(tr, b, verify.ArtifactReader(bytes.NewReader(art)), policies[b2i(withKey)])
		if err != nil {
			return
		}
		if !res.Verified {
			t.Fatal("Verify returned no error and a result that is not verified")
		}
		if !withKey && (res.Identity == nil || res.Identity.SAN != email) {
			t.Fatalf("verified keylessly for identity %+v", res.Identity)
		}
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
