// Package trust owns Sigstore trust material: the TrustedRoot (CAs, transparency logs, CT logs,
// timestamp authorities, each with a validity window), the SigningConfig (which services to
// sign with) and the ClientTrustConfig that carries both. It parses and validates these
// documents once, at the edge, into ready-to-use keys, certificates and certificate pools,
// answers look-ups by key id and time, and selects the services to sign with. It trusts nothing it is given: a malformed
// document is refused as a whole, never half-loaded.
//
// It also builds these documents from their parts (Parts: certificate chains, log keys, service
// URLs, selectors), computing each log's id the way its kind defines it, and describes a
// document entry by entry (Describe), usable or not, for people and programs. Both are pure
// and offline: fetching parts from live services is the fulcio, rekor and tsa clients' job.
package trust

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// MaxDocumentSize bounds any trust document read from disk or network.
const MaxDocumentSize = 4 << 20

// Media types of the trust documents.
const (
	TrustedRootMediaType01      = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
	TrustedRootMediaType02      = "application/vnd.dev.sigstore.trustedroot.v0.2+json"
	SigningConfigMediaType02    = "application/vnd.dev.sigstore.signingconfig.v0.2+json"
	ClientTrustConfigMediaType  = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
	maxAuthorityChainLength     = 10
	maxTrustedRootEntriesPerSet = 256
)

// ErrMalformed marks a trust document that cannot be used at all: bad JSON, an unknown
// media type, a key or certificate that does not parse, a validity window without a start.
var ErrMalformed = errors.New("malformed trust material")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// TimeRange is a closed validity interval. A zero End means "still valid".
type TimeRange struct {
	Start time.Time
	End   time.Time
}

// Contains reports whether t lies in [Start, End].
func (r TimeRange) Contains(t time.Time) bool {
	if t.Before(r.Start) {
		return false
	}
	return r.End.IsZero() || !t.After(r.End)
}

// Log is a transparency log (Rekor) or a certificate transparency log with its key.
type Log struct {
	BaseURL string
	// ID is the log id: SHA-256 of the DER public key for Rekor v1 and CT logs, the
	// C2SP note key hash for Rekor v2.
	ID []byte
	// CheckpointKeyID, when set (TrustedRoot v0.2), is the id that checkpoint signature
	// hints are taken from; otherwise ID is.
	CheckpointKeyID []byte
	PublicKey       crypto.PublicKey
	KeyDetails      pbcommon.PublicKeyDetails
	// Hash is the hash the log signs with (for ECDSA and RSA keys).
	Hash     crypto.Hash
	ValidFor TimeRange
	Operator string
}

// KeyHint is the 4-byte key hint a checkpoint signature by this log carries.
func (l *Log) KeyHint() []byte {
	if len(l.CheckpointKeyID) >= 4 {
		return l.CheckpointKeyID[:4]
	}
	return l.ID[:4]
}

// Authority is a certificate authority (Fulcio or an enterprise CA) or a timestamp
// authority, given by its certificate chain: leaf or intermediates first, root last.
type Authority struct {
	URI      string
	Subject  string
	Chain    []*x509.Certificate
	ValidFor TimeRange
	Operator string
	// Roots holds the chain's last certificate; Intermediates the ones before it.
	Roots         *x509.CertPool
	Intermediates *x509.CertPool
}

// Root is the chain's trust anchor.
func (a *Authority) Root() *x509.Certificate { return a.Chain[len(a.Chain)-1] }

// TrustedRoot is a parsed, validated TrustedRoot document.
type TrustedRoot struct {
	MediaType              string
	Tlogs                  []*Log
	CTLogs                 []*Log
	CertificateAuthorities []*Authority
	TimestampAuthorities   []*Authority
	// Unusable lists the entries left out of the four lists above because they are
	// incomplete (no certificate chain, no public key) or use an algorithm signet does not
	// support: they vouch for nothing. A malformed entry fails the whole document instead.
	Unusable []Unusable
	pb       *pbtrust.TrustedRoot
}

