// Package cli is signet's command-line interface: the cobra command tree (sign, verify, trust),
// flag parsing into one options struct per command, reading key files and passphrases,
// atomic output files, text and JSON output, and the mapping from errors to exit codes,
// which happens only in Main.
// It owns no Sigstore logic: every command calls into pkg/.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/signet-dev/signet/internal/oidc"
	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/sign"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/verify"
)

// Exit codes.
const (
	ExitOK        = 0
	ExitFailed    = 1 // verification failed
	ExitUsage     = 2 // bad flags or arguments
	ExitMalformed = 3 // an input is unreadable or malformed
	ExitService   = 4 // a Sigstore service or identity provider failed or could not be reached
	ExitIdentity  = 5 // no usable identity token
)

// Version is set at build time with -ldflags "-X github.com/signet-dev/signet/internal/cli.Version=...".
var Version = "dev"

// Env is the world a command runs in: streams, a clock, the environment variables, whether a
// person is at a terminal, and the network. Tests pass buffers and fakes.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
	// Getenv reads an environment variable (nil: none are set).
	Getenv func(string) string
	// Interactive says that stdin and stderr are a terminal, so signet may prompt.
	Interactive bool
	// ProgressTTY says that stderr is a terminal, where a progress line may be redrawn.
	ProgressTTY bool
	// ReadPassword prompts on the terminal and reads a line without echo.
	ReadPassword func(prompt string) ([]byte, error)
	// HTTP sends every request to Sigstore services and identity providers.
	HTTP *http.Client
}

// OSEnv is the real process environment.
func OSEnv() *Env {
	return &Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now, Getenv: os.Getenv,
		Interactive: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stderr.Fd())),
		ProgressTTY: term.IsTerminal(int(os.Stderr.Fd())),
		ReadPassword: func(prompt string) ([]byte, error) {
			fmt.Fprint(os.Stderr, prompt)
			defer fmt.Fprintln(os.Stderr)
			return term.ReadPassword(int(os.Stdin.Fd()))
		},
		HTTP: &http.Client{Transport: transport()},
	}
}

// transport is the default transport with room for many connections to one service: signing
// many files talks to each service from --parallel goroutines, and a connection that cannot
// be kept idle costs a new TCP (and TLS) handshake on the next request.
func transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

func (e *Env) getenv(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

// usageError is a mistake in how signet was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errInput marks an input that signet cannot read or parse (exit code 3).
var errInput = errors.New("unreadable input")

// Main runs signet with args (without the program name) and returns the exit code.
func Main(args []string, env *Env) int {
	root := newRootCmd(env)
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "signet: error: %s\n", oneLine(stepMessage(err)))
	if h := hint(err); h != "" {
		fmt.Fprintf(env.Stderr, "signet: hint: %s\n", h)
	}
	return exitCode(err)
}

// stepMessage is an error's message, led by the verification step that failed.
func stepMessage(err error) string {
	msg := err.Error()
	var ve *verify.Error
	var se *sign.Error
	var me *multiError
	if !errors.As(err, &se) && !errors.As(err, &me) && errors.As(err, &ve) {
		msg = fmt.Sprintf("%s check failed: %s", ve.Step, msg)
	}
	return msg
}

// exitCode is the one place where errors become exit codes.
func exitCode(err error) int {
	var u usageError
	var pathErr *fs.PathError
	var svc *sign.ServiceError
	var multi *multiError
	switch {
	case errors.As(err, &multi):
		return ExitFailed // some of several verifications failed; each says why
	case errors.As(err, &u), errors.Is(err, errExists):
		return ExitUsage
	case errors.Is(err, oidc.ErrNoToken), errors.Is(err, oidc.ErrInvalidToken), errors.Is(err, sign.ErrIdentityRejected):
		return ExitIdentity
	case errors.As(err, &svc), errors.Is(err, oidc.ErrNetwork):
		return ExitService
	case errors.Is(err, bundle.ErrMalformed), errors.Is(err, trust.ErrMalformed), errors.Is(err, errInput),
		errors.Is(err, errBadPassphrase), errors.Is(err, errConfig), errors.Is(err, errTrust), errors.Is(err, errOutput), errors.As(err, &pathErr):
		return ExitMalformed
	}
	return ExitFailed
}

// hinted attaches a hint for people to an error, without changing what the error is (its
// exit code).
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() }
func (h hinted) Unwrap() error { return h.err }

func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return hinted{err, hint}
}

