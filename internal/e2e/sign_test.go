//go:build e2e

package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"

	"github.com/signet-dev/signet/internal/cli"
)

// Keyless signing with signet against the stack's Fulcio, Rekor v2 and TSA (the default trust
// config of either mode), and each bundle verified by signet with its tampered twins.
func TestKeyless(t *testing.T) {
	tc := coreTrust()
	issuer := v("OIDC_URL")

	for _, alg := range []struct {
		name  string
		curve elliptic.Curve // nil: Ed25519
		hash  pbcommon.HashAlgorithm
	}{
		{"ecdsa-p256", elliptic.P256(), pbcommon.HashAlgorithm_SHA2_256},
		{"ecdsa-p384", elliptic.P384(), pbcommon.HashAlgorithm_SHA2_384},
		{"ed25519", nil, pbcommon.HashAlgorithm_SHA2_512}, // Ed25519ph over the SHA-512 digest
	} {
		t.Run("message/"+alg.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			email := alg.name + "@example.com"
			art := writeFile(t, dir, "release.tar.gz", "release contents "+alg.name)
			out := art + ".sigstore.json"
			signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email),
				"--signing-algorithm", alg.name, art).
				want(t, 0, "signet: signing as "+email+" (issuer "+issuer+")", "signet: signed "+art+": wrote "+out)
			b := wantShape(t, out, tc.rekorVersion, false)
			cert := bundleCert(t, b)
			switch k := cert.PublicKey.(type) {
			case *ecdsa.PublicKey:
				if k.Curve != alg.curve {
					t.Errorf("certificate key on %s, want %s", k.Curve.Params().Name, alg.name)
				}
			case ed25519.PublicKey:
				if alg.curve != nil {
					t.Errorf("certificate key is Ed25519, want %s", alg.name)
				}
			default:
				t.Errorf("certificate key %T, want %s", cert.PublicKey, alg.name)
			}
			if got := b.GetMessageSignature().GetMessageDigest().GetAlgorithm(); got != alg.hash {
				t.Errorf("message digest %v, want %v", got, alg.hash)
			}
			checkKeyless(t, tc, art, out, email, issuer)
		})
	}

	t.Run("dsse", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		email := "dsse@example.com"
		art := writeFile(t, dir, "app.bin", "the artifact the statement is about")
		st := statement(t, dir, art)
		out := st + ".sigstore.json"
		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email), "--in-toto", st).
			want(t, 0, "signet: signed "+st+": wrote "+out)
		b := wantShape(t, out, tc.rekorVersion, true)
		if env := b.GetDsseEnvelope(); env.GetPayloadType() != "application/vnd.in-toto+json" || !bytes.Equal(env.GetPayload(), readFile(t, st)) || len(env.GetSignatures()) != 1 {
			t.Errorf("envelope: payload type %q, %d signatures, payload is the statement: %v",
				env.GetPayloadType(), len(env.GetSignatures()), bytes.Equal(env.GetPayload(), readFile(t, st)))
		}
		checkKeyless(t, tc, art, out, email, issuer)
		// The statement's subject is the artifact; verify prints the statement on stdout.
		r := signet(t, nil, []string{"verify", "--trust-config", tc.trustConfig, "--bundle", out,
			"--certificate-identity", email, "--certificate-oidc-issuer", issuer, art}...)
		r.want(t, 0)
		if !strings.Contains(r.stdout, "https://signet.dev/e2e/test/v1") {
			t.Errorf("verify printed no statement: %q", r.stdout)
		}
	})

	// Rekor v2 takes only pre-hashed Ed25519, and a DSSE signature is over the whole envelope:
	// signet refuses instead of writing a bundle no one can verify.
	t.Run("dsse/ed25519-rekor-v2", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		st := statement(t, dir, writeFile(t, dir, "a.txt", "x"))
		r := signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, "ed@example.com"),
			"--signing-algorithm", "ed25519", "--in-toto", st)
		if r.code == 0 {
			t.Fatal("signet signed DSSE with Ed25519 into Rekor v2")
		}
		r.want(t, cli.ExitUsage, "signet: error: ", "records only pre-hashed Ed25519 signatures")
		wantNoBundle(t, st+".sigstore.json")
	})

	// --identity-token names a file holding the token.
	t.Run("token-file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		email := "file@example.com"
		tokFile := writeFile(t, dir, "token", emailToken(t, email)+"\n")
		art := writeFile(t, dir, "a.txt", "token from a file")
		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", tokFile, art).
			want(t, 0, "signet: using the identity token from --identity-token file "+tokFile, "signet: signing as "+email)
		checkKeyless(t, tc, art, art+".sigstore.json", email, issuer)
	})

	t.Run("dsse/not-a-statement", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		st := writeFile(t, dir, "notes.json", `{"hello": "world"}`)
		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, "x@example.com"), "--in-toto", st).
			want(t, cli.ExitMalformed, "signet: error: ")
		wantNoBundle(t, st+".sigstore.json")
	})

	// The token from the environment rather than the flag; a URI identity from the second issuer.
	t.Run("env-token/uri-identity", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		sub := v("OIDC_URL") + "/ci/job1"
		uriIssuer := v("OIDC_URI_ISSUER_URL")
		art := writeFile(t, dir, "a.txt", "signed by a CI job")
		out := art + ".sigstore.json"
		signet(t, map[string]string{"SIGSTORE_ID_TOKEN": uriToken(t, sub)}, "sign", "--trust-config", tc.trustConfig, art).
			want(t, 0, "signet: signing as "+sub+" (issuer "+uriIssuer+")", "signet: signed "+art)
		cert := bundleCert(t, wantShape(t, out, tc.rekorVersion, false))
		if len(cert.URIs) != 1 || cert.URIs[0].String() != sub {
			t.Errorf("certificate URI SANs %v, want %s", cert.URIs, sub)
		}
		checkKeyless(t, tc, art, out, sub, uriIssuer)
		// The same identity from the other issuer is another identity.
		signet(t, nil, []string{"verify", "--trust-config", tc.trustConfig, "--certificate-identity", sub,
			"--certificate-oidc-issuer", issuer, art}...).
			want(t, cli.ExitFailed, "policy check failed")
	})

	t.Run("env-token/sigstore-python-name", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		email := "py@example.com"
		art := writeFile(t, dir, "a.txt", "sigstore-python's variable")
		signet(t, map[string]string{"SIGSTORE_IDENTITY_TOKEN": emailToken(t, email)}, "sign", "--trust-config", tc.trustConfig, art).
			want(t, 0, "signet: signing as "+email)
		checkKeyless(t, tc, art, art+".sigstore.json", email, issuer)
	})

	// Many files in one call: one token, one key, one certificate, one bundle each.
	t.Run("many-files", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		email := "many@example.com"
		var files []string
		for i := range 10 {
			files = append(files, writeFile(t, dir, fmt.Sprintf("file-%02d.txt", i), fmt.Sprintf("file number %d", i)))
		}
		r := signet(t, nil, append([]string{"sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email)}, files...)...)
		r.want(t, 0)
		if n := strings.Count(r.stderr, "signet: signing as "); n != 1 {
			t.Errorf("%d certificates requested, want 1", n)
		}
		var first []byte
		indices := map[int64]bool{}
		for _, f := range files {
			out := f + ".sigstore.json"
			if !strings.Contains(r.stderr, "signet: signed "+f+": wrote "+out) {
				t.Errorf("no message for %s", f)
			}
			b := wantShape(t, out, tc.rekorVersion, false)
			cert := bundleCert(t, b).Raw
			if first == nil {
				first = cert
			} else if !bytes.Equal(cert, first) {
				t.Errorf("%s carries another certificate than the first bundle", out)
			}
			indices[b.GetVerificationMaterial().GetTlogEntries()[0].GetLogIndex()] = true
		}
		if len(indices) != len(files) {
			t.Errorf("%d distinct log indices for %d files", len(indices), len(files))
		}
		for _, f := range files {
			signet(t, nil, []string{"verify", "--trust-config", tc.trustConfig, "--certificate-identity", email,
				"--certificate-oidc-issuer", issuer, f}...).want(t, 0, "signet: verified "+f)
		}
		checkKeyless(t, tc, files[3], files[3]+".sigstore.json", email, issuer)
	})

	t.Run("bundle-flag", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		email := "bundle@example.com"
		art := writeFile(t, dir, "a.txt", "bundle somewhere else")
		out := filepath.Join(dir, "out", "custom.json")
		must(t, os.MkdirAll(filepath.Dir(out), 0o755))
		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email), "--bundle", out, art).
			want(t, 0, "signet: signed "+art+": wrote "+out)
		wantShape(t, out, tc.rekorVersion, false)
		if exists(art + ".sigstore.json") {
			t.Errorf("%s.sigstore.json written besides --bundle", art)
		}
		checkKeyless(t, tc, art, out, email, issuer)

		// --bundle names one bundle: two files are a usage error, before anything is signed.
		art2 := writeFile(t, dir, "b.txt", "second")
		out2 := filepath.Join(dir, "two.json")
		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email), "--bundle", out2, art, art2).
			want(t, cli.ExitUsage, "signet: error: --bundle names one bundle")
		wantNoBundle(t, out2, art2+".sigstore.json")
	})

	t.Run("overwrite", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		email := "overwrite@example.com"
		art := writeFile(t, dir, "a.txt", "signed twice")
		out := art + ".sigstore.json"
		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email), art).want(t, 0)
		before := readFile(t, out)

		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email), art).
			want(t, cli.ExitUsage, "signet: error: output file exists: "+out, "--overwrite")
		if !bytes.Equal(readFile(t, out), before) {
			t.Fatal("the refused signing changed the existing bundle")
		}

		// With many files, one existing bundle stops the whole call before any signing.
		other := writeFile(t, dir, "b.txt", "not signed")
		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email), other, art).
			want(t, cli.ExitUsage, "output file exists: "+out)
		wantNoBundle(t, other+".sigstore.json")

		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email), "--overwrite", art).
			want(t, 0, "signet: signed "+art+": wrote "+out)
		after := readFile(t, out)
		if bytes.Equal(after, before) {
			t.Fatal("--overwrite left the old bundle in place")
		}
		wantShape(t, out, tc.rekorVersion, false)
		checkKeyless(t, tc, art, out, email, issuer)
	})
}

