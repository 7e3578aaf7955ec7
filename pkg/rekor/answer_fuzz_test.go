package rekor

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/trust"
)

var noWait = httpretry.Policy{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}

// FuzzUploadAnswer feeds the client of each log version answers to an upload: real answers
// of the fake Rekor v1 and v2 servers and mutations of them. Upload must never panic, and an
// entry it accepts goes through the verifier's log checks (SET, inclusion proof, checkpoint)
// without panicking either.
func FuzzUploadAnswer(f *testing.F) {
	ca := sigstoretest.NewCA(f)
	key := newKey(f)
	cert := ca.IssueLeaf(key.Public(), sigstoretest.LeafOptions{}).Raw
	digest := sha256.Sum256([]byte("artifact"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		f.Fatal(err)
	}
	proposal := ProposedEntry{Certificate: cert, Signature: sig, Hash: crypto.SHA256, Digest: digest[:]}
	logs := map[bool]*trust.Log{}
	for _, v2 := range []bool{false, true} {
		version := sigstoretest.RekorV1
		if v2 {
			version = sigstoretest.RekorV2
		}
		l := sigstoretest.NewLog(f, version)
		logs[v2] = trustLog(f, l)
		srv := httptest.NewServer(sigstoretest.NewRekorServer(l, sigstoretest.RekorOptions{}))
		var answer []byte
		c := &Client{BaseURL: srv.URL, Version: 1, Retry: noWait,
			HTTP: &http.Client{Transport: &sigstoretest.AnswerTransport{Next: srv.Client().Transport, Record: &answer}}}
		if v2 {
			c.Version = 2
		}
		if _, err := c.Upload(context.Background(), proposal); err != nil {
			f.Fatalf("the fake log refuses the proposal: %v", err)
		}
		srv.Close()
		// Replayed, the answer is accepted and verifies: the fuzzer starts from there.
		c.HTTP = &http.Client{Transport: &sigstoretest.AnswerTransport{Status: http.StatusCreated, Body: answer}}
		e, err := c.Upload(context.Background(), proposal)
		if err == nil {
			err = VerifyInclusion(e, logs[v2])
		}
		if err == nil && !v2 {
			err = VerifySET(e, logs[v2])
		}
		if err != nil {
			f.Fatalf("the fake log's answer, replayed: %v", err)
		}
		f.Add(answer, v2)
	}
	f.Add([]byte(`{"x":{"body":"e30=","logID":"00","logIndex":0}}`), false)
	f.Add([]byte(`{"logIndex":"1","kindVersion":{"kind":"hashedrekord","version":"0.0.2"},"inclusionProof":{"treeSize":"1"}}`), true)

	f.Fuzz(func(t *testing.T, answer []byte, v2 bool) {
		c := &Client{BaseURL: "https://rekor.example.test", Version: 1, Retry: noWait,
			HTTP: &http.Client{Transport: &sigstoretest.AnswerTransport{Status: http.StatusCreated, Body: answer}}}
		if v2 {
			c.Version = 2
		}
		e, err := c.Upload(context.Background(), proposal)
		if err != nil {
			return
		}
		if !v2 {
			_ = VerifySET(e, logs[v2])
		}
		_ = VerifyInclusion(e, logs[v2])
	})
}
