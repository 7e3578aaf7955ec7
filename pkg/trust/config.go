package trust

import (
	"embed"
	"fmt"
	"io"
	"os"
	"path"

	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// SigningConfig is a parsed SigningConfig v0.2 document: the services a signer uses.
type SigningConfig struct {
	pb *pbtrust.SigningConfig
}

// Proto returns the underlying message.
func (sc *SigningConfig) Proto() *pbtrust.SigningConfig { return sc.pb }

// ParseSigningConfig parses a SigningConfig v0.2 JSON document.
func ParseSigningConfig(data []byte) (*SigningConfig, error) {
	pb, err := DecodeSigningConfig(data)
	if err != nil {
		return nil, err
	}
	return NewSigningConfig(pb)
}

// DecodeSigningConfig decodes a SigningConfig JSON document without validating it (see
// DecodeTrustedRoot).
func DecodeSigningConfig(data []byte) (*pbtrust.SigningConfig, error) {
	if len(data) > MaxDocumentSize {
		return nil, malformed("signing config is larger than %d bytes", MaxDocumentSize)
	}
	var pb pbtrust.SigningConfig
	if err := protojson.Unmarshal(data, &pb); err != nil {
		return nil, malformed("signing config is not valid JSON: %v", err)
	}
	return &pb, nil
}

// NewSigningConfig validates a SigningConfig message.
func NewSigningConfig(pb *pbtrust.SigningConfig) (*SigningConfig, error) {
	if pb.GetMediaType() != SigningConfigMediaType02 {
		return nil, malformed("unsupported signing config media type %q", pb.GetMediaType())
	}
	for _, set := range [][]*pbtrust.Service{pb.GetCaUrls(), pb.GetOidcUrls(), pb.GetRekorTlogUrls(), pb.GetTsaUrls()} {
		for _, s := range set {
			if s.GetUrl() == "" {
				return nil, malformed("signing config lists a service without a url")
			}
			if _, err := parseTimeRange(s.GetValidFor()); err != nil {
				return nil, fmt.Errorf("service %s: %w", s.GetUrl(), err)
			}
		}
	}
	return &SigningConfig{pb: pb}, nil
}

// Config is what a client needs to sign and verify against one Sigstore instance: a
// trusted root and, for signing, a signing config (nil when only a trusted root was given).
type Config struct {
	TrustedRoot   *TrustedRoot
	SigningConfig *SigningConfig
}

// ParseClientTrustConfig parses a ClientTrustConfig v0.1 JSON document; both of its parts
// are required.
func ParseClientTrustConfig(data []byte) (*Config, error) {
	pb, err := DecodeClientTrustConfig(data)
	if err != nil {
		return nil, err
	}
	if pb.GetMediaType() != ClientTrustConfigMediaType {
		return nil, malformed("unsupported trust config media type %q", pb.GetMediaType())
	}
	if pb.GetTrustedRoot() == nil || pb.GetSigningConfig() == nil {
		return nil, malformed("trust config needs both trustedRoot and signingConfig")
	}
	tr, err := NewTrustedRoot(pb.GetTrustedRoot())
	if err != nil {
		return nil, fmt.Errorf("trustedRoot: %w", err)
	}
	sc, err := NewSigningConfig(pb.GetSigningConfig())
	if err != nil {
		return nil, fmt.Errorf("signingConfig: %w", err)
	}
	return &Config{TrustedRoot: tr, SigningConfig: sc}, nil
}

// DecodeClientTrustConfig decodes a ClientTrustConfig JSON document without validating it
// (see DecodeTrustedRoot).
func DecodeClientTrustConfig(data []byte) (*pbtrust.ClientTrustConfig, error) {
	if len(data) > MaxDocumentSize {
		return nil, malformed("trust config is larger than %d bytes", MaxDocumentSize)
	}
	var pb pbtrust.ClientTrustConfig
	if err := protojson.Unmarshal(data, &pb); err != nil {
		return nil, malformed("trust config is not valid JSON: %v", err)
	}
	return &pb, nil
}

// ReadFile reads a trust document with the size limit applied.
func ReadFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxDocumentSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocumentSize {
		return nil, malformed("%s is larger than %d bytes", name, MaxDocumentSize)
	}
	return data, nil
}

//go:embed data
var embedded embed.FS

// Instance names an instance whose trust material is embedded in signet.
type Instance string

// The embedded instances.
const (
	PublicGood Instance = "public-good"
	Staging    Instance = "staging"
)

// Embedded returns the trusted root and signing config shipped in the binary for an
// instance: the offline fallback when no TUF cache or explicit trust file is available.
func Embedded(inst Instance) (*Config, error) {
	trData, scData, err := EmbeddedDocuments(inst)
	if err != nil {
		return nil, err
	}
	tr, err := ParseTrustedRoot(trData)
	if err != nil {
		return nil, err
	}
	sc, err := ParseSigningConfig(scData)
	if err != nil {
		return nil, err
	}
	return &Config{TrustedRoot: tr, SigningConfig: sc}, nil
}

// EmbeddedDocuments returns the embedded trusted_root.json and signing_config.v0.2.json of an
// instance as shipped, byte for byte, unparsed.
func EmbeddedDocuments(inst Instance) (trustedRoot, signingConfig []byte, err error) {
	if inst != PublicGood && inst != Staging {
		return nil, nil, fmt.Errorf("no embedded trust material for %q", inst)
	}
	trustedRoot, err = embedded.ReadFile(path.Join("data", string(inst), "trusted_root.json"))
	if err != nil {
		return nil, nil, err
	}
	signingConfig, err = embedded.ReadFile(path.Join("data", string(inst), "signing_config.v0.2.json"))
	if err != nil {
		return nil, nil, err
	}
	return trustedRoot, signingConfig, nil
}
