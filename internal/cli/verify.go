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
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/fulcio"
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

	keyPaths []string
	trust    trustFlags

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
	withoutIssuer      bool

	output string
	jobs   int
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
	fs.BoolVar(&opts.withoutIssuer, "certificate-without-oidc-issuer", false, "instead of an issuer: accept only a certificate that names no OIDC issuer (from an enterprise CA), identified by its SAN alone")
	fs.StringArrayVar(&opts.extensions, "certificate-extension", nil, "require a Fulcio certificate extension: `NAME=VALUE` (NAME as in 'signet verify --help': sourceRepositoryURI, build-signer-uri, 1.3.6.1.4.1.57264.1.12, ...); repeatable")
	for _, gw := range githubWorkflowFlags {
		v := new(string)
		opts.githubWorkflow[gw.extension] = v
		fs.StringVar(v, gw.flag, "", "require the certificate's "+gw.extension+" extension to be this value (cosign compatibility)")
	}
	fs.StringArrayVar(&opts.keyPaths, "key", nil, "PEM `file` of the public key(s) the bundle must be signed with, instead of an identity (repeatable; headers Key-Id, Not-Before, Not-After), or a registry's key set (npm's keys.json)")
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
	fs.StringVarP(&opts.output, "output", "o", "text", "output format: text or json (JSON Lines, one document per artifact, for several)")
	fs.IntVar(&opts.jobs, "jobs", runtime.NumCPU(), "artifacts verified at once (default: the number of CPUs)")
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
	hasIdentity := len(o.identities)+len(o.identityRegexps)+len(o.issuers)+len(o.issuerRegexps)+len(o.extensions) > 0 || o.withoutIssuer
	for _, v := range o.githubWorkflow {
		hasIdentity = hasIdentity || *v != ""
	}
	if len(o.keyPaths) > 0 {
		if hasIdentity {
			return p, usagef("--key cannot be combined with certificate identity flags")
		}
		keys, keySet, err := loadVerificationKeys(o.keyPaths)
		if err != nil {
			return p, withHint(err, "--key takes PEM public keys (PUBLIC KEY or RSA PUBLIC KEY blocks, with the optional headers Key-Id, Not-Before and Not-After), or a registry's key set (npm's keys.json)")
		}
		p.Keys, p.RegistryKeys = keys, keySet
		return p, o.statementPolicy(&p)
	}
	hasIssuer := len(o.issuers)+len(o.issuerRegexps) > 0
	switch {
	case hasIssuer && o.withoutIssuer:
		return p, usagef("--certificate-without-oidc-issuer accepts a certificate that names no issuer: it cannot be combined with --certificate-oidc-issuer")
	case len(o.identities)+len(o.identityRegexps) == 0 || !(hasIssuer || o.withoutIssuer):
		return p, usagef("keyless verification needs --certificate-identity (or -regexp) and --certificate-oidc-issuer (or -regexp, or --certificate-without-oidc-issuer for an enterprise CA's certificate); to verify with a key, use --key")
	case slices.Contains(o.identities, "") || slices.Contains(o.issuers, ""):
		return p, usagef("--certificate-identity and --certificate-oidc-issuer cannot be empty (for a certificate that names no issuer, use --certificate-without-oidc-issuer)")
	}
	p.WithoutIssuer = o.withoutIssuer
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
	if o.jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	return verifyAll(ctx, env, o, arts)
}

// result is one verification: an artifact against one bundle.
type result struct {
	art string
	res *verify.Result
	err error
}

// resultWriter prints results as they come, in argument order: one JSON document (indented
// when there is one artifact, else one per line), or a line on stderr for each and the
// statements on stdout; for several artifacts a summary line, and on a terminal a progress
// line. It keeps no result once printed.
type resultWriter struct {
	env      *Env
	json     bool
	total    int // artifacts
	results  int
	failed   int
	first    error
	lastStmt string
	progress *progress
	start    time.Time
}

func newResultWriter(env *Env, o *verifyOptions, total int) *resultWriter {
	return &resultWriter{env: env, json: o.output == "json", total: total, start: time.Now(),
		progress: newProgress(env, total, o.output != "json", "verified")}
}