// Signing with an own key: PKCS#8, encrypted PKCS#8 (passphrase from SIGNET_PASSWORD), SEC1
// and PKCS#1 RSA PEM keys made by openssl. The bundle names the public key; verify --key.
func TestOwnKey(t *testing.T) {
	tc := coreTrust()
	keys := t.TempDir()
	openssl := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	k := func(name string) string { return filepath.Join(keys, name) }
	openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", k("pkcs8.pem"))
	openssl("pkey", "-in", k("pkcs8.pem"), "-pubout", "-out", k("pkcs8.pub"))
	openssl("pkcs8", "-topk8", "-in", k("pkcs8.pem"), "-v2", "aes-256-cbc", "-passout", "pass:correct horse", "-out", k("enc.pem"))
	openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", k("sec1.pem"))
	openssl("ec", "-in", k("sec1.pem"), "-pubout", "-out", k("sec1.pub"))
	openssl("genrsa", "-traditional", "-out", k("rsa.pem"), "3072")
	openssl("rsa", "-in", k("rsa.pem"), "-pubout", "-out", k("rsa.pub"))
	for name, header := range map[string]string{"pkcs8.pem": "PRIVATE KEY", "enc.pem": "ENCRYPTED PRIVATE KEY", "sec1.pem": "EC PRIVATE KEY", "rsa.pem": "RSA PRIVATE KEY"} {
		if !bytes.HasPrefix(readFile(t, k(name)), []byte("-----BEGIN "+header+"-----")) {
			t.Fatalf("openssl wrote %s without the %s header", name, header)
		}
	}

	for _, c := range []struct {
		name, key, pub, other string
		env                   map[string]string
	}{
		{"pkcs8", "pkcs8.pem", "pkcs8.pub", "sec1.pub", nil},
		{"pkcs8-encrypted", "enc.pem", "pkcs8.pub", "sec1.pub", map[string]string{"SIGNET_PASSWORD": "correct horse"}},
		{"sec1", "sec1.pem", "sec1.pub", "pkcs8.pub", nil},
		{"rsa-pkcs1", "rsa.pem", "rsa.pub", "pkcs8.pub", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			art := writeFile(t, dir, "app.bin", "signed with "+c.name)
			out := art + ".sigstore.json"
			signet(t, c.env, "sign", "--trust-config", tc.trustConfig, "--key", k(c.key), art).
				want(t, 0, "signet: signed "+art+": wrote "+out)
			b := wantShape(t, out, tc.rekorVersion, false)
			if b.GetVerificationMaterial().GetPublicKey().GetHint() == "" {
				t.Error("the bundle names no public key")
			}
			checkKey(t, tc, art, out, k(c.pub), k(c.other))
		})
	}

	t.Run("dsse", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		art := writeFile(t, dir, "app.bin", "an artifact")
		st := statement(t, dir, art)
		out := st + ".sigstore.json"
		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--key", k("pkcs8.pem"), "--in-toto", st).
			want(t, 0, "signet: signed "+st)
		wantShape(t, out, tc.rekorVersion, true)
		checkKey(t, tc, art, out, k("pkcs8.pub"), k("sec1.pub"))
	})

	t.Run("encrypted/no-passphrase", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		art := writeFile(t, dir, "a.txt", "x")
		signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--key", k("enc.pem"), art).
			want(t, cli.ExitMalformed, "is encrypted: set SIGNET_PASSWORD")
		wantNoBundle(t, art+".sigstore.json")
	})

	t.Run("encrypted/wrong-passphrase", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		art := writeFile(t, dir, "a.txt", "x")
		signet(t, map[string]string{"SIGNET_PASSWORD": "battery staple"}, "sign", "--trust-config", tc.trustConfig, "--key", k("enc.pem"), art).
			want(t, cli.ExitMalformed, "wrong passphrase")
		wantNoBundle(t, art+".sigstore.json")
	})
}
