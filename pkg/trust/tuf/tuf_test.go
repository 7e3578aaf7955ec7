package tuf_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/trust/tuf"
)

func TestFirstUse(t *testing.T) {
	cases := []struct {
		name   string
		change func(e *env)
		want   string // the error; empty for success
	}{
		{"trusted root and signing config", func(*env) {}, ""},
		{"no signing config", func(e *env) {
			e.repo.SetTarget(tuf.SigningConfigTarget, nil)
			e.repo.Publish()
		}, ""},
		// Tampered twins.
		{"initial root of another repository", func(e *env) {
			other := sigstoretest.NewTUFRepo(t, t0, nil)
			e.inst.Root = other.RootJSON(1)
		}, "too few valid signatures on timestamp version 1 (0 of threshold 1)"},
		{"initial root not signed by its own keys", func(e *env) {
			e.inst.Root = []byte(strings.Replace(string(e.inst.Root), `"sig": "`, `"sig": "00`, 1))
		}, "too few valid signatures on initial root version 1 by its own keys (0 of threshold 1)"},
		{"initial root that is not root metadata", func(e *env) {
			e.inst.Root = e.repo.File("timestamp.json")
		}, "the initial root is not TUF root metadata"},
		{"no trusted root target", func(e *env) {
			e.repo.SetTarget(tuf.TrustedRootTarget, nil)
			e.repo.Publish()
		}, "the targets metadata lists no trusted_root.json"},
		{"signing config target that is no signing config", func(e *env) {
			e.repo.SetTarget(tuf.SigningConfigTarget, pgTR)
			e.repo.Publish()
		}, "signing_config.v0.2.json: malformed trust material"},
		{"timestamp naming no snapshot", func(e *env) {
			delete(e.repo.Timestamp.Signed.Meta, "snapshot.json")
			e.repo.PublishTimestamp()
		}, "invalid timestamp metadata: its meta names no snapshot.json"},
		{"snapshot naming no targets", func(e *env) {
			delete(e.repo.Snapshot.Signed.Meta, "targets.json")
			e.repo.PublishSnapshot()
		}, "invalid snapshot metadata: its meta names no targets.json"},
		{"trusted root target that is no trusted root", func(e *env) {
			e.repo.SetTarget(tuf.TrustedRootTarget, []byte(`{"mediaType":"application/json"}`))
			e.repo.Publish()
		}, "trusted_root.json: malformed trust material"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			c.change(e)
			m, err := e.fetch()
			if c.want != "" {
				requireRefreshError(t, err, e.repo.URL(), c.want, "; offline mode would fail too: no cached trust material for "+e.repo.URL())
				require.NoFileExists(t, filepath.Join(e.cache, "http%3A%2F%2F"+strings.ReplaceAll(strings.TrimPrefix(e.repo.URL(), "http://"), ":", "%3A"), "state.json"))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tuf.SourceTUF, m.Source)
			require.Equal(t, e.repo.URL(), m.Repository)
			require.Equal(t, pgTR, m.TrustedRoot)
			require.Equal(t, e.now, m.FetchedAt)
			require.Equal(t, int64(1), m.RootVersion)
			require.Equal(t, e.repo.Timestamp.Signed.Version, m.TimestampVersion)
			require.Equal(t, t0.Add(24*time.Hour), m.Expires) // the timestamp expires first
			require.Equal(t, "https://rekor.sigstore.dev", m.Config.TrustedRoot.Tlogs[0].BaseURL)
			if e.repo.Targets.Signed.Targets[tuf.SigningConfigTarget] == nil {
				require.Nil(t, m.SigningConfig)
				require.Nil(t, m.Config.SigningConfig)
			} else {
				require.Equal(t, pgSC, m.SigningConfig)
				require.Equal(t, "https://fulcio.sigstore.dev", m.Config.SigningConfig.Proto().GetCaUrls()[0].GetUrl())
			}
			// One directory per repository, named after its URL, with the cache and the lock.
			dir := e.repoDir()
			require.Equal(t, "http%3A%2F%2F127.0.0.1%3A"+e.repo.URL()[len("http://127.0.0.1:"):], filepath.Base(dir))
			require.FileExists(t, filepath.Join(dir, "state.json"))
			require.FileExists(t, filepath.Join(dir, "lock"))
		})
	}
}

