package rekor

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/trust"
)

// conformanceDir is the conformance suite's verification cases in the shared test data
// (internal/shareddata).
func conformanceDir(t testing.TB) string {
	t.Helper()
	return shareddata.Dir(t, "conformance", "bundle-verify")
}

// publicGoodRoot is the public-good trusted root signet embeds.
const publicGoodRoot = "../trust/data/public-good/trusted_root.json"

// trustedRoots are the trusted roots the cases verify against, by name: publicGoodRoot, or
// the trusted_root.json of the conformance case named here.
var trustedRoots = map[string]string{
	"localhost-8000":        "intoto-expired-certificate_fail",
	"managed-key":           "managed-key-and-trusted-root",
	"staging-rekor2-alpha1": "rekor2-checkpoint-cosigned",
	"staging-rekor2-alpha3": "rekor2-dsse-happy-path",
}

// conformanceCase is a bundle from the sigstore-conformance suite
// (conformance/bundle-verify/<name> in the shared test data, with the suite's README saying what is wrong with it).
type conformanceCase struct {
	bundle *pbbundle.Bundle
	entry  *pbrekor.TransparencyLogEntry
	log    *trust.Log
	exp    Expected
}

// loadCase reads a conformance bundle, finds its log in the trusted root by the entry's log
// id, and builds Expected from the bundle as a verifier would: the leaf certificate or the
// case's key.pub, the signature, and the digest of the artifact (the case's own or a.txt).
func loadCase(t *testing.T, name, root string) *conformanceCase {
	t.Helper()
	dir := filepath.Join(conformanceDir(t), name)
	data, err := os.ReadFile(filepath.Join(dir, "bundle.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b pbbundle.Bundle
	if err := protojson.Unmarshal(data, &b); err != nil {
		t.Fatalf("bundle: %v", err)
	}
	rootFile := publicGoodRoot
	if root != "public-good" {
		rootFile = filepath.Join(conformanceDir(t), trustedRoots[root], "trusted_root.json")
	}
	rootJSON, err := os.ReadFile(rootFile)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trust.ParseTrustedRoot(rootJSON)
	if err != nil {
		t.Fatalf("trusted root: %v", err)
	}
	entries := b.GetVerificationMaterial().GetTlogEntries()
	if len(entries) != 1 {
		t.Fatalf("bundle has %d log entries, want 1", len(entries))
	}
	c := &conformanceCase{bundle: &b, entry: entries[0]}
	c.log = trust.FindLog(tr.Tlogs, c.entry.GetLogId().GetKeyId())
	if c.log == nil {
		t.Fatalf("log %x is not in trusted root %s", c.entry.GetLogId().GetKeyId(), root)
	}

	vm := b.GetVerificationMaterial()
	switch {
	case vm.GetCertificate() != nil:
		c.exp.Certificate = vm.GetCertificate().GetRawBytes()
	case vm.GetX509CertificateChain() != nil:
		c.exp.Certificate = vm.GetX509CertificateChain().GetCertificates()[0].GetRawBytes()
	default:
		pemKey, err := os.ReadFile(filepath.Join(dir, "key.pub"))
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(pemKey)
		if c.exp.PublicKey, err = x509.ParsePKIXPublicKey(block.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	if env := b.GetDsseEnvelope(); env != nil {
		c.exp.Envelope = &Envelope{PayloadType: env.GetPayloadType(), Payload: env.GetPayload()}
		for _, s := range env.GetSignatures() {
			c.exp.Envelope.Signatures = append(c.exp.Envelope.Signatures, EnvelopeSignature{Sig: s.GetSig(), KeyID: s.GetKeyid()})
		}
		c.exp.Signature = env.GetSignatures()[0].GetSig()
	} else {
		artifact, err := os.ReadFile(filepath.Join(dir, "artifact"))
		if errors.Is(err, os.ErrNotExist) {
			artifact, err = os.ReadFile(filepath.Join(conformanceDir(t), "a.txt"))
		}
		if err != nil {
			t.Fatal(err)
		}
		if alg := b.GetMessageSignature().GetMessageDigest().GetAlgorithm(); alg != pbcommon.HashAlgorithm_SHA2_256 {
			t.Fatalf("bundle digest algorithm %v: the test only knows SHA2_256", alg)
		}
		c.exp.Signature = b.GetMessageSignature().GetSignature()
		c.exp.Hash = crypto.SHA256
		h := c.exp.Hash.New()
		h.Write(artifact)
		c.exp.Digest = h.Sum(nil)
	}
	return c
}

// skip marks a check a case does not exercise (a Rekor v2 entry has no SET; a bundle
// without an inclusion proof is refused elsewhere).
var skip = errCheck{"not run", nil}

// TestConformance runs VerifySET, VerifyInclusion and VerifyBody over bundles of the
// sigstore-conformance suite. A "_fail" case must fail in the function and for the reason
// its README gives; where the fault lies elsewhere (certificate validity, timestamps), all
// three must pass and the comment says where it is caught.
func TestConformance(t *testing.T) {
	const (
		prod    = "public-good"
		alpha1  = "staging-rekor2-alpha1"
		alpha3  = "staging-rekor2-alpha3"
		local   = "localhost-8000" // a local Rekor v1 (intoto cases)
		managed = "managed-key"
	)
	tests := []struct {
		name             string
		root             string
		set, proof, body errCheck
	}{
		// Happy paths: Rekor v1 (SET and proof), Rekor v2 (proof only), every body kind.
		{"happy-path-v0.1", prod, noError, noError, noError},
		{"happy-path-v0.2", prod, noError, noError, noError},
		{"happy-path-v0.3", prod, noError, noError, noError},
		{"rekor2-happy-path", alpha1, skip, noError, noError},
		{"happy-path-intoto-in-dsse-v3", prod, noError, noError, noError},   // dsse 0.0.1
		{"intoto-with-custom-trust-root", local, noError, noError, noError}, // intoto 0.0.2, log named localhost:8000
		{"rekor2-dsse-happy-path", alpha3, skip, noError, noError},          // hashedrekord 0.0.2 over the PAE
		{"managed-key-happy-path", prod, noError, noError, noError},         // a public key, not a certificate
		{"managed-key-and-trusted-root", managed, noError, noError, noError},

		// Checkpoints: witness lines and foreign signatures are ignored...
		{"rekor2-checkpoint-cosigned", alpha1, skip, noError, noError},
		{"rekor2-checkpoint-multiple-cosigs", alpha1, skip, noError, noError},
		{"rekor2-checkpoint-origin-not-first", alpha1, skip, noError, noError},
		{"rekor2-checkpoint-two-sigs-cosigned", alpha1, skip, noError, noError},
		{"rekor2-checkpoint-two-sigs-from-origin", alpha1, skip, noError, noError},
		// ...but the log's own signature must be there, verify, and cover a whole checkpoint.
		{"rekor2-checkpoint-missing-log-signature_fail", alpha1, skip, is(ErrNoLogSignature), noError},
		{"rekor2-checkpoint-no-matching-signature_fail", alpha1, skip, is(ErrNoLogSignature), noError}, // signer name is not the log's host
		{"rekor2-checkpoint-missing-origin_fail", alpha1, skip, is(ErrMalformedCheckpoint), noError},
		{"rekor2-checkpoint-missing-size_fail", alpha1, skip, is(ErrMalformedCheckpoint), noError},
		{"rekor2-checkpoint-missing-root-hash_fail", alpha1, skip, is(ErrMalformedCheckpoint), noError},
		{"checkpoint-bad-keyhint_fail", prod, noError, is(ErrNoLogSignature), noError},
		{"invalid-checkpoint-signature_fail", prod, noError, is(ErrBadLogSignature), noError},
		{"checkpoint-wrong-roothash_fail", prod, noError, is(ErrInconsistent), noError}, // a genuine checkpoint of another tree

		// Inclusion proofs and SETs.
		{"inclusion-proof-corrupted-hash_fail", prod, noError, is(ErrInvalidProof), noError},
		{"invalid-inclusion-proof_fail", prod, noError, is(ErrInvalidProof), noError}, // an old proof (and no checkpoint)
		{"rekor2-no-inclusion-proof_fail", alpha1, skip, anyError("no inclusion proof"), noError},
		{"set-invalid-signature_fail", prod, is(ErrInvalidSET), noError, noError},

		// Bodies that do not record the bundle's signature, key or subject.
		{"incorrect-public-key_fail", prod, is(ErrInvalidSET), is(ErrInvalidProof), mismatch("certificate")}, // body edited after logging
		{"wrong-hashedrekord-artifact_fail", prod, noError, noError, mismatch("artifact digest")},
		{"wrong-hashedrekord-entry_fail", prod, noError, noError, mismatch("artifact digest")},
		// The entry records another certificate and signature; the signature is compared first.
		{"wrong-hashedrekord-cert-and-sig_fail", prod, noError, noError, mismatch("signature")},
		// The bundle's signature was altered: the signature check (pkg/signature) fails too.
		{"signature-mismatch_fail", prod, noError, noError, mismatch("signature")},
		// Another artifact: the signature check fails too.
		{"wrong-material_fail", prod, noError, noError, mismatch("artifact digest")},
		// The entry's intoto signature is base64 once, and another signature.
		{"intoto-log-entry-mismatch_fail", local, noError, noError, mismatch("signature")},
		{"dsse-mismatch-envelope_fail", prod, noError, noError, mismatch("DSSE payload")},
		{"dsse-mismatch-sig_fail", prod, noError, noError, mismatch("signature")},
		// The envelope's signature is invalid (caught by DSSE verification), and it is not
		// the signature the entry records either.
		{"dsse-invalid-sig_fail", prod, noError, noError, mismatch("signature")},
		{"rekor2-dsse-mismatch-envelope_fail", alpha3, skip, noError, mismatch("DSSE payload")},
		{"rekor2-dsse-mismatch-sig_fail", alpha3, skip, noError, mismatch("signature")},
		// The envelope was signed by another key (caught by DSSE verification); its
		// signature is not the logged one either.
		{"rekor2-dsse-invalid-sig_fail", alpha3, skip, noError, mismatch("signature")},

		// Faults that lie elsewhere: the log entry itself is sound.
		{"rekor2-no-timestamp_fail", alpha1, skip, noError, noError},          // a Rekor v2 entry needs an RFC 3161 timestamp (pkg/verify)
		{"intoto-expired-certificate_fail", local, noError, noError, noError}, // certificate validity (pkg/verify, pkg/fulcio)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadCase(t, tt.name, tt.root)
			if tt.set.ok != nil {
				t.Run("SET", func(t *testing.T) { check(t, VerifySET(c.entry, c.log), tt.set) })
			} else if c.entry.GetInclusionPromise() != nil {
				t.Errorf("entry has an inclusion promise the test does not check")
			}
			if tt.proof.ok != nil {
				t.Run("inclusion", func(t *testing.T) { check(t, VerifyInclusion(c.entry, c.log), tt.proof) })
			}
			t.Run("body", func(t *testing.T) { check(t, VerifyBody(c.entry, c.exp), tt.body) })
		})
	}
}
