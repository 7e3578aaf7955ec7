package attest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
)

func selfSigned(t testing.TB) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	return der
}

// entryJSON is a structurally valid transparency log entry (protobuf JSON) with index i.
func entryJSON(i int) string {
	return fmt.Sprintf(`{"logIndex":"%d","logId":{"keyId":"AAAA"},"kindVersion":{"kind":"dsse","version":"0.0.1"},"integratedTime":"1700000000","canonicalizedBody":"e30="}`, i)
}

// pep740 is a PEP 740 attestation object around a statement.
func pep740(cert []byte, statement string, entries ...string) string {
	return fmt.Sprintf(`{"version":1,"verification_material":{"certificate":%q,"transparency_entries":[%s]},"envelope":{"statement":%q,"signature":%q}}`,
		base64.StdEncoding.EncodeToString(cert), strings.Join(entries, ","),
		base64.StdEncoding.EncodeToString([]byte(statement)), base64.StdEncoding.EncodeToString([]byte("sig")))
}

const testStatement = `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"foo-1.0.tar.gz","digest":{"sha256":"` +
	"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" + `"}}],"predicateType":"https://docs.pypi.org/attestations/publish/v1","predicate":null}`

func TestPEP740Bundle(t *testing.T) {
	cert := selfSigned(t)
	doc := pep740(cert, testStatement, entryJSON(7), entryJSON(8))
	format, atts, err := attest.ReadAttestations([]byte(doc))
	require.NoError(t, err)
	require.Equal(t, attest.FormatPEP740, format)
	require.Len(t, atts, 1)
	a := atts[0]
	require.NoError(t, a.Err)
	require.True(t, a.PEP740())
	b := a.Bundle
	// As pypi-attestations' to_bundle: v0.3, the certificate, the first log entry, a DSSE
	// envelope of the in-toto payload type with the one signature and no key id.
	require.Equal(t, bundle.MediaType03New, b.MediaType)
	require.Equal(t, cert, b.Certificate.Raw)
	require.Len(t, b.TlogEntries, 1)
	require.Equal(t, int64(7), b.TlogEntries[0].GetLogIndex())
	require.Equal(t, dsse.InTotoPayloadType, b.Envelope.PayloadType)
	require.Equal(t, testStatement, string(b.Envelope.Payload))
	require.Equal(t, "sig", string(b.Envelope.Signature))
	require.Empty(t, b.Envelope.KeyID)
	require.Equal(t, attest.PyPIPublishPredicateType, a.PredicateType())

	// Timestamps become RFC 3161 timestamps; MIME-style base64 reads the same.
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &m))
	vm := m["verification_material"].(map[string]any)
	vm["timestamps"] = []string{base64.StdEncoding.EncodeToString([]byte("ts"))}
	c := vm["certificate"].(string)
	vm["certificate"] = c[:40] + "\n" + c[40:]
	data, _ := json.Marshal(m)
	_, atts, err = attest.ReadAttestations(data)
	require.NoError(t, err)
	require.NoError(t, atts[0].Err)
	require.Equal(t, [][]byte{[]byte("ts")}, atts[0].Bundle.Timestamps)
	require.Equal(t, cert, atts[0].Bundle.Certificate.Raw)

	// Tampered twins.
	bad := map[string]string{
		"version 2":          strings.Replace(doc, `"version":1`, `"version":2`, 1),
		"no version":         strings.Replace(doc, `"version":1,`, ``, 1),
		"no entries":         pep740(cert, testStatement),
		"entry not protobuf": pep740(cert, testStatement, `{"logIndex":"1","unknownField":1}`),
		"bad base64":         strings.Replace(doc, `"signature":"`, `"signature":"!`, 1),
		"repeated key":       strings.Replace(doc, `{"version":1,`, `{"version":1,"version":1,`, 1),
		"no envelope":        doc[:strings.Index(doc, `,"envelope"`)] + "}",
	}
	for name, d := range bad {
		_, _, err := attest.ReadAttestations([]byte(d))
		require.ErrorIs(t, err, bundle.ErrMalformed, name)
	}
	// A certificate that does not parse makes the attestation unverifiable, not the document unreadable.
	_, atts, err = attest.ReadAttestations([]byte(pep740([]byte("not a certificate"), testStatement, entryJSON(1))))
	require.NoError(t, err)
	require.ErrorIs(t, atts[0].Err, bundle.ErrMalformed)
	// An empty log entry is no bundle.
	_, atts, err = attest.ReadAttestations([]byte(pep740(cert, testStatement, `{}`)))
	require.NoError(t, err)
	require.Error(t, atts[0].Err)
}