func TestRootRotation(t *testing.T) {
	cases := []struct {
		name   string
		rotate func(r *sigstoretest.TUFRepo) // after the client trusts root version 3
		want   string
	}{
		{"new root keys, threshold 2 of 3, then 2 of 2", func(r *sigstoretest.TUFRepo) {
			r.RotateRoot(sigstoretest.TUFRoot, 2, 2)     // 4
			r.RotateRoot(sigstoretest.TUFSnapshot, 1, 1) // 5
		}, ""},
		// Tampered twins.
		{"version 4 signed by too few keys of version 3", func(r *sigstoretest.TUFRepo) {
			r.RotateRoot(sigstoretest.TUFRoot, 2, 2)
			r.SignRoot(1, -1)
		}, "too few valid signatures on root version 4 by the keys of root version 3 (1 of threshold 2)"},
		{"version 4 signed by too few of its own keys", func(r *sigstoretest.TUFRepo) {
			r.RotateRoot(sigstoretest.TUFRoot, 3, 3)
			r.SignRoot(-1, 2)
		}, "too few valid signatures on root version 4 by its own keys (2 of threshold 3)"},
		{"timestamp under the new threshold", func(r *sigstoretest.TUFRepo) {
			r.RotateRoot(sigstoretest.TUFTimestamp, 3, 2)
			r.Sign(sigstoretest.TUFTimestamp, 1)
		}, "too few valid signatures on timestamp version 3 (1 of threshold 2)"},
		{"version 5 served as version 4", func(r *sigstoretest.TUFRepo) {
			r.RotateRoot(sigstoretest.TUFTimestamp, 1, 1)
			r.RotateRoot(sigstoretest.TUFSnapshot, 1, 1)
			r.Serve("4.root.json", r.RootJSON(5))
		}, "4.root.json holds root version 5, not 4"},
		{"timestamp signed by the rotated-out key", func(r *sigstoretest.TUFRepo) {
			old := r.File("timestamp.json")
			r.RotateRoot(sigstoretest.TUFTimestamp, 1, 1)
			r.Serve("timestamp.json", editMetadata(t, old, func(map[string]any) {}))
		}, "too few valid signatures on timestamp version 2 (0 of threshold 1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			// Versions 2 and 3: three root keys with threshold 2, then two timestamp keys.
			e.repo.RotateRoot(sigstoretest.TUFRoot, 3, 2)
			e.repo.RotateRoot(sigstoretest.TUFTimestamp, 2, 2)
			m := e.mustFetch(tuf.SourceTUF)
			require.Equal(t, int64(3), m.RootVersion)

			c.rotate(e.repo)
			m, err := e.fetch(force)
			if c.want != "" {
				requireRefreshError(t, err, e.repo.URL(), c.want, "; offline mode would use the cached trust material from 2026-11-02")
				return
			}
			require.NoError(t, err)
			require.Equal(t, int64(5), m.RootVersion)
			// The cached chain spared downloading versions 2 and 3 again.
			require.Equal(t, 1, e.repo.Requests("2.root.json"))
			require.Equal(t, 1, e.repo.Requests("3.root.json"))

			// The cache verifies from version 1, offline.
			m = e.mustFetch(tuf.SourceCache, offline, noNetwork(t))
			require.Equal(t, int64(5), m.RootVersion)
		})
	}
}

