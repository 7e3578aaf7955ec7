package dsse_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	pbbundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/pkg/dsse"
)

// conformanceDir is the sigstore-conformance suite's verification cases in the shared test
// data (internal/shareddata).
func conformanceDir(t testing.TB) string {
	t.Helper()
	return shareddata.Dir(t, "conformance", "bundle-verify")
}

func TestPAE(t *testing.T) {
	cases := []struct {
		name, payloadType, payload, want string
	}{
		// The test vector of the DSSE v1 protocol specification.
		{"spec vector", "http://example.com/HelloWorld", "hello world", "DSSEv1 29 http://example.com/HelloWorld 11 hello world"},
		{"in-toto", dsse.InTotoPayloadType, "{}", "DSSEv1 28 application/vnd.in-toto+json 2 {}"},
		{"empty", "", "", "DSSEv1 0  0 "},
		// Lengths count bytes, not characters.
		{"UTF-8", "é", "€", "DSSEv1 2 é 3 €"},
		// Spaces and digits inside the fields do not confuse the encoding.
		{"spaces", "a 1 b", "2 c", "DSSEv1 5 a 1 b 3 2 c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, string(dsse.PAE(c.payloadType, []byte(c.payload))))
		})
	}

	// Tampered twins: moving a byte from the type to the payload changes the encoding.
	require.NotEqual(t, dsse.PAE("ab", []byte("c")), dsse.PAE("a", []byte("bc")))
	require.NotEqual(t, dsse.PAE("http://example.com/HelloWorld", []byte("hello world")),
		dsse.PAE("http://example.com/HelloWorld", []byte("hello worle")))
	large := bytes.Repeat([]byte("x"), 1000)
	require.Equal(t, "DSSEv1 1 t 1000 "+string(large), string(dsse.PAE("t", large)))
}

type signer struct {
	name string
	key  crypto.Signer
	hash crypto.Hash
	// check verifies sig over message with the standard library alone, to make sure Sign
	// signs the PAE (and not, say, the bare payload) with the right hash.
	check func(pub crypto.PublicKey, message, sig []byte) bool
}

func hashOf(h crypto.Hash, msg []byte) []byte {
	hh := h.New()
	hh.Write(msg)
	return hh.Sum(nil)
}

func signers(t testing.TB) []signer {
	t.Helper()
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)

	ecdsaCheck := func(h crypto.Hash) func(crypto.PublicKey, []byte, []byte) bool {
		return func(pub crypto.PublicKey, msg, sig []byte) bool {
			return ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), hashOf(h, msg), sig)
		}
	}
	return []signer{
		{"ECDSA P-256", p256, crypto.SHA256, ecdsaCheck(crypto.SHA256)},
		{"ECDSA P-384", p384, crypto.SHA384, ecdsaCheck(crypto.SHA384)},
		{"ECDSA P-521", p521, crypto.SHA512, ecdsaCheck(crypto.SHA512)},
		{"Ed25519", ed, 0, func(pub crypto.PublicKey, msg, sig []byte) bool {
			return ed25519.Verify(pub.(ed25519.PublicKey), msg, sig)
		}},
		{"RSA PKCS#1 v1.5", rsaKey, crypto.SHA256, func(pub crypto.PublicKey, msg, sig []byte) bool {
			return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, hashOf(crypto.SHA256, msg), sig) == nil
		}},
	}
}