func TestPyPIProvenance(t *testing.T) {
	cert := selfSigned(t)
	att := pep740(cert, testStatement, entryJSON(1))
	doc := `{"version":1,"attestation_bundles":[{"publisher":{"kind":"GitHub","repository":"org/repo","workflow":"release.yml","environment":null},"attestations":[` + att + `,` + att + `]},` +
		`{"publisher":{"kind":"Google","email":"sa@project.iam.gserviceaccount.com"},"attestations":[` + att + `]}]}`
	format, atts, err := attest.ReadAttestations([]byte(doc))
	require.NoError(t, err)
	require.Equal(t, attest.FormatPyPIProvenance, format)
	require.Len(t, atts, 3)
	for i, a := range atts {
		require.Equal(t, i, a.Index)
		require.NoError(t, a.Err)
		require.True(t, a.PEP740())
	}
	require.Equal(t, "GitHub org/repo, workflow release.yml", atts[1].Publisher.String())
	require.Equal(t, "sa@project.iam.gserviceaccount.com", atts[2].Publisher.Email)

	bad := map[string]string{
		"unknown kind":              strings.Replace(doc, `"kind":"Google"`, `"kind":"Bitbucket"`, 1),
		"GitHub without a workflow": strings.Replace(doc, `,"workflow":"release.yml"`, ``, 1),
		"Google with a repository":  strings.Replace(doc, `"email":"sa@`, `"repository":"x","email":"sa@`, 1),
		"unknown publisher field":   strings.Replace(doc, `"environment":null`, `"environment":null,"ref":"main"`, 1),
		"no attestations":           `{"version":1,"attestation_bundles":[{"publisher":{"kind":"Google","email":"a@b"},"attestations":[]}]}`,
		"no bundles":                `{"version":1,"attestation_bundles":[]}`,
		"version 2":                 strings.Replace(doc, `{"version":1,`, `{"version":2,`, 1),
	}
	for name, d := range bad {
		_, _, err := attest.ReadAttestations([]byte(d))
		require.Error(t, err, name)
	}
}

func TestPublisherVerify(t *testing.T) {
	gh := &attest.Publisher{Kind: "GitHub", Repository: "org/repo", Workflow: "release.yml"}
	ghClaims := attest.Claims{IssuerV2: "https://token.actions.githubusercontent.com", Issuer: "https://token.actions.githubusercontent.com",
		SourceRepositoryURI: "https://github.com/org/repo", SourceRepositoryDigest: "abc123", SourceRepositoryRef: "refs/tags/v1",
		BuildConfigURI: "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1"}
	gl := &attest.Publisher{Kind: "GitLab", Repository: "group/sub/project", WorkflowFilepath: ".gitlab-ci.yml"}
	glClaims := attest.Claims{IssuerV2: "https://gitlab.com", SourceRepositoryURI: "https://gitlab.com/group/sub/project",
		SourceRepositoryDigest: "abc123", SourceRepositoryRef: "refs/heads/main",
		BuildConfigURI: "https://gitlab.com/group/sub/project//.gitlab-ci.yml@abc123"}
	google := &attest.Publisher{Kind: "Google", Email: "sa@example.iam.gserviceaccount.com"}
	googleClaims := attest.Claims{SAN: "sa@example.iam.gserviceaccount.com", Issuer: "https://accounts.google.com"}

	with := func(c attest.Claims, f func(*attest.Claims)) attest.Claims { f(&c); return c }
	cases := []struct {
		name string
		p    *attest.Publisher
		c    attest.Claims
		msg  string
	}{
		{"GitHub at the ref", gh, ghClaims, ""},
		{"GitHub at the digest", gh, with(ghClaims, func(c *attest.Claims) {
			c.BuildConfigURI = "https://github.com/org/repo/.github/workflows/release.yml@abc123"
		}), ""},
		{"GitHub, only a digest", gh, with(ghClaims, func(c *attest.Claims) {
			c.SourceRepositoryRef, c.BuildConfigURI = "", "https://github.com/org/repo/.github/workflows/release.yml@abc123"
		}), ""},
		{"GitHub, another workflow", gh, with(ghClaims, func(c *attest.Claims) {
			c.BuildConfigURI = "https://github.com/org/repo/.github/workflows/other.yml@refs/tags/v1"
		}), "build config URI"},
		{"GitHub, a reusable workflow elsewhere", gh, with(ghClaims, func(c *attest.Claims) {
			c.BuildConfigURI = "https://github.com/evil/repo/.github/workflows/release.yml@refs/tags/v1"
		}), "build config URI"},
		{"GitHub, another repository", gh, with(ghClaims, func(c *attest.Claims) { c.SourceRepositoryURI = "https://github.com/org/fork" }), "source repository"},
		{"GitHub, another issuer", gh, with(ghClaims, func(c *attest.Claims) { c.IssuerV2 = "https://gitlab.com" }), "issuer"},
		{"GitHub, only the v1 issuer", gh, with(ghClaims, func(c *attest.Claims) { c.IssuerV2 = "" }), "issuer"},
		{"GitHub, no digest or ref", gh, with(ghClaims, func(c *attest.Claims) { c.SourceRepositoryDigest, c.SourceRepositoryRef = "", "" }), "neither"},
		{"GitLab", gl, glClaims, ""},
		{"GitLab, another file", gl, with(glClaims, func(c *attest.Claims) {
			c.BuildConfigURI = "https://gitlab.com/group/sub/project//wrong.yml@abc123"
		}), "build config URI"},
		{"GitLab, no ref", gl, with(glClaims, func(c *attest.Claims) { c.SourceRepositoryRef = "" }), "digest or ref"},
		{"Google", google, googleClaims, ""},
		{"Google, another account", google, with(googleClaims, func(c *attest.Claims) { c.SAN = "other@example.com" }), "service account"},
		{"Google, another issuer", google, with(googleClaims, func(c *attest.Claims) { c.Issuer = "https://accounts.example.com" }), "service account"},
	}
	for _, c := range cases {
		err := c.p.Verify(c.c)
		if c.msg == "" {
			require.NoError(t, err, c.name)
		} else {
			require.ErrorContains(t, err, c.msg, c.name)
		}
	}
}

