package tsa_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"sync"
	"testing"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbtrust "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/tsa"
)

// genTime is the time the fake TSAs stamp unless a case says otherwise. It lies in the past,
// so every passing case also shows that verification uses the timestamp's time, not "now".
var genTime = time.Date(2025, 6, 12, 12, 2, 20, 0, time.UTC)

var messageSignature = []byte("the bundle's signature bytes")

// authorities parses trusted-root entries the way the verifier will get them.
func authorities(t testing.TB, cas ...*pbtrust.CertificateAuthority) []*trust.Authority {
	t.Helper()
	tr, err := trust.NewTrustedRoot(&pbtrust.TrustedRoot{MediaType: trust.TrustedRootMediaType01, TimestampAuthorities: cas})
	require.NoError(t, err)
	return tr.TimestampAuthorities
}

func rsaKey(t *testing.T) crypto.Signer {
	rsaOnce.Do(func() {
		var err error
		rsaTestKey, err = rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
	})
	return rsaTestKey
}

var (
	rsaOnce    sync.Once
	rsaTestKey *rsa.PrivateKey
)

func TestVerify(t *testing.T) {
	clock := sigstoretest.WithTSAClock(genTime)
	certWindow := sigstoretest.WithTSAValidity(genTime.Add(-time.Hour), genTime.Add(5*time.Minute))
	rootWindowFrom := sigstoretest.WithTSAValidFor(genTime.Add(-48*time.Hour), time.Time{})
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)

	tests := []struct {
		name string
		opts []sigstoretest.TSAOption
		resp sigstoretest.TSAResponse
		// trust, when set, builds the trusted authorities from the issuing TSA; default: trust it alone.
		trust     func(t *testing.T, issuer *sigstoretest.TSA) []*trust.Authority
		signature []byte // default messageSignature
		wantErr   error  // tsa.ErrUntrusted or tsa.ErrInvalid
		wantMsg   string
	}{
		// The message imprint must be the hash of the signature.
		{name: "valid", opts: []sigstoretest.TSAOption{clock}},
		{name: "imprint over another signature", opts: []sigstoretest.TSAOption{clock}, signature: []byte("another signature"),
			wantErr: tsa.ErrInvalid, wantMsg: "message imprint does not match the signature"},
		{name: "imprint sha384", opts: []sigstoretest.TSAOption{clock}, resp: sigstoretest.TSAResponse{Hash: crypto.SHA384}},

		// The time must lie in the authority's trusted-root window, a closed interval.
		{name: "time exactly at window end",
			opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAValidFor(genTime.Add(-time.Hour), genTime)}},
		{name: "time one second after window end",
			opts:    []sigstoretest.TSAOption{clock, sigstoretest.WithTSAValidFor(genTime.Add(-time.Hour), genTime.Add(-time.Second))},
			wantErr: tsa.ErrUntrusted, wantMsg: "timestamp time 2025-06-12T12:02:20Z is outside the validity of timestamp authority https://tsa.sigstoretest.invalid/api/v1/timestamp [2025-06-12T11:02:20Z, 2025-06-12T12:02:19Z], which signed it"},
		// Validity comes from the authority that signed: another one covering the time, or an
		// entry without certificates, lends nothing.
		{name: "another authority covers the time",
			opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAValidFor(genTime.Add(-time.Hour), genTime.Add(-time.Second))},
			trust: func(t *testing.T, f *sigstoretest.TSA) []*trust.Authority {
				other := sigstoretest.NewTSA(t, clock)
				return authorities(t, f.Authority(), other.Authority(), &pbtrust.CertificateAuthority{Uri: "https://chainless.invalid",
					ValidFor: &pbcommon.TimeRange{Start: timestamppb.New(genTime.Add(-time.Hour))}})
			},
			wantErr: tsa.ErrUntrusted, wantMsg: "which signed it"},
		{name: "time exactly at window start", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAValidFor(genTime, time.Time{})}},
		{name: "time one second before window start",
			opts:    []sigstoretest.TSAOption{clock, sigstoretest.WithTSAValidFor(genTime.Add(time.Second), time.Time{})},
			wantErr: tsa.ErrUntrusted, wantMsg: "[2025-06-12T12:02:21Z, open], which signed it"},
		{name: "outside the window of an authority that did not sign", opts: []sigstoretest.TSAOption{clock},
			trust: func(t *testing.T, f *sigstoretest.TSA) []*trust.Authority {
				other := sigstoretest.NewTSA(t, clock, sigstoretest.WithTSAValidFor(genTime.Add(time.Second), time.Time{}))
				return authorities(t, other.Authority())
			},
			wantErr: tsa.ErrUntrusted, wantMsg: "outside the validity of every trusted timestamp authority"},
		{name: "no trusted authority", opts: []sigstoretest.TSAOption{clock},
			trust:   func(*testing.T, *sigstoretest.TSA) []*trust.Authority { return nil },
			wantErr: tsa.ErrUntrusted, wantMsg: "no timestamp authority is trusted"},

		// The signing certificate must be valid at the timestamp's time (which may be long ago).
		{name: "time at certificate expiry", opts: []sigstoretest.TSAOption{certWindow, rootWindowFrom},
			resp: sigstoretest.TSAResponse{Time: genTime.Add(5 * time.Minute)}},
		{name: "time after certificate expiry", opts: []sigstoretest.TSAOption{certWindow, rootWindowFrom},
			resp:    sigstoretest.TSAResponse{Time: genTime.Add(5*time.Minute + time.Second)},
			wantErr: tsa.ErrUntrusted, wantMsg: "is not valid at the timestamp time 2025-06-12T12:07:21Z"},
		{name: "time at certificate start", opts: []sigstoretest.TSAOption{certWindow, rootWindowFrom},
			resp: sigstoretest.TSAResponse{Time: genTime.Add(-time.Hour)}},
		{name: "time before certificate start", opts: []sigstoretest.TSAOption{certWindow, rootWindowFrom},
			resp:    sigstoretest.TSAResponse{Time: genTime.Add(-time.Hour - time.Second)},
			wantErr: tsa.ErrUntrusted, wantMsg: "is not valid at the timestamp time"},
		{name: "expired chain without embedded certificate, time inside", opts: []sigstoretest.TSAOption{certWindow, rootWindowFrom},
			resp: sigstoretest.TSAResponse{Time: genTime, OmitCertificates: true}},
		{name: "expired chain without embedded certificate, time after", opts: []sigstoretest.TSAOption{certWindow, rootWindowFrom},
			resp:    sigstoretest.TSAResponse{Time: genTime.Add(time.Hour), OmitCertificates: true},
			wantErr: tsa.ErrUntrusted, wantMsg: "is not valid at the timestamp time"},

		// The signer must be a trusted authority, whether or not the token embeds its certificate.
		{name: "untrusted TSA with embedded certificate", opts: []sigstoretest.TSAOption{clock},
			trust:   trustAnother,
			wantErr: tsa.ErrUntrusted, wantMsg: "does not chain to timestamp authority"},
		{name: "untrusted TSA with whole chain embedded", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAIntermediate()},
			resp:    sigstoretest.TSAResponse{EmbedChain: true},
			trust:   trustAnother,
			wantErr: tsa.ErrUntrusted, wantMsg: "does not chain to timestamp authority"},
		{name: "trusted TSA without embedded certificate", opts: []sigstoretest.TSAOption{clock},
			resp: sigstoretest.TSAResponse{OmitCertificates: true}},
		{name: "untrusted TSA without embedded certificate", opts: []sigstoretest.TSAOption{clock},
			resp:    sigstoretest.TSAResponse{OmitCertificates: true},
			trust:   trustAnother,
			wantErr: tsa.ErrUntrusted, wantMsg: "embeds no certificate"},
		{name: "issuer among several trusted TSAs", opts: []sigstoretest.TSAOption{clock},
			trust: func(t *testing.T, issuer *sigstoretest.TSA) []*trust.Authority {
				return authorities(t, sigstoretest.NewTSA(t, clock).Authority(), issuer.Authority())
			}},
		{name: "issuer among several trusted TSAs, without embedded certificate", opts: []sigstoretest.TSAOption{clock},
			resp: sigstoretest.TSAResponse{OmitCertificates: true},
			trust: func(t *testing.T, issuer *sigstoretest.TSA) []*trust.Authority {
				return authorities(t, sigstoretest.NewTSA(t, clock).Authority(), issuer.Authority())
			}},

		// Chains: intermediates come from the trusted root or from the token.
		{name: "intermediate from the trusted root", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAIntermediate()}},
		{name: "intermediate embedded", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAIntermediate()},
			resp: sigstoretest.TSAResponse{EmbedChain: true},
			trust: func(t *testing.T, issuer *sigstoretest.TSA) []*trust.Authority {
				// Trust only the root: the intermediate must come from the token.
				a := issuer.Authority()
				a.CertChain.Certificates = a.CertChain.Certificates[2:]
				return authorities(t, a)
			}},
		{name: "intermediate neither trusted nor embedded", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAIntermediate()},
			trust: func(t *testing.T, issuer *sigstoretest.TSA) []*trust.Authority {
				a := issuer.Authority()
				a.CertChain.Certificates = a.CertChain.Certificates[2:]
				return authorities(t, a)
			},
			wantErr: tsa.ErrUntrusted, wantMsg: "does not chain to timestamp authority"},

		// The CMS signature must verify with the signing certificate.
		{name: "bad signature", opts: []sigstoretest.TSAOption{clock}, resp: sigstoretest.TSAResponse{WrongKey: true},
			wantErr: tsa.ErrInvalid, wantMsg: "timestamp signature does not verify"},
		{name: "bad signature without embedded certificate", opts: []sigstoretest.TSAOption{clock},
			resp:    sigstoretest.TSAResponse{WrongKey: true, OmitCertificates: true},
			wantErr: tsa.ErrInvalid, wantMsg: "timestamp signature does not verify"},
		{name: "bad signature reported before unknown authorities", opts: []sigstoretest.TSAOption{clock},
			resp: sigstoretest.TSAResponse{WrongKey: true},
			trust: func(t *testing.T, issuer *sigstoretest.TSA) []*trust.Authority {
				return authorities(t, sigstoretest.NewTSA(t, clock).Authority(), issuer.Authority(), sigstoretest.NewTSA(t, clock).Authority())
			},
			wantErr: tsa.ErrInvalid, wantMsg: "timestamp signature does not verify"},
		{name: "ECDSA P-256", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAKey(p256)}},
		{name: "ECDSA P-256 bad signature", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAKey(p256)},
			resp: sigstoretest.TSAResponse{WrongKey: true}, wantErr: tsa.ErrInvalid, wantMsg: "timestamp signature does not verify"},
		{name: "RSA PKCS #1 v1.5", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAKey(rsaKey(t))}},
		{name: "RSA PKCS #1 v1.5 bad signature", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAKey(rsaKey(t))},
			resp: sigstoretest.TSAResponse{WrongKey: true}, wantErr: tsa.ErrInvalid, wantMsg: "timestamp signature does not verify"},
		{name: "RSA PSS", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAKey(rsaKey(t)), sigstoretest.WithTSARSAPSS()}},
		{name: "RSA PSS bad signature", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAKey(rsaKey(t)), sigstoretest.WithTSARSAPSS()},
			resp: sigstoretest.TSAResponse{WrongKey: true}, wantErr: tsa.ErrInvalid, wantMsg: "timestamp signature does not verify"},
		{name: "Ed25519", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAKey(edKey)}},
		{name: "Ed25519 bad signature", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAKey(edKey)},
			resp: sigstoretest.TSAResponse{WrongKey: true}, wantErr: tsa.ErrInvalid, wantMsg: "timestamp signature does not verify"},

		// Signed attributes: present, content-type id-ct-TSTInfo, message-digest of the TSTInfo.
		{name: "wrong message-digest attribute", opts: []sigstoretest.TSAOption{clock},
			resp:    sigstoretest.TSAResponse{WrongMessageDigest: true},
			wantErr: tsa.ErrInvalid, wantMsg: "message-digest attribute"},
		{name: "wrong content-type attribute", opts: []sigstoretest.TSAOption{clock},
			resp:    sigstoretest.TSAResponse{WrongContentType: true},
			wantErr: tsa.ErrInvalid, wantMsg: "content-type attribute is 1.2.840.113549.1.7.1, want id-ct-TSTInfo"},
		{name: "no signed attributes", opts: []sigstoretest.TSAOption{clock},
			resp:    sigstoretest.TSAResponse{OmitSignedAttrs: true},
			wantErr: tsa.ErrInvalid, wantMsg: "no signed attributes"},

		// Signer identification: issuer and serial or subject key identifier; ESS attributes.
		{name: "signer by subject key identifier", opts: []sigstoretest.TSAOption{clock},
			resp: sigstoretest.TSAResponse{SignerKeyID: true}},
		{name: "signer by subject key identifier, not embedded", opts: []sigstoretest.TSAOption{clock},
			resp: sigstoretest.TSAResponse{SignerKeyID: true, OmitCertificates: true}},
		{name: "signer by subject key identifier, untrusted", opts: []sigstoretest.TSAOption{clock},
			resp: sigstoretest.TSAResponse{SignerKeyID: true, OmitCertificates: true}, trust: trustAnother,
			wantErr: tsa.ErrUntrusted, wantMsg: "embeds no certificate"},
		{name: "ESS signingCertificate v1", opts: []sigstoretest.TSAOption{clock},
			resp: sigstoretest.TSAResponse{ESSv1: true}},
		{name: "ESS signingCertificate v1 names another certificate", opts: []sigstoretest.TSAOption{clock},
			resp:    sigstoretest.TSAResponse{ESSv1: true, WrongESS: true},
			wantErr: tsa.ErrInvalid, wantMsg: "signing certificate attribute names the certificate with sha1 hash"},
		{name: "ESS signingCertificateV2 names another certificate", opts: []sigstoretest.TSAOption{clock},
			resp:    sigstoretest.TSAResponse{WrongESS: true},
			wantErr: tsa.ErrInvalid, wantMsg: "signing certificate attribute names the certificate with sha256 hash"},
		{name: "no ESS attribute", opts: []sigstoretest.TSAOption{clock}, resp: sigstoretest.TSAResponse{OmitESS: true}},

		// The leaf must carry exactly the timeStamping extended key usage, critical.
		{name: "missing extended key usage", opts: []sigstoretest.TSAOption{clock, sigstoretest.WithTSAExtKeyUsage(true)},
			wantErr: tsa.ErrUntrusted, wantMsg: "lacks the timeStamping extended key usage"},
		{name: "non-critical extended key usage",
			opts:    []sigstoretest.TSAOption{clock, sigstoretest.WithTSAExtKeyUsage(false, x509.ExtKeyUsageTimeStamping)},
			wantErr: tsa.ErrUntrusted, wantMsg: "non-critical extended key usage"},
		{name: "code signing extended key usage",
			opts:    []sigstoretest.TSAOption{clock, sigstoretest.WithTSAExtKeyUsage(true, x509.ExtKeyUsageCodeSigning)},
			wantErr: tsa.ErrUntrusted, wantMsg: "does not allow timestamping"},
		{name: "extra extended key usage",
			opts:    []sigstoretest.TSAOption{clock, sigstoretest.WithTSAExtKeyUsage(true, x509.ExtKeyUsageTimeStamping, x509.ExtKeyUsageCodeSigning)},
			wantErr: tsa.ErrUntrusted, wantMsg: "other than exactly timeStamping"},

		// Status: grantedWithMods is a granted response.
		{name: "granted with modifications", opts: []sigstoretest.TSAOption{clock}, resp: sigstoretest.TSAResponse{Status: 1}},
		{name: "fractional genTime", opts: []sigstoretest.TSAOption{clock},
			resp: sigstoretest.TSAResponse{Time: genTime.Add(120 * time.Millisecond)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := sigstoretest.NewTSA(t, tt.opts...)
			sig := messageSignature
			der := issuer.TimestampWith(sig, tt.resp)
			if tt.signature != nil {
				sig = tt.signature
			}
			var tsas []*trust.Authority
			if tt.trust != nil {
				tsas = tt.trust(t, issuer)
			} else {
				tsas = authorities(t, issuer.Authority())
			}

			ts, err := tsa.Parse(der)
			require.NoError(t, err)
			got, err := ts.Verify(sig, tsas)
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				other := tsa.ErrInvalid
				if tt.wantErr == tsa.ErrInvalid {
					other = tsa.ErrUntrusted
				}
				assert.NotErrorIs(t, err, other, "an error is either about trust or about validity")
				assert.Contains(t, err.Error(), tt.wantMsg)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, got)
			assert.Equal(t, issuer.Leaf().Raw, leafOf(t, got, ts).Raw, "the returned authority is the issuer")
		})
	}
}

