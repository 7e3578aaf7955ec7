package cli

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/rekor"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/tsa"
)

// Output formats of signet trust create.
const (
	formatClientTrustConfig = "client-trust-config"
	formatTrustedRoot       = "trusted-root"
	formatSigningConfig     = "signing-config"
)

// Kinds of part that --operator KIND=NAME can name.
var operatorKinds = []string{"ca", "oidc", "rekor", "rekor-v2", "ctlog", "tsa"}

type trustCreateOptions struct {
	out          string
	format       string
	overwrite    bool
	fromServices bool
	timeout      time.Duration

	fulcioURL   string
	caChains    []string
	caURI       string
	caValidFrom string

	rekorURL      string
	rekorKey      string
	rekorV2URL    string
	rekorV2Key    string
	rekorV2Origin string
	ctlogURL      string
	ctlogKey      string

	tsaURL          string
	tsaChains       []string
	tsaValidFrom    string
	oidcURL         string
	tlogSelector    string
	tsaSelector     string
	signingRekor    string
	operators       []string
	validFrom       string
	trustedRootVers string
}

func newTrustCreateCmd(env *Env) *cobra.Command {
	o := &trustCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create --out FILE [--format client-trust-config|trusted-root|signing-config] PARTS...",
		Short: "Build the trust material of a private Sigstore or an enterprise CA, from its parts or its live services",
		Long: `Create builds the trust material that describes one Sigstore deployment: a ClientTrustConfig
(the default: trusted root and signing config in one file, for --trust-config), a TrustedRoot or a
SigningConfig. Hand the file to your users: they sign and verify with --trust-config FILE.

Each part is a URL and its material: the certificate authority's PEM chain (--ca-chain, a private
Fulcio's with --fulcio-url, or an enterprise CA's), transparency logs' and CT logs' PEM public keys,
timestamp authorities' PEM chains. With --from-services, the material that services serve is
fetched from them instead: Fulcio's chains (GET /api/v2/trustBundle), Rekor v1's key
(GET /api/v1/log/publicKey) and the timestamp authority's chain (GET /api/v1/timestamp/certchain).
Rekor v2 and CT logs serve no key: --rekor-v2-key and --ctlog-key are always needed.

Log ids are computed as each kind of log defines them: SHA-256 of the DER public key for Rekor v1
and CT logs, the C2SP signed-note key ID of the checkpoint origin and key for Rekor v2. Every part is
checked (chains are chains up to a self-signed root, keys parse, URLs are http(s), selectors can be
met, each signing service is in the trusted root), and the file loads back into signet before it is
written, atomically, never over an existing file without --overwrite.

The trusted root is TrustedRoot v0.1, which every Sigstore client reads, unless
--trusted-root-version 0.2 asks for v0.2, which adds each log's operator and checkpoint key ID.`,
		Example: `  # From the live services of a private deployment:
  signet trust create --out corp.json --from-services --operator example.com \
    --fulcio-url https://fulcio.example.com --oidc-url https://oidc.example.com \
    --rekor-v2-url https://rekor.example.com --rekor-v2-key rekor.pub \
    --tsa-url https://tsa.example.com

  # From parts: an enterprise CA, a Rekor v1 log and a timestamp authority:
  signet trust create --out corp.json --ca-chain corp-ca.pem \
    --rekor-url https://rekor.example.com --rekor-key rekor.pub \
    --tsa-url https://tsa.example.com/api/v1/timestamp --tsa-chain tsa-chain.pem`,
		Args: exactArgs(0, "no arguments (parts are given with flags)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrustCreate(cmd.Context(), env, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.out, "out", "", "write the document to this `file` (required)")
	fs.StringVar(&o.format, "format", formatClientTrustConfig, "document to write: client-trust-config, trusted-root or signing-config")
	fs.BoolVar(&o.overwrite, "overwrite", false, "replace an existing --out file")
	fs.BoolVar(&o.fromServices, "from-services", false, "fetch the CA chain, the Rekor v1 key and the TSA chain from the live services when no file gives them")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "time limit for each call to a service, retries included (--from-services)")

	fs.StringVar(&o.fulcioURL, "fulcio-url", "", "Fulcio `URL`: the certificate authority signers get certificates from")
	fs.StringArrayVar(&o.caChains, "ca-chain", nil, "PEM `file` of a CA chain, the CA's certificates up to its self-signed root (Fulcio's with --fulcio-url, else an enterprise CA's); repeatable")
	fs.StringVar(&o.caURI, "ca-uri", "", "`URI` that names an enterprise CA in the trusted root (without --fulcio-url)")
	fs.StringVar(&o.caValidFrom, "ca-valid-from", "", "RFC 3339 `time` the CA is trusted from (default: when its whole chain is valid)")
	fs.StringVar(&o.rekorURL, "rekor-url", "", "Rekor v1 `URL`")
	fs.StringVar(&o.rekorKey, "rekor-key", "", "PEM public key `file` of the Rekor v1 log (or --from-services)")
	fs.StringVar(&o.rekorV2URL, "rekor-v2-url", "", "Rekor v2 `URL`")
	fs.StringVar(&o.rekorV2Key, "rekor-v2-key", "", "PEM public key `file` of the Rekor v2 log (its checkpoint signing key)")
	fs.StringVar(&o.rekorV2Origin, "rekor-v2-origin", "", "checkpoint `origin` of the Rekor v2 log (its --hostname; default: the host of --rekor-v2-url)")
	fs.StringVar(&o.ctlogURL, "ctlog-url", "", "CT log `URL`, with its prefix (e.g. https://ct.example.com/2025)")
	fs.StringVar(&o.ctlogKey, "ctlog-key", "", "PEM public key `file` of the CT log")
	fs.StringVar(&o.tsaURL, "tsa-url", "", "timestamp authority `URL`: its timestamp endpoint, or its base URL, to which /api/v1/timestamp is added")
	fs.StringArrayVar(&o.tsaChains, "tsa-chain", nil, "PEM `file` of the TSA's chain: its timestamping certificate up to the root (or --from-services); repeatable")
	fs.StringVar(&o.tsaValidFrom, "tsa-valid-from", "", "RFC 3339 `time` the TSA is trusted from (default: when its whole chain is valid)")
	fs.StringVar(&o.oidcURL, "oidc-url", "", "OIDC issuer `URL` signers get identity tokens from")
	fs.StringVar(&o.tlogSelector, "tlog-selector", "ANY", "how signers pick transparency logs: ALL, ANY or EXACT:n")
	fs.StringVar(&o.tsaSelector, "tsa-selector", "ANY", "how signers pick timestamp authorities: ALL, ANY or EXACT:n")
	fs.StringVar(&o.signingRekor, "signing-rekor", "all", "which Rekor logs the signing config lists: all, v1, v2 or none (the trusted root lists every log)")
	fs.StringArrayVar(&o.operators, "operator", nil, "operator `NAME` of every part (a scheme-less URI such as example.com), or KIND=NAME for one kind (ca, oidc, rekor, rekor-v2, ctlog, tsa); repeatable")
	fs.StringVar(&o.validFrom, "valid-from", "", "RFC 3339 `time` logs and services are trusted from (default: now)")
	fs.StringVar(&o.trustedRootVers, "trusted-root-version", "0.1", "TrustedRoot version to write: 0.1 (read by every client) or 0.2 (adds log operators and checkpoint key IDs)")
	return cmd
}

