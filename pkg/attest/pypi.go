package attest

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// pypiNameRE is a valid Python distribution name (core metadata "Name").
var pypiNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`) })

var pypiSeparators = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[-_.]+`) })

// NormalizePyPIName is the PEP 503 normal form of a Python package name: lower case, every
// run of "-", "_" and "." replaced by one "-". PyPI treats names equal in this form as one.
func NormalizePyPIName(name string) string {
	return strings.ToLower(pypiSeparators().ReplaceAllString(name, "-"))
}

// MaxVersionLength bounds a version string.
const MaxVersionLength = 256

// PEP440 is a parsed Python package version (PEP 440).
type PEP440 struct {
	Epoch   *big.Int
	Release []*big.Int
	Pre     string // "", "a", "b" or "rc"
	PreN    *big.Int
	Post    *big.Int // nil: no post-release
	Dev     *big.Int // nil: no dev release
	Local   []string // lower case; numeric segments compare as numbers
}

// pep440RE is the version pattern of PEP 440 (Appendix B), as packaging.version uses it.
var pep440RE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^\s*v?` +
		`(?:(?P<epoch>[0-9]+)!)?` +
		`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
		`(?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?` +
		`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?` +
		`(?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?` +
		`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$`)
})

// ParsePEP440 parses a Python version as packaging.version.Version does.
func ParsePEP440(s string) (PEP440, error) {
	var v PEP440
	if len(s) > MaxVersionLength {
		return v, fmt.Errorf("version is longer than %d bytes", MaxVersionLength)
	}
	m := pep440RE().FindStringSubmatch(s)
	if m == nil {
		return v, fmt.Errorf("%q is not a valid Python version (PEP 440)", s)
	}
	g := func(name string) string { return m[pep440RE().SubexpIndex(name)] }
	num := func(s string) *big.Int {
		n, _ := new(big.Int).SetString(s, 10) // the pattern admits digits only
		return n
	}
	v.Epoch = big.NewInt(0)
	if e := g("epoch"); e != "" {
		v.Epoch = num(e)
	}
	for _, part := range strings.Split(g("release"), ".") {
		v.Release = append(v.Release, num(part))
	}
	if g("pre") != "" {
		switch strings.ToLower(g("pre_l")) {
		case "alpha", "a":
			v.Pre = "a"
		case "beta", "b":
			v.Pre = "b"
		default: // c, rc, pre, preview
			v.Pre = "rc"
		}
		v.PreN = big.NewInt(0)
		if n := g("pre_n"); n != "" {
			v.PreN = num(n)
		}
	}
	if g("post") != "" {
		v.Post = big.NewInt(0)
		if n := g("post_n1") + g("post_n2"); n != "" {
			v.Post = num(n)
		}
	}
	if g("dev") != "" {
		v.Dev = big.NewInt(0)
		if n := g("dev_n"); n != "" {
			v.Dev = num(n)
		}
	}
	if l := g("local"); l != "" {
		v.Local = strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	}
	// The normal form is what a signer writes: it must parse too ("1-1" grows to "1.post1").
	if len(v.String()) > MaxVersionLength {
		return PEP440{}, fmt.Errorf("version is longer than %d bytes once normalised", MaxVersionLength)
	}
	return v, nil
}

// String is the normalised form of the version (PEP 440 "Normalization"), with the release
// segment as written: 1.0.0 stays 1.0.0.
func (v PEP440) String() string {
	var b strings.Builder
	if v.Epoch.Sign() != 0 {
		fmt.Fprintf(&b, "%s!", v.Epoch)
	}
	for i, r := range v.Release {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(r.String())
	}
	if v.Pre != "" {
		fmt.Fprintf(&b, "%s%s", v.Pre, v.PreN)
	}
	if v.Post != nil {
		fmt.Fprintf(&b, ".post%s", v.Post)
	}
	if v.Dev != nil {
		fmt.Fprintf(&b, ".dev%s", v.Dev)
	}
	if len(v.Local) > 0 {
		local := make([]string, len(v.Local))
		for i, l := range v.Local {
			if n, ok := new(big.Int).SetString(l, 10); ok {
				l = n.String()
			}
			local[i] = l
		}
		fmt.Fprintf(&b, "+%s", strings.Join(local, "."))
	}
	return b.String()
}

// Equal reports whether v and w are the same version under PEP 440: the release segments
// compare with trailing zeros ignored (1.0 == 1.0.0), numbers by value, local segments
// numerically where both are numbers.
func (v PEP440) Equal(w PEP440) bool {
	return v.key() == w.key()
}

func (v PEP440) key() string {
	trimmed := v
	rel := v.Release
	for len(rel) > 1 && rel[len(rel)-1].Sign() == 0 {
		rel = rel[:len(rel)-1]
	}
	trimmed.Release = rel
	return trimmed.String()
}