// leafOf returns the certificate of authority a that signed ts (its first certificate, or the
// embedded one when a lists only a root).
func leafOf(t *testing.T, a *trust.Authority, ts *tsa.Timestamp) *x509.Certificate {
	t.Helper()
	if len(a.Chain) > 1 || len(ts.Certificates) == 0 {
		return a.Chain[0]
	}
	return ts.Certificates[0]
}

func trustAnother(t *testing.T, issuer *sigstoretest.TSA) []*trust.Authority {
	return authorities(t, sigstoretest.NewTSA(t, sigstoretest.WithTSAClock(genTime)).Authority())
}

// TestParse checks the fields Parse fills, against what the fake TSA wrote.
func TestParse(t *testing.T) {
	issuer := sigstoretest.NewTSA(t, sigstoretest.WithTSAClock(genTime), sigstoretest.WithTSAIntermediate())
	nonce := new(big.Int).Lsh(big.NewInt(0xdeadbeef), 70)
	at := genTime.Add(1500 * time.Microsecond)
	der := issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{
		Time: at, Nonce: nonce, Accuracy: 2*time.Second + 3*time.Millisecond + 4*time.Microsecond, EmbedChain: true,
	})
	ts, err := tsa.Parse(der)
	require.NoError(t, err)
	sum := sha256.Sum256(messageSignature)
	assert.True(t, ts.Time.Equal(at), "time %v, want %v", ts.Time, at)
	assert.Equal(t, time.UTC, ts.Time.Location())
	assert.Equal(t, crypto.SHA256, ts.Hash)
	assert.Equal(t, sum[:], ts.HashedMessage)
	assert.Equal(t, 0, nonce.Cmp(ts.Nonce), "nonce %v", ts.Nonce)
	assert.True(t, ts.Policy.Equal(sigstoretest.TSAPolicy), "policy %v", ts.Policy)
	assert.Equal(t, int64(1), ts.SerialNumber.Int64())
	assert.Equal(t, 2*time.Second+3*time.Millisecond+4*time.Microsecond, ts.Accuracy)
	require.Len(t, ts.Certificates, 3)
	assert.Equal(t, issuer.Leaf().Raw, ts.Certificates[0].Raw)

	// Without nonce and certificates.
	ts, err = tsa.Parse(issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{OmitCertificates: true}))
	require.NoError(t, err)
	assert.Nil(t, ts.Nonce)
	assert.Empty(t, ts.Certificates)
	assert.True(t, ts.Time.Equal(genTime))
	assert.Equal(t, int64(2), ts.SerialNumber.Int64())
}

