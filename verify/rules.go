package verify

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Rules are what a token must satisfy besides its signature.
type Rules struct {
	// Issuers are accepted issuers: exact strings, or templates with
	// "{tenantid}" that take the token's tid claim. One must match unless
	// SkipIssuer.
	Issuers    []string
	SkipIssuer bool
	// Tenants, when set, limits the tenants (tid) accepted.
	Tenants []string
	// Audiences: the token's aud must contain one of them unless
	// SkipAudience.
	Audiences    []string
	SkipAudience bool
	// AllowNoExp accepts a token without exp.
	AllowNoExp bool
	// Leeway is the clock skew allowed for exp, nbf and iat.
	Leeway time.Duration
	// At is the moment to evaluate times at.
	At time.Time
	// Algs, when set, is the allow-list of algorithms; otherwise the
	// matched key decides.
	Algs []string
	// Typ, when set, is the required header typ ("at+jwt" matches
	// "application/at+jwt" too).
	Typ string
	// TypGiven says a typ rule was given, even an empty one, so that Check
	// refuses it instead of reading it as no rule: --typ "$TYP" with TYP
	// unset must not turn the check off. Surfaces that cannot tell an
	// empty value from none leave it false.
	TypGiven bool
	// Require lists claims that must be present, with a value when given.
	Require []Requirement
	// Scopes must all be in the token's scp or scope.
	Scopes []string
	// AllowWeakSecret accepts HMAC secrets shorter than the hash.
	AllowWeakSecret bool
}

// Requirement is a --require rule: the claim must exist, and equal Value
// (or, for an array, contain it) when HasValue.
type Requirement struct {
	Claim    string
	Value    string
	HasValue bool
}

func (r Requirement) String() string {
	if r.HasValue {
		return r.Claim + "=" + r.Value
	}
	return r.Claim
}

// ParseRequirement parses CLAIM or CLAIM=VALUE.
func ParseRequirement(s string) (Requirement, error) {
	claim, value, has := strings.Cut(s, "=")
	claim = strings.TrimSpace(claim)
	if claim == "" {
		return Requirement{}, fmt.Errorf("%q: want CLAIM or CLAIM=VALUE", s)
	}
	return Requirement{Claim: claim, Value: value, HasValue: has}, nil
}

// RuleError is a rule set that cannot be used (a usage error).
type RuleError struct{ Msg string }

func (e *RuleError) Error() string { return e.Msg }

// Check refuses rule sets that would silently check less than the user
// thinks: no issuer or audience rule without an explicit skip, unknown
// algorithms, "none".
func (r *Rules) Check() error {
	var msgs []string
	if len(r.Issuers) == 0 && !r.SkipIssuer {
		msgs = append(msgs, "no issuer rule: give --issuer URL (repeatable; {tenantid} templates work), --authority, or --skip-issuer to not check it")
	}
	if len(r.Issuers) > 0 && r.SkipIssuer {
		msgs = append(msgs, "--skip-issuer and an issuer rule contradict each other")
	}
	if len(r.Audiences) == 0 && !r.SkipAudience {
		msgs = append(msgs, "no audience rule: give --audience (repeatable, one of them must be in aud), or --skip-audience to not check it")
	}
	if len(r.Audiences) > 0 && r.SkipAudience {
		msgs = append(msgs, "--skip-audience and --audience contradict each other")
	}
	if len(r.Tenants) > 0 && r.SkipIssuer {
		msgs = append(msgs, "--tenant needs an issuer rule: it limits the tenants a {tenantid} issuer accepts; --skip-issuer turns that off")
	}
	for _, f := range []struct {
		flag string
		list []string
	}{{"--issuer", r.Issuers}, {"--audience", r.Audiences}, {"--tenant", r.Tenants}} {
		for _, v := range f.list {
			if strings.TrimSpace(v) == "" {
				msgs = append(msgs, f.flag+" is empty: an empty rule would accept a token with an empty claim")
				break
			}
		}
	}
	// An empty --scope, --alg or --typ (an unset variable: --scope "$SCOPE")
	// would otherwise read as no rule at all and silently check less.
	if hasBlank(r.Scopes) {
		msgs = append(msgs, "--scope is empty (an unset variable?): give the scopes the token must carry, or leave --scope out to not check them")
	}
	if hasBlank(r.Algs) {
		msgs = append(msgs, "--alg is empty (an unset variable?): give the algorithms to accept (e.g. RS256), or leave --alg out to let the key decide")
	}
	if (r.TypGiven || r.Typ != "") && strings.TrimSpace(r.Typ) == "" {
		msgs = append(msgs, "--typ is empty (an unset variable?): give the header typ to require (e.g. at+jwt), or leave --typ out to not check it")
	}
	for _, a := range r.Algs {
		if strings.TrimSpace(a) == "" {
			continue
		}
		if strings.EqualFold(a, "none") {
			msgs = append(msgs, `--alg none: unsigned tokens are never accepted`)
		} else if !knownAlg(a) {
			msgs = append(msgs, fmt.Sprintf("--alg %s: not a JWS algorithm jwtrace verifies (%s)", a, strings.Join(knownAlgs, ", ")))
		}
	}
	if r.Leeway < 0 {
		msgs = append(msgs, "--leeway must not be negative")
	}
	if len(msgs) > 0 {
		return &RuleError{strings.Join(msgs, "\n")}
	}
	return nil
}

