package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"

	"filippo.io/edwards25519"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Key is one verification key, whatever it came from: a PEM file, a JWK, a
// JWKS (local or fetched), or a shared secret.
type Key struct {
	// ID is the key's kid; empty when the key has none (PEM files, secrets).
	ID string `json:"kid,omitempty"`
	// Alg is the algorithm the key declares; empty when it declares none
	// (Azure AD's JWKS, PEM files), and then it is inferred from the type.
	Alg string `json:"alg,omitempty"`
	// Type is "RSA", "EC", "OKP" or "oct".
	Type string `json:"kty"`
	// Detail says what the key is in words: "RSA 2048", "EC P-256",
	// "Ed25519", "secret (32 bytes)".
	Detail string `json:"detail"`
	// Source says where the key came from: a file name, a JWKS URL,
	// "--secret".
	Source string `json:"source"`
	// Public is *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey, or
	// []byte for a shared secret.
	Public any `json:"-"`

	name string
	// refused, when set, says why the key was left out. Such a key has
	// no Public and never verifies: a key set keeps it only so that a
	// token naming its kid is told why instead of "not found".
	refused string
}

// Name is how messages refer to the key: its kid, or its type and source.
func (k *Key) Name() string {
	if k.name != "" {
		return k.name
	}
	if k.ID != "" {
		return "kid " + strconv.Quote(k.ID) + " (" + k.Detail + ")"
	}
	return k.Detail + " from " + k.Source
}

// named returns keys with their names worked out once, so that messages
// about them cost nothing per token.
func named(keys []Key) []Key {
	for i := range keys {
		keys[i].name = ""
		keys[i].name = keys[i].Name()
	}
	return keys
}

// Algorithms lists the JWS algorithms the key can verify: the one it
// declares, or those its type allows. Secrets allow only the HMAC
// algorithms whose hash is no longer than the secret (RFC 7518 §3.2) unless
// weak is set.
func (k *Key) Algorithms(weak bool) []string {
	var algs []string
	switch pub := k.Public.(type) {
	case *rsa.PublicKey:
		algs = rsaAlgs
	case *ecdsa.PublicKey:
		switch pub.Curve.Params().Name {
		case "P-256":
			algs = es256
		case "P-384":
			algs = es384
		case "P-521":
			algs = es512
		}
	case ed25519.PublicKey:
		algs = edAlgs
	case []byte:
		for _, a := range hmacAlgs {
			if weak || len(pub) >= a.bytes {
				algs = append(algs, a.name)
			}
		}
	}
	if k.Alg == "" {
		return algs
	}
	for i, a := range algs {
		if a == k.Alg {
			return algs[i : i+1 : i+1]
		}
	}
	return nil
}

// The algorithms each key type allows (shared, never modified).
var (
	rsaAlgs  = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	es256    = []string{"ES256"}
	es384    = []string{"ES384"}
	es512    = []string{"ES512"}
	edAlgs   = []string{"EdDSA", "Ed25519"}
	hmacAlgs = []struct {
		name  string
		bytes int
	}{{"HS256", 32}, {"HS384", 48}, {"HS512", 64}}
)

// allows reports whether the key can verify alg.
func (k *Key) allows(alg string, weak bool) bool {
	for _, a := range k.Algorithms(weak) {
		if a == alg {
			return true
		}
	}
	return false
}

// MaxKeyFileBytes bounds a key file, a JWK or a JWKS read from disk.
const MaxKeyFileBytes = 1 << 20

// LoadKeyFile reads verification keys from a file: a PEM public key,
// certificate (chain) or private key (its public half is used), a JWK, or a
// JWKS. A local JWK or JWKS may hold symmetric ("oct") keys, used as HMAC
// secrets; one that mixes them with public keys is refused.
func LoadKeyFile(path string) ([]Key, error) {
	keys, _, _, err := loadKeyFile(path)
	return keys, err
}

// loadKeyFile is LoadKeyFile that also returns the keys it refused (those
// with a kid) and notes naming every key it left out and why.
func loadKeyFile(path string) (keys, refused []Key, notes []string, err error) {
	data, err := readFileLimited(path, MaxKeyFileBytes)
	if err != nil {
		return nil, nil, nil, err
	}
	keys, refused, notes, err = parseKeys(data, path, true)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no usable verification key (%s)", path, strings.Join(notes, "; "))
	}
	return keys, refused, notes, nil
}

