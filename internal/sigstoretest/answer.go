package sigstoretest

import (
	"bytes"
	"io"
	"net/http"
)

// AnswerTransport answers every request with Status and Body (a JSON content type), so that
// fuzz tests can hand a client any answer; or, with Next set, passes requests on and records
// the last answer's body in *Record, so that they can collect real answers as seeds first.
type AnswerTransport struct {
	Status int
	Body   []byte
	Next   http.RoundTripper
	Record *[]byte
}

// RoundTrip implements http.RoundTripper.
func (a *AnswerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if a.Next != nil {
		resp, err := a.Next.RoundTrip(r)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		*a.Record = b
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return resp, nil
	}
	return &http.Response{StatusCode: a.Status, Status: http.StatusText(a.Status), Request: r,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(a.Body))}, nil
}
