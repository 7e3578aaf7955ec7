package sigstoretest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// LogVersion selects the shape of a fake transparency log.
type LogVersion int

const (
	// RekorV1 is a Rekor v1 log: an ECDSA P-256 key whose log id is the SHA-256 of its DER
	// public key, an integrated time and a signed entry timestamp (SET) on every entry,
	// and checkpoints with origin "<host> - <tree id>" and a "Timestamp:" line, signed
	// with key hint logID[:4].
	RekorV1 LogVersion = 1
	// RekorV2 is a Rekor v2 (rekor-tiles) log: an Ed25519 key whose log id is its C2SP
	// note key hash SHA-256(host || "\n" || 0x01 || key), no integrated time and no SET,
	// and checkpoints with origin "<host>".
	RekorV2 LogVersion = 2
)

// Log is an in-memory transparency log that hands out real-shaped TransparencyLogEntry
// messages: an RFC 6962 tree over the canonicalized bodies, inclusion proofs, signed
// checkpoints and (Rekor v1) SETs. It shares no code with pkg/rekor.
type Log struct {
	t          testing.TB
	cfg        logConfig
	version    LogVersion
	key        *NoteKey   // the log's key
	checkpoint *NoteKey   // the key checkpoints are signed with: key, unless tampered with
	witnesses  []*NoteKey // cosigners of every checkpoint
	leaves     [][32]byte
	validFrom  time.Time
}

type logConfig struct {
	host               string
	treeID, shard      int64
	prefill            int
	clock              func() time.Time
	witnesses          int
	witnessesFirst     bool
	wrongCheckpointKey bool
	wrongSET           bool
}

// LogOption configures NewLog.
type LogOption func(*logConfig)

// LogHost sets the log's host name: its checkpoint origin and signer name, and the host
// of its base URL https://<host>. The default is "rekor.example.test".
func LogHost(host string) LogOption { return func(c *logConfig) { c.host = host } }

// LogTreeID sets the Rekor v1 tree id that follows the host in checkpoint origins.
func LogTreeID(id int64) LogOption { return func(c *logConfig) { c.treeID = id } }

// LogShardOffset makes a Rekor v1 log's entries carry a global logIndex that is offset
// entries ahead of their index in the current tree, as a sharded Rekor v1 log does.
func LogShardOffset(offset int64) LogOption { return func(c *logConfig) { c.shard = offset } }

// LogPrefill appends n random entries at creation (default 5), so that inclusion proofs
// are not trivial.
func LogPrefill(n int) LogOption { return func(c *logConfig) { c.prefill = n } }

// LogClock sets the log's clock for integrated times and checkpoint timestamps. The
// default is a fixed instant in 2025 that advances one second per reading.
func LogClock(now func() time.Time) LogOption { return func(c *logConfig) { c.clock = now } }

// LogWitnesses adds cosignatures by n witnesses (C2SP timestamped cosignatures with
// Ed25519 keys nobody trusts) to every checkpoint, after the log's own signature.
func LogWitnesses(n int) LogOption { return func(c *logConfig) { c.witnesses = n } }

// LogWitnessesFirst puts the witness cosignatures before the log's own signature line.
func LogWitnessesFirst() LogOption { return func(c *logConfig) { c.witnessesFirst = true } }

// LogWrongCheckpointKey tampers with checkpoints: they are signed by another key of the
// same kind, under the log's name and key hint.
func LogWrongCheckpointKey() LogOption { return func(c *logConfig) { c.wrongCheckpointKey = true } }

// LogWrongSET tampers with SETs: they sign an integrated time one second later than the
// entry's.
func LogWrongSET() LogOption { return func(c *logConfig) { c.wrongSET = true } }

