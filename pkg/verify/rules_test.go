package verify_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbdsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/verify"
)

// TestVerifyRules checks the rules that the conformance suite leaves out: for each, a bundle
// that is valid in every byte but wrong in that one respect, minted with the in-process
// fakes, beside its valid twin.
func TestVerifyRules(t *testing.T) {
	type build = func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy)
	type rule struct {
		name string
		// valid is the twin that verifies; wrong breaks the rule, and must fail at step
		// with a message matching errRe.
		valid, wrong build
		step         verify.Step
		errRe        string
	}
	rules := []rule{
		// DSSE: the payload is an in-toto statement of a known type, with no repeated key.
		{name: "DSSE payload type", step: verify.StepArtifact, errRe: `payload type is "text/plain"`,
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.dsseBundle(in.v1), artifactReader(), keylessPolicy()
			},
			// The payload is the artifact itself, signed and logged as it is: no statement.
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.dsseBundleWith(in.v1, "text/plain", artifact), artifactReader(), keylessPolicy()
			}},
		{name: "statement without _type", step: verify.StepArtifact, errRe: "has no _type",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.dsseBundleWith(in.v2, dsse.InTotoPayloadType, statementWith(artifact, dsse.StatementTypeV01)), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.dsseBundleWith(in.v2, dsse.InTotoPayloadType, statementWith(artifact, "")), artifactReader(), keylessPolicy()
			}},
		{name: "statement of an unknown type", step: verify.StepArtifact, errRe: "unsupported in-toto statement type",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.dsseBundleWith(in.v1, dsse.InTotoPayloadType, statementWith(artifact, dsse.StatementTypeV1)), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.dsseBundleWith(in.v1, dsse.InTotoPayloadType, statementWith(artifact, "https://in-toto.io/Statement/v2")), artifactReader(), keylessPolicy()
			}},
		{name: "statement with two subject members", step: verify.StepArtifact, errRe: `key "subject" appears twice`,
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.dsseBundleWith(in.v1, dsse.InTotoPayloadType, statementFor(artifact)), artifactReader(), keylessPolicy()
			},
			// encoding/json would read the second subject (the artifact), others the first.
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				other := sha256.Sum256([]byte("other"))
				st := bytes.Replace(statementFor(artifact), []byte(`"subject":`),
					[]byte(`"subject":[{"name":"other","digest":{"sha256":"`+hex.EncodeToString(other[:])+`"}}],"subject":`), 1)
				return in.dsseBundleWith(in.v1, dsse.InTotoPayloadType, st), artifactReader(), keylessPolicy()
			}},

		// Thresholds count operators.
		{name: "tlog threshold counts operators", step: verify.StepTlog, errRe: "1 distinct transparency log operators verified, 2 required",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.Tlogs[0].Operator, in.root.Tlogs[1].Operator = "operator-a", "operator-b"
				return in.twoLogBundle(), artifactReader(), withTlogThreshold(keylessPolicy(), 2)
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.Tlogs[0].Operator, in.root.Tlogs[1].Operator = "operator-a", "operator-a"
				return in.twoLogBundle(), artifactReader(), withTlogThreshold(keylessPolicy(), 2)
			}},
		{name: "tlog threshold: a log without an operator counts as its own", step: verify.StepTlog, errRe: "1 distinct",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.Tlogs[0].Operator = "operator-a"
				return in.twoLogBundle(), artifactReader(), withTlogThreshold(keylessPolicy(), 2)
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.Tlogs[0].Operator = "operator-a"
				b := in.messageBundle(in.v1, false)
				b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, in.v1.Append(b.VerificationMaterial.TlogEntries[0].CanonicalizedBody))
				return b, artifactReader(), withTlogThreshold(keylessPolicy(), 2)
			}},
		{name: "TSA threshold counts operators", step: verify.StepTimestamp, errRe: "1 distinct timestamp authority operators vouch for the signature, 2 required",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.twoTSABundle("tsa-operator-a", "tsa-operator-b"), artifactReader(), withTSAThreshold(keylessPolicy(), 2)
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.twoTSABundle("tsa-operator", "tsa-operator"), artifactReader(), withTSAThreshold(keylessPolicy(), 2)
			}},
		{name: "TSA threshold: one TSA twice counts once", step: verify.StepTimestamp, errRe: "1 distinct timestamp authority operators",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.twoTSABundle("", ""), artifactReader(), withTSAThreshold(keylessPolicy(), 2)
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.messageBundle(in.v1, true)
				ts := b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps
				ts = append(ts, &pbcommon.RFC3161SignedTimestamp{SignedTimestamp: in.tsa.Timestamp(msgSig(b).Signature)})
				b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps = ts
				return b, artifactReader(), withTSAThreshold(keylessPolicy(), 2)
			}},
		{name: "CT log threshold counts operators", step: verify.StepSCT, errRe: "only 1 of the 2 required CT log operators",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.Ctlogs[0].Operator, in.root.Ctlogs[1].Operator = "ct-a", "ct-b"
				p := keylessPolicy()
				p.CTLogThreshold = 2
				return in.messageBundle(in.v1, false), artifactReader(), p
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.Ctlogs[0].Operator, in.root.Ctlogs[1].Operator = "ct", "ct"
				p := keylessPolicy()
				p.CTLogThreshold = 2
				return in.messageBundle(in.v1, false), artifactReader(), p
			}},

		// The code-signing certificate profile.
		{name: "leaf key usage without digitalSignature", step: verify.StepCertificate, errRe: "lacks digitalSignature",
			valid: leafWith(sigstoretest.LeafOptions{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}),
			wrong: leafWith(sigstoretest.LeafOptions{KeyUsage: x509.KeyUsageKeyEncipherment})},
		{name: "leaf is a CA", step: verify.StepCertificate, errRe: "is a CA certificate",
			valid: leafWith(sigstoretest.LeafOptions{}),
			wrong: leafWith(sigstoretest.LeafOptions{IsCA: true})},
		{name: "leaf without the code-signing EKU", step: verify.StepCertificate, errRe: "code-signing extended key usage",
			valid: leafWith(sigstoretest.LeafOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning, x509.ExtKeyUsageClientAuth}}),
			wrong: leafWith(sigstoretest.LeafOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})},
		// crypto/x509 refuses a parent whose key usage lacks keyCertSign, but accepts one
		// without a key usage extension at all.
		{name: "intermediate without key usage", step: verify.StepCertificate, errRe: "not a CA certificate with keyCertSign",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.reissueCA(x509.KeyUsageCertSign)
				return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.reissueCA(0)
				return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
			}},
		{name: "intermediate key usage without keyCertSign", step: verify.StepCertificate, errRe: "cannot sign",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.reissueCA(x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature)
				return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.reissueCA(x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature)
				return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
			}},
		{name: "Fulcio leaf with an email and a DNS name", step: verify.StepCertificate, errRe: "exactly one subject alternative name, this one 2",
			valid: leafWith(sigstoretest.LeafOptions{Email: signerEmail}),
			wrong: leafWith(sigstoretest.LeafOptions{Email: signerEmail, DNSName: "evil.example.com"})},
		{name: "Fulcio leaf with an email and a foreign otherName", step: verify.StepCertificate, errRe: "exactly one subject alternative name, this one 2",
			valid: leafWith(sigstoretest.LeafOptions{Email: signerEmail}),
			wrong: leafWith(sigstoretest.LeafOptions{Email: signerEmail, UPN: "admin@example.com"})},
		// An enterprise CA's certificate names no OIDC issuer: WithoutIssuer accepts it by its
		// SAN alone, and never a certificate that names an issuer, which must be checked.
		{name: "WithoutIssuer and a certificate that names an issuer", step: verify.StepPolicy, errRe: `names the OIDC issuer "https://oauth2\.sigstoretest\.invalid/auth", which must be checked`,
			valid: withoutIssuer(leafWith(sigstoretest.LeafOptions{OmitIssuerV1: true, OmitIssuerV2: true})),
			wrong: withoutIssuer(leafWith(sigstoretest.LeafOptions{OmitIssuerV1: true}))},
		{name: "a certificate without an issuer needs WithoutIssuer", step: verify.StepPolicy, errRe: `OIDC issuer "" does not match`,
			valid: withoutIssuer(leafWith(sigstoretest.LeafOptions{OmitIssuerV1: true, OmitIssuerV2: true})),
			wrong: leafWith(sigstoretest.LeafOptions{OmitIssuerV1: true, OmitIssuerV2: true})},
		// An enterprise certificate may name several subjects, and the identity is any of them;
		// a Fulcio certificate (it names an issuer) names exactly one.
		{name: "several subjects in a certificate without an issuer", step: verify.StepCertificate, errRe: "exactly one subject alternative name, this one 2",
			valid: withIdentity(workflowURI, withoutIssuer(leafWith(sigstoretest.LeafOptions{URI: workflowURI, OmitIssuerV1: true, OmitIssuerV2: true}))),
			wrong: withIdentity(workflowURI, leafWith(sigstoretest.LeafOptions{URI: workflowURI}))},
		{name: "an identity none of several subjects match", step: verify.StepPolicy, errRe: `none of the certificate identities "` + signerEmail + `", "` + workflowURI + `" matches the expected identity "https://ci.example.com/other"`,
			valid: withIdentity(signerEmail, withoutIssuer(leafWith(sigstoretest.LeafOptions{URI: workflowURI, OmitIssuerV1: true, OmitIssuerV2: true}))),
			wrong: withIdentity("https://ci.example.com/other", withoutIssuer(leafWith(sigstoretest.LeafOptions{URI: workflowURI, OmitIssuerV1: true, OmitIssuerV2: true})))},
		// The policy reads .8; a client that reads the deprecated .1 would see another issuer.
		{name: "Fulcio leaf whose issuer extensions disagree", step: verify.StepCertificate, errRe: "OIDC issuer extensions disagree",
			valid: leafWith(sigstoretest.LeafOptions{}),
			wrong: leafWith(sigstoretest.LeafOptions{OmitIssuerV1: true, ExtraExtensions: []pkix.Extension{
				{Id: sigstoretest.FulcioOID(1), Value: []byte("https://evil.example.com")}}})},

		// The timestamp authority profile, and whose validity counts.
		{name: "timestamp signed by a CA certificate", step: verify.StepTimestamp, errRe: "is a CA certificate",
			valid: tsaWith(),
			wrong: tsaWith(sigstoretest.WithTSALeafCA())},
		{name: "timestamp signed without the timeStamping EKU", step: verify.StepTimestamp, errRe: "does not allow timestamping",
			valid: tsaWith(sigstoretest.WithTSAExtKeyUsage(true, x509.ExtKeyUsageTimeStamping)),
			wrong: tsaWith(sigstoretest.WithTSAExtKeyUsage(true, x509.ExtKeyUsageCodeSigning))},
		{name: "another TSA entry lends its validity", step: verify.StepTimestamp, errRe: `outside the validity of timestamp authority \S+ \[\S+, 2025-06-01T12:00:00Z\], which signed it`,
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.TimestampAuthorities = append(in.root.TimestampAuthorities, chainless(signingTime.Add(-time.Hour), signingTime.Add(time.Hour)))
				return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
			},
			// The TSA that signed closed its window before the timestamp; a chainless
			// entry and another TSA cover the time, and authenticate nothing.
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.TimestampAuthorities[0].ValidFor.End = timestamppb.New(signingTime)
				other := sigstoretest.NewTSA(in.t, sigstoretest.WithTSAClock(signingTime)).Authority()
				in.root.TimestampAuthorities = append(in.root.TimestampAuthorities,
					chainless(signingTime.Add(-time.Hour), signingTime.Add(time.Hour)), other)
				return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
			}},

		// Times in the future, and every verified time inside the certificate's validity.
		{name: "timestamp in the future", step: verify.StepTimestamp, errRe: "is in the future",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				p := keylessPolicy()
				p.Now = signingTime.Add(30*time.Second - verify.MaxClockSkew) // the timestamp lies MaxClockSkew ahead
				return in.messageBundle(in.v2, true), artifactReader(), p
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				p := keylessPolicy()
				p.Now = signingTime.Add(29*time.Second - verify.MaxClockSkew)
				return in.messageBundle(in.v2, true), artifactReader(), p
			}},
		{name: "SCT in the future", step: verify.StepSCT, errRe: "SCT timestamp is in the future",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.leafSCTAt(signingTime.Add(time.Minute))
				return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.leafSCTAt(signingTime.Add(2 * time.Hour))
				return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
			}},
		{name: "every timestamp inside the certificate's validity", step: verify.StepCertificate, errRe: "certificate was not valid",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.twoTimesBundle(signingTime.Add(2 * time.Minute)), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.twoTimesBundle(signingTime.Add(20 * time.Minute)), artifactReader(), keylessPolicy()
			}},

		// Proven indices only.
		{name: "Rekor v2 logIndex is the proof's", step: verify.StepTlog, errRe: `logIndex (\d+) differs from the index \d+ its inclusion proof proves`,
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.messageBundle(in.v2, true)
				b.VerificationMaterial.TlogEntries[0].LogIndex++
				return b, artifactReader(), keylessPolicy()
			}},

		// Superfluous certificates in old bundles are ignored: the anchor is the trusted root's.
		{name: "v0.2 chain with intermediate and root", step: verify.StepTlog, errRe: "no inclusion proof",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.withChain(in.messageBundle(in.v1, false), bundle.MediaType02, in.ca.Intermediate().Raw, in.ca.Root().Raw), artifactReader(), keylessPolicy()
			},
			// It still fails for another reason.
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.withChain(in.messageBundle(in.v1, false), bundle.MediaType02, in.ca.Intermediate().Raw, in.ca.Root().Raw)
				b.VerificationMaterial.TlogEntries[0].InclusionProof = nil
				return b, artifactReader(), keylessPolicy()
			}},
		{name: "v0.1 chain that brings its own root", step: verify.StepCertificate, errRe: "does not chain to a trusted CA",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.withChain(in.messageBundle(in.v1, false), bundle.MediaType01, in.ca.Intermediate().Raw, in.ca.Root().Raw), artifactReader(), keylessPolicy()
			},
			// A rogue CA's chain in the bundle is no anchor.
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				rogue := sigstoretest.NewCA(in.t, sigstoretest.WithCAClock(signingTime))
				in.leaf = rogue.IssueLeaf(in.key.Public(), sigstoretest.LeafOptions{Email: signerEmail, Issuer: oidcIssuer,
					NotBefore: signingTime.Add(-time.Minute), NotAfter: signingTime.Add(10 * time.Minute)}).Raw
				return in.withChain(in.messageBundle(in.v1, false), bundle.MediaType01, rogue.Intermediate().Raw, rogue.Root().Raw), artifactReader(), keylessPolicy()
			}},

		// A key-signed bundle needs no verified time; a certificate does.
		{name: "no signed time", step: verify.StepTimestamp, errRe: "its integrated time is not signed",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.keyBundle()
				b.VerificationMaterial.TlogEntries[0].InclusionPromise = nil
				return b, artifactReader(), keyPolicy(in)
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.messageBundle(in.v1, false)
				b.VerificationMaterial.TlogEntries[0].InclusionPromise = nil
				return b, artifactReader(), keylessPolicy()
			}},
		{name: "Rekor v2 without a timestamp", step: verify.StepTimestamp, errRe: "it is a Rekor v2 entry, which has no integrated time",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.keyBundleIn(in.v2), artifactReader(), keyPolicy(in)
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.messageBundle(in.v2, false), artifactReader(), keylessPolicy()
			}},

		// Canonical intoto 0.0.2 entries record the payload's hash, not the payload.
		{name: "canonical intoto entry", step: verify.StepTlog, errRe: "DSSE payload",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.canonicalIntotoBundle(statementFor(artifact)), artifactReader(), keyPolicy(in)
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.canonicalIntotoBundle(statementFor(artifact))
				// The entry of another statement, properly logged.
				other := in.canonicalIntotoBundle(statementWith(artifact, dsse.StatementTypeV01))
				b.VerificationMaterial.TlogEntries = other.VerificationMaterial.TlogEntries
				return b, artifactReader(), keyPolicy(in)
			}},

		// A trusted root with an unusable entry loads; the entry vouches for nothing.
		{name: "TSA entry without a certificate chain", step: verify.StepTimestamp, errRe: `no timestamp authority is trusted \(the trusted root also lists 1 entry signet cannot use: timestampAuthorities\[0\] \(https://unrelated.tsa.invalid\): no certificate chain\)`,
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.TimestampAuthorities = append([]*pbtrust.CertificateAuthority{chainless(signingTime.Add(-time.Hour), time.Time{})}, in.root.TimestampAuthorities...)
				return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.TimestampAuthorities = []*pbtrust.CertificateAuthority{chainless(signingTime.Add(-time.Hour), time.Time{})}
				return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
			}},
		{name: "log entry whose log is unusable", step: verify.StepTlog, errRe: "lists but signet cannot use: tlogs\\[2\\].*no public key",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.Tlogs[0].PublicKey.RawBytes = nil // another log than the bundle's
				return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				in.root.Tlogs[2].PublicKey.RawBytes = nil
				return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
			}},

		// Rekor v2 entries that record the certificate's key.
		{name: "Rekor v2 entry with the certificate's key", step: verify.StepTlog, errRe: "public key",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.v2KeyEntryBundle(in.key.Public()), artifactReader(), keylessPolicy()
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				other := newKey(in.t)
				return in.v2KeyEntryBundle(other.Public()), artifactReader(), keylessPolicy()
			}},

		// Several trusted keys: the bundle's hint ("release-key") picks one; a key with a
		// validity window must have been valid at every verified time.
		{name: "the hint picks the key among several", step: verify.StepSignature, errRe: "does not verify with the given key",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.keyBundle(), artifactReader(), keysPolicy(verify.TrustedKey{Public: newKey(in.t).Public(), ID: "old-key"},
					verify.TrustedKey{Public: in.key.Public(), ID: "release-key"})
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.keyBundle(), artifactReader(), keysPolicy(verify.TrustedKey{Public: in.key.Public(), ID: "old-key"},
					verify.TrustedKey{Public: newKey(in.t).Public(), ID: "release-key"})
			}},
		{name: "a hint that names none of several keys", step: verify.StepPolicy, errRe: `key hint "release-key" names none of the 2 keys given`,
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.keyBundle()
				fp, _ := verify.TrustedKey{Public: in.key.Public()}.Names()
				b.VerificationMaterial.GetPublicKey().Hint = fp[0]
				return b, artifactReader(), keysPolicy(verify.TrustedKey{Public: newKey(in.t).Public()}, verify.TrustedKey{Public: in.key.Public()})
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.keyBundle(), artifactReader(), keysPolicy(verify.TrustedKey{Public: newKey(in.t).Public()}, verify.TrustedKey{Public: in.key.Public()})
			}},
		{name: "no hint with several keys", step: verify.StepPolicy, errRe: "no key hint to say which of the 2 keys",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.keyBundle()
				b.VerificationMaterial.GetPublicKey().Hint = ""
				return b, artifactReader(), keysPolicy(verify.TrustedKey{Public: in.key.Public()})
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.keyBundle()
				b.VerificationMaterial.GetPublicKey().Hint = ""
				return b, artifactReader(), keysPolicy(verify.TrustedKey{Public: newKey(in.t).Public()}, verify.TrustedKey{Public: in.key.Public()})
			}},
		{name: "a hint that names two different keys", step: verify.StepPolicy, errRe: `names 2 different keys`,
			// The same key twice is one key: one of its windows must hold.
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.keyBundle(), artifactReader(), keysPolicy(
					verify.TrustedKey{Public: in.key.Public(), ID: "release-key", ValidFor: trust.TimeRange{Start: signingTime.Add(-48 * time.Hour), End: signingTime.Add(-24 * time.Hour)}},
					verify.TrustedKey{Public: in.key.Public(), ID: "release-key", ValidFor: trust.TimeRange{Start: signingTime.Add(-time.Hour)}})
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.keyBundle(), artifactReader(), keysPolicy(verify.TrustedKey{Public: in.key.Public(), ID: "release-key"},
					verify.TrustedKey{Public: newKey(in.t).Public(), ID: "release-key"})
			}},
		{name: "a key used outside its window", step: verify.StepPolicy, errRe: `when the given key was not trusted: it is trusted from \S+ until 2025-06-01T11:00:00Z`,
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.keyBundle(), artifactReader(), keysPolicy(verify.TrustedKey{Public: in.key.Public(),
					ValidFor: trust.TimeRange{Start: signingTime.Add(-time.Hour), End: signingTime.Add(time.Hour)}})
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				return in.keyBundle(), artifactReader(), keysPolicy(verify.TrustedKey{Public: in.key.Public(),
					ValidFor: trust.TimeRange{Start: signingTime.Add(-2 * time.Hour), End: signingTime.Add(-time.Hour)}})
			}},
		{name: "a key with a window needs a verified time", step: verify.StepPolicy, errRe: "no verified time",
			valid: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.keyBundle()
				b.VerificationMaterial.TlogEntries[0].InclusionPromise = nil
				return b, artifactReader(), keysPolicy(verify.TrustedKey{Public: in.key.Public()})
			},
			wrong: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
				b := in.keyBundle()
				b.VerificationMaterial.TlogEntries[0].InclusionPromise = nil
				return b, artifactReader(), keysPolicy(verify.TrustedKey{Public: in.key.Public(), ValidFor: trust.TimeRange{Start: signingTime.Add(-time.Hour)}})
			}},
	}
	run := func(t *testing.T, b build, step verify.Step, errRe string) {
		for _, mode := range verifyModes {
			t.Run(mode.name, func(t *testing.T) { runMode(t, mode.verify, b, step, errRe) })
		}
	}
	for _, r := range rules {
		t.Run(r.name+"/valid", func(t *testing.T) { run(t, r.valid, "", "") })
		t.Run(r.name+"/wrong", func(t *testing.T) { run(t, r.wrong, r.step, r.errRe) })
	}
}