func hint(err error) string {
	var h hinted
	if errors.As(err, &h) {
		return h.hint
	}
	var u usageError
	if errors.As(err, &u) {
		return "run 'signet help' or 'signet <command> --help' for usage"
	}
	var se *sign.Error
	if errors.As(err, &se) && se.Step == sign.StepVerify {
		return "the services answered with evidence the trusted root does not vouch for: check that the trust config matches the services"
	}
	var svc *sign.ServiceError
	switch {
	case errors.Is(err, errExists):
		return "pass --overwrite to replace existing bundles"
	case errors.Is(err, errOutput):
		return "check that the bundle's directory exists and is writable"
	case errors.Is(err, oidc.ErrNoToken):
		return "pass --identity-token, set $SIGSTORE_ID_TOKEN, or sign in interactively with --oidc-flow browser or device"
	case errors.Is(err, oidc.ErrInvalidToken):
		return "get a fresh identity token for the audience \"sigstore\""
	case errors.Is(err, sign.ErrIdentityRejected):
		return "the certificate authority refused the identity token: check that it is fresh, for the audience \"sigstore\", from an issuer the CA trusts (a verified email, if it has one)"
	case errors.As(err, &svc):
		return "check that the service named above is up and reachable, and that --trust-config names the right instance; --timeout allows more time"
	case errors.Is(err, errBadPassphrase):
		return "check $SIGNET_PASSWORD or the passphrase you typed"
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return "check that the file exists and is readable"
	}
	if errors.Is(err, attest.ErrUnboundRegistry) {
		return "PyPI's publish attestations (publish/v1) do not name the index they were made for; pass --allow-unbound-registry to accept one without checking the registry"
	}
	var ste *verify.StatementError
	if errors.As(err, &ste) {
		return "the signature verifies, but the statement is not about what you asked for: compare --purl, --registry, --predicate-type and the artifact's name with the statement (--output json shows it)"
	}
	var ve *verify.Error
	if errors.As(err, &ve) {
		return stepHints[ve.Step]
	}
	return ""
}

var stepHints = map[verify.Step]string{
	verify.StepBundle:      "check that --bundle names a Sigstore bundle (.sigstore.json) as written by a Sigstore client, or --attestation an attestation of the kind and signer you verify",
	verify.StepTrust:       "check the file given to --trusted-root or --trust-config, or omit them to use the embedded public-good root",
	verify.StepTimestamp:   "the bundle's timestamps must come from a timestamp authority in the trusted root, while the signature existed; was it signed against another Sigstore instance (--staging, --trust-config)?",
	verify.StepTlog:        "the bundle's log entries must come from a log in the trusted root and match the bundle; was it signed against another Sigstore instance (--staging, --trust-config)?",
	verify.StepCertificate: "the certificate must chain to a CA in the trusted root and be valid at the logged or timestamped signing time",
	verify.StepSCT:         "the certificate's SCTs must come from a CT log in the trusted root; use --insecure-ignore-sct only for a private CA without certificate transparency",
	verify.StepArtifact:    "the artifact is not the one that was signed: check the file or digest given",
	verify.StepSignature:   "the signature does not match: the bundle or the artifact was altered, or the wrong key was given",
	verify.StepPolicy:      "compare --certificate-identity, --certificate-oidc-issuer and --certificate-extension (or --key) with the signer you expect",
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func newRootCmd(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "signet",
		Short:         "Sign and verify artifacts with Sigstore",
		Long:          "signet signs and verifies artifacts with Sigstore: against the public-good instance or a private deployment described by one trust config file.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetVersionTemplate("signet {{.Version}}\n")
	root.AddCommand(newSignCmd(env), newVerifyCmd(env), newTrustCmd(env))
	root.SetHelpCommand(&cobra.Command{Use: "help [command]", Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, _, err := c.Root().Find(args)
			if err != nil || cmd == nil {
				return usagef("unknown help topic %q", strings.Join(args, " "))
			}
			return cmd.Help()
		}})
	return root
}

// aliases maps the flag names other Sigstore clients use onto signet's.
var aliases = map[string]string{
	"cert-identity":           "certificate-identity",
	"cert-identity-regexp":    "certificate-identity-regexp",
	"cert-oidc-issuer":        "certificate-oidc-issuer",
	"cert-oidc-issuer-regexp": "certificate-oidc-issuer-regexp",
}

func normalizeFlag(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if a, ok := aliases[name]; ok {
		name = a
	}
	return pflag.NormalizedName(name)
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("expected %s, got %d arguments", what, len(args))
		}
		return nil
	}
}
