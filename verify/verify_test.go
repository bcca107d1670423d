package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"
)

func TestVerifyAcceptsAGoodTokenAndReportsEveryCheck(t *testing.T) {
	testKeys(t)
	tok := sign(t, rsaKey, rsHeader("k1"), claims(nil))
	r := newVerifier(baseRules(), rsaPublic("k1", rsaKey)).Verify(bg, tok)
	mustPass(t, r)
	if len(r.Checks) != len(CheckNames) {
		t.Fatalf("%d checks, want %d", len(r.Checks), len(CheckNames))
	}
	for i, c := range r.Checks {
		if c.Name != CheckNames[i] {
			t.Errorf("check %d is %s, want %s", i, c.Name, CheckNames[i])
		}
	}
	if got := check(t, r, CheckSignature).Detail; got != `verified with kid "k1" (RSA 2048)` {
		t.Errorf("signature detail %q", got)
	}
	if got := check(t, r, CheckExpiry).Detail; got != "expires in 55m, at 2026-11-27T11:25:00Z" {
		t.Errorf("expiry detail %q", got)
	}
	if r.Summary != "valid: 8 checks passed" || r.Subject != "alice" || r.Key == nil || r.Key.ID != "k1" {
		t.Errorf("summary %q, sub %q, key %+v", r.Summary, r.Subject, r.Key)
	}
}

func TestVerifyAlgorithms(t *testing.T) {
	testKeys(t)
	secret := []byte("0123456789abcdef0123456789abcdef")
	cases := []struct {
		name string
		key  any
		alg  string
		pub  Key
	}{
		{"RS256", rsaKey, "RS256", rsaPublic("k", rsaKey)},
		{"PS256", rsaKey, "PS256", rsaPublic("k", rsaKey)},
		{"ES256", ecKey, "ES256", Key{ID: "k", Type: "EC", Detail: "EC P-256", Public: &ecKey.PublicKey}},
		{"EdDSA", edKey, "EdDSA", Key{ID: "k", Type: "OKP", Detail: "Ed25519", Public: edPub}},
		{"HS256", secret, "HS256", SecretKey(secret, "--secret")},
	}
	for _, c := range cases {
		t.Run(c.name+" verifies with the matching key", func(t *testing.T) {
			tok := sign(t, c.key, map[string]any{"alg": c.alg, "kid": "k"}, claims(nil))
			mustPass(t, newVerifier(baseRules(), c.pub).Verify(bg, tok))
		})
	}
	t.Run("an --alg allow-list refuses other algorithms", func(t *testing.T) {
		tok := sign(t, ecKey, map[string]any{"alg": "ES256", "kid": "k"}, claims(nil))
		rules := baseRules()
		rules.Algs = []string{"RS256"}
		r := newVerifier(rules, cases[2].pub).Verify(bg, tok)
		mustFail(t, r, CheckKey, "alg ES256 is not allowed")
	})
	t.Run("a key that declares an alg verifies only that alg", func(t *testing.T) {
		tok := sign(t, rsaKey, map[string]any{"alg": "PS256", "kid": "k"}, claims(nil))
		pub := rsaPublic("k", rsaKey)
		pub.Alg = "RS256"
		mustFail(t, newVerifier(baseRules(), pub).Verify(bg, tok), CheckKey, "no key can verify PS256")
	})
}

