package verify_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// The fake instance's clock: the logs start at 2025-06-01T12:00:00Z and tick by a second.
var signingTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	signerEmail = "alice@example.com"
	oidcIssuer  = "https://oauth2.sigstoretest.invalid/auth"
)

// instance is a fake Sigstore: a CA with two CT logs, a Rekor v1 log, a Rekor v2 log and a
// TSA, and the trusted root that describes them.
type instance struct {
	t     *testing.T
	ca    *sigstoretest.CA
	v1    *sigstoretest.Log
	v1b   *sigstoretest.Log // a second Rekor v1 log, for thresholds
	v2    *sigstoretest.Log
	tsa   *sigstoretest.TSA
	key   *ecdsa.PrivateKey
	leaf  []byte
	root  *pbtrust.TrustedRoot
	extra map[int]string
}

func newInstance(t *testing.T, logOpts ...sigstoretest.LogOption) *instance {
	t.Helper()
	in := &instance{t: t}
	in.ca = sigstoretest.NewCA(t, sigstoretest.WithCAClock(signingTime))
	in.v1 = sigstoretest.NewLog(t, sigstoretest.RekorV1, logOpts...)
	in.v1b = sigstoretest.NewLog(t, sigstoretest.RekorV1, sigstoretest.LogHost("rekor2.example.test"))
	in.v2 = sigstoretest.NewLog(t, sigstoretest.RekorV2, sigstoretest.LogHost("log2025.rekor.example.test"))
	in.tsa = sigstoretest.NewTSA(t, sigstoretest.WithTSAClock(signingTime.Add(30*time.Second)))
	in.key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	in.leaf = in.ca.IssueLeaf(in.key.Public(), sigstoretest.LeafOptions{
		Email: signerEmail, Issuer: oidcIssuer,
		Extensions: map[int]string{12: "https://github.com/org/repo", 14: "refs/heads/main"},
		NotBefore:  signingTime.Add(-time.Minute), NotAfter: signingTime.Add(10 * time.Minute),
		SCTs: []sigstoretest.SCTOptions{{Log: 0}, {Log: 1}},
	}).Raw
	in.root = &pbtrust.TrustedRoot{
		MediaType:              trust.TrustedRootMediaType01,
		Tlogs:                  []*pbtrust.TransparencyLogInstance{in.v1.TransparencyLog(), in.v1b.TransparencyLog(), in.v2.TransparencyLog()},
		CertificateAuthorities: []*pbtrust.CertificateAuthority{in.ca.Authority()},
		Ctlogs:                 in.ca.CTLogs(),
		TimestampAuthorities:   []*pbtrust.CertificateAuthority{in.tsa.Authority()},
	}
	return in
}

func (in *instance) trustedRoot() *trust.TrustedRoot {
	tr, err := trust.NewTrustedRoot(in.root)
	require.NoError(in.t, err)
	return tr
}

var artifact = []byte("signet test artifact\n")

// messageBundle signs artifact and logs it in log as a hashedrekord (v1 or v2 by the log).
func (in *instance) messageBundle(log *sigstoretest.Log, timestamp bool) *pbbundle.Bundle {
	digest := sha256.Sum256(artifact)
	sig, err := ecdsa.SignASN1(rand.Reader, in.key, digest[:])
	require.NoError(in.t, err)
	content := sigstoretest.EntryContent{Certificate: in.leaf, Hash: crypto.SHA256, Digest: digest[:], Signature: sig}
	b := &pbbundle.Bundle{
		MediaType: bundle.MediaType03New,
		VerificationMaterial: &pbbundle.VerificationMaterial{
			Content: &pbbundle.VerificationMaterial_Certificate{Certificate: &pbcommon.X509Certificate{RawBytes: in.leaf}},
		},
		Content: &pbbundle.Bundle_MessageSignature{MessageSignature: &pbcommon.MessageSignature{
			MessageDigest: &pbcommon.HashOutput{Algorithm: pbcommon.HashAlgorithm_SHA2_256, Digest: digest[:]},
			Signature:     sig,
		}},
	}
	if log != nil {
		body := sigstoretest.HashedRekordV001Body(in.t, content)
		if log == in.v2 {
			body = sigstoretest.HashedRekordV002Body(in.t, content)
		}
		b.VerificationMaterial.TlogEntries = []*pbrekor.TransparencyLogEntry{log.Append(body)}
	}
	if timestamp {
		in.addTimestamp(b, sig)
	}
	return b
}

