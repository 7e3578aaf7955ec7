package tsa_test

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/tsa"
)

// The tokens are the rfc3161Timestamps[0].signedTimestamp of bundles of the sigstore-conformance
// suite (bundle-verify/rekor2-*, in the shared test data), checked against the bundle's
// signature and the trusted root of a case:
//
//	staging                     rekor2-happy-path (staging; timestamp.sigstage.dev)
//	tsa-validity-ended          rekor2-timestamp-outside-trust-root-tsa-validity_fail
//	tsa-validity-end-inclusive  trust-root-tsa-validity-end-inclusive
//	local-tsa                   rekor2-timestamp-with-expired-cert-chain (a local TSA whose chain lived 10 minutes)
var conformanceRoots = map[string]string{
	"staging":                    "rekor2-happy-path",
	"tsa-validity-ended":         "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
	"tsa-validity-end-inclusive": "trust-root-tsa-validity-end-inclusive",
	"local-tsa":                  "rekor2-timestamp-with-expired-cert-chain",
}

func conformanceRoot(t testing.TB, name string) *trust.TrustedRoot {
	t.Helper()
	data, err := os.ReadFile(tsa.ConformanceCase(t, conformanceRoots[name], "trusted_root.json"))
	require.NoError(t, err)
	tr, err := trust.ParseTrustedRoot(data)
	require.NoError(t, err)
	return tr
}

func TestConformanceTokens(t *testing.T) {
	tests := []struct {
		token, root string
		wantTime    time.Time
		wantURI     string
		wantErr     error
		wantMsg     string
	}{
		{token: "rekor2-happy-path", root: "staging",
			wantTime: time.Date(2025, 6, 12, 12, 2, 20, 0, time.UTC), wantURI: "https://timestamp.sigstage.dev/api/v1/timestamp"},
		// The trusted root's TSA window ends exactly at genTime: closed interval, passes.
		{token: "rekor2-happy-path", root: "tsa-validity-end-inclusive",
			wantTime: time.Date(2025, 6, 12, 12, 2, 20, 0, time.UTC), wantURI: "https://timestamp.sigstage.dev/api/v1/timestamp"},
		// "the Sigstore TSA ... has an expiry date that precedes the time at which the timestamp was generated"
		{token: "rekor2-happy-path", root: "tsa-validity-ended",
			wantErr: tsa.ErrUntrusted, wantMsg: "timestamp time 2025-06-12T12:02:20Z is outside the validity of timestamp authority https://timestamp.sigstage.dev/api/v1/timestamp [2025-04-09T00:00:00Z, 2025-06-01T00:00:00Z], which signed it"},
		{token: "rekor2-timestamp-with-embedded-cert", root: "staging",
			wantTime: time.Date(2025, 8, 6, 18, 51, 36, 0, time.UTC), wantURI: "https://timestamp.sigstage.dev/api/v1/timestamp"},
		{token: "rekor2-timestamp-without-embedded-cert", root: "staging",
			wantTime: time.Date(2025, 8, 6, 19, 3, 51, 0, time.UTC), wantURI: "https://timestamp.sigstage.dev/api/v1/timestamp"},
		// The chain expired minutes after the timestamp; it was valid at genTime.
		{token: "rekor2-timestamp-with-expired-cert-chain", root: "local-tsa",
			wantTime: time.Date(2025, 8, 7, 15, 32, 26, 0, time.UTC), wantURI: "https://localhost:3000/api/v1/timestamp"},
		// "The timestamp was requested after expiry."
		{token: "rekor2-timestamp-outside-tsa-cert-validity_fail", root: "local-tsa",
			wantErr: tsa.ErrUntrusted, wantMsg: "is not valid at the timestamp time 2025-08-07T15:38:32Z"},
		// "the timestamp payload does not match the bundle signature"
		{token: "rekor2-timestamp-payload-mismatch_fail", root: "staging",
			wantErr: tsa.ErrInvalid, wantMsg: "message imprint does not match the signature"},
		// "The TSA from which the timestamp was requested, FreeTSA, is not in the trusted root."
		{token: "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", root: "staging",
			wantErr: tsa.ErrUntrusted, wantMsg: "does not chain to timestamp authority https://timestamp.sigstage.dev/api/v1/timestamp"},
		{token: "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail", root: "staging",
			wantErr: tsa.ErrUntrusted, wantMsg: "embeds no certificate"},
		// The token of rekor2-timestamp-with-incorrect-time_fail is itself valid: that bundle
		// fails later, because the time is outside the signing certificate's validity.
		{token: "rekor2-timestamp-with-incorrect-time_fail", root: "staging",
			wantTime: time.Date(2025, 7, 15, 10, 33, 31, 0, time.UTC), wantURI: "https://timestamp.sigstage.dev/api/v1/timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.token+"/"+tt.root, func(t *testing.T) {
			der, sig := tsa.ConformanceToken(t, tt.token)
			tr := conformanceRoot(t, tt.root)

			ts, err := tsa.Parse(der)
			require.NoError(t, err, "every conformance token is well-formed")
			got, err := ts.Verify(sig, tr.TimestampAuthorities)
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), tt.wantMsg)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantURI, got.URI)
			assert.True(t, ts.Time.Equal(tt.wantTime), "time %v, want %v", ts.Time, tt.wantTime)
		})
	}
}

