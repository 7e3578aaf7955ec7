package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/spf13/cobra"

	"github.com/signet-dev/signet/pkg/trust"
)

func newTrustCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "Show or create trust material: trusted roots, signing configs, trust configs",
		Long: `Trust material says which Sigstore instance signet trusts (a trusted root: certificate
authorities, transparency logs, CT logs, timestamp authorities) and which services it signs with
(a signing config). A trust config (ClientTrustConfig) holds both, in one file.

The trust material of an instance comes from its TUF repository: public-good and staging are
built in, a private one is registered with 'signet trust init', and 'signet trust update'
refreshes it. 'signet trust show' describes trust material; 'signet trust create' builds it for
a private Sigstore or an enterprise CA.

Every command takes its trust material in one precedence order:
  --trust-config > --trusted-root / --signing-config > --instance / --staging > public-good`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for signet trust (init, update, show, create)", args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newTrustInitCmd(env), newTrustUpdateCmd(env), newTrustShowCmd(env), newTrustCreateCmd(env))
	return cmd
}

type trustShowOptions struct {
	trust  trustFlags
	output string
}

func newTrustShowCmd(env *Env) *cobra.Command {
	o := &trustShowOptions{}
	cmd := &cobra.Command{
		Use:   "show [--instance URL | --staging | --trust-config FILE | --trusted-root FILE] [-o json]",
		Short: "Describe trust material: every authority and log, the signing services, and where it came from",
		Long: `Show describes trust material entry by entry: every certificate authority, transparency
log, CT log and timestamp authority of the trusted root (key id, validity window, operator, and
whether signet can use it, or why not), the services and selectors of the signing config when
there is one (and which ones signet signs with now), and where the material came from and how old
it is.

An entry signet cannot use (no chain or key, an algorithm it does not implement) is skipped
when verifying: it vouches for nothing. A malformed entry makes signet refuse the whole trusted
root; show then describes every entry and exits with 3.

Without --trust-config or --trusted-root it shows the material of an instance (--instance URL,
--staging, else public-good) from its TUF repository, refreshed when the cache has expired; with
--offline the cached or built-in material, and how old it is.`,
		Example: `  signet trust show
  signet trust show --trust-config corp.json
  signet trust show --staging -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrustShow(cmd.Context(), env, o)
		},
	}
	fs := cmd.Flags()
	o.trust.register(fs, false)
	fs.Lookup("trusted-root").Usage = "TrustedRoot `file` (v0.1 or v0.2) to describe"
	fs.StringVarP(&o.output, "output", "o", "text", "output format: text or json (a versioned document)")
	return cmd
}

// loadedTrust is trust material as read for description, before validation, with where it
// came from.
type loadedTrust struct {
	root *pbtrust.TrustedRoot
	sc   *pbtrust.SigningConfig // nil for a bare trusted root
	src  trust.Source
}

// loadForShow reads the trust material the flags select without validating its entries, so
// that show can describe what signet cannot use too. An instance's material comes from its TUF
// repository (or, offline, its cache or signet's built-in copy), with its age and expiry.
func (f *trustFlags) loadForShow(ctx context.Context, env *Env) (*loadedTrust, error) {
	f.noteIgnored(env, false)
	switch {
	case f.trustConfig != "":
		data, src, err := readTrustFile(f.trustConfig)
		if err != nil {
			return nil, err
		}
		ctc, err := trust.DecodeClientTrustConfig(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.trustConfig, err)
		}
		if ctc.GetMediaType() != trust.ClientTrustConfigMediaType {
			return nil, fmt.Errorf("%s: %w: unsupported trust config media type %q (want %s)", f.trustConfig, trust.ErrMalformed,
				ctc.GetMediaType(), trust.ClientTrustConfigMediaType)
		}
		if ctc.GetTrustedRoot() == nil || ctc.GetSigningConfig() == nil {
			return nil, fmt.Errorf("%s: %w: trust config needs both trustedRoot and signingConfig", f.trustConfig, trust.ErrMalformed)
		}
		src.Document = ctc.GetMediaType()
		return &loadedTrust{root: ctc.GetTrustedRoot(), sc: ctc.GetSigningConfig(), src: src}, nil
	case f.trustedRoot != "":
		data, src, err := readTrustFile(f.trustedRoot)
		if err != nil {
			return nil, err
		}
		tr, err := trust.DecodeTrustedRoot(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.trustedRoot, err)
		}
		src.Document = tr.GetMediaType()
		return &loadedTrust{root: tr, src: src}, nil
	}
	m, err := f.fetchInstance(ctx, env, false)
	if err != nil {
		return nil, err
	}
	lt := &loadedTrust{root: m.Config.TrustedRoot.Proto(), src: materialSource(m)}
	if m.Config.SigningConfig != nil {
		lt.sc = m.Config.SigningConfig.Proto()
	}
	return lt, nil
}

// readTrustFile reads a trust file and describes it as a source: its path and when it was
// last written.
func readTrustFile(path string) ([]byte, trust.Source, error) {
	data, err := trust.ReadFile(path)
	if err != nil {
		return nil, trust.Source{}, err
	}
	src := trust.Source{Kind: trust.SourceFile, Location: path}
	if st, err := os.Stat(path); err == nil {
		src.Updated = st.ModTime().UTC().Truncate(time.Second)
	}
	return data, src, nil
}

func runTrustShow(ctx context.Context, env *Env, o *trustShowOptions) error {
	if o.output != "text" && o.output != "json" {
		return usagef("--output must be text or json, not %q", o.output)
	}
	if err := o.trust.validate(); err != nil {
		return err
	}
	lt, err := o.trust.loadForShow(ctx, env)
	if err != nil {
		if hint(err) != "" {
			return err
		}
		return withHint(err, "check the file given to --trust-config or --trusted-root: it must be a Sigstore trust config or trusted root in JSON")
	}
	d := trust.Describe(lt.root, lt.sc, lt.src, env.Now().UTC().Truncate(time.Second))
	if o.output == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return err
		}
	} else {
		writeDescription(env.Stdout, d)
	}
	// What signet cannot use at all is an error (exit 3), after the description.
	if _, err := trust.NewTrustedRoot(lt.root); err != nil {
		return withHint(fmt.Errorf("signet cannot use this trusted root: %w", err), "the entry named is malformed (marked UNUSABLE above); fix or remove it")
	}
	if lt.sc != nil {
		if _, err := trust.NewSigningConfig(lt.sc); err != nil {
			return withHint(fmt.Errorf("signet cannot use this signing config: %w", err),
				"signet reads signing configs of media type "+trust.SigningConfigMediaType02+", whose services all have a URL and a validity start")
		}
	}
	return nil
}

// writeDescription renders a description for people.
func writeDescription(w io.Writer, d *trust.Description) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	src := d.Source
	switch src.Kind {
	case trust.SourceEmbedded:
		p("Source: the %s trust material embedded in signet %s", src.Location, Version)
	case trust.SourceTUF:
		p("Source: TUF repository %s (verified)", src.Location)
	default:
		p("Source: %s %s", src.Kind, src.Location)
	}
	if src.Document != "" {
		p("  document: %s", src.Document)
	}
	if !src.Updated.IsZero() {
		age := "in the future"
		if d.AgeSeconds != nil && *d.AgeSeconds >= 0 {
			age = humanDuration(time.Duration(*d.AgeSeconds)*time.Second) + " ago"
		}
		p("  updated:  %s (%s)", src.Updated.UTC().Format(time.RFC3339), age)
	}
	if !src.Expires.IsZero() {
		p("  expires:  %s", src.Expires.UTC().Format(time.RFC3339))
	}

	tr := d.TrustedRoot
	p("")
	if n := unusableEntries(tr); tr.Usable && n > 0 {
		p("Trusted root (%s): signet can use it, except %s marked UNUSABLE, which vouch for nothing", tr.MediaType, plural(n, "entry", "entries"))
	} else if tr.Usable {
		p("Trusted root (%s): signet can use it", tr.MediaType)
	} else {
		p("Trusted root (%s): UNUSABLE: %s", tr.MediaType, tr.Error)
	}
	writeAuthorities(p, "Certificate authorities", tr.CertificateAuthorities)
	writeLogs(p, "Transparency logs", tr.Tlogs)
	writeLogs(p, "CT logs", tr.CTLogs)
	writeAuthorities(p, "Timestamp authorities", tr.TimestampAuthorities)

	sc := d.SigningConfig
	if sc == nil {
		p("")
		p("Signing config: none (a trusted root alone is enough to verify; signing needs a signing config)")
		return
	}
	p("")
	if sc.Usable {
		p("Signing config (%s)", sc.MediaType)
	} else {
		p("Signing config (%s): UNUSABLE: %s", sc.MediaType, sc.Error)
	}
	writeServices(p, "Certificate authorities", sc.CAs, "")
	writeServices(p, "OIDC issuers", sc.OIDCIssuers, "")
	writeServices(p, "Transparency logs", sc.Tlogs, sc.TlogSelector)
	writeServices(p, "Timestamp authorities", sc.TSAs, sc.TSASelector)
	switch {
	case !sc.Usable:
	case sc.SelectionError != "":
		p("  signet cannot sign with it now: %s", sc.SelectionError)
	default:
		p("  (* marks the services signet signs with now)")
	}
}

func unusableEntries(tr *trust.TrustedRootDescription) int {
	n := 0
	for _, a := range append(append([]trust.AuthorityDescription{}, tr.CertificateAuthorities...), tr.TimestampAuthorities...) {
		if !a.Usable {
			n++
		}
	}
	for _, l := range append(append([]trust.LogDescription{}, tr.Tlogs...), tr.CTLogs...) {
		if !l.Usable {
			n++
		}
	}
	return n
}

func writeAuthorities(p func(string, ...any), title string, list []trust.AuthorityDescription) {
	p("  %s: %d", title, len(list))
	for _, a := range list {
		uri := a.URI
		if uri == "" {
			uri = "(no URI)"
		}
		p("  - %s  [%s]", uri, entryState(a.Usable, a.UnusableReason, a.ValidFor))
		if a.Subject != "" {
			p("      subject:  %s", a.Subject)
		}
		if a.Operator != "" {
			p("      operator: %s", a.Operator)
		}
		p("      valid:    %s", validityText(a.ValidFor))
		for i, c := range a.Chain {
			label := "chain:   "
			if i > 0 {
				label = "         "
			}
			role := "CA"
			switch {
			case c.NotBefore.IsZero():
				role = ""
			case i == len(a.Chain)-1 && c.Subject == c.Issuer:
				role = "root"
			case !c.IsCA:
				role = "leaf"
			}
			if c.NotBefore.IsZero() {
				p("      %s %d. %s", label, i+1, c.Subject)
				continue
			}
			p("      %s %d. %s (%s, %s to %s, sha256 %s)", label, i+1, c.Subject, role,
				c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), c.SHA256[:16])
		}
	}
}

func writeLogs(p func(string, ...any), title string, list []trust.LogDescription) {
	p("  %s: %d", title, len(list))
	for _, l := range list {
		p("  - %s  [%s]", l.BaseURL, entryState(l.Usable, l.UnusableReason, l.ValidFor))
		id := "log id:   " + l.LogID
		if l.KeyHint != "" {
			id += " (checkpoint key hint " + l.KeyHint + ")"
		}
		p("      %s", id)
		if l.CheckpointKeyID != "" {
			p("      checkpoint key id: %s", l.CheckpointKeyID)
		}
		key := l.KeyDetails
		if l.KeySHA256 != "" {
			key += ", sha256 " + l.KeySHA256[:16]
		}
		p("      key:      %s", key)
		if l.Operator != "" {
			p("      operator: %s", l.Operator)
		}
		p("      valid:    %s", validityText(l.ValidFor))
	}
}

func writeServices(p func(string, ...any), title string, list []trust.ServiceDescription, selector string) {
	if selector != "" {
		p("  %s (selector %s): %d", title, selector, len(list))
	} else {
		p("  %s: %d", title, len(list))
	}
	for _, s := range list {
		mark := "-"
		if s.Selected {
			mark = "*"
		}
		line := fmt.Sprintf("  %s %s  API v%d, %s [%s]", mark, s.URL, s.MajorAPIVersion, validityText(s.ValidFor), s.ValidFor.Status)
		if s.Operator != "" {
			line += ", operator " + s.Operator
		}
		p("%s", line)
	}
}

func entryState(usable bool, reason string, v trust.Validity) string {
	if !usable {
		return "UNUSABLE: " + reason
	}
	return v.Status
}

func validityText(v trust.Validity) string {
	switch {
	case v.Start == nil:
		return "no start"
	case v.End == nil:
		return "from " + v.Start.UTC().Format(time.RFC3339)
	}
	return v.Start.UTC().Format(time.RFC3339) + " to " + v.End.UTC().Format(time.RFC3339)
}

// humanDuration rounds d for people: "45s", "12m", "3h", "5d".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