func (in *instance) addTimestamp(b *pbbundle.Bundle, sig []byte) {
	b.VerificationMaterial.TimestampVerificationData = &pbbundle.TimestampVerificationData{
		Rfc3161Timestamps: []*pbcommon.RFC3161SignedTimestamp{{SignedTimestamp: in.tsa.Timestamp(sig)}},
	}
}

func statementFor(data []byte) []byte {
	sum := sha256.Sum256(data)
	st, _ := json.Marshal(map[string]any{
		"_type":         dsse.StatementTypeV1,
		"subject":       []any{map[string]any{"name": "artifact", "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])}}},
		"predicateType": "https://example.com/predicate/v1",
		"predicate":     map[string]any{},
	})
	return st
}

// dsseBundle signs an in-toto statement about artifact and logs it: Rekor v1 as dsse 0.0.1,
// Rekor v2 as hashedrekord 0.0.2 over the PAE.
func (in *instance) dsseBundle(log *sigstoretest.Log) *pbbundle.Bundle {
	return in.dsseBundleWith(log, dsse.InTotoPayloadType, statementFor(artifact))
}

// dsseBundleWith signs payload as a DSSE envelope of payloadType and logs it as dsseBundle does.
func (in *instance) dsseBundleWith(log *sigstoretest.Log, payloadType string, payload []byte) *pbbundle.Bundle {
	sig, err := dsse.Sign(in.key, crypto.SHA256, payloadType, payload)
	require.NoError(in.t, err)
	b := &pbbundle.Bundle{
		MediaType: bundle.MediaType03New,
		VerificationMaterial: &pbbundle.VerificationMaterial{
			Content: &pbbundle.VerificationMaterial_Certificate{Certificate: &pbcommon.X509Certificate{RawBytes: in.leaf}},
		},
		Content: &pbbundle.Bundle_DsseEnvelope{DsseEnvelope: &pbdsse.Envelope{
			PayloadType: payloadType, Payload: payload, Signatures: []*pbdsse.Signature{{Sig: sig}},
		}},
	}
	var body []byte
	if log == in.v2 {
		pae := sha256.Sum256(dsse.PAE(payloadType, payload))
		body = sigstoretest.HashedRekordV002Body(in.t, sigstoretest.EntryContent{Certificate: in.leaf, Hash: crypto.SHA256, Digest: pae[:], Signature: sig})
		in.addTimestamp(b, sig)
	} else {
		body = sigstoretest.DSSEV001Body(in.t, sigstoretest.EntryContent{Certificate: in.leaf, PayloadType: payloadType, Payload: payload, Signatures: [][]byte{sig}})
	}
	b.VerificationMaterial.TlogEntries = []*pbrekor.TransparencyLogEntry{log.Append(body)}
	return b
}

// keyBundle signs artifact with the instance key and carries a public key hint.
func (in *instance) keyBundle() *pbbundle.Bundle {
	digest := sha256.Sum256(artifact)
	sig, err := ecdsa.SignASN1(rand.Reader, in.key, digest[:])
	require.NoError(in.t, err)
	body := sigstoretest.HashedRekordV001Body(in.t, sigstoretest.EntryContent{PublicKey: in.key.Public(), Hash: crypto.SHA256, Digest: digest[:], Signature: sig})
	return &pbbundle.Bundle{
		MediaType: bundle.MediaType03New,
		VerificationMaterial: &pbbundle.VerificationMaterial{
			Content:     &pbbundle.VerificationMaterial_PublicKey{PublicKey: &pbcommon.PublicKeyIdentifier{Hint: "release-key"}},
			TlogEntries: []*pbrekor.TransparencyLogEntry{in.v1.Append(body)},
		},
		Content: &pbbundle.Bundle_MessageSignature{MessageSignature: &pbcommon.MessageSignature{
			MessageDigest: &pbcommon.HashOutput{Algorithm: pbcommon.HashAlgorithm_SHA2_256, Digest: digest[:]},
			Signature:     sig,
		}},
	}
}

func keylessPolicy() verify.Policy {
	return verify.Policy{
		Identities: []verify.Matcher{verify.Exact(signerEmail)},
		Issuers:    []verify.Matcher{verify.Exact(oidcIssuer)},
		Now:        signingTime.Add(time.Hour),
	}
}

func msgSig(b *pbbundle.Bundle) *pbcommon.MessageSignature { return b.GetMessageSignature() }

// verifyModes are the two ways to verify: the one-bundle Verify, and a batch Verifier that
// has verified other bundles of the same instance first (the same certificate, logs and
// checkpoints), so that what it remembers is in play. Every case must come out the same.
var verifyModes = []struct {
	name   string
	verify func(in *instance, b *bundle.Bundle, art verify.Artifact, p verify.Policy) (*verify.Result, error)
}{
	{"Verify", func(in *instance, b *bundle.Bundle, art verify.Artifact, p verify.Policy) (*verify.Result, error) {
		return verify.Verify(in.trustedRoot(), b, art, p)
	}},
	{"Verifier", func(in *instance, b *bundle.Bundle, art verify.Artifact, p verify.Policy) (*verify.Result, error) {
		vf := verify.NewVerifier(in.trustedRoot())
		in.warm(vf)
		return vf.Verify(b, art, p)
	}},
}

// warm has vf verify valid bundles of the instance, made now: its certificate's chain and
// SCTs, its logs' checkpoints. Their verdicts do not matter (a case may have broken the
// instance); what vf remembers does.
func (in *instance) warm(vf *verify.Verifier) {
	// First another signer's bundle: a good leaf of the same CA proves the CA's path, so that
	// the case's own leaf, good or bad, takes the proven-CA shortcut.
	leaf, key := in.leaf, in.key
	in.key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	in.leaf = in.ca.IssueLeaf(in.key.Public(), sigstoretest.LeafOptions{Email: signerEmail, Issuer: oidcIssuer,
		NotBefore: signingTime.Add(-time.Minute), NotAfter: signingTime.Add(10 * time.Minute),
		SCTs: []sigstoretest.SCTOptions{{Log: 0}, {Log: 1}}}).Raw
	if b, err := bundle.New(in.messageBundle(in.v1, false)); err == nil {
		_, _ = vf.Verify(b, artifactReader(), keylessPolicy())
	}
	in.leaf, in.key = leaf, key
	for _, pb := range []*pbbundle.Bundle{in.messageBundle(in.v1, false), in.messageBundle(in.v2, true), in.dsseBundle(in.v1)} {
		if b, err := bundle.New(pb); err == nil {
			_, _ = vf.Verify(b, artifactReader(), keylessPolicy())
		}
	}
	if b, err := bundle.New(in.keyBundle()); err == nil {
		_, _ = vf.Verify(b, artifactReader(), verify.Policy{Keys: []verify.TrustedKey{{Public: in.key.Public()}}, Now: signingTime.Add(time.Hour)})
	}
}

type verifyCase struct {
	name string
	// build makes the bundle, trusted root, artifact and policy from a fresh instance.
	build func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy)
	// step is where verification must fail; "" means it must succeed.
	step verify.Step
	// errRe, when set, must match the error message.
	errRe string
}

func artifactReader() verify.Artifact { return verify.ArtifactReader(bytes.NewReader(artifact)) }

func TestVerify(t *testing.T) {
	cases := []verifyCase{
		// Message signatures logged in Rekor v1: SET + inclusion proof.
		{name: "v1 message signature", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
		}},
		{name: "v1 tampered signature", step: verify.StepSignature, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			msgSig(b).Signature[10] ^= 1
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "another artifact", step: verify.StepArtifact, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.messageBundle(in.v1, false), verify.ArtifactReader(bytes.NewReader([]byte("other"))), keylessPolicy()
		}},
		{name: "digest of the artifact", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			d := sha256.Sum256(artifact)
			return in.messageBundle(in.v1, false), verify.ArtifactDigest(crypto.SHA256, d[:]), keylessPolicy()
		}},
		{name: "digest of another artifact", step: verify.StepArtifact, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			d := sha256.Sum256([]byte("other"))
			return in.messageBundle(in.v1, false), verify.ArtifactDigest(crypto.SHA256, d[:]), keylessPolicy()
		}},
		{name: "message digest hint differs but signature is over the artifact", step: verify.StepArtifact, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			msgSig(b).MessageDigest.Digest[0] ^= 1
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "message digest hint absent", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			msgSig(b).MessageDigest = nil
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "SET signed over other data", step: verify.StepTlog, errRe: "signed entry timestamp", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.v1 = sigstoretest.NewLog(in.t, sigstoretest.RekorV1, sigstoretest.LogWrongSET())
			in.root.Tlogs[0] = in.v1.TransparencyLog()
			return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
		}},
		{name: "integrated time changed", step: verify.StepTlog, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			b.VerificationMaterial.TlogEntries[0].IntegratedTime++
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "inclusion proof hash flipped", step: verify.StepTlog, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			b.VerificationMaterial.TlogEntries[0].InclusionProof.Hashes[0][0] ^= 1
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "checkpoint signed by another key", step: verify.StepTlog, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.v1 = sigstoretest.NewLog(in.t, sigstoretest.RekorV1, sigstoretest.LogWrongCheckpointKey())
			in.root.Tlogs[0] = in.v1.TransparencyLog()
			return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
		}},
		{name: "log not in the trusted root", step: verify.StepTlog, errRe: "not in the trusted root", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.root.Tlogs = in.root.Tlogs[1:]
			return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
		}},
		{name: "log key not yet valid at integrated time", step: verify.StepTlog, errRe: "outside the validity", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.root.Tlogs[0].PublicKey.ValidFor.Start = timestamppb.New(signingTime.Add(time.Hour))
			return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
		}},
		{name: "integrated time in the future", step: verify.StepTlog, errRe: "in the future", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.Now = signingTime.Add(-time.Hour)
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "entry body for another artifact", step: verify.StepTlog, errRe: "artifact digest", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			other := sha256.Sum256([]byte("other"))
			body := sigstoretest.HashedRekordV001Body(in.t, sigstoretest.EntryContent{Certificate: in.leaf, Hash: crypto.SHA256, Digest: other[:], Signature: msgSig(b).Signature})
			b.VerificationMaterial.TlogEntries[0] = in.v1.Append(body)
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "no log entry", step: verify.StepTlog, errRe: "no transparency log entry", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.messageBundle(nil, true), artifactReader(), keylessPolicy()
		}},
		{name: "no log entry, tlog ignored, timestamp", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.InsecureIgnoreTlog = true
			return in.messageBundle(nil, true), artifactReader(), p
		}},
		{name: "no log entry, tlog ignored, no timestamp", step: verify.StepTimestamp, errRe: "no verified time", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.InsecureIgnoreTlog = true
			return in.messageBundle(nil, false), artifactReader(), p
		}},
		{name: "v0.1 bundle without inclusion promise", step: verify.StepTlog, errRe: "inclusion promise", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, true)
			b.MediaType = bundle.MediaType01
			b.VerificationMaterial.Content = &pbbundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &pbcommon.X509CertificateChain{
				Certificates: []*pbcommon.X509Certificate{{RawBytes: in.leaf}}}}
			b.VerificationMaterial.TlogEntries[0].InclusionPromise = nil
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "v0.2 bundle without inclusion proof", step: verify.StepTlog, errRe: "no inclusion proof", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			b.MediaType = bundle.MediaType02
			b.VerificationMaterial.Content = &pbbundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &pbcommon.X509CertificateChain{
				Certificates: []*pbcommon.X509Certificate{{RawBytes: in.leaf}}}}
			b.VerificationMaterial.TlogEntries[0].InclusionProof = nil
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "v0.1 bundle with SET and no proof", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			b.MediaType = bundle.MediaType01
			b.VerificationMaterial.Content = &pbbundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &pbcommon.X509CertificateChain{
				Certificates: []*pbcommon.X509Certificate{{RawBytes: in.leaf}}}}
			b.VerificationMaterial.TlogEntries[0].InclusionProof = nil
			return b, artifactReader(), keylessPolicy()
		}},

		// Thresholds: entries of one log count once.
		{name: "tlog threshold 2 with two logs", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			b2 := in.messageBundle(in.v1b, false)
			// Both entries must be for the same signature: log the first bundle's again in v1b.
			b2.VerificationMaterial.TlogEntries[0] = in.v1b.Append(b.VerificationMaterial.TlogEntries[0].CanonicalizedBody)
			b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, b2.VerificationMaterial.TlogEntries[0])
			p := keylessPolicy()
			p.TlogThreshold = 2
			return b, artifactReader(), p
		}},
		{name: "tlog threshold 2 with one log twice", step: verify.StepTlog, errRe: "1 distinct transparency log operators verified, 2 required", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v1, false)
			b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, in.v1.Append(b.VerificationMaterial.TlogEntries[0].CanonicalizedBody))
			p := keylessPolicy()
			p.TlogThreshold = 2
			return b, artifactReader(), p
		}},

		// Rekor v2: no integrated time, so a timestamp is required.
		{name: "v2 message signature with timestamp", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
		}},
		{name: "v2 message signature without timestamp", step: verify.StepTimestamp, errRe: "needs an RFC 3161 timestamp", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.messageBundle(in.v2, false), artifactReader(), keylessPolicy()
		}},
		{name: "timestamp over another signature", step: verify.StepTimestamp, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.messageBundle(in.v2, false)
			in.addTimestamp(b, []byte("another signature"))
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "timestamp from an unknown TSA", step: verify.StepTimestamp, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.root.TimestampAuthorities = []*pbtrust.CertificateAuthority{sigstoretest.NewTSA(in.t).Authority()}
			return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
		}},
		{name: "TSA threshold 1 met", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.TSAThreshold = 1
			return in.messageBundle(in.v1, true), artifactReader(), p
		}},
		{name: "TSA threshold 1 without timestamp", step: verify.StepTimestamp, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.TSAThreshold = 1
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "v2 log key not valid at the timestamped time", step: verify.StepTlog, errRe: "was not valid in the trusted root", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.root.Tlogs[2].PublicKey.ValidFor.End = timestamppb.New(signingTime)
			return in.messageBundle(in.v2, true), artifactReader(), keylessPolicy()
		}},

		// Certificate and SCTs.
		{name: "certificate expired at the timestamped time", step: verify.StepCertificate, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.tsa = sigstoretest.NewTSA(in.t, sigstoretest.WithTSAClock(signingTime.Add(time.Hour)))
			in.root.TimestampAuthorities = []*pbtrust.CertificateAuthority{in.tsa.Authority()}
			return in.messageBundle(in.v1, true), artifactReader(), keylessPolicy()
		}},
		{name: "certificate not yet valid at the integrated time", step: verify.StepCertificate, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.leaf = in.ca.IssueLeaf(in.key.Public(), sigstoretest.LeafOptions{Email: signerEmail, Issuer: oidcIssuer,
				NotBefore: signingTime.Add(time.Hour), NotAfter: signingTime.Add(2 * time.Hour)}).Raw
			return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
		}},
		{name: "CA not in the trusted root", step: verify.StepCertificate, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.root.CertificateAuthorities = []*pbtrust.CertificateAuthority{sigstoretest.NewCA(in.t).Authority()}
			return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
		}},
		{name: "CA window closed before signing", step: verify.StepCertificate, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.root.CertificateAuthorities[0].ValidFor.End = timestamppb.New(signingTime.Add(-time.Second))
			return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
		}},
		{name: "certificate without SCT", step: verify.StepSCT, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.leaf = in.ca.IssueLeaf(in.key.Public(), sigstoretest.LeafOptions{Email: signerEmail, Issuer: oidcIssuer,
				NotBefore: signingTime.Add(-time.Minute), NotAfter: signingTime.Add(10 * time.Minute), NoSCTs: true}).Raw
			return in.messageBundle(in.v1, false), artifactReader(), keylessPolicy()
		}},
		{name: "certificate without SCT, SCTs ignored", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.leaf = in.ca.IssueLeaf(in.key.Public(), sigstoretest.LeafOptions{Email: signerEmail, Issuer: oidcIssuer,
				NotBefore: signingTime.Add(-time.Minute), NotAfter: signingTime.Add(10 * time.Minute), NoSCTs: true}).Raw
			p := keylessPolicy()
			p.InsecureIgnoreSCT = true
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "CT threshold 2 with SCTs from two logs", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.CTLogThreshold = 2
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "CT threshold 2 with one CT log trusted", step: verify.StepSCT, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			in.root.Ctlogs = in.root.Ctlogs[:1]
			p := keylessPolicy()
			p.CTLogThreshold = 2
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},

		// Policy.
		{name: "identity mismatch", step: verify.StepPolicy, errRe: `identity "alice@example.com" does not match`, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.Identities = []verify.Matcher{verify.Exact("bob@example.com")}
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "issuer mismatch", step: verify.StepPolicy, errRe: "OIDC issuer", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.Issuers = []verify.Matcher{verify.Exact("https://accounts.google.com")}
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "identity any-of and anchored regexp", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			re, _ := verify.Regexp(`.*@example\.com`)
			p.Identities = []verify.Matcher{verify.Exact("bob@example.com"), re}
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "unanchored-looking regexp is anchored", step: verify.StepPolicy, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			re, _ := verify.Regexp(`example\.com`)
			p.Identities = []verify.Matcher{re}
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "extension matches", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.Extensions = []verify.ExtensionMatcher{{Name: "sourceRepositoryRef", OID: sigstoretest.FulcioOID(14), Value: verify.Exact("refs/heads/main")}}
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "extension differs", step: verify.StepPolicy, errRe: "sourceRepositoryRef is \"refs/heads/main\"", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.Extensions = []verify.ExtensionMatcher{{Name: "sourceRepositoryRef", OID: sigstoretest.FulcioOID(14), Value: verify.Exact("refs/heads/evil")}}
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "extension absent", step: verify.StepPolicy, errRe: "has no buildTrigger extension", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			p := keylessPolicy()
			p.Extensions = []verify.ExtensionMatcher{{Name: "buildTrigger", OID: sigstoretest.FulcioOID(20), Value: verify.Exact("push")}}
			return in.messageBundle(in.v1, false), artifactReader(), p
		}},
		{name: "keyless without identity policy", step: verify.StepPolicy, errRe: "no identity policy", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.messageBundle(in.v1, false), artifactReader(), verify.Policy{Now: signingTime}
		}},

		// Key bundles.
		{name: "key bundle with its key", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.keyBundle(), artifactReader(), verify.Policy{Keys: []verify.TrustedKey{{Public: in.key.Public()}}, Now: signingTime.Add(time.Hour)}
		}},
		{name: "key bundle with another key", step: verify.StepSignature, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			return in.keyBundle(), artifactReader(), verify.Policy{Keys: []verify.TrustedKey{{Public: other.Public()}}, Now: signingTime.Add(time.Hour)}
		}},
		{name: "key bundle without a key", step: verify.StepPolicy, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.keyBundle(), artifactReader(), keylessPolicy()
		}},
		{name: "certificate bundle with a key", step: verify.StepPolicy, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.messageBundle(in.v1, false), artifactReader(), verify.Policy{Keys: []verify.TrustedKey{{Public: in.key.Public()}}, Now: signingTime}
		}},

		// DSSE.
		{name: "DSSE in Rekor v1", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.dsseBundle(in.v1), artifactReader(), keylessPolicy()
		}},
		{name: "DSSE in Rekor v2 over the PAE", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.dsseBundle(in.v2), artifactReader(), keylessPolicy()
		}},
		{name: "DSSE subject digest", build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			d := sha256.Sum256(artifact)
			return in.dsseBundle(in.v1), verify.ArtifactDigest(crypto.SHA256, d[:]), keylessPolicy()
		}},
		{name: "DSSE artifact not a subject", step: verify.StepArtifact, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			return in.dsseBundle(in.v1), verify.ArtifactReader(bytes.NewReader([]byte("other"))), keylessPolicy()
		}},
		{name: "DSSE payload changed", step: verify.StepSignature, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.dsseBundle(in.v1)
			b.GetDsseEnvelope().Payload = statementFor([]byte("other"))
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "DSSE payload type changed", step: verify.StepSignature, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.dsseBundle(in.v1)
			b.GetDsseEnvelope().PayloadType = "application/json"
			return b, artifactReader(), keylessPolicy()
		}},
		{name: "DSSE logged envelope is another one", step: verify.StepTlog, build: func(in *instance) (*pbbundle.Bundle, verify.Artifact, verify.Policy) {
			b := in.dsseBundle(in.v1)
			other := in.dsseBundle(in.v1)
			b.VerificationMaterial.TlogEntries = other.VerificationMaterial.TlogEntries
			return b, artifactReader(), keylessPolicy()
		}},
	}
	for _, c := range cases {
		for _, mode := range verifyModes {
			t.Run(c.name+"/"+mode.name, func(t *testing.T) {
				in := newInstance(t)
				pb, art, p := c.build(in)
				b, err := bundle.New(pb)
				require.NoError(t, err)
				res, err := mode.verify(in, b, art, p)
				require.NotNil(t, res)
				require.Equal(t, verify.ResultMediaType, res.MediaType)
				if c.step == "" {
					require.NoError(t, err)
					require.True(t, res.Verified)
					require.Nil(t, res.Error)
					return
				}
				require.Error(t, err)
				var ve *verify.Error
				require.True(t, errors.As(err, &ve), "error %v is not a *verify.Error", err)
				require.Equal(t, c.step, ve.Step, "failed for another reason: %v", err)
				require.False(t, res.Verified)
				require.Equal(t, c.step, res.Error.Step)
				if c.errRe != "" {
					require.Regexp(t, regexp.MustCompile(c.errRe), err.Error())
				}
			})
		}
	}
}

