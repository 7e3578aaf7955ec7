package cli

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/spf13/cobra"

	"github.com/signet-dev/signet/internal/oidc"
	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/sign"
)

type signOptions struct {
	files []string
	trust trustFlags

	identityToken   string
	disableAmbient  bool
	oidcFlow        string
	oidcIssuer      string
	oidcClientID    string
	signingAlg      string
	keyPath         string
	certificatePath string
	chainPath       string

	inToto        bool
	statementPath string
	predicateType string
	predicatePath string
	subjectDigest []string
	publish       bool
	purl          string
	registry      string

	bundlePath string
	overwrite  bool
	timeout    time.Duration
	parallel   int
}

func newSignCmd(env *Env) *cobra.Command {
	o := &signOptions{}
	cmd := &cobra.Command{
		Use:   "sign [flags] FILE...",
		Short: "Sign files and write a Sigstore bundle for each",
		Long: `Sign signs each FILE and writes a Sigstore bundle (v0.3) next to it as FILE.sigstore.json
(or --bundle), after checking it with signet's own verifier. Nothing is written for a file
that fails, and an existing bundle is never replaced without --overwrite.

Keyless (the default): an identity token is taken from --identity-token, then
$SIGSTORE_ID_TOKEN or $SIGSTORE_IDENTITY_TOKEN, then the CI system (GitHub Actions, GitLab,
Buildkite, CircleCI, Google Cloud), then an interactive sign-in (a browser on a terminal, a
device code otherwise); an ephemeral key is certified by the instance's Fulcio. With --key,
your own key signs (with --certificate, a certificate for it from your CA).

Attestations: --predicate-type (with --predicate) signs one in-toto statement whose subjects
are all the FILEs; --statement signs a statement you wrote, after checking it; --publish
signs a publish attestation of --purl (with its version) to --registry, naming every FILE,
which verifiers check against the registry, package, version and files they install.

The signature is timestamped and logged in the transparency logs the signing config selects
(Rekor v1 or v2). The instance is the public-good one unless --trust-config, --trusted-root
with --signing-config, or --staging says otherwise.`,
		Example: `  signet sign release.tar.gz
  SIGSTORE_ID_TOKEN=$TOKEN signet sign --trust-config private.json dist/*
  SIGNET_PASSWORD=... signet sign --key release.key app.bin
  signet sign --in-toto provenance.json
  signet sign --predicate-type https://slsa.dev/provenance/v1 --predicate build.json --bundle build.sigstore.json dist/*
  signet sign --publish --purl pkg:pypi/sampleproject@4.0.0 --registry https://upload.pypi.org/legacy/ \
    --bundle dist/publish.sigstore.json dist/sampleproject-4.0.0.tar.gz dist/sampleproject-4.0.0-py3-none-any.whl`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 && o.statementPath == "" {
				return usagef("expected at least one FILE to sign")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.files = args
			return runSign(cmd.Context(), env, o)
		},
	}
	fs := cmd.Flags()
	fs.SetNormalizeFunc(normalizeFlag)
	o.trust.register(fs, true)
	fs.StringVar(&o.identityToken, "identity-token", "", "OIDC identity `token`, or a file holding one (never printed)")
	fs.BoolVar(&o.disableAmbient, "oidc-disable-ambient-providers", false, "do not look for identity tokens from CI systems")
	fs.StringVar(&o.oidcFlow, "oidc-flow", "", "interactive sign-in: browser or device (default: browser on a terminal, else device), or none to never prompt")
	fs.StringVar(&o.oidcIssuer, "oidc-issuer", "", "OIDC issuer `URL` for interactive sign-in (default: the signing config's)")
	fs.StringVar(&o.oidcClientID, "oidc-client-id", "sigstore", "OIDC client `id` for interactive sign-in")
	fs.StringVar(&o.signingAlg, "signing-algorithm", string(sign.ECDSAP256), "ephemeral key algorithm: ecdsa-p256, ecdsa-p384 or ed25519")
	fs.StringVar(&o.keyPath, "key", "", "sign with this PEM private key `file` (passphrase from $SIGNET_PASSWORD or a prompt) instead of keyless")
	fs.StringVar(&o.certificatePath, "certificate", "", "PEM certificate `file` for --key (from your CA); without it the bundle names the public key")
	fs.StringVar(&o.chainPath, "certificate-chain", "", "PEM `file` of the CA certificates that issued --certificate")
	fs.BoolVar(&o.inToto, "in-toto", false, "each FILE is an in-toto statement: sign it as a DSSE envelope (see --statement)")
	fs.StringVar(&o.statementPath, "statement", "", "sign this in-toto statement `file` (checked first) as a DSSE envelope; FILEs, if given, must be among its subjects")
	fs.StringVar(&o.predicateType, "predicate-type", "", "sign an in-toto statement with this predicate type `URI` whose subjects are all the FILEs (one bundle)")
	fs.StringVar(&o.predicatePath, "predicate", "", "with --predicate-type: the predicate, a JSON object `file`")
	fs.StringSliceVar(&o.subjectDigest, "subject-digest", nil, "with --predicate-type: subject digests besides sha256 (sha512)")
	fs.BoolVar(&o.publish, "publish", false, "sign a publish attestation: the FILEs, as published to --registry as --purl (signet's predicate; npm's for one npm tarball)")
	fs.StringVar(&o.purl, "purl", "", "with --publish: the package and version published, as a package URL (`pkg:pypi/NAME@VERSION`, pkg:npm/@SCOPE/NAME@VERSION)")
	fs.StringVar(&o.registry, "registry", "", "with --publish: the `URL` of the registry published to (its upload or index URL)")
	fs.StringVar(&o.bundlePath, "bundle", "", "write the bundle to this `file` (one FILE only; default FILE.sigstore.json)")
	fs.BoolVar(&o.overwrite, "overwrite", false, "replace existing bundle files")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "time limit for each call to a Sigstore service, retries included")
	fs.IntVar(&o.parallel, "parallel", 32, "files signed at once (signing waits mostly on the services)")
	return cmd
}

