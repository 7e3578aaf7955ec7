package tsa

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	_ "crypto/sha1" // ESS signingCertificate v1 hashes
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/signet-dev/signet/pkg/signature"
	"github.com/signet-dev/signet/pkg/trust"
)

// verifyError carries a message that says what failed and the sentinel a caller branches on.
type verifyError struct {
	kind error
	msg  string
}

func (e *verifyError) Error() string { return e.msg }
func (e *verifyError) Unwrap() error { return e.kind }

func invalid(format string, args ...any) error {
	return &verifyError{kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

func untrusted(format string, args ...any) error {
	return &verifyError{kind: ErrUntrusted, msg: ErrUntrusted.Error() + ": " + fmt.Sprintf(format, args...)}
}

// How far an attempt with one authority got; Verify reports the failure of the attempt that
// got furthest, so that "bad signature" from a trusted certificate is not hidden behind
// "unknown authority" from the other authorities.
const (
	rankNoCertificate  = iota // the authority does not hold the signer's certificate
	rankNoChain               // the signing certificate does not chain to the authority
	rankNotValidAtTime        // it chains, but not at the timestamp's time
	rankUsage                 // it chains at that time, but may not sign timestamps
	rankContent               // trusted certificate, but the ESS attribute or signature fails
)

// Verify checks the timestamp as a Sigstore verifier must and returns the authority that vouches
// for it. signature is the bundle's raw signature bytes (the message signature or the DSSE
// envelope's signature); tsas are the trusted timestamp authorities. It checks, in order:
//
//   - the message imprint equals Hash(signature);
//   - the CMS rules that do not depend on the signer: signed attributes are present, the
//     content-type attribute is id-ct-TSTInfo, the message-digest attribute is the digest of the
//     TSTInfo with the SignerInfo's digest algorithm, the signature algorithm is supported;
//   - for every authority whose validity window (closed interval) contains the timestamp's
//     time, until one succeeds (an authority outside its window lends nothing, even when it
//     signed; an entry without a certificate chain vouches for nothing): the signing
//     certificate is the embedded certificate that matches the SignerInfo's signer
//     identifier, else the authority's first certificate, which must match it; that
//     certificate chains to the authority's root (through its intermediates and the embedded
//     certificates) at the timestamp's time with the timeStamping usage; it is not a CA and
//     carries exactly the timeStamping extended key usage, critical (RFC 3161 §2.3); an ESS
//     signingCertificate or signingCertificateV2 attribute, when present, identifies it; and
//     the CMS signature over the signed attributes verifies with its key.
//
// Errors wrap ErrUntrusted (no trusted authority vouches for the timestamp) or ErrInvalid (the
// token is not what it claims), and say what failed.
func (ts *Timestamp) Verify(signature []byte, tsas []*trust.Authority) (*trust.Authority, error) {
	if ts == nil || ts.eContent == nil {
		return nil, errors.New("timestamp was not made by tsa.Parse")
	}
	if err := ts.checkImprint(signature); err != nil {
		return nil, err
	}
	if err := ts.checkSignedAttributes(); err != nil {
		return nil, err
	}
	embedded := ts.embeddedSigner()
	var outside []*trust.Authority
	bestRank, bestErr := -1, error(nil)
	for _, a := range tsas {
		if a == nil || len(a.Chain) == 0 {
			continue // an unusable entry vouches for nothing
		}
		if !a.ValidFor.Contains(ts.Time) {
			outside = append(outside, a)
			continue
		}
		rank, err := ts.verifyWith(a, embedded)
		if err == nil {
			return a, nil
		}
		if rank > bestRank {
			bestRank, bestErr = rank, err
		}
	}
	// Validity comes from the authority that signed: say so when that is one whose window
	// does not hold the time, whatever other entries cover it.
	for _, a := range outside {
		if _, err := ts.verifyWith(a, embedded); err == nil {
			return nil, &verifyError{kind: ErrUntrusted, msg: fmt.Sprintf("timestamp time %s is outside the validity of timestamp authority %s %s, which signed it",
				ts.Time.Format(time.RFC3339Nano), authorityName(a), describeWindow(a.ValidFor))}
		}
	}
	if bestErr == nil {
		return nil, ts.outsideEveryWindow(tsas)
	}
	return nil, bestErr
}

func describeWindow(r trust.TimeRange) string {
	end := "open"
	if !r.End.IsZero() {
		end = r.End.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("[%s, %s]", r.Start.UTC().Format(time.RFC3339), end)
}

// checkImprint: "the message imprint is the hash of the signature bytes".
func (ts *Timestamp) checkImprint(signature []byte) error {
	got := digest(ts.Hash, signature)
	if !bytes.Equal(got, ts.HashedMessage) {
		return invalid("message imprint does not match the signature: the timestamp is over %s:%x, the signature hashes to %s:%x",
			hashName(ts.Hash), ts.HashedMessage, hashName(ts.Hash), got)
	}
	return nil
}

// checkSignedAttributes applies RFC 5652 §5.3 and §11: with an eContentType other than id-data
// the signed attributes must be present, with a content-type attribute equal to eContentType
// and a message-digest attribute equal to the digest of the eContent.
func (ts *Timestamp) checkSignedAttributes() error {
	si := &ts.signer
	if si.signedAttrs == nil {
		return invalid("timestamp signer info has no signed attributes; a timestamp must sign content-type and message-digest attributes")
	}
	if si.contentType == nil {
		return invalid("timestamp signed attributes lack the content-type attribute")
	}
	if !si.contentType.Equal(oidTSTInfo) {
		return invalid("timestamp content-type attribute is %v, want id-ct-TSTInfo (%v)", si.contentType, oidTSTInfo)
	}
	if si.messageDigest == nil {
		return invalid("timestamp signed attributes lack the message-digest attribute")
	}
	h, ok := hashFromOID(si.digestOID, false)
	if !ok {
		return invalid("timestamp signer digest algorithm %v is not supported", si.digestOID)
	}
	if got := digest(h, ts.eContent); !bytes.Equal(got, si.messageDigest) {
		return invalid("timestamp message-digest attribute %x does not match the %s digest of the TSTInfo, %x", si.messageDigest, hashName(h), got)
	}
	if _, err := si.signatureAlgorithm(); err != nil {
		return invalid("timestamp %v", err)
	}
	return nil
}

func (ts *Timestamp) outsideEveryWindow(tsas []*trust.Authority) error {
	var windows []string
	for _, a := range tsas {
		if a == nil || len(a.Chain) == 0 {
			continue
		}
		if len(windows) == 4 {
			windows = append(windows, "...")
			break
		}
		windows = append(windows, authorityName(a)+" "+describeWindow(a.ValidFor))
	}
	if len(windows) == 0 {
		return untrusted("no timestamp authority is trusted")
	}
	return &verifyError{kind: ErrUntrusted, msg: fmt.Sprintf("timestamp time %s is outside the validity of every trusted timestamp authority: %s",
		ts.Time.Format(time.RFC3339Nano), strings.Join(windows, "; "))}
}

// embeddedSigner returns the embedded certificate the SignerInfo's sid names, or nil.
func (ts *Timestamp) embeddedSigner() *x509.Certificate {
	for _, c := range ts.Certificates {
		if ts.signer.identifies(c) {
			return c
		}
	}
	return nil
}

// identifies reports whether the signer identifier names c.
func (si *signerInfo) identifies(c *x509.Certificate) bool {
	if si.skid != nil {
		return len(c.SubjectKeyId) > 0 && bytes.Equal(si.skid, c.SubjectKeyId)
	}
	return bytes.Equal(si.issuer, c.RawIssuer) && si.serial.Cmp(c.SerialNumber) == 0
}

func (si *signerInfo) describe() string {
	if si.skid != nil {
		return "subject key id " + hex.EncodeToString(si.skid)
	}
	return fmt.Sprintf("issuer %q, serial %s", nameString(si.issuer), si.serial.Text(16))
}

func nameString(der []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) != 0 {
		return "(unparsable name)"
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return clip(n.String())
}

func authorityName(a *trust.Authority) string {
	if a.URI != "" {
		return a.URI
	}
	if a.Subject != "" {
		return a.Subject
	}
	return fmt.Sprintf("%q", clip(a.Root().Subject.String()))
}

func certName(c *x509.Certificate) string {
	return fmt.Sprintf("%q (serial %s)", clip(c.Subject.String()), c.SerialNumber.Text(16))
}

// verifyWith checks the signer against one authority whose window contains the time.
func (ts *Timestamp) verifyWith(a *trust.Authority, embedded *x509.Certificate) (int, error) {
	cert := embedded
	if cert == nil {
		if !ts.signer.identifies(a.Chain[0]) {
			what := "embeds no certificate for its signer"
			if len(ts.Certificates) > 0 {
				what = "embeds no certificate matching its signer"
			}
			return rankNoCertificate, untrusted("the token %s (%s), and timestamp authority %s signs with another certificate, %s",
				what, ts.signer.describe(), authorityName(a), certName(a.Chain[0]))
		}
		cert = a.Chain[0]
	}
	if rank, err := ts.checkChain(a, cert); err != nil {
		return rank, err
	}
	if err := checkTimestampingUsage(cert); err != nil {
		return rankUsage, err
	}
	if err := ts.checkESS(cert); err != nil {
		return rankContent, err
	}
	if err := ts.checkSignature(cert); err != nil {
		return rankContent, err
	}
	return 0, nil
}

// checkChain verifies cert up to the authority's root at the timestamp's time, the time the
// certificate had to be valid at (never "now": TSA certificates may have expired since).
func (ts *Timestamp) checkChain(a *trust.Authority, cert *x509.Certificate) (int, error) {
	roots := a.Roots
	if roots == nil {
		roots = x509.NewCertPool()
		roots.AddCert(a.Root())
	}
	var inter *x509.CertPool
	if a.Intermediates != nil {
		inter = a.Intermediates.Clone()
	} else {
		inter = x509.NewCertPool()
		for _, c := range a.Chain[:len(a.Chain)-1] {
			inter.AddCert(c)
		}
	}
	for _, c := range ts.Certificates {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   ts.Time,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	}
	_, err := cert.Verify(opts)
	if err == nil {
		return 0, nil
	}
	// The decision is made; the probes below only choose the message.
	opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	if _, perr := cert.Verify(opts); perr == nil {
		return rankUsage, untrusted("the certificate chain of %s from timestamp authority %s does not allow timestamping: %v",
			certName(cert), authorityName(a), err)
	}
	for _, t := range []time.Time{cert.NotBefore, cert.NotAfter} {
		opts.CurrentTime = t
		if _, perr := cert.Verify(opts); perr == nil {
			return rankNotValidAtTime, untrusted("the signing certificate %s of timestamp authority %s is not valid at the timestamp time %s (valid %s to %s): %v",
				certName(cert), authorityName(a), ts.Time.Format(time.RFC3339Nano),
				cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), err)
		}
	}
	return rankNoChain, untrusted("the signing certificate %s, issued by %q, does not chain to timestamp authority %s: %v",
		certName(cert), clip(cert.Issuer.String()), authorityName(a), err)
}

// checkTimestampingUsage applies RFC 3161 §2.3: the TSA's certificate "MUST contain only one
// instance of the extended key usage field extension ... with KeyPurposeID having value
// id-kp-timeStamping. This extension MUST be critical."
//
// The signing certificate is also an end-entity certificate: a CA certificate signs
// certificates, not timestamps.
func checkTimestampingUsage(c *x509.Certificate) error {
	if c.IsCA {
		return untrusted("the signing certificate %s is a CA certificate; timestamps are signed by an end-entity certificate", certName(c))
	}
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidExtKeyUsage) {
			continue
		}
		if !ext.Critical {
			return untrusted("the signing certificate %s has a non-critical extended key usage extension; RFC 3161 requires it critical", certName(c))
		}
		if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(c.UnknownExtKeyUsage) != 0 {
			return untrusted("the signing certificate %s has extended key usages other than exactly timeStamping", certName(c))
		}
		return nil
	}
	return untrusted("the signing certificate %s lacks the timeStamping extended key usage", certName(c))
}