// TestVerifyResult checks what a successful result reports.
func TestVerifyResult(t *testing.T) {
	in := newInstance(t)
	b, err := bundle.New(in.messageBundle(in.v1, true))
	require.NoError(t, err)
	res, err := verify.Verify(in.trustedRoot(), b, artifactReader(), keylessPolicy())
	require.NoError(t, err)
	require.Equal(t, signerEmail, res.Identity.SAN)
	require.Equal(t, "email", res.Identity.SANType)
	require.Equal(t, oidcIssuer, res.Identity.Issuer)
	require.Equal(t, "https://github.com/org/repo", res.Identity.Extensions.SourceRepositoryURI)
	require.Len(t, res.TlogEntries, 1)
	require.Equal(t, in.v1.BaseURL(), res.TlogEntries[0].LogURL)
	require.Equal(t, []string{"inclusionPromise", "inclusionProof"}, res.TlogEntries[0].VerifiedBy)
	require.Len(t, res.Times, 2)
	require.Equal(t, "rfc3161", res.Times[0].Source)
	require.Equal(t, "tlog", res.Times[1].Source)
	require.Empty(t, res.Skipped)

	doc, err := json.Marshal(res)
	require.NoError(t, err)
	require.Contains(t, string(doc), `"mediaType":"application/vnd.dev.signet.verificationresult.v0.1+json"`)
}

