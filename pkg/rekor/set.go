package rekor

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/pkg/signature"
	"github.com/signet-dev/signet/pkg/trust"
)

// VerifySET checks a Rekor v1 entry's inclusion promise, the signed entry timestamp: the
// log's signature (with log.Hash) over the canonical JSON
//
//	{"body":"<base64 canonicalizedBody>","integratedTime":N,"logID":"<hex log id>","logIndex":N}
//
// (keys sorted, no spaces). logIndex is the entry's global index, not the index inside
// the inclusion proof's tree. The caller checks that integratedTime lies within the log
// key's validity.
func VerifySET(e *pbrekor.TransparencyLogEntry, log *trust.Log) error {
	set := e.GetInclusionPromise().GetSignedEntryTimestamp()
	if len(set) == 0 {
		return errors.New("log entry has no inclusion promise (signed entry timestamp)")
	}
	if err := checkLogID(e, log); err != nil {
		return err
	}
	if len(e.GetCanonicalizedBody()) == 0 {
		return errors.New("log entry has no body")
	}
	if e.GetLogIndex() < 0 {
		return fmt.Errorf("log entry index %d is negative", e.GetLogIndex())
	}
	if e.GetIntegratedTime() <= 0 {
		return fmt.Errorf("log entry integrated time %d is not a positive Unix time", e.GetIntegratedTime())
	}
	payload := setPayload(e.GetCanonicalizedBody(), e.GetIntegratedTime(), log.ID, e.GetLogIndex())
	if err := signature.Verify(log.PublicKey, log.Hash, payload, set); err != nil {
		return fmt.Errorf("%w: by log %s over integratedTime %d, logIndex %d: %v",
			ErrInvalidSET, log.BaseURL, e.GetIntegratedTime(), e.GetLogIndex(), err)
	}
	return nil
}

// setPayload is the canonical (RFC 8785) JSON the SET signs. Every value is a base64 or
// hex string or an integer, so nothing needs escaping.
func setPayload(body []byte, integratedTime int64, logID []byte, logIndex int64) []byte {
	var b []byte
	b = append(b, `{"body":"`...)
	b = base64.StdEncoding.AppendEncode(b, body)
	b = append(b, `","integratedTime":`...)
	b = strconv.AppendInt(b, integratedTime, 10)
	b = append(b, `,"logID":"`...)
	b = hex.AppendEncode(b, logID)
	b = append(b, `","logIndex":`...)
	b = strconv.AppendInt(b, logIndex, 10)
	b = append(b, '}')
	return b
}