func TestPyPIPolicy(t *testing.T) {
	st := func(s string) *dsse.Statement {
		t.Helper()
		parsed, err := dsse.ParseStatement([]byte(s))
		require.NoError(t, err)
		return parsed
	}
	good := st(testStatement)
	p := &attest.PyPIPolicy{Distribution: "foo-1.0.tar.gz"}
	require.NoError(t, p.Check(good, true))
	require.NoError(t, (&attest.PyPIPolicy{Distribution: "Foo-1.0.0.tar.gz"}).Check(good, true))
	slsa := st(strings.Replace(testStatement, attest.PyPIPublishPredicateType, attest.SLSAProvenanceV1, 1))
	require.NoError(t, p.Check(slsa, true))

	require.ErrorContains(t, p.Check(good, false), "sha256")
	require.ErrorContains(t, (&attest.PyPIPolicy{Distribution: "foo-1.1.tar.gz"}).Check(good, true), "for distribution foo-1.0.tar.gz, not foo-1.1.tar.gz")
	require.ErrorContains(t, (&attest.PyPIPolicy{Distribution: "foo-1.0-py3-none-any.whl"}).Check(good, true), "not foo-1.0-py3-none-any.whl")
	require.ErrorContains(t, (&attest.PyPIPolicy{Distribution: "foo.bin"}).Check(good, true), "the artifact's name")
	require.ErrorContains(t, p.Check(st(strings.Replace(testStatement, attest.PyPIPublishPredicateType, "https://example.com/p", 1)), true), "unknown PyPI attestation type")
	require.ErrorContains(t, p.Check(st(strings.Replace(testStatement, "Statement/v1", "Statement/v0.1", 1)), true), "in-toto")
	two := st(strings.Replace(testStatement, `"subject":[`, `"subject":[{"name":"foo-1.0.tar.gz","digest":{"sha256":"00"}},`, 1))
	require.ErrorContains(t, p.Check(two, true), "2 subjects")
	require.ErrorContains(t, p.Check(st(strings.Replace(testStatement, `"name":"foo-1.0.tar.gz",`, ``, 1)), true), "no name")
	require.ErrorContains(t, p.Check(st(strings.Replace(testStatement, `foo-1.0.tar.gz`, `foo.exe`, 1)), true), "subject")
}

