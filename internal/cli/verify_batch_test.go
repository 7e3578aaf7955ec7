package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/shareddata"
)

// TestVerifyProgress: on a terminal, verifying more than a handful of files redraws one
// progress line on stderr; not with --output json, not when stderr is no terminal, and not
// for a handful.
func TestVerifyProgress(t *testing.T) {
	conf := shareddata.Dir(t, "conformance")
	art, err := os.ReadFile(filepath.Join(conf, "a.txt"))
	require.NoError(t, err)
	bundle, err := os.ReadFile(filepath.Join(conf, "bundle-verify", "happy-path-v0.3", "bundle.sigstore.json"))
	require.NoError(t, err)
	dir := t.TempDir()
	var files []string
	for i := range progressThreshold + 3 {
		f := filepath.Join(dir, fmt.Sprintf("f%d.txt", i))
		require.NoError(t, os.WriteFile(f, art, 0o644))
		require.NoError(t, os.WriteFile(f+".sigstore.json", bundle, 0o644))
		files = append(files, f)
	}
	run := func(tty bool, extra []string, files []string) (string, int) {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Now: time.Now, ProgressTTY: tty,
			Getenv: func(k string) string { return map[string]string{envOffline: "1", envTUFCache: t.TempDir()}[k] }}
		args := append([]string{"verify", "--jobs", "2",
			"--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
			"--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"}, extra...)
		code := Main(append(args, files...), env)
		return errb.String(), code
	}
	stderr, code := run(true, nil, files)
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stderr, "\r\033[K[1/8] verified, 0 failed, ")
	require.Contains(t, stderr, "\r\033[K[7/8] verified, 0 failed, ")
	require.NotContains(t, stderr, "[8/8]", "the last result replaces the progress line")
	require.Equal(t, 8, strings.Count(stderr, "signet: verified "+dir), "one line per file")

	for name, c := range map[string]struct {
		tty   bool
		extra []string
		files []string
	}{
		"not a terminal": {false, nil, files},
		"JSON":           {true, []string{"-o", "json"}, files},
		"a handful":      {true, nil, files[:progressThreshold]},
	} {
		stderr, code := run(c.tty, c.extra, c.files)
		require.Equal(t, ExitOK, code, name)
		require.NotContains(t, stderr, "\r", name)
	}
}