// The cache serves while its metadata is valid, a refresh follows expiry (or a forced
// refresh), and a refresh downloads only what changed.
func TestRefresh(t *testing.T) {
	e := newEnv(t)
	m := e.mustFetch(tuf.SourceTUF)
	require.Equal(t, pgTR, m.TrustedRoot)
	require.Equal(t, 1, e.repo.Requests("timestamp.json"))

	// The repository publishes new material: the cache still serves, without asking.
	e.repo.SetTarget(tuf.TrustedRootTarget, stTR)
	e.repo.Publish()
	e.now = t0.Add(time.Hour)
	m = e.mustFetch(tuf.SourceCache)
	require.Equal(t, pgTR, m.TrustedRoot)
	require.Equal(t, t0.Add(time.Minute), m.FetchedAt)
	require.Equal(t, int64(1), m.TimestampVersion)
	require.Equal(t, 1, e.repo.Requests("timestamp.json"))

	// A forced refresh (signet trust update) fetches it now.
	m = e.mustFetch(tuf.SourceTUF, force)
	require.Equal(t, stTR, m.TrustedRoot)
	require.Equal(t, pgSC, m.SigningConfig)
	require.Equal(t, e.now, m.FetchedAt)
	require.Equal(t, int64(2), m.TimestampVersion)
	require.Equal(t, 2, e.repo.Requests("timestamp.json"))
	require.Equal(t, 1, e.repo.Requests(e.repo.TargetPath(tuf.SigningConfigTarget)), "unchanged target not downloaded again")

	// Until the timestamp expires (a day after t0), the cache serves.
	e.now = t0.Add(24 * time.Hour)
	m = e.mustFetch(tuf.SourceCache)
	require.Equal(t, t0.Add(24*time.Hour), m.Expires)
	require.Equal(t, 2, e.repo.Requests("timestamp.json"))

	// Then the next fetch refreshes: a new timestamp, the same snapshot and targets, which
	// are not downloaded again.
	e.repo.Now = t0.Add(24 * time.Hour)
	e.repo.PublishTimestamp()
	e.now = t0.Add(25 * time.Hour)
	m = e.mustFetch(tuf.SourceTUF)
	require.Equal(t, int64(3), m.TimestampVersion)
	require.Equal(t, stTR, m.TrustedRoot)
	require.Equal(t, t0.Add(48*time.Hour), m.Expires)
	require.Equal(t, 3, e.repo.Requests("timestamp.json"))
	require.Equal(t, 1, e.repo.Requests("2.snapshot.json"))
	require.Equal(t, 1, e.repo.Requests("2.targets.json"))

	// Tampered twin: past that timestamp's expiry, a repository that publishes nothing new
	// is a freeze, not a reason to keep serving the cache.
	e.now = t0.Add(49 * time.Hour)
	_, err := e.fetch()
	requireRefreshError(t, err, e.repo.URL(), "freeze attack: the timestamp metadata (version 3) expired on 2026-11-04T10:00:00Z",
		"; offline mode would use the cached trust material from 2026-11-03")
}

