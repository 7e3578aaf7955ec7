package sigstoretest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"math/big"
	"net/url"
	"sort"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Object identifiers the fake CA writes. They are spelled out here rather than taken from
// pkg/fulcio so that a wrong constant there is caught by the tests instead of mirrored.
var (
	oidSCTList     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
	oidSAN         = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidFulcioArc   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1}
	oidFulcioOther = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 7}
)

// FulcioOID returns 1.3.6.1.4.1.57264.1.<arc>.
func FulcioOID(arc int) asn1.ObjectIdentifier {
	return append(append(asn1.ObjectIdentifier(nil), oidFulcioArc...), arc)
}

// CA is a fake Fulcio: an ECDSA P-384 root and intermediate, like the public-good
// instance, and fake RFC 6962 CT logs (ECDSA P-256) that sign SCTs for the leaves it
// issues. Nothing here is secret or persistent; every NewCA makes fresh keys.
type CA struct {
	tb              testing.TB
	now             time.Time
	uri             string
	root            *x509.Certificate
	rootKey         *ecdsa.PrivateKey
	intermediate    *x509.Certificate
	intermediateKey *ecdsa.PrivateKey
	validFrom       time.Time
	logs            []*CTLog
}

// CTLog is one fake certificate transparency log.
type CTLog struct {
	URL       string
	Key       *ecdsa.PrivateKey
	PublicDER []byte   // DER SubjectPublicKeyInfo
	ID        [32]byte // SHA-256 of PublicDER, the RFC 6962 log id
	ValidFrom time.Time
}

type caConfig struct {
	now                     time.Time
	ctLogs                  int
	interNotBefore, interNA time.Time
	interKeyUsage           x509.KeyUsage
}

// CAOption configures NewCA.
type CAOption func(*caConfig)

// WithCAClock sets the time the CA treats as "now" for its defaults (certificate
// validities, the trusted-root windows, SCT timestamps). Default: time.Now().
func WithCAClock(now time.Time) CAOption { return func(c *caConfig) { c.now = now } }

// WithCTLogCount sets how many fake CT logs the CA has (default 2; CTLog() is the first).
func WithCTLogCount(n int) CAOption { return func(c *caConfig) { c.ctLogs = n } }

// WithCAIntermediateValidity sets the intermediate certificate's own validity (default:
// an hour before now to ten years after), to test a CA certificate that lapsed while the
// trusted root still lists its authority.
func WithCAIntermediateValidity(notBefore, notAfter time.Time) CAOption {
	return func(c *caConfig) { c.interNotBefore, c.interNA = notBefore, notAfter }
}

// WithCAIntermediateKeyUsage replaces the intermediate's key usage (default keyCertSign and
// cRLSign), to test a CA certificate that may not sign certificates.
func WithCAIntermediateKeyUsage(ku x509.KeyUsage) CAOption {
	return func(c *caConfig) { c.interKeyUsage = ku }
}

// NewCA makes a fake Fulcio with fresh keys. It fails tb on any error.
func NewCA(tb testing.TB, opts ...CAOption) *CA {
	tb.Helper()
	cfg := caConfig{now: time.Now(), ctLogs: 2, interKeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	for _, o := range opts {
		o(&cfg)
	}
	now := cfg.now.UTC().Truncate(time.Second)
	if cfg.interNotBefore.IsZero() {
		cfg.interNotBefore, cfg.interNA = now.Add(-time.Hour), now.AddDate(10, 0, 0)
	}
	ca := &CA{tb: tb, now: now, uri: "https://fulcio.sigstoretest.invalid", validFrom: now.Add(-time.Hour)}

	ca.rootKey = newKey(tb, elliptic.P384())
	rootTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(tb),
		Subject:               pkix.Name{Organization: []string{"sigstoretest.dev"}, CommonName: "sigstoretest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
		SubjectKeyId:          keyID(tb, ca.rootKey.Public()),
	}
	ca.root = createCert(tb, rootTmpl, rootTmpl, ca.rootKey.Public(), ca.rootKey)

	ca.intermediateKey = newKey(tb, elliptic.P384())
	interTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(tb),
		Subject:               pkix.Name{Organization: []string{"sigstoretest.dev"}, CommonName: "sigstoretest-intermediate"},
		NotBefore:             cfg.interNotBefore,
		NotAfter:              cfg.interNA,
		KeyUsage:              cfg.interKeyUsage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          keyID(tb, ca.intermediateKey.Public()),
	}
	ca.intermediate = createCert(tb, interTmpl, ca.root, ca.intermediateKey.Public(), ca.rootKey)

	for i := 0; i < cfg.ctLogs; i++ {
		key := newKey(tb, elliptic.P256())
		der, err := x509.MarshalPKIXPublicKey(key.Public())
		if err != nil {
			tb.Fatalf("sigstoretest: marshal CT log key: %v", err)
		}
		ca.logs = append(ca.logs, &CTLog{
			URL:       fmt.Sprintf("https://ctfe.sigstoretest.invalid/log%d", i),
			Key:       key,
			PublicDER: der,
			ID:        sha256.Sum256(der),
			ValidFrom: now.Add(-time.Hour),
		})
	}
	return ca
}

