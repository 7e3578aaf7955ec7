package rekor

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
)

func TestVerifyInclusion(t *testing.T) {
	for _, v := range []sigstoretest.LogVersion{sigstoretest.RekorV1, sigstoretest.RekorV2} {
		t.Run(fmt.Sprintf("RekorV%d", v), func(t *testing.T) { testVerifyInclusion(t, v) })
	}
}

func testVerifyInclusion(t *testing.T, v sigstoretest.LogVersion) {
	body := func(i int) []byte {
		return fmt.Appendf(nil, `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"n":%d}}`, i)
	}
	fake := sigstoretest.NewLog(t, v, sigstoretest.LogPrefill(6), sigstoretest.LogShardOffset(5000))
	log := trustLog(t, fake)
	last := fake.Append(body(0)) // index 6, tree size 7

	// An entry in the middle of a larger tree, proved later.
	middle := fake.Append(body(1))
	for i := 2; i < 12; i++ {
		fake.Append(body(i))
	}
	fake.Refresh(middle)

	// The only entry of a tree of size 1: an empty proof.
	lone := sigstoretest.NewLog(t, v, sigstoretest.LogPrefill(0))
	loneEntry := lone.Append(body(0))

	witnessed := sigstoretest.NewLog(t, v, sigstoretest.LogWitnesses(3))
	witnessFirst := sigstoretest.NewLog(t, v, sigstoretest.LogWitnesses(2), sigstoretest.LogWitnessesFirst())
	wrongKey := sigstoretest.NewLog(t, v, sigstoretest.LogWrongCheckpointKey())
	stranger := sigstoretest.NewNoteKey(t, fake.Host(), v) // another key, under the log's name, own hint
	witness := sigstoretest.NewWitness(t, "witness.example.test")
	other := sigstoretest.NewLog(t, v)

	// proofText is the checkpoint text for the entry's own proof.
	proofText := func(e *pbrekor.TransparencyLogEntry) string {
		var root [32]byte
		copy(root[:], e.InclusionProof.RootHash)
		return fake.CheckpointText(e.InclusionProof.TreeSize, root)
	}
	// withCheckpoint returns a copy of last whose checkpoint is envelope.
	withCheckpoint := func(envelope string) *pbrekor.TransparencyLogEntry {
		e := cloneEntry(last)
		e.InclusionProof.Checkpoint.Envelope = envelope
		return e
	}
	// editText rewrites the checkpoint text for last, then the log signs it.
	editText := func(edit func(lines []string) []string) func() *pbrekor.TransparencyLogEntry {
		return func() *pbrekor.TransparencyLogEntry {
			lines := strings.Split(strings.TrimSuffix(proofText(last), "\n"), "\n")
			return withCheckpoint(sigstoretest.SignNote(strings.Join(edit(lines), "\n")+"\n", fake.NoteKey()))
		}
	}
	entry := func(e *pbrekor.TransparencyLogEntry, edit func(*pbrekor.TransparencyLogEntry)) func() *pbrekor.TransparencyLogEntry {
		return func() *pbrekor.TransparencyLogEntry {
			e := cloneEntry(e)
			if edit != nil {
				edit(e)
			}
			return e
		}
	}

	tests := []struct {
		name  string
		entry func() *pbrekor.TransparencyLogEntry
		log   *trust.Log // nil for the fake's
		want  errCheck
	}{
		{"valid, last entry of the tree", entry(last, nil), nil, noError},
		{"valid, entry inside a later tree", entry(middle, nil), nil, noError},
		{"valid, single-entry tree with an empty proof", entry(loneEntry, nil), trustLog(t, lone), noError},

		// The Merkle proof.
		{"proof hash bit flip", entry(last, func(e *pbrekor.TransparencyLogEntry) {
			e.InclusionProof.Hashes[1] = flip(e.InclusionProof.Hashes[1], 7)
		}), nil, is(ErrInvalidProof)},
		{"proof for the wrong index", entry(middle, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.LogIndex-- }), nil, is(ErrInvalidProof)},
		{"index not below tree size", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.LogIndex = e.InclusionProof.TreeSize }), nil, is(ErrInvalidProof)},
		{"negative index", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.LogIndex = -1 }), nil, is(ErrInvalidProof)},
		{"proof tree size changed, path no longer fits", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.TreeSize++ }), nil, is(ErrInvalidProof)},
		// A path does not always pin the tree size (index 7 has the same path in trees of
		// 18 and 19 leaves): the signed checkpoint does.
		{"proof tree size changed, path still fits", entry(middle, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.TreeSize++ }), nil, is(ErrInconsistent)},
		{"proof root hash changed", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.RootHash = flip(e.InclusionProof.RootHash, 0) }), nil, is(ErrInvalidProof)},
		{"proof root hash truncated", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.RootHash = e.InclusionProof.RootHash[:31] }), nil, is(ErrInvalidProof)},
		{"proof hash missing", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.Hashes = e.InclusionProof.Hashes[1:] }), nil, is(ErrInvalidProof)},
		{"proof hash added", entry(last, func(e *pbrekor.TransparencyLogEntry) {
			e.InclusionProof.Hashes = append(e.InclusionProof.Hashes, e.InclusionProof.RootHash)
		}), nil, is(ErrInvalidProof)},
		{"proof hash of 31 bytes", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.Hashes[0] = e.InclusionProof.Hashes[0][:31] }), nil, is(ErrInvalidProof)},
		{"body changed", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.CanonicalizedBody = body(99) }), nil, is(ErrInvalidProof)},
		{"no inclusion proof", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof = nil }), nil, anyError("no proof")},
		{"no body", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.CanonicalizedBody = nil }), nil, anyError("no body")},
		{"entry names another log", func() *pbrekor.TransparencyLogEntry { return other.Append(body(0)) }, nil, is(ErrInconsistent)},

		// The checkpoint against the proof.
		{"checkpoint tree size differs from the proof's", editText(func(l []string) []string {
			l[1] = fmt.Sprint(last.InclusionProof.TreeSize + 1)
			return l
		}), nil, is(ErrInconsistent)},
		{"checkpoint root hash differs from the proof's", editText(func(l []string) []string {
			l[2] = base64.StdEncoding.EncodeToString(flip(last.InclusionProof.RootHash, 31))
			return l
		}), nil, is(ErrInconsistent)},
		{"valid checkpoint of another tree", entry(last, func(e *pbrekor.TransparencyLogEntry) {
			e.InclusionProof.Checkpoint = middle.InclusionProof.Checkpoint
		}), nil, is(ErrInconsistent)},
		{"no checkpoint", entry(last, func(e *pbrekor.TransparencyLogEntry) { e.InclusionProof.Checkpoint = nil }), nil, anyError("no checkpoint")},

		// The checkpoint's signatures.
		{"checkpoint signed by another key under the log's name and hint", func() *pbrekor.TransparencyLogEntry { return wrongKey.Append(body(0)) },
			trustLog(t, wrongKey), is(ErrBadLogSignature)},
		{"checkpoint signed by another key with its own hint", func() *pbrekor.TransparencyLogEntry {
			return withCheckpoint(sigstoretest.SignNote(proofText(last), stranger))
		}, nil, is(ErrNoLogSignature)},
		{"checkpoint signature with a bad key hint", func() *pbrekor.TransparencyLogEntry {
			k := fake.NoteKey()
			k.Hint[0] ^= 0x04
			return withCheckpoint(sigstoretest.SignNote(proofText(last), k))
		}, nil, is(ErrNoLogSignature)},
		{"checkpoint signed by the log's key under another name", func() *pbrekor.TransparencyLogEntry {
			k := fake.NoteKey()
			k.Name = "rekor.example.github"
			return withCheckpoint(sigstoretest.SignNote(proofText(last), k))
		}, nil, is(ErrNoLogSignature)},
		{"checkpoint with only a witness cosignature", func() *pbrekor.TransparencyLogEntry {
			return withCheckpoint(sigstoretest.SignNote(proofText(last), witness))
		}, nil, is(ErrNoLogSignature)},
		{"checkpoint without signature lines", func() *pbrekor.TransparencyLogEntry {
			return withCheckpoint(proofText(last) + "\n")
		}, nil, is(ErrNoLogSignature)},
		{"checkpoint signature bit flip", func() *pbrekor.TransparencyLogEntry {
			return withCheckpoint(flipSignature(t, last.InclusionProof.Checkpoint.Envelope))
		}, nil, is(ErrBadLogSignature)},
		{"garbage line claiming the log's key before the log's signature", func() *pbrekor.TransparencyLogEntry {
			k := fake.NoteKey()
			good := k.Line(proofText(last))
			bad := "— " + k.Name + " " + base64.StdEncoding.EncodeToString(append(k.Hint[:], make([]byte, 64)...)) + "\n"
			return withCheckpoint(proofText(last) + "\n" + bad + good)
		}, nil, is(ErrBadLogSignature)},
		{"witness cosignatures after the log's signature are ignored", func() *pbrekor.TransparencyLogEntry { return witnessed.Append(body(0)) },
			trustLog(t, witnessed), noError},
		{"log signature not first", func() *pbrekor.TransparencyLogEntry { return witnessFirst.Append(body(0)) },
			trustLog(t, witnessFirst), noError},
		{"second signature under the log's name by another key is ignored", func() *pbrekor.TransparencyLogEntry {
			return withCheckpoint(sigstoretest.SignNote(proofText(last), stranger, fake.NoteKey(), witness))
		}, nil, noError},

		// The checkpoint's text.
		{"origin of another log", editText(func(l []string) []string {
			l[0] = strings.Replace(l[0], fake.Host(), "other.example.test", 1)
			return l
		}), nil, is(ErrInconsistent)},
		{"origin extends the name without ' - '", editText(func(l []string) []string {
			l[0] = fake.Host() + "x"
			return l
		}), nil, is(ErrInconsistent)},
		{"missing origin line", editText(func(l []string) []string { return l[1:] }), nil, is(ErrMalformedCheckpoint)},
		{"missing size line", editText(func(l []string) []string { return append(l[:1:1], l[2:]...) }), nil, is(ErrMalformedCheckpoint)},
		{"missing root hash line", editText(func(l []string) []string { return append(l[:2:2], l[3:]...) }), nil, is(ErrMalformedCheckpoint)},
		{"extension line kept", editText(func(l []string) []string { return append(l, "Extension: yes") }), nil, noError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := log
			if tt.log != nil {
				l = tt.log
			}
			check(t, VerifyInclusion(tt.entry(), l), tt.want)
		})
	}
}

// flipSignature flips a bit in the signature (not the key hint) of a note's first
// signature line.
func flipSignature(t *testing.T, envelope string) string {
	t.Helper()
	text, sigs, ok := strings.Cut(envelope, "\n\n")
	if !ok {
		t.Fatal("no signature block")
	}
	line, rest, _ := strings.Cut(sigs, "\n")
	i := strings.LastIndex(line, " ")
	raw, err := base64.StdEncoding.DecodeString(line[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	raw = flip(raw, 10)
	return text + "\n\n" + line[:i+1] + base64.StdEncoding.EncodeToString(raw) + "\n" + rest
}
