// Command mktrust writes the trust material of a running private Sigstore:
// a TrustedRoot, a SigningConfig v0.2 and a ClientTrustConfig built from what
// the services serve. scripts/stack/up.sh runs it after every start (the TSA's
// in-memory chain changes at each start).
//
//	mktrust --out-dir .cache/stack/run \
//	  --fulcio-url http://127.0.0.1:5555 --oidc-url http://127.0.0.1:8090 \
//	  --tsa-url http://127.0.0.1:3004 \
//	  --rekor-v2-url http://127.0.0.1:3000 --rekor-v2-key rekor2.pub.pem [--rekor-v2-origin 127.0.0.1] \
//	  [--rekor-v1-url http://127.0.0.1:3010] [--ctlog-url http://127.0.0.1:6962/test --ctlog-key ct.pub.pem]
//
// Sources: Fulcio GET /api/v2/trustBundle; TSA GET /api/v1/timestamp/certchain;
// Rekor v1 GET /api/v1/log/publicKey; Rekor v2 and CT log keys from PEM files
// (neither serves its key). Outputs in --out-dir: trusted_root.json,
// signing_config.json, trust_config.json; with both Rekor v1 and v2 also
// signing_config.rekor-v1.json / trust_config.rekor-v1.json (Rekor v1 only) and
// the .rekor-v2 pair, because a client that speaks v2 uses only the highest
// API version a signing config lists and would never reach Rekor v1.
package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

type options struct {
	outDir       string
	operator     string
	start        time.Time
	fulcioURL    string
	oidcURL      string
	tsaURL       string
	rekorV2URL   string
	rekorV2Key   string
	rekorV2Orig  string
	rekorV1URL   string
	ctlogURL     string
	ctlogKey     string
	fetchTimeout time.Duration
}

func main() {
	var o options
	var startFlag string
	flag.StringVar(&o.outDir, "out-dir", ".", "directory to write the documents to")
	flag.StringVar(&o.operator, "operator", "signet-local", "operator name on every service")
	flag.StringVar(&startFlag, "valid-from", "", "RFC 3339 validity start for logs and services (default: one minute ago)")
	flag.StringVar(&o.fulcioURL, "fulcio-url", "", "Fulcio base URL")
	flag.StringVar(&o.oidcURL, "oidc-url", "", "OIDC issuer URL")
	flag.StringVar(&o.tsaURL, "tsa-url", "", "timestamp authority base URL")
	flag.StringVar(&o.rekorV2URL, "rekor-v2-url", "", "Rekor v2 base URL")
	flag.StringVar(&o.rekorV2Key, "rekor-v2-key", "", "Rekor v2 public key (PEM)")
	flag.StringVar(&o.rekorV2Orig, "rekor-v2-origin", "", "Rekor v2 checkpoint origin (default: host of --rekor-v2-url)")
	flag.StringVar(&o.rekorV1URL, "rekor-v1-url", "", "Rekor v1 base URL (optional)")
	flag.StringVar(&o.ctlogURL, "ctlog-url", "", "CT log URL with its prefix, e.g. http://127.0.0.1:6962/test (optional)")
	flag.StringVar(&o.ctlogKey, "ctlog-key", "", "CT log public key (PEM)")
	flag.DurationVar(&o.fetchTimeout, "timeout", 10*time.Second, "timeout for each fetch")
	flag.Parse()
	o.start = time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	if startFlag != "" {
		t, err := time.Parse(time.RFC3339, startFlag)
		if err != nil {
			log.Fatalf("mktrust: --valid-from: %v", err)
		}
		o.start = t
	}
	if err := run(context.Background(), o); err != nil {
		log.Fatalf("mktrust: %v", err)
	}
}