func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes, too large for a key file", path, limit)
	}
	return b, nil
}

// ParseKeys parses PEM, a JWK, a JWKS, or a {kid: PEM certificate} map
// (Google's and Firebase's legacy x509 key documents). Each JWK is parsed on
// its own, so one bad key (an unknown alg, a point off the curve) costs only
// that key. Keys that cannot verify signatures (encryption keys, key_ops
// without verify, unsupported or unsafe keys) are left out and named in
// notes.
//
// local marks a file the user gave (--key): only it may be PEM, and only
// its symmetric keys are taken, as HMAC secrets, never together with
// public keys. A fetched JWKS must be JSON, and its symmetric keys are
// left out.
//
// Private key material (d, p, q, ...) is taken only from a local file that
// holds one private key (a PEM private key, or a single JWK): that is the
// user verifying with the public half of their own key. A JWK Set is a
// document for publishing, which "MUST NOT contain private or symmetric
// key values" (OpenID Connect Discovery 1.0 §3, jwks_uri); one that does has
// leaked its signing keys, so anyone could have signed the token, and its
// keys are refused wherever it came from.
func ParseKeys(data []byte, source string, local bool) (keys []Key, notes []string, err error) {
	keys, _, notes, err = parseKeys(data, source, local)
	return keys, notes, err
}

// parseKeys is ParseKeys that also returns the refused keys that have a
// kid, so that a token naming one can be told why it does not verify.
func parseKeys(data []byte, source string, local bool) (keys, refused []Key, notes []string, err error) {
	trimmed := bytes.TrimSpace(data)
	refuse := func(kid, name, reason string) {
		notes = append(notes, name+" refused: "+reason)
		if kid != "" {
			refused = append(refused, Key{ID: kid, Source: source, Detail: "refused", refused: reason})
		}
	}
	switch {
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")) && !local:
		// Only local files are PEM; a JWKS URL that answers PEM is not
		// one.
		return nil, nil, nil, errors.New("PEM where a JWKS (JSON) was expected")
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
		keys, notes, err = parsePEMKeys(trimmed, source)
		if err != nil {
			return nil, nil, notes, err
		}
	case bytes.HasPrefix(trimmed, []byte("{")):
		if err := checkDepth(trimmed); err != nil {
			return nil, nil, nil, err
		}
		var set struct {
			Keys *[]json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(trimmed, &set); err != nil {
			return nil, nil, nil, fmt.Errorf("not a JWK or JWKS: %v", err)
		}
		if set.Keys == nil {
			if certs, ok := certificateMap(trimmed); ok {
				return parseCertificateMap(certs, source)
			}
		}
		list := []json.RawMessage{trimmed}
		// A single JWK in a file of the user's may be their own private
		// key; a set, or anything fetched, may not hold private keys.
		allowPrivate := local && set.Keys == nil
		if set.Keys != nil {
			list = *set.Keys
		}
		if len(list) > MaxKeys {
			return nil, nil, nil, fmt.Errorf("the JWKS has %d keys; jwtrace takes at most %d", len(list), MaxKeys)
		}
		for i, raw := range list {
			kid, reason := precheckJWK(raw, allowPrivate)
			name := fmt.Sprintf("key #%d", i+1)
			if kid != "" {
				name = fmt.Sprintf("key %q", kid)
			}
			if reason != "" {
				refuse(kid, name, reason)
				continue
			}
			k, err := jwk.ParseKey(raw)
			if err != nil {
				refuse(kid, name, "not a usable JWK: "+shortJWXError(err))
				continue
			}
			key, reason := convertKey(k, source, local)
			if reason != "" {
				refuse(kid, name, reason)
				continue
			}
			keys = append(keys, key)
		}
	default:
		return nil, nil, nil, errors.New("not PEM (-----BEGIN ...), a JWK or a JWKS (JSON)")
	}
	var sym, asym int
	for _, k := range keys {
		if k.Type == "oct" {
			sym++
		} else {
			asym++
		}
	}
	if sym > 0 && asym > 0 {
		return nil, nil, notes, errors.New("the key set mixes symmetric (HMAC) and public keys; jwtrace refuses it, since that is how a public key ends up used as an HMAC secret")
	}
	return keys, refused, notes, nil
}

// privateMembers are the JWK members that hold private key material: RSA's
// (RFC 7518 §6.3.2) and the d of EC (RFC 7518 §6.2.2.1) and OKP keys
// (RFC 8037 §2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth"}

// precheckJWK reads a JWK's members before jwx parses it: it refuses
// private key material where it is not allowed, and RSA keys too small or
// too large, in jwtrace's own words (jwx refuses small keys itself, with a
// message of its internals, and would parse a huge private key at length).
func precheckJWK(raw json.RawMessage, allowPrivate bool) (kid, reason string) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return "", ""
	}
	kid, _ = str(m["kid"], m["kid"] != nil)
	kty, _ := str(m["kty"], m["kty"] != nil)
	if kty != "oct" && !allowPrivate {
		var found []string
		for _, name := range privateMembers {
			if _, ok := m[name]; ok {
				found = append(found, name)
			}
		}
		if len(found) > 0 {
			return kid, fmt.Sprintf("it publishes private key material (%s): anyone who can read this key set can sign tokens with it, so it proves nothing; a key set for verification holds public keys only (OpenID Connect Discovery 1.0 §3)", strings.Join(found, ", "))
		}
	}
	if kty == "RSA" {
		n, _ := str(m["n"], m["n"] != nil)
		e, _ := str(m["e"], m["e"] != nil)
		nb, err1 := decodeB64URL(n)
		eb, err2 := decodeB64URL(e)
		if err1 == nil && err2 == nil && len(nb) > 0 && len(eb) > 0 {
			return kid, rsaReason(new(big.Int).SetBytes(nb).BitLen(), new(big.Int).SetBytes(eb))
		}
	}
	return kid, ""
}