func TestOffline(t *testing.T) {
	cases := []struct {
		name   string
		change func(e *env)
		want   string // the error; empty for success
	}{
		{"valid cache", func(*env) {}, ""},
		{"initial root newer than the cache's first roots", func(e *env) { e.inst.Root = e.repo.RootJSON(2) }, ""},
		{"expired cache", func(e *env) { e.now = t0.Add(30 * 24 * time.Hour) }, ""},
		{"clock before the fetch", func(e *env) { e.now = t0.Add(-time.Hour) }, ""},
		// Tampered twins: the cache is verified again, and refused.
		{"target bytes", func(e *env) {
			e.editState(func(st map[string]any) {
				files := st["files"].(map[string]any)
				data, _ := base64.StdEncoding.DecodeString(files[tuf.TrustedRootTarget].(string))
				data[10] ^= 1
				files[tuf.TrustedRootTarget] = base64.StdEncoding.EncodeToString(data)
			})
		}, "target trusted_root.json does not match its length/hash in the targets metadata"},
		{"signing config swapped for another", func(e *env) {
			e.editState(func(st map[string]any) {
				st["files"].(map[string]any)[tuf.SigningConfigTarget] = base64.StdEncoding.EncodeToString(stSC)
			})
		}, "target signing_config.v0.2.json does not match its length/hash in the targets metadata"},
		{"timestamp edited", func(e *env) {
			e.editState(func(st map[string]any) {
				ts, _ := base64.StdEncoding.DecodeString(st["timestamp"].(string))
				st["timestamp"] = editMetadata(t, ts, func(s map[string]any) { s["expires"] = "2036-01-01T00:00:00Z" })
			})
		}, "too few valid signatures on timestamp version 2 (0 of threshold 1)"},
		{"older snapshot", func(e *env) {
			e.editState(func(st map[string]any) { st["snapshot"] = e.repo.File("1.snapshot.json") })
		}, "mix-and-match attack: snapshot.json does not match the length/hash of snapshot.json in the timestamp's meta"},
		{"forged root", func(e *env) {
			other := sigstoretest.NewTUFRepo(t, t0, nil)
			other.RotateRoot(sigstoretest.TUFRoot, 1, 1)
			e.editState(func(st map[string]any) { st["roots"] = []any{other.RootJSON(2)} })
		}, "too few valid signatures on root version 2 by the keys of root version 1 (0 of threshold 1)"},
		{"targets edited", func(e *env) {
			e.editState(func(st map[string]any) {
				tg, _ := base64.StdEncoding.DecodeString(st["targets"].(string))
				st["targets"] = editMetadata(t, tg, func(s map[string]any) { s["expires"] = "2036-01-01T00:00:00Z" })
			})
		}, "mix-and-match attack: targets.json does not match the length/hash of targets.json in the snapshot's meta"},
		{"signing config removed", func(e *env) {
			e.editState(func(st map[string]any) { delete(st["files"].(map[string]any), tuf.SigningConfigTarget) })
		}, "target signing_config.v0.2.json is not cached"},
		{"initial root expired at the fetch", func(e *env) {
			e.editState(func(st map[string]any) { st["fetchedAt"] = "2030-01-01T00:00:00Z" })
			e.now = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		}, "freeze attack: the root metadata (version 3) expired on 2027-11-02T10:00:00Z"},
		{"cache of another repository", func(e *env) {
			e.editState(func(st map[string]any) { st["url"] = "https://tuf.example.com" })
		}, "it is the cache of https://tuf.example.com"},
		{"no trusted root", func(e *env) {
			e.editState(func(st map[string]any) { delete(st["files"].(map[string]any), tuf.TrustedRootTarget) })
		}, "is unreadable (refusing it): state.json: no trusted_root.json"},
		{"not JSON", func(e *env) {
			require.NoError(t, os.WriteFile(e.statePath(), []byte("{"), 0o600))
		}, "is unreadable (refusing it)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.mustFetch(tuf.SourceTUF)
			e.repo.RotateRoot(sigstoretest.TUFRoot, 1, 1)
			e.repo.RotateRoot(sigstoretest.TUFRoot, 1, 1)
			e.repo.Publish()
			e.mustFetch(tuf.SourceTUF, force)
			requests := e.repo.Requests("timestamp.json")
			c.change(e)
			m, err := e.fetch(offline, noNetwork(t))
			require.Equal(t, requests, e.repo.Requests("timestamp.json"))
			if c.want != "" {
				require.ErrorContains(t, err, "the cached trust material of "+e.repo.URL())
				require.ErrorContains(t, err, c.want)
				require.Nil(t, m)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tuf.SourceCache, m.Source)
			require.Equal(t, t0.Add(time.Minute), m.FetchedAt)
			require.Equal(t, int64(3), m.RootVersion)
			require.Equal(t, int64(2), m.TimestampVersion)
			require.Equal(t, t0.Add(24*time.Hour), m.Expires)
			require.Equal(t, pgTR, m.TrustedRoot)
		})
	}

	t.Run("no cache, built-in instance: embedded", func(t *testing.T) {
		for _, c := range []struct {
			inst   tuf.Instance
			tr, sc []byte
		}{{tuf.PublicGood(), pgTR, pgSC}, {tuf.Staging(), stTR, stSC}} {
			m, err := tuf.Fetch(context.Background(), c.inst, tuf.Options{CacheDir: t.TempDir(), Offline: true, HTTP: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				t.Errorf("network access: %s", r.URL)
				return nil, errors.New("no network")
			})}})
			require.NoError(t, err)
			require.Equal(t, tuf.SourceEmbedded, m.Source)
			require.Equal(t, c.inst.URL, m.Repository)
			require.Equal(t, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), m.FetchedAt)
			require.Equal(t, c.tr, m.TrustedRoot)
			require.Equal(t, c.sc, m.SigningConfig)
			require.NotNil(t, m.Config.SigningConfig)
			require.Zero(t, m.RootVersion)
			require.True(t, m.Expires.IsZero())
		}
	})
	t.Run("no cache, private instance: nothing", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.fetch(offline, noNetwork(t))
		require.EqualError(t, err, "no cached trust material for "+e.repo.URL()+": it must be fetched online first")
		require.Zero(t, e.repo.Requests("timestamp.json"))
	})
	t.Run("an instance that merely claims to be built in has no embedded material", func(t *testing.T) {
		inst := tuf.PublicGood()
		inst = tuf.Instance{Name: inst.Name, URL: inst.URL, Root: inst.Root}
		_, err := tuf.Fetch(context.Background(), inst, tuf.Options{CacheDir: t.TempDir(), Offline: true})
		require.ErrorContains(t, err, "no cached trust material for https://tuf-repo-cdn.sigstore.dev")
	})
}