func runMode(t *testing.T, verifyFn func(*instance, *bundle.Bundle, verify.Artifact, verify.Policy) (*verify.Result, error),
	b func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy), step verify.Step, errRe string) {
	in := newInstance(t)
	pb, art, p := b(in)
	bd, err := bundle.New(pb)
	require.NoError(t, err)
	res, err := verifyFn(in, bd, art, p)
	if step == "" {
		require.NoError(t, err)
		require.True(t, res.Verified)
		return
	}
	var ve *verify.Error
	require.True(t, errors.As(err, &ve), "verified, or failed with %v", err)
	require.Equal(t, step, ve.Step, "failed for another reason: %v", err)
	require.Regexp(t, regexp.MustCompile(errRe), err.Error())
}

// TestVerifyResultProvenIndex: the result reports the index a SET or a proof covers.
func TestVerifyResultProvenIndex(t *testing.T) {
	in := newInstance(t)
	in.v1 = sigstoretest.NewLog(t, sigstoretest.RekorV1, sigstoretest.LogShardOffset(1000))
	in.root.Tlogs[0] = in.v1.TransparencyLog()
	for _, set := range []bool{true, false} {
		pb := in.messageBundle(in.v1, true)
		e := pb.VerificationMaterial.TlogEntries[0]
		want := e.GetLogIndex() // global, signed by the SET
		if !set {
			e.InclusionPromise = nil
			want = e.GetInclusionProof().GetLogIndex() // the index in the shard
		}
		b, err := bundle.New(pb)
		require.NoError(t, err)
		res, err := verify.Verify(in.trustedRoot(), b, artifactReader(), keylessPolicy())
		require.NoError(t, err)
		require.Equal(t, want, res.TlogEntries[0].LogIndex, "with SET: %v", set)
		require.Equal(t, set, res.TlogEntries[0].IntegratedTime != nil)
	}
}

