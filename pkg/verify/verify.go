// Package verify runs the Sigstore verification pipeline over a bundle, offline, in the order
// of the client specification (sigstore/architecture-docs client-spec.md §4): establish
// verified times (RFC 3161 timestamps, transparency log evidence), check the certificate
// chain and SCTs at those times, check the artifact and the signature (for a DSSE bundle: the
// artifact is a subject of its in-toto statement), bind the log entries to the bundle, and
// apply the Policy: the signer's identity or key, then what the statement says (its predicate
// type, PEP 740's rules, a publish attestation's registry, package and version, with
// pkg/attest). It trusts only the TrustedRoot and the Policy it is
// given; everything in the bundle and the artifact is untrusted input. It never uses the
// network.
package verify

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	pbcommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"

	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/bundle"
	"github.com/signet-dev/signet/pkg/dsse"
	"github.com/signet-dev/signet/pkg/fulcio"
	"github.com/signet-dev/signet/pkg/rekor"
	"github.com/signet-dev/signet/pkg/signature"
	"github.com/signet-dev/signet/pkg/trust"
	"github.com/signet-dev/signet/pkg/tsa"
)

// MaxClockSkew is how far in the future of the verifier's clock a signed time (a log's integrated
// time, an RFC 3161 timestamp, an SCT) may lie.
const MaxClockSkew = 5 * time.Minute

// Verify checks b for art against tr under p. It returns the Result on success; on failure
// it returns a Result describing the failure and an *Error naming the step that failed.
func Verify(tr *trust.TrustedRoot, b *bundle.Bundle, art Artifact, p Policy) (*Result, error) {
	return verifyWith(tr, nil, b, art, p)
}

// verifyWith runs the pipeline, with the facts a Verifier remembers (nil: none).
func verifyWith(tr *trust.TrustedRoot, facts *Verifier, b *bundle.Bundle, art Artifact, p Policy) (*Result, error) {
	v := &verification{tr: tr, facts: facts, b: b, art: art, p: &p,
		res: &Result{MediaType: ResultMediaType, BundleMediaType: b.MediaType}}
	err := v.run()
	if err != nil {
		var ve *Error
		if !errors.As(err, &ve) {
			ve = &Error{Step: StepBundle, Err: err}
			err = ve
		}
		ve.Err = noteUnusable(ve, tr)
		v.res.Error = &ErrorInfo{Step: ve.Step, Message: ve.Error()}
		return v.res, err
	}
	v.res.Verified = true
	return v.res, nil
}

// timelessEntry is a counted log entry without a signed integrated time.
type timelessEntry struct {
	log *trust.Log
	v2  bool
}

// noteUnusable adds to a failure of a step that trust material decides (the tlog step
// names an unusable log itself) the entries of the trusted root that vouched for nothing.
func noteUnusable(ve *Error, tr *trust.TrustedRoot) error {
	if tr == nil || len(tr.Unusable) == 0 || (ve.Step != StepTimestamp && ve.Step != StepCertificate && ve.Step != StepSCT) {
		return ve.Err
	}
	var list []string
	for i, u := range tr.Unusable {
		if i == 3 {
			list = append(list, "...")
			break
		}
		list = append(list, u.String())
	}
	entries := "entries"
	if len(tr.Unusable) == 1 {
		entries = "entry"
	}
	return fmt.Errorf("%w (the trusted root also lists %d %s signet cannot use: %s)", ve.Err, len(tr.Unusable), entries, strings.Join(list, "; "))
}