// Unusable is an entry of a trusted root that vouches for nothing.
type Unusable struct {
	// Kind is the document's list: "tlogs", "ctlogs", "certificateAuthorities" or
	// "timestampAuthorities"; Index the entry's place in it.
	Kind  string
	Index int
	// Name is the entry's base URL or URI; LogID the log id of a log entry, if it has one.
	Name   string
	LogID  []byte
	Reason string
}

func (u Unusable) String() string {
	return fmt.Sprintf("%s[%d] (%s): %s", u.Kind, u.Index, u.Name, u.Reason)
}

// errUnusable marks an entry that is well-formed but cannot vouch for anything.
var errUnusable = errors.New("unusable entry")

func unusable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUnusable, fmt.Sprintf(format, args...))
}

// UnusableLog returns the unusable entry of kind ("tlogs" or "ctlogs") with log id id, or nil.
func (tr *TrustedRoot) UnusableLog(kind string, id []byte) *Unusable {
	for i := range tr.Unusable {
		if u := &tr.Unusable[i]; u.Kind == kind && len(id) > 0 && bytes.Equal(u.LogID, id) {
			return u
		}
	}
	return nil
}

// keep sorts the outcome of parsing one entry: usable, unusable (recorded), or malformed.
func (tr *TrustedRoot) keep(kind string, index int, name string, logID []byte, err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	if errors.Is(err, errUnusable) {
		tr.Unusable = append(tr.Unusable, Unusable{Kind: kind, Index: index, Name: name, LogID: logID,
			Reason: strings.TrimPrefix(err.Error(), errUnusable.Error()+": ")})
		return false, nil
	}
	return false, fmt.Errorf("%s[%d] (%s): %w", kind, index, name, err)
}

// Proto returns the document the root was parsed from.
func (tr *TrustedRoot) Proto() *pbtrust.TrustedRoot { return tr.pb }

// ParseTrustedRoot parses a TrustedRoot v0.1 or v0.2 JSON document.
func ParseTrustedRoot(data []byte) (*TrustedRoot, error) {
	pb, err := DecodeTrustedRoot(data)
	if err != nil {
		return nil, err
	}
	return NewTrustedRoot(pb)
}

// DecodeTrustedRoot decodes a TrustedRoot JSON document (size limit, strict proto3 JSON)
// without validating its media type or entries: for tools that show what a document holds,
// usable or not. Everything else parses with ParseTrustedRoot.
func DecodeTrustedRoot(data []byte) (*pbtrust.TrustedRoot, error) {
	if len(data) > MaxDocumentSize {
		return nil, malformed("trusted root is larger than %d bytes", MaxDocumentSize)
	}
	var pb pbtrust.TrustedRoot
	if err := protojson.Unmarshal(data, &pb); err != nil {
		return nil, malformed("trusted root is not valid JSON: %v", err)
	}
	return &pb, nil
}

