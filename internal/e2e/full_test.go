//go:build e2e

package e2e

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"

	"github.com/signet-dev/signet/internal/cli"
)

// oidSCTList is the certificate extension holding embedded SCTs (RFC 6962 §3.3).
var oidSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

// Both modes: Fulcio embeds SCTs from the stack's CT log (TesseraCT in core mode, whose SCTs
// carry the leaf index as an extension; Trillian's ct_server in full mode). The bundle verifies
// without --insecure-ignore-sct, and fails the SCT check against a trusted root without the
// CT log.
func TestSCT(t *testing.T) {
	tc, issuer := coreTrust(), v("OIDC_URL")
	noCTPath := withoutCTLogs(t)
	dir := t.TempDir()
	email := "sct@example.com"
	art := writeFile(t, dir, "artifact.txt", "SCTs: "+t.Name())
	out := art + ".sigstore.json"
	signet(t, nil, "sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email), art).
		want(t, 0, "signet: signed "+art+": wrote "+out)
	checkSCT(t, tc.trustConfig, noCTPath, wantShape(t, out, tc.rekorVersion, false), out, art, email, issuer)
}

// withoutCTLogs writes the stack's trust config without its CT logs: the twin that proves
// SCTs are checked.
func withoutCTLogs(t *testing.T) string {
	t.Helper()
	noCT := loadTrustConfig(t, v("TRUST_CONFIG"))
	if len(noCT.GetTrustedRoot().GetCtlogs()) == 0 {
		t.Fatal("the stack's trusted root has no CT log")
	}
	noCT.TrustedRoot.Ctlogs = nil
	return writeProto(t, filepath.Join(t.TempDir(), "trust_config.no-ct.json"), noCT)
}

// checkSCT: the certificate of bundle b (at out, for art) carries an embedded SCT, the bundle
// verifies with trustConfig without --insecure-ignore-sct, and not with noCTPath, whose
// trusted root lacks the CT log, unless the SCT check is skipped.
func checkSCT(t *testing.T, trustConfig, noCTPath string, b *pbbundle.Bundle, out, art, email, issuer string) {
	t.Helper()
	cert := bundleCert(t, b)
	if !slices.ContainsFunc(cert.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(oidSCTList) }) {
		t.Fatal("the Fulcio certificate carries no embedded SCT")
	}
	id := []string{"--certificate-identity", email, "--certificate-oidc-issuer", issuer}
	signet(t, nil, append([]string{"verify", "--trust-config", trustConfig, "--bundle", out, art}, id...)...).
		want(t, 0, "signet: verified")
	signet(t, nil, append([]string{"verify", "--trust-config", noCTPath, "--bundle", out, art}, id...)...).
		want(t, cli.ExitFailed, "signet: error: sct check failed")
	signet(t, nil, append([]string{"verify", "--trust-config", noCTPath, "--bundle", out, "--insecure-ignore-sct", art}, id...)...).
		want(t, 0, "INSECURE: skipped sct")
}

