package tuf

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/trust"
)

// The TUF client workflow (TUF specification 5.3-5.7) is signet's own few steps over go-tuf's
// TrustedMetadata, which makes every check (signatures and thresholds, versions, expiry,
// lengths and hashes). go-tuf's Updater is not used: it keeps only the newest root on disk
// (so a cache could not be verified again from the embedded root), always downloads the
// timestamp, writes files one by one (a crash leaves a mixed cache), has no context, and
// reports which check failed only in its message text.

// Download limits. A length the metadata gives must also stay within them.
const (
	maxRootSize      = 512 << 10 // go-tuf's default
	maxTimestampSize = 16 << 10  // go-tuf's default
	maxSnapshotSize  = trust.MaxDocumentSize
	maxTargetsSize   = trust.MaxDocumentSize
	maxTargetSize    = trust.MaxDocumentSize
	maxRootRotations = 256 // root versions fetched in one refresh (go-tuf's default)
	serviceName      = "TUF repository"
)

// client is one repository (an Instance) with the options of one call.
type client struct {
	inst    Instance
	url     string // normalized
	dir     string // the repository's cache directory
	http    *http.Client
	timeout time.Duration
	now     time.Time
}

func newClient(inst Instance, o Options) (*client, error) {
	u, err := normalizeURL(inst.URL)
	if err != nil {
		return nil, err
	}
	if len(inst.Root) == 0 {
		return nil, fmt.Errorf("TUF repository %s: no initial root", u)
	}
	if o.CacheDir == "" {
		return nil, errors.New("no TUF cache directory given")
	}
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	return &client{inst: inst, url: u, dir: filepath.Join(o.CacheDir, dirName(u)), http: o.HTTP,
		timeout: o.Timeout, now: now.UTC()}, nil
}

// tufError names what is wrong with metadata in plain words, and wraps go-tuf's error.
type tufError struct {
	msg string
	err error
}

func (e *tufError) Error() string { return e.msg }
func (e *tufError) Unwrap() error { return e.err }

func fail(err error, format string, args ...any) error {
	return &tufError{msg: fmt.Sprintf(format, args...), err: err}
}

// tooLargeError is an answer cut off at its size limit.
type tooLargeError struct {
	name  string
	limit int64
	err   error
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("metadata %s is larger than %d bytes (download cut off)", e.name, e.limit)
}
func (e *tooLargeError) Unwrap() error { return e.err }

// download fetches name (relative to the repository URL) with at most limit bytes, under
// the retry policy signet's other clients use (timeouts per attempt and in total).
func (c *client) download(ctx context.Context, name string, limit int64) ([]byte, error) {
	p := httpretry.Policy{MaxElapsed: c.timeout, MaxResponseSize: limit}
	if c.timeout > 0 && c.timeout < httpretry.DefaultAttemptTimeout {
		p.AttemptTimeout = c.timeout
	}
	resp, err := httpretry.Do(ctx, c.http, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/"+name, nil)
	}, p)
	if err != nil {
		var se *httpretry.ServiceError
		if errors.As(err, &se) {
			se.Service = serviceName
			if se.StatusCode > 0 && se.StatusCode < 400 { // a success answer over the limit
				return nil, &tooLargeError{name: name, limit: limit, err: se}
			}
		}
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body) // already in memory, within the limit
}

func notFound(err error) bool {
	var se *httpretry.ServiceError
	return errors.As(err, &se) && (se.StatusCode == http.StatusNotFound || se.StatusCode == http.StatusForbidden)
}

// session is one run of the client workflow: the trusted metadata so far and the bytes it
// was verified from.
type session struct {
	tm    *trustedmetadata.TrustedMetadata
	roots [][]byte
	ts    []byte
	snap  []byte
	tgts  []byte
	files map[string][]byte
}

