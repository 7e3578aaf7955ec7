package trust_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/pkg/trust"
)

func TestParseSigningConfig(t *testing.T) {
	pg := readFile(t, publicGoodSC)
	service := func(set string, f func(s map[string]any)) []byte {
		return edit(t, pg, func(d map[string]any) { f(obj(d, set, 0)) })
	}
	cases := []struct {
		name string
		data []byte
		err  string // a part of the refusal's message; "" when the config parses
	}{
		{"public-good", pg, ""},
		{"staging", readFile(t, stagingSC), ""},
		{"v0.1 media type", edit(t, pg, func(d map[string]any) {
			d["mediaType"] = "application/vnd.dev.sigstore.signingconfig.v0.1+json"
		}), "media type"},
		{"trusted root media type", edit(t, pg, func(d map[string]any) { d["mediaType"] = trust.TrustedRootMediaType01 }), "media type"},
		{"no media type", edit(t, pg, func(d map[string]any) { delete(d, "mediaType") }), "media type"},
		{"not JSON", []byte("{"), "JSON"},
		{"unknown field", edit(t, pg, func(d map[string]any) { d["fulcioUrls"] = []any{} }), "unknown field"},
		{"CA without url", service("caUrls", func(s map[string]any) { delete(s, "url") }), "without a url"},
		{"OIDC with empty url", service("oidcUrls", func(s map[string]any) { s["url"] = "" }), "without a url"},
		{"Rekor without url", service("rekorTlogUrls", func(s map[string]any) { delete(s, "url") }), "without a url"},
		{"TSA without url", service("tsaUrls", func(s map[string]any) { delete(s, "url") }), "without a url"},
		{"CA without validFor start", service("caUrls", func(s map[string]any) { delete(obj(s, "validFor"), "start") }), "no start"},
		{"TSA without validFor", service("tsaUrls", func(s map[string]any) { delete(s, "validFor") }), "no start"},
		{"Rekor ending before it starts", service("rekorTlogUrls", func(s map[string]any) {
			obj(s, "validFor")["end"] = "2020-01-01T00:00:00Z"
		}), "ends before"},
		{"Rekor with an end", service("rekorTlogUrls", func(s map[string]any) {
			obj(s, "validFor")["end"] = "2030-01-01T00:00:00Z"
		}), ""},
		{"no services", []byte(`{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json"}`), ""},
		{"larger than MaxDocumentSize", append(append([]byte{}, pg...), bytes.Repeat([]byte(" "), trust.MaxDocumentSize)...), "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := trust.ParseSigningConfig(c.data)
			if c.err != "" {
				require.Nil(t, sc)
				require.ErrorIs(t, err, trust.ErrMalformed)
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, trust.SigningConfigMediaType02, sc.Proto().GetMediaType())
		})
	}

	sc, err := trust.ParseSigningConfig(pg)
	require.NoError(t, err)
	require.Equal(t, "https://fulcio.sigstore.dev", sc.Proto().GetCaUrls()[0].GetUrl())
	require.Equal(t, "https://oauth2.sigstore.dev/auth", sc.Proto().GetOidcUrls()[0].GetUrl())
}

// clientTrustConfig assembles a ClientTrustConfig document from its parts; a nil part is left out.
func clientTrustConfig(t testing.TB, mediaType string, root, sc []byte) []byte {
	t.Helper()
	d := map[string]any{"mediaType": mediaType}
	if root != nil {
		d["trustedRoot"] = json.RawMessage(root)
	}
	if sc != nil {
		d["signingConfig"] = json.RawMessage(sc)
	}
	out, err := json.Marshal(d)
	require.NoError(t, err)
	return out
}