// Without offline mode, a failed refresh is an error naming the repository and what
// offline mode would use; never a silent fallback.
func TestRefreshError(t *testing.T) {
	unreachable := func(o *tuf.Options) {
		o.Timeout = 300 * time.Millisecond
		o.HTTP = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("dial tcp: network is unreachable")
		})}
	}
	t.Run("repository down, cache", func(t *testing.T) {
		e := newEnv(t)
		e.mustFetch(tuf.SourceTUF)
		e.repo.Close()
		e.now = t0.Add(25 * time.Hour)
		_, err := e.fetch(func(o *tuf.Options) { o.Timeout = 300 * time.Millisecond })
		re := requireRefreshError(t, err, e.repo.URL(), "TUF repository at "+e.repo.URL()+": GET /2.root.json failed",
			"; offline mode would use the cached trust material from 2026-11-02")
		require.Equal(t, tuf.SourceCache, re.OfflineSource)
		require.Equal(t, t0.Add(time.Minute), re.OfflineAsOf)
		require.ErrorIs(t, err, httpretry.ErrUnreachable)

		// Twin: offline mode then serves that material.
		m := e.mustFetch(tuf.SourceCache, offline)
		require.Equal(t, re.OfflineAsOf, m.FetchedAt)
	})
	t.Run("repository down, no cache", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.fetch(unreachable)
		re := requireRefreshError(t, err, e.repo.URL(), "network is unreachable",
			"; offline mode would fail too: no cached trust material for "+e.repo.URL())
		require.Empty(t, re.OfflineSource)
	})
	t.Run("repository down, tampered cache", func(t *testing.T) {
		e := newEnv(t)
		e.mustFetch(tuf.SourceTUF)
		e.editState(func(st map[string]any) { st["url"] = "https://tuf.example.com" })
		_, err := e.fetch(unreachable)
		requireRefreshError(t, err, e.repo.URL(), "; offline mode would fail too: the cached trust material of "+e.repo.URL()+" does not verify (refusing it)")
	})
	t.Run("public good unreachable: the embedded material", func(t *testing.T) {
		_, err := tuf.Fetch(context.Background(), tuf.PublicGood(), func() tuf.Options {
			o := tuf.Options{CacheDir: t.TempDir()}
			unreachable(&o)
			return o
		}())
		re := requireRefreshError(t, err, "https://tuf-repo-cdn.sigstore.dev", "GET /17.root.json failed",
			"; offline mode would use the embedded trust material from 2026-11-22")
		require.Equal(t, tuf.SourceEmbedded, re.OfflineSource)
	})
}

