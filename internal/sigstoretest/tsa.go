package sigstoretest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Object identifiers the fake TSA writes, spelled out here rather than taken from pkg/tsa so
// that a wrong constant there is caught by the tests instead of mirrored.
var (
	tsaOIDData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	tsaOIDSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	tsaOIDTSTInfo       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	tsaOIDContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	tsaOIDMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	tsaOIDSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	tsaOIDSigningCert   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	tsaOIDSigningCertV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	tsaOIDSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	tsaOIDSHA384        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	tsaOIDSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	tsaOIDECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	tsaOIDECDSASHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	tsaOIDECDSASHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	tsaOIDSHA256RSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	tsaOIDRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	tsaOIDMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	tsaOIDEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112}
	tsaOIDExtKeyUsage   = asn1.ObjectIdentifier{2, 5, 29, 37}
	// TSAPolicy is the policy the fake TSA writes into its tokens (the one sigstore's TSA uses).
	TSAPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}
)

var tsaEKUOIDs = map[x509.ExtKeyUsage]asn1.ObjectIdentifier{
	x509.ExtKeyUsageAny:          {2, 5, 29, 37, 0},
	x509.ExtKeyUsageServerAuth:   {1, 3, 6, 1, 5, 5, 7, 3, 1},
	x509.ExtKeyUsageCodeSigning:  {1, 3, 6, 1, 5, 5, 7, 3, 3},
	x509.ExtKeyUsageTimeStamping: {1, 3, 6, 1, 5, 5, 7, 3, 8},
}

// TSA is a fake RFC 3161 timestamp authority, like sigstore's timestamp-authority: a
// self-signed root (optionally an intermediate) and a leaf with the critical timeStamping
// extended key usage, ECDSA P-384 by default. It issues real DER TimeStampResp messages,
// encoded by this file's own code, and serves them over HTTP (see ServeHTTP). Every NewTSA
// makes fresh keys.
type TSA struct {
	tb           testing.TB
	cfg          tsaConfig
	root         *x509.Certificate
	intermediate *x509.Certificate
	leaf         *x509.Certificate
	key          crypto.Signer

	mu       sync.Mutex
	response TSAResponse
	serial   int64
}

type tsaConfig struct {
	now                 time.Time
	notBefore, notAfter time.Time
	validFrom, validTo  time.Time
	key                 crypto.Signer
	pss                 bool
	intermediate        bool
	ekuSet              bool
	ekuCritical         bool
	eku                 []x509.ExtKeyUsage
	url                 string
	leafCA              bool
}

// TSAOption configures NewTSA.
type TSAOption func(*tsaConfig)

// WithTSAClock fixes the time the TSA treats as "now": the default genTime and the base of the
// default certificate validity (now-1h to now+24h). Without it, genTime is the current time
// of each response and the validity is based on the time of NewTSA.
func WithTSAClock(now time.Time) TSAOption { return func(c *tsaConfig) { c.now = now } }

// WithTSAValidity sets the validity of every certificate of the TSA (root, intermediate,
// leaf), e.g. to make a chain that has expired by the time a token is issued. The trusted-root
// window still starts at notBefore and stays open unless WithTSAValidFor says otherwise.
func WithTSAValidity(notBefore, notAfter time.Time) TSAOption {
	return func(c *tsaConfig) { c.notBefore, c.notAfter = notBefore, notAfter }
}

// WithTSAValidFor sets the validity window Authority reports (the trusted root's validFor). A
// zero end leaves it open.
func WithTSAValidFor(start, end time.Time) TSAOption {
	return func(c *tsaConfig) { c.validFrom, c.validTo = start, end }
}

// WithTSAKey makes key (ECDSA, RSA or Ed25519) the leaf's signing key.
func WithTSAKey(key crypto.Signer) TSAOption { return func(c *tsaConfig) { c.key = key } }

// WithTSARSAPSS makes an RSA leaf sign with RSASSA-PSS (SHA-256, salt 32) instead of PKCS #1 v1.5.
func WithTSARSAPSS() TSAOption { return func(c *tsaConfig) { c.pss = true } }

// WithTSAIntermediate puts an intermediate CA (with the timeStamping usage) between root and leaf.
func WithTSAIntermediate() TSAOption { return func(c *tsaConfig) { c.intermediate = true } }

