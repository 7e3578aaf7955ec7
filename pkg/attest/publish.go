package attest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/signet-dev/signet/pkg/dsse"
)

// PublishPredicate is the predicate of signet's publish attestation
// (PublishPredicateType): "I published this version of this package, with these files, to
// this registry". Its subjects are the files, each with its sha256 and sha512 digests.
type PublishPredicate struct {
	// Registry is the registry's identity (CanonicalRegistry).
	Registry string         `json:"registry"`
	Package  PublishPackage `json:"package"`
	Version  string         `json:"version"`
	Files    []PublishFile  `json:"files"`
}

// PublishPackage names the package: its purl without version, its ecosystem (the purl
// type) and its name, both normalised for the ecosystem.
type PublishPackage struct {
	PURL      string `json:"purl"`
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

// PublishFile is one published file; a subject of the statement has the same name.
type PublishFile struct {
	Name string `json:"name"`
}

// NPMPublishPredicate is npm's publish v0.1 predicate.
type NPMPublishPredicate struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Registry string `json:"registry"`
}

// registryEcosystems are the ecosystems of the registries signet knows.
var registryEcosystems = map[string]string{RegistryPyPI: "pypi", RegistryTestPyPI: "pypi", RegistryNPM: "npm"}

// Release is what a maintainer publishes: one version of a package, as files, to a registry.
type Release struct {
	Package  PURL           // normalised, with its version (normalised for pypi)
	Registry string         // the registry's identity
	Files    []dsse.Subject // each named, with sha256 and sha512 digests
}

// NewRelease checks what a publish attestation would say: purl names a package and a
// version valid in its ecosystem, registry is a registry URL (of that ecosystem, when signet
// knows the registry), and files are named once each, with sha256 and sha512 digests; a
// Python file must be a distribution of that package and version.
func NewRelease(purl, registry string, files []dsse.Subject) (*Release, error) {
	p, err := ParsePURL(purl)
	if err != nil {
		return nil, err
	}
	if p.Version == "" {
		return nil, fmt.Errorf("the package URL %s names no version: a publish attestation is for one version (%s@VERSION)", purl, p.Package())
	}
	if err := checkVersion(p.Type, p.Version); err != nil {
		return nil, err
	}
	if p.Type == "pypi" {
		v, _ := ParsePEP440(p.Version)
		p.Version = v.String()
	}
	reg, err := CanonicalRegistry(registry)
	if err != nil {
		return nil, err
	}
	if eco, ok := registryEcosystems[reg]; ok && eco != p.Type {
		return nil, fmt.Errorf("%s is a %s registry, and %s is a %s package", reg, eco, p, p.Type)
	}
	if len(files) == 0 {
		return nil, errors.New("a publish attestation needs at least one file")
	}
	if len(files) > dsse.MaxSubjects {
		return nil, fmt.Errorf("more than %d files", dsse.MaxSubjects)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if f.Name == "" || f.Name != path.Base(f.Name) || f.Name == "." || f.Name == ".." || len(f.Name) > MaxFilenameLength {
			return nil, fmt.Errorf("file name %q is not a plain file name", f.Name)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("two files are named %s", f.Name)
		}
		seen[f.Name] = true
		for _, alg := range []string{SHA256, SHA512} {
			if d, err := hex.DecodeString(f.Digest[alg]); err != nil || len(d) != digestHashes[alg].Size() {
				return nil, fmt.Errorf("file %s has no %s digest", f.Name, alg)
			}
		}
		if p.Type == "pypi" {
			d, err := ParseDistribution(f.Name)
			if err != nil {
				return nil, fmt.Errorf("file %s: %w", f.Name, err)
			}
			if d.Name != p.Name || !d.Version.Equal(mustPEP440(p.Version)) {
				return nil, fmt.Errorf("file %s is version %s of %s, not %s", f.Name, d.Version, d.Name, p)
			}
		}
	}
	return &Release{Package: p, Registry: reg, Files: files}, nil
}

func mustPEP440(s string) PEP440 {
	v, _ := ParsePEP440(s)
	return v
}

// Statement is the publish attestation of the release, an in-toto Statement v1, with its
// predicate type. predicateType "" chooses: npm's publish v0.1 shape for one npm tarball (it
// binds the registry, and npm's tools read it), signet's own otherwise.
func (r *Release) Statement(predicateType string) (string, []byte, error) {
	npmShape := r.Package.Type == "npm" && len(r.Files) == 1
	switch predicateType {
	case "":
		if npmShape {
			predicateType = NPMPublishPredicateType
		} else {
			predicateType = PublishPredicateType
		}
	case PublishPredicateType:
	case NPMPublishPredicateType:
		if !npmShape {
			return "", nil, errors.New("npm's publish predicate is for exactly one npm package tarball")
		}
	default:
		return "", nil, fmt.Errorf("a publish attestation has predicate type %s or %s, not %s", PublishPredicateType, NPMPublishPredicateType, predicateType)
	}
	var subjects []dsse.Subject
	var pred any
	if predicateType == NPMPublishPredicateType {
		subjects = []dsse.Subject{{Name: r.Package.String(), Digest: map[string]string{SHA512: r.Files[0].Digest[SHA512]}}}
		pred = NPMPublishPredicate{Name: r.Package.FullName(), Version: r.Package.Version, Registry: r.Registry}
	} else {
		p := PublishPredicate{Registry: r.Registry, Version: r.Package.Version,
			Package: PublishPackage{PURL: r.Package.Package(), Ecosystem: r.Package.Type, Name: r.Package.FullName()}}
		for _, f := range r.Files {
			p.Files = append(p.Files, PublishFile{Name: f.Name})
			subjects = append(subjects, dsse.Subject{Name: f.Name, Digest: map[string]string{SHA256: f.Digest[SHA256], SHA512: f.Digest[SHA512]}})
		}
		pred = p
	}
	raw, err := marshal(pred)
	if err != nil {
		return "", nil, err
	}
	payload, err := NewStatement(predicateType, raw, subjects)
	return predicateType, payload, err
}