func TestNPMAttestations(t *testing.T) {
	const sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	cert := selfSigned(t)
	bundleWith := func(predicateType string) string {
		st := `{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"pkg:npm/x@1.0.0","digest":{"sha256":"` + sha + `"}}],"predicateType":"` + predicateType + `"}`
		return fmt.Sprintf(`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","verificationMaterial":{"x509CertificateChain":{"certificates":[{"rawBytes":%q}]},"tlogEntries":[%s]},"dsseEnvelope":{"payload":%q,"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"c2ln","keyid":""}]}}`,
			base64.StdEncoding.EncodeToString(cert), entryJSON(1), base64.StdEncoding.EncodeToString([]byte(st)))
	}
	doc := `{"attestations":[{"predicateType":"https://slsa.dev/provenance/v0.2","bundle":` + bundleWith(attest.SLSAProvenanceV02) + `},` +
		`{"predicateType":"` + attest.NPMPublishPredicateType + `","bundle":` + bundleWith(attest.NPMPublishPredicateType) + `}]}`
	format, atts, err := attest.ReadAttestations([]byte(doc))
	require.NoError(t, err)
	require.Equal(t, attest.FormatNPMAttestations, format)
	require.Len(t, atts, 2)
	require.Equal(t, attest.NPMPublishPredicateType, atts[1].Label)
	require.Equal(t, 1, atts[1].Index)
	require.NoError(t, atts[0].Err)
	require.False(t, atts[0].PEP740())

	// A label that is not the signed predicate type makes that attestation fail, and only it.
	relabelled := strings.Replace(doc, `"predicateType":"https://slsa.dev/provenance/v0.2"`, `"predicateType":"https://slsa.dev/provenance/v1"`, 1)
	_, atts, err = attest.ReadAttestations([]byte(relabelled))
	require.NoError(t, err)
	require.ErrorContains(t, atts[0].Err, "labels attestation 0")
	require.NoError(t, atts[1].Err)

	for name, d := range map[string]string{
		"no attestations":    `{"attestations":[]}`,
		"no bundle":          `{"attestations":[{"predicateType":"x"}]}`,
		"no label":           `{"attestations":[{"bundle":` + bundleWith("x") + `}]}`,
		"repeated key":       `{"attestations":[],"attestations":[]}`,
		"not an attestation": `{"hello":"world"}`,
		"not JSON":           `attestations`,
	} {
		_, _, err := attest.ReadAttestations([]byte(d))
		require.Error(t, err, name)
	}

	// Bundles as JSON Lines.
	lines := bundleWith(attest.SLSAProvenanceV1) + "\n" + bundleWith(attest.SLSAProvenanceV1) + "\n"
	format, atts, err = attest.ReadAttestations([]byte(lines))
	require.NoError(t, err)
	require.Equal(t, attest.FormatBundleLines, format)
	require.Len(t, atts, 2)
	_, _, err = attest.ReadAttestations([]byte(lines + "{}\n"))
	require.Error(t, err)
	format, atts, err = attest.ReadAttestations([]byte(bundleWith(attest.SLSAProvenanceV1)))
	require.NoError(t, err)
	require.Equal(t, attest.FormatBundle, format)
	require.Len(t, atts, 1)
}

// keySet writes a key set of entries (npm's registry form or TUF form).
func keySet(t *testing.T, entries ...map[string]any) []byte {
	t.Helper()
	data, err := json.Marshal(map[string]any{"keys": entries})
	require.NoError(t, err)
	return data
}

func npmKey(t *testing.T) (*ecdsa.PrivateKey, string, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	require.NoError(t, err)
	id, err := attest.NPMKeyID(&k.PublicKey)
	require.NoError(t, err)
	return k, id, base64.StdEncoding.EncodeToString(der)
}

