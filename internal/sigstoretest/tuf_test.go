package sigstoretest_test

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/signet-dev/signet/internal/sigstoretest"
)

var tufNow = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// goTUF refreshes the repository with go-tuf's own updater (an independent client) trusting
// the root of version rootVersion, and downloads a target.
func goTUF(t *testing.T, r *sigstoretest.TUFRepo, rootVersion int64, target string) ([]byte, *updater.Updater, error) {
	t.Helper()
	cfg, err := config.New(r.URL(), r.RootJSON(rootVersion))
	require.NoError(t, err)
	cfg.LocalMetadataDir = t.TempDir()
	cfg.LocalTargetsDir = t.TempDir()
	u, err := updater.New(cfg)
	require.NoError(t, err)
	u.UnsafeSetRefTime(tufNow.Add(time.Hour))
	if err := u.Refresh(); err != nil {
		return nil, u, err
	}
	info, err := u.GetTargetInfo(target)
	if err != nil {
		return nil, u, err
	}
	_, data, err := u.DownloadTarget(info, "", "")
	return data, u, err
}

func TestTUFRepo(t *testing.T) {
	cases := []struct {
		name   string
		change func(r *sigstoretest.TUFRepo)
		want   string // go-tuf's complaint; empty: go-tuf accepts the repository
		root   int64  // newest root version
	}{
		{"fresh", func(*sigstoretest.TUFRepo) {}, "", 1},
		{"published twice", func(r *sigstoretest.TUFRepo) {
			r.SetTarget("trusted_root.json", []byte(`{"v":2}`))
			r.Publish()
			r.Publish()
		}, "", 1},
		{"rotated root keys and thresholds", func(r *sigstoretest.TUFRepo) {
			r.RotateRoot(sigstoretest.TUFRoot, 3, 2)
			r.RotateRoot(sigstoretest.TUFTimestamp, 2, 2)
			r.RotateRoot(sigstoretest.TUFRoot, 2, 2)
		}, "", 4},
		{"without meta hashes", func(r *sigstoretest.TUFRepo) {
			r.MetaHashes = false
			r.Publish()
		}, "", 1},
		// Tampered twins.
		{"timestamp under threshold", func(r *sigstoretest.TUFRepo) {
			r.RotateRoot(sigstoretest.TUFTimestamp, 2, 2)
			r.Sign(sigstoretest.TUFTimestamp, 1)
		}, "not enough signatures, got 1, want 2", 2},
		{"root under the previous threshold", func(r *sigstoretest.TUFRepo) {
			r.RotateRoot(sigstoretest.TUFRoot, 3, 2)
			r.RotateRoot(sigstoretest.TUFRoot, 1, 1)
			r.SignRoot(1, -1)
		}, "not enough signatures, got 1, want 2", 3},
		{"expired timestamp", func(r *sigstoretest.TUFRepo) {
			r.Expire(sigstoretest.TUFTimestamp, tufNow.Add(time.Minute))
		}, "timestamp.json is expired", 1},
		{"expired snapshot", func(r *sigstoretest.TUFRepo) {
			r.Expire(sigstoretest.TUFSnapshot, tufNow.Add(time.Minute))
		}, "snapshot.json is expired", 1},
		{"snapshot mixed in from another version", func(r *sigstoretest.TUFRepo) {
			r.MetaHashes = false
			r.PublishSnapshot()
			r.Serve("2.snapshot.json", r.File("1.snapshot.json"))
		}, "expected 2, got 1", 1},
		{"wrong target bytes", func(r *sigstoretest.TUFRepo) {
			// go-tuf picks either digest for the file name.
			r.Serve(r.TargetPath("trusted_root.json"), []byte(`{"v":X}`))
			sha512 := hex.EncodeToString(r.Targets.Signed.Targets["trusted_root.json"].Hashes["sha512"])
			r.Serve("targets/"+sha512+".trusted_root.json", []byte(`{"v":X}`))
		}, "hash verification failed", 1},
		{"oversized timestamp", func(r *sigstoretest.TUFRepo) {
			r.Serve("timestamp.json", make([]byte, 20000))
		}, "larger than expected", 1},
		{"endless timestamp", func(r *sigstoretest.TUFRepo) {
			r.ServeFunc("timestamp.json", sigstoretest.EndlessBody)
		}, "larger than expected", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := sigstoretest.NewTUFRepo(t, tufNow, map[string][]byte{"trusted_root.json": []byte(`{"v":1}`)})
			c.change(r)
			require.NotNil(t, r.RootJSON(c.root))
			require.Nil(t, r.RootJSON(c.root+1))
			data, u, err := goTUF(t, r, 1, "trusted_root.json")
			if c.want != "" {
				require.ErrorContains(t, err, c.want)
				return
			}
			require.NoError(t, err)
			require.Equal(t, r.Targets.Signed.Targets["trusted_root.json"].Length, int64(len(data)))
			trusted := u.GetTrustedMetadataSet()
			require.Equal(t, c.root, trusted.Root.Signed.Version)
			require.Equal(t, r.Timestamp.Signed.Version, trusted.Timestamp.Signed.Version)
			require.Equal(t, r.Targets.Signed.Version, trusted.Targets[metadata.TARGETS].Signed.Version)
		})
	}
}

