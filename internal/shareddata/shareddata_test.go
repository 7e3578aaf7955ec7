package shareddata_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/shareddata"
)

// Find the conformance cases in a shared directory named by SIGNET_SHARED_DIR.
func Example() {
	dir, err := os.MkdirTemp("", "shared")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Join(dir, "conformance", "bundle-verify"), 0o755); err != nil {
		panic(err)
	}
	old, had := os.LookupEnv(shareddata.EnvDir)
	os.Setenv(shareddata.EnvDir, dir)
	defer func() {
		if had {
			os.Setenv(shareddata.EnvDir, old)
		} else {
			os.Unsetenv(shareddata.EnvDir)
		}
	}()

	cases := shareddata.Dir(&testing.T{}, "conformance", "bundle-verify")
	fmt.Println(strings.TrimPrefix(cases, dir))
	// Output: /conformance/bundle-verify
}

func TestRootDefault(t *testing.T) {
	t.Setenv(shareddata.EnvDir, "")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	// This package lives in <repo>/internal/shareddata.
	want := filepath.Join(wd, "..", "..", "..", "shared")
	if got := shareddata.Root(); got != filepath.Clean(want) {
		t.Errorf("Root() = %q, want %q", got, want)
	}
}

func TestRootRelative(t *testing.T) {
	t.Setenv(shareddata.EnvDir, "some/dir")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(wd, "..", "..", "some", "dir")
	if got := shareddata.Root(); got != filepath.Clean(want) {
		t.Errorf("Root() = %q, want %q", got, want)
	}
}

func TestDirFound(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(shareddata.EnvDir, dir)
	if got, want := shareddata.Dir(t, "a.txt"), filepath.Join(dir, "a.txt"); got != want {
		t.Errorf("Dir = %q, want %q", got, want)
	}
}

// recorder is a testing.TB that records Skip and Fatal instead of stopping the goroutine.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...) }

func TestDirAbsent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	t.Setenv(shareddata.EnvDir, dir)

	t.Setenv(shareddata.EnvRequire, "")
	r := &recorder{TB: t}
	shareddata.Dir(r, "conformance")
	if r.failed != "" || !strings.Contains(r.skipped, filepath.Join(dir, "conformance")) || !strings.Contains(r.skipped, shareddata.EnvDir) {
		t.Errorf("absent data: skipped %q, failed %q", r.skipped, r.failed)
	}

	t.Setenv(shareddata.EnvRequire, "1")
	r = &recorder{TB: t}
	shareddata.Dir(r, "conformance")
	if r.skipped != "" || !strings.Contains(r.failed, filepath.Join(dir, "conformance")) || !strings.Contains(r.failed, shareddata.EnvRequire+"=1") {
		t.Errorf("absent data with %s=1: skipped %q, failed %q", shareddata.EnvRequire, r.skipped, r.failed)
	}
}