// attestation reports whether the FILEs go into one statement (--predicate-type, --publish).
func (o *signOptions) attestation() bool { return o.predicateType != "" || o.publish }

// dsse reports whether the bundles are DSSE envelopes.
func (o *signOptions) dsse() bool { return o.inToto || o.statementPath != "" || o.attestation() }

// checkModes refuses flags that do not go together.
func (o *signOptions) checkModes() error {
	modes := 0
	for _, set := range []bool{o.inToto, o.statementPath != "", o.attestation()} {
		if set {
			modes++
		}
	}
	switch {
	case modes > 1:
		return usagef("--in-toto, --statement and --predicate-type or --publish are different kinds of signing; use one")
	case o.predicatePath != "" && o.publish:
		return usagef("--publish writes its own predicate; --predicate goes with --predicate-type")
	case o.predicatePath != "" && o.predicateType == "":
		return usagef("--predicate goes with --predicate-type")
	case len(o.subjectDigest) > 0 && (o.predicateType == "" || o.publish):
		return usagef("--subject-digest goes with --predicate-type (publish attestations always carry sha256 and sha512)")
	case !o.publish && (o.purl != "" || o.registry != ""):
		return usagef("--purl and --registry go with --publish")
	case o.publish && (o.purl == "" || o.registry == ""):
		return usagef("--publish needs --purl (the package and version published) and --registry (where it is published)")
	case o.attestation() && len(o.files) > 1 && o.bundlePath == "":
		return usagef("the %d files go into one attestation: name its bundle with --bundle", len(o.files))
	}
	for _, d := range o.subjectDigest {
		if d != attest.SHA256 && d != attest.SHA512 {
			return usagef("--subject-digest is sha256 or sha512, not %q", d)
		}
	}
	if o.predicateType != "" {
		if err := attest.CheckPredicateType(o.predicateType); err != nil {
			return usageError{err}
		}
	}
	return nil
}

func (o *signOptions) outputs() ([]string, error) {
	if o.parallel < 1 {
		return nil, usagef("--parallel must be at least 1")
	}
	inputs := o.files
	if o.statementPath != "" {
		inputs = []string{o.statementPath}
	} else if o.attestation() {
		inputs = o.files[:1]
	}
	if o.bundlePath != "" && len(inputs) > 1 {
		return nil, usagef("--bundle names one bundle, but %d files were given", len(inputs))
	}
	var outs []string
	seen := map[string]bool{}
	for _, f := range inputs {
		out := f + ".sigstore.json"
		if o.bundlePath != "" {
			out = o.bundlePath
		}
		if seen[out] {
			return nil, usagef("%s is given twice", f)
		}
		seen[out] = true
		if err := checkWritableDir(filepath.Dir(out)); err != nil {
			return nil, err
		}
		if !o.overwrite {
			if _, err := os.Lstat(out); err == nil {
				return nil, fmt.Errorf("%w: %s (use --overwrite to replace it)", errExists, out)
			}
		}
		outs = append(outs, out)
	}
	return outs, nil
}

