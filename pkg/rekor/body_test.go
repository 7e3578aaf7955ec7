package rekor

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	pbrekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/signet-dev/signet/internal/sigstoretest"
)

// editBody decodes a body, lets edit change it, and encodes it again canonically.
func editBody(t *testing.T, body []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// at walks a decoded body down a path of object keys and array indexes ("spec.signatures.0").
func at(m map[string]any, path string) map[string]any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			cur = c[int(k[0]-'0')]
		}
	}
	return cur.(map[string]any)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestVerifyBody(t *testing.T) {
	key, otherKey := newKey(t), newKey(t)
	cert, otherCert := newCert(t, key, "signer"), newCert(t, otherKey, "other")

	artifact := []byte("hello, world\n")
	digest := sha256.Sum256(artifact)
	digest384 := sha512.Sum384(artifact)
	msgSig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	otherSig, err := ecdsa.SignASN1(rand.Reader, key, digest[:]) // same key and digest, another signature
	if err != nil {
		t.Fatal(err)
	}

	payloadType := "application/vnd.in-toto+json"
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.txt","digest":{"sha256":"00"}}]}`)
	pae := sigstoretest.PAE(payloadType, payload)
	paeDigest := sha256.Sum256(pae)
	dsseSig, err := ecdsa.SignASN1(rand.Reader, key, paeDigest[:])
	if err != nil {
		t.Fatal(err)
	}

	msgCert := Expected{Certificate: cert, Signature: msgSig, Hash: crypto.SHA256, Digest: digest[:]}
	msgKey := Expected{PublicKey: key.Public(), Signature: msgSig, Hash: crypto.SHA256, Digest: digest[:]}
	envelope := &Envelope{PayloadType: payloadType, Payload: payload, Signatures: []EnvelopeSignature{{Sig: dsseSig}}}
	dsseCert := Expected{Certificate: cert, Signature: dsseSig, Envelope: envelope}
	dsseKey := Expected{PublicKey: key.Public(), Envelope: envelope}
	with := func(exp Expected, edit func(*Expected)) Expected {
		if exp.Envelope != nil {
			env := *exp.Envelope
			exp.Envelope = &env
		}
		edit(&exp)
		return exp
	}

	hrContent := sigstoretest.EntryContent{Certificate: cert, Hash: crypto.SHA256, Digest: digest[:], Signature: msgSig}
	dsseContent := sigstoretest.EntryContent{Certificate: cert, PayloadType: payloadType, Payload: payload, Signatures: [][]byte{dsseSig}}
	hr2DSSE := sigstoretest.EntryContent{Certificate: cert, Hash: crypto.SHA256, Digest: paeDigest[:], Signature: dsseSig}
	content := func(c sigstoretest.EntryContent, edit func(*sigstoretest.EntryContent)) sigstoretest.EntryContent {
		edit(&c)
		return c
	}

	hr1 := func(c sigstoretest.EntryContent) []byte { return sigstoretest.HashedRekordV001Body(t, c) }
	dsse1 := func(c sigstoretest.EntryContent) []byte { return sigstoretest.DSSEV001Body(t, c) }
	intoto2 := func(c sigstoretest.EntryContent) []byte { return sigstoretest.IntotoV002Body(t, c) }
	hr2 := func(c sigstoretest.EntryContent) []byte { return sigstoretest.HashedRekordV002Body(t, c) }
	dsse2 := func(c sigstoretest.EntryContent) []byte { return sigstoretest.DSSEV002Body(t, c) }
	withKey := func(c sigstoretest.EntryContent) sigstoretest.EntryContent {
		c.Certificate, c.PublicKey = nil, key.Public()
		return c
	}

	tests := []struct {
		name string
		body []byte
		exp  Expected
		want errCheck
	}{
		// hashedrekord 0.0.1
		{"hashedrekord 0.0.1 with certificate", hr1(hrContent), msgCert, noError},
		{"hashedrekord 0.0.1 with public key", hr1(withKey(hrContent)), msgKey, noError},
		{"hashedrekord 0.0.1 SHA-384 digest", hr1(content(hrContent, func(c *sigstoretest.EntryContent) { c.Hash, c.Digest = crypto.SHA384, digest384[:] })),
			with(msgCert, func(e *Expected) { e.Hash, e.Digest = crypto.SHA384, digest384[:] }), noError},
		{"hashedrekord 0.0.1 digest of another artifact", hr1(content(hrContent, func(c *sigstoretest.EntryContent) { c.Digest = flip(digest[:], 0) })), msgCert, mismatch("artifact digest")},
		{"hashedrekord 0.0.1 digest algorithm differs", hr1(content(hrContent, func(c *sigstoretest.EntryContent) { c.Hash, c.Digest = crypto.SHA384, digest384[:] })), msgCert, mismatch("artifact digest")},
		{"hashedrekord 0.0.1 another signature", hr1(content(hrContent, func(c *sigstoretest.EntryContent) { c.Signature = otherSig })), msgCert, mismatch("signature")},
		{"hashedrekord 0.0.1 another certificate", hr1(content(hrContent, func(c *sigstoretest.EntryContent) { c.Certificate = otherCert })), msgCert, mismatch("certificate")},
		{"hashedrekord 0.0.1 another public key", hr1(content(withKey(hrContent), func(c *sigstoretest.EntryContent) { c.PublicKey = otherKey.Public() })), msgKey, mismatch("public key")},
		{"hashedrekord 0.0.1 public key where the bundle has a certificate", hr1(withKey(hrContent)), msgCert, mismatch("certificate")},
		{"hashedrekord 0.0.1 certificate where the bundle has a key", hr1(hrContent), msgKey, mismatch("public key")},
		{"hashedrekord 0.0.1 for a DSSE bundle", hr1(hr2DSSE), dsseCert, anyError("kind for message signatures")},
		{"hashedrekord 0.0.1 verifier with trailing data", editBody(t, hr1(hrContent), func(m map[string]any) {
			at(m, "spec.signature.publicKey")["content"] = b64(append(sigstoretest.PEMCertificate(cert), "junk"...))
		}), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.1 verifier is a private key block", editBody(t, hr1(hrContent), func(m map[string]any) {
			at(m, "spec.signature.publicKey")["content"] = b64(bytes.Replace(sigstoretest.PEMCertificate(cert), []byte("CERTIFICATE"), []byte("EC PRIVATE KEY"), 2))
		}), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.1 digest not hex", editBody(t, hr1(hrContent), func(m map[string]any) { at(m, "spec.data.hash")["value"] = "zz" }), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.1 unknown digest algorithm", editBody(t, hr1(hrContent), func(m map[string]any) { at(m, "spec.data.hash")["algorithm"] = "md5" }), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.1 unknown field", editBody(t, hr1(hrContent), func(m map[string]any) { at(m, "spec")["extra"] = true }), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.1 key in another case", []byte(strings.Replace(string(hr1(hrContent)), `"spec"`, `"Spec"`, 1)), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.1 repeated key", []byte(strings.Replace(string(hr1(hrContent)), `"kind":"hashedrekord"`, `"kind":"hashedrekord","kind":"hashedrekord"`, 1)), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.1 missing signature", editBody(t, hr1(hrContent), func(m map[string]any) { delete(at(m, "spec"), "signature") }), msgCert, is(ErrMalformedBody)},
		{"body is not JSON", []byte("hashedrekord"), msgCert, is(ErrMalformedBody)},
		{"unknown kind", editBody(t, hr1(hrContent), func(m map[string]any) { m["kind"] = "rekord" }), msgCert, is(ErrUnsupportedKind)},
		{"unknown version", editBody(t, hr1(hrContent), func(m map[string]any) { m["apiVersion"] = "0.0.9" }), msgCert, is(ErrUnsupportedKind)},

		// dsse 0.0.1
		{"dsse 0.0.1 with certificate", dsse1(dsseContent), dsseCert, noError},
		{"dsse 0.0.1 with public key", dsse1(withKey(dsseContent)), dsseKey, noError},
		// envelopeHash hashes the envelope as submitted; no reader can rebuild it.
		{"dsse 0.0.1 envelope hash is not checked", editBody(t, dsse1(dsseContent), func(m map[string]any) { at(m, "spec.envelopeHash")["value"] = strings.Repeat("0", 64) }), dsseCert, noError},
		{"dsse 0.0.1 payload of another envelope", dsse1(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Payload = []byte("{}") })), dsseCert, mismatch("DSSE payload")},
		{"dsse 0.0.1 another signature", dsse1(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Signatures = [][]byte{otherSig} })), dsseCert, mismatch("signature")},
		{"dsse 0.0.1 an extra signature", dsse1(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Signatures = append(c.Signatures, otherSig) })), dsseCert, mismatch("signature")},
		{"dsse 0.0.1 another certificate", dsse1(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Certificate = otherCert })), dsseCert, mismatch("certificate")},
		{"dsse 0.0.1 another public key", dsse1(content(withKey(dsseContent), func(c *sigstoretest.EntryContent) { c.PublicKey = otherKey.Public() })), dsseKey, mismatch("public key")},
		{"dsse 0.0.1 for a message signature bundle", dsse1(dsseContent), msgCert, anyError("kind for DSSE")},
		{"dsse 0.0.1 missing payload hash", editBody(t, dsse1(dsseContent), func(m map[string]any) { delete(at(m, "spec"), "payloadHash") }), dsseCert, is(ErrMalformedBody)},

		// intoto 0.0.2
		{"intoto 0.0.2 with payload", intoto2(dsseContent), dsseCert, noError},
		{"intoto 0.0.2 without payload (current Rekor)", intoto2(content(dsseContent, func(c *sigstoretest.EntryContent) { c.OmitPayload = true })), dsseCert, noError},
		{"intoto 0.0.2 with public key", intoto2(withKey(dsseContent)), dsseKey, noError},
		{"intoto 0.0.2 another payload type", intoto2(content(dsseContent, func(c *sigstoretest.EntryContent) { c.PayloadType = "text/plain" })), dsseCert, mismatch("DSSE payload type")},
		{"intoto 0.0.2 payload of another envelope", intoto2(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Payload = []byte("{}") })), dsseCert, mismatch("DSSE payload")},
		{"intoto 0.0.2 payload hash of another payload, payload absent", intoto2(content(dsseContent, func(c *sigstoretest.EntryContent) {
			c.Payload, c.OmitPayload = []byte("{}"), true
		})), dsseCert, mismatch("DSSE payload")},
		{"intoto 0.0.2 payload hash differs from the recorded payload", editBody(t, intoto2(dsseContent), func(m map[string]any) {
			at(m, "spec.content.payloadHash")["value"] = strings.Repeat("0", 64)
		}), dsseCert, mismatch("DSSE payload")},
		{"intoto 0.0.2 payload encoded once", editBody(t, intoto2(dsseContent), func(m map[string]any) {
			at(m, "spec.content.envelope")["payload"] = b64(payload)
		}), dsseCert, mismatch("DSSE payload")},
		{"intoto 0.0.2 neither payload nor payload hash", editBody(t, intoto2(content(dsseContent, func(c *sigstoretest.EntryContent) { c.OmitPayload = true })), func(m map[string]any) {
			delete(at(m, "spec.content"), "payloadHash")
		}), dsseCert, is(ErrMalformedBody)},
		{"intoto 0.0.2 another signature", intoto2(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Signatures = [][]byte{otherSig} })), dsseCert, mismatch("signature")},
		{"intoto 0.0.2 signature encoded once", editBody(t, intoto2(dsseContent), func(m map[string]any) {
			at(m, "spec.content.envelope.signatures.0")["sig"] = b64(dsseSig)
		}), dsseCert, mismatch("signature")},
		{"intoto 0.0.2 another certificate", intoto2(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Certificate = otherCert })), dsseCert, mismatch("certificate")},
		{"intoto 0.0.2 keyid is not compared", editBody(t, intoto2(dsseContent), func(m map[string]any) {
			at(m, "spec.content.envelope.signatures.0")["keyid"] = "anything"
		}), dsseCert, noError},

		// hashedrekord 0.0.2
		{"hashedrekord 0.0.2 with certificate", hr2(hrContent), msgCert, noError},
		{"hashedrekord 0.0.2 with public key", hr2(withKey(hrContent)), msgKey, noError},
		{"hashedrekord 0.0.2 digest of another artifact", hr2(content(hrContent, func(c *sigstoretest.EntryContent) { c.Digest = flip(digest[:], 5) })), msgCert, mismatch("artifact digest")},
		{"hashedrekord 0.0.2 digest algorithm not the key's", hr2(content(hrContent, func(c *sigstoretest.EntryContent) { c.Hash, c.Digest = crypto.SHA384, digest384[:] })), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.2 another signature", hr2(content(hrContent, func(c *sigstoretest.EntryContent) { c.Signature = otherSig })), msgCert, mismatch("signature")},
		{"hashedrekord 0.0.2 another certificate", hr2(content(hrContent, func(c *sigstoretest.EntryContent) { c.Certificate = otherCert })), msgCert, mismatch("certificate")},
		{"hashedrekord 0.0.2 another public key", hr2(content(withKey(hrContent), func(c *sigstoretest.EntryContent) { c.PublicKey = otherKey.Public() })), msgKey, mismatch("public key")},
		// Some clients log the certificate's key instead of the certificate in Rekor v2.
		{"hashedrekord 0.0.2 the certificate's key for a certificate bundle", hr2(withKey(hrContent)), msgCert, noError},
		{"hashedrekord 0.0.2 another key for a certificate bundle", hr2(content(withKey(hrContent), func(c *sigstoretest.EntryContent) { c.PublicKey = otherKey.Public() })), msgCert, mismatch("public key")},
		{"hashedrekord 0.0.2 DSSE with the certificate's key", hr2(withKey(hr2DSSE)), dsseCert, noError},
		{"dsse 0.0.2 the certificate's key is not the certificate", dsse2(withKey(dsseContent)), dsseCert, mismatch("certificate")},
		{"hashedrekord 0.0.2 key details of another curve", hr2(content(hrContent, func(c *sigstoretest.EntryContent) { c.KeyDetails = "PKIX_ECDSA_P384_SHA_384" })), msgCert, mismatch("key details")},
		{"hashedrekord 0.0.2 key details without prehash", hr2(content(hrContent, func(c *sigstoretest.EntryContent) { c.KeyDetails = "PKIX_ED25519" })), msgCert, is(ErrUnsupportedKind)},
		{"hashedrekord 0.0.2 unknown key details", hr2(content(hrContent, func(c *sigstoretest.EntryContent) { c.KeyDetails = "ROT13" })), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.2 verifier with certificate and key", editBody(t, hr2(hrContent), func(m map[string]any) {
			at(m, "spec.hashedRekordV002.signature.verifier")["publicKey"] = map[string]any{"rawBytes": b64([]byte{1})}
		}), msgCert, is(ErrMalformedBody)},
		{"hashedrekord 0.0.2 DSSE", hr2(hr2DSSE), dsseCert, noError},
		{"hashedrekord 0.0.2 DSSE with public key", hr2(withKey(hr2DSSE)), dsseKey, noError},
		{"hashedrekord 0.0.2 DSSE digest of the payload, not the PAE", hr2(content(hr2DSSE, func(c *sigstoretest.EntryContent) {
			sum := sha256.Sum256(payload)
			c.Digest = sum[:]
		})), dsseCert, mismatch("DSSE payload")},
		{"hashedrekord 0.0.2 DSSE envelope with another payload type", hr2(hr2DSSE), with(dsseCert, func(e *Expected) { e.Envelope.PayloadType = "text/plain" }), mismatch("DSSE payload")},
		{"hashedrekord 0.0.2 DSSE envelope with another payload", hr2(hr2DSSE), with(dsseCert, func(e *Expected) { e.Envelope.Payload = []byte("{}") }), mismatch("DSSE payload")},
		{"hashedrekord 0.0.2 DSSE another signature", hr2(content(hr2DSSE, func(c *sigstoretest.EntryContent) { c.Signature = otherSig })), dsseCert, mismatch("signature")},
		{"hashedrekord 0.0.2 DSSE envelope with two signatures", hr2(hr2DSSE), with(dsseCert, func(e *Expected) {
			e.Signature = nil
			e.Envelope.Signatures = append(e.Envelope.Signatures, EnvelopeSignature{Sig: otherSig})
		}), anyError("two signatures")},

		// dsse 0.0.2 (read only)
		{"dsse 0.0.2 with certificate", dsse2(dsseContent), dsseCert, noError},
		{"dsse 0.0.2 payload of another envelope", dsse2(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Payload = []byte("{}") })), dsseCert, mismatch("DSSE payload")},
		{"dsse 0.0.2 another signature", dsse2(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Signatures = [][]byte{otherSig} })), dsseCert, mismatch("signature")},
		{"dsse 0.0.2 another certificate", dsse2(content(dsseContent, func(c *sigstoretest.EntryContent) { c.Certificate = otherCert })), dsseCert, mismatch("certificate")},

		// Expected itself.
		{"expected certificate and key both set", hr1(hrContent), with(msgCert, func(e *Expected) { e.PublicKey = key.Public() }), anyError("both set")},
		{"expected neither certificate nor key", hr1(hrContent), with(msgCert, func(e *Expected) { e.Certificate = nil }), anyError("neither set")},
		{"expected signature is not the envelope's", dsse1(dsseContent), with(dsseCert, func(e *Expected) { e.Signature = otherSig }), anyError("inconsistent Expected")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kv struct{ Kind, APIVersion string }
			if err := json.Unmarshal(tt.body, &kv); err != nil {
				kv.Kind, kv.APIVersion = "hashedrekord", "0.0.1"
			}
			e := &pbrekor.TransparencyLogEntry{
				KindVersion:       &pbrekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion},
				CanonicalizedBody: tt.body,
			}
			check(t, VerifyBody(e, tt.exp), tt.want)
		})
	}
}

