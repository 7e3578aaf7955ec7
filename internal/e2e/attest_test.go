//go:build e2e

package e2e

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/cli"
	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/verify"
)

// Attestations signed against the stack: publish attestations bound to a registry, refused
// for another registry, package, version or bytes; a multi-subject attestation verified for
// each subject and refused for a file it does not name; the predicate-type filter; registry
// URL spellings that are and are not one registry; an npm-shaped publish attestation. The
// independent client (sigstore-go's conformance CLI) checks the signature and the subject of
// each: with a key in both modes, keylessly in full mode (it requires an SCT).

// signer is how an attestation test signs and verifies: keylessly or with a key.
type signer struct {
	name     string
	sign     []string // sign flags
	verify   []string // signet verify flags
	sgPolicy []string // the independent client's verify-bundle flags
}

func signers(t *testing.T, dir, who string) []signer {
	issuer := v("OIDC_URL")
	key, pub := ecKey(t, dir)
	keyless := signer{name: "keyless",
		sign:     []string{"--identity-token", emailToken(t, who)},
		verify:   []string{"--certificate-identity", who, "--certificate-oidc-issuer", issuer},
		sgPolicy: []string{"--certificate-identity", who, "--certificate-oidc-issuer", issuer}}
	return []signer{keyless, {name: "key", sign: []string{"--key", key}, verify: []string{"--key", pub}, sgPolicy: []string{"--key", pub}}}
}

// verifyWith runs signet verify of the bundle for the artifacts with extra flags.
func verifyWith(t *testing.T, tc trustCfg, s signer, bundlePath string, extra []string, artifacts ...string) result {
	t.Helper()
	args := append([]string{"verify", "--trust-config", tc.trustConfig, "--bundle", bundlePath}, s.verify...)
	return signet(t, nil, append(append(args, extra...), artifacts...)...)
}

// wantIndependent checks with sigstore-go that each file is a subject of the attestation
// and that a modified file is not.
func wantIndependent(t *testing.T, tc trustCfg, s signer, bundlePath string, files ...string) {
	t.Helper()
	for _, f := range files {
		wantSGVerifies(t, tc, bundlePath, f, s.sgPolicy...)
	}
}

func TestPublishAttestationPyPI(t *testing.T) {
	for _, tc := range allTrust() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, s := range signers(t, dir, "maintainer-"+tc.name+"@example.com") {
				t.Run(s.name, func(t *testing.T) {
					publishPyPI(t, tc, s, filepath.Join(dir, s.name))
				})
			}
		})
	}
}

