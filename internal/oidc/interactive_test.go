package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/testoidc"
)

// fakeIdP is an OpenID provider for the interactive flows: discovery, /authorize, /token
// (authorization code with PKCE, and the device grant) and /device. ID tokens are minted
// by testoidc with the fake's URL as issuer. Its modes make it misbehave.
type fakeIdP struct {
	t   *testing.T
	srv *httptest.Server
	iss *testoidc.Issuer

	mu sync.Mutex
	// Modes.
	discoveryIssuer string   // issuer claimed by discovery; the real URL if ""
	authorizeMode   string   // "", "deny", "wrong state", "other challenge"
	tokenMode       string   // "", "invalid_grant", "500", "wrong nonce", "other issuer", "no id_token"
	deviceAnswers   []string // one per poll: an OAuth error code, "500", or "ok"
	deviceExpiresIn int
	// What happened.
	challenge, nonce, redirect, code string
	tokenRequests, polls             int
	authorizeRequests, deviceStarts  int
}

const (
	fakeDeviceCode = "DEVICE-CODE-SECRET-5d41402a"
	fakeUserCode   = "WDJB-MJHT"
)

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	f := &fakeIdP{t: t, deviceExpiresIn: 300}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	f.iss, err = testoidc.New(testoidc.Config{URL: f.srv.URL, Key: key})
	require.NoError(t, err)
	return f
}

func (f *fakeIdP) URL() string { return f.srv.URL }

func (f *fakeIdP) set(fn func(f *fakeIdP)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeIdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		iss := f.discoveryIssuer
		if iss == "" {
			iss = f.srv.URL
		}
		writeJSON(w, http.StatusOK, map[string]string{
			"issuer":                        iss,
			"authorization_endpoint":        f.srv.URL + "/authorize",
			"token_endpoint":                f.srv.URL + "/token",
			"device_authorization_endpoint": f.srv.URL + "/device",
			"jwks_uri":                      f.srv.URL + "/jwks",
		})
	case "/authorize":
		f.authorize(w, r)
	case "/token":
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad token request", http.StatusBadRequest)
			return
		}
		switch r.PostForm.Get("grant_type") {
		case "authorization_code":
			f.exchange(w, r.PostForm)
		case deviceGrantType:
			f.poll(w, r.PostForm)
		default:
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		}
	case "/device":
		f.deviceStarts++
		if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != "sigstore" || !strings.Contains(r.PostForm.Get("scope"), "openid") {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"device_code":               fakeDeviceCode,
			"user_code":                 fakeUserCode,
			"verification_uri":          f.srv.URL + "/activate",
			"verification_uri_complete": f.srv.URL + "/activate?user_code=" + fakeUserCode,
			"expires_in":                f.deviceExpiresIn,
			"interval":                  1,
		})
	default:
		http.NotFound(w, r)
	}
}

