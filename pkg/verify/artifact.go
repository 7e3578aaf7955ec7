package verify

import (
	"crypto"
	_ "crypto/sha256" // registers SHA-224/256
	_ "crypto/sha512" // registers SHA-384/512
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
)

// Artifact is what a bundle is about: either bytes read once from a stream, or digests
// the caller already has.
type Artifact struct {
	r     io.Reader
	known map[crypto.Hash][]byte
}

// ArtifactReader streams the artifact from r. It is read exactly once, however many
// digests verification needs, with memory independent of its size.
func ArtifactReader(r io.Reader) Artifact { return Artifact{r: r} }

// ArtifactDigest stands for an artifact known only by its digest.
func ArtifactDigest(h crypto.Hash, digest []byte) Artifact {
	return Artifact{known: map[crypto.Hash][]byte{h: digest}}
}

// ArtifactDigests stands for an artifact known by several digests, such as one hashed once
// to be verified against several bundles (see HashArtifact).
func ArtifactDigests(digests map[crypto.Hash][]byte) Artifact { return Artifact{known: digests} }

// HashArtifact reads r once and returns its digests under every hash verification may ask
// for (SHA-256, SHA-384, SHA-512), for ArtifactDigests.
func HashArtifact(r io.Reader) (map[crypto.Hash][]byte, error) {
	return ArtifactReader(r).digests([]crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512})
}

// has reports whether the artifact's digest under h can be had.
func (a Artifact) has(h crypto.Hash) bool {
	_, ok := a.known[h]
	return a.r != nil || ok
}

// given names the hashes of the digests given, for messages.
func (a Artifact) given() string {
	var names []string
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		if _, ok := a.known[h]; ok {
			names = append(names, h.String())
		}
	}
	return strings.Join(names, ", ")
}

// copyBufferSize is large enough that system calls do not show next to SHA-256 throughput.
const copyBufferSize = 1 << 20

// copyBuffers recycles copy buffers: allocating and zeroing 1 MiB would otherwise cost more
// than hashing a small artifact.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// digests hashes the artifact once with every algorithm in want.
func (a Artifact) digests(want []crypto.Hash) (map[crypto.Hash][]byte, error) {
	out := make(map[crypto.Hash][]byte, len(want))
	if a.r == nil {
		for _, h := range want {
			d, ok := a.known[h]
			if !ok {
				return nil, fmt.Errorf("no %v digest of the artifact given", h)
			}
			out[h] = d
		}
		return out, nil
	}
	hashers := make([]hash.Hash, 0, len(want))
	writers := make([]io.Writer, 0, len(want))
	for _, h := range want {
		if !h.Available() {
			return nil, fmt.Errorf("unsupported hash algorithm %v", h)
		}
		hh := h.New()
		hashers = append(hashers, hh)
		writers = append(writers, hh)
	}
	var w io.Writer
	if len(writers) == 1 {
		w = writers[0]
	} else {
		w = io.MultiWriter(writers...)
	}
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	if _, err := io.CopyBuffer(w, onlyReader{a.r}, *buf); err != nil {
		return nil, fmt.Errorf("reading artifact: %w", err)
	}
	for i, h := range want {
		out[h] = hashers[i].Sum(nil)
	}
	return out, nil
}

// onlyReader hides WriterTo/ReaderFrom so that io.CopyBuffer uses the large buffer.
type onlyReader struct{ io.Reader }
