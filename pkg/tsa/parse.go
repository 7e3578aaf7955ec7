package tsa

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
)

// Parse parses a DER TimeStampResp (RFC 3161 §2.4.2) whose status is granted(0) or
// grantedWithMods(1) (any other status is an error naming the status and failInfo), or, as a
// fallback, a bare TimeStampToken: a CMS ContentInfo holding a SignedData whose content is a
// TSTInfo. Parse checks structure only; it verifies no signature and trusts nothing.
func Parse(der []byte) (*Timestamp, error) {
	ts, err := parse(der)
	if err != nil {
		return nil, fmt.Errorf("parsing timestamp: %w", err)
	}
	return ts, nil
}

func parse(der []byte) (*Timestamp, error) {
	if len(der) == 0 {
		return nil, errors.New("empty input")
	}
	if len(der) > MaxResponseSize {
		return nil, fmt.Errorf("input of %d bytes is larger than %d bytes", len(der), MaxResponseSize)
	}
	// The Timestamp keeps slices of its input; a copy keeps it from changing under the caller.
	der = bytes.Clone(der)
	top := newDERReader(der)
	outer, err := top.sequence("timestamp response or token")
	if err != nil {
		return nil, err
	}
	if err := top.done("timestamp response or token"); err != nil {
		return nil, err
	}
	// A TimeStampResp starts with the PKIStatusInfo SEQUENCE; a ContentInfo with an OID.
	if outer.peek(asn1.ClassUniversal, asn1.TagSequence) {
		return parseResponse(outer)
	}
	return parseToken(der)
}

// PKIStatus values (RFC 3161 §2.4.2).
var statusNames = [...]string{"granted", "grantedWithMods", "rejection", "waiting", "revocationWarning", "revocationNotification"}

// PKIFailureInfo bits (RFC 3161 §2.4.2).
var failInfoNames = map[int]string{
	0: "badAlg", 2: "badRequest", 5: "badDataFormat", 14: "timeNotAvailable",
	15: "unacceptedPolicy", 16: "unacceptedExtension", 17: "addInfoNotAvailable", 25: "systemFailure",
}

// parseResponse parses the contents of a TimeStampResp:
//
//	TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
//	PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }
func parseResponse(r *derReader) (*Timestamp, error) {
	si, err := r.sequence("status")
	if err != nil {
		return nil, err
	}
	status, err := si.bigInt("status")
	if err != nil {
		return nil, err
	}
	var text []string
	if si.peek(asn1.ClassUniversal, asn1.TagSequence) {
		ft, err := si.sequence("status string")
		if err != nil {
			return nil, err
		}
		for !ft.empty() && len(text) < 8 {
			v, err := ft.element(asn1.ClassUniversal, asn1.TagUTF8String, false, "status string")
			if err != nil {
				return nil, err
			}
			text = append(text, string(v.Bytes))
		}
	}
	var failInfo asn1.BitString
	if si.peek(asn1.ClassUniversal, asn1.TagBitString) {
		v, err := si.element(asn1.ClassUniversal, asn1.TagBitString, false, "failure info")
		if err != nil {
			return nil, err
		}
		if _, err := asn1.Unmarshal(v.FullBytes, &failInfo); err != nil {
			return nil, fmt.Errorf("failure info: %v", err)
		}
	}
	if err := si.done("status"); err != nil {
		return nil, err
	}
	if !status.IsInt64() || (status.Int64() != 0 && status.Int64() != 1) {
		return nil, statusError(status, text, failInfo)
	}
	tok, err := r.element(asn1.ClassUniversal, asn1.TagSequence, true, "timestamp token")
	if err != nil {
		return nil, fmt.Errorf("status is %s but %w", statusName(status), err)
	}
	if err := r.done("timestamp token"); err != nil {
		return nil, err
	}
	return parseToken(tok.FullBytes)
}

func statusName(status *big.Int) string {
	if status.IsInt64() && status.Int64() >= 0 && status.Int64() < int64(len(statusNames)) {
		return fmt.Sprintf("%s(%d)", statusNames[status.Int64()], status.Int64())
	}
	return "unknown(" + intString(status) + ")"
}

