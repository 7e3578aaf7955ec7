package attest_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/dsse"
)

func file(t *testing.T, name, content string) dsse.Subject {
	t.Helper()
	s, err := attest.Digest(name, strings.NewReader(content), attest.SHA256, attest.SHA512)
	require.NoError(t, err)
	return s
}

func TestDigest(t *testing.T) {
	s := file(t, "hello.txt", "hello\n")
	s256 := sha256.Sum256([]byte("hello\n"))
	s512 := sha512.Sum512([]byte("hello\n"))
	require.Equal(t, dsse.Subject{Name: "hello.txt", Digest: map[string]string{
		"sha256": hex.EncodeToString(s256[:]), "sha512": hex.EncodeToString(s512[:])}}, s)
	_, err := attest.Digest("x", strings.NewReader(""), "md5")
	require.Error(t, err)
	_, err = attest.Digest("x", strings.NewReader(""))
	require.Error(t, err)
}

func TestNewStatement(t *testing.T) {
	subjects := []dsse.Subject{file(t, "a.txt", "a"), file(t, "b.txt", "b")}
	payload, err := attest.NewStatement("https://example.com/test/v1", json.RawMessage(`{"k": "<v>"}`), subjects)
	require.NoError(t, err)
	st, err := dsse.ParseStatement(payload)
	require.NoError(t, err)
	require.Equal(t, dsse.StatementTypeV1, st.Type)
	require.Equal(t, "https://example.com/test/v1", st.PredicateType)
	require.JSONEq(t, `{"k":"<v>"}`, string(st.Predicate))
	require.Contains(t, string(payload), `"<v>"`, "no HTML escaping")
	require.Equal(t, subjects, st.Subject)

	// Without a predicate, the statement has none.
	payload, err = attest.NewStatement("https://example.com/test/v1", nil, subjects[:1])
	require.NoError(t, err)
	require.NotContains(t, string(payload), "predicate\"")

	// Tampered twins.
	_, err = attest.NewStatement("not a URI", nil, subjects)
	require.ErrorContains(t, err, "absolute URI")
	_, err = attest.NewStatement("https://example.com/test/v1", json.RawMessage(`[1]`), subjects)
	require.ErrorContains(t, err, "JSON object")
	_, err = attest.NewStatement("https://example.com/test/v1", json.RawMessage(`{"k": 1`), subjects)
	require.Error(t, err)
	_, err = attest.NewStatement("https://example.com/test/v1", nil, nil)
	require.ErrorContains(t, err, "no subject")
}

func TestCheckStatement(t *testing.T) {
	const sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	valid := []string{
		`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + sha + `"}}],"predicateType":"https://example.com/p/v1","predicate":{}}`,
		`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"a","digest":{"sha256":"` + sha + `","gitCommit":"abc"}}],"predicateType":"https://example.com/p/v1","predicate":null}`,
		`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + sha + `"}}],"predicateType":"urn:example:p"}`,
	}
	for _, v := range valid {
		_, err := attest.CheckStatement([]byte(v))
		require.NoError(t, err, v)
	}
	invalid := map[string]string{
		"uppercase hex":         `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + strings.ToUpper(sha) + `"}}],"predicateType":"https://example.com/p/v1"}`,
		"short digest":          `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + sha[:62] + `"}}],"predicateType":"https://example.com/p/v1"}`,
		"no SHA-2 digest":       `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"gitCommit":"abc"}}],"predicateType":"https://example.com/p/v1"}`,
		"empty digest":          `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + sha + `","x":""}}],"predicateType":"https://example.com/p/v1"}`,
		"predicate type no URI": `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + sha + `"}}],"predicateType":"provenance"}`,
		"predicate an array":    `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + sha + `"}}],"predicateType":"https://example.com/p/v1","predicate":[]}`,
		"unknown type":          `{"_type":"https://in-toto.io/Statement/v2","subject":[{"name":"a","digest":{"sha256":"` + sha + `"}}],"predicateType":"https://example.com/p/v1"}`,
		"repeated key":          `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + sha + `"}}],"predicateType":"https://example.com/p/v1","predicateType":"https://example.com/p/v2"}`,
		"no subject":            `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://example.com/p/v1"}`,
	}
	for name, v := range invalid {
		_, err := attest.CheckStatement([]byte(v))
		require.Error(t, err, name)
	}
}