// checkESS: an ESS signingCertificate(V2) attribute binds the signature to one certificate
// (RFC 2634 §5.4, RFC 5035, RFC 5816); when present its first entry must be cert.
func (ts *Timestamp) checkESS(cert *x509.Certificate) error {
	for _, id := range []*essCertID{ts.signer.essV1, ts.signer.essV2} {
		if id == nil {
			continue
		}
		if got := digest(id.hash, cert.Raw); !bytes.Equal(got, id.certHash) {
			return invalid("timestamp signing certificate attribute names the certificate with %s hash %x, but the signing certificate %s hashes to %x",
				hashName(id.hash), id.certHash, certName(cert), got)
		}
		if id.hasIS && (!bytes.Equal(id.issuer, cert.RawIssuer) || id.serial.Cmp(cert.SerialNumber) != 0) {
			return invalid("timestamp signing certificate attribute names issuer %q serial %s, not the signing certificate %s issued by %q",
				nameString(id.issuer), id.serial.Text(16), certName(cert), clip(cert.Issuer.String()))
		}
	}
	return nil
}

type sigKind int

const (
	sigECDSA sigKind = iota + 1
	sigRSAPKCS1
	sigRSAPSS
	sigEd25519
)

type sigAlgorithm struct {
	kind sigKind
	hash crypto.Hash // zero for Ed25519
	salt int         // RSA-PSS salt length
}