func TestSignVerify(t *testing.T) {
	const payloadType = dsse.InTotoPayloadType
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	all := signers(t)
	for i, s := range all {
		other := all[(i+1)%len(all)]
		t.Run(s.name, func(t *testing.T) {
			sig, err := dsse.Sign(s.key, s.hash, payloadType, payload)
			require.NoError(t, err)
			require.NoError(t, dsse.Verify(s.key.Public(), s.hash, payloadType, payload, sig))
			require.True(t, s.check(s.key.Public(), dsse.PAE(payloadType, payload), sig), "the signature is not over the PAE")
			require.False(t, s.check(s.key.Public(), payload, sig), "the signature is over the bare payload")

			flipped := append([]byte{}, sig...)
			flipped[len(flipped)/2] ^= 0x01
			otherPayload := append([]byte{}, payload...)
			otherPayload[len(otherPayload)-2] ^= 0x01

			tampered := []struct {
				name        string
				pub         crypto.PublicKey
				payloadType string
				payload     []byte
				sig         []byte
			}{
				{"payload", s.key.Public(), payloadType, otherPayload, sig},
				{"empty payload", s.key.Public(), payloadType, nil, sig},
				{"payload type", s.key.Public(), "application/vnd.in-toto+jsoN", payload, sig},
				{"byte moved from type to payload", s.key.Public(), payloadType[:len(payloadType)-1], append([]byte{payloadType[len(payloadType)-1]}, payload...), sig},
				{"signature", s.key.Public(), payloadType, payload, flipped},
				{"truncated signature", s.key.Public(), payloadType, payload, sig[:len(sig)-1]},
				{"empty signature", s.key.Public(), payloadType, payload, nil},
				{"other key", other.key.Public(), payloadType, payload, sig},
			}
			for _, tc := range tampered {
				t.Run(tc.name, func(t *testing.T) {
					require.Error(t, dsse.Verify(tc.pub, s.hash, tc.payloadType, tc.payload, tc.sig))
				})
			}
			if s.hash != 0 {
				t.Run("other hash", func(t *testing.T) {
					h := crypto.SHA384
					if s.hash == crypto.SHA384 {
						h = crypto.SHA256
					}
					require.Error(t, dsse.Verify(s.key.Public(), h, payloadType, payload, sig))
				})
			}
		})
	}
}

// TestSignUnavailableHash: an ECDSA or RSA key signs a digest, so Sign needs a hash; given
// none (or one not linked into the binary) it must return an error. Today it calls h.New()
// unchecked and panics with "crypto: requested hash function #0 is unavailable".
func TestSignUnavailableHash(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sig, err := func() (sig []byte, err error) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Sign panicked: %v", r)
			}
		}()
		return dsse.Sign(k, 0, dsse.InTotoPayloadType, []byte("{}"))
	}()
	require.Error(t, err)
	require.Nil(t, sig)
}

func TestVerifyUnsupportedKey(t *testing.T) {
	require.Error(t, dsse.Verify(nil, crypto.SHA256, "t", []byte("p"), []byte("sig")))
	require.Error(t, dsse.Verify(struct{}{}, crypto.SHA256, "t", []byte("p"), []byte("sig")))
}

// loadEnvelope returns a conformance bundle's envelope and leaf certificate.
func loadEnvelope(t testing.TB, name string) (*pbbundle.Bundle, *x509.Certificate) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(conformanceDir(t), name, "bundle.sigstore.json"))
	require.NoError(t, err)
	var b pbbundle.Bundle
	require.NoError(t, protojson.Unmarshal(data, &b))
	cert, err := x509.ParseCertificate(b.GetVerificationMaterial().GetCertificate().GetRawBytes())
	require.NoError(t, err)
	return &b, cert
}

// TestVerifyConformance checks real envelopes signed by another client.
func TestVerifyConformance(t *testing.T) {
	artifact, err := os.ReadFile(shareddata.Dir(t, "conformance", "a.txt"))
	require.NoError(t, err)
	digest := sha256.Sum256(artifact)

	for _, name := range []string{"happy-path-intoto-in-dsse-v3", "dsse-mismatch-sig_fail"} {
		t.Run(name, func(t *testing.T) {
			b, cert := loadEnvelope(t, name)
			env := b.GetDsseEnvelope()
			sig := env.GetSignatures()[0].GetSig()
			require.NoError(t, dsse.Verify(cert.PublicKey, crypto.SHA256, env.GetPayloadType(), env.GetPayload(), sig))

			st, err := dsse.ParseStatement(env.GetPayload())
			require.NoError(t, err)
			require.Equal(t, dsse.StatementTypeV1, st.Type)
			require.Equal(t, "https://slsa.dev/provenance/v1", st.PredicateType)
			s, ok := st.MatchDigest("sha256", digest[:])
			require.True(t, ok)
			require.Equal(t, "a.txt", s.Name)

			// Tampered twins of the same envelope.
			require.Error(t, dsse.Verify(cert.PublicKey, crypto.SHA256, "application/json", env.GetPayload(), sig))
			payload := bytes.Replace(env.GetPayload(), []byte("a.txt"), []byte("b.txt"), 1)
			require.Error(t, dsse.Verify(cert.PublicKey, crypto.SHA256, env.GetPayloadType(), payload, sig))
		})
	}
	t.Run("dsse-invalid-sig_fail", func(t *testing.T) {
		b, cert := loadEnvelope(t, "dsse-invalid-sig_fail")
		env := b.GetDsseEnvelope()
		require.Error(t, dsse.Verify(cert.PublicKey, crypto.SHA256, env.GetPayloadType(), env.GetPayload(), env.GetSignatures()[0].GetSig()))
	})
}

