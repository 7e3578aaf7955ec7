package rekor

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/internal/httpretry"
)

const v1EntriesPath = "/api/v1/log/entries"

// uploadV1 proposes a hashedrekord 0.0.1 or dsse 0.0.1 entry to Rekor v1:
//
//	{"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {"data": {"hash": {"algorithm": "sha256",
//	 "value": HEX}}, "signature": {"content": B64, "publicKey": {"content": B64(PEM cert or key)}}}}
//
//	{"apiVersion": "0.0.1", "kind": "dsse", "spec": {"proposedContent": {"envelope": "<envelope JSON>",
//	 "verifiers": [B64(PEM cert or key)]}}}
//
// and reads the answer, {"<entry id>": {body, integratedTime, logID, logIndex, verification:
// {inclusionProof: {checkpoint, hashes, logIndex, rootHash, treeSize}, signedEntryTimestamp}}}.
func (c *Client) uploadV1(ctx context.Context, p *ProposedEntry) (*pbrekor.TransparencyLogEntry, error) {
	proposed, kind, err := proposeV1(p)
	if err != nil {
		return nil, fmt.Errorf("rekor: %w", err)
	}
	resp, err := c.send(ctx, http.MethodPost, v1EntriesPath, proposed)
	var se *httpretry.ServiceError
	if errors.As(err, &se) && se.StatusCode == http.StatusConflict {
		// The log holds this entry already: fetch it from where the log says it is.
		id, ok := entryIDFromLocation(se.Header.Get("Location"))
		if !ok {
			return nil, fmt.Errorf("%w (and gives no usable Location for the existing entry)", err)
		}
		resp, err = c.send(ctx, http.MethodGet, v1EntriesPath+"/"+id, nil)
	}
	if err != nil {
		return nil, err
	}
	e, err := readV1Entry(resp)
	if err == nil {
		err = checkEntry(e, kind, "0.0.1", p, true)
	}
	if err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	return e, nil
}

// proposeV1 returns the proposed entry's JSON and its kind.
func proposeV1(p *ProposedEntry) ([]byte, string, error) {
	verifier := p.Certificate
	blockType := "CERTIFICATE"
	if p.PublicKey != nil {
		der, err := x509.MarshalPKIXPublicKey(p.PublicKey)
		if err != nil {
			return nil, "", err
		}
		verifier, blockType = der, "PUBLIC KEY"
	}
	verifierPEM := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: verifier})

	if p.Envelope != nil {
		s := p.Envelope.Signatures[0] // check made sure there is exactly one
		envJSON, err := json.Marshal(dsse.NewEnvelope(p.Envelope.PayloadType, p.Envelope.Payload, s.Sig, s.KeyID))
		if err != nil {
			return nil, "", err
		}
		b, err := json.Marshal(v1ProposedDSSE{APIVersion: "0.0.1", Kind: KindDSSE, Spec: v1DSSESpec{
			ProposedContent: v1DSSEProposedContent{Envelope: string(envJSON), Verifiers: [][]byte{verifierPEM}},
		}})
		return b, KindDSSE, err
	}

	alg := v1HashName(p.Hash)
	if _, ok := v1HashNames[alg]; !ok {
		return nil, "", fmt.Errorf("Rekor v1 hashedrekord entries take SHA-256, SHA-384 or SHA-512 digests, not %v", p.Hash)
	}
	var spec v1HashedRekordSpec
	spec.Data.Hash.Algorithm = alg
	spec.Data.Hash.Value = hex.EncodeToString(p.Digest)
	spec.Signature.Content = p.Signature
	spec.Signature.PublicKey.Content = verifierPEM
	b, err := json.Marshal(v1ProposedHashedRekord{APIVersion: "0.0.1", Kind: KindHashedRekord, Spec: spec})
	return b, KindHashedRekord, err
}

// Rekor v1 proposed entries (rekor's openapi.yaml and pkg/types schemas). []byte fields are
// "format: byte", standard base64 in JSON, as encoding/json writes them.
type v1ProposedHashedRekord struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Spec       v1HashedRekordSpec `json:"spec"`
}

