// Command sgbatch verifies many bundles in one process with the sigstore-go library: the
// strongest batch verifier a Go programmer could write with it, as the peer of
// `signet verify FILE...` in scripts/bench-compare.sh. It lives in its own module so that
// signet never depends on sigstore-go.
//
//	sgbatch -trusted-root R -san SAN -issuer ISS [-jobs N] FILE...
//
// The trusted root is loaded and the verifier built once; FILE.sigstore.json is each FILE's
// bundle; a pool of -jobs workers (default: every core) verifies them. The policy is the one
// signet gets and sigstore-go's example verifier applies by default: one SCT, one
// transparency log entry, one observer timestamp, the exact SAN and issuer.
// Exit status 1 if any bundle fails.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

func main() {
	trustedRoot := flag.String("trusted-root", "", "trusted root JSON file")
	san := flag.String("san", "", "expected certificate SAN")
	issuer := flag.String("issuer", "", "expected OIDC issuer")
	jobs := flag.Int("jobs", runtime.NumCPU(), "bundles verified at once")
	flag.Parse()
	if *trustedRoot == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: sgbatch -trusted-root R -san SAN -issuer ISS [-jobs N] FILE...")
		os.Exit(2)
	}
	if err := run(*trustedRoot, *san, *issuer, *jobs, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "sgbatch:", err)
		os.Exit(1)
	}
}

func run(trustedRoot, san, issuer string, jobs int, files []string) error {
	tr, err := root.NewTrustedRootFromPath(trustedRoot)
	if err != nil {
		return err
	}
	v, err := verify.NewVerifier(tr,
		verify.WithSignedCertificateTimestamps(1),
		verify.WithTransparencyLog(1),
		verify.WithObserverTimestamps(1))
	if err != nil {
		return err
	}
	id, err := verify.NewShortCertificateIdentity(issuer, "", san, "")
	if err != nil {
		return err
	}

	var failed atomic.Int64
	work := make(chan string)
	var wg sync.WaitGroup
	for range max(jobs, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := verifyOne(v, id, f); err != nil {
					failed.Add(1)
					fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", f, err)
				}
			}
		}()
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
	n := failed.Load()
	fmt.Fprintf(os.Stderr, "sgbatch: %d verified, %d failed\n", int64(len(files))-n, n)
	if n > 0 {
		return fmt.Errorf("%d of %d bundles failed", n, len(files))
	}
	return nil
}

func verifyOne(v *verify.Verifier, id verify.CertificateIdentity, file string) error {
	b, err := bundle.LoadJSONFromPath(file + ".sigstore.json")
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = v.Verify(b, verify.NewPolicy(verify.WithArtifact(f), verify.WithCertificateIdentity(id)))
	return err
}
