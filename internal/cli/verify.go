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
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/verify"
)

type verifyOptions struct {
	artifacts       []string
	bundlePath      string
	attestationPath string
	artifactName    string

	identities      []string
	identityRegexps []string
	issuers         []string
	issuerRegexps   []string
	extensions      []string
	// cosign's GitHub workflow flags, kept as aliases of --certificate-extension.
	githubWorkflow map[string]*string

	keyPath string
	trust   trustFlags

	predicateType        string
	publish              bool
	purl                 string
	registry             string
	allowUnboundRegistry bool

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
		Use:   "verify [flags] FILE|sha256:HEX|sha512:HEX...",
		Short: "Verify a Sigstore bundle for an artifact, offline",
		Long: `Verify checks a Sigstore bundle for an artifact, offline: the certificate chain against the
trusted root at signing time, SCTs, transparency log inclusion (SET, inclusion proof, signed
checkpoint), RFC 3161 timestamps, the signature, and the identity policy (or the given key).

The artifact is a file, streamed once, or sha256:HEX or sha512:HEX when only its digest is
known (the bundle must then be named with --bundle or --attestation). The bundle defaults to
FILE.sigstore.json. Several artifacts get one result each (one line each, or one JSON document
per line with --output json), and every one must verify; with one --bundle, each must be a
subject of its in-toto statement.

Attestations: --predicate-type requires the statement's predicate type. --publish with --purl
and --registry checks a publish attestation (signet's, npm's or PyPI's) against what you
install: the registry, the package, the version, and the file. --attestation reads a PEP 740
attestation object or PyPI provenance object, an npm attestations response, or Sigstore
bundles as JSON Lines, instead of --bundle; --key also takes npm's registry key set
(keys.json), whose keys verify only within their validity windows.`,
		Example: `  signet verify release.tar.gz \
    --certificate-identity https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0 \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com

  signet verify --key cosign.pub --bundle app.sigstore.json app

  signet verify --bundle release.publish.sigstore.json \
    --publish --purl pkg:pypi/sampleproject@4.0.0 --registry https://pypi.org \
    --certificate-identity https://github.com/org/sampleproject/.github/workflows/release.yml@refs/tags/v4.0.0 \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    sampleproject-4.0.0.tar.gz sampleproject-4.0.0-py3-none-any.whl

  signet verify --attestation sampleproject-4.0.0.tar.gz.provenance \
    --certificate-identity ... --certificate-oidc-issuer ... sampleproject-4.0.0.tar.gz`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("expected at least one artifact (FILE, sha256:HEX or sha512:HEX)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.artifacts = args
			return runVerify(cmd.Context(), env, opts)
		},
	}
	fs := cmd.Flags()
	fs.SetNormalizeFunc(normalizeFlag)
	fs.StringVar(&opts.bundlePath, "bundle", "", "bundle `file` (default FILE.sigstore.json); one bundle for every artifact given")
	fs.StringVar(&opts.attestationPath, "attestation", "", "attestation `file` instead of --bundle: a PEP 740 attestation (.publish.attestation) or PyPI provenance object, an npm attestations response, or Sigstore bundles as JSON Lines")
	fs.StringVar(&opts.artifactName, "artifact-name", "", "the artifact's file `name`, for PEP 740 attestations, which name the distribution (default: the FILE's base name; needed for a digest)")
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
	fs.StringVar(&opts.keyPath, "key", "", "PEM public key `file` the bundle must be signed with (instead of an identity), or a registry's key set (npm's keys.json)")
	fs.StringVar(&opts.predicateType, "predicate-type", "", "require an in-toto statement of this predicate type `URI`")
	fs.BoolVar(&opts.publish, "publish", false, "require a publish attestation for --purl from --registry, and the artifact among its files")
	fs.StringVar(&opts.purl, "purl", "", "with --publish: the package and version you install, as a package URL (`pkg:pypi/NAME@VERSION`, pkg:npm/NAME@VERSION)")
	fs.StringVar(&opts.registry, "registry", "", "with --publish: the `URL` of the registry you install from (its index or upload URL)")
	fs.BoolVar(&opts.allowUnboundRegistry, "allow-unbound-registry", false, "with --publish: accept a publish attestation that names no registry (PyPI publish v1); the registry is then not checked")
	opts.trust.register(fs, false)
	fs.IntVar(&opts.tlogThreshold, "tlog-threshold", 1, "distinct transparency log operators whose entries must verify")
	fs.IntVar(&opts.ctlogThreshold, "ctlog-threshold", 1, "distinct CT log operators whose SCTs must verify")
	fs.IntVar(&opts.tsaThreshold, "tsa-threshold", 0, "distinct timestamp authority operators whose timestamps must verify (a certificate bundle without a signed log time always needs one)")
	fs.BoolVar(&opts.insecureIgnoreTlog, "insecure-ignore-tlog", false, "INSECURE: accept a bundle without verified transparency log entries (a timestamp is still required)")
	fs.BoolVar(&opts.insecureIgnoreSCT, "insecure-ignore-sct", false, "INSECURE: do not require SCTs in the certificate")
	fs.StringVarP(&opts.output, "output", "o", "text", "output format: text or json")
	return cmd
}

