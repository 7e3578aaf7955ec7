// Package rekor owns what signet knows about Rekor transparency log entries: the entry
// bodies (Rekor v1 hashedrekord 0.0.1, dsse 0.0.1 and the legacy intoto 0.0.2; Rekor v2
// hashedrekord 0.0.2 and, read-only, dsse 0.0.2), and the verification of an entry's
// inclusion promise (SET), its RFC 6962 inclusion proof and the C2SP signed checkpoint the
// proof leads to; and uploading entries to Rekor v1 and v2 (Client, the only network code
// here).
//
// It trusts only the log key it is handed (a trust.Log, chosen by the caller from the
// trusted root by the entry's log id) and nothing in the entry: every field of an entry is
// checked against that key or against what the bundle claims (Expected). Whether the log's
// key was valid at the entry's time is the caller's question (trust.Log.ValidFor). Every
// function but Client's methods is pure and offline.
package rekor

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/pkg/trust"
)

// Limits on untrusted log entries.
const (
	// MaxBodySize bounds a canonicalized entry body. Rekor v1 intoto bodies may carry a
	// whole DSSE payload, base64-encoded twice.
	MaxBodySize = 64 << 20
	// MaxCheckpointSize bounds a checkpoint (signed note with all its cosignatures).
	MaxCheckpointSize = 64 << 10
	// maxProofHashes bounds an inclusion proof: a tree of 2^63 leaves needs 63 hashes.
	maxProofHashes = 64
	// maxBodySignatures bounds the signatures listed in a dsse or intoto body.
	maxBodySignatures = 64
)

// Errors a caller or a test may tell apart. Each is wrapped with the evidence.
var (
	// ErrMalformedBody marks an entry body that is not valid JSON of its kind.
	ErrMalformedBody = errors.New("malformed log entry body")
	// ErrUnsupportedKind marks an entry kind or version that signet does not verify.
	ErrUnsupportedKind = errors.New("unsupported log entry kind")
	// ErrMalformedCheckpoint marks a checkpoint that does not parse (a missing origin,
	// tree size or root hash line, a bad signature line).
	ErrMalformedCheckpoint = errors.New("malformed checkpoint")
	// ErrNoLogSignature marks a checkpoint that carries no signature by the log's key
	// (under the log's name and key hint): the "unknown key" case.
	ErrNoLogSignature = errors.New("checkpoint has no signature by the log")
	// ErrBadLogSignature marks a checkpoint signature by the log's key that does not verify.
	ErrBadLogSignature = errors.New("checkpoint signature by the log does not verify")
	// ErrInvalidSET marks an inclusion promise whose signature does not verify.
	ErrInvalidSET = errors.New("signed entry timestamp does not verify")
	// ErrInvalidProof marks an inclusion proof that does not lead to its root hash.
	ErrInvalidProof = errors.New("inclusion proof does not verify")
	// ErrInconsistent marks a checkpoint whose tree size or root hash differs from the
	// inclusion proof's, or an entry that names another log.
	ErrInconsistent = errors.New("log entry is inconsistent")
)

// A MismatchError reports a field of the entry body that differs from what the bundle
// claims. What names the field: "signature", "certificate", "public key", "artifact
// digest", "DSSE payload", "DSSE payload type" or "key details".
type MismatchError struct {
	What   string
	Entry  string // evidence: the entry's value, abbreviated
	Bundle string // evidence: the bundle's value, abbreviated
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("log entry %s does not match the bundle's %s (entry: %s; bundle: %s)", e.What, e.What, e.Entry, e.Bundle)
}

// Expected is what the bundle claims; the entry body must agree with all of it.
type Expected struct {
	// Exactly one of Certificate (DER of the leaf) or PublicKey is set.
	Certificate []byte
	PublicKey   crypto.PublicKey
	// Signature is the message signature, or the (single) DSSE signature. For DSSE
	// bundles it may be left nil: the envelope's signatures are what is compared.
	Signature []byte
	// Hash and Digest are the artifact digest of a message signature bundle.
	Hash   crypto.Hash
	Digest []byte
	// Envelope is the DSSE envelope of a DSSE bundle, nil for message signatures.
	Envelope *Envelope
}

// Envelope is a decoded DSSE envelope.
type Envelope struct {
	PayloadType string
	Payload     []byte
	Signatures  []EnvelopeSignature
}

// EnvelopeSignature is one signature of a DSSE envelope.
type EnvelopeSignature struct {
	Sig   []byte
	KeyID string
}

// IsRekorV2 reports whether the entry is of a kind only Rekor v2 writes (hashedrekord or
// dsse 0.0.2). Such an entry has no integrated time and no inclusion promise, and its
// logIndex is the index its inclusion proof proves.
func IsRekorV2(e *pbrekor.TransparencyLogEntry) bool {
	kv := e.GetKindVersion()
	return kv.GetVersion() == "0.0.2" && (kv.GetKind() == KindHashedRekord || kv.GetKind() == KindDSSE)
}

// checkLogID makes sure the entry names the log whose key the caller handed us.
func checkLogID(e *pbrekor.TransparencyLogEntry, log *trust.Log) error {
	if log == nil {
		return errors.New("no transparency log given")
	}
	if id := e.GetLogId().GetKeyId(); !bytes.Equal(id, log.ID) {
		return fmt.Errorf("%w: entry names log id %x, the given log %s has id %x", ErrInconsistent, id, log.BaseURL, log.ID)
	}
	return nil
}

// abbrev renders bytes as evidence: base64, cut in the middle when long.
func abbrev(b []byte) string {
	if b == nil {
		return "none"
	}
	s := base64.StdEncoding.EncodeToString(b)
	if len(s) > 48 {
		s = s[:20] + "..." + s[len(s)-20:]
	}
	return s
}

// fingerprint renders long values (certificates, keys, payloads) by their SHA-256.
func fingerprint(b []byte) string {
	if b == nil {
		return "none"
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