func publishPyPI(t *testing.T, tc trustCfg, s signer, dir string) {
	sdist := writeFile(t, dir, "dist/signet_demo-1.0.0.tar.gz", "the sdist of signet-demo 1.0.0: "+t.Name())
	wheel := writeFile(t, dir, "dist/signet_demo-1.0.0-py3-none-any.whl", "the wheel of signet-demo 1.0.0: "+t.Name())
	other := writeFile(t, dir, "dist/signet_demo-1.0.0-cp312-cp312-linux_x86_64.whl", "a wheel the attestation does not name")
	out := filepath.Join(dir, "publish.sigstore.json")
	// Made for TestPyPI, through its upload URL.
	signet(t, nil, append(append([]string{"sign", "--trust-config", tc.trustConfig}, s.sign...),
		"--publish", "--purl", "pkg:pypi/signet-demo@1.0.0", "--registry", "https://test.pypi.org/legacy/", "--bundle", out, sdist, wheel)...).
		want(t, 0, "signet: attested "+sdist+", "+wheel+" ("+attest.PublishPredicateType+"): wrote "+out)
	b := wantShape(t, out, tc.rekorVersion, true)
	st, err := dsse.ParseStatement(b.GetDsseEnvelope().GetPayload())
	must(t, err)
	if st.PredicateType != attest.PublishPredicateType || len(st.Subject) != 2 || len(st.Subject[0].Digest) != 2 {
		t.Fatalf("statement: %s", b.GetDsseEnvelope().GetPayload())
	}
	if !strings.Contains(string(st.Predicate), `"registry":"https://test.pypi.org"`) {
		t.Errorf("the predicate names no registry: %s", st.Predicate)
	}
	publish := func(purl, registry string) []string {
		return []string{"--publish", "--purl", purl, "--registry", registry}
	}

	// The spellings of TestPyPI's index and upload URLs are one registry: both files verify.
	for _, reg := range []string{"https://test.pypi.org/simple/", "https://test.pypi.org", "HTTPS://Test.PyPI.org:443/legacy", "https://test.pypi.org./simple"} {
		r := verifyWith(t, tc, s, out, publish("pkg:pypi/signet-demo@1.0.0", reg), sdist, wheel)
		r.want(t, 0, "signet: verified "+sdist, "signet: verified "+wheel, "is pkg:pypi/signet-demo@1.0.0 as published to https://test.pypi.org")
	}
	// PyPI is another registry, and so are look-alikes of TestPyPI: refused at the policy step.
	for _, reg := range []string{"https://pypi.org", "https://upload.pypi.org/legacy/", "https://pypi.org/simple", "http://test.pypi.org", "https://test.pypi.org.evil.example", "https://test.pypi.org/simple/extra"} {
		want, _ := attest.CanonicalRegistry(reg)
		verifyWith(t, tc, s, out, publish("pkg:pypi/signet-demo@1.0.0", reg), sdist).
			want(t, cli.ExitFailed, "policy check failed: the attestation is for registry https://test.pypi.org, not "+want)
	}
	// The right attestation for another version or package, or for other bytes.
	verifyWith(t, tc, s, out, publish("pkg:pypi/signet-demo@1.0.1", "https://test.pypi.org"), sdist).
		want(t, cli.ExitFailed, "policy check failed: the attestation is for version 1.0.0 of pkg:pypi/signet-demo, not version 1.0.1")
	verifyWith(t, tc, s, out, publish("pkg:pypi/signet-demos@1.0.0", "https://test.pypi.org"), sdist).
		want(t, cli.ExitFailed, "policy check failed: the attestation is for package pkg:pypi/signet-demo, not pkg:pypi/signet-demos")
	verifyWith(t, tc, s, out, publish("pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org"), tampered(t, sdist)).
		want(t, cli.ExitFailed, "artifact check failed")
	// PEP 440 and PEP 503 spellings of the same version and package.
	verifyWith(t, tc, s, out, publish("pkg:pypi/Signet_Demo@1.0", "https://test.pypi.org"), wheel).want(t, 0)

	// A file the attestation does not name fails, and only it; JSON Lines report each.
	r := verifyWith(t, tc, s, out, publish("pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org"), sdist, other, wheel)
	r.want(t, cli.ExitFailed, "signet: verified "+sdist, "signet: verified "+wheel, "signet: error: "+other+": artifact check failed", "1 of 3 verifications failed")
	r = verifyWith(t, tc, s, out, append([]string{"-o", "json"}, publish("pkg:pypi/signet-demo@1.0.0", "https://test.pypi.org")...), sdist, wheel, other)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != cli.ExitFailed || len(lines) != 3 {
		t.Fatalf("exit %d, %d result lines:\n%s", r.code, len(lines), r.stdout)
	}
	for i, want := range []struct {
		file string
		ok   bool
	}{{sdist, true}, {wheel, true}, {other, false}} {
		var res verify.Result
		must(t, json.Unmarshal([]byte(lines[i]), &res))
		if res.Artifact != want.file || res.Verified != want.ok {
			t.Errorf("result %d: artifact %s verified %v, want %s %v", i, res.Artifact, res.Verified, want.file, want.ok)
		}
		if want.ok && (res.Publish == nil || res.Publish.Registry != attest.RegistryTestPyPI || res.Publish.Package != "pkg:pypi/signet-demo" ||
			res.Publish.Version != "1.0.0" || res.Publish.File != filepath.Base(want.file) || res.PredicateType != attest.PublishPredicateType || len(res.MatchedSubjects) != 1) {
			t.Errorf("result %d: %s", i, lines[i])
		}
		if !want.ok && (res.Error == nil || res.Error.Step != verify.StepArtifact) {
			t.Errorf("result %d: %s", i, lines[i])
		}
	}

	// The predicate-type filter.
	verifyWith(t, tc, s, out, []string{"--predicate-type", attest.PublishPredicateType}, sdist).want(t, 0)
	verifyWith(t, tc, s, out, []string{"--predicate-type", attest.PyPIPublishPredicateType}, sdist).
		want(t, cli.ExitFailed, "policy check failed: the statement's predicate type is "+attest.PublishPredicateType+", not "+attest.PyPIPublishPredicateType)

	wantIndependent(t, tc, s, out, sdist, wheel)
	if r := sgVerify(t, tc, out, other, s.sgPolicy...); r.code == 0 {
		t.Errorf("sigstore-go accepts the attestation for a file it does not name")
	}
}

