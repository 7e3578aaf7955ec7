package sigstoretest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	_, _ = io.WriteString(w, "ok:"+string(body))
})

func faultServer(t *testing.T, f *FaultHandler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

func postBody(t *testing.T, c *http.Client, url, body string) (*http.Response, string, error) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestFaultHandler(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		f := &FaultHandler{Next: okHandler}
		srv := faultServer(t, f)
		resp, body, err := postBody(t, srv.Client(), srv.URL, "x")
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "ok:x", body)
		assert.Equal(t, 1, f.Requests())
		assert.Equal(t, 0, f.Faults())
	})
	t.Run("no next handler", func(t *testing.T) {
		srv := faultServer(t, &FaultHandler{})
		resp, _, err := postBody(t, srv.Client(), srv.URL, "x")
		require.NoError(t, err)
		assert.Equal(t, 404, resp.StatusCode)
	})
	t.Run("down", func(t *testing.T) {
		f := &FaultHandler{Next: okHandler, Fault: FaultDown}
		srv := faultServer(t, f)
		_, _, err := postBody(t, srv.Client(), srv.URL, "x")
		require.Error(t, err, "the connection closes without an answer")
		assert.Equal(t, 1, f.Faults())
	})
	t.Run("status", func(t *testing.T) {
		for status, want := range map[int]int{0: 500, 502: 502, 400: 400} {
			srv := faultServer(t, &FaultHandler{Next: okHandler, Fault: FaultStatus, Status: status})
			resp, body, err := postBody(t, srv.Client(), srv.URL, "x")
			require.NoError(t, err)
			assert.Equal(t, want, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var e struct {
				Code    int
				Message string
			}
			require.NoError(t, json.Unmarshal([]byte(body), &e))
			assert.Equal(t, want, e.Code)
			assert.Equal(t, "injected fault: "+http.StatusText(want), e.Message)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		for ra, want := range map[string]string{"": "1", "7": "7", "Sun, 01 Jun 2025 12:00:05 GMT": "Sun, 01 Jun 2025 12:00:05 GMT", "-": ""} {
			srv := faultServer(t, &FaultHandler{Next: okHandler, Fault: FaultRateLimit, RetryAfter: ra})
			resp, _, err := postBody(t, srv.Client(), srv.URL, "x")
			require.NoError(t, err)
			assert.Equal(t, 429, resp.StatusCode)
			assert.Equal(t, want, resp.Header.Get("Retry-After"))
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		srv := faultServer(t, &FaultHandler{Next: okHandler, Fault: FaultMalformedJSON})
		resp, body, err := postBody(t, srv.Client(), srv.URL, "x")
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		var v any
		assert.Error(t, json.Unmarshal([]byte(body), &v))
	})
	t.Run("slow with a delay passes on", func(t *testing.T) {
		srv := faultServer(t, &FaultHandler{Next: okHandler, Fault: FaultSlow, Delay: 5 * time.Millisecond})
		start := time.Now()
		resp, body, err := postBody(t, srv.Client(), srv.URL, "late")
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "ok:late", body, "the request body reaches the next handler")
		assert.GreaterOrEqual(t, time.Since(start), 5*time.Millisecond)
	})
	t.Run("slow without a delay never answers", func(t *testing.T) {
		srv := faultServer(t, &FaultHandler{Next: okHandler, Fault: FaultSlow})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("x"))
		start := time.Now()
		_, err := srv.Client().Do(req)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		srv.Close() // returns once the handler noticed the client hung up
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("times", func(t *testing.T) {
		f := &FaultHandler{Next: okHandler, Fault: FaultStatus, Times: 2}
		srv := faultServer(t, f)
		var codes []int
		for range 4 {
			resp, _, err := postBody(t, srv.Client(), srv.URL, "x")
			require.NoError(t, err)
			codes = append(codes, resp.StatusCode)
		}
		assert.Equal(t, []int{500, 500, 200, 200}, codes)
		assert.Equal(t, 4, f.Requests())
		assert.Equal(t, 2, f.Faults())
	})
	t.Run("names", func(t *testing.T) {
		for f, want := range map[Fault]string{FaultNone: "none", FaultDown: "down", FaultSlow: "slow", FaultStatus: "status",
			FaultRateLimit: "rate limit", FaultMalformedJSON: "malformed JSON", Fault(42): "fault 42"} {
			assert.Equal(t, want, f.String())
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		// The other way for a service to be down: nobody listens.
		srv := httptest.NewServer(okHandler)
		srv.Close()
		_, err := http.Post(srv.URL, "text/plain", strings.NewReader("x"))
		assert.ErrorContains(t, err, "connection refused")
	})
}
