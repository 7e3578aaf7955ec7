package cli

import (
	"github.com/spf13/pflag"

	"github.com/signet-dev/signet/pkg/trust"
)

// trustFlags select the Sigstore instance: one of a trust config, a trusted root, staging,
// or by default the public-good instance embedded in the binary.
type trustFlags struct {
	trustConfig string
	trustedRoot string
	staging     bool
}

func (f *trustFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.trustConfig, "trust-config", "", "ClientTrustConfig `file` (trusted root and signing config) of the Sigstore instance")
	fs.StringVar(&f.trustedRoot, "trusted-root", "", "TrustedRoot `file` (v0.1 or v0.2) to verify against")
	fs.BoolVar(&f.staging, "staging", false, "use the embedded trust root of Sigstore's public staging instance")
}

func (f *trustFlags) validate() error {
	n := 0
	for _, set := range []bool{f.trustConfig != "", f.trustedRoot != "", f.staging} {
		if set {
			n++
		}
	}
	if n > 1 {
		return usagef("--trust-config, --trusted-root and --staging are mutually exclusive")
	}
	return nil
}

// trustedRootFor loads the trusted root the flags select.
func (f *trustFlags) trustedRootFor() (*trust.TrustedRoot, error) {
	switch {
	case f.trustConfig != "":
		data, err := trust.ReadFile(f.trustConfig)
		if err != nil {
			return nil, err
		}
		cfg, err := trust.ParseClientTrustConfig(data)
		if err != nil {
			return nil, err
		}
		return cfg.TrustedRoot, nil
	case f.trustedRoot != "":
		data, err := trust.ReadFile(f.trustedRoot)
		if err != nil {
			return nil, err
		}
		return trust.ParseTrustedRoot(data)
	case f.staging:
		cfg, err := trust.Embedded(trust.Staging)
		if err != nil {
			return nil, err
		}
		return cfg.TrustedRoot, nil
	}
	cfg, err := trust.Embedded(trust.PublicGood)
	if err != nil {
		return nil, err
	}
	return cfg.TrustedRoot, nil
}
