package cli

import (
	"context"
	"crypto"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/verify"
)

type verifyOptions struct {
	artifact   string
	bundlePath string

	identities      []string
	identityRegexps []string
	issuers         []string
	issuerRegexps   []string
	extensions      []string
	// cosign's GitHub workflow flags, kept as aliases of --certificate-extension.
	githubWorkflow map[string]*string

	keyPath string
	trust   trustFlags

	tlogThreshold      int
	ctlogThreshold     int
	tsaThreshold       int
	insecureIgnoreTlog bool
	insecureIgnoreSCT  bool

	output string
}

// cosign's --certificate-github-workflow-* flags and the extension each one checks.
var githubWorkflowFlags = []struct{ flag, extension string }{
	{"certificate-github-workflow-trigger", "githubWorkflowTrigger"},
	{"certificate-github-workflow-sha", "githubWorkflowSHA"},
	{"certificate-github-workflow-name", "githubWorkflowName"},
	{"certificate-github-workflow-repository", "githubWorkflowRepository"},
	{"certificate-github-workflow-ref", "githubWorkflowRef"},
}

func newVerifyCmd(env *Env) *cobra.Command {
	opts := &verifyOptions{githubWorkflow: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "verify [flags] FILE|sha256:HEX",
		Short: "Verify a Sigstore bundle for an artifact, offline",
		Long: `Verify checks a Sigstore bundle for an artifact, offline: the certificate chain against the
trusted root at signing time, SCTs, transparency log inclusion (SET, inclusion proof, signed
checkpoint), RFC 3161 timestamps, the signature, and the identity policy (or the given key).

The artifact is a file, streamed once, or sha256:HEX when only its digest is known (the bundle
must then be named with --bundle). The bundle defaults to FILE.sigstore.json.`,
		Example: `  signet verify release.tar.gz \
    --certificate-identity https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0 \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com

  signet verify --key cosign.pub --bundle app.sigstore.json app`,
		Args: exactArgs(1, "one artifact (FILE or sha256:HEX)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.artifact = args[0]
			return runVerify(cmd.Context(), env, opts)
		},
	}
	fs := cmd.Flags()
	fs.SetNormalizeFunc(normalizeFlag)
	fs.StringVar(&opts.bundlePath, "bundle", "", "bundle `file` (default FILE.sigstore.json)")
	fs.StringArrayVar(&opts.identities, "certificate-identity", nil, "expected signer identity (certificate SAN), exact; repeat for any-of (alias --cert-identity)")
	fs.StringArrayVar(&opts.identityRegexps, "certificate-identity-regexp", nil, "expected signer identity as an anchored regular expression; repeatable")
	fs.StringArrayVar(&opts.issuers, "certificate-oidc-issuer", nil, "expected OIDC issuer of the identity, exact; repeat for any-of (alias --cert-oidc-issuer)")
	fs.StringArrayVar(&opts.issuerRegexps, "certificate-oidc-issuer-regexp", nil, "expected OIDC issuer as an anchored regular expression; repeatable")
	fs.StringArrayVar(&opts.extensions, "certificate-extension", nil, "require a Fulcio certificate extension: `NAME=VALUE` (NAME as in 'signet verify --help': sourceRepositoryURI, build-signer-uri, 1.3.6.1.4.1.57264.1.12, ...); repeatable")
	for _, gw := range githubWorkflowFlags {
		v := new(string)
		opts.githubWorkflow[gw.extension] = v
		fs.StringVar(v, gw.flag, "", "require the certificate's "+gw.extension+" extension to be this value (cosign compatibility)")
	}
	fs.StringVar(&opts.keyPath, "key", "", "PEM public key `file` the bundle must be signed with (instead of an identity)")
	opts.trust.register(fs, false)
	fs.IntVar(&opts.tlogThreshold, "tlog-threshold", 1, "distinct transparency log operators whose entries must verify")
	fs.IntVar(&opts.ctlogThreshold, "ctlog-threshold", 1, "distinct CT log operators whose SCTs must verify")
	fs.IntVar(&opts.tsaThreshold, "tsa-threshold", 0, "distinct timestamp authority operators whose timestamps must verify (a certificate bundle without a signed log time always needs one)")
	fs.BoolVar(&opts.insecureIgnoreTlog, "insecure-ignore-tlog", false, "INSECURE: accept a bundle without verified transparency log entries (a timestamp is still required)")
	fs.BoolVar(&opts.insecureIgnoreSCT, "insecure-ignore-sct", false, "INSECURE: do not require SCTs in the certificate")
	fs.StringVarP(&opts.output, "output", "o", "text", "output format: text or json")
	return cmd
}

