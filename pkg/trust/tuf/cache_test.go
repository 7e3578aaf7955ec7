package tuf

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNormalizeURL(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"https://tuf-repo-cdn.sigstore.dev", "https://tuf-repo-cdn.sigstore.dev", ""},
		{"HTTPS://TUF-Repo-CDN.sigstore.dev/", "https://tuf-repo-cdn.sigstore.dev", ""},
		{"https://tuf.example.com:8443/a/b//", "https://tuf.example.com:8443/a/b", ""},
		{"https://tuf.example.com/a%20b", "https://tuf.example.com/a%20b", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"http://localhost:8080/repo/", "http://localhost:8080/repo", ""},
		{"http://[::1]:8080", "http://[::1]:8080", ""},
		// Twins refused.
		{"http://127.0.0.2.example.com", "", "must be https (http only for 127.0.0.1 or localhost)"},
		{"http://tuf.example.com", "", "must be https"},
		{"ftp://tuf.example.com", "", "must be https"},
		{"tuf.example.com", "", "must be https"},
		{"", "", "must be https"},
		{"https://", "", "has no host"},
		{"https://user:pass@tuf.example.com", "", "must not carry credentials"},
		{"https://token@tuf.example.com", "", "must not carry credentials"},
		{"https://tuf.example.com/?x=1", "", "no query or fragment"},
		{"https://tuf.example.com/?", "", "no query or fragment"},
		{"https://tuf.example.com/#x", "", "no query or fragment"},
		{"https://tuf.example.com/a/../b", "", "must not hold . or .. segments"},
		{"https://tuf.example.com/./b", "", "must not hold . or .. segments"},
		{"https://tuf.example.com\\@evil/", "", "does not parse"},
		{"https://[fe80::1%25en0]/", "", "characters no host name has"},
		{"https://" + strings.Repeat("a", 1100), "", "longer than 1024 bytes"},
		{"https://x y", "", "does not parse"},
	}
	for _, c := range cases {
		got, err := normalizeURL(c.in)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.in)
			require.NotContains(t, err.Error(), "pass", "errors never repeat the URL")
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
		again, err := normalizeURL(got)
		require.NoError(t, err)
		require.Equal(t, got, again, "normalized once")
	}
}

func TestDirName(t *testing.T) {
	for u, want := range map[string]string{
		"https://tuf-repo-cdn.sigstore.dev":     "tuf-repo-cdn.sigstore.dev",
		"https://tuf-repo-cdn.sigstage.dev":     "tuf-repo-cdn.sigstage.dev",
		"https://tuf.example.com:8443/a/b":      "tuf.example.com%3A8443%2Fa%2Fb",
		"http://127.0.0.1:8080":                 "http%3A%2F%2F127.0.0.1%3A8080",
		"https://..":                            "%2E.",
		"https://tuf.example.com/a%2Fb":         "tuf.example.com%2Fa%252Fb",
		"https://" + strings.Repeat("a", 200):   strings.Repeat("a", 80) + "-",
		"https://" + strings.Repeat("a", 199):   strings.Repeat("a", 80) + "-",
		"https://tuf.example.com/" + "x_y-z.~q": "tuf.example.com%2Fx_y-z.%7Eq",
	} {
		got := dirName(u)
		if strings.HasSuffix(want, "-") {
			require.True(t, strings.HasPrefix(got, want), got)
			require.Len(t, got, 80+1+32)
			continue
		}
		require.Equal(t, want, got, u)
	}
	// Long names differ when their URLs differ.
	require.NotEqual(t, dirName("https://"+strings.Repeat("a", 200)), dirName("https://"+strings.Repeat("a", 199)))
}

// validState is a well-formed (not verifying) state.json.
func validState() cacheState {
	return cacheState{Version: 1, URL: "https://tuf.example.com", FetchedAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
		Roots: [][]byte{[]byte(`{}`)}, Timestamp: []byte(`{}`), Snapshot: []byte(`{}`), Targets: []byte(`{}`),
		Files: map[string][]byte{TrustedRootTarget: []byte(`{}`), SigningConfigTarget: []byte(`{}`)}}
}