// createPlan is what the flags ask for, checked and parsed.
type createPlan struct {
	validFrom, caValidFrom, tsaValidFrom time.Time
	tlogSelector, tsaSelector            trust.Selector
	operators                            map[string]string // by kind; "" is the default
	tsaURL                               string
	signV1, signV2                       bool
	rootMediaType                        string
	needRoot                             bool // build a trusted root (all formats but a bare signing config)
}

func (o *trustCreateOptions) operator(p *createPlan, kind string) string {
	if op, ok := p.operators[kind]; ok {
		return op
	}
	return p.operators[""]
}

// plan checks the flags on their own, before any file is read or service asked.
func (o *trustCreateOptions) plan(now time.Time) (*createPlan, error) {
	p := &createPlan{operators: map[string]string{}}
	if o.out == "" {
		return nil, usagef("--out is required: the file to write")
	}
	switch o.format {
	case formatClientTrustConfig, formatTrustedRoot, formatSigningConfig:
	default:
		return nil, usagef("--format must be client-trust-config, trusted-root or signing-config, not %q", o.format)
	}
	switch o.trustedRootVers {
	case "0.1", "v0.1":
		p.rootMediaType = trust.TrustedRootMediaType01
	case "0.2", "v0.2":
		p.rootMediaType = trust.TrustedRootMediaType02
	default:
		return nil, usagef("--trusted-root-version must be 0.1 or 0.2, not %q", o.trustedRootVers)
	}
	if o.timeout <= 0 {
		return nil, usagef("--timeout must be positive")
	}
	for _, u := range []struct{ flag, value string }{{"fulcio-url", o.fulcioURL}, {"ca-uri", o.caURI}, {"rekor-url", o.rekorURL},
		{"rekor-v2-url", o.rekorV2URL}, {"ctlog-url", o.ctlogURL}, {"tsa-url", o.tsaURL}, {"oidc-url", o.oidcURL}} {
		if u.value == "" {
			continue
		}
		if err := trust.CheckURL(u.value); err != nil {
			return nil, usagef("--%s: %s", u.flag, strings.TrimPrefix(err.Error(), trust.ErrMalformed.Error()+": "))
		}
	}
	p.tsaURL = timestampURL(o.tsaURL)
	var err error
	if p.tlogSelector, err = trust.ParseSelector(o.tlogSelector); err != nil {
		return nil, usagef("--tlog-selector: %v", err)
	}
	if p.tsaSelector, err = trust.ParseSelector(o.tsaSelector); err != nil {
		return nil, usagef("--tsa-selector: %v", err)
	}
	switch o.signingRekor {
	case "all":
		p.signV1, p.signV2 = true, true
	case "v1":
		p.signV1 = true
	case "v2":
		p.signV2 = true
	case "none":
	default:
		return nil, usagef("--signing-rekor must be all, v1, v2 or none, not %q", o.signingRekor)
	}
	for _, op := range o.operators {
		kind, name, hasKind := strings.Cut(op, "=")
		if !hasKind {
			kind, name = "", op
		} else if !slices.Contains(operatorKinds, kind) {
			return nil, usagef("--operator %q: unknown kind %q (%s)", op, kind, strings.Join(operatorKinds, ", "))
		}
		if name == "" || strings.Contains(name, "://") || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' }) {
			return nil, usagef("--operator %q: an operator is a scheme-less URI such as example.com", op)
		}
		if _, dup := p.operators[kind]; dup {
			return nil, usagef("--operator %q: given twice", op)
		}
		p.operators[kind] = name
	}
	p.validFrom = now.UTC().Truncate(time.Second)
	for _, t := range []struct {
		flag, value string
		out         *time.Time
	}{{"valid-from", o.validFrom, &p.validFrom}, {"ca-valid-from", o.caValidFrom, &p.caValidFrom}, {"tsa-valid-from", o.tsaValidFrom, &p.tsaValidFrom}} {
		if t.value == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.value)
		if err != nil {
			return nil, usagef("--%s wants an RFC 3339 time such as 2026-01-02T15:04:05Z, not %q", t.flag, t.value)
		}
		*t.out = v.UTC()
	}

	// Which flags go together.
	together := func(a, av, b, bv string) error {
		if av != "" && bv == "" {
			return usagef("--%s goes with --%s", a, b)
		}
		return nil
	}
	for _, pair := range [][4]string{
		{"rekor-key", o.rekorKey, "rekor-url", o.rekorURL},
		{"rekor-v2-key", o.rekorV2Key, "rekor-v2-url", o.rekorV2URL},
		{"rekor-v2-origin", o.rekorV2Origin, "rekor-v2-url", o.rekorV2URL},
		{"ctlog-key", o.ctlogKey, "ctlog-url", o.ctlogURL},
		{"ctlog-url", o.ctlogURL, "ctlog-key", o.ctlogKey},
		{"tsa-valid-from", o.tsaValidFrom, "tsa-url", o.tsaURL},
	} {
		if err := together(pair[0], pair[1], pair[2], pair[3]); err != nil {
			return nil, err
		}
	}
	if len(o.tsaChains) > 0 && o.tsaURL == "" {
		return nil, usagef("--tsa-chain goes with --tsa-url (the timestamp endpoint signers call)")
	}
	if o.caURI != "" && o.fulcioURL != "" {
		return nil, usagef("--ca-uri names an enterprise CA; a Fulcio's chains are named by --fulcio-url")
	}
	if o.caValidFrom != "" && o.fulcioURL == "" && len(o.caChains) == 0 {
		return nil, usagef("--ca-valid-from goes with --ca-chain or --fulcio-url")
	}
	if o.caURI != "" && len(o.caChains) == 0 {
		return nil, usagef("--ca-uri goes with --ca-chain")
	}

	// A bare signing config needs no material; anything else needs all of it.
	hasMaterial := len(o.caChains) > 0 || o.rekorKey != "" || o.rekorV2Key != "" || o.ctlogKey != "" || len(o.tsaChains) > 0 || o.fromServices
	p.needRoot = o.format != formatSigningConfig || hasMaterial
	if p.needRoot {
		fetch := " (or --from-services to fetch it from the service)"
		switch {
		case o.fulcioURL != "" && len(o.caChains) == 0 && !o.fromServices:
			return nil, usagef("--fulcio-url needs --ca-chain, the CA's PEM chain%s", fetch)
		case o.rekorURL != "" && o.rekorKey == "" && !o.fromServices:
			return nil, usagef("--rekor-url needs --rekor-key, the log's PEM public key%s", fetch)
		case o.rekorV2URL != "" && o.rekorV2Key == "":
			return nil, usagef("--rekor-v2-url needs --rekor-v2-key, the log's PEM public key (Rekor v2 does not serve it)")
		case o.tsaURL != "" && len(o.tsaChains) == 0 && !o.fromServices:
			return nil, usagef("--tsa-url needs --tsa-chain, the TSA's PEM chain%s", fetch)
		}
	}
	if o.fulcioURL == "" && len(o.caChains) == 0 && o.rekorURL == "" && o.rekorV2URL == "" && o.ctlogURL == "" && o.tsaURL == "" &&
		(o.format != formatSigningConfig || o.oidcURL == "") {
		return nil, usagef("nothing to describe: give at least a certificate authority (--fulcio-url, --ca-chain), a log (--rekor-url, --rekor-v2-url) or a timestamp authority (--tsa-url)")
	}
	// EXACT:n must be possible: signers pick one log per operator, of the highest API version.
	if p.tlogSelector.Kind == pbtrust.ServiceSelector_EXACT {
		n := 0
		if (p.signV2 && o.rekorV2URL != "") || (p.signV1 && o.rekorURL != "") {
			n = 1
		}
		if uint32(n) < p.tlogSelector.Count {
			return nil, usagef("--tlog-selector %s: signers can pick only %d transparency log (one per operator, of the highest API version listed)", p.tlogSelector, n)
		}
	}
	if p.tsaSelector.Kind == pbtrust.ServiceSelector_EXACT {
		n := 0
		if o.tsaURL != "" {
			n = 1
		}
		if uint32(n) < p.tsaSelector.Count {
			return nil, usagef("--tsa-selector %s: the signing config lists %d timestamp authority", p.tsaSelector, n)
		}
	}
	return p, nil
}

