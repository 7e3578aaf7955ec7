package fulcio

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/signet-dev/signet/pkg/trust"
)

// Errors VerifyChain wraps, so that a caller can tell why a certificate was refused.
var (
	// ErrNoValidCA: no certificate authority in the trusted root covers the signing time.
	ErrNoValidCA = errors.New("no CA in the trusted root was valid")
	// ErrCertificateNotValid: the signing time is outside the leaf's own validity.
	ErrCertificateNotValid = errors.New("certificate was not valid")
	// ErrUntrustedChain: no path from the leaf to a trusted CA valid at the signing time.
	ErrUntrustedChain = errors.New("certificate does not chain to a trusted CA")
	// ErrNoCodeSigningEKU: the leaf (or the path to it) does not allow code signing.
	ErrNoCodeSigningEKU = errors.New("certificate lacks the code-signing extended key usage")
	// ErrProfile: a certificate on the path breaks the code-signing certificate profile
	// (key usage, CA flag, one SAN for a Fulcio leaf).
	ErrProfile = errors.New("certificate does not fit the code-signing certificate profile")
)

var oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}

// VerifyChain verifies leaf at time t: among cas (from the trusted root) those whose
// ValidFor contains t, the leaf must chain (x509.Verify with CurrentTime=t, the authority's
// Roots and Intermediates only, never intermediates from a bundle, and KeyUsages=
// [ExtKeyUsageCodeSigning]) to one of them. Returns the verified chain (leaf first, root
// last) and the authority it chains to.
//
// Beyond x509.Verify, the leaf itself must name the code-signing extended key usage (Go
// treats a certificate without an EKU extension as good for any use) and must not be a CA
// certificate. A critical SAN extension that holds only a Fulcio username (otherName
// 1.3.6.1.4.1.57264.1.7), which crypto/x509 does not understand, is accepted once it parses.
func VerifyChain(leaf *x509.Certificate, cas []*trust.Authority, t time.Time) ([]*x509.Certificate, *trust.Authority, error) {
	if leaf == nil {
		return nil, nil, errors.New("no certificate to verify")
	}
	var candidates []*trust.Authority
	for _, ca := range cas {
		if ca != nil && len(ca.Chain) > 0 && ca.ValidFor.Contains(t) {
			candidates = append(candidates, ca)
		}
	}
	if len(candidates) == 0 {
		return nil, nil, fmt.Errorf("%w at %s (%d CAs in the trusted root)", ErrNoValidCA, formatTime(t), len(cas))
	}
	if t.Before(leaf.NotBefore) || t.After(leaf.NotAfter) {
		return nil, nil, fmt.Errorf("%w at %s (valid %s to %s)", ErrCertificateNotValid,
			formatTime(t), formatTime(leaf.NotBefore), formatTime(leaf.NotAfter))
	}
	if leaf.IsCA {
		return nil, nil, fmt.Errorf("%w: certificate %s is a CA certificate, not a signing certificate",
			ErrUntrustedChain, describeCert(leaf))
	}
	subject, err := leafForVerify(leaf)
	if err != nil {
		return nil, nil, err
	}

	var usageErr error
	var failures []string
	for _, ca := range candidates {
		chains, err := subject.Verify(x509.VerifyOptions{
			CurrentTime:   t,
			Roots:         ca.Roots,
			Intermediates: ca.Intermediates,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		})
		if err == nil && len(chains) > 0 {
			chain := slices.Clone(chains[0])
			chain[0] = leaf
			// crypto/x509 accepts a leaf without any EKU; Fulcio always writes code signing.
			if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageCodeSigning) {
				return nil, nil, fmt.Errorf("%w (it lists %s)", ErrNoCodeSigningEKU, describeEKU(leaf))
			}
			if err := checkProfile(chain); err != nil {
				return nil, nil, err
			}
			return chain, ca, nil
		}
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.IncompatibleUsage {
			// A path exists, but some certificate on it does not allow code signing.
			usageErr = err
		}
		failures = append(failures, fmt.Sprintf("CA %s (%s): %v", describeAuthority(ca), describeRange(ca.ValidFor), err))
	}
	if usageErr != nil {
		if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageCodeSigning) {
			return nil, nil, fmt.Errorf("%w (it lists %s)", ErrNoCodeSigningEKU, describeEKU(leaf))
		}
		return nil, nil, fmt.Errorf("%w: a CA certificate on the path does not allow code signing: %v", ErrNoCodeSigningEKU, usageErr)
	}
	return nil, nil, fmt.Errorf("%w at %s: %s", ErrUntrustedChain, formatTime(t), strings.Join(failures, "; "))
}

