package tuf

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/signet-dev/signet/pkg/trust"
)

// fuzzRepo is a small TUF repository with fixed keys (so that a corpus stays meaningful from
// one run to the next) whose timestamp and snapshot name the next role by version only: a
// fuzzed snapshot or targets can then get past the meta's hashes to the checks after them.
type fuzzRepo struct {
	at      time.Time
	keys    map[string]ed25519.PrivateKey
	root1   []byte
	signed  map[string][]byte // role -> canonical JSON of the valid version's signed part
	valid   map[string][]byte // role -> the valid signed metadata
	targets map[string][]byte // target name -> content
}

var fuzzRoles = []string{"root", metadata.TIMESTAMP, metadata.SNAPSHOT, metadata.TARGETS}

func newFuzzRepo(tb testing.TB) *fuzzRepo {
	tb.Helper()
	tr, sc, err := trust.EmbeddedDocuments(trust.PublicGood)
	if err != nil {
		tb.Fatal(err)
	}
	r := &fuzzRepo{
		at:      time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		keys:    map[string]ed25519.PrivateKey{},
		signed:  map[string][]byte{},
		valid:   map[string][]byte{},
		targets: map[string][]byte{TrustedRootTarget: tr, SigningConfigTarget: sc},
	}
	expires := r.at.AddDate(1, 0, 0)
	root := metadata.Root(expires)
	for _, role := range []string{metadata.ROOT, metadata.TIMESTAMP, metadata.SNAPSHOT, metadata.TARGETS} {
		seed := sha256.Sum256([]byte("signet fuzz key " + role))
		priv := ed25519.NewKeyFromSeed(seed[:])
		key, err := metadata.KeyFromPublicKey(priv.Public())
		if err != nil {
			tb.Fatal(err)
		}
		if err := root.Signed.AddKey(key, role); err != nil {
			tb.Fatal(err)
		}
		r.keys[role] = priv
	}
	root.Signed.ConsistentSnapshot = true
	r.root1 = r.signRole(tb, "root", root)
	root.Signed.Version = 2
	r.valid["root"] = r.signRole(tb, "root", root)
	r.signed["root"] = signedPart(tb, r.valid["root"])

	targets := metadata.Targets(expires)
	for name, data := range r.targets {
		tf, err := metadata.TargetFile().FromBytes(name, data, "sha256", "sha512")
		if err != nil {
			tb.Fatal(err)
		}
		targets.Signed.Targets[name] = tf
	}
	snapshot := metadata.Snapshot(expires)
	snapshot.Signed.Meta["targets.json"] = metadata.MetaFile(1)
	timestamp := metadata.Timestamp(expires)
	timestamp.Signed.Meta["snapshot.json"] = metadata.MetaFile(1)
	r.valid[metadata.TARGETS] = r.signRole(tb, metadata.TARGETS, targets)
	r.valid[metadata.SNAPSHOT] = r.signRole(tb, metadata.SNAPSHOT, snapshot)
	r.valid[metadata.TIMESTAMP] = r.signRole(tb, metadata.TIMESTAMP, timestamp)
	for _, role := range fuzzRoles[1:] {
		r.signed[role] = signedPart(tb, r.valid[role])
	}
	return r
}

type signable interface {
	Sign(signature.Signer) (*metadata.Signature, error)
	ToBytes(bool) ([]byte, error)
	ClearSignatures()
}

