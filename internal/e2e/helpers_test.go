//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/signet-dev/signet/internal/cli"
	"github.com/signet-dev/signet/internal/testoidc"
	"github.com/signet-dev/signet/pkg/verify"
)

// result is what one run of signet (or another client) did.
type result struct {
	cmd    string // for messages; identity tokens redacted
	code   int
	stdout string
	stderr string
}

// signet runs signet in-process through cli.Main, with env as its only environment variables.
func signet(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &cli.Env{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Now:    time.Now,
		Getenv: func(k string) string { return env[k] },
		HTTP:   &http.Client{},
	}
	code := cli.Main(args, e)
	r := result{cmd: "signet " + redact(args), code: code, stdout: stdout.String(), stderr: stderr.String()}
	r.log(t)
	r.noToken(t)
	return r
}

// noToken fails the test if signet printed an identity token.
func (r result) noToken(t *testing.T) {
	t.Helper()
	if jwtRE.MatchString(r.stdout) || jwtRE.MatchString(r.stderr) {
		t.Errorf("%s printed an identity token", r.cmd)
	}
}

// command runs a program as a subprocess with a clean environment plus env.
func command(t *testing.T, env map[string]string, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	for k, val := range env {
		cmd.Env = append(cmd.Env, k+"="+val)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("%s %s: %v", filepath.Base(bin), redact(args), err)
	}
	r := result{cmd: filepath.Base(bin) + " " + redact(args), code: code, stdout: stdout.String(), stderr: stderr.String()}
	r.log(t)
	if bin == stack.signetBin || bin == stack.adapterBin {
		r.noToken(t)
	}
	return r
}

var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// redact joins args for a message, hiding identity tokens.
func redact(args []string) string {
	return jwtRE.ReplaceAllString(strings.Join(args, " "), "<token>")
}

func (r result) log(t *testing.T) {
	t.Helper()
	t.Logf("$ %s\nexit %d\n%s%s", r.cmd, r.code, indent("stderr", r.stderr), indent("stdout", r.stdout))
}

func indent(name, s string) string {
	if s == "" {
		return ""
	}
	return name + ":\n    " + strings.ReplaceAll(strings.TrimRight(jwtRE.ReplaceAllString(s, "<token>"), "\n"), "\n", "\n    ") + "\n"
}

// want fails the test unless r exited with code and its stderr holds every one of msgs.
func (r result) want(t *testing.T, code int, msgs ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstderr:\n%s", r.cmd, r.code, code, r.stderr)
	}
	for _, m := range msgs {
		if !strings.Contains(r.stderr, m) {
			t.Fatalf("%s: stderr lacks %q:\n%s", r.cmd, m, r.stderr)
		}
	}
}

// Identity tokens from the stack's test OIDC issuer.

func fetchToken(t *testing.T, issuer string, req testoidc.Request) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := testoidc.FetchToken(ctx, nil, issuer, req)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// emailToken is a token of the email issuer for email.
func emailToken(t *testing.T, email string) string {
	return fetchToken(t, v("OIDC_URL"), testoidc.Request{Subject: email, Email: email})
}

// uriToken is a token of the second (URI) issuer with subject sub.
func uriToken(t *testing.T, sub string) string {
	return fetchToken(t, v("OIDC_URI_ISSUER_URL"), testoidc.Request{Subject: sub})
}

// Trust material.

// trustCfg is one instance description: a ClientTrustConfig, and its trusted root and signing
// config as separate files (for the conformance protocol).
type trustCfg struct {
	name          string
	trustConfig   string
	trustedRoot   string
	signingConfig string
	rekorVersion  int
}

func coreTrust() trustCfg {
	return trustCfg{name: "default", trustConfig: v("TRUST_CONFIG"), trustedRoot: v("TRUSTED_ROOT"),
		signingConfig: v("SIGNING_CONFIG"), rekorVersion: 2}
}

func rekorV1Trust() trustCfg {
	return trustCfg{name: "rekor-v1", trustConfig: v("TRUST_CONFIG_REKOR_V1"), trustedRoot: v("TRUSTED_ROOT"),
		signingConfig: v("SIGNING_CONFIG_REKOR_V1"), rekorVersion: 1}
}

