package rekor

import (
	"errors"
	"fmt"
	"sync"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/signet-dev/signet/pkg/trust"
)

// VerifyInclusion checks an entry's inclusion proof and the checkpoint it leads to.
//
// The leaf hash is SHA-256(0x00 || canonicalizedBody); the proof's index (the index in the
// log's current tree, which for a sharded Rekor v1 log differs from the entry's global
// logIndex) must lie below the proof's tree size, and the RFC 6962 audit path must lead
// from the leaf to the proof's root hash. Then the checkpoint is verified with the log's
// key (see VerifyCheckpoint), and its tree size and root hash must be the proof's.
func VerifyInclusion(e *pbrekor.TransparencyLogEntry, log *trust.Log) error {
	return (*Checkpoints)(nil).VerifyInclusion(e, log)
}

// Checkpoints remembers the checkpoints whose log signature verified, so that a batch
// verifier checks the signature of a checkpoint shared by many entries once. It remembers
// the fact (these exact bytes carry a good signature by this log), never a verdict: every
// entry's proof is still checked against the checkpoint. The zero value is ready; a nil
// *Checkpoints remembers nothing. Safe for concurrent use.
type Checkpoints struct {
	seen sync.Map // checkpointKey -> *Checkpoint
}

type checkpointKey struct {
	log      *trust.Log
	envelope string
}

// verify is VerifyCheckpoint, remembered.
func (c *Checkpoints) verify(envelope string, log *trust.Log) (*Checkpoint, error) {
	if c == nil {
		return VerifyCheckpoint(envelope, log)
	}
	key := checkpointKey{log, envelope}
	if cp, ok := c.seen.Load(key); ok {
		return cp.(*Checkpoint), nil
	}
	cp, err := VerifyCheckpoint(envelope, log)
	if err == nil {
		c.seen.Store(key, cp)
	}
	return cp, err
}

// VerifyInclusion is the package's VerifyInclusion with c remembering checkpoints.
func (c *Checkpoints) VerifyInclusion(e *pbrekor.TransparencyLogEntry, log *trust.Log) error {
	p := e.GetInclusionProof()
	if p == nil {
		return errors.New("log entry has no inclusion proof")
	}
	if err := checkLogID(e, log); err != nil {
		return err
	}
	body := e.GetCanonicalizedBody()
	if len(body) == 0 {
		return errors.New("log entry has no body")
	}
	if len(body) > MaxBodySize {
		return fmt.Errorf("%w: larger than %d bytes", ErrMalformedBody, MaxBodySize)
	}
	index, size := p.GetLogIndex(), p.GetTreeSize()
	if index < 0 || size <= 0 || index >= size {
		return fmt.Errorf("%w: leaf index %d is not inside a tree of size %d", ErrInvalidProof, index, size)
	}
	root, err := toHash(p.GetRootHash())
	if err != nil {
		return fmt.Errorf("%w: root hash: %v", ErrInvalidProof, err)
	}
	if len(p.GetHashes()) > maxProofHashes {
		return fmt.Errorf("%w: %d hashes, at most %d", ErrInvalidProof, len(p.GetHashes()), maxProofHashes)
	}
	proof := make(tlog.RecordProof, len(p.GetHashes()))
	for i, h := range p.GetHashes() {
		if proof[i], err = toHash(h); err != nil {
			return fmt.Errorf("%w: hash %d: %v", ErrInvalidProof, i, err)
		}
	}
	leaf := tlog.RecordHash(body)
	if err := tlog.CheckRecord(proof, size, root, index, leaf); err != nil {
		return fmt.Errorf("%w: %d hashes do not lead from leaf %d (hash %x) to root hash %x of tree size %d",
			ErrInvalidProof, len(proof), index, leaf[:], root[:], size)
	}

	envelope := p.GetCheckpoint().GetEnvelope()
	if envelope == "" {
		return errors.New("inclusion proof has no checkpoint")
	}
	cp, err := c.verify(envelope, log)
	if err != nil {
		return err
	}
	if cp.Size != uint64(size) || cp.RootHash != root {
		return fmt.Errorf("%w: checkpoint %q commits to tree size %d, root hash %x; the inclusion proof to tree size %d, root hash %x",
			ErrInconsistent, cp.Origin, cp.Size, cp.RootHash[:], size, root[:])
	}
	return nil
}

func toHash(b []byte) (tlog.Hash, error) {
	var h tlog.Hash
	if len(b) != len(h) {
		return h, fmt.Errorf("%d bytes, want %d", len(b), len(h))
	}
	copy(h[:], b)
	return h, nil
}