func TestNewEnvelope(t *testing.T) {
	payload := []byte(`{"a":1}`)
	sig := []byte{0x30, 0x44, 0xff}
	env := dsse.NewEnvelope(dsse.InTotoPayloadType, payload, sig, "key-1")
	require.Equal(t, dsse.InTotoPayloadType, env.PayloadType)
	require.Equal(t, base64.StdEncoding.EncodeToString(payload), env.Payload)
	require.Len(t, env.Signatures, 1)
	require.Equal(t, "key-1", env.Signatures[0].KeyID)
	got, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	require.NoError(t, err)
	require.Equal(t, sig, got)

	// The JSON form is the DSSE wire format.
	out, err := json.Marshal(env)
	require.NoError(t, err)
	var wire map[string]any
	require.NoError(t, json.Unmarshal(out, &wire))
	require.Equal(t, dsse.InTotoPayloadType, wire["payloadType"])
	require.Equal(t, "eyJhIjoxfQ==", wire["payload"])
	require.Equal(t, "MET/", wire["signatures"].([]any)[0].(map[string]any)["sig"])
	require.Equal(t, "key-1", wire["signatures"].([]any)[0].(map[string]any)["keyid"])
}

var (
	sumA   = sha256.Sum256([]byte("a"))
	sumB   = sha256.Sum256([]byte("b"))
	sum512 = sha512.Sum512([]byte("a"))
	hexA   = hex.EncodeToString(sumA[:])
)

// statement returns an in-toto statement, changed by f.
func statement(t testing.TB, f func(m map[string]any)) []byte {
	t.Helper()
	m := map[string]any{
		"_type":         dsse.StatementTypeV1,
		"subject":       []any{map[string]any{"name": "a", "digest": map[string]any{"sha256": hexA}}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate":     map[string]any{"buildDefinition": map[string]any{}},
	}
	if f != nil {
		f(m)
	}
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func subjects(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"name": fmt.Sprint(i), "digest": map[string]any{"sha256": hexA}}
	}
	return out
}

