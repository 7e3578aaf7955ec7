// Package oidc gets the OpenID Connect identity token that keyless signing sends to Fulcio,
// and never prints it.
//
// It owns where identity tokens come from. Get takes the first source that has one, in
// this order:
//
//  1. the --identity-token flag: a JWT, or the path of a file holding one;
//  2. the environment: $SIGSTORE_ID_TOKEN (cosign, sigstore-js, GitLab's id_tokens), then
//     $SIGSTORE_IDENTITY_TOKEN (sigstore-python);
//  3. ambient CI credentials, unless disabled, from the first provider detected: GitHub
//     Actions ($GITHUB_ACTIONS or $ACTIONS_ID_TOKEN_REQUEST_URL), GitLab CI ($GITLAB_CI;
//     the token is the job's id_tokens variable), Buildkite ($BUILDKITE; buildkite-agent),
//     CircleCI ($CIRCLECI; the circleci CLI), Google Cloud (the machine's DMI product name;
//     the metadata server). ambientProviders documents each. A provider that is detected
//     but cannot give a token is an error, never a reason to fall through to an
//     interactive sign-in in CI;
//  4. interactive sign-in at the configured issuer: the authorization code flow with PKCE
//     and a loopback redirect in a browser (on a terminal), or the device authorization
//     grant (RFC 8628) without one.
//
// It trusts nothing it is given. It checks what a client can check (the shape of the JWT,
// expiry and not-before with 30 seconds of leeway, the audience, and for an interactive
// sign-in the issuer, state and nonce) but it does not verify token signatures: Fulcio
// does, against the issuer's published keys, before it issues a certificate.
//
// The raw token is a bearer credential. It is only available from Token.Raw; Token's
// String and GoString redact it, and no error or message written by this package contains
// it.
package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Public-good Sigstore's OIDC issuer and client, for callers that have no signing config.
const (
	PublicGoodIssuer   = "https://oauth2.sigstore.dev/auth"
	PublicGoodClientID = "sigstore"
)

// The interactive flows Options.Flow can ask for.
const (
	FlowAuto    = ""        // browser on a terminal, device code otherwise
	FlowBrowser = "browser" // authorization code with PKCE and a loopback redirect
	FlowDevice  = "device"  // device authorization grant, RFC 8628
	FlowNone    = "none"    // never prompt: fail with ErrNoToken (CI)
)

// Options says where Get may look for a token. The zero value looks at the process
// environment and ambient CI providers and then, lacking an issuer, fails with ErrNoToken.
type Options struct {
	// Flag is --identity-token: a JWT, or the path of a file holding one (read with a
	// size limit; surrounding white space is trimmed). A value starting with "eyJ" (every
	// JWT does) and holding no path separator is taken as a token, anything else as a path.
	Flag string
	// Getenv reads the environment; os.Getenv if nil.
	Getenv func(string) string
	// DisableAmbient skips ambient CI providers (--oidc-disable-ambient-providers).
	DisableAmbient bool
	// Flow is one of FlowAuto, FlowBrowser, FlowDevice, FlowNone.
	Flow string
	// Interactive says stdin and stderr are a terminal; with FlowAuto it picks the
	// browser flow over the device flow.
	Interactive bool
	// IssuerURL and ClientID are used by the interactive flows: the signing config's OIDC
	// URL, and the client ID registered there (PublicGoodClientID if empty). There is no
	// default issuer, so a private instance never sends its users to public-good.
	IssuerURL, ClientID string
	// Audience is the aud every token must carry; DefaultAudience if empty.
	Audience string
	// HTTPClient talks to CI providers and the issuer; a client with a 60 second timeout
	// if nil.
	HTTPClient *http.Client
	// Stderr receives the instructions of the interactive flows (the URL to open, the
	// device code), never a token; os.Stderr if nil.
	Stderr io.Writer
	// OpenBrowser opens a URL in the user's browser; xdg-open, open or rundll32 if nil.
	// Its failure is not an error: the URL is also written to Stderr.
	OpenBrowser func(url string) error
	// Now is the clock; time.Now if nil.
	Now func() time.Time

	// Seams for tests.
	sleep          func(ctx context.Context, d time.Duration) error // device flow polling
	gceProductFile string                                           // Google Cloud detection
	gceMetadataURL string                                           // Google Cloud metadata server
}