// newSession trusts the instance's initial root, which must be signed by its own threshold.
func newSession(root []byte, at time.Time) (*session, error) {
	var tm *trustedmetadata.TrustedMetadata
	err := guard(func() (err error) { tm, err = trustedmetadata.New(root); return err })
	if err != nil {
		p := peek(root)
		if e := signatureError(err, fmt.Sprintf("initial root version %d by its own keys", p.Signed.Version)); e != nil {
			return nil, e
		}
		return nil, fail(err, "the initial root is not TUF root metadata: %v", err)
	}
	tm.RefTime = at
	return &session{tm: tm, files: map[string][]byte{}}, nil
}

// peeked is what error messages quote from metadata that go-tuf refused.
type peeked struct {
	Signed struct {
		Version int64                              `json:"version"`
		Expires time.Time                          `json:"expires"`
		Meta    map[string]struct{ Version int64 } `json:"meta"`
	} `json:"signed"`
}

func peek(data []byte) peeked {
	var p peeked
	_ = json.Unmarshal(data, &p)
	return p
}

func date(t time.Time) string { return t.UTC().Format(time.RFC3339) }

var sigCount = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`got (\d+), want (\d+)`) })

// signatureError describes go-tuf's ErrUnsignedMetadata; nil for other errors.
func signatureError(err error, what string) error {
	var u *metadata.ErrUnsignedMetadata
	if !errors.As(err, &u) {
		return nil
	}
	if m := sigCount().FindStringSubmatch(u.Msg); m != nil {
		return fail(err, "too few valid signatures on %s (%s of threshold %s)", what, m[1], m[2])
	}
	return fail(err, "too few valid signatures on %s", what)
}

// updateRoot verifies the next root (TUF 5.3.4-5.3.8): signed by a threshold of the trusted
// root's keys and of its own, and exactly one version newer.
func (s *session) updateRoot(data []byte, name string) error {
	trusted := s.tm.Root
	want := trusted.Signed.Version + 1
	if err := guard(func() error { _, err := s.tm.UpdateRoot(data); return err }); err != nil {
		got := peek(data).Signed.Version
		if errors.As(err, new(*metadata.ErrUnsignedMetadata)) {
			by := "its own keys"
			if r, perr := metadata.Root().FromBytes(data); perr == nil && trusted.VerifyDelegate(metadata.ROOT, r) != nil {
				by = fmt.Sprintf("the keys of root version %d", trusted.Signed.Version)
			}
			return signatureError(err, fmt.Sprintf("root version %d by %s", got, by))
		}
		if errors.As(err, new(*metadata.ErrBadVersionNumber)) {
			if got < want {
				return fail(err, "rollback attack: root version %d (served as %s) is not newer than the trusted version %d", got, name, want-1)
			}
			return fail(err, "%s holds root version %d, not %d", name, got, want)
		}
		return fail(err, "invalid root metadata %s: %v", name, err)
	}
	s.roots = append(s.roots, data)
	return nil
}

// checkRoot refuses a final root that has expired (TUF 5.3.10).
func (s *session) checkRoot() error {
	r := s.tm.Root.Signed
	if r.IsExpired(s.tm.RefTime) {
		return fail(&metadata.ErrExpiredMetadata{Msg: "final root.json is expired"},
			"freeze attack: the root metadata (version %d) expired on %s", r.Version, date(r.Expires))
	}
	return nil
}

var errEqualTimestamp = errors.New("the timestamp is the trusted one")

