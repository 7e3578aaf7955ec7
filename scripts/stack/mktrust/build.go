package main

// The building half of mktrust: pure functions from keys, chains and URLs to
// the protobuf-specs trust documents. No network here; main.go fetches.
// This is the seed of `signet trust create`.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Media types written.
const (
	TrustedRootMediaType       = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
	SigningConfigMediaType     = "application/vnd.dev.sigstore.signingconfig.v0.2+json"
	ClientTrustConfigMediaType = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
)

// Authority is a CA or TSA: where it is and the chain it serves (leaf or
// intermediates first, root last).
type Authority struct {
	URL   string
	Chain []*x509.Certificate
}

// LogKind says how a log's id is derived from its key.
type LogKind int

const (
	// RekorV1 and CTLog ids are SHA-256 of the DER SubjectPublicKeyInfo.
	RekorV1 LogKind = iota + 1
	CTLog
	// RekorV2 ids are the C2SP signed-note key hash of (origin, key), the value
	// a Rekor v2 server returns as logId.keyId.
	RekorV2
)

// Log is a transparency log (Rekor v1/v2) or a CT log.
type Log struct {
	Kind    LogKind
	BaseURL string
	Key     crypto.PublicKey
	// Origin is the checkpoint origin (Rekor v2's --hostname); RekorV2 only.
	Origin string
}

// Instance is everything known about one private Sigstore deployment.
type Instance struct {
	Operator string
	// Start is the validity start for keys and services that carry no date of
	// their own (log keys, signing config entries). Authorities start at the
	// NotBefore of their chain's leaf-most certificate, or at Start if earlier.
	Start   time.Time
	CA      *Authority
	TSA     *Authority // URL is the timestamp endpoint, .../api/v1/timestamp
	OIDCURL string
	Logs    []Log // Rekor logs, in signing config order
	CTLogs  []Log
}

// TrustedRoot builds the trusted root of in.
func (in *Instance) TrustedRoot() (*pbtrust.TrustedRoot, error) {
	tr := &pbtrust.TrustedRoot{MediaType: TrustedRootMediaType}
	if in.CA != nil {
		ca, err := in.authority(in.CA)
		if err != nil {
			return nil, fmt.Errorf("ca %s: %w", in.CA.URL, err)
		}
		tr.CertificateAuthorities = append(tr.CertificateAuthorities, ca)
	}
	if in.TSA != nil {
		tsa, err := in.authority(in.TSA)
		if err != nil {
			return nil, fmt.Errorf("tsa %s: %w", in.TSA.URL, err)
		}
		tr.TimestampAuthorities = append(tr.TimestampAuthorities, tsa)
	}
	for _, l := range in.Logs {
		inst, err := in.log(l)
		if err != nil {
			return nil, fmt.Errorf("tlog %s: %w", l.BaseURL, err)
		}
		tr.Tlogs = append(tr.Tlogs, inst)
	}
	for _, l := range in.CTLogs {
		inst, err := in.log(l)
		if err != nil {
			return nil, fmt.Errorf("ctlog %s: %w", l.BaseURL, err)
		}
		tr.Ctlogs = append(tr.Ctlogs, inst)
	}
	return tr, nil
}

// SigningConfig builds a SigningConfig v0.2 listing the CA, the OIDC issuer,
// the TSA and the Rekor logs for which keep returns true (nil keeps all).
// Logs and TSAs are selected with ANY.
func (in *Instance) SigningConfig(keep func(Log) bool) (*pbtrust.SigningConfig, error) {
	sc := &pbtrust.SigningConfig{
		MediaType:       SigningConfigMediaType,
		RekorTlogConfig: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_ANY},
		TsaConfig:       &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_ANY},
	}
	if in.CA != nil {
		sc.CaUrls = append(sc.CaUrls, in.service(in.CA.URL, 1))
	}
	if in.OIDCURL != "" {
		sc.OidcUrls = append(sc.OidcUrls, in.service(in.OIDCURL, 1))
	}
	for _, l := range in.Logs {
		if keep != nil && !keep(l) {
			continue
		}
		v := uint32(1)
		if l.Kind == RekorV2 {
			v = 2
		}
		sc.RekorTlogUrls = append(sc.RekorTlogUrls, in.service(l.BaseURL, v))
	}
	if len(sc.RekorTlogUrls) == 0 && len(in.Logs) > 0 {
		return nil, errors.New("signing config: no Rekor log selected")
	}
	if in.TSA != nil {
		sc.TsaUrls = append(sc.TsaUrls, in.service(in.TSA.URL, 1))
	}
	return sc, nil
}

// ClientTrustConfig pairs a trusted root and a signing config.
func ClientTrustConfig(tr *pbtrust.TrustedRoot, sc *pbtrust.SigningConfig) *pbtrust.ClientTrustConfig {
	return &pbtrust.ClientTrustConfig{MediaType: ClientTrustConfigMediaType, TrustedRoot: tr, SigningConfig: sc}
}