func rekorV2Trust() trustCfg {
	return trustCfg{name: "rekor-v2", trustConfig: v("TRUST_CONFIG_REKOR_V2"), trustedRoot: v("TRUSTED_ROOT"),
		signingConfig: v("SIGNING_CONFIG_REKOR_V2"), rekorVersion: 2}
}

// allTrust is every trust config of the mode: the default one, and in full mode the ones
// that select only Rekor v1 or only Rekor v2.
func allTrust() []trustCfg {
	if full() {
		return []trustCfg{coreTrust(), rekorV1Trust(), rekorV2Trust()}
	}
	return []trustCfg{coreTrust()}
}

func loadTrustConfig(t *testing.T, path string) *pbtrust.ClientTrustConfig {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tc := &pbtrust.ClientTrustConfig{}
	if err := protojson.Unmarshal(data, tc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tc
}

func writeProto(t *testing.T, path string, m proto.Message) string {
	t.Helper()
	data, err := protojson.MarshalOptions{Multiline: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Files.

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func wantFile(t *testing.T, path string) {
	t.Helper()
	if !exists(path) {
		t.Fatalf("%s was not written", path)
	}
}

// wantNoBundle fails if a bundle, or a leftover temporary file of one, is in dir.
func wantNoBundle(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if exists(p) {
			t.Fatalf("%s exists after a failed signing", p)
		}
		entries, _ := os.ReadDir(filepath.Dir(p))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), filepath.Base(p)) || strings.Contains(e.Name(), ".tmp") {
				t.Fatalf("%s left behind in %s", e.Name(), filepath.Dir(p))
			}
		}
	}
}

// tampered writes a copy of the artifact at path with one more byte, next to it.
func tampered(t *testing.T, path string) string {
	t.Helper()
	p := path + ".tampered"
	if err := os.WriteFile(p, append(readFile(t, path), '!'), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// statement writes an in-toto statement whose one subject is the file at subject.
func statement(t *testing.T, dir, subject string) string {
	t.Helper()
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": filepath.Base(subject), "digest": map[string]string{"sha256": sha256Hex(readFile(t, subject))}}},
		"predicateType": "https://signet.dev/e2e/test/v1",
		"predicate":     map[string]any{"test": t.Name()},
	}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, filepath.Base(subject)+".intoto.json", string(data))
}

// Bundles.

