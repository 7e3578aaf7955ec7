package sigstoretest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// TUF role names, as TUF metadata spells them.
const (
	TUFRoot      = metadata.ROOT
	TUFTimestamp = metadata.TIMESTAMP
	TUFSnapshot  = metadata.SNAPSHOT
	TUFTargets   = metadata.TARGETS
)

// TUFLifetimes is how long metadata published by a TUFRepo stays valid, from the repository's
// clock (TUFRepo.Now) at publication.
var TUFLifetimes = map[string]time.Duration{
	TUFRoot:      365 * 24 * time.Hour,
	TUFTargets:   90 * 24 * time.Hour,
	TUFSnapshot:  7 * 24 * time.Hour,
	TUFTimestamp: 24 * time.Hour,
}

// TUFRepo is a TUF repository laid out as Sigstore's are (consistent snapshots: versioned
// metadata N.root.json, N.snapshot.json, N.targets.json; target files under targets/ with
// their SHA-256 and SHA-512 hex digests as prefixes), signed with ed25519 keys through
// go-tuf's metadata API and served over HTTP on 127.0.0.1. The newest version of each file is
// also served without version or digest (root.json, targets/NAME), for a root that turns
// consistent snapshots off.
//
// The fields hold the newest metadata of each role. A test may edit them and then publish
// the next version of a role (PublishRoot, Publish, PublishSnapshot, PublishTimestamp), or
// re-sign the current version in place (Sign, SignRoot). Serve and ServeFunc replace what
// one path answers, for rolled-back, mixed, oversized or endless answers. Methods are not
// safe for concurrent use with each other; the server is safe to use meanwhile.
type TUFRepo struct {
	Root      *metadata.Metadata[metadata.RootType]
	Timestamp *metadata.Metadata[metadata.TimestampType]
	Snapshot  *metadata.Metadata[metadata.SnapshotType]
	Targets   *metadata.Metadata[metadata.TargetsType]

	// Now is the repository's clock: a published role expires TUFLifetimes[role] after it.
	Now time.Time
	// MetaHashes makes the timestamp's and the snapshot's meta carry the length and hashes
	// of the metadata they name, not only its version (default true).
	MetaHashes bool

	t           testing.TB
	keys        map[string][]ed25519.PrivateKey // each role's keys in the newest root
	rootKeys    map[int64][]ed25519.PrivateKey  // root version -> its root role's keys
	targetFiles map[string][]byte               // target name -> content, as published next

	mu        sync.Mutex
	files     map[string][]byte // URL path without the leading slash -> published bytes
	overrides map[string]http.Handler
	requests  map[string]int
	server    *httptest.Server
}

// NewTUFRepo publishes version 1 of every role (one key per role, threshold 1) with the
// given target files, at the repository time now, and serves it until the test ends.
func NewTUFRepo(t testing.TB, now time.Time, targets map[string][]byte) *TUFRepo {
	r := &TUFRepo{
		Now:         now,
		MetaHashes:  true,
		t:           t,
		keys:        map[string][]ed25519.PrivateKey{},
		rootKeys:    map[int64][]ed25519.PrivateKey{},
		targetFiles: map[string][]byte{},
		files:       map[string][]byte{},
		overrides:   map[string]http.Handler{},
		requests:    map[string]int{},
	}
	r.Root = metadata.Root(r.expiry(TUFRoot))
	for _, role := range []string{TUFRoot, TUFTimestamp, TUFSnapshot, TUFTargets} {
		r.setKeys(role, 1, 1)
	}
	r.Targets = metadata.Targets(r.expiry(TUFTargets))
	r.Snapshot = metadata.Snapshot(r.expiry(TUFSnapshot))
	r.Timestamp = metadata.Timestamp(r.expiry(TUFTimestamp))
	for name, data := range targets {
		r.SetTarget(name, data)
	}
	r.rootKeys[1] = r.keys[TUFRoot]
	r.signRoot(-1, -1)
	r.serveRoot()
	r.sign(TUFTargets, -1)
	r.serveTargets()
	r.updateSnapshotMeta()
	r.sign(TUFSnapshot, -1)
	r.serveSnapshot()
	r.updateTimestampMeta()
	r.sign(TUFTimestamp, -1)
	r.serveTimestamp()

	r.server = httptest.NewServer(http.HandlerFunc(r.serveHTTP))
	t.Cleanup(r.Close)
	return r
}