// add prints the results of one artifact.
func (w *resultWriter) add(rs []result) {
	w.progress.clear()
	failed := false
	for _, r := range rs {
		w.results++
		if r.err != nil {
			failed = true
			w.failed++
			if w.first == nil {
				w.first = r.err
			}
		}
		switch {
		case w.json && w.total == 1 && len(rs) == 1:
			enc := json.NewEncoder(w.env.Stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(r.res)
		case w.json:
			data, _ := json.Marshal(r.res)
			fmt.Fprintf(w.env.Stdout, "%s\n", data)
		case r.err != nil:
			if w.total > 1 || len(rs) > 1 {
				fmt.Fprintf(w.env.Stderr, "signet: error: %s: %s\n", r.art, oneLine(stepMessage(r.err)))
			}
		default:
			fmt.Fprintln(w.env.Stderr, successLine(r.art, r.res))
			// A statement about many subjects is printed once, not once per subject.
			if st := string(r.res.Statement); st != "" && st != w.lastStmt {
				w.lastStmt = st
				fmt.Fprintf(w.env.Stdout, "%s\n", st)
			}
		}
	}
	w.progress.step(failed)
}

// finish writes the summary of several results and returns the error of the whole: nil
// when all verified, the one failure of a single verification, else a multiError.
func (w *resultWriter) finish() error {
	several := w.results > 1
	if several && !w.json && w.failed == 0 {
		fmt.Fprintf(w.env.Stderr, "signet: all %d verified in %s\n", w.results, time.Since(w.start).Round(time.Millisecond))
	}
	switch {
	case w.failed == 0:
		return nil
	case !several:
		return w.first
	}
	return &multiError{failed: w.failed, total: w.results, first: w.first}
}

// multiError is the failure of some of several verifications; each was reported on its
// own, the hint is that of the first, and the exit code is 1.
type multiError struct {
	failed, total int
	first         error
}

func (e *multiError) Error() string {
	return fmt.Sprintf("%d of %d verifications failed", e.failed, e.total)
}
func (e *multiError) Unwrap() error { return e.first }

// verifyAll verifies every artifact against its bundles on --jobs goroutines, and prints
// the results in argument order as they come. Each artifact is read once; the trusted root
// is parsed once, and a batch Verifier proves what the bundles share once.
func verifyAll(ctx context.Context, env *Env, o *verifyOptions, arts []artifactArg) error {
	w := newResultWriter(env, o, len(arts))
	failAll := func(step verify.Step, err error) error {
		var u usageError
		if errors.As(err, &u) {
			return err
		}
		var ve *verify.Error
		if !errors.As(err, &ve) {
			err = &verify.Error{Step: step, Err: err}
		}
		for _, a := range arts {
			w.add([]result{{art: a.arg, res: failedResult(a.arg, step, err), err: err}})
		}
		return w.finish()
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
	vf := verify.NewVerifier(rt.cfg.TrustedRoot)
	one := func(a artifactArg) []result {
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
				return []result{{art: a.arg, res: failedResult(a.arg, verify.StepBundle, err), err: err}}
			}
			list = []attest.Attestation{{Format: attest.FormatBundle, Bundle: b}}
		}
		return verifyArtifact(vf, p, o, a, list, format)
	}
	// Workers take artifacts in order; the printer waits for each in order. At most window
	// artifacts are in flight, so memory does not grow with their number.
	jobs := min(o.jobs, len(arts))
	window := 4 * jobs
	type job struct {
		a   artifactArg
		out chan []result
	}
	work := make(chan job)
	pending := make(chan chan []result, window)
	for range jobs {
		go func() {
			for j := range work {
				j.out <- one(j.a)
			}
		}()
	}
	go func() {
		for _, a := range arts {
			out := make(chan []result, 1)
			pending <- out
			work <- job{a, out}
		}
		close(work)
		close(pending)
	}()
	for out := range pending {
		w.add(<-out)
	}
	return w.finish()
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
	byKey := len(p.Keys) > 0 || p.RegistryKeys != nil
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
func verifyArtifact(vf *verify.Verifier, p verify.Policy, o *verifyOptions, a artifactArg, atts []attest.Attestation, format string) []result {
	var out []result
	one := func(att attest.Attestation, art verify.Artifact) result {
		res, err := verifyOne(vf, p, o, a, att, art)
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

func verifyOne(vf *verify.Verifier, p verify.Policy, o *verifyOptions, a artifactArg, att attest.Attestation, art verify.Artifact) (*verify.Result, error) {
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
	return vf.Verify(att.Bundle, art, p)
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
