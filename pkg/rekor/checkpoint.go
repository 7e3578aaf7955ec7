package rekor

import (
	"crypto"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/signet-dev/signet/pkg/signature"
	"github.com/signet-dev/signet/pkg/trust"
)

// Checkpoint is a transparency log checkpoint (C2SP tlog-checkpoint): the note text a log
// signs to commit to a tree.
type Checkpoint struct {
	// Origin names the log: its host for Rekor v2 ("log2025-1.rekor.sigstore.dev"), the
	// host and tree id for Rekor v1 ("rekor.sigstore.dev - 2605736670972794746").
	Origin   string
	Size     uint64
	RootHash [32]byte
	// Extensions are the lines after the root hash; Rekor v1 writes "Timestamp: <ns>".
	Extensions []string
}

// ParseCheckpoint parses the text of a checkpoint: origin line, tree size (decimal), root
// hash (base64), then optional extension lines, each ending in a newline. If text is a
// whole signed note, the signature block after the last blank line is ignored: nothing is
// verified here. Use VerifyCheckpoint for anything that matters.
func ParseCheckpoint(text string) (*Checkpoint, error) {
	if len(text) > MaxCheckpointSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformedCheckpoint, MaxCheckpointSize)
	}
	if i := strings.LastIndex(text, "\n\n"); i >= 0 {
		text = text[:i+1]
	}
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrMalformedCheckpoint)
	}
	for _, r := range text {
		if r < 0x20 && r != '\n' || r == 0x7f {
			return nil, fmt.Errorf("%w: control character %U in text", ErrMalformedCheckpoint, r)
		}
	}
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("%w: text does not end with a newline", ErrMalformedCheckpoint)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")

	// Name the missing line when a line was dropped, rather than complaining that the
	// next line is not what its position calls for.
	if lines[0] == "" || isTreeSize(lines[0]) && len(lines) > 1 && isRootHash(lines[1]) {
		return nil, fmt.Errorf("%w: no origin line", ErrMalformedCheckpoint)
	}
	if len(lines) < 2 || isRootHash(lines[1]) {
		return nil, fmt.Errorf("%w: no tree size line", ErrMalformedCheckpoint)
	}
	if !isTreeSize(lines[1]) {
		return nil, fmt.Errorf("%w: tree size %q is not a decimal number without leading zeros", ErrMalformedCheckpoint, lines[1])
	}
	if len(lines) < 3 {
		return nil, fmt.Errorf("%w: no root hash line", ErrMalformedCheckpoint)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: tree size %q: %v", ErrMalformedCheckpoint, lines[1], err)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return nil, fmt.Errorf("%w: root hash %q is not a base64 SHA-256 hash", ErrMalformedCheckpoint, lines[2])
	}
	c := &Checkpoint{Origin: lines[0], Size: size}
	copy(c.RootHash[:], root)
	for _, l := range lines[3:] {
		if l == "" {
			return nil, fmt.Errorf("%w: empty extension line", ErrMalformedCheckpoint)
		}
		c.Extensions = append(c.Extensions, l)
	}
	return c, nil
}

func isTreeSize(s string) bool {
	if s == "" || len(s) > 20 || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isRootHash(s string) bool {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 32
}

// VerifyCheckpoint verifies a checkpoint, a C2SP signed note, with the log's key and
// returns it.
//
// The log's signature line is found by name and key hint: the name is the host of
// log.BaseURL (with its port if it has one, or without: local logs use either), the key
// hint is log.KeyHint(). The checkpoint's origin must be that name, or start with the name
// and " - " (Rekor v1 adds its tree id). Lines signed by other keys (witness cosignatures,
// another key under the log's name) are ignored; a line by the log's key that does not
// verify is an error (ErrBadLogSignature), and so is a note without a verified line by
// the log's key (ErrNoLogSignature).
func VerifyCheckpoint(envelope string, log *trust.Log) (*Checkpoint, error) {
	if log == nil {
		return nil, errors.New("no transparency log given")
	}
	if _, err := ParseCheckpoint(envelope); err != nil {
		return nil, err
	}
	if i := strings.LastIndex(envelope, "\n\n"); i < 0 || i+2 == len(envelope) {
		return nil, fmt.Errorf("%w: it has no signature lines", ErrNoLogSignature)
	}
	names, err := logNames(log.BaseURL)
	if err != nil {
		return nil, err
	}
	hint := log.KeyHint()
	if len(hint) != 4 {
		return nil, fmt.Errorf("log %s has a key hint of %d bytes, want 4", log.BaseURL, len(hint))
	}
	var vs []note.Verifier
	for _, name := range names {
		vs = append(vs, &noteVerifier{name: name, hash: binary.BigEndian.Uint32(hint), pub: log.PublicKey, h: log.Hash})
	}
	n, err := note.Open([]byte(envelope), note.VerifierList(vs...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			var seen []string
			for _, s := range unverified.Note.UnverifiedSigs {
				seen = append(seen, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
			}
			return nil, fmt.Errorf("%w: want a signature by %s with key hint %x, found signatures by [%s]",
				ErrNoLogSignature, strings.Join(names, " or "), hint, strings.Join(seen, ", "))
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("%w: signature line by %s+%08x", ErrBadLogSignature, invalid.Name, invalid.Hash)
		}
		return nil, fmt.Errorf("%w: signature block: %v", ErrMalformedCheckpoint, err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, err
	}
	for _, s := range n.Sigs {
		if c.Origin == s.Name || strings.HasPrefix(c.Origin, s.Name+" - ") {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: checkpoint origin %q does not belong to log %s (signed as %s)",
		ErrInconsistent, c.Origin, log.BaseURL, n.Sigs[0].Name)
}

// logNames returns the names a log signs its checkpoints with: the host of its base URL,
// with and without a port.
func logNames(baseURL string) ([]string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("log base URL %q has no host to name its checkpoints", baseURL)
	}
	names := []string{u.Host}
	if h := u.Hostname(); h != u.Host && h != "" {
		names = append(names, h)
	}
	return names, nil
}

// noteVerifier verifies a log's checkpoint signature: an ASN.1 ECDSA (or RSA) signature
// over the hash of the note text, or an Ed25519 signature over the text itself.
type noteVerifier struct {
	name string
	hash uint32
	pub  crypto.PublicKey
	h    crypto.Hash
}

func (v *noteVerifier) Name() string    { return v.name }
func (v *noteVerifier) KeyHash() uint32 { return v.hash }
func (v *noteVerifier) Verify(msg, sig []byte) bool {
	return signature.Verify(v.pub, v.h, msg, sig) == nil
}