// signatureAlgorithm maps the SignerInfo's signatureAlgorithm. For the algorithm identifiers
// that name only a key type (rsaEncryption, id-ecPublicKey) the hash is the digestAlgorithm.
func (si *signerInfo) signatureAlgorithm() (sigAlgorithm, error) {
	oid, params := si.sigAlgOID, si.sigAlgParams
	absent := params == nil
	absentOrNull := absent || isNull(params)
	digestHash, _ := hashFromOID(si.digestOID, false)
	switch {
	case len(oid) == 7 && oid[:6].Equal(oidECDSAWithSHA) && oid[6] >= 2 && oid[6] <= 4 && absent:
		return sigAlgorithm{kind: sigECDSA, hash: [...]crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512}[oid[6]-2]}, nil
	case oid.Equal(oidECPublicKey) && absentOrNull && digestHash != 0:
		return sigAlgorithm{kind: sigECDSA, hash: digestHash}, nil
	case oid.Equal(oidRSAEncryption) && absentOrNull && digestHash != 0:
		return sigAlgorithm{kind: sigRSAPKCS1, hash: digestHash}, nil
	case oid.Equal(oidSHA256WithRSA) && absentOrNull:
		return sigAlgorithm{kind: sigRSAPKCS1, hash: crypto.SHA256}, nil
	case oid.Equal(oidSHA384WithRSA) && absentOrNull:
		return sigAlgorithm{kind: sigRSAPKCS1, hash: crypto.SHA384}, nil
	case oid.Equal(oidSHA512WithRSA) && absentOrNull:
		return sigAlgorithm{kind: sigRSAPKCS1, hash: crypto.SHA512}, nil
	case oid.Equal(oidRSAPSS):
		h, salt, err := parsePSSParams(params)
		if err != nil {
			return sigAlgorithm{}, err
		}
		return sigAlgorithm{kind: sigRSAPSS, hash: h, salt: salt}, nil
	case oid.Equal(oidEd25519) && absent:
		return sigAlgorithm{kind: sigEd25519}, nil
	}
	return sigAlgorithm{}, fmt.Errorf("signature algorithm %v is not supported", oid)
}