// NewLog starts a fake log of the given version.
func NewLog(t testing.TB, v LogVersion, opts ...LogOption) *Log {
	t.Helper()
	if v != RekorV1 && v != RekorV2 {
		t.Fatalf("sigstoretest: unknown log version %d", v)
	}
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tick := start
	cfg := logConfig{
		host:    "rekor.example.test",
		treeID:  1193050959916656506,
		prefill: 5,
		clock: func() time.Time {
			tick = tick.Add(time.Second)
			return tick
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	l := &Log{t: t, cfg: cfg, version: v, validFrom: start.Add(-24 * time.Hour)}
	l.key = NewNoteKey(t, cfg.host, v)
	l.checkpoint = l.key
	if cfg.wrongCheckpointKey {
		l.checkpoint = NewNoteKey(t, cfg.host, v)
		l.checkpoint.Hint = l.key.Hint
	}
	for i := range cfg.witnesses {
		l.witnesses = append(l.witnesses, NewWitness(t, fmt.Sprintf("witness%d.example.test", i+1)))
	}
	for range cfg.prefill {
		junk := make([]byte, 32)
		rand.Read(junk)
		l.leaves = append(l.leaves, leafHash(junk))
	}
	return l
}

// Host is the log's host name; BaseURL is https://<host>.
func (l *Log) Host() string    { return l.cfg.host }
func (l *Log) BaseURL() string { return "https://" + l.cfg.host }

// ID is the log id entries carry and the trusted root lists.
func (l *Log) ID() []byte { return bytes.Clone(l.key.id) }

// PublicKey is the log's public key.
func (l *Log) PublicKey() crypto.PublicKey { return l.key.signer.Public() }

// NoteKey returns (a copy of) the log's checkpoint key, to sign notes of a test's own.
func (l *Log) NoteKey() *NoteKey { k := *l.key; return &k }

// Size is the number of entries in the log.
func (l *Log) Size() int64 { return int64(len(l.leaves)) }

// Origin is the checkpoint origin: the host, with " - <tree id>" for Rekor v1.
func (l *Log) Origin() string {
	if l.version == RekorV1 {
		return fmt.Sprintf("%s - %d", l.cfg.host, l.cfg.treeID)
	}
	return l.cfg.host
}

// TransparencyLog describes the log as a trusted root lists it.
func (l *Log) TransparencyLog() *pbtrust.TransparencyLogInstance {
	der, err := x509.MarshalPKIXPublicKey(l.PublicKey())
	if err != nil {
		l.t.Fatalf("sigstoretest: %v", err)
	}
	details := pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
	if l.version == RekorV2 {
		details = pbcommon.PublicKeyDetails_PKIX_ED25519
	}
	return &pbtrust.TransparencyLogInstance{
		BaseUrl:       l.BaseURL(),
		HashAlgorithm: pbcommon.HashAlgorithm_SHA2_256,
		PublicKey: &pbcommon.PublicKey{
			RawBytes:   der,
			KeyDetails: details,
			ValidFor:   &pbcommon.TimeRange{Start: timestamppb.New(l.validFrom)},
		},
		LogId: &pbcommon.LogId{KeyId: l.ID()},
	}
}

// Append adds a canonicalized body to the log and returns its entry, with an inclusion
// proof and a checkpoint for the tree that ends with it.
func (l *Log) Append(body []byte) *pbrekor.TransparencyLogEntry {
	l.t.Helper()
	var head struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		l.t.Fatalf("sigstoretest: log entry body: %v", err)
	}
	index := int64(len(l.leaves))
	l.leaves = append(l.leaves, leafHash(body))
	e := &pbrekor.TransparencyLogEntry{
		LogIndex:          index,
		LogId:             &pbcommon.LogId{KeyId: l.ID()},
		KindVersion:       &pbrekor.KindVersion{Kind: head.Kind, Version: head.APIVersion},
		CanonicalizedBody: bytes.Clone(body),
	}
	if l.version == RekorV1 {
		e.LogIndex += l.cfg.shard
		e.IntegratedTime = l.cfg.clock().Unix()
		signedTime := e.IntegratedTime
		if l.cfg.wrongSET {
			signedTime++
		}
		e.InclusionPromise = &pbrekor.InclusionPromise{SignedEntryTimestamp: l.key.sign(l.setPayload(body, signedTime, e.LogIndex))}
	}
	l.Refresh(e)
	return e
}

// Refresh gives e an inclusion proof and checkpoint for the log's current tree, as a log
// does when asked for an entry after others were added.
func (l *Log) Refresh(e *pbrekor.TransparencyLogEntry) {
	l.t.Helper()
	index := e.GetLogIndex()
	if l.version == RekorV1 {
		index -= l.cfg.shard
	}
	if index < 0 || index >= int64(len(l.leaves)) || l.leaves[index] != leafHash(e.GetCanonicalizedBody()) {
		l.t.Fatalf("sigstoretest: entry %d is not in this log", e.GetLogIndex())
	}
	size := int64(len(l.leaves))
	root := treeHash(l.leaves)
	var hashes [][]byte
	for _, h := range auditPath(index, l.leaves) {
		hashes = append(hashes, bytes.Clone(h[:]))
	}
	e.InclusionProof = &pbrekor.InclusionProof{
		LogIndex:   index,
		RootHash:   root[:],
		TreeSize:   size,
		Hashes:     hashes,
		Checkpoint: &pbrekor.Checkpoint{Envelope: l.SignedCheckpoint(size, root)},
	}
}

// CheckpointText is the note text of the log's checkpoint for a tree.
func (l *Log) CheckpointText(size int64, root [32]byte) string {
	text := fmt.Sprintf("%s\n%d\n%s\n", l.Origin(), size, base64.StdEncoding.EncodeToString(root[:]))
	if l.version == RekorV1 {
		text += fmt.Sprintf("Timestamp: %d\n", l.cfg.clock().UnixNano())
	}
	return text
}

// SignedCheckpoint is the checkpoint the log hands out for a tree: its text signed by the
// log (or by the wrong key, with LogWrongCheckpointKey), with any witness cosignatures.
func (l *Log) SignedCheckpoint(size int64, root [32]byte) string {
	keys := []*NoteKey{l.checkpoint}
	if l.cfg.witnessesFirst {
		keys = append(append([]*NoteKey{}, l.witnesses...), keys...)
	} else {
		keys = append(keys, l.witnesses...)
	}
	return SignNote(l.CheckpointText(size, root), keys...)
}

// setPayload is the JSON a Rekor v1 SET signs; encoding/json sorts map keys and adds no
// spaces, which is the canonical form for these values.
func (l *Log) setPayload(body []byte, integratedTime, logIndex int64) []byte {
	b, err := json.Marshal(map[string]any{
		"body":           base64.StdEncoding.EncodeToString(body),
		"integratedTime": integratedTime,
		"logID":          hex.EncodeToString(l.key.id),
		"logIndex":       logIndex,
	})
	if err != nil {
		l.t.Fatalf("sigstoretest: %v", err)
	}
	return b
}

// --- RFC 6962 Merkle tree, written out from the RFC ---

func leafHash(data []byte) [32]byte {
	return sha256.Sum256(append([]byte{0}, data...))
}

func nodeHash(left, right [32]byte) [32]byte {
	return sha256.Sum256(append(append([]byte{1}, left[:]...), right[:]...))
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// treeHash is MTH(D[n]) of RFC 6962 §2.1.
func treeHash(d [][32]byte) [32]byte {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return d[0]
	}
	k := split(len(d))
	return nodeHash(treeHash(d[:k]), treeHash(d[k:]))
}

// auditPath is PATH(m, D[n]) of RFC 6962 §2.1.1, leaf to root.
func auditPath(m int64, d [][32]byte) [][32]byte {
	if len(d) <= 1 {
		return nil
	}
	k := split(len(d))
	if m < int64(k) {
		return append(auditPath(m, d[:k]), treeHash(d[k:]))
	}
	return append(auditPath(m-int64(k), d[k:]), treeHash(d[:k]))
}

// --- C2SP signed notes ---

// A NoteKey signs C2SP signed-note lines: "— <name> <base64(key hint || signature)>".
// Name and Hint may be changed to forge lines.
type NoteKey struct {
	Name   string
	Hint   [4]byte
	signer crypto.Signer
	id     []byte // the full key id (log id)
	cosig  bool   // a witness: timestamped cosignature/v1
}

// NewNoteKey makes a fresh log key: ECDSA P-256 with hint SHA-256(DER)[:4] for Rekor v1,
// Ed25519 with the C2SP hint SHA-256(name || "\n" || 0x01 || key)[:4] for Rekor v2.
func NewNoteKey(t testing.TB, name string, v LogVersion) *NoteKey {
	t.Helper()
	k := &NoteKey{Name: name}
	if v == RekorV1 {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		k.signer, k.id = priv, sum[:]
	} else {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(append([]byte(name+"\n\x01"), pub...))
		k.signer, k.id = priv, sum[:]
	}
	copy(k.Hint[:], k.id)
	return k
}

// NewWitness makes a witness key that signs C2SP timestamped cosignatures (hint
// SHA-256(name || "\n" || 0x04 || key)[:4]).
func NewWitness(t testing.TB, name string) *NoteKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append([]byte(name+"\n\x04"), pub...))
	k := &NoteKey{Name: name, signer: priv, id: sum[:], cosig: true}
	copy(k.Hint[:], sum[:])
	return k
}

