package trust

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// This file builds trust documents from their parts: what the operator of a private Sigstore
// (or of an enterprise CA) knows about each service. It is pure and offline; fetching the
// parts from live services is the job of the fulcio, rekor and tsa clients.

// LogKind says what a log is, and so how its id derives from its key and which API version
// a signing config lists it with.
type LogKind int

const (
	// RekorV1 is a Rekor v1 log: its id is SHA-256 of its DER SubjectPublicKeyInfo, its API
	// version 1.
	RekorV1 LogKind = iota + 1
	// RekorV2 is a Rekor v2 (rekor-tiles) log: its id is the C2SP signed-note key ID of its
	// checkpoint origin and key (NoteKeyID), its API version 2.
	RekorV2
	// CTLog is a certificate transparency log (RFC 6962): its id is SHA-256 of its DER
	// SubjectPublicKeyInfo.
	CTLog
)

func (k LogKind) String() string {
	switch k {
	case RekorV1:
		return "Rekor v1"
	case RekorV2:
		return "Rekor v2"
	case CTLog:
		return "CT log"
	}
	return fmt.Sprintf("LogKind(%d)", int(k))
}

// APIVersion is the major API version a signing config lists a Rekor log with (0 for a CT log).
func (k LogKind) APIVersion() uint32 {
	switch k {
	case RekorV1:
		return 1
	case RekorV2:
		return 2
	}
	return 0
}

// LogPart is one transparency log or CT log of a trusted root.
type LogPart struct {
	Kind LogKind
	// URL is the log's base URL (a CT log's with its prefix, e.g. https://ct.example.com/2025).
	URL string
	Key crypto.PublicKey
	// Origin is a Rekor v2 log's checkpoint origin (rekor-tiles' --hostname); empty means the
	// host of URL, without the port.
	Origin string
	// ValidFrom starts the key's validity window; zero means Parts.ValidFrom.
	ValidFrom time.Time
	// Operator names who runs the log (a scheme-less URI such as example.com). TrustedRoot
	// v0.1 has no place for it: it is written only into v0.2 roots.
	Operator string
}

// ID is the log id clients look the log up by (see LogKind).
func (l *LogPart) ID() ([]byte, error) {
	switch l.Kind {
	case RekorV1, CTLog:
		return LogID(l.Key)
	case RekorV2:
		return NoteKeyID(l.origin(), l.Key)
	}
	return nil, malformed("unknown log kind %d", int(l.Kind))
}

func (l *LogPart) origin() string {
	if l.Origin != "" {
		return l.Origin
	}
	if u, err := url.Parse(l.URL); err == nil {
		return u.Hostname()
	}
	return ""
}

// AuthorityPart is one certificate authority or timestamp authority of a trusted root.
type AuthorityPart struct {
	// URI is the authority's URL: a Fulcio's base URL, a timestamp authority's timestamp
	// endpoint. An enterprise CA, which no client calls, may leave it empty.
	URI string
	// Chain is intermediates then root for a CA (CAChain); for a TSA the signing certificate,
	// then the CAs (TSAChain).
	Chain []*x509.Certificate
	// ValidFrom starts the authority's validity window; zero means when every certificate of
	// the chain is valid. It may not be earlier than that.
	ValidFrom time.Time
	// Operator names who runs the authority (a scheme-less URI such as example.com).
	Operator string
}

// ServicePart is one service of a signing config.
type ServicePart struct {
	URL             string
	MajorAPIVersion uint32
	Operator        string
	// ValidFrom starts the service's validity window; zero means Parts.ValidFrom.
	ValidFrom time.Time
}

// Selector is how a signing config asks signers to pick transparency logs or timestamp
// authorities: ALL of them, ANY one, or EXACT n of them (from distinct operators).
type Selector struct {
	Kind  pbtrust.ServiceSelector
	Count uint32 // EXACT only
}