// WithTSAExtKeyUsage replaces the leaf's extended key usage extension (default: critical,
// timeStamping only). No usages means no extension at all.
func WithTSAExtKeyUsage(critical bool, usages ...x509.ExtKeyUsage) TSAOption {
	return func(c *tsaConfig) { c.ekuSet, c.ekuCritical, c.eku = true, critical, usages }
}

// WithTSALeafCA makes the signing certificate a CA certificate (keyCertSign too), which a
// verifier must refuse to accept timestamps from.
func WithTSALeafCA() TSAOption { return func(c *tsaConfig) { c.leafCA = true } }

// WithTSAURL sets the URI Authority reports.
func WithTSAURL(url string) TSAOption { return func(c *tsaConfig) { c.url = url } }

// TSAResponse says how the fake TSA answers. The zero value is a correct, granted response
// that embeds the leaf certificate and an ESS signingCertificateV2 attribute; every other
// field injects one deviation.
type TSAResponse struct {
	Time     time.Time     // genTime; zero means the TSA's clock (WithTSAClock, else time.Now)
	Hash     crypto.Hash   // message imprint hash for Timestamp/TimestampWith; zero means SHA-256
	Nonce    *big.Int      // nonce to echo; the HTTP handler uses the request's
	Accuracy time.Duration // zero means one second

	OmitCertificates bool // embed no certificate
	EmbedChain       bool // embed intermediate and root too
	SignerKeyID      bool // identify the signer by subject key identifier (SignerInfo v3)
	OmitESS          bool // no ESS signingCertificate(V2) attribute
	ESSv1            bool // ESS signingCertificate (SHA-1) instead of signingCertificateV2
	OmitSignedAttrs  bool // sign the TSTInfo directly, without signed attributes

	WrongKey           bool // sign with a key that is not the leaf's
	WrongESS           bool // the ESS attribute names the root, not the leaf
	WrongMessageDigest bool // the message-digest attribute is not the TSTInfo's digest
	WrongContentType   bool // the content-type attribute is id-data
	WrongEContentType  bool // the encapsulated content type is id-data

	Status       int    // PKIStatus; anything but 0 or 1 carries no token
	FailInfo     []int  // PKIFailureInfo bits (e.g. 0 badAlg, 2 badRequest, 5 badDataFormat)
	StatusString string // optional PKIFreeText
}

