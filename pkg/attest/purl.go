package attest

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// MaxPURLLength bounds a package URL, from a flag or from a signed statement.
const MaxPURLLength = 1024

// PURL is a parsed package URL (github.com/package-url/purl-spec), normalised for its
// ecosystem: for pypi the name is the PEP 503 normal form (lower case, runs of -_. as one -);
// for npm the scope (namespace, "@scope") and name are lower case. Other types keep their
// names as written. Qualifiers and subpaths are refused: signet binds packages and versions,
// nothing finer.
type PURL struct {
	Type      string // lower case: "pypi", "npm", ...
	Namespace string // segments joined with "/"; for npm the scope with its "@"
	Name      string
	Version   string // as written (percent-decoded); empty when the purl names no version
}

var purlTypeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9.+-]*$`) })

// npmNameRE is what an npm package or scope name may hold once lower-cased: npm's URL-safe
// characters (validate-npm-package-name), never starting with "." or "_".
var npmNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9~!*'()-][a-z0-9._~!*'()-]*$`) })

// ParsePURL parses and normalises a package URL such as pkg:pypi/Requests@2.32.0 or
// pkg:npm/%40scope/name@1.0.0 (pkg:npm/@scope/name@1.0.0 is read the same way).
func ParsePURL(s string) (PURL, error) {
	var p PURL
	if len(s) > MaxPURLLength {
		return p, fmt.Errorf("package URL is longer than %d bytes", MaxPURLLength)
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(scheme, "pkg") {
		return p, fmt.Errorf("package URL %q does not start with pkg:", s)
	}
	if strings.ContainsAny(rest, "?#") {
		return p, fmt.Errorf("package URL %q has qualifiers or a subpath; signet binds a package and a version only", s)
	}
	rest = strings.TrimLeft(rest, "/")
	typ, rest, ok := strings.Cut(rest, "/")
	typ = strings.ToLower(typ)
	if !ok || !purlTypeRE().MatchString(typ) {
		return p, fmt.Errorf("package URL %q has no valid type (pkg:TYPE/NAME@VERSION)", s)
	}
	p.Type = typ
	// The version follows the last "@" after the last "/": an npm scope may be written
	// with a literal "@".
	if at := strings.LastIndex(rest, "@"); at > strings.LastIndex(rest, "/") {
		v, err := url.PathUnescape(rest[at+1:])
		if err != nil || v == "" {
			return p, fmt.Errorf("package URL %q has an empty or malformed version", s)
		}
		p.Version = v
		rest = rest[:at]
	}
	var segs []string
	for _, seg := range strings.Split(rest, "/") {
		if seg == "" {
			continue
		}
		d, err := url.PathUnescape(seg)
		if err != nil || d == "" || strings.Contains(d, "/") {
			return p, fmt.Errorf("package URL %q has a malformed segment %q", s, seg)
		}
		segs = append(segs, d)
	}
	if len(segs) == 0 {
		return p, fmt.Errorf("package URL %q names no package", s)
	}
	p.Name = segs[len(segs)-1]
	p.Namespace = strings.Join(segs[:len(segs)-1], "/")
	if err := p.normalise(); err != nil {
		return PURL{}, fmt.Errorf("package URL %q: %w", s, err)
	}
	if strings.ContainsFunc(p.Version, isControlOrSpace) {
		return PURL{}, fmt.Errorf("package URL %q: the version holds spaces or control characters", s)
	}
	// The canonical form is what a signer writes into a statement: it must parse too.
	if len(p.String()) > MaxPURLLength {
		return PURL{}, fmt.Errorf("package URL is longer than %d bytes once percent-encoded", MaxPURLLength)
	}
	return p, nil
}

func isControlOrSpace(r rune) bool { return r <= ' ' || r == 0x7f }

func (p *PURL) normalise() error {
	if strings.ContainsFunc(p.Name+p.Namespace, isControlOrSpace) {
		return errors.New("the name holds spaces or control characters")
	}
	switch p.Type {
	case "pypi":
		if p.Namespace != "" {
			return errors.New("PyPI packages have no namespace")
		}
		if !pypiNameRE().MatchString(p.Name) {
			return fmt.Errorf("%q is not a valid Python package name", p.Name)
		}
		p.Name = NormalizePyPIName(p.Name)
	case "npm":
		p.Name = strings.ToLower(p.Name)
		p.Namespace = strings.ToLower(p.Namespace)
		if p.Namespace != "" {
			scope, ok := strings.CutPrefix(p.Namespace, "@")
			if !ok || !npmNameRE().MatchString(scope) {
				return fmt.Errorf("npm scope %q must be @ and a valid name", p.Namespace)
			}
		}
		if !npmNameRE().MatchString(p.Name) || len(p.FullName()) > 214 {
			return fmt.Errorf("%q is not a valid npm package name", p.Name)
		}
	}
	return nil
}

// FullName is the package's name with its namespace: for npm "@scope/name" as npm writes
// it, "name" without a scope.
func (p PURL) FullName() string {
	if p.Namespace == "" {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// Package is the purl without its version, in canonical form.
func (p PURL) Package() string {
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(p.Type)
	b.WriteByte('/')
	if p.Namespace != "" {
		for _, seg := range strings.Split(p.Namespace, "/") {
			b.WriteString(purlEscape(seg))
			b.WriteByte('/')
		}
	}
	b.WriteString(purlEscape(p.Name))
	return b.String()
}

// String is the canonical purl, with its version when it has one.
func (p PURL) String() string {
	if p.Version == "" {
		return p.Package()
	}
	return p.Package() + "@" + purlEscape(p.Version)
}

// SamePackage reports whether p and q name the same package (type, namespace and name, as
// normalised), whatever their versions.
func (p PURL) SamePackage(q PURL) bool {
	return p.Type == q.Type && p.Namespace == q.Namespace && p.Name == q.Name
}

// purlEscape percent-encodes everything but unreserved characters (RFC 3986), so that "@"
// in an npm scope becomes %40 as the purl specification requires.
func purlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// SameVersion reports whether two versions of a package of ecosystem typ are one version:
// equal under PEP 440 for pypi (1.0 and 1.0.0 are one version there), byte for byte otherwise.
func SameVersion(typ, a, b string) bool {
	if typ == "pypi" {
		va, err1 := ParsePEP440(a)
		vb, err2 := ParsePEP440(b)
		return err1 == nil && err2 == nil && va.Equal(vb)
	}
	return a == b
}

// checkVersion refuses a version that its ecosystem would not publish.
func checkVersion(typ, v string) error {
	switch typ {
	case "pypi":
		if _, err := ParsePEP440(v); err != nil {
			return err
		}
	case "npm":
		if !semverRE().MatchString(v) {
			return fmt.Errorf("%q is not a semantic version (npm versions are MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])", v)
		}
	}
	return nil
}

// semverRE is semver.org's regular expression for a version.
var semverRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
		`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
		`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
})
