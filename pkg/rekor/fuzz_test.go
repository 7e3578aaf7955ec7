package rekor

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/internal/sigstoretest"
)

// conformanceEntries returns the log entries of every well-formed bundle in the conformance suite.
func conformanceEntries(f *testing.F) []*pbrekor.TransparencyLogEntry {
	paths, err := filepath.Glob(filepath.Join(conformanceDir(f), "*", "bundle.sigstore.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no conformance bundles: %v", err)
	}
	var entries []*pbrekor.TransparencyLogEntry
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var b pbbundle.Bundle
		if protojson.Unmarshal(data, &b) != nil {
			continue // the malformed-bundle cases have nothing for this package
		}
		entries = append(entries, b.GetVerificationMaterial().GetTlogEntries()...)
	}
	return entries
}

func FuzzParseCheckpoint(f *testing.F) {
	for _, e := range conformanceEntries(f) {
		if env := e.GetInclusionProof().GetCheckpoint().GetEnvelope(); env != "" {
			f.Add(env)
		}
	}
	fake := sigstoretest.NewLog(f, sigstoretest.RekorV2, sigstoretest.LogWitnesses(2))
	log := trustLog(f, fake)
	f.Add(fake.Append([]byte(`{"kind":"hashedrekord","apiVersion":"0.0.2"}`)).GetInclusionProof().GetCheckpoint().GetEnvelope())
	f.Add("o\n0\n" + rootB64 + "\n")
	f.Add("o\n1\n" + rootB64 + "\nA\n\nB\n\n")

	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpoint(text)
		if err == nil {
			if c.Origin == "" || strings.Contains(c.Origin, "\n") {
				t.Errorf("parsed an origin of %q", c.Origin)
			}
			for _, x := range c.Extensions {
				if x == "" || strings.Contains(x, "\n") {
					t.Errorf("parsed an extension line %q", x)
				}
			}
		}
		if vc, err := VerifyCheckpoint(text, log); err == nil {
			// Only the fake log's own checkpoints verify.
			if vc.Origin != fake.Host() {
				t.Errorf("verified a checkpoint with origin %q", vc.Origin)
			}
		}
	})
}

func FuzzVerifyBody(f *testing.F) {
	kinds := []*pbrekor.KindVersion{
		{Kind: "hashedrekord", Version: "0.0.1"},
		{Kind: "dsse", Version: "0.0.1"},
		{Kind: "intoto", Version: "0.0.2"},
		{Kind: "hashedrekord", Version: "0.0.2"},
		{Kind: "dsse", Version: "0.0.2"},
	}
	kindIndex := func(kv *pbrekor.KindVersion) uint8 {
		for i, k := range kinds {
			if k.Kind == kv.GetKind() && k.Version == kv.GetVersion() {
				return uint8(i)
			}
		}
		return 0
	}
	for _, e := range conformanceEntries(f) {
		f.Add(e.GetCanonicalizedBody(), kindIndex(e.GetKindVersion()), false)
		f.Add(e.GetCanonicalizedBody(), kindIndex(e.GetKindVersion()), true)
	}

	key := newKey(f)
	cert := newCert(f, key, "fuzz")
	digest := sha256.Sum256([]byte("artifact"))
	c := sigstoretest.EntryContent{Certificate: cert, Hash: crypto.SHA256, Digest: digest[:], Signature: []byte("signature"),
		PayloadType: "application/vnd.in-toto+json", Payload: []byte("{}"), Signatures: [][]byte{[]byte("signature")}}
	f.Add(sigstoretest.HashedRekordV001Body(f, c), uint8(0), false)
	f.Add(sigstoretest.DSSEV001Body(f, c), uint8(1), true)
	f.Add(sigstoretest.IntotoV002Body(f, c), uint8(2), true)
	f.Add(sigstoretest.HashedRekordV002Body(f, c), uint8(3), false)
	f.Add(sigstoretest.DSSEV002Body(f, c), uint8(4), true)

	message := Expected{Certificate: cert, Signature: []byte("signature"), Hash: crypto.SHA256, Digest: digest[:]}
	envelope := Expected{PublicKey: key.Public(), Envelope: &Envelope{PayloadType: c.PayloadType, Payload: c.Payload,
		Signatures: []EnvelopeSignature{{Sig: []byte("signature")}}}}

	f.Fuzz(func(t *testing.T, body []byte, kind uint8, dsse bool) {
		e := &pbrekor.TransparencyLogEntry{KindVersion: kinds[int(kind)%len(kinds)], CanonicalizedBody: body}
		exp := message
		if dsse {
			exp = envelope
		}
		_ = VerifyBody(e, exp)
	})
}

// FuzzParsePEMPublicKey feeds the parser of Rekor v1's GET /api/v1/log/publicKey answers
// PEM keys and near misses. It never panics, and what it accepts is one PKIX key.
func FuzzParsePEMPublicKey(f *testing.F) {
	l := sigstoretest.NewLog(f, sigstoretest.RekorV1)
	der, err := x509.MarshalPKIXPublicKey(l.PublicKey())
	if err != nil {
		f.Fatal(err)
	}
	good := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	f.Add(good)
	f.Add(append(append([]byte{}, good...), good...))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	f.Add([]byte("<html></html>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := parsePEMPublicKey(data)
		if err == nil {
			if _, merr := x509.MarshalPKIXPublicKey(key); merr != nil {
				t.Errorf("accepted a key that does not marshal: %v", merr)
			}
		} else if key != nil {
			t.Errorf("returned a key and an error")
		}
	})
}
