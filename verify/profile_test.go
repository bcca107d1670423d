package verify

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// testLib is a validator of the tests' own, so that the semantics of each
// profile field are tested apart from the real libraries' data
// (profiles_test.go checks those against their sources).
var testLib = &Profile{
	Name:    "test-lib",
	Library: "test",
	Version: "v0",
	Sources: []string{"profile_test.go"},
	Defaults: Policy{
		ExpLeeway:  DurationOf(0),
		NbfLeeway:  DurationOf(5 * time.Minute),
		Algs:       List("RS256"),
		TypAllowed: List("JWT"),
	},
	IssuerUnset:   UnsetSkip,
	AudienceUnset: UnsetRejectPresent,
	Words:         map[string]string{"nbf_leeway": "NbfSkew"},
}

func init() { profileIndex()[testLib.Name] = testLib }

// profileVerify verifies a token of claims (over) and header under the
// policy, at testNow, with the test RSA key.
func profileVerify(t *testing.T, p Policy, header map[string]any, over map[string]any) *Result {
	t.Helper()
	testKeys(t)
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	rules := p.Rules()
	rules.At = testNow
	if header == nil {
		header = rsHeader("k1")
	}
	return newVerifier(rules, rsaPublic("k1", rsaKey)).Verify(bg, sign(t, rsaKey, header, claims(over)))
}

func withTestLib(p Policy) Policy {
	p.Validator = Some("test-lib")
	return p
}

func TestAValidatorsLeewayIsPerClaim(t *testing.T) {
	p := withTestLib(Policy{Issuer: List(testIssuer), Audience: List("api://workouts")})

	// nbf 4 minutes ahead: inside the profile's 5m on nbf.
	r := profileVerify(t, p, nil, map[string]any{"nbf": testNow.Add(4 * time.Minute).Unix()})
	mustPass(t, r)
	c := check(t, r, CheckNotBefore)
	if c.Code != CodeNbfInLeeway || c.By != "test-lib" {
		t.Fatalf("nbf: code %s by %q, want %s by test-lib", c.Code, c.By, CodeNbfInLeeway)
	}
	if want := "test-lib allows 5m0s of clock skew on nbf (NbfSkew)"; !strings.Contains(c.Detail, want) {
		t.Errorf("nbf detail %q lacks %q", c.Detail, want)
	}

	// exp 1 second ago: the profile allows none on exp.
	r = profileVerify(t, p, nil, map[string]any{"exp": testNow.Add(-time.Second).Unix()})
	mustFail(t, r, CheckExpiry, "test-lib allows no clock skew on exp")

	// A declared leeway replaces the profile's per claim: 30s on both.
	p.Leeway = DurationOf(30 * time.Second)
	r = profileVerify(t, p, nil, map[string]any{"exp": testNow.Add(-time.Second).Unix()})
	mustPass(t, r)
	if c := check(t, r, CheckExpiry); c.Code != CodeExpInLeeway || c.By != "" {
		t.Errorf("exp with a declared leeway: %s by %q, want %s by nobody", c.Code, c.By, CodeExpInLeeway)
	}
	r = profileVerify(t, p, nil, map[string]any{"nbf": testNow.Add(4 * time.Minute).Unix()})
	mustFail(t, r, CheckNotBefore, "not valid yet")
}

func TestWithoutAValidatorTheLeewayIsOneForAll(t *testing.T) {
	p := Policy{Issuer: List(testIssuer), Audience: List("api://workouts"), Leeway: DurationOf(time.Minute)}
	r := profileVerify(t, p, nil, map[string]any{"exp": testNow.Add(-30 * time.Second).Unix(), "nbf": testNow.Add(30 * time.Second).Unix()})
	mustPass(t, r)
	for _, name := range []string{CheckExpiry, CheckNotBefore} {
		if c := check(t, r, name); c.By != "" || !strings.Contains(c.Detail, "within the leeway of 1m0s") {
			t.Errorf("%s: by %q detail %q", name, c.By, c.Detail)
		}
	}
	// exp_leeway alone, declared.
	p.ExpLeeway = DurationOf(0)
	r = profileVerify(t, p, nil, map[string]any{"exp": testNow.Add(-30 * time.Second).Unix()})
	mustFail(t, r, CheckExpiry, "expired 30s ago")
}