// NewTrustedRoot validates a TrustedRoot message and parses its keys and certificates.
func NewTrustedRoot(pb *pbtrust.TrustedRoot) (*TrustedRoot, error) {
	switch pb.GetMediaType() {
	case TrustedRootMediaType01, TrustedRootMediaType02:
	default:
		return nil, malformed("unsupported trusted root media type %q", pb.GetMediaType())
	}
	tr := &TrustedRoot{MediaType: pb.GetMediaType(), pb: pb}
	if len(pb.GetTlogs()) > maxTrustedRootEntriesPerSet || len(pb.GetCtlogs()) > maxTrustedRootEntriesPerSet ||
		len(pb.GetCertificateAuthorities()) > maxTrustedRootEntriesPerSet || len(pb.GetTimestampAuthorities()) > maxTrustedRootEntriesPerSet {
		return nil, malformed("trusted root lists more than %d entries of one kind", maxTrustedRootEntriesPerSet)
	}
	for i, l := range pb.GetTlogs() {
		log, err := parseLog(l)
		if ok, err := tr.keep("tlogs", i, l.GetBaseUrl(), l.GetLogId().GetKeyId(), err); err != nil {
			return nil, err
		} else if ok {
			tr.Tlogs = append(tr.Tlogs, log)
		}
	}
	for i, l := range pb.GetCtlogs() {
		log, err := parseLog(l)
		if err == nil {
			err = checkCTLogID(log, l.GetPublicKey().GetRawBytes())
		}
		if ok, err := tr.keep("ctlogs", i, l.GetBaseUrl(), l.GetLogId().GetKeyId(), err); err != nil {
			return nil, err
		} else if ok {
			tr.CTLogs = append(tr.CTLogs, log)
		}
	}
	if err := distinctLogIDs("tlogs", tr.Tlogs); err != nil {
		return nil, err
	}
	if err := distinctLogIDs("ctlogs", tr.CTLogs); err != nil {
		return nil, err
	}
	for i, ca := range pb.GetCertificateAuthorities() {
		a, err := parseAuthority(ca)
		if ok, err := tr.keep("certificateAuthorities", i, ca.GetUri(), nil, err); err != nil {
			return nil, err
		} else if ok {
			tr.CertificateAuthorities = append(tr.CertificateAuthorities, a)
		}
	}
	for i, ca := range pb.GetTimestampAuthorities() {
		a, err := parseAuthority(ca)
		if ok, err := tr.keep("timestampAuthorities", i, ca.GetUri(), nil, err); err != nil {
			return nil, err
		} else if ok {
			tr.TimestampAuthorities = append(tr.TimestampAuthorities, a)
		}
	}
	return tr, nil
}

func parseTimeRange(r *pbcommon.TimeRange) (TimeRange, error) {
	if r == nil || r.GetStart() == nil {
		return TimeRange{}, malformed("validity window has no start")
	}
	if err := r.GetStart().CheckValid(); err != nil {
		return TimeRange{}, malformed("validity start: %v", err)
	}
	tr := TimeRange{Start: r.GetStart().AsTime()}
	if r.GetEnd() != nil {
		if err := r.GetEnd().CheckValid(); err != nil {
			return TimeRange{}, malformed("validity end: %v", err)
		}
		tr.End = r.GetEnd().AsTime()
		if tr.End.Before(tr.Start) {
			return TimeRange{}, malformed("validity window ends before it starts")
		}
	}
	return tr, nil
}

func parseLog(l *pbtrust.TransparencyLogInstance) (*Log, error) {
	if len(l.GetLogId().GetKeyId()) < 4 {
		return nil, malformed("log id is missing or shorter than 4 bytes")
	}
	valid, err := parseTimeRange(l.GetPublicKey().GetValidFor())
	if err != nil {
		return nil, err
	}
	if len(l.GetPublicKey().GetRawBytes()) == 0 {
		return nil, unusable("no public key")
	}
	pub, h, err := ParsePublicKey(l.GetPublicKey().GetRawBytes(), l.GetPublicKey().GetKeyDetails())
	if errors.Is(err, ErrUnsupportedKey) {
		return nil, unusable("%v", err)
	}
	if err != nil {
		return nil, err
	}
	if ck := l.GetCheckpointKeyId().GetKeyId(); ck != nil && len(ck) < 4 {
		return nil, malformed("checkpoint key id is shorter than 4 bytes")
	}
	return &Log{
		BaseURL:         l.GetBaseUrl(),
		ID:              l.GetLogId().GetKeyId(),
		CheckpointKeyID: l.GetCheckpointKeyId().GetKeyId(),
		PublicKey:       pub,
		KeyDetails:      l.GetPublicKey().GetKeyDetails(),
		Hash:            h,
		ValidFor:        valid,
		Operator:        l.GetOperator(),
	}, nil
}