// parsePSSParams accepts the simple RSASSA-PSS parameters (RFC 4055 §3.1): an explicit SHA-2
// hash, MGF1 with the same hash, an explicit salt length and the default trailer field.
//
//	RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] HashAlgorithm DEFAULT sha1,
//	    maskGenAlgorithm [1] MaskGenAlgorithm DEFAULT mgf1SHA1, saltLength [2] INTEGER DEFAULT 20,
//	    trailerField [3] TrailerField DEFAULT trailerFieldBC }
func parsePSSParams(der []byte) (crypto.Hash, int, error) {
	if der == nil {
		return 0, 0, errors.New("RSASSA-PSS signature algorithm has no parameters")
	}
	top := newDERReader(der)
	r, err := top.sequence("RSASSA-PSS parameters")
	if err != nil {
		return 0, 0, err
	}
	if err := top.done("RSASSA-PSS parameters"); err != nil {
		return 0, 0, err
	}
	if !r.peek(asn1.ClassContextSpecific, 0) {
		return 0, 0, errors.New("RSASSA-PSS parameters use the default hash, SHA-1, which is not supported")
	}
	h0, err := r.explicit(0, "RSASSA-PSS hash algorithm")
	if err != nil {
		return 0, 0, err
	}
	hashOID, err := h0.hashAlgorithm("RSASSA-PSS hash algorithm", false)
	if err != nil {
		return 0, 0, err
	}
	if err := h0.done("RSASSA-PSS hash algorithm"); err != nil {
		return 0, 0, err
	}
	if !r.peek(asn1.ClassContextSpecific, 1) {
		return 0, 0, errors.New("RSASSA-PSS parameters use the default mask generation, MGF1 with SHA-1, which is not supported")
	}
	h1, err := r.explicit(1, "RSASSA-PSS mask generation algorithm")
	if err != nil {
		return 0, 0, err
	}
	mgf, mgfParams, err := h1.algorithmIdentifier("RSASSA-PSS mask generation algorithm")
	if err != nil {
		return 0, 0, err
	}
	if err := h1.done("RSASSA-PSS mask generation algorithm"); err != nil {
		return 0, 0, err
	}
	if !mgf.Equal(oidMGF1) {
		return 0, 0, fmt.Errorf("RSASSA-PSS mask generation algorithm %v is not MGF1", mgf)
	}
	mp := newDERReader(mgfParams)
	mgfHash, err := mp.hashAlgorithm("RSASSA-PSS MGF1 hash algorithm", false)
	if err != nil {
		return 0, 0, err
	}
	if err := mp.done("RSASSA-PSS MGF1 hash algorithm"); err != nil {
		return 0, 0, err
	}
	if !mgfHash.Equal(hashOID) {
		return 0, 0, errors.New("RSASSA-PSS MGF1 hash differs from the signature hash")
	}
	if !r.peek(asn1.ClassContextSpecific, 2) {
		return 0, 0, errors.New("RSASSA-PSS parameters use the default salt length, which belongs to SHA-1")
	}
	s, err := r.explicit(2, "RSASSA-PSS salt length")
	if err != nil {
		return 0, 0, err
	}
	salt, err := s.smallInt("RSASSA-PSS salt length", 0, 1024)
	if err != nil {
		return 0, 0, err
	}
	if err := s.done("RSASSA-PSS salt length"); err != nil {
		return 0, 0, err
	}
	if r.peek(asn1.ClassContextSpecific, 3) {
		t, err := r.explicit(3, "RSASSA-PSS trailer field")
		if err != nil {
			return 0, 0, err
		}
		if _, err := t.smallInt("RSASSA-PSS trailer field", 1, 1); err != nil {
			return 0, 0, err
		}
		if err := t.done("RSASSA-PSS trailer field"); err != nil {
			return 0, 0, err
		}
	}
	if err := r.done("RSASSA-PSS parameters"); err != nil {
		return 0, 0, err
	}
	h, _ := hashFromOID(hashOID, false)
	return h, int(salt), nil
}

