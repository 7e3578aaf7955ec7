// Package httpretry owns signet's one retry policy for the Sigstore services it calls (Fulcio,
// Rekor, timestamp authorities): a timeout per attempt, retries with exponential backoff and full
// jitter on connection errors, timeouts, 408, 429 and 5xx answers (never on other 4xx), Retry-After
// honoured up to a cap, and an overall budget of attempts and time. Every response body is read
// here, with a size limit, inside the attempt's timeout.
//
// It trusts nothing it receives: a failure becomes a *ServiceError that says in one line which
// service failed and why, with a short, sanitised excerpt of what the service answered. It never
// logs and never puts a request body into an error, because request bodies carry identity tokens.
package httpretry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Defaults of a zero Policy.
const (
	DefaultMaxAttempts     = 4
	DefaultAttemptTimeout  = 30 * time.Second
	DefaultBaseDelay       = 250 * time.Millisecond
	DefaultMaxDelay        = 8 * time.Second
	DefaultMaxRetryAfter   = 30 * time.Second
	DefaultMaxElapsed      = 2 * time.Minute
	DefaultMaxResponseSize = 8 << 20
)

// Policy says how often and how long to try. Its zero value is the default policy; a zero field
// takes its default. The function fields are seams for tests: they make retries instant and
// deterministic.
type Policy struct {
	// MaxAttempts bounds the attempts, the first one included (default 4; 1 means no retry;
	// less than 1 means the default).
	MaxAttempts int
	// AttemptTimeout bounds one attempt: connecting, sending, and reading the whole answer
	// (default 30 s).
	AttemptTimeout time.Duration
	// BaseDelay is the backoff before the second attempt; it doubles for each further one
	// (default 250 ms). The wait is drawn uniformly from [0, backoff] ("full jitter").
	BaseDelay time.Duration
	// MaxDelay caps the backoff of one wait (default 8 s).
	MaxDelay time.Duration
	// MaxRetryAfter caps a wait the service asks for with Retry-After (default 30 s).
	MaxRetryAfter time.Duration
	// MaxElapsed is the budget for all attempts and waits together (default 2 min). No attempt
	// starts when the wait before it would overrun the budget, and no attempt runs past it.
	MaxElapsed time.Duration
	// MaxResponseSize bounds a response body (default 8 MiB); a larger answer is an error.
	MaxResponseSize int64

	// Sleep waits d or until ctx is done (default: a timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// Now tells the time, for the budget and Retry-After dates (default time.Now).
	Now func() time.Time
	// Jitter draws a wait from [0, d] (default uniform).
	Jitter func(d time.Duration) time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = DefaultAttemptTimeout
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = DefaultMaxElapsed
	}
	if p.MaxResponseSize <= 0 {
		p.MaxResponseSize = DefaultMaxResponseSize
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Jitter == nil {
		p.Jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d + 1)
		}
	}
	return p
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is the jittered wait before attempt n+1, after n failed attempts.
func (p Policy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	j := p.Jitter(d)
	return max(0, min(j, d))
}

// Do sends the request newReq builds, once per attempt (so that a body can be sent again), and
// returns the first answer with a status below 400, its body read completely (at most
// p.MaxResponseSize bytes) and replaced by an in-memory reader. The context newReq receives
// carries the attempt's deadline; the request must use it.
//
// Connection errors, timeouts, 408, 429 and 5xx answers are retried with backoff (or after the
// Retry-After the service asks for, capped) until p.MaxAttempts or p.MaxElapsed is spent. Any
// other 4xx answer is final. Every failure is a *ServiceError with an empty Service, which the
// caller that knows the service's name fills in.
func Do(ctx context.Context, client *http.Client, newReq func(ctx context.Context) (*http.Request, error), p Policy) (*http.Response, error) {
	p = p.withDefaults()
	if client == nil {
		client = http.DefaultClient
	}
	start := p.Now()
	var last *ServiceError
	for attempt := 1; ; attempt++ {
		remaining := p.MaxElapsed - p.Now().Sub(start)
		if remaining <= 0 && last != nil {
			last.Budget = p.MaxElapsed
			return nil, last
		}
		timeout := min(p.AttemptTimeout, max(remaining, time.Millisecond))
		resp, wait, failure, err := p.attempt(ctx, client, newReq, timeout)
		if err != nil {
			return nil, err // newReq failed: a bug, not a service failure
		}
		if failure == nil {
			return resp, nil
		}
		failure.Attempts = attempt
		last = failure
		if ctx.Err() != nil {
			return nil, cancelled(ctx, last)
		}
		if !failure.retryable() || attempt >= p.MaxAttempts {
			return nil, last
		}
		if wait < 0 {
			wait = p.backoff(attempt)
		}
		if p.Now().Sub(start)+wait >= p.MaxElapsed {
			last.Budget = p.MaxElapsed
			return nil, last
		}
		if err := p.Sleep(ctx, wait); err != nil {
			return nil, cancelled(ctx, last)
		}
	}
}