// updateTimestamp verifies a timestamp (TUF 5.4): signed by the root's threshold, no older
// than the trusted one, naming no older snapshot, not expired. It returns errEqualTimestamp
// for the version already trusted.
func (s *session) updateTimestamp(data []byte) error {
	prev := s.tm.Timestamp
	err := guard(func() error { _, err := s.tm.UpdateTimestamp(data); return err })
	if err == nil {
		s.ts = data
		return nil
	}
	p := peek(data)
	switch {
	case errors.As(err, new(*metadata.ErrEqualVersionNumber)):
		return errEqualTimestamp
	case errors.As(err, new(*metadata.ErrUnsignedMetadata)):
		return signatureError(err, fmt.Sprintf("timestamp version %d", p.Signed.Version))
	case errors.As(err, new(*metadata.ErrBadVersionNumber)) && prev != nil:
		if p.Signed.Version < prev.Signed.Version {
			return fail(err, "rollback attack: timestamp version %d is lower than the trusted version %d",
				p.Signed.Version, prev.Signed.Version)
		}
		return fail(err, "rollback attack: timestamp version %d names snapshot version %d, lower than the trusted snapshot version %d",
			p.Signed.Version, p.Signed.Meta["snapshot.json"].Version, metaVersion(prev.Signed.Meta, "snapshot.json"))
	case errors.As(err, new(*metadata.ErrExpiredMetadata)):
		s.ts = data
		return s.checkTimestamp()
	}
	return fail(err, "invalid timestamp metadata: %v", err)
}

// errMetadataShape is metadata that go-tuf could not process: it panicked on it (as it does
// on a signed timestamp that names no snapshot.json), and guard made the panic this error.
var errMetadataShape = errors.New("TUF metadata of an unexpected shape")

// guard runs a go-tuf call and turns a panic in it into an error: metadata from a repository
// must never crash signet, however it is made.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errMetadataShape, r)
		}
	}()
	return f()
}

func metaVersion(meta map[string]*metadata.MetaFiles, name string) int64 {
	if m := meta[name]; m != nil {
		return m.Version
	}
	return 0
}

// checkTimestamp refuses a trusted timestamp that has expired (TUF 5.4.5): also the one
// kept when the repository serves the same version again.
func (s *session) checkTimestamp() error {
	t := s.tm.Timestamp.Signed
	if t.IsExpired(s.tm.RefTime) {
		return fail(&metadata.ErrExpiredMetadata{Msg: "timestamp.json is expired"},
			"freeze attack: the timestamp metadata (version %d) expired on %s", t.Version, date(t.Expires))
	}
	return nil
}

