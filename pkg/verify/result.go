package verify

import (
	"encoding/json"
	"time"

	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/fulcio"
)

// ResultMediaType versions the JSON result document. Keys are stable within a version.
const ResultMediaType = "application/vnd.dev.signet.verificationresult.v0.1+json"

// Result is what a verification proved, as one versioned document.
type Result struct {
	MediaType       string `json:"mediaType"`
	Verified        bool   `json:"verified"`
	BundleMediaType string `json:"bundleMediaType,omitempty"`

	// Identity is set for certificate bundles, PublicKey for key bundles.
	Identity  *Identity  `json:"identity,omitempty"`
	PublicKey *PublicKey `json:"publicKey,omitempty"`

	TlogEntries []LogEntry      `json:"tlogEntries,omitempty"`
	Times       []VerifiedTime  `json:"verifiedTimes,omitempty"`
	PayloadType string          `json:"payloadType,omitempty"`
	Statement   json.RawMessage `json:"statement,omitempty"`

	// Artifact names what was verified: a file or a digest (set by the caller, which knows).
	Artifact string `json:"artifact,omitempty"`
	// Attestation says where the bundle came from when it was read from an attestation
	// document (set by the caller).
	Attestation *AttestationSource `json:"attestation,omitempty"`
	// PredicateType is the statement's predicate type, and MatchedSubjects the subjects of
	// the statement that the artifact is.
	PredicateType   string         `json:"predicateType,omitempty"`
	MatchedSubjects []dsse.Subject `json:"matchedSubjects,omitempty"`
	// Publish is what a publish attestation was checked for (Policy.Publish).
	Publish *attest.PublishResult `json:"publish,omitempty"`

	// Skipped lists the checks an Insecure policy field turned off.
	Skipped []string `json:"skipped,omitempty"`

	Error *ErrorInfo `json:"error,omitempty"`
}

// AttestationSource is the document an attestation was read from.
type AttestationSource struct {
	File   string `json:"file"`
	Format string `json:"format"`
	Index  int    `json:"index"`
	// Publisher is the Trusted Publisher a PyPI provenance object names for it.
	Publisher *attest.Publisher `json:"publisher,omitempty"`
}

// Identity is the verified signer of a certificate bundle.
type Identity struct {
	SAN        string            `json:"san"`
	SANType    string            `json:"sanType"`
	Issuer     string            `json:"issuer"`
	Extensions fulcio.Extensions `json:"extensions"`
	// CertificateAuthority is the trusted root's URI of the CA the certificate chains to.
	CertificateAuthority string    `json:"certificateAuthority,omitempty"`
	NotBefore            time.Time `json:"notBefore"`
	NotAfter             time.Time `json:"notAfter"`
}

// PublicKey identifies the key a key bundle was verified with.
type PublicKey struct {
	// SHA256 is the hex SHA-256 of the DER SubjectPublicKeyInfo.
	SHA256 string `json:"sha256"`
	Hint   string `json:"hint,omitempty"`
}

// LogEntry is a transparency log entry whose evidence verified.
type LogEntry struct {
	LogURL         string     `json:"logUrl"`
	LogID          string     `json:"logId"`
	LogIndex       int64      `json:"logIndex"`
	Kind           string     `json:"kind"`
	IntegratedTime *time.Time `json:"integratedTime,omitempty"`
	// VerifiedBy lists "inclusionPromise" and/or "inclusionProof".
	VerifiedBy []string `json:"verifiedBy"`
}

// VerifiedTime is a time at which the signature is proven to have existed.
type VerifiedTime struct {
	// Source is "tlog" (a log's signed integrated time) or "rfc3161" (a TSA timestamp).
	Source    string    `json:"source"`
	Authority string    `json:"authority"`
	Time      time.Time `json:"time"`
}

// ErrorInfo describes a failed verification.
type ErrorInfo struct {
	Step    Step   `json:"step"`
	Message string `json:"message"`
}
