package trust_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/pkg/trust"
)

var describeNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestDescribePublicGood(t *testing.T) {
	cfg, err := trust.Embedded(trust.PublicGood)
	require.NoError(t, err)
	src := trust.Source{Kind: trust.SourceEmbedded, Location: "public-good"}
	d := trust.Describe(cfg.TrustedRoot.Proto(), cfg.SigningConfig.Proto(), src, describeNow)

	require.Equal(t, trust.DescriptionMediaType, d.MediaType)
	require.Nil(t, d.AgeSeconds, "an embedded root has no known age")
	tr := d.TrustedRoot
	require.True(t, tr.Usable)
	require.Empty(t, tr.Error)
	require.Len(t, tr.CertificateAuthorities, 2)
	require.Len(t, tr.Tlogs, 2)
	require.Len(t, tr.CTLogs, 2)
	require.Len(t, tr.TimestampAuthorities, 1)

	old, cur := tr.CertificateAuthorities[0], tr.CertificateAuthorities[1]
	require.Equal(t, trust.StatusEnded, old.ValidFor.Status)
	require.Equal(t, trust.StatusActive, cur.ValidFor.Status)
	require.Equal(t, "O=sigstore.dev, CN=sigstore", cur.Subject)
	require.Len(t, cur.Chain, 2)
	require.Equal(t, "CN=sigstore-intermediate,O=sigstore.dev", cur.Chain[0].Subject)
	require.True(t, cur.Chain[1].IsCA)
	require.Len(t, cur.Chain[0].SHA256, 64)

	rekor := tr.Tlogs[0]
	require.True(t, rekor.Usable)
	require.Equal(t, "https://rekor.sigstore.dev", rekor.BaseURL)
	require.Equal(t, "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", rekor.LogID)
	require.Equal(t, "c0d23d6a", rekor.KeyHint)
	require.Equal(t, "PKIX_ECDSA_P256_SHA_256", rekor.KeyDetails)
	require.Equal(t, trust.StatusActive, rekor.ValidFor.Status)
	require.Nil(t, rekor.ValidFor.End)

	sc := d.SigningConfig
	require.NotNil(t, sc)
	require.True(t, sc.Usable)
	require.Empty(t, sc.SelectionError)
	selected := func(list []trust.ServiceDescription) (out []string) {
		for _, s := range list {
			if s.Selected {
				out = append(out, s.URL)
			}
		}
		return out
	}
	require.Equal(t, []string{"https://fulcio.sigstore.dev"}, selected(sc.CAs))
	require.Equal(t, []string{"https://rekor.sigstore.dev"}, selected(sc.Tlogs))
	require.Equal(t, []string{"https://timestamp.sigstore.dev/api/v1/timestamp"}, selected(sc.TSAs))
}

// An entry signet cannot use is shown as such, with the reason, next to the ones it can; the
// root still loads. Its tampered twin has a malformed entry, and the root as a whole is refused.
func TestDescribeUnusableEntry(t *testing.T) {
	data := edit(t, readFile(t, publicGoodRoot), func(d map[string]any) {
		obj(d, "tlogs", 1, "publicKey")["keyDetails"] = "ML_DSA_65"
		obj(d, "certificateAuthorities", 0, "certChain")["certificates"] = []any{}
	})
	pb, err := trust.DecodeTrustedRoot(data)
	require.NoError(t, err)
	d := trust.Describe(pb, nil, trust.Source{Kind: trust.SourceFile, Location: "root.json", Updated: describeNow.Add(-90 * time.Minute)}, describeNow)
	require.Nil(t, d.SigningConfig)
	require.Equal(t, int64(5400), *d.AgeSeconds)

	tr := d.TrustedRoot
	require.True(t, tr.Usable, tr.Error)
	require.True(t, tr.Tlogs[0].Usable)
	require.False(t, tr.Tlogs[1].Usable)
	require.Equal(t, "unsupported public key algorithm: key details ML_DSA_65", tr.Tlogs[1].UnusableReason)
	require.Empty(t, tr.Tlogs[1].KeyHint)
	require.False(t, tr.CertificateAuthorities[0].Usable)
	require.Equal(t, "no certificate chain", tr.CertificateAuthorities[0].UnusableReason)
	require.True(t, tr.CertificateAuthorities[1].Usable)

	// What Describe calls unusable is what the parsed root skips.
	parsed, err := trust.NewTrustedRoot(pb)
	require.NoError(t, err)
	require.Len(t, parsed.Unusable, 2)

	// The twin: a CT log without a validity start is malformed, and the root is refused.
	malformed := edit(t, data, func(d map[string]any) { delete(obj(d, "ctlogs", 0, "publicKey", "validFor"), "start") })
	pb, err = trust.DecodeTrustedRoot(malformed)
	require.NoError(t, err)
	tr = trust.Describe(pb, nil, trust.Source{}, describeNow).TrustedRoot
	require.False(t, tr.Usable)
	require.Contains(t, tr.Error, "ctlogs[0] (https://ctfe.sigstore.dev/test): malformed trust material: validity window has no start")
	require.False(t, tr.CTLogs[0].Usable)
	require.Contains(t, tr.CTLogs[0].UnusableReason, "no start")
	require.Equal(t, trust.StatusInvalid, tr.CTLogs[0].ValidFor.Status)
	require.True(t, tr.CTLogs[1].Usable)
	require.False(t, tr.Tlogs[1].Usable, "still described")
}

