package cli

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
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

// loadPublicKey reads a PEM public key: PKIX "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY".
func loadPublicKey(path string) (crypto.PublicKey, error) {
	data, err := readSmallFile(path, maxKeyFileSize)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: %s is not a PEM file", errInput, path)
	}
	var pub crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: %s holds a %q PEM block, not a public key", errInput, path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errInput, path, err)
	}
	return pub, nil
}
