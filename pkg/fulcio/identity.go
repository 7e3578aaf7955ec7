package fulcio

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SAN types an Identity can carry.
const (
	SANTypeEmail     = "email"
	SANTypeURI       = "uri"
	SANTypeOtherName = "othername"
)

// Identity is what a Fulcio certificate says about its subject.
type Identity struct {
	// SAN is the identity: an email address, a URI, or the UTF8String of a Fulcio username
	// (otherName 1.3.6.1.4.1.57264.1.7), exactly as the certificate spells it.
	SAN string `json:"san"`
	// SANType is SANTypeEmail, SANTypeURI or SANTypeOtherName.
	SANType string `json:"sanType"`
	// Issuer is the OIDC issuer: extension .8 (a DER UTF8String) when present, else .1 (raw).
	Issuer     string     `json:"issuer,omitempty"`
	Extensions Extensions `json:"extensions"`
}

// Extensions holds every Fulcio extension under 1.3.6.1.4.1.57264.1 found in a
// certificate (see Fulcio's docs/oid-info.md). Issuer is taken from .8 when present, else
// from .1. The GitHub workflow fields (.2 to .6) are deprecated but still appear in
// certificates issued to GitHub Actions.
type Extensions struct {
	Issuer                              string `json:"issuer,omitempty"`                              // .8, else .1
	GithubWorkflowTrigger               string `json:"githubWorkflowTrigger,omitempty"`               // .2
	GithubWorkflowSHA                   string `json:"githubWorkflowSHA,omitempty"`                   // .3
	GithubWorkflowName                  string `json:"githubWorkflowName,omitempty"`                  // .4
	GithubWorkflowRepository            string `json:"githubWorkflowRepository,omitempty"`            // .5
	GithubWorkflowRef                   string `json:"githubWorkflowRef,omitempty"`                   // .6
	BuildSignerURI                      string `json:"buildSignerURI,omitempty"`                      // .9
	BuildSignerDigest                   string `json:"buildSignerDigest,omitempty"`                   // .10
	RunnerEnvironment                   string `json:"runnerEnvironment,omitempty"`                   // .11
	SourceRepositoryURI                 string `json:"sourceRepositoryURI,omitempty"`                 // .12
	SourceRepositoryDigest              string `json:"sourceRepositoryDigest,omitempty"`              // .13
	SourceRepositoryRef                 string `json:"sourceRepositoryRef,omitempty"`                 // .14
	SourceRepositoryIdentifier          string `json:"sourceRepositoryIdentifier,omitempty"`          // .15
	SourceRepositoryOwnerURI            string `json:"sourceRepositoryOwnerURI,omitempty"`            // .16
	SourceRepositoryOwnerIdentifier     string `json:"sourceRepositoryOwnerIdentifier,omitempty"`     // .17
	BuildConfigURI                      string `json:"buildConfigURI,omitempty"`                      // .18
	BuildConfigDigest                   string `json:"buildConfigDigest,omitempty"`                   // .19
	BuildTrigger                        string `json:"buildTrigger,omitempty"`                        // .20
	RunInvocationURI                    string `json:"runInvocationURI,omitempty"`                    // .21
	SourceRepositoryVisibilityAtSigning string `json:"sourceRepositoryVisibilityAtSigning,omitempty"` // .22
	DeploymentEnvironment               string `json:"deploymentEnvironment,omitempty"`               // .23
}

// OIDs of the Fulcio arc and of the two issuer extensions.
var (
	OIDFulcio    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1}
	OIDIssuerV1  = fulcioOID(1)
	OIDOtherName = fulcioOID(7)
	OIDIssuerV2  = fulcioOID(8)
)

func fulcioOID(arc int) asn1.ObjectIdentifier {
	return append(append(asn1.ObjectIdentifier(nil), OIDFulcio...), arc)
}

// fulcioExtension describes one extension of the Fulcio arc.
type fulcioExtension struct {
	arc   int
	name  string // the JSON name in Extensions
	alias []string
	field func(*Extensions) *string
}

