package rekor

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
	"github.com/signet-dev/signet/pkg/trust"
)

const v2EntriesPath = "/api/v2/log/entries"

// uploadV2 proposes a hashedrekord 0.0.2 entry to Rekor v2 (rekor-tiles CreateEntry,
// dev.sigstore.rekor.v2.CreateEntryRequest in proto3 JSON):
//
//	{"hashedRekordRequestV002": {"digest": B64, "signature": {"content": B64, "verifier": {
//	 "x509Certificate": {"rawBytes": B64 DER} | "publicKey": {"rawBytes": B64 DER},
//	 "keyDetails": "PKIX_ECDSA_P256_SHA_256"}}}}
//
// For a DSSE envelope the digest is the hash of the envelope's PAE and the signature the
// envelope's; dsse 0.0.2 entries are deprecated and never proposed. The answer is a
// TransparencyLogEntry in proto3 JSON.
func (c *Client) uploadV2(ctx context.Context, p *ProposedEntry) (*pbrekor.TransparencyLogEntry, error) {
	proposed, err := proposeV2(p)
	if err != nil {
		return nil, fmt.Errorf("rekor: %w", err)
	}
	resp, err := c.send(ctx, http.MethodPost, v2EntriesPath, proposed)
	var se *httpretry.ServiceError
	if errors.As(err, &se) && se.StatusCode == http.StatusConflict {
		// rekor-tiles names the existing entry's index (x-log-index) but has no API to fetch an
		// entry with its inclusion proof.
		return nil, fmt.Errorf("%w (Rekor v2 does not hand out an existing entry; sign again to log a new one)", err)
	}
	if err != nil {
		return nil, err
	}
	e, err := readV2Entry(resp)
	if err == nil {
		err = checkEntry(e, KindHashedRekord, "0.0.2", p, false)
	}
	if err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	return e, nil
}

func proposeV2(p *ProposedEntry) ([]byte, error) {
	pub, err := p.publicKey()
	if err != nil {
		return nil, err
	}
	details := p.KeyDetails
	if details == 0 {
		hint := p.Hash
		if p.Envelope != nil {
			hint = 0
		}
		if details, err = defaultKeyDetails(pub, hint); err != nil {
			return nil, err
		}
	}
	h, err := keyDetailsHash(details.String(), pub)
	var mm *MismatchError
	if errors.As(err, &mm) {
		return nil, fmt.Errorf("key details %s do not suit the signer's %s", details, trust.DescribeKey(pub))
	}
	if err != nil {
		return nil, fmt.Errorf("key details %s: %w", details, err)
	}

	var req v2HashedRekordRequest
	if p.Envelope != nil {
		hh := h.New()
		hh.Write(dsse.PAE(p.Envelope.PayloadType, p.Envelope.Payload))
		req.Digest = hh.Sum(nil)
		req.Signature.Content = p.Envelope.Signatures[0].Sig
	} else {
		if p.Hash != h {
			return nil, fmt.Errorf("Rekor v2 records a %s signature over a %v digest, not over a %v digest", details, h, p.Hash)
		}
		req.Digest = p.Digest
		req.Signature.Content = p.Signature
	}
	req.Signature.Verifier.KeyDetails = details.String()
	if p.Certificate != nil {
		req.Signature.Verifier.X509Certificate = &v2RawBytes{RawBytes: p.Certificate}
	} else {
		der, err := x509.MarshalPKIXPublicKey(p.PublicKey)
		if err != nil {
			return nil, err
		}
		req.Signature.Verifier.PublicKey = &v2RawBytes{RawBytes: der}
	}
	return json.Marshal(v2CreateEntryRequest{HashedRekordRequestV002: &req})
}

// Rekor v2 request shapes (rekor-tiles api/proto/rekor/v2). The server refuses unknown fields.
type v2CreateEntryRequest struct {
	HashedRekordRequestV002 *v2HashedRekordRequest `json:"hashedRekordRequestV002"`
}

type v2HashedRekordRequest struct {
	Digest    []byte `json:"digest"`
	Signature struct {
		Content  []byte `json:"content"`
		Verifier struct {
			PublicKey       *v2RawBytes `json:"publicKey,omitempty"`
			X509Certificate *v2RawBytes `json:"x509Certificate,omitempty"`
			KeyDetails      string      `json:"keyDetails"`
		} `json:"verifier"`
	} `json:"signature"`
}

type v2RawBytes struct {
	RawBytes []byte `json:"rawBytes"`
}

// readV2Entry reads a TransparencyLogEntry in proto3 JSON. Unknown fields are ignored: the log
// may know a newer protobuf-specs than signet.
func readV2Entry(resp *http.Response) (*pbrekor.TransparencyLogEntry, error) {
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var e pbrekor.TransparencyLogEntry
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if len(e.GetCanonicalizedBody()) > MaxBodySize {
		return nil, fmt.Errorf("an entry body larger than %d bytes", MaxBodySize)
	}
	return &e, nil
}