// timestampURL is the timestamp endpoint of a TSA URL: a base URL without a path gets
// sigstore timestamp-authority's /api/v1/timestamp.
func timestampURL(u string) string {
	if u == "" {
		return ""
	}
	if p, err := url.Parse(u); err == nil && (p.Path == "" || p.Path == "/") {
		return strings.TrimSuffix(u, "/") + "/api/v1/timestamp"
	}
	return u
}

func runTrustCreate(ctx context.Context, env *Env, o *trustCreateOptions) error {
	p, err := o.plan(env.Now())
	if err != nil {
		return err
	}
	// Refuse an output that cannot be written before reading or fetching anything.
	if err := checkNewOutput(o.out, o.overwrite); err != nil {
		return err
	}
	var notes []string
	warn := func(format string, args ...any) { notes = append(notes, "warning: "+fmt.Sprintf(format, args...)) }
	note := func(format string, args ...any) { notes = append(notes, "note: "+fmt.Sprintf(format, args...)) }
	parts, err := o.parts(ctx, env, p, warn, note)
	if err != nil {
		return err
	}

	var doc proto.Message
	var desc string
	switch {
	case o.format == formatTrustedRoot:
		tr, err := parts.TrustedRoot()
		if err != nil {
			return partsError(err)
		}
		doc, desc = tr, describeRoot(tr)
	case o.format == formatSigningConfig && !p.needRoot:
		sc, err := parts.SigningConfig()
		if err != nil {
			return partsError(err)
		}
		doc, desc = sc, describeSC(sc)
	default:
		ctc, err := parts.ClientTrustConfig()
		if err != nil {
			return partsError(err)
		}
		doc, desc = ctc, describeRoot(ctc.GetTrustedRoot())+"; "+describeSC(ctc.GetSigningConfig())
		if o.format == formatSigningConfig {
			doc, desc = ctc.GetSigningConfig(), describeSC(ctc.GetSigningConfig())
		}
	}
	data, err := trust.Marshal(doc)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(o.out, data, 0o644, o.overwrite); err != nil {
		return withHint(err, createOutputHint(err))
	}
	for _, n := range notes {
		fmt.Fprintf(env.Stderr, "signet: %s\n", n)
	}
	fmt.Fprintf(env.Stderr, "signet: wrote %s: %s\n", o.out, desc)
	return nil
}

