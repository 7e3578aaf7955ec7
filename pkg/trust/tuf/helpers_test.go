package tuf_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/trust/tuf"
)

// t0 is when every test repository is created (its clock, TUFRepo.Now); its timestamps
// expire a day later, its snapshots a week later.
var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// Real trust documents for the repositories to serve, so that Material.Config parses.
var pgTR, pgSC, stTR, stSC = func() ([]byte, []byte, []byte, []byte) {
	pgTR, pgSC, err := trust.EmbeddedDocuments(trust.PublicGood)
	if err != nil {
		panic(err)
	}
	stTR, stSC, err := trust.EmbeddedDocuments(trust.Staging)
	if err != nil {
		panic(err)
	}
	return pgTR, pgSC, stTR, stSC
}()

// env is a repository, a client's view of it (instance, cache directory) and the client's
// clock.
type env struct {
	t     *testing.T
	repo  *sigstoretest.TUFRepo
	inst  tuf.Instance
	cache string
	now   time.Time
}

func newEnv(t *testing.T) *env {
	repo := sigstoretest.NewTUFRepo(t, t0, map[string][]byte{tuf.TrustedRootTarget: pgTR, tuf.SigningConfigTarget: pgSC})
	return &env{
		t:     t,
		repo:  repo,
		inst:  tuf.Instance{Name: repo.URL(), URL: repo.URL(), Root: repo.RootJSON(1)},
		cache: t.TempDir(),
		now:   t0.Add(time.Minute),
	}
}

func (e *env) opts() tuf.Options {
	return tuf.Options{CacheDir: e.cache, Now: func() time.Time { return e.now }, Timeout: 5 * time.Second}
}

func (e *env) fetch(change ...func(*tuf.Options)) (*tuf.Material, error) {
	o := e.opts()
	for _, f := range change {
		f(&o)
	}
	return tuf.Fetch(context.Background(), e.inst, o)
}

func (e *env) mustFetch(src tuf.Source, change ...func(*tuf.Options)) *tuf.Material {
	e.t.Helper()
	m, err := e.fetch(change...)
	require.NoError(e.t, err)
	require.Equal(e.t, src, m.Source)
	return m
}

func force(o *tuf.Options)   { o.ForceRefresh = true }
func offline(o *tuf.Options) { o.Offline = true }

// noNetwork fails the test on any request.
func noNetwork(t *testing.T) func(*tuf.Options) {
	return func(o *tuf.Options) {
		o.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			t.Errorf("network access: %s %s", r.Method, r.URL)
			return nil, errors.New("no network in this test")
		})}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// repoDir is the cache directory of the env's repository.
func (e *env) repoDir() string {
	entries, err := os.ReadDir(e.cache)
	require.NoError(e.t, err)
	require.Len(e.t, entries, 1, "one repository, one directory")
	return filepath.Join(e.cache, entries[0].Name())
}

func (e *env) statePath() string { return filepath.Join(e.repoDir(), "state.json") }

// editState rewrites the cached state.json through a JSON object of its fields.
func (e *env) editState(f func(st map[string]any)) {
	data, err := os.ReadFile(e.statePath())
	require.NoError(e.t, err)
	var st map[string]any
	require.NoError(e.t, json.Unmarshal(data, &st))
	f(st)
	data, err = json.Marshal(st)
	require.NoError(e.t, err)
	require.NoError(e.t, os.WriteFile(e.statePath(), data, 0o600))
}

// editMetadata changes signed fields of metadata without re-signing it.
func editMetadata(t *testing.T, data []byte, f func(signed map[string]any)) []byte {
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	f(m["signed"].(map[string]any))
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// requireRefreshError checks a failed refresh: it names the repository, what went wrong,
// and what offline mode would use.
func requireRefreshError(t *testing.T, err error, repo string, want ...string) *tuf.RefreshError {
	t.Helper()
	require.Error(t, err)
	var re *tuf.RefreshError
	require.True(t, errors.As(err, &re), "%T: %v", err, err)
	require.Equal(t, repo, re.Repository)
	require.True(t, strings.HasPrefix(err.Error(), "refreshing trust material from TUF repository "+repo+": "), err.Error())
	for _, w := range want {
		require.Contains(t, err.Error(), w)
	}
	return re
}
