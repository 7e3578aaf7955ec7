package verify_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbdsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/verify"
)

// The release the attestation tests publish: artifact is its sdist, and a wheel.
var (
	sdistName = "signet_demo-1.0.0.tar.gz"
	wheelName = "signet_demo-1.0.0-py3-none-any.whl"
	wheel     = []byte("the wheel\n")
)

func publishStatement(t *testing.T, predicateType string) []byte {
	t.Helper()
	sdist, err := attest.Digest(sdistName, bytes.NewReader(artifact), attest.SHA256, attest.SHA512)
	require.NoError(t, err)
	whl, err := attest.Digest(wheelName, bytes.NewReader(wheel), attest.SHA256, attest.SHA512)
	require.NoError(t, err)
	r, err := attest.NewRelease("pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org/legacy/", []dsse.Subject{sdist, whl})
	require.NoError(t, err)
	_, payload, err := r.Statement(predicateType)
	require.NoError(t, err)
	return payload
}

func hexSum(h crypto.Hash, data []byte) string {
	hh := h.New()
	hh.Write(data)
	return hex.EncodeToString(hh.Sum(nil))
}

func statementOf(predicateType string, predicate string, subjects ...dsse.Subject) []byte {
	st, _ := json.Marshal(map[string]any{"_type": dsse.StatementTypeV1, "subject": subjects,
		"predicateType": predicateType, "predicate": json.RawMessage(predicate)})
	return st
}

func publishPolicy(t *testing.T, purl, registry string) verify.Policy {
	p := keylessPolicy()
	pp, err := attest.NewPublishPolicy(purl, registry)
	require.NoError(t, err)
	p.Publish = pp
	return p
}