// hasBlank reports whether a list holds an empty or whitespace-only value.
func hasBlank(list []string) bool {
	for _, v := range list {
		if strings.TrimSpace(v) == "" {
			return true
		}
	}
	return false
}

var knownAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "HS256", "HS384", "HS512"}

func knownAlg(a string) bool {
	for _, k := range knownAlgs {
		if k == a {
			return true
		}
	}
	return false
}

// errNoTenant is matchIssuer's reason when a template meets a token with no
// tid claim.
var errNoTenant = errors.New("no tid claim to fill {tenantid}")

// azureIssuer recognises Azure AD issuers: v1 https://sts.windows.net/TID/
// and v2 https://login.microsoftonline.com/TID/v2.0.
func azureIssuer(iss string) (tenant, version string) {
	switch {
	case strings.HasPrefix(iss, "https://sts.windows.net/"):
		t := strings.TrimSuffix(strings.TrimPrefix(iss, "https://sts.windows.net/"), "/")
		if t != "" && !strings.Contains(t, "/") {
			return t, "v1"
		}
	case strings.HasPrefix(iss, "https://login.microsoftonline.com/") && strings.HasSuffix(iss, "/v2.0"):
		t := strings.TrimSuffix(strings.TrimPrefix(iss, "https://login.microsoftonline.com/"), "/v2.0")
		if t != "" && !strings.Contains(t, "/") {
			return t, "v2"
		}
	}
	return "", ""
}

// matchIssuer matches one rule against the token's iss and tid. note
// explains a match that was not a plain string comparison.
func matchIssuer(rule, iss, tid string) (ok bool, note string, err error) {
	want := rule
	if strings.Contains(rule, "{tenantid}") {
		if tid == "" {
			return false, "", errNoTenant
		}
		want = strings.ReplaceAll(rule, "{tenantid}", tid)
		note = "matches the template " + rule
	}
	if iss == want {
		return true, note, nil
	}
	// Azure AD issues v1 access tokens (sts.windows.net) from its v2
	// endpoints when the API's manifest asks for them, and services that
	// use Microsoft's own libraries accept both forms for the same tenant.
	wt, wv := azureIssuer(want)
	gt, gv := azureIssuer(iss)
	if wt != "" && gt != "" && wv != gv && strings.EqualFold(wt, gt) {
		return true, fmt.Sprintf("Azure AD %s issuer of tenant %s, accepted for the %s rule %s", gv, gt, wv, want), nil
	}
	return false, "", nil
}

// issuerHint explains a near miss.
func issuerHint(rules []string, iss string) string {
	for _, r := range rules {
		switch {
		case strings.TrimRight(r, "/") == strings.TrimRight(iss, "/") && strings.HasSuffix(iss, "/"):
			return "the token's issuer has a trailing slash the rule lacks; issuers are compared exactly"
		case strings.TrimRight(r, "/") == strings.TrimRight(iss, "/"):
			return "the rule has a trailing slash the token's issuer lacks; issuers are compared exactly"
		case strings.EqualFold(r, iss):
			return "the issuer differs only in letter case; issuers are compared exactly"
		}
	}
	if t, _ := azureIssuer(iss); t != "" {
		for _, r := range rules {
			if rt, _ := azureIssuer(r); rt != "" && !strings.EqualFold(rt, t) {
				return "the token comes from another Azure AD tenant (" + t + "); for multi-tenant apps use --issuer 'https://login.microsoftonline.com/{tenantid}/v2.0' with --tenant"
			}
		}
	}
	return ""
}
