// Package bundle owns the Sigstore bundle: loading v0.1, v0.2 and v0.3 bundles (both v0.3
// media-type spellings) from proto3 JSON, the structural checks every bundle must pass before
// any cryptography runs, size limits, and writing v0.3 bundles. It trusts nothing in its
// input and verifies nothing cryptographic: a Bundle that loads is well-formed, not valid.
package bundle

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// Bundle media types.
const (
	MediaType01    = "application/vnd.dev.sigstore.bundle+json;version=0.1"
	MediaType02    = "application/vnd.dev.sigstore.bundle+json;version=0.2"
	MediaType03    = "application/vnd.dev.sigstore.bundle+json;version=0.3"
	MediaType03New = "application/vnd.dev.sigstore.bundle.v0.3+json"
)

// Limits on untrusted bundles.
const (
	MaxSize        = 32 << 20
	MaxChainLength = 10
	MaxTlogEntries = 32
	MaxTimestamps  = 32
)

// ErrMalformed marks a bundle that cannot be read as a Sigstore bundle at all.
var ErrMalformed = errors.New("malformed bundle")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Bundle is a structurally valid Sigstore bundle with its verification material parsed.
type Bundle struct {
	MediaType string
	// Minor is the bundle version's minor number: 1, 2 or 3.
	Minor int

	// Certificate is the signing (leaf) certificate, nil when the bundle carries a public key hint.
	Certificate *x509.Certificate
	// PublicKeyHint is set (possibly to "") when the bundle names a public key instead of a certificate.
	PublicKeyHint *string

	TlogEntries []*pbrekor.TransparencyLogEntry
	// Timestamps are the DER RFC 3161 timestamp responses.
	Timestamps [][]byte

	// Exactly one of MessageSignature and Envelope is set.
	MessageSignature *pbcommon.MessageSignature
	Envelope         *Envelope

	pb *pbbundle.Bundle
}

// Envelope is the bundle's DSSE envelope, which carries exactly one signature.
type Envelope struct {
	PayloadType string
	Payload     []byte
	Signature   []byte
	KeyID       string
}

// Signature is the bundle's signature bytes: the message signature or the envelope's signature.
func (b *Bundle) Signature() []byte {
	if b.Envelope != nil {
		return b.Envelope.Signature
	}
	return b.MessageSignature.GetSignature()
}

// Proto returns the underlying message.
func (b *Bundle) Proto() *pbbundle.Bundle { return b.pb }

// Read loads a bundle from r, refusing more than MaxSize bytes.
func Read(r io.Reader) (*Bundle, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, malformed("bundle is larger than %d bytes", MaxSize)
	}
	return Parse(data)
}

// Parse loads a bundle from its JSON encoding.
func Parse(data []byte) (*Bundle, error) {
	if len(data) > MaxSize {
		return nil, malformed("bundle is larger than %d bytes", MaxSize)
	}
	var pb pbbundle.Bundle
	if err := protojson.Unmarshal(data, &pb); err != nil {
		return nil, malformed("not a valid bundle JSON document: %v", err)
	}
	// protojson also accepts the proto field names (snake_case); the bundle format is
	// lowerCamelCase only, and other variants SHOULD be refused (client-spec §5).
	if key := snakeCaseKey(data); key != "" {
		return nil, malformed("key %q is not lowerCamelCase proto3 JSON", key)
	}
	return New(&pb)
}

// snakeCaseKey returns the first object key of a valid JSON document that contains an
// underscore, or "". No bundle field name has one; DSSE payloads are base64, so no foreign
// JSON is nested in a bundle. A key is a string literal followed by a colon.
func snakeCaseKey(data []byte) string {
	for i := 0; i < len(data); i++ {
		if data[i] != '"' {
			continue
		}
		start, underscore := i+1, false
		for i++; i < len(data) && data[i] != '"'; i++ {
			switch data[i] {
			case '\\':
				i++ // skip the escaped byte
			case '_':
				underscore = true
			}
		}
		if !underscore {
			continue
		}
		j := i + 1
		for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
			j++
		}
		if j < len(data) && data[j] == ':' {
			return string(data[start:i])
		}
	}
	return ""
}

// New checks a Bundle message's structure and parses its verification material.
func New(pb *pbbundle.Bundle) (*Bundle, error) {
	b := &Bundle{MediaType: pb.GetMediaType(), pb: pb}
	switch b.MediaType {
	case MediaType01:
		b.Minor = 1
	case MediaType02:
		b.Minor = 2
	case MediaType03, MediaType03New:
		b.Minor = 3
	default:
		return nil, malformed("unsupported bundle media type %q", b.MediaType)
	}
	vm := pb.GetVerificationMaterial()
	if vm == nil {
		return nil, malformed("bundle has no verificationMaterial")
	}
	if err := b.loadKeyMaterial(vm); err != nil {
		return nil, err
	}
	if err := b.loadContent(pb); err != nil {
		return nil, err
	}
	if len(vm.GetTlogEntries()) > MaxTlogEntries {
		return nil, malformed("bundle has more than %d transparency log entries", MaxTlogEntries)
	}
	for i, e := range vm.GetTlogEntries() {
		if err := checkTlogEntry(e); err != nil {
			return nil, fmt.Errorf("tlogEntries[%d]: %w", i, err)
		}
	}
	b.TlogEntries = vm.GetTlogEntries()
	ts := vm.GetTimestampVerificationData().GetRfc3161Timestamps()
	if len(ts) > MaxTimestamps {
		return nil, malformed("bundle has more than %d timestamps", MaxTimestamps)
	}
	for i, t := range ts {
		if len(t.GetSignedTimestamp()) == 0 {
			return nil, malformed("rfc3161Timestamps[%d] is empty", i)
		}
		b.Timestamps = append(b.Timestamps, t.GetSignedTimestamp())
	}
	return b, nil
}