// fulcioExtensions lists the known extensions in OID order. Names are matched after
// normalization (see normalizeName), so "buildSignerURI", "build-signer-uri" and
// "build_signer_uri" are one name.
var fulcioExtensions = []fulcioExtension{
	{1, "issuerV1", []string{"deprecated-issuer", "oidc-issuer-v1"}, func(e *Extensions) *string { return &e.Issuer }},
	{2, "githubWorkflowTrigger", nil, func(e *Extensions) *string { return &e.GithubWorkflowTrigger }},
	{3, "githubWorkflowSHA", nil, func(e *Extensions) *string { return &e.GithubWorkflowSHA }},
	{4, "githubWorkflowName", nil, func(e *Extensions) *string { return &e.GithubWorkflowName }},
	{5, "githubWorkflowRepository", nil, func(e *Extensions) *string { return &e.GithubWorkflowRepository }},
	{6, "githubWorkflowRef", nil, func(e *Extensions) *string { return &e.GithubWorkflowRef }},
	{8, "issuer", []string{"issuerV2", "oidc-issuer"}, func(e *Extensions) *string { return &e.Issuer }},
	{9, "buildSignerURI", nil, func(e *Extensions) *string { return &e.BuildSignerURI }},
	{10, "buildSignerDigest", nil, func(e *Extensions) *string { return &e.BuildSignerDigest }},
	{11, "runnerEnvironment", nil, func(e *Extensions) *string { return &e.RunnerEnvironment }},
	{12, "sourceRepositoryURI", nil, func(e *Extensions) *string { return &e.SourceRepositoryURI }},
	{13, "sourceRepositoryDigest", nil, func(e *Extensions) *string { return &e.SourceRepositoryDigest }},
	{14, "sourceRepositoryRef", nil, func(e *Extensions) *string { return &e.SourceRepositoryRef }},
	{15, "sourceRepositoryIdentifier", nil, func(e *Extensions) *string { return &e.SourceRepositoryIdentifier }},
	{16, "sourceRepositoryOwnerURI", nil, func(e *Extensions) *string { return &e.SourceRepositoryOwnerURI }},
	{17, "sourceRepositoryOwnerIdentifier", nil, func(e *Extensions) *string { return &e.SourceRepositoryOwnerIdentifier }},
	{18, "buildConfigURI", nil, func(e *Extensions) *string { return &e.BuildConfigURI }},
	{19, "buildConfigDigest", nil, func(e *Extensions) *string { return &e.BuildConfigDigest }},
	{20, "buildTrigger", nil, func(e *Extensions) *string { return &e.BuildTrigger }},
	{21, "runInvocationURI", nil, func(e *Extensions) *string { return &e.RunInvocationURI }},
	{22, "sourceRepositoryVisibilityAtSigning", nil, func(e *Extensions) *string { return &e.SourceRepositoryVisibilityAtSigning }},
	{23, "deploymentEnvironment", nil, func(e *Extensions) *string { return &e.DeploymentEnvironment }},
}

// maxExtensionValue bounds a decoded extension value; real values are short URIs and digests.
const maxExtensionValue = 8 << 10

// fulcioArc returns N for an OID 1.3.6.1.4.1.57264.1.N, or 0.
func fulcioArc(oid asn1.ObjectIdentifier) int {
	if len(oid) != len(OIDFulcio)+1 || !oid[:len(OIDFulcio)].Equal(OIDFulcio) || oid[len(OIDFulcio)] <= 0 {
		return 0
	}
	return oid[len(OIDFulcio)]
}

