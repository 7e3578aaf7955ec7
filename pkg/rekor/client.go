package rekor

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/trust"
)

// ServiceName names Rekor in errors.
const ServiceName = "Rekor"

// maxResponseSize bounds an upload's answer: one entry, whose body holds a signature and a
// certificate or key, not the artifact.
const maxResponseSize = 4 << 20

// Client uploads entries to a Rekor transparency log: Rekor v1 (Version 1, POST
// /api/v1/log/entries) or Rekor v2, rekor-tiles (Version 2, POST /api/v2/log/entries), as the
// signing config's majorApiVersion says. It is the network edge of this package: an entry it
// returns records what was proposed and has the proofs its version promises, but no signature
// on it (SET, checkpoint) has been verified; that is the verifier's job.
type Client struct {
	// BaseURL is the log's URL from the signing config, e.g. https://rekor.sigstore.dev.
	BaseURL string
	// Version is the log's major API version: 1 or 2.
	Version int
	// HTTP is the client to send requests with (default http.DefaultClient).
	HTTP *http.Client
	// Retry is the retry policy; the zero value is the default policy.
	Retry httpretry.Policy
}

// ProposedEntry is what a client asks a log to record: one signature and the certificate or key
// that verifies it, over an artifact digest (a message signature) or a DSSE envelope.
type ProposedEntry struct {
	// Exactly one of Certificate (DER of the signing certificate) or PublicKey is set.
	Certificate []byte
	PublicKey   crypto.PublicKey

	// A message signature: Signature over the artifact whose digest, made with Hash, is Digest.
	Signature []byte
	Hash      crypto.Hash
	Digest    []byte

	// A DSSE envelope with exactly one signature, instead of the three fields above. Rekor v1
	// records it as a dsse 0.0.1 entry; Rekor v2 as a hashedrekord 0.0.2 entry over the hash of
	// the envelope's PAE.
	Envelope *Envelope

	// KeyDetails names the signing algorithm in a Rekor v2 entry. Unset, it is the usual one for
	// the key and Hash: PKIX_ECDSA_P256_SHA_256 for P-256, PKIX_ED25519_PH for Ed25519 (Rekor v2
	// records only prehashed signatures), PKIX_RSA_PKCS1V15_<bits>_SHA256 for RSA, and so on.
	KeyDetails pbcommon.PublicKeyDetails
}

func (p *ProposedEntry) check() error {
	if (p.Certificate == nil) == (p.PublicKey == nil) {
		return errors.New("exactly one of a certificate and a public key must be given")
	}
	if p.Envelope != nil {
		if p.Signature != nil || p.Digest != nil {
			return errors.New("give either a DSSE envelope or a message signature, not both")
		}
		if len(p.Envelope.Signatures) != 1 {
			return fmt.Errorf("a DSSE envelope with %d signatures (want exactly one)", len(p.Envelope.Signatures))
		}
		return nil
	}
	if len(p.Signature) == 0 {
		return errors.New("no signature")
	}
	if !p.Hash.Available() || len(p.Digest) != p.Hash.Size() {
		return fmt.Errorf("the artifact digest is %d bytes of %v", len(p.Digest), p.Hash)
	}
	return nil
}

// expected is what the log's answer must record.
func (p *ProposedEntry) expected() Expected {
	return Expected{Certificate: p.Certificate, PublicKey: p.PublicKey, Signature: p.Signature,
		Hash: p.Hash, Digest: p.Digest, Envelope: p.Envelope}
}

// publicKey is the key that verifies the signature.
func (p *ProposedEntry) publicKey() (crypto.PublicKey, error) {
	exp := p.expected()
	return exp.bundleKey()
}

// Upload asks the log to record the entry and returns the log's TransparencyLogEntry, ready for
// a bundle, after checking that its body records exactly the proposed entry (kind, version,
// signature, certificate or key, digest or envelope) and that it carries what the log's version
// promises: for Rekor v1 an integrated time, a signed entry timestamp and an inclusion proof
// with a checkpoint; for Rekor v2 an inclusion proof with a checkpoint. An entry that Rekor v1
// already holds (409 Conflict) is fetched and returned like a new one.
//
// Service failures are *httpretry.ServiceError values naming Rekor, its URL and the operation.
func (c *Client) Upload(ctx context.Context, e ProposedEntry) (*pbrekor.TransparencyLogEntry, error) {
	if err := e.check(); err != nil {
		return nil, fmt.Errorf("rekor: %w", err)
	}
	switch c.Version {
	case 1:
		return c.uploadV1(ctx, &e)
	case 2:
		return c.uploadV2(ctx, &e)
	}
	return nil, fmt.Errorf("rekor: unsupported log API version %d (signet speaks 1 and 2)", c.Version)
}

