package fulcio_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"testing"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdentityFromCertificate(t *testing.T) {
	ca := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	issue := func(o sigstoretest.LeafOptions) *x509.Certificate { return ca.IssueLeaf(newSignerKey(t), o) }
	const iss = "https://token.actions.githubusercontent.com"
	workflow := "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0"

	tests := []struct {
		name    string
		leaf    *x509.Certificate
		want    *fulcio.Identity
		wantMsg string // error substring when want is nil
	}{
		{name: "email with both issuer extensions",
			leaf: issue(sigstoretest.LeafOptions{Email: "alice@example.com", Issuer: "https://accounts.example.com"}),
			want: &fulcio.Identity{SAN: "alice@example.com", SANType: "email", Issuer: "https://accounts.example.com",
				Extensions: fulcio.Extensions{Issuer: "https://accounts.example.com"}}},
		{name: "issuer only in the deprecated raw extension .1",
			leaf: issue(sigstoretest.LeafOptions{Email: "alice@example.com", Issuer: "https://legacy.example.com", OmitIssuerV2: true}),
			want: &fulcio.Identity{SAN: "alice@example.com", SANType: "email", Issuer: "https://legacy.example.com",
				Extensions: fulcio.Extensions{Issuer: "https://legacy.example.com"}}},
		{name: "issuer only in .8",
			leaf: issue(sigstoretest.LeafOptions{Email: "alice@example.com", Issuer: "https://v2.example.com", OmitIssuerV1: true}),
			want: &fulcio.Identity{SAN: "alice@example.com", SANType: "email", Issuer: "https://v2.example.com",
				Extensions: fulcio.Extensions{Issuer: "https://v2.example.com"}}},
		{name: "issuer extensions that disagree", // the tampered twin of "email with both issuer extensions"
			leaf: issue(sigstoretest.LeafOptions{Email: "alice@example.com", Issuer: "https://v1.example.com", OmitIssuerV2: true,
				ExtraExtensions: []pkix.Extension{{Id: sigstoretest.FulcioOID(8), Value: mustMarshalParams(t, "https://v2.example.com", "utf8")}}}),
			wantMsg: `OIDC issuer extensions disagree: "https://v1.example.com" in 1.3.6.1.4.1.57264.1.1, "https://v2.example.com" in 1.3.6.1.4.1.57264.1.8`},
		{name: "no issuer at all",
			leaf: issue(sigstoretest.LeafOptions{Email: "alice@example.com", OmitIssuerV1: true, OmitIssuerV2: true}),
			want: &fulcio.Identity{SAN: "alice@example.com", SANType: "email"}},
		{name: "URI with CI extensions",
			leaf: issue(sigstoretest.LeafOptions{URI: workflow, Issuer: iss, Extensions: map[int]string{
				2: "push", 3: "abc123", 4: "Release", 5: "o/r", 6: "refs/tags/v1.0.0",
				9: workflow, 10: "abc123", 11: "github-hosted", 12: "https://github.com/o/r", 13: "abc123",
				14: "refs/tags/v1.0.0", 15: "42", 16: "https://github.com/o", 17: "7", 18: workflow, 19: "abc123",
				20: "push", 21: "https://github.com/o/r/actions/runs/1/attempts/1", 22: "public", 23: "production",
				24: "an extension newer than this code",
			}}),
			want: &fulcio.Identity{SAN: workflow, SANType: "uri", Issuer: iss, Extensions: fulcio.Extensions{
				Issuer: iss, GithubWorkflowTrigger: "push", GithubWorkflowSHA: "abc123", GithubWorkflowName: "Release",
				GithubWorkflowRepository: "o/r", GithubWorkflowRef: "refs/tags/v1.0.0",
				BuildSignerURI: workflow, BuildSignerDigest: "abc123", RunnerEnvironment: "github-hosted",
				SourceRepositoryURI: "https://github.com/o/r", SourceRepositoryDigest: "abc123",
				SourceRepositoryRef: "refs/tags/v1.0.0", SourceRepositoryIdentifier: "42",
				SourceRepositoryOwnerURI: "https://github.com/o", SourceRepositoryOwnerIdentifier: "7",
				BuildConfigURI: workflow, BuildConfigDigest: "abc123", BuildTrigger: "push",
				RunInvocationURI:                    "https://github.com/o/r/actions/runs/1/attempts/1",
				SourceRepositoryVisibilityAtSigning: "public", DeploymentEnvironment: "production",
			}}},
		{name: "URI kept byte for byte",
			leaf: issue(sigstoretest.LeafOptions{URI: "spiffe://example.org/ns/default/sa/a%2Fb", Issuer: iss}),
			want: &fulcio.Identity{SAN: "spiffe://example.org/ns/default/sa/a%2Fb", SANType: "uri", Issuer: iss,
				Extensions: fulcio.Extensions{Issuer: iss}}},
		{name: "Fulcio username (otherName)",
			leaf: issue(sigstoretest.LeafOptions{Username: "octocat!example.com", Issuer: "https://idp.example.com"}),
			want: &fulcio.Identity{SAN: "octocat!example.com", SANType: "othername", Issuer: "https://idp.example.com",
				Extensions: fulcio.Extensions{Issuer: "https://idp.example.com"}}},

		{name: "no SAN", leaf: issue(sigstoretest.LeafOptions{OmitSAN: true}), wantMsg: "no email, URI or Fulcio username"},
		{name: "only a foreign otherName", leaf: issue(sigstoretest.LeafOptions{OmitSAN: true, ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Critical: true, Value: otherNameSAN(t, asn1.ObjectIdentifier{1, 2, 3}, "x")},
		}}), wantMsg: "no email, URI or Fulcio username"},
		{name: "two SANs are ambiguous", leaf: issue(sigstoretest.LeafOptions{Email: "a@example.com", URI: "https://example.com/a"}),
			wantMsg: "2 subject alternative names (email, uri)"},
		{name: "email and username are ambiguous", leaf: issue(sigstoretest.LeafOptions{Email: "a@example.com", Username: "a"}),
			wantMsg: "2 subject alternative names (email, othername)"},
		{name: ".8 not DER", leaf: issue(sigstoretest.LeafOptions{OmitIssuerV2: true, ExtraExtensions: []pkix.Extension{
			{Id: sigstoretest.FulcioOID(8), Value: []byte("https://raw.example.com")},
		}}), wantMsg: "malformed Fulcio extension 1.3.6.1.4.1.57264.1.8 (issuer)"},
		{name: ".9 a PrintableString, not a UTF8String", leaf: issue(sigstoretest.LeafOptions{ExtraExtensions: []pkix.Extension{
			{Id: sigstoretest.FulcioOID(9), Value: mustMarshalParams(t, "abc", "printable")},
		}}), wantMsg: "not a DER UTF8String"},
		{name: ".12 with trailing bytes", leaf: issue(sigstoretest.LeafOptions{ExtraExtensions: []pkix.Extension{
			{Id: sigstoretest.FulcioOID(12), Value: append(mustMarshalParams(t, "https://x", "utf8"), 0)},
		}}), wantMsg: "trailing data"},
		{name: ".3 raw but not UTF-8", leaf: issue(sigstoretest.LeafOptions{ExtraExtensions: []pkix.Extension{
			{Id: sigstoretest.FulcioOID(3), Value: []byte{0xff, 0xfe}},
		}}), wantMsg: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := fulcio.IdentityFromCertificate(tt.leaf)
			if tt.want == nil {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantMsg)
				assert.Nil(t, id)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, id)
		})
	}
}

