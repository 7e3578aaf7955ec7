package tuf

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"time"

	"github.com/signet-dev/signet/pkg/trust"
)

// The targets signet fetches: the trusted root (required) and the signing config (used when
// the repository lists it).
const (
	TrustedRootTarget   = "trusted_root.json"
	SigningConfigTarget = "signing_config.v0.2.json"
)

// The built-in repositories.
const (
	PublicGoodURL = "https://tuf-repo-cdn.sigstore.dev"
	StagingURL    = "https://tuf-repo-cdn.sigstage.dev"
)

//go:embed data
var roots embed.FS

// embeddedAsOf is when the trust material embedded in pkg/trust/data was taken from each
// built-in repository: how old offline mode says that material is. Update it with the data
// (TestEmbeddedAsOf fails until then).
var embeddedAsOf = map[trust.Instance]time.Time{
	trust.PublicGood: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
	trust.Staging:    time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
}

// Instance is a TUF repository that publishes a Sigstore instance's trust material, with the
// root metadata trusted to start from.
type Instance struct {
	// Name is "public-good" or "staging" for the built-in instances, the URL for others.
	Name string
	// URL is the repository's base URL (metadata at URL/N.root.json, targets under
	// URL/targets/).
	URL string
	// Root is the initial trusted root.json, the trust anchor: every newer root must be
	// signed by a threshold of the keys of the one before it and of its own.
	Root []byte

	embedded trust.Instance // the built-in instance whose embedded material is the fallback
}

func builtin(inst trust.Instance, url string) Instance {
	root, err := roots.ReadFile("data/" + string(inst) + "/root.json")
	if err != nil {
		panic(err) // the embed pattern above guarantees the file
	}
	return Instance{Name: string(inst), URL: url, Root: append([]byte(nil), root...), embedded: inst}
}

// PublicGood is Sigstore's public-good instance: https://tuf-repo-cdn.sigstore.dev, with the
// root embedded in signet, and signet's embedded trust material as its offline fallback.
func PublicGood() Instance { return builtin(trust.PublicGood, PublicGoodURL) }

// Staging is Sigstore's staging instance: https://tuf-repo-cdn.sigstage.dev, likewise.
func Staging() Instance { return builtin(trust.Staging, StagingURL) }

// Options say where the cache is and how to reach the repository.
type Options struct {
	// CacheDir holds the cache of every repository, one directory each (required; see
	// DefaultCacheDir).
	CacheDir string
	// HTTP sends every request (default http.DefaultClient).
	HTTP *http.Client
	// Timeout bounds each download, retries included (default 2 minutes); each attempt gets
	// at most 30 s of it.
	Timeout time.Duration
	// Now is the clock metadata expiry is checked against (default time.Now).
	Now func() time.Time
	// Offline forbids any network access: the cache, verified again, else the embedded
	// material of a built-in instance.
	Offline bool
	// ForceRefresh refreshes from the repository even while the cache is valid.
	ForceRefresh bool
}

// Source says where trust material came from.
type Source string

// Sources of trust material.
const (
	// SourceTUF: verified from the repository during this call.
	SourceTUF Source = "tuf"
	// SourceCache: the cache, verified again from the instance's initial root.
	SourceCache Source = "cache"
	// SourceEmbedded: built into signet (built-in instances only).
	SourceEmbedded Source = "embedded"
)

// Material is an instance's trust material and how fresh it is.
type Material struct {
	// Config is the parsed trusted root and (when the repository has one) signing config.
	Config *trust.Config
	// TrustedRoot and SigningConfig are the documents as published (SigningConfig is nil
	// when the repository lists none).
	TrustedRoot, SigningConfig []byte
	Source                     Source
	// Repository is the repository's URL.
	Repository string
	// FetchedAt is when the material was fetched from the repository: now for SourceTUF,
	// the last refresh for SourceCache, and for SourceEmbedded when the embedded copy was
	// taken.
	FetchedAt time.Time
	// RootVersion and TimestampVersion are the versions of the TUF root and timestamp the
	// material was verified with (zero for SourceEmbedded).
	RootVersion, TimestampVersion int64
	// Expires is when the first of that metadata expires (usually the timestamp); a Fetch
	// after it refreshes from the repository (zero for SourceEmbedded). Offline mode returns
	// cached material after it too: compare with the clock to warn.
	Expires time.Time
}