func runSign(ctx context.Context, env *Env, o *signOptions) error {
	if o.keyPath == "" && (o.certificatePath != "" || o.chainPath != "") {
		return usagef("--certificate and --certificate-chain go with --key")
	}
	switch o.oidcFlow {
	case "", oidc.FlowBrowser, oidc.FlowDevice, oidc.FlowNone:
	default:
		return usagef("--oidc-flow must be browser, device or none, not %q", o.oidcFlow)
	}
	if err := o.checkModes(); err != nil {
		return err
	}
	// Refuse bad outputs and unreadable inputs before asking anyone for anything.
	outs, err := o.outputs()
	if err != nil {
		return err
	}
	for _, f := range o.files {
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		if st.IsDir() {
			return fmt.Errorf("%w: %s is a directory", errInput, f)
		}
	}
	jobs, err := o.jobs(outs)
	if err != nil {
		return err
	}
	rt, err := o.trust.resolve(ctx, env, true)
	if err != nil {
		return err
	}
	cfg := rt.cfg
	services, err := cfg.SigningConfig.Select(env.Now())
	if err != nil {
		return fmt.Errorf("%w: %v", errConfig, err)
	}
	if o.keyPath == "" && services.CA.URL == "" {
		return fmt.Errorf("%w: the signing config lists no certificate authority: keyless signing needs one; sign with --key instead", errConfig)
	}
	sc := &sign.Config{TrustedRoot: cfg.TrustedRoot, Services: services, HTTP: env.HTTP, Timeout: o.timeout, Now: env.Now}

	id, err := o.identity(ctx, env, sc)
	if err != nil {
		return err
	}
	if o.keyPath == "" {
		who, err := fulcio.IdentityFromCertificate(id.Chain[0])
		if err == nil {
			fmt.Fprintf(env.Stderr, "signet: signing as %s (issuer %s) with a certificate from %s\n", who.SAN, who.Issuer, services.CA.URL)
		}
	}
	switch {
	case o.keyPath != "" && len(id.Chain) > 0 && !fulcio.HasIssuerExtension(id.Chain[0]):
		// The user's own CA: what its verifiers need to say.
		if names, err := fulcio.SubjectNames(id.Chain[0]); err == nil && len(names) > 0 {
			who := names[0].Value
			fmt.Fprintf(env.Stderr, "signet: note: the certificate for %s names no OIDC issuer; verify with --certificate-identity %s --certificate-without-oidc-issuer, and --insecure-ignore-sct unless its CA logs to a CT log in the trusted root\n", who, who)
		}
	case len(cfg.TrustedRoot.CTLogs) == 0 && len(id.Chain) > 0:
		fmt.Fprintln(env.Stderr, "signet: warning: the trusted root has no CT logs, so the certificate's SCTs cannot be checked; verifiers will need --insecure-ignore-sct")
	}
	return o.signAll(ctx, env, sc, id, jobs)
}

// signJob is one bundle to write: of a file's bytes, or of a DSSE payload.
type signJob struct {
	file    string // the file signed, or what the statement is about (for messages)
	payload []byte // an in-toto statement; nil to sign the file's bytes
	out     string
}