// ProvenCA is a certificate authority of the trusted root whose own chain VerifyChain has
// proven, for a leaf issued by its first certificate, and whose certificates above the first
// constrain no leaf (no name constraints, no extended key usage that excludes code signing).
// Leaves of it can then be checked against its first certificate alone (VerifyIssuedBy): the
// path from there to its root is the same for every such leaf. A batch verifier uses it to
// prove that part of the path once.
type ProvenCA struct {
	ca *trust.Authority
}

// Prove returns a ProvenCA when chain is what VerifyChain returned for ca: the leaf followed by
// exactly ca's chain, and nothing above ca's first certificate constrains the leaf. ok is false
// otherwise.
func Prove(chain []*x509.Certificate, ca *trust.Authority) (p ProvenCA, ok bool) {
	if ca == nil || len(chain) != len(ca.Chain)+1 {
		return ProvenCA{}, false
	}
	for i, c := range ca.Chain {
		if !chain[i+1].Equal(c) {
			return ProvenCA{}, false
		}
		if i > 0 && !constrainsNoLeaf(c) {
			return ProvenCA{}, false
		}
	}
	return ProvenCA{ca: ca}, true
}

// constrainsNoLeaf reports whether c places no constraint on the leaves below it that
// crypto/x509 would check: no name constraints, and no extended key usage without code signing.
func constrainsNoLeaf(c *x509.Certificate) bool {
	if c.PermittedDNSDomainsCritical || len(c.PermittedDNSDomains) > 0 || len(c.ExcludedDNSDomains) > 0 ||
		len(c.PermittedIPRanges) > 0 || len(c.ExcludedIPRanges) > 0 || len(c.PermittedEmailAddresses) > 0 ||
		len(c.ExcludedEmailAddresses) > 0 || len(c.PermittedURIDomains) > 0 || len(c.ExcludedURIDomains) > 0 {
		return false
	}
	if len(c.UnknownExtKeyUsage) > 0 {
		return false
	}
	return len(c.ExtKeyUsage) == 0 || slices.ContainsFunc(c.ExtKeyUsage, func(u x509.ExtKeyUsage) bool {
		return u == x509.ExtKeyUsageAny || u == x509.ExtKeyUsageCodeSigning
	})
}

// VerifyIssuedBy checks leaf at time t against a proven CA, as VerifyChain would, with the
// CA's first certificate as the anchor of path validation: the leaf and that certificate are
// checked by crypto/x509 (signature, validity, key usages), the certificates above it only for
// validity at t, since the rest of their path was proven. It returns the chain (leaf first, the
// CA's chain after it); an error means only that this shortcut does not apply, and the caller
// falls back to VerifyChain.
func (p ProvenCA) VerifyIssuedBy(leaf *x509.Certificate, t time.Time) ([]*x509.Certificate, error) {
	ca := p.ca
	if ca == nil || !ca.ValidFor.Contains(t) {
		return nil, errors.New("the CA is not valid at that time")
	}
	if t.Before(leaf.NotBefore) || t.After(leaf.NotAfter) || leaf.IsCA ||
		!slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageCodeSigning) {
		return nil, errors.New("the leaf is not a code-signing certificate valid at that time")
	}
	for _, c := range ca.Chain[1:] {
		if t.Before(c.NotBefore) || t.After(c.NotAfter) {
			return nil, errors.New("a CA certificate is not valid at that time")
		}
	}
	subject, err := leafForVerify(leaf)
	if err != nil {
		return nil, err
	}
	anchor := x509.NewCertPool()
	anchor.AddCert(ca.Chain[0])
	if _, err := subject.Verify(x509.VerifyOptions{CurrentTime: t, Roots: anchor,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		return nil, err
	}
	chain := append([]*x509.Certificate{leaf}, ca.Chain...)
	if err := checkProfile(chain); err != nil {
		return nil, err
	}
	return chain, nil
}