func TestTUFRepoServing(t *testing.T) {
	r := sigstoretest.NewTUFRepo(t, tufNow, map[string][]byte{"a.json": []byte("a")})
	get := func(path string) (int, string) {
		resp, err := http.Get(r.URL() + "/" + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	// Consistent snapshots: versioned metadata and hash-prefixed targets, SHA-256 and SHA-512.
	for _, p := range []string{"1.root.json", "root.json", "timestamp.json", "1.snapshot.json", "1.targets.json",
		"targets/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb.a.json",
		"targets/1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f5302860c652bf08d560252aa5e74210546f369fbbbce8c12cfc7957b2652fe9a75.a.json"} {
		code, _ := get(p)
		require.Equal(t, http.StatusOK, code, p)
	}
	require.Equal(t, "targets/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb.a.json", r.TargetPath("a.json"))
	code, _ := get("2.root.json")
	require.Equal(t, http.StatusNotFound, code)

	r.Serve("timestamp.json", []byte("stale"))
	code, body := get("timestamp.json")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "stale", body)
	r.Unserve("timestamp.json")
	_, body = get("timestamp.json")
	require.Equal(t, string(r.File("timestamp.json")), body)
	require.Equal(t, 3, r.Requests("timestamp.json"))

	// An endless body ends only when the client hangs up.
	r.ServeFunc("endless", sigstoretest.EndlessBody)
	resp, err := http.Get(r.URL() + "/endless")
	require.NoError(t, err)
	n, err := io.CopyN(io.Discard, resp.Body, 10<<20)
	require.NoError(t, err)
	require.Equal(t, int64(10<<20), n)
	require.NoError(t, resp.Body.Close())
}

// A repository whose roots rotate: a client that trusts version 1 reaches version 3 through
// version 2, each signed by its predecessor's keys and its own.
func ExampleTUFRepo() {
	t := &testing.T{}
	r := sigstoretest.NewTUFRepo(t, tufNow, map[string][]byte{"trusted_root.json": []byte(`{}`)})
	defer r.Close()
	r.RotateRoot(sigstoretest.TUFRoot, 3, 2)      // version 2: three root keys, threshold 2
	r.RotateRoot(sigstoretest.TUFTimestamp, 1, 1) // version 3: a new timestamp key
	root, _ := metadata.Root().FromBytes(r.RootJSON(3))
	fmt.Println(root.Signed.Version, root.Signed.Roles["root"].Threshold, len(root.Signatures))
	fmt.Println(r.Timestamp.Signed.Version)
	// Output:
	// 3 2 3
	// 2
}
