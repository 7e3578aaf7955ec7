package httpretry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
)

// clock is a fake clock whose Sleep returns at once and moves time on.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
	// onSleep, when set, runs at each sleep (e.g. to cancel the context).
	onSleep func()
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	f := c.onSleep
	c.mu.Unlock()
	if f != nil {
		f()
	}
	return ctx.Err()
}

func (c *clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// policy is a policy on the fake clock whose jitter always draws the whole backoff.
func (c *clock) policy() httpretry.Policy {
	return httpretry.Policy{Sleep: c.Sleep, Now: c.Now, Jitter: func(d time.Duration) time.Duration { return d }}
}

// script answers each request with the next of a list of answers; the last one repeats.
type script struct {
	mu      sync.Mutex
	answers []answer
	bodies  []string
	n       int
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	a := s.answers[min(s.n, len(s.answers)-1)]
	s.n++
	s.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (s *script) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

const secret = "eyJhbGciOiJFUzI1NiJ9.SECRET-IDENTITY-TOKEN.c2ln"

func post(url string) func(ctx context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"token":"`+secret+`"}`))
	}
}

func errJSON(msg string) string { return fmt.Sprintf(`{"code":13,"message":%q,"details":[]}`, msg) }

func TestDo(t *testing.T) {
	ok := answer{status: http.StatusCreated, body: `{"ok":true}`}
	fail := func(status int) answer { return answer{status: status, body: errJSON("boom")} }
	retryAfter := func(status int, v string) answer {
		return answer{status: status, header: map[string]string{"Retry-After": v}, body: errJSON("slow down")}
	}
	date := func(d time.Duration) string { return t0.Add(d).Format(http.TimeFormat) }

	tests := []struct {
		name     string
		answers  []answer
		policy   func(*httpretry.Policy)
		requests int
		waits    []time.Duration
		class    error // nil: success
		message  string
	}{
		{name: "success at once", answers: []answer{ok}, requests: 1},
		{name: "500 then success", answers: []answer{fail(500), fail(500), ok}, requests: 3,
			waits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{name: "502 503 504 then success", answers: []answer{fail(502), fail(503), fail(504), ok}, requests: 4,
			waits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}},
		{name: "500 every time", answers: []answer{fail(500)}, requests: 4,
			waits:   []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second},
			class:   httpretry.ErrServer,
			message: "Rekor at %s: POST /api/v2/log/entries answered 500 Internal Server Error after 4 attempts: boom"},
		{name: "429 with Retry-After seconds", answers: []answer{retryAfter(429, "3"), ok}, requests: 2,
			waits: []time.Duration{3 * time.Second}},
		{name: "503 with Retry-After date", answers: []answer{retryAfter(503, date(7*time.Second)), ok}, requests: 2,
			waits: []time.Duration{7 * time.Second}},
		{name: "Retry-After date in the past", answers: []answer{retryAfter(429, date(-time.Hour)), ok}, requests: 2,
			waits: []time.Duration{0}},
		{name: "Retry-After capped", answers: []answer{retryAfter(429, "3600"), ok}, requests: 2,
			waits: []time.Duration{httpretry.DefaultMaxRetryAfter}},
		{name: "Retry-After capped by policy", answers: []answer{retryAfter(429, "20"), ok}, requests: 2,
			policy: func(p *httpretry.Policy) { p.MaxRetryAfter = 5 * time.Second },
			waits:  []time.Duration{5 * time.Second}},
		{name: "Retry-After garbage falls back to backoff", answers: []answer{retryAfter(429, "soon"), ok}, requests: 2,
			waits: []time.Duration{250 * time.Millisecond}},
		{name: "429 every time", answers: []answer{retryAfter(429, "1")}, requests: 4,
			waits: []time.Duration{time.Second, time.Second, time.Second}, class: httpretry.ErrServer,
			message: "Rekor at %s: POST /api/v2/log/entries answered 429 Too Many Requests after 4 attempts: slow down"},
		{name: "408 is retried", answers: []answer{fail(408), ok}, requests: 2, waits: []time.Duration{250 * time.Millisecond}},
		{name: "400 is final", answers: []answer{fail(400), ok}, requests: 1, class: httpretry.ErrRejected,
			message: "Rekor at %s: POST /api/v2/log/entries answered 400 Bad Request after 1 attempt: boom"},
		{name: "401 is final", answers: []answer{fail(401)}, requests: 1, class: httpretry.ErrRejected},
		{name: "404 is final", answers: []answer{{status: 404, body: "404 page not found\n"}}, requests: 1, class: httpretry.ErrRejected,
			message: "Rekor at %s: POST /api/v2/log/entries answered 404 Not Found after 1 attempt: 404 page not found"},
		{name: "409 is final", answers: []answer{fail(409)}, requests: 1, class: httpretry.ErrRejected},
		{name: "one attempt only", answers: []answer{fail(500), ok}, requests: 1, class: httpretry.ErrServer,
			policy: func(p *httpretry.Policy) { p.MaxAttempts = 1 }},
		{name: "more attempts", answers: []answer{fail(500)}, requests: 6, class: httpretry.ErrServer,
			policy: func(p *httpretry.Policy) { p.MaxAttempts = 6; p.MaxDelay = time.Second },
			waits:  []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, time.Second, time.Second}},
		{name: "time budget spent", answers: []answer{retryAfter(503, "20"), ok}, requests: 1, class: httpretry.ErrServer,
			policy:  func(p *httpretry.Policy) { p.MaxElapsed = 10 * time.Second },
			message: "Rekor at %s: POST /api/v2/log/entries answered 503 Service Unavailable after 1 attempt (retry budget of 10s spent): slow down"},
		{name: "time budget spent after waits", answers: []answer{retryAfter(503, "4")}, requests: 3, class: httpretry.ErrServer,
			policy: func(p *httpretry.Policy) { p.MaxElapsed = 10 * time.Second },
			waits:  []time.Duration{4 * time.Second, 4 * time.Second}},
		{name: "too large", answers: []answer{{status: 200, body: strings.Repeat("x", 2048)}}, requests: 1,
			class:   httpretry.ErrInvalidResponse,
			policy:  func(p *httpretry.Policy) { p.MaxResponseSize = 1024 },
			message: "Rekor at %s: POST /api/v2/log/entries answered more than 1024 bytes"},
		{name: "too large error answer is retried", answers: []answer{{status: 500, body: strings.Repeat("x", 2048)}, ok}, requests: 2,
			policy: func(p *httpretry.Policy) { p.MaxResponseSize = 1024 },
			waits:  []time.Duration{250 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{answers: tc.answers}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c := newClock()
			p := c.policy()
			if tc.policy != nil {
				tc.policy(&p)
			}
			resp, err := httpretry.Do(context.Background(), srv.Client(), post(srv.URL+"/api/v2/log/entries"), p)
			err = httpretry.Named(err, "Rekor")
			assert.Equal(t, tc.requests, s.Requests(), "requests")
			assert.Equal(t, tc.waits, c.Waits(), "waits")
			for i, b := range s.bodies {
				assert.Equal(t, `{"token":"`+secret+`"}`, b, "request body of attempt %d", i+1)
			}
			if tc.class == nil {
				require.NoError(t, err)
				body, _ := io.ReadAll(resp.Body)
				assert.Equal(t, `{"ok":true}`, string(body))
				assert.Equal(t, http.StatusCreated, resp.StatusCode)
				return
			}
			require.Error(t, err)
			assert.Nil(t, resp)
			for _, class := range []error{httpretry.ErrUnreachable, httpretry.ErrRejected, httpretry.ErrServer, httpretry.ErrInvalidResponse} {
				assert.Equal(t, class == tc.class, errors.Is(err, class), "errors.Is(err, %v)", class)
			}
			var se *httpretry.ServiceError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.requests, se.Attempts)
			assert.Equal(t, "Rekor", se.Service)
			assert.Equal(t, srv.URL, se.URL)
			assert.Equal(t, "POST /api/v2/log/entries", se.Op)
			if tc.message != "" {
				assert.Equal(t, fmt.Sprintf(tc.message, srv.URL), err.Error())
			}
			assert.NotContains(t, err.Error(), "SECRET", "the request body must never appear in an error")
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestDoConflictKeepsHeaders(t *testing.T) {
	s := &script{answers: []answer{{status: 409, header: map[string]string{"Location": "/api/v1/log/entries/abc"}, body: errJSON("exists")}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	_, err := httpretry.Do(context.Background(), srv.Client(), post(srv.URL+"/api/v1/log/entries"), newClock().policy())
	var se *httpretry.ServiceError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusConflict, se.StatusCode)
	assert.Equal(t, "/api/v1/log/entries/abc", se.Header.Get("Location"))
}

func TestDoUnreachable(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := newClock()
		_, err := httpretry.Do(context.Background(), nil, post(url+"/api/v2/signingCert"), c.policy())
		err = httpretry.Named(err, "Fulcio")
		require.ErrorIs(t, err, httpretry.ErrUnreachable)
		assert.NotErrorIs(t, err, httpretry.ErrServer)
		assert.Len(t, c.Waits(), 3)
		assert.Regexp(t, `^Fulcio at `+url+`: POST /api/v2/signingCert failed after 4 attempts: .*connection refused$`, err.Error())
	})
	t.Run("connection closed", func(t *testing.T) {
		f := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultDown, Times: 2, Next: &script{answers: []answer{{status: 200, body: `{"ok":true}`}}}}
		srv := httptest.NewServer(f)
		defer srv.Close()
		c := newClock()
		resp, err := httpretry.Do(context.Background(), srv.Client(), post(srv.URL+"/x"), c.policy())
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, 3, f.Requests())
		assert.Len(t, c.Waits(), 2)
	})
	t.Run("connection closed every time", func(t *testing.T) {
		f := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultDown}
		srv := httptest.NewServer(f)
		defer srv.Close()
		_, err := httpretry.Do(context.Background(), srv.Client(), post(srv.URL+"/x"), newClock().policy())
		require.ErrorIs(t, err, httpretry.ErrUnreachable)
		assert.Equal(t, 4, f.Requests())
	})
	t.Run("attempt timeout", func(t *testing.T) {
		f := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultSlow, Times: 1, Next: &script{answers: []answer{{status: 200, body: "ok"}}}}
		srv := httptest.NewServer(f)
		defer srv.Close()
		c := newClock()
		p := c.policy()
		p.AttemptTimeout = 30 * time.Millisecond
		resp, err := httpretry.Do(context.Background(), srv.Client(), post(srv.URL+"/x"), p)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "ok", string(body))
		assert.Equal(t, 2, f.Requests())
	})
	t.Run("attempt timeout every time", func(t *testing.T) {
		f := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultSlow}
		srv := httptest.NewServer(f)
		defer srv.Close()
		p := newClock().policy()
		p.AttemptTimeout = 20 * time.Millisecond
		p.MaxAttempts = 2
		_, err := httpretry.Do(context.Background(), srv.Client(), post(srv.URL+"/api/v1/timestamp"), p)
		err = httpretry.Named(err, "timestamp authority")
		require.ErrorIs(t, err, httpretry.ErrUnreachable)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, "timestamp authority at "+srv.URL+": POST /api/v1/timestamp failed after 2 attempts: no answer within 20ms", err.Error())
	})
	t.Run("answer cut off", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			_, _ = w.Write([]byte("partial"))
		}))
		defer srv.Close()
		_, err := httpretry.Do(context.Background(), srv.Client(), post(srv.URL+"/x"), newClock().policy())
		require.ErrorIs(t, err, httpretry.ErrUnreachable)
		assert.Contains(t, err.Error(), "unexpected EOF")
	})
}

func TestDoCancelled(t *testing.T) {
	t.Run("while waiting", func(t *testing.T) {
		s := &script{answers: []answer{{status: 503, body: errJSON("overloaded")}}}
		srv := httptest.NewServer(s)
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := newClock()
		c.onSleep = cancel
		_, err := httpretry.Do(ctx, srv.Client(), post(srv.URL+"/api/v2/log/entries"), c.policy())
		err = httpretry.Named(err, "Rekor")
		require.ErrorIs(t, err, context.Canceled)
		for _, class := range []error{httpretry.ErrUnreachable, httpretry.ErrRejected, httpretry.ErrServer, httpretry.ErrInvalidResponse} {
			assert.NotErrorIs(t, err, class)
		}
		assert.Equal(t, 1, s.Requests())
		assert.Equal(t, "Rekor at "+srv.URL+": POST /api/v2/log/entries was cancelled after 1 attempt: context canceled "+
			"(last failure: answered 503 Service Unavailable: overloaded)", err.Error())
	})
	t.Run("before the first attempt", func(t *testing.T) {
		s := &script{answers: []answer{{status: 200}}}
		srv := httptest.NewServer(s)
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c := newClock()
		_, err := httpretry.Do(ctx, srv.Client(), post(srv.URL+"/x"), c.policy())
		require.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, httpretry.ErrUnreachable)
		assert.Equal(t, srv.URL+": POST /x was cancelled after 1 attempt: context canceled", err.Error())
		assert.Empty(t, c.Waits())
	})
	t.Run("caller's deadline during a slow answer", func(t *testing.T) {
		f := &sigstoretest.FaultHandler{Fault: sigstoretest.FaultSlow}
		srv := httptest.NewServer(f)
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		c := newClock()
		_, err := httpretry.Do(ctx, srv.Client(), post(srv.URL+"/x"), c.policy())
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, httpretry.ErrUnreachable)
		assert.Empty(t, c.Waits(), "no retry after the caller's deadline")
	})
}

func TestDoRequestErrors(t *testing.T) {
	want := errors.New("cannot build")
	_, err := httpretry.Do(context.Background(), nil, func(context.Context) (*http.Request, error) { return nil, want }, httpretry.Policy{})
	require.ErrorIs(t, err, want)
	var se *httpretry.ServiceError
	assert.False(t, errors.As(err, &se), "a request that cannot be built is not a service failure")
}

func TestDoHidesQueryAndUserinfo(t *testing.T) {
	s := &script{answers: []answer{{status: 400, body: "no"}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	url := strings.Replace(srv.URL, "http://", "http://user:pass@", 1) + "/api/v1/log/entries?apiKey=hunter2"
	_, err := httpretry.Do(context.Background(), srv.Client(), post(url), newClock().policy())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.NotContains(t, err.Error(), "pass")
	assert.Equal(t, srv.URL+": POST /api/v1/log/entries answered 400 Bad Request after 1 attempt: no", err.Error())
}

func TestDoResponseBodyIsReplayable(t *testing.T) {
	s := &script{answers: []answer{{status: 200, body: "hello"}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := httpretry.Do(context.Background(), srv.Client(), func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	}, httpretry.Policy{})
	require.NoError(t, err)
	// The attempt's context is gone by now; the body was read inside it.
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(body))
	assert.EqualValues(t, 5, resp.ContentLength)
}

func TestDefaultJitter(t *testing.T) {
	// The default policy draws each wait from [0, backoff]: run it against a service that
	// always fails and look at the waits.
	s := &script{answers: []answer{{status: 500}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	for range 20 {
		c := newClock()
		p := httpretry.Policy{Sleep: c.Sleep, Now: c.Now, BaseDelay: time.Second, MaxDelay: 3 * time.Second}
		_, err := httpretry.Do(context.Background(), srv.Client(), post(srv.URL), p)
		require.ErrorIs(t, err, httpretry.ErrServer)
		waits := c.Waits()
		require.Len(t, waits, 3)
		for i, limit := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
			assert.GreaterOrEqual(t, waits[i], time.Duration(0))
			assert.LessOrEqual(t, waits[i], limit)
		}
	}
}

func TestServiceErrorClasses(t *testing.T) {
	tests := []struct {
		status int
		err    error
		class  error
	}{
		{0, errors.New("dial tcp: connection refused"), httpretry.ErrUnreachable},
		{0, context.Canceled, nil},
		{0, fmt.Errorf("x: %w", context.DeadlineExceeded), nil},
		{200, errors.New("malformed JSON"), httpretry.ErrInvalidResponse},
		{201, errors.New("wrong key"), httpretry.ErrInvalidResponse},
		{400, errors.New("bad"), httpretry.ErrRejected},
		{403, errors.New("no"), httpretry.ErrRejected},
		{404, errors.New("no"), httpretry.ErrRejected},
		{408, errors.New("slow"), httpretry.ErrServer},
		{409, errors.New("exists"), httpretry.ErrRejected},
		{413, errors.New("big"), httpretry.ErrRejected},
		{429, errors.New("slow down"), httpretry.ErrServer},
		{500, errors.New("oops"), httpretry.ErrServer},
		{503, errors.New("busy"), httpretry.ErrServer},
	}
	for _, tc := range tests {
		e := &httpretry.ServiceError{Service: "Rekor", URL: "https://rekor.example", Op: "POST /x", StatusCode: tc.status, Attempts: 1, Err: tc.err}
		for _, class := range []error{httpretry.ErrUnreachable, httpretry.ErrRejected, httpretry.ErrServer, httpretry.ErrInvalidResponse} {
			assert.Equal(t, class == tc.class, errors.Is(e, class), "status %d, %v: errors.Is %v", tc.status, tc.err, class)
		}
		assert.ErrorIs(t, e, tc.err, "Unwrap gives the cause")
	}
}

func TestServiceErrorMessages(t *testing.T) {
	base := httpretry.ServiceError{Service: "Rekor", URL: "http://127.0.0.1:3000", Op: "POST /api/v2/log/entries", Attempts: 4}
	with := func(f func(*httpretry.ServiceError)) error { e := base; f(&e); return &e }
	assert.Equal(t, "Rekor at http://127.0.0.1:3000: POST /api/v2/log/entries answered 500 Internal Server Error after 4 attempts: oops",
		with(func(e *httpretry.ServiceError) { e.StatusCode, e.Err = 500, errors.New("oops") }).Error())
	assert.Equal(t, "Rekor at http://127.0.0.1:3000: POST /api/v2/log/entries answered status 599 after 4 attempts: oops",
		with(func(e *httpretry.ServiceError) { e.StatusCode, e.Err = 599, errors.New("oops") }).Error())
	assert.Equal(t, "Rekor at http://127.0.0.1:3000: POST /api/v2/log/entries failed after 4 attempts: connection refused",
		with(func(e *httpretry.ServiceError) { e.Err = errors.New("connection refused") }).Error())
	assert.Equal(t, "Rekor at http://127.0.0.1:3000: POST /api/v2/log/entries answered malformed JSON: unexpected EOF (after 4 attempts)",
		with(func(e *httpretry.ServiceError) {
			e.StatusCode, e.Err = 201, errors.New("malformed JSON: unexpected EOF")
		}).Error())
	assert.Equal(t, "Rekor at http://127.0.0.1:3000: POST /api/v2/log/entries answered malformed JSON: unexpected EOF",
		with(func(e *httpretry.ServiceError) {
			e.StatusCode, e.Attempts, e.Err = 201, 1, errors.New("malformed JSON: unexpected EOF")
		}).Error())
}

func TestInvalidAndNamed(t *testing.T) {
	req := httptestRequest(t, "https://user:pw@fulcio.example/api/v2/signingCert?x=1")
	resp := &http.Response{StatusCode: 200, Request: req}
	err := httpretry.Invalid("Fulcio", resp, errors.New("malformed JSON: unexpected EOF"))
	assert.Equal(t, "Fulcio at https://fulcio.example: POST /api/v2/signingCert answered malformed JSON: unexpected EOF", err.Error())
	assert.ErrorIs(t, err, httpretry.ErrInvalidResponse)

	assert.Nil(t, httpretry.Named(nil, "Fulcio"))
	plain := errors.New("plain")
	assert.Equal(t, plain, httpretry.Named(plain, "Fulcio"))
	named := &httpretry.ServiceError{Service: "Rekor"}
	_ = httpretry.Named(fmt.Errorf("wrapped: %w", named), "Fulcio")
	assert.Equal(t, "Rekor", named.Service, "a name already set stays")
}

func httptestRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(nil))
	require.NoError(t, err)
	return r
}

func TestExcerpt(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, "(empty answer)"},
		{"  \n\t ", "(empty answer)"},
		{`{"code":3,"message":"There was an error processing the identity token","details":[]}`, "There was an error processing the identity token"},
		{`{"code":409,"message":"An equivalent entry already exists"}`, "An equivalent entry already exists"},
		{`{"error":"invalid_request"}`, "invalid_request"},
		{`{"code":3,"message":""}`, `{"code":3,"message":""}`},
		{"<html>\n  <body>Bad   Gateway</body>\n</html>\n", "<html> <body>Bad Gateway</body> </html>"},
		{"line one\r\nline two\x00\x07", "line one line two"},
		{strings.Repeat("a", 500), strings.Repeat("a", 200) + "..."},
		{"\xff\xfe binary", "\ufffd\ufffd binary"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, httpretry.Excerpt([]byte(tc.in)), "%q", tc.in)
	}
}
