package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests sign tokens by hand, with the standard library, so that they
// can build exactly the malformed and hostile tokens they need.

var (
	testNow = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
	b64     = base64.RawURLEncoding

	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsaKey2  *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
	edPub    ed25519.PublicKey
	edKey    ed25519.PrivateKey
)

const testIssuer = "https://login.example.com/acme/v2.0"

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if edPub, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
}

// rawJSON marshals v, or returns s unchanged when v is already a string of
// JSON (so tests can write duplicate keys or odd spacing).
func rawJSON(t testing.TB, v any) []byte {
	t.Helper()
	if s, ok := v.(string); ok {
		return []byte(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sign builds a compact JWS over header and claims (maps or JSON strings)
// with the given key: *rsa.PrivateKey (RS256/PS256 by header alg),
// *ecdsa.PrivateKey, ed25519.PrivateKey, or []byte for HMAC.
func sign(t testing.TB, key any, header, claims any) string {
	t.Helper()
	hb, cb := rawJSON(t, header), rawJSON(t, claims)
	input := b64.EncodeToString(hb) + "." + b64.EncodeToString(cb)
	var alg struct{ Alg string }
	_ = json.Unmarshal(hb, &alg)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if strings.HasPrefix(alg.Alg, "PS") {
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
		}
	case *ecdsa.PrivateKey:
		var r, s []byte
		rr, ss, e := ecdsa.Sign(rand.Reader, k, sum[:])
		err = e
		if e == nil {
			r, s = rr.FillBytes(make([]byte, 32)), ss.FillBytes(make([]byte, 32))
			sig = append(r, s...)
		}
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(input))
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case nil:
	default:
		t.Fatalf("sign: unknown key %T", key)
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

// claims returns a good claim set for testIssuer and api://workouts,
// issued five minutes before testNow, valid for an hour, with overrides
// (a nil value deletes the claim).
func claims(over map[string]any) map[string]any {
	c := map[string]any{
		"iss": testIssuer,
		"sub": "alice",
		"aud": "api://workouts",
		"iat": testNow.Add(-5 * time.Minute).Unix(),
		"nbf": testNow.Add(-5 * time.Minute).Unix(),
		"exp": testNow.Add(55 * time.Minute).Unix(),
		"scp": "workouts.read workouts.write",
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func rsHeader(kid string) map[string]any {
	return map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}
}

func rsaPublic(kid string, k *rsa.PrivateKey) Key {
	return Key{ID: kid, Type: "RSA", Detail: "RSA 2048", Source: "test", Public: &k.PublicKey}
}

// baseRules accept testIssuer and api://workouts at testNow.
func baseRules() Rules {
	return Rules{Issuers: []string{testIssuer}, Audiences: []string{"api://workouts"}, At: testNow}
}

func newVerifier(rules Rules, keys ...Key) *Verifier {
	return &Verifier{Keys: NewKeySet("the test keys", keys, nil, nil), Rules: rules, Explain: testFillFailures}
}

// check finds a check by name, its text filled as verify's command line
// shows it.
func check(t testing.TB, r *Result, name string) Check {
	t.Helper()
	rendered(r)
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, r.Checks)
	return Check{}
}

// mustFail asserts the token is rejected by the named check, with a detail
// containing want.
func mustFail(t testing.TB, r *Result, name, want string) {
	t.Helper()
	if r.Valid {
		t.Fatalf("token accepted; want %s to fail with %q\n%s", name, want, dump(r))
	}
	c := check(t, r, name)
	if c.Status != Fail {
		t.Fatalf("%s: status %s, want fail\n%s", name, c.Status, dump(r))
	}
	if !strings.Contains(c.Detail+" "+c.Hint, want) {
		t.Fatalf("%s: detail %q / hint %q, want it to contain %q", name, c.Detail, c.Hint, want)
	}
}

func mustPass(t testing.TB, r *Result) {
	t.Helper()
	if !r.Valid {
		t.Fatalf("token rejected: %s\n%s", r.Summary, dump(r))
	}
}

func dump(r *Result) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}

var bg = context.Background()