// updateSnapshot verifies a snapshot (TUF 5.5): the length and hashes the timestamp gives
// (unless cached is set: then it was verified when it was fetched), signed by the root's
// threshold, naming no older targets than the trusted snapshot, the version the timestamp
// names, not expired.
func (s *session) updateSnapshot(data []byte, name string, cached bool) error {
	prev := s.tm.Snapshot
	meta := s.tm.Timestamp.Signed.Meta["snapshot.json"]
	err := guard(func() error { _, err := s.tm.UpdateSnapshot(data, cached); return err })
	if err == nil {
		s.snap = data
		return nil
	}
	p := peek(data)
	switch {
	case errors.As(err, new(*metadata.ErrLengthOrHashMismatch)):
		return fail(err, "mix-and-match attack: %s does not match the length/hash of snapshot.json in the timestamp's meta", name)
	case errors.As(err, new(*metadata.ErrUnsignedMetadata)):
		return signatureError(err, fmt.Sprintf("snapshot version %d", p.Signed.Version))
	case errors.As(err, new(*metadata.ErrBadVersionNumber)):
		if prev != nil {
			for _, n := range sortedKeys(prev.Signed.Meta) {
				if got, ok := p.Signed.Meta[n]; ok && got.Version < prev.Signed.Meta[n].Version {
					return fail(err, "rollback attack: snapshot version %d names %s version %d, lower than the trusted version %d",
						p.Signed.Version, strings.TrimSuffix(n, ".json"), got.Version, prev.Signed.Meta[n].Version)
				}
			}
		}
		return fail(err, "mix-and-match attack: snapshot version %d does not match the timestamp's meta (version %d)",
			p.Signed.Version, meta.Version)
	case errors.As(err, new(*metadata.ErrExpiredMetadata)):
		return fail(err, "freeze attack: the snapshot metadata (version %d) expired on %s", p.Signed.Version, date(p.Signed.Expires))
	}
	if prev != nil {
		for _, n := range sortedKeys(prev.Signed.Meta) {
			if _, ok := p.Signed.Meta[n]; !ok {
				return fail(err, "rollback attack: snapshot version %d drops %s, which the trusted snapshot names", p.Signed.Version, n)
			}
		}
	}
	return fail(err, "invalid snapshot metadata %s: %v", name, err)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// updateTargets verifies the top-level targets (TUF 5.6): the length and hashes the
// snapshot gives, signed by the root's threshold, the version the snapshot names, not
// expired.
func (s *session) updateTargets(data []byte, name string) error {
	meta := s.tm.Snapshot.Signed.Meta["targets.json"]
	err := guard(func() error { _, err := s.tm.UpdateTargets(data); return err })
	if err == nil {
		s.tgts = data
		return nil
	}
	p := peek(data)
	switch {
	case errors.As(err, new(*metadata.ErrLengthOrHashMismatch)):
		return fail(err, "mix-and-match attack: %s does not match the length/hash of targets.json in the snapshot's meta", name)
	case errors.As(err, new(*metadata.ErrUnsignedMetadata)):
		return signatureError(err, fmt.Sprintf("targets version %d", p.Signed.Version))
	case errors.As(err, new(*metadata.ErrBadVersionNumber)) && meta != nil:
		return fail(err, "mix-and-match attack: targets version %d does not match the snapshot's meta (version %d)",
			p.Signed.Version, meta.Version)
	case errors.As(err, new(*metadata.ErrExpiredMetadata)):
		return fail(err, "freeze attack: the targets metadata (version %d) expired on %s", p.Signed.Version, date(p.Signed.Expires))
	}
	return fail(err, "invalid targets metadata %s: %v", name, err)
}

// targetInfo is what the trusted targets say of a target file: nil if they do not list it.
func (s *session) targetInfo(name string) (*metadata.TargetFiles, error) {
	info := s.tm.Targets[metadata.TARGETS].Signed.Targets[name]
	if info == nil {
		if name == TrustedRootTarget {
			return nil, fmt.Errorf("the targets metadata lists no %s", name)
		}
		return nil, nil
	}
	if info.Length > maxTargetSize {
		return nil, fmt.Errorf("target %s is %d bytes, more than the limit of %d", name, info.Length, maxTargetSize)
	}
	return info, nil
}

// checkTarget verifies a target file's length and hashes (TUF 5.7.3).
func (s *session) checkTarget(name string, info *metadata.TargetFiles, data []byte) error {
	if err := info.VerifyLengthHashes(data); err != nil {
		return fail(err, "target %s does not match its length/hash in the targets metadata", name)
	}
	s.files[name] = data
	return nil
}

// targetPath is where a consistent-snapshot repository serves a target file: its SHA-256
// (else SHA-512) digest, a dot and its name.
func targetPath(name string, info *metadata.TargetFiles, consistent bool) string {
	if !consistent {
		return "targets/" + name
	}
	for _, alg := range append([]string{"sha256", "sha512"}, sortedKeys(info.Hashes)...) {
		if h, ok := info.Hashes[alg]; ok {
			return "targets/" + hex.EncodeToString(h) + "." + name
		}
	}
	return "targets/" + name
}

// verifyState verifies cached state from the instance's initial root at time at, as a
// refresh would have: the same checks, no network.
func (c *client) verifyState(st *cacheState, at time.Time) (*session, error) {
	if st.URL != c.url {
		return nil, fmt.Errorf("it is the cache of %s", st.URL)
	}
	s, err := newSession(c.inst.Root, at)
	if err != nil {
		return nil, err
	}
	for i, r := range st.Roots {
		if peek(r).Signed.Version <= s.tm.Root.Signed.Version {
			continue // older than the initial root: from before signet's embedded root was updated
		}
		if err := s.updateRoot(r, fmt.Sprintf("cached root %d", i+1)); err != nil {
			return nil, err
		}
	}
	if err := s.checkRoot(); err != nil {
		return nil, err
	}
	if err := s.updateTimestamp(st.Timestamp); err != nil {
		return nil, err
	}
	if err := s.updateSnapshot(st.Snapshot, "snapshot.json", false); err != nil {
		return nil, err
	}
	if err := s.updateTargets(st.Targets, "targets.json"); err != nil {
		return nil, err
	}
	for _, name := range []string{TrustedRootTarget, SigningConfigTarget} {
		info, err := s.targetInfo(name)
		if err != nil {
			return nil, err
		}
		data, cached := st.Files[name]
		switch {
		case info == nil && cached:
			return nil, fmt.Errorf("target %s is cached but not in the targets metadata", name)
		case info == nil:
		case !cached:
			return nil, fmt.Errorf("target %s is not cached", name)
		default:
			if err := s.checkTarget(name, info, data); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// refresh runs the TUF client workflow against the repository, from the instance's initial
// root, with prev (the cache, possibly nil or not verifying) as the trusted state to start
// from where it verifies: its roots spare downloads, its timestamp and snapshot guard
// against rollback, and what did not change is not downloaded again.
func (c *client) refresh(ctx context.Context, prev *cacheState) (*session, error) {
	s, err := newSession(c.inst.Root, c.now)
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.URL != c.url {
		prev = nil
	}

	// 5.3 root: the cached chain, then every newer version the repository has.
	if prev != nil {
		for _, r := range prev.Roots {
			if peek(r).Signed.Version <= s.tm.Root.Signed.Version {
				continue
			}
			if s.updateRoot(r, "cached root") != nil {
				break
			}
		}
	}
	for range maxRootRotations {
		name := fmt.Sprintf("%d.root.json", s.tm.Root.Signed.Version+1)
		data, err := c.download(ctx, name, maxRootSize)
		if notFound(err) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := s.updateRoot(data, name); err != nil {
			return nil, err
		}
	}
	if err := s.checkRoot(); err != nil {
		return nil, err
	}
	consistent := s.tm.Root.Signed.ConsistentSnapshot

	// 5.4 timestamp: the cached one (if it verifies under the new root) guards against
	// rollback; the repository's replaces it unless it is the same version.
	if prev != nil {
		_ = guard(func() error { _, err := s.tm.UpdateTimestamp(prev.Timestamp); return err })
		if s.tm.Timestamp != nil {
			s.ts = prev.Timestamp
		}
	}
	data, err := c.download(ctx, "timestamp.json", maxTimestampSize)
	if err != nil {
		return nil, err
	}
	if err := s.updateTimestamp(data); err != nil && err != errEqualTimestamp {
		return nil, err
	}
	if err := s.checkTimestamp(); err != nil {
		return nil, err
	}

	// 5.5 snapshot: the cached one if it is the version the timestamp names (and matches its
	// hashes); otherwise downloaded, and checked against the cached one for rollback.
	meta := s.tm.Timestamp.Signed.Meta["snapshot.json"]
	if meta == nil {
		return nil, errors.New("invalid timestamp metadata: its meta names no snapshot.json")
	}
	if !(prev != nil && s.updateSnapshot(prev.Snapshot, "cached snapshot", true) == nil && meta.VerifyLengthHashes(prev.Snapshot) == nil) {
		name := "snapshot.json"
		if consistent {
			name = fmt.Sprintf("%d.snapshot.json", meta.Version)
		}
		data, err := c.download(ctx, name, metaLimit(meta, maxSnapshotSize))
		if err != nil {
			return nil, lengthMismatch(err, meta, name, "snapshot.json in the timestamp's meta")
		}
		if err := s.updateSnapshot(data, name, false); err != nil {
			return nil, err
		}
	}

	// 5.6 targets: the cached ones if they are the version the snapshot names.
	tmeta := s.tm.Snapshot.Signed.Meta["targets.json"]
	if tmeta == nil {
		return nil, errors.New("invalid snapshot metadata: its meta names no targets.json")
	}
	if !(prev != nil && s.updateTargets(prev.Targets, "cached targets") == nil) {
		name := "targets.json"
		if consistent {
			name = fmt.Sprintf("%d.targets.json", tmeta.Version)
		}
		data, err := c.download(ctx, name, metaLimit(tmeta, maxTargetsSize))
		if err != nil {
			return nil, lengthMismatch(err, tmeta, name, "targets.json in the snapshot's meta")
		}
		if err := s.updateTargets(data, name); err != nil {
			return nil, err
		}
	}

	// 5.7 target files: the cached copy if it matches, else downloaded by length and hash.
	for _, name := range []string{TrustedRootTarget, SigningConfigTarget} {
		info, err := s.targetInfo(name)
		if err != nil {
			return nil, err
		}
		if info == nil {
			continue
		}
		if prev != nil && info.VerifyLengthHashes(prev.Files[name]) == nil {
			s.files[name] = prev.Files[name]
			continue
		}
		data, err := c.download(ctx, targetPath(name, info, consistent), info.Length)
		var tl *tooLargeError
		if errors.As(err, &tl) {
			return nil, fail(err, "target %s does not match its length/hash in the targets metadata (more than its %d bytes)", name, info.Length)
		}
		if err != nil {
			return nil, err
		}
		if err := s.checkTarget(name, info, data); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// lengthMismatch names an answer longer than the length the meta gives as what it is.
func lengthMismatch(err error, meta *metadata.MetaFiles, name, of string) error {
	var tl *tooLargeError
	if errors.As(err, &tl) && meta.Length > 0 && tl.limit == meta.Length {
		return fail(err, "mix-and-match attack: %s does not match the length/hash of %s (more than its %d bytes)", name, of, meta.Length)
	}
	return err
}

// metaLimit is the download limit for metadata that meta describes: its length when given.
func metaLimit(meta *metadata.MetaFiles, max int64) int64 {
	if meta.Length > 0 && meta.Length < max {
		return meta.Length
	}
	return max
}

// state is what the session verified, to cache.
func (s *session) state(url string, fetchedAt time.Time) *cacheState {
	return &cacheState{Version: stateVersion, URL: url, FetchedAt: fetchedAt, Roots: s.roots,
		Timestamp: s.ts, Snapshot: s.snap, Targets: s.tgts, Files: s.files}
}

// material is what the session verified, for the caller.
func (s *session) material(url string, src Source, fetchedAt time.Time) (*Material, error) {
	m := &Material{
		TrustedRoot:      s.files[TrustedRootTarget],
		SigningConfig:    s.files[SigningConfigTarget],
		Source:           src,
		Repository:       url,
		FetchedAt:        fetchedAt,
		RootVersion:      s.tm.Root.Signed.Version,
		TimestampVersion: s.tm.Timestamp.Signed.Version,
		Expires:          s.tm.Timestamp.Signed.Expires,
	}
	for _, e := range []time.Time{s.tm.Root.Signed.Expires, s.tm.Snapshot.Signed.Expires, s.tm.Targets[metadata.TARGETS].Signed.Expires} {
		if e.Before(m.Expires) {
			m.Expires = e
		}
	}
	var err error
	if m.Config, err = parseConfig(m.TrustedRoot, m.SigningConfig); err != nil {
		return nil, fmt.Errorf("trust material of TUF repository %s: %w", url, err)
	}
	return m, nil
}

func parseConfig(trustedRoot, signingConfig []byte) (*trust.Config, error) {
	tr, err := trust.ParseTrustedRoot(trustedRoot)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TrustedRootTarget, err)
	}
	cfg := &trust.Config{TrustedRoot: tr}
	if signingConfig != nil {
		if cfg.SigningConfig, err = trust.ParseSigningConfig(signingConfig); err != nil {
			return nil, fmt.Errorf("%s: %w", SigningConfigTarget, err)
		}
	}
	return cfg, nil
}