// ParseSelector parses ALL, ANY or EXACT:n (n at least 1), in any case.
func ParseSelector(s string) (Selector, error) {
	name, count, hasCount := strings.Cut(strings.ToUpper(strings.TrimSpace(s)), ":")
	switch {
	case name == "ALL" && !hasCount:
		return Selector{Kind: pbtrust.ServiceSelector_ALL}, nil
	case name == "ANY" && !hasCount:
		return Selector{Kind: pbtrust.ServiceSelector_ANY}, nil
	case name == "EXACT" && hasCount:
		n, err := strconv.ParseUint(count, 10, 32)
		if err != nil || n < 1 {
			return Selector{}, fmt.Errorf("selector %q: EXACT needs a count of at least 1 (EXACT:n)", s)
		}
		return Selector{Kind: pbtrust.ServiceSelector_EXACT, Count: uint32(n)}, nil
	case name == "EXACT":
		return Selector{}, fmt.Errorf("selector %q: EXACT needs a count (EXACT:n)", s)
	}
	return Selector{}, fmt.Errorf("unknown selector %q (ALL, ANY or EXACT:n)", s)
}

func (s Selector) String() string {
	switch s.Kind {
	case pbtrust.ServiceSelector_EXACT:
		return fmt.Sprintf("EXACT:%d", s.Count)
	case pbtrust.ServiceSelector_SERVICE_SELECTOR_UNDEFINED:
		return "ANY"
	}
	return s.Kind.String()
}

func (s Selector) proto() *pbtrust.ServiceConfiguration {
	if s.Kind == pbtrust.ServiceSelector_SERVICE_SELECTOR_UNDEFINED {
		s.Kind = pbtrust.ServiceSelector_ANY
	}
	c := &pbtrust.ServiceConfiguration{Selector: s.Kind}
	if s.Kind == pbtrust.ServiceSelector_EXACT {
		c.Count = s.Count
	}
	return c
}

// Parts is everything known about one Sigstore deployment, from which TrustedRoot,
// SigningConfig and ClientTrustConfig build the documents its users need. Every part is
// checked: URLs are http(s), keys are of a supported kind, chains are chains, windows have
// a start, selectors can be met, and each signing service is vouched for by the trusted root.
type Parts struct {
	// The trusted root: what verifiers trust.
	CertificateAuthorities []AuthorityPart
	Tlogs                  []LogPart // Rekor v1 and v2
	CTLogs                 []LogPart
	TimestampAuthorities   []AuthorityPart

	// The signing config: which services signers use.
	CAServices   []ServicePart // Fulcio, API version 1
	OIDCServices []ServicePart // OIDC issuers, API version 1
	TlogServices []ServicePart // Rekor, API version 1 or 2
	TSAServices  []ServicePart // timestamp authorities, API version 1
	TlogSelector Selector      // zero: ANY
	TSASelector  Selector      // zero: ANY

	// ValidFrom starts the validity windows of logs and services that give none of their own.
	ValidFrom time.Time
	// TrustedRootMediaType is TrustedRootMediaType01 (the default when empty), which every
	// client reads, or TrustedRootMediaType02, which adds each log's operator and checkpoint
	// key ID.
	TrustedRootMediaType string
}