// checkSignature verifies the SignerInfo's signature over the DER of the signed attributes
// (re-tagged SET OF, RFC 5652 §5.4) with cert's key.
func (ts *Timestamp) checkSignature(cert *x509.Certificate) error {
	alg, err := ts.signer.signatureAlgorithm()
	if err != nil {
		return invalid("timestamp %v", err)
	}
	var keyOK bool
	switch alg.kind {
	case sigECDSA:
		_, keyOK = cert.PublicKey.(*ecdsa.PublicKey)
	case sigRSAPKCS1, sigRSAPSS:
		_, keyOK = cert.PublicKey.(*rsa.PublicKey)
	case sigEd25519:
		_, keyOK = cert.PublicKey.(ed25519.PublicKey)
	}
	if !keyOK {
		return invalid("timestamp signature algorithm %v does not fit the %T key of the signing certificate %s", ts.signer.sigAlgOID, cert.PublicKey, certName(cert))
	}
	msg, sig := ts.signer.signedAttrs, ts.signer.signature
	if alg.kind == sigRSAPSS {
		k := cert.PublicKey.(*rsa.PublicKey)
		switch {
		case k.N.BitLen() < 2048:
			err = fmt.Errorf("RSA key of %d bits is too small", k.N.BitLen())
		case rsa.VerifyPSS(k, alg.hash, digest(alg.hash, msg), sig, &rsa.PSSOptions{SaltLength: alg.salt, Hash: alg.hash}) != nil:
			err = signature.ErrMismatch
		}
	} else {
		err = signature.Verify(cert.PublicKey, alg.hash, msg, sig)
	}
	if err != nil {
		return invalid("timestamp signature does not verify with the signing certificate %s: %v", certName(cert), err)
	}
	return nil
}

// CheckResponse checks a freshly parsed response against the request made with NewRequest:
// the message imprint must use h and equal h(signature), and the token must echo the nonce
// (when nonce is not nil). A mismatch wraps ErrInvalid. It does not replace Verify.
func (ts *Timestamp) CheckResponse(signature []byte, h crypto.Hash, nonce *big.Int) error {
	if ts == nil || ts.eContent == nil {
		return errors.New("timestamp was not made by tsa.Parse")
	}
	if ts.Hash != h {
		return invalid("timestamp response imprint uses %s, the request used %s", hashName(ts.Hash), hashName(h))
	}
	if err := ts.checkImprint(signature); err != nil {
		return err
	}
	if nonce != nil {
		if ts.Nonce == nil {
			return invalid("timestamp response carries no nonce; the request sent %s", nonce.Text(16))
		}
		if ts.Nonce.Cmp(nonce) != 0 {
			return invalid("timestamp response nonce %s does not match the request nonce %s", clip(ts.Nonce.Text(16)), nonce.Text(16))
		}
	}
	return nil
}