// dup returns data with the first occurrence of old replaced by new, for hand-made JSON.
func dup(data []byte, old, new string) []byte {
	if !bytes.Contains(data, []byte(old)) {
		panic("dup: " + old + " not found")
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

func TestParseStatement(t *testing.T) {
	valid := statement(t, nil)
	pad := func(data []byte, size int) []byte {
		return append(append([]byte{}, data...), bytes.Repeat([]byte(" "), size-len(data))...)
	}
	cases := []struct {
		name    string
		payload []byte
		err     string // a part of the refusal's message; "" when the statement parses
	}{
		{"v1", valid, ""},
		{"v0.1", statement(t, func(m map[string]any) { m["_type"] = dsse.StatementTypeV01 }), ""},
		{"v2", statement(t, func(m map[string]any) { m["_type"] = "https://in-toto.io/Statement/v2" }), "statement type"},
		{"v1 with trailing slash", statement(t, func(m map[string]any) { m["_type"] = dsse.StatementTypeV1 + "/" }), "statement type"},
		{"v1 in upper case", statement(t, func(m map[string]any) { m["_type"] = strings.ToUpper(dsse.StatementTypeV1) }), "statement type"},
		{"no _type", statement(t, func(m map[string]any) { delete(m, "_type") }), "has no _type"},
		{"_type not a string", statement(t, func(m map[string]any) { m["_type"] = 1 }), "JSON"},
		{"no subject", statement(t, func(m map[string]any) { delete(m, "subject") }), "no subject"},
		{"empty subject", statement(t, func(m map[string]any) { m["subject"] = []any{} }), "no subject"},
		{"null subject", statement(t, func(m map[string]any) { m["subject"] = nil }), "no subject"},
		{"subject without digest", statement(t, func(m map[string]any) { m["subject"] = []any{map[string]any{"name": "a"}} }), "subject 0 has no digest"},
		{"subject with empty digest", statement(t, func(m map[string]any) {
			m["subject"] = []any{map[string]any{"name": "a", "digest": map[string]any{}}}
		}), "subject 0 has no digest"},
		{"second subject without digest", statement(t, func(m map[string]any) {
			m["subject"] = append(subjects(1), map[string]any{"name": "b"})
		}), "subject 1 has no digest"},
		{"subject without name", statement(t, func(m map[string]any) {
			m["subject"] = []any{map[string]any{"digest": map[string]any{"sha256": hexA}}}
		}), ""},
		{"no predicateType", statement(t, func(m map[string]any) { delete(m, "predicateType") }), "predicateType"},
		{"empty predicateType", statement(t, func(m map[string]any) { m["predicateType"] = "" }), "predicateType"},
		{"no predicate", statement(t, func(m map[string]any) { delete(m, "predicate") }), ""},
		{"unknown fields are ignored", statement(t, func(m map[string]any) { m["extension.example.com"] = true }), ""},
		{"subjects at the limit", statement(t, func(m map[string]any) { m["subject"] = subjects(dsse.MaxSubjects) }), ""},
		{"too many subjects", statement(t, func(m map[string]any) { m["subject"] = subjects(dsse.MaxSubjects + 1) }), "more than"},
		{"exactly MaxPayloadSize", pad(valid, dsse.MaxPayloadSize), ""},
		{"too large", pad(valid, dsse.MaxPayloadSize+1), "larger than"},
		{"truncated", valid[:len(valid)-1], "JSON"},
		{"empty", nil, "JSON"},
		{"array", []byte("[]"), "JSON"},
		{"null", []byte("null"), "has no _type"},
		// Duplicate keys: two parsers would read two different statements.
		{"two subject members", dup(valid, `"subject":`, `"subject":[{"name":"x","digest":{"sha256":"`+hexA+`"}}],"subject":`), "appears twice"},
		{"two _type members", dup(valid, `"_type":`, `"_type":"https://in-toto.io/Statement/v1","_type":`), "appears twice"},
		{"digest algorithm twice", dup(valid, `"sha256":`, `"sha256":"`+strings.Repeat("b", 64)+`","sha256":`), "appears twice"},
		{"key twice deep in the predicate", dup(valid, `"buildDefinition":{`, `"buildDefinition":{"a":{"b":[{"c":1,"c":2}]}`), "appears twice"},
		{"same key in sibling objects", dup(valid, `"buildDefinition":{`, `"buildDefinition":{"a":{"c":1},"b":{"c":2}`), ""},
		{"digest value not a string", statement(t, func(m map[string]any) {
			m["subject"] = []any{map[string]any{"digest": map[string]any{"sha256": 1}}}
		}), "JSON"},
		{"subject not an array", statement(t, func(m map[string]any) { m["subject"] = map[string]any{} }), "JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := dsse.ParseStatement(c.payload)
			if c.err != "" {
				require.Nil(t, st)
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			checkStatement(t, st)
		})
	}

	st, err := dsse.ParseStatement(valid)
	require.NoError(t, err)
	require.Equal(t, dsse.StatementTypeV1, st.Type)
	require.Equal(t, "https://slsa.dev/provenance/v1", st.PredicateType)
	require.Equal(t, []dsse.Subject{{Name: "a", Digest: map[string]string{"sha256": hexA}}}, st.Subject)
	require.JSONEq(t, `{"buildDefinition":{}}`, string(st.Predicate))
}

// TestParseStatementKeysAreCaseSensitive: JSON keys are case-sensitive, and other in-toto
// consumers (protojson in in-toto/attestation and sigstore-go, Python, JavaScript) read
// them so. encoding/json matches struct fields case-insensitively and lets the last
// match win, so today signet reads "Subject" as "subject": a statement can show one
// subject to other tools and another to signet.
func TestParseStatementKeysAreCaseSensitive(t *testing.T) {
	t.Run("_TYPE is not _type", func(t *testing.T) {
		st, err := dsse.ParseStatement(statement(t, func(m map[string]any) {
			m["_TYPE"] = m["_type"]
			delete(m, "_type")
		}))
		require.Error(t, err, "parsed %+v", st)
	})
	t.Run("Subject does not replace subject", func(t *testing.T) {
		payload := statement(t, func(m map[string]any) {
			m["Subject"] = []any{map[string]any{"name": "evil", "digest": map[string]any{"sha256": hex.EncodeToString(sumB[:])}}}
		})
		// encoding/json sorts map keys, so "Subject" comes before "subject"; put it last
		// as an attacker would.
		payload = moveKeyLast(t, payload, "Subject")
		st, err := dsse.ParseStatement(payload)
		if err == nil {
			require.Equal(t, "a", st.Subject[0].Name, "signet reads a different subject than other consumers")
			_, ok := st.MatchDigest("sha256", sumB[:])
			require.False(t, ok)
		}
	})
	t.Run("DIGEST is not digest", func(t *testing.T) {
		st, err := dsse.ParseStatement(statement(t, func(m map[string]any) {
			m["subject"] = []any{map[string]any{"name": "a", "DIGEST": map[string]any{"sha256": hexA}}}
		}))
		require.Error(t, err, "parsed %+v", st)
	})
}

// moveKeyLast rewrites a JSON object so that key comes last.
func moveKeyLast(t testing.TB, data []byte, key string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &m))
	var b bytes.Buffer
	b.WriteByte('{')
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != key {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	keys = append(keys, key)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		b.Write(kj)
		b.WriteByte(':')
		b.Write(m[k])
	}
	b.WriteByte('}')
	require.True(t, strings.HasSuffix(b.String(), string(m[key])+"}"))
	return b.Bytes()
}