// NewTSA makes a fake TSA with fresh keys.
func NewTSA(tb testing.TB, opts ...TSAOption) *TSA {
	tb.Helper()
	cfg := tsaConfig{url: "https://tsa.sigstoretest.invalid/api/v1/timestamp"}
	for _, o := range opts {
		o(&cfg)
	}
	base := cfg.now
	if base.IsZero() {
		base = time.Now()
	}
	if cfg.notBefore.IsZero() {
		cfg.notBefore = base.Add(-time.Hour).Truncate(time.Second)
	}
	if cfg.notAfter.IsZero() {
		cfg.notAfter = base.Add(24 * time.Hour).Truncate(time.Second)
	}
	if cfg.validFrom.IsZero() {
		cfg.validFrom = cfg.notBefore
	}
	if !cfg.ekuSet {
		cfg.ekuCritical, cfg.eku = true, []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
	}
	f := &TSA{tb: tb, cfg: cfg, key: cfg.key}
	if f.key == nil {
		f.key = tsaNewECKey(tb, elliptic.P384())
	}

	rootKey := tsaNewECKey(tb, elliptic.P384())
	f.root = tsaCreateCert(tb, &x509.Certificate{
		SerialNumber:          tsaRandomSerial(tb),
		Subject:               pkix.Name{Organization: []string{"sigstoretest.dev"}, CommonName: "sigstoretest-tsa-root"},
		NotBefore:             cfg.notBefore,
		NotAfter:              cfg.notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, nil, rootKey.Public(), rootKey)
	parent, parentKey := f.root, crypto.Signer(rootKey)
	if cfg.intermediate {
		interKey := tsaNewECKey(tb, elliptic.P384())
		f.intermediate = tsaCreateCert(tb, &x509.Certificate{
			SerialNumber:          tsaRandomSerial(tb),
			Subject:               pkix.Name{Organization: []string{"sigstoretest.dev"}, CommonName: "sigstoretest-tsa-intermediate"},
			NotBefore:             cfg.notBefore,
			NotAfter:              cfg.notAfter,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
			BasicConstraintsValid: true,
			IsCA:                  true,
			MaxPathLenZero:        true,
		}, f.root, interKey.Public(), rootKey)
		parent, parentKey = f.intermediate, interKey
	}
	pubDER, err := x509.MarshalPKIXPublicKey(f.key.Public())
	if err != nil {
		tb.Fatalf("sigstoretest: TSA key: %v", err)
	}
	skid := sha1.Sum(pubDER)
	leafTmpl := &x509.Certificate{
		SerialNumber:          tsaRandomSerial(tb),
		Subject:               pkix.Name{Organization: []string{"sigstoretest.dev"}, CommonName: "sigstoretest-tsa"},
		NotBefore:             cfg.notBefore,
		NotAfter:              cfg.notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SubjectKeyId:          skid[:],
	}
	if cfg.leafCA {
		leafTmpl.IsCA = true
		leafTmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if len(cfg.eku) > 0 {
		var oids []asn1.ObjectIdentifier
		for _, u := range cfg.eku {
			oid, ok := tsaEKUOIDs[u]
			if !ok {
				tb.Fatalf("sigstoretest: extended key usage %v is not supported by the fake TSA", u)
			}
			oids = append(oids, oid)
		}
		val, err := asn1.Marshal(oids)
		if err != nil {
			tb.Fatalf("sigstoretest: extended key usage: %v", err)
		}
		// Go writes the EKU it derives from ExtKeyUsage as non-critical; RFC 3161 wants it
		// critical, so the extension is written by hand.
		leafTmpl.ExtraExtensions = []pkix.Extension{{Id: tsaOIDExtKeyUsage, Critical: cfg.ekuCritical, Value: val}}
	}
	f.leaf = tsaCreateCert(tb, leafTmpl, parent, f.key.Public(), parentKey)
	return f
}

// Root, Intermediate (nil without WithTSAIntermediate) and Leaf are the TSA's certificates.
func (f *TSA) Root() *x509.Certificate         { return f.root }
func (f *TSA) Intermediate() *x509.Certificate { return f.intermediate }
func (f *TSA) Leaf() *x509.Certificate         { return f.leaf }

// Chain is the certificate chain, leaf first and root last.
func (f *TSA) Chain() []*x509.Certificate {
	chain := []*x509.Certificate{f.leaf}
	if f.intermediate != nil {
		chain = append(chain, f.intermediate)
	}
	return append(chain, f.root)
}

// CertChainPEM is the chain as GET /api/v1/timestamp/certchain serves it: PEM, leaf first.
func (f *TSA) CertChainPEM() []byte {
	var b bytes.Buffer
	for _, c := range f.Chain() {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// Authority describes the TSA as a trusted root's timestampAuthorities list it: the chain leaf
// first, and the validity window (WithTSAValidFor; default from the certificates' notBefore,
// open-ended). Each call returns a fresh message.
func (f *TSA) Authority() *pbtrust.CertificateAuthority {
	var certs []*pbcommon.X509Certificate
	for _, c := range f.Chain() {
		certs = append(certs, &pbcommon.X509Certificate{RawBytes: bytes.Clone(c.Raw)})
	}
	valid := &pbcommon.TimeRange{Start: timestamppb.New(f.cfg.validFrom)}
	if !f.cfg.validTo.IsZero() {
		valid.End = timestamppb.New(f.cfg.validTo)
	}
	return &pbtrust.CertificateAuthority{
		Subject:   &pbcommon.DistinguishedName{Organization: "sigstoretest.dev", CommonName: "sigstoretest-tsa-root"},
		Uri:       f.cfg.url,
		CertChain: &pbcommon.X509CertificateChain{Certificates: certs},
		ValidFor:  valid,
	}
}

// SetResponse sets how Timestamp and the HTTP handler answer from now on.
func (f *TSA) SetResponse(r TSAResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.response = r
}

// Timestamp returns a DER TimeStampResp over SHA-256(signature) (or the configured hash),
// shaped by the last SetResponse.
func (f *TSA) Timestamp(signature []byte) []byte {
	f.tb.Helper()
	f.mu.Lock()
	r := f.response
	f.mu.Unlock()
	return f.TimestampWith(signature, r)
}

// TimestampWith returns a DER TimeStampResp over signature shaped by r.
func (f *TSA) TimestampWith(signature []byte, r TSAResponse) []byte {
	f.tb.Helper()
	h := r.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	hh := h.New()
	hh.Write(signature)
	der, err := f.respond(h, hh.Sum(nil), r)
	if err != nil {
		f.tb.Fatalf("sigstoretest: TSA: %v", err)
	}
	return der
}

// ServeHTTP serves the timestamp-authority API: POST /api/v1/timestamp with an
// application/timestamp-query body answers an application/timestamp-reply, and
// GET /api/v1/timestamp/certchain returns CertChainPEM.
func (f *TSA) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.URL.Path == "/api/v1/timestamp/certchain" && req.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/pem-certificate-chain")
		_, _ = w.Write(f.CertChainPEM())
	case req.URL.Path == "/api/v1/timestamp" && req.Method == http.MethodPost:
		f.serveTimestamp(w, req)
	case req.URL.Path == "/api/v1/timestamp" || req.URL.Path == "/api/v1/timestamp/certchain":
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, req)
	}
}

// tsaTimeStampReq is RFC 3161 §2.4.1 TimeStampReq, decoded independently of pkg/tsa.
type tsaTimeStampReq struct {
	Version        int
	MessageImprint tsaMessageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional"`
	Extensions     asn1.RawValue         `asn1:"optional,tag:0"`
}

func (f *TSA) serveTimestamp(w http.ResponseWriter, req *http.Request) {
	if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || mt != "application/timestamp-query" {
		http.Error(w, "content type must be application/timestamp-query", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<16))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	r := f.response
	f.mu.Unlock()
	var tsq tsaTimeStampReq
	rest, err := asn1.Unmarshal(body, &tsq)
	var h crypto.Hash
	switch {
	case err != nil || len(rest) != 0 || tsq.Version != 1:
		r = TSAResponse{Status: 2, FailInfo: []int{5}, StatusString: "malformed timestamp request"}
	default:
		h = tsaHashFromOID(tsq.MessageImprint.HashAlgorithm.Algorithm)
		if h == 0 || len(tsq.MessageImprint.HashedMessage) != h.Size() {
			r = TSAResponse{Status: 2, FailInfo: []int{0}, StatusString: "unsupported hash algorithm"}
		}
	}
	r.Nonce = tsq.Nonce
	r.OmitCertificates = r.OmitCertificates || !tsq.CertReq
	der, err := f.respond(h, tsq.MessageImprint.HashedMessage, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	_, _ = w.Write(der)
}

// ASN.1 shapes of RFC 3161 and RFC 5652, for encoding/asn1.Marshal.
type (
	tsaMessageImprint struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		HashedMessage []byte
	}
	tsaAccuracy struct {
		Seconds int `asn1:"optional"`
		Millis  int `asn1:"optional,tag:0"`
		Micros  int `asn1:"optional,tag:1"`
	}
	tsaTSTInfo struct {
		Version        int
		Policy         asn1.ObjectIdentifier
		MessageImprint tsaMessageImprint
		SerialNumber   *big.Int
		GenTime        asn1.RawValue // written by hand: encoding/asn1 drops fractions of a second
		Accuracy       tsaAccuracy   `asn1:"optional"`
		Nonce          *big.Int      `asn1:"optional"`
		TSA            asn1.RawValue `asn1:"optional"` // [0] EXPLICIT GeneralName
	}
	tsaIssuerSerial struct {
		Issuer asn1.RawValue // GeneralNames with one directoryName
		Serial *big.Int
	}
	tsaESSCertID struct {
		CertHash     []byte
		IssuerSerial tsaIssuerSerial
	}
	tsaESSCertIDv2 struct {
		HashAlgorithm pkix.AlgorithmIdentifier `asn1:"optional"` // absent = the DEFAULT, SHA-256
		CertHash      []byte
		IssuerSerial  tsaIssuerSerial
	}
	tsaIssuerAndSerial struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}
	tsaSignerInfo struct {
		Version            int
		SID                asn1.RawValue
		DigestAlgorithm    pkix.AlgorithmIdentifier
		SignedAttrs        asn1.RawValue `asn1:"optional"` // [0] IMPLICIT SET OF Attribute
		SignatureAlgorithm pkix.AlgorithmIdentifier
		Signature          []byte
	}
	tsaEncapContentInfo struct {
		EContentType asn1.ObjectIdentifier
		EContent     asn1.RawValue // [0] EXPLICIT OCTET STRING
	}
	tsaSignedData struct {
		Version          int
		DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
		EncapContentInfo tsaEncapContentInfo
		Certificates     asn1.RawValue   `asn1:"optional"` // [0] IMPLICIT SET OF Certificate
		SignerInfos      []tsaSignerInfo `asn1:"set"`
	}
	tsaContentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue // [0] EXPLICIT
	}
	tsaStatusInfo struct {
		Status       int
		StatusString []asn1.RawValue `asn1:"optional"`
		FailInfo     asn1.BitString  `asn1:"optional"`
	}
	tsaResp struct {
		Status tsaStatusInfo
		Token  asn1.RawValue `asn1:"optional"`
	}
	tsaPSSParams struct {
		Hash pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
		MGF  pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
		Salt int                      `asn1:"explicit,tag:2"`
	}
)