// One attestation about several files, with a predicate of the user's, sha256 and sha512.
func TestMultiSubjectAttestation(t *testing.T) {
	tc := coreTrust()
	t.Parallel()
	dir := t.TempDir()
	for _, s := range signers(t, dir, "builder@example.com") {
		t.Run(s.name, func(t *testing.T) {
			d := filepath.Join(dir, s.name)
			files := []string{writeFile(t, d, "bin/app-linux", "linux build "+t.Name()), writeFile(t, d, "bin/app-darwin", "darwin build "+t.Name()),
				writeFile(t, d, "bin/app.exe", "windows build "+t.Name())}
			unnamed := writeFile(t, d, "bin/app-freebsd", "a build the attestation does not name")
			pred := writeFile(t, d, "build.json", `{"builder": {"id": "https://ci.example.com/runner"}, "release": "1.2.3"}`)
			out := filepath.Join(d, "build.sigstore.json")
			const pt = "https://signet.dev/e2e/build/v1"
			signet(t, nil, append(append([]string{"sign", "--trust-config", tc.trustConfig}, s.sign...),
				append([]string{"--predicate-type", pt, "--predicate", pred, "--subject-digest", "sha512", "--bundle", out}, files...)...)...).
				want(t, 0, "signet: attested ", "("+pt+"): wrote "+out)
			b := wantShape(t, out, tc.rekorVersion, true)
			st, err := dsse.ParseStatement(b.GetDsseEnvelope().GetPayload())
			must(t, err)
			if len(st.Subject) != 3 || st.PredicateType != pt || !strings.Contains(string(st.Predicate), `"release":"1.2.3"`) ||
				strings.Join(st.DigestAlgorithms(), ",") != "sha256,sha512" {
				t.Fatalf("statement: %s", b.GetDsseEnvelope().GetPayload())
			}
			// Each subject verifies, in one call, with the predicate type asked for.
			r := verifyWith(t, tc, s, out, []string{"--predicate-type", pt}, files...)
			r.want(t, 0)
			if n := strings.Count(r.stderr, "signet: verified "); n != 3 {
				t.Errorf("%d files verified, want 3:\n%s", n, r.stderr)
			}
			// By digest too: the sha512 of a subject.
			verifyWith(t, tc, s, out, nil, "sha512:"+hexSHA512(readFile(t, files[1]))).want(t, 0)
			// A file it does not name, another predicate type, modified bytes.
			verifyWith(t, tc, s, out, nil, unnamed).want(t, cli.ExitFailed, "artifact check failed: the artifact (sha512 ")
			verifyWith(t, tc, s, out, []string{"--predicate-type", "https://slsa.dev/provenance/v1"}, files[0]).
				want(t, cli.ExitFailed, "policy check failed: the statement's predicate type is "+pt+", not https://slsa.dev/provenance/v1")
			verifyWith(t, tc, s, out, nil, tampered(t, files[2])).want(t, cli.ExitFailed, "artifact check failed")
			wantIndependent(t, tc, s, out, files...)
			if r := sgVerify(t, tc, out, unnamed, s.sgPolicy...); r.code == 0 {
				t.Errorf("sigstore-go accepts the attestation for a file it does not name")
			}
		})
	}
}

