package sigstoretest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FulcioOptions shape the answers of a FulcioServer. The zero value answers as public Fulcio
// does: a chain (leaf, intermediate, root) whose leaf embeds an SCT and names the token's
// identity.
type FulcioOptions struct {
	// Leaf shapes the leaves further. Its Email, URI, Username and Issuer are filled from the
	// token when all of them are empty.
	Leaf LeafOptions
	// Detached answers signedCertificateDetachedSct with a leaf without SCTs and no SCT, as
	// Fulcio without a CT log does.
	Detached bool
	// WrongKey issues the leaf for a fresh key instead of the CSR's (a tampered answer).
	WrongKey bool
	// Audience is the audience tokens must name (default "sigstore").
	Audience string
}

// FulcioServer is a fake Fulcio v2 HTTP API over a fake CA:
//
//	POST /api/v2/signingCert   {"credentials":{"oidcIdentityToken"}, "certificateSigningRequest": base64(PEM CSR)}
//	GET  /api/v2/trustBundle   {"chains":[{"certificates":[PEM intermediate, PEM root]}]}
//	GET  /api/v2/configuration {"issuers":[...]} (the issuers of the tokens seen so far)
//
// It decodes the identity token's payload without checking its signature (there is no issuer
// to ask), but does check its expiry against the CA's clock, its audience, and that it names
// an issuer. It verifies the CSR's self-signature, as the proof of possession. Errors are
// answered as Fulcio's HTTP gateway answers them: 400 and {"code": 3, "message": ...}.
type FulcioServer struct {
	ca   *CA
	opts FulcioOptions

	mu      sync.Mutex
	issued  []*x509.Certificate
	issuers []string
}

// NewFulcioServer serves ca as Fulcio.
func NewFulcioServer(ca *CA, opts FulcioOptions) *FulcioServer {
	if opts.Audience == "" {
		opts.Audience = "sigstore"
	}
	return &FulcioServer{ca: ca, opts: opts}
}

// Issued returns the leaves issued so far, oldest first.
func (f *FulcioServer) Issued() []*x509.Certificate {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*x509.Certificate(nil), f.issued...)
}

func (f *FulcioServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/v2/signingCert" && r.Method == http.MethodPost:
		f.signingCert(w, r)
	case r.URL.Path == "/api/v2/trustBundle" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"chains": []any{map[string]any{"certificates": []string{
			string(PEMCertificate(f.ca.intermediate.Raw)), string(PEMCertificate(f.ca.root.Raw)),
		}}}})
	case r.URL.Path == "/api/v2/configuration" && r.Method == http.MethodGet:
		f.mu.Lock()
		issuers := []any{}
		for _, iss := range f.issuers {
			issuers = append(issuers, map[string]any{
				"issuerUrl": iss, "audience": f.opts.Audience, "challengeClaim": "email", "issuerType": "email",
			})
		}
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"issuers": issuers})
	default:
		writeGRPCError(w, http.StatusNotFound, 5, "Not Found")
	}
}

// fulcioTokenClaims are the claims of an identity token the fake reads.
type fulcioTokenClaims struct {
	Issuer   string          `json:"iss"`
	Subject  string          `json:"sub"`
	Email    string          `json:"email"`
	Audience json.RawMessage `json:"aud"`
	Expiry   *int64          `json:"exp"`
}

