package bundle

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeyID is the key id trailhound signs bundles with and verifies them against. The
// verifier uses the configured key whatever kid a token names, so a bundle signed by
// another key fails verification.
const KeyID = "trailhound"

// Key is a verification or signing key with its JWT algorithm: a PEM key for RS*, PS* and
// ES* algorithms, a shared secret for HS* ones.
type Key struct {
	Algorithm string
	Material  string
}

// LoadKey reads key material (PEM text, or the path of a file holding it; for HS*
// algorithms the secret itself) and settles its algorithm: alg when set, else inferred
// from the PEM key (RSA -> RS256, EC P-256/P-384/P-521 -> ES256/ES384/ES512). A secret
// needs an explicit HS256, HS384 or HS512.
func LoadKey(material, alg string) (*Key, error) {
	material = strings.TrimSpace(material)
	if material == "" {
		return nil, errors.New("empty key")
	}
	alg = strings.ToUpper(strings.TrimSpace(alg))
	if strings.HasPrefix(alg, "HS") {
		return &Key{Algorithm: alg, Material: material}, nil
	}
	if !strings.HasPrefix(material, "-----BEGIN") {
		b, err := os.ReadFile(material)
		if err != nil {
			return nil, fmt.Errorf("key is neither PEM text nor a readable file: %w", err)
		}
		material = strings.TrimSpace(string(b))
	}
	block, _ := pem.Decode([]byte(material))
	if block == nil {
		return nil, errors.New("key: no PEM block found")
	}
	inferred, err := algorithmOf(block)
	if err != nil {
		return nil, err
	}
	if alg == "" {
		alg = inferred
	} else if alg[:2] != inferred[:2] && !(alg[:2] == "PS" && inferred[:2] == "RS") {
		return nil, fmt.Errorf("key: algorithm %s does not fit a %s key", alg, inferred[:2])
	}
	return &Key{Algorithm: alg, Material: material}, nil
}

// algorithmOf infers the JWT algorithm of a PEM public or private key.
func algorithmOf(block *pem.Block) (string, error) {
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return "", fmt.Errorf("key: unsupported PEM block %q", block.Type)
	}
	if err != nil {
		return "", fmt.Errorf("key: %w", err)
	}
	var curve elliptic.Curve
	switch k := key.(type) {
	case *rsa.PublicKey, *rsa.PrivateKey:
		return "RS256", nil
	case *ecdsa.PublicKey:
		curve = k.Curve
	case *ecdsa.PrivateKey:
		curve = k.Curve
	default:
		return "", fmt.Errorf("key: unsupported key type %T (want RSA or ECDSA)", key)
	}
	switch curve {
	case elliptic.P256():
		return "ES256", nil
	case elliptic.P384():
		return "ES384", nil
	case elliptic.P521():
		return "ES512", nil
	}
	return "", fmt.Errorf("key: unsupported curve %s", curve.Params().Name)
}
