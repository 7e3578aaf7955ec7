package cli

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"

	"github.com/signet-dev/signet/pkg/attest"
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

// loadVerificationKey reads --key of verify: a PEM public key, or a registry's key set
// (npm's keys.json, in either of its forms), told apart by their first bytes.
func loadVerificationKey(path string) (crypto.PublicKey, *attest.KeySet, error) {
	data, err := readSmallFile(path, 1<<20)
	if err != nil {
		return nil, nil, err
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		ks, err := attest.ParseNPMKeys(trimmed)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", errInput, path, err)
		}
		return nil, ks, nil
	}
	pub, err := loadPublicKey(path)
	return pub, nil, err
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