type v1HashedRekordSpec struct {
	Data struct {
		Hash struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"value"`
		} `json:"hash"`
	} `json:"data"`
	Signature struct {
		Content   []byte `json:"content"`
		PublicKey struct {
			Content []byte `json:"content"`
		} `json:"publicKey"`
	} `json:"signature"`
}

type v1ProposedDSSE struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Spec       v1DSSESpec `json:"spec"`
}

type v1DSSESpec struct {
	ProposedContent v1DSSEProposedContent `json:"proposedContent"`
}

type v1DSSEProposedContent struct {
	// Envelope is the DSSE envelope as a JSON string.
	Envelope  string   `json:"envelope"`
	Verifiers [][]byte `json:"verifiers"`
}

// v1LogEntry is a Rekor v1 LogEntryAnon.
type v1LogEntry struct {
	Body           string `json:"body"`
	IntegratedTime int64  `json:"integratedTime"`
	LogID          string `json:"logID"`
	LogIndex       *int64 `json:"logIndex"`
	Verification   *struct {
		InclusionProof *struct {
			Checkpoint string   `json:"checkpoint"`
			Hashes     []string `json:"hashes"`
			LogIndex   int64    `json:"logIndex"`
			RootHash   string   `json:"rootHash"`
			TreeSize   int64    `json:"treeSize"`
		} `json:"inclusionProof"`
		SignedEntryTimestamp []byte `json:"signedEntryTimestamp"`
	} `json:"verification"`
}

// readV1Entry turns a Rekor v1 answer (a map from entry id to entry) into a
// TransparencyLogEntry. The entry id must name the body's leaf hash.
func readV1Entry(resp *http.Response) (*pbrekor.TransparencyLogEntry, error) {
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var answer map[string]v1LogEntry
	if err := decodeJSONAnswer(raw, &answer); err != nil {
		return nil, err
	}
	if len(answer) != 1 {
		return nil, fmt.Errorf("%d entries where one was expected", len(answer))
	}
	var id string
	var a v1LogEntry
	for k, v := range answer {
		id, a = k, v
	}
	body, err := base64.StdEncoding.Strict().DecodeString(a.Body)
	if err != nil || len(body) == 0 {
		return nil, fmt.Errorf("an entry whose body is not base64 (%v)", err)
	}
	if len(body) > MaxBodySize {
		return nil, fmt.Errorf("an entry body larger than %d bytes", MaxBodySize)
	}
	leaf := sha256.Sum256(append([]byte{0}, body...))
	if !strings.HasSuffix(strings.ToLower(id), hex.EncodeToString(leaf[:])) || (len(id) != 64 && len(id) != 80) {
		return nil, fmt.Errorf("entry id %q does not name the entry's body (leaf hash %x)", clipString(id), leaf)
	}
	var head struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("an entry whose body is not JSON: %v", err)
	}
	logID, err := hex.DecodeString(a.LogID)
	if err != nil {
		return nil, fmt.Errorf("an entry whose log id %q is not hex", clipString(a.LogID))
	}
	if a.LogIndex == nil {
		return nil, errors.New("an entry without a log index")
	}
	e := &pbrekor.TransparencyLogEntry{
		LogIndex:          *a.LogIndex,
		LogId:             &pbcommon.LogId{KeyId: logID},
		KindVersion:       &pbrekor.KindVersion{Kind: head.Kind, Version: head.APIVersion},
		IntegratedTime:    a.IntegratedTime,
		CanonicalizedBody: body,
	}
	if v := a.Verification; v != nil {
		if len(v.SignedEntryTimestamp) > 0 {
			e.InclusionPromise = &pbrekor.InclusionPromise{SignedEntryTimestamp: v.SignedEntryTimestamp}
		}
		if p := v.InclusionProof; p != nil {
			if len(p.Hashes) > maxProofHashes {
				return nil, fmt.Errorf("an inclusion proof of %d hashes", len(p.Hashes))
			}
			root, err := hex.DecodeString(p.RootHash)
			if err != nil {
				return nil, fmt.Errorf("an inclusion proof whose root hash %q is not hex", clipString(p.RootHash))
			}
			proof := &pbrekor.InclusionProof{
				LogIndex:   p.LogIndex,
				RootHash:   root,
				TreeSize:   p.TreeSize,
				Checkpoint: &pbrekor.Checkpoint{Envelope: p.Checkpoint},
			}
			for i, h := range p.Hashes {
				b, err := hex.DecodeString(h)
				if err != nil {
					return nil, fmt.Errorf("an inclusion proof whose hash %d is not hex", i)
				}
				proof.Hashes = append(proof.Hashes, b)
			}
			e.InclusionProof = proof
		}
	}
	return e, nil
}

// entryIDFromLocation takes the entry id from a 409's Location (".../api/v1/log/entries/<id>").
// Only the id is used: the entry is fetched from the log's own URL, never from wherever the
// header points.
func entryIDFromLocation(loc string) (string, bool) {
	if loc == "" {
		return "", false
	}
	if i := strings.IndexAny(loc, "?#"); i >= 0 {
		loc = loc[:i]
	}
	id := path.Base(loc)
	if len(id) != 64 && len(id) != 80 {
		return "", false
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", false
	}
	return id, true
}

func clipString(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

// maxPublicKeySize bounds the answer of GET /api/v1/log/publicKey: one PEM public key.
const maxPublicKeySize = 64 << 10

// PublicKey fetches a Rekor v1 log's public key (GET /api/v1/log/publicKey, one PEM "PUBLIC
// KEY" block), for building a trusted root. The key is what the service says; nothing vouches
// for it. Rekor v2 serves no key: its operator publishes it.
func (c *Client) PublicKey(ctx context.Context) (crypto.PublicKey, error) {
	if c.Version != 1 {
		return nil, fmt.Errorf("rekor: only Rekor v1 serves its public key (API version 1, not %d); a Rekor v2 log's key comes from its operator", c.Version)
	}
	resp, err := httpretry.Get(ctx, c.HTTP, c.Retry, ServiceName, c.BaseURL, "/api/v1/log/publicKey", "application/x-pem-file", maxPublicKeySize)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	key, err := parsePEMPublicKey(body)
	if err != nil {
		return nil, httpretry.Invalid(ServiceName, resp, err)
	}
	return key, nil
}

// parsePEMPublicKey parses exactly one PEM "PUBLIC KEY" block (PKIX), with nothing but
// white space around it.
func parsePEMPublicKey(b []byte) (crypto.PublicKey, error) {
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("not a PEM public key: %q", excerpt(b))
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("a PEM %q block, not a PUBLIC KEY", block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("more than one PEM public key")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("a public key that does not parse: %v", err)
	}
	return key, nil
}

func excerpt(b []byte) string {
	return httpretry.Excerpt(b[:min(len(b), 64)])
}