// RefreshError is a failed refresh from the repository (without Offline). It says what
// offline mode would use instead, so that a user can choose it knowingly; Fetch never falls
// back silently.
type RefreshError struct {
	// Repository is the repository's URL.
	Repository string
	// Err is why the refresh failed: the repository could not be reached or answered an
	// error (a *httpretry.ServiceError, the type sign.ServiceError names), or its metadata
	// was refused (the message names the attack).
	Err error
	// OfflineSource is what offline mode would use (SourceCache or SourceEmbedded), and
	// OfflineAsOf its FetchedAt; OfflineSource is empty when offline mode would fail too,
	// and OfflineErr says why.
	OfflineSource Source
	OfflineAsOf   time.Time
	OfflineErr    error
}

func (e *RefreshError) Error() string {
	msg := fmt.Sprintf("refreshing trust material from TUF repository %s: %v", e.Repository, e.Err)
	switch {
	case e.OfflineSource == SourceCache:
		msg += fmt.Sprintf("; offline mode would use the cached trust material from %s", e.OfflineAsOf.UTC().Format(time.DateOnly))
	case e.OfflineSource == SourceEmbedded:
		msg += fmt.Sprintf("; offline mode would use the embedded trust material from %s", e.OfflineAsOf.UTC().Format(time.DateOnly))
	case e.OfflineErr != nil:
		msg += fmt.Sprintf("; offline mode would fail too: %v", e.OfflineErr)
	}
	return msg
}

func (e *RefreshError) Unwrap() error { return e.Err }

// ErrNotRegistered is Lookup's answer for a repository URL that was never registered.
var ErrNotRegistered = errors.New("TUF repository not registered")