func (o Options) withDefaults() Options {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.ClientID == "" {
		o.ClientID = PublicGoodClientID
	}
	if o.Audience == "" {
		o.Audience = DefaultAudience
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.OpenBrowser == nil {
		o.OpenBrowser = openBrowser
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.sleep == nil {
		o.sleep = sleepContext
	}
	if o.gceProductFile == "" {
		o.gceProductFile = "/sys/class/dmi/id/product_name"
	}
	if o.gceMetadataURL == "" {
		o.gceMetadataURL = "http://metadata.google.internal"
	}
	return o
}

// The environment variables that hold a token, in order.
var tokenEnvVars = []string{"SIGSTORE_ID_TOKEN", "SIGSTORE_IDENTITY_TOKEN"}

// Get returns an identity token from the first source that has one, in the order of the
// package documentation. Every token it returns has passed Check at o.Now() for
// o.Audience. Its errors name the source ("identity token from $SIGSTORE_ID_TOKEN:
// expired at ...") and match ErrNoToken, ErrInvalidToken or ErrNetwork.
func Get(ctx context.Context, o Options) (*Token, error) {
	o = o.withDefaults()
	switch o.Flow {
	case FlowAuto, FlowBrowser, FlowDevice, FlowNone:
	default:
		return nil, fmt.Errorf("unknown OIDC flow %q (want %s, %s or %s)", o.Flow, FlowBrowser, FlowDevice, FlowNone)
	}

	// 1. --identity-token.
	if strings.TrimSpace(o.Flag) != "" {
		source, raw, err := readFlag(o.Flag)
		if err != nil {
			return nil, &sourceError{source: source, err: err}
		}
		return o.accept(source, raw, expect{})
	}

	// 2. The environment.
	for _, name := range tokenEnvVars {
		if raw := strings.TrimSpace(o.Getenv(name)); raw != "" {
			return o.accept("$"+name, raw, expect{})
		}
	}

	// 3. Ambient CI providers.
	if !o.DisableAmbient {
		for _, p := range ambientProviders {
			if !p.detect(&o) {
				continue
			}
			raw, err := p.fetch(ctx, &o)
			if err != nil {
				return nil, &sourceError{source: p.name, err: err}
			}
			return o.accept(p.name, strings.TrimSpace(raw), expect{})
		}
	}

	// 4. Interactive sign-in.
	flow := o.Flow
	if flow == FlowAuto {
		flow = FlowDevice
		if o.Interactive {
			flow = FlowBrowser
		}
	}
	if flow == FlowNone {
		return nil, fmt.Errorf("%w: none given with --identity-token, $SIGSTORE_ID_TOKEN or $SIGSTORE_IDENTITY_TOKEN, no CI provider detected, and interactive sign-in is off", ErrNoToken)
	}
	if o.IssuerURL == "" {
		return nil, fmt.Errorf("%w: none given with --identity-token, $SIGSTORE_ID_TOKEN or $SIGSTORE_IDENTITY_TOKEN, no CI provider detected, and no OIDC issuer to sign in at", ErrNoToken)
	}
	source := flow + " sign-in at " + o.IssuerURL
	d, err := discover(ctx, &o)
	if err != nil {
		return nil, &sourceError{source: source, err: err}
	}
	var raw string
	want := expect{issuer: o.IssuerURL}
	if flow == FlowBrowser {
		raw, want.nonce, err = browserFlow(ctx, &o, d)
	} else {
		raw, err = deviceFlow(ctx, &o, d)
	}
	if err != nil {
		return nil, &sourceError{source: source, err: err}
	}
	return o.accept(source, raw, want)
}

// expect is what an interactive sign-in adds to Check.
type expect struct {
	issuer string // iss must be this issuer (trailing slashes ignored)
	nonce  string // nonce must be this one
}

// accept parses and checks raw from source.
func (o *Options) accept(source, raw string, want expect) (*Token, error) {
	t, err := parseToken(raw)
	if err == nil {
		err = t.check(o.Now(), o.Audience)
	}
	if err == nil && want.issuer != "" && strings.TrimRight(t.Issuer, "/") != strings.TrimRight(want.issuer, "/") {
		err = invalid("was issued by %s, not by the issuer signed in at", clean(t.Issuer))
	}
	if err == nil && want.nonce != "" && subtle.ConstantTimeCompare([]byte(t.nonce), []byte(want.nonce)) != 1 {
		err = invalid("nonce does not match the sign-in request (a replayed or substituted token)")
	}
	if err != nil {
		return nil, &sourceError{source: source, err: err}
	}
	t.source = source
	return t, nil
}

// readFlag resolves --identity-token to a token and names the source. Errors never
// contain the flag's value: it might be a token, JWT or not.
func readFlag(v string) (source, raw string, err error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "eyJ") && !strings.ContainsAny(v, `/\`) {
		return "--identity-token", v, nil
	}
	source = "--identity-token"
	f, err := os.Open(v)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // drop the path: it might be a token that is not a JWT
		}
		return source, "", invalid("is neither a JWT nor a readable file (%v)", err)
	}
	defer f.Close()
	source = "--identity-token file " + v
	b, err := io.ReadAll(io.LimitReader(f, MaxTokenSize+1024))
	if err != nil {
		return source, "", invalid("cannot be read: %v", err)
	}
	raw = strings.TrimSpace(string(b))
	if raw == "" {
		return source, "", invalid("is empty")
	}
	return source, raw, nil
}

// sleepContext waits for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
