package oidc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each valid case is followed by its tampered twin, which differs in one thing.
func TestParseAndCheck(t *testing.T) {
	base := goodClaims("alice")
	good := makeJWT(t, base)
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString

	// A claims segment with stray trailing bits: base64 of 2 bytes mod 3 leaves unused bits
	// in the last character; setting the lowest one keeps the alphabet but breaks strictness.
	claimsJSON := `{"iss":"https://issuer.example","sub":"alice","aud":"sigstore","exp":1700000540} `
	for len(claimsJSON)%3 == 0 {
		claimsJSON += " "
	}
	strictSeg := enc([]byte(claimsJSON))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, strictSeg[len(strictSeg)-1])
	sloppySeg := strictSeg[:len(strictSeg)-1] + string(alphabet[last+1])

	big := strings.Repeat("x", MaxTokenSize*3/4-1000) // base64 makes it 4/3 as long

	tests := []struct {
		name     string
		raw      string
		now      time.Time // testNow if zero
		audience string
		wantErr  string // substring; "" means valid
	}{
		{name: "valid", raw: good},
		{name: "valid/expired", raw: makeJWT(t, with(base, "exp", testNow.Add(-31*time.Second).Unix())), wantErr: "identity token expired at 2023-11-14T22:12:49Z; get a fresh one"},

		{name: "expired within leeway", raw: makeJWT(t, with(base, "exp", testNow.Add(-29*time.Second).Unix()))},
		{name: "expired within leeway/beyond it", raw: makeJWT(t, with(base, "exp", testNow.Add(-30*time.Second).Unix())), wantErr: "expired at"},

		{name: "not yet valid within leeway", raw: makeJWT(t, with(base, "nbf", testNow.Add(29*time.Second).Unix()))},
		{name: "not yet valid within leeway/beyond it", raw: makeJWT(t, with(base, "nbf", testNow.Add(5*time.Minute).Unix())), wantErr: "identity token is not valid before 2023-11-14T22:18:20Z"},

		{name: "issued just now", raw: makeJWT(t, with(base, "iat", testNow.Add(29*time.Second).Unix(), "nbf", nil))},
		{name: "issued just now/in the future", raw: makeJWT(t, with(base, "iat", testNow.Add(time.Hour).Unix(), "nbf", nil)), wantErr: "was issued in the future"},

		{name: "audience array", raw: makeJWT(t, with(base, "aud", []string{"other", "sigstore"}))},
		{name: "audience array/without sigstore", raw: makeJWT(t, with(base, "aud", []string{"other", "more"})), wantErr: "identity token audience is [other more], want sigstore"},

		{name: "audience string", raw: makeJWT(t, with(base, "aud", "sigstore"))},
		{name: "audience string/other", raw: makeJWT(t, with(base, "aud", "sigstorex")), wantErr: "audience is [sigstorex], want sigstore"},

		{name: "custom audience", raw: makeJWT(t, with(base, "aud", "custom")), audience: "custom"},
		{name: "custom audience/default wanted", raw: makeJWT(t, with(base, "aud", "custom")), wantErr: "audience is [custom], want sigstore"},

		{name: "fractional exp", raw: makeJWT(t, with(base, "exp", float64(testNow.Unix())+100.5))},
		{name: "fractional exp/as a string", raw: makeJWT(t, with(base, "exp", fmt.Sprint(testNow.Unix()+100))), wantErr: "malformed: exp claim: want a number of seconds"},

		{name: "no iat or nbf", raw: makeJWT(t, with(base, "iat", nil, "nbf", nil))},
		{name: "no iat or nbf/no exp", raw: makeJWT(t, with(base, "iat", nil, "nbf", nil, "exp", nil)), wantErr: "malformed: no exp claim"},

		{name: "email optional", raw: makeJWT(t, with(base, "email", nil))},
		{name: "email optional/sub missing", raw: makeJWT(t, with(base, "email", nil, "sub", nil)), wantErr: "no sub claim"},

		{name: "iss string", raw: good},
		{name: "iss string/number", raw: makeJWT(t, with(base, "iss", 42)), wantErr: "iss claim: want a string, got a number"},
		{name: "iss string/empty", raw: makeJWT(t, with(base, "iss", "")), wantErr: "empty iss or sub"},
		{name: "iss string/wrong case key", raw: makeJWT(t, with(base, "iss", nil, "ISS", "https://issuer.example")), wantErr: "no iss claim"},

		{name: "aud array/empty", raw: makeJWT(t, with(base, "aud", []string{})), wantErr: "aud claim: empty"},
		{name: "aud array/number", raw: makeJWT(t, with(base, "aud", 7)), wantErr: "aud claim: want a string or an array of strings"},

		{name: "three parts", raw: good},
		{name: "three parts/two", raw: parts[0] + "." + parts[1], wantErr: "a JWT has 3 dot-separated parts, this has 2"},
		{name: "three parts/four", raw: good + ".x", wantErr: "this has 4"},
		{name: "three parts/empty signature", raw: parts[0] + "." + parts[1] + ".", wantErr: "signature: empty"},

		{name: "strict base64url", raw: parts[0] + "." + strictSeg + "." + parts[2]},
		{name: "strict base64url/trailing bits", raw: parts[0] + "." + sloppySeg + "." + parts[2], wantErr: "claims: not base64url"},
		{name: "strict base64url/padding", raw: parts[0] + "." + parts[1] + "==." + parts[2], wantErr: "claims: not base64url: unexpected character"},
		{name: "strict base64url/standard alphabet", raw: parts[0] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[1]) + "+." + parts[2], wantErr: "claims: not base64url"},
		{name: "strict base64url/newline", raw: parts[0] + "." + parts[1][:8] + "\n" + parts[1][8:] + "." + parts[2], wantErr: "claims: not base64url"},

		{name: "JSON claims", raw: good},
		{name: "JSON claims/not JSON", raw: parts[0] + "." + enc([]byte("{not json")) + "." + parts[2], wantErr: "claims are not a JSON object"},
		{name: "JSON claims/array", raw: parts[0] + "." + enc([]byte(`["iss"]`)) + "." + parts[2], wantErr: "claims are not a JSON object"},
		{name: "JSON header/not JSON", raw: enc([]byte("nope")) + "." + parts[1] + "." + parts[2], wantErr: "header is not a JSON object"},
		{name: "JSON header/alg none", raw: enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + "." + parts[2], wantErr: "unsigned (alg none)"},
		{name: "JSON header/no alg", raw: enc([]byte(`{"typ":"JWT"}`)) + "." + parts[1] + "." + parts[2], wantErr: "header: no alg claim"},

		{name: "large", raw: makeJWT(t, with(base, "pad", big))},
		{name: "large/oversized", raw: makeJWT(t, with(base, "pad", big+strings.Repeat("x", 3000))), wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = testNow
			}
			tok, err := ParseToken(tt.raw)
			if err == nil {
				err = tok.Check(now, tt.audience)
			}
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.raw, tok.Raw())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), "identity token "), err.Error())
			assert.ErrorIs(t, err, ErrInvalidToken)
			assert.False(t, errors.Is(err, ErrNetwork) || errors.Is(err, ErrNoToken))
			assert.NotContains(t, err.Error(), parts[1], "an error quotes the token")
		})
	}
}

