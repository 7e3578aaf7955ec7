package oidc

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// The kinds of failure Get reports. Every error from Get, ParseToken and Check matches
// exactly one of them with errors.Is, except for three cases a caller should test first: a
// cancelled or expired context (context.Canceled or context.DeadlineExceeded; an
// interrupted request may match ErrNetwork as well), an unknown Options.Flow, and failing
// to listen on 127.0.0.1 for the browser flow's redirect.
var (
	// ErrNoToken: no source had a token and no interactive sign-in was allowed (Flow
	// "none"), or one was needed but no OIDC issuer is configured.
	ErrNoToken = errors.New("no identity token")

	// ErrInvalidToken: a token was found but cannot be used (malformed, expired, not yet
	// valid, wrong audience, wrong issuer or nonce), or a source that should have given
	// one refused: a CI provider that is detected but not set up for OIDC, an identity
	// provider's error answer (access_denied, expired_token, a mismatched state), a CI
	// helper program that failed. Trying again unchanged will not help.
	ErrInvalidToken = errors.New("invalid identity token")

	// ErrNetwork: an identity provider could not be reached or failed (connection
	// errors, timeouts, HTTP 429 and 5xx). Trying again later may help.
	ErrNetwork = errors.New("identity provider unreachable")
)

// kindError gives an error one of the kinds above without changing its text.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string        { return e.err.Error() }
func (e *kindError) Unwrap() error        { return e.err }
func (e *kindError) Is(target error) bool { return target == e.kind }

// invalid returns an ErrInvalidToken error. Its text continues "identity token ...".
func invalid(format string, args ...any) error {
	return &kindError{kind: ErrInvalidToken, err: fmt.Errorf(format, args...)}
}

// network returns an ErrNetwork error.
func network(format string, args ...any) error {
	return &kindError{kind: ErrNetwork, err: fmt.Errorf(format, args...)}
}

// sourceError names where a token came from: "identity token from $SIGSTORE_ID_TOKEN:
// expired at ...". With no source (ParseToken, Check) it reads "identity token expired
// at ...".
type sourceError struct {
	source string
	err    error
}

func (e *sourceError) Error() string {
	if e.source == "" {
		return "identity token " + e.err.Error()
	}
	return "identity token from " + e.source + ": " + e.err.Error()
}

func (e *sourceError) Unwrap() error { return e.err }

// jwtLike matches anything that could be a JWT or a piece of one (every JWT header starts
// with "eyJ", base64url for `{"`).
var jwtLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`eyJ[A-Za-z0-9_\-.]*`) })

// clean makes text that came from a server or a helper program safe to put in an error
// message: one line, no control characters, at most 200 characters, and nothing that looks
// like a token (a helper that fails might still print one).
func clean(s string) string {
	s = jwtLike().ReplaceAllString(strings.TrimSpace(s), "[redacted]")
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " ..."
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "..."
	}
	return s
}
