package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/cli"
	"github.com/signet-dev/signet/internal/shareddata"
)

const (
	defaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	defaultIssuer   = "https://token.actions.githubusercontent.com"
)

// wantStep is the verification step at which each _fail case must be rejected: the reason
// its name and README give. A case rejected at another step is a bug, even though the
// conformance suite (which reads only exit codes) would count it as a pass.
var wantStep = map[string]string{
	"bundle-empty-certificate-chain_fail":  "bundle",
	"bundle-from-wrong-instance_fail":      "tlog",
	"bundle-invalid-base64-signature_fail": "bundle",
	"bundle-malformed-json_fail":           "bundle",
	"bundle-negative-log-index_fail":       "bundle",
	"bundle-unknown-version_fail":          "bundle",
	// A v0.1 bundle whose chain carries the root: verifiers ignore superfluous certificates
	// in v0.1/v0.2 chains (protobuf-specs), so it fails for what it lacks: a checkpoint for
	// its inclusion proof.
	"bundle-with-root-cert_fail":                                "tlog",
	"checkpoint-bad-keyhint_fail":                               "tlog",
	"checkpoint-wrong-roothash_fail":                            "tlog",
	"dsse-invalid-sig_fail":                                     "signature",
	"dsse-mismatch-envelope_fail":                               "tlog",
	"dsse-mismatch-sig_fail":                                    "tlog",
	"inclusion-proof-corrupted-hash_fail":                       "tlog",
	"incorrect-public-key_fail":                                 "tlog",
	"integrated-time-in-future_fail":                            "certificate",
	"intoto-expired-certificate_fail":                           "certificate",
	"intoto-log-entry-mismatch_fail":                            "tlog",
	"intoto-missing-inclusion-proof_fail":                       "tlog",
	"intoto-set-outside-signing-cert-validity_fail":             "certificate",
	"intoto-tsa-timestamp-outside-cert-validity_fail":           "certificate",
	"invalid-checkpoint-signature_fail":                         "tlog",
	"invalid-ct-key_fail":                                       "sct",
	"invalid-inclusion-proof_fail":                              "tlog",
	"managed-key-no-key_fail":                                   "policy",
	"managed-key-wrong-key_fail":                                "policy",
	"message-digest-mismatch_fail":                              "artifact",
	"rekor2-checkpoint-missing-log-signature_fail":              "tlog",
	"rekor2-checkpoint-missing-origin_fail":                     "tlog",
	"rekor2-checkpoint-missing-root-hash_fail":                  "tlog",
	"rekor2-checkpoint-missing-size_fail":                       "tlog",
	"rekor2-checkpoint-no-matching-signature_fail":              "tlog",
	"rekor2-dsse-invalid-sig_fail":                              "signature",
	"rekor2-dsse-mismatch-envelope_fail":                        "tlog",
	"rekor2-dsse-mismatch-sig_fail":                             "tlog",
	"rekor2-no-inclusion-proof_fail":                            "tlog",
	"rekor2-no-timestamp_fail":                                  "timestamp",
	"rekor2-timestamp-outside-trust-root-tsa-validity_fail":     "timestamp",
	"rekor2-timestamp-outside-tsa-cert-validity_fail":           "timestamp",
	"rekor2-timestamp-payload-mismatch_fail":                    "timestamp",
	"rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail":    "timestamp",
	"rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": "timestamp",
	// Its signedTimestamp is MIME-wrapped base64 (with newlines), which proto3 JSON does not
	// allow, so signet refuses the bundle as malformed. TestConformanceIncorrectTimeRepaired
	// checks the failure the case is about on a repaired copy.
	"rekor2-timestamp-with-incorrect-time_fail":   "bundle",
	"set-invalid-signature_fail":                  "tlog",
	"signature-mismatch_fail":                     "signature",
	"trust-root-tlog-missing-validity-start_fail": "trust",
	"wrong-hashedrekord-artifact_fail":            "tlog",
	"wrong-hashedrekord-cert-and-sig_fail":        "tlog",
	"wrong-hashedrekord-entry_fail":               "tlog",
	"wrong-material_fail":                         "artifact",

	// Cases proposed upstream (conformance/pending; its README gives the reasons).
	"dsse-statement-missing-type_fail":                          "artifact",
	"dsse-statement-unknown-type_fail":                          "artifact",
	"rekor2-timestamp-wrong-tsa-validity-borrow_fail":           "timestamp",
	"rekor2-multiple-timestamps-one-outside-cert-validity_fail": "certificate",
}

// suites are the directories of verification cases in the shared test data
// (internal/shareddata): the conformance suite's own cases, and the cases proposed upstream,
// whose sub-tests are named pending/<case>. A case's default artifact is a.txt in its suite's
// directory, else in the directory above (pending's README: the artifact is ../a.txt).
var suites = []struct {
	dir, prefix string
	cases       int
}{
	{"bundle-verify", "", 70},
	{"pending", "pending/", 6},
}

type conformanceCase struct {
	name     string // the directory name; wantStep's key
	test     string // the sub-test name: the suite's prefix and the name
	dir      string
	artifact string
	args     []string // protocol arguments without FILE_OR_DIGEST
}