// digestArg reports whether arg means a digest: sha256: plus 64 hex digits, and not an
// existing path.
func digestArg(arg string) ([]byte, bool) {
	hexPart, ok := strings.CutPrefix(arg, "sha256:")
	if !ok || len(hexPart) != 64 {
		return nil, false
	}
	d, err := hex.DecodeString(hexPart)
	if err != nil {
		return nil, false
	}
	if _, err := os.Stat(arg); err == nil {
		return nil, false
	}
	return d, true
}

func (o *verifyOptions) policy(now time.Time) (verify.Policy, error) {
	p := verify.Policy{
		TlogThreshold:      o.tlogThreshold,
		CTLogThreshold:     o.ctlogThreshold,
		TSAThreshold:       o.tsaThreshold,
		InsecureIgnoreTlog: o.insecureIgnoreTlog,
		InsecureIgnoreSCT:  o.insecureIgnoreSCT,
		Now:                now,
	}
	if o.tlogThreshold < 1 || o.ctlogThreshold < 1 {
		return p, usagef("--tlog-threshold and --ctlog-threshold must be at least 1; to skip a check use --insecure-ignore-tlog or --insecure-ignore-sct")
	}
	if o.tsaThreshold < 0 {
		return p, usagef("--tsa-threshold cannot be negative")
	}
	hasIdentity := len(o.identities)+len(o.identityRegexps)+len(o.issuers)+len(o.issuerRegexps)+len(o.extensions) > 0
	for _, v := range o.githubWorkflow {
		hasIdentity = hasIdentity || *v != ""
	}
	if o.keyPath != "" {
		if hasIdentity {
			return p, usagef("--key cannot be combined with certificate identity flags")
		}
		key, err := loadPublicKey(o.keyPath)
		if err != nil {
			return p, err
		}
		p.Key = key
		return p, nil
	}
	if len(o.identities)+len(o.identityRegexps) == 0 || len(o.issuers)+len(o.issuerRegexps) == 0 {
		return p, usagef("keyless verification needs --certificate-identity (or -regexp) and --certificate-oidc-issuer (or -regexp); to verify with a key, use --key")
	}
	var err error
	if p.Identities, err = matchers(o.identities, o.identityRegexps); err != nil {
		return p, err
	}
	if p.Issuers, err = matchers(o.issuers, o.issuerRegexps); err != nil {
		return p, err
	}
	for _, kv := range o.extensions {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return p, usagef("--certificate-extension wants NAME=VALUE, got %q", kv)
		}
		if err := addExtension(&p, name, value); err != nil {
			return p, err
		}
	}
	for _, gw := range githubWorkflowFlags {
		if v := *o.githubWorkflow[gw.extension]; v != "" {
			if err := addExtension(&p, gw.extension, v); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

func addExtension(p *verify.Policy, name, value string) error {
	oid, ok := fulcio.ExtensionByName(name)
	if !ok {
		return usagef("unknown certificate extension %q", name)
	}
	p.Extensions = append(p.Extensions, verify.ExtensionMatcher{Name: name, OID: oid, Value: verify.Exact(value)})
	return nil
}

func matchers(exact, patterns []string) ([]verify.Matcher, error) {
	var ms []verify.Matcher
	for _, e := range exact {
		ms = append(ms, verify.Exact(e))
	}
	for _, pat := range patterns {
		m, err := verify.Regexp(pat)
		if err != nil {
			return nil, usageError{err}
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func runVerify(ctx context.Context, env *Env, o *verifyOptions) error {
	if o.output != "text" && o.output != "json" {
		return usagef("--output must be text or json, not %q", o.output)
	}
	if err := o.trust.validate(); err != nil {
		return err
	}
	digest, isDigest := digestArg(o.artifact)
	bundlePath := o.bundlePath
	if bundlePath == "" {
		if isDigest {
			return usagef("verifying a digest needs --bundle")
		}
		// The discovery order of client-spec §4.1.1: FILE.sigstore.json, then FILE.sigstore.
		bundlePath = o.artifact + ".sigstore.json"
		if _, err := os.Stat(bundlePath); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(o.artifact + ".sigstore"); err == nil {
				bundlePath = o.artifact + ".sigstore"
			}
		}
	}
	res, err := verifyFiles(ctx, env, o, bundlePath, digest, isDigest)
	var u usageError
	if errors.As(err, &u) {
		return err
	}
	if o.output == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(res); encErr != nil {
			return encErr
		}
	}
	if err != nil {
		return err
	}
	if o.output == "text" {
		fmt.Fprintln(env.Stderr, successLine(o.artifact, res))
		if res.Statement != nil {
			fmt.Fprintf(env.Stdout, "%s\n", res.Statement)
		}
	}
	return nil
}

// verifyFiles loads everything and verifies; it always returns a result document, which
// on failure names the step that failed.
func verifyFiles(ctx context.Context, env *Env, o *verifyOptions, bundlePath string, digest []byte, isDigest bool) (*verify.Result, error) {
	now := env.Now()
	res := &verify.Result{MediaType: verify.ResultMediaType}
	failed := func(step verify.Step, err error) (*verify.Result, error) {
		var u usageError
		if errors.As(err, &u) {
			return nil, err
		}
		res.Error = &verify.ErrorInfo{Step: step, Message: err.Error()}
		var ve *verify.Error
		if !errors.As(err, &ve) {
			err = &verify.Error{Step: step, Err: err}
		}
		return res, err
	}
	p, err := o.policy(now)
	if err != nil {
		return failed(verify.StepPolicy, err)
	}
	// The bundle first: a missing or malformed one needs no trust material, and no network.
	bf, err := os.Open(bundlePath)
	if err != nil {
		return failed(verify.StepBundle, err)
	}
	b, err := bundle.Read(bf)
	bf.Close()
	if err != nil {
		return failed(verify.StepBundle, fmt.Errorf("%s: %w", bundlePath, err))
	}
	rt, err := o.trust.resolve(ctx, env, false)
	if err != nil {
		return failed(verify.StepTrust, fmt.Errorf("loading trust material: %w", err))
	}
	tr := rt.cfg.TrustedRoot
	art := verify.ArtifactDigest(crypto.SHA256, digest)
	if !isDigest {
		f, err := os.Open(o.artifact)
		if err != nil {
			return failed(verify.StepArtifact, err)
		}
		defer f.Close()
		art = verify.ArtifactReader(f)
	}
	return verify.Verify(tr, b, art, p)
}

func successLine(artifact string, r *verify.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "signet: verified %s", artifact)
	if r.Identity != nil {
		fmt.Fprintf(&b, ", signed by %s (issuer %s)", r.Identity.SAN, r.Identity.Issuer)
	}
	if r.PublicKey != nil {
		fmt.Fprintf(&b, ", signed with key sha256:%s", r.PublicKey.SHA256)
	}
	if len(r.Times) > 0 {
		fmt.Fprintf(&b, " at %s", r.Times[0].Time.Format(time.RFC3339))
	}
	if len(r.TlogEntries) > 0 {
		fmt.Fprintf(&b, ", logged in %s", r.TlogEntries[0].LogURL)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, " (INSECURE: skipped %s)", strings.Join(r.Skipped, ", "))
	}
	return b.String()
}