func TestAValidatorsTimeRulesThatItDoesNotCheck(t *testing.T) {
	lib := *testLib
	lib.Name = "test-lax"
	lib.Defaults.SkipNbf = Some(true)
	lib.Defaults.AllowFutureIat = Some(true)
	lib.Defaults.AllowNoExp = Some(true)
	profileIndex()[lib.Name] = &lib
	p := Policy{Validator: Some("test-lax"), Issuer: List(testIssuer), Audience: List("api://workouts")}

	r := profileVerify(t, p, nil, map[string]any{"nbf": testNow.Add(10 * time.Minute).Unix(), "iat": testNow.Add(10 * time.Minute).Unix(), "exp": nil})
	mustPass(t, r)
	for name, want := range map[string]Code{CheckNotBefore: CodeNbfNotChecked, CheckIssuedAt: CodeIatFutureAllowed, CheckExpiry: CodeExpAllowed} {
		if c := check(t, r, name); c.Code != want || c.By != "test-lax" {
			t.Errorf("%s: %s by %q, want %s by test-lax", name, c.Code, c.By, want)
		}
	}
	// A declared rule wins over the profile: iat checked again.
	p.AllowFutureIat = Some(false)
	r = profileVerify(t, p, nil, map[string]any{"iat": testNow.Add(10 * time.Minute).Unix()})
	mustFail(t, r, CheckIssuedAt, "issued in the future")

	// Without a validator, a future iat rejects (jwtrace's own rules).
	r = profileVerify(t, Policy{Issuer: List(testIssuer), Audience: List("api://workouts")}, nil, map[string]any{"iat": testNow.Add(10 * time.Minute).Unix()})
	mustFail(t, r, CheckIssuedAt, "issued in the future")
}

func TestAValidatorsTypAndAlgorithms(t *testing.T) {
	p := withTestLib(Policy{Issuer: List(testIssuer), Audience: List("api://workouts")})
	h := rsHeader("k1")
	h["typ"] = "at+jwt"
	mustFail(t, profileVerify(t, p, h, nil), CheckType, "test-lib accepts only typ JWT unless configured")
	delete(h, "typ")
	mustPass(t, profileVerify(t, p, h, nil))

	// A declared typ wins: at+jwt required.
	p.Typ = Some("at+jwt")
	h["typ"] = "at+jwt"
	mustPass(t, profileVerify(t, p, h, nil))

	// PS256 is outside the profile's algorithms.
	p = withTestLib(Policy{Issuer: List(testIssuer), Audience: List("api://workouts")})
	ps := map[string]any{"alg": "PS256", "kid": "k1"}
	mustFail(t, profileVerify(t, p, ps, nil), CheckKey, "test-lib accepts only RS256 unless configured")
	p.Algs = List("RS256", "PS256")
	mustPass(t, profileVerify(t, p, ps, nil))
}

func TestAValidatorWithoutAnAudienceOrIssuer(t *testing.T) {
	// test-lib: no issuer configured is not checked; aud present with no
	// audience configured is refused (PyJWT's quirk).
	p := withTestLib(Policy{})
	r := profileVerify(t, p, nil, map[string]any{"iss": "https://other.example"})
	mustFail(t, r, CheckAudience, "test-lib refuses a token that carries aud when no audience is configured")
	if c := check(t, r, CheckIssuer); c.Status != Skip || !strings.Contains(c.Detail, "test-lib checks no issuer unless one is configured") {
		t.Errorf("issuer: %s %q", c.Status, c.Detail)
	}
	r = profileVerify(t, p, nil, map[string]any{"aud": nil})
	mustPass(t, r)

	lib := *testLib
	lib.Name, lib.AudienceUnset, lib.IssuerUnset = "test-strict", UnsetRejectAll, UnsetRejectAll
	profileIndex()[lib.Name] = &lib
	r = profileVerify(t, Policy{Validator: Some("test-strict")}, nil, nil)
	mustFail(t, r, CheckAudience, "test-strict refuses every token until an audience is configured")
	mustFail(t, r, CheckIssuer, "test-strict refuses every token until an issuer is configured")
}