// Distribution is a parsed Python distribution filename: a wheel (PEP 427) or an sdist
// (.tar.gz or .zip), as packaging.utils.parse_wheel_filename and parse_sdist_filename read them.
type Distribution struct {
	Name    string // PEP 503 normal form
	Version PEP440
	Wheel   bool
	// Build is a wheel's build tag ("" when none); Tags its compatibility tags
	// (interpreter-abi-platform, lower case, sorted, each once).
	Build string
	Tags  []string
}

// MaxFilenameLength bounds a distribution filename.
const MaxFilenameLength = 512

var (
	wheelNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._]*$`) })
	buildTagRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+`) })
)

// ParseDistribution parses a Python distribution filename.
func ParseDistribution(filename string) (*Distribution, error) {
	if len(filename) > MaxFilenameLength {
		return nil, fmt.Errorf("distribution filename is longer than %d bytes", MaxFilenameLength)
	}
	switch {
	case strings.HasSuffix(filename, ".whl"):
		return parseWheel(filename)
	case strings.HasSuffix(filename, ".tar.gz"), strings.HasSuffix(filename, ".zip"):
		return parseSdist(filename)
	}
	return nil, fmt.Errorf("%q is not a Python distribution filename (a .whl, .tar.gz or .zip)", filename)
}

func parseWheel(filename string) (*Distribution, error) {
	stem := strings.TrimSuffix(filename, ".whl")
	dashes := strings.Count(stem, "-")
	if dashes != 4 && dashes != 5 {
		return nil, fmt.Errorf("invalid wheel filename %q: wrong number of parts", filename)
	}
	parts := strings.SplitN(stem, "-", dashes-1)
	if strings.Contains(parts[0], "__") || !wheelNameRE().MatchString(parts[0]) || parts[0] == "" {
		return nil, fmt.Errorf("invalid wheel filename %q: invalid project name", filename)
	}
	v, err := ParsePEP440(parts[1])
	if err != nil {
		return nil, fmt.Errorf("invalid wheel filename %q: %w", filename, err)
	}
	d := &Distribution{Name: NormalizePyPIName(parts[0]), Version: v, Wheel: true}
	if dashes == 5 {
		digits := buildTagRE().FindString(parts[2])
		if digits == "" {
			return nil, fmt.Errorf("invalid wheel filename %q: the build tag %q does not start with a digit", filename, parts[2])
		}
		n, _ := new(big.Int).SetString(digits, 10)
		// packaging compares build tags as (number, rest): 01 and 1 are one build.
		d.Build = n.String() + parts[2][len(digits):]
	}
	tag := strings.Split(parts[len(parts)-1], "-")
	if len(tag) != 3 {
		return nil, fmt.Errorf("invalid wheel filename %q: malformed tags", filename)
	}
	set := map[string]bool{}
	for _, i := range strings.Split(tag[0], ".") {
		for _, a := range strings.Split(tag[1], ".") {
			for _, p := range strings.Split(tag[2], ".") {
				if i == "" || a == "" || p == "" {
					return nil, fmt.Errorf("invalid wheel filename %q: empty tag", filename)
				}
				set[strings.ToLower(i+"-"+a+"-"+p)] = true
				if len(set) > 1024 {
					return nil, fmt.Errorf("invalid wheel filename %q: too many tags", filename)
				}
			}
		}
	}
	for t := range set {
		d.Tags = append(d.Tags, t)
	}
	slices.Sort(d.Tags)
	return d, nil
}

func parseSdist(filename string) (*Distribution, error) {
	stem, ok := strings.CutSuffix(filename, ".tar.gz")
	if !ok {
		stem = strings.TrimSuffix(filename, ".zip")
	}
	i := strings.LastIndex(stem, "-")
	if i < 0 {
		return nil, fmt.Errorf("invalid sdist filename %q: no - between name and version", filename)
	}
	v, err := ParsePEP440(stem[i+1:])
	if err != nil {
		return nil, fmt.Errorf("invalid sdist filename %q: %w", filename, err)
	}
	name := stem[:i]
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return isControlOrSpace(r) || r == '/' }) {
		return nil, fmt.Errorf("invalid sdist filename %q: invalid project name", filename)
	}
	return &Distribution{Name: NormalizePyPIName(name), Version: v}, nil
}

// Equal reports whether two filenames name the same distribution as pypi-attestations
// compares them: normalised name, version under PEP 440, build tag, and the set of wheel tags.
func (d *Distribution) Equal(e *Distribution) bool {
	return d.Name == e.Name && d.Version.Equal(e.Version) && d.Wheel == e.Wheel &&
		d.Build == e.Build && slices.Equal(d.Tags, e.Tags)
}