// Line signs the note text and returns the signature line, ending in a newline.
func (k *NoteKey) Line(text string) string {
	sig := k.sign([]byte(text))
	if k.cosig {
		var ts [8]byte
		now := uint64(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC).Unix())
		binary.BigEndian.PutUint64(ts[:], now)
		msg := "cosignature/v1\ntime " + strconv.FormatUint(now, 10) + "\n" + text
		sig = append(ts[:], k.sign([]byte(msg))...)
	}
	return "— " + k.Name + " " + base64.StdEncoding.EncodeToString(append(k.Hint[:], sig...)) + "\n"
}

func (k *NoteKey) sign(msg []byte) []byte {
	var sig []byte
	var err error
	if _, ok := k.signer.(ed25519.PrivateKey); ok {
		sig, err = k.signer.Sign(rand.Reader, msg, crypto.Hash(0))
	} else {
		sum := sha256.Sum256(msg)
		sig, err = k.signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	}
	if err != nil {
		panic(err)
	}
	return sig
}

// SignNote returns a signed note: the text, a blank line, and one line per key in order.
func SignNote(text string, keys ...*NoteKey) string {
	var b strings.Builder
	b.WriteString(text)
	b.WriteString("\n")
	for _, k := range keys {
		b.WriteString(k.Line(text))
	}
	return b.String()
}

