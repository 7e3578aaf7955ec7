package attest

import (
	"bytes"
	"fmt"

	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
)

// Formats of attestation documents ReadAttestations knows.
const (
	FormatBundle          = "sigstore-bundle"       // one Sigstore bundle
	FormatBundleLines     = "sigstore-bundle-jsonl" // Sigstore bundles, one per line
	FormatPEP740          = "pep740-attestation"    // a PEP 740 attestation object
	FormatPyPIProvenance  = "pypi-provenance"       // a PEP 740 provenance object
	FormatNPMAttestations = "npm-attestations"      // an npm registry attestations response
)

// Attestation is one signed statement found in an attestation document, as a bundle.
type Attestation struct {
	Format string
	// Index is the attestation's position in the document: in an npm response, its index
	// in "attestations"; in a provenance object, counted across its bundles; in JSON Lines,
	// the line.
	Index int
	// Label is what an npm response says the predicate type is (nothing signs it).
	Label string
	// Publisher is the Trusted Publisher a PyPI provenance object names for the attestation.
	Publisher *Publisher
	// Bundle is the attestation as a Sigstore bundle; nil when Err is set.
	Bundle *bundle.Bundle
	// Err is why the attestation cannot be verified: it does not convert to a bundle, or an
	// npm response labels it with a predicate type its statement does not have.
	Err error
}

// PEP740 reports whether PEP 740's checks apply (PyPIPolicy).
func (a *Attestation) PEP740() bool {
	return a.Format == FormatPEP740 || a.Format == FormatPyPIProvenance
}

// PredicateType is the predicate type of the attestation's statement, read without
// verifying anything ("" when it has none): for choosing among attestations, never for
// trusting one.
func (a *Attestation) PredicateType() string {
	if a.Bundle == nil || a.Bundle.Envelope == nil {
		return ""
	}
	st, err := dsse.ParseStatement(a.Bundle.Envelope.Payload)
	if err != nil {
		return ""
	}
	return st.PredicateType
}

// ReadAttestations reads an attestation document in any format signet knows (a Sigstore
// bundle, bundles as JSON Lines, a PEP 740 attestation object or provenance object, an npm
// attestations response) and returns its attestations. A document that is none of them is
// an error; an attestation in it that cannot be read carries its own Err.
func ReadAttestations(data []byte) (string, []Attestation, error) {
	if len(data) > MaxDocumentSize {
		return "", nil, fmt.Errorf("%w: attestation document is larger than %d bytes", bundle.ErrMalformed, MaxDocumentSize)
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case isJSONObjectWith(trimmed, "mediaType"):
		b, err := bundle.Parse(trimmed)
		if err != nil {
			return "", nil, err
		}
		return FormatBundle, []Attestation{{Format: FormatBundle, Bundle: b}}, nil
	case isJSONObjectWith(trimmed, "attestation_bundles"):
		p, err := ParsePyPIProvenance(trimmed)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %v", bundle.ErrMalformed, err)
		}
		var out []Attestation
		for _, ab := range p.Bundles {
			for _, a := range ab.Attestations {
				b, err := a.Bundle()
				out = append(out, Attestation{Format: FormatPyPIProvenance, Index: len(out), Publisher: ab.Publisher, Bundle: b, Err: err})
			}
		}
		return FormatPyPIProvenance, out, nil
	case isJSONObjectWith(trimmed, "verification_material"):
		a, err := ParsePEP740(trimmed)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %v", bundle.ErrMalformed, err)
		}
		b, err := a.Bundle()
		return FormatPEP740, []Attestation{{Format: FormatPEP740, Bundle: b, Err: err}}, nil
	case isJSONObjectWith(trimmed, "attestations"):
		list, err := ParseNPMAttestations(trimmed)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %v", bundle.ErrMalformed, err)
		}
		var out []Attestation
		for i, na := range list {
			a := Attestation{Format: FormatNPMAttestations, Index: i, Label: na.PredicateType}
			a.Bundle, a.Err = bundle.Parse(na.Bundle)
			if a.Err == nil {
				// An unreadable statement fails verification with its own reason.
				if pt := a.PredicateType(); pt != "" && pt != a.Label {
					a.Err = fmt.Errorf("the response labels attestation %d %s, but its statement's predicate type is %q", i, a.Label, pt)
				}
			}
			out = append(out, a)
		}
		return FormatNPMAttestations, out, nil
	}
	lines := bytes.Split(trimmed, []byte("\n"))
	if len(lines) > 1 && len(lines) <= MaxAttestationsPerFile && isJSONObjectWith(lines[0], "mediaType") {
		var out []Attestation
		for i, l := range lines {
			if len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			b, err := bundle.Parse(l)
			if err != nil {
				return "", nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			out = append(out, Attestation{Format: FormatBundleLines, Index: i, Bundle: b})
		}
		return FormatBundleLines, out, nil
	}
	return "", nil, fmt.Errorf("%w: not a Sigstore bundle, bundles in JSON Lines, a PEP 740 attestation or provenance object, or an npm attestations response", bundle.ErrMalformed)
}
