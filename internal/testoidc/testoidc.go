// Package testoidc is a minimal OpenID Connect issuer for end-to-end tests
// against a private Sigstore on loopback.
//
// It owns one ES256 signing key and serves, under its own issuer URL:
//
//	GET  /.well-known/openid-configuration   discovery; "issuer" is the issuer URL exactly
//	GET  /jwks                               the public key as a JWK set
//	GET  /token?sub=&email=&...              a fresh ID token, as text/plain
//	POST /token (form, same fields)          {"id_token","access_token","token_type","expires_in"}
//
// Token fields (query or form): sub, email, email_verified (default true),
// aud (default the issuer's audience, "sigstore"), ttl (Go duration, default
// the issuer's lifetime), age (Go duration: backdate iat/nbf/exp by this much,
// so ttl=1m&age=1h mints an expired token) and claims (a JSON object merged
// into the payload, for CI-style claims; it cannot override iss).
//
// Tokens carry iss, sub, aud, email, email_verified, iat, nbf and exp. An
// issuer of StyleURI mints URI subjects (Fulcio issuer type "uri") and no
// email unless one is asked for.
//
// It trusts nobody: anyone who can reach it gets a token for any identity.
// That is the point in a test and why it must only ever listen on loopback.
package testoidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Style chooses what kind of subject an issuer mints by default.
type Style string

const (
	// StyleEmail mints tokens whose identity is the email claim
	// (Fulcio issuer type "email"); sub defaults to the email address.
	StyleEmail Style = "email"
	// StyleURI mints tokens whose sub is a URI under the issuer's own host
	// (Fulcio issuer type "uri" with SubjectDomain = scheme://host of the issuer).
	StyleURI Style = "uri"
)

// Defaults used when Config and Request leave a field empty.
const (
	DefaultAudience = "sigstore"
	DefaultLifetime = 10 * time.Minute
	DefaultEmail    = "signet-test@example.com"
	// MaxLifetime bounds ttl so a typo cannot mint a token for a year.
	MaxLifetime = 24 * time.Hour
)