func TestParseClientTrustConfig(t *testing.T) {
	root := readFile(t, publicGoodRoot)
	sc := readFile(t, publicGoodSC)
	badRoot := edit(t, root, func(d map[string]any) { delete(obj(d, "tlogs", 0, "publicKey", "validFor"), "start") })
	badSC := edit(t, sc, func(d map[string]any) { delete(obj(d, "caUrls", 0), "url") })

	cases := []struct {
		name string
		data []byte
		err  string
	}{
		{"both parts", clientTrustConfig(t, trust.ClientTrustConfigMediaType, root, sc), ""},
		{"no trusted root", clientTrustConfig(t, trust.ClientTrustConfigMediaType, nil, sc), "both"},
		{"no signing config", clientTrustConfig(t, trust.ClientTrustConfigMediaType, root, nil), "both"},
		{"neither", clientTrustConfig(t, trust.ClientTrustConfigMediaType, nil, nil), "both"},
		{"wrong media type", clientTrustConfig(t, "application/vnd.dev.sigstore.clienttrustconfig.v0.2+json", root, sc), "media type"},
		{"trusted root media type", clientTrustConfig(t, trust.TrustedRootMediaType01, root, sc), "media type"},
		{"malformed trusted root", clientTrustConfig(t, trust.ClientTrustConfigMediaType, badRoot, sc), "trustedRoot"},
		{"malformed signing config", clientTrustConfig(t, trust.ClientTrustConfigMediaType, root, badSC), "signingConfig"},
		{"trusted root in place of the signing config", clientTrustConfig(t, trust.ClientTrustConfigMediaType, root, root), "JSON"},
		{"not JSON", []byte("[]"), "JSON"},
		{"larger than MaxDocumentSize", append(clientTrustConfig(t, trust.ClientTrustConfigMediaType, root, sc),
			bytes.Repeat([]byte(" "), trust.MaxDocumentSize)...), "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := trust.ParseClientTrustConfig(c.data)
			if c.err != "" {
				require.Nil(t, cfg)
				require.ErrorIs(t, err, trust.ErrMalformed)
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, cfg.TrustedRoot)
			require.NotNil(t, cfg.SigningConfig)
			checkRoot(t, cfg.TrustedRoot)
			require.Equal(t, "https://rekor.sigstore.dev", cfg.TrustedRoot.Tlogs[0].BaseURL)
			require.Equal(t, "https://fulcio.sigstore.dev", cfg.SigningConfig.Proto().GetCaUrls()[0].GetUrl())
		})
	}
}

func TestEmbedded(t *testing.T) {
	cases := []struct {
		inst        trust.Instance
		rekor, ca   string
		tlogs       int
		onDiskRoot  string
		onDiskSigns string
	}{
		{trust.PublicGood, "https://rekor.sigstore.dev", "https://fulcio.sigstore.dev", 2, publicGoodRoot, publicGoodSC},
		{trust.Staging, "https://rekor.sigstage.dev", "https://fulcio.sigstage.dev", 4, stagingRoot, stagingSC},
	}
	for _, c := range cases {
		t.Run(string(c.inst), func(t *testing.T) {
			cfg, err := trust.Embedded(c.inst)
			require.NoError(t, err)
			checkRoot(t, cfg.TrustedRoot)
			require.Len(t, cfg.TrustedRoot.Tlogs, c.tlogs)
			require.Equal(t, c.rekor, cfg.TrustedRoot.Tlogs[0].BaseURL)
			require.Equal(t, c.ca, cfg.SigningConfig.Proto().GetCaUrls()[0].GetUrl())

			// What is embedded is what is in data/.
			tr, err := trust.ParseTrustedRoot(readFile(t, c.onDiskRoot))
			require.NoError(t, err)
			require.Equal(t, tr.Proto().String(), cfg.TrustedRoot.Proto().String())
			sc, err := trust.ParseSigningConfig(readFile(t, c.onDiskSigns))
			require.NoError(t, err)
			require.Equal(t, sc.Proto().String(), cfg.SigningConfig.Proto().String())

			// The documents as shipped, byte for byte.
			trData, scData, err := trust.EmbeddedDocuments(c.inst)
			require.NoError(t, err)
			require.Equal(t, readFile(t, c.onDiskRoot), trData)
			require.Equal(t, readFile(t, c.onDiskSigns), scData)
		})
	}
	for _, inst := range []trust.Instance{"", "production", "Public-Good", "data", ".", "../data/public-good"} {
		t.Run("unknown "+string(inst), func(t *testing.T) {
			cfg, err := trust.Embedded(inst)
			require.Error(t, err)
			require.Nil(t, cfg)
			tr, sc, err := trust.EmbeddedDocuments(inst)
			require.ErrorContains(t, err, "no embedded trust material")
			require.Nil(t, tr)
			require.Nil(t, sc)
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, bytes.Repeat([]byte(" "), size), 0o600))
		return p
	}

	data, err := trust.ReadFile(publicGoodRoot)
	require.NoError(t, err)
	require.Equal(t, readFile(t, publicGoodRoot), data)

	data, err = trust.ReadFile(write("max", trust.MaxDocumentSize))
	require.NoError(t, err)
	require.Len(t, data, trust.MaxDocumentSize)

	data, err = trust.ReadFile(write("over", trust.MaxDocumentSize+1))
	require.ErrorIs(t, err, trust.ErrMalformed)
	require.ErrorContains(t, err, "larger than")
	require.Nil(t, data)

	_, err = trust.ReadFile(filepath.Join(dir, "missing.json"))
	require.ErrorIs(t, err, fs.ErrNotExist)

	_, err = trust.ReadFile(dir)
	require.Error(t, err)
}