// URL is the repository's base URL: http://127.0.0.1:PORT.
func (r *TUFRepo) URL() string { return r.server.URL }

// Close stops the server.
func (r *TUFRepo) Close() { r.server.Close() }

// RootJSON is the signed root metadata of a version, as published: a client's initial
// trusted root.
func (r *TUFRepo) RootJSON(version int64) []byte {
	return r.File(fmt.Sprintf("%d.root.json", version))
}

// File is what the repository publishes at path (relative, e.g. "timestamp.json",
// "2.snapshot.json", TargetPath("trusted_root.json")), whatever Serve replaced it with; nil
// if nothing.
func (r *TUFRepo) File(path string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.files[path]
}

// TargetPath is the path of the newest published content of a target file: its SHA-256
// digest in hex, a dot and its name, under targets/.
func (r *TUFRepo) TargetPath(name string) string {
	tf := r.Targets.Signed.Targets[name]
	if tf == nil {
		r.t.Fatalf("sigstoretest: no target %q", name)
	}
	return "targets/" + hex.EncodeToString(tf.Hashes["sha256"]) + "." + name
}

// Requests counts the requests for path since the repository started.
func (r *TUFRepo) Requests(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[path]
}

// Serve makes path answer data (200 OK) instead of what is published there.
func (r *TUFRepo) Serve(path string, data []byte) {
	r.ServeFunc(path, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(data) })
}

// ServeFunc makes path answer with h instead of what is published there.
func (r *TUFRepo) ServeFunc(path string, h http.HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.overrides[path] = h
}

// Unserve makes path answer what is published there again.
func (r *TUFRepo) Unserve(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.overrides, path)
}

// EndlessBody answers 200 OK with a body of JSON-looking bytes that does not end until the
// client hangs up (or 1 GiB has been sent, so that a client without a limit fails a test
// instead of hanging it).
func EndlessBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	chunk := []byte(`{"signed":{"_type":"timestamp","version":1,"pad":"` + strings.Repeat("x", 32<<10))
	for sent := 0; sent < 1<<30; sent += len(chunk) {
		if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil {
			return
		}
	}
}

// SetTarget sets the content of a target file (nil removes it) for the next Publish.
func (r *TUFRepo) SetTarget(name string, data []byte) {
	if data == nil {
		delete(r.Targets.Signed.Targets, name)
		delete(r.targetFiles, name)
		return
	}
	tf, err := metadata.TargetFile().FromBytes(name, data, "sha256", "sha512")
	if err != nil {
		r.t.Fatalf("sigstoretest: target %s: %v", name, err)
	}
	r.Targets.Signed.Targets[name] = tf
	r.targetFiles[name] = data
}

// RotateRoot publishes the next root version, in which role has n new keys and the given
// threshold; the new root is signed by the previous root's keys and its own. When role is
// not the root, the role's metadata is then re-published (next version) with the new keys,
// as a repository does after a rotation.
func (r *TUFRepo) RotateRoot(role string, n, threshold int) {
	r.setKeys(role, n, threshold)
	r.PublishRoot()
	switch role {
	case TUFTargets:
		r.Publish()
	case TUFSnapshot:
		r.PublishSnapshot()
	case TUFTimestamp:
		r.PublishTimestamp()
	}
}

// PublishRoot publishes r.Root as the next root version, signed by all keys of the previous
// root and all of its own, expiring TUFLifetimes[root] from now.
func (r *TUFRepo) PublishRoot() {
	r.Root.Signed.Version++
	r.Root.Signed.Expires = r.expiry(TUFRoot)
	r.rootKeys[r.Root.Signed.Version] = r.keys[TUFRoot]
	r.signRoot(-1, -1)
	r.serveRoot()
}

// SignRoot re-signs the newest root in place with the first prev keys of the previous root
// version and the first own keys of its own (a negative count means all of them), and
// serves it.
func (r *TUFRepo) SignRoot(prev, own int) {
	r.signRoot(prev, own)
	r.serveRoot()
}