// jobs reads and checks what will be signed, before any identity is asked for: statements
// are checked, and attested files hashed once each.
func (o *signOptions) jobs(outs []string) ([]signJob, error) {
	switch {
	case o.statementPath != "":
		payload, err := readSmallFile(o.statementPath, dsse.MaxPayloadSize)
		if err != nil {
			return nil, err
		}
		st, err := attest.CheckStatement(payload)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errInput, o.statementPath, err)
		}
		for _, f := range o.files {
			if err := isSubject(st, f); err != nil {
				return nil, err
			}
		}
		return []signJob{{file: o.statementPath, payload: payload, out: outs[0]}}, nil
	case o.attestation():
		algs := []string{attest.SHA256}
		if o.publish || slices.Contains(o.subjectDigest, attest.SHA512) {
			algs = append(algs, attest.SHA512)
		}
		var subjects []dsse.Subject
		names := map[string]string{}
		for _, f := range o.files {
			name := filepath.Base(f)
			if prev, ok := names[name]; ok {
				return nil, usagef("%s and %s would both be the subject %q", prev, f, name)
			}
			names[name] = f
			s, err := digestFile(name, f, algs)
			if err != nil {
				return nil, err
			}
			subjects = append(subjects, s)
		}
		var payload []byte
		if o.publish {
			r, err := attest.NewRelease(o.purl, o.registry, subjects)
			if err != nil {
				return nil, usageError{err}
			}
			if _, payload, err = r.Statement(o.predicateType); err != nil {
				return nil, usageError{err}
			}
		} else {
			var pred json.RawMessage
			if o.predicatePath != "" {
				data, err := readSmallFile(o.predicatePath, attest.MaxPredicateSize)
				if err != nil {
					return nil, err
				}
				pred = data
			}
			var err error
			if payload, err = attest.NewStatement(o.predicateType, pred, subjects); err != nil {
				return nil, fmt.Errorf("%w: %v", errInput, err)
			}
		}
		return []signJob{{file: strings.Join(o.files, ", "), payload: payload, out: outs[0]}}, nil
	case o.inToto:
		var jobs []signJob
		for i, f := range o.files {
			payload, err := readSmallFile(f, dsse.MaxPayloadSize)
			if err != nil {
				return nil, err
			}
			if _, err := attest.CheckStatement(payload); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", errInput, f, err)
			}
			jobs = append(jobs, signJob{file: f, payload: payload, out: outs[i]})
		}
		return jobs, nil
	}
	var jobs []signJob
	for i, f := range o.files {
		jobs = append(jobs, signJob{file: f, out: outs[i]})
	}
	return jobs, nil
}

func digestFile(name, path string, algs []string) (dsse.Subject, error) {
	f, err := os.Open(path)
	if err != nil {
		return dsse.Subject{}, err
	}
	defer f.Close()
	return attest.Digest(name, f, algs...)
}

