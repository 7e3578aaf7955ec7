package trust_test

import (
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/signet-dev/signet/pkg/trust"
)

var selectNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func svc(url string, version uint32, operator string, start time.Time, end ...time.Time) *pbtrust.Service {
	r := &pbcommon.TimeRange{Start: timestamppb.New(start)}
	if len(end) > 0 {
		r.End = timestamppb.New(end[0])
	}
	return &pbtrust.Service{Url: url, MajorApiVersion: version, Operator: operator, ValidFor: r}
}

func urls(ss []trust.Service) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.URL)
	}
	return out
}

func TestSelect(t *testing.T) {
	old := selectNow.AddDate(-1, 0, 0)
	recent := selectNow.AddDate(0, -1, 0)
	future := selectNow.AddDate(0, 1, 0)
	ca := []*pbtrust.Service{svc("https://fulcio-old", 1, "a", old), svc("https://fulcio", 1, "a", recent), svc("https://fulcio-v2", 2, "a", recent), svc("https://fulcio-next", 1, "a", future)}
	cases := []struct {
		name    string
		tlogs   []*pbtrust.Service
		tlogCfg *pbtrust.ServiceConfiguration
		tsas    []*pbtrust.Service
		tsaCfg  *pbtrust.ServiceConfiguration
		want    []string // tlogs then TSAs
		wantErr string
	}{
		{name: "ANY picks the newest of the highest version",
			tlogs:   []*pbtrust.Service{svc("https://rekor-v1", 1, "a", old), svc("https://log-b", 2, "a", old), svc("https://log-a", 2, "a", recent)},
			tlogCfg: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_ANY},
			want:    []string{"https://log-a"}},
		{name: "expired and future services are skipped",
			tlogs:   []*pbtrust.Service{svc("https://ended", 2, "a", old, recent), svc("https://future", 2, "b", future), svc("https://rekor", 1, "a", old)},
			tlogCfg: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_ANY},
			want:    []string{"https://rekor"}},
		{name: "ALL takes one per operator",
			tlogs:   []*pbtrust.Service{svc("https://a1", 2, "a", recent), svc("https://a2", 2, "a", old), svc("https://b", 2, "b", old)},
			tlogCfg: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_ALL},
			want:    []string{"https://a1", "https://b"}},
		{name: "EXACT 2 of two operators",
			tlogs:   []*pbtrust.Service{svc("https://a", 1, "a", recent), svc("https://b", 1, "b", old)},
			tlogCfg: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_EXACT, Count: 2},
			want:    []string{"https://a", "https://b"}},
		{name: "EXACT 2 but one operator",
			tlogs:   []*pbtrust.Service{svc("https://a", 1, "a", recent), svc("https://a2", 1, "a", old)},
			tlogCfg: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_EXACT, Count: 2},
			wantErr: "asks for 2 transparency logs from distinct operators, but only 1 is usable"},
		{name: "EXACT 3 of two logs",
			tlogs:   []*pbtrust.Service{svc("https://a", 2, "a", recent), svc("https://b", 2, "b", old)},
			tlogCfg: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_EXACT, Count: 3},
			wantErr: "only 2 are usable"},
		{name: "unsupported version only",
			tlogs:   []*pbtrust.Service{svc("https://v3", 3, "a", recent)},
			tlogCfg: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_ANY},
			wantErr: "no transparency log valid now"},
		{name: "TSAs selected too",
			tlogs:   []*pbtrust.Service{svc("https://log", 2, "a", recent)},
			tlogCfg: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_ANY},
			tsas:    []*pbtrust.Service{svc("https://tsa1", 1, "a", recent), svc("https://tsa2", 1, "b", recent)},
			tsaCfg:  &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_ALL},
			want:    []string{"https://log", "https://tsa1", "https://tsa2"}},
		{name: "no logs listed means none",
			tsas:   []*pbtrust.Service{svc("https://tsa", 1, "a", recent)},
			tsaCfg: &pbtrust.ServiceConfiguration{Selector: pbtrust.ServiceSelector_ANY},
			want:   []string{"https://tsa"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := trust.NewSigningConfig(&pbtrust.SigningConfig{
				MediaType: trust.SigningConfigMediaType02, CaUrls: ca,
				OidcUrls:      []*pbtrust.Service{svc("https://oidc", 1, "a", old)},
				RekorTlogUrls: c.tlogs, RekorTlogConfig: c.tlogCfg, TsaUrls: c.tsas, TsaConfig: c.tsaCfg,
			})
			require.NoError(t, err)
			got, err := sc.Select(selectNow)
			if c.wantErr != "" {
				require.ErrorContains(t, err, c.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "https://fulcio", got.CA.URL, "newest valid CA with a supported version")
			require.Equal(t, "https://oidc", got.OIDC.URL)
			require.Equal(t, c.want, append(urls(got.Tlogs), urls(got.TSAs)...))
		})
	}
}

func TestSelectEmbedded(t *testing.T) {
	for inst, want := range map[trust.Instance][]string{
		trust.PublicGood: {"https://fulcio.sigstore.dev", "https://rekor.sigstore.dev", "https://timestamp.sigstore.dev/api/v1/timestamp"},
		trust.Staging:    {"https://fulcio.sigstage.dev", "https://log2025-alpha3.rekor.sigstage.dev", "https://timestamp.sigstage.dev/api/v1/timestamp"},
	} {
		cfg, err := trust.Embedded(inst)
		require.NoError(t, err)
		got, err := cfg.SigningConfig.Select(selectNow)
		require.NoError(t, err)
		require.Equal(t, want, append([]string{got.CA.URL}, append(urls(got.Tlogs), urls(got.TSAs)...)...), inst)
	}
}

func TestSelectNoCA(t *testing.T) {
	sc, err := trust.NewSigningConfig(&pbtrust.SigningConfig{MediaType: trust.SigningConfigMediaType02,
		CaUrls: []*pbtrust.Service{svc("https://fulcio", 1, "a", selectNow.AddDate(0, 0, 1))}})
	require.NoError(t, err)
	_, err = sc.Select(selectNow)
	require.ErrorContains(t, err, "no certificate authority valid now")
}

// The twin: a config that lists no CA at all selects none, for signers with their own key.
func TestSelectWithoutCA(t *testing.T) {
	sc, err := trust.NewSigningConfig(&pbtrust.SigningConfig{MediaType: trust.SigningConfigMediaType02,
		TsaUrls: []*pbtrust.Service{svc("https://tsa", 1, "a", selectNow.AddDate(0, 0, -1))}})
	require.NoError(t, err)
	got, err := sc.Select(selectNow)
	require.NoError(t, err)
	require.Empty(t, got.CA.URL)
	require.Equal(t, []string{"https://tsa"}, urls(got.TSAs))
}
