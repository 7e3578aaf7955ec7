//go:build e2e

package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/cli"
	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
)

// createArgs are the parts of the running stack, as its operator gives them to
// signet trust create --from-services: URLs, and the keys that Rekor v2 and the CT log do not
// serve.
func createArgs() []string {
	args := []string{"--from-services", "--operator", "e2e.example",
		"--fulcio-url", v("FULCIO_URL"), "--oidc-url", v("OIDC_URL"), "--tsa-url", v("TSA_URL"),
		"--rekor-v2-url", v("REKOR_V2_URL"), "--rekor-v2-key", v("REKOR_V2_PUBLIC_KEY"),
		"--ctlog-url", v("CTLOG_URL"), "--ctlog-key", v("CTLOG_PUBLIC_KEY")}
	if full() {
		args = append(args, "--rekor-url", v("REKOR_V1_URL"))
	}
	return args
}

// trustCreate runs signet trust create with the stack's parts and extra flags, into dir.
func trustCreate(t *testing.T, dir, name string, extra ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	signet(t, nil, append(append([]string{"trust", "create", "--out", out}, createArgs()...), extra...)...).
		want(t, 0, "signet: wrote "+out)
	return out
}

// The trust material signet trust create fetches from the live services describes the
// instance: bundles signed against it verify with signet and with sigstore-go's conformance
// client, and so do bundles signed against the stack's own trust material; modified artifacts
// do not.
func TestTrustCreateFromServices(t *testing.T) {
	issuer := v("OIDC_URL")
	dir := t.TempDir()
	created := trustCfg{
		name:          "created",
		trustConfig:   trustCreate(t, dir, "trust_config.json"),
		trustedRoot:   trustCreate(t, dir, "trusted_root.json", "--format", "trusted-root"),
		signingConfig: trustCreate(t, dir, "signing_config.json", "--format", "signing-config"),
		rekorVersion:  2,
	}
	cfgs := []trustCfg{created}
	if full() {
		cfgs = append(cfgs, trustCfg{
			name:          "created-rekor-v1",
			trustConfig:   trustCreate(t, dir, "trust_config.rekor-v1.json", "--signing-rekor", "v1"),
			trustedRoot:   created.trustedRoot,
			signingConfig: trustCreate(t, dir, "signing_config.rekor-v1.json", "--format", "signing-config", "--signing-rekor", "v1"),
			rekorVersion:  1,
		})
	}

	// It describes the instance: show finds every part usable and selects the services.
	r := signet(t, nil, "trust", "show", "--trust-config", created.trustConfig, "-o", "json")
	r.want(t, 0)
	var d trust.Description
	must(t, json.Unmarshal([]byte(r.stdout), &d))
	wantLogs, wantCT := 1, 1
	if full() {
		wantLogs = 2
	}
	if !d.TrustedRoot.Usable || len(d.TrustedRoot.Tlogs) != wantLogs || len(d.TrustedRoot.CTLogs) != wantCT ||
		len(d.TrustedRoot.CertificateAuthorities) != 1 || len(d.TrustedRoot.TimestampAuthorities) != 1 {
		t.Fatalf("trust show describes %+v", d.TrustedRoot)
	}
	if d.SigningConfig == nil || d.SigningConfig.SelectionError != "" {
		t.Fatalf("trust show: signing config %+v", d.SigningConfig)
	}
	// The trusted root is v0.1, which sigstore-go v1.3.0 reads (it refuses v0.2).
	if got := loadTrustConfig(t, created.trustConfig).GetTrustedRoot().GetMediaType(); got != trust.TrustedRootMediaType01 {
		t.Fatalf("trusted root media type %q", got)
	}

	for _, tc := range cfgs {
		t.Run(tc.name+"/keyless", func(t *testing.T) {
			t.Parallel()
			d := t.TempDir()
			email := "trust-create-" + tc.name + "@example.com"
			art := writeFile(t, d, "artifact.txt", "signed against created trust material: "+t.Name())
			out := art + ".sigstore.json"
			signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email), art).
				want(t, 0, "signet: signed "+art)
			wantShape(t, out, tc.rekorVersion, false)
			checkKeyless(t, tc, art, out, email, issuer)
			wantSGVerifies(t, tc, out, art, "--certificate-identity", email, "--certificate-oidc-issuer", issuer)
		})
		t.Run(tc.name+"/key", func(t *testing.T) {
			t.Parallel()
			d := t.TempDir()
			key, pub := ecKey(t, d)
			_, otherPub := ecKey(t, t.TempDir())
			art := writeFile(t, d, "artifact.txt", "signed with a key against created trust material: "+t.Name())
			out := art + ".sigstore.json"
			signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--key", key, art).want(t, 0, "signet: signed "+art)
			wantShape(t, out, tc.rekorVersion, false)
			checkKey(t, tc, art, out, pub, otherPub)
			wantSGVerifies(t, tc, out, art, "--key", pub)
		})
	}

	// A bundle signed against the stack's own trust material verifies with the created one.
	t.Run("stack-bundle", func(t *testing.T) {
		t.Parallel()
		d := t.TempDir()
		email := "trust-create-stack@example.com"
		art := writeFile(t, d, "artifact.txt", "signed against the stack's trust config: "+t.Name())
		out := art + ".sigstore.json"
		signet(t, nil, "sign", "--trust-config", v("TRUST_CONFIG"), "--identity-token", emailToken(t, email), art).
			want(t, 0, "signet: signed "+art)
		checkKeyless(t, created, art, out, email, issuer)
	})
}

// Services that answer garbage, fail, or do not answer in time: exit code 4, the service
// named, nothing written.
func TestTrustCreateServiceFaults(t *testing.T) {
	cases := []struct {
		name, flag string
		target     func() string
		fault      sigstoretest.Fault
		msg        string
	}{
		{"fulcio-garbage", "--fulcio-url", func() string { return v("FULCIO_URL") }, sigstoretest.FaultMalformedJSON, "Fulcio at "},
		{"fulcio-failing", "--fulcio-url", func() string { return v("FULCIO_URL") }, sigstoretest.FaultStatus, "Fulcio at "},
		{"tsa-garbage", "--tsa-url", func() string { return v("TSA_URL") }, sigstoretest.FaultMalformedJSON, "timestamp authority at "},
		{"tsa-slow", "--tsa-url", func() string { return v("TSA_URL") }, sigstoretest.FaultSlow, "no answer within"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			u := faultProxy(t, c.target(), &sigstoretest.FaultHandler{Fault: c.fault})
			out := filepath.Join(t.TempDir(), "trust_config.json")
			args := []string{"trust", "create", "--out", out, "--from-services", "--timeout", "2s", "--oidc-url", v("OIDC_URL"),
				"--fulcio-url", v("FULCIO_URL"), "--tsa-url", v("TSA_URL"),
				"--rekor-v2-url", v("REKOR_V2_URL"), "--rekor-v2-key", v("REKOR_V2_PUBLIC_KEY")}
			for i := range args {
				if args[i] == c.flag {
					args[i+1] = u
				}
			}
			r := signet(t, nil, args...)
			r.want(t, cli.ExitService, c.msg, "signet: hint: check that the service is up")
			if !strings.Contains(r.stderr, strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/api/v1/timestamp")) {
				t.Errorf("the error does not name the proxy %s:\n%s", u, r.stderr)
			}
			wantNoBundle(t, out)
		})
	}
}
