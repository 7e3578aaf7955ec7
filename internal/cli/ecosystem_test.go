package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/cli"
	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/verify"
)

// The ecosystem corpus (shared/corpus/ecosystem, see its README) holds attestations in the
// registries' own wire formats, each case with a verdict. TestEcosystem drives every case
// through signet verify, in-process, with the flags a consumer would use, and compares the
// verdict; cases marked ambiguous are reported, not scored. The npm registry signatures of the
// npm-keys cases have no command (they are no Sigstore attestations) and are checked with
// attest.KeySet.VerifyRegistrySignature. `make ecosystem` runs this test verbosely.

type ecoCase struct {
	Kind    string `json:"kind"`
	Expect  string `json:"expect"`
	File    string `json:"file"`
	Subject *struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Identity     string          `json:"identity"`
	Issuer       string          `json:"issuer"`
	Keys         json.RawMessage `json:"keys"` // npm-attestations: the key set's path
	Attestations []struct {
		KeyID                  string `json:"key_id"`
		StatementPredicateType string `json:"statement_predicateType"`
	} `json:"attestations"`
	PredicateTypes []string `json:"predicate_types"`
	TrustedRoot    string   `json:"trusted_root"`
	// Ambiguous says why the specifications allow either verdict (empty: they do not).
	Ambiguous string `json:"ambiguous"`
	Reason    string `json:"reason"`
}

// run is one signet invocation and what it did.
type run struct {
	args   []string
	code   int
	stdout string
	stderr string
}