// One npm tarball: npm's publish v0.1 shape, which binds the registry.
func TestPublishAttestationNPM(t *testing.T) {
	tc := coreTrust()
	t.Parallel()
	dir := t.TempDir()
	for _, s := range signers(t, dir, "npm-maintainer@example.com") {
		t.Run(s.name, func(t *testing.T) {
			d := filepath.Join(dir, s.name)
			tgz := writeFile(t, d, "signet-demo-1.0.0.tgz", "npm pack output "+t.Name())
			out := tgz + ".sigstore.json"
			signet(t, nil, append(append([]string{"sign", "--trust-config", tc.trustConfig}, s.sign...),
				"--publish", "--purl", "pkg:npm/@signet/demo@1.0.0", "--registry", "https://registry.npmjs.org/", tgz)...).
				want(t, 0, "("+attest.NPMPublishPredicateType+"): wrote "+out)
			b := wantShape(t, out, tc.rekorVersion, true)
			st, err := dsse.ParseStatement(b.GetDsseEnvelope().GetPayload())
			must(t, err)
			if st.PredicateType != attest.NPMPublishPredicateType || len(st.Subject) != 1 || st.Subject[0].Name != "pkg:npm/%40signet/demo@1.0.0" ||
				st.Subject[0].Digest["sha512"] != hexSHA512(readFile(t, tgz)) ||
				string(st.Predicate) != `{"name":"@signet/demo","version":"1.0.0","registry":"https://registry.npmjs.org"}` {
				t.Fatalf("statement: %s", b.GetDsseEnvelope().GetPayload())
			}
			publish := func(purl, registry string) []string {
				return []string{"--publish", "--purl", purl, "--registry", registry}
			}
			verifyWith(t, tc, s, out, publish("pkg:npm/%40signet/demo@1.0.0", "https://registry.npmjs.org"), tgz).
				want(t, 0, "is pkg:npm/%40signet/demo@1.0.0 as published to https://registry.npmjs.org")
			verifyWith(t, tc, s, out, publish("pkg:npm/@Signet/Demo@1.0.0", "https://REGISTRY.npmjs.org:443/"), "sha512:"+hexSHA512(readFile(t, tgz))).want(t, 0)
			verifyWith(t, tc, s, out, publish("pkg:npm/@signet/demo@1.0.0", "https://registry.yarnpkg.com"), tgz).
				want(t, cli.ExitFailed, "for registry https://registry.npmjs.org, not https://registry.yarnpkg.com")
			verifyWith(t, tc, s, out, publish("pkg:npm/@other/demo@1.0.0", "https://registry.npmjs.org"), tgz).
				want(t, cli.ExitFailed, "for package pkg:npm/%40signet/demo, not pkg:npm/%40other/demo")
			verifyWith(t, tc, s, out, publish("pkg:npm/@signet/demo@1.0.1", "https://registry.npmjs.org"), tgz).
				want(t, cli.ExitFailed, "for version 1.0.0 of pkg:npm/%40signet/demo, not version 1.0.1")
			verifyWith(t, tc, s, out, publish("pkg:npm/@signet/demo@1.0.0", "https://registry.npmjs.org"), tampered(t, tgz)).
				want(t, cli.ExitFailed, "artifact check failed")
			wantIndependent(t, tc, s, out, tgz)
		})
	}
}

// A statement the user wrote, checked and signed as it is.
func TestStatementAttestation(t *testing.T) {
	tc := coreTrust()
	t.Parallel()
	dir := t.TempDir()
	s := signers(t, dir, "author@example.com")[1] // with a key: the independent client checks it in both modes
	art := writeFile(t, dir, "report.pdf", "a report "+t.Name())
	st := statement(t, dir, art)
	out := st + ".sigstore.json"
	signet(t, nil, append(append([]string{"sign", "--trust-config", tc.trustConfig}, s.sign...), "--statement", st, art)...).
		want(t, 0, "signet: signed "+st+": wrote "+out)
	wantShape(t, out, tc.rekorVersion, true)
	verifyWith(t, tc, s, out, []string{"--predicate-type", "https://signet.dev/e2e/test/v1"}, art).want(t, 0)
	wantIndependent(t, tc, s, out, art)
	// A file that is not its subject is refused before anything is signed.
	signet(t, nil, append(append([]string{"sign", "--trust-config", tc.trustConfig, "--overwrite"}, s.sign...), "--statement", st, tampered(t, art))...).
		want(t, cli.ExitMalformed, "is not a subject of the statement")
}

func hexSHA512(data []byte) string {
	s := sha512.Sum512(data)
	return hex.EncodeToString(s[:])
}