// Publish publishes the next version of the targets (with the target files SetTarget
// gave), then of the snapshot and the timestamp that name it.
func (r *TUFRepo) Publish() {
	r.Targets.Signed.Version++
	r.Targets.Signed.Expires = r.expiry(TUFTargets)
	r.sign(TUFTargets, -1)
	r.serveTargets()
	r.updateSnapshotMeta()
	r.PublishSnapshot()
}

// PublishSnapshot publishes the next version of the snapshot, with its meta as it stands,
// and the next timestamp naming it.
func (r *TUFRepo) PublishSnapshot() {
	r.Snapshot.Signed.Version++
	r.Snapshot.Signed.Expires = r.expiry(TUFSnapshot)
	r.sign(TUFSnapshot, -1)
	r.serveSnapshot()
	r.updateTimestampMeta()
	r.PublishTimestamp()
}

// PublishTimestamp publishes the next version of the timestamp, with its meta as it stands.
func (r *TUFRepo) PublishTimestamp() {
	r.Timestamp.Signed.Version++
	r.Timestamp.Signed.Expires = r.expiry(TUFTimestamp)
	r.sign(TUFTimestamp, -1)
	r.serveTimestamp()
}

// Expire publishes the next version of role expiring at the given time (and, for the
// targets and the snapshot, the metadata above them that names the new version, with their
// usual lifetimes).
func (r *TUFRepo) Expire(role string, at time.Time) {
	switch role {
	case TUFRoot:
		r.PublishRoot()
		r.Root.Signed.Expires = at
		r.SignRoot(-1, -1)
	case TUFTimestamp:
		r.PublishTimestamp()
		r.Timestamp.Signed.Expires = at
		r.Sign(TUFTimestamp, -1)
	case TUFSnapshot:
		r.Snapshot.Signed.Version++
		r.Snapshot.Signed.Expires = at
		r.sign(TUFSnapshot, -1)
		r.serveSnapshot()
		r.updateTimestampMeta()
		r.PublishTimestamp()
	case TUFTargets:
		r.Targets.Signed.Version++
		r.Targets.Signed.Expires = at
		r.sign(TUFTargets, -1)
		r.serveTargets()
		r.updateSnapshotMeta()
		r.PublishSnapshot()
	default:
		r.t.Fatalf("sigstoretest: unknown TUF role %q", role)
	}
}

// Sign re-signs the newest timestamp, snapshot or targets in place (same version) with the
// first n keys of the role (a negative n means all of them), and serves it. The meta that
// names it is left as it was.
func (r *TUFRepo) Sign(role string, n int) {
	r.sign(role, n)
	switch role {
	case TUFTimestamp:
		r.serveTimestamp()
	case TUFSnapshot:
		r.serveSnapshot()
	case TUFTargets:
		r.serveTargets()
	default:
		r.t.Fatalf("sigstoretest: Sign(%q): use SignRoot for the root", role)
	}
}

func (r *TUFRepo) expiry(role string) time.Time {
	return r.Now.Add(TUFLifetimes[role]).UTC().Truncate(time.Second)
}

// setKeys gives role n fresh keys and a threshold in r.Root (not yet published).
func (r *TUFRepo) setKeys(role string, n, threshold int) {
	for _, id := range r.Root.Signed.Roles[role].KeyIDs {
		if err := r.Root.Signed.RevokeKey(id, role); err != nil {
			r.t.Fatalf("sigstoretest: revoking a %s key: %v", role, err)
		}
	}
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			r.t.Fatal(err)
		}
		key, err := metadata.KeyFromPublicKey(pub)
		if err != nil {
			r.t.Fatal(err)
		}
		if err := r.Root.Signed.AddKey(key, role); err != nil {
			r.t.Fatal(err)
		}
		keys[i] = priv
	}
	r.keys[role] = keys
	r.Root.Signed.Roles[role].Threshold = threshold
}

func first(keys []ed25519.PrivateKey, n int) []ed25519.PrivateKey {
	if n < 0 || n > len(keys) {
		return keys
	}
	return keys[:n]
}

