package verify

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// SecretKey makes a Key from an HMAC shared secret.
func SecretKey(secret []byte, source string) Key {
	return Key{Type: "oct", Detail: fmt.Sprintf("secret (%d bytes)", len(secret)), Source: source, Public: secret}
}

// MinSecretBytes is the shortest HMAC secret accepted without
// --allow-weak-secret: HS256's hash size (RFC 7518 §3.2).
const MinSecretBytes = 32

// ReadSecret resolves a --secret value: "@FILE" reads a file (one trailing
// newline is dropped), "env:NAME" reads an environment variable, anything
// else is the secret itself.
func ReadSecret(spec string, getenv func(string) string) ([]byte, string, error) {
	switch {
	case strings.HasPrefix(spec, "@"):
		path := spec[1:]
		b, err := readFileLimited(path, MaxKeyFileBytes)
		if err != nil {
			return nil, "", err
		}
		// The file as it is, before the trailing newline is dropped: a DER
		// key whose last byte is 0x0a must not slip through as a secret.
		if err := CheckSecret(b); err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		if err := CheckSecret(b); err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return b, "secret file " + path, nil
	case strings.HasPrefix(spec, "env:"):
		name := spec[4:]
		v := getenv(name)
		if v == "" {
			return nil, "", fmt.Errorf("environment variable %s is not set or empty", name)
		}
		if err := CheckSecret([]byte(v)); err != nil {
			return nil, "", fmt.Errorf("$%s: %w", name, err)
		}
		return []byte(v), "secret from $" + name, nil
	default:
		if err := CheckSecret([]byte(spec)); err != nil {
			return nil, "", err
		}
		return []byte(spec), "--secret", nil
	}
}

// CheckSecret refuses an HMAC secret that is a key: PEM, DER (an X.509
// public key or certificate, PKCS #1 or PKCS #8), base64 of such DER, a
// JWK, a JWKS, a {kid: certificate} map or an OpenSSH public key. Using a
// public key's bytes as an HMAC secret is the RS256-to-HS256 key-confusion
// attack (RFC 8725 §2.1 and §3.1): the key is public, so anyone could
// forge such an HS256 token.
func CheckSecret(secret []byte) error {
	what := secretLooksLike(secret)
	if what == "" {
		return nil
	}
	return fmt.Errorf("the secret is %s, not a shared secret: verifying an HMAC token with a key's bytes as its secret is the RS256-to-HS256 key confusion attack (anyone who has the key could forge such a token); give a key with --key FILE, and --secret only the secret the issuer shares with you", what)
}

// secretLooksLike says what kind of key secret is, or "".
func secretLooksLike(secret []byte) string {
	t := bytes.TrimSpace(secret)
	if len(t) == 0 {
		return ""
	}
	if i := bytes.Index(t, []byte("-----BEGIN ")); i >= 0 {
		label := t[i+len("-----BEGIN "):]
		if j := bytes.Index(label, []byte("-----")); j >= 0 && j < 40 {
			return "a PEM " + strings.ToLower(string(label[:j]))
		}
		return "PEM"
	}
	for _, p := range []string{"ssh-rsa ", "ssh-ed25519 ", "ssh-dss ", "ecdsa-sha2-", "sk-ssh-ed25519@", "sk-ecdsa-sha2-"} {
		if bytes.HasPrefix(t, []byte(p)) {
			return "an OpenSSH public key"
		}
	}
	if t[0] == '{' {
		var m map[string]json.RawMessage
		if json.Unmarshal(t, &m) == nil {
			if _, ok := m["kty"]; ok {
				return "a JWK"
			}
			if _, ok := m["keys"]; ok {
				return "a JWKS"
			}
			if _, ok := certificateMap(t); ok {
				return "a map of certificates"
			}
		}
		return ""
	}
	if what := derLooksLike(secret); what != "" {
		return "a DER " + what
	}
	// The body of a PEM block without its BEGIN and END lines.
	compact := bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, t)
	// DER starts with a SEQUENCE (0x30), which base64 writes as "M".
	if len(compact) >= 32 && compact[0] == 'M' {
		if der, err := base64.StdEncoding.DecodeString(string(compact)); err == nil {
			if what := derLooksLike(der); what != "" {
				return "base64 of a DER " + what
			}
		}
	}
	return ""
}

// derLooksLike says which DER key or certificate b is, or "". Private RSA
// keys are recognized by their structure only: parsing them in full costs
// more the larger they are.
func derLooksLike(b []byte) string {
	if len(b) < 16 || b[0] != 0x30 {
		return ""
	}
	if _, err := x509.ParseCertificate(b); err == nil {
		return "certificate"
	}
	if _, err := x509.ParsePKIXPublicKey(b); err == nil {
		return "public key"
	}
	if _, err := x509.ParsePKCS1PublicKey(b); err == nil {
		return "PKCS #1 RSA public key"
	}
	if _, ok := rsaPrivateBits(b, false); ok {
		return "PKCS #1 RSA private key"
	}
	if _, ok := rsaPrivateBits(b, true); ok {
		return "PKCS #8 private key"
	}
	if _, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		return "PKCS #8 private key"
	}
	if _, err := x509.ParseECPrivateKey(b); err == nil {
		return "EC private key"
	}
	return ""
}