func TestVerifyStatementPolicy(t *testing.T) {
	withPredicateType := func(pt string) verify.Policy { p := keylessPolicy(); p.PredicateType = pt; return p }
	digestOf := func(h crypto.Hash, data []byte) verify.Artifact {
		d, _ := hex.DecodeString(hexSum(h, data))
		return verify.ArtifactDigest(h, d)
	}
	publish := func(in *instance) *pbbundle.Bundle {
		return in.dsseBundleWith(in.v1, dsse.InTotoPayloadType, publishStatement(in.t, ""))
	}
	pep740 := func(in *instance) *pbbundle.Bundle {
		return in.dsseBundleWith(in.v1, dsse.InTotoPayloadType, statementOf(attest.PyPIPublishPredicateType, "null",
			dsse.Subject{Name: sdistName, Digest: map[string]string{"sha256": hexSum(crypto.SHA256, artifact)}}))
	}
	pypi := func(dist string) verify.Policy {
		p := keylessPolicy()
		p.PyPI = &attest.PyPIPolicy{Distribution: dist}
		return p
	}
	cases := []struct {
		name   string
		bundle func(in *instance) *pbbundle.Bundle
		art    verify.Artifact
		policy verify.Policy
		step   verify.Step
		msg    string
		check  func(t *testing.T, res *verify.Result)
	}{
		{name: "the predicate type asked for", bundle: func(in *instance) *pbbundle.Bundle { return in.dsseBundle(in.v1) },
			art: artifactReader(), policy: withPredicateType("https://example.com/predicate/v1"),
			check: func(t *testing.T, res *verify.Result) {
				require.Equal(t, "https://example.com/predicate/v1", res.PredicateType)
				require.Len(t, res.MatchedSubjects, 1)
				require.Equal(t, "artifact", res.MatchedSubjects[0].Name)
			}},
		{name: "another predicate type", bundle: func(in *instance) *pbbundle.Bundle { return in.dsseBundle(in.v1) },
			art: artifactReader(), policy: withPredicateType("https://slsa.dev/provenance/v1"),
			step: verify.StepPolicy, msg: "the statement's predicate type is https://example.com/predicate/v1, not https://slsa.dev/provenance/v1"},
		{name: "a predicate type of a message signature", bundle: func(in *instance) *pbbundle.Bundle { return in.messageBundle(in.v1, false) },
			art: artifactReader(), policy: withPredicateType("https://example.com/predicate/v1"),
			step: verify.StepPolicy, msg: "not an in-toto statement"},

		{name: "publish attestation for the sdist", bundle: publish, art: artifactReader(),
			policy: publishPolicy(t, "pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org/simple/"),
			check: func(t *testing.T, res *verify.Result) {
				require.Equal(t, &attest.PublishResult{PredicateType: attest.PublishPredicateType, Registry: attest.RegistryTestPyPI,
					RegistryChecked: true, Package: "pkg:pypi/signet-demo", Ecosystem: "pypi", Name: "signet-demo", Version: "1.0.0", File: sdistName}, res.Publish)
			}},
		{name: "publish attestation for the wheel", bundle: publish, art: verify.ArtifactReader(bytes.NewReader(wheel)),
			policy: publishPolicy(t, "pkg:pypi/signet-demo@1.0", "https://test.pypi.org"),
			check:  func(t *testing.T, res *verify.Result) { require.Equal(t, wheelName, res.Publish.File) }},
		{name: "publish attestation, by the sha512 of the file", bundle: publish, art: digestOf(crypto.SHA512, wheel),
			policy: publishPolicy(t, "pkg:pypi/signet-demo@1.0", "https://test.pypi.org")},
		{name: "publish attestation, another registry", bundle: publish, art: artifactReader(),
			policy: publishPolicy(t, "pkg:pypi/signet-demo@1.0.0", "https://pypi.org"),
			step:   verify.StepPolicy, msg: "the attestation is for registry https://test.pypi.org, not https://pypi.org"},
		{name: "publish attestation, another version", bundle: publish, art: artifactReader(),
			policy: publishPolicy(t, "pkg:pypi/signet-demo@1.0.1", "https://test.pypi.org"),
			step:   verify.StepPolicy, msg: "for version 1.0.0 of pkg:pypi/signet-demo, not version 1.0.1"},
		{name: "publish attestation, another package", bundle: publish, art: artifactReader(),
			policy: publishPolicy(t, "pkg:pypi/signet-demo2@1.0.0", "https://test.pypi.org"),
			step:   verify.StepPolicy, msg: "for package pkg:pypi/signet-demo, not pkg:pypi/signet-demo2"},
		{name: "publish attestation, other bytes", bundle: publish, art: verify.ArtifactReader(strings.NewReader("tampered")),
			policy: publishPolicy(t, "pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org"), step: verify.StepArtifact},
		{name: "not a publish attestation", bundle: func(in *instance) *pbbundle.Bundle { return in.dsseBundle(in.v1) }, art: artifactReader(),
			policy: publishPolicy(t, "pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org"), step: verify.StepPolicy, msg: "no publish attestation"},
		{name: "a subject whose sha256 matches and sha512 does not", art: artifactReader(), policy: keylessPolicy(), step: verify.StepArtifact,
			bundle: func(in *instance) *pbbundle.Bundle {
				return in.dsseBundleWith(in.v1, dsse.InTotoPayloadType, statementOf("https://example.com/p", "{}", dsse.Subject{Name: "a",
					Digest: map[string]string{"sha256": hexSum(crypto.SHA256, artifact), "sha512": hexSum(crypto.SHA512, wheel)}}))
			}},
		{name: "the same subject by its sha256 alone", art: digestOf(crypto.SHA256, artifact), policy: keylessPolicy(),
			bundle: func(in *instance) *pbbundle.Bundle {
				return in.dsseBundleWith(in.v1, dsse.InTotoPayloadType, statementOf("https://example.com/p", "{}", dsse.Subject{Name: "a",
					Digest: map[string]string{"sha256": hexSum(crypto.SHA256, artifact), "sha512": hexSum(crypto.SHA512, wheel)}}))
			}},

		{name: "PEP 740 checks", bundle: pep740, art: artifactReader(), policy: pypi(sdistName)},
		{name: "PEP 740 checks, by digest", bundle: pep740, art: digestOf(crypto.SHA256, artifact), policy: pypi("Signet.Demo-1.0.tar.gz")},
		{name: "PEP 740, another distribution", bundle: pep740, art: artifactReader(), policy: pypi("signet_demo-1.0.1.tar.gz"),
			step: verify.StepPolicy, msg: "for distribution signet_demo-1.0.0.tar.gz, not signet_demo-1.0.1.tar.gz"},
		{name: "PEP 740, a wheel of the version", bundle: pep740, art: artifactReader(), policy: pypi(wheelName), step: verify.StepPolicy},
		{name: "PEP 740, two subjects", bundle: publish, art: artifactReader(), policy: pypi(sdistName), step: verify.StepPolicy, msg: "2 subjects"},
		{name: "PEP 740 publish v1 as a publish attestation, unbound", bundle: pep740, art: artifactReader(),
			policy: publishPolicy(t, "pkg:pypi/signet-demo@1.0.0", "https://pypi.org"), step: verify.StepPolicy, msg: "binds no registry"},
		{name: "PEP 740 publish v1 accepted unbound", bundle: pep740, art: artifactReader(),
			policy: func() verify.Policy {
				p := publishPolicy(t, "pkg:pypi/signet-demo@1.0.0", "https://pypi.org")
				p.Publish.InsecureAllowUnboundRegistry = true
				return p
			}(),
			check: func(t *testing.T, res *verify.Result) {
				require.False(t, res.Publish.RegistryChecked)
				require.Empty(t, res.Publish.Registry)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := newInstance(t)
			b, err := bundle.New(c.bundle(in))
			require.NoError(t, err)
			res, err := verify.Verify(in.trustedRoot(), b, c.art, c.policy)
			if c.step == "" {
				require.NoError(t, err)
				require.True(t, res.Verified)
				if c.check != nil {
					c.check(t, res)
				}
				return
			}
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			require.Equal(t, c.step, ve.Step, err.Error())
			require.Contains(t, err.Error(), c.msg)
			require.Equal(t, c.step, res.Error.Step)
			if c.step == verify.StepPolicy {
				// What was signed is wrong, not who signed it.
				var se *verify.StatementError
				require.ErrorAs(t, err, &se)
			}
		})
	}
}

