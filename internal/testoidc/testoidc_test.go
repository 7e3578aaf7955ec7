package testoidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// startIssuers serves an email issuer at the root and a URI issuer at /uri,
// like scripts/stack/oidc-issuer does.
func startIssuers(t *testing.T, key *ecdsa.PrivateKey) (srv *httptest.Server, email, uri *Issuer) {
	t.Helper()
	mux := http.NewServeMux()
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var err error
	email, err = New(Config{URL: srv.URL, Key: key, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	uri, err = New(Config{URL: srv.URL + "/uri", Key: key, Style: StyleURI, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/uri/", uri)
	mux.Handle("/", email)
	return srv, email, uri
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// verify checks tok the way an OIDC relying party does: discovery, issuer
// match, JWKS by kid, ES256 signature. It returns the claims.
func verify(t *testing.T, issuerURL, tok string) (map[string]any, error) {
	t.Helper()
	var disc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	getJSON(t, issuerURL+"/.well-known/openid-configuration", &disc)
	if disc.Issuer != issuerURL {
		return nil, fmt.Errorf("discovery issuer %q, want %q", disc.Issuer, issuerURL)
	}
	var set struct{ Keys []jwk }
	getJSON(t, disc.JWKSURI, &set)

	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%d parts", len(parts))
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("base64url: %v", err)
		}
		return b
	}
	var hdr struct{ Alg, Kid, Typ string }
	if err := json.Unmarshal(dec(parts[0]), &hdr); err != nil {
		return nil, err
	}
	if hdr.Alg != "ES256" || hdr.Typ != "JWT" {
		return nil, fmt.Errorf("header %+v", hdr)
	}
	var pub *ecdsa.PublicKey
	for _, k := range set.Keys {
		if k.Kid == hdr.Kid {
			p, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, dec(k.X)...), dec(k.Y)...))
			if err != nil {
				return nil, err
			}
			pub = p
		}
	}
	if pub == nil {
		return nil, fmt.Errorf("no key %q in JWKS", hdr.Kid)
	}
	sig := dec(parts[2])
	if len(sig) != 64 {
		return nil, fmt.Errorf("signature length %d", len(sig))
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, fmt.Errorf("bad signature")
	}
	var claims map[string]any
	if err := json.Unmarshal(dec(parts[1]), &claims); err != nil {
		return nil, err
	}
	if claims["iss"] != issuerURL {
		return nil, fmt.Errorf("iss %v, want %v", claims["iss"], issuerURL)
	}
	return claims, nil
}

func num(v any) int64 { f, _ := v.(float64); return int64(f) }

func TestEmailToken(t *testing.T) {
	srv, _, _ := startIssuers(t, newKey(t))
	tok, err := FetchToken(context.Background(), nil, srv.URL, Request{Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := verify(t, srv.URL, tok)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"iss": srv.URL, "sub": "alice@example.com", "aud": "sigstore",
		"email": "alice@example.com", "email_verified": true,
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("%s = %v, want %v", k, claims[k], v)
		}
	}
	iat, nbf, exp := num(claims["iat"]), num(claims["nbf"]), num(claims["exp"])
	if iat != fixedNow.Unix() || nbf != iat || exp != iat+int64(DefaultLifetime/time.Second) {
		t.Errorf("iat %d nbf %d exp %d", iat, nbf, exp)
	}
}

