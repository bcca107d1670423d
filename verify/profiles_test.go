package verify

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// profileWant is what a library does by default, written from the source
// each profile cites (verify/profiles.go names the file and version of
// every value), not from the profile itself.
type profileWant struct {
	expLeeway, nbfLeeway time.Duration
	nbfChecked           bool
	futureIatAccepted    bool
	expRequired          bool
	typAllowed           []string // nil: any typ
	algs                 []string // nil: any the key fits
	issuer, audience     Unset
	status               int
	byCheck              map[string]int
	challenge            ChallengeForm
	claimError           string
	body                 string
}

var profileWants = map[string]profileWant{
	// jwtrace's own: verify/times.go, verify/claims.go.
	ProfileJWTrace: {
		nbfChecked: true, expRequired: true,
		issuer: UnsetDiscovered, audience: UnsetSkip,
		status: 401, challenge: ChallengeApp,
	},
	// TokenValidationParameters.cs@8.1.2 DefaultClockSkew 300s,
	// RequireExpirationTime; ValidatorUtilities.cs ValidateLifetime;
	// Validators.cs IDX10208; JwtBearerHandler.cs challenge.
	"aspnetcore": {
		expLeeway: 5 * time.Minute, nbfLeeway: 5 * time.Minute,
		nbfChecked: true, futureIatAccepted: true, expRequired: true,
		issuer: UnsetDiscovered, audience: UnsetRejectAll,
		status: 401, byCheck: map[string]int{CheckScopes: 403, CheckClaims: 403},
		challenge: ChallengeRFC6750, body: "empty",
	},
	// JwtTimestampValidator.java@7.1.1 (60s, allowEmptyExpiryClaim),
	// JwtTypeValidator.jwt(), NimbusJwtDecoder RS256,
	// BearerTokenAuthenticationEntryPoint / BearerTokenAccessDeniedHandler.
	"spring-security": {
		expLeeway: 60 * time.Second, nbfLeeway: 60 * time.Second,
		nbfChecked: true, futureIatAccepted: true,
		typAllowed: []string{"JWT"}, algs: []string{"RS256"},
		issuer: UnsetDiscovered, audience: UnsetSkip,
		status: 401, byCheck: map[string]int{CheckScopes: 403, CheckClaims: 403},
		challenge: ChallengeRFC6750, claimError: "insufficient_scope", body: "empty",
	},
	// jwt-verifier.ts@v1.10.0 clockTolerance = 5, audience asserted;
	// validate.ts exp a number; errors.ts; claim-check.ts requiredScopes.
	"express-oauth2-jwt-bearer": {
		expLeeway: 5 * time.Second, nbfLeeway: 5 * time.Second,
		nbfChecked: true, futureIatAccepted: true, expRequired: true,
		issuer: UnsetDiscovered, audience: UnsetRejectAll,
		status: 401, byCheck: map[string]int{CheckScopes: 403},
		challenge: ChallengeRFC6750, claimError: "insufficient_scope", body: "html",
	},
	// express-jwt src/index.ts@v8.5.1, jsonwebtoken verify.js@9.0.x.
	"express-jwt": {
		nbfChecked: true, futureIatAccepted: true,
		algs:   []string{"RS256"},
		issuer: UnsetSkip, audience: UnsetSkip,
		status: 401, challenge: ChallengeNone, body: "html",
	},
	// jose src/lib/jwt_claims_set.ts@v6.2.10.
	"jose": {
		nbfChecked: true, futureIatAccepted: true,
		issuer: UnsetSkip, audience: UnsetSkip,
		status: 401, challenge: ChallengeApp,
	},
	// fastify-jwt-jwks index.js@v3.0.0, fast-jwt src/verifier.js@v6.3.2.
	"fastify-jwt-jwks": {
		nbfChecked: true, futureIatAccepted: true,
		algs:   []string{"RS256"},
		issuer: UnsetJWKSOrigin, audience: UnsetSkip,
		status: 401, challenge: ChallengeNone, body: "json",
	},
	// go-oidc oidc/verify.go@v3.21.0: no skew on exp, 5 minutes on nbf.
	"go-oidc": {
		expLeeway: 0, nbfLeeway: 5 * time.Minute,
		nbfChecked: true, futureIatAccepted: true, expRequired: true,
		algs:   []string{"RS256"},
		issuer: UnsetDiscovered, audience: UnsetRejectAll,
		status: 401, challenge: ChallengeApp,
	},
	// golang-jwt validator.go@v5.3.1.
	"golang-jwt": {
		nbfChecked: true, futureIatAccepted: true,
		issuer: UnsetSkip, audience: UnsetSkip,
		status: 401, challenge: ChallengeApp,
	},
	// PyJWT jwt/api_jwt.py@2.12.1: iat > now+leeway is
	// ImmatureSignatureError; aud without an audience is
	// InvalidAudienceError.
	"pyjwt": {
		nbfChecked: true,
		issuer:     UnsetSkip, audience: UnsetRejectPresent,
		status: 401, challenge: ChallengeApp,
	},
	// Envoy authenticator.cc (kClockSkewInSecond 60), filter.cc 403 for
	// JwtAudienceNotAllowed.
	"envoy": {
		expLeeway: 60 * time.Second, nbfLeeway: 60 * time.Second,
		nbfChecked: true, futureIatAccepted: true,
		issuer: UnsetSkip, audience: UnsetSkip,
		status: 401, byCheck: map[string]int{CheckAudience: 403},
		challenge: ChallengeRFC6750, body: "text",
	},
	// mod_auth_openidc src/oauth.c@v2.4.20.2 (exp mandatory, iat slack -1,
	// no nbf), src/proto/proto.c, src/handle/authz.c.
	"mod_auth_openidc": {
		nbfChecked: false, futureIatAccepted: true, expRequired: true,
		issuer: UnsetSkip, audience: UnsetSkip,
		status: 401, challenge: ChallengeRFC6750, claimError: "insufficient_scope", body: "html",
	},
}

