//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/cli"
)

// The independent client is sigstore-go's conformance CLI at v1.3.0 (test/conformance), which
// speaks the conformance protocol:
//
//	sign-bundle [--in-toto] --identity-token T --bundle OUT --trusted-root TR --signing-config SC FILE
//	verify-bundle --bundle B (--certificate-identity ID --certificate-oidc-issuer ISS | --key K) --trusted-root TR FILE
//
// Its verify-bundle always requires one verified SCT for a certificate
// (verify.WithSignedCertificateTimestamps(1)): the stack's CT log gives one in both modes.

func sgVerify(t *testing.T, tc trustCfg, bundlePath, artifact string, policy ...string) result {
	t.Helper()
	args := append([]string{"verify-bundle", "--bundle", bundlePath}, policy...)
	args = append(args, "--trusted-root", tc.trustedRoot, artifact)
	return command(t, nil, stack.conformanceBin, args...)
}

func sgSign(t *testing.T, tc trustCfg, token, bundlePath, file string, inToto bool) result {
	t.Helper()
	args := []string{"sign-bundle"}
	if inToto {
		args = append(args, "--in-toto")
	}
	args = append(args, "--identity-token", token, "--bundle", bundlePath, "--trusted-root", tc.trustedRoot, "--signing-config", tc.signingConfig, file)
	return command(t, nil, stack.conformanceBin, args...)
}

// wantSGVerifies checks that sigstore-go accepts the bundle for the artifact and rejects it for
// a modified artifact.
func wantSGVerifies(t *testing.T, tc trustCfg, bundlePath, artifact string, policy ...string) {
	t.Helper()
	if r := sgVerify(t, tc, bundlePath, artifact, policy...); r.code != 0 {
		t.Fatalf("sigstore-go refuses signet's bundle %s (exit %d):\n%s%s", bundlePath, r.code, r.stderr, r.stdout)
	}
	if r := sgVerify(t, tc, bundlePath, tampered(t, artifact), policy...); r.code == 0 {
		t.Fatalf("sigstore-go accepts signet's bundle %s for a modified artifact", bundlePath)
	}
}

