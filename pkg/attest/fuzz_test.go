package attest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/dsse"
)

// ecosystemFiles adds the ecosystem corpus's data files of kinds as seeds, when the shared
// data is there (fuzzing works without it).
func ecosystemFiles(f *testing.F, kinds ...string) {
	for _, kind := range kinds {
		paths, _ := filepath.Glob(filepath.Join(shareddata.Root(), "corpus", "ecosystem", kind, "*", "case.json"))
		for _, p := range paths {
			var c struct{ File string }
			data, err := os.ReadFile(p)
			if err != nil || json.Unmarshal(data, &c) != nil {
				continue
			}
			if doc, err := os.ReadFile(filepath.Join(filepath.Dir(p), c.File)); err == nil {
				f.Add(doc)
			}
		}
	}
}

// FuzzParsePURL: a purl that parses has a canonical form that parses to the same purl.
func FuzzParsePURL(f *testing.F) {
	for _, s := range []string{"pkg:pypi/Requests@2.32.0", "pkg:npm/%40scope/name@1.0.0", "pkg:npm/@scope/name@1.0.0",
		"pkg://generic/a/b/c@1%2B2", "pkg:pypi/x?y#z", "pkg:npm/@/x@", "pkg:npm/%40%40a/b@1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := attest.ParsePURL(s)
		if err != nil {
			return
		}
		q, err := attest.ParsePURL(p.String())
		if err != nil || q != p {
			t.Fatalf("%q parses to %+v, whose canonical form %q parses to %+v (%v)", s, p, p.String(), q, err)
		}
		if !p.SamePackage(q) {
			t.Fatalf("%+v is not its own package", p)
		}
	})
}

// FuzzCanonicalRegistry: canonicalising is idempotent, and a known registry's identity is
// its own.
func FuzzCanonicalRegistry(f *testing.F) {
	for _, s := range []string{"https://upload.pypi.org/legacy/", "HTTPS://PyPI.org:443/simple/", "http://[::1]:80/a%20b/",
		"https://test.pypi.org./legacy", "https://x/a/../b", "https://x:0443/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := attest.CanonicalRegistry(s)
		if err != nil {
			return
		}
		c2, err := attest.CanonicalRegistry(c)
		if err != nil || c2 != c {
			t.Fatalf("%q canonicalises to %q, which canonicalises to %q (%v)", s, c, c2, err)
		}
	})
}

// FuzzParseDistribution: a filename that parses names a distribution equal to itself, whose
// version's normal form parses to an equal version.
func FuzzParseDistribution(f *testing.F) {
	for _, s := range []string{"spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "pypi_attestations-0.0.19.tar.gz",
		"foo-1!2.0rc1.post2.dev3+local.7-1abc-py2.py3-none-any.whl", "a-v1.0-x.zip", "x-1.0-py3-none-any.whl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := attest.ParseDistribution(s)
		if err != nil {
			return
		}
		if !d.Equal(d) {
			t.Fatalf("%q is not equal to itself", s)
		}
		v, err := attest.ParsePEP440(d.Version.String())
		if err != nil || !v.Equal(d.Version) || v.String() != d.Version.String() {
			t.Fatalf("%q: version %q does not read back (%v)", s, d.Version, err)
		}
	})
}

// FuzzReadAttestations feeds the reader of attestation documents the ecosystem corpus and
// variations: it never panics, and every attestation it returns has a bundle or an error.
func FuzzReadAttestations(f *testing.F) {
	ecosystemFiles(f, "pep740-attestation", "pypi-provenance", "npm-attestations", "github-attestation")
	f.Add([]byte(`{"version":1,"verification_material":{"certificate":"AA==","transparency_entries":[{}]},"envelope":{"statement":"e30=","signature":"AA=="}}`))
	f.Add([]byte(`{"version":1,"attestation_bundles":[{"publisher":{"kind":"Google","email":"a"},"attestations":[]}]}`))
	f.Add([]byte(`{"attestations":[{"predicateType":"x","bundle":{"mediaType":"x"}}]}`))
	f.Add([]byte("{\"mediaType\":1}\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, atts, err := attest.ReadAttestations(data)
		if err != nil {
			return
		}
		if len(atts) == 0 {
			t.Fatal("a document without attestations was read")
		}
		for i, a := range atts {
			if a.Bundle == nil && a.Err == nil {
				t.Fatalf("attestation %d has neither a bundle nor an error", i)
			}
			_ = a.PredicateType()
		}
	})
}

