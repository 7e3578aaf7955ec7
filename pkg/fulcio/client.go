package fulcio

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"

	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/trust"
)

// ServiceName names Fulcio in errors.
const ServiceName = "Fulcio"

// Limits on what a Fulcio answer may hold.
const (
	maxResponseSize = 1 << 20
	maxChainLength  = 10
	maxTrustChains  = 64
)

// Client talks to a Fulcio instance over its HTTP API v2 (signing config majorApiVersion 1, as
// the Fulcio service is listed in signing configs). It is the network edge of this package:
// what it returns has only been checked for shape and for the requested key, not against a
// trusted root (that is VerifyChain's job).
type Client struct {
	// BaseURL is the Fulcio URL of the signing config, e.g. https://fulcio.sigstore.dev.
	BaseURL string
	// HTTP is the client to send requests with (default http.DefaultClient).
	HTTP *http.Client
	// Retry is the retry policy; the zero value is the default policy.
	Retry httpretry.Policy
}

// RequestCertificate asks Fulcio for a code-signing certificate for signer's public key and the
// identity in token (an OIDC identity token, sent only in the request body):
//
//	POST /api/v2/signingCert
//	{"credentials": {"oidcIdentityToken": token}, "certificateSigningRequest": base64(PEM CSR)}
//
// The PKCS#10 certificate signing request, signed by signer, is the proof of possession of the
// private key; unlike a signed challenge, it does not depend on which token claim (email or sub)
// the issuer's challenge is over. The answer's chain (signedCertificateEmbeddedSct or, from a
// Fulcio without a CT log, signedCertificateDetachedSct, whose detached SCT is dropped because a
// bundle cannot carry it) is returned leaf first. The leaf must certify signer.Public(), and each
// certificate must be signed by the next one.
func (c *Client) RequestCertificate(ctx context.Context, token string, signer crypto.Signer) ([]*x509.Certificate, error) {
	if token == "" {
		return nil, errors.New("fulcio: no identity token")
	}
	if signer == nil {
		return nil, errors.New("fulcio: no signer")
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, signer)
	if err != nil {
		return nil, fmt.Errorf("fulcio: making the certificate signing request: %w", err)
	}
	body, err := json.Marshal(signingCertRequest{
		Credentials:               credentials{OIDCIdentityToken: token},
		CertificateSigningRequest: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}),
	})
	if err != nil {
		return nil, fmt.Errorf("fulcio: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, "/api/v2/signingCert", body)
	if err != nil {
		return nil, err
	}
	var answer signingCertResponse
	if err := decodeJSON(resp, &answer); err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	var pems []string
	switch e, d := answer.Embedded, answer.Detached; {
	case e != nil && d != nil:
		return nil, httpretry.Invalid(ServiceName, resp, errors.New("both an embedded-SCT and a detached-SCT certificate"))
	case e != nil:
		pems = e.Chain.Certificates
	case d != nil:
		pems = d.Chain.Certificates
	default:
		return nil, httpretry.Invalid(ServiceName, resp, errors.New("no certificate"))
	}
	chain, err := parseChain(pems)
	if err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	if err := checkIssued(chain, signer.Public()); err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	return chain, nil
}

// checkIssued checks that the chain certifies pub and hangs together.
func checkIssued(chain []*x509.Certificate, pub crypto.PublicKey) error {
	k, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !k.Equal(chain[0].PublicKey) {
		return fmt.Errorf("a certificate for another key (leaf %s certifies %s, the signer's key is %s)",
			describeCert(chain[0]), keyFingerprint(chain[0].PublicKey), keyFingerprint(pub))
	}
	for i := 0; i+1 < len(chain); i++ {
		if err := chain[i].CheckSignatureFrom(chain[i+1]); err != nil {
			return fmt.Errorf("a chain that does not hang together: certificate %d (%s) is not signed by certificate %d (%s): %v",
				i, describeCert(chain[i]), i+1, describeCert(chain[i+1]), err)
		}
	}
	return nil
}

// TrustBundle is what GET /api/v2/trustBundle describes: the CA's certificate chains, each
// intermediates first and root last.
type TrustBundle struct {
	Chains [][]*x509.Certificate
}

// TrustBundle fetches the CA's certificate chains (GET /api/v2/trustBundle), for building a
// trusted root. Each chain must be a CA chain as trust.CheckChain defines it (CA certificates,
// each signed by the next, the last self-signed); otherwise the answer is unusable. The chains
// are what the service says; nothing vouches for them.
func (c *Client) TrustBundle(ctx context.Context) (*TrustBundle, error) {
	resp, err := c.do(ctx, http.MethodGet, "/api/v2/trustBundle", nil)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Chains []chainJSON `json:"chains"`
	}
	if err := decodeJSON(resp, &answer); err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	if len(answer.Chains) == 0 {
		return nil, httpretry.Invalid(ServiceName, resp, errors.New("a trust bundle without chains"))
	}
	if len(answer.Chains) > maxTrustChains {
		return nil, httpretry.Invalid(ServiceName, resp, fmt.Errorf("a trust bundle of more than %d chains", maxTrustChains))
	}
	tb := &TrustBundle{}
	for i, ch := range answer.Chains {
		chain, err := parseChain(ch.Certificates)
		if err == nil {
			_, err = trust.CheckChain(chain, trust.CAChain)
		}
		if err != nil {
			return nil, httpretry.Invalid(ServiceName, resp, fmt.Errorf("chain %d: %w", i, err))
		}
		tb.Chains = append(tb.Chains, chain)
	}
	return tb, nil
}