// TestVerifyArtifactHashedOnce checks that a DSSE statement with sha256 and sha512 subjects
// is matched from one pass over the artifact.
func TestVerifyArtifactHashedOnce(t *testing.T) {
	in := newInstance(t)
	pb := in.dsseBundle(in.v1)
	// Re-sign a statement whose only subject uses sha512.
	sum := sha512.Sum512(artifact)
	payload, _ := json.Marshal(map[string]any{"_type": dsse.StatementTypeV1, "predicateType": "x",
		"subject": []any{map[string]any{"name": "a", "digest": map[string]string{"sha512": hex.EncodeToString(sum[:])}}}})
	sig, err := dsse.Sign(in.key, crypto.SHA256, dsse.InTotoPayloadType, payload)
	require.NoError(t, err)
	pb.GetDsseEnvelope().Payload, pb.GetDsseEnvelope().Signatures[0].Sig = payload, sig
	body := sigstoretest.DSSEV001Body(t, sigstoretest.EntryContent{Certificate: in.leaf, PayloadType: dsse.InTotoPayloadType, Payload: payload, Signatures: [][]byte{sig}})
	pb.VerificationMaterial.TlogEntries[0] = in.v1.Append(body)
	b, err := bundle.New(pb)
	require.NoError(t, err)

	r := &countingReader{r: bytes.NewReader(artifact)}
	_, err = verify.Verify(in.trustedRoot(), b, verify.ArtifactReader(r), keylessPolicy())
	require.NoError(t, err)
	require.Equal(t, len(artifact), r.n)

	// A sha256 digest cannot stand for a sha512-only subject.
	d := sha256.Sum256(artifact)
	_, err = verify.Verify(in.trustedRoot(), b, verify.ArtifactDigest(crypto.SHA256, d[:]), keylessPolicy())
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	require.Equal(t, verify.StepArtifact, ve.Step)
}

type countingReader struct {
	r *bytes.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
