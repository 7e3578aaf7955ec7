package trust_test

import (
	"os"
	"path/filepath"
	"testing"

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