// A PEP 740 attestation object made of a bundle reads back as that bundle and verifies
// under PEP 740's checks and the Trusted Publisher of its provenance.
func TestVerifyPEP740(t *testing.T) {
	in := newInstance(t)
	in.leaf = in.ca.IssueLeaf(in.key.Public(), sigstoretest.LeafOptions{
		URI: "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0", Issuer: "https://token.actions.githubusercontent.com",
		Extensions: map[int]string{12: "https://github.com/org/repo", 13: "abc123", 14: "refs/tags/v1.0.0",
			18: "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0"},
		NotBefore: signingTime.Add(-time1m), NotAfter: signingTime.Add(10 * time1m),
		SCTs: []sigstoretest.SCTOptions{{Log: 0}},
	}).Raw
	pb := in.dsseBundleWith(in.v1, dsse.InTotoPayloadType, statementOf(attest.PyPIPublishPredicateType, "null",
		dsse.Subject{Name: sdistName, Digest: map[string]string{"sha256": hexSum(crypto.SHA256, artifact)}}))
	entry, err := protojson.Marshal(pb.GetVerificationMaterial().GetTlogEntries()[0])
	require.NoError(t, err)
	att := fmt.Sprintf(`{"version":1,"verification_material":{"certificate":%q,"transparency_entries":[%s]},"envelope":{"statement":%q,"signature":%q}}`,
		base64.StdEncoding.EncodeToString(in.leaf), entry,
		base64.StdEncoding.EncodeToString(pb.GetDsseEnvelope().GetPayload()), base64.StdEncoding.EncodeToString(pb.GetDsseEnvelope().GetSignatures()[0].GetSig()))
	doc := `{"version":1,"attestation_bundles":[{"publisher":{"kind":"GitHub","repository":"org/repo","workflow":"release.yml","environment":""},"attestations":[` + att + `]}]}`

	policy := verify.Policy{Identities: []verify.Matcher{verify.Exact("https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0")},
		Issuers: []verify.Matcher{verify.Exact("https://token.actions.githubusercontent.com")}, Now: signingTime.Add(time1m),
		PyPI: &attest.PyPIPolicy{Distribution: sdistName}}
	for _, d := range []string{att, doc} {
		_, atts, err := attest.ReadAttestations([]byte(d))
		require.NoError(t, err)
		require.Len(t, atts, 1)
		require.NoError(t, atts[0].Err)
		p := policy
		p.Publisher = atts[0].Publisher
		res, err := verify.Verify(in.trustedRoot(), atts[0].Bundle, artifactReader(), p)
		require.NoError(t, err)
		require.Equal(t, attest.PyPIPublishPredicateType, res.PredicateType)
	}
	// Tampered twins: the provenance names another workflow or repository.
	for _, edit := range [][2]string{{`"workflow":"release.yml"`, `"workflow":"other.yml"`}, {`"repository":"org/repo"`, `"repository":"org/fork"`}} {
		_, atts, err := attest.ReadAttestations([]byte(strings.Replace(doc, edit[0], edit[1], 1)))
		require.NoError(t, err)
		p := policy
		p.Publisher = atts[0].Publisher
		_, err = verify.Verify(in.trustedRoot(), atts[0].Bundle, artifactReader(), p)
		var ve *verify.Error
		require.ErrorAs(t, err, &ve)
		require.Equal(t, verify.StepPolicy, ve.Step)
		require.Contains(t, err.Error(), "not the Trusted Publisher")
	}
}