// FuzzParseNPMKeys: every usable key of a set that parses has the key id npm computes for it.
func FuzzParseNPMKeys(f *testing.F) {
	ecosystemFiles(f, "npm-keys")
	f.Add([]byte(`{"keys":[{"keyid":"a","expires":null,"keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"AA=="}]}`))
	f.Add([]byte(`{"keys":[{"keyId":"a","keyUsage":"npm:attestations","publicKey":{"rawBytes":"AA==","keyDetails":"x","validFor":{"start":"2020-01-01T00:00:00Z"}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := attest.ParseNPMKeys(data)
		if err != nil {
			return
		}
		for _, k := range ks.Keys {
			id, err := attest.NPMKeyID(k.Key)
			if err != nil || id != k.KeyID {
				t.Fatalf("key %s is usable but its id is %s (%v)", k.KeyID, id, err)
			}
		}
	})
}

// FuzzPublishCheck feeds publish policies arbitrary statements: a statement passes only for
// the registry (when it names one), package and version of the policy.
func FuzzPublishCheck(f *testing.F) {
	r, err := attest.NewRelease("pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org/legacy/", []dsse.Subject{
		{Name: "signet_demo-1.0.0.tar.gz", Digest: map[string]string{"sha256": hex64, "sha512": hex64 + hex64}}})
	if err != nil {
		f.Fatal(err)
	}
	_, payload, err := r.Statement("")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(payload)
	npm, _ := attest.NewRelease("pkg:npm/@s/n@1.0.0", "https://registry.npmjs.org", []dsse.Subject{{Name: "n.tgz", Digest: map[string]string{"sha256": hex64, "sha512": hex64 + hex64}}})
	_, payload, _ = npm.Statement("")
	f.Add(payload)
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"signet_demo-1.0.tar.gz","digest":{"sha256":"00"}}],"predicateType":"https://docs.pypi.org/attestations/publish/v1","predicate":null}`))
	policies := []*attest.PublishPolicy{}
	for _, c := range [][2]string{{"pkg:pypi/signet-demo@1.0", "https://test.pypi.org"}, {"pkg:npm/@s/n@1.0.0", "https://registry.npmjs.org"}} {
		p, err := attest.NewPublishPolicy(c[0], c[1])
		if err != nil {
			f.Fatal(err)
		}
		p.InsecureAllowUnboundRegistry = true
		policies = append(policies, p)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		st, err := dsse.ParseStatement(payload)
		if err != nil {
			return
		}
		for _, p := range policies {
			for i := range st.Subject {
				res, err := p.Check(st, &st.Subject[i])
				if err != nil {
					continue
				}
				if res.RegistryChecked && res.Registry != p.Registry {
					t.Fatalf("passed for registry %s under a policy for %s", res.Registry, p.Registry)
				}
				if res.Package != p.Package.Package() || !attest.SameVersion(p.Package.Type, res.Version, p.Package.Version) {
					t.Fatalf("passed for %s@%s under a policy for %s", res.Package, res.Version, p.Package)
				}
			}
		}
	})
}

const hex64 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

// FuzzCheckStatement: a statement CheckStatement accepts is one dsse.ParseStatement reads.
func FuzzCheckStatement(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + hex64 + `"}}],"predicateType":"https://x/y","predicate":{}}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha1":"00","sha256":"` + hex64 + `"}}],"predicateType":"urn:x","predicate":null}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		st, err := attest.CheckStatement(payload)
		if err != nil {
			return
		}
		if _, err := dsse.ParseStatement(payload); err != nil || len(st.Subject) == 0 {
			t.Fatalf("accepted a statement ParseStatement refuses: %v", err)
		}
	})
}