func createOutputHint(err error) string {
	if errors.Is(err, errExists) {
		return "pass --overwrite to replace it"
	}
	return "check that the output file's directory exists and is writable"
}

// checkNewOutput makes sure that out can be written: it does not exist (unless overwrite),
// and its directory takes new files.
func checkNewOutput(out string, overwrite bool) error {
	if _, err := os.Lstat(out); err == nil && !overwrite {
		return withHint(fmt.Errorf("%w: %s (use --overwrite to replace it)", errExists, out), "pass --overwrite to replace it")
	}
	return withHint(checkDirWritable(filepath.Dir(out), "files"), "check that the output file's directory exists and is writable")
}

// partsError explains a part the builder refused.
func partsError(err error) error {
	return withHint(err, "each CA chain runs from the CA's certificate up to its self-signed root, each TSA chain from the timestamping certificate up to its root, in PEM; keys are PEM public keys")
}

// parts reads the files, fetches what --from-services allows, and assembles the parts.
func (o *trustCreateOptions) parts(ctx context.Context, env *Env, p *createPlan, warn, note func(string, ...any)) (*trust.Parts, error) {
	parts := &trust.Parts{
		TlogSelector:         p.tlogSelector,
		TSASelector:          p.tsaSelector,
		ValidFrom:            p.validFrom,
		TrustedRootMediaType: p.rootMediaType,
	}
	fetched := func(err error) error { return withHint(err, fetchHint) }
	var fulcioClient *fulcio.Client
	if o.fulcioURL != "" {
		fulcioClient = &fulcio.Client{BaseURL: o.fulcioURL, HTTP: env.HTTP}
		fulcioClient.Retry.MaxElapsed = o.timeout
	}

	// Certificate authorities.
	if p.needRoot {
		var chains [][]*x509.Certificate
		for _, path := range o.caChains {
			chain, err := loadChain("ca-chain", path, trust.CAChain)
			if err != nil {
				return nil, err
			}
			chains = append(chains, chain)
		}
		if len(chains) == 0 && o.fulcioURL != "" {
			tb, err := fulcioClient.TrustBundle(ctx)
			if err != nil {
				return nil, fetched(err)
			}
			chains = tb.Chains
		}
		uri := o.fulcioURL
		if uri == "" {
			uri = o.caURI
		}
		for _, chain := range chains {
			parts.CertificateAuthorities = append(parts.CertificateAuthorities, trust.AuthorityPart{
				URI: uri, Chain: chain, ValidFrom: p.caValidFrom, Operator: o.operator(p, "ca")})
		}
	}
	if o.fulcioURL != "" {
		parts.CAServices = []trust.ServicePart{{URL: o.fulcioURL, MajorAPIVersion: 1, Operator: o.operator(p, "ca")}}
	}
	if o.oidcURL != "" {
		parts.OIDCServices = []trust.ServicePart{{URL: o.oidcURL, MajorAPIVersion: 1, Operator: o.operator(p, "oidc")}}
	}

	// Logs.
	if o.rekorURL != "" {
		if p.needRoot {
			key, err := o.logKey(ctx, env, "rekor-key", o.rekorKey, o.rekorURL)
			if err != nil {
				return nil, err
			}
			parts.Tlogs = append(parts.Tlogs, trust.LogPart{Kind: trust.RekorV1, URL: o.rekorURL, Key: key, Operator: o.operator(p, "rekor")})
		}
		if p.signV1 {
			parts.TlogServices = append(parts.TlogServices, trust.ServicePart{URL: o.rekorURL, MajorAPIVersion: 1, Operator: o.operator(p, "rekor")})
		}
	}
	if o.rekorV2URL != "" {
		if p.needRoot {
			key, err := o.logKey(ctx, env, "rekor-v2-key", o.rekorV2Key, o.rekorV2URL)
			if err != nil {
				return nil, err
			}
			parts.Tlogs = append(parts.Tlogs, trust.LogPart{Kind: trust.RekorV2, URL: o.rekorV2URL, Key: key,
				Origin: o.rekorV2Origin, Operator: o.operator(p, "rekor-v2")})
		}
		if p.signV2 {
			parts.TlogServices = append(parts.TlogServices, trust.ServicePart{URL: o.rekorV2URL, MajorAPIVersion: 2, Operator: o.operator(p, "rekor-v2")})
		}
	}
	if o.ctlogURL != "" && p.needRoot {
		key, err := o.logKey(ctx, env, "ctlog-key", o.ctlogKey, o.ctlogURL)
		if err != nil {
			return nil, err
		}
		parts.CTLogs = append(parts.CTLogs, trust.LogPart{Kind: trust.CTLog, URL: o.ctlogURL, Key: key, Operator: o.operator(p, "ctlog")})
	}

	// Timestamp authorities.
	if p.tsaURL != "" {
		if p.needRoot {
			var chains [][]*x509.Certificate
			for _, path := range o.tsaChains {
				chain, err := loadChain("tsa-chain", path, trust.TSAChain)
				if err != nil {
					return nil, err
				}
				chains = append(chains, chain)
			}
			if len(chains) == 0 {
				c := &tsa.Client{URL: p.tsaURL, HTTP: env.HTTP}
				c.Retry.MaxElapsed = o.timeout
				chain, err := c.CertChain(ctx)
				if err != nil {
					return nil, fetched(err)
				}
				chains = append(chains, chain)
			}
			for _, chain := range chains {
				parts.TimestampAuthorities = append(parts.TimestampAuthorities, trust.AuthorityPart{
					URI: p.tsaURL, Chain: chain, ValidFrom: p.tsaValidFrom, Operator: o.operator(p, "tsa")})
			}
		}
		parts.TSAServices = []trust.ServicePart{{URL: p.tsaURL, MajorAPIVersion: 1, Operator: o.operator(p, "tsa")}}
	}

	o.checkSense(ctx, p, parts, fulcioClient, warn, note)
	return parts, nil
}