// effectiveLeeway is the leeway a profile's defaults give claim ("exp" or
// "nbf"): its own, else Leeway, else none.
func effectiveLeeway(t *testing.T, p Policy, claim string) time.Duration {
	t.Helper()
	o := p.Leeway
	if claim == "exp" && p.ExpLeeway.Set {
		o = p.ExpLeeway
	}
	if claim == "nbf" && p.NbfLeeway.Set {
		o = p.NbfLeeway
	}
	d, err := o.Value.Parse()
	if err != nil {
		t.Fatalf("%s leeway %q: %v", claim, o.Value, err)
	}
	return d
}

func TestProfileDefaultsAreTheCitedOnes(t *testing.T) {
	for _, p := range Profiles() {
		if _, ok := profileWants[p.Name]; !ok {
			t.Errorf("profile %s has no expectations in profileWants: write them from its sources", p.Name)
		}
	}
	for name, w := range profileWants {
		t.Run(name, func(t *testing.T) {
			p := LookupProfile(name)
			if p == nil {
				t.Fatalf("no profile %q", name)
			}
			d := p.Defaults
			if got := effectiveLeeway(t, d, "exp"); got != w.expLeeway {
				t.Errorf("exp leeway %v, want %v", got, w.expLeeway)
			}
			if got := effectiveLeeway(t, d, "nbf"); got != w.nbfLeeway {
				t.Errorf("nbf leeway %v, want %v", got, w.nbfLeeway)
			}
			if got := !d.SkipNbf.Value; got != w.nbfChecked {
				t.Errorf("nbf checked %v, want %v", got, w.nbfChecked)
			}
			if got := d.AllowFutureIat.Value; got != w.futureIatAccepted {
				t.Errorf("future iat accepted %v, want %v", got, w.futureIatAccepted)
			}
			if got := !d.AllowNoExp.Value; got != w.expRequired {
				t.Errorf("exp required %v, want %v", got, w.expRequired)
			}
			if d.Typ.Set {
				t.Errorf("typ %q required by default: no library here requires one", d.Typ.Value)
			}
			if got := []string(d.TypAllowed.Value); !slices.Equal(got, w.typAllowed) || d.TypAllowed.Set != (w.typAllowed != nil) {
				t.Errorf("typ allowed %v (set %v), want %v", got, d.TypAllowed.Set, w.typAllowed)
			}
			if got := splitAll(d.Algs.Value); !slices.Equal(got, w.algs) || d.Algs.Set != (w.algs != nil) {
				t.Errorf("algs %v (set %v), want %v", got, d.Algs.Set, w.algs)
			}
			if p.IssuerUnset != w.issuer || p.AudienceUnset != w.audience {
				t.Errorf("issuer/audience unset %s/%s, want %s/%s", p.IssuerUnset, p.AudienceUnset, w.issuer, w.audience)
			}
			f := p.Failure
			if got := f.StatusFor(CheckExpiry); got != w.status {
				t.Errorf("status %d, want %d", got, w.status)
			}
			for _, c := range CheckNames {
				want := w.status
				if s, ok := w.byCheck[c]; ok {
					want = s
				}
				if got := f.StatusFor(c); got != want {
					t.Errorf("status for %s %d, want %d", c, got, want)
				}
			}
			if f.Challenge != w.challenge || f.ClaimError != w.claimError || f.Body != w.body {
				t.Errorf("failure %s/%q/%q, want %s/%q/%q", f.Challenge, f.ClaimError, f.Body, w.challenge, w.claimError, w.body)
			}
		})
	}
}