// Root is the self-signed root certificate.
func (ca *CA) Root() *x509.Certificate { return ca.root }

// Intermediate is the certificate that signs leaves.
func (ca *CA) Intermediate() *x509.Certificate { return ca.intermediate }

// Logs returns the fake CT logs; CTLog() describes Logs()[0].
func (ca *CA) Logs() []*CTLog { return ca.logs }

// Authority describes the CA as a trusted root lists it: chain intermediate first, root
// last, valid from an hour before the CA's clock with no end. Each call returns a fresh
// message that the caller may change (drop the intermediate, close the window).
func (ca *CA) Authority() *pbtrust.CertificateAuthority {
	return &pbtrust.CertificateAuthority{
		Subject: &pbcommon.DistinguishedName{Organization: "sigstoretest.dev", CommonName: "sigstoretest"},
		Uri:     ca.uri,
		CertChain: &pbcommon.X509CertificateChain{Certificates: []*pbcommon.X509Certificate{
			{RawBytes: bytes.Clone(ca.intermediate.Raw)},
			{RawBytes: bytes.Clone(ca.root.Raw)},
		}},
		ValidFor: &pbcommon.TimeRange{Start: timestamppb.New(ca.validFrom)},
	}
}

// CTLog describes the first fake CT log as a trusted root lists it. Each call returns a
// fresh message.
func (ca *CA) CTLog() *pbtrust.TransparencyLogInstance {
	if len(ca.logs) == 0 {
		ca.tb.Fatalf("sigstoretest: the CA was made WithCTLogCount(0)")
	}
	return ca.logs[0].Instance()
}

// CTLogs describes every fake CT log.
func (ca *CA) CTLogs() []*pbtrust.TransparencyLogInstance {
	var out []*pbtrust.TransparencyLogInstance
	for _, l := range ca.logs {
		out = append(out, l.Instance())
	}
	return out
}

// Instance describes the log as a trusted root lists it.
func (l *CTLog) Instance() *pbtrust.TransparencyLogInstance {
	return &pbtrust.TransparencyLogInstance{
		BaseUrl:       l.URL,
		HashAlgorithm: pbcommon.HashAlgorithm_SHA2_256,
		PublicKey: &pbcommon.PublicKey{
			RawBytes:   bytes.Clone(l.PublicDER),
			KeyDetails: pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
			ValidFor:   &pbcommon.TimeRange{Start: timestamppb.New(l.ValidFrom)},
		},
		LogId: &pbcommon.LogId{KeyId: bytes.Clone(l.ID[:])},
	}
}

