package attest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signet-dev/signet/pkg/dsse"
)

// NPMAttestation is one entry of the npm registry's attestations response
// (GET /-/npm/v1/attestations/NAME@VERSION). PredicateType is the response's label, which
// nothing signs.
type NPMAttestation struct {
	PredicateType string
	Bundle        json.RawMessage
}

// ParseNPMAttestations reads an npm attestations response.
func ParseNPMAttestations(data []byte) ([]NPMAttestation, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("attestations response is larger than %d bytes", MaxDocumentSize)
	}
	if err := dsse.CheckUniqueKeys(data); err != nil {
		return nil, fmt.Errorf("attestations response is not valid JSON: %w", err)
	}
	var j struct {
		Attestations []struct {
			PredicateType *string         `json:"predicateType"`
			Bundle        json.RawMessage `json:"bundle"`
		} `json:"attestations"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("not an npm attestations response: %v", err)
	}
	if len(j.Attestations) == 0 || len(j.Attestations) > MaxAttestationsPerFile {
		return nil, fmt.Errorf("npm attestations response with %d attestations (1 to %d)", len(j.Attestations), MaxAttestationsPerFile)
	}
	var out []NPMAttestation
	for i, a := range j.Attestations {
		if a.PredicateType == nil || len(a.Bundle) == 0 || string(a.Bundle) == "null" {
			return nil, fmt.Errorf("npm attestation %d has no predicateType or bundle", i)
		}
		out = append(out, NPMAttestation{PredicateType: *a.PredicateType, Bundle: a.Bundle})
	}
	return out, nil
}

// Key usages in npm's TUF key set.
const (
	UsageAttestations = "npm:attestations"
	UsageSignatures   = "npm:signatures"
)

// RegistryKey is one entry of a registry's key set.
type RegistryKey struct {
	KeyID string
	// Usage is the entry's keyUsage, or "" when the set's form has none (the registry's
	// /-/npm/v1/keys endpoint); such a key serves every use.
	Usage string
	Key   *ecdsa.PublicKey
	// The key is valid from NotBefore (zero: always) until Expires (zero: no end), exclusive:
	// npm uses a key for a signature made strictly before its expiry.
	NotBefore time.Time
	Expires   time.Time
}

// ValidAt reports whether the key may have made a signature at t.
func (k *RegistryKey) ValidAt(t time.Time) bool {
	return !t.Before(k.NotBefore) && (k.Expires.IsZero() || t.Before(k.Expires))
}

func (k *RegistryKey) window() string {
	from, until := "always", "no end"
	if !k.NotBefore.IsZero() {
		from = k.NotBefore.UTC().Format(time.RFC3339)
	}
	if !k.Expires.IsZero() {
		until = k.Expires.UTC().Format(time.RFC3339)
	}
	return from + " until " + until
}

// UnusableKey is a key set entry that vouches for nothing, and why.
type UnusableKey struct {
	KeyID  string
	Reason string
}

// KeySet is a registry's signing keys: npm's, as the registry (/-/npm/v1/keys) or Sigstore's
// TUF repository (registry.npmjs.org/keys.json) publishes them.
type KeySet struct {
	Keys []RegistryKey
	// Unusable entries are listed but not used: a key id that is not the key's own, or a key
	// type signet does not implement.
	Unusable []UnusableKey
}

// MaxKeySetEntries bounds a key set.
const MaxKeySetEntries = 256

// ParseNPMKeys reads a key set in either published form:
//
//	{"keys": [{"keyid", "expires": ISO-8601|null, "keytype", "scheme", "key": b64(DER SPKI)}]}
//	{"keys": [{"keyId", "keyUsage", "publicKey": {"rawBytes", "keyDetails", "validFor": {"start", "end"?}}}]}
//
// An entry whose key id is not NPMKeyID of its key, or whose key is not ECDSA P-256, is
// listed in Unusable. A malformed entry makes the whole set unusable.
func ParseNPMKeys(data []byte) (*KeySet, error) {
	if len(data) > 1<<20 {
		return nil, errors.New("key set is larger than 1 MiB")
	}
	if err := dsse.CheckUniqueKeys(data); err != nil {
		return nil, fmt.Errorf("key set is not valid JSON: %w", err)
	}
	// Keys match exactly: encoding/json would also take "KEYID" for "keyid", and the two
	// forms differ only in the case of "keyId".
	var j struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("not an npm key set: %v", err)
	}
	if len(j.Keys) == 0 || len(j.Keys) > MaxKeySetEntries {
		return nil, fmt.Errorf("key set with %d keys (1 to %d)", len(j.Keys), MaxKeySetEntries)
	}
	ks := &KeySet{}
	for i, e := range j.Keys {
		var k RegistryKey
		var der, alg string
		var err error
		_, v1 := e["keyid"]
		_, tuf := e["keyId"]
		switch {
		case v1 && !tuf:
			var keyType, scheme string
			var expires *string
			if err := fields(e, map[string]any{"keyid": &k.KeyID, "expires": &expires, "keytype": &keyType, "scheme": &scheme, "key": &der}); err != nil {
				return nil, fmt.Errorf("key %d: %w", i, err)
			}
			alg = keyType + "/" + scheme
			if keyType == "ecdsa-sha2-nistp256" && scheme == "ecdsa-sha2-nistp256" {
				alg = "p256"
			}
			if expires != nil {
				if k.Expires, err = parseTime(*expires); err != nil {
					return nil, fmt.Errorf("key %d: expires: %w", i, err)
				}
			}
		case tuf && !v1:
			var pk map[string]json.RawMessage
			if err := fields(e, map[string]any{"keyId": &k.KeyID, "keyUsage": &k.Usage, "publicKey": &pk}); err != nil {
				return nil, fmt.Errorf("key %d: %w", i, err)
			}
			var validFor map[string]json.RawMessage
			if err := fields(pk, map[string]any{"rawBytes": &der, "keyDetails": &alg, "validFor": &validFor}); err != nil {
				return nil, fmt.Errorf("key %d: publicKey: %w", i, err)
			}
			if alg == "PKIX_ECDSA_P256_SHA_256" {
				alg = "p256"
			}
			var start, end *string
			if err := fields(validFor, map[string]any{"start": &start, "end": &end}); err != nil {
				return nil, fmt.Errorf("key %d: validFor: %w", i, err)
			}
			if start != nil {
				if k.NotBefore, err = parseTime(*start); err != nil {
					return nil, fmt.Errorf("key %d: validFor.start: %w", i, err)
				}
			}
			if end != nil {
				if k.Expires, err = parseTime(*end); err != nil {
					return nil, fmt.Errorf("key %d: validFor.end: %w", i, err)
				}
			}
		default:
			return nil, fmt.Errorf("key %d is in neither of npm's key set forms", i)
		}
		if k.KeyID == "" {
			return nil, fmt.Errorf("key %d has no key id", i)
		}
		raw, err := base64.StdEncoding.DecodeString(der)
		if err != nil || len(raw) == 0 {
			return nil, fmt.Errorf("key %s: the public key is not base64", k.KeyID)
		}
		pub, err := x509.ParsePKIXPublicKey(raw)
		if err != nil {
			return nil, fmt.Errorf("key %s: %v", k.KeyID, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if alg != "p256" || !ok || ec.Curve != elliptic.P256() {
			ks.Unusable = append(ks.Unusable, UnusableKey{k.KeyID, fmt.Sprintf("key type %s is not ECDSA P-256", alg)})
			continue
		}
		id, err := NPMKeyID(ec)
		if err != nil {
			return nil, err
		}
		if id != k.KeyID {
			ks.Unusable = append(ks.Unusable, UnusableKey{k.KeyID, "its key id is not the key's (" + id + ")"})
			continue
		}
		k.Key = ec
		ks.Keys = append(ks.Keys, k)
	}
	return ks, nil
}

// fields decodes the members of m named in dst (each into its pointer), by exact key.
// Members not named are ignored, as in both of npm's forms.
func fields(m map[string]json.RawMessage, dst map[string]any) error {
	for k, v := range dst {
		raw, ok := m[k]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	return nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an ISO 8601 time", s)
	}
	return t.UTC(), nil
}

// NPMKeyID is the key id npm gives an ECDSA P-256 key: "SHA256:" and the unpadded base64 of
// the SHA-256 of its OpenSSH public key blob (string "ecdsa-sha2-nistp256", string
// "nistp256", string Q), as ssh-keygen -l prints it. It is not a hash of the DER key.
func NPMKeyID(pub *ecdsa.PublicKey) (string, error) {
	if pub.Curve != elliptic.P256() {
		return "", errors.New("npm key ids are for ECDSA P-256 keys")
	}
	q, err := pub.Bytes()
	if err != nil {
		return "", err
	}
	var blob []byte
	for _, s := range [][]byte{[]byte("ecdsa-sha2-nistp256"), []byte("nistp256"), q} {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(s)))
		blob = append(blob, s...)
	}
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

// Lookup returns the entries with key id id that serve usage (entries without a usage
// serve every use). All entries with one id hold one key: the id is the key's fingerprint.
func (ks *KeySet) Lookup(id, usage string) ([]RegistryKey, error) {
	var out []RegistryKey
	for _, k := range ks.Keys {
		if k.KeyID == id && (k.Usage == "" || k.Usage == usage) {
			out = append(out, k)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, u := range ks.Unusable {
		if u.KeyID == id {
			return nil, fmt.Errorf("the key set's key %s is unusable: %s", id, u.Reason)
		}
	}
	for _, k := range ks.Keys {
		if k.KeyID == id {
			return nil, fmt.Errorf("the key set's key %s is for %s (valid %s), not %s", id, k.Usage, k.window(), usage)
		}
	}
	if len(ks.Unusable) > 0 {
		var list []string
		for _, u := range ks.Unusable {
			list = append(list, u.KeyID+": "+u.Reason)
		}
		return nil, fmt.Errorf("the key set has no key %q (it lists unusable keys: %s)", id, strings.Join(list, "; "))
	}
	return nil, fmt.Errorf("the key set has no key %q", id)
}

// ValidKey returns the first of keys that was valid at every one of times, or an error that
// says when the key was valid.
func ValidKey(keys []RegistryKey, times []time.Time) (*RegistryKey, error) {
	if len(times) == 0 {
		return nil, errors.New("no verified signing time to check the key's validity at")
	}
	for i := range keys {
		ok := true
		for _, t := range times {
			ok = ok && keys[i].ValidAt(t)
		}
		if ok {
			return &keys[i], nil
		}
	}
	k := keys[0]
	for _, t := range times {
		if !k.ValidAt(t) {
			return nil, fmt.Errorf("the key %s was not valid at the signing time %s (it is valid %s)", k.KeyID, t.UTC().Format(time.RFC3339), k.window())
		}
	}
	return nil, fmt.Errorf("no entry of key %s was valid at every signing time", k.KeyID)
}

// npmUnpublishedTime is the time npm assumes for a version whose publish time the packument
// does not give.
var npmUnpublishedTime = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// VerifyRegistrySignature checks a registry signature of a package version (a packument's
// dist.signatures entry): ECDSA P-256 with SHA-256, base64 DER, over "NAME@VERSION:INTEGRITY",
// made with the key keyID of the set (usage npm:signatures) valid at published (the
// version's publish time; zero means unknown, for which npm assumes 2015-01-01).
func (ks *KeySet) VerifyRegistrySignature(nameAtVersion, integrity, keyID, sig string, published time.Time) error {
	keys, err := ks.Lookup(keyID, UsageSignatures)
	if err != nil {
		return err
	}
	if published.IsZero() {
		published = npmUnpublishedTime
	}
	k, err := ValidKey(keys, []time.Time{published})
	if err != nil {
		return err
	}
	der, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return errors.New("the registry signature is not base64")
	}
	if !strings.Contains(nameAtVersion, "@") || integrity == "" {
		return errors.New("a registry signature is over NAME@VERSION and the integrity")
	}
	digest := sha256.Sum256([]byte(nameAtVersion + ":" + integrity))
	if !ecdsa.VerifyASN1(k.Key, digest[:], der) {
		return fmt.Errorf("the registry signature over %s:%s does not verify with key %s", nameAtVersion, integrity, keyID)
	}
	return nil
}

// Public returns the key as a crypto.PublicKey.
func (k *RegistryKey) Public() crypto.PublicKey { return k.Key }