// decodeB64URL decodes base64url, tolerating padding as jwx does.
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// MaxRSABits is the largest RSA key jwtrace verifies with. No authority
// uses more than 4096 bits; verifying with a 1M-bit key takes seconds per
// token, so a larger key is a denial of service, not a key.
const MaxRSABits = 16384

// rsaReason says why an RSA key of bits bits and exponent e is refused, or
// returns "".
func rsaReason(bits int, e *big.Int) string {
	switch {
	case bits < MinRSABits:
		return fmt.Sprintf("RSA %d; RFC 7518 §3.3 requires at least %d bits", bits, MinRSABits)
	case bits > MaxRSABits:
		return fmt.Sprintf("RSA %d; jwtrace verifies with RSA keys of at most %d bits (a larger one makes every verification take seconds)", bits, MaxRSABits)
	case e.BitLen() > 31:
		// Go's crypto/rsa refuses to verify with such a key
		// (crypto/internal/fips140/rsa/rsa.go, Go 1.26: "public exponent
		// too large").
		return fmt.Sprintf("an RSA key with the public exponent %s, larger than 2^31-1, which no sound RSA key has", e)
	case e.Int64() < 3 || e.Bit(0) == 0:
		return fmt.Sprintf("an RSA key with the public exponent %s, which no sound RSA key has", e)
	}
	return ""
}

// certificateMap recognizes Google's legacy x509 key documents: a JSON
// object of kid → PEM certificate, as served by
// https://www.googleapis.com/robot/v1/metadata/x509/... (Firebase ID
// tokens, Google service accounts).
func certificateMap(doc []byte) (map[string]string, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(doc, &m) != nil || len(m) == 0 {
		return nil, false
	}
	certs := make(map[string]string, len(m))
	for kid, raw := range m {
		s, ok := str(raw, true)
		if !ok || !strings.HasPrefix(strings.TrimSpace(s), "-----BEGIN CERTIFICATE-----") {
			return nil, false
		}
		certs[kid] = s
	}
	return certs, true
}

// parseCertificateMap turns a {kid: certificate} map into keys: each
// certificate's key, with the map key as its kid.
func parseCertificateMap(certs map[string]string, source string) (keys, refused []Key, notes []string, err error) {
	if len(certs) > MaxKeys {
		return nil, nil, nil, fmt.Errorf("the key map has %d certificates; jwtrace takes at most %d", len(certs), MaxKeys)
	}
	kidList := make([]string, 0, len(certs))
	for kid := range certs {
		kidList = append(kidList, kid)
	}
	sort.Strings(kidList)
	for _, kid := range kidList {
		reason := ""
		block, _ := pem.Decode([]byte(strings.TrimSpace(certs[kid])))
		var c *x509.Certificate
		if block == nil || block.Type != "CERTIFICATE" {
			reason = "not a PEM certificate"
		} else if c, err = x509.ParseCertificate(block.Bytes); err != nil {
			reason = "not a valid X.509 certificate"
		}
		var key Key
		if reason == "" {
			var pub any
			var detail string
			pub, detail, reason = checkPublic(c.PublicKey)
			key = Key{ID: kid, Type: keyType(pub), Detail: detail + ", certificate " + certName(c), Source: source, Public: pub}
		}
		if reason != "" {
			notes = append(notes, fmt.Sprintf("key %q refused: %s", kid, reason))
			refused = append(refused, Key{ID: kid, Source: source, Detail: "refused", refused: reason})
			continue
		}
		keys = append(keys, key)
	}
	return keys, refused, notes, nil
}

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