func withTlogThreshold(p verify.Policy, n int) verify.Policy { p.TlogThreshold = n; return p }
func withTSAThreshold(p verify.Policy, n int) verify.Policy  { p.TSAThreshold = n; return p }

func keysPolicy(keys ...verify.TrustedKey) verify.Policy {
	return verify.Policy{Keys: keys, Now: signingTime.Add(time.Hour)}
}

func keyPolicy(in *instance) verify.Policy {
	return verify.Policy{Keys: []verify.TrustedKey{{Public: in.key.Public()}}, Now: signingTime.Add(time.Hour)}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// statementWith is statementFor with another _type ("" leaves it out).
func statementWith(data []byte, typ string) []byte {
	var m map[string]any
	if err := json.Unmarshal(statementFor(data), &m); err != nil {
		panic(err)
	}
	if typ == "" {
		delete(m, "_type")
	} else {
		m["_type"] = typ
	}
	st, _ := json.Marshal(m)
	return st
}

// leafWith reissues the instance's leaf with opts (plus its identity and validity) and signs
// a Rekor v1 bundle with it.
func leafWith(opts sigstoretest.LeafOptions) func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
	return func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
		if opts.Email == "" {
			opts.Email = signerEmail
		}
		opts.Issuer = oidcIssuer
		opts.NotBefore, opts.NotAfter = signingTime.Add(-time.Minute), signingTime.Add(10*time.Minute)
		opts.SCTs = []sigstoretest.SCTOptions{{Log: 0}, {Log: 1}}
		in.leaf = in.ca.IssueLeaf(in.key.Public(), opts).Raw
		return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
	}
}

