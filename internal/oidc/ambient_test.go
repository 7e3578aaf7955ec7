package oidc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGitHubActions(t *testing.T) {
	srv := fakeGitHub(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>"))
	}))
	t.Cleanup(notJSON.Close)

	tests := []struct {
		name     string
		env      func(map[string]string)
		audience string
		wantErr  string
		wantKind error
	}{
		{name: "ok"},
		{name: "ok/wrong bearer", env: func(e map[string]string) { e["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "stolen" }, wantErr: "identity token from GitHub Actions: GET", wantKind: ErrInvalidToken},
		{name: "custom audience", audience: "custom"},
		{name: "custom audience/token for another", audience: "custom", env: func(e map[string]string) { e["SIGSTORE_ID_TOKEN"] = makeJWT(t, goodClaims("env")) }, wantErr: "identity token from $SIGSTORE_ID_TOKEN: audience is [sigstore], want custom", wantKind: ErrInvalidToken},
		{name: "ok/no id-token permission", env: func(e map[string]string) { delete(e, "ACTIONS_ID_TOKEN_REQUEST_TOKEN") }, wantErr: "permissions: id-token: write", wantKind: ErrInvalidToken},
		{name: "ok/request URL only, not GITHUB_ACTIONS", env: func(e map[string]string) { delete(e, "GITHUB_ACTIONS"); delete(e, "ACTIONS_ID_TOKEN_REQUEST_TOKEN") }, wantErr: "GitHub Actions", wantKind: ErrInvalidToken},
		{name: "ok/plain http to a remote host", env: func(e map[string]string) { e["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://example.com/token" }, wantErr: "not an https URL", wantKind: ErrInvalidToken},
		{name: "ok/server down", env: func(e map[string]string) { e["ACTIONS_ID_TOKEN_REQUEST_URL"] = failing.URL + "/?api-version=2.0" }, wantErr: "503 Service Unavailable", wantKind: ErrNetwork},
		{name: "ok/not JSON", env: func(e map[string]string) { e["ACTIONS_ID_TOKEN_REQUEST_URL"] = notJSON.URL }, wantErr: `not JSON with a "value"`, wantKind: ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := gitHubEnv(srv.URL)
			if tt.env != nil {
				tt.env(env)
			}
			o, _ := testOptions(t, env)
			o.Audience = tt.audience
			tok, err := Get(context.Background(), o)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "GitHub Actions", tok.Source())
				want := tt.audience
				if want == "" {
					want = DefaultAudience
				}
				assert.Equal(t, []string{want}, tok.Audience, "the audience parameter reached GitHub")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.ErrorIs(t, err, tt.wantKind)
			assert.NotContains(t, err.Error(), "request-token", "the request bearer leaked")
		})
	}
}

// A detected provider that fails is an error: Get does not go on to sign in interactively.
func TestAmbientFailureDoesNotFallThrough(t *testing.T) {
	var issuerHits atomic.Int32
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		issuerHits.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(issuer.Close)

	o, stderr := testOptions(t, map[string]string{"GITHUB_ACTIONS": "true"})
	o.Flow, o.IssuerURL = FlowDevice, issuer.URL
	_, err := Get(context.Background(), o)
	require.ErrorIs(t, err, ErrInvalidToken)
	assert.Contains(t, err.Error(), "identity token from GitHub Actions")
	assert.Zero(t, issuerHits.Load())
	assert.Empty(t, stderr.String())

	// The twin: with ambient providers disabled, the same environment goes to the issuer.
	o.DisableAmbient = true
	_, err = Get(context.Background(), o)
	require.Error(t, err)
	assert.NotZero(t, issuerHits.Load())
}

func TestGitLab(t *testing.T) {
	assert.Equal(t, "SIGSTORE_ID_TOKEN", gitLabVariable("sigstore"))
	assert.Equal(t, "HTTP___TEST_AUDIENCE_ID_TOKEN", gitLabVariable("http://test.audience"))
	assert.Equal(t, "_ABC_ID_TOKEN", gitLabVariable("1abc"))

	// The default audience's variable is $SIGSTORE_ID_TOKEN, read before ambient providers.
	o, _ := testOptions(t, map[string]string{"GITLAB_CI": "true", "SIGSTORE_ID_TOKEN": makeJWT(t, goodClaims("gitlab"))})
	tok, err := Get(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, "$SIGSTORE_ID_TOKEN", tok.Source())

	// Its twin: on GitLab without it, the error shows the id_tokens stanza to add.
	o, _ = testOptions(t, map[string]string{"GITLAB_CI": "true"})
	_, err = Get(context.Background(), o)
	require.ErrorIs(t, err, ErrInvalidToken)
	assert.Contains(t, err.Error(), "identity token from GitLab CI: $SIGSTORE_ID_TOKEN is not set")
	assert.Contains(t, err.Error(), "add `id_tokens: {SIGSTORE_ID_TOKEN: {aud: sigstore}}` to the job")
	assert.NotContains(t, err.Error(), "\n")

	// Another audience has its own variable.
	o, _ = testOptions(t, map[string]string{"GITLAB_CI": "true", "CUSTOM_ID_TOKEN": makeJWT(t, with(goodClaims("gitlab"), "aud", "custom"))})
	o.Audience = "custom"
	tok, err = Get(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, "GitLab CI", tok.Source())
}

// writeHelper writes a shell script named name into dir.
func writeHelper(t *testing.T, dir, name, script string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755))
}