// profileDefaultKeys are the Policy fields a profile's defaults may set:
// the rules that differ between libraries. Keys, issuers and audiences are
// the service's own configuration.
var profileDefaultKeys = []string{"leeway", "exp_leeway", "nbf_leeway", "skip_nbf", "allow_future_iat", "allow_no_exp", "typ", "typ_allowed", "algs"}

func TestProfileDefaultsAreValidLibraryRules(t *testing.T) {
	for _, p := range Profiles() {
		for _, f := range policyFields() {
			if p.Defaults.Declares(f.key) && !slices.Contains(profileDefaultKeys, f.key) {
				t.Errorf("%s: defaults declare %s, which is the service's configuration, not a library default", p.Name, f.key)
			}
		}
		d := p.Defaults
		d.Validator = Some(p.Name)
		if err := d.Validate(); err != nil {
			t.Errorf("%s: defaults do not validate: %v", p.Name, err)
		}
		for c := range p.Failure.StatusByCheck {
			if !slices.Contains(CheckNames, c) {
				t.Errorf("%s: StatusByCheck names %q, not a check", p.Name, c)
			}
		}
		switch p.Failure.Challenge {
		case ChallengeRFC6750, ChallengeBare, ChallengeNone, ChallengeApp:
		default:
			t.Errorf("%s: challenge form %q", p.Name, p.Failure.Challenge)
		}
		switch p.Failure.Body {
		case "", "json", "text", "html", "empty":
		default:
			t.Errorf("%s: body %q", p.Name, p.Failure.Body)
		}
		for _, u := range []Unset{p.IssuerUnset, p.AudienceUnset} {
			switch u {
			case UnsetSkip, UnsetDiscovered, UnsetRejectAll, UnsetRejectPresent, UnsetJWKSOrigin:
			default:
				t.Errorf("%s: unset %q", p.Name, u)
			}
		}
		for k, v := range p.Words {
			if policyKeyKnown(k) == "" || strings.TrimSpace(v) == "" {
				t.Errorf("%s: Words[%q] = %q: want a Policy yaml key and the library's setting", p.Name, k, v)
			}
		}
		// Each rule the defaults set has the library's word for it, so a
		// report can name the setting behind a verdict.
		for _, k := range profileDefaultKeys {
			if p.Defaults.Declares(k) && p.Name != ProfileJWTrace && p.Words[k] == "" {
				t.Errorf("%s: defaults set %s but Words has no setting for it", p.Name, k)
			}
		}
	}
}

// policyKeyKnown is key when it is a Policy yaml key, else "".
func policyKeyKnown(key string) string {
	for _, f := range policyFields() {
		if f.key == key {
			return key
		}
	}
	return ""
}