func TestDescribeSigningConfigStates(t *testing.T) {
	parts := testParts(t, newPKI(t), newKeys(t))
	ctc, err := parts.ClientTrustConfig()
	require.NoError(t, err)

	// Before the services start: nothing can be selected, and every service says so.
	d := trust.Describe(ctc.GetTrustedRoot(), ctc.GetSigningConfig(), trust.Source{Kind: trust.SourceFile}, buildStart.Add(-time.Hour))
	sc := d.SigningConfig
	require.True(t, sc.Usable)
	require.Contains(t, sc.SelectionError, "no certificate authority valid now")
	require.Equal(t, trust.StatusFuture, sc.CAs[0].ValidFor.Status)
	require.False(t, sc.CAs[0].Selected)
	require.Equal(t, "ANY", sc.TlogSelector)

	// Later: the highest Rekor API version is selected.
	d = trust.Describe(ctc.GetTrustedRoot(), ctc.GetSigningConfig(), trust.Source{Kind: trust.SourceFile}, buildStart.Add(time.Hour))
	sc = d.SigningConfig
	require.Empty(t, sc.SelectionError)
	require.True(t, sc.Tlogs[0].Selected)
	require.False(t, sc.Tlogs[1].Selected)
	require.Equal(t, uint32(1), sc.Tlogs[1].MajorAPIVersion)

	// A config signet refuses is described, and says why.
	bad := ctc.GetSigningConfig()
	bad.MediaType = "application/vnd.dev.sigstore.signingconfig.v0.1+json"
	d = trust.Describe(ctc.GetTrustedRoot(), bad, trust.Source{}, buildStart)
	require.False(t, d.SigningConfig.Usable)
	require.Contains(t, d.SigningConfig.Error, "media type")
	require.Len(t, d.SigningConfig.CAs, 1)
}

// The JSON document's keys are its contract.
func TestDescriptionJSONKeys(t *testing.T) {
	cfg, err := trust.Embedded(trust.Staging)
	require.NoError(t, err)
	d := trust.Describe(cfg.TrustedRoot.Proto(), cfg.SigningConfig.Proto(),
		trust.Source{Kind: trust.SourceFile, Location: "x.json", Document: trust.ClientTrustConfigMediaType, Updated: describeNow}, describeNow)
	b, err := json.Marshal(d)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	keys := func(v any) []string {
		var out []string
		for k := range v.(map[string]any) {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	require.Equal(t, []string{"ageSeconds", "describedAt", "mediaType", "signingConfig", "source", "trustedRoot"}, keys(m))
	require.Equal(t, []string{"document", "kind", "location", "updated"}, keys(m["source"]))
	require.Equal(t, []string{"certificateAuthorities", "ctlogs", "mediaType", "timestampAuthorities", "tlogs", "usable"}, keys(m["trustedRoot"]))
	require.Equal(t, []string{"baseUrl", "keyDetails", "keyHint", "keySha256", "logId", "usable", "validFor"},
		keys(at(m, "trustedRoot", "tlogs", 0)))
	require.Equal(t, []string{"chain", "subject", "uri", "usable", "validFor"}, keys(at(m, "trustedRoot", "certificateAuthorities", 0)))
	require.Equal(t, []string{"isCA", "issuer", "notAfter", "notBefore", "sha256", "subject"}, keys(at(m, "trustedRoot", "certificateAuthorities", 0, "chain", 0)))
	require.Equal(t, []string{"caUrls", "mediaType", "oidcUrls", "rekorTlogSelector", "rekorTlogUrls", "tsaSelector", "tsaUrls", "usable"}, keys(m["signingConfig"]))
	require.Equal(t, []string{"majorApiVersion", "operator", "selected", "url", "validFor"}, keys(at(m, "signingConfig", "caUrls", 0)))
	require.Equal(t, []string{"start", "status"}, keys(at(m, "signingConfig", "caUrls", 0, "validFor")))
}