func statusError(status *big.Int, text []string, failInfo asn1.BitString) error {
	var b strings.Builder
	fmt.Fprintf(&b, "timestamp request was not granted: status %s", statusName(status))
	var fails []string
	for i := 0; i < failInfo.BitLength && i < 64; i++ {
		if failInfo.At(i) == 1 {
			if n, ok := failInfoNames[i]; ok {
				fails = append(fails, n)
			} else {
				fails = append(fails, fmt.Sprintf("bit%d", i))
			}
		}
	}
	if len(fails) > 0 {
		fmt.Fprintf(&b, ", failInfo %s", strings.Join(fails, ","))
	}
	if len(text) > 0 {
		s := strings.Join(text, "; ")
		if utf8.RuneCountInString(s) > maxStatusStringRune {
			s = string([]rune(s)[:maxStatusStringRune]) + "..."
		}
		fmt.Fprintf(&b, ", status string %q", s)
	}
	return errors.New(b.String())
}

// parseToken parses a TimeStampToken (RFC 3161 §2.4.2, RFC 5652 §3 and §5):
//
//	ContentInfo ::= SEQUENCE { contentType ContentType (id-signedData), content [0] EXPLICIT SignedData }
//	SignedData ::= SEQUENCE { version CMSVersion, digestAlgorithms SET OF DigestAlgorithmIdentifier,
//	    encapContentInfo EncapsulatedContentInfo, certificates [0] IMPLICIT CertificateSet OPTIONAL,
//	    crls [1] IMPLICIT RevocationInfoChoices OPTIONAL, signerInfos SET OF SignerInfo }
//	EncapsulatedContentInfo ::= SEQUENCE { eContentType (id-ct-TSTInfo), eContent [0] EXPLICIT OCTET STRING }
func parseToken(der []byte) (*Timestamp, error) {
	top := newDERReader(der)
	ci, err := top.sequence("content info")
	if err != nil {
		return nil, err
	}
	if err := top.done("content info"); err != nil {
		return nil, err
	}
	ct, err := ci.oid("content type")
	if err != nil {
		return nil, err
	}
	if !ct.Equal(oidSignedData) {
		return nil, fmt.Errorf("content type is %v, want id-signedData", ct)
	}
	content, err := ci.explicit(0, "signed data")
	if err != nil {
		return nil, err
	}
	if err := ci.done("content info"); err != nil {
		return nil, err
	}
	sd, err := content.sequence("signed data")
	if err != nil {
		return nil, err
	}
	if err := content.done("signed data"); err != nil {
		return nil, err
	}
	if _, err := sd.smallInt("signed data version", 0, 5); err != nil {
		return nil, err
	}
	algs, err := sd.set("digest algorithms")
	if err != nil {
		return nil, err
	}
	for n := 0; !algs.empty(); n++ {
		if n == maxAlgorithms {
			return nil, fmt.Errorf("more than %d digest algorithms", maxAlgorithms)
		}
		if _, _, err := algs.algorithmIdentifier("digest algorithm"); err != nil {
			return nil, err
		}
	}

	ts := &Timestamp{}
	eci, err := sd.sequence("encapsulated content info")
	if err != nil {
		return nil, err
	}
	ect, err := eci.oid("encapsulated content type")
	if err != nil {
		return nil, err
	}
	if !ect.Equal(oidTSTInfo) {
		return nil, fmt.Errorf("encapsulated content type is %v, want id-ct-TSTInfo", ect)
	}
	ec, err := eci.explicit(0, "encapsulated content")
	if err != nil {
		return nil, err
	}
	if ts.eContent, err = ec.octets("encapsulated content"); err != nil {
		return nil, err
	}
	if err := ec.done("encapsulated content"); err != nil {
		return nil, err
	}
	if err := eci.done("encapsulated content info"); err != nil {
		return nil, err
	}

	if sd.peek(asn1.ClassContextSpecific, 0) {
		certs, err := sd.explicit(0, "certificates") // [0] IMPLICIT SET OF: constructed, same shape
		if err != nil {
			return nil, err
		}
		for !certs.empty() {
			if len(ts.Certificates) == maxCertificates {
				return nil, fmt.Errorf("more than %d embedded certificates", maxCertificates)
			}
			v, err := certs.element(asn1.ClassUniversal, asn1.TagSequence, true, "embedded certificate")
			if err != nil {
				return nil, fmt.Errorf("%w (only X.509 certificates are supported)", err)
			}
			c, err := x509.ParseCertificate(v.FullBytes)
			if err != nil {
				return nil, fmt.Errorf("embedded certificate %d: %v", len(ts.Certificates), err)
			}
			ts.Certificates = append(ts.Certificates, c)
		}
	}
	if sd.peek(asn1.ClassContextSpecific, 1) {
		// Revocation information is not used: the chain is checked at the timestamp's time
		// against the trusted root, as Sigstore verifiers do.
		if _, err := sd.element(asn1.ClassContextSpecific, 1, true, "crls"); err != nil {
			return nil, err
		}
	}
	sis, err := sd.set("signer infos")
	if err != nil {
		return nil, err
	}
	if err := sd.done("signed data"); err != nil {
		return nil, err
	}
	if sis.empty() {
		return nil, errors.New("signed data has no signer info")
	}
	if ts.signer, err = parseSignerInfo(sis); err != nil {
		return nil, err
	}
	if !sis.empty() {
		return nil, errors.New("signed data has more than one signer info; a timestamp token carries only the TSA's signature")
	}
	if err := parseTSTInfo(ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// parseSignerInfo parses one SignerInfo (RFC 5652 §5.3):
//
//	SignerInfo ::= SEQUENCE { version CMSVersion, sid SignerIdentifier, digestAlgorithm,
//	    signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL, signatureAlgorithm, signature OCTET STRING,
//	    unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
//	SignerIdentifier ::= CHOICE { issuerAndSerialNumber, subjectKeyIdentifier [0] }
func parseSignerInfo(sis *derReader) (signerInfo, error) {
	var si signerInfo
	r, err := sis.sequence("signer info")
	if err != nil {
		return si, err
	}
	version, err := r.smallInt("signer info version", 1, 3)
	if err != nil {
		return si, err
	}
	switch {
	case version == 1 && r.peek(asn1.ClassUniversal, asn1.TagSequence):
		ias, err := r.sequence("signer identifier")
		if err != nil {
			return si, err
		}
		name, err := ias.element(asn1.ClassUniversal, asn1.TagSequence, true, "signer issuer")
		if err != nil {
			return si, err
		}
		si.issuer = name.FullBytes
		if si.serial, err = ias.bigInt("signer serial number"); err != nil {
			return si, err
		}
		if err := ias.done("signer identifier"); err != nil {
			return si, err
		}
	case version == 3 && r.peek(asn1.ClassContextSpecific, 0):
		v, err := r.element(asn1.ClassContextSpecific, 0, false, "signer subject key identifier")
		if err != nil {
			return si, err
		}
		if len(v.Bytes) == 0 {
			return si, errors.New("signer subject key identifier is empty")
		}
		si.skid = v.Bytes
	default:
		return si, fmt.Errorf("signer info version %d does not match its signer identifier", version)
	}
	var digestParams []byte
	if si.digestOID, digestParams, err = r.algorithmIdentifier("signer digest algorithm"); err != nil {
		return si, err
	}
	if digestParams != nil && !isNull(digestParams) {
		return si, fmt.Errorf("signer digest algorithm %v has unexpected parameters", si.digestOID)
	}
	if r.peek(asn1.ClassContextSpecific, 0) {
		v, err := r.element(asn1.ClassContextSpecific, 0, true, "signed attributes")
		if err != nil {
			return si, err
		}
		if err := parseSignedAttributes(&si, v.Bytes); err != nil {
			return si, err
		}
		// The signature covers the DER of the attributes with the SET OF tag, not [0].
		si.signedAttrs = bytes.Clone(v.FullBytes)
		si.signedAttrs[0] = 0x31
	}
	if si.sigAlgOID, si.sigAlgParams, err = r.algorithmIdentifier("signature algorithm"); err != nil {
		return si, err
	}
	if si.signature, err = r.octets("signature"); err != nil {
		return si, err
	}
	if r.peek(asn1.ClassContextSpecific, 1) {
		if _, err := r.element(asn1.ClassContextSpecific, 1, true, "unsigned attributes"); err != nil {
			return si, err
		}
	}
	return si, r.done("signer info")
}

// parseSignedAttributes parses SET OF Attribute, Attribute ::= SEQUENCE { attrType, attrValues SET OF }.
// Each attribute type may occur once (RFC 5652 §11, RFC 5035 §5.4); the ones signet checks
// must carry exactly one value.
func parseSignedAttributes(si *signerInfo, content []byte) error {
	r := newDERReader(content)
	var seen []asn1.ObjectIdentifier
	for !r.empty() {
		if len(seen) == maxAttributes {
			return fmt.Errorf("more than %d signed attributes", maxAttributes)
		}
		a, err := r.sequence("signed attribute")
		if err != nil {
			return err
		}
		typ, err := a.oid("signed attribute type")
		if err != nil {
			return err
		}
		for _, s := range seen {
			if s.Equal(typ) {
				return fmt.Errorf("signed attribute %v occurs more than once", typ)
			}
		}
		seen = append(seen, typ)
		values, err := a.set(fmt.Sprintf("values of signed attribute %v", typ))
		if err != nil {
			return err
		}
		if err := a.done("signed attribute"); err != nil {
			return err
		}
		known := true
		switch {
		case typ.Equal(oidContentType):
			si.contentType, err = values.oid("content-type attribute")
		case typ.Equal(oidMessageDigest):
			si.messageDigest, err = values.octets("message-digest attribute")
		case typ.Equal(oidSigningCert):
			si.essV1, err = parseSigningCertificate(values, false)
		case typ.Equal(oidSigningCertV2):
			si.essV2, err = parseSigningCertificate(values, true)
		default:
			known = false
		}
		if err != nil {
			return err
		}
		if known {
			if err := values.done(fmt.Sprintf("the single value of signed attribute %v", typ)); err != nil {
				return err
			}
		} else if values.empty() {
			return fmt.Errorf("signed attribute %v has no value", typ)
		}
	}
	return nil
}

// parseSigningCertificate parses an ESS signingCertificate (RFC 2634 §5.4) or
// signingCertificateV2 (RFC 5035 §3) value and returns its first certificate identifier, the
// one that names the signing certificate:
//
//	SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, policies SEQUENCE OF PolicyInformation OPTIONAL }
//	ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial IssuerSerial OPTIONAL }
//	ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT sha256, certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
//	IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
func parseSigningCertificate(values *derReader, v2 bool) (*essCertID, error) {
	what := "signing certificate attribute"
	if v2 {
		what = "signing certificate v2 attribute"
	}
	sc, err := values.sequence(what)
	if err != nil {
		return nil, err
	}
	certs, err := sc.sequence(what + " certificates")
	if err != nil {
		return nil, err
	}
	if sc.peek(asn1.ClassUniversal, asn1.TagSequence) {
		if _, err := sc.sequence(what + " policies"); err != nil {
			return nil, err
		}
	}
	if err := sc.done(what); err != nil {
		return nil, err
	}
	var first *essCertID
	for n := 0; !certs.empty(); n++ {
		if n == maxESSCertIDs {
			return nil, fmt.Errorf("%s lists more than %d certificates", what, maxESSCertIDs)
		}
		id, err := parseESSCertID(certs, v2, what)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = id
		}
	}
	if first == nil {
		return nil, fmt.Errorf("%s lists no certificate", what)
	}
	return first, nil
}

func parseESSCertID(certs *derReader, v2 bool, what string) (*essCertID, error) {
	r, err := certs.sequence(what + " certificate id")
	if err != nil {
		return nil, err
	}
	id := &essCertID{hash: crypto.SHA1}
	if v2 {
		id.hash = crypto.SHA256
		if r.peek(asn1.ClassUniversal, asn1.TagSequence) {
			oid, err := r.hashAlgorithm(what+" hash algorithm", false)
			if err != nil {
				return nil, err
			}
			id.hash, _ = hashFromOID(oid, false)
		}
	}
	if id.certHash, err = r.octets(what + " certificate hash"); err != nil {
		return nil, err
	}
	if len(id.certHash) != id.hash.Size() {
		return nil, fmt.Errorf("%s certificate hash is %d bytes, want %d for %s", what, len(id.certHash), id.hash.Size(), hashName(id.hash))
	}
	if !r.empty() {
		is, err := r.sequence(what + " issuer serial")
		if err != nil {
			return nil, err
		}
		names, err := is.sequence(what + " issuer")
		if err != nil {
			return nil, err
		}
		for !names.empty() {
			gn, err := names.any(what + " issuer name")
			if err != nil {
				return nil, err
			}
			// directoryName [4] Name: explicit, because Name is a CHOICE.
			if gn.Class == asn1.ClassContextSpecific && gn.Tag == 4 && gn.IsCompound && id.issuer == nil {
				n := newDERReader(gn.Bytes)
				name, err := n.element(asn1.ClassUniversal, asn1.TagSequence, true, what+" issuer name")
				if err != nil {
					return nil, err
				}
				if err := n.done(what + " issuer name"); err != nil {
					return nil, err
				}
				id.issuer = name.FullBytes
			}
		}
		if id.serial, err = is.bigInt(what + " serial number"); err != nil {
			return nil, err
		}
		if err := is.done(what + " issuer serial"); err != nil {
			return nil, err
		}
		id.hasIS = true
	}
	return id, r.done(what + " certificate id")
}

// parseTSTInfo parses the encapsulated content (RFC 3161 §2.4.2):
//
//	TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy TSAPolicyId, messageImprint MessageImprint,
//	    serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
//	    ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL, tsa [0] GeneralName OPTIONAL,
//	    extensions [1] IMPLICIT Extensions OPTIONAL }
//	MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
//	Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL }
func parseTSTInfo(ts *Timestamp) error {
	top := newDERReader(ts.eContent)
	r, err := top.sequence("TSTInfo")
	if err != nil {
		return err
	}
	if err := top.done("TSTInfo"); err != nil {
		return err
	}
	if _, err := r.smallInt("TSTInfo version", 1, 1); err != nil {
		return err
	}
	if ts.Policy, err = r.oid("TSA policy"); err != nil {
		return err
	}
	mi, err := r.sequence("message imprint")
	if err != nil {
		return err
	}
	hashOID, err := mi.hashAlgorithm("message imprint hash algorithm", false)
	if err != nil {
		return err
	}
	ts.Hash, _ = hashFromOID(hashOID, false)
	if ts.HashedMessage, err = mi.octets("message imprint"); err != nil {
		return err
	}
	if len(ts.HashedMessage) != ts.Hash.Size() {
		return fmt.Errorf("message imprint is %d bytes, want %d for %s", len(ts.HashedMessage), ts.Hash.Size(), hashName(ts.Hash))
	}
	if err := mi.done("message imprint"); err != nil {
		return err
	}
	if ts.SerialNumber, err = r.bigInt("serial number"); err != nil {
		return err
	}
	if ts.Time, err = r.generalizedTime("genTime"); err != nil {
		return err
	}
	if r.peek(asn1.ClassUniversal, asn1.TagSequence) {
		if ts.Accuracy, err = parseAccuracy(r); err != nil {
			return err
		}
	}
	if r.peek(asn1.ClassUniversal, asn1.TagBoolean) {
		if ts.Ordering, err = r.boolean("ordering"); err != nil {
			return err
		}
	}
	if r.peek(asn1.ClassUniversal, asn1.TagInteger) {
		if ts.Nonce, err = r.bigInt("nonce"); err != nil {
			return err
		}
	}
	if r.peek(asn1.ClassContextSpecific, 0) {
		if _, err := r.element(asn1.ClassContextSpecific, 0, true, "TSA name"); err != nil {
			return err
		}
	}
	if r.peek(asn1.ClassContextSpecific, 1) {
		exts, err := r.explicit(1, "TSTInfo extensions") // [1] IMPLICIT SEQUENCE OF: constructed
		if err != nil {
			return err
		}
		for n := 0; !exts.empty(); n++ {
			if n == maxExtensions {
				return fmt.Errorf("more than %d TSTInfo extensions", maxExtensions)
			}
			if err := parseExtension(exts); err != nil {
				return err
			}
		}
	}
	return r.done("TSTInfo")
}

func parseAccuracy(r *derReader) (time.Duration, error) {
	a, err := r.sequence("accuracy")
	if err != nil {
		return 0, err
	}
	var d time.Duration
	if a.peek(asn1.ClassUniversal, asn1.TagInteger) {
		s, err := a.smallInt("accuracy seconds", 0, maxAccuracySeconds)
		if err != nil {
			return 0, err
		}
		d += time.Duration(s) * time.Second
	}
	if a.peek(asn1.ClassContextSpecific, 0) {
		ms, err := a.implicitInt(0, "accuracy millis", 1, 999)
		if err != nil {
			return 0, err
		}
		d += time.Duration(ms) * time.Millisecond
	}
	if a.peek(asn1.ClassContextSpecific, 1) {
		us, err := a.implicitInt(1, "accuracy micros", 1, 999)
		if err != nil {
			return 0, err
		}
		d += time.Duration(us) * time.Microsecond
	}
	return d, a.done("accuracy")
}

// parseExtension parses Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }.
// No TSTInfo extension is understood, so a critical one makes the token unusable.
func parseExtension(exts *derReader) error {
	e, err := exts.sequence("TSTInfo extension")
	if err != nil {
		return err
	}
	id, err := e.oid("TSTInfo extension id")
	if err != nil {
		return err
	}
	critical := false
	if e.peek(asn1.ClassUniversal, asn1.TagBoolean) {
		if critical, err = e.boolean("TSTInfo extension criticality"); err != nil {
			return err
		}
	}
	if _, err := e.octets("TSTInfo extension value"); err != nil {
		return err
	}
	if critical {
		return fmt.Errorf("unsupported critical TSTInfo extension %v", id)
	}
	return e.done("TSTInfo extension")
}