const workflowURI = "https://ci.example.com/release"

// withIdentity makes identity the one b's policy expects.
func withIdentity(identity string, b func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy)) func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
	return func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
		bundle, art, p := b(in)
		p.Identities = []verify.Matcher{verify.Exact(identity)}
		return bundle, art, p
	}
}

// withoutIssuer turns b's policy into one for a certificate that names no OIDC issuer.
func withoutIssuer(b func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy)) func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
	return func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
		bundle, art, p := b(in)
		p.Issuers, p.WithoutIssuer = nil, true
		return bundle, art, p
	}
}

// tsaWith replaces the instance's TSA and timestamps a Rekor v2 bundle with it.
func tsaWith(opts ...sigstoretest.TSAOption) func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
	return func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
		in.tsa = sigstoretest.NewTSA(in.t, append([]sigstoretest.TSAOption{sigstoretest.WithTSAClock(signingTime.Add(30 * time.Second))}, opts...)...)
		in.root.TimestampAuthorities = []*pbtrust.CertificateAuthority{in.tsa.Authority()}
		return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
	}
}

// chainless is a TSA entry without certificates, valid from start to end (zero: open).
func chainless(start, end time.Time) *pbtrust.CertificateAuthority {
	ca := &pbtrust.CertificateAuthority{Uri: "https://unrelated.tsa.invalid",
		ValidFor: &pbcommon.TimeRange{Start: timestamppb.New(start)}}
	if !end.IsZero() {
		ca.ValidFor.End = timestamppb.New(end)
	}
	return ca
}