// LeafOptions shape a leaf certificate. The zero value gives what public Fulcio issues
// for an email identity: SAN user@sigstoretest.invalid, issuer in .1 and .8, code-signing
// EKU, valid from a minute before the CA's clock to ten minutes after it, one SCT from
// CTLog() stamped at NotBefore.
type LeafOptions struct {
	// Subject alternative names. With none set the leaf gets the default email, unless
	// OmitSAN. Username is a Fulcio username (otherName 1.3.6.1.4.1.57264.1.7). Several may
	// be set at once to make an ambiguous certificate.
	Email    string
	URI      string
	Username string
	OmitSAN  bool
	// DNSName and UPN (a Microsoft user principal name otherName) add SAN entries of kinds
	// Fulcio never writes, after the others.
	DNSName string
	UPN     string

	// KeyUsage replaces digitalSignature; IsCA marks the leaf a CA certificate.
	KeyUsage x509.KeyUsage
	IsCA     bool

	// Issuer is the OIDC issuer, written raw to .1 and as a UTF8String to .8. Default
	// https://oauth2.sigstoretest.invalid/auth.
	Issuer       string
	OmitIssuerV1 bool
	OmitIssuerV2 bool

	// Extensions are further Fulcio extensions by their last arc (9 for
	// 1.3.6.1.4.1.57264.1.9): .2 to .6 written raw, the rest as DER UTF8Strings.
	Extensions map[int]string
	// ExtraExtensions are appended as given, after the Fulcio ones and before the SCT list.
	ExtraExtensions []pkix.Extension

	NotBefore, NotAfter time.Time

	// OmitCodeSigning leaves out the extended key usage extension altogether;
	// ExtKeyUsage, when set, replaces code signing with the given usages.
	OmitCodeSigning bool
	ExtKeyUsage     []x509.ExtKeyUsage

	// SCTs to embed; nil means one default SCT from the first log. NoSCTs embeds none.
	SCTs   []SCTOptions
	NoSCTs bool
	// SCTListFirst puts the SCT list extension before the SAN and Fulcio extensions (right
	// after the ones crypto/x509 writes itself) instead of last, which a verifier that
	// rebuilds the precertificate must handle as well.
	SCTListFirst bool
}

// SCTOptions shape one embedded SCT.
type SCTOptions struct {
	Log        int       // index into Logs()
	Timestamp  time.Time // default: the leaf's NotBefore
	Extensions []byte    // the SCT's CtExtensions, signed and embedded (Static CT uses them)
	// TamperSignature flips a bit of the signature after signing.
	TamperSignature bool
	// SignOther signs a TBS different from the leaf's (a valid signature over the wrong data).
	SignOther bool
	// Version is written as the SCT version; 0 is v1.
	Version uint8
}