func keyType(pub any) string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC"
	case ed25519.PublicKey:
		return "OKP"
	}
	return ""
}

// shortJWXError keeps the last, most specific part of a jwx error chain.
func shortJWXError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": failed to "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// MaxKeys is the most keys jwtrace takes from one JWKS. Real ones hold a
// handful.
const MaxKeys = 100

// MinRSABits is the smallest RSA key jwtrace verifies with (RFC 7518 §3.3).
const MinRSABits = 2048

// convertKey turns a jwx key into a Key, or says why it is left out.
func convertKey(k jwk.Key, source string, secrets bool) (Key, string) {
	kid, _ := k.KeyID()
	if jwk.IsUnsupportedKey(k) {
		return Key{}, fmt.Sprintf("an unsupported key type %q", k.KeyType().String())
	}
	if use, ok := k.KeyUsage(); ok && use != "sig" {
		return Key{}, fmt.Sprintf("not a signing key (use: %s)", use)
	}
	if ops, ok := k.KeyOps(); ok {
		verify := false
		for _, op := range ops {
			verify = verify || op == jwk.KeyOpVerify
		}
		if !verify {
			return Key{}, fmt.Sprintf("its key_ops %v do not allow verify", ops)
		}
	}
	key := Key{ID: kid, Type: k.KeyType().String(), Source: source}
	if alg, ok := k.Algorithm(); ok {
		key.Alg = alg.String()
	}
	if key.Type == "oct" {
		if !secrets {
			return Key{}, "a symmetric key: give shared secrets with --secret, never in a published JWKS"
		}
		var secret []byte
		if err := jwk.Export(k, &secret); err != nil || len(secret) == 0 {
			return Key{}, "an empty or unreadable secret"
		}
		sk := SecretKey(secret, source)
		sk.ID, sk.Alg = kid, key.Alg
		if sk.Alg != "" && len(sk.Algorithms(true)) == 0 {
			return Key{}, fmt.Sprintf("it declares alg %q, which is not an HMAC algorithm", sk.Alg)
		}
		return sk, ""
	}
	if err := k.Validate(); err != nil {
		return Key{}, "not a valid key: " + shortJWXError(err)
	}
	pub, err := jwk.PublicKeyOf(k)
	if err != nil {
		return Key{}, "no public key: " + shortJWXError(err)
	}
	var raw any
	if err := jwk.Export(pub, &raw); err != nil {
		return Key{}, "no public key: " + shortJWXError(err)
	}
	p, detail, reason := checkPublic(raw)
	if reason != "" {
		return Key{}, reason
	}
	key.Public, key.Detail = p, detail
	// RFC 7517 §4.7: "The key in the first certificate MUST match the
	// public key represented by other members of the JWK."
	if chain, ok := k.X509CertChain(); ok && chain.Len() > 0 {
		b, _ := chain.Get(0)
		der, err := base64.StdEncoding.DecodeString(string(b))
		if err != nil {
			return Key{}, "its x5c certificate is not base64 DER"
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return Key{}, "its x5c certificate is not a valid X.509 certificate"
		}
		if eq, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(p) {
			return Key{}, fmt.Sprintf("its x5c certificate (%s) and its key members disagree: the certificate holds another public key (RFC 7517 §4.7)", certName(c))
		}
	}
	if key.Alg != "" && len(key.Algorithms(false)) == 0 {
		return Key{}, fmt.Sprintf("it declares alg %q, which does not fit a %s key", key.Alg, key.Detail)
	}
	return key, ""
}

