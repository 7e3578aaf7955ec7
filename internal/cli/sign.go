package cli

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/spf13/cobra"

	"github.com/signet-dev/signet/internal/oidc"
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

	inToto     bool
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

The signature is timestamped and logged in the transparency logs the signing config selects
(Rekor v1 or v2). The instance is the public-good one unless --trust-config, --trusted-root
with --signing-config, or --staging says otherwise.`,
		Example: `  signet sign release.tar.gz
  SIGSTORE_ID_TOKEN=$TOKEN signet sign --trust-config private.json dist/*
  SIGNET_PASSWORD=... signet sign --key release.key app.bin
  signet sign --in-toto provenance.json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
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
	fs.BoolVar(&o.inToto, "in-toto", false, "each FILE is an in-toto statement: sign it as a DSSE envelope")
	fs.StringVar(&o.bundlePath, "bundle", "", "write the bundle to this `file` (one FILE only; default FILE.sigstore.json)")
	fs.BoolVar(&o.overwrite, "overwrite", false, "replace existing bundle files")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "time limit for each call to a Sigstore service, retries included")
	fs.IntVar(&o.parallel, "parallel", 32, "files signed at once (signing waits mostly on the services)")
	return cmd
}

func (o *signOptions) outputs() ([]string, error) {
	if o.bundlePath != "" && len(o.files) > 1 {
		return nil, usagef("--bundle names one bundle, but %d files were given", len(o.files))
	}
	if o.parallel < 1 {
		return nil, usagef("--parallel must be at least 1")
	}
	var outs []string
	seen := map[string]bool{}
	for _, f := range o.files {
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
	if len(cfg.TrustedRoot.CTLogs) == 0 && len(id.Chain) > 0 {
		fmt.Fprintln(env.Stderr, "signet: warning: the trusted root has no CT logs, so the certificate's SCTs cannot be checked; verifiers will need --insecure-ignore-sct")
	}
	return o.signAll(ctx, env, sc, id, outs)
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
		if o.inToto {
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
	if o.inToto {
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

// signAll signs the files, --parallel at a time, and writes each bundle as soon as it
// verifies. It reports every failure and returns the first.
func (o *signOptions) signAll(ctx context.Context, env *Env, sc *sign.Config, id *sign.Identity, outs []string) error {
	errs := make([]error, len(o.files))
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex // serializes messages
	for i, file := range o.files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			msg, err := o.signOne(ctx, sc, id, file, outs[i])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", file, err)
				if len(o.files) > 1 {
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
	if len(o.files) > 1 {
		return fmt.Errorf("%d of %d files were not signed; the first: %w", len(failed), len(o.files), failed[0])
	}
	return failed[0]
}

func (o *signOptions) signOne(ctx context.Context, sc *sign.Config, id *sign.Identity, file, out string) (string, error) {
	var b *pbbundle.Bundle
	if o.inToto {
		payload, err := readSmallFile(file, dsse.MaxPayloadSize)
		if err != nil {
			return "", err
		}
		if _, err := dsse.ParseStatement(payload); err != nil {
			return "", fmt.Errorf("%w: %v", errInput, err)
		}
		if b, err = sc.SignDSSE(ctx, id, dsse.InTotoPayloadType, payload); err != nil {
			return "", err
		}
	} else {
		f, err := os.Open(file)
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
	if err := writeFileAtomic(out, append(data, '\n'), 0o644, o.overwrite); err != nil {
		return "", err
	}
	var logs []string
	for _, e := range b.GetVerificationMaterial().GetTlogEntries() {
		logs = append(logs, fmt.Sprintf("index %d", e.GetLogIndex()))
	}
	msg := fmt.Sprintf("signet: signed %s: wrote %s", file, out)
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
