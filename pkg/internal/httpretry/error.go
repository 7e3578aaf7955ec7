package httpretry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Classes of service failure. A *ServiceError matches exactly one of them with errors.Is, or none
// when the caller cancelled (then it matches context.Canceled or context.DeadlineExceeded).
var (
	// ErrUnreachable: no answer arrived: connection refused, DNS failure, a connection closed
	// before the answer was complete, TLS failure, or no answer within the attempt's timeout.
	ErrUnreachable = errors.New("service unreachable")
	// ErrRejected: the service refused the request as such (a 4xx answer other than 408 and
	// 429). Another attempt would get the same answer.
	ErrRejected = errors.New("service rejected the request")
	// ErrServer: the service failed or was overloaded (a 5xx, 408 or 429 answer) on the last
	// attempt.
	ErrServer = errors.New("service failed")
	// ErrInvalidResponse: the service answered with success, but the answer is unusable:
	// malformed, too large, or not what was asked for.
	ErrInvalidResponse = errors.New("service answered an unusable response")
)

// ServiceError says which service failed, where, and why, in one line:
//
//	Rekor at http://127.0.0.1:3000: POST /api/v2/log/entries answered 500 Internal Server Error after 4 attempts: <excerpt>
//
// Do returns it with Service empty; clients set Service, and build their own ServiceErrors
// (with the answer's status code and an Err saying what is wrong) for answers they cannot use.
type ServiceError struct {
	Service    string      // the service's name: "Fulcio", "Rekor", "timestamp authority"
	URL        string      // scheme://host of the service, without user information
	Op         string      // method and path: "POST /api/v2/log/entries" (never the query)
	StatusCode int         // the last answer's HTTP status; 0 when none arrived
	Attempts   int         // attempts made
	Err        error       // why: the answer's excerpt, the transport error, what is wrong with the answer
	Header     http.Header // headers of the last error answer (e.g. Location of a 409); nil otherwise
	// Budget is set when Do stopped early because the next wait would overrun Policy.MaxElapsed.
	Budget time.Duration
}

func (e *ServiceError) Error() string {
	where := e.URL
	if e.Service != "" {
		where = e.Service + " at " + e.URL
	}
	var ce *cancelError
	switch {
	case errors.As(e.Err, &ce):
		return fmt.Sprintf("%s: %s was cancelled after %s: %v", where, e.Op, e.attempts(), e.Err)
	case e.StatusCode >= 400:
		return fmt.Sprintf("%s: %s answered %s after %s: %v", where, e.Op, statusText(e.StatusCode), e.attempts(), e.Err)
	case e.StatusCode == 0:
		return fmt.Sprintf("%s: %s failed after %s: %v", where, e.Op, e.attempts(), e.Err)
	}
	if e.Attempts > 1 {
		return fmt.Sprintf("%s: %s answered %v (after %s)", where, e.Op, e.Err, e.attempts())
	}
	return fmt.Sprintf("%s: %s answered %v", where, e.Op, e.Err)
}

func (e *ServiceError) attempts() string {
	s := fmt.Sprintf("%d attempts", e.Attempts)
	if e.Attempts == 1 {
		s = "1 attempt"
	}
	if e.Budget > 0 {
		s += fmt.Sprintf(" (retry budget of %s spent)", e.Budget.Round(time.Millisecond))
	}
	return s
}

func (e *ServiceError) Unwrap() error { return e.Err }

// Is matches the class of failure (ErrUnreachable, ErrRejected, ErrServer, ErrInvalidResponse).
func (e *ServiceError) Is(target error) bool {
	switch target {
	case ErrUnreachable:
		return e.StatusCode == 0 && !e.isCancel()
	case ErrServer:
		return retryableStatus(e.StatusCode)
	case ErrRejected:
		return e.StatusCode >= 400 && e.StatusCode < 500 && !retryableStatus(e.StatusCode)
	case ErrInvalidResponse:
		return e.StatusCode > 0 && e.StatusCode < 400
	}
	return false
}

func (e *ServiceError) isCancel() bool {
	var ce *cancelError
	return errors.As(e.Err, &ce) || errors.Is(e.Err, context.Canceled) ||
		errors.Is(e.Err, context.DeadlineExceeded)
}

func (e *ServiceError) retryable() bool {
	if e.StatusCode == 0 {
		return !e.isCancel() && !permanentTransportError(e.Err)
	}
	return retryableStatus(e.StatusCode)
}

// reason is the failure without the service and operation, for the evidence of a cancellation.
func (e *ServiceError) reason() string {
	if e.StatusCode >= 400 {
		return fmt.Sprintf("answered %s: %v", statusText(e.StatusCode), e.Err)
	}
	return fmt.Sprint(e.Err)
}

func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || (code >= 500 && code < 600)
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("status %d", code)
}

// Named sets the service's name on a *ServiceError that err is or wraps, and returns err.
func Named(err error, service string) error {
	var se *ServiceError
	if errors.As(err, &se) && se.Service == "" {
		se.Service = service
	}
	return err
}

// Invalid reports a successful answer that the client cannot use: resp is the answer Do
// returned, err says what is wrong with it ("malformed JSON: ..."). It matches
// ErrInvalidResponse.
func Invalid(service string, resp *http.Response, err error) *ServiceError {
	e := &ServiceError{Service: service, StatusCode: resp.StatusCode, Err: err}
	if resp.Request != nil {
		e.URL, e.Op = baseURL(resp.Request), resp.Request.Method+" "+opPath(resp.Request)
	}
	return e
}
