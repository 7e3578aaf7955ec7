package oidc_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/signet-dev/signet/internal/oidc"
)

func Example() {
	// A token as CI would put it in $SIGSTORE_ID_TOKEN (the signature is not checked here;
	// Fulcio checks it).
	enc := base64.RawURLEncoding.EncodeToString
	raw := enc([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." +
		enc([]byte(`{"iss":"https://oauth2.sigstore.dev/auth","sub":"alice","email":"alice@example.com","aud":"sigstore","iat":1700000000,"exp":1700000600}`)) + "." +
		enc([]byte("signature"))
	env := map[string]string{"SIGSTORE_ID_TOKEN": raw}

	tok, err := oidc.Get(context.Background(), oidc.Options{
		Getenv:         func(k string) string { return env[k] },
		DisableAmbient: true,
		Flow:           oidc.FlowNone, // CI: never prompt
		Now:            func() time.Time { return time.Unix(1700000060, 0) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("using identity token from", tok.Source())
	fmt.Println(tok) // redacted: tok.Raw() is for Fulcio only

	// The same token an hour later.
	_, err = oidc.Get(context.Background(), oidc.Options{
		Getenv:         func(k string) string { return env[k] },
		DisableAmbient: true,
		Flow:           oidc.FlowNone,
		Now:            func() time.Time { return time.Unix(1700003600, 0) },
	})
	fmt.Println(err)
	// Output:
	// using identity token from $SIGSTORE_ID_TOKEN
	// token for alice@example.com from https://oauth2.sigstore.dev/auth (expires 2023-11-14T22:23:20Z)
	// identity token from $SIGSTORE_ID_TOKEN: expired at 2023-11-14T22:23:20Z; get a fresh one
}
