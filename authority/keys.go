package authority

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/jwtrace/jwtrace/internal/privfile"
)

// KeysFile is the name of the private JWKS in a state directory.
const KeysFile = "keys.json"

// DefaultAlg is the algorithm of a new authority's first key.
const DefaultAlg = "RS256"

// Algs are the algorithms an authority key can have.
var Algs = []string{"RS256", "ES256", "EdDSA"}

// createdField is the private member of each key in the state file that
// records when the key was made; it is never published.
const createdField = "jwtrace_created"

// Key is a signing key: a private key (or an HMAC secret) with the
// algorithm it signs with and the kid it puts in the header.
type Key struct {
	// JWK holds the private key or secret.
	JWK jwk.Key
	// Alg is the JWS algorithm: RS256, ES256, EdDSA, HS256, ...
	Alg string
	// KID is the key id for the header; "" puts none.
	KID string
	// Created is when an authority key was made (zero for other keys).
	Created time.Time
}

// GenerateKey makes a new authority key for alg (RS256: RSA 2048, ES256:
// P-256, EdDSA: Ed25519) whose kid is its RFC 7638 thumbprint.
func GenerateKey(alg string, now time.Time) (*Key, error) {
	var raw any
	var err error
	switch alg {
	case "RS256":
		raw, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		raw, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, raw, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("unsupported algorithm %q for an authority key: use one of %s", alg, strings.Join(Algs, ", "))
	}
	if err != nil {
		return nil, err
	}
	k, err := jwk.Import(raw)
	if err != nil {
		return nil, err
	}
	kid, err := thumbprint(k)
	if err != nil {
		return nil, err
	}
	sa, _ := jwa.LookupSignatureAlgorithm(alg)
	for name, v := range map[string]any{jwk.KeyIDKey: kid, jwk.AlgorithmKey: sa, jwk.KeyUsageKey: "sig", createdField: now.Unix()} {
		if err := k.Set(name, v); err != nil {
			return nil, err
		}
	}
	return &Key{JWK: k, Alg: alg, KID: kid, Created: time.Unix(now.Unix(), 0).UTC()}, nil
}

// thumbprint is the key's RFC 7638 SHA-256 thumbprint, base64url.
func thumbprint(k jwk.Key) (string, error) {
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// LoadKey reads a private signing key from a file: PEM (PKCS #8, PKCS #1
// or SEC 1), a JWK, or a JWKS holding exactly one key. The algorithm comes
// from the JWK's alg, else from the key type (RSA: RS256, P-256: ES256,
// P-384: ES384, P-521: ES512, Ed25519: EdDSA); the kid from the JWK (a PEM
// has none).
func LoadKey(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseKey(b)
}

// ParseKey is LoadKey for bytes.
func ParseKey(b []byte) (*Key, error) {
	b = bytes.TrimSpace(b)
	var k jwk.Key
	switch {
	case bytes.HasPrefix(b, []byte("-----BEGIN")):
		var err error
		k, err = jwk.ParseKey(b, jwk.WithPEM(true))
		if err != nil {
			return nil, fmt.Errorf("not a PEM private key: %w", err)
		}
	case bytes.HasPrefix(b, []byte("{")):
		set, err := jwk.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("not a JWK or JWKS: %w", err)
		}
		if set.Len() != 1 {
			return nil, fmt.Errorf("the JWKS holds %d keys; give a file with one key", set.Len())
		}
		k, _ = set.Key(0)
	default:
		return nil, errors.New("not a PEM key or a JWK (a PEM file starts with -----BEGIN, a JWK with {)")
	}
	if priv, err := jwk.IsPrivateKey(k); err != nil || !priv {
		return nil, errors.New("the file holds a public key; signing needs the private key")
	}
	key := &Key{JWK: k}
	if kid, ok := k.KeyID(); ok {
		key.KID = kid
	}
	if a, ok := k.Algorithm(); ok {
		key.Alg = a.String()
	} else {
		alg, err := defaultAlgFor(k)
		if err != nil {
			return nil, err
		}
		key.Alg = alg
	}
	return key, nil
}

// defaultAlgFor picks the usual algorithm for a key type.
func defaultAlgFor(k jwk.Key) (string, error) {
	switch k.KeyType() {
	case jwa.RSA():
		return "RS256", nil
	case jwa.EC():
		var crv jwa.EllipticCurveAlgorithm
		if ek, ok := k.(jwk.ECDSAPrivateKey); ok {
			crv, _ = ek.Crv()
		}
		switch crv {
		case jwa.P256():
			return "ES256", nil
		case jwa.P384():
			return "ES384", nil
		case jwa.P521():
			return "ES512", nil
		}
		return "", fmt.Errorf("unsupported EC curve %v", crv)
	case jwa.OKP():
		return "EdDSA", nil
	case jwa.OctetSeq():
		return "HS256", nil
	}
	return "", fmt.Errorf("unsupported key type %v", k.KeyType())
}