// Fetch returns the instance's trust material.
//
// Without o.Offline: the cache if it verifies and none of its metadata has expired (unless
// o.ForceRefresh), else a refresh from the repository, which replaces the cache. A failed
// refresh is a *RefreshError, never a fallback. Concurrent calls, in one process or many,
// refresh one at a time; the others then find the cache fresh.
//
// With o.Offline: no network access. The cache, verified again from the instance's initial
// root (as of when it was fetched: expiry does not disqualify it, Material says its age); a
// cache that does not verify is refused. Without a cache, a built-in instance's embedded
// material.
func Fetch(ctx context.Context, inst Instance, o Options) (*Material, error) {
	c, err := newClient(inst, o)
	if err != nil {
		return nil, err
	}
	if o.Offline {
		return c.offline()
	}
	if !o.ForceRefresh {
		if m, err := c.fresh(); err == nil {
			return m, nil
		}
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Another process may have refreshed while this one waited for the lock.
	prev, _ := c.readState()
	if !o.ForceRefresh && prev != nil {
		if s, err := c.verifyState(prev, c.now); err == nil {
			return s.material(c.url, SourceCache, prev.FetchedAt)
		}
	}
	s, err := c.refresh(ctx, prev)
	if err == nil {
		var m *Material
		if m, err = s.material(c.url, SourceTUF, c.now); err == nil {
			if err = c.writeState(s.state(c.url, c.now)); err == nil {
				return m, nil
			}
		}
	}
	re := &RefreshError{Repository: c.url, Err: err}
	if m, oerr := c.offline(); oerr == nil {
		re.OfflineSource, re.OfflineAsOf = m.Source, m.FetchedAt
	} else {
		re.OfflineErr = oerr
	}
	return nil, re
}

// fresh is the cache, if it verifies now and has not expired.
func (c *client) fresh() (*Material, error) {
	st, err := c.readState()
	if err != nil || st == nil {
		return nil, errors.New("no usable cache")
	}
	s, err := c.verifyState(st, c.now)
	if err != nil {
		return nil, err
	}
	return s.material(c.url, SourceCache, st.FetchedAt)
}

// offline is the cache verified as of its fetch time, else the embedded material.
func (c *client) offline() (*Material, error) {
	st, err := c.readState()
	if err != nil {
		return nil, fmt.Errorf("the cached trust material of %s is unreadable (refusing it): %w", c.url, err)
	}
	if st == nil {
		if c.inst.embedded == "" {
			return nil, fmt.Errorf("no cached trust material for %s: it must be fetched online first", c.url)
		}
		return embeddedMaterial(c.inst.embedded, c.url)
	}
	at := st.FetchedAt
	if c.now.Before(at) {
		at = c.now
	}
	s, err := c.verifyState(st, at)
	if err != nil {
		return nil, fmt.Errorf("the cached trust material of %s does not verify (refusing it): %w", c.url, err)
	}
	return s.material(c.url, SourceCache, st.FetchedAt)
}

// Embedded returns the material built into signet for a built-in instance (what offline mode
// uses without a cache), without reading any cache.
func Embedded(inst Instance) (*Material, error) {
	if inst.embedded == "" {
		return nil, fmt.Errorf("TUF repository %s has no trust material built into signet", inst.URL)
	}
	return embeddedMaterial(inst.embedded, inst.URL)
}

func embeddedMaterial(inst trust.Instance, url string) (*Material, error) {
	tr, sc, err := trust.EmbeddedDocuments(inst)
	if err != nil {
		return nil, err
	}
	cfg, err := parseConfig(tr, sc)
	if err != nil {
		return nil, err
	}
	return &Material{Config: cfg, TrustedRoot: tr, SigningConfig: sc, Source: SourceEmbedded,
		Repository: url, FetchedAt: embeddedAsOf[inst]}, nil
}

// Register registers a private Sigstore instance's TUF repository by URL with its initial
// root.json (a trust anchor obtained out of band), fetches and caches its trust material, and
// records the registration in the cache directory for Lookup. Nothing is recorded unless the
// fetch succeeds. Registering a URL again replaces its root. The URL must be https (http only
// to 127.0.0.1 or localhost); the root must be TUF root metadata signed by its own threshold.
func Register(ctx context.Context, url string, root []byte, o Options) (*Material, error) {
	u, err := normalizeURL(url)
	if err != nil {
		return nil, err
	}
	for _, b := range []Instance{PublicGood(), Staging()} {
		if u == b.URL {
			return nil, fmt.Errorf("%s is the built-in instance %s: it needs no registration", u, b.Name)
		}
	}
	if len(root) > maxRootSize {
		return nil, fmt.Errorf("the root for %s is larger than %d bytes", u, maxRootSize)
	}
	if _, err := newSession(root, time.Time{}); err != nil {
		return nil, fmt.Errorf("the root for %s: %w", u, err)
	}
	if o.Offline {
		return nil, fmt.Errorf("registering %s needs the network: its trust material must be fetched", u)
	}
	c, err := newClient(Instance{Name: u, URL: u, Root: root}, o)
	if err != nil {
		return nil, err
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	prev, _ := c.readState()
	s, err := c.refresh(ctx, prev)
	if err != nil {
		return nil, fmt.Errorf("registering TUF repository %s: %w", u, err)
	}
	m, err := s.material(u, SourceTUF, c.now)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(&registration{Version: stateVersion, URL: u, Root: root})
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(c.dir, registrationFile, data); err != nil {
		return nil, fmt.Errorf("registering TUF repository %s: %w", u, err)
	}
	if err := c.writeState(s.state(u, c.now)); err != nil {
		return nil, err
	}
	return m, nil
}

// Lookup returns the instance a name stands for: "public-good" or "staging" (or their
// repository URLs), or the URL of a repository registered in cacheDir (ErrNotRegistered if
// it is not).
func Lookup(cacheDir, name string) (Instance, error) {
	switch name {
	case string(trust.PublicGood):
		return PublicGood(), nil
	case string(trust.Staging):
		return Staging(), nil
	}
	u, err := normalizeURL(name)
	if err != nil {
		return Instance{}, fmt.Errorf("not an instance name (public-good, staging) or TUF repository URL: %w", err)
	}
	for _, b := range []Instance{PublicGood(), Staging()} {
		if u == b.URL {
			return b, nil
		}
	}
	if cacheDir == "" {
		return Instance{}, errors.New("no TUF cache directory given")
	}
	file := filepath.Join(cacheDir, dirName(u), registrationFile)
	data, err := readLimited(file, maxRegistration)
	if errors.Is(err, fs.ErrNotExist) {
		return Instance{}, fmt.Errorf("%w: %s", ErrNotRegistered, u)
	}
	if err != nil {
		return Instance{}, fmt.Errorf("reading the registration of %s: %w", u, err)
	}
	reg, err := parseRegistration(data)
	if err == nil && reg.URL != u {
		err = fmt.Errorf("it registers %s", reg.URL)
	}
	if err == nil {
		_, err = newSession(reg.Root, time.Time{})
	}
	if err != nil {
		return Instance{}, fmt.Errorf("the registration of %s in %s is invalid: %w", u, file, err)
	}
	return Instance{Name: u, URL: u, Root: reg.Root}, nil
}

// DefaultCacheDir is the TUF cache directory: $XDG_CACHE_HOME/signet/tuf, else
// $HOME/.cache/signet/tuf (only absolute paths count). The CLI lets --tuf-cache and
// $SIGNET_TUF_CACHE override it.
func DefaultCacheDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "signet", "tuf"), nil
	}
	if h := getenv("HOME"); h != "" && filepath.IsAbs(h) {
		return filepath.Join(h, ".cache", "signet", "tuf"), nil
	}
	return "", errors.New("no TUF cache directory: neither $XDG_CACHE_HOME nor $HOME is an absolute path")
}