func signet(args ...string) run {
	var stdout, stderr bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Now: time.Now}
	code := cli.Main(args, env)
	return run{args: args, code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func (r run) String() string {
	return fmt.Sprintf("signet %s -> exit %d: %s", strings.Join(r.args, " "), r.code, strings.TrimSpace(r.stderr))
}

// verdict turns runs into pass (all exit 0) or fail (any exits non-zero); a usage error
// (exit 2) is a mistake in the test, not a verdict.
func verdict(t *testing.T, runs ...run) string {
	t.Helper()
	for _, r := range runs {
		if r.code == cli.ExitUsage {
			t.Errorf("usage error: %s", r)
		}
	}
	for _, r := range runs {
		if r.code != 0 {
			return "fail"
		}
	}
	return "pass"
}

type tally struct{ passed, failed, ambiguous int }

func (s *tally) score(t *testing.T, name string, c *ecoCase, got string, runs []run) {
	t.Helper()
	var log strings.Builder
	for _, r := range runs {
		fmt.Fprintf(&log, "\n    %s", r)
	}
	switch {
	case c.Ambiguous != "":
		s.ambiguous++
		t.Logf("AMBIGUOUS %s: %s (expect %s, either acceptable)%s", name, got, c.Expect, log.String())
	case got == c.Expect:
		s.passed++
		t.Logf("PASS %s: %s", name, got)
	default:
		s.failed++
		t.Errorf("FAIL %s: got %s, want %s (%s)%s", name, got, c.Expect, c.Reason, log.String())
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestEcosystem(t *testing.T) {
	eco := shareddata.Dir(t, "corpus", "ecosystem")
	trustDir := shareddata.Dir(t, "trust")
	roots := map[string]string{
		"public-good": filepath.Join(trustDir, "public-good", "trusted_root.json"),
		"staging":     filepath.Join(trustDir, "staging", "trusted_root.json"),
	}
	paths, err := filepath.Glob(filepath.Join(eco, "*", "*", "case.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no ecosystem cases in %s", eco)
	}
	var s tally
	for _, p := range paths {
		dir := filepath.Dir(p)
		name := filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
		var c ecoCase
		readJSON(t, p, &c)
		root := roots[c.TrustedRoot]
		if root == "" {
			t.Errorf("%s: unknown trusted root %q", name, c.TrustedRoot)
			continue
		}
		var runs []run
		var got string
		switch c.Kind {
		case "pep740-attestation", "pypi-provenance":
			runs = pypiRuns(t, &c, filepath.Join(dir, c.File), root)
			got = verdict(t, runs[0])
			if len(runs) > 1 && got == "pass" {
				// The same verdict with --publish; and an attestation that binds no registry
				// never passes without --allow-unbound-registry.
				if g := verdict(t, runs[1]); g != "pass" {
					t.Errorf("%s: verifies, but not as a publish attestation: %s", name, runs[1])
				}
				if runs[2].code == 0 || !strings.Contains(runs[2].stderr, "binds no registry") {
					t.Errorf("%s: an unbound attestation passes without --allow-unbound-registry: %s", name, runs[2])
				}
			}
		case "npm-attestations":
			runs = npmRuns(t, eco, &c, filepath.Join(dir, c.File), root)
			got = verdict(t, runs...)
		case "npm-keys":
			got, runs = npmKeyChecks(t, name, eco, dir, &c, root)
		case "github-attestation":
			args := append(digestArgs(&c), "--attestation", filepath.Join(dir, c.File),
				"--certificate-identity", c.Identity, "--certificate-oidc-issuer", c.Issuer, "--trusted-root", root)
			if len(c.PredicateTypes) == 1 {
				args = append(args, "--predicate-type", c.PredicateTypes[0])
			}
			runs = []run{signet(args...)}
			got = verdict(t, runs...)
		default:
			t.Errorf("%s: unknown kind %q", name, c.Kind)
			continue
		}
		s.score(t, name, &c, got, runs)
	}
	t.Logf("ecosystem: %d passed, %d failed, %d ambiguous (reported, not scored)", s.passed, s.failed, s.ambiguous)
}

func digestArgs(c *ecoCase) []string {
	for _, alg := range []string{"sha256", "sha512"} {
		if d := c.Subject.Digest[alg]; d != "" {
			return []string{"verify", alg + ":" + d}
		}
	}
	return []string{"verify", "sha256:none"}
}

// pypiRuns verifies a PEP 740 attestation or provenance object for a distribution known by
// its name and sha256: as pypi-attestations does (first run), and, for a publish/v1
// attestation, as a publish attestation with (second) and without (third) --allow-unbound-registry.
func pypiRuns(t *testing.T, c *ecoCase, file, root string) []run {
	base := append(digestArgs(c), "--artifact-name", c.Subject.Name, "--attestation", file,
		"--certificate-identity", c.Identity, "--certificate-oidc-issuer", c.Issuer, "--trusted-root", root)
	if len(c.PredicateTypes) == 1 {
		base = append(base, "--predicate-type", c.PredicateTypes[0])
	}
	runs := []run{signet(base...)}
	d, err := attest.ParseDistribution(c.Subject.Name)
	if err != nil || !slices.Equal(c.PredicateTypes, []string{attest.PyPIPublishPredicateType}) {
		return runs
	}
	publish := append(slices.Clone(base), "--publish", "--purl", "pkg:pypi/"+d.Name+"@"+d.Version.String(), "--registry", "https://pypi.org/simple/")
	return append(runs, signet(append(publish, "--allow-unbound-registry")...), signet(publish...))
}

// npmRuns verifies an npm attestations response for a package tarball known by its sha512:
// the SLSA provenance with the publisher's identity, and the publish attestation with the
// registry's key set, checked against the package version and registry.
func npmRuns(t *testing.T, eco string, c *ecoCase, file, root string) []run {
	// The provenance is the attestation signed with a certificate (no key id), of the
	// predicate type its statement has.
	var prov, keys string
	for _, a := range c.Attestations {
		if a.KeyID == "" {
			prov = a.StatementPredicateType
		}
	}
	if err := json.Unmarshal(c.Keys, &keys); err != nil || prov == "" {
		t.Fatalf("npm case without a key set or a provenance attestation: %v", err)
	}
	digest := "sha512:" + c.Subject.Digest["sha512"]
	return []run{
		signet("verify", digest, "--attestation", file, "--predicate-type", prov,
			"--certificate-identity", c.Identity, "--certificate-oidc-issuer", c.Issuer, "--trusted-root", root),
		signet("verify", digest, "--attestation", file, "--key", filepath.Join(eco, keys),
			"--publish", "--purl", c.Subject.Name, "--registry", "https://registry.npmjs.org/", "--trusted-root", root),
	}
}

// npmKeyChecks runs the checks of an npm-keys case: publish attestations through signet
// verify --key KEYS.json, registry signatures with the library. The case's verdict is that of
// every check; a check whose own verdict differs is an error.
func npmKeyChecks(t *testing.T, name, eco, dir string, c *ecoCase, root string) (string, []run) {
	keysPath := filepath.Join(dir, c.File)
	data, err := os.ReadFile(keysPath)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := attest.ParseNPMKeys(data)
	if err != nil {
		t.Errorf("%s: %v", keysPath, err)
		return "fail", nil
	}
	var checks struct {
		Checks []struct {
			Type, Package, Integrity, Keyid, Sig, Expect string
			Published                                    *string
			Attestations                                 string
			Index                                        int
		} `json:"checks"`
	}
	readJSON(t, filepath.Join(dir, "checks.json"), &checks)
	var runs []run
	verdicts := map[string]int{}
	for i, ch := range checks.Checks {
		got := "pass"
		switch ch.Type {
		case "registry-signature":
			var published time.Time
			if ch.Published != nil {
				if published, err = time.Parse(time.RFC3339Nano, *ch.Published); err != nil {
					t.Fatal(err)
				}
			}
			if err := ks.VerifyRegistrySignature(ch.Package, ch.Integrity, ch.Keyid, ch.Sig, published); err != nil {
				got = "fail"
				t.Logf("  %s: check %d, registry signature of %s: %v", name, i, ch.Package, err)
			}
		case "publish-attestation":
			var ac ecoCase
			readJSON(t, filepath.Join(eco, filepath.Dir(ch.Attestations), "case.json"), &ac)
			r := signet("verify", "sha512:"+ac.Subject.Digest["sha512"], "--attestation", filepath.Join(eco, ch.Attestations),
				"--key", keysPath, "--publish", "--purl", ac.Subject.Name, "--registry", "https://registry.npmjs.org",
				"--trusted-root", root, "-o", "json")
			runs = append(runs, r)
			got = verdict(t, r)
			var res verify.Result
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Attestation == nil {
				t.Errorf("check %d: no result document: %v", i, err)
			} else if res.Attestation.Index != ch.Index {
				t.Errorf("check %d: verified attestation %d of %s, want %d", i, res.Attestation.Index, ch.Attestations, ch.Index)
			}
		default:
			t.Errorf("check %d: unknown type %q", i, ch.Type)
		}
		if got != ch.Expect {
			t.Errorf("check %d (%s %s%s): %s, want %s", i, ch.Type, ch.Package, ch.Attestations, got, ch.Expect)
		}
		verdicts[got]++
	}
	if len(verdicts) != 1 {
		return "mixed", runs
	}
	for v := range verdicts {
		return v, runs
	}
	return "none", runs
}

// TestCorpusAttestations verifies the npm and PyPI cases of the bundle corpus
// (shared/corpus/cases) through the attestation flags: --predicate-type with the statement's
// type, and for publish attestations --publish with the package, version and registry they
// are for. The verdict is the case's.
func TestCorpusAttestations(t *testing.T) {
	casesDir := shareddata.Dir(t, "corpus", "cases")
	paths, _ := filepath.Glob(filepath.Join(casesDir, "*", "case.json"))
	var s tally
	n := 0
	for _, p := range paths {
		dir := filepath.Dir(p)
		name := filepath.Base(dir)
		if !strings.Contains(name, "npm") && !strings.Contains(name, "pypi") {
			continue
		}
		n++
		var c struct {
			Expect, Identity, Issuer, Key, Digest, Reason string
			ArtifactFetch                                 *struct{ Npm, Sha512 string } `json:"artifact_fetch"`
		}
		readJSON(t, p, &c)
		bundlePath := filepath.Join(dir, "bundle.sigstore.json")
		args := []string{"verify", "--bundle", bundlePath, "--trusted-root", filepath.Join(dir, "trusted_root.json")}
		if c.Key != "" {
			args = append(args, "--key", filepath.Join(dir, c.Key))
		} else {
			args = append(args, "--certificate-identity", c.Identity, "--certificate-oidc-issuer", c.Issuer)
		}
		switch art := filepath.Join(dir, "artifact"); {
		case fileExists(art):
			args = append(args, art)
		case c.Digest != "":
			args = append(args, c.Digest)
		case c.ArtifactFetch != nil:
			args = append(args, "sha512:"+c.ArtifactFetch.Sha512)
		default:
			t.Errorf("%s: no artifact", name)
			continue
		}
		st := statementOf(t, bundlePath)
		runs := []run{signet(args...)}
		if st != nil {
			runs = append(runs, signet(append(args, "--predicate-type", st.PredicateType)...))
			switch st.PredicateType {
			case attest.NPMPublishPredicateType:
				runs = append(runs, signet(append(args, "--publish", "--purl", st.Subject[0].Name, "--registry", "https://registry.npmjs.org")...))
			case attest.PyPIPublishPredicateType:
				if d, err := attest.ParseDistribution(st.Subject[0].Name); err == nil {
					runs = append(runs, signet(append(args, "--publish", "--purl", "pkg:pypi/"+d.Name+"@"+d.Version.String(),
						"--registry", "https://pypi.org", "--allow-unbound-registry")...))
				}
			}
		}
		// Every run gives the case's verdict.
		got := verdict(t, runs[0])
		for _, r := range runs[1:] {
			if g := verdict(t, r); g != got {
				got = "inconsistent"
			}
		}
		s.score(t, name, &ecoCase{Expect: c.Expect, Reason: c.Reason}, got, runs)
	}
	if n == 0 {
		t.Fatalf("no npm or PyPI cases in %s", casesDir)
	}
	t.Logf("corpus npm and PyPI cases: %d passed, %d failed", s.passed, s.failed)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// statementOf reads the in-toto statement of a DSSE bundle, unverified, or nil.
func statementOf(t *testing.T, path string) *dsse.Statement {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Parse(data)
	if err != nil || b.Envelope == nil {
		return nil
	}
	st, err := dsse.ParseStatement(b.Envelope.Payload)
	if err != nil {
		return nil
	}
	return st
}

// A registry key past its expiry does not verify newer signatures: npm's real key, with
// expiry dates around the time its publish attestation of sigstore@1.0.0 was logged
// (2023-02-09T17:56:02Z), in a key set written here from the shared one.
func TestNPMKeyExpiry(t *testing.T) {
	eco := shareddata.Dir(t, "corpus", "ecosystem")
	root := filepath.Join(shareddata.Dir(t, "trust"), "public-good", "trusted_root.json")
	var set struct {
		Keys []struct {
			KeyID     string `json:"keyId"`
			PublicKey struct {
				RawBytes string `json:"rawBytes"`
			} `json:"publicKey"`
		} `json:"keys"`
	}
	readJSON(t, filepath.Join(eco, "npm-keys", "tuf-target-keys", "keys.json"), &set)
	const id = "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"
	var der string
	for _, k := range set.Keys {
		if k.KeyID == id {
			der = k.PublicKey.RawBytes
		}
	}
	require(t, der != "", "no key %s in the shared key set", id)
	for _, c := range []struct {
		expires string
		ok      bool
	}{{"null", true}, {`"2023-02-09T17:56:03Z"`, true}, {`"2023-02-09T17:56:02Z"`, false}, {`"2023-01-01T00:00:00Z"`, false}} {
		keys := filepath.Join(t.TempDir(), "keys.json")
		doc := fmt.Sprintf(`{"keys":[{"expires":%s,"keyid":%q,"keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":%q}]}`, c.expires, id, der)
		if err := os.WriteFile(keys, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		r := signet("verify", "sha512:7bea9f6e7ff37f5fab0b36bf061200fff03099fd2fd696b91d04bc5e4f225eb9fd6e0cadcad54ba980f43fb352a99e8810b4e0abeb5c0ef2cf9108cd1f258b36",
			"--attestation", filepath.Join(eco, "npm-attestations", "sigstore-1.0.0", "valid-sigstore-attestations.json"),
			"--key", keys, "--trusted-root", root)
		if c.ok {
			require(t, r.code == 0, "expires %s: %s", c.expires, r)
		} else {
			require(t, r.code == cli.ExitFailed && strings.Contains(r.stderr, "was not valid at the signing time 2023-02-09T17:56:02Z"), "expires %s: %s", c.expires, r)
		}
	}
}

func require(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}
