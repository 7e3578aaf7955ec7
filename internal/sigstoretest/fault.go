package sigstoretest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Fault is a failure a FaultHandler injects.
type Fault int

const (
	// FaultNone passes every request on.
	FaultNone Fault = iota
	// FaultDown closes the connection without answering, as a crashed or restarting service
	// does. (For "connection refused", use the address of a closed httptest.Server.)
	FaultDown
	// FaultSlow holds the request for Delay before passing it on or, with no Delay, until the
	// client hangs up (at most a minute), never answering: a service slower than the client's
	// timeout.
	FaultSlow
	// FaultStatus answers Status (default 500) with a JSON error body.
	FaultStatus
	// FaultRateLimit answers 429 Too Many Requests with Retry-After: RetryAfter (default "1").
	FaultRateLimit
	// FaultMalformedJSON answers 200 OK with a JSON body cut off in the middle.
	FaultMalformedJSON
)

func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultDown:
		return "down"
	case FaultSlow:
		return "slow"
	case FaultStatus:
		return "status"
	case FaultRateLimit:
		return "rate limit"
	case FaultMalformedJSON:
		return "malformed JSON"
	}
	return fmt.Sprintf("fault %d", int(f))
}

// maxFaultBody bounds the request body FaultSlow holds.
const maxFaultBody = 16 << 20

// maxSlow bounds how long FaultSlow holds a request whose client never hangs up.
const maxSlow = time.Minute

// FaultHandler wraps a fake service (Next) and makes its first Times requests fail with Fault
// (every request when Times is 0); later requests reach Next. Use it as the handler of an
// httptest.Server. Set the fields before the first request; it is safe for concurrent use.
type FaultHandler struct {
	Next  http.Handler
	Fault Fault
	// Times is how many requests fail; 0 means all of them.
	Times int
	// Status is FaultStatus's answer (default 500).
	Status int
	// RetryAfter is FaultRateLimit's Retry-After value (default "1"): seconds or an HTTP date.
	// Set it to "-" to send none.
	RetryAfter string
	// Delay is how long FaultSlow holds a request (default: until the client hangs up).
	Delay time.Duration

	mu       sync.Mutex
	requests int
	faults   int
}

// Requests is the number of requests the handler has seen; Faults the number it failed.
func (f *FaultHandler) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Faults is the number of requests the handler failed.
func (f *FaultHandler) Faults() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.faults
}

func (f *FaultHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	fault := f.Fault
	if f.Times > 0 && f.faults >= f.Times {
		fault = FaultNone
	}
	if fault != FaultNone {
		f.faults++
	}
	f.mu.Unlock()

	switch fault {
	case FaultNone:
		f.next(w, r)
	case FaultDown:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("sigstoretest: FaultDown needs a ResponseWriter that can be hijacked (HTTP/1)")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
	case FaultSlow:
		// net/http notices a client hanging up only once the request body has been read, so
		// read it now (and give it back to Next).
		body, err := io.ReadAll(io.LimitReader(r.Body, maxFaultBody))
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		wait := f.Delay
		if wait <= 0 {
			wait = maxSlow
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return // the client hung up
		case <-t.C:
		}
		if f.Delay > 0 {
			f.next(w, r)
		}
	case FaultStatus:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		writeJSONError(w, status, fmt.Sprintf("injected fault: %s", http.StatusText(status)))
	case FaultRateLimit:
		ra := f.RetryAfter
		if ra == "" {
			ra = "1"
		}
		if ra != "-" {
			w.Header().Set("Retry-After", ra)
		}
		writeJSONError(w, http.StatusTooManyRequests, "injected fault: rate limited")
	case FaultMalformedJSON:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"logIndex": "12", "body": "eyJhcGlWZXJz`))
	default:
		panic(fmt.Sprintf("sigstoretest: unknown fault %d", int(fault)))
	}
}

func (f *FaultHandler) next(w http.ResponseWriter, r *http.Request) {
	if f.Next == nil {
		http.NotFound(w, r)
		return
	}
	f.Next.ServeHTTP(w, r)
}

// writeJSONError answers an error as Fulcio, Rekor and rekor-tiles do: a JSON object with a
// code (the HTTP status here; the gRPC services send a gRPC code) and a message.
func writeJSONError(w http.ResponseWriter, status int, message string) {
	b, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{status, message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