func (f *FulcioServer) signingCert(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeGRPCError(w, http.StatusBadRequest, 3, "content type must be application/json")
		return
	}
	var req struct {
		Credentials struct {
			OIDCIdentityToken string `json:"oidcIdentityToken"`
		} `json:"credentials"`
		CertificateSigningRequest []byte `json:"certificateSigningRequest"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeGRPCError(w, http.StatusBadRequest, 3, "malformed request: "+err.Error())
		return
	}
	claims, err := f.checkToken(req.Credentials.OIDCIdentityToken)
	if err != nil {
		// Fulcio says only this much, whatever is wrong with the token.
		writeGRPCError(w, http.StatusBadRequest, 3, "There was an error processing the identity token")
		return
	}
	block, _ := pem.Decode(req.CertificateSigningRequest)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		writeGRPCError(w, http.StatusBadRequest, 3, "The certificate signing request could not be parsed")
		return
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		writeGRPCError(w, http.StatusBadRequest, 3, "The certificate signing request could not be parsed")
		return
	}
	if err := csr.CheckSignature(); err != nil {
		writeGRPCError(w, http.StatusBadRequest, 3, "The signature supplied in the request could not be verified")
		return
	}

	pub := csr.PublicKey
	if f.opts.WrongKey {
		other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			writeGRPCError(w, http.StatusInternalServerError, 13, err.Error())
			return
		}
		pub = other.Public()
	}
	lo := f.opts.Leaf
	if lo.Email == "" && lo.URI == "" && lo.Username == "" {
		switch {
		case claims.Email != "":
			lo.Email = claims.Email
		case strings.Contains(claims.Subject, "://"):
			lo.URI = claims.Subject
		default:
			lo.Username = claims.Subject
		}
	}
	if lo.Issuer == "" {
		lo.Issuer = claims.Issuer
	}
	if f.opts.Detached {
		lo.NoSCTs = true
	}

	f.mu.Lock()
	leaf := f.ca.IssueLeaf(pub, lo)
	f.issued = append(f.issued, leaf)
	known := false
	for _, iss := range f.issuers {
		known = known || iss == claims.Issuer
	}
	if !known {
		f.issuers = append(f.issuers, claims.Issuer)
	}
	f.mu.Unlock()

	chain := map[string]any{"certificates": []string{
		string(PEMCertificate(leaf.Raw)), string(PEMCertificate(f.ca.intermediate.Raw)), string(PEMCertificate(f.ca.root.Raw)),
	}}
	if f.opts.Detached {
		writeJSON(w, http.StatusOK, map[string]any{"signedCertificateDetachedSct": map[string]any{"chain": chain}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"signedCertificateEmbeddedSct": map[string]any{"chain": chain}})
}

func (f *FulcioServer) checkToken(token string) (*fulcioTokenClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c fulcioTokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	if c.Issuer == "" || (c.Subject == "" && c.Email == "") {
		return nil, errors.New("token names no issuer or subject")
	}
	if c.Expiry == nil || time.Unix(*c.Expiry, 0).Before(f.ca.now) {
		return nil, errors.New("token expired")
	}
	var one string
	var many []string
	switch {
	case json.Unmarshal(c.Audience, &one) == nil:
		many = []string{one}
	case json.Unmarshal(c.Audience, &many) == nil:
	default:
		return nil, errors.New("token has no audience")
	}
	for _, a := range many {
		if a == f.opts.Audience {
			return &c, nil
		}
	}
	return nil, fmt.Errorf("token audience %q is not %q", many, f.opts.Audience)
}

// UnsignedToken returns a JWT with the given claims and no valid signature, for fakes that do
// not check signatures. Claims default to an email identity at a test issuer, audience
// "sigstore", expiring an hour after now.
func UnsignedToken(now time.Time, claims map[string]any) string {
	c := map[string]any{
		"iss":            "https://oauth2.sigstoretest.invalid/auth",
		"sub":            "user@sigstoretest.invalid",
		"email":          "user@sigstoretest.invalid",
		"email_verified": true,
		"aud":            "sigstore",
		"iat":            now.Unix(),
		"exp":            now.Add(time.Hour).Unix(),
	}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "ES256", "typ": "JWT"}) + "." + enc(c) + "." +
		base64.RawURLEncoding.EncodeToString([]byte("not a signature"))
}

// Now is the CA's clock: the time it issues leaves at.
func (ca *CA) Now() time.Time { return ca.now }

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeGRPCError answers as grpc-gateway does: {"code": <gRPC code>, "message", "details": []}.
func writeGRPCError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{"code": code, "message": message, "details": []any{}})
}