func loadCases(t *testing.T) []conformanceCase {
	t.Helper()
	var cases []conformanceCase
	for _, suite := range suites {
		suiteDir := shareddata.Dir(t, "conformance", suite.dir)
		defaultArtifact := filepath.Join(suiteDir, "a.txt")
		if _, err := os.Stat(defaultArtifact); err != nil {
			defaultArtifact = filepath.Join(filepath.Dir(suiteDir), "a.txt")
		}
		entries, err := os.ReadDir(suiteDir)
		require.NoError(t, err)
		n := 0
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			n++
			dir := filepath.Join(suiteDir, e.Name())
			c := conformanceCase{name: e.Name(), test: suite.prefix + e.Name(), dir: dir, artifact: defaultArtifact}
			if _, err := os.Stat(filepath.Join(dir, "artifact")); err == nil {
				c.artifact = filepath.Join(dir, "artifact")
			}
			c.args = []string{"verify-bundle", "--bundle", filepath.Join(dir, "bundle.sigstore.json")}
			if _, err := os.Stat(filepath.Join(dir, "key.pub")); err == nil {
				c.args = append(c.args, "--key", filepath.Join(dir, "key.pub"))
			} else {
				c.args = append(c.args, "--certificate-identity", readOr(t, filepath.Join(dir, "identity"), defaultIdentity),
					"--certificate-oidc-issuer", readOr(t, filepath.Join(dir, "issuer"), defaultIssuer))
			}
			if _, err := os.Stat(filepath.Join(dir, "trusted_root.json")); err == nil {
				c.args = append(c.args, "--trusted-root", filepath.Join(dir, "trusted_root.json"))
			}
			cases = append(cases, c)
		}
		require.Equal(t, suite.cases, n, "verification cases in %s", suiteDir)
	}
	return cases
}

func readOr(t *testing.T, path, def string) string {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return def
	}
	require.NoError(t, err)
	return strings.TrimSpace(string(data))
}

func digestOf(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func testEnv() (*cli.Env, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &cli.Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Now: time.Now}, &stdout, &stderr
}

// TestConformance runs every case as the suite does, in file and digest mode, and checks
// that each _fail case fails at the step its name gives.
func TestConformance(t *testing.T) {
	for _, c := range loadCases(t) {
		wantFail := strings.HasSuffix(c.name, "_fail")
		for _, mode := range []string{"file", "digest"} {
			t.Run(c.test+"/"+mode, func(t *testing.T) {
				target := c.artifact
				if mode == "digest" {
					target = digestOf(t, c.artifact)
				}
				env, stdout, stderr := testEnv()
				code := run(append(append([]string{}, c.args...), target), env)
				if !wantFail {
					require.Equal(t, cli.ExitOK, code, "stderr: %s", stderr)
					return
				}
				require.NotEqual(t, cli.ExitOK, code, "a _fail case verified; stdout: %s", stdout)
				require.NotEqual(t, cli.ExitUsage, code, "rejected as a usage error: %s", stderr)

				// The same call with --output json tells the step.
				env, stdout, stderr = testEnv()
				args := append(append([]string{}, c.args...), "--output", "json", target)
				require.Equal(t, code, run(args, env), "stderr: %s", stderr)
				var res struct {
					Verified bool
					Error    struct{ Step, Message string }
				}
				require.NoError(t, json.Unmarshal(stdout.Bytes(), &res), stdout.String())
				require.False(t, res.Verified)
				require.Equal(t, wantStep[c.name], res.Error.Step, "rejected for another reason: %s", res.Error.Message)
			})
		}
	}
}

// TestConformanceWantStep checks that wantStep names the step of every _fail case, and
// only cases that exist.
func TestConformanceWantStep(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range loadCases(t) {
		seen[c.name] = true
		if _, ok := wantStep[c.name]; strings.HasSuffix(c.name, "_fail") && !ok {
			t.Errorf("wantStep has no step for %s", c.test)
		}
	}
	for name := range wantStep {
		if !seen[name] {
			t.Errorf("wantStep names %s, which is no case", name)
		}
	}
}

// TestConformanceIncorrectTimeRepaired removes the line breaks from the timestamp of
// rekor2-timestamp-with-incorrect-time_fail and checks that the bundle is then refused for
// the reason the case gives: the timestamp lies outside the certificate's validity.
func TestConformanceIncorrectTimeRepaired(t *testing.T) {
	dir := shareddata.Dir(t, "conformance", "bundle-verify", "rekor2-timestamp-with-incorrect-time_fail")
	data, err := os.ReadFile(filepath.Join(dir, "bundle.sigstore.json"))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	ts := doc["verificationMaterial"].(map[string]any)["timestampVerificationData"].(map[string]any)["rfc3161Timestamps"].([]any)[0].(map[string]any)
	require.Contains(t, ts["signedTimestamp"], "\n")
	ts["signedTimestamp"] = strings.ReplaceAll(ts["signedTimestamp"].(string), "\n", "")
	repaired, err := json.Marshal(doc)
	require.NoError(t, err)
	bundlePath := filepath.Join(t.TempDir(), "bundle.sigstore.json")
	require.NoError(t, os.WriteFile(bundlePath, repaired, 0o600))

	env, stdout, stderr := testEnv()
	code := run([]string{"verify-bundle", "--bundle", bundlePath, "--certificate-identity", defaultIdentity,
		"--certificate-oidc-issuer", defaultIssuer, "--trusted-root", filepath.Join(dir, "trusted_root.json"),
		"--output", "json", shareddata.Dir(t, "conformance", "bundle-verify", "a.txt")}, env)
	require.Equal(t, cli.ExitFailed, code, "stderr: %s", stderr)
	require.Contains(t, stdout.String(), `"step": "certificate"`)
	require.Contains(t, stderr.String(), "RFC 3161 timestamp time")
}
