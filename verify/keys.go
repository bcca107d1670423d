package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	data, err := readFileLimited(path, MaxKeyFileBytes)
	if err != nil {
		return nil, err
	}
	keys, notes, err := ParseKeys(data, path, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no usable verification key (%s)", path, strings.Join(notes, "; "))
	}
	return keys, nil
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

// ParseKeys parses PEM, a JWK or a JWKS. Each JWK is parsed on its own, so
// one bad key (an unknown alg, a point off the curve) costs only that key.
// Keys that cannot verify signatures (encryption keys, key_ops without
// verify, unsupported or unsafe keys) are left out and named in notes.
// local marks a file the user gave (--key): only it may be PEM, and only
// its symmetric keys are taken, as HMAC secrets, never together with
// public keys. A fetched JWKS must be JSON, and its symmetric keys are
// left out.
func ParseKeys(data []byte, source string, local bool) (keys []Key, notes []string, err error) {
	trimmed := bytes.TrimSpace(data)
	var raws []jwk.Key
	switch {
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")) && !local:
		// Only local files are PEM; a JWKS URL that answers PEM is not
		// one.
		return nil, nil, errors.New("PEM where a JWKS (JSON) was expected")
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
		if n := bytes.Count(trimmed, []byte("-----BEGIN")); n > MaxKeys {
			return nil, nil, fmt.Errorf("the file has %d PEM blocks; jwtrace takes at most %d keys", n, MaxKeys)
		}
		set, err := jwk.Parse(trimmed, jwk.WithPEM(true))
		if err != nil {
			return nil, nil, fmt.Errorf("not a PEM public key, certificate or private key: %w", err)
		}
		for i := 0; i < set.Len(); i++ {
			k, _ := set.Key(i)
			raws = append(raws, k)
		}
	case bytes.HasPrefix(trimmed, []byte("{")):
		if err := checkDepth(trimmed); err != nil {
			return nil, nil, err
		}
		var set struct {
			Keys *[]json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(trimmed, &set); err != nil {
			return nil, nil, fmt.Errorf("not a JWK or JWKS: %v", err)
		}
		list := []json.RawMessage{trimmed}
		if set.Keys != nil {
			list = *set.Keys
		}
		if len(list) > MaxKeys {
			return nil, nil, fmt.Errorf("the JWKS has %d keys; jwtrace takes at most %d", len(list), MaxKeys)
		}
		for i, raw := range list {
			k, err := jwk.ParseKey(raw)
			if err != nil {
				notes = append(notes, fmt.Sprintf("key #%d%s is not a usable JWK: %s", i+1, rawKid(raw), shortJWXError(err)))
				continue
			}
			raws = append(raws, k)
		}
	default:
		return nil, nil, errors.New("not PEM (-----BEGIN ...), a JWK or a JWKS (JSON)")
	}
	for _, k := range raws {
		key, note := convertKey(k, source, local)
		if note != "" {
			notes = append(notes, note)
			continue
		}
		keys = append(keys, key)
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
		return nil, notes, errors.New("the key set mixes symmetric (HMAC) and public keys; jwtrace refuses it, since that is how a public key ends up used as an HMAC secret")
	}
	return keys, notes, nil
}

// rawKid names a JWK by its kid, for notes about keys that did not parse.
func rawKid(raw json.RawMessage) string {
	var k struct{ Kid string }
	if json.Unmarshal(raw, &k) == nil && k.Kid != "" {
		return fmt.Sprintf(" (kid %q)", k.Kid)
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
	name := "key"
	if kid != "" {
		name = fmt.Sprintf("key %q", kid)
	}
	if jwk.IsUnsupportedKey(k) {
		return Key{}, fmt.Sprintf("%s has an unsupported key type %q", name, k.KeyType().String())
	}
	if use, ok := k.KeyUsage(); ok && use != "sig" {
		return Key{}, fmt.Sprintf("%s is not a signing key (use: %s)", name, use)
	}
	if ops, ok := k.KeyOps(); ok {
		verify := false
		for _, op := range ops {
			verify = verify || op == jwk.KeyOpVerify
		}
		if !verify {
			return Key{}, fmt.Sprintf("%s does not allow verify (key_ops: %v)", name, ops)
		}
	}
	key := Key{ID: kid, Type: k.KeyType().String(), Source: source}
	if alg, ok := k.Algorithm(); ok {
		key.Alg = alg.String()
	}
	if key.Type == "oct" {
		if !secrets {
			return Key{}, name + " is a symmetric key: give shared secrets with --secret, never in a published JWKS"
		}
		var secret []byte
		if err := jwk.Export(k, &secret); err != nil || len(secret) == 0 {
			return Key{}, name + " is an empty or unreadable secret"
		}
		sk := SecretKey(secret, source)
		sk.ID, sk.Alg = kid, key.Alg
		if sk.Alg != "" && len(sk.Algorithms(true)) == 0 {
			return Key{}, fmt.Sprintf("%s declares alg %q, which is not an HMAC algorithm", name, sk.Alg)
		}
		return sk, ""
	}
	if err := k.Validate(); err != nil {
		return Key{}, fmt.Sprintf("%s is not a valid key: %s", name, shortJWXError(err))
	}
	pub, err := jwk.PublicKeyOf(k)
	if err != nil {
		return Key{}, fmt.Sprintf("%s: %v", name, err)
	}
	var raw any
	if err := jwk.Export(pub, &raw); err != nil {
		return Key{}, fmt.Sprintf("%s: %v", name, err)
	}
	switch p := raw.(type) {
	case *rsa.PublicKey:
		key.Public = p
		key.Detail = fmt.Sprintf("RSA %d", p.N.BitLen())
		switch {
		case p.N.BitLen() < MinRSABits:
			return Key{}, fmt.Sprintf("%s is RSA %d; RFC 7518 §3.3 requires at least %d bits", name, p.N.BitLen(), MinRSABits)
		case p.E < 3 || p.E%2 == 0:
			return Key{}, fmt.Sprintf("%s has the public exponent %d, which no sound RSA key has", name, p.E)
		case rocaVulnerable(p.N):
			return Key{}, name + " was generated by a library with the ROCA flaw (CVE-2017-15361); its private key can be computed"
		}
	case *ecdsa.PublicKey:
		// A point off the curve is an invalid-curve attack waiting to
		// happen; crypto/ecdh checks what crypto/ecdsa may not.
		if _, err := p.ECDH(); err != nil {
			return Key{}, fmt.Sprintf("%s is not a valid EC public key: the point is not on curve %s", name, p.Curve.Params().Name)
		}
		key.Public = p
		key.Detail = "EC " + p.Curve.Params().Name
	case ed25519.PublicKey:
		// A point of small order (the identity among them) makes
		// signatures that verify for any message: anyone could forge.
		pt, err := new(edwards25519.Point).SetBytes(p)
		if err != nil {
			return Key{}, name + " is not a valid Ed25519 public key"
		}
		if new(edwards25519.Point).MultByCofactor(pt).Equal(edwards25519.NewIdentityPoint()) == 1 {
			return Key{}, name + " is an Ed25519 point of small order: signatures would verify for any message"
		}
		key.Public = p
		key.Detail = "Ed25519"
	default:
		return Key{}, fmt.Sprintf("%s has a key type jwtrace cannot verify with (%T)", name, raw)
	}
	if key.Alg != "" && len(key.Algorithms(false)) == 0 {
		return Key{}, fmt.Sprintf("%s declares alg %q, which does not fit a %s key", name, key.Alg, key.Detail)
	}
	return key, ""
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
		return b, "secret file " + path, nil
	case strings.HasPrefix(spec, "env:"):
		name := spec[4:]
		v := getenv(name)
		if v == "" {
			return nil, "", fmt.Errorf("environment variable %s is not set or empty", name)
		}
		return []byte(v), "secret from $" + name, nil
	default:
		return []byte(spec), "--secret", nil
	}
}

// kids lists the key IDs of keys, sorted, for messages.
func kids(keys []Key) string {
	var ids []string
	for _, k := range keys {
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
