package dsse_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/pkg/dsse"
)

// FuzzParseStatement feeds ParseStatement the in-toto statements of the conformance suite's
// DSSE bundles and a few made here. It must never panic; a statement it returns keeps the
// promises of its doc comment, and matching digests against it never panics.
func FuzzParseStatement(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(conformanceDir(f), "*", "bundle.sigstore.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no conformance bundles: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var b pbbundle.Bundle
		if protojson.Unmarshal(data, &b) == nil && b.GetDsseEnvelope() != nil {
			f.Add(b.GetDsseEnvelope().GetPayload())
		}
	}
	f.Add(statement(f, nil))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"digest":{"sha256":"AB","sha512":"cd"}},{"name":"x","digest":{"gitCommit":"01"}}],"predicateType":"p"}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a"}],"predicateType":"p"}`))
	f.Add([]byte(`null`))

	f.Fuzz(func(t *testing.T, payload []byte) {
		st, err := dsse.ParseStatement(payload)
		if err != nil {
			if st != nil {
				t.Errorf("ParseStatement returned a statement and an error")
			}
			return
		}
		checkStatement(t, st)
		// Every hex digest a subject carries matches itself.
		for i, s := range st.Subject {
			for alg, v := range s.Digest {
				d, err := hex.DecodeString(v)
				if err != nil || len(d) == 0 {
					continue
				}
				m, ok := st.MatchDigest(alg, d)
				if !ok {
					t.Errorf("subject %d's %s digest %q does not match itself", i, alg, v)
					continue
				}
				if !strings.EqualFold(m.Digest[alg], v) {
					t.Errorf("%s digest %q matched subject with %q", alg, v, m.Digest[alg])
				}
			}
		}
	})
}