// digestArg reports whether arg means a digest: sha256: plus 64 hex digits or sha512: plus
// 128, and not an existing path.
func digestArg(arg string) (crypto.Hash, []byte, bool) {
	alg, hexPart, ok := strings.Cut(arg, ":")
	h := map[string]crypto.Hash{"sha256": crypto.SHA256, "sha512": crypto.SHA512}[alg]
	if !ok || h == 0 || len(hexPart) != 2*h.Size() {
		return 0, nil, false
	}
	d, err := hex.DecodeString(hexPart)
	if err != nil {
		return 0, nil, false
	}
	if _, err := os.Stat(arg); err == nil {
		return 0, nil, false
	}
	return h, d, true
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
		key, keys, err := loadVerificationKey(o.keyPath)
		if err != nil {
			return p, err
		}
		p.Key, p.RegistryKeys = key, keys
		return p, o.statementPolicy(&p)
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
	return p, o.statementPolicy(&p)
}

// statementPolicy adds the checks of in-toto statements the flags ask for.
func (o *verifyOptions) statementPolicy(p *verify.Policy) error {
	if o.predicateType != "" {
		if err := attest.CheckPredicateType(o.predicateType); err != nil {
			return usageError{err}
		}
		p.PredicateType = o.predicateType
	}
	if !o.publish {
		if o.purl != "" || o.registry != "" || o.allowUnboundRegistry {
			return usagef("--purl, --registry and --allow-unbound-registry go with --publish")
		}
		return nil
	}
	if o.purl == "" || o.registry == "" {
		return usagef("--publish needs --purl (the package and version you install) and --registry (where you install it from)")
	}
	pp, err := attest.NewPublishPolicy(o.purl, o.registry)
	if err != nil {
		return usageError{err}
	}
	pp.InsecureAllowUnboundRegistry = o.allowUnboundRegistry
	p.Publish = pp
	return nil
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

// artifactArg is one artifact to verify: a file, or a digest.
type artifactArg struct {
	arg    string
	name   string // file name for PEP 740 checks
	hash   crypto.Hash
	digest []byte // set for a digest
}

func runVerify(ctx context.Context, env *Env, o *verifyOptions) error {
	if o.output != "text" && o.output != "json" {
		return usagef("--output must be text or json, not %q", o.output)
	}
	if err := o.trust.validate(); err != nil {
		return err
	}
	if o.bundlePath != "" && o.attestationPath != "" {
		return usagef("--bundle and --attestation are two ways to give the bundle; use one")
	}
	if o.artifactName != "" && len(o.artifacts) > 1 {
		return usagef("--artifact-name names one artifact, but %d were given", len(o.artifacts))
	}
	var arts []artifactArg
	seen := map[string]bool{}
	for _, a := range o.artifacts {
		if seen[a] {
			return usagef("%s is given twice", a)
		}
		seen[a] = true
		art := artifactArg{arg: a, name: filepath.Base(a)}
		if h, d, ok := digestArg(a); ok {
			art = artifactArg{arg: a, hash: h, digest: d}
			if o.bundlePath == "" && o.attestationPath == "" {
				return usagef("verifying a digest needs --bundle or --attestation")
			}
		}
		if o.artifactName != "" {
			art.name = o.artifactName
		}
		arts = append(arts, art)
	}
	results, err := verifyAll(ctx, env, o, arts)
	var u usageError
	if errors.As(err, &u) {
		return err
	}
	printResults(env, o, results)
	return err
}

// result is one verification: an artifact against one bundle.
type result struct {
	art string
	res *verify.Result
	err error
}

// printResults writes the results: one JSON document (indented when there is one result,
// else one per line), or one line on stderr for each and the statements on stdout.
func printResults(env *Env, o *verifyOptions, results []result) {
	if o.output == "json" {
		for _, r := range results {
			if len(results) == 1 {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(r.res)
				continue
			}
			data, _ := json.Marshal(r.res)
			fmt.Fprintf(env.Stdout, "%s\n", data)
		}
		return
	}
	printed := map[string]bool{}
	for _, r := range results {
		if r.err != nil {
			if len(results) > 1 {
				fmt.Fprintf(env.Stderr, "signet: error: %s: %s\n", r.art, oneLine(stepMessage(r.err)))
			}
			continue
		}
		fmt.Fprintln(env.Stderr, successLine(r.art, r.res))
		if st := string(r.res.Statement); st != "" && !printed[st] {
			printed[st] = true
			fmt.Fprintf(env.Stdout, "%s\n", st)
		}
	}
}

// multiError is the failure of some of several verifications; each was reported on its
// own, and the exit code and hint are those of the first.
type multiError struct {
	failed, total int
	first         error
}

func (e *multiError) Error() string {
	return fmt.Sprintf("%d of %d verifications failed", e.failed, e.total)
}
func (e *multiError) Unwrap() error { return e.first }

// verifyAll verifies every artifact against its bundles, and returns a result for each
// pair, in order. Each artifact is read once.
func verifyAll(ctx context.Context, env *Env, o *verifyOptions, arts []artifactArg) ([]result, error) {
	var results []result
	add := func(r result) { results = append(results, r) }
	failAll := func(step verify.Step, err error) ([]result, error) {
		var u usageError
		if errors.As(err, &u) {
			return nil, err
		}
		var ve *verify.Error
		if !errors.As(err, &ve) {
			err = &verify.Error{Step: step, Err: err}
		}
		for _, a := range arts {
			add(result{art: a.arg, res: failedResult(a.arg, step, err), err: err})
		}
		return results, finish(results)
	}
	p, err := o.policy(env.Now())
	if err != nil {
		return failAll(verify.StepPolicy, err)
	}
	// A named bundle first: a missing or malformed one needs no trust material, and no network.
	var atts []attest.Attestation
	var format string
	if o.attestationPath != "" {
		if atts, format, err = o.readAttestations(p); err != nil {
			return failAll(verify.StepBundle, err)
		}
	} else if o.bundlePath != "" {
		b, err := readBundle(o.bundlePath)
		if err != nil {
			return failAll(verify.StepBundle, err)
		}
		atts = []attest.Attestation{{Format: attest.FormatBundle, Bundle: b}}
	}
	rt, err := o.trust.resolve(ctx, env, false)
	if err != nil {
		return failAll(verify.StepTrust, fmt.Errorf("loading trust material: %w", err))
	}
	tr := rt.cfg.TrustedRoot
	for _, a := range arts {
		list := atts
		if list == nil {
			// Each file's own bundle, in the discovery order of client-spec §4.1.1:
			// FILE.sigstore.json, then FILE.sigstore.
			path := a.arg + ".sigstore.json"
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				if _, err := os.Stat(a.arg + ".sigstore"); err == nil {
					path = a.arg + ".sigstore"
				}
			}
			b, err := readBundle(path)
			if err != nil {
				err = &verify.Error{Step: verify.StepBundle, Err: err}
				add(result{art: a.arg, res: failedResult(a.arg, verify.StepBundle, err), err: err})
				continue
			}
			list = []attest.Attestation{{Format: attest.FormatBundle, Bundle: b}}
		}
		for _, r := range verifyArtifact(tr, p, o, a, list, format) {
			add(r)
		}
	}
	return results, finish(results)
}