func tsaTagged(class, tag int, compound bool, content []byte) asn1.RawValue {
	return asn1.RawValue{Class: class, Tag: tag, IsCompound: compound, Bytes: content}
}

func tsaMarshal(v any) []byte {
	der, err := asn1.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sigstoretest: marshal %T: %v", v, err))
	}
	return der
}

func tsaHashFromOID(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(tsaOIDSHA256):
		return crypto.SHA256
	case oid.Equal(tsaOIDSHA384):
		return crypto.SHA384
	case oid.Equal(tsaOIDSHA512):
		return crypto.SHA512
	}
	return 0
}

func tsaHashAlgorithm(h crypto.Hash) pkix.AlgorithmIdentifier {
	oid := map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA256: tsaOIDSHA256, crypto.SHA384: tsaOIDSHA384, crypto.SHA512: tsaOIDSHA512}[h]
	return pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}
}

// tsaGeneralizedTime writes t as RFC 3161 wants: UTC, a fraction only when needed, without
// trailing zeros.
func tsaGeneralizedTime(t time.Time) asn1.RawValue {
	t = t.UTC()
	s := t.Format("20060102150405")
	if ns := t.Nanosecond(); ns != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%09d", ns), "0")
	}
	return tsaTagged(asn1.ClassUniversal, asn1.TagGeneralizedTime, false, []byte(s+"Z"))
}