// signRole signs md with the role's key ("root": the root key, which signs the next root too).
func (r *fuzzRepo) signRole(tb testing.TB, role string, md signable) []byte {
	tb.Helper()
	key := r.keys[role]
	if role == "root" {
		key = r.keys[metadata.ROOT]
	}
	s, err := signature.LoadED25519Signer(key)
	if err != nil {
		tb.Fatal(err)
	}
	md.ClearSignatures()
	if _, err := md.Sign(s); err != nil {
		tb.Fatal(err)
	}
	data, err := md.ToBytes(false)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func signedPart(tb testing.TB, data []byte) []byte {
	var env struct{ Signed json.RawMessage }
	if err := json.Unmarshal(data, &env); err != nil {
		tb.Fatal(err)
	}
	return env.Signed
}

// wrap makes metadata of role from a fuzzed signed part: signed with the role's key when it
// parses as that role's metadata (go-tuf signs its canonical form), else left unsigned.
func (r *fuzzRepo) wrap(t *testing.T, role string, signed []byte) []byte {
	env, err := json.Marshal(map[string]any{"signed": json.RawMessage(signed), "signatures": []any{}})
	if err != nil {
		return signed // not JSON: the raw bytes, for the parsers' error paths
	}
	var md signable
	switch role {
	case "root":
		md, err = metadata.Root().FromBytes(env)
	case metadata.TIMESTAMP:
		md, err = metadata.Timestamp().FromBytes(env)
	case metadata.SNAPSHOT:
		md, err = metadata.Snapshot().FromBytes(env)
	case metadata.TARGETS:
		md, err = metadata.Targets().FromBytes(env)
	}
	if err != nil {
		return env
	}
	return r.signRole(t, role, md)
}

// FuzzTUFMetadata runs the client workflow (TUF 5.3-5.7: next root, timestamp, snapshot,
// targets, target files) over a repository where one role's metadata is the fuzzer's, signed
// with that role's key, and the rest is valid; what verifies is cached and verified again
// from the cache, as Fetch does offline. Nothing may panic, and a workflow that completes
// yields trust material that parses.
func FuzzTUFMetadata(f *testing.F) {
	r := newFuzzRepo(f)
	for i, role := range fuzzRoles {
		f.Add(uint8(i), r.signed[role])
	}
	f.Add(uint8(1), []byte(`{"_type":"timestamp","spec_version":"1.0","version":1,"expires":"2020-01-01T00:00:00Z","meta":{"snapshot.json":{"version":1}}}`))
	f.Add(uint8(2), []byte(`{"_type":"snapshot","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z","meta":{}}`))
	f.Add(uint8(3), []byte(`{"_type":"targets","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z","targets":{"trusted_root.json":{"length":1,"hashes":{"sha256":"00"}}}}`))
	f.Fuzz(func(t *testing.T, which uint8, signed []byte) { r.run(t, which, signed) })
}

// The valid metadata of every role gets through the whole workflow: the fuzzer starts from
// there.
func TestFuzzRepoVerifies(t *testing.T) {
	r := newFuzzRepo(t)
	for i, role := range fuzzRoles {
		if !r.run(t, uint8(i), r.signed[role]) {
			t.Errorf("the valid %s metadata does not get through the workflow", role)
		}
	}
}

// run runs the workflow with role which's signed part replaced; it reports whether all of it
// verified.
func (r *fuzzRepo) run(t *testing.T, which uint8, signed []byte) bool {
	role := fuzzRoles[int(which)%len(fuzzRoles)]
	data := map[string][]byte{}
	for k, v := range r.valid {
		data[k] = v
	}
	data[role] = r.wrap(t, role, signed)

	s, err := newSession(r.root1, r.at)
	if err != nil {
		t.Fatalf("the initial root: %v", err)
	}
	if role == "root" {
		if err := s.updateRoot(data["root"], "2.root.json"); err != nil {
			return false
		}
	}
	if s.checkRoot() != nil || s.updateTimestamp(data[metadata.TIMESTAMP]) != nil ||
		s.checkTimestamp() != nil || s.updateSnapshot(data[metadata.SNAPSHOT], "1.snapshot.json", false) != nil ||
		s.updateTargets(data[metadata.TARGETS], "1.targets.json") != nil {
		return false
	}
	for _, name := range []string{TrustedRootTarget, SigningConfigTarget} {
		info, err := s.targetInfo(name)
		if err != nil {
			return false
		}
		if info == nil {
			continue
		}
		_ = targetPath(name, info, true)
		if s.checkTarget(name, info, r.targets[name]) != nil {
			return false
		}
	}
	if _, err := s.material("https://tuf.example.com", SourceTUF, r.at); err != nil {
		t.Fatalf("a verified repository's material does not parse: %v", err)
	}
	// The cache of this session verifies again, offline.
	st, err := parseState(mustJSON(t, s.state("https://tuf.example.com", r.at)))
	if err != nil {
		t.Fatalf("the session's state does not parse: %v", err)
	}
	c := &client{inst: Instance{URL: "https://tuf.example.com", Root: r.root1}, url: "https://tuf.example.com"}
	if _, err := c.verifyState(st, r.at); err != nil {
		t.Fatalf("the session's state does not verify again: %v", err)
	}
	return true
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