// reissueCA replaces the instance's CA with one whose intermediate has key usage ku.
func (in *instance) reissueCA(ku x509.KeyUsage) {
	in.ca = sigstoretest.NewCA(in.t, sigstoretest.WithCAClock(signingTime), sigstoretest.WithCAIntermediateKeyUsage(ku))
	in.root.CertificateAuthorities = []*pbtrust.CertificateAuthority{in.ca.Authority()}
	in.root.Ctlogs = in.ca.CTLogs()
	in.leaf = in.ca.IssueLeaf(in.key.Public(), sigstoretest.LeafOptions{Email: signerEmail, Issuer: oidcIssuer,
		NotBefore: signingTime.Add(-time.Minute), NotAfter: signingTime.Add(10 * time.Minute)}).Raw
}

// leafSCTAt reissues the leaf with one SCT stamped at ts.
func (in *instance) leafSCTAt(ts time.Time) {
	in.leaf = in.ca.IssueLeaf(in.key.Public(), sigstoretest.LeafOptions{Email: signerEmail, Issuer: oidcIssuer,
		NotBefore: signingTime.Add(-time.Minute), NotAfter: signingTime.Add(10 * time.Minute),
		SCTs: []sigstoretest.SCTOptions{{Log: 0, Timestamp: ts}}}).Raw
}