// TestParseMalformed: status rejections, structural damage and trailing data fail in Parse,
// each beside a valid twin.
func TestParseMalformed(t *testing.T) {
	issuer := sigstoretest.NewTSA(t, sigstoretest.WithTSAClock(genTime))
	good := issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{})
	token := tokenOf(t, good)

	tests := []struct {
		name    string
		der     []byte
		wantErr string // empty: must parse
	}{
		{name: "response", der: good},
		{name: "bare token", der: token},
		{name: "granted with modifications", der: issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{Status: 1})},
		{name: "rejection", der: issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{Status: 2, FailInfo: []int{0}, StatusString: "bad algorithm"}),
			wantErr: `timestamp request was not granted: status rejection(2), failInfo badAlg, status string "bad algorithm"`},
		{name: "waiting", der: issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{Status: 3}),
			wantErr: "status waiting(3)"},
		{name: "rejection with several failures", der: issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{Status: 2, FailInfo: []int{2, 25}}),
			wantErr: "failInfo badRequest,systemFailure"},
		{name: "unknown status", der: issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{Status: 7}),
			wantErr: "status unknown(7)"},
		{name: "wrong encapsulated content type", der: issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{WrongEContentType: true}),
			wantErr: "encapsulated content type is 1.2.840.113549.1.7.1, want id-ct-TSTInfo"},
		{name: "empty", der: nil, wantErr: "empty input"},
		{name: "garbage", der: []byte("this is not DER at all"), wantErr: "parsing timestamp"},
		{name: "truncated by one byte", der: good[:len(good)-1], wantErr: "parsing timestamp"},
		{name: "truncated in half", der: good[:len(good)/2], wantErr: "parsing timestamp"},
		{name: "trailing data", der: append(append([]byte(nil), good...), 0), wantErr: "trailing data"},
		{name: "trailing data after token", der: append(append([]byte(nil), token...), 0x05, 0x00), wantErr: "trailing data"},
		{name: "too large", der: make([]byte, tsa.MaxResponseSize+1), wantErr: "larger than"},
		{name: "granted without token", der: []byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00}, wantErr: "timestamp token is missing"},
		{name: "not signed data", der: []byte{0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01},
			wantErr: "content type is 1.2.840.113549.1.7.1, want id-signedData"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := tsa.Parse(tt.der)
			if tt.wantErr == "" {
				require.NoError(t, err)
				_, err = ts.Verify(messageSignature, authorities(t, issuer.Authority()))
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Nil(t, ts)
		})
	}
}

