//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/cli"
	"github.com/signet-dev/signet/internal/testoidc"
)

// The built binary, as a process: the token from the real environment, exit codes through
// os.Exit, messages on stderr.
func TestBinary(t *testing.T) {
	tc := coreTrust()
	issuer := v("OIDC_URL")
	bin := stack.signetBin

	t.Run("version", func(t *testing.T) {
		t.Parallel()
		r := command(t, nil, bin, "--version")
		r.want(t, 0)
		if !strings.HasPrefix(r.stdout, "signet ") {
			t.Errorf("--version printed %q", r.stdout)
		}
	})

	t.Run("sign-verify", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		email := "binary@example.com"
		art := writeFile(t, dir, "a.txt", "signed by the binary")
		out := art + ".sigstore.json"
		command(t, map[string]string{"SIGSTORE_ID_TOKEN": emailToken(t, email)}, bin,
			"sign", "--trust-config", tc.trustConfig, "--oidc-disable-ambient-providers", art).
			want(t, 0, "signet: using the identity token from $SIGSTORE_ID_TOKEN", "signet: signed "+art+": wrote "+out)
		wantShape(t, out, tc.rekorVersion, false)
		id := []string{"--certificate-identity", email, "--certificate-oidc-issuer", issuer}
		command(t, nil, bin, append([]string{"verify", "--trust-config", tc.trustConfig, art}, id...)...).
			want(t, 0, "signet: verified "+art+", signed by "+email)
		command(t, nil, bin, append([]string{"verify", "--trust-config", tc.trustConfig, "--bundle", out, tampered(t, art)}, id...)...).
			want(t, cli.ExitFailed, "signet: error: artifact check failed")
	})

	t.Run("expired-token", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		art := writeFile(t, dir, "a.txt", "x")
		tok := fetchToken(t, issuer, testoidc.Request{Email: "late@example.com", TTL: time.Minute, Age: time.Hour})
		command(t, map[string]string{"SIGSTORE_ID_TOKEN": tok}, bin,
			"sign", "--trust-config", tc.trustConfig, "--oidc-disable-ambient-providers", art).
			want(t, cli.ExitIdentity, "expired")
		wantNoBundle(t, art+".sigstore.json")
	})
}
