package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/signet-dev/signet/pkg/sign"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/trust/tuf"
)

type trustInitOptions struct {
	url, rootPath string
	trust         trustFlags // only --tuf-cache is used
}

func newTrustInitCmd(env *Env) *cobra.Command {
	o := &trustInitOptions{}
	cmd := &cobra.Command{
		Use:   "init --tuf-url URL --tuf-root ROOT.json",
		Short: "Register a private Sigstore instance's TUF repository and fetch its trust material",
		Long: `Init registers the TUF repository of a private Sigstore instance under its URL, with the
root metadata you trust it from (root.json, obtained from the operator out of band), fetches
and verifies its trusted root and signing config, and caches them. 'signet sign' and
'signet verify' then take --instance URL; 'signet trust update --instance URL' refreshes.

The repository must be https (http only on 127.0.0.1 or localhost). Registering the URL again
replaces its root.`,
		Example: `  signet trust init --tuf-url https://tuf.sigstore.example.com --tuf-root root.json
  signet verify --instance https://tuf.sigstore.example.com --certificate-identity ... app.bin`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrustInit(cmd.Context(), env, o) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.url, "tuf-url", "", "base `URL` of the TUF repository (metadata at URL/N.root.json, targets under URL/targets/)")
	fs.StringVar(&o.rootPath, "tuf-root", "", "initial TUF root metadata `file` (root.json) to trust the repository from")
	fs.StringVar(&o.trust.tufCache, "tuf-cache", "", "TUF cache `directory` (default $"+envTUFCache+", else $XDG_CACHE_HOME/signet/tuf)")
	return cmd
}

func runTrustInit(ctx context.Context, env *Env, o *trustInitOptions) error {
	if o.url == "" || o.rootPath == "" {
		return usagef("trust init needs --tuf-url and --tuf-root")
	}
	root, err := trust.ReadFile(o.rootPath)
	if err != nil {
		return err
	}
	dir, err := o.trust.cacheDir(env)
	if err != nil {
		return withHint(fmt.Errorf("%w: %v", errTrust, err), "set --tuf-cache or $"+envTUFCache+" to a writable directory")
	}
	m, err := tuf.Register(ctx, o.url, root, tuf.Options{CacheDir: dir, HTTP: env.HTTP, Now: env.Now})
	if err != nil {
		var svc *sign.ServiceError
		if !errors.As(err, &svc) {
			err = fmt.Errorf("%w: %w", errTrust, err)
		}
		return withHint(fmt.Errorf("registering TUF repository: %w", err),
			"check --tuf-url, that --tuf-root is the repository's root metadata as its operator published it, and the network")
	}
	fmt.Fprintf(env.Stderr, "signet: registered %s\n", m.Repository)
	writeMaterialSummary(env.Stderr, m)
	fmt.Fprintf(env.Stderr, "signet: use it with --instance %s\n", m.Repository)
	return nil
}

type trustUpdateOptions struct {
	trust trustFlags
}

func newTrustUpdateCmd(env *Env) *cobra.Command {
	o := &trustUpdateOptions{}
	cmd := &cobra.Command{
		Use:   "update [--instance URL | --staging]",
		Short: "Refresh an instance's trust material from its TUF repository now",
		Long: `Update refreshes the trust material of an instance (public-good by default) from its TUF
repository now, whether or not the cached metadata has expired, verifies it, and caches it.
'signet sign' and 'signet verify' refresh by themselves when the cache expires; update is for
doing it ahead, for example before going offline.`,
		Example: `  signet trust update
  signet trust update --instance https://tuf.sigstore.example.com`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrustUpdate(cmd.Context(), env, o) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.trust.instance, "instance", "", "Sigstore instance by its TUF repository `URL` (registered with 'signet trust init'), or public-good or staging")
	fs.BoolVar(&o.trust.staging, "staging", false, "Sigstore's public staging instance")
	fs.StringVar(&o.trust.tufCache, "tuf-cache", "", "TUF cache `directory` (default $"+envTUFCache+", else $XDG_CACHE_HOME/signet/tuf)")
	return cmd
}

func runTrustUpdate(ctx context.Context, env *Env, o *trustUpdateOptions) error {
	if err := o.trust.validate(); err != nil {
		return err
	}
	if env.getenv(envOffline) == "1" {
		return usagef("trust update contacts the TUF repository, and $%s=1 forbids it", envOffline)
	}
	m, err := o.trust.fetchInstance(ctx, env, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "signet: updated %s\n", m.Repository)
	writeMaterialSummary(env.Stderr, m)
	return nil
}

// writeMaterialSummary says, for people, what an instance's TUF material holds.
func writeMaterialSummary(w io.Writer, m *tuf.Material) {
	tr := m.Config.TrustedRoot
	fmt.Fprintf(w, "  TUF root version %d, timestamp version %d, fresh until %s\n",
		m.RootVersion, m.TimestampVersion, m.Expires.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "  trusted root: %s, %s, %s, %s\n", plural(len(tr.CertificateAuthorities), "certificate authority", "certificate authorities"),
		plural(len(tr.Tlogs), "transparency log", "transparency logs"), plural(len(tr.CTLogs), "CT log", "CT logs"),
		plural(len(tr.TimestampAuthorities), "timestamp authority", "timestamp authorities"))
	if len(tr.Unusable) > 0 {
		fmt.Fprintf(w, "  %s signet cannot use (see 'signet trust show')\n", plural(len(tr.Unusable), "entry", "entries"))
	}
	if m.Config.SigningConfig == nil {
		fmt.Fprintf(w, "  no signing config: sign with --signing-config or --trust-config\n")
	} else {
		fmt.Fprintf(w, "  signing config: yes\n")
	}
}