// attempt makes one attempt. It returns the answer, or a failure and the wait the service asked
// for (negative when it asked for none). err is set only when newReq fails.
func (p Policy) attempt(ctx context.Context, client *http.Client, newReq func(context.Context) (*http.Request, error), timeout time.Duration) (resp *http.Response, wait time.Duration, failure *ServiceError, err error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := newReq(actx)
	if err != nil {
		return nil, 0, nil, err
	}
	failure = &ServiceError{URL: baseURL(req), Op: req.Method + " " + opPath(req)}
	resp, err = client.Do(req)
	if err != nil {
		failure.Err = transportError(ctx, actx, err, timeout)
		return nil, -1, failure, nil
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, p.MaxResponseSize)
	if err != nil {
		failure.StatusCode = resp.StatusCode
		var tl *tooLargeError
		if errors.As(err, &tl) {
			failure.Err = err
		} else {
			failure.StatusCode = 0 // the answer never arrived whole
			failure.Err = transportError(ctx, actx, err, timeout)
		}
		return nil, -1, failure, nil
	}
	if resp.StatusCode < 400 {
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		return resp, 0, nil, nil
	}
	failure.StatusCode = resp.StatusCode
	failure.Header = resp.Header.Clone()
	failure.Err = errors.New(Excerpt(body))
	wait = -1
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), p.Now()); ok {
		wait = min(d, p.MaxRetryAfter)
	}
	return nil, wait, failure, nil
}

// tooLargeError is an answer body over the size limit.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string { return fmt.Sprintf("more than %d bytes", e.limit) }

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &tooLargeError{limit}
	}
	return b, nil
}

// timeoutError is a per-attempt timeout: the service did not answer in time.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no answer within %s", e.d.Round(time.Millisecond))
}
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// transportError describes a failure to get an answer. A per-attempt timeout is reported as
// such rather than as the caller's own deadline.
func transportError(ctx, actx context.Context, err error, timeout time.Duration) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return &timeoutError{timeout}
	}
	// *url.Error repeats the method and URL, which the ServiceError already names.
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// permanentTransportError reports transport failures that another attempt cannot fix.
func permanentTransportError(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verification *tls.CertificateVerificationError
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verification)
}

func cancelled(ctx context.Context, last *ServiceError) *ServiceError {
	e := *last
	e.StatusCode = 0
	e.Header = nil
	ce := &cancelError{cause: context.Cause(ctx)}
	if last.StatusCode != 0 || !last.isCancel() {
		ce.last = last.reason()
	}
	e.Err = ce
	return &e
}

// cancelError is the caller's own cancellation or deadline, with the last failure as evidence.
type cancelError struct {
	cause error
	last  string
}

func (e *cancelError) Error() string {
	if e.last == "" {
		return e.cause.Error()
	}
	return fmt.Sprintf("%v (last failure: %s)", e.cause, e.last)
}
func (e *cancelError) Unwrap() error { return e.cause }

// retryAfter parses a Retry-After value: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// baseURL is scheme://host of the request, without user information.
func baseURL(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.Scheme + "://" + r.URL.Host
}

// opPath is the request path without query (which may carry keys) or fragment.
func opPath(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// maxExcerpt bounds the part of an answer an error quotes.
const maxExcerpt = 200

// Excerpt renders an answer body for an error message: one line of at most 200 printable
// characters. From a JSON error object ({"code": ..., "message": ...}, as Fulcio, Rekor and the
// timestamp authority send) it takes the message.
func Excerpt(body []byte) string {
	var obj struct {
		Message *string `json:"message"`
		Error   *string `json:"error"`
	}
	text := string(body)
	if json.Unmarshal(body, &obj) == nil {
		switch {
		case obj.Message != nil && *obj.Message != "":
			text = *obj.Message
		case obj.Error != nil && *obj.Error != "":
			text = *obj.Error
		}
	}
	var b strings.Builder
	space := false
	n := 0
	for _, r := range text {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		if n >= maxExcerpt {
			b.WriteString("...")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return "(empty answer)"
	}
	return b.String()
}

// DoJSON sends body (nil for none) as JSON with method to base+path, asking for JSON, under
// policy p; responses larger than limit (when p sets none) are refused. Errors name service.
func DoJSON(ctx context.Context, client *http.Client, p Policy, service, method, base, path string, body []byte, limit int64) (*http.Response, error) {
	return request(ctx, client, p, service, method, base, path, "application/json", body, limit)
}

// Get fetches base+path, asking for the media type accept, under policy p; responses larger
// than limit (when p sets none) are refused. Errors name service.
func Get(ctx context.Context, client *http.Client, p Policy, service, base, path, accept string, limit int64) (*http.Response, error) {
	return request(ctx, client, p, service, http.MethodGet, base, path, accept, nil, limit)
}

func request(ctx context.Context, client *http.Client, p Policy, service, method, base, path, accept string, body []byte, limit int64) (*http.Response, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: URL %q is not an http(s) URL", strings.ToLower(service), base)
	}
	endpoint := strings.TrimRight(base, "/") + path
	if p.MaxResponseSize == 0 {
		p.MaxResponseSize = limit
	}
	resp, err := Do(ctx, client, func(ctx context.Context) (*http.Request, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		r, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
		if err != nil {
			return nil, err
		}
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		r.Header.Set("Accept", accept)
		return r, nil
	}, p)
	return resp, Named(err, service)
}
