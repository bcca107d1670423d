package verify

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// certName names a certificate by its subject's common name, or the whole
// subject when it has none.
func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return strconv.Quote(c.Subject.CommonName)
	}
	return strconv.Quote(c.Subject.String())
}

// maxPEMBlockBytes bounds one PEM block's DER: a 16384-bit RSA private key
// is about 9.3 KiB, a certificate a few KiB.
const maxPEMBlockBytes = 64 << 10

// parsePEMKeys reads a local PEM file: public keys, private keys (their
// public half is used) and certificates. Of certificates only the first is
// a signer: a file of several is a chain, leaf first (RFC 8446 §4.4.2 and
// every TLS server's chain file), and the others are the CAs that issued
// it. jose (panva/jose importX509) and PyJWT (load_pem_x509_certificate)
// read the first certificate only.
func parsePEMKeys(data []byte, source string) (keys []Key, notes []string, err error) {
	if n := bytes.Count(data, []byte("-----BEGIN")); n > MaxKeys {
		return nil, nil, fmt.Errorf("the file has %d PEM blocks; jwtrace takes at most %d keys", n, MaxKeys)
	}
	var certs []*x509.Certificate
	leaf := -1
	rest := data
	single := bytes.Count(data, []byte("-----BEGIN")) == 1
	for i := 1; ; i++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if bytes.Contains(rest, []byte("-----BEGIN")) {
				return nil, notes, fmt.Errorf("PEM block #%d is malformed (a missing END line or bad base64)", i)
			}
			break
		}
		what := fmt.Sprintf("PEM block #%d (%s)", i, block.Type)
		if single {
			what = "the " + strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(block.Type), "encrypted "), "rsa "), "ec ")
		}
		if len(block.Bytes) > maxPEMBlockBytes {
			return nil, notes, fmt.Errorf("%s is %d bytes, larger than any key (at most %d)", what, len(block.Bytes), maxPEMBlockBytes)
		}
		if _, encrypted := block.Headers["DEK-Info"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, notes, fmt.Errorf("%s is encrypted and jwtrace reads no passphrases; give its public key instead (openssl pkey -pubout -in FILE)", what)
		}
		var raw any
		switch block.Type {
		case "PUBLIC KEY":
			raw, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			raw, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(block.Bytes); err == nil {
				certs = append(certs, c)
				if len(certs) > 1 {
					continue
				}
				leaf = len(keys)
				raw = c.PublicKey
			}
		case "RSA PRIVATE KEY", "PRIVATE KEY":
			// Read the modulus size first: parsing a private key checks
			// it, at a cost that grows with the cube of its size.
			if bits, ok := rsaPrivateBits(block.Bytes, block.Type == "PRIVATE KEY"); ok {
				if reason := rsaReason(bits, big.NewInt(65537)); reason != "" {
					return nil, notes, fmt.Errorf("%s is %s", what, reason)
				}
			}
			if block.Type == "RSA PRIVATE KEY" {
				raw, err = x509.ParsePKCS1PrivateKey(block.Bytes)
			} else {
				raw, err = x509.ParsePKCS8PrivateKey(block.Bytes)
			}
		case "EC PRIVATE KEY":
			raw, err = x509.ParseECPrivateKey(block.Bytes)
		case "OPENSSH PRIVATE KEY":
			return nil, notes, fmt.Errorf("%s is in OpenSSH's own format; give its public key as PEM instead (ssh-keygen -e -m PKCS8 -f FILE)", what)
		case "EC PARAMETERS":
			// openssl ecparam -genkey writes these before the key.
			continue
		default:
			return nil, notes, fmt.Errorf("%s is not a key jwtrace reads: it reads PEM PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE, PRIVATE KEY, RSA PRIVATE KEY and EC PRIVATE KEY blocks", what)
		}
		if err != nil {
			return nil, notes, fmt.Errorf("%s does not parse: %s", what, strings.TrimPrefix(err.Error(), "x509: "))
		}
		if s, ok := raw.(interface{ Public() crypto.PublicKey }); ok {
			raw = s.Public()
		}
		pub, detail, reason := checkPublic(raw)
		if reason != "" {
			return nil, notes, fmt.Errorf("%s is %s", what, reason)
		}
		keys = append(keys, Key{Type: keyType(pub), Detail: detail, Source: source, Public: pub})
	}
	if len(keys) == 0 && len(certs) == 0 {
		return nil, notes, errors.New("no PEM block holds a key")
	}
	if leaf >= 0 {
		d := keys[leaf].Detail + ", certificate " + certName(certs[0])
		switch n := len(certs) - 1; n {
		case 0:
		case 1:
			d = keys[leaf].Detail + ", leaf certificate " + certName(certs[0]) + " (the chain's other certificate, " + certName(certs[1]) + ", is not used as a signer)"
		default:
			d = keys[leaf].Detail + ", leaf certificate " + certName(certs[0]) + fmt.Sprintf(" (the chain's %d other certificates are not used as signers)", n)
		}
		keys[leaf].Detail = d
	}
	return keys, notes, nil
}

// rsaPrivateBits reads the modulus size of a PKCS #1 RSAPrivateKey
// (RFC 8017 A.1.2: SEQUENCE { version, modulus, ... }), or of one inside a
// PKCS #8 PrivateKeyInfo (RFC 5208 §5: SEQUENCE { version, algorithm,
// OCTET STRING privateKey }), without parsing the rest.
func rsaPrivateBits(der []byte, pkcs8 bool) (int, bool) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil || seq.Tag != asn1.TagSequence {
		return 0, false
	}
	rest := seq.Bytes
	var version int
	rest, err := asn1.Unmarshal(rest, &version)
	if err != nil {
		return 0, false
	}
	if pkcs8 {
		var alg struct {
			OID    asn1.ObjectIdentifier
			Params asn1.RawValue `asn1:"optional"`
		}
		if rest, err = asn1.Unmarshal(rest, &alg); err != nil || !alg.OID.Equal(oidRSAEncryption) {
			return 0, false
		}
		var inner []byte
		if _, err := asn1.Unmarshal(rest, &inner); err != nil {
			return 0, false
		}
		return rsaPrivateBits(inner, false)
	}
	var n asn1.RawValue
	if _, err := asn1.Unmarshal(rest, &n); err != nil || n.Tag != asn1.TagInteger {
		return 0, false
	}
	return new(big.Int).SetBytes(n.Bytes).BitLen(), true
}

// oidRSAEncryption is rsaEncryption (RFC 8017 A.1).
var oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
