package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeGitHub serves GitHub Actions' token request endpoint: it wants the bearer
// "request-token" and answers {"value": token for sub "github"} with aud set to the
// audience asked for.
func fakeGitHub(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer request-token" {
			http.Error(w, `{"message":"bad credentials"}`, http.StatusUnauthorized)
			return
		}
		aud := r.URL.Query().Get("audience")
		if aud == "" || r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "missing audience or api-version", http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"value": makeJWT(t, with(goodClaims("github"), "aud", aud))})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func gitHubEnv(srvURL string) map[string]string {
	return map[string]string{
		"GITHUB_ACTIONS":                 "true",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   srvURL + "/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
	}
}

// Each source wins over everything after it; removing it lets the next one through.
func TestGetPrecedence(t *testing.T) {
	srv := fakeGitHub(t)
	env := gitHubEnv(srv.URL)
	env["SIGSTORE_ID_TOKEN"] = makeJWT(t, goodClaims("env-id"))
	env["SIGSTORE_IDENTITY_TOKEN"] = makeJWT(t, goodClaims("env-identity"))
	o, stderr := testOptions(t, env)
	o.Flag = makeJWT(t, goodClaims("flag"))

	steps := []struct {
		wantSub, wantSource string
		remove              func()
	}{
		{"flag", "--identity-token", func() { o.Flag = "" }},
		{"env-id", "$SIGSTORE_ID_TOKEN", func() { delete(env, "SIGSTORE_ID_TOKEN") }},
		{"env-identity", "$SIGSTORE_IDENTITY_TOKEN", func() { delete(env, "SIGSTORE_IDENTITY_TOKEN") }},
		{"github", "GitHub Actions", func() { o.DisableAmbient = true }},
	}
	for _, s := range steps {
		tok, err := Get(context.Background(), o)
		require.NoError(t, err, s.wantSource)
		assert.Equal(t, s.wantSub, tok.Subject)
		assert.Equal(t, s.wantSource, tok.Source())
		s.remove()
	}
	// Ambient disabled, nothing else, no prompting: ErrNoToken.
	_, err := Get(context.Background(), o)
	require.ErrorIs(t, err, ErrNoToken)
	assert.Contains(t, err.Error(), "interactive sign-in is off")
	assert.Empty(t, stderr.String(), "non-interactive sources write nothing")
}

func TestGetFlag(t *testing.T) {
	raw := makeJWT(t, goodClaims("flag"))
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(file, []byte("\n  "+raw+" \r\n\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte(" \n"), 0o600))
	expiredFile := filepath.Join(dir, "expired")
	require.NoError(t, os.WriteFile(expiredFile, []byte(makeJWT(t, with(goodClaims("x"), "exp", testNow.Add(-time.Hour).Unix()))), 0o600))
	big := filepath.Join(dir, "big")
	require.NoError(t, os.WriteFile(big, []byte(raw+strings.Repeat("A", MaxTokenSize)), 0o600))

	tests := []struct {
		name, flag, wantSource, wantErr string
	}{
		{name: "raw", flag: raw, wantSource: "--identity-token"},
		{name: "raw/whitespace trimmed", flag: " \t" + raw + "\n", wantSource: "--identity-token"},
		{name: "raw/malformed", flag: raw[:len(raw)-30] + "." + "x", wantErr: "identity token from --identity-token: malformed"},
		{name: "file", flag: file, wantSource: "--identity-token file " + file},
		{name: "file/missing", flag: filepath.Join(dir, "missing"), wantErr: "identity token from --identity-token: is neither a JWT nor a readable file (no such file or directory)"},
		{name: "file/empty", flag: empty, wantErr: "identity token from --identity-token file " + empty + ": is empty"},
		{name: "file/expired", flag: expiredFile, wantErr: "identity token from --identity-token file " + expiredFile + ": expired at"},
		{name: "file/too large", flag: big, wantErr: "too large"},
		{name: "opaque non-JWT secret", flag: "ya29.not-a-jwt-secret", wantErr: "neither a JWT nor a readable file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A valid token in the environment must not be used when the flag is bad.
			o, _ := testOptions(t, map[string]string{"SIGSTORE_ID_TOKEN": makeJWT(t, goodClaims("env"))})
			o.Flag = tt.flag
			tok, err := Get(context.Background(), o)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "flag", tok.Subject)
				assert.Equal(t, raw, tok.Raw())
				assert.Equal(t, tt.wantSource, tok.Source())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.ErrorIs(t, err, ErrInvalidToken)
			if !strings.HasPrefix(tt.flag, dir) {
				assert.NotContains(t, err.Error(), strings.TrimSpace(tt.flag), "the flag's value might be a secret")
			}
		})
	}
}

func TestGetEnv(t *testing.T) {
	good := makeJWT(t, goodClaims("identity"))
	expired := makeJWT(t, with(goodClaims("id"), "exp", testNow.Add(-time.Hour).Unix()))
	tests := []struct {
		name    string
		env     map[string]string
		wantSub string
		wantErr string
	}{
		{name: "SIGSTORE_ID_TOKEN beats SIGSTORE_IDENTITY_TOKEN", env: map[string]string{"SIGSTORE_ID_TOKEN": makeJWT(t, goodClaims("id")), "SIGSTORE_IDENTITY_TOKEN": good}, wantSub: "id"},
		{name: "SIGSTORE_ID_TOKEN beats SIGSTORE_IDENTITY_TOKEN/even when expired", env: map[string]string{"SIGSTORE_ID_TOKEN": expired, "SIGSTORE_IDENTITY_TOKEN": good}, wantErr: "identity token from $SIGSTORE_ID_TOKEN: expired at 2023-11-14T21:13:20Z; get a fresh one"},
		{name: "whitespace trimmed", env: map[string]string{"SIGSTORE_IDENTITY_TOKEN": "\n" + good + "  \n"}, wantSub: "identity"},
		{name: "whitespace trimmed/only whitespace is unset", env: map[string]string{"SIGSTORE_ID_TOKEN": " \n ", "SIGSTORE_IDENTITY_TOKEN": good}, wantSub: "identity"},
		{name: "wrong audience", env: map[string]string{"SIGSTORE_IDENTITY_TOKEN": makeJWT(t, with(goodClaims("x"), "aud", "other"))}, wantErr: "identity token from $SIGSTORE_IDENTITY_TOKEN: audience is [other], want sigstore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := testOptions(t, tt.env)
			tok, err := Get(context.Background(), o)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantSub, tok.Subject)
				return
			}
			require.ErrorIs(t, err, ErrInvalidToken)
			assert.Equal(t, tt.wantErr, err.Error())
		})
	}
}

func TestGetOptionsErrors(t *testing.T) {
	o, _ := testOptions(t, nil)
	o.Flow = "sms"
	_, err := Get(context.Background(), o)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown OIDC flow "sms"`)

	// Sign-in wanted, but no issuer to sign in at.
	o.Flow = FlowDevice
	_, err = Get(context.Background(), o)
	require.ErrorIs(t, err, ErrNoToken)
	assert.Contains(t, err.Error(), "no OIDC issuer")

	// The twin: with FlowNone it is the same sentinel, a different reason.
	o.Flow = FlowNone
	_, err = Get(context.Background(), o)
	require.ErrorIs(t, err, ErrNoToken)
	assert.False(t, errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrNetwork))
}