func (b *Bundle) loadKeyMaterial(vm *pbbundle.VerificationMaterial) error {
	switch c := vm.GetContent().(type) {
	case *pbbundle.VerificationMaterial_Certificate:
		cert, err := parseCertificate(c.Certificate.GetRawBytes())
		if err != nil {
			return malformed("certificate: %v", err)
		}
		b.Certificate = cert
	case *pbbundle.VerificationMaterial_X509CertificateChain:
		if b.Minor >= 3 {
			return malformed("a v0.3 bundle must carry a single certificate, not x509CertificateChain")
		}
		raw := c.X509CertificateChain.GetCertificates()
		if len(raw) == 0 {
			return malformed("certificate chain is empty")
		}
		if len(raw) > MaxChainLength {
			return malformed("certificate chain has more than %d certificates", MaxChainLength)
		}
		// The leaf comes first. Signers include no more, but old v0.1 and v0.2 bundles
		// (npm's of 2022-23) also carry the intermediates and the root; verifiers SHOULD
		// accept them (protobuf-specs), and signet ignores them: the chain is built from
		// the trusted root alone, so nothing else in the bundle can become a trust anchor.
		for i, r := range raw {
			cert, err := parseCertificate(r.GetRawBytes())
			if err != nil {
				return malformed("certificate chain[%d]: %v", i, err)
			}
			if i == 0 {
				b.Certificate = cert
			}
		}
	case *pbbundle.VerificationMaterial_PublicKey:
		hint := c.PublicKey.GetHint()
		b.PublicKeyHint = &hint
	default:
		return malformed("bundle has no certificate or public key")
	}
	return nil
}

func parseCertificate(der []byte) (*x509.Certificate, error) {
	if len(der) == 0 {
		return nil, errors.New("empty certificate")
	}
	return x509.ParseCertificate(der)
}

func (b *Bundle) loadContent(pb *pbbundle.Bundle) error {
	switch c := pb.GetContent().(type) {
	case *pbbundle.Bundle_MessageSignature:
		ms := c.MessageSignature
		if len(ms.GetSignature()) == 0 {
			return malformed("message signature is empty")
		}
		if md := ms.GetMessageDigest(); md != nil && len(md.GetDigest()) == 0 {
			return malformed("message digest is empty")
		}
		b.MessageSignature = ms
	case *pbbundle.Bundle_DsseEnvelope:
		env := c.DsseEnvelope
		if env.GetPayloadType() == "" {
			return malformed("DSSE envelope has no payloadType")
		}
		if len(env.GetSignatures()) != 1 {
			return malformed("DSSE envelope has %d signatures; a bundle's envelope carries exactly one", len(env.GetSignatures()))
		}
		if len(env.GetSignatures()[0].GetSig()) == 0 {
			return malformed("DSSE envelope signature is empty")
		}
		b.Envelope = &Envelope{
			PayloadType: env.GetPayloadType(),
			Payload:     env.GetPayload(),
			Signature:   env.GetSignatures()[0].GetSig(),
			KeyID:       env.GetSignatures()[0].GetKeyid(),
		}
	default:
		return malformed("bundle has neither messageSignature nor dsseEnvelope")
	}
	return nil
}

func checkTlogEntry(e *pbrekor.TransparencyLogEntry) error {
	if e.GetLogIndex() < 0 {
		return malformed("negative logIndex %d", e.GetLogIndex())
	}
	if len(e.GetLogId().GetKeyId()) == 0 {
		return malformed("missing logId")
	}
	if e.GetKindVersion().GetKind() == "" || e.GetKindVersion().GetVersion() == "" {
		return malformed("missing kindVersion")
	}
	if len(e.GetCanonicalizedBody()) == 0 {
		return malformed("missing canonicalizedBody")
	}
	if e.GetIntegratedTime() < 0 {
		return malformed("negative integratedTime")
	}
	if p := e.GetInclusionProof(); p != nil {
		if p.GetLogIndex() < 0 || p.GetTreeSize() < 0 {
			return malformed("inclusion proof has a negative index or tree size")
		}
		if len(p.GetHashes()) > 64 {
			return malformed("inclusion proof has more than 64 hashes")
		}
	}
	return nil
}

// Marshal encodes a bundle as proto3 JSON with lowerCamelCase keys and enum names.
func Marshal(pb *pbbundle.Bundle) ([]byte, error) {
	return protojson.MarshalOptions{}.Marshal(pb)
}