// finish is the error of a set of results: nil when all verified, the one failure of a
// single verification, else a multiError.
func finish(results []result) error {
	var first error
	n := 0
	for _, r := range results {
		if r.err != nil {
			n++
			if first == nil {
				first = r.err
			}
		}
	}
	switch {
	case n == 0:
		return nil
	case len(results) == 1:
		return first
	}
	return &multiError{failed: n, total: len(results), first: first}
}

func failedResult(art string, step verify.Step, err error) *verify.Result {
	return &verify.Result{MediaType: verify.ResultMediaType, Artifact: art,
		Error: &verify.ErrorInfo{Step: step, Message: err.Error()}}
}

func readBundle(path string) (*bundle.Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := bundle.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// readAttestations reads --attestation and keeps the attestations the policy is about: those
// signed the way the policy verifies (a key, or a certificate), of the predicate type it
// requires. An attestation that could not be read is kept, to fail.
func (o *verifyOptions) readAttestations(p verify.Policy) ([]attest.Attestation, string, error) {
	data, err := readSmallFile(o.attestationPath, attest.MaxDocumentSize)
	if err != nil {
		return nil, "", err
	}
	format, all, err := attest.ReadAttestations(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", o.attestationPath, err)
	}
	byKey := p.Key != nil || p.RegistryKeys != nil
	var keep []attest.Attestation
	var others []string
	for _, a := range all {
		if a.Bundle == nil {
			keep = append(keep, a)
			continue
		}
		pt := a.PredicateType()
		switch {
		case (a.Bundle.Certificate == nil) != byKey:
		case p.PredicateType != "" && pt != p.PredicateType:
		case p.Publish != nil && pt != attest.PublishPredicateType && pt != attest.NPMPublishPredicateType && pt != attest.PyPIPublishPredicateType:
		default:
			keep = append(keep, a)
			continue
		}
		signer := "a certificate"
		if a.Bundle.Certificate == nil {
			signer = "a key"
		}
		others = append(others, fmt.Sprintf("%s signed with %s", orNone(pt), signer))
	}
	if len(keep) == 0 {
		want := "signed with a certificate"
		if byKey {
			want = "signed with a key"
		}
		if p.PredicateType != "" {
			want += " of predicate type " + p.PredicateType
		} else if p.Publish != nil {
			want += " that is a publish attestation"
		}
		return nil, "", fmt.Errorf("%s holds no attestation %s (it holds: %s)", o.attestationPath, want, strings.Join(others, "; "))
	}
	return keep, format, nil
}

func orNone(s string) string {
	if s == "" {
		return "no statement"
	}
	return s
}

// verifyArtifact verifies one artifact against each of its attestations.
func verifyArtifact(tr *trust.TrustedRoot, p verify.Policy, o *verifyOptions, a artifactArg, atts []attest.Attestation, format string) []result {
	var out []result
	one := func(att attest.Attestation, art verify.Artifact) result {
		res, err := verifyOne(tr, p, o, a, att, art)
		res.Artifact = a.arg
		if o.attestationPath != "" {
			res.Attestation = &verify.AttestationSource{File: o.attestationPath, Format: att.Format, Index: att.Index, Publisher: att.Publisher}
		}
		return result{art: a.arg, res: res, err: err}
	}
	if a.digest != nil {
		for _, att := range atts {
			out = append(out, one(att, verify.ArtifactDigest(a.hash, a.digest)))
		}
		return out
	}
	f, err := os.Open(a.arg)
	if err != nil {
		err = &verify.Error{Step: verify.StepArtifact, Err: err}
		return []result{{art: a.arg, res: failedResult(a.arg, verify.StepArtifact, err), err: err}}
	}
	defer f.Close()
	if len(atts) == 1 {
		return []result{one(atts[0], verify.ArtifactReader(f))}
	}
	// Several bundles for one file: hash it once.
	digests, err := verify.HashArtifact(f)
	if err != nil {
		err = &verify.Error{Step: verify.StepArtifact, Err: err}
		return []result{{art: a.arg, res: failedResult(a.arg, verify.StepArtifact, err), err: err}}
	}
	for _, att := range atts {
		out = append(out, one(att, verify.ArtifactDigests(digests)))
	}
	return out
}

func verifyOne(tr *trust.TrustedRoot, p verify.Policy, o *verifyOptions, a artifactArg, att attest.Attestation, art verify.Artifact) (*verify.Result, error) {
	if att.Err != nil {
		err := &verify.Error{Step: verify.StepBundle, Err: fmt.Errorf("%s: attestation %d: %w", o.attestationPath, att.Index, att.Err)}
		return failedResult(a.arg, verify.StepBundle, err), err
	}
	if att.PEP740() {
		if a.name == "" {
			err := usagef("a PEP 740 attestation names the distribution's file: give it with --artifact-name when verifying a digest")
			return failedResult(a.arg, verify.StepPolicy, err), &verify.Error{Step: verify.StepPolicy, Err: err}
		}
		p.PyPI = &attest.PyPIPolicy{Distribution: a.name}
		p.Publisher = att.Publisher
	}
	return verify.Verify(tr, att.Bundle, art, p)
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
	if r.PredicateType != "" {
		fmt.Fprintf(&b, "; statement of type %s", r.PredicateType)
	}
	if p := r.Publish; p != nil {
		fmt.Fprintf(&b, "; %s is %s@%s", p.File, p.Package, p.Version)
		if p.RegistryChecked {
			fmt.Fprintf(&b, " as published to %s", p.Registry)
		} else {
			b.WriteString(" (the registry was NOT checked: the attestation names none)")
		}
	}
	if a := r.Attestation; a != nil && a.Publisher != nil {
		fmt.Fprintf(&b, "; Trusted Publisher %s", a.Publisher)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, " (INSECURE: skipped %s)", strings.Join(r.Skipped, ", "))
	}
	return b.String()
}
