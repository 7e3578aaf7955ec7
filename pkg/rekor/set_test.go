package rekor

import (
	"testing"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
)

func TestVerifySET(t *testing.T) {
	body := []byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}`)
	good := sigstoretest.NewLog(t, sigstoretest.RekorV1, sigstoretest.LogShardOffset(1000))
	goodLog := trustLog(t, good)
	entry := good.Append(body)
	wrongSET := sigstoretest.NewLog(t, sigstoretest.RekorV1, sigstoretest.LogWrongSET())
	other := sigstoretest.NewLog(t, sigstoretest.RekorV1)
	v2 := sigstoretest.NewLog(t, sigstoretest.RekorV2)

	tests := []struct {
		name   string
		entry  func() *pbrekor.TransparencyLogEntry
		log    *trust.Log
		want   errCheck
		assert func(*testing.T, *pbrekor.TransparencyLogEntry)
	}{
		{"valid, global index differs from the tree index", func() *pbrekor.TransparencyLogEntry { return entry }, goodLog, noError,
			func(t *testing.T, e *pbrekor.TransparencyLogEntry) {
				if e.GetLogIndex() == e.GetInclusionProof().GetLogIndex() {
					t.Error("fake log did not shard: the test does not show that the SET covers the global index")
				}
			}},
		{"SET signature bit flip", func() *pbrekor.TransparencyLogEntry {
			e := cloneEntry(entry)
			set := e.InclusionPromise.SignedEntryTimestamp
			e.InclusionPromise.SignedEntryTimestamp = flip(set, len(set)-1)
			return e
		}, goodLog, is(ErrInvalidSET), nil},
		{"integrated time changed", func() *pbrekor.TransparencyLogEntry {
			e := cloneEntry(entry)
			e.IntegratedTime++
			return e
		}, goodLog, is(ErrInvalidSET), nil},
		{"log index changed", func() *pbrekor.TransparencyLogEntry {
			e := cloneEntry(entry)
			e.LogIndex++
			return e
		}, goodLog, is(ErrInvalidSET), nil},
		{"log index replaced by the tree index", func() *pbrekor.TransparencyLogEntry {
			e := cloneEntry(entry)
			e.LogIndex = e.InclusionProof.LogIndex
			return e
		}, goodLog, is(ErrInvalidSET), nil},
		{"body changed", func() *pbrekor.TransparencyLogEntry {
			e := cloneEntry(entry)
			e.CanonicalizedBody = append(e.CanonicalizedBody, ' ')
			return e
		}, goodLog, is(ErrInvalidSET), nil},
		{"SET signed over other data by the log", func() *pbrekor.TransparencyLogEntry { return wrongSET.Append(body) },
			trustLog(t, wrongSET), is(ErrInvalidSET), nil},
		{"SET by another log's key, entry relabelled", func() *pbrekor.TransparencyLogEntry {
			e := other.Append(body)
			e.LogId.KeyId = good.ID()
			return e
		}, goodLog, is(ErrInvalidSET), nil},
		{"entry names another log", func() *pbrekor.TransparencyLogEntry { return other.Append(body) }, goodLog, is(ErrInconsistent), nil},
		{"no inclusion promise (Rekor v2 entry)", func() *pbrekor.TransparencyLogEntry { return v2.Append(body) }, trustLog(t, v2), anyError("no promise"), nil},
		{"negative log index", func() *pbrekor.TransparencyLogEntry {
			e := cloneEntry(entry)
			e.LogIndex = -1
			return e
		}, goodLog, anyError("negative index"), nil},
		{"no integrated time", func() *pbrekor.TransparencyLogEntry {
			e := cloneEntry(entry)
			e.IntegratedTime = 0
			return e
		}, goodLog, anyError("no integrated time"), nil},
		{"no log", func() *pbrekor.TransparencyLogEntry { return entry }, nil, anyError("no log"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.entry()
			check(t, VerifySET(e, tt.log), tt.want)
			if tt.assert != nil {
				tt.assert(t, e)
			}
		})
	}
}

// TestSETPayload pins the canonical JSON against a hand-written string.
func TestSETPayload(t *testing.T) {
	got := string(setPayload([]byte("hi"), 1689177396, []byte{0xc0, 0xd2}, 27246492))
	want := `{"body":"aGk=","integratedTime":1689177396,"logID":"c0d2","logIndex":27246492}`
	if got != want {
		t.Errorf("setPayload = %s, want %s", got, want)
	}
}
