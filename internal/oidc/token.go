package oidc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxTokenSize is the largest identity token ParseToken accepts. Real ones are 1-2 KiB.
const MaxTokenSize = 64 << 10

// DefaultAudience is the audience Sigstore's Fulcio expects in identity tokens.
const DefaultAudience = "sigstore"

// clockSkew is how far the local clock may be off from the issuer's.
const clockSkew = 30 * time.Second

// Token is an identity token with the claims signet needs. Its signature is not verified
// here: Fulcio does that against the issuer's keys.
//
// The raw token is a bearer credential. String and GoString return a redacted description,
// so printing a Token, by accident or in a log, never shows it; only Raw does.
type Token struct {
	raw       string
	source    string
	nonce     string
	notBefore time.Time

	Issuer   string    // iss
	Subject  string    // sub
	Email    string    // email; empty if absent
	Audience []string  // aud, always as a list
	Expiry   time.Time // exp
	IssuedAt time.Time // iat; zero if absent
}

// Raw returns the compact JWT, to send to Fulcio. Never print or log it.
func (t *Token) Raw() string { return t.raw }

// Identity returns the email claim if there is one, else the subject: what a certificate
// for this token will name.
func (t *Token) Identity() string {
	if t.Email != "" {
		return t.Email
	}
	return t.Subject
}

// Source says where Get found the token, for a line like "using identity token from
// GitHub Actions": "--identity-token", "$SIGSTORE_ID_TOKEN", "$SIGSTORE_IDENTITY_TOKEN",
// "GitHub Actions", "GitLab CI", "Buildkite", "CircleCI", "the Google Cloud metadata
// server", "browser sign-in at <issuer>" or "device sign-in at <issuer>". It is empty for
// a token from ParseToken.
func (t *Token) Source() string { return t.source }

// String describes the token without its secret parts, e.g. "token for
// alice@example.com from https://oauth2.sigstore.dev/auth (expires 2025-01-02T15:04:05Z)".
// It has a value receiver so that printing a Token or a *Token both use it.
func (t Token) String() string {
	return fmt.Sprintf("token for %s from %s (expires %s)", t.Identity(), t.Issuer,
		t.Expiry.UTC().Format(time.RFC3339))
}

// GoString keeps %#v from printing the raw token.
func (t Token) GoString() string { return "oidc.Token{" + t.String() + "}" }

// ParseToken decodes a compact JWT's claims. It checks the shape (three base64url parts,
// JSON header and claims, iss, sub, aud and exp present and well typed, at most
// MaxTokenSize bytes) but not the signature, the time or the audience: call Check.
// Errors never contain the token.
func ParseToken(raw string) (*Token, error) {
	t, err := parseToken(raw)
	if err != nil {
		return nil, &sourceError{err: err}
	}
	return t, nil
}

func parseToken(raw string) (*Token, error) {
	if len(raw) > MaxTokenSize {
		return nil, invalid("too large: %d bytes, the limit is %d", len(raw), MaxTokenSize)
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, invalid("malformed: a JWT has 3 dot-separated parts, this has %d", len(parts))
	}
	var segs [3][]byte
	for i, name := range []string{"header", "claims", "signature"} {
		b, err := decodeSegment(parts[i])
		if err != nil {
			return nil, invalid("malformed: %s: %v", name, err)
		}
		segs[i] = b
	}

	var header map[string]json.RawMessage
	if err := json.Unmarshal(segs[0], &header); err != nil || header == nil {
		return nil, invalid("malformed: header is not a JSON object")
	}
	var alg string
	if err := getClaim(header, "alg", &alg, true); err != nil {
		return nil, invalid("malformed: header: %v", err)
	}
	if strings.EqualFold(alg, "none") {
		return nil, invalid("malformed: unsigned (alg none)")
	}

	var claims map[string]json.RawMessage
	if err := json.Unmarshal(segs[1], &claims); err != nil || claims == nil {
		return nil, invalid("malformed: claims are not a JSON object")
	}
	t := &Token{raw: raw}
	var aud audience
	var exp, iat, nbf numericDate
	for _, c := range []struct {
		name     string
		dst      any
		required bool
	}{
		{"iss", &t.Issuer, true},
		{"sub", &t.Subject, true},
		{"aud", &aud, true},
		{"exp", &exp, true},
		{"iat", &iat, false},
		{"nbf", &nbf, false},
		{"email", &t.Email, false},
		{"nonce", &t.nonce, false},
	} {
		if err := getClaim(claims, c.name, c.dst, c.required); err != nil {
			return nil, invalid("malformed: %v", err)
		}
	}
	if t.Issuer == "" || t.Subject == "" {
		return nil, invalid("malformed: empty iss or sub claim")
	}
	t.Audience = aud
	t.Expiry, t.IssuedAt, t.notBefore = time.Time(exp), time.Time(iat), time.Time(nbf)
	return t, nil
}

