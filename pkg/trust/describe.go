package trust

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
)

// DescriptionMediaType versions the Description document. Keys are stable within a version.
const DescriptionMediaType = "application/vnd.dev.signet.trustdescription.v0.1+json"

// Source says where trust material came from and how old it is. The caller that loaded the
// material knows; Describe only reports it.
type Source struct {
	// Kind is SourceFile, SourceEmbedded or SourceTUF.
	Kind string `json:"kind"`
	// Location is the file's path, the embedded instance's name, or the TUF repository's URL.
	Location string `json:"location"`
	// Document is the media type of the document read (a ClientTrustConfig, a TrustedRoot).
	Document string `json:"document,omitempty"`
	// Updated is when the material was written (a file's modification time) or last fetched
	// and verified (TUF); zero when unknown.
	Updated time.Time `json:"updated,omitzero"`
	// Expires is when the material must be refreshed (TUF metadata); zero when never.
	Expires time.Time `json:"expires,omitzero"`
}

// Kinds of Source.
const (
	SourceFile     = "file"
	SourceEmbedded = "embedded"
	SourceTUF      = "tuf"
)

// Description is what a trusted root and a signing config hold, entry by entry, with what
// signet can use and what it cannot and why: one versioned document for people (rendered as
// text) and programs (as JSON).
type Description struct {
	MediaType string `json:"mediaType"`
	Source    Source `json:"source"`
	// DescribedAt is the time the description was made at: validity states and the age refer to it.
	DescribedAt time.Time `json:"describedAt"`
	// AgeSeconds is DescribedAt - Source.Updated, when Updated is known.
	AgeSeconds    *int64                    `json:"ageSeconds,omitempty"`
	TrustedRoot   *TrustedRootDescription   `json:"trustedRoot"`
	SigningConfig *SigningConfigDescription `json:"signingConfig,omitempty"`
}

// TrustedRootDescription describes a trusted root.
type TrustedRootDescription struct {
	MediaType string `json:"mediaType"`
	// Usable says that signet loads the root (skipping the entries that are not Usable and
	// vouch for nothing); otherwise Error says why it refuses the root as a whole.
	Usable                 bool                   `json:"usable"`
	Error                  string                 `json:"error,omitempty"`
	CertificateAuthorities []AuthorityDescription `json:"certificateAuthorities"`
	Tlogs                  []LogDescription       `json:"tlogs"`
	CTLogs                 []LogDescription       `json:"ctlogs"`
	TimestampAuthorities   []AuthorityDescription `json:"timestampAuthorities"`
}

// Validity is a validity window and where a time stands in it.
type Validity struct {
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
	// Status is "active", "not yet valid", "ended", or "invalid" (no start, or the end before the start).
	Status string `json:"status"`
}

// Validity states.
const (
	StatusActive  = "active"
	StatusFuture  = "not yet valid"
	StatusEnded   = "ended"
	StatusInvalid = "invalid"
)

// LogDescription describes a transparency log or CT log entry.
type LogDescription struct {
	BaseURL string `json:"baseUrl"`
	// LogID and CheckpointKeyID are base64, as in the trusted root.
	LogID           string `json:"logId"`
	CheckpointKeyID string `json:"checkpointKeyId,omitempty"`
	// KeyHint is the hex key hint of the log's checkpoint signatures (transparency logs only).
	KeyHint    string `json:"keyHint,omitempty"`
	KeyDetails string `json:"keyDetails"`
	// KeySHA256 is the hex SHA-256 of the public key as the root holds it.
	KeySHA256 string   `json:"keySha256,omitempty"`
	Operator  string   `json:"operator,omitempty"`
	ValidFor  Validity `json:"validFor"`
	// Usable says that signet can verify with the entry; otherwise UnusableReason says why not:
	// what makes it unusable (it is skipped), or what makes it malformed (the root is refused).
	Usable         bool   `json:"usable"`
	UnusableReason string `json:"unusableReason,omitempty"`
}

// AuthorityDescription describes a certificate or timestamp authority entry.
type AuthorityDescription struct {
	URI            string                   `json:"uri"`
	Subject        string                   `json:"subject,omitempty"`
	Operator       string                   `json:"operator,omitempty"`
	ValidFor       Validity                 `json:"validFor"`
	Chain          []CertificateDescription `json:"chain"`
	Usable         bool                     `json:"usable"`
	UnusableReason string                   `json:"unusableReason,omitempty"`
}

// CertificateDescription describes one certificate of an authority's chain.
type CertificateDescription struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	// SHA256 is the hex SHA-256 fingerprint of the DER certificate.
	SHA256 string `json:"sha256"`
	IsCA   bool   `json:"isCA"`
}