// ErrUnboundRegistry is a publish attestation that names no registry (PyPI's publish v1),
// checked under a policy that requires one.
var ErrUnboundRegistry = errors.New("the attestation binds no registry")

// PublishPolicy is what a consumer installs: a package version from a registry. The zero
// value checks nothing; build one with NewPublishPolicy.
type PublishPolicy struct {
	Package  PURL   // normalised, with its version
	Registry string // identity
	// InsecureAllowUnboundRegistry accepts an attestation that names no registry (PyPI
	// publish v1), which could have been made for another index; the result says that the
	// registry was not checked.
	InsecureAllowUnboundRegistry bool
}

// NewPublishPolicy parses what the user expects: purl with a version, and the registry.
func NewPublishPolicy(purl, registry string) (*PublishPolicy, error) {
	p, err := ParsePURL(purl)
	if err != nil {
		return nil, err
	}
	if p.Version == "" {
		return nil, fmt.Errorf("the package URL %s names no version; give the version you install (%s@VERSION)", purl, p.Package())
	}
	reg, err := CanonicalRegistry(registry)
	if err != nil {
		return nil, err
	}
	if eco, ok := registryEcosystems[reg]; ok && eco != p.Type {
		return nil, fmt.Errorf("%s is a %s registry, and %s is a %s package", reg, eco, p, p.Type)
	}
	return &PublishPolicy{Package: p, Registry: reg}, nil
}

// PublishResult is what a publish attestation was checked for.
type PublishResult struct {
	PredicateType string `json:"predicateType"`
	// Registry is the registry identity checked; empty when RegistryChecked is false.
	Registry        string `json:"registry,omitempty"`
	RegistryChecked bool   `json:"registryChecked"`
	// Package is the purl without version, Ecosystem its type, Name the normalised name.
	Package   string `json:"package"`
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	// File is the name of the subject the artifact is.
	File string `json:"file"`
}

// Check checks a verified statement against the policy: it must be a publish attestation
// (signet's, npm's or PyPI's), for the policy's registry (unless it binds none and
// InsecureAllowUnboundRegistry is set), package and version; matched is the subject the
// artifact was found to be (its digests already compared), and it must be one of the files
// the attestation names. Every mismatch is its own error.
func (p *PublishPolicy) Check(st *dsse.Statement, matched *dsse.Subject) (*PublishResult, error) {
	if matched == nil {
		return nil, errors.New("no subject of the statement is the artifact")
	}
	res := &PublishResult{PredicateType: st.PredicateType, File: matched.Name}
	var got PURL
	var reg string
	bound := true
	switch st.PredicateType {
	case PublishPredicateType:
		pred, err := parseSignetPublish(st)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(pred.Files, func(f PublishFile) bool { return f.Name == matched.Name }) {
			return nil, fmt.Errorf("the artifact is subject %q, which the attestation's files do not list", matched.Name)
		}
		if matched.Digest[SHA256] == "" || matched.Digest[SHA512] == "" {
			return nil, fmt.Errorf("subject %q lacks the sha256 and sha512 digests signet's publish predicate requires", matched.Name)
		}
		got, reg = pred.purl, pred.Registry
	case NPMPublishPredicateType:
		pred, predReg, sub, err := parseNPMPublish(st)
		if err != nil {
			return nil, err
		}
		if matched.Name != sub.Name {
			return nil, fmt.Errorf("the artifact is subject %q, not the package %s the attestation is about", matched.Name, sub.Name)
		}
		got, reg = pred, predReg
	case PyPIPublishPredicateType:
		if pr := bytes.TrimSpace(st.Predicate); len(pr) > 0 && !bytes.Equal(pr, []byte("null")) && !bytes.Equal(pr, []byte("{}")) {
			return nil, errors.New("PyPI publish attestation with a non-empty predicate")
		}
		d, err := ParseDistribution(matched.Name)
		if err != nil {
			return nil, fmt.Errorf("the artifact's subject name: %w", err)
		}
		got = PURL{Type: "pypi", Name: d.Name, Version: d.Version.String()}
		bound = false
	default:
		return nil, fmt.Errorf("the statement is no publish attestation: its predicate type is %s, not %s, %s or %s",
			st.PredicateType, PublishPredicateType, NPMPublishPredicateType, PyPIPublishPredicateType)
	}
	res.Package, res.Ecosystem, res.Name, res.Version = got.Package(), got.Type, got.FullName(), got.Version
	if bound {
		if reg != p.Registry {
			return nil, fmt.Errorf("the attestation is for registry %s, not %s", reg, p.Registry)
		}
		res.Registry, res.RegistryChecked = reg, true
	} else if !p.InsecureAllowUnboundRegistry {
		return nil, fmt.Errorf("%w: a %s attestation names no index, so one made for another registry (TestPyPI) would pass for %s", ErrUnboundRegistry, st.PredicateType, p.Registry)
	}
	if !got.SamePackage(p.Package) {
		return nil, fmt.Errorf("the attestation is for package %s, not %s", got.Package(), p.Package.Package())
	}
	if !SameVersion(got.Type, got.Version, p.Package.Version) {
		return nil, fmt.Errorf("the attestation is for version %s of %s, not version %s", got.Version, got.Package(), p.Package.Version)
	}
	return res, nil
}

