//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/cli"
)

// Bring your own PKI: an enterprise CA (no Fulcio, no OIDC issuer, no certificate
// transparency) described by a trust config that signet trust create builds with the stack's
// Rekor v2 and timestamp authority. A key certified by that CA (its certificate names two
// subjects) signs; the bundle verifies by either SAN with --certificate-without-oidc-issuer,
// and not for another identity, with an issuer expected, or for other bytes.
func TestEnterpriseCA(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"Corp"}, CommonName: "Corp code signing CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	must(t, err)
	ca, err := x509.ParseCertificate(caDER)
	must(t, err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	const who = "release@corp.example"
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "release signing"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), EmailAddresses: []string{who},
		URIs:     []*url.URL{{Scheme: "https", Host: "ci.corp.example", Path: "/release"}}, // a second subject
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}, ca, key.Public(), caKey)
	must(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	must(t, err)
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	caPath := writeFile(t, dir, "corp-ca.pem", pemOf("CERTIFICATE", caDER))
	certPath := writeFile(t, dir, "release.crt", pemOf("CERTIFICATE", leafDER))
	keyPath := writeFile(t, dir, "release.key", pemOf("PRIVATE KEY", keyDER))

	corp := filepath.Join(dir, "corp.json")
	signet(t, nil, "trust", "create", "--out", corp, "--from-services", "--operator", "corp.example",
		"--ca-chain", caPath, "--ca-uri", "https://pki.corp.example",
		"--rekor-v2-url", v("REKOR_V2_URL"), "--rekor-v2-key", v("REKOR_V2_PUBLIC_KEY"), "--tsa-url", v("TSA_URL")).
		want(t, 0, "signet: wrote "+corp)

	art := writeFile(t, dir, "app.bin", "an enterprise release: "+t.Name())
	signet(t, nil, "sign", "--trust-config", corp, "--key", keyPath, "--certificate", certPath, art).
		want(t, 0, "signet: signed "+art, "names no OIDC issuer; verify with --certificate-identity "+who+" --certificate-without-oidc-issuer")
	wantShape(t, art+".sigstore.json", 2, false)

	base := []string{"verify", "--trust-config", corp, "--insecure-ignore-sct"}
	signet(t, nil, append(base, "--certificate-identity", who, "--certificate-without-oidc-issuer", art)...).
		want(t, 0, "signet: verified "+art, "INSECURE: skipped sct")
	// An enterprise certificate may name several subjects: the identity is any of them.
	signet(t, nil, append(base, "--certificate-identity", "https://ci.corp.example/release", "--certificate-without-oidc-issuer", art)...).
		want(t, 0, "signet: verified "+art)
	signet(t, nil, append(base, "--certificate-identity", "mallory@corp.example", "--certificate-without-oidc-issuer", art)...).
		want(t, cli.ExitFailed, "policy check failed")
	signet(t, nil, append(base, "--certificate-identity", who, "--certificate-oidc-issuer", v("OIDC_URL"), art)...).
		want(t, cli.ExitFailed, `policy check failed: the certificate's OIDC issuer "" does not match`)
	signet(t, nil, append(base, "--certificate-identity", who, "--certificate-without-oidc-issuer", "--bundle", art+".sigstore.json", tampered(t, art))...).
		want(t, cli.ExitFailed, "check failed")
	// Without the insecure flag the missing SCT fails: nothing is skipped silently.
	signet(t, nil, "verify", "--trust-config", corp, "--certificate-identity", who, "--certificate-without-oidc-issuer", art).
		want(t, cli.ExitFailed, "sct check failed")
}