// twoLogBundle is a message signature logged in the first two Rekor v1 logs.
func (in *instance) twoLogBundle() *pbbundle.Bundle {
	b := in.messageBundle(in.v1, false)
	b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, in.v1b.Append(b.VerificationMaterial.TlogEntries[0].CanonicalizedBody))
	return b
}

// twoTSABundle is a Rekor v1 message signature timestamped by two TSAs with the given operators.
func (in *instance) twoTSABundle(opA, opB string) *pbbundle.Bundle {
	other := sigstoretest.NewTSA(in.t, sigstoretest.WithTSAClock(signingTime.Add(40*time.Second)))
	in.root.TimestampAuthorities[0].Operator = opA
	second := other.Authority()
	second.Operator = opB
	in.root.TimestampAuthorities = append(in.root.TimestampAuthorities, second)
	b := in.messageBundle(in.v1, true)
	ts := b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps
	b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps = append(ts,
		&pbcommon.RFC3161SignedTimestamp{SignedTimestamp: other.Timestamp(msgSig(b).Signature)})
	return b
}

// twoTimesBundle is a Rekor v2 bundle with the instance's timestamp and a second one, from a
// second trusted TSA, at second.
func (in *instance) twoTimesBundle(second time.Time) *pbbundle.Bundle {
	later := sigstoretest.NewTSA(in.t, sigstoretest.WithTSAClock(second))
	in.root.TimestampAuthorities = append(in.root.TimestampAuthorities, later.Authority())
	b := in.messageBundle(in.v2, true)
	ts := b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps
	b.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps = append(ts,
		&pbcommon.RFC3161SignedTimestamp{SignedTimestamp: later.Timestamp(msgSig(b).Signature)})
	return b
}

