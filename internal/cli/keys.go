package cli

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/signet-dev/signet/pkg/attest"
	"github.com/signet-dev/signet/pkg/verify"
)

// maxKeyFileSize bounds key and certificate files.
const maxKeyFileSize = 64 << 10

func readSmallFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", errInput, path, limit)
	}
	return data, nil
}

// maxTrustedKeys bounds the keys verify --key reads, over all its files.
const maxTrustedKeys = 256

// loadVerificationKeys reads the --key files of verify: PEM files of one or more public keys
// (parseTrustedKeys), or one registry key set (npm's keys.json, in either of its forms),
// told apart by their first bytes.
func loadVerificationKeys(paths []string) ([]verify.TrustedKey, *attest.KeySet, error) {
	var keys []verify.TrustedKey
	for _, path := range paths {
		data, err := readSmallFile(path, 1<<20)
		if err != nil {
			return nil, nil, err
		}
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
			if len(paths) > 1 {
				return nil, nil, usagef("--key %s is a registry's key set: give it as the only --key", path)
			}
			ks, err := attest.ParseNPMKeys(trimmed)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: %s: %v", errInput, path, err)
			}
			return nil, ks, nil
		}
		more, err := parseTrustedKeys(data, path)
		if err != nil {
			return nil, nil, err
		}
		if keys = append(keys, more...); len(keys) > maxTrustedKeys {
			return nil, nil, fmt.Errorf("%w: more than %d keys given with --key", errInput, maxTrustedKeys)
		}
	}
	return keys, nil, nil
}

// PEM headers of a public key block that verify --key understands.
const (
	headerKeyID     = "Key-Id"
	headerNotBefore = "Not-Before"
	headerNotAfter  = "Not-After"
)

// parseTrustedKeys parses every PEM block of data, each a public key, optionally with
// headers: Key-Id (a name the bundle's key hint may use), Not-Before and Not-After (RFC 3339
// times bounding when the key may have signed). Text between blocks is allowed (RFC 7468);
// any other header, a block that does not decode or one that is not a public key fails: a
// misspelt window must not mean "always", nor a damaged key be left out unnoticed.
func parseTrustedKeys(data []byte, name string) ([]verify.TrustedKey, error) {
	var keys []verify.TrustedKey
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		pub, err := publicKeyFromBlock(block, name)
		if err != nil {
			return nil, err
		}
		k := verify.TrustedKey{Public: pub}
		for h, v := range block.Headers {
			switch h {
			case headerKeyID:
				k.ID = v
			case headerNotBefore, headerNotAfter:
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return nil, fmt.Errorf("%w: %s: key %d: %s is not an RFC 3339 time: %q", errInput, name, len(keys)+1, h, v)
				}
				if h == headerNotBefore {
					k.ValidFor.Start = t
				} else {
					k.ValidFor.End = t
				}
			default:
				return nil, fmt.Errorf("%w: %s: key %d has the header %q; a key may carry %s, %s and %s", errInput, name, len(keys)+1, h, headerKeyID, headerNotBefore, headerNotAfter)
			}
		}
		if !k.ValidFor.End.IsZero() && k.ValidFor.End.Before(k.ValidFor.Start) {
			return nil, fmt.Errorf("%w: %s: key %d: %s is before %s", errInput, name, len(keys)+1, headerNotAfter, headerNotBefore)
		}
		keys = append(keys, k)
	}
	switch {
	case len(keys) == 0:
		return nil, fmt.Errorf("%w: %s is not a PEM file", errInput, name)
	case bytes.Count(data, []byte("-----BEGIN ")) != len(keys):
		// pem.Decode skips a block it cannot read: a damaged key must not vanish unnoticed.
		return nil, fmt.Errorf("%w: %s has a PEM block that does not decode", errInput, name)
	}
	return keys, nil
}

// loadPublicKey reads a PEM public key: PKIX "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY".
func loadPublicKey(path string) (crypto.PublicKey, error) {
	data, err := readSmallFile(path, maxKeyFileSize)
	if err != nil {
		return nil, err
	}
	return parsePublicKey(data, path)
}

// parsePublicKey parses the first PEM block of data, which must be a public key; name says
// where data came from, in errors.
func parsePublicKey(data []byte, name string) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: %s is not a PEM file", errInput, name)
	}
	return publicKeyFromBlock(block, name)
}

// publicKeyFromBlock parses a PKIX "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY" block.
func publicKeyFromBlock(block *pem.Block, name string) (crypto.PublicKey, error) {
	var (
		pub crypto.PublicKey
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: %s holds a %q PEM block, not a public key", errInput, name, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errInput, name, err)
	}
	return pub, nil
}