// release is the test release: two distributions of signet-demo 1.0.0 for TestPyPI.
func release(t *testing.T) (*attest.Release, dsse.Subject, dsse.Subject) {
	sdist, wheel := file(t, "signet_demo-1.0.0.tar.gz", "sdist"), file(t, "signet_demo-1.0.0-py3-none-any.whl", "wheel")
	r, err := attest.NewRelease("pkg:pypi/Signet.Demo@1.0", "https://test.pypi.org/legacy/", []dsse.Subject{sdist, wheel})
	require.NoError(t, err)
	return r, sdist, wheel
}

func statementOf(t *testing.T, r *attest.Release, predicateType string) (string, *dsse.Statement) {
	t.Helper()
	pt, payload, err := r.Statement(predicateType)
	require.NoError(t, err)
	st, err := dsse.ParseStatement(payload)
	require.NoError(t, err)
	return pt, st
}

func TestReleaseStatement(t *testing.T) {
	r, sdist, wheel := release(t)
	require.Equal(t, "pkg:pypi/signet-demo@1.0", r.Package.String())
	require.Equal(t, attest.RegistryTestPyPI, r.Registry)
	pt, st := statementOf(t, r, "")
	require.Equal(t, attest.PublishPredicateType, pt)
	require.Equal(t, []dsse.Subject{sdist, wheel}, st.Subject)
	require.JSONEq(t, `{"registry":"https://test.pypi.org","package":{"purl":"pkg:pypi/signet-demo","ecosystem":"pypi","name":"signet-demo"},
		"version":"1.0","files":[{"name":"signet_demo-1.0.0.tar.gz"},{"name":"signet_demo-1.0.0-py3-none-any.whl"}]}`, string(st.Predicate))

	// One npm tarball: npm's publish v0.1 shape, with the purl as the subject and its sha512.
	tgz := file(t, "name-1.2.3.tgz", "tarball")
	npm, err := attest.NewRelease("pkg:npm/@Scope/Name@1.2.3", "https://registry.npmjs.org/", []dsse.Subject{tgz})
	require.NoError(t, err)
	pt, st = statementOf(t, npm, "")
	require.Equal(t, attest.NPMPublishPredicateType, pt)
	require.Equal(t, []dsse.Subject{{Name: "pkg:npm/%40scope/name@1.2.3", Digest: map[string]string{"sha512": tgz.Digest["sha512"]}}}, st.Subject)
	require.JSONEq(t, `{"name":"@scope/name","version":"1.2.3","registry":"https://registry.npmjs.org"}`, string(st.Predicate))
	// signet's own shape on request.
	pt, st = statementOf(t, npm, attest.PublishPredicateType)
	require.Equal(t, attest.PublishPredicateType, pt)
	require.Equal(t, "name-1.2.3.tgz", st.Subject[0].Name)
	_, _, err = r.Statement(attest.NPMPublishPredicateType)
	require.ErrorContains(t, err, "exactly one npm package tarball")
	_, _, err = r.Statement("https://slsa.dev/provenance/v1")
	require.Error(t, err)

	// Tampered twins of the release.
	bad := []struct {
		purl, registry string
		files          []dsse.Subject
		msg            string
	}{
		{"pkg:pypi/signet-demo", "https://test.pypi.org", []dsse.Subject{sdist}, "names no version"},
		{"pkg:pypi/signet-demo@one", "https://test.pypi.org", []dsse.Subject{sdist}, "not a valid Python version"},
		{"pkg:pypi/signet-demo@1.0.1", "https://test.pypi.org", []dsse.Subject{sdist}, "is version 1.0.0 of signet-demo, not pkg:pypi/signet-demo@1.0.1"},
		{"pkg:pypi/other@1.0.0", "https://test.pypi.org", []dsse.Subject{sdist}, "not pkg:pypi/other@1.0.0"},
		{"pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org", []dsse.Subject{sdist, sdist}, "two files"},
		{"pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org", nil, "at least one file"},
		{"pkg:pypi/signet-demo@1.0.0", "https://registry.npmjs.org", []dsse.Subject{sdist}, "is a npm registry"},
		{"pkg:pypi/signet-demo@1.0.0", "test.pypi.org", []dsse.Subject{sdist}, "not an http or https URL"},
		{"pkg:npm/name@1.2", "https://registry.npmjs.org", []dsse.Subject{tgz}, "not a semantic version"},
		{"pkg:npm/name@1.2.3", "https://registry.npmjs.org", []dsse.Subject{{Name: "dist/name.tgz", Digest: tgz.Digest}}, "not a plain file name"},
		{"pkg:npm/name@1.2.3", "https://registry.npmjs.org", []dsse.Subject{{Name: "name.tgz", Digest: map[string]string{"sha256": tgz.Digest["sha256"]}}}, "no sha512 digest"},
	}
	for _, b := range bad {
		_, err := attest.NewRelease(b.purl, b.registry, b.files)
		require.ErrorContains(t, err, b.msg, "%s %s", b.purl, b.registry)
	}
}