// checkProfile applies what crypto/x509 leaves out of path validation (it ignores key
// usage): the leaf's key usage includes digitalSignature; every intermediate (the
// certificates between the leaf and the trust anchor) is a CA whose key usage includes
// keyCertSign; and a leaf in Fulcio's profile, one that carries an OIDC issuer extension
// (1.3.6.1.4.1.57264.1.1 or .8), names exactly one subject alternative name of any kind,
// so that no second identity rides along unchecked.
func checkProfile(chain []*x509.Certificate) error {
	leaf := chain[0]
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fmt.Errorf("%w: the signing certificate's key usage lacks digitalSignature", ErrProfile)
	}
	for _, c := range chain[1 : len(chain)-1] {
		if !c.IsCA || c.KeyUsage&x509.KeyUsageCertSign == 0 {
			return fmt.Errorf("%w: intermediate %s is not a CA certificate with keyCertSign key usage", ErrProfile, describeCert(c))
		}
	}
	if HasIssuerExtension(leaf) {
		n, err := countGeneralNames(leaf)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrProfile, err)
		}
		if n != 1 {
			return fmt.Errorf("%w: a Fulcio certificate names exactly one subject alternative name, this one %d", ErrProfile, n)
		}
	}
	return nil
}

// HasIssuerExtension reports whether c names an OIDC issuer (extension .1 or .8, whatever
// its value): such a certificate is in Fulcio's profile.
func HasIssuerExtension(c *x509.Certificate) bool {
	return slices.ContainsFunc(c.Extensions, func(e pkix.Extension) bool {
		return e.Id.Equal(OIDIssuerV1) || e.Id.Equal(OIDIssuerV2)
	})
}

// leafForVerify returns the certificate to hand to x509.Verify. crypto/x509 marks a
// critical SAN extension as unhandled when it holds no name type it knows, which is the
// case for Fulcio's username identities (an otherName). If the extension parses and holds
// such a name, verify a shallow copy without that mark; anything else stays unhandled.
func leafForVerify(leaf *x509.Certificate) (*x509.Certificate, error) {
	if !slices.ContainsFunc(leaf.UnhandledCriticalExtensions, oidSubjectAltName.Equal) {
		return leaf, nil
	}
	names, err := parseSANs(leaf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrustedChain, err)
	}
	if !slices.ContainsFunc(names, func(n sanName) bool { return n.kind == SANTypeOtherName }) {
		return leaf, nil
	}
	c := *leaf
	c.UnhandledCriticalExtensions = slices.DeleteFunc(slices.Clone(leaf.UnhandledCriticalExtensions), oidSubjectAltName.Equal)
	return &c, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func describeRange(r trust.TimeRange) string {
	if r.End.IsZero() {
		return "valid from " + formatTime(r.Start)
	}
	return "valid " + formatTime(r.Start) + " to " + formatTime(r.End)
}

func describeAuthority(ca *trust.Authority) string {
	name := ca.URI
	if name == "" {
		name = ca.Subject
	}
	if name == "" {
		name = ca.Root().Subject.String()
	}
	return fmt.Sprintf("%q", name)
}

func describeCert(c *x509.Certificate) string {
	if s := c.Subject.String(); s != "" {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("with serial %x", c.SerialNumber)
}

func describeEKU(c *x509.Certificate) string {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return "no extended key usage"
	}
	var names []string
	for _, u := range c.ExtKeyUsage {
		names = append(names, ekuName(u))
	}
	for _, o := range c.UnknownExtKeyUsage {
		names = append(names, o.String())
	}
	return strings.Join(names, ", ")
}

func ekuName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageAny:
		return "any"
	case x509.ExtKeyUsageServerAuth:
		return "server auth"
	case x509.ExtKeyUsageClientAuth:
		return "client auth"
	case x509.ExtKeyUsageCodeSigning:
		return "code signing"
	case x509.ExtKeyUsageEmailProtection:
		return "email protection"
	case x509.ExtKeyUsageTimeStamping:
		return "time stamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSP signing"
	}
	return fmt.Sprintf("usage %d", int(u))
}
