package trust_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/trust"
)

// FuzzParseTrustedRoot feeds the trust document parsers the embedded roots and signing
// configs and every trusted root of the conformance suite. They must never panic, and a
// root that parses keeps the package's promises (keys, 4-byte hints, windows with a start,
// chains of 1 to 10 certificates).
func FuzzParseTrustedRoot(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(shareddata.Dir(f, conformanceDir), "*", "trusted_root.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no conformance roots: %v", err)
	}
	paths = append(paths, publicGoodRoot, stagingRoot, publicGoodSC, stagingSC)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	root, _ := os.ReadFile(publicGoodRoot)
	sc, _ := os.ReadFile(publicGoodSC)
	f.Add(clientTrustConfig(f, trust.ClientTrustConfigMediaType, root, sc))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot.v0.2+json","tlogs":[{"logId":{"keyId":"AAAAAA=="},"checkpointKeyId":{"keyId":"AQID"}}]}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		if tr, err := trust.ParseTrustedRoot(data); err == nil {
			checkRoot(t, tr)
		} else if tr != nil {
			t.Errorf("ParseTrustedRoot returned a root and an error")
		}
		// Describing any decodable document never panics, and agrees with the parser.
		if pb, err := trust.DecodeTrustedRoot(data); err == nil {
			d := trust.Describe(pb, nil, trust.Source{}, describeNow)
			_, perr := trust.ParseTrustedRoot(data)
			if d.TrustedRoot.Usable != (perr == nil) {
				t.Errorf("Describe says usable=%v, ParseTrustedRoot says %v", d.TrustedRoot.Usable, perr)
			}
		}
		if pb, err := trust.DecodeClientTrustConfig(data); err == nil {
			trust.Describe(pb.GetTrustedRoot(), pb.GetSigningConfig(), trust.Source{}, describeNow)
		}
		if sc, err := trust.ParseSigningConfig(data); err == nil && sc.Proto().GetMediaType() != trust.SigningConfigMediaType02 {
			t.Errorf("parsed a signing config of media type %q", sc.Proto().GetMediaType())
		}
		if cfg, err := trust.ParseClientTrustConfig(data); err == nil {
			if cfg.TrustedRoot == nil || cfg.SigningConfig == nil {
				t.Errorf("parsed a client trust config without both parts")
			}
			checkRoot(t, cfg.TrustedRoot)
		}
	})
}

// FuzzParseSigningConfig feeds the signing config parser the embedded configs and near
// misses, and selects services from what parses, at times around their windows. Nothing may
// panic; what Select returns keeps the specification's promises.
func FuzzParseSigningConfig(f *testing.F) {
	for _, p := range []string{publicGoodSC, stagingSC} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, int64(0))
		f.Add(data, int64(-5*365*24*3600))
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json","rekorTlogUrls":[{"url":"https://a","majorApiVersion":2,"validFor":{"start":"2025-01-01T00:00:00Z"},"operator":"x"},{"url":"https://b","majorApiVersion":2,"validFor":{"start":"2025-01-01T00:00:00Z"},"operator":"x"}],"rekorTlogConfig":{"selector":"EXACT","count":2}}`), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, offset int64) {
		sc, err := trust.ParseSigningConfig(data)
		if err != nil {
			if sc != nil {
				t.Errorf("ParseSigningConfig returned a config and an error")
			}
			return
		}
		now := describeNow.Add(time.Duration(offset%(100*365*24*3600)) * time.Second)
		s, err := sc.Select(now)
		if err != nil {
			return
		}
		if (s.CA.URL == "") != (len(sc.Proto().GetCaUrls()) == 0) {
			t.Errorf("selected CA %q from %d CA services", s.CA.URL, len(sc.Proto().GetCaUrls()))
		}
		for _, list := range [][]trust.Service{s.Tlogs, s.TSAs} {
			ops := map[string]bool{}
			for _, svc := range list {
				if svc.Operator != "" && ops[svc.Operator] {
					t.Errorf("selected two services of operator %q", svc.Operator)
				}
				ops[svc.Operator] = true
				if svc.MajorAPIVersion != list[0].MajorAPIVersion {
					t.Errorf("selected services of API versions %d and %d", list[0].MajorAPIVersion, svc.MajorAPIVersion)
				}
			}
		}
	})
}

// FuzzParsePublicKey feeds ParsePublicKey, the parser of every key in a trusted root (logs,
// CT logs), DER keys of each algorithm under every key details value. It never panics, and a
// key it returns has a hash (but pure Ed25519) and a log id.
func FuzzParsePublicKey(f *testing.F) {
	for _, p := range []string{publicGoodRoot, stagingRoot} {
		pb, err := trust.DecodeTrustedRoot(readFile(f, p))
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range append(pb.GetTlogs(), pb.GetCtlogs()...) {
			f.Add(l.GetPublicKey().GetRawBytes(), int32(l.GetPublicKey().GetKeyDetails()))
		}
	}
	f.Add([]byte{0x30, 0x00}, int32(pbcommon.PublicKeyDetails_PKCS1_RSA_PKCS1V5))
	f.Fuzz(func(t *testing.T, der []byte, details int32) {
		d := pbcommon.PublicKeyDetails(details)
		pub, h, err := trust.ParsePublicKey(der, d)
		if err != nil {
			if pub != nil {
				t.Errorf("returned a key and an error")
			}
			return
		}
		if h == 0 && d != pbcommon.PublicKeyDetails_PKIX_ED25519 {
			t.Errorf("no hash for a %T key under details %v", pub, d)
		}
		if _, err := trust.LogID(pub); err != nil {
			t.Errorf("a key that parses has no log id: %v", err)
		}
	})
}