func TestRegisterLookup(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m, err := tuf.Register(ctx, e.repo.URL()+"/", e.repo.RootJSON(1), e.opts())
	require.NoError(t, err)
	require.Equal(t, tuf.SourceTUF, m.Source)
	require.Equal(t, pgTR, m.TrustedRoot)

	for _, name := range []string{e.repo.URL(), e.repo.URL() + "/", strings.Replace(e.repo.URL(), "http://", "HTTP://", 1)} {
		inst, err := tuf.Lookup(e.cache, name)
		require.NoError(t, err, name)
		require.Equal(t, tuf.Instance{Name: e.repo.URL(), URL: e.repo.URL(), Root: e.repo.RootJSON(1)}, inst)
	}
	inst, err := tuf.Lookup(e.cache, e.repo.URL())
	require.NoError(t, err)
	m, err = tuf.Fetch(ctx, inst, e.opts())
	require.NoError(t, err)
	require.Equal(t, tuf.SourceCache, m.Source, "Register cached what it fetched")

	// The built-in instances, by name or URL, need no registration.
	for name, want := range map[string]string{
		"public-good": "public-good", "staging": "staging", "https://tuf-repo-cdn.sigstore.dev": "public-good",
		"https://TUF-repo-cdn.sigstage.dev/": "staging",
	} {
		inst, err := tuf.Lookup(e.cache, name)
		require.NoError(t, err)
		require.Equal(t, want, inst.Name)
	}
	_, err = tuf.Lookup(e.cache, "https://tuf.example.com")
	require.ErrorIs(t, err, tuf.ErrNotRegistered)
	require.EqualError(t, err, "TUF repository not registered: https://tuf.example.com")
	_, err = tuf.Lookup(e.cache, "production")
	require.ErrorContains(t, err, "not an instance name (public-good, staging) or TUF repository URL")

	// Registering again with another root (here the next version) replaces it.
	e.repo.RotateRoot(sigstoretest.TUFRoot, 1, 1)
	_, err = tuf.Register(ctx, e.repo.URL(), e.repo.RootJSON(2), e.opts())
	require.NoError(t, err)
	inst, err = tuf.Lookup(e.cache, e.repo.URL())
	require.NoError(t, err)
	require.Equal(t, e.repo.RootJSON(2), inst.Root)

	// Tampered twins: a registration is checked again when it is looked up.
	regPath := filepath.Join(e.repoDir(), "instance.json")
	good, err := os.ReadFile(regPath)
	require.NoError(t, err)
	for _, c := range []struct{ name, data, want string }{
		{"other URL", strings.Replace(string(good), "127.0.0.1", "localhost", 1), "it registers http://localhost:"},
		{"root not self-signed", `{"version":1,"url":"` + e.repo.URL() + `","root":"` +
			base64.StdEncoding.EncodeToString(editMetadata(t, e.repo.RootJSON(2), func(s map[string]any) { s["version"] = 7 })) + `"}`,
			"too few valid signatures on initial root version 7 by its own keys (0 of threshold 1)"},
		{"unknown field", strings.Replace(string(good), `{`, `{"extra":1,`, 1), `unknown field "extra"`},
		{"not JSON", "{", "unexpected EOF"},
	} {
		require.NoError(t, os.WriteFile(regPath, []byte(c.data), 0o600))
		_, err := tuf.Lookup(e.cache, e.repo.URL())
		require.ErrorContains(t, err, "the registration of "+e.repo.URL()+" in "+regPath+" is invalid", c.name)
		require.ErrorContains(t, err, c.want, c.name)
	}
}