func (r *TUFRepo) signers(keys []ed25519.PrivateKey) []signature.Signer {
	var out []signature.Signer
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[string(k)] {
			continue
		}
		seen[string(k)] = true
		s, err := signature.LoadED25519Signer(k)
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func (r *TUFRepo) signRoot(prev, own int) {
	r.Root.ClearSignatures()
	v := r.Root.Signed.Version
	keys := append(append([]ed25519.PrivateKey{}, first(r.rootKeys[v-1], prev)...), first(r.rootKeys[v], own)...)
	for _, s := range r.signers(keys) {
		if _, err := r.Root.Sign(s); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *TUFRepo) sign(role string, n int) {
	var sign func(signature.Signer) error
	switch role {
	case TUFTimestamp:
		r.Timestamp.ClearSignatures()
		sign = func(s signature.Signer) error { _, err := r.Timestamp.Sign(s); return err }
	case TUFSnapshot:
		r.Snapshot.ClearSignatures()
		sign = func(s signature.Signer) error { _, err := r.Snapshot.Sign(s); return err }
	case TUFTargets:
		r.Targets.ClearSignatures()
		sign = func(s signature.Signer) error { _, err := r.Targets.Sign(s); return err }
	default:
		r.t.Fatalf("sigstoretest: unknown TUF role %q", role)
	}
	for _, s := range r.signers(first(r.keys[role], n)) {
		if err := sign(s); err != nil {
			r.t.Fatal(err)
		}
	}
}

// metaFile describes published metadata for the meta of the role above it.
func (r *TUFRepo) metaFile(version int64, data []byte) *metadata.MetaFiles {
	m := metadata.MetaFile(version)
	if r.MetaHashes {
		s256 := sha256.Sum256(data)
		s512 := sha512.Sum512(data)
		m.Length = int64(len(data))
		m.Hashes = metadata.Hashes{"sha256": s256[:], "sha512": s512[:]}
	}
	return m
}

func (r *TUFRepo) updateSnapshotMeta() {
	v := r.Targets.Signed.Version
	r.Snapshot.Signed.Meta["targets.json"] = r.metaFile(v, r.File(fmt.Sprintf("%d.targets.json", v)))
}

func (r *TUFRepo) updateTimestampMeta() {
	v := r.Snapshot.Signed.Version
	r.Timestamp.Signed.Meta["snapshot.json"] = r.metaFile(v, r.File(fmt.Sprintf("%d.snapshot.json", v)))
}

func toBytes[T metadata.Roles](t testing.TB, m *metadata.Metadata[T]) []byte {
	data, err := m.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (r *TUFRepo) put(data []byte, paths ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range paths {
		r.files[p] = data
	}
}

func (r *TUFRepo) serveRoot() {
	r.put(toBytes(r.t, r.Root), fmt.Sprintf("%d.root.json", r.Root.Signed.Version), "root.json")
}

func (r *TUFRepo) serveTimestamp() { r.put(toBytes(r.t, r.Timestamp), "timestamp.json") }

func (r *TUFRepo) serveSnapshot() {
	r.put(toBytes(r.t, r.Snapshot), fmt.Sprintf("%d.snapshot.json", r.Snapshot.Signed.Version), "snapshot.json")
}

func (r *TUFRepo) serveTargets() {
	r.put(toBytes(r.t, r.Targets), fmt.Sprintf("%d.targets.json", r.Targets.Signed.Version), "targets.json")
	for name, data := range r.targetFiles {
		s256 := sha256.Sum256(data)
		s512 := sha512.Sum512(data)
		r.put(data, "targets/"+hex.EncodeToString(s256[:])+"."+name, "targets/"+hex.EncodeToString(s512[:])+"."+name,
			"targets/"+name)
	}
}

func (r *TUFRepo) serveHTTP(w http.ResponseWriter, req *http.Request) {
	path := strings.TrimPrefix(req.URL.Path, "/")
	r.mu.Lock()
	r.requests[path]++
	h := r.overrides[path]
	data, ok := r.files[path]
	r.mu.Unlock()
	if req.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h != nil {
		h.ServeHTTP(w, req)
		return
	}
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}
