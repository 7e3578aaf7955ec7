package httpretry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/signet-dev/signet/pkg/internal/httpretry"
)

// A service that is overloaded twice and then answers: Do retries after the wait the service
// asks for, and a service that keeps failing ends in one ServiceError that says why.
func Example() {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls <= 2 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"code":14,"message":"reached max pushback; retry"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"logIndex":"7"}`)
	}))
	defer srv.Close()

	// Record the waits instead of sleeping.
	policy := httpretry.Policy{Sleep: func(_ context.Context, d time.Duration) error {
		fmt.Println("waiting", d)
		return nil
	}}
	newReq := func(ctx context.Context) (*http.Request, error) {
		// Called once per attempt, so the body can be sent again.
		return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v2/log/entries", strings.NewReader(`{}`))
	}
	resp, err := httpretry.Do(context.Background(), srv.Client(), newReq, policy)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))

	policy.MaxAttempts = 2
	calls = 0
	_, err = httpretry.Do(context.Background(), srv.Client(), newReq, policy)
	err = httpretry.Named(err, "Rekor")
	fmt.Println(strings.Replace(err.Error(), srv.URL, "http://127.0.0.1:3000", 1))
	fmt.Println(errors.Is(err, httpretry.ErrServer))
	// Output:
	// waiting 2s
	// waiting 2s
	// 201 {"logIndex":"7"}
	// waiting 2s
	// Rekor at http://127.0.0.1:3000: POST /api/v2/log/entries answered 503 Service Unavailable after 2 attempts: reached max pushback; retry
	// true
}