func TestValidatorIsValidated(t *testing.T) {
	p := Policy{Validator: Some("express-jwt-typo")}
	var re *RuleError
	if err := p.Validate(); !errors.As(err, &re) || re.Problems[0].Code != RuleValidatorUnknown {
		t.Fatalf("unknown validator: %v", err)
	}
	// Without a validator, no issuer and no audience are refused.
	if err := (&Policy{}).Validate(); err == nil {
		t.Fatal("no issuer and no audience: no error")
	}
	p = Policy{Validator: Some("Test-Lib")}
	if err := p.Validate(); err != nil {
		t.Fatalf("a validator says what happens without issuer or audience: %v", err)
	}
	p = Policy{Validator: Some("test-lib"), NbfLeeway: Some(Duration("5"))}
	if err := p.Validate(); !errors.As(err, &re) || re.Problems[0].Code != RuleLeewaySyntax || re.Problems[0].Rule != RuleNbfLeeway {
		t.Fatalf("nbf_leeway 5: %v", err)
	}
}

func TestBecauseNamesTheDefaultThatDecided(t *testing.T) {
	p := withTestLib(Policy{Issuer: List(testIssuer), Audience: List("api://workouts")})
	r := profileVerify(t, p, nil, map[string]any{"nbf": testNow.Add(4 * time.Minute).Unix()})
	rendered(r)
	var got []string
	for _, c := range r.Checks {
		if c.By != "" {
			got = append(got, c.Name)
		}
	}
	if strings.Join(got, ",") != CheckNotBefore {
		t.Errorf("checks a default decided: %v, want only not_before", got)
	}
}

// go-oidc takes the algorithms the provider's discovery lists, those it
// supports (oidc/oidc.go@v3.21.0), RS256 only when it lists none.
func TestAValidatorTakesTheDiscoveredAlgorithms(t *testing.T) {
	p := Policy{Validator: Some("go-oidc")}
	r := p.Rules()
	if strings.Join(r.Algs, ",") != "RS256" {
		t.Fatalf("before discovery: %v, want RS256", r.Algs)
	}
	r.DiscoveredAlgs([]string{"ES256", "HS256", "RS256"})
	if strings.Join(r.Algs, ",") != "ES256,RS256" || r.by(RuleAlg) != "go-oidc" {
		t.Errorf("after discovery: %v by %q, want ES256,RS256 by go-oidc", r.Algs, r.by(RuleAlg))
	}
	p.Algs = List("PS256")
	r = p.Rules()
	r.DiscoveredAlgs([]string{"ES256"})
	if strings.Join(r.Algs, ",") != "PS256" {
		t.Errorf("declared algs: %v, want PS256", r.Algs)
	}
	// jose takes no algorithms from discovery.
	r = (&Policy{Validator: Some("jose")}).Rules()
	r.DiscoveredAlgs([]string{"ES256"})
	if len(r.Algs) != 0 {
		t.Errorf("jose: %v, want the key to decide", r.Algs)
	}
}

// fastify-jwt-jwks checks iss against the JWKS URL's origin and "/" when
// no issuer is configured (@fastify/jwt-jwks index.js@3.0.0).
func TestAnIssuerImpliedByTheJWKSURL(t *testing.T) {
	r := (&Policy{Validator: Some("fastify-jwt-jwks")}).Rules()
	r.ImpliedIssuers("", "https://login.example.com/.well-known/jwks.json")
	if strings.Join(r.Issuers, ",") != "https://login.example.com/" {
		t.Fatalf("issuers %v", r.Issuers)
	}
	testKeys(t)
	r.At = testNow
	res := newVerifier(r, rsaPublic("k1", rsaKey)).Verify(bg, sign(t, rsaKey, rsHeader("k1"), claims(nil)))
	mustFail(t, res, CheckIssuer, "fastify-jwt-jwks checks iss against https://login.example.com/ unless an issuer is configured")
	// A declared issuer wins.
	r = (&Policy{Validator: Some("fastify-jwt-jwks"), Issuer: List(testIssuer)}).Rules()
	r.ImpliedIssuers("", "https://login.example.com/.well-known/jwks.json")
	if strings.Join(r.Issuers, ",") != testIssuer {
		t.Fatalf("declared: %v", r.Issuers)
	}
}

// A profile says it is tested against its library exactly when the
// interop suite runs a server on that library for it.
func TestTestedProfilesHaveAnInteropServer(t *testing.T) {
	b, err := os.ReadFile("../interop/validators_test.go")
	if err != nil {
		t.Fatal(err)
	}
	suite := string(b)
	for _, p := range Profiles() {
		if p.Name == ProfileJWTrace {
			continue
		}
		has := strings.Contains(suite, `Name: "`+p.Name+`"`)
		if has != (p.Tested != "") {
			t.Errorf("%s: Tested %q, but the interop suite runs a server for it: %v", p.Name, p.Tested, has)
		}
	}
}