var loopbackCallback = regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/auth/callback$`)

func (f *fakeIdP) authorize(w http.ResponseWriter, r *http.Request) {
	f.authorizeRequests++
	q := r.URL.Query()
	for k, ok := range map[string]bool{
		"response_type":         q.Get("response_type") == "code",
		"client_id":             q.Get("client_id") == "sigstore",
		"scope":                 q.Get("scope") == "openid email",
		"code_challenge_method": q.Get("code_challenge_method") == "S256",
		"code_challenge":        len(q.Get("code_challenge")) == 43,
		"redirect_uri":          loopbackCallback.MatchString(q.Get("redirect_uri")),
		"state":                 len(q.Get("state")) >= 32,
		"nonce":                 len(q.Get("nonce")) >= 32,
	} {
		if !ok {
			f.t.Errorf("authorize: bad %s in %v", k, q)
			http.Error(w, "bad "+k, http.StatusBadRequest)
			return
		}
	}
	f.challenge, f.nonce, f.redirect = q.Get("code_challenge"), q.Get("nonce"), q.Get("redirect_uri")
	f.code = "code-" + q.Get("state")[:8]
	answer := url.Values{"state": {q.Get("state")}, "code": {f.code}}
	switch f.authorizeMode {
	case "deny":
		answer = url.Values{"state": {q.Get("state")}, "error": {"access_denied"}, "error_description": {"the user said no"}}
	case "wrong state":
		answer.Set("state", "forged-state")
	case "other challenge": // a code issued to someone else's PKCE challenge
		sum := sha256.Sum256([]byte("someone else's verifier"))
		f.challenge = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	http.Redirect(w, r, f.redirect+"?"+answer.Encode(), http.StatusFound)
}

func (f *fakeIdP) exchange(w http.ResponseWriter, form url.Values) {
	f.tokenRequests++
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	switch {
	case form.Get("code") != f.code || form.Get("redirect_uri") != f.redirect || form.Get("client_id") != "sigstore":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "wrong code, redirect_uri or client"})
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != f.challenge:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "PKCE verification failed"})
		return
	}
	req := testoidc.Request{Email: "alice@example.com", Claims: map[string]any{"nonce": f.nonce}}
	iss := f.iss
	switch f.tokenMode {
	case "invalid_grant":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	case "500":
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	case "no id_token":
		writeJSON(w, http.StatusOK, map[string]any{"access_token": "at", "token_type": "bearer"})
		return
	case "wrong nonce":
		req.Claims["nonce"] = "some-other-nonce"
	case "other issuer":
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		iss, _ = testoidc.New(testoidc.Config{URL: "https://evil.example", Key: key})
	}
	f.respondToken(w, iss, req)
}

func (f *fakeIdP) poll(w http.ResponseWriter, form url.Values) {
	if form.Get("device_code") != fakeDeviceCode || form.Get("client_id") != "sigstore" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	f.polls++
	answer := "ok"
	if len(f.deviceAnswers) > 0 {
		answer, f.deviceAnswers = f.deviceAnswers[0], f.deviceAnswers[1:]
	}
	switch answer {
	case "ok":
		f.respondToken(w, f.iss, testoidc.Request{Email: "alice@example.com"})
	case "500":
		http.Error(w, "internal error", http.StatusInternalServerError)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": answer})
	}
}

func (f *fakeIdP) respondToken(w http.ResponseWriter, iss *testoidc.Issuer, req testoidc.Request) {
	idToken, err := iss.Mint(req)
	if err != nil {
		f.t.Error(err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": "access-token", "token_type": "bearer", "expires_in": 300, "id_token": idToken,
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// browserOptions drives the browser flow: OpenBrowser performs the GET a browser would,
// following the IdP's redirect to the loopback callback.
func browserOptions(t *testing.T, f *fakeIdP) (Options, *syncBuffer, *string) {
	o, stderr := testOptions(t, nil)
	o.Flow, o.IssuerURL, o.Now = FlowBrowser, f.URL(), time.Now
	opened := new(string)
	o.OpenBrowser = func(u string) error {
		*opened = u
		resp, err := http.Get(u)
		if err != nil {
			t.Errorf("browser: %v", err)
			return err
		}
		return resp.Body.Close()
	}
	return o, stderr, opened
}

// testContext bounds a test that waits on a flow, so a bug fails it instead of hanging.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestBrowserFlow(t *testing.T) {
	f := newFakeIdP(t)
	o, stderr, opened := browserOptions(t, f)
	tok, err := Get(testContext(t), o)
	require.NoError(t, err)
	assert.Equal(t, "alice@example.com", tok.Identity())
	assert.Equal(t, f.URL(), tok.Issuer)
	assert.Equal(t, "browser sign-in at "+f.URL(), tok.Source())
	assert.Equal(t, 1, f.tokenRequests)
	assert.Contains(t, stderr.String(), *opened, "the URL is shown in case no browser opens")
	assert.NotContains(t, stderr.String(), strings.Split(tok.Raw(), ".")[1])
}

// Each tampered twin of TestBrowserFlow changes one thing at the IdP.
func TestBrowserFlowTampered(t *testing.T) {
	tests := []struct {
		name          string
		authorizeMode string
		tokenMode     string
		discovery     string
		wantErr       string
		wantKind      error
		wantExchange  bool
	}{
		{name: "wrong state", authorizeMode: "wrong state", wantErr: "state does not match", wantKind: ErrInvalidToken},
		{name: "IdP error answer", authorizeMode: "deny", wantErr: "the identity provider refused the sign-in: access_denied (the user said no)", wantKind: ErrInvalidToken},
		{name: "bad verifier", authorizeMode: "other challenge", wantErr: "token endpoint refused the authorization code: 400 Bad Request: invalid_grant (PKCE verification failed)", wantKind: ErrInvalidToken, wantExchange: true},
		{name: "token endpoint error", tokenMode: "invalid_grant", wantErr: "invalid_grant", wantKind: ErrInvalidToken, wantExchange: true},
		{name: "token endpoint down", tokenMode: "500", wantErr: "token endpoint: 500 Internal Server Error", wantKind: ErrNetwork, wantExchange: true},
		{name: "no id_token", tokenMode: "no id_token", wantErr: "the token response has no id_token", wantKind: ErrInvalidToken, wantExchange: true},
		{name: "wrong nonce", tokenMode: "wrong nonce", wantErr: "nonce does not match", wantKind: ErrInvalidToken, wantExchange: true},
		{name: "other issuer", tokenMode: "other issuer", wantErr: "was issued by https://evil.example", wantKind: ErrInvalidToken, wantExchange: true},
		{name: "discovery names another issuer", discovery: "https://evil.example", wantErr: `discovery: the configuration names issuer "https://evil.example"`, wantKind: ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.set(func(f *fakeIdP) {
				f.authorizeMode, f.tokenMode, f.discoveryIssuer = tt.authorizeMode, tt.tokenMode, tt.discovery
			})
			o, stderr, _ := browserOptions(t, f)
			if tt.discovery != "" {
				o.OpenBrowser = func(string) error { t.Error("browser opened despite bad discovery"); return nil }
			}
			_, err := Get(testContext(t), o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), "identity token from browser sign-in at "+f.URL())
			assert.ErrorIs(t, err, tt.wantKind)
			f.set(func(f *fakeIdP) {
				assert.Equal(t, tt.wantExchange, f.tokenRequests > 0, "token endpoint called")
			})
			assert.NotContains(t, stderr.String(), "eyJ", "a token reached stderr")
		})
	}
}

// The callback answers only once; later or unrelated requests change nothing.
func TestCallbackOnce(t *testing.T) {
	cb := &callback{state: "s", done: make(chan callbackResult, 1)}
	srv := httptest.NewServer(cb)
	defer srv.Close()
	get := func(path string) int {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusNotFound, get("/favicon.ico"))
	assert.Equal(t, http.StatusOK, get("/auth/callback?state=s&code=c"))
	assert.Equal(t, http.StatusBadRequest, get("/auth/callback?state=s&code=other"))
	res := <-cb.done
	assert.Equal(t, "c", res.code)
	assert.NoError(t, res.err)
}

// deviceOptions drives the device flow with a clock that sleeping advances, and records
// the intervals slept.
func deviceOptions(t *testing.T, f *fakeIdP) (Options, *syncBuffer, *[]time.Duration) {
	o, stderr := testOptions(t, nil)
	o.Flow, o.IssuerURL = FlowDevice, f.URL()
	clock := time.Now()
	var slept []time.Duration
	o.Now = func() time.Time { return clock }
	o.sleep = func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		clock = clock.Add(d)
		return ctx.Err()
	}
	return o, stderr, &slept
}

func TestDeviceFlow(t *testing.T) {
	tests := []struct {
		name      string
		answers   []string
		expiresIn int
		wantSlept []time.Duration
		wantErr   string
		wantKind  error
	}{
		{name: "pending then success", answers: []string{"authorization_pending", "authorization_pending", "ok"}, wantSlept: []time.Duration{time.Second, time.Second, time.Second}},
		{name: "pending then success/access denied", answers: []string{"authorization_pending", "access_denied"}, wantErr: "the sign-in was denied", wantKind: ErrInvalidToken},
		{name: "slow down", answers: []string{"slow_down", "authorization_pending", "ok"}, wantSlept: []time.Duration{time.Second, 6 * time.Second, 6 * time.Second}},
		{name: "slow down/expired token", answers: []string{"slow_down", "expired_token"}, wantErr: "the device code expired before the sign-in finished", wantKind: ErrInvalidToken},
		{name: "success in time", answers: []string{"authorization_pending", "ok"}, expiresIn: 3},
		{name: "success in time/code expires by the clock", answers: []string{"authorization_pending", "authorization_pending", "authorization_pending", "ok"}, expiresIn: 3, wantErr: "the device code expired", wantKind: ErrInvalidToken},
		{name: "server error", answers: []string{"authorization_pending", "500"}, wantErr: "device token request: HTTP 500", wantKind: ErrNetwork},
		{name: "unknown error", answers: []string{"invalid_client"}, wantErr: "device token request: HTTP 400: invalid_client", wantKind: ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.set(func(f *fakeIdP) {
				f.deviceAnswers = tt.answers
				if tt.expiresIn != 0 {
					f.deviceExpiresIn = tt.expiresIn
				}
			})
			o, stderr, slept := deviceOptions(t, f)
			tok, err := Get(testContext(t), o)

			out := stderr.String()
			assert.Contains(t, out, f.URL()+"/activate")
			assert.Contains(t, out, fakeUserCode)
			assert.NotContains(t, out, fakeDeviceCode, "the device code is a credential")
			assert.NotContains(t, out, "eyJ", "a token reached stderr")
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "alice@example.com", tok.Identity())
				assert.Equal(t, "device sign-in at "+f.URL(), tok.Source())
				if tt.wantSlept != nil {
					assert.Equal(t, tt.wantSlept, *slept)
				}
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "identity token from device sign-in at "+f.URL()+": "+tt.wantErr)
			assert.ErrorIs(t, err, tt.wantKind)
			assert.NotContains(t, err.Error(), fakeDeviceCode)
		})
	}
}

// FlowAuto picks the browser on a terminal and the device flow elsewhere.
func TestFlowAuto(t *testing.T) {
	f := newFakeIdP(t)
	o, _, _ := browserOptions(t, f)
	o.Flow, o.Interactive = FlowAuto, true
	tok, err := Get(testContext(t), o)
	require.NoError(t, err)
	assert.Equal(t, "browser sign-in at "+f.URL(), tok.Source())

	o, _, _ = deviceOptions(t, f)
	o.Flow, o.Interactive = FlowAuto, false
	tok, err = Get(testContext(t), o)
	require.NoError(t, err)
	assert.Equal(t, "device sign-in at "+f.URL(), tok.Source())
	f.set(func(f *fakeIdP) {
		assert.Equal(t, 1, f.authorizeRequests)
		assert.Equal(t, 1, f.deviceStarts)
	})
}

// Sign-in is only ever offered by the configured issuer over https (or loopback http).
func TestIssuerURLChecked(t *testing.T) {
	for _, issuer := range []string{"http://oauth2.example.com/auth", "ftp://x", "https://x/auth?q=1"} {
		o, _ := testOptions(t, nil)
		o.Flow, o.IssuerURL = FlowDevice, issuer
		_, err := Get(context.Background(), o)
		require.ErrorIs(t, err, ErrInvalidToken, issuer)
		assert.Contains(t, err.Error(), "is not an https URL")
	}
}