func TestHelperPrograms(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell script helpers")
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	tokFor := func(sub string) string { return makeJWT(t, goodClaims(sub)) }
	leaked := tokFor("leaked")

	tests := []struct {
		name, ci, helper, script string
		audience                 string
		noPath                   bool
		wantSource, wantSub      string
		wantErr                  string
	}{
		{
			name: "buildkite", ci: "BUILDKITE", helper: "buildkite-agent",
			script:     `[ "$*" = "oidc request-token --audience sigstore" ] || { echo "bad args: $*" >&2; exit 2; }` + "\necho '" + tokFor("buildkite") + "'\n",
			wantSource: "Buildkite", wantSub: "buildkite",
		},
		{
			name: "buildkite/agent fails", ci: "BUILDKITE", helper: "buildkite-agent",
			script:  "echo 'oidc: pipeline may not request tokens' >&2\nexit 1\n",
			wantErr: "identity token from Buildkite: buildkite-agent oidc request-token failed: exit status 1: oidc: pipeline may not request tokens",
		},
		{
			name: "buildkite/wrong audience asked", ci: "BUILDKITE", helper: "buildkite-agent", audience: "custom",
			script:  `[ "$*" = "oidc request-token --audience sigstore" ] || { echo "bad args: $*" >&2; exit 2; }` + "\necho '" + tokFor("buildkite") + "'\n",
			wantErr: "bad args: oidc request-token --audience custom",
		},
		{
			name: "buildkite/not on PATH", ci: "BUILDKITE", helper: "buildkite-agent", noPath: true,
			wantErr: "identity token from Buildkite: buildkite-agent is not on $PATH",
		},
		{
			name: "buildkite/prints nothing", ci: "BUILDKITE", helper: "buildkite-agent",
			script:  "exit 0\n",
			wantErr: "buildkite-agent printed no token",
		},
		{
			name: "circleci", ci: "CIRCLECI", helper: "circleci",
			script:     `[ "$*" = 'run oidc get --claims {"aud":"sigstore"}' ] || { echo "bad args: $*" >&2; exit 2; }` + "\necho '" + tokFor("circle") + "'\n",
			wantSource: "CircleCI", wantSub: "circle",
		},
		{
			name: "circleci/fails and prints a token on stderr", ci: "CIRCLECI", helper: "circleci",
			script:  "echo 'error with " + leaked + "' >&2\nexit 3\n",
			wantErr: "identity token from CircleCI: circleci run oidc failed: exit status 3: error with [redacted]",
		},
		{
			name: "circleci/prints an expired token", ci: "CIRCLECI", helper: "circleci",
			script:  "echo '" + makeJWT(t, with(goodClaims("c"), "exp", testNow.Unix()-3600)) + "'\n",
			wantErr: "identity token from CircleCI: expired at",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if !tt.noPath {
				writeHelper(t, dir, tt.helper, tt.script)
			}
			o, stderr := testOptions(t, map[string]string{tt.ci: "true", "PATH": "relative/dir" + string(os.PathListSeparator) + dir})
			o.Audience = tt.audience
			tok, err := Get(context.Background(), o)
			assert.Empty(t, stderr.String())
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantSource, tok.Source())
				assert.Equal(t, tt.wantSub, tok.Subject)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.ErrorIs(t, err, ErrInvalidToken)
			assert.NotContains(t, err.Error(), strings.Split(leaked, ".")[1])
		})
	}
}

