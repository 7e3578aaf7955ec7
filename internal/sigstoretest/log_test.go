package sigstoretest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/protobuf/proto"
)

// The fake log is checked with the Go team's note and tlog packages, which pkg/rekor also
// uses but does not share code with this file.

type ecdsaNoteVerifier struct {
	name string
	hash uint32
	pub  *ecdsa.PublicKey
}

func (v ecdsaNoteVerifier) Name() string    { return v.name }
func (v ecdsaNoteVerifier) KeyHash() uint32 { return v.hash }
func (v ecdsaNoteVerifier) Verify(msg, sig []byte) bool {
	sum := sha256.Sum256(msg)
	return ecdsa.VerifyASN1(v.pub, sum[:], sig)
}

// noteVerifier builds an x/mod note verifier for the log's key; for Ed25519 it takes the
// key hash from x/mod's own encoding, which checks the fake's C2SP key hint.
func noteVerifier(t *testing.T, l *Log) note.Verifier {
	t.Helper()
	switch pub := l.PublicKey().(type) {
	case ed25519.PublicKey:
		vkey, err := note.NewEd25519VerifierKey(l.Host(), pub)
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		return v
	case *ecdsa.PublicKey:
		return ecdsaNoteVerifier{l.Host(), binary.BigEndian.Uint32(l.ID()), pub}
	}
	t.Fatalf("unexpected key %T", l.PublicKey())
	return nil
}

// checkEntry verifies an entry of l independently of pkg/rekor.
func checkEntry(t *testing.T, l *Log, e *pbrekor.TransparencyLogEntry) error {
	t.Helper()
	p := e.GetInclusionProof()
	var proof tlog.RecordProof
	for _, h := range p.GetHashes() {
		proof = append(proof, tlog.Hash(h))
	}
	if err := tlog.CheckRecord(proof, p.GetTreeSize(), tlog.Hash(p.GetRootHash()), p.GetLogIndex(), tlog.RecordHash(e.GetCanonicalizedBody())); err != nil {
		return fmt.Errorf("proof: %w", err)
	}
	n, err := note.Open([]byte(p.GetCheckpoint().GetEnvelope()), note.VerifierList(noteVerifier(t, l)))
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	want := fmt.Sprintf("%s\n%d\n%s\n", l.Origin(), p.GetTreeSize(), base64.StdEncoding.EncodeToString(p.GetRootHash()))
	if !strings.HasPrefix(n.Text, want) {
		return fmt.Errorf("checkpoint text %q does not start with %q", n.Text, want)
	}
	if set := e.GetInclusionPromise().GetSignedEntryTimestamp(); set != nil {
		payload := fmt.Sprintf(`{"body":"%s","integratedTime":%d,"logID":"%x","logIndex":%d}`,
			base64.StdEncoding.EncodeToString(e.GetCanonicalizedBody()), e.GetIntegratedTime(), e.GetLogId().GetKeyId(), e.GetLogIndex())
		sum := sha256.Sum256([]byte(payload))
		if !ecdsa.VerifyASN1(l.PublicKey().(*ecdsa.PublicKey), sum[:], set) {
			return errors.New("SET does not verify")
		}
	}
	return nil
}