// --- entry bodies ---

// EntryContent is what a log entry body records. Each body builder uses the fields its
// kind has.
type EntryContent struct {
	// The signer's verification material: a DER certificate or a public key.
	Certificate []byte
	PublicKey   crypto.PublicKey
	// KeyDetails names the signing algorithm in Rekor v2 bodies; empty means the default
	// for the key.
	KeyDetails string
	// Hash and Digest are the hashedrekord digest: the artifact's, or for a DSSE envelope
	// in Rekor v2 the digest of its PAE (see PAE).
	Hash   crypto.Hash
	Digest []byte
	// Signature is a hashedrekord's signature.
	Signature []byte
	// PayloadType, Payload and Signatures describe a DSSE envelope (dsse, intoto).
	PayloadType string
	Payload     []byte
	Signatures  [][]byte
	// OmitPayload leaves the payload out of an intoto body, as Rekor does today.
	OmitPayload bool
}

// HashedRekordV001Body is the canonical body of a Rekor v1 hashedrekord 0.0.1 entry.
func HashedRekordV001Body(t testing.TB, c EntryContent) []byte {
	t.Helper()
	return canonical(t, map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "hashedrekord",
		"spec": map[string]any{
			"data": map[string]any{"hash": map[string]any{
				"algorithm": v1HashName(t, c.Hash),
				"value":     hex.EncodeToString(c.Digest),
			}},
			"signature": map[string]any{
				"content":   base64.StdEncoding.EncodeToString(c.Signature),
				"publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(c.verifierPEM(t))},
			},
		},
	})
}