// TestVerifyBodyKindVersion checks that the entry's kind and version must be the body's.
func TestVerifyBodyKindVersion(t *testing.T) {
	key := newKey(t)
	cert := newCert(t, key, "signer")
	digest := sha256.Sum256([]byte("a"))
	c := sigstoretest.EntryContent{Certificate: cert, Hash: crypto.SHA256, Digest: digest[:], Signature: []byte("sig")}
	exp := Expected{Certificate: cert, Signature: []byte("sig"), Hash: crypto.SHA256, Digest: digest[:]}
	v1, v2 := sigstoretest.HashedRekordV001Body(t, c), sigstoretest.HashedRekordV002Body(t, c)
	tests := []struct {
		name string
		kv   *pbrekor.KindVersion
		body []byte
		want errCheck
	}{
		{"0.0.1 as 0.0.1", &pbrekor.KindVersion{Kind: "hashedrekord", Version: "0.0.1"}, v1, noError},
		{"0.0.2 as 0.0.2", &pbrekor.KindVersion{Kind: "hashedrekord", Version: "0.0.2"}, v2, noError},
		{"0.0.2 body, entry says 0.0.1", &pbrekor.KindVersion{Kind: "hashedrekord", Version: "0.0.1"}, v2, is(ErrMalformedBody)},
		{"0.0.1 body, entry says 0.0.2", &pbrekor.KindVersion{Kind: "hashedrekord", Version: "0.0.2"}, v1, is(ErrMalformedBody)},
		{"hashedrekord body, entry says dsse", &pbrekor.KindVersion{Kind: "dsse", Version: "0.0.1"}, v1, is(ErrMalformedBody)},
		{"no kind and version", nil, v1, anyError("no kind")},
		{"empty body", &pbrekor.KindVersion{Kind: "hashedrekord", Version: "0.0.1"}, nil, is(ErrMalformedBody)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, VerifyBody(&pbrekor.TransparencyLogEntry{KindVersion: tt.kv, CanonicalizedBody: tt.body}, exp), tt.want)
		})
	}
}