// logKey reads a log's key from its file, or fetches it from a Rekor v1 log.
func (o *trustCreateOptions) logKey(ctx context.Context, env *Env, flag, path, logURL string) (crypto.PublicKey, error) {
	if path != "" {
		key, err := loadPublicKey(path)
		if err != nil {
			return nil, withHint(fmt.Errorf("--%s: %w", flag, err), "a log key is a PEM public key (\"PUBLIC KEY\" or \"RSA PUBLIC KEY\")")
		}
		if _, err := trust.KeyDetails(key); err != nil {
			return nil, fmt.Errorf("--%s %s: %w", flag, path, err)
		}
		return key, nil
	}
	c := &rekor.Client{BaseURL: logURL, Version: 1, HTTP: env.HTTP}
	c.Retry.MaxElapsed = o.timeout
	key, err := c.PublicKey(ctx)
	return key, withHint(err, fetchHint)
}

// fetchHint is the hint for a service that did not hand out its material.
const fetchHint = "check that the service is up and its URL right, or give its material as a file; --timeout allows more time"

// loadChain reads a PEM chain and checks that it is a chain of its kind.
func loadChain(flag, path string, kind trust.ChainKind) ([]*x509.Certificate, error) {
	chain, err := loadCertificates(path)
	if err != nil {
		return nil, withHint(fmt.Errorf("--%s: %w", flag, err), "a chain is a PEM file of CERTIFICATE blocks")
	}
	if _, err := trust.CheckChain(chain, kind); err != nil {
		return nil, partsError(fmt.Errorf("--%s %s: %w", flag, path, err))
	}
	return chain, nil
}

