package tuf_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust/tuf"
)

// Every attack on the client workflow is refused with an error that names it, and leaves the
// cache as it was. Each attack has an honest twin: the same change made properly, accepted.
//
// Before each case the client trusts root version 2 (two root keys, threshold 2) and version
// 2 of the timestamp, snapshot and targets; ts1 is the timestamp version 1 it saw before.
func TestAttacks(t *testing.T) {
	cases := []struct {
		name           string
		attack, honest func(e *env, ts1 []byte)
		want           string
	}{
		// Rollback of each role.
		{"root rollback",
			func(e *env, _ []byte) { e.repo.Serve("3.root.json", e.repo.RootJSON(2)) },
			func(e *env, _ []byte) { e.repo.RotateRoot(sigstoretest.TUFRoot, 2, 2) },
			"rollback attack: root version 2 (served as 3.root.json) is not newer than the trusted version 2"},
		{"timestamp rollback",
			func(e *env, ts1 []byte) { e.repo.Serve("timestamp.json", ts1) },
			func(e *env, _ []byte) { e.repo.PublishTimestamp() },
			"rollback attack: timestamp version 1 is lower than the trusted version 2"},
		{"snapshot rollback",
			func(e *env, _ []byte) {
				m := *e.repo.Timestamp.Signed.Meta["snapshot.json"]
				m.Version = 1
				e.repo.Timestamp.Signed.Meta["snapshot.json"] = &m
				e.repo.PublishTimestamp()
			},
			func(e *env, _ []byte) { e.repo.PublishTimestamp() },
			"rollback attack: timestamp version 3 names snapshot version 1, lower than the trusted snapshot version 2"},
		{"targets rollback",
			func(e *env, _ []byte) {
				m := *e.repo.Snapshot.Signed.Meta["targets.json"]
				m.Version = 1
				e.repo.Snapshot.Signed.Meta["targets.json"] = &m
				e.repo.PublishSnapshot()
			},
			func(e *env, _ []byte) { e.repo.PublishSnapshot() },
			"rollback attack: snapshot version 3 names targets version 1, lower than the trusted version 2"},
		{"targets dropped from the snapshot",
			func(e *env, _ []byte) {
				delete(e.repo.Snapshot.Signed.Meta, "targets.json")
				e.repo.PublishSnapshot()
			},
			func(e *env, _ []byte) { e.repo.PublishSnapshot() },
			"rollback attack: snapshot version 3 drops targets.json, which the trusted snapshot names"},

		// Signed metadata of a shape go-tuf does not expect (it panics on a timestamp that
		// names no snapshot): refused, never a crash.
		{"timestamp naming no snapshot",
			func(e *env, _ []byte) {
				delete(e.repo.Timestamp.Signed.Meta, "snapshot.json")
				e.repo.Timestamp.Signed.Version++
				e.repo.Sign(sigstoretest.TUFTimestamp, -1)
			},
			func(e *env, _ []byte) { e.repo.PublishTimestamp() },
			"TUF metadata of an unexpected shape"},

		// Freeze: expired metadata, served again or newly published.
		{"timestamp served after its expiry",
			func(e *env, _ []byte) { e.now = t0.Add(25 * time.Hour) },
			func(e *env, _ []byte) {
				e.now = t0.Add(25 * time.Hour)
				e.repo.Now = e.now
				e.repo.PublishTimestamp()
			},
			"freeze attack: the timestamp metadata (version 2) expired on 2026-11-03T10:00:00Z"},
		{"new timestamp already expired",
			func(e *env, _ []byte) { e.repo.Expire(sigstoretest.TUFTimestamp, t0.Add(-time.Hour)) },
			func(e *env, _ []byte) { e.repo.Expire(sigstoretest.TUFTimestamp, t0.Add(time.Hour)) },
			"freeze attack: the timestamp metadata (version 3) expired on 2026-11-02T09:00:00Z"},
		{"expired snapshot",
			func(e *env, _ []byte) { e.repo.Expire(sigstoretest.TUFSnapshot, t0.Add(-time.Hour)) },
			func(e *env, _ []byte) { e.repo.Expire(sigstoretest.TUFSnapshot, t0.Add(time.Hour)) },
			"freeze attack: the snapshot metadata (version 3) expired on 2026-11-02T09:00:00Z"},
		{"expired targets",
			func(e *env, _ []byte) { e.repo.Expire(sigstoretest.TUFTargets, t0.Add(-time.Hour)) },
			func(e *env, _ []byte) { e.repo.Expire(sigstoretest.TUFTargets, t0.Add(time.Hour)) },
			"freeze attack: the targets metadata (version 3) expired on 2026-11-02T09:00:00Z"},
		{"expired root",
			func(e *env, _ []byte) { e.repo.Expire(sigstoretest.TUFRoot, t0.Add(-time.Hour)) },
			func(e *env, _ []byte) { e.repo.Expire(sigstoretest.TUFRoot, t0.Add(time.Hour)) },
			"freeze attack: the root metadata (version 3) expired on 2026-11-02T09:00:00Z"},

		// Mix-and-match: metadata of another version than the one above names.
		{"snapshot of another version",
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.PublishSnapshot()
				e.repo.Serve("3.snapshot.json", e.repo.File("2.snapshot.json"))
			},
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.PublishSnapshot()
			},
			"mix-and-match attack: snapshot version 2 does not match the timestamp's meta (version 3)"},
		{"snapshot not matching the timestamp's hash",
			func(e *env, _ []byte) {
				e.repo.PublishSnapshot()
				e.repo.Serve("3.snapshot.json", bytes.Replace(e.repo.File("3.snapshot.json"), []byte(`"version": 3`), []byte(`"version": 4`), 1))
			},
			func(e *env, _ []byte) { e.repo.PublishSnapshot() },
			"mix-and-match attack: 3.snapshot.json does not match the length/hash of snapshot.json in the timestamp's meta"},
		{"snapshot longer than the timestamp says",
			func(e *env, _ []byte) {
				e.repo.PublishSnapshot()
				e.repo.Serve("3.snapshot.json", append(e.repo.File("3.snapshot.json"), ' '))
			},
			func(e *env, _ []byte) { e.repo.PublishSnapshot() },
			"mix-and-match attack: 3.snapshot.json does not match the length/hash of snapshot.json in the timestamp's meta (more than its"},
		{"targets of another version",
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.Publish()
				e.repo.Serve("3.targets.json", e.repo.File("2.targets.json"))
			},
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.Publish()
			},
			"mix-and-match attack: targets version 2 does not match the snapshot's meta (version 3)"},
		{"targets not matching the snapshot's hash",
			func(e *env, _ []byte) {
				e.repo.Publish()
				e.repo.Serve("3.targets.json", bytes.Replace(e.repo.File("3.targets.json"), []byte(`"version": 3`), []byte(`"version": 2`), 1))
			},
			func(e *env, _ []byte) { e.repo.Publish() },
			"mix-and-match attack: 3.targets.json does not match the length/hash of targets.json in the snapshot's meta"},

		// Target files.
		{"target bytes",
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.TrustedRootTarget, stTR)
				e.repo.Publish()
				e.repo.Serve(e.repo.TargetPath(tuf.TrustedRootTarget), bytes.ToUpper(stTR))
			},
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.TrustedRootTarget, stTR)
				e.repo.Publish()
			},
			"target trusted_root.json does not match its length/hash in the targets metadata"},
		{"target shorter",
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.SigningConfigTarget, stSC)
				e.repo.Publish()
				e.repo.Serve(e.repo.TargetPath(tuf.SigningConfigTarget), stSC[:100])
			},
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.SigningConfigTarget, stSC)
				e.repo.Publish()
			},
			"target signing_config.v0.2.json does not match its length/hash in the targets metadata"},
		{"target longer",
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.TrustedRootTarget, stTR)
				e.repo.Publish()
				e.repo.Serve(e.repo.TargetPath(tuf.TrustedRootTarget), append(append([]byte{}, stTR...), '\n'))
			},
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.TrustedRootTarget, stTR)
				e.repo.Publish()
			},
			"target trusted_root.json does not match its length/hash in the targets metadata (more than its 8249 bytes)"},

		// Signatures.
		{"root under the threshold of the trusted root",
			func(e *env, _ []byte) {
				e.repo.RotateRoot(sigstoretest.TUFRoot, 3, 2)
				e.repo.SignRoot(1, -1)
			},
			func(e *env, _ []byte) { e.repo.RotateRoot(sigstoretest.TUFRoot, 3, 2) },
			"too few valid signatures on root version 3 by the keys of root version 2 (1 of threshold 2)"},
		{"timestamp under threshold",
			func(e *env, _ []byte) {
				e.repo.RotateRoot(sigstoretest.TUFTimestamp, 2, 2)
				e.repo.Sign(sigstoretest.TUFTimestamp, 1)
			},
			func(e *env, _ []byte) { e.repo.RotateRoot(sigstoretest.TUFTimestamp, 2, 2) },
			"too few valid signatures on timestamp version 3 (1 of threshold 2)"},
		{"snapshot under threshold",
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.RotateRoot(sigstoretest.TUFSnapshot, 3, 3)
				e.repo.Sign(sigstoretest.TUFSnapshot, 2)
			},
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.RotateRoot(sigstoretest.TUFSnapshot, 3, 3)
			},
			"too few valid signatures on snapshot version 3 (2 of threshold 3)"},
		{"targets unsigned",
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.Publish()
				e.repo.Sign(sigstoretest.TUFTargets, 0)
			},
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.Publish()
			},
			"too few valid signatures on targets version 3 (0 of threshold 1)"},

		// Sizes: every download is bounded, an endless answer is cut off.
		{"oversized timestamp",
			func(e *env, _ []byte) {
				e.repo.PublishTimestamp()
				e.repo.Serve("timestamp.json", append(e.repo.File("timestamp.json"), bytes.Repeat([]byte(" "), 16<<10)...))
			},
			func(e *env, _ []byte) {
				e.repo.PublishTimestamp()
				e.repo.Serve("timestamp.json", append(e.repo.File("timestamp.json"), bytes.Repeat([]byte(" "), 15<<10)...))
			},
			"metadata timestamp.json is larger than 16384 bytes (download cut off)"},
		{"oversized root",
			func(e *env, _ []byte) { e.repo.Serve("3.root.json", make([]byte, 512<<10+1)) },
			func(e *env, _ []byte) { e.repo.RotateRoot(sigstoretest.TUFRoot, 2, 2) },
			"metadata 3.root.json is larger than 524288 bytes (download cut off)"},
		{"oversized target in the targets metadata",
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.TrustedRootTarget, append(append([]byte{}, stTR...), make([]byte, 4<<20)...))
				e.repo.Publish()
			},
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.TrustedRootTarget, append(append([]byte{}, stTR...), bytes.Repeat([]byte(" "), 4<<20-len(stTR))...))
				e.repo.Publish()
			},
			"target trusted_root.json is 4202553 bytes, more than the limit of 4194304"},
		{"endless timestamp",
			func(e *env, _ []byte) { e.repo.ServeFunc("timestamp.json", sigstoretest.EndlessBody) },
			func(e *env, _ []byte) {},
			"metadata timestamp.json is larger than 16384 bytes (download cut off)"},
		{"endless snapshot",
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.PublishSnapshot()
				e.repo.ServeFunc("3.snapshot.json", sigstoretest.EndlessBody)
			},
			func(e *env, _ []byte) {
				e.repo.MetaHashes = false
				e.repo.PublishSnapshot()
			},
			"metadata 3.snapshot.json is larger than 4194304 bytes (download cut off)"},
		{"endless target",
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.TrustedRootTarget, stTR)
				e.repo.Publish()
				e.repo.ServeFunc(e.repo.TargetPath(tuf.TrustedRootTarget), sigstoretest.EndlessBody)
			},
			func(e *env, _ []byte) {
				e.repo.SetTarget(tuf.TrustedRootTarget, stTR)
				e.repo.Publish()
			},
			"target trusted_root.json does not match its length/hash in the targets metadata (more than its 8249 bytes)"},
		{"slow server",
			func(e *env, _ []byte) {
				e.repo.ServeFunc("timestamp.json", func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
				})
			},
			func(e *env, _ []byte) {},
			"GET /timestamp.json failed after 1 attempt (retry budget of 400ms spent): no answer within 400ms"},
	}
	for _, c := range cases {
		for _, twin := range []string{"attack", "honest"} {
			t.Run(c.name+"/"+twin, func(t *testing.T) {
				e := newEnv(t)
				ts1 := e.repo.File("timestamp.json")
				e.mustFetch(tuf.SourceTUF)
				e.repo.RotateRoot(sigstoretest.TUFRoot, 2, 2)
				e.repo.Publish()
				m := e.mustFetch(tuf.SourceTUF, force)
				require.Equal(t, int64(2), m.RootVersion)
				require.Equal(t, int64(2), m.TimestampVersion)
				cached, err := os.ReadFile(e.statePath())
				require.NoError(t, err)

				timeout := func(o *tuf.Options) { o.Timeout = 400 * time.Millisecond }
				if twin == "honest" {
					c.honest(e, ts1)
					m, err := e.fetch(force, timeout)
					require.NoError(t, err)
					require.Equal(t, tuf.SourceTUF, m.Source)
					return
				}
				c.attack(e, ts1)
				_, err = e.fetch(force, timeout)
				t.Log(err) // the messages, for reading with -v
				requireRefreshError(t, err, e.repo.URL(), c.want, "; offline mode would use the cached trust material from 2026-11-02")
				if strings.Contains(c.want, "attack:") && !strings.Contains(c.want, "more than") {
					require.ErrorIs(t, err, &metadata.ErrRepository{}, "go-tuf's error is wrapped")
				}
				after, rerr := os.ReadFile(e.statePath())
				require.NoError(t, rerr)
				require.Equal(t, cached, after, "a refused refresh leaves the cache as it was")
			})
		}
	}
}