// decodeExtension decodes the value of Fulcio extension .arc: .1 to .6 are the raw
// string bytes, .8 onward a DER UTF8String (Fulcio's docs/oid-info.md).
func decodeExtension(arc int, value []byte) (string, error) {
	if len(value) > maxExtensionValue {
		return "", fmt.Errorf("value is %d bytes, more than %d", len(value), maxExtensionValue)
	}
	switch {
	case arc >= 1 && arc <= 6:
		if !utf8.Valid(value) {
			return "", errors.New("value is not valid UTF-8")
		}
		return string(value), nil
	case arc >= 8:
		var raw asn1.RawValue
		rest, err := asn1.Unmarshal(value, &raw)
		if err != nil {
			return "", fmt.Errorf("value is not DER: %v", err)
		}
		if len(rest) != 0 {
			return "", errors.New("value has trailing data after the DER string")
		}
		if raw.Class != asn1.ClassUniversal || raw.Tag != asn1.TagUTF8String || raw.IsCompound {
			return "", fmt.Errorf("value is not a DER UTF8String (class %d, tag %d)", raw.Class, raw.Tag)
		}
		if !utf8.Valid(raw.Bytes) {
			return "", errors.New("value is not valid UTF-8")
		}
		return string(raw.Bytes), nil
	}
	return "", fmt.Errorf("1.3.6.1.4.1.57264.1.%d is not a certificate extension", arc)
}

// IdentityFromCertificate reads the subject identity and the Fulcio extensions of cert.
// It checks nothing about trust: call VerifyChain first. It fails if the certificate has
// no email, URI or Fulcio username SAN, more than one of them, a Fulcio extension whose
// value is malformed, or both issuer extensions (.1 and .8) with different values.
func IdentityFromCertificate(cert *x509.Certificate) (*Identity, error) {
	if cert == nil {
		return nil, errors.New("no certificate")
	}
	names, err := parseSANs(cert)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("certificate has no email, URI or Fulcio username subject alternative name")
	}
	if len(names) > 1 {
		kinds := make([]string, len(names))
		for i, n := range names {
			kinds[i] = n.kind
		}
		return nil, fmt.Errorf("%w: certificate has %d subject alternative names (%s); a Fulcio certificate has exactly one",
			ErrSeveralSubjects, len(names), strings.Join(kinds, ", "))
	}
	id := &Identity{SAN: names[0].value, SANType: names[0].kind}

	var issuerV1, issuerV2 string
	var haveV1, haveV2 bool
	for _, ext := range cert.Extensions {
		arc := fulcioArc(ext.Id)
		if arc == 0 {
			continue
		}
		fe := extensionByArc(arc)
		if fe == nil {
			continue // .7 (a SAN type, not an extension) or an extension newer than this code
		}
		v, err := decodeExtension(arc, ext.Value)
		if err != nil {
			return nil, fmt.Errorf("malformed Fulcio extension %s (%s): %w", ext.Id, fe.name, err)
		}
		switch arc {
		case 1:
			issuerV1, haveV1 = v, true
		case 8:
			issuerV2, haveV2 = v, true
		default:
			*fe.field(&id.Extensions) = v
		}
	}
	// Fulcio writes one token's issuer into both; two different values would be read one way
	// by a client that takes .1 and another way by one that takes .8.
	if haveV1 && haveV2 && issuerV1 != issuerV2 {
		return nil, fmt.Errorf("certificate's OIDC issuer extensions disagree: %q in %s, %q in %s", issuerV1, OIDIssuerV1, issuerV2, OIDIssuerV2)
	}
	switch {
	case haveV2:
		id.Issuer = issuerV2
	case haveV1:
		id.Issuer = issuerV1
	}
	id.Extensions.Issuer = id.Issuer
	return id, nil
}

func extensionByArc(arc int) *fulcioExtension {
	for i := range fulcioExtensions {
		if fulcioExtensions[i].arc == arc {
			return &fulcioExtensions[i]
		}
	}
	return nil
}