// checkSense warns about trust material that loads but will not do what its users expect.
func (o *trustCreateOptions) checkSense(ctx context.Context, p *createPlan, parts *trust.Parts, fc *fulcio.Client, warn, note func(string, ...any)) {
	wantsSC := o.format != formatTrustedRoot
	if wantsSC && len(parts.CAServices) == 0 {
		note("the signing config lists no certificate authority: keyless signing needs one (--fulcio-url); signing with a key (--key) does not")
	}
	if wantsSC && len(parts.TSAServices) == 0 && slices.ContainsFunc(parts.TlogServices, func(s trust.ServicePart) bool { return s.MajorAPIVersion == 2 }) {
		warn("a Rekor v2 entry has no integrated time, so signing with Rekor v2 needs a timestamp authority (--tsa-url)")
	}
	if wantsSC && len(parts.TlogServices) == 0 && len(parts.TSAServices) == 0 {
		warn("the signing config lists no transparency log and no timestamp authority: signatures would carry no verifiable time")
	}
	if p.needRoot && o.fulcioURL != "" && len(parts.CTLogs) == 0 {
		warn("the trusted root lists no CT log: verifiers will need --insecure-ignore-sct for %s's certificates", o.fulcioURL)
	}
	if p.needRoot && p.rootMediaType == trust.TrustedRootMediaType01 {
		if op := sharedLogOperator(parts.Tlogs, parts.CTLogs); op != "" {
			note("TrustedRoot v0.1 has no log operators, so verifiers count each log of %s as an operator of its own; --trusted-root-version 0.2 records operators (but sigstore-go 1.3 and other clients read only v0.1)", op)
		}
	}
	// Fulcio must accept the OIDC issuer that signers will get tokens from.
	if o.fromServices && fc != nil && o.oidcURL != "" && wantsSC {
		cfg, err := fc.Configuration(ctx)
		switch {
		case err != nil:
			warn("could not check that Fulcio accepts %s: %v", o.oidcURL, err)
		case !slices.ContainsFunc(cfg.Issuers, func(i fulcio.Issuer) bool {
			return strings.TrimSuffix(i.IssuerURL, "/") == strings.TrimSuffix(o.oidcURL, "/") || i.WildcardIssuerURL != ""
		}):
			warn("%s does not list %s among the OIDC issuers it accepts", o.fulcioURL, o.oidcURL)
		}
	}
}