// TrustedRoot builds the trusted root: CAs and TSAs in the order given, then logs.
func (p *Parts) TrustedRoot() (*pbtrust.TrustedRoot, error) {
	mt := p.TrustedRootMediaType
	if mt == "" {
		mt = TrustedRootMediaType01
	}
	if mt != TrustedRootMediaType01 && mt != TrustedRootMediaType02 {
		return nil, malformed("unsupported trusted root media type %q", mt)
	}
	v02 := mt == TrustedRootMediaType02
	for what, n := range map[string]int{"certificate authorities": len(p.CertificateAuthorities), "transparency logs": len(p.Tlogs),
		"CT logs": len(p.CTLogs), "timestamp authorities": len(p.TimestampAuthorities)} {
		if n > maxTrustedRootEntriesPerSet {
			return nil, malformed("%d %s (at most %d)", n, what, maxTrustedRootEntriesPerSet)
		}
	}
	tr := &pbtrust.TrustedRoot{MediaType: mt}
	for i := range p.CertificateAuthorities {
		a := &p.CertificateAuthorities[i]
		ca, err := a.build(CAChain)
		if err != nil {
			return nil, fmt.Errorf("certificate authority %s: %w", a.name(i), err)
		}
		tr.CertificateAuthorities = append(tr.CertificateAuthorities, ca)
	}
	ids := map[string]string{}
	for _, set := range []struct {
		logs []LogPart
		ct   bool
		out  *[]*pbtrust.TransparencyLogInstance
	}{{p.Tlogs, false, &tr.Tlogs}, {p.CTLogs, true, &tr.Ctlogs}} {
		for i := range set.logs {
			l := &set.logs[i]
			if (l.Kind == CTLog) != set.ct {
				return nil, malformed("%s %s listed among the %s", l.Kind, l.URL, map[bool]string{false: "transparency logs", true: "CT logs"}[set.ct])
			}
			inst, err := l.build(p.ValidFrom, v02)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", l.Kind, l.URL, err)
			}
			id := string(inst.GetLogId().GetKeyId())
			if other, dup := ids[id]; dup {
				return nil, malformed("%s %s has the same log id (key) as %s", l.Kind, l.URL, other)
			}
			ids[id] = l.Kind.String() + " " + l.URL
			*set.out = append(*set.out, inst)
		}
	}
	for i := range p.TimestampAuthorities {
		a := &p.TimestampAuthorities[i]
		tsa, err := a.build(TSAChain)
		if err != nil {
			return nil, fmt.Errorf("timestamp authority %s: %w", a.name(i), err)
		}
		tr.TimestampAuthorities = append(tr.TimestampAuthorities, tsa)
	}
	// What is written must be what signet reads, every entry of it.
	if parsed, err := NewTrustedRoot(tr); err != nil {
		return nil, fmt.Errorf("the trusted root built does not load: %w", err)
	} else if len(parsed.Unusable) > 0 {
		return nil, malformed("the trusted root built has an entry signet cannot use: %s", parsed.Unusable[0])
	}
	return tr, nil
}

func (a *AuthorityPart) name(i int) string {
	if a.URI != "" {
		return a.URI
	}
	if len(a.Chain) > 0 && a.Chain[0] != nil {
		return describeCert(a.Chain[len(a.Chain)-1])
	}
	return fmt.Sprintf("#%d", i+1)
}

func (a *AuthorityPart) build(kind ChainKind) (*pbtrust.CertificateAuthority, error) {
	if a.URI != "" || kind == TSAChain {
		if err := CheckURL(a.URI); err != nil {
			return nil, err
		}
	}
	if err := checkOperator(a.Operator); err != nil {
		return nil, err
	}
	window, err := CheckChain(a.Chain, kind)
	if err != nil {
		return nil, err
	}
	start := window.Start
	if !a.ValidFrom.IsZero() {
		if a.ValidFrom.Before(window.Start) {
			return nil, malformed("validity start %s is before the chain is valid (from %s): a trusted root may not extend a chain's validity",
				rfc3339(a.ValidFrom), rfc3339(window.Start))
		}
		if a.ValidFrom.After(window.End) {
			return nil, malformed("validity start %s is after the chain expires (%s)", rfc3339(a.ValidFrom), rfc3339(window.End))
		}
		start = a.ValidFrom
	}
	root := a.Chain[len(a.Chain)-1]
	chain := &pbcommon.X509CertificateChain{}
	for _, c := range a.Chain {
		chain.Certificates = append(chain.Certificates, &pbcommon.X509Certificate{RawBytes: c.Raw})
	}
	subject := &pbcommon.DistinguishedName{CommonName: root.Subject.CommonName}
	if len(root.Subject.Organization) > 0 {
		subject.Organization = root.Subject.Organization[0]
	}
	return &pbtrust.CertificateAuthority{
		Subject:   subject,
		Uri:       a.URI,
		CertChain: chain,
		ValidFor:  &pbcommon.TimeRange{Start: timestamppb.New(start)},
		Operator:  a.Operator,
	}, nil
}