// Config describes one issuer. URL and Key are required.
type Config struct {
	// URL is the issuer identifier, e.g. "http://127.0.0.1:8090" or
	// "http://127.0.0.1:8090/uri". It is used verbatim as iss and as the
	// discovery document's issuer; a trailing slash is removed.
	URL string
	// Key signs tokens. It must be a P-256 key (ES256).
	Key *ecdsa.PrivateKey
	// Style is StyleEmail when empty.
	Style Style
	// Audience is DefaultAudience when empty.
	Audience string
	// Lifetime is the default token lifetime; DefaultLifetime when zero.
	Lifetime time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Issuer mints ID tokens and serves the endpoints that verify them.
// It is an http.Handler for the paths under its URL's path.
type Issuer struct {
	url      string
	base     string // URL path prefix, "" for the root
	key      *ecdsa.PrivateKey
	kid      string
	jwk      jwk
	style    Style
	audience string
	lifetime time.Duration
	now      func() time.Time
}

// New checks cfg and returns its issuer.
func New(cfg Config) (*Issuer, error) {
	issURL := strings.TrimSuffix(cfg.URL, "/")
	u, err := url.Parse(issURL)
	if err != nil {
		return nil, fmt.Errorf("testoidc: issuer url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("testoidc: issuer url %q: want http(s)://host[:port][/path]", cfg.URL)
	}
	if cfg.Key == nil {
		return nil, errors.New("testoidc: no signing key")
	}
	if cfg.Key.Curve != elliptic.P256() {
		return nil, errors.New("testoidc: signing key is not P-256")
	}
	style := cfg.Style
	switch style {
	case "":
		style = StyleEmail
	case StyleEmail, StyleURI:
	default:
		return nil, fmt.Errorf("testoidc: unknown style %q", style)
	}
	iss := &Issuer{
		url:      issURL,
		base:     strings.TrimSuffix(u.Path, "/"),
		key:      cfg.Key,
		style:    style,
		audience: cfg.Audience,
		lifetime: cfg.Lifetime,
		now:      cfg.Now,
	}
	if iss.audience == "" {
		iss.audience = DefaultAudience
	}
	if iss.lifetime == 0 {
		iss.lifetime = DefaultLifetime
	}
	if iss.lifetime < 0 || iss.lifetime > MaxLifetime {
		return nil, fmt.Errorf("testoidc: lifetime %v out of range (0, %v]", iss.lifetime, MaxLifetime)
	}
	if iss.now == nil {
		iss.now = time.Now
	}
	iss.jwk, iss.kid, err = publicJWK(&cfg.Key.PublicKey)
	if err != nil {
		return nil, err
	}
	return iss, nil
}

// URL returns the issuer identifier, the exact value of iss.
func (iss *Issuer) URL() string { return iss.url }

// KeyID returns the JWK thumbprint (RFC 7638) used as kid.
func (iss *Issuer) KeyID() string { return iss.kid }

// Request says what to put in a token. The zero value asks for the
// issuer's default identity.
type Request struct {
	// Subject is the sub claim. Default: Email for StyleEmail; the issuer
	// URL + "/users/signet-test" for StyleURI.
	Subject string
	// Email is the email claim. Default: DefaultEmail for StyleEmail,
	// absent for StyleURI.
	Email string
	// EmailUnverified sets email_verified to false.
	EmailUnverified bool
	// Audience overrides the issuer's audience.
	Audience string
	// TTL overrides the issuer's lifetime. It must be positive.
	TTL time.Duration
	// Age backdates iat and nbf (and so exp) by this much: TTL 1m with Age
	// 1h gives a token that expired 59 minutes ago.
	Age time.Duration
	// Claims are extra claims (e.g. GitHub Actions claims). They cannot
	// replace iss, iat, nbf or exp.
	Claims map[string]any
}

// Mint returns a signed compact JWT for req.
func (iss *Issuer) Mint(req Request) (string, error) {
	ttl := req.TTL
	if ttl == 0 {
		ttl = iss.lifetime
	}
	if ttl <= 0 || ttl > MaxLifetime {
		return "", fmt.Errorf("testoidc: ttl %v out of range (0, %v]", ttl, MaxLifetime)
	}
	if req.Age < 0 {
		return "", fmt.Errorf("testoidc: negative age %v", req.Age)
	}
	aud := req.Audience
	if aud == "" {
		aud = iss.audience
	}
	email, sub := req.Email, req.Subject
	if iss.style == StyleEmail {
		if email == "" {
			email = DefaultEmail
		}
		if sub == "" {
			sub = email
		}
	} else if sub == "" {
		sub = iss.url + "/users/signet-test"
	}

	issued := iss.now().Add(-req.Age).Unix()
	claims := make(map[string]any, len(req.Claims)+8)
	for k, v := range req.Claims {
		claims[k] = v
	}
	for _, k := range []string{"iss", "iat", "nbf", "exp"} {
		if _, ok := req.Claims[k]; ok {
			return "", fmt.Errorf("testoidc: claim %q cannot be overridden", k)
		}
	}
	claims["iss"] = iss.url
	claims["sub"] = sub
	claims["aud"] = aud
	claims["iat"] = issued
	claims["nbf"] = issued
	claims["exp"] = issued + int64(ttl/time.Second)
	if email != "" {
		claims["email"] = email
		claims["email_verified"] = !req.EmailUnverified
	}
	return iss.sign(claims)
}

func (iss *Issuer) sign(claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": iss.kid})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("testoidc: claims: %w", err)
	}
	b64 := base64.RawURLEncoding
	signingInput := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signingInput))
	r, s, err := ecdsa.Sign(rand.Reader, iss.key, digest[:])
	if err != nil {
		return "", fmt.Errorf("testoidc: sign: %w", err)
	}
	// JWS ES256 signatures are R || S, each left-padded to 32 bytes (RFC 7518 §3.4).
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signingInput + "." + b64.EncodeToString(sig), nil
}

