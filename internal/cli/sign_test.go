package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/dsse"
)

// The statements sign --predicate-type, --publish and --statement would sign, built before
// any identity is asked for.
func TestSignJobs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	sdist, wheel := write("demo-1.0.0.tar.gz", "sdist"), write("demo-1.0.0-py3-none-any.whl", "wheel")
	tgz := write("demo-1.0.0.tgz", "tarball")
	jobs := func(o *signOptions) ([]signJob, error) {
		o.parallel = 1
		if err := o.checkModes(); err != nil {
			return nil, err
		}
		outs, err := o.outputs()
		if err != nil {
			return nil, err
		}
		return o.jobs(outs)
	}
	statement := func(j signJob) *dsse.Statement {
		st, err := dsse.ParseStatement(j.payload)
		require.NoError(t, err)
		return st
	}

	// Every file a subject, with sha256 (and sha512 on request), in one bundle.
	js, err := jobs(&signOptions{files: []string{sdist, wheel}, predicateType: "https://example.com/test/v1",
		subjectDigest: []string{"sha512"}, bundlePath: filepath.Join(dir, "out.json")})
	require.NoError(t, err)
	require.Len(t, js, 1)
	require.Equal(t, filepath.Join(dir, "out.json"), js[0].out)
	st := statement(js[0])
	require.Equal(t, "https://example.com/test/v1", st.PredicateType)
	require.Len(t, st.Subject, 2)
	require.Equal(t, "demo-1.0.0.tar.gz", st.Subject[0].Name)
	require.Len(t, st.Subject[1].Digest, 2)
	require.Empty(t, st.Predicate)

	// One file: its bundle is FILE.sigstore.json.
	js, err = jobs(&signOptions{files: []string{sdist}, predicateType: "https://example.com/test/v1", predicatePath: write("p.json", `{"a": 1}`)})
	require.NoError(t, err)
	require.Equal(t, sdist+".sigstore.json", js[0].out)
	st = statement(js[0])
	require.Equal(t, []string{"sha256"}, st.DigestAlgorithms())
	require.JSONEq(t, `{"a":1}`, string(st.Predicate))

	// A publish attestation: signet's predicate for PyPI, npm's for one npm tarball.
	js, err = jobs(&signOptions{files: []string{sdist, wheel}, publish: true, purl: "pkg:pypi/demo@1.0.0",
		registry: "https://test.pypi.org/legacy/", bundlePath: filepath.Join(dir, "publish.json")})
	require.NoError(t, err)
	st = statement(js[0])
	require.Equal(t, attest.PublishPredicateType, st.PredicateType)
	require.Equal(t, []string{"sha256", "sha512"}, st.DigestAlgorithms())
	require.Contains(t, string(st.Predicate), `"registry":"https://test.pypi.org"`)
	js, err = jobs(&signOptions{files: []string{tgz}, publish: true, purl: "pkg:npm/@scope/demo@1.0.0", registry: "https://registry.npmjs.org/"})
	require.NoError(t, err)
	st = statement(js[0])
	require.Equal(t, attest.NPMPublishPredicateType, st.PredicateType)
	require.Equal(t, "pkg:npm/%40scope/demo@1.0.0", st.Subject[0].Name)
	js, err = jobs(&signOptions{files: []string{tgz}, publish: true, purl: "pkg:npm/@scope/demo@1.0.0", registry: "https://registry.npmjs.org/",
		predicateType: attest.PublishPredicateType})
	require.NoError(t, err)
	require.Equal(t, attest.PublishPredicateType, statement(js[0]).PredicateType)

	// A statement of one's own, with a file it names and one it does not.
	payload, err := attest.NewStatement("https://example.com/test/v1", nil, []dsse.Subject{mustDigest(t, sdist)})
	require.NoError(t, err)
	stPath := write("st.json", string(payload))
	js, err = jobs(&signOptions{statementPath: stPath, files: []string{sdist}})
	require.NoError(t, err)
	require.Equal(t, stPath+".sigstore.json", js[0].out)
	require.Equal(t, payload, js[0].payload)
	_, err = jobs(&signOptions{statementPath: stPath, files: []string{wheel}})
	require.ErrorIs(t, err, errInput)
}

func mustDigest(t *testing.T, path string) dsse.Subject {
	s, err := digestFile(filepath.Base(path), path, []string{attest.SHA256})
	require.NoError(t, err)
	return s
}
