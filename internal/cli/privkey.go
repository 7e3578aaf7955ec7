package cli

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// errBadPassphrase is a wrong passphrase for an encrypted key.
var errBadPassphrase = errors.New("wrong passphrase for the encrypted key")

// parsePrivateKey parses a PEM private key: PKCS#8 ("PRIVATE KEY"), SEC1 ("EC PRIVATE KEY"),
// PKCS#1 ("RSA PRIVATE KEY"), encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY", PBES2 with PBKDF2
// and AES-CBC, as openssl writes it) and cosign's scrypt + secretbox format ("ENCRYPTED
// SIGSTORE PRIVATE KEY" / "ENCRYPTED COSIGN PRIVATE KEY"). passphrase is called only for
// encrypted keys.
func parsePrivateKey(data []byte, passphrase func() ([]byte, error)) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: not a PEM file", errInput)
	}
	if _, ok := block.Headers["Proc-Type"]; ok {
		return nil, fmt.Errorf("%w: legacy PEM encryption (Proc-Type) is not supported; convert the key with 'openssl pkcs8 -topk8'", errInput)
	}
	der := block.Bytes
	switch block.Type {
	case "ENCRYPTED PRIVATE KEY", "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY":
		pass, err := passphrase()
		if err != nil {
			return nil, err
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" {
			der, err = decryptPKCS8(der, pass)
		} else {
			der, err = encrypted.Decrypt(der, pass)
			if err != nil {
				err = errBadPassphrase
			}
		}
		if err != nil {
			return nil, err
		}
		return signerFromPKCS8(der)
	case "PRIVATE KEY":
		return signerFromPKCS8(der)
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("%w: EC private key: %v", errInput, err)
		}
		return k, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("%w: RSA private key: %v", errInput, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: a %q PEM block is not a private key", errInput, block.Type)
}

func signerFromPKCS8(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: PKCS#8 private key: %v", errInput, err)
	}
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("%w: unsupported private key type %T", errInput, k)
}

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

// maxPBKDF2Iterations bounds the work an untrusted key file can ask for.
const maxPBKDF2Iterations = 2_000_000

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo (RFC 5958) protected with PBES2 (RFC 8018).
func decryptPKCS8(der, pass []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("%w: malformed encrypted PKCS#8 key", errInput)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("%w: encrypted key uses %v; only PBES2 is supported (openssl pkcs8 -topk8 -v2 aes-256-cbc)", errInput, info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("%w: malformed PBES2 parameters", errInput)
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w: encrypted key uses key derivation %v; only PBKDF2 is supported", errInput, params.KDF.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("%w: malformed PBKDF2 parameters", errInput)
	}
	if kdf.Iterations < 1 || kdf.Iterations > maxPBKDF2Iterations {
		return nil, fmt.Errorf("%w: PBKDF2 iteration count %d out of range", errInput, kdf.Iterations)
	}
	var prf func() hash.Hash
	switch {
	case len(kdf.PRF.Algorithm) == 0 || kdf.PRF.Algorithm.Equal(oidHMACSHA1):
		prf = sha1.New
	case kdf.PRF.Algorithm.Equal(oidHMACSHA256):
		prf = sha256.New
	case kdf.PRF.Algorithm.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("%w: unsupported PBKDF2 PRF %v", errInput, kdf.PRF.Algorithm)
	}
	var keyLen int
	switch {
	case params.Scheme.Algorithm.Equal(oidAES128CBC):
		keyLen = 16
	case params.Scheme.Algorithm.Equal(oidAES192CBC):
		keyLen = 24
	case params.Scheme.Algorithm.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, fmt.Errorf("%w: unsupported cipher %v; use AES-CBC", errInput, params.Scheme.Algorithm)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Scheme.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, fmt.Errorf("%w: malformed AES-CBC IV", errInput)
	}
	if len(info.Data) == 0 || len(info.Data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: encrypted key data is not a whole number of AES blocks", errInput)
	}
	key, err := pbkdf2.Key(prf, string(pass), kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	// PKCS#7 padding; a wrong passphrase almost always breaks it or the DER that follows.
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize || pad > len(plain) {
		return nil, errBadPassphrase
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, errBadPassphrase
		}
	}
	plain = plain[:len(plain)-pad]
	if _, err := x509.ParsePKCS8PrivateKey(plain); err != nil {
		return nil, errBadPassphrase
	}
	return plain, nil
}