func (l *LogPart) build(defaultStart time.Time, v02 bool) (*pbtrust.TransparencyLogInstance, error) {
	if err := CheckURL(l.URL); err != nil {
		return nil, err
	}
	if err := checkOperator(l.Operator); err != nil {
		return nil, err
	}
	if l.Key == nil {
		return nil, malformed("public key is missing")
	}
	if l.Origin != "" && l.Kind != RekorV2 {
		return nil, malformed("only a Rekor v2 log has a checkpoint origin")
	}
	details, err := KeyDetails(l.Key)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(l.Key)
	if err != nil {
		return nil, malformed("public key: %v", err)
	}
	id, err := l.ID()
	if err != nil {
		return nil, err
	}
	start := l.ValidFrom
	if start.IsZero() {
		start = defaultStart
	}
	if start.IsZero() {
		return nil, malformed("no validity start")
	}
	inst := &pbtrust.TransparencyLogInstance{
		BaseUrl:       l.URL,
		HashAlgorithm: pbcommon.HashAlgorithm_SHA2_256,
		PublicKey: &pbcommon.PublicKey{
			RawBytes:   der,
			KeyDetails: details,
			ValidFor:   &pbcommon.TimeRange{Start: timestamppb.New(start)},
		},
		LogId: &pbcommon.LogId{KeyId: id},
	}
	if v02 {
		// Operators and checkpoint key IDs exist from TrustedRoot v0.2 on. A log signs its
		// checkpoints with the key hint its id begins with (Rekor v1 as well as v2); CT logs
		// sign no checkpoints.
		inst.Operator = l.Operator
		if l.Kind != CTLog {
			inst.CheckpointKeyId = &pbcommon.LogId{KeyId: id[:4]}
		}
	}
	return inst, nil
}

// SigningConfig builds the signing config (v0.2).
func (p *Parts) SigningConfig() (*pbtrust.SigningConfig, error) {
	sc := &pbtrust.SigningConfig{
		MediaType:       SigningConfigMediaType02,
		RekorTlogConfig: p.TlogSelector.proto(),
		TsaConfig:       p.TSASelector.proto(),
	}
	sets := []struct {
		what      string
		parts     []ServicePart
		versions  []uint32
		out       *[]*pbtrust.Service
		selector  *Selector
		selectNum string
	}{
		{"certificate authority", p.CAServices, supportedCA, &sc.CaUrls, nil, ""},
		{"OIDC issuer", p.OIDCServices, supportedOIDC, &sc.OidcUrls, nil, ""},
		{"transparency log", p.TlogServices, supportedTlog, &sc.RekorTlogUrls, &p.TlogSelector, "transparency logs"},
		{"timestamp authority", p.TSAServices, supportedTSA, &sc.TsaUrls, &p.TSASelector, "timestamp authorities"},
	}
	for _, set := range sets {
		if len(set.parts) > maxTrustedRootEntriesPerSet {
			return nil, malformed("%d %s services (at most %d)", len(set.parts), set.what, maxTrustedRootEntriesPerSet)
		}
		for _, s := range set.parts {
			svc, err := s.build(set.versions, p.ValidFrom)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", set.what, s.URL, err)
			}
			*set.out = append(*set.out, svc)
		}
		if set.selector == nil {
			continue
		}
		if sel := *set.selector; sel.Kind == pbtrust.ServiceSelector_EXACT {
			if sel.Count < 1 {
				return nil, malformed("%s selector EXACT needs a count of at least 1", set.what)
			}
			if n := distinctOperators(set.parts); uint32(n) < sel.Count {
				return nil, malformed("%s selector %s needs %d %s of distinct operators, but the signing config lists %d",
					set.what, sel, sel.Count, set.selectNum, n)
			}
		} else if sel.Kind != pbtrust.ServiceSelector_ALL && sel.Kind != pbtrust.ServiceSelector_ANY &&
			sel.Kind != pbtrust.ServiceSelector_SERVICE_SELECTOR_UNDEFINED {
			return nil, malformed("unknown %s selector %v", set.what, sel.Kind)
		}
	}
	if _, err := NewSigningConfig(sc); err != nil {
		return nil, fmt.Errorf("the signing config built does not load: %w", err)
	}
	return sc, nil
}

// distinctOperators counts services as signers pick them: at most one per operator, and
// only of the highest API version listed.
func distinctOperators(services []ServicePart) int {
	var top uint32
	for _, s := range services {
		top = max(top, s.MajorAPIVersion)
	}
	seen := map[string]bool{}
	n := 0
	for _, s := range services {
		if s.MajorAPIVersion != top {
			continue
		}
		if s.Operator == "" || !seen[s.Operator] {
			n++
		}
		seen[s.Operator] = s.Operator != ""
	}
	return n
}

