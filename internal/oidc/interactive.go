package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// discovery is the part of an OpenID Provider's configuration the flows use.
type discovery struct {
	Issuer                      string `json:"issuer"`
	AuthorizationEndpoint       string `json:"authorization_endpoint"`
	TokenEndpoint               string `json:"token_endpoint"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
}

// discover fetches <issuer>/.well-known/openid-configuration (OpenID Connect Discovery
// 1.0, section 4). Its issuer must be the one asked for, and every endpoint https (or
// http on loopback, for local test issuers).
func discover(ctx context.Context, o *Options) (*discovery, error) {
	iu, err := url.Parse(o.IssuerURL)
	if err != nil || !secureURL(iu) || iu.RawQuery != "" || iu.Fragment != "" {
		return nil, invalid("OIDC issuer %q is not an https URL", clean(o.IssuerURL))
	}
	wellKnown := strings.TrimRight(o.IssuerURL, "/") + "/.well-known/openid-configuration"
	body, _, err := doRetry(ctx, o, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, wellKnown, nil)
		if err != nil {
			return nil, invalid("%v", err)
		}
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var d discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, invalid("discovery: %s is not a JSON configuration", wellKnown)
	}
	// "The issuer value returned MUST be identical to the Issuer URL that was used as the
	// prefix to /.well-known/openid-configuration to retrieve the configuration
	// information."
	if strings.TrimRight(d.Issuer, "/") != strings.TrimRight(o.IssuerURL, "/") {
		return nil, invalid("discovery: the configuration names issuer %q, want %q", clean(d.Issuer), o.IssuerURL)
	}
	for name, e := range map[string]string{
		"authorization_endpoint":        d.AuthorizationEndpoint,
		"token_endpoint":                d.TokenEndpoint,
		"device_authorization_endpoint": d.DeviceAuthorizationEndpoint,
	} {
		if e == "" {
			continue
		}
		if u, err := url.Parse(e); err != nil || !secureURL(u) {
			return nil, invalid("discovery: %s %q is not an https URL", name, clean(e))
		}
	}
	if d.TokenEndpoint == "" {
		return nil, invalid("discovery: no token_endpoint")
	}
	return &d, nil
}

// randomString returns 32 random bytes, base64url: state and nonce values.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// callbackPath is where the identity provider redirects the browser, on a loopback port.
const callbackPath = "/auth/callback"

// browserWait bounds how long the browser flow waits for the user.
const browserWait = 10 * time.Minute

// browserFlow runs the authorization code flow with PKCE (RFC 7636, S256) and a loopback
// redirect (RFC 8252, section 7.3): it listens on 127.0.0.1 on a random port, sends the
// browser to the authorization endpoint, takes the code from the redirect after checking
// its state, and exchanges it (with the PKCE verifier) for the token response's id_token.
// It returns that and the nonce the ID token must carry.
func browserFlow(ctx context.Context, o *Options, d *discovery) (idToken, nonce string, err error) {
	if d.AuthorizationEndpoint == "" {
		return "", "", invalid("discovery: no authorization_endpoint, so no browser sign-in; use the device flow")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", "", fmt.Errorf("listening for the sign-in redirect: %w", err)
	}
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	cfg := &oauth2.Config{
		ClientID: o.ClientID,
		Endpoint: oauth2.Endpoint{
			AuthURL:   d.AuthorizationEndpoint,
			TokenURL:  d.TokenEndpoint,
			AuthStyle: oauth2.AuthStyleInParams, // a public client: client_id in the form, no secret
		},
		RedirectURL: "http://" + ln.Addr().String() + callbackPath,
		Scopes:      []string{"openid", "email"},
	}
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))

	cb := &callback{state: state, done: make(chan callbackResult, 1)}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		// Let the browser receive its page before the listener goes away.
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	fmt.Fprintf(o.Stderr, "Sign in at %s in your browser. If it does not open, visit:\n\n    %s\n\n", o.IssuerURL, authURL)
	if err := o.OpenBrowser(authURL); err != nil {
		fmt.Fprintf(o.Stderr, "(could not open a browser: %s)\n", clean(err.Error()))
	}

	wctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	var res callbackResult
	select {
	case res = <-cb.done:
	case <-wctx.Done():
		if ctx.Err() != nil {
			return "", "", ctx.Err()
		}
		return "", "", invalid("no sign-in within %v", browserWait)
	}
	if res.err != nil {
		return "", "", res.err
	}

	xctx := context.WithValue(ctx, oauth2.HTTPClient, o.HTTPClient)
	tok, err := cfg.Exchange(xctx, res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return "", "", exchangeError(err)
	}
	idToken, _ = tok.Extra("id_token").(string)
	if idToken == "" {
		return "", "", invalid("the token response has no id_token")
	}
	return idToken, nonce, nil
}

// exchangeError classifies an error from oauth2's code exchange. oauth2's own messages
// quote the whole response body; these do not.
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		detail := ""
		if re.ErrorCode != "" {
			detail = ": " + oauthError{Code: re.ErrorCode, Description: re.ErrorDescription}.String()
		}
		if re.Response != nil && (re.Response.StatusCode == http.StatusTooManyRequests || re.Response.StatusCode >= 500) {
			return network("token endpoint: %s%s", re.Response.Status, detail)
		}
		status := ""
		if re.Response != nil {
			status = " " + re.Response.Status
		}
		return invalid("token endpoint refused the authorization code:%s%s", status, detail)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return network("token endpoint: %w", ue.Err)
	}
	return invalid("token endpoint: %s", clean(err.Error()))
}

// callback receives the identity provider's redirect. It takes the first request to
// callbackPath, whatever it says: a wrong state ends the flow rather than waiting on.
type callback struct {
	state string
	once  sync.Once
	done  chan callbackResult
}

type callbackResult struct {
	code string
	err  error
}

func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != callbackPath {
		http.NotFound(w, r) // e.g. /favicon.ico
		return
	}
	handled := false
	cb.once.Do(func() {
		handled = true
		q := r.URL.Query()
		var res callbackResult
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(cb.state)) != 1:
			res.err = invalid("the sign-in redirect's state does not match this sign-in (a stale or forged redirect); try again")
		case q.Get("error") != "":
			res.err = invalid("the identity provider refused the sign-in: %s",
				oauthError{Code: q.Get("error"), Description: q.Get("error_description")}.String())
		case q.Get("code") == "":
			res.err = invalid("the sign-in redirect has no code")
		default:
			res.code = q.Get("code")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if res.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<!doctype html><title>signet</title><p>Sign-in failed: %s</p>", html.EscapeString(res.err.Error()))
		} else {
			fmt.Fprint(w, "<!doctype html><title>signet</title><p>Signed in. You can close this tab and go back to signet.</p>")
		}
		cb.done <- res
	})
	if !handled {
		http.Error(w, "this sign-in has already finished", http.StatusBadRequest)
	}
}

// openBrowser opens url with the platform's opener. The URL is one argument, never
// interpreted by a shell.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// The device flow's defaults and limits (RFC 8628).
const (
	deviceGrantType       = "urn:ietf:params:oauth:grant-type:device_code"
	defaultDeviceInterval = 5 * time.Second  // section 3.2: "If no value is provided, clients MUST use 5 as the default."
	slowDownIncrement     = 5 * time.Second  // section 3.5: "the interval MUST be increased by 5 seconds"
	defaultDeviceExpiry   = 10 * time.Minute // when the server omits the (required) expires_in
	maxDeviceInterval     = time.Minute
)

// deviceAuthorization is RFC 8628 section 3.2's answer.
type deviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURL         string `json:"verification_url"` // Google's spelling
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// deviceFlow runs the device authorization grant (RFC 8628): it asks for a device and user
// code, tells the user on Stderr where to enter the user code, and polls the token
// endpoint, honouring interval, authorization_pending, slow_down, access_denied and
// expired_token, until the token response carries an id_token. The device code is a
// credential and is never written anywhere.
func deviceFlow(ctx context.Context, o *Options, d *discovery) (string, error) {
	if d.DeviceAuthorizationEndpoint == "" {
		return "", invalid("discovery: no device_authorization_endpoint, so no device sign-in; use the browser flow")
	}
	form := url.Values{"client_id": {o.ClientID}, "scope": {"openid email"}}
	body, err := postForm(ctx, o, d.DeviceAuthorizationEndpoint, form)
	if err != nil {
		return "", fmt.Errorf("device authorization: %w", err)
	}
	var da deviceAuthorization
	if err := json.Unmarshal(body, &da); err != nil {
		return "", invalid("device authorization: the answer is not JSON")
	}
	if da.VerificationURI == "" {
		da.VerificationURI = da.VerificationURL
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return "", invalid("device authorization: the answer lacks device_code, user_code or verification_uri")
	}
	start := o.Now()
	expiry := defaultDeviceExpiry
	if da.ExpiresIn > 0 {
		expiry = time.Duration(min(da.ExpiresIn, 3600)) * time.Second
	}
	interval := defaultDeviceInterval
	if da.Interval > 0 {
		interval = min(time.Duration(da.Interval)*time.Second, maxDeviceInterval)
	}

	fmt.Fprintf(o.Stderr, "To sign in, visit %s and enter the code\n\n    %s\n\n", clean(da.VerificationURI), clean(da.UserCode))
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(o.Stderr, "or visit %s\n\n", clean(da.VerificationURIComplete))
	}
	fmt.Fprintf(o.Stderr, "Waiting for the sign-in (the code expires in %v)...\n", expiry.Round(time.Second))

	poll := url.Values{"grant_type": {deviceGrantType}, "device_code": {da.DeviceCode}, "client_id": {o.ClientID}}
	for {
		if err := o.sleep(ctx, interval); err != nil {
			return "", err
		}
		if o.Now().Sub(start) >= expiry {
			return "", invalid("the device code expired before the sign-in finished; try again")
		}
		body, status, err := postFormStatus(ctx, o, d.TokenEndpoint, poll)
		if err != nil {
			return "", fmt.Errorf("device token request: %w", err)
		}
		if status/100 == 2 {
			var tr struct {
				IDToken string `json:"id_token"`
			}
			if err := json.Unmarshal(body, &tr); err != nil || tr.IDToken == "" {
				return "", invalid("the token response has no id_token")
			}
			return tr.IDToken, nil
		}
		e := parseOAuthError(body)
		switch e.Code {
		case "authorization_pending":
			continue
		case "slow_down":
			interval = min(interval+slowDownIncrement, maxDeviceInterval)
			continue
		case "expired_token":
			return "", invalid("the device code expired before the sign-in finished; try again")
		case "access_denied":
			return "", invalid("the sign-in was denied")
		}
		if status == http.StatusTooManyRequests || status >= 500 {
			return "", network("device token request: HTTP %d%s", status, optional(e))
		}
		return "", invalid("device token request: HTTP %d%s", status, optional(e))
	}
}

func optional(e oauthError) string {
	if e.Code == "" {
		return ""
	}
	return ": " + e.String()
}

// postForm posts form to endpoint and returns a 2xx answer's body.
func postForm(ctx context.Context, o *Options, endpoint string, form url.Values) ([]byte, error) {
	body, _, err := doRetry(ctx, o, func(ctx context.Context) (*http.Request, error) {
		return newFormRequest(ctx, endpoint, form)
	})
	return body, err
}

// postFormStatus posts form to endpoint and returns the body and status of any HTTP
// answer: the device flow reads its error answers. Only a failure to get an answer is
// an error.
func postFormStatus(ctx context.Context, o *Options, endpoint string, form url.Values) ([]byte, int, error) {
	req, err := newFormRequest(ctx, endpoint, form)
	if err != nil {
		return nil, 0, err
	}
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, network("%w", err)
	}
	defer resp.Body.Close()
	body, err := readLimited(resp)
	if err != nil {
		return nil, 0, err
	}
	return body, resp.StatusCode, nil
}

func newFormRequest(ctx context.Context, endpoint string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, invalid("%v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}
