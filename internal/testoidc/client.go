package testoidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// FetchToken asks the issuer running at issuerURL for a token, with
// GET <issuerURL>/token. A nil client means http.DefaultClient.
func FetchToken(ctx context.Context, client *http.Client, issuerURL string, req Request) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	v, err := req.values()
	if err != nil {
		return "", err
	}
	u := strings.TrimSuffix(issuerURL, "/") + "/token"
	if q := v.Encode(); q != "" {
		u += "?" + q
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("testoidc: %w", err)
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return "", fmt.Errorf("testoidc: fetch token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("testoidc: fetch token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("testoidc: fetch token: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return strings.TrimSpace(string(body)), nil
}

// values encodes req as the token endpoint's query fields.
func (req Request) values() (url.Values, error) {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("sub", req.Subject)
	set("email", req.Email)
	set("aud", req.Audience)
	if req.EmailUnverified {
		v.Set("email_verified", strconv.FormatBool(false))
	}
	if req.TTL != 0 {
		v.Set("ttl", req.TTL.String())
	}
	if req.Age != 0 {
		v.Set("age", req.Age.String())
	}
	if len(req.Claims) > 0 {
		b, err := json.Marshal(req.Claims)
		if err != nil {
			return nil, fmt.Errorf("testoidc: claims: %w", err)
		}
		v.Set("claims", string(b))
	}
	return v, nil
}