// respond builds the TimeStampResp over an imprint made with h.
func (f *TSA) respond(h crypto.Hash, imprint []byte, r TSAResponse) ([]byte, error) {
	status := tsaStatusInfo{Status: r.Status}
	if r.StatusString != "" {
		status.StatusString = []asn1.RawValue{tsaTagged(asn1.ClassUniversal, asn1.TagUTF8String, false, []byte(r.StatusString))}
	}
	if len(r.FailInfo) > 0 {
		maxBit := 0
		for _, b := range r.FailInfo {
			maxBit = max(maxBit, b)
		}
		bits := make([]byte, maxBit/8+1)
		for _, b := range r.FailInfo {
			bits[b/8] |= 0x80 >> (b % 8)
		}
		status.FailInfo = asn1.BitString{Bytes: bits, BitLength: maxBit + 1}
	}
	if r.Status != 0 && r.Status != 1 {
		return asn1.Marshal(tsaResp{Status: status})
	}
	token, err := f.token(h, imprint, r)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(tsaResp{Status: status, Token: asn1.RawValue{FullBytes: token}})
}

// token builds the TimeStampToken: ContentInfo(SignedData(TSTInfo)).
func (f *TSA) token(h crypto.Hash, imprint []byte, r TSAResponse) ([]byte, error) {
	if h == 0 {
		return nil, errors.New("no message imprint hash")
	}
	genTime := r.Time
	if genTime.IsZero() {
		genTime = f.cfg.now // WithTSAClock
		if genTime.IsZero() {
			genTime = time.Now()
		}
		genTime = genTime.Truncate(time.Second)
	}
	accuracy := r.Accuracy
	if accuracy == 0 {
		accuracy = time.Second
	}
	f.mu.Lock()
	f.serial++
	serial := big.NewInt(f.serial)
	f.mu.Unlock()
	tst := tsaTSTInfo{
		Version:        1,
		Policy:         TSAPolicy,
		MessageImprint: tsaMessageImprint{HashAlgorithm: tsaHashAlgorithm(h), HashedMessage: imprint},
		SerialNumber:   serial,
		GenTime:        tsaGeneralizedTime(genTime),
		Accuracy: tsaAccuracy{
			Seconds: int(accuracy / time.Second),
			Millis:  int(accuracy % time.Second / time.Millisecond),
			Micros:  int(accuracy % time.Millisecond / time.Microsecond),
		},
		Nonce: r.Nonce,
		TSA: tsaTagged(asn1.ClassContextSpecific, 0, true,
			tsaMarshal(tsaTagged(asn1.ClassContextSpecific, 4, true, f.leaf.RawSubject))),
	}
	eContent, err := asn1.Marshal(tst)
	if err != nil {
		return nil, fmt.Errorf("TSTInfo: %w", err)
	}

	key := f.key
	if r.WrongKey {
		if key, err = tsaOtherKey(f.key); err != nil {
			return nil, err
		}
	}
	digestHash, sigAlg, err := f.signatureAlgorithm()
	if err != nil {
		return nil, err
	}

	si := tsaSignerInfo{
		Version:            1,
		SID:                asn1.RawValue{FullBytes: tsaMarshal(tsaIssuerAndSerial{Issuer: asn1.RawValue{FullBytes: f.leaf.RawIssuer}, Serial: f.leaf.SerialNumber})},
		DigestAlgorithm:    tsaHashAlgorithm(digestHash),
		SignatureAlgorithm: sigAlg,
	}
	if r.SignerKeyID {
		si.Version = 3
		si.SID = tsaTagged(asn1.ClassContextSpecific, 0, false, f.leaf.SubjectKeyId)
	}

	signed := eContent
	if !r.OmitSignedAttrs {
		attrs, err := f.signedAttributes(eContent, digestHash, genTime, r)
		if err != nil {
			return nil, err
		}
		// The signature is over the attributes as a SET OF; the SignerInfo carries them [0].
		signed = tsaMarshal(tsaTagged(asn1.ClassUniversal, asn1.TagSet, true, attrs))
		si.SignedAttrs = tsaTagged(asn1.ClassContextSpecific, 0, true, attrs)
	}
	if si.Signature, err = tsaSign(key, digestHash, f.cfg.pss, signed); err != nil {
		return nil, err
	}

	eContentType := tsaOIDTSTInfo
	if r.WrongEContentType {
		eContentType = tsaOIDData
	}
	sd := tsaSignedData{
		Version:          3,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{tsaHashAlgorithm(digestHash)},
		EncapContentInfo: tsaEncapContentInfo{
			EContentType: eContentType,
			EContent:     tsaTagged(asn1.ClassContextSpecific, 0, true, tsaMarshal(eContent)),
		},
		SignerInfos: []tsaSignerInfo{si},
	}
	if !r.OmitCertificates {
		certs := []*x509.Certificate{f.leaf}
		if r.EmbedChain {
			certs = f.Chain()
		}
		var raw []byte
		for _, c := range certs {
			raw = append(raw, c.Raw...)
		}
		sd.Certificates = tsaTagged(asn1.ClassContextSpecific, 0, true, raw)
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("SignedData: %w", err)
	}
	return asn1.Marshal(tsaContentInfo{
		ContentType: tsaOIDSignedData,
		Content:     tsaTagged(asn1.ClassContextSpecific, 0, true, sdDER),
	})
}

