// Package shareddata locates the third-party test data that signet's tests read where it
// lies instead of keeping copies in the repository: the Sigstore conformance cases
// (conformance/bundle-verify and conformance/pending) and the real-world bundle corpus
// (corpus/). It owns that lookup and nothing else; only tests import it. It trusts the
// directory to hold what its READMEs describe, and checks only that a path exists.
//
// The shared directory is $SIGNET_SHARED_DIR when set (relative to the repository root), else
// "shared" beside the repository root (../shared). When the data is absent a test is skipped, or fails when
// SIGNET_REQUIRE_SHARED=1 (as in CI), so that missing data never passes unnoticed there.
package shareddata

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Environment variables read by Root and Dir.
const (
	// EnvDir names the shared data directory, overriding ../shared beside the repository.
	EnvDir = "SIGNET_SHARED_DIR"
	// EnvRequire set to 1 turns a missing path into a test failure instead of a skip.
	EnvRequire = "SIGNET_REQUIRE_SHARED"
)

// Root returns the shared data directory: $SIGNET_SHARED_DIR (a relative path is taken from
// the repository root, since each package's tests run in its own directory), else ../shared
// beside the repository root. It does not check that the directory exists.
func Root() string {
	d := os.Getenv(EnvDir)
	if d == "" {
		d = filepath.Join("..", "shared")
	}
	if !filepath.IsAbs(d) {
		d = filepath.Join(repoRoot(), d)
	}
	return d
}

// Dir returns Root joined with elem (a directory or a file). When that path does not
// exist it skips tb, or fails it when SIGNET_REQUIRE_SHARED=1, naming the path tried.
func Dir(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Root()}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		msg := "shared test data not found at " + p
		if !errors.Is(err, fs.ErrNotExist) {
			msg = "shared test data unreadable: " + err.Error()
		}
		msg += " (set " + EnvDir + " to the shared directory; the default is ../shared beside the repository)"
		if os.Getenv(EnvRequire) == "1" {
			tb.Fatal(msg + "; failing since " + EnvRequire + "=1")
		} else {
			tb.Skip(msg)
		}
	}
	return p
}

// repoRoot is the module root: two directories above this source file, or, when the
// binary was built with -trimpath and the file name is not a path, the nearest directory
// above the working directory that holds a go.mod.
func repoRoot() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		return filepath.Dir(filepath.Dir(filepath.Dir(file)))
	}
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