// send makes one request (with retries) and returns the answer.
func (c *Client) send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	return httpretry.DoJSON(ctx, c.HTTP, c.Retry, ServiceName, method, c.BaseURL, path, body, maxResponseSize)
}

// checkEntry checks an uploaded entry: its kind and version, its body against the proposal,
// and the proofs its log version promises.
func checkEntry(e *pbrekor.TransparencyLogEntry, kind, version string, p *ProposedEntry, v1 bool) error {
	if kv := e.GetKindVersion(); kv.GetKind() != kind || kv.GetVersion() != version {
		return fmt.Errorf("a %s %s entry, but %s %s was proposed", kv.GetKind(), kv.GetVersion(), kind, version)
	}
	if err := VerifyBody(e, p.expected()); err != nil {
		var mm *MismatchError
		if errors.As(err, &mm) {
			return fmt.Errorf("an entry that does not record what was proposed: its %s differs (entry: %s; proposed: %s)",
				mm.What, mm.Entry, mm.Bundle)
		}
		return fmt.Errorf("an entry that does not record what was proposed: %w", err)
	}
	if len(e.GetLogId().GetKeyId()) == 0 {
		return errors.New("an entry without a log id")
	}
	if e.GetLogIndex() < 0 {
		return fmt.Errorf("an entry with log index %d", e.GetLogIndex())
	}
	if v1 {
		if e.GetIntegratedTime() <= 0 {
			return errors.New("an entry without an integrated time")
		}
		if len(e.GetInclusionPromise().GetSignedEntryTimestamp()) == 0 {
			return errors.New("an entry without a signed entry timestamp")
		}
	}
	proof := e.GetInclusionProof()
	switch {
	case proof == nil:
		return errors.New("an entry without an inclusion proof")
	case proof.GetCheckpoint().GetEnvelope() == "":
		return errors.New("an inclusion proof without a checkpoint")
	case len(proof.GetCheckpoint().GetEnvelope()) > MaxCheckpointSize:
		return fmt.Errorf("a checkpoint larger than %d bytes", MaxCheckpointSize)
	case proof.GetTreeSize() <= 0 || proof.GetLogIndex() < 0 || proof.GetLogIndex() >= proof.GetTreeSize():
		return fmt.Errorf("an inclusion proof for index %d in a tree of size %d", proof.GetLogIndex(), proof.GetTreeSize())
	case len(proof.GetRootHash()) != 32:
		return fmt.Errorf("an inclusion proof whose root hash is %d bytes", len(proof.GetRootHash()))
	case len(proof.GetHashes()) > maxProofHashes:
		return fmt.Errorf("an inclusion proof of %d hashes", len(proof.GetHashes()))
	}
	for i, h := range proof.GetHashes() {
		if len(h) != 32 {
			return fmt.Errorf("an inclusion proof whose hash %d is %d bytes", i, len(h))
		}
	}
	return nil
}

// decodeJSONAnswer decodes one JSON value and nothing after it.
func decodeJSONAnswer(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON: %v", err)
	}
	if dec.More() {
		return errors.New("malformed JSON: data after the JSON value")
	}
	return nil
}

// defaultKeyDetails is the signing algorithm Rekor v2 records for a key and a digest hash
// (zero: the key's usual hash).
func defaultKeyDetails(pub crypto.PublicKey, h crypto.Hash) (pbcommon.PublicKeyDetails, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch {
		case k.Curve == elliptic.P256() && (h == 0 || h == crypto.SHA256):
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, nil
		case k.Curve == elliptic.P384() && (h == 0 || h == crypto.SHA384):
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384, nil
		case k.Curve == elliptic.P384() && h == crypto.SHA256:
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_256, nil
		case k.Curve == elliptic.P521() && (h == 0 || h == crypto.SHA512):
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512, nil
		case k.Curve == elliptic.P521() && h == crypto.SHA256:
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_256, nil
		}
	case ed25519.PublicKey:
		if h == 0 || h == crypto.SHA512 {
			return pbcommon.PublicKeyDetails_PKIX_ED25519_PH, nil
		}
	case *rsa.PublicKey:
		if h == 0 || h == crypto.SHA256 {
			switch k.N.BitLen() {
			case 2048:
				return pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256, nil
			case 3072:
				return pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256, nil
			case 4096:
				return pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256, nil
			}
		}
	}
	if h == 0 {
		return 0, fmt.Errorf("no Rekor v2 signing algorithm for %s", trust.DescribeKey(pub))
	}
	return 0, fmt.Errorf("no Rekor v2 signing algorithm for %s with %v", trust.DescribeKey(pub), h)
}