// SigningConfigDescription describes a signing config.
type SigningConfigDescription struct {
	MediaType string `json:"mediaType"`
	// Usable says that signet loads the config; otherwise Error says why it refuses it.
	Usable       bool                 `json:"usable"`
	Error        string               `json:"error,omitempty"`
	CAs          []ServiceDescription `json:"caUrls"`
	OIDCIssuers  []ServiceDescription `json:"oidcUrls"`
	Tlogs        []ServiceDescription `json:"rekorTlogUrls"`
	TSAs         []ServiceDescription `json:"tsaUrls"`
	TlogSelector string               `json:"rekorTlogSelector"`
	TSASelector  string               `json:"tsaSelector"`
	// SelectionError says why signet could not pick services to sign with at DescribedAt;
	// otherwise the services it would pick have Selected set.
	SelectionError string `json:"selectionError,omitempty"`
}

// ServiceDescription describes one service of a signing config.
type ServiceDescription struct {
	URL             string   `json:"url"`
	MajorAPIVersion uint32   `json:"majorApiVersion"`
	Operator        string   `json:"operator,omitempty"`
	ValidFor        Validity `json:"validFor"`
	Selected        bool     `json:"selected"`
}

// Describe describes a trusted root and, when sc is not nil, a signing config, at time now.
// Unlike NewTrustedRoot, it looks at every entry on its own, so that one entry signet cannot
// use is reported as such (with the reason) next to the entries it can use.
func Describe(tr *pbtrust.TrustedRoot, sc *pbtrust.SigningConfig, src Source, now time.Time) *Description {
	d := &Description{MediaType: DescriptionMediaType, Source: src, DescribedAt: now.UTC()}
	if !src.Updated.IsZero() {
		age := int64(now.Sub(src.Updated) / time.Second)
		d.AgeSeconds = &age
	}
	d.TrustedRoot = describeRoot(tr, now)
	if sc != nil {
		d.SigningConfig = describeSigningConfig(sc, now)
	}
	return d
}

func describeRoot(tr *pbtrust.TrustedRoot, now time.Time) *TrustedRootDescription {
	d := &TrustedRootDescription{
		MediaType:              tr.GetMediaType(),
		CertificateAuthorities: []AuthorityDescription{},
		Tlogs:                  []LogDescription{},
		CTLogs:                 []LogDescription{},
		TimestampAuthorities:   []AuthorityDescription{},
	}
	// The root as a whole, as verification loads it: a malformed entry fails it; an entry
	// that cannot vouch for anything (TrustedRoot.Unusable) is skipped, and below it is one
	// of the entries whose Usable is false.
	if _, err := NewTrustedRoot(tr); err != nil {
		d.Error = err.Error()
	} else {
		d.Usable = true
	}
	for _, ca := range tr.GetCertificateAuthorities() {
		d.CertificateAuthorities = append(d.CertificateAuthorities, describeAuthority(ca, now))
	}
	for _, l := range tr.GetTlogs() {
		d.Tlogs = append(d.Tlogs, describeLog(l, true, now))
	}
	for _, l := range tr.GetCtlogs() {
		d.CTLogs = append(d.CTLogs, describeLog(l, false, now))
	}
	for _, ca := range tr.GetTimestampAuthorities() {
		d.TimestampAuthorities = append(d.TimestampAuthorities, describeAuthority(ca, now))
	}
	return d
}

func describeValidity(r *pbcommon.TimeRange, now time.Time) Validity {
	var v Validity
	if s := r.GetStart(); s != nil && s.CheckValid() == nil {
		t := s.AsTime()
		v.Start = &t
	}
	if e := r.GetEnd(); e != nil && e.CheckValid() == nil {
		t := e.AsTime()
		v.End = &t
	}
	switch tr, err := parseTimeRange(r); {
	case err != nil:
		v.Status = StatusInvalid
	case now.Before(tr.Start):
		v.Status = StatusFuture
	case !tr.Contains(now):
		v.Status = StatusEnded
	default:
		v.Status = StatusActive
	}
	return v
}

// describeLog describes a log; checkpoints says that it signs checkpoints (a Rekor log, not a
// CT log), so that its key hint means something.
func describeLog(l *pbtrust.TransparencyLogInstance, checkpoints bool, now time.Time) LogDescription {
	d := LogDescription{
		BaseURL:    l.GetBaseUrl(),
		LogID:      base64.StdEncoding.EncodeToString(l.GetLogId().GetKeyId()),
		KeyDetails: l.GetPublicKey().GetKeyDetails().String(),
		Operator:   l.GetOperator(),
		ValidFor:   describeValidity(l.GetPublicKey().GetValidFor(), now),
	}
	if ck := l.GetCheckpointKeyId().GetKeyId(); ck != nil {
		d.CheckpointKeyID = base64.StdEncoding.EncodeToString(ck)
	}
	if raw := l.GetPublicKey().GetRawBytes(); len(raw) > 0 {
		sum := sha256.Sum256(raw)
		d.KeySHA256 = hex.EncodeToString(sum[:])
	}
	log, err := parseLog(l)
	if err != nil {
		d.UnusableReason = entryReason(err)
		return d
	}
	d.Usable = true
	if checkpoints {
		d.KeyHint = hex.EncodeToString(log.KeyHint())
	}
	return d
}