// normalizeName folds a user-facing extension name: lower case, without '-' or '_'.
func normalizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if r == '-' || r == '_' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ExtensionByName maps a user-facing name to its OID for policy flags. It accepts the
// lowerCamelCase JSON names of Extensions ("buildSignerURI"), kebab-case and snake_case
// variants ("build-signer-uri"), cosign's names for the GitHub extensions
// ("github-workflow-trigger", "github-workflow-sha", "github-workflow-name",
// "github-workflow-repository", "github-workflow-ref") and dotted OIDs under
// 1.3.6.1.4.1.57264.1 ("1.3.6.1.4.1.57264.1.9"); a dotted OID from .8 on need not be known
// yet, since every later extension is a DER UTF8String. "issuer" is .8; the deprecated raw
// issuer .1 is "issuerV1" (Identity.Issuer already falls back from .8 to .1).
func ExtensionByName(name string) (asn1.ObjectIdentifier, bool) {
	name = strings.TrimSpace(name)
	if name != "" && name[0] >= '0' && name[0] <= '9' {
		prefix := OIDFulcio.String() + "."
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			return nil, false
		}
		arc, err := strconv.Atoi(rest)
		if err != nil || strconv.Itoa(arc) != rest || arc <= 0 || arc == 7 || arc > 1<<20 {
			return nil, false
		}
		return fulcioOID(arc), true
	}
	n := normalizeName(name)
	if n == "" {
		return nil, false
	}
	for _, fe := range fulcioExtensions {
		if normalizeName(fe.name) == n {
			return fulcioOID(fe.arc), true
		}
		for _, a := range fe.alias {
			if normalizeName(a) == n {
				return fulcioOID(fe.arc), true
			}
		}
	}
	return nil, false
}

// ExtensionValue returns the decoded string value of the Fulcio extension oid in cert:
// the raw string for .1 to .6, the DER UTF8String for .8 onward. ok is false when cert
// does not carry the extension; err is set when oid is not a Fulcio extension or the value
// is malformed.
func ExtensionValue(cert *x509.Certificate, oid asn1.ObjectIdentifier) (value string, ok bool, err error) {
	arc := fulcioArc(oid)
	if arc == 0 || arc == 7 {
		return "", false, fmt.Errorf("%s is not a Fulcio certificate extension", oid)
	}
	if cert == nil {
		return "", false, errors.New("no certificate")
	}
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oid) {
			v, err := decodeExtension(arc, ext.Value)
			if err != nil {
				return "", false, fmt.Errorf("malformed Fulcio extension %s: %w", oid, err)
			}
			return v, true, nil
		}
	}
	return "", false, nil
}

// sanExtension returns the value of cert's one SubjectAltName extension, as a parsed
// SEQUENCE OF GeneralName; ok is false when there is none.
func sanExtension(cert *x509.Certificate) (seq asn1.RawValue, ok bool, err error) {
	var ext []byte
	for _, e := range cert.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			if ok {
				return seq, false, errors.New("certificate has two subject alternative name extensions")
			}
			ext, ok = e.Value, true
		}
	}
	if !ok {
		return seq, false, nil
	}
	rest, err := asn1.Unmarshal(ext, &seq)
	if err != nil {
		return seq, false, fmt.Errorf("malformed subject alternative name extension: %v", err)
	}
	if len(rest) != 0 || seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return seq, false, errors.New("malformed subject alternative name extension: not a single SEQUENCE")
	}
	return seq, true, nil
}

// countGeneralNames counts the GeneralNames of every kind in cert's SubjectAltName.
func countGeneralNames(cert *x509.Certificate) (int, error) {
	seq, ok, err := sanExtension(cert)
	if err != nil || !ok {
		return 0, err
	}
	n := 0
	for b := seq.Bytes; len(b) > 0; n++ {
		if n >= maxSANEntries {
			return 0, fmt.Errorf("subject alternative name extension has more than %d entries", maxSANEntries)
		}
		var gn asn1.RawValue
		if b, err = asn1.Unmarshal(b, &gn); err != nil {
			return 0, fmt.Errorf("malformed subject alternative name: %v", err)
		}
	}
	return n, nil
}

// ErrSeveralSubjects: the certificate names more than one subject (email, URI or username
// SAN), which a Fulcio certificate never does. A certificate of another CA may
// (SubjectNames).
var ErrSeveralSubjects = errors.New("several subjects")

// SubjectName is one subject a certificate names: an email, URI or Fulcio username SAN.
type SubjectName struct {
	Type, Value string
}

// SubjectNames lists the subjects cert names (email, URI and Fulcio username SANs, byte for
// byte, in order), for certificates of a CA other than Fulcio, which may name several.
func SubjectNames(cert *x509.Certificate) ([]SubjectName, error) {
	names, err := parseSANs(cert)
	if err != nil {
		return nil, err
	}
	out := make([]SubjectName, len(names))
	for i, n := range names {
		out[i] = SubjectName{Type: n.kind, Value: n.value}
	}
	return out, nil
}