func TestRegisterRefuses(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	unsigned := editMetadata(t, e.repo.RootJSON(1), func(s map[string]any) { s["version"] = 2 })
	cases := []struct {
		name, url string
		root      []byte
		change    func(*tuf.Options)
		want      string
	}{
		{"plain http", "http://tuf.example.com", e.repo.RootJSON(1), nil, "the repository URL must be https (http only for 127.0.0.1 or localhost)"},
		{"credentials", "https://user:secret@tuf.example.com", e.repo.RootJSON(1), nil, "the repository URL must not carry credentials"},
		{"query", "https://tuf.example.com/?token=secret", e.repo.RootJSON(1), nil, "the repository URL must have no query or fragment"},
		{"file", "file:///etc", e.repo.RootJSON(1), nil, "the repository URL must be https"},
		{"relative", "tuf.example.com", e.repo.RootJSON(1), nil, "the repository URL must be https"},
		{"dot segments", "https://tuf.example.com/a/../b", e.repo.RootJSON(1), nil, "must not hold . or .. segments"},
		{"built in", "https://tuf-repo-cdn.sigstore.dev/", e.repo.RootJSON(1), nil, "https://tuf-repo-cdn.sigstore.dev is the built-in instance public-good: it needs no registration"},
		{"garbage root", e.repo.URL(), []byte("{"), nil, "the root for " + e.repo.URL() + ": the initial root is not TUF root metadata"},
		{"timestamp as root", e.repo.URL(), e.repo.File("timestamp.json"), nil, "the initial root is not TUF root metadata"},
		{"root not self-signed", e.repo.URL(), unsigned, nil, "too few valid signatures on initial root version 2 by its own keys (0 of threshold 1)"},
		{"oversized root", e.repo.URL(), make([]byte, 512<<10+1), nil, "is larger than 524288 bytes"},
		{"offline", e.repo.URL(), e.repo.RootJSON(1), offline, "registering " + e.repo.URL() + " needs the network"},
		{"unreachable", "http://127.0.0.1:1", e.repo.RootJSON(1), func(o *tuf.Options) { o.Timeout = 200 * time.Millisecond },
			"registering TUF repository http://127.0.0.1:1: TUF repository at http://127.0.0.1:1: GET /2.root.json failed"},
		{"root of another repository", e.repo.URL(), sigstoretest.NewTUFRepo(t, t0, nil).RootJSON(1), nil,
			"too few valid signatures on timestamp version 1 (0 of threshold 1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := e.opts()
			if c.change != nil {
				c.change(&o)
			}
			m, err := tuf.Register(ctx, c.url, c.root, o)
			require.ErrorContains(t, err, c.want)
			require.Nil(t, m)
			require.NotContains(t, err.Error(), "secret")
			// Nothing was registered.
			_, err = tuf.Lookup(e.cache, e.repo.URL())
			require.ErrorIs(t, err, tuf.ErrNotRegistered)
		})
	}
}

func TestDefaultCacheDir(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"}, "/x/cache/signet/tuf"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.cache/signet/tuf"},
		{map[string]string{"XDG_CACHE_HOME": "relative", "HOME": "/home/u"}, "/home/u/.cache/signet/tuf"},
		{map[string]string{"XDG_CACHE_HOME": "relative", "HOME": "also-relative"}, ""},
		{map[string]string{}, ""},
	}
	for _, c := range cases {
		dir, err := tuf.DefaultCacheDir(func(k string) string { return c.env[k] })
		if c.want == "" {
			require.ErrorContains(t, err, "no TUF cache directory")
			continue
		}
		require.NoError(t, err)
		require.Equal(t, filepath.FromSlash(c.want), dir)
	}
}

// The date offline mode gives the embedded material must change with it.
func TestEmbeddedAsOf(t *testing.T) {
	for inst, want := range map[trust.Instance]string{
		trust.PublicGood: "480fb33d7e07e5660549bf40452394da3ebf8fd48ab3aa4a352f3f7135847f92",
		trust.Staging:    "5bf731e638498dfef568ba53c694cb905753d1202b1733fde66e5e8b56c7ad42",
	} {
		tr, sc, err := trust.EmbeddedDocuments(inst)
		require.NoError(t, err)
		sum := sha256.Sum256(append(append([]byte{}, tr...), sc...))
		require.Equal(t, want, hex.EncodeToString(sum[:]),
			"pkg/trust/data/%s changed: update embeddedAsOf in pkg/trust/tuf/tuf.go to the date it was taken, then this digest", inst)
	}
}