func (in *Instance) service(url string, major uint32) *pbtrust.Service {
	return &pbtrust.Service{
		Url:             url,
		MajorApiVersion: major,
		ValidFor:        &pbcommon.TimeRange{Start: timestamppb.New(in.Start)},
		Operator:        in.Operator,
	}
}

func (in *Instance) authority(a *Authority) (*pbtrust.CertificateAuthority, error) {
	if len(a.Chain) == 0 {
		return nil, errors.New("empty certificate chain")
	}
	root := a.Chain[len(a.Chain)-1]
	if !root.IsCA {
		return nil, fmt.Errorf("last certificate %q is not a CA", root.Subject)
	}
	chain := &pbcommon.X509CertificateChain{}
	start := in.Start
	for _, c := range a.Chain {
		chain.Certificates = append(chain.Certificates, &pbcommon.X509Certificate{RawBytes: c.Raw})
	}
	// The authority is valid from when its first certificate was: that keeps
	// signatures made before this document was written verifiable.
	if nb := a.Chain[0].NotBefore; nb.Before(start) {
		start = nb
	}
	org := ""
	if len(root.Subject.Organization) > 0 {
		org = root.Subject.Organization[0]
	}
	return &pbtrust.CertificateAuthority{
		Subject:   &pbcommon.DistinguishedName{Organization: org, CommonName: root.Subject.CommonName},
		Uri:       a.URL,
		CertChain: chain,
		ValidFor:  &pbcommon.TimeRange{Start: timestamppb.New(start)},
		Operator:  in.Operator,
	}, nil
}

func (in *Instance) log(l Log) (*pbtrust.TransparencyLogInstance, error) {
	der, err := x509.MarshalPKIXPublicKey(l.Key)
	if err != nil {
		return nil, err
	}
	details, err := KeyDetails(l.Key)
	if err != nil {
		return nil, err
	}
	id, err := LogID(l)
	if err != nil {
		return nil, err
	}
	return &pbtrust.TransparencyLogInstance{
		BaseUrl:       l.BaseURL,
		HashAlgorithm: pbcommon.HashAlgorithm_SHA2_256,
		PublicKey: &pbcommon.PublicKey{
			RawBytes:   der,
			KeyDetails: details,
			ValidFor:   &pbcommon.TimeRange{Start: timestamppb.New(in.Start)},
		},
		LogId:    &pbcommon.LogId{KeyId: id},
		Operator: in.Operator,
	}, nil
}

// LogID returns the id clients look l up by.
func LogID(l Log) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(l.Key)
	if err != nil {
		return nil, err
	}
	switch l.Kind {
	case RekorV1, CTLog:
		sum := sha256.Sum256(der)
		return sum[:], nil
	case RekorV2:
		return NoteKeyHash(l.Origin, l.Key)
	}
	return nil, fmt.Errorf("unknown log kind %d", l.Kind)
}

// NoteKeyHash is the C2SP signed-note key hash that Rekor v2 uses as its log
// id; its first 4 bytes are the key hint on checkpoint signatures.
//
//	Ed25519: SHA-256(origin || "\n" || 0x01 || 32-byte key)   (C2SP signed-note)
//	ECDSA:   SHA-256(DER SPKI)                                 (Rekor v2's non-standard choice)
//	RSA:     SHA-256(origin || "\n" || 0xff || "PKIX-RSA-PKCS#1v1.5" || DER SPKI)
func NoteKeyHash(origin string, key crypto.PublicKey) ([]byte, error) {
	if origin == "" {
		return nil, errors.New("note key hash needs the checkpoint origin")
	}
	h := sha256.New()
	switch k := key.(type) {
	case ed25519.PublicKey:
		h.Write([]byte(origin + "\n"))
		h.Write([]byte{0x01})
		h.Write(k)
	case *ecdsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, err
		}
		h.Write(der)
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, err
		}
		h.Write([]byte(origin + "\n"))
		h.Write([]byte{0xff})
		h.Write([]byte("PKIX-RSA-PKCS#1v1.5"))
		h.Write(der)
	default:
		return nil, fmt.Errorf("unsupported log key type %T", key)
	}
	return h.Sum(nil), nil
}

// KeyDetails names the key's algorithm as the trusted root does.
func KeyDetails(key crypto.PublicKey) (pbcommon.PublicKeyDetails, error) {
	switch k := key.(type) {
	case ed25519.PublicKey:
		return pbcommon.PublicKeyDetails_PKIX_ED25519, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, nil
		case elliptic.P384():
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384, nil
		case elliptic.P521():
			return pbcommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512, nil
		}
	case *rsa.PublicKey:
		switch k.Size() * 8 {
		case 2048:
			return pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256, nil
		case 3072:
			return pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256, nil
		case 4096:
			return pbcommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256, nil
		}
	}
	return 0, fmt.Errorf("unsupported log key %T", key)
}