// DSSEV001Body is the canonical body of a Rekor v1 dsse 0.0.1 entry.
func DSSEV001Body(t testing.TB, c EntryContent) []byte {
	t.Helper()
	var sigs []any
	var envSigs []any
	for _, s := range c.Signatures {
		sigs = append(sigs, map[string]any{
			"signature": base64.StdEncoding.EncodeToString(s),
			"verifier":  base64.StdEncoding.EncodeToString(c.verifierPEM(t)),
		})
		envSigs = append(envSigs, map[string]any{"keyid": "", "sig": base64.StdEncoding.EncodeToString(s)})
	}
	envelope := canonical(t, map[string]any{
		"payload":     base64.StdEncoding.EncodeToString(c.Payload),
		"payloadType": c.PayloadType,
		"signatures":  envSigs,
	})
	return canonical(t, map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "dsse",
		"spec": map[string]any{
			"envelopeHash": map[string]any{"algorithm": "sha256", "value": hexSHA256(envelope)},
			"payloadHash":  map[string]any{"algorithm": "sha256", "value": hexSHA256(c.Payload)},
			"signatures":   sigs,
		},
	})
}

// IntotoV002Body is the canonical body of a Rekor v1 intoto 0.0.2 entry. Its payload and
// signatures are base64 of the envelope's own base64 text.
func IntotoV002Body(t testing.TB, c EntryContent) []byte {
	t.Helper()
	twice := func(b []byte) string {
		return base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString(b)))
	}
	var sigs, envSigs []any
	for _, s := range c.Signatures {
		sigs = append(sigs, map[string]any{
			"sig":       twice(s),
			"publicKey": base64.StdEncoding.EncodeToString(c.verifierPEM(t)),
		})
		envSigs = append(envSigs, map[string]any{"keyid": "", "sig": base64.StdEncoding.EncodeToString(s)})
	}
	envelope := map[string]any{"payloadType": c.PayloadType, "signatures": sigs}
	if !c.OmitPayload {
		envelope["payload"] = twice(c.Payload)
	}
	rawEnvelope := canonical(t, map[string]any{
		"payload":     base64.StdEncoding.EncodeToString(c.Payload),
		"payloadType": c.PayloadType,
		"signatures":  envSigs,
	})
	return canonical(t, map[string]any{
		"apiVersion": "0.0.2",
		"kind":       "intoto",
		"spec": map[string]any{"content": map[string]any{
			"envelope":    envelope,
			"hash":        map[string]any{"algorithm": "sha256", "value": hexSHA256(rawEnvelope)},
			"payloadHash": map[string]any{"algorithm": "sha256", "value": hexSHA256(c.Payload)},
		}},
	})
}

// HashedRekordV002Body is the canonical body of a Rekor v2 hashedrekord 0.0.2 entry.
func HashedRekordV002Body(t testing.TB, c EntryContent) []byte {
	t.Helper()
	return canonical(t, map[string]any{
		"apiVersion": "0.0.2",
		"kind":       "hashedrekord",
		"spec": map[string]any{"hashedRekordV002": map[string]any{
			"data": map[string]any{
				"algorithm": v2HashName(t, c.Hash),
				"digest":    base64.StdEncoding.EncodeToString(c.Digest),
			},
			"signature": map[string]any{
				"content":  base64.StdEncoding.EncodeToString(c.Signature),
				"verifier": c.v2Verifier(t),
			},
		}},
	})
}