// SecretKey is an HMAC key for alg (HS256 when alg is "").
func SecretKey(secret []byte, alg string) (*Key, error) {
	if alg == "" {
		alg = "HS256"
	}
	if !strings.HasPrefix(alg, "HS") {
		return nil, fmt.Errorf("a secret signs with HS256, HS384 or HS512, not %s", alg)
	}
	if len(secret) == 0 {
		return nil, errors.New("the secret is empty")
	}
	k, err := jwk.Import(slices.Clone(secret))
	if err != nil {
		return nil, err
	}
	return &Key{JWK: k, Alg: alg}, nil
}

// Sign serializes header and claims as JSON and signs them with k,
// returning the compact JWS. The header starts from {"alg": k.Alg, "kid":
// k.KID} (no kid when k.KID is ""); entries of header override those, and
// an entry with a nil value removes the field, so a caller can build odd
// tokens on purpose (a header alg that differs from the signing one, no
// kid). Registered claims come first in the payload (iss, sub, aud, exp,
// nbf, iat, jti), the others in sorted order.
func Sign(k *Key, header, claims map[string]any) (string, error) {
	if k == nil || k.JWK == nil {
		return "", errors.New("no signing key")
	}
	sa, ok := jwa.LookupSignatureAlgorithm(k.Alg)
	if !ok || sa == jwa.NoSignature() {
		return "", fmt.Errorf("unsupported signing algorithm %q", k.Alg)
	}
	h := map[string]any{"alg": k.Alg}
	if k.KID != "" {
		h["kid"] = k.KID
	}
	for name, v := range header {
		if v == nil {
			delete(h, name)
		} else {
			h[name] = v
		}
	}
	hb, err := marshalOrdered(h, []string{"alg", "kid", "typ"})
	if err != nil {
		return "", fmt.Errorf("header: %w", err)
	}
	cb, err := marshalOrdered(claims, []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
	if err != nil {
		return "", fmt.Errorf("claims: %w", err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hb) + "." + enc.EncodeToString(cb)
	var raw any
	if err := jwk.Export(k.JWK, &raw); err != nil {
		return "", err
	}
	signer, err := jws.SignerFor(sa)
	if err != nil {
		return "", err
	}
	sig, err := signer.Sign(raw, []byte(input))
	if err != nil {
		return "", fmt.Errorf("sign with %s: %w", k.Alg, err)
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// marshalOrdered writes m as a JSON object, the keys in first in that
// order, then the rest sorted; HTML characters are not escaped.
func marshalOrdered(m map[string]any, first []string) ([]byte, error) {
	var keys []string
	for _, k := range first {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(first, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := encodeJSON(&buf, k); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := encodeJSON(&buf, m[k]); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func encodeJSON(buf *bytes.Buffer, v any) error {
	e := json.NewEncoder(buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	return nil
}

// keyState is the keys of a state directory, oldest first.
type keyState struct {
	keys []*Key
	// mod and size identify the file version read, to notice rotation by
	// another process.
	mod  time.Time
	size int64
}

// maxKeysFile bounds the keys file: an RSA key takes about 3 KiB, so
// this leaves room for a thousand rotations.
const maxKeysFile = 4 << 20

// checkStateDir refuses a state directory others could have written to
// (see privateState); a missing one is fine (exists is then false).
func checkStateDir(dir string) (exists bool, err error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, privateState(dir, fi, true)
}

// readKeys reads the state directory's keys; a missing directory or file
// is no keys. The directory and the file must be private (privateState):
// a key someone else put there would sign tokens and be published.
func readKeys(dir string) (*keyState, error) {
	if ok, err := checkStateDir(dir); err != nil {
		return nil, err
	} else if !ok {
		return &keyState{}, nil
	}
	path := filepath.Join(dir, KeysFile)
	// Checked before opening, so a named pipe is never opened (that would
	// block), and again on the open file, so it cannot be swapped between.
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &keyState{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := privateState(path, fi, false); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := privateState(path, fi, false); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeysFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeysFile {
		return nil, fmt.Errorf("the authority keys file %s is larger than %d MiB; it is not one jwtrace wrote", path, maxKeysFile>>20)
	}
	set, err := jwk.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s is not a JWKS: %w", path, err)
	}
	st := &keyState{mod: fi.ModTime(), size: fi.Size()}
	for i := range set.Len() {
		jk, _ := set.Key(i)
		k := &Key{JWK: jk}
		k.KID, _ = jk.KeyID()
		if a, ok := jk.Algorithm(); ok {
			k.Alg = a.String()
		}
		var created float64
		if jk.Get(createdField, &created) == nil {
			k.Created = time.Unix(int64(created), 0).UTC()
		}
		if k.KID == "" || !slices.Contains(Algs, k.Alg) {
			return nil, fmt.Errorf("%s: key %d has no kid or an unsupported alg %q", path, i, k.Alg)
		}
		st.keys = append(st.keys, k)
	}
	return st, nil
}

// writeKeys writes keys as a private JWKS, mode 0600 in a directory made
// 0700 (and refused when others could write to it), atomically: a
// temporary file renamed over the old one.
func writeKeys(dir string, keys []*Key) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, err := checkStateDir(dir); err != nil {
		return err
	}
	set := jwk.NewSet()
	for _, k := range keys {
		if err := set.AddKey(k.JWK); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	return privfile.WriteFileAtomic(filepath.Join(dir, KeysFile), append(b, '\n'))
}

// KeyInfo describes an authority key without its private part.
type KeyInfo struct {
	KID     string    `json:"kid"`
	Alg     string    `json:"alg"`
	Created time.Time `json:"created"`
	// Signing is true for the key that signs: the newest (an authority
	// configured with another Alg signs with the newest key of that Alg).
	Signing bool `json:"signing"`
}

// Keys lists the keys in a state directory, oldest first; the newest
// signs.
func Keys(stateDir string) ([]KeyInfo, error) {
	st, err := readKeys(stateDir)
	if err != nil {
		return nil, err
	}
	return infos(st.keys), nil
}

func infos(keys []*Key) []KeyInfo {
	var out []KeyInfo
	for i, k := range keys {
		out = append(out, KeyInfo{KID: k.KID, Alg: k.Alg, Created: k.Created, Signing: i == len(keys)-1})
	}
	return out
}

// PublicJWKS is the key set an authority on stateDir publishes, for
// verifying offline.
func PublicJWKS(stateDir string) (jwk.Set, error) {
	st, err := readKeys(stateDir)
	if err != nil {
		return nil, err
	}
	return publicSet(st.keys)
}

// Rotate adds a new key for alg to the state directory (creating it) and
// returns it; the old keys stay and are still published, and the new key
// signs from now on. alg "" means the newest key's algorithm, or
// DefaultAlg for a new directory. A running authority on the same
// directory picks the new key up on its next request.
func Rotate(stateDir, alg string, now time.Time) (KeyInfo, error) {
	if stateDir == "" {
		return KeyInfo{}, errors.New("no state directory")
	}
	st, err := readKeys(stateDir)
	if err != nil {
		return KeyInfo{}, err
	}
	if alg == "" {
		alg = DefaultAlg
		if n := len(st.keys); n > 0 {
			alg = st.keys[n-1].Alg
		}
	}
	k, err := GenerateKey(alg, now)
	if err != nil {
		return KeyInfo{}, err
	}
	if err := writeKeys(stateDir, append(st.keys, k)); err != nil {
		return KeyInfo{}, err
	}
	return KeyInfo{KID: k.KID, Alg: k.Alg, Created: k.Created, Signing: true}, nil
}

// StateKey returns the key that signs for alg in the state directory,
// creating the directory and a key when there is none yet (created is then
// true). alg "" means the newest key, or DefaultAlg when there is none.
// jwtrace mint uses it to sign with the authority's key.
func StateKey(stateDir, alg string, now time.Time) (k *Key, created bool, err error) {
	st, err := readKeys(stateDir)
	if err != nil {
		return nil, false, err
	}
	if k := signingKey(st.keys, alg); k != nil {
		return k, false, nil
	}
	if alg == "" {
		alg = DefaultAlg
	}
	k, err = GenerateKey(alg, now)
	if err != nil {
		return nil, false, err
	}
	if err := writeKeys(stateDir, append(st.keys, k)); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// signingKey is the newest key of alg (any alg when alg is ""), or nil.
func signingKey(keys []*Key, alg string) *Key {
	for i := len(keys) - 1; i >= 0; i-- {
		if alg == "" || keys[i].Alg == alg {
			return keys[i]
		}
	}
	return nil
}

// publicSet is the JWKS to publish: the public half of every key, newest
// first, with kid, alg and use.
func publicSet(keys []*Key) (jwk.Set, error) {
	set := jwk.NewSet()
	for i := len(keys) - 1; i >= 0; i-- {
		pub, err := keys[i].JWK.PublicKey()
		if err != nil {
			return nil, err
		}
		_ = pub.Remove(createdField)
		if err := set.AddKey(pub); err != nil {
			return nil, err
		}
	}
	return set, nil
}
