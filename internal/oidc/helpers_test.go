package oidc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testNow is the fixed clock of tests that do not talk to a real issuer.
var testNow = time.Unix(1_700_000_000, 0).UTC()

// makeJWT returns a compact JWT with claims and a dummy signature: this package never
// verifies signatures.
func makeJWT(t testing.TB, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT"})
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(c) + "." + enc([]byte("not a real signature"))
}

// goodClaims are valid at testNow for the default audience; sub tells tokens apart.
func goodClaims(sub string) map[string]any {
	return map[string]any{
		"iss":   "https://issuer.example",
		"sub":   sub,
		"aud":   "sigstore",
		"email": sub + "@example.com",
		"iat":   testNow.Add(-time.Minute).Unix(),
		"nbf":   testNow.Add(-time.Minute).Unix(),
		"exp":   testNow.Add(9 * time.Minute).Unix(),
	}
}

// with returns a copy of m with the given changes; a nil value deletes the key.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the writes of the browser flow's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testOptions isolates Get from the machine it runs on: env is the whole environment,
// Google Cloud detection reads a file that does not exist, nothing is interactive, the
// clock is testNow, and Stderr is captured.
func testOptions(t *testing.T, env map[string]string) (Options, *syncBuffer) {
	t.Helper()
	stderr := &syncBuffer{}
	return Options{
		Getenv:         func(k string) string { return env[k] },
		Flow:           FlowNone,
		Now:            func() time.Time { return testNow },
		Stderr:         stderr,
		OpenBrowser:    func(string) error { t.Error("OpenBrowser called"); return nil },
		gceProductFile: filepath.Join(t.TempDir(), "no-product-name"),
		sleep:          func(ctx context.Context, _ time.Duration) error { return ctx.Err() }, // retries: no waiting
	}, stderr
}