// DSSEV002Body is the canonical body of a (deprecated) Rekor v2 dsse 0.0.2 entry.
func DSSEV002Body(t testing.TB, c EntryContent) []byte {
	t.Helper()
	var sigs []any
	for _, s := range c.Signatures {
		sigs = append(sigs, map[string]any{
			"content":  base64.StdEncoding.EncodeToString(s),
			"verifier": c.v2Verifier(t),
		})
	}
	sum := sha256.Sum256(c.Payload)
	return canonical(t, map[string]any{
		"apiVersion": "0.0.2",
		"kind":       "dsse",
		"spec": map[string]any{"dsseV002": map[string]any{
			"payloadHash": map[string]any{"algorithm": "SHA2_256", "digest": base64.StdEncoding.EncodeToString(sum[:])},
			"signatures":  sigs,
		}},
	})
}

// PAE is the DSSE v1 pre-authentication encoding, written out from the DSSE protocol.
func PAE(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// PEMCertificate and PEMPublicKey encode verification material as Rekor v1 bodies do.
func PEMCertificate(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func PEMPublicKey(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("sigstoretest: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func (c EntryContent) verifierPEM(t testing.TB) []byte {
	if c.Certificate != nil {
		return PEMCertificate(c.Certificate)
	}
	return PEMPublicKey(t, c.PublicKey)
}

func (c EntryContent) v2Verifier(t testing.TB) map[string]any {
	v := map[string]any{}
	var pub crypto.PublicKey
	if c.Certificate != nil {
		v["x509Certificate"] = map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(c.Certificate)}
		cert, err := x509.ParseCertificate(c.Certificate)
		if err != nil {
			t.Fatalf("sigstoretest: %v", err)
		}
		pub = cert.PublicKey
	} else {
		der, err := x509.MarshalPKIXPublicKey(c.PublicKey)
		if err != nil {
			t.Fatalf("sigstoretest: %v", err)
		}
		v["publicKey"] = map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(der)}
		pub = c.PublicKey
	}
	v["keyDetails"] = c.KeyDetails
	if c.KeyDetails == "" {
		v["keyDetails"] = defaultKeyDetails(t, pub)
	}
	return v
}

func defaultKeyDetails(t testing.TB, pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "PKIX_ECDSA_P256_SHA_256"
		case elliptic.P384():
			return "PKIX_ECDSA_P384_SHA_384"
		case elliptic.P521():
			return "PKIX_ECDSA_P521_SHA_512"
		}
	case ed25519.PublicKey:
		return "PKIX_ED25519_PH"
	case *rsa.PublicKey:
		return fmt.Sprintf("PKIX_RSA_PKCS1V15_%d_SHA256", k.N.BitLen())
	}
	t.Fatalf("sigstoretest: no key details for %T", pub)
	return ""
}

func v1HashName(t testing.TB, h crypto.Hash) string {
	switch h {
	case crypto.SHA256:
		return "sha256"
	case crypto.SHA384:
		return "sha384"
	case crypto.SHA512:
		return "sha512"
	}
	t.Fatalf("sigstoretest: hashedrekord has no name for %v", h)
	return ""
}

func v2HashName(t testing.TB, h crypto.Hash) string {
	switch h {
	case crypto.SHA256:
		return "SHA2_256"
	case crypto.SHA384:
		return "SHA2_384"
	case crypto.SHA512:
		return "SHA2_512"
	}
	t.Fatalf("sigstoretest: Rekor v2 has no name for %v", h)
	return ""
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// canonical encodes v as the logs do (RFC 8785 for these values): maps with sorted keys,
// no spaces, no HTML escaping.
func canonical(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("sigstoretest: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
