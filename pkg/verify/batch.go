package verify

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"time"

	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/rekor"
	"github.com/signet-dev/signet/pkg/trust"
)

// Verifier verifies many bundles against one trusted root, from as many goroutines as the
// caller likes. Many bundles share facts, never verdicts: it remembers what it proved once
// and reuses it — that a certificate chains to a CA of the trusted root (re-checking every
// certificate's and the CA's validity at each bundle's own times), that a CA's intermediate
// chains to its root (so that another leaf of that CA is checked against the intermediate
// only), that a certificate's SCTs verify, that a checkpoint carries the log's signature —
// and every bundle still goes through every step of Verify. It uses no network.
type Verifier struct {
	tr          *trust.TrustedRoot
	chains      sync.Map // [32]byte (SHA-256 of the leaf) -> *chainFact
	cas         sync.Map // *trust.Authority -> fulcio.ProvenCA
	scts        sync.Map // sctKey -> time.Time (the latest SCT time allowed when they verified)
	checkpoints rekor.Checkpoints
}

// NewVerifier returns a Verifier for bundles of the instance tr describes.
func NewVerifier(tr *trust.TrustedRoot) *Verifier { return &Verifier{tr: tr} }

// Verify is the package's Verify, with what v proved before.
func (v *Verifier) Verify(b *bundle.Bundle, art Artifact, p Policy) (*Result, error) {
	return verifyWith(v.tr, v, b, art, p)
}

// chainFact is a verified path from a leaf to a CA of the trusted root.
type chainFact struct {
	chain []*x509.Certificate
	ca    *trust.Authority
}

// validAt reports whether the proven path also holds at t: signatures, key usages and name
// constraints do not depend on the time, validity windows do.
func (c *chainFact) validAt(t time.Time) bool {
	if !c.ca.ValidFor.Contains(t) {
		return false
	}
	for _, cert := range c.chain {
		if t.Before(cert.NotBefore) || t.After(cert.NotAfter) {
			return false
		}
	}
	return true
}

// verifyChain is fulcio.VerifyChain, remembered by v (nil: nothing is remembered).
func (v *Verifier) verifyChain(tr *trust.TrustedRoot, leaf *x509.Certificate, t time.Time) ([]*x509.Certificate, *trust.Authority, error) {
	if v == nil {
		return fulcio.VerifyChain(leaf, tr.CertificateAuthorities, t)
	}
	key := sha256.Sum256(leaf.Raw)
	if f, ok := v.chains.Load(key); ok && f.(*chainFact).validAt(t) {
		cf := f.(*chainFact)
		return append([]*x509.Certificate{leaf}, cf.chain[1:]...), cf.ca, nil
	}
	// Another leaf of a CA whose path to its root was proven: only the last step is new.
	var chain []*x509.Certificate
	var ca *trust.Authority
	var err error
	v.cas.Range(func(k, p any) bool {
		if c, e := p.(fulcio.ProvenCA).VerifyIssuedBy(leaf, t); e == nil {
			chain, ca = c, k.(*trust.Authority)
			return false
		}
		return true
	})
	if chain == nil {
		if chain, ca, err = fulcio.VerifyChain(leaf, tr.CertificateAuthorities, t); err != nil {
			return nil, nil, err
		}
		if p, ok := fulcio.Prove(chain, ca); ok {
			v.cas.Store(ca, p)
		}
	}
	v.chains.Store(key, &chainFact{chain: chain, ca: ca})
	return chain, ca, nil
}

type sctKey struct {
	leaf, issuer [32]byte
	threshold    int
}

// verifySCTs is fulcio.VerifySCTs, remembered by v (nil: nothing is remembered). SCTs that
// verified with a latest allowed time verify with any later one.
func (v *Verifier) verifySCTs(tr *trust.TrustedRoot, leaf, issuer *x509.Certificate, threshold int, latest time.Time) error {
	if v == nil {
		_, err := fulcio.VerifySCTs(leaf, issuer, tr.CTLogs, threshold, latest)
		return err
	}
	key := sctKey{sha256.Sum256(leaf.Raw), sha256.Sum256(issuer.Raw), threshold}
	if l, ok := v.scts.Load(key); ok && !latest.Before(l.(time.Time)) {
		return nil
	}
	if _, err := fulcio.VerifySCTs(leaf, issuer, tr.CTLogs, threshold, latest); err != nil {
		return err
	}
	v.scts.Store(key, latest)
	return nil
}

// checkpointMemo is v's checkpoint memory (nil: nothing is remembered).
func (v *Verifier) checkpointMemo() *rekor.Checkpoints {
	if v == nil {
		return nil
	}
	return &v.checkpoints
}
