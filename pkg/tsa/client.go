package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/trust"
)

// ServiceName names a timestamp authority in errors.
const ServiceName = "timestamp authority"

// Client asks an RFC 3161 timestamp authority for timestamps over HTTP (RFC 3161 §3.4), as
// sigstore's timestamp-authority serves them. It is the network edge of this package: a
// timestamp it returns has been checked against the request (imprint and nonce), not against a
// trusted root (that is Verify's job).
type Client struct {
	// URL is the timestamp endpoint of the signing config, e.g.
	// https://timestamp.sigstore.dev/api/v1/timestamp.
	URL string
	// HTTP is the client to send requests with (default http.DefaultClient).
	HTTP *http.Client
	// Retry is the retry policy; the zero value is the default policy.
	Retry httpretry.Policy
}

// Timestamp asks for a timestamp over signature (the message signature, or the DSSE envelope's
// signature): a TimeStampReq over SHA-256(signature) with a fresh nonce and certReq set, POSTed
// as application/timestamp-query. It returns the DER TimeStampResp after checking that it parses,
// grants the request, and carries the request's message imprint and nonce.
func (c *Client) Timestamp(ctx context.Context, signature []byte) ([]byte, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tsa: URL %q is not an http(s) URL", c.URL)
	}
	if len(signature) == 0 {
		return nil, errors.New("tsa: no signature to timestamp")
	}
	req, nonce, err := NewRequest(signature, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	p := c.Retry
	if p.MaxResponseSize == 0 {
		p.MaxResponseSize = MaxResponseSize
	}
	resp, err := httpretry.Do(ctx, c.HTTP, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
		if err != nil {
			return nil, err
		}
		r.Header.Set("Content-Type", RequestContentType)
		r.Header.Set("Accept", ResponseContentType)
		return r, nil
	}, p)
	if err != nil {
		return nil, httpretry.Named(err, ServiceName)
	}
	der, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	ts, err := Parse(der)
	if err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, fmt.Errorf("an unusable timestamp response: %w", err))
	}
	if err := ts.CheckResponse(signature, crypto.SHA256, nonce); err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, fmt.Errorf("a timestamp that does not answer the request: %w", err))
	}
	return der, nil
}

// Limits on the answer of GET .../certchain: a few PEM certificates.
const (
	maxCertChainSize     = 256 << 10
	maxChainCertificates = 10
)

// CertChain fetches the timestamp authority's certificate chain, as sigstore's
// timestamp-authority serves it next to its timestamp endpoint (GET <URL>/certchain, PEM
// certificates: the timestamping certificate, then its CAs up to the root), for building a
// trusted root. The chain must be a TSA chain as trust.CheckChain defines it; otherwise the
// answer is unusable. It is what the service says; nothing vouches for it.
func (c *Client) CertChain(ctx context.Context) ([]*x509.Certificate, error) {
	resp, err := httpretry.Get(ctx, c.HTTP, c.Retry, ServiceName, c.URL, "/certchain", "application/pem-certificate-chain", maxCertChainSize)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	chain, err := parsePEMChain(body)
	if err == nil {
		_, err = trust.CheckChain(chain, trust.TSAChain)
	}
	if err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, fmt.Errorf("an unusable certificate chain: %w", err))
	}
	return chain, nil
}

// parsePEMChain parses PEM certificates and nothing else (white space aside), at most
// maxChainCertificates of them.
func parsePEMChain(b []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	rest := bytes.TrimSpace(b)
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("not PEM certificates: %q", httpretry.Excerpt(b[:min(len(b), 64)]))
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("a PEM %q block among the certificates", block.Type)
		}
		if len(chain) == maxChainCertificates {
			return nil, fmt.Errorf("more than %d certificates", maxChainCertificates)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %v", len(chain), err)
		}
		chain = append(chain, c)
		rest = bytes.TrimSpace(rest)
	}
	if len(chain) == 0 {
		return nil, errors.New("no certificates")
	}
	return chain, nil
}