const time1m = time.Minute

// keyDSSEBundle signs payload with the instance key as a DSSE envelope whose bundle names
// the key by hint, logged in Rekor v1 as dsse 0.0.1 with the public key.
func (in *instance) keyDSSEBundle(hint string, payload []byte) *pbbundle.Bundle {
	sig, err := dsse.Sign(in.key, crypto.SHA256, dsse.InTotoPayloadType, payload)
	require.NoError(in.t, err)
	body := sigstoretest.DSSEV001Body(in.t, sigstoretest.EntryContent{PublicKey: in.key.Public(), PayloadType: dsse.InTotoPayloadType, Payload: payload, Signatures: [][]byte{sig}})
	return &pbbundle.Bundle{
		MediaType: bundle.MediaType03New,
		VerificationMaterial: &pbbundle.VerificationMaterial{
			Content:     &pbbundle.VerificationMaterial_PublicKey{PublicKey: &pbcommon.PublicKeyIdentifier{Hint: hint}},
			TlogEntries: []*pbrekor.TransparencyLogEntry{in.v1.Append(body)},
		},
		Content: &pbbundle.Bundle_DsseEnvelope{DsseEnvelope: &pbdsse.Envelope{
			PayloadType: dsse.InTotoPayloadType, Payload: payload, Signatures: []*pbdsse.Signature{{Sig: sig}},
		}},
	}
}