// signedAttributes returns the DER contents (without tag and length) of the signed attributes,
// sorted as DER sorts a SET OF.
func (f *TSA) signedAttributes(eContent []byte, h crypto.Hash, genTime time.Time, r TSAResponse) ([]byte, error) {
	attr := func(typ asn1.ObjectIdentifier, value any) []byte {
		return tsaMarshal(struct {
			Type   asn1.ObjectIdentifier
			Values asn1.RawValue
		}{typ, tsaTagged(asn1.ClassUniversal, asn1.TagSet, true, tsaMarshal(value))})
	}
	contentType := tsaOIDTSTInfo
	if r.WrongContentType {
		contentType = tsaOIDData
	}
	hh := h.New()
	hh.Write(eContent)
	if r.WrongMessageDigest {
		hh.Write([]byte("tampered"))
	}
	attrs := [][]byte{
		attr(tsaOIDContentType, contentType),
		attr(tsaOIDSigningTime, genTime.UTC()),
		attr(tsaOIDMessageDigest, hh.Sum(nil)),
	}
	if !r.OmitESS {
		named := f.leaf
		if r.WrongESS {
			named = f.root
		}
		is := tsaIssuerSerial{
			Issuer: tsaTagged(asn1.ClassUniversal, asn1.TagSequence, true,
				tsaMarshal(tsaTagged(asn1.ClassContextSpecific, 4, true, named.RawIssuer))),
			Serial: named.SerialNumber,
		}
		if r.ESSv1 {
			sum := sha1.Sum(named.Raw)
			attrs = append(attrs, attr(tsaOIDSigningCert, struct{ Certs []tsaESSCertID }{[]tsaESSCertID{{CertHash: sum[:], IssuerSerial: is}}}))
		} else {
			sum := sha256.Sum256(named.Raw)
			attrs = append(attrs, attr(tsaOIDSigningCertV2, struct{ Certs []tsaESSCertIDv2 }{[]tsaESSCertIDv2{{CertHash: sum[:], IssuerSerial: is}}}))
		}
	}
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	return bytes.Join(attrs, nil), nil
}