func TestNPMKeys(t *testing.T) {
	k1, id1, der1 := npmKey(t)
	_, id2, der2 := npmKey(t)
	require.True(t, strings.HasPrefix(id1, "SHA256:") && len(id1) == 7+43, id1)

	v1 := keySet(t,
		map[string]any{"expires": "2025-01-29T00:00:00.000Z", "keyid": id1, "keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256", "key": der1},
		map[string]any{"expires": nil, "keyid": id2, "keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256", "key": der2})
	ks, err := attest.ParseNPMKeys(v1)
	require.NoError(t, err)
	require.Len(t, ks.Keys, 2)
	require.Empty(t, ks.Keys[0].Usage)
	require.Equal(t, time.Date(2025, 1, 29, 0, 0, 0, 0, time.UTC), ks.Keys[0].Expires)
	keys, err := ks.Lookup(id1, attest.UsageAttestations)
	require.NoError(t, err)
	before, at := time.Date(2025, 1, 28, 23, 59, 59, 0, time.UTC), time.Date(2025, 1, 29, 0, 0, 0, 0, time.UTC)
	_, err = attest.ValidKey(keys, []time.Time{before})
	require.NoError(t, err)
	// A key past its expiry does not verify newer signatures; the expiry itself is past.
	_, err = attest.ValidKey(keys, []time.Time{at})
	require.ErrorContains(t, err, "was not valid at the signing time 2025-01-29T00:00:00Z")
	_, err = attest.ValidKey(keys, []time.Time{before, at})
	require.Error(t, err)
	_, err = attest.ValidKey(keys, nil)
	require.ErrorContains(t, err, "no verified signing time")
	_, err = ks.Lookup("SHA256:unknown", attest.UsageAttestations)
	require.ErrorContains(t, err, "no key")

	tuf := keySet(t,
		map[string]any{"keyId": id1, "keyUsage": attest.UsageSignatures, "publicKey": map[string]any{"rawBytes": der1, "keyDetails": "PKIX_ECDSA_P256_SHA_256",
			"validFor": map[string]any{"start": "1999-01-01T00:00:00.000Z", "end": "2025-01-29T00:00:00.000Z"}}},
		map[string]any{"keyId": id1, "keyUsage": attest.UsageAttestations, "publicKey": map[string]any{"rawBytes": der1, "keyDetails": "PKIX_ECDSA_P256_SHA_256",
			"validFor": map[string]any{"start": "2022-12-01T00:00:00.000Z", "end": "2025-01-29T00:00:00.000Z"}}},
		map[string]any{"keyId": id2, "keyUsage": attest.UsageSignatures, "publicKey": map[string]any{"rawBytes": der2, "keyDetails": "PKIX_ECDSA_P256_SHA_256",
			"validFor": map[string]any{"start": "2025-01-13T00:00:00.000Z"}}})
	ks, err = attest.ParseNPMKeys(tuf)
	require.NoError(t, err)
	require.Len(t, ks.Keys, 3)
	keys, err = ks.Lookup(id1, attest.UsageAttestations)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	// Before the attestation key's start, it did not sign.
	_, err = attest.ValidKey(keys, []time.Time{time.Date(2022, 11, 30, 0, 0, 0, 0, time.UTC)})
	require.Error(t, err)
	_, err = attest.ValidKey(keys, []time.Time{time.Date(2023, 2, 9, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	// A key for registry signatures only does not verify attestations.
	_, err = ks.Lookup(id2, attest.UsageAttestations)
	require.ErrorContains(t, err, "is for npm:signatures")

	// Registry signatures: over NAME@VERSION:INTEGRITY, at the publish time (2015-01-01 when unknown).
	const integrity = "sha512-QqZ7VJ/8xPkS9s2IWB7Shj3qTJdcRyeXKbPQnsZjsPEwvutGv0EGeVchPcauoiDFJlGbZMFq5GDCurAGNSghJQ=="
	digest := sha256.Sum256([]byte("kms-demo@1.0.0:" + integrity))
	der, err := ecdsa.SignASN1(rand.Reader, k1, digest[:])
	require.NoError(t, err)
	sig := base64.StdEncoding.EncodeToString(der)
	require.NoError(t, ks.VerifyRegistrySignature("kms-demo@1.0.0", integrity, id1, sig, time.Time{}))
	require.NoError(t, ks.VerifyRegistrySignature("kms-demo@1.0.0", integrity, id1, sig, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
	// Tampered twins: another package, integrity, key id, signature, or a time past the key.
	require.Error(t, ks.VerifyRegistrySignature("kms-demo@1.0.1", integrity, id1, sig, time.Time{}))
	require.Error(t, ks.VerifyRegistrySignature("kms-demo@1.0.0", "sha512-AAAA", id1, sig, time.Time{}))
	require.Error(t, ks.VerifyRegistrySignature("kms-demo@1.0.0", integrity, id2, sig, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)))
	require.Error(t, ks.VerifyRegistrySignature("kms-demo@1.0.0", integrity, id1, "bogus", time.Time{}))
	require.ErrorContains(t, ks.VerifyRegistrySignature("kms-demo@1.0.0", integrity, id1, sig, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)), "not valid")
	// The attestation entry of id1 starts 2022-12: npm's 2015 default time is before it,
	// but the signatures entry serves registry signatures.
	require.NoError(t, ks.VerifyRegistrySignature("kms-demo@1.0.0", integrity, id1, sig, time.Time{}))

	// An entry whose key id is not its key's vouches for nothing; the rest of the set loads.
	wrongID := "SHA256:2" + id1[8:]
	ks, err = attest.ParseNPMKeys(keySet(t,
		map[string]any{"expires": nil, "keyid": wrongID, "keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256", "key": der1},
		map[string]any{"expires": nil, "keyid": id2, "keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256", "key": der2}))
	require.NoError(t, err)
	require.Len(t, ks.Keys, 1)
	require.Len(t, ks.Unusable, 1)
	_, err = ks.Lookup(wrongID, attest.UsageAttestations)
	require.ErrorContains(t, err, "unusable")
	_, err = ks.Lookup(id1, attest.UsageAttestations)
	require.ErrorContains(t, err, "unusable keys")

	for name, d := range map[string]string{
		"empty":             `{"keys":[]}`,
		"both forms":        `{"keys":[{"keyid":"a","keyId":"a"}]}`,
		"neither form":      `{"keys":[{"id":"a"}]}`,
		"bad time":          `{"keys":[{"keyid":"` + id2 + `","expires":"tomorrow","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"` + der2 + `"}]}`,
		"bad key":           `{"keys":[{"keyid":"` + id2 + `","expires":null,"keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"AAAA"}]}`,
		"no key id":         `{"keys":[{"keyid":"","expires":null,"keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"` + der2 + `"}]}`,
		"repeated key":      `{"keys":[],"keys":[]}`,
		"keys not an array": `{"keys":{}}`,
	} {
		_, err := attest.ParseNPMKeys([]byte(d))
		require.Error(t, err, name)
	}
	// Another key type is listed as unusable.
	ks, err = attest.ParseNPMKeys([]byte(`{"keys":[{"keyid":"` + id2 + `","expires":null,"keytype":"ssh-ed25519","scheme":"ssh-ed25519","key":"` + der2 + `"}]}`))
	require.NoError(t, err)
	require.Len(t, ks.Unusable, 1)
}

// The key ids in npm's published key sets are those NPMKeyID computes (shared ecosystem data).
func TestNPMKeyIDKnownAnswer(t *testing.T) {
	dir := shareddata.Dir(t, "corpus", "ecosystem", "npm-keys")
	for _, c := range []string{"registry-keys-2025", "tuf-target-keys"} {
		data, err := os.ReadFile(filepath.Join(dir, c, "keys.json"))
		require.NoError(t, err)
		ks, err := attest.ParseNPMKeys(data)
		require.NoError(t, err)
		require.Empty(t, ks.Unusable, c)
		var ids []string
		for _, k := range ks.Keys {
			ids = append(ids, k.KeyID)
		}
		require.Contains(t, ids, "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA", c)
		require.Contains(t, ids, "SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U", c)
	}
}

// Every data file of the ecosystem corpus reads as the format its kind says.
func TestReadAttestationsEcosystem(t *testing.T) {
	dir := shareddata.Dir(t, "corpus", "ecosystem")
	formats := map[string]string{"pep740-attestation": attest.FormatPEP740, "pypi-provenance": attest.FormatPyPIProvenance, "npm-attestations": attest.FormatNPMAttestations}
	paths, _ := filepath.Glob(filepath.Join(dir, "*", "*", "case.json"))
	n := 0
	for _, p := range paths {
		var c struct{ Kind, File, Expect string }
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &c))
		want, ok := formats[c.Kind]
		if !ok {
			continue
		}
		doc, err := os.ReadFile(filepath.Join(filepath.Dir(p), c.File))
		require.NoError(t, err)
		format, atts, err := attest.ReadAttestations(doc)
		if strings.HasSuffix(filepath.Dir(p), "fail-rfc8785-draft-message-signature") {
			require.Error(t, err, "the draft shape of PEP 740 is no attestation object")
			continue
		}
		require.NoError(t, err, p)
		require.Equal(t, want, format, p)
		require.NotEmpty(t, atts)
		n++
	}
	require.Greater(t, n, 50)
}