// withChain turns b into a bundle of the given (old) media type whose certificate chain is
// the leaf followed by extra.
func (in *instance) withChain(b *pbbundle.Bundle, mediaType string, extra ...[]byte) *pbbundle.Bundle {
	certs := []*pbcommon.X509Certificate{{RawBytes: in.leaf}}
	for _, c := range extra {
		certs = append(certs, &pbcommon.X509Certificate{RawBytes: c})
	}
	b.MediaType = mediaType
	b.VerificationMaterial.Content = &pbbundle.VerificationMaterial_X509CertificateChain{
		X509CertificateChain: &pbcommon.X509CertificateChain{Certificates: certs}}
	return b
}

// keyBundleIn is keyBundle logged in log (a Rekor v2 log writes hashedrekord 0.0.2).
func (in *instance) keyBundleIn(log *sigstoretest.Log) *pbbundle.Bundle {
	b := in.keyBundle()
	if log == in.v2 {
		ms := msgSig(b)
		body := sigstoretest.HashedRekordV002Body(in.t, sigstoretest.EntryContent{PublicKey: in.key.Public(),
			Hash: crypto.SHA256, Digest: ms.MessageDigest.Digest, Signature: ms.Signature})
		b.VerificationMaterial.TlogEntries = []*pbrekor.TransparencyLogEntry{log.Append(body)}
	}
	return b
}