// IssueLeaf issues a Fulcio-shaped leaf certificate for pub. Embedded SCTs are made as a CT
// log makes them for a precertificate: the leaf is first issued without the SCT list, the
// logs sign its TBSCertificate, and the leaf is issued again from the same template with
// the SCT list added (x509.CreateCertificate is deterministic in the TBS for a fixed
// template, and the signing key does not enter the TBS).
func (ca *CA) IssueLeaf(pub crypto.PublicKey, opts LeafOptions) *x509.Certificate {
	ca.tb.Helper()
	nb, na := opts.NotBefore, opts.NotAfter
	switch {
	case nb.IsZero() && na.IsZero():
		nb, na = ca.now.Add(-time.Minute), ca.now.Add(10*time.Minute)
	case nb.IsZero():
		nb = na.Add(-11 * time.Minute)
	case na.IsZero():
		na = nb.Add(11 * time.Minute)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(ca.tb),
		NotBefore:    nb,
		NotAfter:     na,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		SubjectKeyId: keyID(ca.tb, pub),
	}
	if opts.KeyUsage != 0 {
		tmpl.KeyUsage = opts.KeyUsage
	}
	if opts.IsCA {
		tmpl.BasicConstraintsValid, tmpl.IsCA = true, true
	}
	switch {
	case opts.OmitCodeSigning:
	case opts.ExtKeyUsage != nil:
		tmpl.ExtKeyUsage = opts.ExtKeyUsage
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}
	}

	var exts []pkix.Extension
	if !opts.OmitSAN {
		email := opts.Email
		if email == "" && opts.URI == "" && opts.Username == "" {
			email = "user@sigstoretest.invalid"
		}
		// Fulcio leaves have an empty subject, so the SAN extension is critical (RFC 5280 §4.2.1.6).
		exts = append(exts, pkix.Extension{Id: oidSAN, Critical: true, Value: encodeSAN(ca.tb, email, opts.URI, opts.Username, opts)})
	}
	issuer := opts.Issuer
	if issuer == "" {
		issuer = "https://oauth2.sigstoretest.invalid/auth"
	}
	if !opts.OmitIssuerV1 {
		exts = append(exts, pkix.Extension{Id: FulcioOID(1), Value: []byte(issuer)})
	}
	arcs := make([]int, 0, len(opts.Extensions))
	for arc := range opts.Extensions {
		arcs = append(arcs, arc)
	}
	sort.Ints(arcs)
	wroteV2 := false
	writeV2 := func() {
		if !opts.OmitIssuerV2 && !wroteV2 {
			exts = append(exts, pkix.Extension{Id: FulcioOID(8), Value: utf8String(ca.tb, issuer)})
		}
		wroteV2 = true
	}
	for _, arc := range arcs {
		if arc >= 8 {
			writeV2()
		}
		v := opts.Extensions[arc]
		if arc >= 2 && arc <= 6 {
			exts = append(exts, pkix.Extension{Id: FulcioOID(arc), Value: []byte(v)})
		} else {
			exts = append(exts, pkix.Extension{Id: FulcioOID(arc), Value: utf8String(ca.tb, v)})
		}
	}
	writeV2()
	exts = append(exts, opts.ExtraExtensions...)
	tmpl.ExtraExtensions = exts

	scts := opts.SCTs
	if scts == nil && !opts.NoSCTs {
		scts = []SCTOptions{{}}
	}
	if opts.NoSCTs || len(scts) == 0 {
		return createCert(ca.tb, tmpl, ca.intermediate, pub, ca.intermediateKey)
	}

	pre := createCert(ca.tb, tmpl, ca.intermediate, pub, ca.intermediateKey)
	issuerKeyHash := sha256.Sum256(ca.intermediate.RawSubjectPublicKeyInfo)
	var list [][]byte
	for _, o := range scts {
		if o.Log < 0 || o.Log >= len(ca.logs) {
			ca.tb.Fatalf("sigstoretest: SCT from log %d, the CA has %d", o.Log, len(ca.logs))
		}
		ts := o.Timestamp
		if ts.IsZero() {
			ts = nb
		}
		tbs := pre.RawTBSCertificate
		if o.SignOther {
			tbs = append(bytes.Clone(tbs), 0)
		}
		list = append(list, ca.logs[o.Log].signSCT(ca.tb, o, ts, issuerKeyHash, tbs))
	}
	sctExt := pkix.Extension{Id: oidSCTList, Value: encodeSCTList(ca.tb, list)}
	if opts.SCTListFirst {
		tmpl.ExtraExtensions = append([]pkix.Extension{sctExt}, exts...)
	} else {
		tmpl.ExtraExtensions = append(append([]pkix.Extension(nil), exts...), sctExt)
	}
	return createCert(ca.tb, tmpl, ca.intermediate, pub, ca.intermediateKey)
}

// signSCT returns one serialized SignedCertificateTimestamp for a precertificate entry
// (RFC 6962 §3.2), signed with ECDSA P-256 over SHA-256.
func (l *CTLog) signSCT(tb testing.TB, o SCTOptions, ts time.Time, issuerKeyHash [32]byte, tbs []byte) []byte {
	tb.Helper()
	millis := uint64(ts.UnixMilli())

	// The digitally-signed struct: version, signature type certificate_timestamp (0),
	// timestamp, entry type precert_entry (1), PreCert{issuer_key_hash,
	// tbs_certificate<1..2^24-1>}, CtExtensions<0..2^16-1>.
	var signed bytes.Buffer
	signed.WriteByte(o.Version)
	signed.WriteByte(0)
	mustWrite(tb, &signed, millis)
	mustWrite(tb, &signed, uint16(1))
	signed.Write(issuerKeyHash[:])
	if len(tbs) >= 1<<24 {
		tb.Fatalf("sigstoretest: TBS of %d bytes", len(tbs))
	}
	signed.Write([]byte{byte(len(tbs) >> 16), byte(len(tbs) >> 8), byte(len(tbs))})
	signed.Write(tbs)
	mustWrite(tb, &signed, uint16(len(o.Extensions)))
	signed.Write(o.Extensions)

	digest := sha256.Sum256(signed.Bytes())
	sig, err := ecdsa.SignASN1(rand.Reader, l.Key, digest[:])
	if err != nil {
		tb.Fatalf("sigstoretest: sign SCT: %v", err)
	}
	if o.TamperSignature {
		sig[len(sig)-1] ^= 0x01
	}

	// The SCT itself: version, log id, timestamp, extensions, then the
	// DigitallySigned: hash sha256 (4), signature ecdsa (3), signature<0..2^16-1>.
	var out bytes.Buffer
	out.WriteByte(o.Version)
	out.Write(l.ID[:])
	mustWrite(tb, &out, millis)
	mustWrite(tb, &out, uint16(len(o.Extensions)))
	out.Write(o.Extensions)
	out.WriteByte(4)
	out.WriteByte(3)
	mustWrite(tb, &out, uint16(len(sig)))
	out.Write(sig)
	return out.Bytes()
}