func TestVerifyRules(t *testing.T) {
	testKeys(t)
	pub := rsaPublic("k1", rsaKey)
	verify := func(rules Rules, over map[string]any) *Result {
		return newVerifier(rules, pub).Verify(bg, sign(t, rsaKey, rsHeader("k1"), claims(over)))
	}
	withRules := func(f func(*Rules)) Rules {
		r := baseRules()
		f(&r)
		return r
	}

	t.Run("wrong audience fails and says what the token has", func(t *testing.T) {
		r := verify(withRules(func(r *Rules) { r.Audiences = []string{"api://billing"} }), nil)
		mustFail(t, r, CheckAudience, "token aud [api://workouts] has none of: api://billing")
		if c := check(t, r, CheckAudience); c.Hint != "this token was issued for another API: request one for api://billing" {
			t.Errorf("hint %q", c.Hint)
		}
		// Azure AD's way to ask is the .default scope.
		az := verify(withRules(func(r *Rules) {
			r.Issuers = []string{"https://login.microsoftonline.com/{tenantid}/v2.0"}
			r.Audiences = []string{"api://billing"}
		}), map[string]any{"iss": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", "tid": "9188040d-6c67-4c5b-b112-36a304b66dad"})
		if c := check(t, az, CheckAudience); c.Hint != "this token was issued for another API: request one with scope api://billing/.default" {
			t.Errorf("Azure hint %q", c.Hint)
		}
		if r.Summary != "rejected: 1 of 8 checks failed (audience)" {
			t.Errorf("summary %q", r.Summary)
		}
	})
	t.Run("aud as an array matches any member", func(t *testing.T) {
		mustPass(t, verify(baseRules(), map[string]any{"aud": []string{"api://other", "api://workouts"}}))
	})
	t.Run("an ID token sent to an API gets a hint", func(t *testing.T) {
		r := verify(baseRules(), map[string]any{"aud": "client-123", "nonce": "n"})
		mustFail(t, r, CheckAudience, "looks like an ID token")
	})
	t.Run("a device-flow ID token (no nonce, no scope, a sign-in time) gets the hint too", func(t *testing.T) {
		r := verify(baseRules(), map[string]any{"aud": "device-rs", "auth_time": 1795770000, "scp": nil})
		if c := check(t, r, CheckAudience); !strings.Contains(c.Hint, "looks like an ID token (it has auth_time and no scope)") {
			t.Errorf("hint %q", c.Hint)
		}
		r = verify(baseRules(), map[string]any{"aud": "api://orders", "auth_time": 1795770000, "scope": "orders.read"})
		if c := check(t, r, CheckAudience); strings.Contains(c.Hint, "ID token") {
			t.Errorf("an access token with a scope got %q", c.Hint)
		}
		// An access token without any scope (jwtrace's authority, asked for
		// none) is still an access token: it has client_id, or typ at+jwt.
		r = verify(baseRules(), map[string]any{"aud": "api://orders", "auth_time": 1795770000, "scp": nil, "client_id": "jwtrace"})
		if c := check(t, r, CheckAudience); strings.Contains(c.Hint, "ID token") {
			t.Errorf("an access token with client_id got %q", c.Hint)
		}
		at := newVerifier(baseRules(), pub).Verify(bg, sign(t, rsaKey, map[string]any{"alg": "RS256", "kid": "k1", "typ": "at+jwt"}, claims(map[string]any{"aud": "api://orders", "auth_time": 1795770000, "scp": nil})))
		if c := check(t, at, CheckAudience); strings.Contains(c.Hint, "ID token") {
			t.Errorf("an at+jwt token got %q", c.Hint)
		}
	})
	t.Run("an Azure GUID audience gets a hint about the application ID", func(t *testing.T) {
		r := verify(baseRules(), map[string]any{"aud": "5e0c7f0e-2f7e-4a0b-9d43-0d1c2a9b7e11"})
		mustFail(t, r, CheckAudience, "application (client) ID")
	})
	t.Run("an issuer with a trailing slash fails with a hint", func(t *testing.T) {
		r := verify(baseRules(), map[string]any{"iss": testIssuer + "/"})
		mustFail(t, r, CheckIssuer, "trailing slash the rule lacks")
	})
	t.Run("a missing issuer fails", func(t *testing.T) {
		mustFail(t, verify(baseRules(), map[string]any{"iss": nil}), CheckIssuer, "no iss claim")
	})
	t.Run("skipped issuer and audience are reported loudly", func(t *testing.T) {
		r := verify(Rules{SkipIssuer: true, SkipAudience: true, At: testNow}, map[string]any{"aud": "x", "iss": "y"})
		mustPass(t, r)
		if !strings.Contains(r.Summary, "issuer and audience NOT checked") {
			t.Errorf("summary %q", r.Summary)
		}
		if c := check(t, r, CheckIssuer); c.Status != Skip || !strings.Contains(c.Detail, "--skip-issuer") {
			t.Errorf("issuer check %+v", c)
		}
	})
	t.Run("expired tokens fail, and pass at an earlier --at", func(t *testing.T) {
		over := map[string]any{"exp": testNow.Add(-3 * time.Hour).Unix(), "iat": testNow.Add(-4 * time.Hour).Unix(), "nbf": nil}
		mustFail(t, verify(baseRules(), over), CheckExpiry, "expired 3h ago, at 2026-11-27T07:30:00Z")
		mustPass(t, verify(withRules(func(r *Rules) { r.At = testNow.Add(-200 * time.Minute) }), over))
	})
	t.Run("leeway forgives a little skew", func(t *testing.T) {
		over := map[string]any{"exp": testNow.Add(-30 * time.Second).Unix()}
		mustFail(t, verify(baseRules(), over), CheckExpiry, "expired 30s ago")
		mustPass(t, verify(withRules(func(r *Rules) { r.Leeway = time.Minute }), over))
	})
	t.Run("exp is required unless allowed", func(t *testing.T) {
		mustFail(t, verify(baseRules(), map[string]any{"exp": nil}), CheckExpiry, "no exp claim")
		r := verify(withRules(func(r *Rules) { r.AllowNoExp = true }), map[string]any{"exp": nil})
		mustPass(t, r)
		if c := check(t, r, CheckExpiry); c.Status != Skip {
			t.Errorf("expiry %+v", c)
		}
	})
	t.Run("exp as a string is not a NumericDate", func(t *testing.T) {
		mustFail(t, verify(baseRules(), map[string]any{"exp": "1795777331"}), CheckExpiry, "not a NumericDate")
	})
	t.Run("nbf and iat in the future fail", func(t *testing.T) {
		future := testNow.Add(10 * time.Minute).Unix()
		mustFail(t, verify(baseRules(), map[string]any{"nbf": future}), CheckNotBefore, "not valid yet")
		mustFail(t, verify(baseRules(), map[string]any{"iat": future, "nbf": nil}), CheckIssuedAt, "issued in the future")
	})
	t.Run("typ at+jwt matches application/at+jwt", func(t *testing.T) {
		rules := withRules(func(r *Rules) { r.Typ = "at+jwt" })
		tok := sign(t, rsaKey, map[string]any{"alg": "RS256", "kid": "k1", "typ": "application/at+jwt"}, claims(nil))
		mustPass(t, newVerifier(rules, pub).Verify(bg, tok))
		mustFail(t, verify(rules, nil), CheckType, `typ "JWT"; expected at+jwt`)
	})
	t.Run("required claims with and without values", func(t *testing.T) {
		rules := withRules(func(r *Rules) {
			r.Require = []Requirement{{Claim: "email_verified", Value: "true", HasValue: true}, {Claim: "roles", Value: "admin", HasValue: true}, {Claim: "oid"}}
		})
		mustPass(t, verify(rules, map[string]any{"email_verified": true, "roles": []string{"reader", "admin"}, "oid": "x"}))
		mustFail(t, verify(rules, map[string]any{"email_verified": false, "roles": []string{"reader"}}), CheckClaims,
			`email_verified is false, not "true"; roles is ["reader"], not "admin"; oid is missing`)
	})
	t.Run("scopes come from scp or scope, as a string or an array", func(t *testing.T) {
		rules := withRules(func(r *Rules) { r.Scopes = []string{"workouts.read"} })
		mustPass(t, verify(rules, nil))
		mustPass(t, verify(rules, map[string]any{"scp": nil, "scope": "openid workouts.read"}))
		mustPass(t, verify(rules, map[string]any{"scp": []string{"workouts.read"}}))
		mustFail(t, verify(withRules(func(r *Rules) { r.Scopes = []string{"workouts.admin"} }), nil), CheckScopes,
			"missing workouts.admin; the token has: workouts.read workouts.write")
	})
}

func TestVerifyIssuerTemplatesAndTenants(t *testing.T) {
	testKeys(t)
	pub := rsaPublic("k1", rsaKey)
	const (
		tid      = "9188040d-6c67-4c5b-b112-36a304b66dad"
		other    = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		template = "https://login.microsoftonline.com/{tenantid}/v2.0"
	)
	v2 := "https://login.microsoftonline.com/" + tid + "/v2.0"
	v1 := "https://sts.windows.net/" + tid + "/"
	verify := func(rules Rules, over map[string]any) *Result {
		return newVerifier(rules, pub).Verify(bg, sign(t, rsaKey, rsHeader("k1"), claims(over)))
	}
	rules := func(tenants []string, issuers ...string) Rules {
		r := baseRules()
		r.Issuers, r.Tenants = issuers, tenants
		return r
	}
	t.Run("a template takes the token's tid", func(t *testing.T) {
		r := verify(rules(nil, template), map[string]any{"iss": v2, "tid": tid})
		mustPass(t, r)
		if d := check(t, r, CheckIssuer).Detail; !strings.Contains(d, "template") {
			t.Errorf("detail %q", d)
		}
	})
	t.Run("a template does not let a token claim another tenant's issuer", func(t *testing.T) {
		r := verify(rules(nil, template), map[string]any{"iss": v2, "tid": other})
		mustFail(t, r, CheckIssuer, "is not an accepted issuer")
	})
	t.Run("--tenant limits the tenants a template accepts", func(t *testing.T) {
		mustPass(t, verify(rules([]string{strings.ToUpper(tid)}, template), map[string]any{"iss": v2, "tid": tid}))
		otherIss := "https://login.microsoftonline.com/" + other + "/v2.0"
		mustFail(t, verify(rules([]string{tid}, template), map[string]any{"iss": otherIss, "tid": other}), CheckIssuer,
			"tenant "+other+" is not one of --tenant")
	})
	t.Run("a template without tid in the token says so", func(t *testing.T) {
		mustFail(t, verify(rules(nil, template), map[string]any{"iss": "https://elsewhere.example/"}), CheckIssuer, "no tid claim")
	})
	t.Run("a v1 token matches a v2 rule of the same tenant", func(t *testing.T) {
		r := verify(rules(nil, v2), map[string]any{"iss": v1, "tid": tid, "ver": "1.0"})
		mustPass(t, r)
		if d := check(t, r, CheckIssuer).Detail; !strings.Contains(d, "Azure AD v1 issuer") {
			t.Errorf("detail %q", d)
		}
		mustPass(t, verify(rules(nil, template), map[string]any{"iss": v1, "tid": tid}))
		mustPass(t, verify(rules(nil, v1), map[string]any{"iss": v2, "tid": tid}))
	})
	t.Run("a v1 token of another tenant does not", func(t *testing.T) {
		mustFail(t, verify(rules(nil, v2), map[string]any{"iss": "https://sts.windows.net/" + other + "/", "tid": other}), CheckIssuer,
			"another Azure AD tenant")
	})
}

func TestVerifyRulesMustBeExplicit(t *testing.T) {
	cases := []struct {
		name  string
		rules Rules
		want  string
	}{
		{"no issuer rule", Rules{Audiences: []string{"a"}}, "no issuer rule"},
		{"no audience rule", Rules{Issuers: []string{"i"}}, "no audience rule"},
		{"alg none", Rules{SkipIssuer: true, SkipAudience: true, Algs: []string{"NONE"}}, "--alg none"},
		{"unknown alg", Rules{SkipIssuer: true, SkipAudience: true, Algs: []string{"RS1"}}, "not a JWS algorithm"},
		{"skip with a rule", Rules{Issuers: []string{"i"}, SkipIssuer: true, SkipAudience: true}, "contradict"},
	}
	for _, c := range cases {
		t.Run(c.name+" is a usage error", func(t *testing.T) {
			err := ruleErr(c.rules.Check())
			var re *RuleError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want a RuleError with %q", err, c.want)
			}
		})
	}
	if err := (&Rules{SkipIssuer: true, SkipAudience: true}).Check(); err != nil {
		t.Fatalf("explicit skips: %v", err)
	}
}

func TestVerifyUnknownKidRefetchesOnce(t *testing.T) {
	testKeys(t)
	fetches := 0
	refresh := func(context.Context) ([]Key, error) {
		fetches++
		if fetches == 1 {
			return []Key{rsaPublic("k1", rsaKey), rsaPublic("k2", rsaKey2)}, nil
		}
		return nil, errors.New("fetched twice")
	}
	v := &Verifier{Keys: NewKeySet("the JWKS of https://idp.example/keys", nil, []Key{rsaPublic("k1", rsaKey)}, refresh), Rules: baseRules()}

	// A rotated key: the first fetch lacks k2, the refetch has it.
	r := v.Verify(bg, sign(t, rsaKey2, rsHeader("k2"), claims(nil)))
	mustPass(t, r)
	if fetches != 1 || len(r.Notes) == 0 {
		t.Fatalf("fetches %d, notes %v", fetches, r.Notes)
	}
	// An unknown kid: no second refetch, and the message lists the kids.
	r = v.Verify(bg, sign(t, rsaKey, rsHeader("nope"), claims(nil)))
	mustFail(t, r, CheckKey, `kid "nope" not found in the JWKS of https://idp.example/keys (keys: k1, k2); the keys were refetched once`)
	if fetches != 1 {
		t.Fatalf("refetched %d times", fetches)
	}
	if c := check(t, r, CheckSignature); c.Status != Skip {
		t.Errorf("signature %+v", c)
	}
}

// TestVerifyHostileTokens: every attack in the issue, each rejected with
// its own reason.
func TestVerifyHostileTokens(t *testing.T) {
	testKeys(t)
	pub := rsaPublic("k1", rsaKey)
	good := sign(t, rsaKey, rsHeader("k1"), claims(nil))
	parts := strings.Split(good, ".")
	enc := func(s string) string { return b64.EncodeToString([]byte(s)) }
	payload := parts[1]
	ecPub := Key{ID: "ec1", Type: "EC", Detail: "EC P-256", Public: &ecKey.PublicKey}
	pemBytes, err := os.ReadFile("../testdata/keys/rsa-public.pem")
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		token string
		keys  []Key
		check string
		want  string
	}{
		{"alg none", enc(`{"alg":"none"}`) + "." + payload + ".", nil, CheckFormat, `alg "none"`},
		{"alg NoNe in mixed case", enc(`{"alg":"NoNe"}`) + "." + payload + ".", nil, CheckFormat, `alg "NoNe"`},
		{"alg nONE with a signature", enc(`{"alg":"nONE"}`) + "." + payload + "." + parts[2], nil, CheckFormat, "unsigned tokens are never accepted"},
		{"signature stripped, trailing dot", parts[0] + "." + payload + ".", nil, CheckFormat, "signature was stripped"},
		{"signature stripped, no dot", parts[0] + "." + payload, nil, CheckFormat, "signature part is missing"},
		{"payload swapped after signing", parts[0] + "." + enc(`{"iss":"`+testIssuer+`","aud":"api://workouts","sub":"admin","exp":1895777331}`) + "." + parts[2], nil, CheckSignature, "does not verify"},
		{"RS256 public key used as an HS256 secret",
			sign(t, pemBytes, map[string]any{"alg": "HS256", "kid": "k1"}, claims(nil)), nil, CheckKey, "RS256-to-HS256 key confusion"},
		{"embedded jwk with the attacker's key",
			sign(t, rsaKey2, map[string]any{"alg": "RS256", "kid": "k1", "jwk": map[string]any{"kty": "RSA", "n": b64.EncodeToString(rsaKey2.N.Bytes()), "e": "AQAB"}}, claims(nil)),
			nil, CheckSignature, "never trusts those"},
		{"jku pointing elsewhere", sign(t, rsaKey2, map[string]any{"alg": "RS256", "kid": "k1", "jku": "https://evil.example/jwks"}, claims(nil)), nil, CheckSignature, "never trusts those"},
		{"x5u pointing elsewhere", sign(t, rsaKey2, map[string]any{"alg": "RS256", "x5u": "https://evil.example/cert"}, claims(nil)), nil, CheckSignature, "never trusts those"},
		{"kid with path traversal", sign(t, rsaKey, rsHeader("../../../../dev/null"), claims(nil)), nil, CheckKey, `kid "../../../../dev/null" not found`},
		{"kid with SQL", sign(t, rsaKey, rsHeader("x' UNION SELECT 'secret"), claims(nil)), nil, CheckKey, `not found`},
		{"ES256 all-zero signature (CVE-2022-21449)", enc(`{"alg":"ES256","kid":"ec1"}`) + "." + payload + "." + b64.EncodeToString(make([]byte, 64)), []Key{ecPub}, CheckSignature, "does not verify"},
		{"ES256 r and s equal to the group order", enc(`{"alg":"ES256","kid":"ec1"}`) + "." + payload + "." + b64.EncodeToString(append(elliptic.P256().Params().N.FillBytes(make([]byte, 32)), elliptic.P256().Params().N.FillBytes(make([]byte, 32))...)), []Key{ecPub}, CheckSignature, "does not verify"},
		{"ES256 signature of the wrong length", enc(`{"alg":"ES256","kid":"ec1"}`) + "." + payload + "." + b64.EncodeToString(make([]byte, 63)), []Key{ecPub}, CheckSignature, "does not verify"},
		{"unknown crit", sign(t, rsaKey, map[string]any{"alg": "RS256", "kid": "k1", "crit": []string{"exp"}, "exp": 1}, claims(nil)), nil, CheckFormat, "critical extensions"},
		{"b64 false", sign(t, rsaKey, map[string]any{"alg": "RS256", "kid": "k1", "b64": false, "crit": []string{"b64"}}, claims(nil)), nil, CheckFormat, "critical extensions"},
		{"b64 false without crit", sign(t, rsaKey, map[string]any{"alg": "RS256", "kid": "k1", "b64": false}, claims(nil)), nil, CheckFormat, `"b64"`},
		{"a JWE", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", nil, CheckFormat, "JWE"},
		{"duplicate alg in the header", sign(t, rsaKey, `{"alg":"RS256","kid":"k1","alg":"none"}`, claims(nil)), nil, CheckFormat, `the header repeats "alg"`},
		{"duplicate sub in the claims", sign(t, rsaKey, rsHeader("k1"), `{"iss":"`+testIssuer+`","aud":"api://workouts","exp":1895777331,"sub":"alice","sub":"admin"}`), nil, CheckFormat, `the claims repeat "sub"`},
		{"oversized token", parts[0] + "." + strings.Repeat("A", 300<<10) + "." + parts[2], nil, CheckFormat, "jwtrace reads at most"},
		{"deeply nested claims", sign(t, rsaKey, rsHeader("k1"), `{"a":`+strings.Repeat("[", 5000)+strings.Repeat("]", 5000)+`}`), nil, CheckFormat, "nested more than 32"},
		{"header padding", strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k1"}`)), "") + "=." + payload + "." + parts[2], nil, CheckFormat, "not base64url"},
		{"standard base64 alphabet", parts[0] + "." + strings.ReplaceAll(strings.ReplaceAll(payload, "-", "+"), "_", "/") + "+." + parts[2], nil, CheckFormat, "not base64url"},
		{"header not JSON", enc("alg=RS256") + "." + payload + "." + parts[2], nil, CheckFormat, "not a JSON object"},
		{"four parts", good + ".x", nil, CheckFormat, "4 parts"},
	}
	for _, c := range cases {
		t.Run(c.name+" is rejected", func(t *testing.T) {
			keys := c.keys
			if keys == nil {
				keys = []Key{pub}
			}
			r := newVerifier(baseRules(), keys...).Verify(bg, c.token)
			mustFail(t, r, c.check, c.want)
		})
	}
}

func TestVerifyRefusesInvalidKeys(t *testing.T) {
	testKeys(t)
	t.Run("an EC point off the curve", func(t *testing.T) {
		x := ecKey.X.FillBytes(make([]byte, 32))
		y := new(big.Int).Add(ecKey.Y, big.NewInt(1)).FillBytes(make([]byte, 32))
		jwk := `{"keys":[{"kty":"EC","crv":"P-256","kid":"bad","x":"` + b64.EncodeToString(x) + `","y":"` + b64.EncodeToString(y) + `"}]}`
		keys, notes, err := ParseKeys([]byte(jwk), "test", false)
		if err == nil && len(keys) > 0 {
			t.Fatalf("accepted an off-curve key: %+v", keys)
		}
		t.Logf("err %v, notes %v", err, notes)
	})
	t.Run("a symmetric key in a JWKS is never a public key", func(t *testing.T) {
		keys, notes, err := ParseKeys([]byte(`{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"}]}`), "test", false)
		if err != nil || len(keys) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "--secret") {
			t.Fatalf("keys %v, notes %v, err %v", keys, notes, err)
		}
	})
	t.Run("a short HMAC secret is refused unless allowed", func(t *testing.T) {
		short := []byte("too-short")
		tok := sign(t, short, map[string]any{"alg": "HS256"}, claims(nil))
		mustFail(t, newVerifier(baseRules(), SecretKey(short, "--secret")).Verify(bg, tok), CheckKey, "--allow-weak-secret")
		rules := baseRules()
		rules.AllowWeakSecret = true
		mustPass(t, newVerifier(rules, SecretKey(short, "--secret")).Verify(bg, tok))
	})
	_ = ecdsa.PublicKey{}
}

func TestMoreReviewFindings(t *testing.T) {
	testKeys(t)
	t.Run("an Ed25519 key of small order is refused", func(t *testing.T) {
		x := make([]byte, 32)
		x[0] = 1 // the identity point
		keys, notes, err := ParseKeys([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"id","x":"`+b64.EncodeToString(x)+`"}]}`), "test", false)
		if err != nil || len(keys) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "small order") {
			t.Fatalf("keys %v notes %v err %v", keys, notes, err)
		}
	})
	t.Run("a fetched JWKS that is PEM is refused", func(t *testing.T) {
		pemBytes, _ := os.ReadFile("../testdata/keys/rsa-public.pem")
		if _, _, err := ParseKeys(pemBytes, "https://idp/keys", false); err == nil {
			t.Fatal("PEM accepted as a JWKS")
		}
	})
	t.Run("--tenant compares ASCII case only", func(t *testing.T) {
		rules := baseRules()
		rules.Issuers = []string{"https://login.example.com/{tenantid}/v2.0"}
		rules.Tenants = []string{"kontoso"}
		tok := sign(t, rsaKey, rsHeader("k1"), claims(map[string]any{"iss": "https://login.example.com/\u212Aontoso/v2.0", "tid": "\u212Aontoso"}))
		mustFail(t, newVerifier(rules, rsaPublic("k1", rsaKey)).Verify(bg, tok), CheckIssuer, "is not one of --tenant")
	})
	t.Run("empty rules and --tenant without an issuer rule are usage errors", func(t *testing.T) {
		for _, r := range []Rules{
			{Issuers: []string{""}, Audiences: []string{"a"}},
			{Issuers: []string{"i"}, Audiences: []string{" "}},
			{SkipIssuer: true, Tenants: []string{"t"}, Audiences: []string{"a"}},
		} {
			var re *RuleError
			if err := r.Check(); !errors.As(err, &re) {
				t.Errorf("%+v: %v", r, err)
			}
		}
	})
	t.Run("an unknown kid refetches even when kid-less keys exist", func(t *testing.T) {
		fetches := 0
		refresh := func(context.Context) ([]Key, error) {
			fetches++
			return []Key{rsaPublic("k2", rsaKey2)}, nil
		}
		ec := Key{Type: "EC", Detail: "EC P-256", Source: "ec.pem", Public: &ecKey.PublicKey}
		v := &Verifier{Keys: NewKeySet("keys", []Key{ec}, nil, refresh), Rules: baseRules()}
		mustPass(t, v.Verify(bg, sign(t, rsaKey2, rsHeader("k2"), claims(nil))))
		if fetches != 1 {
			t.Fatalf("%d refetches", fetches)
		}
	})
}
