package tuf_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/trust/tuf"
)

// A private Sigstore instance's TUF repository (here a fake one on 127.0.0.1): registered
// once with its initial root (signet trust init), then fetched by URL (signet sign and verify:
// from the cache while its metadata is valid), offline, and refused once it cannot be
// refreshed, with a word on what offline mode would use.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	tr, sc, _ := trust.EmbeddedDocuments(trust.PublicGood) // what the repository publishes
	repo := sigstoretest.NewTUFRepo(&testing.T{}, now, map[string][]byte{tuf.TrustedRootTarget: tr, tuf.SigningConfigTarget: sc})
	defer repo.Close()
	repo.RotateRoot(sigstoretest.TUFRoot, 3, 2) // the repository's root is at version 2

	cache, _ := os.MkdirTemp("", "signet-tuf-example")
	defer os.RemoveAll(cache)
	o := tuf.Options{CacheDir: cache, Now: func() time.Time { return now }, Timeout: time.Second}

	// signet trust init --tuf-url URL --tuf-root 1.root.json
	m, err := tuf.Register(ctx, repo.URL(), repo.RootJSON(1), o)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Source, "root version", m.RootVersion, m.Config.TrustedRoot.Tlogs[0].BaseURL)

	// signet verify, an hour later: the cache, verified again, no download.
	inst, _ := tuf.Lookup(cache, repo.URL())
	o.Now = func() time.Time { return now.Add(time.Hour) }
	m, _ = tuf.Fetch(ctx, inst, o)
	fmt.Println(m.Source, "fetched", m.FetchedAt.Format(time.DateTime), "expires", m.Expires.Format(time.DateTime))

	// Two days later the timestamp has expired and the repository is gone.
	repo.Close()
	o.Now = func() time.Time { return now.Add(48 * time.Hour) }
	_, err = tuf.Fetch(ctx, inst, o)
	var re *tuf.RefreshError
	if errors.As(err, &re) {
		fmt.Println("refresh failed; --offline would use", re.OfflineSource, "material from", re.OfflineAsOf.Format(time.DateOnly))
	}
	o.Offline = true
	m, _ = tuf.Fetch(ctx, inst, o)
	fmt.Println(m.Source, "expired:", m.Expires.Before(o.Now()))

	// Public good, offline, with nothing cached: the material embedded in signet.
	m, _ = tuf.Fetch(ctx, tuf.PublicGood(), tuf.Options{CacheDir: cache, Offline: true})
	fmt.Println(m.Source, m.Repository, "from", m.FetchedAt.Format(time.DateOnly))
	// Output:
	// tuf root version 2 https://rekor.sigstore.dev
	// cache fetched 2026-11-02 10:00:00 expires 2026-11-03 10:00:00
	// refresh failed; --offline would use cache material from 2026-11-02
	// cache expired: true
	// embedded https://tuf-repo-cdn.sigstore.dev from 2026-11-22
}