func TestGoogleCloud(t *testing.T) {
	var withFlavor atomic.Bool
	withFlavor.Store(true)
	metadata := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" ||
			r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/identity" ||
			r.URL.Query().Get("format") != "full" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if withFlavor.Load() {
			w.Header().Set("Metadata-Flavor", "Google")
		}
		_, _ = w.Write([]byte(makeJWT(t, with(goodClaims("gce"), "aud", r.URL.Query().Get("audience")))))
	}))
	t.Cleanup(metadata.Close)

	setup := func(t *testing.T, product string, env map[string]string) Options {
		o, _ := testOptions(t, env)
		o.gceProductFile = filepath.Join(t.TempDir(), "product_name")
		require.NoError(t, os.WriteFile(o.gceProductFile, []byte(product+"\n"), 0o644))
		o.gceMetadataURL = metadata.URL
		return o
	}

	tok, err := Get(context.Background(), setup(t, "Google Compute Engine", nil))
	require.NoError(t, err)
	assert.Equal(t, "gce", tok.Subject)
	assert.Equal(t, "the Google Cloud metadata server", tok.Source())

	// Not Google hardware: not detected, so no token and no request.
	_, err = Get(context.Background(), setup(t, "VirtualBox", nil))
	require.ErrorIs(t, err, ErrNoToken)

	// Impersonation is refused, not silently replaced by the default service account.
	_, err = Get(context.Background(), setup(t, "Google", map[string]string{"GOOGLE_SERVICE_ACCOUNT_NAME": "signer@p.iam.gserviceaccount.com"}))
	require.ErrorIs(t, err, ErrInvalidToken)
	assert.Contains(t, err.Error(), "does not impersonate service accounts")

	// An answer without the metadata server's header is not trusted.
	withFlavor.Store(false)
	_, err = Get(context.Background(), setup(t, "Google", nil))
	require.ErrorIs(t, err, ErrInvalidToken)
	assert.Contains(t, err.Error(), "identity token from the Google Cloud metadata server: the answer from")
}

// Requests to a CI provider are retried on ErrNetwork only, a bounded number of times.
func TestAmbientRetries(t *testing.T) {
	tests := []struct {
		name      string
		failures  int // answers of failStatus before success
		status    int
		wantErr   error
		wantTries int32
	}{
		{name: "two 503s then success", failures: 2, status: http.StatusServiceUnavailable, wantTries: 3},
		{name: "two 503s then success/always 503", failures: 100, status: http.StatusServiceUnavailable, wantErr: ErrNetwork, wantTries: 3},
		{name: "429 then success", failures: 1, status: http.StatusTooManyRequests, wantTries: 2},
		{name: "429 then success/403 is not retried", failures: 1, status: http.StatusForbidden, wantErr: ErrInvalidToken, wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tries atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if int(tries.Add(1)) <= tt.failures {
					http.Error(w, "no", tt.status)
					return
				}
				_, _ = w.Write([]byte(`{"value":"` + makeJWT(t, goodClaims("github")) + `"}`))
			}))
			defer srv.Close()
			o, _ := testOptions(t, map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": srv.URL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"})
			var slept []time.Duration
			o.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
			_, err := Get(context.Background(), o)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
			}
			assert.Equal(t, tt.wantTries, tries.Load())
			assert.Len(t, slept, int(tt.wantTries)-1)
		})
	}
}