func TestVerifyRegistryKeys(t *testing.T) {
	npmStatement := statementOf(attest.NPMPublishPredicateType, `{"name":"@scope/name","version":"1.2.3","registry":"https://registry.npmjs.org"}`,
		dsse.Subject{Name: "pkg:npm/%40scope/name@1.2.3", Digest: map[string]string{"sha512": hexSum(crypto.SHA512, artifact)}})
	keySet := func(in *instance, id string, entries string) *attest.KeySet {
		der, err := x509.MarshalPKIXPublicKey(in.key.Public())
		require.NoError(t, err)
		doc := strings.NewReplacer("ID", id, "KEY", base64.StdEncoding.EncodeToString(der)).Replace(entries)
		ks, err := attest.ParseNPMKeys([]byte(doc))
		require.NoError(t, err)
		return ks
	}
	const (
		v1Form   = `{"keys":[{"keyid":"ID","expires":EXPIRES,"keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"KEY"}]}`
		tufForm  = `{"keys":[{"keyId":"ID","keyUsage":"USAGE","publicKey":{"rawBytes":"KEY","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"START"}}}]}`
		noExpiry = "null"
	)
	expires := func(s string) string { return strings.Replace(v1Form, "EXPIRES", s, 1) }
	tuf := func(usage, start string) string {
		return strings.NewReplacer("USAGE", usage, "START", start).Replace(tufForm)
	}
	cases := []struct {
		name    string
		hint    string // "" means the key's npm key id
		entries string
		policy  func(p verify.Policy) verify.Policy
		msg     string
	}{
		{name: "a key without expiry", entries: expires(noExpiry)},
		{name: "a key expiring after the signature", entries: expires(`"2025-06-02T00:00:00Z"`)},
		{name: "a key that expired before the signature", entries: expires(`"2025-06-01T11:00:00Z"`), msg: "was not valid at the signing time 2025-06-01T12:00"},
		{name: "an attestation key", entries: tuf(attest.UsageAttestations, "2025-01-01T00:00:00Z")},
		{name: "an attestation key not yet valid", entries: tuf(attest.UsageAttestations, "2025-07-01T00:00:00Z"), msg: "was not valid"},
		{name: "a key for registry signatures only", entries: tuf(attest.UsageSignatures, "2025-01-01T00:00:00Z"), msg: "is for npm:signatures"},
		{name: "a key the set does not have", hint: "SHA256:other", entries: expires(noExpiry), msg: `no key "SHA256:other"`},
		{name: "as a publish attestation", entries: expires(noExpiry), policy: func(p verify.Policy) verify.Policy {
			p.Publish, _ = attest.NewPublishPolicy("pkg:npm/@scope/name@1.2.3", "https://registry.npmjs.org/")
			return p
		}},
		{name: "as a publish attestation for another version", entries: expires(noExpiry), msg: "for version 1.2.3", policy: func(p verify.Policy) verify.Policy {
			p.Publish, _ = attest.NewPublishPolicy("pkg:npm/@scope/name@1.2.4", "https://registry.npmjs.org/")
			return p
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := newInstance(t)
			id, err := attest.NPMKeyID(&in.key.PublicKey)
			require.NoError(t, err)
			hint := c.hint
			if hint == "" {
				hint = id
			}
			b, err := bundle.New(in.keyDSSEBundle(hint, npmStatement))
			require.NoError(t, err)
			p := verify.Policy{RegistryKeys: keySet(in, id, c.entries), Now: signingTime.Add(time1m)}
			if c.policy != nil {
				p = c.policy(p)
			}
			res, err := verify.Verify(in.trustedRoot(), b, artifactReader(), p)
			if c.msg == "" {
				require.NoError(t, err)
				require.Equal(t, id, res.PublicKey.Hint)
				return
			}
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			require.Equal(t, verify.StepPolicy, ve.Step)
			require.Contains(t, err.Error(), c.msg)
		})
	}

	// A key set verifies no certificate bundle, and a key bundle needs a verified time to
	// judge the key's window by.
	in := newInstance(t)
	id, _ := attest.NPMKeyID(&in.key.PublicKey)
	ks := keySet(in, id, expires(noExpiry))
	b, err := bundle.New(in.dsseBundle(in.v1))
	require.NoError(t, err)
	_, err = verify.Verify(in.trustedRoot(), b, artifactReader(), verify.Policy{RegistryKeys: ks})
	require.ErrorContains(t, err, "carries a certificate")
	b, err = bundle.New(in.keyDSSEBundle(id, npmStatement))
	require.NoError(t, err)
	_, err = verify.Verify(in.trustedRoot(), b, artifactReader(), verify.Policy{RegistryKeys: ks, InsecureIgnoreTlog: true})
	require.ErrorContains(t, err, "no verified signing time")
	// The envelope's key id and the hint must agree.
	pb := in.keyDSSEBundle(id, npmStatement)
	pb.GetDsseEnvelope().Signatures[0].Keyid = "SHA256:other"
	b, err = bundle.New(pb)
	require.NoError(t, err)
	_, err = verify.Verify(in.trustedRoot(), b, artifactReader(), verify.Policy{RegistryKeys: ks})
	require.ErrorContains(t, err, "differ")
}