// Full mode: Rekor v1 logs hashedrekord and dsse entries with a SET and an inclusion proof;
// Rekor v2 with SCTs and a timestamp. Every bundle verifies without --insecure-ignore-sct,
// and fails the SCT check against a trusted root without the CT log.
func TestFull(t *testing.T) {
	if !full() {
		t.Skip("full mode only (SIGNET_E2E_MODE=full): core mode has no Rekor v1")
	}
	issuer := v("OIDC_URL")
	noCTPath := withoutCTLogs(t)

	for _, tc := range []trustCfg{rekorV1Trust(), rekorV2Trust()} {
		for _, dsse := range []bool{false, true} {
			kind := "message"
			if dsse {
				kind = "dsse"
			}
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				email := "full-" + tc.name + "-" + kind + "@example.com"
				art := writeFile(t, dir, "artifact.txt", "full mode: "+t.Name())
				file, out := art, art+".sigstore.json"
				args := []string{"sign", "--trust-config", tc.trustConfig, "--identity-token", emailToken(t, email)}
				if dsse {
					file = statement(t, dir, art)
					out = file + ".sigstore.json"
					args = append(args, "--in-toto")
				}
				r := signet(t, nil, append(args, file)...)
				r.want(t, 0, "signet: signed "+file+": wrote "+out)
				if r.code == 0 && strings.Contains(r.stderr, "no CT logs") {
					t.Error("signet warns about missing CT logs in full mode")
				}
				b := wantShape(t, out, tc.rekorVersion, dsse)

				// No --insecure-ignore-sct: the SCT is checked.
				vr, res := verifyJSON(t, "--trust-config", tc.trustConfig, "--bundle", out,
					"--certificate-identity", email, "--certificate-oidc-issuer", issuer, art)
				vr.want(t, 0)
				if !res.Verified || len(res.Skipped) != 0 {
					t.Errorf("verified %v, skipped %v", res.Verified, res.Skipped)
				}
				if len(res.TlogEntries) != 1 {
					t.Fatalf("%d verified log entries", len(res.TlogEntries))
				}
				by := res.TlogEntries[0].VerifiedBy
				var sources []string
				for _, tm := range res.Times {
					sources = append(sources, tm.Source)
				}
				switch tc.rekorVersion {
				case 1:
					if !slices.Contains(by, "inclusionPromise") || !slices.Contains(by, "inclusionProof") {
						t.Errorf("Rekor v1 entry verified by %v, want the SET and the inclusion proof", by)
					}
					if !slices.Contains(sources, "tlog") {
						t.Errorf("verified times from %v, want the log's integrated time", sources)
					}
				case 2:
					if !slices.Contains(by, "inclusionProof") {
						t.Errorf("Rekor v2 entry verified by %v, want the inclusion proof", by)
					}
					if !slices.Contains(sources, "rfc3161") {
						t.Errorf("verified times from %v, want an RFC 3161 timestamp", sources)
					}
				}
				checkKeyless(t, tc, art, out, email, issuer)
				checkSCT(t, tc.trustConfig, noCTPath, b, out, art, email, issuer)
			})
		}
	}

	// Rekor v1 with an own key: hashedrekord and dsse entries naming a public key.
	for _, dsse := range []bool{false, true} {
		kind := "message"
		if dsse {
			kind = "dsse"
		}
		t.Run("rekor-v1/key/"+kind, func(t *testing.T) {
			t.Parallel()
			tc := rekorV1Trust()
			dir := t.TempDir()
			key, pub := ecKey(t, dir)
			_, other := ecKey(t, t.TempDir())
			art := writeFile(t, dir, "artifact.txt", "full mode, own key: "+t.Name())
			file, out := art, art+".sigstore.json"
			args := []string{"sign", "--trust-config", tc.trustConfig, "--key", key}
			if dsse {
				file = statement(t, dir, art)
				out = file + ".sigstore.json"
				args = append(args, "--in-toto")
			}
			signet(t, nil, append(args, file)...).want(t, 0, "signet: signed "+file)
			wantShape(t, out, 1, dsse)
			checkKey(t, tc, art, out, pub, other)
		})
	}
}

// Rekor v1 answers 409 Conflict for an entry it already holds. An RSA PKCS#1 v1.5 signature is
// deterministic, so signing the same artifact (or statement) twice with one RSA key proposes
// the same entry twice: the second signing must succeed with the existing entry.
func TestRekorV1ExistingEntry(t *testing.T) {
	if !full() {
		t.Skip("full mode only (Rekor v1)")
	}
	tc := rekorV1Trust()
	dir := t.TempDir()
	key := filepath.Join(dir, "rsa.pem")
	pub := filepath.Join(dir, "rsa.pub")
	for _, args := range [][]string{{"genrsa", "-traditional", "-out", key, "2048"}, {"rsa", "-in", key, "-pubout", "-out", pub}} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	_, other := ecKey(t, t.TempDir())
	for _, dsse := range []bool{false, true} {
		kind := "message"
		if dsse {
			kind = "dsse"
		}
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			art := writeFile(t, dir, "artifact.txt", "logged twice: "+t.Name())
			file := art
			args := []string{"sign", "--trust-config", tc.trustConfig, "--key", key}
			if dsse {
				file = statement(t, dir, art)
				args = append(args, "--in-toto")
			}
			first, second := filepath.Join(dir, "first.sigstore.json"), filepath.Join(dir, "second.sigstore.json")
			signet(t, nil, append(args, "--bundle", first, file)...).want(t, 0, "signet: signed "+file)
			signet(t, nil, append(args, "--bundle", second, file)...).want(t, 0, "signet: signed "+file)
			e1 := wantShape(t, first, 1, dsse).GetVerificationMaterial().GetTlogEntries()[0]
			e2 := wantShape(t, second, 1, dsse).GetVerificationMaterial().GetTlogEntries()[0]
			if e1.GetLogIndex() != e2.GetLogIndex() || e1.GetIntegratedTime() != e2.GetIntegratedTime() {
				t.Errorf("second signing logged index %d at %d, want the existing entry %d at %d",
					e2.GetLogIndex(), e2.GetIntegratedTime(), e1.GetLogIndex(), e1.GetIntegratedTime())
			}
			checkKey(t, tc, art, second, pub, other)
		})
	}
}
