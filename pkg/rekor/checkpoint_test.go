package rekor

import (
	"reflect"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/sigstoretest"
)

const (
	rootB64 = "rs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI="
	// A real Rekor v1 checkpoint (happy-path-v0.2).
	rekorV1Checkpoint = "rekor.sigstore.dev - 2605736670972794746\n23083062\ndauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=\nTimestamp: 1689177396617352539\n\n" +
		"— rekor.sigstore.dev wNI9ajBFAiBxaGyEtxkzFLkaCSEJqFuSS3dJjEZCNiyByVs1CNVQ8gIhAOoNnXtmMtTctV2oRnSRUZAo4EWUYPK/vBsqOzAU6TMs\n"
)

func TestParseCheckpoint(t *testing.T) {
	tests := []struct {
		name string
		text string
		want *Checkpoint // nil: a parse error
	}{
		{"Rekor v2 text", "log2025-alpha1.rekor.sigstage.dev\n736\n" + rootB64 + "\n",
			&Checkpoint{Origin: "log2025-alpha1.rekor.sigstage.dev", Size: 736}},
		{"Rekor v1 signed note: extension kept, signatures ignored", rekorV1Checkpoint,
			&Checkpoint{Origin: "rekor.sigstore.dev - 2605736670972794746", Size: 23083062, Extensions: []string{"Timestamp: 1689177396617352539"}}},
		{"tree size zero", "o\n0\n" + rootB64 + "\n", &Checkpoint{Origin: "o", Size: 0}},
		{"largest tree size", "o\n18446744073709551615\n" + rootB64 + "\n", &Checkpoint{Origin: "o", Size: 1<<64 - 1}},

		{"empty", "", nil},
		{"no trailing newline", "o\n1\n" + rootB64, nil},
		{"missing origin", "736\n" + rootB64 + "\n", nil},
		{"empty origin", "\n736\n" + rootB64 + "\n", nil},
		{"missing size", "o\n" + rootB64 + "\n", nil},
		{"missing root hash", "o\n736\n", nil},
		{"missing root hash, extension instead", "o\n736\nTimestamp: 1\n", nil},
		{"only an origin", "o\n", nil},
		{"size with leading zero", "o\n0736\n" + rootB64 + "\n", nil},
		{"size with sign", "o\n+736\n" + rootB64 + "\n", nil},
		{"size overflows", "o\n18446744073709551616\n" + rootB64 + "\n", nil},
		{"size in hex", "o\n0x2e0\n" + rootB64 + "\n", nil},
		{"root hash of 31 bytes", "o\n736\n" + "rs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTA==" + "\n", nil},
		{"root hash not base64", "o\n736\n" + strings.Repeat("*", 44) + "\n", nil},
		{"root hash URL-safe base64", "o\n736\n" + strings.NewReplacer("+", "-", "/", "_").Replace(rootB64) + "\n", nil},
		{"empty extension line between others", "o\n736\n" + rootB64 + "\nA\n\nB\n\n— o AAAA\n", nil},
		{"control character", "o\x01\n736\n" + rootB64 + "\n", nil},
		{"carriage return", "o\r\n736\n" + rootB64 + "\n", nil},
		{"invalid UTF-8", "o\xff\n736\n" + rootB64 + "\n", nil},
		{"too large", "o\n736\n" + rootB64 + "\n" + strings.Repeat("x", MaxCheckpointSize) + "\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCheckpoint(tt.text)
			if tt.want == nil {
				check(t, err, is(ErrMalformedCheckpoint))
				return
			}
			if err != nil {
				t.Fatalf("ParseCheckpoint: %v", err)
			}
			got.RootHash = [32]byte{} // compared below
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	c, err := ParseCheckpoint(rekorV1Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RootHash[:4]; string(got) != "\x75\xab\xa1\x95" {
		t.Errorf("root hash starts %x, want 75aba195", got)
	}
}

// TestVerifyCheckpointNames checks which signer names a log's base URL admits.
func TestVerifyCheckpointNames(t *testing.T) {
	tests := []struct {
		name    string
		host    string // the fake log's origin and signer name
		baseURL string // what the trusted root says
		want    errCheck
	}{
		{"host", "rekor.example.test", "https://rekor.example.test", noError},
		{"host with a path in the URL", "rekor.example.test", "https://rekor.example.test/api", noError},
		{"name with port, URL with port (local Rekor v1)", "localhost:8000", "http://localhost:8000", noError},
		{"name without port, URL with port (local Rekor v2)", "127.0.0.1", "http://127.0.0.1:3000", noError},
		{"name with port, URL without", "localhost:8000", "http://localhost", is(ErrNoLogSignature)},
		{"another host", "rekor.example.test", "https://rekor2.example.test", is(ErrNoLogSignature)},
		{"parent domain", "rekor.example.test", "https://example.test", is(ErrNoLogSignature)},
		{"no host in the URL", "rekor.example.test", "rekor.example.test", anyError("no host")},
	}
	for _, v := range []sigstoretest.LogVersion{sigstoretest.RekorV1, sigstoretest.RekorV2} {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				fake := sigstoretest.NewLog(t, v, sigstoretest.LogHost(tt.host))
				e := fake.Append([]byte(`{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{}}`))
				log := trustLog(t, fake)
				log.BaseURL = tt.baseURL
				c, err := VerifyCheckpoint(e.GetInclusionProof().GetCheckpoint().GetEnvelope(), log)
				check(t, err, tt.want)
				if err == nil && (c.Origin != fake.Origin() || c.Size != uint64(fake.Size())) {
					t.Errorf("got origin %q size %d, want %q %d", c.Origin, c.Size, fake.Origin(), fake.Size())
				}
			})
		}
	}
}
