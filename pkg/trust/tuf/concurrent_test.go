package tuf_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/pkg/trust/tuf"
)

// Processes and goroutines fetching at once on one cache: one of them refreshes, the others
// wait for its lock and then find the cache fresh; forced refreshes take turns; the cache
// ends whole and verifying, with no temporary files left.
func TestConcurrentRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	e := newEnv(t)
	rootFile := filepath.Join(t.TempDir(), "root.json")
	require.NoError(t, os.WriteFile(rootFile, e.inst.Root, 0o600))
	// A slow timestamp keeps the first refresh going while the others arrive.
	var delay atomic.Int64
	delay.Store(int64(500 * time.Millisecond))
	e.repo.ServeFunc("timestamp.json", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(delay.Load()))
		_, _ = w.Write(e.repo.File("timestamp.json"))
	})

	run := func(forced bool) []string {
		const procs, goroutines = 3, 3
		var mu sync.Mutex
		var sources []string
		var errs []error
		var wg sync.WaitGroup
		for range procs {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFetch$", "-test.count=1")
			cmd.Env = append(os.Environ(), "SIGNET_TUF_HELPER=1", "SIGNET_TUF_URL="+e.repo.URL(),
				"SIGNET_TUF_ROOT="+rootFile, "SIGNET_TUF_CACHE="+e.cache, "SIGNET_TUF_NOW="+e.now.Format(time.RFC3339),
				fmt.Sprintf("SIGNET_TUF_FORCE=%t", forced))
			wg.Go(func() {
				out, err := cmd.CombinedOutput()
				i := strings.Index(string(out), "source=")
				mu.Lock()
				defer mu.Unlock()
				if err != nil || i < 0 {
					errs = append(errs, fmt.Errorf("helper process: %v: %s", err, out))
					return
				}
				sources = append(sources, strings.Fields(string(out[i+len("source="):]))[0])
			})
		}
		for range goroutines {
			wg.Go(func() {
				m, err := e.fetch(func(o *tuf.Options) { o.ForceRefresh = forced })
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				sources = append(sources, string(m.Source))
			})
		}
		wg.Wait()
		require.Empty(t, errs)
		sort.Strings(sources)
		return sources
	}

	require.Equal(t, []string{"cache", "cache", "cache", "cache", "cache", "tuf"}, run(false))
	require.Equal(t, 1, e.repo.Requests("timestamp.json"), "one refresh")

	delay.Store(int64(50 * time.Millisecond))
	e.repo.Publish()
	require.Equal(t, []string{"tuf", "tuf", "tuf", "tuf", "tuf", "tuf"}, run(true))
	require.Equal(t, 7, e.repo.Requests("timestamp.json"))

	m := e.mustFetch(tuf.SourceCache, offline, noNetwork(t))
	require.Equal(t, int64(2), m.TimestampVersion)
	entries, err := os.ReadDir(e.repoDir())
	require.NoError(t, err)
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	require.Equal(t, []string{"lock", "state.json"}, names)
}

// TestHelperFetch is one process of TestConcurrentRefresh.
func TestHelperFetch(t *testing.T) {
	if os.Getenv("SIGNET_TUF_HELPER") != "1" {
		t.Skip("a helper process of TestConcurrentRefresh")
	}
	root, err := os.ReadFile(os.Getenv("SIGNET_TUF_ROOT"))
	require.NoError(t, err)
	now, err := time.Parse(time.RFC3339, os.Getenv("SIGNET_TUF_NOW"))
	require.NoError(t, err)
	u := os.Getenv("SIGNET_TUF_URL")
	m, err := tuf.Fetch(context.Background(), tuf.Instance{Name: u, URL: u, Root: root}, tuf.Options{
		CacheDir:     os.Getenv("SIGNET_TUF_CACHE"),
		Now:          func() time.Time { return now },
		ForceRefresh: os.Getenv("SIGNET_TUF_FORCE") == "true",
	})
	require.NoError(t, err)
	fmt.Printf("source=%s\n", m.Source)
}