func TestPublishPolicyCheck(t *testing.T) {
	r, sdist, wheel := release(t)
	_, st := statementOf(t, r, "")
	tgz := file(t, "name-1.2.3.tgz", "tarball")
	npmRelease, err := attest.NewRelease("pkg:npm/@scope/name@1.2.3", "https://registry.npmjs.org", []dsse.Subject{tgz})
	require.NoError(t, err)
	_, npmSt := statementOf(t, npmRelease, "")
	_, npmSignetSt := statementOf(t, npmRelease, attest.PublishPredicateType)
	pypiV1 := &dsse.Statement{Type: dsse.StatementTypeV1, PredicateType: attest.PyPIPublishPredicateType,
		Subject: []dsse.Subject{{Name: sdist.Name, Digest: map[string]string{"sha256": sdist.Digest["sha256"]}}}, Predicate: json.RawMessage("null")}

	cases := []struct {
		name, purl, registry string
		allowUnbound         bool
		st                   *dsse.Statement
		matched              dsse.Subject
		msg                  string // "" for success
		registryChecked      bool
	}{
		{"signet's publish predicate", "pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org/simple/", false, st, wheel, "", true},
		{"another spelling of the package and version", "pkg:pypi/Signet_Demo@1.0", "https://TEST.pypi.org", false, st, sdist, "", true},
		{"another registry", "pkg:pypi/signet-demo@1.0.0", "https://pypi.org", false, st, wheel, "for registry https://test.pypi.org, not https://pypi.org", false},
		{"another package", "pkg:pypi/signet-demos@1.0.0", "https://test.pypi.org", false, st, wheel, "for package pkg:pypi/signet-demo, not pkg:pypi/signet-demos", false},
		{"another version", "pkg:pypi/signet-demo@1.0.1", "https://test.pypi.org", false, st, wheel, "for version 1.0 of pkg:pypi/signet-demo, not version 1.0.1", false},
		{"a file the predicate does not list", "pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org", false, st, file(t, "other.tar.gz", "x"), "do not list", false},
		{"npm's publish predicate", "pkg:npm/%40scope/name@1.2.3", "https://registry.npmjs.org/", false, npmSt, npmSt.Subject[0], "", true},
		{"npm, another registry", "pkg:npm/@scope/name@1.2.3", "https://npm.example.com", false, npmSt, npmSt.Subject[0], "for registry https://registry.npmjs.org, not https://npm.example.com", false},
		{"npm, another scope", "pkg:npm/@other/name@1.2.3", "https://registry.npmjs.org", false, npmSt, npmSt.Subject[0], "for package pkg:npm/%40scope/name, not pkg:npm/%40other/name", false},
		{"npm, another version", "pkg:npm/@scope/name@1.2.4", "https://registry.npmjs.org", false, npmSt, npmSt.Subject[0], "for version 1.2.3", false},
		{"npm in signet's predicate", "pkg:npm/@scope/name@1.2.3", "https://registry.npmjs.org", false, npmSignetSt, npmSignetSt.Subject[0], "", true},
		{"an npm attestation for a PyPI package", "pkg:pypi/name@1.2.3", "https://pypi.org", false, npmSt, npmSt.Subject[0], "for registry https://registry.npmjs.org, not https://pypi.org", false},
		{"PyPI publish v1 binds no registry", "pkg:pypi/signet-demo@1.0.0", "https://pypi.org", false, pypiV1, pypiV1.Subject[0], "binds no registry", false},
		{"PyPI publish v1 accepted unbound", "pkg:pypi/signet-demo@1.0.0", "https://pypi.org", true, pypiV1, pypiV1.Subject[0], "", false},
		{"PyPI publish v1, another version", "pkg:pypi/signet-demo@2.0", "https://pypi.org", true, pypiV1, pypiV1.Subject[0], "for version 1.0.0", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := attest.NewPublishPolicy(c.purl, c.registry)
			require.NoError(t, err)
			p.InsecureAllowUnboundRegistry = c.allowUnbound
			res, err := p.Check(c.st, &c.matched)
			if c.msg != "" {
				require.ErrorContains(t, err, c.msg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.registryChecked, res.RegistryChecked)
			require.Equal(t, c.matched.Name, res.File)
			require.Equal(t, c.st.PredicateType, res.PredicateType)
			if c.registryChecked {
				require.Equal(t, p.Registry, res.Registry)
			} else {
				require.Empty(t, res.Registry)
			}
		})
	}
	p, err := attest.NewPublishPolicy("pkg:pypi/signet-demo@1.0.0", "https://pypi.org")
	require.NoError(t, err)
	_, err = p.Check(pypiV1, &pypiV1.Subject[0])
	require.ErrorIs(t, err, attest.ErrUnboundRegistry)

	// Tampered predicates: each breaks the internal consistency of signet's predicate.
	p, _ = attest.NewPublishPolicy("pkg:pypi/signet-demo@1.0", "https://test.pypi.org")
	edit := func(from, to string) *dsse.Statement {
		c := *st
		c.Predicate = json.RawMessage(strings.Replace(string(st.Predicate), from, to, 1))
		require.NotEqual(t, string(st.Predicate), string(c.Predicate), from)
		return &c
	}
	for _, e := range []struct{ from, to, msg string }{
		{`"registry":"https://test.pypi.org"`, `"registry":"https://test.pypi.org/"`, "not in canonical form"},
		{`"purl":"pkg:pypi/signet-demo"`, `"purl":"pkg:pypi/signet-demo@1.0"`, "without version"},
		{`"ecosystem":"pypi"`, `"ecosystem":"npm"`, "disagrees with ecosystem"},
		{`"name":"signet-demo"`, `"name":"other"`, "disagrees"},
		{`{"name":"signet_demo-1.0.0.tar.gz"},`, ``, "not exactly the statement's subjects"},
		{`"version":"1.0"`, `"version":"1.0","extra":1`, "unknown field"},
		{`"version":"1.0"`, `"version":""`, "no version"},
		{`"version":"1.0"`, `"version":"one"`, "not a valid Python version"},
	} {
		_, err := p.Check(edit(e.from, e.to), &wheel)
		require.ErrorContains(t, err, e.msg, e.from)
	}
	// Tampered npm statements.
	np, _ := attest.NewPublishPolicy("pkg:npm/@scope/name@1.2.3", "https://registry.npmjs.org")
	twoSubjects := *npmSt
	twoSubjects.Subject = append(twoSubjects.Subject, tgz)
	_, err = np.Check(&twoSubjects, &npmSt.Subject[0])
	require.ErrorContains(t, err, "2 subjects")
	otherSubject := *npmSt
	otherSubject.Subject = []dsse.Subject{{Name: "pkg:npm/%40scope/name@1.2.4", Digest: npmSt.Subject[0].Digest}}
	_, err = np.Check(&otherSubject, &otherSubject.Subject[0])
	require.ErrorContains(t, err, "is not the package")
	badRegistry := *npmSt
	badRegistry.Predicate = json.RawMessage(`{"name":"@scope/name","version":"1.2.3","registry":"registry.npmjs.org"}`)
	_, err = np.Check(&badRegistry, &npmSt.Subject[0])
	require.ErrorContains(t, err, "not an http or https URL")
	// Not a publish attestation at all.
	slsa := *st
	slsa.PredicateType = attest.SLSAProvenanceV1
	_, err = p.Check(&slsa, &wheel)
	require.ErrorContains(t, err, "no publish attestation")

	// The policy itself refuses what it cannot check.
	for _, c := range [][2]string{{"pkg:pypi/x", "https://pypi.org"}, {"pkg:pypi/x@1", "pypi.org"}, {"pkg:npm/x@1.0.0", "https://test.pypi.org"}, {"x@1", "https://pypi.org"}} {
		_, err := attest.NewPublishPolicy(c[0], c[1])
		require.Error(t, err, c)
	}
}

// The statement signet writes is stable: the same release gives the same bytes.
func TestReleaseStatementStable(t *testing.T) {
	r, _, _ := release(t)
	_, a, err := r.Statement("")
	require.NoError(t, err)
	_, b, err := r.Statement("")
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, b))
}
