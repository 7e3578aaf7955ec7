package attest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/pkg/attest"
)

func TestParsePURL(t *testing.T) {
	valid := []struct {
		in, typ, ns, name, version, canonical string
	}{
		{"pkg:pypi/Requests@2.32.0", "pypi", "", "requests", "2.32.0", "pkg:pypi/requests@2.32.0"},
		{"pkg:pypi/zope.interface@6.0", "pypi", "", "zope-interface", "6.0", "pkg:pypi/zope-interface@6.0"},
		{"pkg:PYPI/Foo__Bar", "pypi", "", "foo-bar", "", "pkg:pypi/foo-bar"},
		{"pkg:npm/%40Scope/Name@1.0.0", "npm", "@scope", "name", "1.0.0", "pkg:npm/%40scope/name@1.0.0"},
		{"pkg:npm/@scope/name@1.0.0", "npm", "@scope", "name", "1.0.0", "pkg:npm/%40scope/name@1.0.0"},
		{"pkg://npm/left-pad@1.3.0", "npm", "", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"},
		{"pkg:npm/JSONStream@1.3.5", "npm", "", "jsonstream", "1.3.5", "pkg:npm/jsonstream@1.3.5"},
		{"pkg:generic/OpenSSL@3.0.13", "generic", "", "OpenSSL", "3.0.13", "pkg:generic/OpenSSL@3.0.13"},
		{"pkg:maven/org.apache/commons-io@2.0%2B1", "maven", "org.apache", "commons-io", "2.0+1", "pkg:maven/org.apache/commons-io@2.0%2B1"},
	}
	for _, c := range valid {
		t.Run(c.in, func(t *testing.T) {
			p, err := attest.ParsePURL(c.in)
			require.NoError(t, err)
			require.Equal(t, attest.PURL{Type: c.typ, Namespace: c.ns, Name: c.name, Version: c.version}, p)
			require.Equal(t, c.canonical, p.String())
			// The canonical form reads back as itself.
			q, err := attest.ParsePURL(p.String())
			require.NoError(t, err)
			require.Equal(t, p, q)
		})
	}
	// Tampered twins: each breaks one rule of a valid case above.
	invalid := []string{
		"pkg:pypi/requests@2.32.0?repository_url=https://test.pypi.org", // qualifiers
		"pkg:pypi/requests@2.32.0#src",                                  // subpath
		"pypi/requests@2.32.0",                                          // no scheme
		"purl:pypi/requests@2.32.0",                                     // another scheme
		"pkg:pypi",                                                      // no name
		"pkg:pypi/",                                                     // no name
		"pkg:pypi/psf/requests@2.32.0",                                  // PyPI has no namespace
		"pkg:pypi/requests@",                                            // empty version
		"pkg:pypi/req%20uests@2.32.0",                                   // a space
		"pkg:pypi/-requests@2.32.0",                                     // not a Python name
		"pkg:npm/scope/name@1.0.0",                                      // an npm scope needs its @
		"pkg:npm/@sc%20ope/name@1.0.0",                                  // a space in a scope
		"pkg:npm/_private@1.0.0",                                        // npm names do not start with _
		"pkg:npm/.hidden@1.0.0",                                         // or .
		"pkg:1bad/name@1",                                               // a type starts with a letter
		"pkg:npm/left-pad@1.0%0A",                                       // control character in the version
		"pkg:npm/%zz@1.0.0",                                             // bad percent-encoding
		"pkg:generic/" + strings.Repeat("\xfe", 400) + "@1",             // within the limit, but not once percent-encoded
	}
	for _, in := range invalid {
		t.Run("invalid "+in, func(t *testing.T) {
			_, err := attest.ParsePURL(in)
			require.Error(t, err)
		})
	}
}

func TestSameVersion(t *testing.T) {
	cases := []struct {
		typ, a, b string
		same      bool
	}{
		{"pypi", "1.0", "1.0.0", true},
		{"pypi", "1.0.0RC1", "1.0rc1", true},
		{"pypi", "1.0", "1.0.1", false},
		{"pypi", "1.0.post1", "1.0", false},
		{"pypi", "bogus", "bogus", false}, // an invalid version equals nothing
		{"npm", "1.0.0", "1.0.0", true},
		{"npm", "1.0", "1.0.0", false},
		{"npm", "1.0.0", "v1.0.0", false},
	}
	for _, c := range cases {
		require.Equal(t, c.same, attest.SameVersion(c.typ, c.a, c.b), "%s %s %s", c.typ, c.a, c.b)
	}
}

func TestCanonicalRegistry(t *testing.T) {
	// Each group is one registry, whatever the spelling.
	same := map[string][]string{
		attest.RegistryPyPI: {
			"https://pypi.org", "https://pypi.org/", "HTTPS://PyPI.org:443/", "https://pypi.org./",
			"https://pypi.org/simple", "https://pypi.org/simple/", "https://pypi.org:443/simple//",
			"https://upload.pypi.org/legacy/", "https://Upload.PyPI.org/legacy",
		},
		attest.RegistryTestPyPI: {
			"https://test.pypi.org", "https://test.pypi.org/legacy/", "https://test.pypi.org/simple/", "https://TEST.pypi.org:443",
		},
		attest.RegistryNPM:                   {"https://registry.npmjs.org", "https://registry.npmjs.org/", "https://REGISTRY.npmjs.org:443/"},
		"https://npm.example.com:8443/repo":  {"https://npm.example.com:8443/repo/", "https://NPM.example.com:8443/repo"},
		"http://registry.example.com/x":      {"http://registry.example.com:80/x/", "HTTP://registry.example.com/x"},
		"https://registry.example.com/a%20b": {"https://registry.example.com/a%20b/", "https://registry.example.com/a%20b"},
		"https://[2001:db8::1]:8080":         {"https://[2001:DB8::1]:8080/"},
	}
	for want, spellings := range same {
		for _, s := range spellings {
			got, err := attest.CanonicalRegistry(s)
			require.NoError(t, err, s)
			require.Equal(t, want, got, s)
		}
	}
	// Tampered twins: one character away from a known registry, and another registry.
	distinct := map[string]string{
		"http://pypi.org":                 "http://pypi.org",
		"https://pypi.org.evil.example":   "https://pypi.org.evil.example",
		"https://upload.pypi.org":         "https://upload.pypi.org",
		"https://pypi.org/simplex":        "https://pypi.org/simplex",
		"https://pypi.org/SIMPLE":         "https://pypi.org/SIMPLE",
		"https://pypi.org:8443":           "https://pypi.org:8443",
		"https://test.pypi.org/upload":    "https://test.pypi.org/upload",
		"https://registry.npmjs.org/-/v1": "https://registry.npmjs.org/-/v1",
		"https://registry.yarnpkg.com":    "https://registry.yarnpkg.com",
	}
	for in, want := range distinct {
		got, err := attest.CanonicalRegistry(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		for _, known := range []string{attest.RegistryPyPI, attest.RegistryTestPyPI, attest.RegistryNPM} {
			require.NotEqual(t, known, got, in)
		}
	}
	tp, _ := attest.CanonicalRegistry("https://test.pypi.org/legacy/")
	p, _ := attest.CanonicalRegistry("https://upload.pypi.org/legacy/")
	require.NotEqual(t, tp, p, "TestPyPI and PyPI are two registries")

	for _, in := range []string{
		"", "pypi.org", "//pypi.org", "ftp://pypi.org", "file:///srv/pypi", "https://", "https:pypi.org",
		"https://user@pypi.org", "https://user:pw@pypi.org", "https://pypi.org/?", "https://pypi.org/?q=1",
		"https://pypi.org/#top", "https://pypi.org/a/../simple", "https://pypi.org/./simple", "https://pypi.org//simple",
		"https://pypi.org:0", "https://pypi.org:99999", "https://pypi.org:", "https://pypi.org/a%2Fb", " https://pypi.org",
		"https://pypi.org/\n", "http://..", "https://a..b", "https://.pypi.org",
		"https://x.example/" + strings.Repeat("\xd9", 1000), // within the limit, but not once percent-encoded
	} {
		_, err := attest.CanonicalRegistry(in)
		require.Error(t, err, "%q", in)
	}
	// The alias table maps every URL to a registry of one ecosystem, never PyPI's to TestPyPI.
	for _, a := range attest.RegistryAliases() {
		got, err := attest.CanonicalRegistry(a.URL)
		require.NoError(t, err)
		require.Equal(t, a.Identity, got)
	}
}

func TestPEP440(t *testing.T) {
	norm := map[string]string{
		"1.0":              "1.0",
		"v1.0.0-RC1":       "1.0.0rc1",
		" 1.0.0 ":          "1.0.0",
		"1.0.post":         "1.0.post0",
		"1.0-1":            "1.0.post1",
		"1.0.rev2":         "1.0.post2",
		"1!2.0a":           "1!2.0a0",
		"1.0alpha.2":       "1.0a2",
		"2.0-preview-3":    "2.0rc3",
		"1.0.dev":          "1.0.dev0",
		"1.0+Ubuntu-1":     "1.0+ubuntu.1",
		"0.0.4a2":          "0.0.4a2",
		"01.002":           "1.2",
		"1.0b1.post2.dev3": "1.0b1.post2.dev3",
	}
	for in, want := range norm {
		v, err := attest.ParsePEP440(in)
		require.NoError(t, err, in)
		require.Equal(t, want, v.String(), in)
	}
	equal := [][2]string{{"1.0", "1.0.0"}, {"1.0a1", "1.0.0alpha1"}, {"1.0+01", "1.0+1"}, {"0!1", "1.0"}, {"1.0.post0", "1.0-0"}}
	for _, e := range equal {
		a, _ := attest.ParsePEP440(e[0])
		b, _ := attest.ParsePEP440(e[1])
		require.True(t, a.Equal(b), "%s == %s", e[0], e[1])
	}
	// Tampered twins of the equal pairs.
	unequal := [][2]string{{"1.0", "1.0.1"}, {"1.0a1", "1.0a2"}, {"1.0+1", "1.0+2"}, {"1!1", "1.0"}, {"1.0.post0", "1.0"}, {"1.0", "1.0.dev0"}, {"1.0+ubuntu", "1.0"}}
	for _, e := range unequal {
		a, _ := attest.ParsePEP440(e[0])
		b, _ := attest.ParsePEP440(e[1])
		require.False(t, a.Equal(b), "%s != %s", e[0], e[1])
	}
	for _, in := range []string{"", "latest", "1..0", "1.0-beta-x", "1.0+", "1.0_", "v", "1.0 2", "1.0+ubuntu..1",
		strings.Repeat("1.", 126) + "1-1", // 255 bytes, but 259 once normalised (-1 is .post1)
	} {
		_, err := attest.ParsePEP440(in)
		require.Error(t, err, "%q", in)
	}
}

func TestParseDistribution(t *testing.T) {
	valid := []struct {
		file, name, version string
		wheel               bool
		tags                []string
	}{
		{"sampleproject-4.0.0.tar.gz", "sampleproject", "4.0.0", false, nil},
		{"pypi_attestations-0.0.19.tar.gz", "pypi-attestations", "0.0.19", false, nil},
		{"Zope.Interface-6.0.zip", "zope-interface", "6.0", false, nil},
		{"rfc8785-0.1.2-py3-none-any.whl", "rfc8785", "0.1.2", true, []string{"py3-none-any"}},
		{"foo-1.0-1build-py2.py3-none-any.whl", "foo", "1.0", true, []string{"py2-none-any", "py3-none-any"}},
		{"spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "spt3g", "1.0", true,
			[]string{"cp310-cp310-manylinux2014_x86_64", "cp310-cp310-manylinux_2_17_x86_64"}},
	}
	for _, c := range valid {
		d, err := attest.ParseDistribution(c.file)
		require.NoError(t, err, c.file)
		require.Equal(t, c.name, d.Name, c.file)
		require.Equal(t, c.version, d.Version.String(), c.file)
		require.Equal(t, c.wheel, d.Wheel, c.file)
		require.Equal(t, c.tags, d.Tags, c.file)
	}
	for _, f := range []string{
		"sampleproject-4.0.0.tar.bz2", "sampleproject.tar.gz", "-4.0.0.tar.gz", "sampleproject-four.tar.gz",
		"rfc8785-0.1.2-py3-none.whl", "rfc8785-0.1.2-x-y-py3-none-any.whl", "foo__bar-1.0-py3-none-any.whl",
		"foo-1.0-build-py3-none-any.whl", "foo-bar-1.0-py3-none-any.whl", "foo-1.0-py3..-none-any.whl", "foo-1.0-py3-none-any.WHL",
		"fo o-1.0-py3-none-any.whl", "a/b-1.0.tar.gz",
	} {
		_, err := attest.ParseDistribution(f)
		require.Error(t, err, f)
	}
	same := [][2]string{
		{"spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"},
		{"Foo_Bar-1.0.tar.gz", "foo-bar-1.0.0.tar.gz"},
		{"foo-1.0-01-py3-none-any.whl", "foo-1.0-1-PY3-none-any.whl"},
	}
	for _, s := range same {
		a, _ := attest.ParseDistribution(s[0])
		b, _ := attest.ParseDistribution(s[1])
		require.True(t, a.Equal(b), "%s == %s", s[0], s[1])
	}
	// Tampered twins: another name, version, build, tag set, or kind of distribution.
	other := [][2]string{
		{"spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.whl", "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"},
		{"Foo_Bar-1.0.tar.gz", "foo-baz-1.0.tar.gz"},
		{"foo-1.0-1-py3-none-any.whl", "foo-1.0-2-py3-none-any.whl"},
		{"foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz"},
		{"foo-1.0.tar.gz", "foo-1.0.1.tar.gz"},
		{"wrong_name-0.1.2-py3-none-any.whl", "rfc8785-0.1.2-py3-none-any.whl"},
	}
	for _, s := range other {
		a, _ := attest.ParseDistribution(s[0])
		b, _ := attest.ParseDistribution(s[1])
		require.False(t, a.Equal(b), "%s != %s", s[0], s[1])
	}
}
