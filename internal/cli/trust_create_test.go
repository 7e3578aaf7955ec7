package cli

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
)

// services is a private Sigstore made of the in-process fakes: Fulcio, Rekor v1, a TSA.
type services struct {
	ca                          *sigstoretest.CA
	rekorLog, rekor2Log         *sigstoretest.Log
	tsa                         *sigstoretest.TSA
	fulcioURL, rekorURL, tsaURL string
}

func newServices(t *testing.T) *services {
	t.Helper()
	s := &services{
		ca:        sigstoretest.NewCA(t),
		rekorLog:  sigstoretest.NewLog(t, sigstoretest.RekorV1),
		rekor2Log: sigstoretest.NewLog(t, sigstoretest.RekorV2, sigstoretest.LogHost("log2.example.test")),
		tsa:       sigstoretest.NewTSA(t, sigstoretest.WithTSAIntermediate()),
	}
	serve := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	s.fulcioURL = serve(sigstoretest.NewFulcioServer(s.ca, sigstoretest.FulcioOptions{}))
	s.rekorURL = serve(sigstoretest.NewRekorServer(s.rekorLog, sigstoretest.RekorOptions{}))
	s.tsaURL = serve(s.tsa)
	return s
}

func writePEMKey(t *testing.T, dir, name string, key any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644))
	return path
}

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Now: time.Now, HTTP: &http.Client{}}
	code = Main(args, env)
	return code, out.String(), errb.String()
}

// --from-services asks each service for its material and computes the log ids as the logs do.
func TestTrustCreateFromServices(t *testing.T) {
	s := newServices(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "trust_config.json")
	v2Key := writePEMKey(t, dir, "rekor2.pub", s.rekor2Log.PublicKey())
	code, stdout, stderr := runMain(t, "trust", "create", "--out", out, "--from-services", "--operator", "example.test",
		"--fulcio-url", s.fulcioURL, "--rekor-url", s.rekorURL, "--rekor-v2-url", "https://log2.example.test", "--rekor-v2-key", v2Key,
		"--tsa-url", s.tsaURL, "--oidc-url", "https://oidc.example.test")
	require.Equal(t, ExitOK, code, stderr)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "signet: wrote "+out+": trusted root v0.1 with 1 certificate authority, 2 transparency logs, 0 CT logs, 1 timestamp authority")
	require.Contains(t, stderr, "does not list https://oidc.example.test among the OIDC issuers it accepts")
	require.Contains(t, stderr, "lists no CT log")

	data, err := os.ReadFile(out)
	require.NoError(t, err)
	cfg, err := trust.ParseClientTrustConfig(data)
	require.NoError(t, err)
	tr := cfg.TrustedRoot
	require.NotNil(t, trust.FindLog(tr.Tlogs, s.rekorLog.ID()), "Rekor v1 under the id its entries carry")
	require.NotNil(t, trust.FindLog(tr.Tlogs, s.rekor2Log.ID()), "Rekor v2 under the id its entries carry")
	require.Equal(t, s.ca.Root().Raw, tr.CertificateAuthorities[0].Root().Raw)
	require.Equal(t, s.ca.Intermediate().Raw, tr.CertificateAuthorities[0].Chain[0].Raw)
	require.Equal(t, s.fulcioURL, tr.CertificateAuthorities[0].URI)
	require.Equal(t, s.tsaURL+"/api/v1/timestamp", tr.TimestampAuthorities[0].URI)
	require.Len(t, tr.TimestampAuthorities[0].Chain, 3)
	require.Equal(t, s.tsa.Leaf().Raw, tr.TimestampAuthorities[0].Chain[0].Raw)
	st, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	sel, err := cfg.SigningConfig.Select(time.Now().Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, s.fulcioURL, sel.CA.URL)
	require.Equal(t, "https://log2.example.test", sel.Tlogs[0].URL)
	require.Equal(t, s.tsaURL+"/api/v1/timestamp", sel.TSAs[0].URL)

	// A file given for a part is used instead of asking the service.
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, append(sigstoretest.PEMCertificate(s.ca.Intermediate().Raw), sigstoretest.PEMCertificate(s.ca.Root().Raw)...), 0o644))
	code, _, stderr = runMain(t, "trust", "create", "--out", filepath.Join(dir, "root.json"), "--format", "trusted-root", "--from-services",
		"--fulcio-url", "http://127.0.0.1:1", "--ca-chain", caFile)
	require.Equal(t, ExitOK, code, stderr)
}

// A service that answers garbage, an error, or nothing in time fails the command with exit
// code 4, and nothing is written.
func TestTrustCreateServiceFailures(t *testing.T) {
	s := newServices(t)
	other := sigstoretest.NewTSA(t)
	canned := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	huge := strings.Repeat("x", 2<<20)

	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"Fulcio answers HTML", []string{"--fulcio-url", canned(200, "<html>hello</html>")}, "GET /api/v2/trustBundle answered malformed JSON"},
		{"Fulcio answers a chain that is not one", []string{"--fulcio-url", canned(200,
			`{"chains":[{"certificates":["`+strings.ReplaceAll(string(sigstoretest.PEMCertificate(s.ca.Intermediate().Raw)), "\n", `\n`)+`"]}]}`)}, "not self-signed"},
		{"Fulcio answers too much", []string{"--fulcio-url", canned(200, huge)}, "more than"},
		{"Fulcio refuses", []string{"--fulcio-url", canned(404, `{"code":5,"message":"Not Found"}`)}, "404 Not Found"},
		{"Fulcio is slow", []string{"--fulcio-url", slow.URL, "--timeout", "300ms"}, "no answer within"},
		{"Rekor answers a certificate", []string{"--rekor-url", canned(200, string(sigstoretest.PEMCertificate(s.ca.Root().Raw)))}, `a PEM "CERTIFICATE" block, not a PUBLIC KEY`},
		{"Rekor answers garbage", []string{"--rekor-url", canned(200, "garbage")}, "not a PEM public key"},
		{"TSA answers another TSA's root", []string{"--tsa-url", canned(200, string(sigstoretest.PEMCertificate(s.tsa.Leaf().Raw))+string(sigstoretest.PEMCertificate(other.Root().Raw)))}, "not a chain"},
		{"TSA answers JSON", []string{"--tsa-url", canned(200, `{"chain":[]}`)}, "not PEM certificates"},
		{"TSA fails", []string{"--tsa-url", canned(500, "internal error")}, "500 Internal Server Error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "trust_config.json")
			args := append([]string{"trust", "create", "--out", out, "--from-services", "--format", "trusted-root"}, c.args...)
			code, _, stderr := runMain(t, args...)
			require.Equal(t, ExitService, code, stderr)
			require.Contains(t, stderr, c.msg)
			require.Contains(t, stderr, "signet: hint: check that the service is up")
			require.NoFileExists(t, out)
		})
	}
}
