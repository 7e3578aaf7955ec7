package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/signet-dev/signet/pkg/sign"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/trust/tuf"
)

// Environment variables that choose trust material.
const (
	// envTUFCache overrides the TUF cache directory ($XDG_CACHE_HOME/signet/tuf).
	envTUFCache = "SIGNET_TUF_CACHE"
	// envOffline set to 1 is --offline.
	envOffline = "SIGNET_OFFLINE"
)

// errTrust marks trust material that cannot be had or used: no cache directory, TUF
// metadata refused, a cache that does not verify (exit code 3).
var errTrust = errors.New("unusable trust material")

// trustFlags select the trust material, in one precedence order for every command:
//
//	--trust-config > --trusted-root / --signing-config > --instance / --staging > public-good
//
// Each document (trusted root, signing config) comes from the first source that has it; an
// instance's material comes from its TUF repository, refreshed when the cached metadata has
// expired, or with --offline from the cache or the material built into signet.
type trustFlags struct {
	trustConfig   string
	trustedRoot   string
	signingConfig string
	instance      string
	staging       bool
	offline       bool
	tufCache      string
}

// register adds the trust flags; signingConfig says whether the command takes
// --signing-config (commands that sign, or show signing services).
func (f *trustFlags) register(fs *pflag.FlagSet, signingConfig bool) {
	fs.StringVar(&f.trustConfig, "trust-config", "", "ClientTrustConfig `file` (trusted root and signing config) of the Sigstore instance")
	fs.StringVar(&f.trustedRoot, "trusted-root", "", "TrustedRoot `file` (v0.1 or v0.2)")
	if signingConfig {
		fs.StringVar(&f.signingConfig, "signing-config", "", "SigningConfig `file` (v0.2) naming the services to sign with")
	}
	fs.StringVar(&f.instance, "instance", "", "Sigstore instance by its TUF repository `URL` (registered with 'signet trust init'), or public-good or staging")
	fs.BoolVar(&f.staging, "staging", false, "Sigstore's public staging instance (same as --instance staging)")
	fs.BoolVar(&f.offline, "offline", false, "never contact the TUF repository: use its cached material, verified again, else the material built into signet ($"+envOffline+"=1)")
	fs.StringVar(&f.tufCache, "tuf-cache", "", "TUF cache `directory` (default $"+envTUFCache+", else $XDG_CACHE_HOME/signet/tuf)")
}

func (f *trustFlags) validate() error {
	if f.instance != "" && f.staging {
		return usagef("--instance and --staging both name an instance; give one")
	}
	return nil
}

// resolvedTrust is the trust material a command works with and where it came from.
type resolvedTrust struct {
	cfg *trust.Config
	// src describes where the trusted root came from.
	src trust.Source
	// material is set when an instance's TUF material was used.
	material *tuf.Material
}

// resolve loads the trust material in precedence order. needSigning asks for a signing config
// too. Notes about ignored flags and, with --offline, the material's age go to stderr.
func (f *trustFlags) resolve(ctx context.Context, env *Env, needSigning bool) (*resolvedTrust, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	f.noteIgnored(env, needSigning)
	if f.trustConfig != "" {
		data, err := trust.ReadFile(f.trustConfig)
		if err != nil {
			return nil, err
		}
		cfg, err := trust.ParseClientTrustConfig(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.trustConfig, err)
		}
		return &resolvedTrust{cfg: cfg, src: fileSource(f.trustConfig, trust.ClientTrustConfigMediaType)}, nil
	}
	rt := &resolvedTrust{cfg: &trust.Config{}}
	if f.trustedRoot != "" {
		data, err := trust.ReadFile(f.trustedRoot)
		if err != nil {
			return nil, err
		}
		if rt.cfg.TrustedRoot, err = trust.ParseTrustedRoot(data); err != nil {
			return nil, fmt.Errorf("%s: %w", f.trustedRoot, err)
		}
		rt.src = fileSource(f.trustedRoot, rt.cfg.TrustedRoot.MediaType)
	}
	if f.signingConfig != "" && needSigning {
		data, err := trust.ReadFile(f.signingConfig)
		if err != nil {
			return nil, err
		}
		if rt.cfg.SigningConfig, err = trust.ParseSigningConfig(data); err != nil {
			return nil, fmt.Errorf("%s: %w", f.signingConfig, err)
		}
	}
	if rt.cfg.TrustedRoot != nil && (!needSigning || rt.cfg.SigningConfig != nil) {
		return rt, nil
	}
	m, err := f.fetchInstance(ctx, env, false)
	if err != nil {
		return nil, err
	}
	rt.material = m
	if rt.cfg.TrustedRoot == nil {
		rt.cfg.TrustedRoot, rt.src = m.Config.TrustedRoot, materialSource(m)
	}
	if needSigning && rt.cfg.SigningConfig == nil {
		if m.Config.SigningConfig == nil {
			return nil, fmt.Errorf("%w: the TUF repository %s publishes no signing config (%s); give --signing-config or --trust-config",
				errConfig, m.Repository, tuf.SigningConfigTarget)
		}
		rt.cfg.SigningConfig = m.Config.SigningConfig
	}
	return rt, nil
}