func TestTamperedTokenFails(t *testing.T) {
	srv, iss, _ := startIssuers(t, newKey(t))
	tok, err := iss.Mint(Request{})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	evil, _ := json.Marshal(map[string]any{"iss": srv.URL, "sub": "mallory@example.com"})
	parts[1] = base64.RawURLEncoding.EncodeToString(evil)
	if _, err := verify(t, srv.URL, strings.Join(parts, ".")); err == nil {
		t.Fatal("tampered token verified")
	}
	// Signed by another key with the same kid: JWKS lookup succeeds, signature must not.
	other, err := New(Config{URL: srv.URL, Key: newKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	other.kid = iss.kid
	tok2, err := other.Mint(Request{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, srv.URL, tok2); err == nil {
		t.Fatal("token from foreign key verified")
	}
}

func TestURIToken(t *testing.T) {
	srv, _, uri := startIssuers(t, newKey(t))
	tok, err := FetchToken(context.Background(), nil, uri.URL(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := verify(t, srv.URL+"/uri", tok)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := claims["sub"], srv.URL+"/uri/users/signet-test"; got != want {
		t.Errorf("sub %v, want %v", got, want)
	}
	if _, ok := claims["email"]; ok {
		t.Errorf("URI token has email %v", claims["email"])
	}
	// The email issuer's discovery stays its own.
	var disc struct{ Issuer string }
	getJSON(t, srv.URL+"/.well-known/openid-configuration", &disc)
	if disc.Issuer != srv.URL {
		t.Errorf("root discovery issuer %q", disc.Issuer)
	}
}

func TestTokenOptions(t *testing.T) {
	srv, _, _ := startIssuers(t, newKey(t))
	tests := []struct {
		name  string
		query string
		check func(t *testing.T, c map[string]any)
		code  int
	}{
		{name: "expired", query: "ttl=1m&age=1h", check: func(t *testing.T, c map[string]any) {
			if exp := num(c["exp"]); exp >= fixedNow.Unix() {
				t.Errorf("exp %d not before now %d", exp, fixedNow.Unix())
			}
		}},
		{name: "ttl", query: "ttl=30s", check: func(t *testing.T, c map[string]any) {
			if d := num(c["exp"]) - num(c["iat"]); d != 30 {
				t.Errorf("lifetime %ds", d)
			}
		}},
		{name: "audience", query: "aud=other", check: func(t *testing.T, c map[string]any) {
			if c["aud"] != "other" {
				t.Errorf("aud %v", c["aud"])
			}
		}},
		{name: "unverified", query: "email_verified=false", check: func(t *testing.T, c map[string]any) {
			if c["email_verified"] != false {
				t.Errorf("email_verified %v", c["email_verified"])
			}
		}},
		{name: "extra claims", query: "sub=repo:o/r&claims=" + url.QueryEscape(`{"repository":"o/r","sub":"ignored?"}`), check: func(t *testing.T, c map[string]any) {
			if c["repository"] != "o/r" || c["sub"] != "repo:o/r" {
				t.Errorf("claims %v", c)
			}
		}},
		{name: "zero ttl", query: "ttl=0s", code: 200},
		{name: "negative ttl", query: "ttl=-1m", code: 400},
		{name: "huge ttl", query: "ttl=1000h", code: 400},
		{name: "bad ttl", query: "ttl=soon", code: 400},
		{name: "negative age", query: "age=-1h", code: 400},
		{name: "claims not object", query: "claims=[1]", code: 400},
		{name: "override iss", query: "claims=" + url.QueryEscape(`{"iss":"https://evil"}`), code: 400},
		{name: "override exp", query: "claims=" + url.QueryEscape(`{"exp":1}`), code: 400},
		{name: "bad bool", query: "email_verified=maybe", code: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/token?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := tt.code
			if want == 0 {
				want = 200
			}
			if resp.StatusCode != want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, body)
			}
			if tt.check == nil {
				return
			}
			claims, err := verify(t, srv.URL, string(body))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, claims)
		})
	}
}

func TestPostToken(t *testing.T) {
	srv, _, _ := startIssuers(t, newKey(t))
	resp, err := http.PostForm(srv.URL+"/token", url.Values{"email": {"bob@example.com"}, "ttl": {"2m"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		IDToken   string `json:"id_token"`
		TokenType string `json:"token_type"`
		ExpiresIn int64  `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.TokenType != "Bearer" || out.ExpiresIn != 120 {
		t.Errorf("response %+v", out)
	}
	claims, err := verify(t, srv.URL, out.IDToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims["email"] != "bob@example.com" {
		t.Errorf("email %v", claims["email"])
	}
}

func TestRoutes(t *testing.T) {
	srv, _, _ := startIssuers(t, newKey(t))
	for _, tt := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/jwks", 200},
		{"GET", "/uri/jwks", 200},
		{"DELETE", "/token", 405},
		{"POST", "/jwks", 405},
		{"GET", "/nope", 404},
		{"GET", "/uri/nope", 404},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.code)
		}
	}
}

func TestNewRejects(t *testing.T) {
	key := newKey(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]Config{
		"no key":       {URL: "http://127.0.0.1:1"},
		"p384":         {URL: "http://127.0.0.1:1", Key: p384},
		"no scheme":    {URL: "127.0.0.1:1", Key: key},
		"query":        {URL: "http://127.0.0.1:1/?a=b", Key: key},
		"bad style":    {URL: "http://127.0.0.1:1", Key: key, Style: "github"},
		"bad lifetime": {URL: "http://127.0.0.1:1", Key: key, Lifetime: -time.Second},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	iss, err := New(Config{URL: "http://127.0.0.1:1/", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if iss.URL() != "http://127.0.0.1:1" {
		t.Errorf("URL %q: trailing slash kept", iss.URL())
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "issuer.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.Equal(k2) {
		t.Fatal("key changed across loads")
	}
	// A token minted before a "restart" verifies against the JWKS after it.
	iss1, _ := New(Config{URL: "http://127.0.0.1:1", Key: k1})
	iss2, _ := New(Config{URL: "http://127.0.0.1:1", Key: k2})
	if iss1.KeyID() != iss2.KeyID() {
		t.Error("kid changed across loads")
	}

	bad := filepath.Join(t.TempDir(), "bad.key")
	if err := os.WriteFile(bad, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(bad); err == nil {
		t.Error("garbage key loaded")
	}
}

// The kid is the RFC 7638 thumbprint; check it against the RFC's own example
// key construction (members sorted, no whitespace) with a known P-256 key.
func TestThumbprint(t *testing.T) {
	key := newKey(t)
	j, kid, err := publicJWK(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	canon, _ := json.Marshal(struct {
		Crv string `json:"crv"`
		Kty string `json:"kty"`
		X   string `json:"x"`
		Y   string `json:"y"`
	}{j.Crv, j.Kty, j.X, j.Y})
	sum := sha256.Sum256(canon)
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); kid != want {
		t.Errorf("kid %s, want %s", kid, want)
	}
}