// Online, what does not verify in a cache is not used, not even for rollback protection: the
// refresh downloads it again and replaces the cache.
func TestTamperedCacheOnline(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(e *env)
		// Requests for 2.root.json and the trusted root target: 2 when the cached one is ignored.
		rootRequests, targetRequests int
	}{
		{"forged root", func(e *env) {
			other := sigstoretest.NewTUFRepo(t, t0, nil)
			other.RotateRoot(sigstoretest.TUFRoot, 1, 1)
			e.editState(func(st map[string]any) { st["roots"] = []any{other.RootJSON(2)} })
		}, 2, 1},
		{"target bytes", func(e *env) {
			e.editState(func(st map[string]any) {
				st["files"].(map[string]any)[tuf.TrustedRootTarget] = base64.StdEncoding.EncodeToString(stTR)
			})
		}, 1, 2},
		{"not JSON", func(e *env) { require.NoError(t, os.WriteFile(e.statePath(), []byte("{"), 0o600)) }, 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.repo.RotateRoot(sigstoretest.TUFRoot, 1, 1)
			e.mustFetch(tuf.SourceTUF)
			c.tamper(e)
			_, err := e.fetch(offline)
			require.ErrorContains(t, err, "refusing it")

			m := e.mustFetch(tuf.SourceTUF)
			require.Equal(t, pgTR, m.TrustedRoot)
			require.Equal(t, int64(2), m.RootVersion)
			require.Equal(t, c.rootRequests, e.repo.Requests("2.root.json"))
			require.Equal(t, c.targetRequests, e.repo.Requests(e.repo.TargetPath(tuf.TrustedRootTarget)))
			e.mustFetch(tuf.SourceCache, offline)
		})
	}
}

// A root may turn consistent snapshots off: metadata and targets then have plain names.
func TestNoConsistentSnapshots(t *testing.T) {
	e := newEnv(t)
	e.repo.Root.Signed.ConsistentSnapshot = false
	e.repo.PublishRoot()
	e.repo.SetTarget(tuf.TrustedRootTarget, stTR)
	e.repo.Publish()
	m := e.mustFetch(tuf.SourceTUF)
	require.Equal(t, stTR, m.TrustedRoot)
	require.Equal(t, 1, e.repo.Requests("snapshot.json"))
	require.Equal(t, 1, e.repo.Requests("targets.json"))
	require.Equal(t, 1, e.repo.Requests("targets/"+tuf.TrustedRootTarget))
	require.Zero(t, e.repo.Requests(e.repo.TargetPath(tuf.TrustedRootTarget)))

	// Twin: the plain names are checked as strictly.
	e.repo.SetTarget(tuf.TrustedRootTarget, pgTR)
	e.repo.Publish()
	e.repo.Serve("targets/"+tuf.TrustedRootTarget, stTR)
	_, err := e.fetch(force)
	requireRefreshError(t, err, e.repo.URL(), "target trusted_root.json does not match its length/hash in the targets metadata")
}

func TestArguments(t *testing.T) {
	ctx := context.Background()
	good := tuf.PublicGood()
	for _, c := range []struct {
		inst tuf.Instance
		o    tuf.Options
		want string
	}{
		{tuf.Instance{URL: good.URL}, tuf.Options{CacheDir: t.TempDir()}, "TUF repository https://tuf-repo-cdn.sigstore.dev: no initial root"},
		{good, tuf.Options{}, "no TUF cache directory given"},
		{tuf.Instance{URL: "http://tuf.example.com", Root: good.Root}, tuf.Options{CacheDir: t.TempDir()}, "the repository URL must be https (http only for 127.0.0.1 or localhost)"},
		{tuf.Instance{URL: "https://u:p@tuf.example.com", Root: good.Root}, tuf.Options{CacheDir: t.TempDir()}, "the repository URL must not carry credentials"},
	} {
		_, err := tuf.Fetch(ctx, c.inst, c.o)
		require.EqualError(t, err, c.want)
	}
	_, err := tuf.Lookup("", "https://tuf.example.com")
	require.EqualError(t, err, "no TUF cache directory given")

	// The built-in instances: their embedded roots are TUF roots signed by their own
	// thresholds, and each call hands out its own copy.
	for _, inst := range []tuf.Instance{tuf.PublicGood(), tuf.Staging()} {
		_, err := tuf.Register(ctx, "https://tuf.example.com", inst.Root, tuf.Options{Offline: true})
		require.ErrorContains(t, err, "needs the network", "the root was accepted")
	}
	a := tuf.PublicGood()
	a.Root[0] = 'x'
	require.Equal(t, byte('{'), tuf.PublicGood().Root[0])
}