// checkStatement asserts what ParseStatement promises about a statement it returns.
func checkStatement(t testing.TB, st *dsse.Statement) {
	t.Helper()
	if st.Type != dsse.StatementTypeV1 && st.Type != dsse.StatementTypeV01 {
		t.Errorf("parsed statement type %q", st.Type)
	}
	if st.PredicateType == "" {
		t.Errorf("parsed a statement without predicateType")
	}
	if len(st.Subject) == 0 || len(st.Subject) > dsse.MaxSubjects {
		t.Errorf("parsed a statement with %d subjects", len(st.Subject))
	}
	for i, s := range st.Subject {
		if len(s.Digest) == 0 {
			t.Errorf("parsed subject %d without a digest", i)
		}
	}
	algs := st.DigestAlgorithms()
	if !sort.StringsAreSorted(algs) {
		t.Errorf("DigestAlgorithms not sorted: %q", algs)
	}
	for i := 1; i < len(algs); i++ {
		if algs[i] == algs[i-1] {
			t.Errorf("DigestAlgorithms repeats %q", algs[i])
		}
	}
	if len(algs) == 0 {
		t.Errorf("no digest algorithms in a statement with subjects")
	}
}

func TestMatchDigest(t *testing.T) {
	st, err := dsse.ParseStatement(statement(t, func(m map[string]any) {
		m["subject"] = []any{
			map[string]any{"name": "a", "digest": map[string]any{"sha256": hexA, "sha512": hex.EncodeToString(sum512[:])}},
			map[string]any{"name": "b", "digest": map[string]any{"sha256": strings.ToUpper(hex.EncodeToString(sumB[:]))}},
			map[string]any{"name": "a again", "digest": map[string]any{"sha256": hexA}},
		}
	}))
	require.NoError(t, err)

	flipped := sumA
	flipped[31] ^= 1
	cases := []struct {
		name   string
		alg    string
		digest []byte
		want   string // the matching subject's name; "" for no match
	}{
		{"sha256", "sha256", sumA[:], "a"},
		{"upper-case hex in the statement", "sha256", sumB[:], "b"},
		{"sha512", "sha512", sum512[:], "a"},
		{"sha256 digest under sha512", "sha512", sumA[:], ""},
		{"other algorithm", "sha384", sumA[:], ""},
		{"algorithm names are case-sensitive", "SHA256", sumA[:], ""},
		{"one bit off", "sha256", flipped[:], ""},
		{"prefix", "sha256", sumA[:16], ""},
		{"longer", "sha256", append(append([]byte{}, sumA[:]...), 0), ""},
		{"empty", "sha256", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, ok := st.MatchDigest(c.alg, c.digest)
			if c.want == "" {
				require.False(t, ok)
				require.Nil(t, s)
				return
			}
			require.True(t, ok)
			require.Equal(t, c.want, s.Name)
			require.Same(t, &st.Subject[map[string]int{"a": 0, "b": 1}[c.want]], s)
		})
	}
}

func TestDigestAlgorithms(t *testing.T) {
	st, err := dsse.ParseStatement(statement(t, func(m map[string]any) {
		m["subject"] = []any{
			map[string]any{"digest": map[string]any{"sha512": "00", "sha256": "00"}},
			map[string]any{"digest": map[string]any{"sha256": "01", "gitCommit": "02"}},
			map[string]any{"digest": map[string]any{"sha1": "03", "sha512": "04"}},
		}
	}))
	require.NoError(t, err)
	require.Equal(t, []string{"gitCommit", "sha1", "sha256", "sha512"}, st.DigestAlgorithms())

	st, err = dsse.ParseStatement(statement(t, nil))
	require.NoError(t, err)
	require.Equal(t, []string{"sha256"}, st.DigestAlgorithms())

	require.Empty(t, (&dsse.Statement{}).DigestAlgorithms())
}