func TestLog(t *testing.T) {
	body := func(i int) []byte {
		return fmt.Appendf(nil, `{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"i":%d}}`, i)
	}
	for _, v := range []LogVersion{RekorV1, RekorV2} {
		t.Run(fmt.Sprintf("RekorV%d", v), func(t *testing.T) {
			l := NewLog(t, v, LogShardOffset(100), LogWitnesses(2))
			var entries []*pbrekor.TransparencyLogEntry
			for i := range 20 {
				e := l.Append(body(i))
				if err := checkEntry(t, l, e); err != nil {
					t.Fatalf("entry %d: %v", i, err)
				}
				entries = append(entries, e)
			}
			for i, e := range entries {
				l.Refresh(e)
				if err := checkEntry(t, l, e); err != nil {
					t.Fatalf("entry %d in the tree of %d: %v", i, l.Size(), err)
				}
			}
			e := entries[3]
			if got := e.GetKindVersion(); got.GetKind() != "hashedrekord" || got.GetVersion() != "0.0.2" {
				t.Errorf("kind and version %v", got)
			}
			if n := strings.Count(e.GetInclusionProof().GetCheckpoint().GetEnvelope(), "\n— "); n != 3 {
				t.Errorf("checkpoint has %d signature lines, want 3", n)
			}
			if v == RekorV1 {
				if e.GetIntegratedTime() == 0 || e.GetLogIndex() != e.GetInclusionProof().GetLogIndex()+100 {
					t.Errorf("Rekor v1 entry: integrated time %d, index %d, tree index %d", e.GetIntegratedTime(), e.GetLogIndex(), e.GetInclusionProof().GetLogIndex())
				}
			} else if e.GetIntegratedTime() != 0 || e.GetInclusionPromise() != nil || e.GetLogIndex() != e.GetInclusionProof().GetLogIndex() {
				t.Errorf("Rekor v2 entry has an integrated time, a SET, or a shard offset")
			}

			// The tampered twins fail the same checks.
			e = cloneLogEntry(e)
			e.InclusionProof.Hashes[0][0] ^= 1
			if checkEntry(t, l, e) == nil {
				t.Error("a flipped proof hash verifies")
			}
			wrongKey := NewLog(t, v, LogWrongCheckpointKey())
			var invalid *note.InvalidSignatureError
			if err := checkEntry(t, wrongKey, wrongKey.Append(body(0))); !errors.As(err, &invalid) {
				t.Errorf("LogWrongCheckpointKey: got %v, want an invalid log signature", err)
			}
			if v == RekorV1 {
				wrongSET := NewLog(t, v, LogWrongSET())
				if err := checkEntry(t, wrongSET, wrongSET.Append(body(0))); err == nil || !strings.Contains(err.Error(), "SET") {
					t.Errorf("LogWrongSET: got %v", err)
				}
			}
		})
	}
}

func TestLogWitnessesFirst(t *testing.T) {
	l := NewLog(t, RekorV2, LogWitnesses(1), LogWitnessesFirst())
	env := l.Append([]byte(`{"apiVersion":"0.0.2","kind":"hashedrekord"}`)).GetInclusionProof().GetCheckpoint().GetEnvelope()
	_, sigs, _ := strings.Cut(env, "\n\n")
	if !strings.HasPrefix(sigs, "— witness1.example.test ") || !strings.Contains(sigs, "\n— "+l.Host()+" ") {
		t.Errorf("signature lines:\n%s", sigs)
	}
}

// TestBodies pins the canonical bodies against hand-written JSON.
func TestBodies(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := base64.StdEncoding.EncodeToString(PEMPublicKey(t, pub))
	c := EntryContent{PublicKey: pub, Hash: crypto.SHA256, Digest: []byte{0xab, 0xcd}, Signature: []byte{1, 2, 3},
		PayloadType: "text/plain", Payload: []byte("hi"), Signatures: [][]byte{{1, 2, 3}}}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"hashedrekord 0.0.1", HashedRekordV001Body(t, c),
			`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"abcd"}},"signature":{"content":"AQID","publicKey":{"content":"` + pemKey + `"}}}}`},
		{"hashedrekord 0.0.2", HashedRekordV002Body(t, c),
			`{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"data":{"algorithm":"SHA2_256","digest":"q80="},"signature":{"content":"AQID","verifier":{"keyDetails":"PKIX_ED25519_PH","publicKey":{"rawBytes":"` +
				base64.StdEncoding.EncodeToString(mustDER(t, pub)) + `"}}}}}}`},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got, tt.want)
		}
	}
	if got, want := string(PAE("text/plain", []byte("hi"))), "DSSEv1 10 text/plain 2 hi"; got != want {
		t.Errorf("PAE = %q, want %q", got, want)
	}
	intoto := string(IntotoV002Body(t, c))
	if !strings.Contains(intoto, `"payload":"`+base64.StdEncoding.EncodeToString([]byte("aGk="))+`"`) ||
		!strings.Contains(intoto, `"sig":"`+base64.StdEncoding.EncodeToString([]byte("AQID"))+`"`) {
		t.Errorf("intoto 0.0.2 payload and signature are not base64 of base64: %s", intoto)
	}
}

func cloneLogEntry(e *pbrekor.TransparencyLogEntry) *pbrekor.TransparencyLogEntry {
	return proto.Clone(e).(*pbrekor.TransparencyLogEntry)
}

func mustDER(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
