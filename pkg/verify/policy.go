package verify

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"

	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/trust"
)

// Policy says what a bundle must prove. Its zero value is the strict one: thresholds below
// 1 mean the default of 1, and nothing is skipped unless an Insecure field says so.
type Policy struct {
	// Keyless: the certificate's SAN must match one of Identities and its OIDC issuer one of
	// Issuers, and every Extensions entry must match.
	Identities []Matcher
	Issuers    []Matcher
	Extensions []ExtensionMatcher
	// WithoutIssuer, instead of Issuers, accepts only a certificate that names no OIDC issuer
	// (neither issuer extension): one from an enterprise CA, whose identity is its SAN alone.
	// A certificate that names an issuer then fails: its issuer must be checked.
	WithoutIssuer bool

	// Keys are the keys a bundle with a public key hint instead of a certificate may be
	// signed with. With one key, the bundle must verify with it, whatever its hint says;
	// with several, the bundle's hint must name exactly one of them (TrustedKey.Names).
	Keys []TrustedKey
	// RegistryKeys, when set (and Keys are not), is a registry's key set, such as npm's: a
	// bundle signed with a key (no certificate) names its key by its DSSE key id or its key
	// hint, that key must serve npm:attestations, and it must have been valid at every
	// verified time, of which there must then be one.
	RegistryKeys *attest.KeySet

	// Statement checks. Each, when set, needs a DSSE bundle whose in-toto statement passes
	// it; a message signature fails them. PredicateType is the predicate type the statement
	// must have. Publish requires a publish attestation for its registry, package and version
	// (attest.PublishPolicy.Check). PyPI applies PEP 740's checks for a distribution
	// (attest.PyPIPolicy.Check). Publisher is the PyPI Trusted Publisher the certificate must
	// belong to (attest.Publisher.Verify), in addition to Identities and Issuers.
	PredicateType string
	Publish       *attest.PublishPolicy
	PyPI          *attest.PyPIPolicy
	Publisher     *attest.Publisher

	// Thresholds: distinct transparency logs, CT logs and timestamp authorities whose
	// evidence must verify. Values below 1 mean 1 for logs and CT logs, and 0 for TSAs
	// (a bundle without a log integrated time needs one timestamp regardless).
	TlogThreshold  int
	CTLogThreshold int
	TSAThreshold   int

	// InsecureIgnoreTlog accepts a bundle without verified transparency log evidence
	// (a timestamp is still required). InsecureIgnoreSCT skips the certificate's SCTs.
	InsecureIgnoreTlog bool
	InsecureIgnoreSCT  bool

	// Now is the verifier's clock; zero means time.Now().
	Now time.Time
}

// TrustedKey is a public key trusted to sign bundles (signet verify --key).
type TrustedKey struct {
	Public crypto.PublicKey
	// ID, when set, is one more name by which a bundle's key hint may name the key.
	ID string
	// ValidFor bounds when the key may have signed; its zero value holds at every time. A key
	// with a window verifies a bundle only if every verified time of the bundle (a signed
	// integrated time, an RFC 3161 timestamp) lies inside it, and a bundle without one not
	// at all.
	ValidFor trust.TimeRange
}

// Names are the key hints that name k: its ID, and its SHA-256 fingerprint (of the DER
// SubjectPublicKeyInfo) in hex (as signet writes it), in base64 (as the conformance suite's
// bundles carry it) and as "SHA256:" and unpadded base64 (as npm names its keys).
func (k TrustedKey) Names() ([]string, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	names := []string{hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]),
		"SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])}
	if k.ID != "" {
		names = append(names, k.ID)
	}
	return names, nil
}

func (k TrustedKey) hasWindow() bool { return k.ValidFor != (trust.TimeRange{}) }

// Matcher matches a string exactly, or against an anchored regular expression.
type Matcher struct {
	Exact  string
	Regexp *regexp.Regexp
}

// Exact returns a Matcher for exactly s.
func Exact(s string) Matcher { return Matcher{Exact: s} }

// Regexp compiles pattern anchored at both ends (^(?:pattern)$): users expect
// "https://github.com/org/.*" not to match "https://evil/?https://github.com/org/".
func Regexp(pattern string) (Matcher, error) {
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return Matcher{}, fmt.Errorf("invalid regular expression %q: %w", pattern, err)
	}
	return Matcher{Regexp: re}, nil
}

// Match reports whether s matches.
func (m Matcher) Match(s string) bool {
	if m.Regexp != nil {
		return m.Regexp.MatchString(s)
	}
	return s == m.Exact
}

func (m Matcher) String() string {
	if m.Regexp != nil {
		return m.Regexp.String()
	}
	return fmt.Sprintf("%q", m.Exact)
}

// ExtensionMatcher requires a Fulcio certificate extension to have a value.
type ExtensionMatcher struct {
	Name  string // for messages
	OID   asn1.ObjectIdentifier
	Value Matcher
}

func (p *Policy) tlogThreshold() int  { return max(p.TlogThreshold, 1) }
func (p *Policy) ctlogThreshold() int { return max(p.CTLogThreshold, 1) }
func (p *Policy) tsaThreshold() int   { return max(p.TSAThreshold, 0) }

func (p *Policy) now() time.Time {
	if p.Now.IsZero() {
		return time.Now()
	}
	return p.Now
}
