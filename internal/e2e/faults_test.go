//go:build e2e

package e2e

import (
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"

	"github.com/signet-dev/signet/internal/cli"
	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/internal/testoidc"
)

// faultProxy starts a reverse proxy to the real service at target (scheme://host[/path]) that
// injects fh's faults, and returns the URL that stands for target.
func faultProxy(t *testing.T, target string, fh *sigstoretest.FaultHandler) string {
	t.Helper()
	u, err := url.Parse(target)
	must(t, err)
	base := &url.URL{Scheme: u.Scheme, Host: u.Host}
	fh.Next = &httputil.ReverseProxy{
		Rewrite:  func(r *httputil.ProxyRequest) { r.SetURL(base) },
		ErrorLog: log.New(io.Discard, "", 0), // clients hanging up on FaultSlow
	}
	srv := httptest.NewServer(fh)
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

// closedURL stands for target at an address where nothing listens: connection refused.
func closedURL(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	must(t, err)
	srv := httptest.NewServer(nil)
	srv.Close()
	return srv.URL + u.Path
}

// faultService is one service of the signing config that a proxy can stand in for.
type faultService struct {
	name   string // in test names
	label  string // how signet names it in errors
	target func() string
	set    func(sc *pbtrust.SigningConfig, u string)
}

var faultServices = []faultService{
	{"fulcio", "Fulcio at ", func() string { return v("FULCIO_URL") }, func(sc *pbtrust.SigningConfig, u string) {
		for _, s := range sc.CaUrls {
			s.Url = u
		}
	}},
	{"rekor-v2", "Rekor at ", func() string { return v("REKOR_V2_URL") }, func(sc *pbtrust.SigningConfig, u string) {
		for _, s := range sc.RekorTlogUrls {
			if s.MajorApiVersion == 2 {
				s.Url = u
			}
		}
	}},
	{"tsa", "timestamp authority at ", func() string { return v("TSA_URL") }, func(sc *pbtrust.SigningConfig, u string) {
		for _, s := range sc.TsaUrls {
			s.Url = u
		}
	}},
}

// editedTrust writes the stack's default trust config changed by edit.
func editedTrust(t *testing.T, edit func(*pbtrust.ClientTrustConfig)) string {
	t.Helper()
	tc := loadTrustConfig(t, v("TRUST_CONFIG"))
	edit(tc)
	return writeProto(t, filepath.Join(t.TempDir(), "trust_config.json"), tc)
}

// countingTrust writes the default trust config with a fault-free proxy in front of every
// service, edited by edit, and returns a function counting the requests that reached them.
func countingTrust(t *testing.T, edit func(*pbtrust.ClientTrustConfig)) (string, func() int) {
	t.Helper()
	var fhs []*sigstoretest.FaultHandler
	var urls []string
	for _, svc := range faultServices {
		fh := &sigstoretest.FaultHandler{}
		fhs = append(fhs, fh)
		urls = append(urls, faultProxy(t, svc.target(), fh))
	}
	path := editedTrust(t, func(tc *pbtrust.ClientTrustConfig) {
		for i, svc := range faultServices {
			svc.set(tc.SigningConfig, urls[i])
		}
		if edit != nil {
			edit(tc)
		}
	})
	return path, func() int {
		n := 0
		for _, fh := range fhs {
			n += fh.Requests()
		}
		return n
	}
}

// Each service down, slow, failing, rate limiting, or answering garbage: a clear error naming
// the service and no bundle, or success after retries.
func TestFaults(t *testing.T) {
	if full() {
		t.Skip("fault tests run in core mode (they exercise signet's clients, not the extra services)")
	}
	issuer := v("OIDC_URL")

	cases := []struct {
		name    string
		fault   func() *sigstoretest.FaultHandler // nil: nothing listens (connection refused)
		timeout string
		code    int
		msg     string // beyond the service's label and URL
		faults  int    // for successes: the faults the proxy injected
	}{
		{name: "down", code: cli.ExitService, msg: "connection refused"},
		{name: "reset", fault: func() *sigstoretest.FaultHandler {
			return &sigstoretest.FaultHandler{Fault: sigstoretest.FaultDown}
		}, code: cli.ExitService},
		{name: "slow", fault: func() *sigstoretest.FaultHandler {
			return &sigstoretest.FaultHandler{Fault: sigstoretest.FaultSlow, Delay: 30 * time.Second}
		}, timeout: "2s", code: cli.ExitService},
		{name: "500", fault: func() *sigstoretest.FaultHandler {
			return &sigstoretest.FaultHandler{Fault: sigstoretest.FaultStatus}
		}, code: cli.ExitService, msg: "500 Internal Server Error"},
		{name: "500-twice", fault: func() *sigstoretest.FaultHandler {
			return &sigstoretest.FaultHandler{Fault: sigstoretest.FaultStatus, Times: 2}
		}, code: 0, faults: 2},
		{name: "429-retry-after-twice", fault: func() *sigstoretest.FaultHandler {
			return &sigstoretest.FaultHandler{Fault: sigstoretest.FaultRateLimit, RetryAfter: "1", Times: 2}
		}, code: 0, faults: 2},
		{name: "malformed-json", fault: func() *sigstoretest.FaultHandler {
			return &sigstoretest.FaultHandler{Fault: sigstoretest.FaultMalformedJSON}
		}, code: cli.ExitService},
	}
	for _, svc := range faultServices {
		for _, c := range cases {
			t.Run(svc.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				var fh *sigstoretest.FaultHandler
				var u string
				if c.fault == nil {
					u = closedURL(t, svc.target())
				} else {
					fh = c.fault()
					u = faultProxy(t, svc.target(), fh)
				}
				trustConfig := editedTrust(t, func(tc *pbtrust.ClientTrustConfig) { svc.set(tc.SigningConfig, u) })
				dir := t.TempDir()
				email := "fault@example.com"
				art := writeFile(t, dir, "a.txt", "fault: "+t.Name())
				out := art + ".sigstore.json"
				args := []string{"sign", "--trust-config", trustConfig, "--identity-token", emailToken(t, email)}
				if c.timeout != "" {
					args = append(args, "--timeout", c.timeout)
				}
				r := signet(t, nil, append(args, art)...)
				if c.code != 0 {
					base := u
					if pu, err := url.Parse(u); err == nil {
						base = pu.Scheme + "://" + pu.Host
					}
					r.want(t, c.code, "signet: error: ", svc.label+base+": ", c.msg, "signet: hint: check that the service named above is up")
					wantNoBundle(t, out)
					if fh != nil && fh.Faults() == 0 {
						t.Error("the proxy injected no fault")
					}
					return
				}
				r.want(t, 0, "signet: signed "+art+": wrote "+out)
				if got := fh.Faults(); got != c.faults {
					t.Errorf("the proxy injected %d faults, want %d", got, c.faults)
				}
				wantShape(t, out, 2, false)
				signet(t, nil, "verify", "--trust-config", trustConfig, "--certificate-identity", email,
					"--certificate-oidc-issuer", issuer, art).want(t, 0, "signet: verified")
			})
		}
	}

	t.Run("token/expired", func(t *testing.T) {
		t.Parallel()
		trustConfig, requests := countingTrust(t, nil)
		dir := t.TempDir()
		art := writeFile(t, dir, "a.txt", "x")
		tok := fetchToken(t, issuer, testoidc.Request{Email: "late@example.com", TTL: time.Minute, Age: time.Hour})
		signet(t, nil, "sign", "--trust-config", trustConfig, "--identity-token", tok, art).
			want(t, cli.ExitIdentity, "signet: error: ", "expired", "signet: hint: get a fresh identity token")
		wantNoBundle(t, art+".sigstore.json")
		if n := requests(); n != 0 {
			t.Errorf("%d requests reached the services with an expired token", n)
		}
	})

	t.Run("token/wrong-audience", func(t *testing.T) {
		t.Parallel()
		trustConfig, requests := countingTrust(t, nil)
		dir := t.TempDir()
		art := writeFile(t, dir, "a.txt", "x")
		tok := fetchToken(t, issuer, testoidc.Request{Email: "aud@example.com", Audience: "other"})
		signet(t, nil, "sign", "--trust-config", trustConfig, "--identity-token", tok, art).
			want(t, cli.ExitIdentity, "audience")
		wantNoBundle(t, art+".sigstore.json")
		if n := requests(); n != 0 {
			t.Errorf("%d requests reached the services with a token for another audience", n)
		}
	})

	t.Run("signing-config/exact-2-of-1-log", func(t *testing.T) {
		t.Parallel()
		trustConfig, requests := countingTrust(t, func(tc *pbtrust.ClientTrustConfig) {
			tc.SigningConfig.RekorTlogConfig = &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_EXACT, Count: 2}
		})
		dir := t.TempDir()
		art := writeFile(t, dir, "a.txt", "x")
		signet(t, nil, "sign", "--trust-config", trustConfig, "--identity-token", emailToken(t, "exact@example.com"), art).
			want(t, cli.ExitMalformed, "signet: error: unusable signing config")
		wantNoBundle(t, art+".sigstore.json")
		if n := requests(); n != 0 {
			t.Errorf("%d requests reached the services before the signing config was refused", n)
		}
	})

	// Fulcio refuses a token that signet accepted (the email is not verified).
	t.Run("token/refused-by-fulcio", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		art := writeFile(t, dir, "a.txt", "x")
		tok := fetchToken(t, issuer, testoidc.Request{Email: "unverified@example.com", EmailUnverified: true})
		signet(t, nil, "sign", "--trust-config", v("TRUST_CONFIG"), "--identity-token", tok, art).
			want(t, cli.ExitIdentity, "signet: error: ", "the certificate authority refused the identity token: Fulcio at "+v("FULCIO_URL")+": POST /api/v2/signingCert answered 400 Bad Request", "signet: hint: the certificate authority refused the identity token")
		wantNoBundle(t, art+".sigstore.json")
	})

	// A bundle that cannot be written must be refused before anything is signed or logged.
	t.Run("output/missing-directory", func(t *testing.T) {
		t.Parallel()
		trustConfig, requests := countingTrust(t, nil)
		dir := t.TempDir()
		art := writeFile(t, dir, "a.txt", "x")
		out := filepath.Join(dir, "missing", "a.sigstore.json")
		r := signet(t, nil, "sign", "--trust-config", trustConfig, "--identity-token", emailToken(t, "out@example.com"), "--bundle", out, art)
		if r.code == 0 {
			t.Fatal("signet wrote a bundle into a missing directory")
		}
		wantNoBundle(t, out)
		if n := requests(); n > 0 {
			t.Fatalf("signet sign --bundle into a missing directory made %d requests to Fulcio, Rekor and the TSA (a certificate and a permanent log entry) before failing; it said: %s",
				n, strings.TrimSpace(r.stderr))
		}
		r.want(t, cli.ExitMalformed, "signet: error: cannot write output: cannot write bundles into "+filepath.Join(dir, "missing"))
	})

	t.Run("trusted-root/without-tsa", func(t *testing.T) {
		t.Parallel()
		trustConfig := editedTrust(t, func(tc *pbtrust.ClientTrustConfig) { tc.TrustedRoot.TimestampAuthorities = nil })
		dir := t.TempDir()
		art := writeFile(t, dir, "a.txt", "x")
		r := signet(t, nil, "sign", "--trust-config", trustConfig, "--identity-token", emailToken(t, "notsa@example.com"), art)
		r.want(t, cli.ExitFailed, "signet: error: ", "does not verify against the trusted root")
		wantNoBundle(t, art+".sigstore.json")
		if !strings.Contains(r.stderr, "timestamp") {
			t.Errorf("the error does not say that the timestamp failed:\n%s", r.stderr)
		}
	})
}