// encodeSCTList builds the SCT list extension value: an OCTET STRING holding the TLS
// SignedCertificateTimestampList, SerializedSCT sct_list<1..2^16-1> (RFC 6962 §3.3).
func encodeSCTList(tb testing.TB, scts [][]byte) []byte {
	tb.Helper()
	var inner bytes.Buffer
	for _, s := range scts {
		mustWrite(tb, &inner, uint16(len(s)))
		inner.Write(s)
	}
	var list bytes.Buffer
	mustWrite(tb, &list, uint16(inner.Len()))
	list.Write(inner.Bytes())
	der, err := asn1.Marshal(list.Bytes())
	if err != nil {
		tb.Fatalf("sigstoretest: marshal SCT list: %v", err)
	}
	return der
}

// otherName is GeneralName's otherName: [0] IMPLICIT SEQUENCE { type-id, [0] EXPLICIT value }.
type otherName struct {
	TypeID asn1.ObjectIdentifier
	Value  string `asn1:"utf8,explicit,tag:0"`
}

// oidUPN is Microsoft's user principal name otherName, a SAN type Fulcio never writes.
var oidUPN = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}

// encodeSAN builds a SubjectAltName value with the given names in the order email, URI,
// Fulcio username, then o's extra names (DNS name, foreign otherName), skipping empty ones.
func encodeSAN(tb testing.TB, email, uri, username string, o LeafOptions) []byte {
	tb.Helper()
	var names []asn1.RawValue
	if email != "" {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, Bytes: []byte(email)})
	}
	if uri != "" {
		if _, err := url.Parse(uri); err != nil {
			tb.Fatalf("sigstoretest: SAN URI %q: %v", uri, err)
		}
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(uri)})
	}
	if username != "" {
		b, err := asn1.MarshalWithParams(otherName{TypeID: oidFulcioOther, Value: username}, "tag:0")
		if err != nil {
			tb.Fatalf("sigstoretest: marshal otherName: %v", err)
		}
		names = append(names, asn1.RawValue{FullBytes: b})
	}
	if o.DNSName != "" {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(o.DNSName)})
	}
	if o.UPN != "" {
		b, err := asn1.MarshalWithParams(otherName{TypeID: oidUPN, Value: o.UPN}, "tag:0")
		if err != nil {
			tb.Fatalf("sigstoretest: marshal otherName: %v", err)
		}
		names = append(names, asn1.RawValue{FullBytes: b})
	}
	der, err := asn1.Marshal(names)
	if err != nil {
		tb.Fatalf("sigstoretest: marshal SAN: %v", err)
	}
	return der
}

func utf8String(tb testing.TB, s string) []byte {
	tb.Helper()
	der, err := asn1.MarshalWithParams(s, "utf8")
	if err != nil {
		tb.Fatalf("sigstoretest: marshal UTF8String: %v", err)
	}
	return der
}

func mustWrite(tb testing.TB, b *bytes.Buffer, v any) {
	tb.Helper()
	if err := binary.Write(b, binary.BigEndian, v); err != nil {
		tb.Fatalf("sigstoretest: %v", err)
	}
}

func newKey(tb testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		tb.Fatalf("sigstoretest: generate key: %v", err)
	}
	return k
}

func randomSerial(tb testing.TB) *big.Int {
	tb.Helper()
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("sigstoretest: %v", err)
	}
	b[0] = b[0]&0x7f | 0x01
	return new(big.Int).SetBytes(b)
}

// keyID is the SHA-1 of the DER SubjectPublicKeyInfo, used as subject key identifier.
func keyID(tb testing.TB, pub crypto.PublicKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatalf("sigstoretest: marshal public key: %v", err)
	}
	sum := sha1.Sum(der)
	return sum[:]
}

func createCert(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	tb.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		tb.Fatalf("sigstoretest: create certificate: %v", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("sigstoretest: parse certificate: %v", err)
	}
	return c
}