// TestParseEveryTruncation: no prefix of a valid response parses.
func TestParseEveryTruncation(t *testing.T) {
	issuer := sigstoretest.NewTSA(t, sigstoretest.WithTSAClock(genTime), sigstoretest.WithTSAIntermediate())
	good := issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{EmbedChain: true, Nonce: big.NewInt(42)})
	_, err := tsa.Parse(good)
	require.NoError(t, err)
	for n := range len(good) {
		_, err := tsa.Parse(good[:n])
		require.Error(t, err, "prefix of %d bytes", n)
	}
}

// TestVerifyFlippedBytes: flipping any single bit of a token either breaks parsing or
// verification, or leaves every field of the verified timestamp as it was (the status and
// some SignedData bookkeeping are not signed).
func TestVerifyFlippedBytes(t *testing.T) {
	issuer := sigstoretest.NewTSA(t, sigstoretest.WithTSAClock(genTime))
	good := issuer.TimestampWith(messageSignature, sigstoretest.TSAResponse{OmitCertificates: true, Nonce: big.NewInt(7)})
	tsas := authorities(t, issuer.Authority())
	want, err := tsa.Parse(good)
	require.NoError(t, err)
	_, err = want.Verify(messageSignature, tsas)
	require.NoError(t, err)
	// Everything from the encapsulated content type on is signed or identifies the signer;
	// before it come the status, the SignedData version and its digestAlgorithms list.
	signedFrom := bytes.Index(good, []byte{0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04})
	require.Positive(t, signedFrom)
	for i := range good {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x01
		ts, err := tsa.Parse(bad)
		if err != nil {
			continue
		}
		if _, err := ts.Verify(messageSignature, tsas); err != nil {
			continue
		}
		assert.Less(t, i, signedFrom, "byte %d is covered by the signature but may change", i)
		assert.True(t, ts.Time.Equal(want.Time), "byte %d: time", i)
		assert.Equal(t, want.HashedMessage, ts.HashedMessage, "byte %d: imprint", i)
		assert.Equal(t, want.Nonce, ts.Nonce, "byte %d: nonce", i)
		assert.Equal(t, want.SerialNumber, ts.SerialNumber, "byte %d: serial", i)
		assert.Equal(t, want.Policy, ts.Policy, "byte %d: policy", i)
		assert.Equal(t, want.Accuracy, ts.Accuracy, "byte %d: accuracy", i)
	}
}

func TestVerifyNotParsed(t *testing.T) {
	var ts tsa.Timestamp
	_, err := ts.Verify(messageSignature, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not made by tsa.Parse")
}

// tokenOf extracts the TimeStampToken from a TimeStampResp: the second element of the
// outer SEQUENCE.
func tokenOf(t *testing.T, resp []byte) []byte {
	t.Helper()
	// Walk by hand: 30 len { 30 len status } { token }.
	hdr := func(b []byte) (int, int) { // header length, content length
		if b[1] < 0x80 {
			return 2, int(b[1])
		}
		n := int(b[1] & 0x7f)
		l := 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		return 2 + n, l
	}
	h, _ := hdr(resp)
	inner := resp[h:]
	sh, sl := hdr(inner)
	tok := inner[sh+sl:]
	th, tl := hdr(tok)
	require.Equal(t, th+tl, len(tok))
	return tok
}