// sharedLogOperator returns an operator that runs two logs of one kind, or "".
func sharedLogOperator(sets ...[]trust.LogPart) string {
	for _, set := range sets {
		seen := map[string]bool{}
		for _, l := range set {
			if l.Operator != "" && seen[l.Operator] {
				return l.Operator
			}
			seen[l.Operator] = true
		}
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func describeRoot(tr *pbtrust.TrustedRoot) string {
	v := "v0.1"
	if tr.GetMediaType() == trust.TrustedRootMediaType02 {
		v = "v0.2"
	}
	return fmt.Sprintf("trusted root %s with %s, %s, %s, %s", v,
		plural(len(tr.GetCertificateAuthorities()), "certificate authority", "certificate authorities"),
		plural(len(tr.GetTlogs()), "transparency log", "transparency logs"),
		plural(len(tr.GetCtlogs()), "CT log", "CT logs"),
		plural(len(tr.GetTimestampAuthorities()), "timestamp authority", "timestamp authorities"))
}

func describeSC(sc *pbtrust.SigningConfig) string {
	var parts []string
	add := func(what string, list []*pbtrust.Service) {
		for _, s := range list {
			parts = append(parts, fmt.Sprintf("%s %s (v%d)", what, s.GetUrl(), s.GetMajorApiVersion()))
		}
	}
	add("CA", sc.GetCaUrls())
	add("OIDC", sc.GetOidcUrls())
	add("Rekor", sc.GetRekorTlogUrls())
	add("TSA", sc.GetTsaUrls())
	if len(parts) == 0 {
		return "signing config with no services"
	}
	return "signing config with " + strings.Join(parts, ", ")
}