// isSubject checks that the file at path is a subject of st, by every digest they share.
func isSubject(st *dsse.Statement, path string) error {
	s, err := digestFile(filepath.Base(path), path, []string{attest.SHA256, attest.SHA512})
	if err != nil {
		return err
	}
	for _, sub := range st.Subject {
		n, match := 0, true
		for alg, d := range s.Digest {
			if v, ok := sub.Digest[alg]; ok {
				n++
				match = match && strings.EqualFold(v, d)
			}
		}
		if n > 0 && match {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is not a subject of the statement (sha256 %s)", errInput, path, s.Digest[attest.SHA256])
}

// identity is the signing identity: the user's key, or an ephemeral key certified for an
// identity token.
func (o *signOptions) identity(ctx context.Context, env *Env, sc *sign.Config) (*sign.Identity, error) {
	if o.keyPath != "" {
		key, err := o.loadKey(env)
		if err != nil {
			return nil, err
		}
		var chain []*x509.Certificate
		if o.certificatePath != "" {
			if chain, err = loadCertificates(o.certificatePath); err != nil {
				return nil, err
			}
			if o.chainPath != "" {
				rest, err := loadCertificates(o.chainPath)
				if err != nil {
					return nil, err
				}
				chain = append(chain[:1], rest...)
			}
		}
		if o.dsse() {
			if err := sc.CheckDSSE(key.Public()); err != nil {
				return nil, usageError{err}
			}
		}
		return sign.KeyIdentity(key, chain)
	}
	key, err := sign.GenerateKey(sign.KeyAlgorithm(o.signingAlg))
	if err != nil {
		return nil, usageError{err}
	}
	if o.dsse() {
		if err := sc.CheckDSSE(key.Public()); err != nil {
			return nil, usageError{err}
		}
	}
	issuer := o.oidcIssuer
	if issuer == "" && sc.Services.OIDC != nil {
		issuer = sc.Services.OIDC.URL
	}
	tok, err := oidc.Get(ctx, oidc.Options{
		Flag: o.identityToken, Getenv: env.getenv, DisableAmbient: o.disableAmbient,
		Flow: o.oidcFlow, Interactive: env.Interactive, IssuerURL: issuer, ClientID: o.oidcClientID,
		HTTPClient: env.HTTP, Stderr: env.Stderr, Now: env.Now,
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(env.Stderr, "signet: using the identity token from %s for %s\n", tok.Source(), tok.Identity())
	return sc.Keyless(ctx, tok.Raw(), key)
}

func (o *signOptions) loadKey(env *Env) (crypto.Signer, error) {
	data, err := readSmallFile(o.keyPath, maxKeyFileSize)
	if err != nil {
		return nil, err
	}
	return parsePrivateKey(data, func() ([]byte, error) {
		if p, ok := lookupEnv(env, "SIGNET_PASSWORD"); ok {
			return []byte(p), nil
		}
		if !env.Interactive || env.ReadPassword == nil {
			return nil, fmt.Errorf("%w: %s is encrypted: set SIGNET_PASSWORD", errInput, o.keyPath)
		}
		return env.ReadPassword("Passphrase for " + o.keyPath + ": ")
	})
}

func lookupEnv(env *Env, key string) (string, bool) {
	v := env.getenv(key)
	return v, v != ""
}

func loadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := readSmallFile(path, maxKeyFileSize)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errInput, path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: %s holds no PEM certificate", errInput, path)
	}
	return certs, nil
}

// signAll signs the jobs, --parallel at a time, and writes each bundle as soon as it
// verifies. It reports every failure and returns the first.
func (o *signOptions) signAll(ctx context.Context, env *Env, sc *sign.Config, id *sign.Identity, jobs []signJob) error {
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex // serializes messages
	prog := newProgress(env, len(jobs), true, "signed")
	for i, job := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			msg, err := o.signOne(ctx, sc, id, job)
			mu.Lock()
			defer mu.Unlock()
			prog.clear()
			defer func() { prog.step(err != nil) }()
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", job.file, err)
				if len(jobs) > 1 {
					fmt.Fprintf(env.Stderr, "signet: error: %s\n", oneLine(errs[i].Error()))
				}
				return
			}
			fmt.Fprintln(env.Stderr, msg)
		}()
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if len(jobs) > 1 {
		return fmt.Errorf("%d of %d files were not signed; the first: %w", len(failed), len(jobs), failed[0])
	}
	return failed[0]
}

func (o *signOptions) signOne(ctx context.Context, sc *sign.Config, id *sign.Identity, job signJob) (string, error) {
	var b *pbbundle.Bundle
	var err error
	if job.payload != nil {
		if b, err = sc.SignDSSE(ctx, id, dsse.InTotoPayloadType, job.payload); err != nil {
			return "", err
		}
	} else {
		f, err := os.Open(job.file)
		if err != nil {
			return "", err
		}
		b, err = sc.SignArtifact(ctx, id, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	data, err := bundle.Marshal(b)
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(job.out, append(data, '\n'), 0o644, o.overwrite); err != nil {
		return "", err
	}
	var logs []string
	for _, e := range b.GetVerificationMaterial().GetTlogEntries() {
		logs = append(logs, fmt.Sprintf("index %d", e.GetLogIndex()))
	}
	msg := fmt.Sprintf("signet: signed %s: wrote %s", job.file, job.out)
	if o.attestation() {
		st, _ := dsse.ParseStatement(job.payload)
		msg = fmt.Sprintf("signet: attested %s (%s): wrote %s", job.file, st.PredicateType, job.out)
	}
	if len(logs) > 0 {
		msg += " (log " + strings.Join(logs, ", ") + ")"
	}
	return msg, nil
}

// checkWritableDir makes sure a bundle can be written into dir before anything is signed:
// a certificate and a log entry are spent for every file signed, and a log entry is forever.
func checkWritableDir(dir string) error { return checkDirWritable(dir, "bundles") }

// checkDirWritable checks that files can be created in dir; what names them in the error.
func checkDirWritable(dir, what string) error {
	f, err := os.CreateTemp(dir, ".signet-check-*")
	if err != nil {
		return fmt.Errorf("%w: cannot write %s into %s: %v", errOutput, what, dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// errConfig is a signing config that selects no usable services.
var errConfig = errors.New("unusable signing config")