// Every bundle signet writes verifies with the independent client.
func TestIndependentVerifiesSignet(t *testing.T) {
	issuer := v("OIDC_URL")
	for _, tc := range allTrust() {
		for _, dsse := range []bool{false, true} {
			kind := "message"
			if dsse {
				kind = "dsse"
			}
			signArgs := func(dir, art string) (file, out string, extra []string) {
				if !dsse {
					return art, art + ".sigstore.json", nil
				}
				st := statement(t, dir, art)
				return st, st + ".sigstore.json", []string{"--in-toto"}
			}

			t.Run(tc.name+"/keyless/"+kind, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				email := "interop-" + kind + "@example.com"
				art := writeFile(t, dir, "artifact.txt", "signed by signet, checked by sigstore-go: "+t.Name())
				file, out, extra := signArgs(dir, art)
				signet(t, nil, append(append([]string{"sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email)}, extra...), file)...).
					want(t, 0, "signet: signed "+file)
				wantShape(t, out, tc.rekorVersion, dsse)
				policy := []string{"--certificate-identity", email, "--certificate-oidc-issuer", issuer}
				wantSGVerifies(t, tc, out, art, policy...)
				// And another identity is refused.
				if r := sgVerify(t, tc, out, art, "--certificate-identity", "mallory@example.com", "--certificate-oidc-issuer", issuer); r.code == 0 {
					t.Fatal("sigstore-go accepts the bundle for another identity")
				}
			})

			t.Run(tc.name+"/key/"+kind, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				key, pub := ecKey(t, dir)
				art := writeFile(t, dir, "artifact.txt", "signed by signet with a key: "+t.Name())
				file, out, extra := signArgs(dir, art)
				signet(t, nil, append(append([]string{"sign", "--trust-config", tc.trustConfig, "--key", key}, extra...), file)...).
					want(t, 0, "signet: signed "+file)
				wantShape(t, out, tc.rekorVersion, dsse)
				wantSGVerifies(t, tc, out, art, "--key", pub)
			})
		}
	}
}

// Ed25519 ephemeral keys: Ed25519ph message signatures in both log versions, and pure
// Ed25519 DSSE signatures in Rekor v1 (Rekor v2 cannot log them; see TestKeyless).
func TestIndependentVerifiesSignetEd25519(t *testing.T) {
	issuer := v("OIDC_URL")
	type tcase struct {
		tc   trustCfg
		dsse bool
	}
	cases := []tcase{{coreTrust(), false}} // core mode: Rekor v2 only
	if full() {
		cases = []tcase{{rekorV1Trust(), false}, {rekorV2Trust(), false}, {rekorV1Trust(), true}}
	}
	for _, c := range cases {
		kind := "message"
		if c.dsse {
			kind = "dsse"
		}
		t.Run(c.tc.name+"/"+kind, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			email := "ed25519-" + kind + "@example.com"
			art := writeFile(t, dir, "artifact.txt", "Ed25519: "+t.Name())
			file, out := art, art+".sigstore.json"
			args := []string{"sign", "--trust-config", c.tc.trustConfig, "--identity-token", emailToken(t, email), "--signing-algorithm", "ed25519"}
			if c.dsse {
				file = statement(t, dir, art)
				out = file + ".sigstore.json"
				args = append(args, "--in-toto")
			}
			signet(t, nil, append(args, file)...).want(t, 0, "signet: signed "+file)
			wantShape(t, out, c.tc.rekorVersion, c.dsse)
			checkKeyless(t, c.tc, art, out, email, issuer)
			wantSGVerifies(t, c.tc, out, art, "--certificate-identity", email, "--certificate-oidc-issuer", issuer)
		})
	}
}

// Bundles the independent client signs against the same services verify with signet.
func TestSignetVerifiesIndependent(t *testing.T) {
	issuer := v("OIDC_URL")
	for _, tc := range allTrust() {
		for _, inToto := range []bool{false, true} {
			kind := "message"
			if inToto {
				kind = "dsse"
			}
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				email := "sigstore-go-" + kind + "@example.com"
				art := writeFile(t, dir, "artifact.txt", "signed by sigstore-go, checked by signet: "+t.Name())
				file := art
				if inToto {
					file = statement(t, dir, art)
				}
				out := filepath.Join(dir, "sigstore-go.sigstore.json")
				sgSign(t, tc, emailToken(t, email), out, file, inToto).want(t, 0)
				wantFile(t, out)
				b := readBundle(t, out)
				for _, e := range b.GetVerificationMaterial().GetTlogEntries() {
					t.Logf("sigstore-go's bundle: %s, log entry %s %s, %d RFC 3161 timestamps", b.GetMediaType(),
						e.GetKindVersion().GetKind(), e.GetKindVersion().GetVersion(),
						len(b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps()))
				}
				checkKeyless(t, tc, art, out, email, issuer)
			})
		}
	}
}

// cmd/signet-conformance sign-bundle: the conformance protocol's signing, run as a process.
func TestConformanceAdapter(t *testing.T) {
	issuer := v("OIDC_URL")
	for _, tc := range allTrust() {
		for _, inToto := range []bool{false, true} {
			kind := "message"
			if inToto {
				kind = "dsse"
			}
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				email := "adapter-" + kind + "@example.com"
				art := writeFile(t, dir, "artifact.txt", "signed through the conformance adapter: "+t.Name())
				file := art
				args := []string{"sign-bundle"}
				if inToto {
					file = statement(t, dir, art)
					args = append(args, "--in-toto")
				}
				out := filepath.Join(dir, "adapter.sigstore.json")
				args = append(args, "--identity-token", emailToken(t, email), "--bundle", out,
					"--trusted-root", tc.trustedRoot, "--signing-config", tc.signingConfig, file)
				r := command(t, nil, stack.adapterBin, args...)
				if r.code != 0 && strings.Contains(r.stderr, "unsupported command") {
					t.Skipf("cmd/signet-conformance does not implement sign-bundle yet: %s", strings.TrimSpace(r.stderr))
				}
				r.want(t, 0)
				wantShape(t, out, tc.rekorVersion, inToto)
				checkKeyless(t, tc, art, out, email, issuer)
				wantSGVerifies(t, tc, out, art, "--certificate-identity", email, "--certificate-oidc-issuer", issuer)
				// The adapter's verify-bundle on the same bundle.
				command(t, nil, stack.adapterBin, append([]string{"verify-bundle", "--bundle", out,
					"--certificate-identity", email, "--certificate-oidc-issuer", issuer, "--trusted-root", tc.trustedRoot}, art)...).
					want(t, 0, "signet: verified")
				command(t, nil, stack.adapterBin, append([]string{"verify-bundle", "--bundle", out,
					"--certificate-identity", email, "--certificate-oidc-issuer", issuer, "--trusted-root", tc.trustedRoot}, tampered(t, art))...).
					want(t, cli.ExitFailed, "artifact check failed")
			})
		}
	}
}
