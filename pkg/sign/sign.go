// Package sign runs the Sigstore signing pipeline: an identity (an ephemeral key certified by
// Fulcio for an OIDC identity token, or the caller's own key and optional certificate), a
// signature over an artifact's digest or a DSSE envelope, RFC 3161 timestamps and transparency
// log entries from the services a SigningConfig selects, and a v0.3 bundle that has passed
// signet's own verifier before it is returned. It trusts the TrustedRoot it is given to check
// what the services answer; it never writes files.
package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbdsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/rekor"
	"github.com/signet-dev/signet/pkg/signature"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/tsa"
	"github.com/signet-dev/signet/pkg/verify"
)

// ServiceError is a failure of one Sigstore service (Fulcio, Rekor, a TSA): which one, what
// it answered or that it was unreachable, after how many attempts.
type ServiceError = httpretry.ServiceError

// Step names the part of signing that failed.
type Step string

// The signing steps, in order.
const (
	StepIdentity    Step = "identity"
	StepCertificate Step = "certificate"
	StepArtifact    Step = "artifact"
	StepTimestamp   Step = "timestamp"
	StepTlog        Step = "tlog"
	StepVerify      Step = "verify"
)

// Error is a signing failure at one step.
type Error struct {
	Step Step
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(step Step, err error) error { return &Error{Step: step, Err: err} }

// Config says where and how to sign.
type Config struct {
	TrustedRoot *trust.TrustedRoot
	Services    *trust.Services
	// HTTP sends every request (default http.DefaultClient).
	HTTP *http.Client
	// Timeout bounds each service call, retries included (default 2 minutes); each attempt
	// gets at most 30 s of it.
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	// verifier checks each new bundle; made once, it proves what the bundles of one
	// identity share (the certificate's chain and SCTs) once.
	verifierOnce sync.Once
	verifier     *verify.Verifier
}

func (c *Config) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Config) retry() httpretry.Policy {
	p := httpretry.Policy{MaxElapsed: c.Timeout}
	if c.Timeout > 0 && c.Timeout < 30*time.Second {
		p.AttemptTimeout = c.Timeout
	}
	return p
}

// KeyAlgorithm is the algorithm of an ephemeral signing key.
type KeyAlgorithm string

// Supported ephemeral key algorithms.
const (
	ECDSAP256 KeyAlgorithm = "ecdsa-p256"
	ECDSAP384 KeyAlgorithm = "ecdsa-p384"
	Ed25519   KeyAlgorithm = "ed25519"
)

// Identity is what signs: a key and, unless it is a bare key, its certificate chain.
type Identity struct {
	Signer crypto.Signer
	// Chain is the signing certificate and its issuers, leaf first; nil for a bare key.
	Chain []*x509.Certificate
	// Hash is the digest the key signs artifacts with.
	Hash crypto.Hash
}