func run(ctx context.Context, o options) error {
	if o.fulcioURL == "" || o.oidcURL == "" || o.tsaURL == "" || o.rekorV2URL == "" || o.rekorV2Key == "" {
		return errors.New("--fulcio-url, --oidc-url, --tsa-url, --rekor-v2-url and --rekor-v2-key are required")
	}
	if (o.ctlogURL == "") != (o.ctlogKey == "") {
		return errors.New("--ctlog-url and --ctlog-key go together")
	}
	f := fetcher{client: &http.Client{Timeout: o.fetchTimeout}}
	in := &Instance{Operator: o.operator, Start: o.start, OIDCURL: trim(o.oidcURL)}

	caChain, err := f.fulcioChain(ctx, trim(o.fulcioURL))
	if err != nil {
		return err
	}
	in.CA = &Authority{URL: trim(o.fulcioURL), Chain: caChain}

	tsaChain, err := f.pemChain(ctx, trim(o.tsaURL)+"/api/v1/timestamp/certchain")
	if err != nil {
		return fmt.Errorf("tsa: %w", err)
	}
	in.TSA = &Authority{URL: trim(o.tsaURL) + "/api/v1/timestamp", Chain: tsaChain}

	v2Key, err := readPublicKey(o.rekorV2Key)
	if err != nil {
		return fmt.Errorf("rekor v2: %w", err)
	}
	origin := o.rekorV2Orig
	if origin == "" {
		u, err := url.Parse(o.rekorV2URL)
		if err != nil {
			return fmt.Errorf("--rekor-v2-url: %w", err)
		}
		origin = u.Hostname()
	}
	in.Logs = append(in.Logs, Log{Kind: RekorV2, BaseURL: trim(o.rekorV2URL), Key: v2Key, Origin: origin})

	if o.rekorV1URL != "" {
		keys, err := f.pemPublicKey(ctx, trim(o.rekorV1URL)+"/api/v1/log/publicKey")
		if err != nil {
			return fmt.Errorf("rekor v1: %w", err)
		}
		in.Logs = append(in.Logs, Log{Kind: RekorV1, BaseURL: trim(o.rekorV1URL), Key: keys})
	}
	if o.ctlogURL != "" {
		k, err := readPublicKey(o.ctlogKey)
		if err != nil {
			return fmt.Errorf("ct log: %w", err)
		}
		in.CTLogs = append(in.CTLogs, Log{Kind: CTLog, BaseURL: trim(o.ctlogURL), Key: k})
	}

	tr, err := in.TrustedRoot()
	if err != nil {
		return err
	}
	if err := writeProto(filepath.Join(o.outDir, "trusted_root.json"), tr); err != nil {
		return err
	}
	type variant struct {
		suffix string
		keep   func(Log) bool
	}
	variants := []variant{{"", nil}}
	if o.rekorV1URL != "" {
		variants = append(variants,
			variant{".rekor-v1", func(l Log) bool { return l.Kind == RekorV1 }},
			variant{".rekor-v2", func(l Log) bool { return l.Kind == RekorV2 }})
	}
	for _, v := range variants {
		sc, err := in.SigningConfig(v.keep)
		if err != nil {
			return err
		}
		if err := writeProto(filepath.Join(o.outDir, "signing_config"+v.suffix+".json"), sc); err != nil {
			return err
		}
		if err := writeProto(filepath.Join(o.outDir, "trust_config"+v.suffix+".json"), ClientTrustConfig(tr, sc)); err != nil {
			return err
		}
	}
	return nil
}

func trim(u string) string { return strings.TrimSuffix(u, "/") }

type fetcher struct{ client *http.Client }

func (f fetcher) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", u, resp.Status, body)
	}
	return body, nil
}

// fulcioChain reads GET /api/v2/trustBundle: {"chains":[{"certificates":[PEM,...]}]}.
// A private Fulcio has one chain; more than one is refused rather than guessed at.
func (f fetcher) fulcioChain(ctx context.Context, base string) ([]*x509.Certificate, error) {
	body, err := f.get(ctx, base+"/api/v2/trustBundle")
	if err != nil {
		return nil, fmt.Errorf("fulcio: %w", err)
	}
	var tb struct {
		Chains []struct {
			Certificates []string `json:"certificates"`
		} `json:"chains"`
	}
	if err := json.Unmarshal(body, &tb); err != nil {
		return nil, fmt.Errorf("fulcio trust bundle: %w", err)
	}
	if len(tb.Chains) != 1 {
		return nil, fmt.Errorf("fulcio trust bundle has %d chains, want 1", len(tb.Chains))
	}
	return parsePEMChain([]byte(strings.Join(tb.Chains[0].Certificates, "\n")))
}

func (f fetcher) pemChain(ctx context.Context, u string) ([]*x509.Certificate, error) {
	body, err := f.get(ctx, u)
	if err != nil {
		return nil, err
	}
	return parsePEMChain(body)
}

func (f fetcher) pemPublicKey(ctx context.Context, u string) (crypto.PublicKey, error) {
	body, err := f.get(ctx, u)
	if err != nil {
		return nil, err
	}
	return parsePublicKey(body)
}

func parsePEMChain(b []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, errors.New("no PEM certificates")
	}
	return chain, nil
}

func readPublicKey(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parsePublicKey(b)
}

func parsePublicKey(b []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("want a PEM PUBLIC KEY block")
	}
	return x509.ParsePKIXPublicKey(block.Bytes)
}

func writeProto(path string, m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
	if err != nil {
		return err
	}
	// protojson output is deliberately unstable in whitespace; normalise it so
	// files diff cleanly between runs.
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	b, err = json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