type signetPublish struct {
	PublishPredicate
	purl PURL
}

// strictJSON decodes data into v, refusing unknown fields and trailing data.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// parseSignetPublish reads and checks signet's publish predicate for internal consistency:
// a canonical registry, a purl without version that agrees with ecosystem and name, a
// valid version, and files that are exactly the statement's subjects.
func parseSignetPublish(st *dsse.Statement) (*signetPublish, error) {
	var pred PublishPredicate
	if err := strictJSON(st.Predicate, &pred); err != nil {
		return nil, fmt.Errorf("malformed publish predicate: %v", err)
	}
	reg, err := CanonicalRegistry(pred.Registry)
	if err != nil {
		return nil, fmt.Errorf("publish predicate: %w", err)
	}
	if reg != pred.Registry {
		return nil, fmt.Errorf("publish predicate: registry %q is not in canonical form (%s)", pred.Registry, reg)
	}
	p, err := ParsePURL(pred.Package.PURL)
	if err != nil {
		return nil, fmt.Errorf("publish predicate: %w", err)
	}
	if p.Version != "" || p.Package() != pred.Package.PURL {
		return nil, fmt.Errorf("publish predicate: package purl %q is not a normalised purl without version", pred.Package.PURL)
	}
	if p.Type != pred.Package.Ecosystem || p.FullName() != pred.Package.Name {
		return nil, fmt.Errorf("publish predicate: package %s disagrees with ecosystem %q and name %q", pred.Package.PURL, pred.Package.Ecosystem, pred.Package.Name)
	}
	if pred.Version == "" {
		return nil, errors.New("publish predicate: no version")
	}
	if err := checkVersion(p.Type, pred.Version); err != nil {
		return nil, fmt.Errorf("publish predicate: %w", err)
	}
	p.Version = pred.Version
	var files []string
	for _, f := range pred.Files {
		files = append(files, f.Name)
	}
	slices.Sort(files)
	if len(files) == 0 || !slices.Equal(files, sortedNames(st.Subject)) || len(slices.Compact(slices.Clone(files))) != len(files) {
		return nil, errors.New("publish predicate: its files are not exactly the statement's subjects, each once")
	}
	return &signetPublish{PublishPredicate: pred, purl: p}, nil
}

// parseNPMPublish reads npm's publish predicate and its one subject, the purl of the
// package version, which must agree with the predicate.
func parseNPMPublish(st *dsse.Statement) (PURL, string, *dsse.Subject, error) {
	var pred NPMPublishPredicate
	if err := strictJSON(st.Predicate, &pred); err != nil {
		return PURL{}, "", nil, fmt.Errorf("malformed npm publish predicate: %v", err)
	}
	reg, err := CanonicalRegistry(pred.Registry)
	if err != nil {
		return PURL{}, "", nil, fmt.Errorf("npm publish predicate: %w", err)
	}
	if len(st.Subject) != 1 {
		return PURL{}, "", nil, fmt.Errorf("npm publish attestation with %d subjects; it has one, the package", len(st.Subject))
	}
	sub := &st.Subject[0]
	p, err := ParsePURL("pkg:npm/" + pred.Name + "@" + pred.Version)
	if err != nil || p.Version != pred.Version || p.FullName() != strings.ToLower(pred.Name) {
		return PURL{}, "", nil, fmt.Errorf("npm publish predicate: name %q and version %q are no npm package version", pred.Name, pred.Version)
	}
	sp, err := ParsePURL(sub.Name)
	if err != nil {
		return PURL{}, "", nil, fmt.Errorf("npm publish attestation subject: %w", err)
	}
	if !sp.SamePackage(p) || sp.Version != p.Version {
		return PURL{}, "", nil, fmt.Errorf("npm publish attestation: subject %s is not the package %s", sub.Name, p)
	}
	if sub.Digest[SHA512] == "" {
		return PURL{}, "", nil, errors.New("npm publish attestation: the subject has no sha512 digest")
	}
	return p, reg, sub, nil
}