// signatureAlgorithm picks the digest and the CMS signature algorithm for the leaf's key:
// ECDSA with the curve's hash, RSA PKCS #1 v1.5 or PSS with SHA-256, Ed25519 with SHA-512 as
// the digest of the content (RFC 8419).
func (f *TSA) signatureAlgorithm() (crypto.Hash, pkix.AlgorithmIdentifier, error) {
	switch k := f.key.Public().(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return crypto.SHA256, pkix.AlgorithmIdentifier{Algorithm: tsaOIDECDSASHA256}, nil
		case elliptic.P384():
			return crypto.SHA384, pkix.AlgorithmIdentifier{Algorithm: tsaOIDECDSASHA384}, nil
		case elliptic.P521():
			return crypto.SHA512, pkix.AlgorithmIdentifier{Algorithm: tsaOIDECDSASHA512}, nil
		}
	case *rsa.PublicKey:
		if !f.cfg.pss {
			return crypto.SHA256, pkix.AlgorithmIdentifier{Algorithm: tsaOIDSHA256RSA, Parameters: asn1.NullRawValue}, nil
		}
		params := tsaPSSParams{
			Hash: tsaHashAlgorithm(crypto.SHA256),
			MGF:  pkix.AlgorithmIdentifier{Algorithm: tsaOIDMGF1, Parameters: asn1.RawValue{FullBytes: tsaMarshal(tsaHashAlgorithm(crypto.SHA256))}},
			Salt: 32,
		}
		return crypto.SHA256, pkix.AlgorithmIdentifier{Algorithm: tsaOIDRSAPSS, Parameters: asn1.RawValue{FullBytes: tsaMarshal(params)}}, nil
	case ed25519.PublicKey:
		return crypto.SHA512, pkix.AlgorithmIdentifier{Algorithm: tsaOIDEd25519}, nil
	}
	return 0, pkix.AlgorithmIdentifier{}, fmt.Errorf("unsupported TSA key %T", f.key.Public())
}

func tsaSign(key crypto.Signer, h crypto.Hash, pss bool, msg []byte) ([]byte, error) {
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		return key.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	hh := h.New()
	hh.Write(msg)
	var opts crypto.SignerOpts = h
	if pss {
		opts = &rsa.PSSOptions{SaltLength: 32, Hash: h}
	}
	return key.Sign(rand.Reader, hh.Sum(nil), opts)
}

// tsaOtherKey makes a key of the same type as key, for signatures that must not verify.
func tsaOtherKey(key crypto.Signer) (crypto.Signer, error) {
	switch k := key.Public().(type) {
	case *ecdsa.PublicKey:
		return ecdsa.GenerateKey(k.Curve, rand.Reader)
	case *rsa.PublicKey:
		return rsa.GenerateKey(rand.Reader, k.N.BitLen())
	case ed25519.PublicKey:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("unsupported TSA key %T", key.Public())
}

func tsaNewECKey(tb testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		tb.Fatalf("sigstoretest: TSA key: %v", err)
	}
	return k
}

func tsaRandomSerial(tb testing.TB) *big.Int {
	tb.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatalf("sigstoretest: serial: %v", err)
	}
	return n.Add(n, big.NewInt(1))
}

func tsaCreateCert(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	tb.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		tb.Fatalf("sigstoretest: TSA certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("sigstoretest: TSA certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	return c
}