func TestIdentityNil(t *testing.T) {
	_, err := fulcio.IdentityFromCertificate(nil)
	require.Error(t, err)
}

func TestExtensionsJSONNames(t *testing.T) {
	b, err := json.Marshal(fulcio.Extensions{
		Issuer: "i", GithubWorkflowSHA: "s", BuildSignerURI: "u", SourceRepositoryOwnerURI: "o",
		SourceRepositoryVisibilityAtSigning: "public",
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"issuer":"i","githubWorkflowSHA":"s","buildSignerURI":"u","sourceRepositoryOwnerURI":"o",
		"sourceRepositoryVisibilityAtSigning":"public"}`, string(b))
}

func TestExtensionByName(t *testing.T) {
	oid := func(arc int) asn1.ObjectIdentifier { return sigstoretest.FulcioOID(arc) }
	tests := []struct {
		name string
		want asn1.ObjectIdentifier // nil: unknown
	}{
		{"issuer", oid(8)},
		{"issuerV1", oid(1)},
		{"issuer-v2", oid(8)},
		{"githubWorkflowTrigger", oid(2)},
		{"github-workflow-trigger", oid(2)},
		{"github-workflow-sha", oid(3)},
		{"githubWorkflowSHA", oid(3)},
		{"github-workflow-name", oid(4)},
		{"github-workflow-repository", oid(5)},
		{"github-workflow-ref", oid(6)},
		{"buildSignerURI", oid(9)},
		{"build-signer-uri", oid(9)},
		{"build_signer_uri", oid(9)},
		{"buildSignerDigest", oid(10)},
		{"runner-environment", oid(11)},
		{"sourceRepositoryURI", oid(12)},
		{"source-repository-digest", oid(13)},
		{"source-repository-ref", oid(14)},
		{"source-repository-identifier", oid(15)},
		{"source-repository-owner-uri", oid(16)},
		{"sourceRepositoryOwnerIdentifier", oid(17)},
		{"build-config-uri", oid(18)},
		{"build-config-digest", oid(19)},
		{"build-trigger", oid(20)},
		{"run-invocation-uri", oid(21)},
		{"source-repository-visibility-at-signing", oid(22)},
		{"deployment-environment", oid(23)},
		{"1.3.6.1.4.1.57264.1.9", oid(9)},
		{"1.3.6.1.4.1.57264.1.1", oid(1)},
		{"1.3.6.1.4.1.57264.1.30", oid(30)},

		{"", nil},
		{"build-signer", nil},
		{"subject", nil},
		{"1.3.6.1.4.1.57264.1.7", nil}, // the username SAN type, not an extension
		{"1.3.6.1.4.1.57264.1.0", nil},
		{"1.3.6.1.4.1.57264.1.09", nil},
		{"1.3.6.1.4.1.57264.1", nil},
		{"1.3.6.1.4.1.57264.1.9.1", nil},
		{"1.3.6.1.4.1.57264.2.1", nil},
		{"2.5.29.17", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fulcio.ExtensionByName(tt.name)
			if tt.want == nil {
				assert.False(t, ok)
				assert.Nil(t, got)
				return
			}
			require.True(t, ok)
			assert.True(t, tt.want.Equal(got), "got %v, want %v", got, tt.want)
		})
	}
}

func TestExtensionValue(t *testing.T) {
	ca := sigstoretest.NewCA(t, sigstoretest.WithCAClock(clock))
	leaf := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{Issuer: "https://iss.example", Extensions: map[int]string{
		2: "push", 9: "https://build.example/signer", 24: "future",
	}})
	bad := ca.IssueLeaf(newSignerKey(t), sigstoretest.LeafOptions{ExtraExtensions: []pkix.Extension{
		{Id: sigstoretest.FulcioOID(10), Value: []byte("raw, not DER")},
	}})
	tests := []struct {
		name    string
		cert    *x509.Certificate
		oid     asn1.ObjectIdentifier
		want    string
		wantOK  bool
		wantErr string
	}{
		{"raw .1", leaf, sigstoretest.FulcioOID(1), "https://iss.example", true, ""},
		{"DER .8", leaf, sigstoretest.FulcioOID(8), "https://iss.example", true, ""},
		{"raw .2", leaf, sigstoretest.FulcioOID(2), "push", true, ""},
		{"DER .9", leaf, sigstoretest.FulcioOID(9), "https://build.example/signer", true, ""},
		{"unknown but DER .24", leaf, sigstoretest.FulcioOID(24), "future", true, ""},
		{"absent .12", leaf, sigstoretest.FulcioOID(12), "", false, ""},
		{"malformed .10", bad, sigstoretest.FulcioOID(10), "", false, "malformed Fulcio extension"},
		{"not a Fulcio OID", leaf, asn1.ObjectIdentifier{2, 5, 29, 17}, "", false, "not a Fulcio certificate extension"},
		{"the username OID", leaf, sigstoretest.FulcioOID(7), "", false, "not a Fulcio certificate extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok, err := fulcio.ExtensionValue(tt.cert, tt.oid)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.False(t, ok)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, v)
		})
	}
}

func mustMarshalParams(t testing.TB, v any, params string) []byte {
	t.Helper()
	b, err := asn1.MarshalWithParams(v, params)
	require.NoError(t, err)
	return b
}