func TestParseState(t *testing.T) {
	cases := []struct {
		name   string
		change func(st *cacheState)
		want   string
	}{
		{"valid", func(*cacheState) {}, ""},
		{"no signing config", func(st *cacheState) { delete(st.Files, SigningConfigTarget) }, ""},
		// Tampered twins.
		{"other version", func(st *cacheState) { st.Version = 2 }, "format version 2, not 1"},
		{"no fetch time", func(st *cacheState) { st.FetchedAt = time.Time{} }, "no fetch time"},
		{"no timestamp", func(st *cacheState) { st.Timestamp = nil }, "metadata missing"},
		{"oversized timestamp", func(st *cacheState) { st.Timestamp = make([]byte, maxTimestampSize+1) }, "over the size limits"},
		{"no trusted root", func(st *cacheState) { delete(st.Files, TrustedRootTarget) }, "no trusted_root.json"},
		{"other file", func(st *cacheState) { st.Files["../x"] = []byte("x") }, `unexpected file "../x"`},
		{"oversized target", func(st *cacheState) { st.Files[SigningConfigTarget] = make([]byte, maxTargetSize+1) }, "over the size limit"},
		{"URL not normalized", func(st *cacheState) { st.URL = "https://tuf.example.com/" }, "not a normalized repository URL"},
		{"URL with credentials", func(st *cacheState) { st.URL = "https://a:b@tuf.example.com" }, "not a normalized repository URL"},
		{"empty root", func(st *cacheState) { st.Roots = append(st.Roots, nil) }, "a root is empty"},
		{"too many roots", func(st *cacheState) { st.Roots = make([][]byte, maxCachedRoots+1) }, "more than 1024 roots"},
	}
	for _, c := range cases {
		st := validState()
		c.change(&st)
		data, err := json.Marshal(st)
		require.NoError(t, err)
		got, err := parseState(data)
		if c.want != "" {
			require.ErrorContains(t, err, c.want, c.name)
			require.Nil(t, got)
			continue
		}
		require.NoError(t, err, c.name)
		require.Equal(t, st, *got)
	}
	data, _ := json.Marshal(validState())
	for name, bad := range map[string]string{
		"unknown field": strings.Replace(string(data), `{`, `{"extra":1,`, 1),
		"trailing data": string(data) + "{}",
		"not base64":    strings.Replace(string(data), `"timestamp":"e30="`, `"timestamp":"!"`, 1),
		"too large":     string(data) + strings.Repeat(" ", maxStateSize),
	} {
		_, err := parseState([]byte(bad))
		require.Error(t, err, name)
	}
}

func TestParseRegistration(t *testing.T) {
	good := `{"version":1,"url":"https://tuf.example.com","root":"e30="}`
	reg, err := parseRegistration([]byte(good))
	require.NoError(t, err)
	require.Equal(t, registration{Version: 1, URL: "https://tuf.example.com", Root: []byte(`{}`)}, *reg)
	for _, bad := range []string{
		`{"version":2,"url":"https://tuf.example.com","root":"e30="}`,
		`{"version":1,"url":"http://tuf.example.com","root":"e30="}`,
		`{"version":1,"url":"https://tuf.example.com/","root":"e30="}`,
		`{"version":1,"url":"https://tuf.example.com","root":""}`,
		`{"version":1,"url":"https://tuf.example.com","root":"e30=","x":1}`,
		good + good,
		good + strings.Repeat(" ", maxRegistration),
	} {
		_, err := parseRegistration([]byte(bad))
		require.Error(t, err, bad)
	}
}

// FuzzCacheFiles: the parsers of the cache's files never panic, and what they accept keeps
// their promises and survives a round trip.
func FuzzCacheFiles(f *testing.F) {
	data, _ := json.Marshal(validState())
	f.Add(data)
	f.Add([]byte(`{"version":1,"url":"https://tuf.example.com","root":"e30="}`))
	f.Add([]byte(`{"version":1,"url":"http://127.0.0.1:1","fetchedAt":"2026-11-02T00:00:00Z","timestamp":"e30=","snapshot":"e30=","targets":"e30=","files":{"trusted_root.json":"e30="}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if st, err := parseState(data); err == nil {
			require.NotEmpty(t, st.Files[TrustedRootTarget])
			require.False(t, st.FetchedAt.IsZero())
			u, err := normalizeURL(st.URL)
			require.NoError(t, err)
			require.Equal(t, st.URL, u)
			again, err := json.Marshal(st)
			require.NoError(t, err)
			st2, err := parseState(again)
			require.NoError(t, err)
			require.Equal(t, st.URL, st2.URL)
			require.True(t, st.FetchedAt.Equal(st2.FetchedAt))
		}
		if reg, err := parseRegistration(data); err == nil {
			require.NotEmpty(t, reg.Root)
			u, err := normalizeURL(reg.URL)
			require.NoError(t, err)
			require.Equal(t, reg.URL, u)
		}
	})
}

// FuzzRepositoryURL: a URL that normalizes names one safe cache directory, and different
// URLs name different directories (the short names decode back to their URL).
func FuzzRepositoryURL(f *testing.F) {
	for _, s := range []string{"https://tuf-repo-cdn.sigstore.dev", "http://127.0.0.1:8080/a/", "https://..", "https://x/%2e%2e",
		"https://x/a%2Fb", "https://[::1]/", "HTTPS://A.B/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := normalizeURL(raw)
		if err != nil {
			return
		}
		again, err := normalizeURL(u)
		require.NoError(t, err)
		require.Equal(t, u, again)
		name := dirName(u)
		require.NotEmpty(t, name)
		require.NotContains(t, []string{".", ".."}, name)
		require.False(t, strings.ContainsAny(name, "/\\:\x00"), name)
		require.False(t, strings.HasPrefix(name, "."), name)
		require.LessOrEqual(t, len(name), 120)
		if len(name) < 80 {
			back, err := url.PathUnescape(name)
			require.NoError(t, err)
			require.Equal(t, strings.TrimPrefix(u, "https://"), back)
		}
	})
}