// Configuration is what GET /api/v2/configuration describes: the OIDC issuers the instance
// accepts.
type Configuration struct {
	Issuers []Issuer `json:"issuers"`
}

// Issuer is one OIDC issuer Fulcio accepts. Exactly one of IssuerURL and WildcardIssuerURL is
// set.
type Issuer struct {
	IssuerURL         string `json:"issuerUrl,omitempty"`
	WildcardIssuerURL string `json:"wildcardIssuerUrl,omitempty"`
	Audience          string `json:"audience,omitempty"`
	// ChallengeClaim is the token claim a signed-challenge proof of possession signs ("email"
	// or "sub").
	ChallengeClaim        string `json:"challengeClaim,omitempty"`
	SPIFFETrustDomain     string `json:"spiffeTrustDomain,omitempty"`
	IssuerType            string `json:"issuerType,omitempty"`
	SubjectDomain         string `json:"subjectDomain,omitempty"`
	SkipEmailVerification bool   `json:"skipEmailVerification,omitempty"`
}

// Configuration fetches the instance's configuration (GET /api/v2/configuration).
func (c *Client) Configuration(ctx context.Context) (*Configuration, error) {
	resp, err := c.do(ctx, http.MethodGet, "/api/v2/configuration", nil)
	if err != nil {
		return nil, err
	}
	var cfg Configuration
	if err := decodeJSON(resp, &cfg); err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	return &cfg, nil
}

// --- wire shapes (fulcio.proto, dev.sigstore.fulcio.v2, in proto3 JSON) ---

type credentials struct {
	OIDCIdentityToken string `json:"oidcIdentityToken"`
}

type signingCertRequest struct {
	Credentials credentials `json:"credentials"`
	// A proto bytes field: encoding/json writes []byte as standard base64, as proto3 JSON does.
	CertificateSigningRequest []byte `json:"certificateSigningRequest"`
}

type chainJSON struct {
	Certificates []string `json:"certificates"`
}

type signingCertResponse struct {
	Embedded *struct {
		Chain chainJSON `json:"chain"`
	} `json:"signedCertificateEmbeddedSct"`
	Detached *struct {
		Chain chainJSON `json:"chain"`
		// SignedCertificateTimestamp (bytes) is not read: a bundle has no place for it.
	} `json:"signedCertificateDetachedSct"`
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	return httpretry.DoJSON(ctx, c.HTTP, c.Retry, ServiceName, method, c.BaseURL, path, body, maxResponseSize)
}

// decodeJSON decodes a JSON answer; unknown fields are ignored (newer servers add some).
func decodeJSON(resp *http.Response, v any) error {
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON: %v", err)
	}
	if dec.More() {
		return errors.New("malformed JSON: data after the JSON value")
	}
	return nil
}

// parseChain parses PEM certificates, one per string, leaf (or first intermediate) first.
func parseChain(pems []string) ([]*x509.Certificate, error) {
	if len(pems) == 0 {
		return nil, errors.New("an empty certificate chain")
	}
	if len(pems) > maxChainLength {
		return nil, fmt.Errorf("a certificate chain of %d certificates (at most %d)", len(pems), maxChainLength)
	}
	var chain []*x509.Certificate
	for i, p := range pems {
		block, rest := pem.Decode([]byte(p))
		if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
			return nil, fmt.Errorf("certificate %d is not one PEM CERTIFICATE block", i)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %v", i, err)
		}
		chain = append(chain, cert)
	}
	return chain, nil
}

func keyFingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Sprintf("a %T", pub)
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:8])
}