// TestConformanceTokensTampered: each passing real token fails when one thing about it is
// changed — the signature it is checked against, the authorities, or a byte of the token.
func TestConformanceTokensTampered(t *testing.T) {
	staging := conformanceRoot(t, "staging")
	local := conformanceRoot(t, "local-tsa")
	der, sig := tsa.ConformanceToken(t, "rekor2-timestamp-with-embedded-cert")

	ts, err := tsa.Parse(der)
	require.NoError(t, err)
	_, err = ts.Verify(sig, staging.TimestampAuthorities)
	require.NoError(t, err)

	// The local TSA does not vouch for sigstage's tokens.
	_, err = ts.Verify(sig, local.TimestampAuthorities)
	assert.ErrorIs(t, err, tsa.ErrUntrusted)

	// The signature: one bit.
	badSig := append([]byte(nil), sig...)
	badSig[10] ^= 0x80
	_, err = ts.Verify(badSig, staging.TimestampAuthorities)
	assert.ErrorIs(t, err, tsa.ErrInvalid)

	// The last byte of the token is the last byte of the CMS signature.
	bad := append([]byte(nil), der...)
	bad[len(bad)-1] ^= 0x01
	ts, err = tsa.Parse(bad)
	require.NoError(t, err)
	_, err = ts.Verify(sig, staging.TimestampAuthorities)
	assert.ErrorIs(t, err, tsa.ErrInvalid)
	assert.Contains(t, err.Error(), "timestamp signature does not verify")
}

func TestConformanceTokensFields(t *testing.T) {
	der, _ := tsa.ConformanceToken(t, "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail")
	ts, err := tsa.Parse(der)
	require.NoError(t, err)
	assert.Len(t, ts.Certificates, 2, "FreeTSA embeds its leaf and root")
	assert.True(t, ts.Ordering, "FreeTSA sets ordering")
	assert.Equal(t, "1.2.3.4.1", ts.Policy.String())
	assert.Zero(t, ts.Accuracy, "FreeTSA states no accuracy")

	der, _ = tsa.ConformanceToken(t, "rekor2-timestamp-without-embedded-cert")
	ts, err = tsa.Parse(der)
	require.NoError(t, err)
	assert.Empty(t, ts.Certificates, "an empty certificates set parses")
	assert.Equal(t, "1.3.6.1.4.1.57264.2", ts.Policy.String())
	assert.Equal(t, "1618b60000c62de", ts.Nonce.Text(16))
	assert.Equal(t, time.Second, ts.Accuracy)
}