// noteIgnored says which lower-precedence flags the higher ones override. needSigning says
// whether the command needs a signing config, which an instance may still provide.
func (f *trustFlags) noteIgnored(env *Env, needSigning bool) {
	var lower []string
	higher := "--trust-config"
	if f.trustConfig != "" {
		if f.trustedRoot != "" {
			lower = append(lower, "--trusted-root")
		}
		if f.signingConfig != "" {
			lower = append(lower, "--signing-config")
		}
	} else if f.trustedRoot != "" && (!needSigning || f.signingConfig != "") {
		higher = "--trusted-root"
		if needSigning {
			higher += " and --signing-config"
		}
	} else {
		higher = ""
	}
	if higher != "" {
		if f.instance != "" {
			lower = append(lower, "--instance")
		}
		if f.staging {
			lower = append(lower, "--staging")
		}
	}
	if len(lower) > 0 {
		fmt.Fprintf(env.Stderr, "signet: note: %s ignored: %s takes precedence\n", strings.Join(lower, ", "), higher)
	}
}

// instanceFor returns the TUF instance the flags name (public-good by default).
func (f *trustFlags) instanceFor(cacheDir string) (tuf.Instance, error) {
	switch {
	case f.staging:
		return tuf.Staging(), nil
	case f.instance == "":
		return tuf.PublicGood(), nil
	}
	inst, err := tuf.Lookup(cacheDir, f.instance)
	if errors.Is(err, tuf.ErrNotRegistered) {
		return tuf.Instance{}, withHint(usagef("no TUF repository %s is registered", f.instance),
			"register it first with 'signet trust init --tuf-url URL --tuf-root ROOT.json'")
	}
	return inst, err
}

// cacheDir is --tuf-cache, else $SIGNET_TUF_CACHE, else the user's cache directory.
func (f *trustFlags) cacheDir(env *Env) (string, error) {
	if f.tufCache != "" {
		return f.tufCache, nil
	}
	if d := env.getenv(envTUFCache); d != "" {
		return d, nil
	}
	return tuf.DefaultCacheDir(env.getenv)
}

// isOffline is --offline or $SIGNET_OFFLINE=1.
func (f *trustFlags) isOffline(env *Env) bool {
	return f.offline || env.getenv(envOffline) == "1"
}

// fetchInstance gets the selected instance's material from its TUF repository (force:
// refresh even while the cache is valid). Offline, it says on stderr how old the material is.
func (f *trustFlags) fetchInstance(ctx context.Context, env *Env, force bool) (*tuf.Material, error) {
	offline := f.isOffline(env)
	dir, dirErr := f.cacheDir(env)
	inst, err := f.instanceFor(dir)
	if err != nil {
		return nil, err
	}
	var m *tuf.Material
	switch {
	case dirErr != nil && offline && f.instance == "":
		// No cache to read: the material built into signet.
		m, err = tuf.Embedded(inst)
	case dirErr != nil:
		return nil, withHint(fmt.Errorf("%w: %v", errTrust, dirErr),
			"set --tuf-cache or $"+envTUFCache+" to a writable directory")
	default:
		m, err = tuf.Fetch(ctx, inst, tuf.Options{CacheDir: dir, HTTP: env.HTTP, Now: env.Now, Offline: offline, ForceRefresh: force})
	}
	if err != nil {
		var svc *sign.ServiceError
		if !errors.As(err, &svc) {
			err = fmt.Errorf("%w: %w", errTrust, err)
		}
		if offline {
			return nil, withHint(err, "run 'signet trust update' (or 'signet trust init' for a private instance) while online")
		}
		return nil, withHint(err, "check the network and the repository; --offline uses the cached or built-in trust material without it")
	}
	if offline {
		fmt.Fprintf(env.Stderr, "signet: note: offline: %s\n", describeMaterial(m, env.Now()))
	}
	return m, nil
}

// describeMaterial says where an instance's material came from and how old it is.
func describeMaterial(m *tuf.Material, now time.Time) string {
	what := map[tuf.Source]string{tuf.SourceTUF: "fetched now from", tuf.SourceCache: "cached from", tuf.SourceEmbedded: "built into signet for"}[m.Source]
	s := fmt.Sprintf("trust material %s %s, as of %s (%s old)", what, m.Repository,
		m.FetchedAt.UTC().Format(time.DateOnly), humanDuration(now.Sub(m.FetchedAt)))
	if !m.Expires.IsZero() && now.After(m.Expires) {
		s += fmt.Sprintf("; its TUF metadata expired on %s", m.Expires.UTC().Format(time.DateOnly))
	}
	return s
}

// materialSource describes an instance's material as a trust.Source.
func materialSource(m *tuf.Material) trust.Source {
	src := trust.Source{Kind: trust.SourceTUF, Location: m.Repository, Document: trust.TrustedRootMediaType01,
		Updated: m.FetchedAt.UTC(), Expires: m.Expires.UTC()}
	if m.Source == tuf.SourceEmbedded {
		src.Kind, src.Expires = trust.SourceEmbedded, time.Time{}
		switch m.Repository {
		case tuf.PublicGoodURL:
			src.Location = string(trust.PublicGood)
		case tuf.StagingURL:
			src.Location = string(trust.Staging)
		}
	}
	if m.Config != nil && m.Config.TrustedRoot != nil {
		src.Document = m.Config.TrustedRoot.MediaType
	}
	return src
}

// fileSource describes a trust file as the source of trust material.
func fileSource(path, document string) trust.Source {
	_, src, err := readTrustFile(path)
	if err != nil {
		src = trust.Source{Kind: trust.SourceFile, Location: path}
	}
	src.Document = document
	return src
}
