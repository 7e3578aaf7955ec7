package tuf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// The cache: one directory per repository under the cache directory, named after its URL
// (dirName), holding
//
//	lock           taken (flock) by a process that refreshes the cache or registers the repository
//	state.json     the verified metadata and targets of the last refresh (cacheState), replaced
//	               as a whole by an atomic rename: readers need no lock and never see half of it
//	instance.json  for a registered repository: its URL and initial root (registration)
//
// Nothing read from the cache is trusted: state.json is verified again from the instance's
// initial root on every use, and instance.json's root must be self-signed.
const (
	stateFile        = "state.json"
	registrationFile = "instance.json"
	lockFile         = "lock"
	stateVersion     = 1
	maxURLLength     = 1024
	maxCachedRoots   = 1024
	maxStateSize     = 64 << 20 // the parts' limits, base64-encoded, with room to spare
	maxRegistration  = 2 * maxRootSize
	lockRetry        = 20 * time.Millisecond
)

// cacheState is state.json: everything one refresh verified, as the repository served it.
type cacheState struct {
	Version   int               `json:"version"`
	URL       string            `json:"url"`
	FetchedAt time.Time         `json:"fetchedAt"`
	Roots     [][]byte          `json:"roots"` // every root after the initial one, in order
	Timestamp []byte            `json:"timestamp"`
	Snapshot  []byte            `json:"snapshot"`
	Targets   []byte            `json:"targets"`
	Files     map[string][]byte `json:"files"` // target name -> content
}

// registration is instance.json: what Register was given, for Lookup.
type registration struct {
	Version int    `json:"version"`
	URL     string `json:"url"`
	Root    []byte `json:"root"`
}

// decodeStrict decodes one JSON object with no unknown fields and nothing after it.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// parseState parses state.json and checks its shape and limits (not its signatures).
func parseState(data []byte) (*cacheState, error) {
	if len(data) > maxStateSize {
		return nil, fmt.Errorf("larger than %d bytes", maxStateSize)
	}
	var st cacheState
	if err := decodeStrict(data, &st); err != nil {
		return nil, err
	}
	switch {
	case st.Version != stateVersion:
		return nil, fmt.Errorf("format version %d, not %d", st.Version, stateVersion)
	case st.FetchedAt.IsZero():
		return nil, errors.New("no fetch time")
	case len(st.Roots) > maxCachedRoots:
		return nil, fmt.Errorf("more than %d roots", maxCachedRoots)
	case len(st.Timestamp) == 0 || len(st.Snapshot) == 0 || len(st.Targets) == 0:
		return nil, errors.New("metadata missing")
	case len(st.Timestamp) > maxTimestampSize || len(st.Snapshot) > maxSnapshotSize || len(st.Targets) > maxTargetsSize:
		return nil, errors.New("metadata over the size limits")
	case len(st.Files[TrustedRootTarget]) == 0:
		return nil, fmt.Errorf("no %s", TrustedRootTarget)
	}
	if u, err := normalizeURL(st.URL); err != nil || u != st.URL {
		return nil, errors.New("not a normalized repository URL")
	}
	for _, r := range st.Roots {
		if len(r) == 0 || len(r) > maxRootSize {
			return nil, errors.New("a root is empty or over the size limit")
		}
	}
	for name, f := range st.Files {
		if name != TrustedRootTarget && name != SigningConfigTarget {
			return nil, fmt.Errorf("unexpected file %q", name)
		}
		if len(f) > maxTargetSize {
			return nil, fmt.Errorf("%s over the size limit", name)
		}
	}
	return &st, nil
}

// parseRegistration parses instance.json and checks its shape (not the root's signatures).
func parseRegistration(data []byte) (*registration, error) {
	if len(data) > maxRegistration {
		return nil, fmt.Errorf("larger than %d bytes", maxRegistration)
	}
	var reg registration
	if err := decodeStrict(data, &reg); err != nil {
		return nil, err
	}
	if reg.Version != stateVersion {
		return nil, fmt.Errorf("format version %d, not %d", reg.Version, stateVersion)
	}
	if u, err := normalizeURL(reg.URL); err != nil || u != reg.URL {
		return nil, errors.New("not a normalized repository URL")
	}
	if len(reg.Root) == 0 || len(reg.Root) > maxRootSize {
		return nil, errors.New("root missing or over the size limit")
	}
	return &reg, nil
}

// normalizeURL checks a repository URL and returns its one spelling: lower-case scheme and
// host, no trailing slash. It must be https, or http to a loopback address (tests, a local
// mirror); it must not carry credentials, a query or a fragment. Errors never repeat the URL,
// which may hold a secret.
func normalizeURL(raw string) (string, error) {
	if len(raw) > maxURLLength {
		return "", fmt.Errorf("the repository URL is longer than %d bytes", maxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("the repository URL does not parse")
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	switch {
	case u.User != nil:
		return "", errors.New("the repository URL must not carry credentials")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
		return "", errors.New("the repository URL must have no query or fragment")
	case scheme != "https" && scheme != "http":
		return "", errors.New("the repository URL must be https")
	case u.Hostname() == "":
		return "", errors.New("the repository URL has no host")
	case scheme == "http" && !isLoopback(u.Hostname()):
		return "", errors.New("the repository URL must be https (http only for 127.0.0.1 or localhost)")
	}
	for _, c := range host {
		if c <= ' ' || c == '%' || c == '\\' || c == '/' || c > '~' {
			return "", errors.New("the repository URL's host has characters no host name has")
		}
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return "", errors.New("the repository URL's path must not hold . or .. segments")
		}
	}
	return scheme + "://" + host + p, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dirName is the cache directory name of a normalized repository URL: the URL without
// "https://", every byte but letters, digits, '-', '_' and a '.' that does not start the
// name percent-encoded ("tuf-repo-cdn.sigstore.dev", "http%3A%2F%2F127.0.0.1%3A8080"). A
// name that would be long is cut and completed with a digest of the whole URL.
func dirName(u string) string {
	s := strings.TrimPrefix(u, "https://")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_',
			c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	name := b.String()
	if len(name) > 120 {
		sum := sha256.Sum256([]byte(u))
		name = name[:80] + "-" + hex.EncodeToString(sum[:16])
	}
	return name
}

// readLimited reads a cache file of at most limit bytes.
func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return data, nil
}

// writeAtomic replaces dir/name with data: a temporary file in the same directory, synced,
// then renamed over the old one, so that a reader sees the old file or the new one, never a
// part, and a crash leaves the old one.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}

// readState reads the repository's state.json: nil, nil when there is none.
func (c *client) readState() (*cacheState, error) {
	data, err := readLimited(filepath.Join(c.dir, stateFile), maxStateSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st, err := parseState(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stateFile, err)
	}
	return st, nil
}

func (c *client) writeState(st *cacheState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := writeAtomic(c.dir, stateFile, data); err != nil {
		return fmt.Errorf("writing the TUF cache: %w", err)
	}
	return nil
}

// lock creates the repository's cache directory and takes its lock, waiting for another
// process (or goroutine) that holds it, at most until ctx is done.
func (c *client) lock(ctx context.Context) (unlock func(), err error) {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the TUF cache: %w", err)
	}
	l := flock.New(filepath.Join(c.dir, lockFile))
	ok, err := l.TryLockContext(ctx, lockRetry)
	if err == nil && !ok {
		err = errors.New("not taken")
	}
	if err != nil {
		return nil, fmt.Errorf("locking the TUF cache %s: %w", c.dir, err)
	}
	return func() { _ = l.Unlock() }, nil
}