var versionedSource = regexp.MustCompile(`@[0-9A-Za-z.]+|\(documentation|^https://`)

func TestProfileSourcesNameAVersion(t *testing.T) {
	for _, p := range Profiles() {
		if strings.TrimSpace(p.Version) == "" || strings.TrimSpace(p.Library) == "" || len(p.Sources) == 0 {
			t.Errorf("%s: library %q version %q sources %v: all three are required", p.Name, p.Library, p.Version, p.Sources)
		}
		if p.Name == ProfileJWTrace {
			continue // this repository's own files, at this build
		}
		for _, s := range p.Sources {
			if !versionedSource.MatchString(s) {
				t.Errorf("%s: source %q names no version (path@version) and is not documentation", p.Name, s)
			}
		}
	}
}

var profileName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func TestProfileNamesAreUniqueAndLowercase(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range profiles() {
		if !profileName.MatchString(p.Name) {
			t.Errorf("profile name %q: want lowercase letters, digits, - and _", p.Name)
		}
		if seen[p.Name] {
			t.Errorf("profile %q declared twice", p.Name)
		}
		seen[p.Name] = true
		if LookupProfile(strings.ToUpper(p.Name)) != p {
			t.Errorf("LookupProfile(%q) is not the profile", strings.ToUpper(p.Name))
		}
	}
	for name := range profileWants {
		if !seen[name] {
			t.Errorf("profile %q is missing", name)
		}
	}
}

// Only libraries that rename claims say how; ASP.NET Core's inbound map is
// the one the issue names (ClaimTypeMapping.cs@8.1.2).
func TestProfileClaimMaps(t *testing.T) {
	for _, p := range Profiles() {
		switch p.Name {
		case "aspnetcore", "spring-security":
			if len(p.Claims) == 0 || p.ClaimsNote == "" {
				t.Errorf("%s: no claim map or note", p.Name)
			}
		default:
			if len(p.Claims) != 0 || p.ClaimsNote != "" {
				t.Errorf("%s: claims %v: this library hands the token's claims as they are", p.Name, p.Claims)
			}
		}
	}
	a := LookupProfile("aspnetcore")
	if a == nil {
		t.Fatal("no aspnetcore profile")
	}
	to := map[string]string{}
	for _, c := range a.Claims {
		to[c.From] = c.To
	}
	for from, want := range map[string]string{
		"sub":         "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
		"unique_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
		"roles":       "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
		"name":        "name",
	} {
		if to[from] != want {
			t.Errorf("aspnetcore maps %s to %q, want %q", from, to[from], want)
		}
	}
	if !strings.Contains(a.ClaimsNote, `NameClaimType = "name"`) || !strings.Contains(a.ClaimsNote, "User.Identity.Name is empty") {
		t.Errorf("aspnetcore note %q does not say User.Identity.Name is empty unless NameClaimType = \"name\"", a.ClaimsNote)
	}
	if a.NameFrom != "unique_name" || a.NameProperty != "User.Identity.Name" || !strings.Contains(a.NameFix, `NameClaimType = "name"`) {
		t.Errorf("aspnetcore name: from %q property %q fix %q", a.NameFrom, a.NameProperty, a.NameFix)
	}
}

var profileRow = regexp.MustCompile("^\\| `([^`]+)` \\|")

// docs/guide/validators.md has a table row for every profile, with the
// version the profile was read from.
func TestValidatorsDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/guide/validators.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		// The profiles table has 12 columns; the claim table 2.
		if m := profileRow.FindStringSubmatch(line); m != nil && len(strings.Split(line, " | ")) >= 12 {
			rows[m[1]] = line
		}
	}
	for _, p := range Profiles() {
		row, ok := rows[p.Name]
		if !ok {
			t.Errorf("docs/guide/validators.md has no row for %s", p.Name)
			continue
		}
		cells := strings.Split(row, " | ")
		if len(cells) < 3 || strings.TrimSpace(cells[2]) != p.Version {
			t.Errorf("docs/guide/validators.md row for %s: version cell %q, want %q", p.Name, cells[min(2, len(cells)-1)], p.Version)
		}
	}
	for name := range rows {
		if LookupProfile(name) == nil {
			t.Errorf("docs/guide/validators.md documents %q, which is no profile", name)
		}
	}
}