func describeAuthority(ca *pbtrust.CertificateAuthority, now time.Time) AuthorityDescription {
	d := AuthorityDescription{
		URI:      ca.GetUri(),
		Operator: ca.GetOperator(),
		ValidFor: describeValidity(ca.GetValidFor(), now),
		Chain:    []CertificateDescription{},
	}
	if s := ca.GetSubject(); s != nil {
		switch {
		case s.GetOrganization() != "" && s.GetCommonName() != "":
			d.Subject = "O=" + s.GetOrganization() + ", CN=" + s.GetCommonName()
		case s.GetCommonName() != "":
			d.Subject = "CN=" + s.GetCommonName()
		case s.GetOrganization() != "":
			d.Subject = "O=" + s.GetOrganization()
		}
	}
	for _, c := range ca.GetCertChain().GetCertificates() {
		sum := sha256.Sum256(c.GetRawBytes())
		cd := CertificateDescription{SHA256: hex.EncodeToString(sum[:])}
		if cert, err := x509.ParseCertificate(c.GetRawBytes()); err == nil {
			cd.Subject, cd.Issuer = cert.Subject.String(), cert.Issuer.String()
			cd.NotBefore, cd.NotAfter = cert.NotBefore.UTC(), cert.NotAfter.UTC()
			cd.IsCA = cert.IsCA
		} else {
			cd.Subject = "(unparsable certificate)"
		}
		d.Chain = append(d.Chain, cd)
		if len(d.Chain) == maxAuthorityChainLength+1 {
			break // enough to show that the chain is too long
		}
	}
	if _, err := parseAuthority(ca); err != nil {
		d.UnusableReason = entryReason(err)
		return d
	}
	d.Usable = true
	return d
}

// entryReason says why an entry cannot be used: what makes it unusable (it is skipped), or
// what makes it malformed (the whole root is refused).
func entryReason(err error) string {
	if errors.Is(err, errUnusable) {
		return strings.TrimPrefix(err.Error(), errUnusable.Error()+": ")
	}
	return err.Error()
}

func describeSigningConfig(sc *pbtrust.SigningConfig, now time.Time) *SigningConfigDescription {
	d := &SigningConfigDescription{
		MediaType:    sc.GetMediaType(),
		CAs:          describeServices(sc.GetCaUrls(), now),
		OIDCIssuers:  describeServices(sc.GetOidcUrls(), now),
		Tlogs:        describeServices(sc.GetRekorTlogUrls(), now),
		TSAs:         describeServices(sc.GetTsaUrls(), now),
		TlogSelector: selectorString(sc.GetRekorTlogConfig()),
		TSASelector:  selectorString(sc.GetTsaConfig()),
	}
	parsed, err := NewSigningConfig(sc)
	if err != nil {
		d.Error = err.Error()
		return d
	}
	d.Usable = true
	sel, err := parsed.Select(now)
	if err != nil {
		d.SelectionError = err.Error()
		return d
	}
	mark := func(list []ServiceDescription, picked ...Service) {
		for _, p := range picked {
			for i := range list {
				if list[i].URL == p.URL && list[i].MajorAPIVersion == p.MajorAPIVersion && !list[i].Selected {
					list[i].Selected = true
					break
				}
			}
		}
	}
	mark(d.CAs, sel.CA)
	if sel.OIDC != nil {
		mark(d.OIDCIssuers, *sel.OIDC)
	}
	mark(d.Tlogs, sel.Tlogs...)
	mark(d.TSAs, sel.TSAs...)
	return d
}

func describeServices(list []*pbtrust.Service, now time.Time) []ServiceDescription {
	out := []ServiceDescription{}
	for _, s := range list {
		out = append(out, ServiceDescription{
			URL:             s.GetUrl(),
			MajorAPIVersion: s.GetMajorApiVersion(),
			Operator:        s.GetOperator(),
			ValidFor:        describeValidity(s.GetValidFor(), now),
		})
	}
	return out
}

func selectorString(c *pbtrust.ServiceConfiguration) string {
	return Selector{Kind: c.GetSelector(), Count: c.GetCount()}.String()
}
