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

	// ExpLeeway and NbfLeeway, when Set, replace Leeway for exp (nbf).
	ExpLeeway, NbfLeeway Opt[time.Duration]
	// SkipNbf does not check nbf; AllowFutureIat accepts a future iat.
	SkipNbf, AllowFutureIat bool
	// TypAllowed, when set, lists the typ values that pass when the
	// token has one.
	TypAllowed []string
	// Validator is the profile the rules come from, in part ("": none);
	// Defaulted names the rules (Rule names) whose values are its
	// defaults, not declared, so that a check they decide says so.
	Validator string
	Defaulted []string
	// IssuerUnset and AudienceUnset say what the validator does without
	// an issuer (audience) rule ("": jwtrace's own, Validate refuses).
	IssuerUnset, AudienceUnset Unset
}

// DiscoveredAlgs applies a validator that takes its algorithms from the
// authority's discovery document (Profile.AlgsFromDiscovery: go-oidc,
// express-oauth2-jwt-bearer) to the algorithms that document lists, when
// the rules do not declare their own.
func (r *Rules) DiscoveredAlgs(algs []string) {
	prof := LookupProfile(r.Validator)
	if prof == nil || !prof.AlgsFromDiscovery || r.by(RuleAlg) == "" && len(r.Algs) > 0 || len(algs) == 0 {
		return
	}
	var out []string
	for _, a := range algs {
		if len(prof.AlgsSupported) == 0 || contains(prof.AlgsSupported, a) {
			out = append(out, a)
		}
	}
	if len(out) > 0 {
		r.Algs = out
		if r.by(RuleAlg) == "" {
			r.Defaulted = append(r.Defaulted, RuleAlg)
		}
	}
}

// by is the validator when rule's value is its default, else "".
func (r *Rules) by(rule string) string {
	for _, d := range r.Defaulted {
		if d == rule {
			return r.Validator
		}
	}
	return ""
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

// RuleError is a rule set that cannot be used (a usage error). Its
// Problems are data; explain renders them in the words of the surface that
// gave the rules and sets Msg.
type RuleError struct {
	Problems []RuleProblem
	// Msg is the problems in words, once rendered.
	Msg string
}

// RuleProblem is one reason a rule set cannot be used.
type RuleProblem struct {
	Code   RuleCode `json:"code"`
	Params Params   `json:"params,omitempty"`
	// Rule is the rule at fault (a Rule name; "" for the rule set as a
	// whole) and Elem its 1-based element (0: the rule's value), so that a
	// file can say where it is.
	Rule string `json:"rule,omitempty"`
	Elem int    `json:"elem,omitempty"`
}

// Error is Msg, or the codes when the error was not rendered.
func (e *RuleError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	codes := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		codes[i] = string(p.Code)
	}
	return "unusable rules: " + strings.Join(codes, ", ")
}

// Check refuses rule sets that would silently check less than the user
// thinks (Policy.Validate: the rules are checked as the policy they are).
func (r *Rules) Check() error {
	p := r.Policy()
	return p.Validate()
}

// Policy is the policy these rules are a view of (At aside).
func (r *Rules) Policy() Policy {
	p := Policy{
		Issuer:          ListOf(r.Issuers),
		SkipIssuer:      Bool(r.SkipIssuer),
		Tenant:          ListOf(r.Tenants),
		Audience:        ListOf(r.Audiences),
		SkipAudience:    Bool(r.SkipAudience),
		Algs:            ListOf(r.Algs),
		Scopes:          ListOf(r.Scopes),
		AllowNoExp:      Bool(r.AllowNoExp),
		AllowWeakSecret: Bool(r.AllowWeakSecret),
		SkipNbf:         Bool(r.SkipNbf),
		AllowFutureIat:  Bool(r.AllowFutureIat),
		TypAllowed:      ListOf(r.TypAllowed),
	}
	if r.Validator != "" {
		p.Validator = Some(r.Validator)
	}
	if r.TypGiven || r.Typ != "" {
		p.Typ = Some(r.Typ)
	}
	if r.Leeway != 0 {
		p.Leeway = DurationOf(r.Leeway)
	}
	for _, q := range r.Require {
		p.Require.Value = append(p.Require.Value, q.String())
		p.Require.Set = true
	}
	return p
}

// Bool is b, declared when true (a flag given; a rule set that says it).
func Bool(b bool) Opt[bool] { return Opt[bool]{Value: b, Set: b} }

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

// matchIssuer matches one rule against the token's iss and tid. how
// explains a match that was not a plain string comparison: "template"
// names the template, or "azure_version", "tenant", "rule_version" and
// "rule" an Azure AD v1/v2 match.
func matchIssuer(rule, iss, tid string) (ok bool, how Params, err error) {
	want := rule
	if strings.Contains(rule, "{tenantid}") {
		if tid == "" {
			return false, nil, errNoTenant
		}
		want = strings.ReplaceAll(rule, "{tenantid}", tid)
		how = Params{{"template", rule}}
	}
	if iss == want {
		return true, how, nil
	}
	// Azure AD issues v1 access tokens (sts.windows.net) from its v2
	// endpoints when the API's manifest asks for them, and services that
	// use Microsoft's own libraries accept both forms for the same tenant.
	wt, wv := azureIssuer(want)
	gt, gv := azureIssuer(iss)
	if wt != "" && gt != "" && wv != gv && strings.EqualFold(wt, gt) {
		return true, Params{{"azure_version", gv}, {"tenant", gt}, {"rule_version", wv}, {"rule", want}}, nil
	}
	return false, nil, nil
}

// issuerAdvice explains a near miss.
func issuerAdvice(rules []string, iss string) []Advice {
	for _, r := range rules {
		switch {
		case strings.TrimRight(r, "/") == strings.TrimRight(iss, "/") && strings.HasSuffix(iss, "/"):
			return []Advice{{Code: AdviceSlashInToken}}
		case strings.TrimRight(r, "/") == strings.TrimRight(iss, "/"):
			return []Advice{{Code: AdviceSlashInRule}}
		case strings.EqualFold(r, iss):
			return []Advice{{Code: AdviceIssuerCase}}
		}
	}
	if t, _ := azureIssuer(iss); t != "" {
		for _, r := range rules {
			if rt, _ := azureIssuer(r); rt != "" && !strings.EqualFold(rt, t) {
				return []Advice{{Code: AdviceOtherTenant, Params: Params{{"tenant", t}}}}
			}
		}
	}
	return nil
}