// checkCTLogID: a CT log's id is the SHA-256 of its DER public key (RFC 6962 §3.2), and an
// SCT names its log by it. A CT log entry with another id can vouch for no SCT.
func checkCTLogID(l *Log, raw []byte) error {
	fromRaw := sha256.Sum256(raw)
	id, err := LogID(l.PublicKey)
	if err != nil || (!bytes.Equal(l.ID, id) && !bytes.Equal(l.ID, fromRaw[:])) {
		return unusable("its log id %x is not the SHA-256 of its public key (%x), which SCTs name a CT log by", l.ID, fromRaw[:])
	}
	return nil
}

// distinctLogIDs refuses two logs of one kind with one log id and different keys: clients
// look a log up by its id, and two parsers would pick two different keys.
func distinctLogIDs(kind string, logs []*Log) error {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	for i, a := range logs {
		for _, b := range logs[:i] {
			if !bytes.Equal(a.ID, b.ID) {
				continue
			}
			if k, ok := a.PublicKey.(equaler); !ok || !k.Equal(b.PublicKey) {
				return malformed("%s %s and %s have the same log id %x and different keys", kind, b.BaseURL, a.BaseURL, a.ID)
			}
		}
	}
	return nil
}

func parseAuthority(ca *pbtrust.CertificateAuthority) (*Authority, error) {
	raw := ca.GetCertChain().GetCertificates()
	if len(raw) > maxAuthorityChainLength {
		return nil, malformed("certificate chain has more than %d certificates", maxAuthorityChainLength)
	}
	valid, err := parseTimeRange(ca.GetValidFor())
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, unusable("no certificate chain")
	}
	a := &Authority{
		URI:           ca.GetUri(),
		Subject:       ca.GetSubject().GetCommonName(),
		ValidFor:      valid,
		Operator:      ca.GetOperator(),
		Roots:         x509.NewCertPool(),
		Intermediates: x509.NewCertPool(),
	}
	for i, c := range raw {
		cert, err := x509.ParseCertificate(c.GetRawBytes())
		if err != nil {
			return nil, malformed("certificate %d: %v", i, err)
		}
		a.Chain = append(a.Chain, cert)
		if i == len(raw)-1 {
			a.Roots.AddCert(cert)
		} else {
			a.Intermediates.AddCert(cert)
		}
	}
	return a, nil
}

// ErrUnsupportedKey marks a public key whose algorithm (key details) signet does not
// implement: an entry with such a key is unusable, not malformed.
var ErrUnsupportedKey = errors.New("unsupported public key algorithm")

// keyAlgorithm is what key details (the algorithm registry's names) fix: the hash that
// signatures use (zero for pure Ed25519), the keys that fit, and whether the key is stored
// as PKCS#1 rather than PKIX.
type keyAlgorithm struct {
	hash  crypto.Hash
	fits  func(crypto.PublicKey) bool
	pkcs1 bool
}

func curveKey(c func() elliptic.Curve) func(crypto.PublicKey) bool {
	return func(pub crypto.PublicKey) bool { return isCurve(pub, c()) }
}

func ed25519Key(pub crypto.PublicKey) bool { _, ok := pub.(ed25519.PublicKey); return ok }

func rsaKey(bits int) func(crypto.PublicKey) bool {
	return func(pub crypto.PublicKey) bool {
		k, ok := pub.(*rsa.PublicKey)
		return ok && (bits == 0 || k.N.BitLen() == bits)
	}
}

