package fulcio

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/trust"
)

// FuzzClientAnswers feeds the Fulcio client answers to its three calls (0: signingCert, 1:
// trustBundle, 2: configuration): real answers of the fake Fulcio, embedded and detached SCT,
// and mutations of them. Nothing may panic; a certificate chain the client accepts certifies
// the signer's key, and a trust bundle it accepts holds CA chains.
func FuzzClientAnswers(f *testing.F) {
	ca := sigstoretest.NewCA(f)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	token := sigstoretest.UnsignedToken(ca.Now(), map[string]any{"iss": "https://issuer.example", "sub": "alice@example.com",
		"email": "alice@example.com", "email_verified": true, "aud": "sigstore"})
	noWait := httpretry.Policy{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
	call := func(c *Client, which uint8) error {
		switch which % 3 {
		case 0:
			chain, err := c.RequestCertificate(context.Background(), token, key)
			if err == nil && !key.PublicKey.Equal(chain[0].PublicKey) {
				return fmt.Errorf("accepted a certificate for another key")
			}
			return err
		case 1:
			tb, err := c.TrustBundle(context.Background())
			if err == nil {
				for i, chain := range tb.Chains {
					if _, err := trust.CheckChain(chain, trust.CAChain); err != nil {
						return fmt.Errorf("accepted chain %d, which is no CA chain: %v", i, err)
					}
				}
			}
			return err
		default:
			_, err := c.Configuration(context.Background())
			return err
		}
	}
	for _, detached := range []bool{false, true} {
		srv := httptest.NewServer(sigstoretest.NewFulcioServer(ca, sigstoretest.FulcioOptions{Detached: detached}))
		for which := range uint8(3) {
			var answer []byte
			c := &Client{BaseURL: srv.URL, Retry: noWait,
				HTTP: &http.Client{Transport: &sigstoretest.AnswerTransport{Next: srv.Client().Transport, Record: &answer}}}
			if err := call(c, which); err != nil {
				f.Fatalf("the fake Fulcio's answer to call %d: %v", which, err)
			}
			f.Add(answer, which)
		}
		srv.Close()
	}
	f.Add([]byte(`{"signedCertificateEmbeddedSct":{"chain":{"certificates":["-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"]}}}`), uint8(0))

	f.Fuzz(func(t *testing.T, answer []byte, which uint8) {
		c := &Client{BaseURL: "https://fulcio.example.test", Retry: noWait,
			HTTP: &http.Client{Transport: &sigstoretest.AnswerTransport{Status: http.StatusOK, Body: answer}}}
		if err := call(c, which); err != nil && strings.HasPrefix(err.Error(), "accepted") {
			t.Fatal(err)
		}
	})
}
