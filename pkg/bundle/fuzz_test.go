package bundle_test

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/signet-dev/signet/pkg/bundle"
)

// FuzzParse feeds Parse every bundle of the conformance suite and mutations of them. Parse
// must never panic; a bundle that loads keeps the package's promises and survives a
// Marshal/Parse round trip unchanged.
func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(conformanceDir(f), "*", "bundle.sigstore.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no conformance bundles: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"k"}},"messageSignature":{"signature":"MAE="}}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.2","verificationMaterial":{"x509CertificateChain":{"certificates":[]}},"dsseEnvelope":{"payloadType":"t","signatures":[{"sig":"AA=="}]}}`))
	f.Add([]byte(`{}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := bundle.Parse(data)
		if err != nil {
			if b != nil {
				t.Errorf("Parse returned a bundle and an error")
			}
			return
		}
		checkInvariants(t, b)
		out, err := bundle.Marshal(b.Proto())
		if err != nil {
			t.Fatalf("Marshal of a loaded bundle: %v", err)
		}
		b2, err := bundle.Parse(out)
		if err != nil {
			t.Fatalf("a marshaled bundle does not load: %v\n%s", err, out)
		}
		if !proto.Equal(b.Proto(), b2.Proto()) {
			t.Errorf("Marshal/Parse changed the bundle")
		}
	})
}
