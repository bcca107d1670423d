//go:build ignore

// gen writes the sample tokens in testdata/tokens and the keys that signed
// them in testdata/keys. The keys are test keys, published on purpose:
// never trust them anywhere.
//
//	go run testdata/gen.go
//
// Keys are generated afresh on every run, so rerunning changes every file;
// commit the results together.
package main

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var b64 = base64.RawURLEncoding

// The moment the sample tokens were issued: 2026-11-27 10:02:11 UTC.
var issued = time.Date(2026, 11, 27, 10, 2, 11, 0, time.UTC).Unix()

const tenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

func main() {
	must(os.MkdirAll("testdata/tokens", 0o755))
	must(os.MkdirAll("testdata/keys", 0o755))

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	encKey, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	hmacSecret := []byte("jwtrace-test-secret-0123456789abcdef") // 36 bytes, enough for HS256

	writePEM("testdata/keys/rsa-private.pem", "PRIVATE KEY", pkcs8(rsaKey))
	writePEM("testdata/keys/rsa-public.pem", "PUBLIC KEY", pkix(&rsaKey.PublicKey))
	writePEM("testdata/keys/ec-private.pem", "PRIVATE KEY", pkcs8(ecKey))
	writePEM("testdata/keys/ec-public.pem", "PUBLIC KEY", pkix(&ecKey.PublicKey))
	writePEM("testdata/keys/enc-private.pem", "PRIVATE KEY", pkcs8(encKey))
	write("testdata/keys/hs256.secret", string(hmacSecret)+"\n")
	jwks := map[string]any{"keys": []any{
		map[string]any{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": b64.EncodeToString(rsaKey.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(rsaKey.E)).Bytes())},
		map[string]any{"kty": "EC", "kid": "ec1", "use": "sig", "crv": "P-256",
			"x": b64.EncodeToString(pad32(ecKey.X.Bytes())), "y": b64.EncodeToString(pad32(ecKey.Y.Bytes()))},
	}}
	write("testdata/keys/jwks.json", string(indent(jwks))+"\n")

	iss := "https://login.microsoftonline.com/" + tenant + "/v2.0"

	// An Azure AD v2 style access token for an API (RFC 9068 typ).
	access := signRS(rsaKey, obj("typ", "at+jwt", "alg", "RS256", "kid", "k1"), obj(
		"aud", "api://workouts",
		"iss", iss,
		"iat", issued, "nbf", issued, "exp", issued+3600,
		"azp", "5e0c7f0e-2f7e-4a0b-9d43-0d1c2a9b7e11",
		"azpacr", "0",
		"name", "Alice Example",
		"oid", "7f1c2a1e-93d4-4d0a-8b41-3c9e1f0a2b6d",
		"preferred_username", "alice@example.com",
		"scp", "workouts.read workouts.write",
		"sub", "QzAQqT9xM0bqB8a1o6x3y0J2dWm8pTz5rV4nLk7c1sE",
		"tid", tenant,
		"ver", "2.0",
	))
	write("testdata/tokens/access.jwt", access+"\n")

	// An OpenID Connect ID token for the same sign-in.
	idToken := signRS(rsaKey, obj("alg", "RS256", "kid", "k1", "typ", "JWT"), obj(
		"iss", iss,
		"sub", "QzAQqT9xM0bqB8a1o6x3y0J2dWm8pTz5rV4nLk7c1sE",
		"aud", "5e0c7f0e-2f7e-4a0b-9d43-0d1c2a9b7e11",
		"exp", issued+3600, "iat", issued, "nbf", issued,
		"auth_time", issued-30,
		"nonce", "n-0S6_WzA2Mj",
		"at_hash", "77QmUPtjPfzWtF2AnpK9RQ",
		"name", "Alice Example",
		"email", "alice@example.com",
		"email_verified", true,
		"tid", tenant,
		"ver", "2.0",
	))
	write("testdata/tokens/id.jwt", idToken+"\n")

	// A token endpoint response with both, and an opaque refresh token.
	write("testdata/tokens/response.json", string(indent(obj(
		"token_type", "Bearer",
		"scope", "openid profile email api://workouts/workouts.read api://workouts/workouts.write",
		"expires_in", 3600,
		"access_token", access,
		"refresh_token", "0.AXEAGAuSwp1Z8kW1vJcR3hK2nQ7y6fI0aLmB4sPqTuVwXyZ",
		"id_token", idToken,
	)))+"\n")

	// The same access token as people paste it.
	write("testdata/tokens/authorization.txt", "Authorization: Bearer "+access+"\n")
	write("testdata/tokens/redirect.txt", "https://app.example.com/callback#id_token="+idToken+"&state=af0ifjsldkj&session_state=7c3e\n")

	// ES256, a service token without an expiry and with a very long lifetime's
	// sibling issue: no exp at all.
	es := signES(ecKey, obj("alg", "ES256", "kid", "ec1", "typ", "JWT"), obj(
		"iss", "https://auth.example.com/",
		"sub", "svc-reports",
		"aud", []string{"https://api.example.com/orders", "https://api.example.com/billing"},
		"iat", issued,
		"client_id", "svc-reports",
		"scope", "orders.read billing.read",
	))
	write("testdata/tokens/es256-no-exp.jwt", es+"\n")

	// HS256 with a long lifetime.
	hs := signHS(hmacSecret, obj("alg", "HS256", "typ", "JWT"), obj(
		"iss", "https://legacy.example.com",
		"sub", "42",
		"aud", "legacy-api",
		"iat", issued, "exp", issued+90*86400,
		"roles", []string{"admin"},
	))
	write("testdata/tokens/hs256-long.jwt", hs+"\n")

	// Unsecured (alg none).
	none := b64.EncodeToString(obj("alg", "none", "typ", "JWT")) + "." +
		b64.EncodeToString(obj("sub", "mallory", "admin", true, "exp", issued+3600)) + "."
	write("testdata/tokens/none.jwt", none+"\n")

	// A nested JWT: an outer JWS whose payload is the access token.
	outerHdr := obj("alg", "ES256", "kid", "ec1", "cty", "JWT")
	nested := sign(outerHdr, []byte(access), func(in []byte) []byte { return esSig(ecKey, in) })
	write("testdata/tokens/nested.jwt", nested+"\n")

	// A real JWE (RSA-OAEP-256 + A256GCM) carrying the ID token.
	write("testdata/tokens/encrypted.jwe", jwe(&encKey.PublicKey, "enc1", []byte(idToken))+"\n")
}

// obj builds a JSON object with keys in the given order.
func obj(kv ...any) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[i])
		v, _ := json.Marshal(kv[i+1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func indent(v any) []byte {
	if raw, ok := v.([]byte); ok {
		var out strings.Builder
		var x json.RawMessage = raw
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		must(enc.Encode(x))
		return []byte(strings.TrimSpace(out.String()))
	}
	b, err := json.MarshalIndent(v, "", "  ")
	must(err)
	return b
}

func sign(hdr, payload []byte, f func([]byte) []byte) string {
	in := b64.EncodeToString(hdr) + "." + b64.EncodeToString(payload)
	return in + "." + b64.EncodeToString(f([]byte(in)))
}

func signRS(k *rsa.PrivateKey, hdr, claims []byte) string {
	return sign(hdr, claims, func(in []byte) []byte {
		h := sha256.Sum256(in)
		s, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
		must(err)
		return s
	})
}

func esSig(k *ecdsa.PrivateKey, in []byte) []byte {
	h := sha256.Sum256(in)
	r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
	must(err)
	return append(pad32(r.Bytes()), pad32(s.Bytes())...)
}

func signES(k *ecdsa.PrivateKey, hdr, claims []byte) string {
	return sign(hdr, claims, func(in []byte) []byte { return esSig(k, in) })
}

func signHS(secret, hdr, claims []byte) string {
	return sign(hdr, claims, func(in []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(in)
		return m.Sum(nil)
	})
}

func jwe(pub *rsa.PublicKey, kid string, plaintext []byte) string {
	hdr := b64.EncodeToString(obj("alg", "RSA-OAEP-256", "enc", "A256GCM", "kid", kid, "cty", "JWT"))
	cek := make([]byte, 32)
	iv := make([]byte, 12)
	_, _ = rand.Read(cek)
	_, _ = rand.Read(iv)
	ek, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	must(err)
	block, err := aes.NewCipher(cek)
	must(err)
	gcm, err := cipher.NewGCM(block)
	must(err)
	sealed := gcm.Seal(nil, iv, plaintext, []byte(hdr))
	ct, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	return strings.Join([]string{hdr, b64.EncodeToString(ek), b64.EncodeToString(iv), b64.EncodeToString(ct), b64.EncodeToString(tag)}, ".")
}

func pad32(b []byte) []byte {
	out := make([]byte, 32)
	copy(out[32-len(b):], b)
	return out
}

func pkcs8(k any) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	must(err)
	return b
}

func pkix(k any) []byte {
	b, err := x509.MarshalPKIXPublicKey(k)
	must(err)
	return b
}

func writePEM(path, typ string, der []byte) {
	write(path, string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})))
}

func write(path, s string) {
	must(os.MkdirAll(filepath.Dir(path), 0o755))
	must(os.WriteFile(path, []byte(s), 0o644))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