// The token matrix through each profile, with issuer and audience
// declared as a service would: the verdict each library gives, worked out
// from the comparisons its cited source makes (e.g. go-oidc verify.go:
// t.Expiry.Before(now) on exp, now.Add(5m).Before(nbf) on nbf).
func TestProfilePredictsItsLibrary(t *testing.T) {
	type tok struct {
		name   string
		header map[string]any
		over   map[string]any
	}
	at := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	atJWT := rsHeader("k1")
	atJWT["typ"] = "at+jwt"
	toks := []tok{
		{"expired 1s", nil, map[string]any{"exp": at(-time.Second)}},
		{"expired 10s", nil, map[string]any{"exp": at(-10 * time.Second)}},
		{"expired 10m", nil, map[string]any{"exp": at(-10 * time.Minute)}},
		{"nbf 4s ahead", nil, map[string]any{"nbf": at(4 * time.Second)}},
		{"nbf 30s ahead", nil, map[string]any{"nbf": at(30 * time.Second)}},
		{"nbf 10m ahead", nil, map[string]any{"nbf": at(10 * time.Minute)}},
		{"future iat", nil, map[string]any{"iat": at(10 * time.Minute)}},
		{"no exp", nil, map[string]any{"exp": nil}},
		{"typ at+jwt", atJWT, nil},
	}
	// accept[profile] is the verdict for each token above, in order.
	accept := map[string][]bool{
		"aspnetcore":                {true, true, false, true, true, false, true, false, true},
		"spring-security":           {true, true, false, true, true, false, true, true, false},
		"express-oauth2-jwt-bearer": {true, false, false, true, false, false, true, false, true},
		"express-jwt":               {false, false, false, false, false, false, true, true, true},
		"jose":                      {false, false, false, false, false, false, true, true, true},
		"fastify-jwt-jwks":          {false, false, false, false, false, false, true, true, true},
		"go-oidc":                   {false, false, false, true, true, false, true, false, true},
		"golang-jwt":                {false, false, false, false, false, false, true, true, true},
		"pyjwt":                     {false, false, false, false, false, false, false, true, true},
		"envoy":                     {true, true, false, true, true, false, true, true, true},
		"mod_auth_openidc":          {false, false, false, true, true, true, true, false, true},
	}
	for name, want := range accept {
		t.Run(name, func(t *testing.T) {
			p := Policy{Validator: Some(name), Issuer: List(testIssuer), Audience: List("api://workouts")}
			for i, tk := range toks {
				r := profileVerify(t, p, tk.header, tk.over)
				if r.Valid != want[i] {
					t.Errorf("%s: accepted %v, want %v: %s", tk.name, r.Valid, want[i], r.Summary)
				}
			}
		})
	}
	// PyJWT refuses any token with aud when no audience is given
	// (api_jwt.py _validate_aud); go-oidc refuses every token without a
	// ClientID.
	r := profileVerify(t, Policy{Validator: Some("pyjwt"), Issuer: List(testIssuer)}, nil, nil)
	if r.Valid {
		t.Error("pyjwt without an audience accepted a token with aud")
	}
	if r := profileVerify(t, Policy{Validator: Some("pyjwt"), Issuer: List(testIssuer)}, nil, map[string]any{"aud": nil}); !r.Valid {
		t.Errorf("pyjwt without an audience refused a token without aud: %s", r.Summary)
	}
	if r := profileVerify(t, Policy{Validator: Some("go-oidc"), Issuer: List(testIssuer)}, nil, nil); r.Valid {
		t.Error("go-oidc without a ClientID accepted a token")
	}
	if r := profileVerify(t, Policy{Validator: Some("golang-jwt"), Issuer: List(testIssuer)}, nil, map[string]any{"aud": "api://other"}); !r.Valid {
		t.Errorf("golang-jwt without WithAudience refused a token for another audience: %s", r.Summary)
	}
}