// GenerateKey makes an ephemeral signing key.
func GenerateKey(alg KeyAlgorithm) (crypto.Signer, error) {
	switch alg {
	case ECDSAP256, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("unsupported signing algorithm %q (use ecdsa-p256, ecdsa-p384 or ed25519)", alg)
}

// hashFor is the artifact digest a key signs: its default hash (signature.DefaultHash), and
// SHA-512 for Ed25519, which signs pre-hashed artifacts as Ed25519ph.
func hashFor(pub crypto.PublicKey) (crypto.Hash, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return crypto.SHA512, nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return 0, fmt.Errorf("RSA key of %d bits is too small", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
	default:
		return 0, fmt.Errorf("unsupported key type %T", pub)
	}
	return signature.DefaultHash(pub), nil
}

// ErrIdentityRejected is a certificate authority refusing the identity token.
var ErrIdentityRejected = errors.New("the certificate authority refused the identity token")

// Keyless makes an identity from an OIDC identity token: the ephemeral key (see GenerateKey),
// certified by the signing config's CA. The chain must verify against the trusted root now,
// and its SCTs against the trusted root's CT logs when there are any.
func (c *Config) Keyless(ctx context.Context, token string, key crypto.Signer) (*Identity, error) {
	h, err := hashFor(key.Public())
	if err != nil {
		return nil, fail(StepIdentity, err)
	}
	if c.Services.CA.URL == "" {
		return nil, fail(StepCertificate, errors.New("the signing config lists no certificate authority: keyless signing needs one (sign with your own key instead)"))
	}
	client := &fulcio.Client{BaseURL: c.Services.CA.URL, HTTP: c.HTTP, Retry: c.retry()}
	chain, err := client.RequestCertificate(ctx, token, key)
	if errors.Is(err, httpretry.ErrRejected) {
		return nil, fail(StepCertificate, fmt.Errorf("%w: %w", ErrIdentityRejected, err))
	}
	if err != nil {
		return nil, fail(StepCertificate, err)
	}
	verified, _, err := fulcio.VerifyChain(chain[0], c.TrustedRoot.CertificateAuthorities, c.now())
	if err != nil {
		return nil, fail(StepCertificate, fmt.Errorf("the certificate from %s does not verify against the trusted root: %w", c.Services.CA.URL, err))
	}
	if len(c.TrustedRoot.CTLogs) > 0 {
		if _, err := fulcio.VerifySCTs(chain[0], verified[1], c.TrustedRoot.CTLogs, 1, c.now().Add(verify.MaxClockSkew)); err != nil {
			return nil, fail(StepCertificate, fmt.Errorf("the certificate from %s: %w", c.Services.CA.URL, err))
		}
	}
	return &Identity{Signer: key, Chain: chain, Hash: h}, nil
}

// CheckDSSE says whether DSSE envelopes signed with pub can be logged in the selected logs:
// Rekor v2 records only pre-hashed Ed25519 signatures, and a DSSE signature is over the whole
// envelope. Callers check before asking anyone for a certificate.
func (c *Config) CheckDSSE(pub crypto.PublicKey) error {
	if _, ok := pub.(ed25519.PublicKey); !ok {
		return nil
	}
	for _, l := range c.Services.Tlogs {
		if l.MajorAPIVersion == 2 {
			return fmt.Errorf("Rekor v2 log %s records only pre-hashed Ed25519 signatures, and a DSSE signature is over the whole envelope; sign DSSE with ecdsa-p256 or ecdsa-p384", l.URL)
		}
	}
	return nil
}

// KeyIdentity makes an identity from the caller's key and, optionally, a certificate chain for
// it (leaf first), such as one from an enterprise CA.
func KeyIdentity(s crypto.Signer, chain []*x509.Certificate) (*Identity, error) {
	if len(chain) > 0 {
		type equaler interface{ Equal(crypto.PublicKey) bool }
		if k, ok := s.Public().(equaler); !ok || !k.Equal(chain[0].PublicKey) {
			return nil, fail(StepIdentity, errors.New("the certificate is not for the signing key"))
		}
	}
	h, err := hashFor(s.Public())
	if err != nil {
		return nil, fail(StepIdentity, err)
	}
	return &Identity{Signer: s, Chain: chain, Hash: h}, nil
}

// checkServices refuses a configuration that cannot produce a verifiable bundle.
func (c *Config) checkServices() error {
	if c.TrustedRoot == nil || c.Services == nil {
		return errors.New("no trusted root or signing services")
	}
	for _, l := range c.Services.Tlogs {
		if l.MajorAPIVersion == 2 && len(c.Services.TSAs) == 0 {
			return fmt.Errorf("Rekor v2 log %s records no signing time, and the signing config selects no timestamp authority", l.URL)
		}
	}
	if len(c.Services.Tlogs) == 0 && len(c.Services.TSAs) == 0 {
		return errors.New("the signing config selects neither a transparency log nor a timestamp authority, so nothing would prove when the signature was made")
	}
	return nil
}

// SignArtifact signs the artifact read from r (read once, streamed) as a message signature
// and returns a verified v0.3 bundle.
func (c *Config) SignArtifact(ctx context.Context, id *Identity, r io.Reader) (*pbbundle.Bundle, error) {
	if err := c.checkServices(); err != nil {
		return nil, fail(StepIdentity, err)
	}
	hh := id.Hash.New()
	if _, err := io.CopyBuffer(hh, onlyReader{r}, make([]byte, 256<<10)); err != nil {
		return nil, fail(StepArtifact, fmt.Errorf("reading the artifact: %w", err))
	}
	digest := hh.Sum(nil)
	var opts crypto.SignerOpts = id.Hash
	if _, ok := id.Signer.Public().(ed25519.PublicKey); ok {
		opts = &ed25519.Options{Hash: crypto.SHA512}
	}
	sig, err := id.Signer.Sign(rand.Reader, digest, opts)
	if err != nil {
		return nil, fail(StepArtifact, fmt.Errorf("signing: %w", err))
	}
	alg, err := hashAlgorithm(id.Hash)
	if err != nil {
		return nil, fail(StepArtifact, err)
	}
	b := &pbbundle.Bundle{Content: &pbbundle.Bundle_MessageSignature{MessageSignature: &pbcommon.MessageSignature{
		MessageDigest: &pbcommon.HashOutput{Algorithm: alg, Digest: digest},
		Signature:     sig,
	}}}
	entry := rekor.ProposedEntry{Signature: sig, Hash: id.Hash, Digest: digest}
	return c.finish(ctx, id, b, sig, entry, verify.ArtifactDigest(id.Hash, digest))
}

// SignDSSE signs payload in a DSSE envelope of payloadType and returns a verified v0.3
// bundle. An in-toto statement payload must be well-formed.
func (c *Config) SignDSSE(ctx context.Context, id *Identity, payloadType string, payload []byte) (*pbbundle.Bundle, error) {
	if err := c.checkServices(); err != nil {
		return nil, fail(StepIdentity, err)
	}
	if err := c.CheckDSSE(id.Signer.Public()); err != nil {
		return nil, fail(StepIdentity, err)
	}
	sigHash := id.Hash
	if _, ok := id.Signer.Public().(ed25519.PublicKey); ok {
		sigHash = 0 // DSSE signs the PAE itself with pure Ed25519
	}
	sig, err := dsse.Sign(id.Signer, sigHash, payloadType, payload)
	if err != nil {
		return nil, fail(StepArtifact, fmt.Errorf("signing: %w", err))
	}
	b := &pbbundle.Bundle{Content: &pbbundle.Bundle_DsseEnvelope{DsseEnvelope: &pbdsse.Envelope{
		PayloadType: payloadType, Payload: payload, Signatures: []*pbdsse.Signature{{Sig: sig}},
	}}}
	entry := rekor.ProposedEntry{Envelope: &rekor.Envelope{PayloadType: payloadType, Payload: payload,
		Signatures: []rekor.EnvelopeSignature{{Sig: sig}}}}
	// The self-check needs an artifact: a statement's first subject, or the payload itself.
	art := verify.ArtifactDigest(crypto.SHA256, sha256Of(payload))
	if payloadType == dsse.InTotoPayloadType {
		st, err := dsse.ParseStatement(payload)
		if err != nil {
			return nil, fail(StepArtifact, err)
		}
		if art, err = subjectArtifact(st.Subject[0]); err != nil {
			return nil, fail(StepArtifact, err)
		}
	}
	return c.finish(ctx, id, b, sig, entry, art)
}

// subjectArtifact stands for a statement subject by its strongest SHA-2 digest.
func subjectArtifact(s dsse.Subject) (verify.Artifact, error) {
	for _, d := range dsse.SubjectDigests {
		if v, ok := s.Digest[d.Name]; ok {
			digest, err := hex.DecodeString(v)
			if err != nil || len(digest) != d.Hash.Size() {
				return verify.Artifact{}, fmt.Errorf("the in-toto statement subject %q has a malformed %s digest", s.Name, d.Name)
			}
			return verify.ArtifactDigest(d.Hash, digest), nil
		}
	}
	return verify.Artifact{}, fmt.Errorf("the in-toto statement subject %q has no sha256, sha384 or sha512 digest", s.Name)
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// finish timestamps the signature, logs it, assembles the bundle and verifies it.
func (c *Config) finish(ctx context.Context, id *Identity, b *pbbundle.Bundle, sig []byte, entry rekor.ProposedEntry, art verify.Artifact) (*pbbundle.Bundle, error) {
	b.MediaType = bundle.MediaType03New
	vm := &pbbundle.VerificationMaterial{}
	b.VerificationMaterial = vm
	if len(id.Chain) > 0 {
		vm.Content = &pbbundle.VerificationMaterial_Certificate{Certificate: &pbcommon.X509Certificate{RawBytes: id.Chain[0].Raw}}
		entry.Certificate = id.Chain[0].Raw
	} else {
		// A bare key is named by its fingerprint: the hex SHA-256 of its DER public key.
		hint, err := signature.Fingerprint(id.Signer.Public())
		if err != nil {
			return nil, fail(StepIdentity, err)
		}
		vm.Content = &pbbundle.VerificationMaterial_PublicKey{PublicKey: &pbcommon.PublicKeyIdentifier{Hint: hint}}
		entry.PublicKey = id.Signer.Public()
	}

	// Timestamps first: they prove the signature existed while the certificate was valid, and a
	// log entry is forever, so none is made for a signature whose timestamp failed. The
	// authorities are asked at once, and then the logs at once: a file waits for the slowest
	// of each, not for the sum. A log request is never cancelled half-way (rekor-tiles
	// batches concurrent writes, and a cancelled one can fail the others of its batch).
	stamps := make([][]byte, len(c.Services.TSAs))
	if err := parallel(len(stamps), func(i int) error {
		client := &tsa.Client{URL: c.Services.TSAs[i].URL, HTTP: c.HTTP, Retry: c.retry()}
		ts, err := client.Timestamp(ctx, sig)
		if err != nil {
			return fail(StepTimestamp, err)
		}
		stamps[i] = ts
		return nil
	}); err != nil {
		return nil, err
	}
	for _, ts := range stamps {
		if vm.TimestampVerificationData == nil {
			vm.TimestampVerificationData = &pbbundle.TimestampVerificationData{}
		}
		vm.TimestampVerificationData.Rfc3161Timestamps = append(vm.TimestampVerificationData.Rfc3161Timestamps,
			&pbcommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	entries := make([]*pbrekor.TransparencyLogEntry, len(c.Services.Tlogs))
	if err := parallel(len(entries), func(i int) error {
		s := c.Services.Tlogs[i]
		client := &rekor.Client{BaseURL: s.URL, Version: int(s.MajorAPIVersion), HTTP: c.HTTP, Retry: c.retry()}
		e, err := client.Upload(ctx, entry)
		if err != nil {
			return fail(StepTlog, err)
		}
		entries[i] = e
		return nil
	}); err != nil {
		return nil, err
	}
	vm.TlogEntries = entries
	if err := c.selfVerify(id, b, art); err != nil {
		return nil, fail(StepVerify, err)
	}
	return b, nil
}

// parallel runs f(0) to f(n-1) at once and returns the first error by index.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// selfVerify runs the bundle through signet's verifier with a policy for exactly this
// signer, so that nothing unverifiable is ever written.
func (c *Config) selfVerify(id *Identity, pb *pbbundle.Bundle, art verify.Artifact) error {
	b, err := bundle.New(pb)
	if err != nil {
		return err
	}
	p := verify.Policy{TlogThreshold: len(c.Services.Tlogs), Now: c.now(),
		InsecureIgnoreTlog: len(c.Services.Tlogs) == 0,
		// A trusted root without CT logs cannot check SCTs; its users verify with
		// --insecure-ignore-sct, and the self-check does the same.
		InsecureIgnoreSCT: len(c.TrustedRoot.CTLogs) == 0,
		TSAThreshold:      len(c.Services.TSAs)}
	switch {
	case len(id.Chain) == 0:
		p.Keys = []verify.TrustedKey{{Public: id.Signer.Public()}}
	case fulcio.HasIssuerExtension(id.Chain[0]):
		who, err := fulcio.IdentityFromCertificate(id.Chain[0])
		if err != nil {
			return err
		}
		p.Identities = []verify.Matcher{verify.Exact(who.SAN)}
		p.Issuers = []verify.Matcher{verify.Exact(who.Issuer)}
	default:
		// The user's own CA (an enterprise PKI): its certificates name no OIDC issuer, maybe
		// several subjects, and were never logged in CT. Its users verify with one of the
		// subjects, --certificate-without-oidc-issuer and --insecure-ignore-sct, and the
		// self-check does the same.
		names, err := fulcio.SubjectNames(id.Chain[0])
		if err != nil {
			return err
		}
		for _, n := range names {
			p.Identities = append(p.Identities, verify.Exact(n.Value))
		}
		p.WithoutIssuer, p.InsecureIgnoreSCT = true, true
	}
	c.verifierOnce.Do(func() { c.verifier = verify.NewVerifier(c.TrustedRoot) })
	if _, err := c.verifier.Verify(b, art, p); err != nil {
		return fmt.Errorf("the new bundle does not verify against the trusted root: %w", err)
	}
	return nil
}

func hashAlgorithm(h crypto.Hash) (pbcommon.HashAlgorithm, error) {
	switch h {
	case crypto.SHA256:
		return pbcommon.HashAlgorithm_SHA2_256, nil
	case crypto.SHA384:
		return pbcommon.HashAlgorithm_SHA2_384, nil
	case crypto.SHA512:
		return pbcommon.HashAlgorithm_SHA2_512, nil
	}
	return 0, fmt.Errorf("unsupported hash %v", h)
}

// onlyReader hides WriterTo so that io.CopyBuffer uses its buffer.
type onlyReader struct{ io.Reader }