// checkPublic takes a public key as the standard library has it and
// returns it with a description, or says why it cannot be used.
func checkPublic(raw any) (pub any, detail, reason string) {
	switch p := raw.(type) {
	case *rsa.PublicKey:
		detail = fmt.Sprintf("RSA %d", p.N.BitLen())
		if r := rsaReason(p.N.BitLen(), big.NewInt(int64(p.E))); r != "" {
			return nil, detail, r
		}
		if rocaVulnerable(p.N) {
			return nil, detail, "generated by a library with the ROCA flaw (CVE-2017-15361): its private key can be computed"
		}
		return p, detail, ""
	case *ecdsa.PublicKey:
		// A point off the curve is an invalid-curve attack waiting to
		// happen; crypto/ecdh checks what crypto/ecdsa may not.
		if _, err := p.ECDH(); err != nil {
			return nil, "", "not a valid EC public key: the point is not on curve " + p.Curve.Params().Name
		}
		switch name := p.Curve.Params().Name; name {
		case "P-256", "P-384", "P-521":
			return p, "EC " + name, ""
		default:
			return nil, "", "EC " + name + ", a curve no JWS algorithm uses (RFC 7518 §3.4)"
		}
	case ed25519.PublicKey:
		// A point of small order (the identity among them) makes
		// signatures that verify for any message: anyone could forge.
		pt, err := new(edwards25519.Point).SetBytes(p)
		if err != nil || len(p) != ed25519.PublicKeySize {
			return nil, "", "not a valid Ed25519 public key"
		}
		if new(edwards25519.Point).MultByCofactor(pt).Equal(edwards25519.NewIdentityPoint()) == 1 {
			return nil, "", "an Ed25519 point of small order: signatures would verify for any message"
		}
		return p, "Ed25519", ""
	case *ecdh.PublicKey:
		return nil, "", "an X25519/ECDH key, which encrypts and cannot verify signatures"
	}
	return nil, "", fmt.Sprintf("a key type jwtrace cannot verify with (%T)", raw)
}

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

// kids lists the key IDs of the usable keys, sorted, for messages.
func kids(keys []Key) string {
	var ids []string
	for _, k := range keys {
		if k.refused != "" {
			continue
		}
		if k.ID != "" {
			ids = append(ids, k.ID)
		} else {
			ids = append(ids, "(no kid) "+k.Detail)
		}
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// withSource names a key and where it came from, once: a kid-less key's
// Name already says its source.
func (k *Key) withSource() string {
	if k.ID == "" {
		return k.Name()
	}
	return k.Name() + " from " + k.Source
}

// dropRefused returns the usable keys among matched and, when kid names a
// refused key, that key.
func dropRefused(matched []Key, kid string) (usable []Key, refused *Key) {
	n := 0
	for i := range matched {
		if matched[i].refused != "" {
			n++
		}
	}
	if n == 0 {
		return matched, nil
	}
	usable = make([]Key, 0, len(matched)-n)
	for i := range matched {
		switch {
		case matched[i].refused == "":
			usable = append(usable, matched[i])
		case kid != "" && matched[i].ID == kid && refused == nil:
			refused = &matched[i]
		}
	}
	return usable, refused
}

// sigSize is the length of an alg signature made with k (RFC 7518 §3.2-3.5,
// RFC 8037 §3.1), or 0 when it is not fixed.
func sigSize(k *Key, alg string) int {
	switch p := k.Public.(type) {
	case *rsa.PublicKey:
		return (p.N.BitLen() + 7) / 8
	case *ecdsa.PublicKey:
		return 2 * ((p.Curve.Params().BitSize + 7) / 8)
	case ed25519.PublicKey:
		return ed25519.SignatureSize
	case []byte:
		switch alg {
		case "HS256":
			return 32
		case "HS384":
			return 48
		case "HS512":
			return 64
		}
	}
	return 0
}

// sigSizeProblem says when a signature of n bytes cannot be one of alg by
// any of keys, which all make signatures of one size: a cut token is not a
// tampered one.
func sigSizeProblem(keys []Key, alg string, n int) (detail, hint string) {
	want := 0
	for i := range keys {
		s := sigSize(&keys[i], alg)
		if s == 0 || (want != 0 && s != want) {
			return "", ""
		}
		want = s
	}
	switch {
	case want == 0 || n == want:
		return "", ""
	case n < want:
		return fmt.Sprintf("the signature is %d of %d bytes: the token looks truncated", n, want),
			"copy the whole token: logs, terminals and headers of limited size cut long tokens"
	default:
		return fmt.Sprintf("the signature is %d bytes; an %s signature with this key is %d", n, alg, want),
			"the signature part holds extra data: the token was joined with other text or altered"
	}
}