// sanName is one identity-bearing entry of a SubjectAltName extension.
type sanName struct {
	kind  string
	value string
}

// maxSANEntries bounds the GeneralNames a SAN extension may hold.
const maxSANEntries = 64

// parseSANs reads the email (rfc822Name), URI and Fulcio username (otherName
// 1.3.6.1.4.1.57264.1.7) entries of cert's SubjectAltName extension, byte for byte as
// encoded (crypto/x509 re-serializes URIs through net/url). Other name types are skipped.
func parseSANs(cert *x509.Certificate) ([]sanName, error) {
	seq, ok, err := sanExtension(cert)
	if err != nil || !ok {
		return nil, err
	}
	var names []sanName
	for b, n := seq.Bytes, 0; len(b) > 0; n++ {
		if n >= maxSANEntries {
			return nil, fmt.Errorf("subject alternative name extension has more than %d entries", maxSANEntries)
		}
		var gn asn1.RawValue
		b, err = asn1.Unmarshal(b, &gn)
		if err != nil {
			return nil, fmt.Errorf("malformed subject alternative name: %v", err)
		}
		if gn.Class != asn1.ClassContextSpecific {
			return nil, fmt.Errorf("malformed subject alternative name: entry of class %d", gn.Class)
		}
		switch gn.Tag {
		case 0: // otherName
			if !gn.IsCompound {
				return nil, errors.New("malformed subject alternative name: primitive otherName")
			}
			v, ok, err := parseOtherName(gn.Bytes)
			if err != nil {
				return nil, err
			}
			if ok {
				names = append(names, sanName{SANTypeOtherName, v})
			}
		case 1, 6: // rfc822Name, uniformResourceIdentifier: IA5String, implicitly tagged
			if gn.IsCompound {
				return nil, errors.New("malformed subject alternative name: constructed email or URI")
			}
			if !isIA5(gn.Bytes) {
				return nil, errors.New("malformed subject alternative name: email or URI is not an IA5String")
			}
			kind := SANTypeEmail
			if gn.Tag == 6 {
				kind = SANTypeURI
			}
			if len(gn.Bytes) == 0 {
				return nil, fmt.Errorf("malformed subject alternative name: empty %s", kind)
			}
			names = append(names, sanName{kind, string(gn.Bytes)})
		}
	}
	return names, nil
}

// parseOtherName parses the inside of an otherName, SEQUENCE { type-id OID, value [0]
// EXPLICIT ANY }, and returns the UTF8String value when type-id is the Fulcio username OID.
func parseOtherName(b []byte) (string, bool, error) {
	var id asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(b, &id)
	if err != nil {
		return "", false, fmt.Errorf("malformed otherName subject alternative name: %v", err)
	}
	var wrapped asn1.RawValue
	rest, err = asn1.Unmarshal(rest, &wrapped)
	if err != nil {
		return "", false, fmt.Errorf("malformed otherName subject alternative name: %v", err)
	}
	if len(rest) != 0 || wrapped.Class != asn1.ClassContextSpecific || wrapped.Tag != 0 || !wrapped.IsCompound {
		return "", false, errors.New("malformed otherName subject alternative name: value is not [0] EXPLICIT")
	}
	if !id.Equal(OIDOtherName) {
		return "", false, nil
	}
	var s asn1.RawValue
	rest, err = asn1.Unmarshal(wrapped.Bytes, &s)
	if err != nil {
		return "", false, fmt.Errorf("malformed Fulcio username: %v", err)
	}
	if len(rest) != 0 || s.Class != asn1.ClassUniversal || s.Tag != asn1.TagUTF8String || s.IsCompound {
		return "", false, errors.New("malformed Fulcio username: not a single UTF8String")
	}
	if len(s.Bytes) == 0 || !utf8.Valid(s.Bytes) {
		return "", false, errors.New("malformed Fulcio username: empty or not UTF-8")
	}
	return string(s.Bytes), true, nil
}

func isIA5(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