type verification struct {
	tr    *trust.TrustedRoot
	facts *Verifier // what a batch verifier proved before, or nil
	b     *bundle.Bundle
	art   Artifact
	p     *Policy
	res   *Result

	// key verifies the signature: the leaf certificate's key or the policy's key.
	key crypto.PublicKey
	// times are the verified signing times; tlogTimeless is set when a counted log entry
	// carried no verified integrated time (Rekor v2).
	times        []VerifiedTime
	tlogTimeless []timelessEntry
	chain        []*x509.Certificate
	ca           *trust.Authority
	// artifactHash/artifactDigest are the digest the message signature is over.
	artifactHash   crypto.Hash
	artifactDigest []byte
	// registryKeys are the key set's entries for the bundle's key (Policy.RegistryKeys);
	// trustedKeys the given keys the bundle's hint names (Policy.Keys), one key.
	registryKeys []attest.RegistryKey
	trustedKeys  []TrustedKey
	// statement is a DSSE bundle's in-toto statement, matched the subjects the artifact is,
	// and compared the digest algorithms compared.
	statement *dsse.Statement
	matched   []dsse.Subject
	compared  map[string]bool
}

func (v *verification) run() error {
	if v.tr == nil {
		return fail(StepTrust, "no trusted root")
	}
	steps := []func() error{
		v.checkKeyMaterial,
		v.verifyTimestamps,
		v.verifyTlogEvidence,
		v.requireVerifiedTime,
		v.checkKeyWindow,
		v.verifyCertificate,
		v.verifySignatureAndArtifact,
		v.verifyTlogBodies,
		v.checkPolicy,
		v.checkStatement,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// checkKeyMaterial decides which key the signature must verify under, before any
// cryptography: keyless bundles need an identity policy, key bundles need the key, given
// or named in a registry's key set.
func (v *verification) checkKeyMaterial() error {
	switch {
	case v.b.Certificate == nil && len(v.p.Keys) == 0 && v.p.RegistryKeys == nil:
		return fail(StepPolicy, "the bundle is signed with a public key, not a certificate, and no key was given to verify it with")
	case v.b.Certificate == nil && len(v.p.Keys) == 0:
		return v.registryKey()
	case v.b.Certificate == nil:
		return v.trustedKey()
	case len(v.p.Keys) > 0 || v.p.RegistryKeys != nil:
		return fail(StepPolicy, "the bundle carries a certificate; verify it with an identity and issuer, not a key")
	default:
		if len(v.p.Identities) == 0 || (len(v.p.Issuers) == 0) != v.p.WithoutIssuer {
			return fail(StepPolicy, "no identity policy: keyless verification needs the expected certificate identity and OIDC issuer (or, for a certificate that names none, WithoutIssuer instead of issuers)")
		}
		v.key = v.b.Certificate.PublicKey
	}
	return nil
}

// trustedKey picks the given key the bundle was signed with: the only one, or the one its
// key hint names. The hint is not signed, but it only chooses among keys that are all
// trusted; the signature then has to verify with the key chosen.
func (v *verification) trustedKey() error {
	hint := *v.b.PublicKeyHint
	picked := v.p.Keys
	if len(v.p.Keys) > 1 {
		if hint == "" {
			return fail(StepPolicy, "the bundle has no key hint to say which of the %d keys given signed it", len(v.p.Keys))
		}
		picked = nil
		var fps []string
		for _, k := range v.p.Keys {
			names, err := k.Names()
			if err != nil {
				return fail(StepPolicy, "unusable verification key: %v", err)
			}
			if slices.Contains(names, hint) {
				picked = append(picked, k)
				if !slices.Contains(fps, names[0]) {
					fps = append(fps, names[0])
				}
			}
		}
		switch {
		case len(picked) == 0:
			return fail(StepPolicy, "the bundle's key hint %q names none of the %d keys given", hint, len(v.p.Keys))
		case len(fps) > 1:
			return fail(StepPolicy, "the bundle's key hint %q names %d different keys given (sha256 %s)", hint, len(fps), strings.Join(fps, ", "))
		}
	}
	v.trustedKeys = picked
	return v.useKey(picked[0].Public, hint)
}

// useKey makes key the one the signature must verify under, named in the result by its
// fingerprint and the name the bundle gave it.
func (v *verification) useKey(key crypto.PublicKey, name string) error {
	fp, err := signature.Fingerprint(key)
	if err != nil {
		return fail(StepPolicy, "unusable verification key: %v", err)
	}
	v.key, v.res.PublicKey = key, &PublicKey{SHA256: fp, Hint: name}
	return nil
}

// registryKey picks the key of the registry's key set that the bundle names: npm names it
// by the DSSE signature's key id and the bundle's key hint, which must agree when both are
// given.
func (v *verification) registryKey() error {
	id := *v.b.PublicKeyHint
	if env := v.b.Envelope; env != nil && env.KeyID != "" {
		if id != "" && id != env.KeyID {
			return fail(StepPolicy, "the bundle's key hint %q and its signature's key id %q differ", id, env.KeyID)
		}
		id = env.KeyID
	}
	if id == "" {
		return fail(StepPolicy, "the bundle names no key id to look up in the key set")
	}
	keys, err := v.p.RegistryKeys.Lookup(id, attest.UsageAttestations)
	if err != nil {
		return fail(StepPolicy, "%v", err)
	}
	v.registryKeys = keys
	return v.useKey(keys[0].Key, id)
}

// checkKeyWindow: a registry key signs only within its validity window ("a key past its
// expiry does not verify newer signatures"), and so does a given key with a window, judged
// at every verified time.
func (v *verification) checkKeyWindow() error {
	var times []time.Time
	for _, t := range v.times {
		times = append(times, t.Time)
	}
	if v.registryKeys != nil {
		if _, err := attest.ValidKey(v.registryKeys, times); err != nil {
			return fail(StepPolicy, "%v", err)
		}
		return nil
	}
	if len(v.trustedKeys) == 0 {
		return nil
	}
	// The same key may be given more than once, with different windows: one must hold.
	var windows []string
	for _, k := range v.trustedKeys {
		if !k.hasWindow() {
			return nil
		}
		inside := len(times) > 0
		for _, t := range times {
			inside = inside && k.ValidFor.Contains(t)
		}
		if inside {
			return nil
		}
		windows = append(windows, window(k.ValidFor))
	}
	if len(times) == 0 {
		return fail(StepPolicy, "the given key is trusted only %s, and the bundle has no verified time (a signed log entry timestamp or an RFC 3161 timestamp) to show when it signed", strings.Join(windows, " or "))
	}
	return fail(StepPolicy, "the bundle was signed at %s, when the given key was not trusted: it is trusted %s", formatTimes(times), strings.Join(windows, " or "))
}

// window describes a validity window for messages.
func window(r trust.TimeRange) string {
	from, until := "from the beginning", "with no end"
	if !r.Start.IsZero() {
		from = "from " + r.Start.UTC().Format(time.RFC3339)
	}
	if !r.End.IsZero() {
		until = "until " + r.End.UTC().Format(time.RFC3339)
	}
	return from + " " + until
}

// formatTimes lists distinct times, in order.
func formatTimes(times []time.Time) string {
	var s []string
	for _, t := range times {
		if f := t.UTC().Format(time.RFC3339); !slices.Contains(s, f) {
			s = append(s, f)
		}
	}
	return strings.Join(s, ", ")
}

// verifyTimestamps: "the Verifier MUST verify the timestamping response using the
// Timestamping Service root key material ... with the raw bytes of the signature as the
// timestamped data" (client-spec §4.2.1). Every timestamp in the bundle must verify, and
// none may lie in the future. Authorities count towards the threshold by operator.
func (v *verification) verifyTimestamps() error {
	seen := map[any]bool{}
	for i, der := range v.b.Timestamps {
		ts, err := tsa.Parse(der)
		if err != nil {
			return fail(StepTimestamp, "RFC 3161 timestamp %d is malformed: %v", i, err)
		}
		auth, err := ts.Verify(v.b.Signature(), v.tr.TimestampAuthorities)
		if err != nil {
			return fail(StepTimestamp, "RFC 3161 timestamp %d: %v", i, err)
		}
		if latest := v.p.now().Add(MaxClockSkew); ts.Time.After(latest) {
			return fail(StepTimestamp, "RFC 3161 timestamp %d: its time %s is in the future (after %s)",
				i, ts.Time.UTC().Format(time.RFC3339), latest.UTC().Format(time.RFC3339))
		}
		seen[authorityOperator(auth)] = true
		v.times = append(v.times, VerifiedTime{Source: "rfc3161", Authority: auth.URI, Time: ts.Time.UTC()})
	}
	if len(seen) < v.p.tsaThreshold() {
		return fail(StepTimestamp, "%d distinct timestamp authority operators vouch for the signature, %d required", len(seen), v.p.tsaThreshold())
	}
	return nil
}

// Thresholds count operators, as the trusted root names them (protobuf-specs
// ArtifactVerificationOptions); an entry without an operator counts as its own. A TSA is
// identified by its signing certificate, a log by its id, so that the same authority listed
// twice still counts once.
func authorityOperator(a *trust.Authority) any {
	if a.Operator != "" {
		return a.Operator
	}
	return string(a.Chain[0].Raw)
}

func logOperator(l *trust.Log) any {
	if l.Operator != "" {
		return l.Operator
	}
	return l
}

// verifyTlogEvidence checks each log entry's inclusion promise (SET) and inclusion proof
// with its signed checkpoint against the log's key in the trusted root. The entry body is
// bound to the bundle later, in verifyTlogBodies. Entries in one log count once.
func (v *verification) verifyTlogEvidence() error {
	if v.p.InsecureIgnoreTlog {
		v.res.Skipped = append(v.res.Skipped, "tlog")
		return nil
	}
	counted := map[any]bool{}
	for i, e := range v.b.TlogEntries {
		log := trust.FindLog(v.tr.Tlogs, e.GetLogId().GetKeyId())
		if log == nil {
			id := base64.StdEncoding.EncodeToString(e.GetLogId().GetKeyId())
			if u := v.tr.UnusableLog("tlogs", e.GetLogId().GetKeyId()); u != nil {
				return fail(StepTlog, "log entry %d comes from log %s, which the trusted root lists but signet cannot use: %s", i, id, u)
			}
			return fail(StepTlog, "log entry %d comes from log %s, which is not in the trusted root", i, id)
		}
		entry := LogEntry{LogURL: log.BaseURL, LogID: base64.StdEncoding.EncodeToString(log.ID),
			Kind: e.GetKindVersion().GetKind() + "/" + e.GetKindVersion().GetVersion()}
		v2 := rekor.IsRekorV2(e)

		if e.GetInclusionPromise() != nil {
			if v2 {
				return fail(StepTlog, "log entry %d (%s) is a Rekor v2 entry with an inclusion promise; Rekor v2 makes none", i, log.BaseURL)
			}
			if err := rekor.VerifySET(e, log); err != nil {
				return fail(StepTlog, "log entry %d (%s): signed entry timestamp: %v", i, log.BaseURL, err)
			}
			t := time.Unix(e.GetIntegratedTime(), 0).UTC()
			if !log.ValidFor.Contains(t) {
				return fail(StepTlog, "log entry %d: integrated time %s is outside the validity of log %s's key in the trusted root",
					i, t.Format(time.RFC3339), log.BaseURL)
			}
			if t.After(v.p.now().Add(MaxClockSkew)) {
				return fail(StepTlog, "log entry %d: integrated time %s is in the future", i, t.Format(time.RFC3339))
			}
			entry.IntegratedTime = &t
			entry.LogIndex = e.GetLogIndex() // the SET signs the global index
			entry.VerifiedBy = append(entry.VerifiedBy, "inclusionPromise")
			v.times = append(v.times, VerifiedTime{Source: "tlog", Authority: log.BaseURL, Time: t})
		} else if v.b.Minor == 1 {
			return fail(StepTlog, "log entry %d has no inclusion promise, which a v0.1 bundle requires", i)
		}

		if p := e.GetInclusionProof(); p != nil {
			if err := v.facts.checkpointMemo().VerifyInclusion(e, log); err != nil {
				return fail(StepTlog, "log entry %d (%s): %v", i, log.BaseURL, err)
			}
			// A Rekor v2 entry's index is its leaf index, which only the proof proves.
			if v2 && e.GetLogIndex() != p.GetLogIndex() {
				return fail(StepTlog, "log entry %d (%s): the bundle's logIndex %d differs from the index %d its inclusion proof proves",
					i, log.BaseURL, e.GetLogIndex(), p.GetLogIndex())
			}
			if entry.IntegratedTime == nil {
				// Without a SET only the proof's index is proven: for a sharded Rekor v1 log
				// it is the index in the current shard, not the global logIndex.
				entry.LogIndex = p.GetLogIndex()
			}
			entry.VerifiedBy = append(entry.VerifiedBy, "inclusionProof")
		} else if v.b.Minor >= 2 {
			return fail(StepTlog, "log entry %d has no inclusion proof, which a v%d bundle requires (signet does not query logs online)", i, v.b.Minor)
		}
		if entry.IntegratedTime == nil {
			v.tlogTimeless = append(v.tlogTimeless, timelessEntry{log: log, v2: v2})
		}
		counted[logOperator(log)] = true
		v.res.TlogEntries = append(v.res.TlogEntries, entry)
	}
	if len(counted) < v.p.tlogThreshold() {
		if len(v.b.TlogEntries) == 0 {
			return fail(StepTlog, "the bundle has no transparency log entry")
		}
		return fail(StepTlog, "entries from %d distinct transparency log operators verified, %d required", len(counted), v.p.tlogThreshold())
	}
	return nil
}

// requireVerifiedTime: a certificate must be checked at a time some authority vouches for,
// so a certificate bundle whose log entry carries no signed integrated time (Rekor v2, or
// Rekor v1 without an inclusion promise) needs a timestamp. Every log entry's key must have
// been valid at every verified time there is. A key-signed bundle needs no verified time:
// only certificates have validity windows to check a time against.
func (v *verification) requireVerifiedTime() error {
	var tsaTimes []time.Time
	for _, t := range v.times {
		if t.Source == "rfc3161" {
			tsaTimes = append(tsaTimes, t.Time)
		}
	}
	keyless := v.b.Certificate != nil
	if keyless && len(v.tlogTimeless) > 0 && len(tsaTimes) == 0 {
		e := v.tlogTimeless[0]
		why := "its integrated time is not signed (the entry has no inclusion promise)"
		if e.v2 {
			why = "it is a Rekor v2 entry, which has no integrated time"
		}
		return fail(StepTimestamp, "the log entry from %s proves no signing time: %s, so the bundle needs an RFC 3161 timestamp, and it has none", e.log.BaseURL, why)
	}
	for _, e := range v.tlogTimeless {
		for _, t := range tsaTimes {
			if !e.log.ValidFor.Contains(t) {
				return fail(StepTlog, "log %s's key was not valid in the trusted root at the timestamped time %s", e.log.BaseURL, t.Format(time.RFC3339))
			}
		}
	}
	if keyless && len(v.times) == 0 {
		return fail(StepTimestamp, "no verified time: the bundle has neither a signed log integrated time nor an RFC 3161 timestamp")
	}
	v.res.Times = v.times
	return nil
}

// verifyCertificate: "the Verifier MUST perform certification path validation ... with a fake
// current time" for every verified time, then verify the embedded SCTs (client-spec §4.3).
func (v *verification) verifyCertificate() error {
	leaf := v.b.Certificate
	if leaf == nil {
		return nil
	}
	for _, t := range v.times {
		chain, ca, err := v.facts.verifyChain(v.tr, leaf, t.Time)
		if err != nil {
			return fail(StepCertificate, "at the %s time %s vouched for by %s: %v", sourceName(t.Source), t.Time.Format(time.RFC3339), t.Authority, err)
		}
		v.chain, v.ca = chain, ca
	}
	if v.p.InsecureIgnoreSCT {
		v.res.Skipped = append(v.res.Skipped, "sct")
		return nil
	}
	if len(v.chain) < 2 {
		return fail(StepSCT, "the certificate chain has no issuer to verify SCTs against")
	}
	if err := v.facts.verifySCTs(v.tr, leaf, v.chain[1], v.p.ctlogThreshold(), v.p.now().Add(MaxClockSkew)); err != nil {
		return fail(StepSCT, "%v", err)
	}
	return nil
}

func sourceName(s string) string {
	if s == "tlog" {
		return "transparency log"
	}
	return "RFC 3161 timestamp"
}

// verifySignatureAndArtifact: "the Verifier MUST verify the provided signature for the
// constructed payload against the key in the leaf of the certificate chain" (§4.5), and the
// artifact must be the one the bundle is about.
func (v *verification) verifySignatureAndArtifact() error {
	if v.b.Envelope != nil {
		return v.verifyEnvelope()
	}
	ms := v.b.MessageSignature
	h := signature.DefaultHash(v.key)
	if md := ms.GetMessageDigest(); md != nil {
		var err error
		if h, err = hashFromProto(md.GetAlgorithm()); err != nil {
			return fail(StepBundle, "message digest: %v", err)
		}
	} else if h == 0 {
		h = crypto.SHA512 // Ed25519 signs pre-hashed artifacts as Ed25519ph
	}
	digests, err := v.artifactDigests([]crypto.Hash{h})
	if err != nil {
		return err
	}
	v.artifactHash, v.artifactDigest = h, digests[h]
	if md := ms.GetMessageDigest(); md != nil && !bytes.Equal(md.GetDigest(), v.artifactDigest) {
		return fail(StepArtifact, "the artifact's %v digest %x does not match the digest %x the bundle was signed over", h, v.artifactDigest, md.GetDigest())
	}
	if err := signature.VerifyDigest(v.key, h, v.artifactDigest, ms.GetSignature()); err != nil {
		return fail(StepSignature, "the signature over the artifact does not verify with the %s: %v", v.keyName(), err)
	}
	return nil
}

func (v *verification) verifyEnvelope() error {
	env := v.b.Envelope
	if err := dsse.Verify(v.key, signature.DefaultHash(v.key), env.PayloadType, env.Payload, env.Signature); err != nil {
		return fail(StepSignature, "the DSSE envelope's signature does not verify with the %s: %v", v.keyName(), err)
	}
	v.res.PayloadType = env.PayloadType
	// "the payload must be an in-toto statement" (client-spec §4.5): an envelope signed for
	// another purpose must not pass as a signature over the artifact.
	if env.PayloadType != dsse.InTotoPayloadType {
		return fail(StepArtifact, "the DSSE envelope's payload type is %q; signet verifies only in-toto statements (%s)", env.PayloadType, dsse.InTotoPayloadType)
	}
	st, err := dsse.ParseStatement(env.Payload)
	if err != nil {
		return fail(StepArtifact, "the envelope's payload: %v", err)
	}
	v.res.Statement = json.RawMessage(env.Payload)
	v.res.PredicateType = st.PredicateType
	v.statement = st
	var want []crypto.Hash
	var names []string
	used := st.DigestAlgorithms()
	for _, d := range dsse.SubjectDigests {
		if slices.Contains(used, d.Name) && v.art.has(d.Hash) {
			want, names = append(want, d.Hash), append(names, d.Name)
		}
	}
	if len(want) == 0 {
		return fail(StepArtifact, "no subject of the in-toto statement has a digest signet can compare with the artifact (subjects use %v)", st.DigestAlgorithms())
	}
	digests, err := v.artifactDigests(want)
	if err != nil {
		return err
	}
	// A subject is the artifact when every digest of it that signet computed matches: a
	// subject whose sha256 matches and whose sha512 does not is about something else.
	v.compared = map[string]bool{}
	for _, s := range st.Subject {
		match, n := true, 0
		for i, h := range want {
			got, ok := s.Digest[names[i]]
			if !ok {
				continue
			}
			n++
			match = match && strings.EqualFold(got, hex.EncodeToString(digests[h]))
		}
		if match && n > 0 {
			v.matched = append(v.matched, s)
			for i := range want {
				if _, ok := s.Digest[names[i]]; ok {
					v.compared[names[i]] = true
				}
			}
		}
	}
	if len(v.matched) == 0 {
		return fail(StepArtifact, "the artifact (%s %x) is none of the in-toto statement's %d subjects", names[0], digests[want[0]], len(st.Subject))
	}
	v.res.MatchedSubjects = v.matched
	return nil
}

func (v *verification) artifactDigests(want []crypto.Hash) (map[crypto.Hash][]byte, error) {
	for _, h := range want {
		if !v.art.has(h) {
			return nil, fail(StepArtifact, "the bundle needs the artifact's %v digest, but only a %v digest was given; pass the file instead", h, v.art.given())
		}
	}
	d, err := v.art.digests(want)
	if err != nil {
		return nil, fail(StepArtifact, "%v", err)
	}
	return d, nil
}

func (v *verification) keyName() string {
	if v.b.Certificate != nil {
		return "certificate's key"
	}
	return "given key"
}

// verifyTlogBodies: "The Verifier MUST parse body ... and check: the signature from the
// parsed body is the same as the provided signature; the key or certificate from the parsed
// body is the same as in the input certificate; the subject of the parsed body matches the
// artifact" (§4.4).
func (v *verification) verifyTlogBodies() error {
	if v.p.InsecureIgnoreTlog {
		return nil
	}
	exp := rekor.Expected{Signature: v.b.Signature()}
	if v.b.Certificate != nil {
		exp.Certificate = v.b.Certificate.Raw
	} else {
		exp.PublicKey = v.key
	}
	if env := v.b.Envelope; env != nil {
		exp.Envelope = &rekor.Envelope{PayloadType: env.PayloadType, Payload: env.Payload,
			Signatures: []rekor.EnvelopeSignature{{Sig: env.Signature, KeyID: env.KeyID}}}
	} else {
		exp.Hash, exp.Digest = v.artifactHash, v.artifactDigest
	}
	for i, e := range v.b.TlogEntries {
		if err := rekor.VerifyBody(e, exp); err != nil {
			return fail(StepTlog, "log entry %d: %v", i, err)
		}
	}
	return nil
}

// checkPolicy matches the certificate's identity against the policy.
func (v *verification) checkPolicy() error {
	leaf := v.b.Certificate
	if leaf == nil {
		return nil
	}
	id, err := fulcio.IdentityFromCertificate(leaf)
	// A certificate of another CA than Fulcio (an enterprise PKI) may name several subjects:
	// its identity is the first the policy matches, else the first.
	var subjects []fulcio.SubjectName
	if errors.Is(err, fulcio.ErrSeveralSubjects) && !fulcio.HasIssuerExtension(leaf) {
		if subjects, err = fulcio.SubjectNames(leaf); err == nil {
			pick := subjects[0]
			for _, n := range subjects {
				if anyMatch(v.p.Identities, n.Value) {
					pick = n
					break
				}
			}
			id = &fulcio.Identity{SAN: pick.Value, SANType: pick.Type}
		}
	}
	if err != nil {
		return fail(StepCertificate, "reading the certificate's identity: %v", err)
	}
	v.res.Identity = &Identity{SAN: id.SAN, SANType: id.SANType, Issuer: id.Issuer, Extensions: id.Extensions,
		NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC()}
	if v.ca != nil {
		v.res.Identity.CertificateAuthority = v.ca.URI
	}
	if !anyMatch(v.p.Identities, id.SAN) {
		if len(subjects) > 1 {
			quoted := make([]string, len(subjects))
			for i, n := range subjects {
				quoted[i] = strconv.Quote(n.Value)
			}
			return fail(StepPolicy, "none of the certificate identities %s matches the expected identity %s", strings.Join(quoted, ", "), matchersString(v.p.Identities))
		}
		return fail(StepPolicy, "the certificate identity %q does not match the expected identity %s", id.SAN, matchersString(v.p.Identities))
	}
	switch {
	case v.p.WithoutIssuer && fulcio.HasIssuerExtension(leaf):
		return fail(StepPolicy, "the certificate names the OIDC issuer %q, which must be checked: give the expected issuer instead of accepting a certificate without one", id.Issuer)
	case !v.p.WithoutIssuer && !anyMatch(v.p.Issuers, id.Issuer):
		return fail(StepPolicy, "the certificate's OIDC issuer %q does not match the expected issuer %s", id.Issuer, matchersString(v.p.Issuers))
	}
	for _, em := range v.p.Extensions {
		val, ok, err := fulcio.ExtensionValue(leaf, em.OID)
		if err != nil {
			return fail(StepCertificate, "certificate extension %s (%s): %v", em.Name, em.OID, err)
		}
		if !ok {
			return fail(StepPolicy, "the certificate has no %s extension (%s); the policy requires %s", em.Name, em.OID, em.Value)
		}
		if !em.Value.Match(val) {
			return fail(StepPolicy, "the certificate's %s is %q; the policy requires %s", em.Name, val, em.Value)
		}
	}
	if v.p.Publisher != nil {
		issuerV2, _, err := fulcio.ExtensionValue(leaf, fulcio.OIDIssuerV2)
		if err != nil {
			return fail(StepCertificate, "certificate extension issuer (%s): %v", fulcio.OIDIssuerV2, err)
		}
		c := attest.Claims{SAN: id.SAN, Issuer: id.Issuer, IssuerV2: issuerV2,
			SourceRepositoryURI: id.Extensions.SourceRepositoryURI, SourceRepositoryDigest: id.Extensions.SourceRepositoryDigest,
			SourceRepositoryRef: id.Extensions.SourceRepositoryRef, BuildConfigURI: id.Extensions.BuildConfigURI}
		if err := v.p.Publisher.Verify(c); err != nil {
			return fail(StepPolicy, "not the Trusted Publisher (%s): %v", v.p.Publisher, err)
		}
	}
	return nil
}

// checkStatement applies the policy's statement checks: the predicate type, PEP 740's
// rules, and the fields of a publish attestation, each mismatch with its own message.
func (v *verification) checkStatement() error {
	if v.p.PredicateType == "" && v.p.Publish == nil && v.p.PyPI == nil {
		return nil
	}
	st := v.statement
	if st == nil {
		return statementFail(errors.New("the bundle signs the artifact itself, not an in-toto statement about it; the policy needs an attestation"))
	}
	if v.p.PredicateType != "" && st.PredicateType != v.p.PredicateType {
		return statementFail(fmt.Errorf("the statement's predicate type is %s, not %s", st.PredicateType, v.p.PredicateType))
	}
	if v.p.PyPI != nil {
		if err := v.p.PyPI.Check(st, v.compared["sha256"]); err != nil {
			return statementFail(err)
		}
	}
	if v.p.Publish != nil {
		res, err := v.p.Publish.Check(st, &v.matched[0])
		if err != nil {
			return statementFail(err)
		}
		v.res.Publish = res
	}
	return nil
}

func statementFail(err error) error { return &Error{Step: StepPolicy, Err: &StatementError{Err: err}} }

func anyMatch(ms []Matcher, s string) bool {
	for _, m := range ms {
		if m.Match(s) {
			return true
		}
	}
	return false
}

func matchersString(ms []Matcher) string {
	if len(ms) == 1 {
		return ms[0].String()
	}
	s := "one of"
	for i, m := range ms {
		if i > 0 {
			s += ","
		}
		s += " " + m.String()
	}
	return s
}

func hashFromProto(a pbcommon.HashAlgorithm) (crypto.Hash, error) {
	switch a {
	case pbcommon.HashAlgorithm_SHA2_256:
		return crypto.SHA256, nil
	case pbcommon.HashAlgorithm_SHA2_384:
		return crypto.SHA384, nil
	case pbcommon.HashAlgorithm_SHA2_512:
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("unsupported hash algorithm %v", a)
}