func readBundle(t *testing.T, path string) *pbbundle.Bundle {
	t.Helper()
	b := &pbbundle.Bundle{}
	if err := protojson.Unmarshal(readFile(t, path), b); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

func bundleCert(t *testing.T, b *pbbundle.Bundle) *x509.Certificate {
	t.Helper()
	raw := b.GetVerificationMaterial().GetCertificate().GetRawBytes()
	if raw == nil {
		t.Fatal("the bundle carries no certificate")
	}
	c, err := x509.ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantShape checks what every bundle signet writes against the stack must hold: media type
// v0.3, one log entry of the kind the log version writes with an inclusion proof and a
// checkpoint, a SET from Rekor v1, an RFC 3161 timestamp with Rekor v2.
func wantShape(t *testing.T, path string, rekorVersion int, dsse bool) *pbbundle.Bundle {
	t.Helper()
	b := readBundle(t, path)
	if b.GetMediaType() != "application/vnd.dev.sigstore.bundle.v0.3+json" {
		t.Errorf("%s: media type %q", path, b.GetMediaType())
	}
	entries := b.GetVerificationMaterial().GetTlogEntries()
	if len(entries) != 1 {
		t.Fatalf("%s: %d log entries, want 1", path, len(entries))
	}
	e := entries[0]
	kind, version := e.GetKindVersion().GetKind(), e.GetKindVersion().GetVersion()
	want := "hashedrekord 0.0.2"
	if rekorVersion == 1 {
		want = "hashedrekord 0.0.1"
		if dsse {
			want = "dsse 0.0.1"
		}
	}
	if got := kind + " " + version; got != want {
		t.Errorf("%s: log entry kind %s, want %s", path, got, want)
	}
	if e.GetInclusionProof().GetCheckpoint().GetEnvelope() == "" || len(e.GetInclusionProof().GetHashes()) == 0 && e.GetInclusionProof().GetTreeSize() > 1 {
		t.Errorf("%s: no inclusion proof with a checkpoint", path)
	}
	ts := b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps()
	switch rekorVersion {
	case 1:
		if len(e.GetInclusionPromise().GetSignedEntryTimestamp()) == 0 {
			t.Errorf("%s: Rekor v1 entry without a SET", path)
		}
		if e.GetIntegratedTime() == 0 {
			t.Errorf("%s: Rekor v1 entry without an integrated time", path)
		}
	case 2:
		if len(ts) != 1 {
			t.Errorf("%s: %d RFC 3161 timestamps with Rekor v2, want 1", path, len(ts))
		}
		if e.GetInclusionPromise() != nil {
			t.Errorf("%s: Rekor v2 entry with a SET", path)
		}
	}
	if dsse != (b.GetDsseEnvelope() != nil) {
		t.Errorf("%s: DSSE envelope: %v, want %v", path, b.GetDsseEnvelope() != nil, dsse)
	}
	return b
}

// verifyJSON runs signet verify -o json and decodes its result.
func verifyJSON(t *testing.T, args ...string) (result, *verify.Result) {
	t.Helper()
	r := signet(t, nil, append([]string{"verify", "-o", "json"}, args...)...)
	res := &verify.Result{}
	if err := json.Unmarshal([]byte(r.stdout), res); err != nil {
		t.Fatalf("%s: stdout is not a verification result: %v\n%s", r.cmd, err, r.stdout)
	}
	return r, res
}

// checkKeyless verifies a keyless bundle with signet and its tampered twins: a modified
// artifact fails the artifact step, another identity or issuer fails the policy step.
func checkKeyless(t *testing.T, tc trustCfg, artifact, bundlePath, identity, issuer string) {
	t.Helper()
	id := func(identity, issuer string) []string {
		return []string{"--certificate-identity", identity, "--certificate-oidc-issuer", issuer}
	}
	verifyArgs := func(art string, extra ...string) []string {
		return append([]string{"verify", "--trust-config", tc.trustConfig, "--bundle", bundlePath, art}, extra...)
	}
	signet(t, nil, verifyArgs(artifact, id(identity, issuer)...)...).
		want(t, 0, "signet: verified "+artifact+", signed by "+identity+" (issuer "+issuer+")")
	signet(t, nil, verifyArgs(tampered(t, artifact), id(identity, issuer)...)...).
		want(t, cli.ExitFailed, "signet: error: artifact check failed")
	signet(t, nil, verifyArgs(artifact, id("mallory@example.com", issuer)...)...).
		want(t, cli.ExitFailed, "signet: error: policy check failed")
	signet(t, nil, verifyArgs(artifact, id(identity, "https://accounts.example.com")...)...).
		want(t, cli.ExitFailed, "signet: error: policy check failed")
}

// checkKey verifies a bundle signed with an own key, with the right key and a wrong one, and
// a modified artifact.
func checkKey(t *testing.T, tc trustCfg, artifact, bundlePath, pub, otherPub string) {
	t.Helper()
	verifyArgs := func(art, key string) []string {
		return []string{"verify", "--trust-config", tc.trustConfig, "--bundle", bundlePath, "--key", key, art}
	}
	signet(t, nil, verifyArgs(artifact, pub)...).want(t, 0, "signet: verified "+artifact+", signed with key sha256:")
	signet(t, nil, verifyArgs(tampered(t, artifact), pub)...).want(t, cli.ExitFailed, "signet: error: artifact check failed")
	signet(t, nil, verifyArgs(artifact, otherPub)...).want(t, cli.ExitFailed, "signet: error: ")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ecKey writes a fresh P-256 key (PKCS#8 PEM) and its public key (PKIX PEM) into dir.
func ecKey(t *testing.T, dir string) (key, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	must(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(k.Public())
	must(t, err)
	key = writeFile(t, dir, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	pub = writeFile(t, dir, "key.pub", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
	return key, pub
}