// canonicalIntotoBundle signs payload as a DSSE envelope with the instance key and logs it
// in Rekor v1 as a canonical intoto 0.0.2 entry (payloadHash, no payload) without a SET.
func (in *instance) canonicalIntotoBundle(payload []byte) *pbbundle.Bundle {
	sig, err := dsse.Sign(in.key, crypto.SHA256, dsse.InTotoPayloadType, payload)
	require.NoError(in.t, err)
	body := sigstoretest.IntotoV002Body(in.t, sigstoretest.EntryContent{PublicKey: in.key.Public(),
		PayloadType: dsse.InTotoPayloadType, Payload: payload, Signatures: [][]byte{sig}, OmitPayload: true})
	e := in.v1.Append(body)
	e.InclusionPromise = nil
	return &pbbundle.Bundle{
		MediaType: bundle.MediaType03New,
		VerificationMaterial: &pbbundle.VerificationMaterial{
			Content:     &pbbundle.VerificationMaterial_PublicKey{PublicKey: &pbcommon.PublicKeyIdentifier{Hint: "release-key"}},
			TlogEntries: []*pbrekor.TransparencyLogEntry{e},
		},
		Content: &pbbundle.Bundle_DsseEnvelope{DsseEnvelope: &pbdsse.Envelope{
			PayloadType: dsse.InTotoPayloadType, Payload: payload, Signatures: []*pbdsse.Signature{{Sig: sig}},
		}},
	}
}

// v2KeyEntryBundle is a certificate bundle whose Rekor v2 entry records key as a public key
// verifier instead of the certificate.
func (in *instance) v2KeyEntryBundle(key crypto.PublicKey) *pbbundle.Bundle {
	b := in.messageBundle(in.v2, true)
	ms := msgSig(b)
	body := sigstoretest.HashedRekordV002Body(in.t, sigstoretest.EntryContent{PublicKey: key,
		Hash: crypto.SHA256, Digest: ms.MessageDigest.Digest, Signature: ms.Signature})
	b.VerificationMaterial.TlogEntries = []*pbrekor.TransparencyLogEntry{in.v2.Append(body)}
	return b
}

// TestVerifierConcurrent shares one Verifier among goroutines verifying bundles of one
// certificate, some valid and some tampered: each gets its own verdict.
func TestVerifierConcurrent(t *testing.T) {
	in := newInstance(t)
	type job struct {
		b     *bundle.Bundle
		valid bool
	}
	var jobs []job
	for i := range 24 {
		pb := in.messageBundle(in.v1, i%3 == 0)
		valid := i%4 != 1
		if !valid {
			msgSig(pb).Signature[5] ^= 1
		}
		b, err := bundle.New(pb)
		require.NoError(t, err)
		jobs = append(jobs, job{b, valid})
	}
	vf := verify.NewVerifier(in.trustedRoot())
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		go func() {
			_, err := vf.Verify(j.b, artifactReader(), keylessPolicy())
			if j.valid != (err == nil) {
				errs <- fmt.Errorf("valid %v, got %v", j.valid, err)
				return
			}
			errs <- nil
		}()
	}
	for range jobs {
		require.NoError(t, <-errs)
	}
}