func (s *ServicePart) build(versions []uint32, defaultStart time.Time) (*pbtrust.Service, error) {
	if err := CheckURL(s.URL); err != nil {
		return nil, err
	}
	if err := checkOperator(s.Operator); err != nil {
		return nil, err
	}
	if !slices.Contains(versions, s.MajorAPIVersion) {
		return nil, malformed("API version %d is not one signet speaks (%v)", s.MajorAPIVersion, versions)
	}
	start := s.ValidFrom
	if start.IsZero() {
		start = defaultStart
	}
	if start.IsZero() {
		return nil, malformed("no validity start")
	}
	return &pbtrust.Service{
		Url:             s.URL,
		MajorApiVersion: s.MajorAPIVersion,
		ValidFor:        &pbcommon.TimeRange{Start: timestamppb.New(start)},
		Operator:        s.Operator,
	}, nil
}

// ClientTrustConfig builds the trusted root and the signing config and pairs them, after
// checking that the trusted root vouches for every service the signing config names: its CA,
// its logs (of the API version listed) and its timestamp authorities. A signature made with a
// service the root does not know would not verify.
func (p *Parts) ClientTrustConfig() (*pbtrust.ClientTrustConfig, error) {
	tr, err := p.TrustedRoot()
	if err != nil {
		return nil, err
	}
	sc, err := p.SigningConfig()
	if err != nil {
		return nil, err
	}
	for _, s := range p.CAServices {
		if !slices.ContainsFunc(p.CertificateAuthorities, func(a AuthorityPart) bool { return sameURL(a.URI, s.URL) }) {
			return nil, malformed("the signing config names certificate authority %s, which the trusted root does not list", s.URL)
		}
	}
	for _, s := range p.TlogServices {
		if !slices.ContainsFunc(p.Tlogs, func(l LogPart) bool { return sameURL(l.URL, s.URL) && l.Kind.APIVersion() == s.MajorAPIVersion }) {
			return nil, malformed("the signing config names transparency log %s (API version %d), which the trusted root does not list", s.URL, s.MajorAPIVersion)
		}
	}
	for _, s := range p.TSAServices {
		if !slices.ContainsFunc(p.TimestampAuthorities, func(a AuthorityPart) bool { return sameURL(a.URI, s.URL) }) {
			return nil, malformed("the signing config names timestamp authority %s, which the trusted root does not list", s.URL)
		}
	}
	return &pbtrust.ClientTrustConfig{MediaType: ClientTrustConfigMediaType, TrustedRoot: tr, SigningConfig: sc}, nil
}

func sameURL(a, b string) bool { return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/") }

// CheckURL checks a service URL as trust documents hold it: absolute http or https, with a
// host, and without user information, query or fragment.
func CheckURL(u string) error {
	if u == "" {
		return malformed("a URL is needed")
	}
	p, err := url.Parse(u)
	if err != nil {
		return malformed("URL %q is not an http or https URL: %v", u, errorsUnwrapURL(err))
	}
	switch {
	case p.Scheme != "http" && p.Scheme != "https":
		return malformed("URL %q is not an http or https URL", u)
	case p.Host == "" || p.Hostname() == "":
		return malformed("URL %q has no host", u)
	case p.User != nil:
		return malformed("URL %q carries user information", u)
	case p.RawQuery != "" || p.ForceQuery || p.Fragment != "":
		return malformed("URL %q has a query or fragment", u)
	}
	return nil
}

func errorsUnwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// checkOperator checks an operator name: a scheme-less URI such as example.com.
func checkOperator(op string) error {
	if op == "" {
		return nil
	}
	if strings.Contains(op, "://") || strings.ContainsFunc(op, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return malformed("operator %q is not a scheme-less URI such as example.com", op)
	}
	return nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Marshal writes a trust document (TrustedRoot, SigningConfig, ClientTrustConfig) as proto3
// JSON with lowerCamelCase keys in field order, indented with two spaces and ending in a
// newline: a stable layout (protojson varies its whitespace on purpose; this does not).
func Marshal(m proto.Message) ([]byte, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