// decodeSegment decodes one base64url part strictly: no padding, no characters outside the
// URL-safe alphabet (the decoder would skip newlines), no stray trailing bits, not empty.
func decodeSegment(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("empty")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("not base64url: unexpected character at offset %d", i)
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64url: %v", err)
	}
	return b, nil
}

// getClaim decodes the claim name from m into dst. JSON null counts as absent.
func getClaim(m map[string]json.RawMessage, name string, dst any, required bool) error {
	v, ok := m[name]
	if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		if required {
			return fmt.Errorf("no %s claim", name)
		}
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("%s claim: %v", name, typeError(err))
	}
	return nil
}

// typeError shortens encoding/json's messages to what a user can act on.
func typeError(err error) error {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Errorf("want a %s, got a %s", te.Type, te.Value)
	}
	return err
}

// audience is the aud claim: RFC 7519 allows a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		if one == "" {
			return fmt.Errorf("empty")
		}
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or an array of strings")
	}
	if len(many) == 0 || slices.Contains(many, "") {
		return fmt.Errorf("empty")
	}
	*a = many
	return nil
}

// numericDate is a JWT NumericDate: seconds since the epoch, possibly fractional.
type numericDate time.Time

func (d *numericDate) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if b[0] == '"' || err != nil {
		return fmt.Errorf("want a number of seconds")
	}
	// Before 1970 or after 9999 is not a real token.
	if f < 0 || f > 253402300799 || math.IsNaN(f) {
		return fmt.Errorf("out of range")
	}
	sec, frac := math.Modf(f)
	*d = numericDate(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

// Check reports whether the token can be used at now for audience (DefaultAudience if
// empty): not expired, not used before its nbf or iat, both with 30 seconds of leeway for
// clock skew, and aud containing audience.
func (t *Token) Check(now time.Time, audience string) error {
	if err := t.check(now, audience); err != nil {
		return &sourceError{err: err}
	}
	return nil
}

func (t *Token) check(now time.Time, audience string) error {
	if audience == "" {
		audience = DefaultAudience
	}
	const layout = time.RFC3339
	if !now.Before(t.Expiry.Add(clockSkew)) {
		return invalid("expired at %s; get a fresh one", t.Expiry.UTC().Format(layout))
	}
	if !t.notBefore.IsZero() && now.Add(clockSkew).Before(t.notBefore) {
		return invalid("is not valid before %s (now %s); check the system clock",
			t.notBefore.UTC().Format(layout), now.UTC().Format(layout))
	}
	if !t.IssuedAt.IsZero() && now.Add(clockSkew).Before(t.IssuedAt) {
		return invalid("was issued in the future, at %s (now %s); check the system clock",
			t.IssuedAt.UTC().Format(layout), now.UTC().Format(layout))
	}
	if !slices.Contains(t.Audience, audience) {
		shown := make([]string, len(t.Audience))
		for i, a := range t.Audience {
			shown[i] = clean(a)
		}
		return invalid("audience is %v, want %s", shown, audience)
	}
	return nil
}
