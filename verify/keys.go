package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
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
		algs = curveAlgs(pub.Curve.Params().Name)
	case ed25519.PublicKey:
		algs = edAlgs
	case []byte:
		for _, a := range algTable {
			if a.hashBytes > 0 && (weak || len(pub) >= a.hashBytes) {
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
