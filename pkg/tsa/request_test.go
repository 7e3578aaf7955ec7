package tsa_test

import (
	"bytes"
	"crypto"
	"crypto/sha512"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/tsa"
)

func TestNewRequest(t *testing.T) {
	der, nonce, err := tsa.NewRequest(messageSignature, crypto.SHA384)
	require.NoError(t, err)

	// Decode with encoding/asn1's struct rules, independently of the package's own types.
	var req struct {
		Version        int
		MessageImprint struct {
			Algorithm struct {
				OID    asn1.ObjectIdentifier
				Params asn1.RawValue `asn1:"optional"`
			}
			Hashed []byte
		}
		Nonce   *big.Int `asn1:"optional"`
		CertReq bool     `asn1:"optional"`
	}
	rest, err := asn1.Unmarshal(der, &req)
	require.NoError(t, err)
	assert.Empty(t, rest)
	assert.Equal(t, 1, req.Version)
	assert.Equal(t, "2.16.840.1.101.3.4.2.2", req.MessageImprint.Algorithm.OID.String())
	sum := sha512.Sum384(messageSignature)
	assert.Equal(t, sum[:], req.MessageImprint.Hashed)
	assert.Equal(t, 0, nonce.Cmp(req.Nonce))
	assert.True(t, req.CertReq)

	_, nonce2, err := tsa.NewRequest(messageSignature, crypto.SHA384)
	require.NoError(t, err)
	assert.NotEqual(t, 0, nonce.Cmp(nonce2), "nonces are random")
	assert.Greater(t, nonce.BitLen()+nonce2.BitLen(), 2*64, "nonces are longer than 64 bits")

	for _, h := range []crypto.Hash{crypto.SHA1, crypto.MD5, 0} {
		_, _, err := tsa.NewRequest(messageSignature, h)
		assert.Error(t, err, "hash %v", h)
	}
}

// TestRequestRoundTrip sends a request to the fake TSA over HTTP, as the signing client will,
// and checks the answer against the request.
func TestRequestRoundTrip(t *testing.T) {
	issuer := sigstoretest.NewTSA(t)
	srv := httptest.NewServer(issuer)
	defer srv.Close()
	post := func(der []byte) []byte {
		resp, err := http.Post(srv.URL+"/api/v1/timestamp", tsa.RequestContentType, bytes.NewReader(der))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, tsa.ResponseContentType, resp.Header.Get("Content-Type"))
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return body
	}

	der, nonce, err := tsa.NewRequest(messageSignature, crypto.SHA256)
	require.NoError(t, err)
	ts, err := tsa.Parse(post(der))
	require.NoError(t, err)
	require.NoError(t, ts.CheckResponse(messageSignature, crypto.SHA256, nonce))
	assert.Len(t, ts.Certificates, 1, "certReq asks the TSA to embed its certificate")
	_, err = ts.Verify(messageSignature, authorities(t, issuer.Authority()))
	require.NoError(t, err)

	// Tampered twins of the check.
	err = ts.CheckResponse(messageSignature, crypto.SHA256, new(big.Int).Add(nonce, big.NewInt(1)))
	assert.ErrorIs(t, err, tsa.ErrInvalid)
	assert.Contains(t, err.Error(), "does not match the request nonce")
	err = ts.CheckResponse([]byte("another signature"), crypto.SHA256, nonce)
	assert.ErrorIs(t, err, tsa.ErrInvalid)
	assert.Contains(t, err.Error(), "message imprint does not match the signature")
	err = ts.CheckResponse(messageSignature, crypto.SHA384, nonce)
	assert.ErrorIs(t, err, tsa.ErrInvalid)
	assert.Contains(t, err.Error(), "the request used sha384")

	// A response without a nonce does not answer a request with one.
	noNonce, err := tsa.Parse(issuer.Timestamp(messageSignature))
	require.NoError(t, err)
	require.NoError(t, noNonce.CheckResponse(messageSignature, crypto.SHA256, nil))
	err = noNonce.CheckResponse(messageSignature, crypto.SHA256, nonce)
	assert.ErrorIs(t, err, tsa.ErrInvalid)
	assert.Contains(t, err.Error(), "carries no nonce")

	// A request the TSA cannot parse is rejected with a status, which Parse reports.
	_, err = tsa.Parse(post([]byte{0x30, 0x03, 0x02, 0x01, 0x05}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "status rejection(2), failInfo badDataFormat")
}