func TestParseTokenClaims(t *testing.T) {
	raw := makeJWT(t, with(goodClaims("alice"), "aud", []string{"sigstore", "x"}, "exp", float64(testNow.Unix())+0.25))
	tok, err := ParseToken(raw)
	require.NoError(t, err)
	assert.Equal(t, "https://issuer.example", tok.Issuer)
	assert.Equal(t, "alice", tok.Subject)
	assert.Equal(t, "alice@example.com", tok.Email)
	assert.Equal(t, []string{"sigstore", "x"}, tok.Audience)
	assert.Equal(t, testNow.Add(250*time.Millisecond), tok.Expiry)
	assert.Equal(t, testNow.Add(-time.Minute), tok.IssuedAt)
	assert.Equal(t, "alice@example.com", tok.Identity())
	assert.Empty(t, tok.Source())

	noEmail, err := ParseToken(makeJWT(t, with(goodClaims("repo:o/r:ref:refs/heads/main"), "email", nil)))
	require.NoError(t, err)
	assert.Equal(t, "repo:o/r:ref:refs/heads/main", noEmail.Identity())
}

// Printing a token in any usual way shows who it is for, never the token.
func TestTokenNeverPrinted(t *testing.T) {
	raw := makeJWT(t, goodClaims("alice"))
	tok, err := ParseToken(raw)
	require.NoError(t, err)
	secret := strings.Split(raw, ".")[1]
	for _, s := range []string{
		tok.String(),
		fmt.Sprint(tok), fmt.Sprint(*tok),
		fmt.Sprintf("%v %+v %s %#v", tok, tok, tok, tok),
		fmt.Sprintf("%v %+v %s %#v", *tok, *tok, *tok, *tok),
		fmt.Sprintf("%v %+v", struct{ T Token }{*tok}, struct{ T *Token }{tok}),
	} {
		assert.NotContains(t, s, secret)
	}
	assert.Equal(t, "token for alice@example.com from https://issuer.example (expires 2023-11-14T22:22:20Z)", tok.String())
	assert.Equal(t, "oidc.Token{token for alice@example.com from https://issuer.example (expires 2023-11-14T22:22:20Z)}", fmt.Sprintf("%#v", tok))
}

func FuzzParseToken(f *testing.F) {
	f.Add(makeJWT(f, goodClaims("alice")))
	f.Add(makeJWT(f, with(goodClaims("bob"), "aud", []string{"a", "sigstore"}, "exp", 1.5e9)))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := ParseToken(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v is not ErrInvalidToken", err)
			}
			if len(raw) > 40 && strings.Contains(err.Error(), raw) {
				t.Fatalf("error quotes the token: %v", err)
			}
			return
		}
		if tok.Issuer == "" || tok.Subject == "" || len(tok.Audience) == 0 || tok.Raw() != raw {
			t.Fatalf("accepted an incomplete token: %#v", tok)
		}
		_ = tok.Check(testNow, "")
	})
}