// ServeHTTP serves discovery, JWKS and the token endpoint under the issuer's path.
func (iss *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, iss.base)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch rest {
	case "/.well-known/openid-configuration":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		writeJSON(w, http.StatusOK, iss.discovery())
	case "/jwks":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"keys": []jwk{iss.jwk}})
	case "/token":
		if !allow(w, r, http.MethodGet, http.MethodPost) {
			return
		}
		iss.serveToken(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (iss *Issuer) discovery() map[string]any {
	return map[string]any{
		"issuer":                                iss.url,
		"jwks_uri":                              iss.url + "/jwks",
		"token_endpoint":                        iss.url + "/token",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"grant_types_supported":                 []string{"client_credentials"},
		"claims_supported":                      []string{"iss", "sub", "aud", "iat", "nbf", "exp", "email", "email_verified"},
		"scopes_supported":                      []string{"openid", "email"},
	}
}

func (iss *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	req, err := parseRequest(r.Form)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tok, err := iss.Mint(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(tok))
		return
	}
	ttl := req.TTL
	if ttl == 0 {
		ttl = iss.lifetime
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id_token":     tok,
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int64((ttl - req.Age) / time.Second),
	})
}

func parseRequest(v url.Values) (Request, error) {
	req := Request{
		Subject:  v.Get("sub"),
		Email:    v.Get("email"),
		Audience: v.Get("aud"),
	}
	if s := v.Get("email_verified"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return req, fmt.Errorf("email_verified: %w", err)
		}
		req.EmailUnverified = !b
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"ttl", &req.TTL}, {"age", &req.Age}} {
		s := v.Get(d.name)
		if s == "" {
			continue
		}
		x, err := time.ParseDuration(s)
		if err != nil {
			return req, fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = x
	}
	if s := v.Get("claims"); s != "" {
		if err := json.Unmarshal([]byte(s), &req.Claims); err != nil {
			return req, fmt.Errorf("claims: want a JSON object: %w", err)
		}
	}
	return req, nil
}

func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// jwk is an EC public JSON Web Key (RFC 7517, RFC 7518 §6.2).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// publicJWK returns the JWK of pub and its RFC 7638 thumbprint.
func publicJWK(pub *ecdsa.PublicKey) (jwk, string, error) {
	point, err := pub.Bytes() // 0x04 || X || Y
	if err != nil {
		return jwk{}, "", fmt.Errorf("testoidc: public key: %w", err)
	}
	b64 := base64.RawURLEncoding
	x, y := b64.EncodeToString(point[1:33]), b64.EncodeToString(point[33:])
	// Thumbprint input: required members only, lexicographic order, no spaces.
	thumb := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	kid := b64.EncodeToString(thumb[:])
	return jwk{Kty: "EC", Crv: "P-256", X: x, Y: y, Use: "sig", Alg: "ES256", Kid: kid}, kid, nil
}

// LoadOrCreateKey reads a PKCS#8 PEM P-256 key from path, or, when the file
// does not exist, generates one and writes it there (mode 0600), so tokens
// stay valid across restarts of the issuer.
func LoadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return parseKey(path, b)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("testoidc: read key: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testoidc: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("testoidc: marshal key: %w", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("testoidc: key dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, fmt.Errorf("testoidc: write key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(pemBytes); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("testoidc: write key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("testoidc: write key: %w", err)
	}
	// Link, not rename: if another process created the key meanwhile, keep theirs.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateKey(path)
		}
		return nil, fmt.Errorf("testoidc: write key: %w", err)
	}
	return key, nil
}

func parseKey(path string, b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("testoidc: %s: want a PKCS#8 PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("testoidc: %s: %w", path, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("testoidc: %s: not a P-256 key", path)
	}
	return key, nil
}

// Public returns the issuer's public key.
func (iss *Issuer) Public() crypto.PublicKey { return &iss.key.PublicKey }
