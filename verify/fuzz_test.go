package verify

import (
	"strings"
	"testing"
)

// FuzzVerify: no token makes Verify panic, and nothing but a token signed
// by the key passes.
func FuzzVerify(f *testing.F) {
	testKeys(f)
	good := sign(f, rsaKey, rsHeader("k1"), claims(nil))
	f.Add(good)
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("eyJhbGciOiJSUzI1NiIsImNyaXQiOlsiZXhwIl19.e30.c2ln")
	f.Add("a.b.c.d.e")
	v := newVerifier(baseRules(), rsaPublic("k1", rsaKey))
	f.Fuzz(func(t *testing.T, tok string) {
		r := v.Verify(bg, tok)
		if len(r.Checks) != len(CheckNames) {
			t.Fatalf("%d checks, want every one reported", len(r.Checks))
		}
		if r.Valid && tok != good {
			// The fuzzer cannot forge RS256; a different string that
			// passes must be the same token (it can't be: base64url is
			// decoded strictly, so there is one encoding).
			t.Fatalf("a different token passed: %q", tok)
		}
	})
}

// FuzzParseKeys: no key file or JWKS makes ParseKeys panic, and every key
// it returns can name its algorithms.
func FuzzParseKeys(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`))
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, local := range []bool{true, false} {
			keys, _, err := ParseKeys(data, "fuzz", local)
			if err != nil {
				continue
			}
			for _, k := range keys {
				if len(k.Algorithms(true)) == 0 && k.Alg == "" {
					t.Fatalf("key %+v verifies nothing", k)
				}
			}
		}
	})
}
