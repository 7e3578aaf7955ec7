package attest

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	pbdsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
)

// Limits on PEP 740 documents.
const (
	MaxDocumentSize        = bundle.MaxSize
	MaxAttestationBundles  = 64
	MaxAttestationsPerFile = 64
)

// PEP740Attestation is a PEP 740 attestation object ("Index hosted attestations"): a DSSE
// signature over an in-toto statement, with the Fulcio certificate and transparency log
// entries that make it verifiable.
type PEP740Attestation struct {
	Certificate         []byte // DER
	TransparencyEntries []*pbrekor.TransparencyLogEntry
	Timestamps          [][]byte // DER RFC 3161 responses
	Statement           []byte
	Signature           []byte
}

type pep740JSON struct {
	Version              *int `json:"version"`
	VerificationMaterial *struct {
		Certificate         *string           `json:"certificate"`
		TransparencyEntries []json.RawMessage `json:"transparency_entries"`
		Timestamps          []string          `json:"timestamps"`
	} `json:"verification_material"`
	Envelope *struct {
		Statement *string `json:"statement"`
		Signature *string `json:"signature"`
	} `json:"envelope"`
}

// ParsePEP740 reads a PEP 740 attestation object. The specification allows keys beyond its
// own (such as "timestamps"); repeated keys are refused.
func ParsePEP740(data []byte) (*PEP740Attestation, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("attestation is larger than %d bytes", MaxDocumentSize)
	}
	if err := dsse.CheckUniqueKeys(data); err != nil {
		return nil, fmt.Errorf("attestation is not valid JSON: %w", err)
	}
	var j pep740JSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("attestation is not a PEP 740 attestation object: %v", err)
	}
	return j.attestation()
}

func (j *pep740JSON) attestation() (*PEP740Attestation, error) {
	switch {
	case j.Version == nil || j.VerificationMaterial == nil || j.Envelope == nil:
		return nil, errors.New("not a PEP 740 attestation object: it needs version, verification_material and envelope")
	case *j.Version != 1:
		return nil, fmt.Errorf("PEP 740 attestation object version %d; signet reads version 1", *j.Version)
	}
	vm, env := j.VerificationMaterial, j.Envelope
	if vm.Certificate == nil || env.Statement == nil || env.Signature == nil {
		return nil, errors.New("PEP 740 attestation object without a certificate, statement or signature")
	}
	a := &PEP740Attestation{}
	var err error
	if a.Certificate, err = decodeBase64("certificate", *vm.Certificate); err != nil {
		return nil, err
	}
	if a.Statement, err = decodeBase64("statement", *env.Statement); err != nil {
		return nil, err
	}
	if a.Signature, err = decodeBase64("signature", *env.Signature); err != nil {
		return nil, err
	}
	if len(vm.TransparencyEntries) == 0 {
		return nil, errors.New("PEP 740 attestation object without transparency log entries")
	}
	if len(vm.TransparencyEntries) > bundle.MaxTlogEntries || len(vm.Timestamps) > bundle.MaxTimestamps {
		return nil, errors.New("PEP 740 attestation object with too many log entries or timestamps")
	}
	for i, raw := range vm.TransparencyEntries {
		e := &pbrekor.TransparencyLogEntry{}
		if err := protojson.Unmarshal(raw, e); err != nil {
			return nil, fmt.Errorf("PEP 740 transparency entry %d: %v", i, err)
		}
		a.TransparencyEntries = append(a.TransparencyEntries, e)
	}
	for i, ts := range vm.Timestamps {
		der, err := decodeBase64(fmt.Sprintf("timestamp %d", i), ts)
		if err != nil {
			return nil, err
		}
		a.Timestamps = append(a.Timestamps, der)
	}
	return a, nil
}

