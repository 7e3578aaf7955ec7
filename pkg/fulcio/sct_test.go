package fulcio_test

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/fulcio"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// staticCTExtension is a Static CT leaf_index extension (type 0, length 5, index 112), as
// in the bundle-with-sct-with-extensions conformance case.
var staticCTExtension = []byte{0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x70}

func TestVerifySCTs(t *testing.T) {
	ca := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	logs := ca.Logs()
	issue := func(o sigstoretest.LeafOptions) *x509.Certificate { return ca.IssueLeaf(newSignerKey(t), o) }
	log0, log1 := ca.CTLog(), ca.CTLogs()[1]
	operated := func(l *pbtrust.TransparencyLogInstance, op string) *pbtrust.TransparencyLogInstance {
		l = proto.Clone(l).(*pbtrust.TransparencyLogInstance)
		l.Operator = op
		return l
	}
	log0Closing := func(end time.Time) *pbtrust.TransparencyLogInstance {
		l := ca.CTLog()
		l.PublicKey.ValidFor.End = timestamppb.New(end)
		return l
	}

	one := issue(sigstoretest.LeafOptions{})
	two := issue(sigstoretest.LeafOptions{SCTs: []sigstoretest.SCTOptions{{Log: 0}, {Log: 1}}})
	dup := issue(sigstoretest.LeafOptions{SCTs: []sigstoretest.SCTOptions{{Log: 0}, {Log: 0, Timestamp: clock}}})
	tampered := issue(sigstoretest.LeafOptions{SCTs: []sigstoretest.SCTOptions{{TamperSignature: true}}})
	otherTBS := issue(sigstoretest.LeafOptions{SCTs: []sigstoretest.SCTOptions{{SignOther: true}}})
	fromLog1 := issue(sigstoretest.LeafOptions{SCTs: []sigstoretest.SCTOptions{{Log: 1}}})
	withExt := issue(sigstoretest.LeafOptions{SCTs: []sigstoretest.SCTOptions{{Extensions: staticCTExtension}}})
	listFirst := issue(sigstoretest.LeafOptions{SCTListFirst: true})
	none := issue(sigstoretest.LeafOptions{NoSCTs: true})
	// Stamped an hour after the clock the tests verify at.
	future := issue(sigstoretest.LeafOptions{SCTs: []sigstoretest.SCTOptions{{Timestamp: clock.Add(2 * time.Hour)}}})
	v2 := issue(sigstoretest.LeafOptions{SCTs: []sigstoretest.SCTOptions{{Version: 1}}})
	goodAndBad := issue(sigstoretest.LeafOptions{SCTs: []sigstoretest.SCTOptions{{Log: 0, TamperSignature: true}, {Log: 1}}})
	malformed := issue(sigstoretest.LeafOptions{NoSCTs: true, ExtraExtensions: []pkix.Extension{
		{Id: fulcio.OIDSCTList, Value: mustMarshal(t, []byte{0x00, 0x05, 0x00, 0x01})},
	}})
	// The Static CT extension bytes are signed: change them in the certificate (whose own
	// signature VerifySCTs does not look at) and the SCT must fail.
	extChanged := reparse(t, bytes.Replace(withExt.Raw, staticCTExtension, append(staticCTExtension[:7:7], 0x71), 1))

	tests := []struct {
		name       string
		leaf       *x509.Certificate
		issuer     *x509.Certificate
		ctlogs     []*pbtrust.TransparencyLogInstance
		threshold  int
		latest     time.Time             // default: an hour after the clock
		wantLogs   []*sigstoretest.CTLog // nil with wantErr
		wantErr    error                 // a reason in SCTError.Failures, or nil
		wantMsg    string
		wantCounts *fulcio.SCTError // Verified/SCTs/Duplicates to compare, when set
	}{
		{name: "one valid SCT", leaf: one, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1, wantLogs: logs[:1]},
		{name: "tampered signature", leaf: tampered, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1,
			wantErr: fulcio.ErrSCTSignature, wantMsg: "only 0 of the 1 required CT log operators verified the certificate (1 SCTs embedded); SCT 0 from log",
			wantCounts: &fulcio.SCTError{SCTs: 1}},
		{name: "signature over another TBS", leaf: otherTBS, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1,
			wantErr: fulcio.ErrSCTSignature},
		{name: "wrong issuer key hash", leaf: one, issuer: ca.Root(), ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1,
			wantErr: fulcio.ErrSCTSignature},

		{name: "SCT from a log in the trusted root", leaf: fromLog1, ctlogs: []*pbtrust.TransparencyLogInstance{log0, log1}, threshold: 1, wantLogs: logs[1:2]},
		{name: "SCT from a log not in the trusted root", leaf: fromLog1, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1,
			wantErr: fulcio.ErrUnknownCTLog, wantMsg: "SCT is from a CT log not in the trusted root"},

		{name: "log window closes exactly at the SCT time", leaf: one, ctlogs: []*pbtrust.TransparencyLogInstance{log0Closing(one.NotBefore)}, threshold: 1, wantLogs: logs[:1]},
		{name: "log window closed before the SCT time", leaf: one, ctlogs: []*pbtrust.TransparencyLogInstance{log0Closing(one.NotBefore.Add(-time.Millisecond))}, threshold: 1,
			wantErr: fulcio.ErrSCTOutsideLogValidity},

		{name: "two logs, threshold 2", leaf: two, ctlogs: []*pbtrust.TransparencyLogInstance{log0, log1}, threshold: 2, wantLogs: logs[:2]},
		{name: "one log, threshold 2", leaf: one, ctlogs: []*pbtrust.TransparencyLogInstance{log0, log1}, threshold: 2,
			wantMsg: "only 1 of the 2 required CT log operators", wantCounts: &fulcio.SCTError{Verified: 1, SCTs: 1}},
		{name: "two SCTs from one log, threshold 1", leaf: dup, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1, wantLogs: logs[:1]},
		{name: "two SCTs from one log count once, threshold 2", leaf: dup, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 2,
			wantMsg: "1 more from operators already counted", wantCounts: &fulcio.SCTError{Verified: 1, SCTs: 2, Duplicates: 1}},
		// Thresholds count operators: two logs of one operator count once.
		{name: "two logs of one operator, threshold 2", leaf: two, ctlogs: []*pbtrust.TransparencyLogInstance{operated(log0, "op"), operated(log1, "op")}, threshold: 2,
			wantMsg: "1 more from operators already counted", wantCounts: &fulcio.SCTError{Verified: 1, SCTs: 2, Duplicates: 1}},
		{name: "two logs of two operators, threshold 2", leaf: two, ctlogs: []*pbtrust.TransparencyLogInstance{operated(log0, "op-a"), operated(log1, "op-b")}, threshold: 2, wantLogs: logs[:2]},
		{name: "one operated log and one without an operator, threshold 2", leaf: two, ctlogs: []*pbtrust.TransparencyLogInstance{operated(log0, "op"), log1}, threshold: 2, wantLogs: logs[:2]},

		// The SCT time may not lie after the latest time the caller allows.
		{name: "SCT in the future", leaf: future, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1,
			wantErr: fulcio.ErrSCTInFuture, wantMsg: "in the future"},
		{name: "SCT exactly at the latest allowed time", leaf: future, latest: clock.Add(2 * time.Hour), ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1, wantLogs: logs[:1]},

		{name: "one bad and one good SCT, threshold 1", leaf: goodAndBad, ctlogs: []*pbtrust.TransparencyLogInstance{log0, log1}, threshold: 1, wantLogs: logs[1:2]},
		{name: "one bad and one good SCT, threshold 2", leaf: goodAndBad, ctlogs: []*pbtrust.TransparencyLogInstance{log0, log1}, threshold: 2,
			wantErr: fulcio.ErrSCTSignature, wantCounts: &fulcio.SCTError{Verified: 1, SCTs: 2}},

		{name: "non-empty SCT extensions", leaf: withExt, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1, wantLogs: logs[:1]},
		{name: "SCT extensions changed after signing", leaf: extChanged, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1,
			wantErr: fulcio.ErrSCTSignature},

		{name: "SCT list is the first extension", leaf: listFirst, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1, wantLogs: logs[:1]},

		{name: "no SCTs, threshold 0", leaf: none, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 0, wantLogs: []*sigstoretest.CTLog{}},
		{name: "no SCTs, threshold 1", leaf: none, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1,
			wantMsg: "certificate has no embedded SCTs, 1 required", wantCounts: &fulcio.SCTError{}},
		{name: "valid SCT, threshold 0", leaf: one, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 0, wantLogs: logs[:1]},

		{name: "SCT version other than v1", leaf: v2, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 1,
			wantErr: fulcio.ErrSCTUnsupported, wantMsg: "version 1"},
		{name: "malformed SCT list fails even at threshold 0", leaf: malformed, ctlogs: []*pbtrust.TransparencyLogInstance{log0}, threshold: 0,
			wantMsg: "malformed SCT list extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := tt.issuer
			if issuer == nil {
				issuer = ca.Intermediate()
			}
			tr := trustedRoot(t, nil, tt.ctlogs)
			latest := tt.latest
			if latest.IsZero() {
				latest = clock.Add(time.Hour)
			}
			ids, err := fulcio.VerifySCTs(tt.leaf, issuer, tr.CTLogs, tt.threshold, latest)
			if tt.wantLogs == nil {
				require.Error(t, err)
				assert.Nil(t, ids)
				assert.Contains(t, err.Error(), tt.wantMsg)
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
					for _, other := range []error{fulcio.ErrSCTSignature, fulcio.ErrUnknownCTLog, fulcio.ErrSCTOutsideLogValidity, fulcio.ErrSCTUnsupported, fulcio.ErrSCTInFuture} {
						if other != tt.wantErr {
							assert.NotErrorIs(t, err, other, "only the expected reason")
						}
					}
				}
				if tt.wantCounts != nil {
					var sctErr *fulcio.SCTError
					require.True(t, errors.As(err, &sctErr), "error is an *SCTError")
					assert.Equal(t, tt.threshold, sctErr.Threshold)
					assert.Equal(t, tt.wantCounts.Verified, sctErr.Verified)
					assert.Equal(t, tt.wantCounts.SCTs, sctErr.SCTs)
					assert.Equal(t, tt.wantCounts.Duplicates, sctErr.Duplicates)
				}
				return
			}
			require.NoError(t, err)
			want := [][]byte{}
			for _, l := range tt.wantLogs {
				want = append(want, l.ID[:])
			}
			if len(want) == 0 {
				assert.Empty(t, ids)
			} else {
				assert.Equal(t, want, ids)
			}
		})
	}
}

func TestVerifySCTsNeedsIssuer(t *testing.T) {
	ca := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	leaf := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{})
	_, err := fulcio.VerifySCTs(leaf, nil, nil, 1, clock)
	require.Error(t, err)
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	require.NoError(t, err)
	return b
}

func reparse(t testing.TB, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}