// keyAlgorithms are the key details signet implements.
var keyAlgorithms = map[pbcommon.PublicKeyDetails]keyAlgorithm{
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256:       {crypto.SHA256, curveKey(elliptic.P256), false},
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384:       {crypto.SHA384, curveKey(elliptic.P384), false},
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_256:       {crypto.SHA256, curveKey(elliptic.P384), false},
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512:       {crypto.SHA512, curveKey(elliptic.P521), false},
	pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_256:       {crypto.SHA256, curveKey(elliptic.P521), false},
	pbcommon.PublicKeyDetails_PKIX_ED25519:                  {0, ed25519Key, false},
	pbcommon.PublicKeyDetails_PKIX_ED25519_PH:               {crypto.SHA512, ed25519Key, false},
	pbcommon.PublicKeyDetails_PKCS1_RSA_PKCS1V5:             {crypto.SHA256, rsaKey(0), true},
	pbcommon.PublicKeyDetails_PKCS1_RSA_PSS:                 {crypto.SHA256, rsaKey(0), true},
	pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V5:              {crypto.SHA256, rsaKey(0), false},
	pbcommon.PublicKeyDetails_PKIX_RSA_PSS:                  {crypto.SHA256, rsaKey(0), false},
	pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256: {crypto.SHA256, rsaKey(2048), false},
	pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256: {crypto.SHA256, rsaKey(3072), false},
	pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256: {crypto.SHA256, rsaKey(4096), false},
	pbcommon.PublicKeyDetails_PKIX_RSA_PSS_2048_SHA256:      {crypto.SHA256, rsaKey(2048), false},
	pbcommon.PublicKeyDetails_PKIX_RSA_PSS_3072_SHA256:      {crypto.SHA256, rsaKey(3072), false},
	pbcommon.PublicKeyDetails_PKIX_RSA_PSS_4096_SHA256:      {crypto.SHA256, rsaKey(4096), false},
}

// KeyAlgorithm returns the hash that signatures under key details use (zero for pure
// Ed25519) and whether pub fits the details: its type, its curve and, for the RSA details
// that name a size, its size. ok is false for details signet does not implement.
func KeyAlgorithm(details pbcommon.PublicKeyDetails, pub crypto.PublicKey) (h crypto.Hash, fits, ok bool) {
	a, ok := keyAlgorithms[details]
	if !ok {
		return 0, false, false
	}
	return a.hash, a.fits(pub), true
}

// ParsePublicKey parses a public key as the trusted root stores it and returns the hash
// its signatures use. Key details signet does not implement fail with ErrUnsupportedKey
// before the bytes are read; a key that does not parse or does not fit its details is
// malformed.
func ParsePublicKey(der []byte, details pbcommon.PublicKeyDetails) (crypto.PublicKey, crypto.Hash, error) {
	a, ok := keyAlgorithms[details]
	if !ok {
		return nil, 0, fmt.Errorf("%w: key details %v", ErrUnsupportedKey, details)
	}
	if len(der) == 0 {
		return nil, 0, malformed("public key is missing")
	}
	var pub crypto.PublicKey
	var err error
	if a.pkcs1 {
		pub, err = x509.ParsePKCS1PublicKey(der)
	} else {
		pub, err = x509.ParsePKIXPublicKey(der)
	}
	if err != nil {
		return nil, 0, malformed("public key: %v", err)
	}
	if !a.fits(pub) {
		return nil, 0, malformed("key details %v do not fit the public key (%s)", details, DescribeKey(pub))
	}
	return pub, a.hash, nil
}

// DescribeKey names a key's algorithm and size for messages: "ECDSA P-256 key".
func DescribeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name + " key"
	case *rsa.PublicKey:
		return fmt.Sprintf("%d-bit RSA key", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519 key"
	}
	return fmt.Sprintf("%T", pub)
}

func isCurve(pub crypto.PublicKey, c elliptic.Curve) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k.Curve == c
}

// LogID computes the Rekor v1 / CT log id of a public key: SHA-256 of its DER SubjectPublicKeyInfo.
func LogID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:], nil
}

// FindLog returns the log with the given id, or nil.
func FindLog(logs []*Log, id []byte) *Log {
	for _, l := range logs {
		if bytes.Equal(l.ID, id) {
			return l
		}
	}
	return nil
}
