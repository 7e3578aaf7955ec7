package oidc

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// providerAnswers answers the requests of discovery, the device flow and GitHub Actions'
// token request with fixed bodies, by path.
type providerAnswers struct {
	discovery, device, token, github []byte
	tokenStatus                      int
}

func (p *providerAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	status, body := http.StatusOK, []byte(nil)
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		body = p.discovery
	case strings.HasSuffix(r.URL.Path, "/device"):
		body = p.device
	case strings.HasSuffix(r.URL.Path, "/token"):
		status, body = p.tokenStatus, p.token
	case strings.HasSuffix(r.URL.Path, "/github"):
		body = p.github
	default:
		status = http.StatusNotFound
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Request: r,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body))}, nil
}

// FuzzProviderAnswers feeds what identity providers answer, before any token is parsed: an
// OpenID configuration (discovery), a device authorization and a token endpoint's answers
// (device flow), and GitHub Actions' token request answer. Nothing may panic, the device flow
// ends (its code expires on a clock that moves a minute per look), and no flow returns an
// empty token.
func FuzzProviderAnswers(f *testing.F) {
	const issuer = "https://issuer.example.test"
	jwt := makeJWT(f, goodClaims("alice"))
	f.Add([]byte(`{"issuer":"`+issuer+`","authorization_endpoint":"`+issuer+`/auth","token_endpoint":"`+issuer+`/token","device_authorization_endpoint":"`+issuer+`/device"}`),
		[]byte(`{"device_code":"d","user_code":"u","verification_uri":"`+issuer+`/verify","expires_in":600,"interval":5}`),
		[]byte(`{"id_token":"`+jwt+`"}`), uint16(0), []byte(`{"value":"`+jwt+`"}`))
	f.Add([]byte(`{"issuer":"`+issuer+`/","token_endpoint":"`+issuer+`/token","device_authorization_endpoint":"`+issuer+`/device"}`),
		[]byte(`{"device_code":"d","user_code":"u","verification_url":"http://127.0.0.1/v","verification_uri_complete":"x"}`),
		[]byte(`{"error":"slow_down","error_description":"wait"}`), uint16(400), []byte(`{}`))
	f.Add([]byte(`{"issuer":"`+issuer+`","device_authorization_endpoint":"http://evil.example/device"}`),
		[]byte(`{}`), []byte(`{"error":"authorization_pending"}`), uint16(400), []byte(`{"value":""}`))

	f.Fuzz(func(t *testing.T, discovery, device, token []byte, status uint16, github []byte) {
		// The token endpoint answers 200 + status%400: 2xx is a token answer, 4xx an OAuth error.
		answers := &providerAnswers{discovery: discovery, device: device, token: token, github: github,
			tokenStatus: 200 + int(status)%400}
		clock := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		o := Options{
			IssuerURL:  issuer,
			HTTPClient: &http.Client{Transport: answers},
			Stderr:     io.Discard,
			Now:        func() time.Time { clock = clock.Add(time.Minute); return clock },
			Getenv: func(name string) string {
				switch name {
				case "ACTIONS_ID_TOKEN_REQUEST_URL":
					return issuer + "/github"
				case "ACTIONS_ID_TOKEN_REQUEST_TOKEN":
					return "request-token"
				}
				return ""
			},
		}.withDefaults()
		o.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
		ctx := context.Background()

		if d, err := discover(ctx, &o); err == nil {
			if tok, err := deviceFlow(ctx, &o, d); err == nil && tok == "" {
				t.Fatal("the device flow returned an empty token")
			}
		} else if d != nil {
			t.Fatal("discover returned a configuration and an error")
		}
		if tok, err := fetchGitHub(ctx, &o); err == nil && tok == "" {
			t.Fatal("GitHub's token request returned an empty token")
		}
	})
}