// decodeBase64 reads standard base64, also as MIME writes it (lines joined by "\n"): the
// PEP says only "base64", and PyPI's own fixtures hold both.
func decodeBase64(what, s string) ([]byte, error) {
	s = strings.NewReplacer("\r\n", "", "\n", "").Replace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("PEP 740 %s is not base64", what)
	}
	return b, nil
}

// Bundle converts the attestation into a v0.3 Sigstore bundle the way pypi-attestations'
// Attestation.to_bundle does: the certificate, the first transparency log entry, the
// timestamps, and a DSSE envelope of payload type application/vnd.in-toto+json with the
// statement and the one signature (no key id).
func (a *PEP740Attestation) Bundle() (*bundle.Bundle, error) {
	if _, err := x509.ParseCertificate(a.Certificate); err != nil {
		return nil, fmt.Errorf("%w: PEP 740 certificate: %v", bundle.ErrMalformed, err)
	}
	vm := &pbbundle.VerificationMaterial{
		Content:     &pbbundle.VerificationMaterial_Certificate{Certificate: &pbcommon.X509Certificate{RawBytes: a.Certificate}},
		TlogEntries: a.TransparencyEntries[:1],
	}
	if len(a.Timestamps) > 0 {
		vm.TimestampVerificationData = &pbbundle.TimestampVerificationData{}
		for _, ts := range a.Timestamps {
			vm.TimestampVerificationData.Rfc3161Timestamps = append(vm.TimestampVerificationData.Rfc3161Timestamps,
				&pbcommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
		}
	}
	pb := &pbbundle.Bundle{
		MediaType:            bundle.MediaType03New,
		VerificationMaterial: vm,
		Content: &pbbundle.Bundle_DsseEnvelope{DsseEnvelope: &pbdsse.Envelope{
			Payload: a.Statement, PayloadType: dsse.InTotoPayloadType,
			Signatures: []*pbdsse.Signature{{Sig: a.Signature}},
		}},
	}
	return bundle.New(pb)
}

// PyPIProvenance is PEP 740's provenance object: attestations grouped by the Trusted
// Publisher that PyPI says made them.
type PyPIProvenance struct {
	Bundles []PyPIAttestationBundle
}

// PyPIAttestationBundle is one publisher and its attestations.
type PyPIAttestationBundle struct {
	Publisher    *Publisher
	Attestations []*PEP740Attestation
}

// ParsePyPIProvenance reads a provenance object (version 1) as PyPI serves it.
func ParsePyPIProvenance(data []byte) (*PyPIProvenance, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("provenance is larger than %d bytes", MaxDocumentSize)
	}
	if err := dsse.CheckUniqueKeys(data); err != nil {
		return nil, fmt.Errorf("provenance is not valid JSON: %w", err)
	}
	var j struct {
		Version            *int `json:"version"`
		AttestationBundles []struct {
			Publisher    json.RawMessage `json:"publisher"`
			Attestations []pep740JSON    `json:"attestations"`
		} `json:"attestation_bundles"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("not a PyPI provenance object: %v", err)
	}
	if j.Version == nil || *j.Version != 1 {
		return nil, errors.New("not a PyPI provenance object of version 1")
	}
	if len(j.AttestationBundles) == 0 || len(j.AttestationBundles) > MaxAttestationBundles {
		return nil, fmt.Errorf("PyPI provenance with %d attestation bundles (1 to %d)", len(j.AttestationBundles), MaxAttestationBundles)
	}
	p := &PyPIProvenance{}
	for i, ab := range j.AttestationBundles {
		pub, err := parsePublisher(ab.Publisher)
		if err != nil {
			return nil, fmt.Errorf("attestation bundle %d: %w", i, err)
		}
		if len(ab.Attestations) == 0 || len(ab.Attestations) > MaxAttestationsPerFile {
			return nil, fmt.Errorf("attestation bundle %d holds %d attestations (1 to %d)", i, len(ab.Attestations), MaxAttestationsPerFile)
		}
		b := PyPIAttestationBundle{Publisher: pub}
		for k := range ab.Attestations {
			a, err := ab.Attestations[k].attestation()
			if err != nil {
				return nil, fmt.Errorf("attestation bundle %d, attestation %d: %w", i, k, err)
			}
			b.Attestations = append(b.Attestations, a)
		}
		p.Bundles = append(p.Bundles, b)
	}
	return p, nil
}

// Publisher is a PyPI Trusted Publisher: the CI workflow (GitHub, GitLab) or service account
// (Google) that PyPI lets publish a project.
type Publisher struct {
	Kind             string  `json:"kind"` // GitHub, GitLab or Google
	Repository       string  `json:"repository,omitempty"`
	Workflow         string  `json:"workflow,omitempty"`          // GitHub: the workflow's file name
	WorkflowFilepath string  `json:"workflow_filepath,omitempty"` // GitLab: the CI file's path
	Environment      *string `json:"environment,omitempty"`       // not checked, as PyPI does not
	Email            string  `json:"email,omitempty"`             // Google
}

func parsePublisher(raw json.RawMessage) (*Publisher, error) {
	var p Publisher
	if err := strictJSON(raw, &p); err != nil {
		return nil, fmt.Errorf("malformed publisher: %v", err)
	}
	switch p.Kind {
	case "GitHub":
		if p.Repository == "" || p.Workflow == "" || p.WorkflowFilepath != "" || p.Email != "" {
			return nil, errors.New("a GitHub publisher has a repository and a workflow, and nothing else")
		}
	case "GitLab":
		if p.Repository == "" || p.WorkflowFilepath == "" || p.Workflow != "" || p.Email != "" {
			return nil, errors.New("a GitLab publisher has a repository and a workflow_filepath, and nothing else")
		}
	case "Google":
		if p.Email == "" || p.Repository != "" || p.Workflow != "" || p.WorkflowFilepath != "" || p.Environment != nil {
			return nil, errors.New("a Google publisher has an email, and nothing else")
		}
	default:
		return nil, fmt.Errorf("unknown publisher kind %q (signet knows GitHub, GitLab and Google)", p.Kind)
	}
	return &p, nil
}

// String describes the publisher for messages.
func (p *Publisher) String() string {
	switch p.Kind {
	case "GitHub":
		return fmt.Sprintf("GitHub %s, workflow %s", p.Repository, p.Workflow)
	case "GitLab":
		return fmt.Sprintf("GitLab %s, %s", p.Repository, p.WorkflowFilepath)
	}
	return fmt.Sprintf("%s %s", p.Kind, p.Email)
}

// Claims are the facts of a Fulcio certificate that a Trusted Publisher policy reads.
type Claims struct {
	SAN string
	// Issuer is the OIDC issuer (.8, else .1); IssuerV2 only extension .8.
	Issuer                 string
	IssuerV2               string
	SourceRepositoryURI    string // .12
	SourceRepositoryDigest string // .13
	SourceRepositoryRef    string // .14
	BuildConfigURI         string // .18
}

// Verify checks a certificate against the publisher as pypi-attestations does. GitHub: the
// issuer (.8) is GitHub Actions, the source repository (.12) is the publisher's, and the
// build config URI (.18) is the publisher's workflow at the certificate's source digest
// (.13) or ref (.14). GitLab the same, with gitlab.com and a "//" before the CI file's path
// (it needs both .13 and .14). Google: the SAN is the publisher's email and the issuer
// Google's. The environment is not checked.
func (p *Publisher) Verify(c Claims) error {
	switch p.Kind {
	case "GitHub", "GitLab":
		issuer, host, file := "https://token.actions.githubusercontent.com", "https://github.com/", "/.github/workflows/"+p.Workflow
		if p.Kind == "GitLab" {
			issuer, host, file = "https://gitlab.com", "https://gitlab.com/", "//"+p.WorkflowFilepath
		}
		if c.IssuerV2 != issuer {
			return fmt.Errorf("the certificate's OIDC issuer (extension .8) is %q, not %s as the %s publisher requires", c.IssuerV2, issuer, p.Kind)
		}
		if c.SourceRepositoryURI != host+p.Repository {
			return fmt.Errorf("the certificate's source repository is %q, not the publisher's %s%s", c.SourceRepositoryURI, host, p.Repository)
		}
		var suffixes []string
		if p.Kind == "GitLab" && (c.SourceRepositoryDigest == "" || c.SourceRepositoryRef == "") {
			return errors.New("the certificate lacks the source repository digest or ref a GitLab publisher is checked with")
		}
		for _, s := range []string{c.SourceRepositoryDigest, c.SourceRepositoryRef} {
			if s != "" {
				suffixes = append(suffixes, s)
			}
		}
		if len(suffixes) == 0 {
			return errors.New("the certificate has neither a source repository digest nor a ref")
		}
		for _, s := range suffixes {
			if c.BuildConfigURI == host+p.Repository+file+"@"+s {
				return nil
			}
		}
		return fmt.Errorf("the certificate's build config URI %q is not the publisher's workflow (%s) at the certificate's source digest or ref", c.BuildConfigURI, p)
	case "Google":
		if c.SAN != p.Email || c.Issuer != "https://accounts.google.com" {
			return fmt.Errorf("the certificate is for %q (issuer %q), not the publisher's service account %s of https://accounts.google.com", c.SAN, c.Issuer, p.Email)
		}
		return nil
	}
	return fmt.Errorf("unknown publisher kind %q", p.Kind)
}

// PyPIPolicy is what pypi-attestations' Attestation.verify checks after the signature: the
// statement (in-toto v1) has exactly one subject, whose name is a distribution filename
// naming the same distribution as Distribution (normalised name, PEP 440 version, build
// tag, wheel tags as a set) and whose sha256 digest is the artifact's, and the predicate
// type is PyPI's publish v1 or SLSA provenance v1.
type PyPIPolicy struct {
	// Distribution is the filename of the distribution being verified.
	Distribution string
}

// Check checks a verified statement; sha256Checked says that the artifact's sha256 digest
// was compared with the subject's.
func (p *PyPIPolicy) Check(st *dsse.Statement, sha256Checked bool) error {
	if st.Type != dsse.StatementTypeV1 {
		return fmt.Errorf("PEP 740 statements are in-toto %s, not %s", dsse.StatementTypeV1, st.Type)
	}
	if len(st.Subject) != 1 {
		return fmt.Errorf("the statement has %d subjects; a PEP 740 attestation has exactly one", len(st.Subject))
	}
	sub := st.Subject[0]
	if sub.Name == "" {
		return errors.New("the statement's subject has no name")
	}
	got, err := ParseDistribution(sub.Name)
	if err != nil {
		return fmt.Errorf("the statement's subject: %w", err)
	}
	want, err := ParseDistribution(p.Distribution)
	if err != nil {
		return fmt.Errorf("the artifact's name: %w", err)
	}
	if !got.Equal(want) {
		return fmt.Errorf("the attestation is for distribution %s, not %s", sub.Name, p.Distribution)
	}
	if sub.Digest[SHA256] == "" || !sha256Checked {
		return errors.New("a PEP 740 attestation binds the distribution's sha256 digest, which was not compared (give the file, or its sha256)")
	}
	if st.PredicateType != PyPIPublishPredicateType && st.PredicateType != SLSAProvenanceV1 {
		return fmt.Errorf("unknown PyPI attestation type %s (PyPI knows %s and %s)", st.PredicateType, PyPIPublishPredicateType, SLSAProvenanceV1)
	}
	return nil
}

// isJSONObjectWith reports whether data is a JSON object with key at its top level.
func isJSONObjectWith(data []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(data), &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}
