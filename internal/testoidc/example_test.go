package testoidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/signet-dev/signet/internal/testoidc"
)

func Example() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	// Real use: key, err := testoidc.LoadOrCreateKey(".cache/stack/keys/oidc-issuer.key")
	srv := httptest.NewUnstartedServer(nil)
	iss, err := testoidc.New(testoidc.Config{URL: "http://" + srv.Listener.Addr().String(), Key: key})
	if err != nil {
		panic(err)
	}
	srv.Config.Handler = iss
	srv.Start()
	defer srv.Close()

	tok, err := testoidc.FetchToken(context.Background(), nil, iss.URL(), testoidc.Request{Email: "alice@example.com"})
	if err != nil {
		panic(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	var claims struct {
		Sub, Aud, Email string
		EmailVerified   bool `json:"email_verified"`
	}
	_ = json.Unmarshal(payload, &claims)
	fmt.Println(claims.Sub, claims.Aud, claims.Email, claims.EmailVerified)
	// Output: alice@example.com sigstore alice@example.com true
}
