package verify

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/internal/lazy"
)

// Policy is where a token's keys come from and the rules it must meet,
// declared once for every surface: verify's flags fill it, a chain file's
// defaults: and each hop's rules: decode into it (the yaml keys), the test
// resource server and the demo's services are configured with it.
//
// Every field is an Opt: a field that is not Set is not declared, which
// differs from one declared empty (typ: "" is refused; no typ is no typ
// rule). A new rule is one field here (with its yaml, json and rule tags;
// rule is the Rule name codes and the renderers use), a line in Merge,
// Expand and Validate (TestPolicyFieldsCovered fails otherwise), and its
// check.
type Policy struct {
	// Authority is an issuer URL or its discovery URL: the keys come from
	// its JWKS, and its discovery document's issuer is the issuer rule
	// when Issuer is not declared.
	Authority Opt[string] `yaml:"authority" json:"authority,omitzero" rule:"authority"`
	// JWKSURL is a JWKS URL to take the keys from.
	JWKSURL Opt[string] `yaml:"jwks_url" json:"jwks_url,omitzero" rule:"jwks-url"`
	// KeyFiles are PEM, JWK or JWKS files.
	KeyFiles Opt[Strings] `yaml:"key_files" json:"key_files,omitzero" rule:"key"`

	// Issuer lists accepted issuers: exact strings, or templates with
	// "{tenantid}" that take the token's tid. One must match unless
	// SkipIssuer.
	Issuer     Opt[Strings] `yaml:"issuer" json:"issuer,omitzero" rule:"issuer"`
	SkipIssuer Opt[bool]    `yaml:"skip_issuer" json:"skip_issuer,omitzero" rule:"skip-issuer"`
	// Tenant limits the tenants (tid) accepted.
	Tenant Opt[Strings] `yaml:"tenant" json:"tenant,omitzero" rule:"tenant"`
	// Audience: the token's aud must hold one of them unless SkipAudience.
	Audience     Opt[Strings] `yaml:"audience" json:"audience,omitzero" rule:"audience"`
	SkipAudience Opt[bool]    `yaml:"skip_audience" json:"skip_audience,omitzero" rule:"skip-audience"`
	// Algs is the allow-list of algorithms; each value may hold several,
	// separated by commas or spaces. Not declared: the key decides.
	Algs Opt[Strings] `yaml:"algs" json:"algs,omitzero" rule:"alg"`
	// Typ is the required header typ ("at+jwt" matches
	// "application/at+jwt" too).
	Typ Opt[string] `yaml:"typ" json:"typ,omitzero" rule:"typ"`
	// Scopes must all be in the token's scp or scope; each value may hold
	// several, separated by commas or spaces.
	Scopes Opt[Strings] `yaml:"scopes" json:"scopes,omitzero" rule:"scope"`
	// Require lists claims that must be present: CLAIM or CLAIM=VALUE.
	Require Opt[Strings] `yaml:"require" json:"require,omitzero" rule:"require"`
	// Leeway is the clock skew allowed for exp, nbf and iat ("30s").
	Leeway Opt[Duration] `yaml:"leeway" json:"leeway,omitzero" rule:"leeway"`
	// AllowNoExp accepts a token without exp.
	AllowNoExp Opt[bool] `yaml:"allow_no_exp" json:"allow_no_exp,omitzero" rule:"allow-no-exp"`
	// AllowWeakSecret accepts HMAC secrets shorter than the hash.
	AllowWeakSecret Opt[bool] `yaml:"allow_weak_secret" json:"allow_weak_secret,omitzero" rule:"allow-weak-secret"`

	// Validator names the library the service validates with (a Profile):
	// it supplies every rule the policy does not declare.
	Validator Opt[string] `yaml:"validator" json:"validator,omitzero" rule:"validator"`
	// ExpLeeway and NbfLeeway are the clock skew allowed on exp (nbf)
	// alone, over Leeway: libraries differ (go-oidc allows none on exp
	// and 5m on nbf).
	ExpLeeway Opt[Duration] `yaml:"exp_leeway" json:"exp_leeway,omitzero" rule:"exp-leeway"`
	NbfLeeway Opt[Duration] `yaml:"nbf_leeway" json:"nbf_leeway,omitzero" rule:"nbf-leeway"`
	// SkipNbf does not check nbf (mod_auth_openidc).
	SkipNbf Opt[bool] `yaml:"skip_nbf" json:"skip_nbf,omitzero" rule:"skip-nbf"`
	// AllowFutureIat accepts a token issued in the future (most libraries
	// do not check iat).
	AllowFutureIat Opt[bool] `yaml:"allow_future_iat" json:"allow_future_iat,omitzero" rule:"allow-future-iat"`
	// TypAllowed lists the header typ values that pass when the token has
	// one; a token without typ passes (Spring Security's default accepts
	// JWT and refuses at+jwt). Typ, when declared, is stricter: required.
	TypAllowed Opt[Strings] `yaml:"typ_allowed" json:"typ_allowed,omitzero" rule:"typ-allowed"`
}

// Rule names of the key sources (the others are in codes.go).
const RuleJWKSURL = "jwks-url"

// Merge is p with every field over declares taken from over: a chain
// file's defaults merged with a hop's rules. A list over declares empty
// replaces p's.
func (p Policy) Merge(over Policy) Policy {
	take(&p.Authority, over.Authority)
	take(&p.JWKSURL, over.JWKSURL)
	take(&p.KeyFiles, over.KeyFiles)
	take(&p.Issuer, over.Issuer)
	take(&p.SkipIssuer, over.SkipIssuer)
	take(&p.Tenant, over.Tenant)
	take(&p.Audience, over.Audience)
	take(&p.SkipAudience, over.SkipAudience)
	take(&p.Algs, over.Algs)
	take(&p.Typ, over.Typ)
	take(&p.Scopes, over.Scopes)
	take(&p.Require, over.Require)
	take(&p.Leeway, over.Leeway)
	take(&p.AllowNoExp, over.AllowNoExp)
	take(&p.AllowWeakSecret, over.AllowWeakSecret)
	take(&p.Validator, over.Validator)
	take(&p.ExpLeeway, over.ExpLeeway)
	take(&p.NbfLeeway, over.NbfLeeway)
	take(&p.SkipNbf, over.SkipNbf)
	take(&p.AllowFutureIat, over.AllowFutureIat)
	take(&p.TypAllowed, over.TypAllowed)
	return p
}

func take[T any](dst *Opt[T], over Opt[T]) {
	if over.Set {
		*dst = over
	}
}

// Expand replaces ${NAME} in every text of the policy with getenv(NAME)
// (nil getenv: no variable is set). A variable that is not set, or a value
// that holds one and is empty once expanded (it would turn the rule off),
// is a problem of the returned *RuleError.
func (p Policy) Expand(getenv func(string) (string, bool)) (Policy, error) {
	var probs []RuleProblem
	one := func(rule string, o *Opt[string]) {
		if o.Set {
			o.Value = expandValue(rule, 0, o.Value, false, getenv, &probs)
		}
	}
	list := func(rule string, o *Opt[Strings], split bool) {
		if !o.Set || o.Value == nil {
			return
		}
		out := make(Strings, len(o.Value))
		for j, raw := range o.Value {
			out[j] = expandValue(rule, j+1, raw, split, getenv, &probs)
		}
		o.Value = out
	}
	one(RuleAuthority, &p.Authority)
	one(RuleJWKSURL, &p.JWKSURL)
	list(RuleKey, &p.KeyFiles, false)
	list(RuleIssuer, &p.Issuer, false)
	list(RuleTenant, &p.Tenant, false)
	list(RuleAudience, &p.Audience, false)
	list(RuleAlg, &p.Algs, true)
	one(RuleTyp, &p.Typ)
	list(RuleScope, &p.Scopes, true)
	list(RuleRequire, &p.Require, false)
	one(RuleValidator, &p.Validator)
	list(RuleTypAllowed, &p.TypAllowed, true)
	for _, d := range []struct {
		rule string
		o    *Opt[Duration]
	}{{RuleLeeway, &p.Leeway}, {RuleExpLeeway, &p.ExpLeeway}, {RuleNbfLeeway, &p.NbfLeeway}} {
		if d.o.Set {
			d.o.Value = Duration(expandValue(d.rule, 0, string(d.o.Value), false, getenv, &probs))
		}
	}
	// SkipIssuer, SkipAudience, AllowNoExp, AllowWeakSecret, SkipNbf,
	// AllowFutureIat: no text.
	if len(probs) > 0 {
		return p, &RuleError{Problems: probs}
	}
	return p, nil
}

// expandValue expands one value of rule (elem: 1-based, 0 for a single
// value), adding a problem for an unset variable or a value that a
// variable left empty.
func expandValue(rule string, elem int, raw string, split bool, getenv func(string) (string, bool), probs *[]RuleProblem) string {
	v, missing := ExpandVars(raw, getenv)
	if missing != nil {
		*probs = append(*probs, RuleProblem{Code: RuleVariableUnset, Rule: rule, Elem: elem, Params: Params{{"rule", rule}, {"name", missing[0]}}})
		return v
	}
	if strings.Contains(raw, "${") && (strings.TrimSpace(v) == "" || split && len(splitValues(v)) == 0) {
		*probs = append(*probs, RuleProblem{Code: RuleVariableEmpty, Rule: rule, Elem: elem, Params: Params{{"rule", rule}, {"value", raw}}})
	}
	return v
}

// ExpandVars replaces ${NAME} in s with getenv(NAME). Only the braced form
// is expanded, so a lone $ stays as it is; missing lists, in order, the
// names that are not set (they expand to nothing).
func ExpandVars(s string, getenv func(string) (string, bool)) (out string, missing []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		name := s[i+2 : i+j]
		v, ok := "", false
		if getenv != nil && name != "" {
			v, ok = getenv(name)
		}
		if !ok {
			missing = append(missing, name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String(), missing
}

// Validate refuses a policy that would silently check less than its
// author thinks: no issuer or audience rule without an explicit skip, a
// declared value that is empty, unknown algorithms, "none", a require that
// is not CLAIM or CLAIM=VALUE, a leeway that is not a positive duration.
// The error is a *RuleError; each problem names its rule (and element).
func (p *Policy) Validate() error {
	var probs []RuleProblem
	add := func(code RuleCode, rule string, elem int, params Params) {
		probs = append(probs, RuleProblem{Code: code, Rule: rule, Elem: elem, Params: params})
	}
	iss, aud, ten := p.Issuer.Value, p.Audience.Value, p.Tenant.Value
	skipIss, skipAud := p.SkipIssuer.Value, p.SkipAudience.Value
	// A validator says what its library does without an issuer or an
	// audience (Profile.IssuerUnset): nothing is silently left out.
	named := p.Validator.Set && p.Validator.Value != ""
	if len(iss) == 0 && !skipIss && !named {
		add(RuleNoIssuer, "", 0, nil)
	}
	if len(iss) > 0 && skipIss {
		add(RuleIssuerConflict, RuleSkipIssuer, 0, nil)
	}
	if len(aud) == 0 && !skipAud && !named {
		add(RuleNoAudience, "", 0, nil)
	}
	if len(aud) > 0 && skipAud {
		add(RuleAudienceConflict, RuleSkipAudience, 0, nil)
	}
	if len(ten) > 0 && skipIss {
		add(RuleTenantNoIssuer, RuleTenant, 0, nil)
	}
	// An empty value (an unset variable: --scope "$SCOPE") would otherwise
	// read as no rule at all and silently check less; an empty issuer or
	// audience would accept a token with an empty claim.
	for _, f := range []struct {
		rule  string
		list  Strings
		code  RuleCode
		split bool
	}{
		{RuleIssuer, iss, RuleEmpty, false}, {RuleAudience, aud, RuleEmpty, false}, {RuleTenant, ten, RuleEmpty, false},
		{RuleScope, p.Scopes.Value, RuleBlank, true}, {RuleAlg, p.Algs.Value, RuleBlank, true},
	} {
		if j := blankAt(f.list, f.split); j > 0 {
			add(f.code, f.rule, j, Params{{"rule", f.rule}})
		}
	}
	for _, f := range []struct {
		rule string
		o    Opt[string]
	}{{RuleTyp, p.Typ}, {RuleAuthority, p.Authority}, {RuleJWKSURL, p.JWKSURL}} {
		if f.o.Set && strings.TrimSpace(f.o.Value) == "" {
			add(RuleBlank, f.rule, 0, Params{{"rule", f.rule}})
		}
	}
	if j := blankAt(p.KeyFiles.Value, false); j > 0 {
		add(RuleBlank, RuleKey, j, Params{{"rule", RuleKey}})
	}
	for j, a := range p.Algs.Value {
		for _, a := range splitValues(a) {
			if strings.EqualFold(a, "none") {
				add(RuleAlgNone, RuleAlg, j+1, nil)
			} else if !knownAlg(a) {
				add(RuleAlgUnknown, RuleAlg, j+1, Params{{"alg", a}, {"known", strings.Join(KnownAlgs(), ", ")}})
			}
		}
	}
	for j, s := range p.Require.Value {
		if _, err := ParseRequirement(s); err != nil {
			add(RuleRequireSyntax, RuleRequire, j+1, Params{{"value", s}})
		}
	}
	for _, f := range []struct {
		rule string
		o    Opt[Duration]
	}{{RuleLeeway, p.Leeway}, {RuleExpLeeway, p.ExpLeeway}, {RuleNbfLeeway, p.NbfLeeway}} {
		if !f.o.Set {
			continue
		}
		if d, err := f.o.Value.Parse(); err != nil {
			add(RuleLeewaySyntax, f.rule, 0, Params{{"value", string(f.o.Value)}, {"rule", f.rule}})
		} else if d < 0 {
			add(RuleLeewayNegative, f.rule, 0, Params{{"rule", f.rule}})
		}
	}
	if p.Validator.Set && LookupProfile(p.Validator.Value) == nil {
		add(RuleValidatorUnknown, RuleValidator, 0, Params{{"value", p.Validator.Value}, {"known", strings.Join(ProfileNames(), ", ")}})
	}
	if j := blankAt(p.TypAllowed.Value, true); j > 0 {
		add(RuleBlank, RuleTypAllowed, j, Params{{"rule", RuleTypAllowed}})
	}
	if len(probs) > 0 {
		return &RuleError{Problems: probs}
	}
	return nil
}

// blankAt is the 1-based index of the first empty value of a list (one
// that splits into nothing, for split lists), or 0.
func blankAt(list Strings, split bool) int {
	for j, v := range list {
		if strings.TrimSpace(v) == "" || split && len(splitValues(v)) == 0 {
			return j + 1
		}
	}
	return 0
}

// splitValues splits "a b,c" into a, b and c.
func splitValues(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

func splitAll(list Strings) []string {
	var out []string
	for _, v := range list {
		out = append(out, splitValues(v)...)
	}
	return out
}

// Rules is the policy's rules as the verifier reads them (At is left for
// the caller). Values Validate refuses are left out.
func (p *Policy) Rules() Rules {
	eff, prof, defaulted := p.resolve()
	p = &eff
	r := Rules{
		Issuers:         p.Issuer.Value,
		SkipIssuer:      p.SkipIssuer.Value,
		Tenants:         p.Tenant.Value,
		Audiences:       p.Audience.Value,
		SkipAudience:    p.SkipAudience.Value,
		AllowNoExp:      p.AllowNoExp.Value,
		Typ:             p.Typ.Value,
		TypGiven:        p.Typ.Set,
		AllowWeakSecret: p.AllowWeakSecret.Value,
	}
	if p.Algs.Set {
		r.Algs = splitAll(p.Algs.Value)
	}
	if p.Scopes.Set {
		r.Scopes = splitAll(p.Scopes.Value)
	}
	for _, s := range p.Require.Value {
		if q, err := ParseRequirement(s); err == nil {
			r.Require = append(r.Require, q)
		}
	}
	if d, err := p.Leeway.Value.Parse(); p.Leeway.Set && err == nil {
		r.Leeway = d
	}
	for _, f := range []struct {
		o   Opt[Duration]
		dst *Opt[time.Duration]
	}{{p.ExpLeeway, &r.ExpLeeway}, {p.NbfLeeway, &r.NbfLeeway}} {
		if d, err := f.o.Value.Parse(); f.o.Set && err == nil {
			*f.dst = Some(d)
		}
	}
	r.SkipNbf, r.AllowFutureIat = p.SkipNbf.Value, p.AllowFutureIat.Value
	if p.TypAllowed.Set {
		r.TypAllowed = splitAll(p.TypAllowed.Value)
	}
	if prof != nil {
		r.Validator, r.Defaulted = prof.Name, defaulted
		if len(p.Issuer.Value) == 0 && !p.SkipIssuer.Value {
			r.IssuerUnset = prof.IssuerUnset
		}
		if len(p.Audience.Value) == 0 && !p.SkipAudience.Value {
			r.AudienceUnset = prof.AudienceUnset
		}
	}
	return r
}

// Profile is the validator profile the policy names, or nil.
func (p *Policy) Profile() *Profile {
	if !p.Validator.Set {
		return nil
	}
	return LookupProfile(p.Validator.Value)
}

// resolve is the policy a validator applies: the declared rules over the
// profile's defaults (a declared leeway also replaces the profile's leeway
// per claim), the profile, and the rules (Rule names) whose values are
// its defaults.
func (p Policy) resolve() (Policy, *Profile, []string) {
	prof := p.Profile()
	if prof == nil {
		return p, nil, nil
	}
	def := prof.Defaults
	if p.Leeway.Set {
		def.ExpLeeway, def.NbfLeeway = Opt[Duration]{}, Opt[Duration]{}
	}
	eff := def.Merge(p)
	var defaulted []string
	for _, f := range policyFields() {
		if f.key == "validator" || !def.Declares(f.key) || p.Declares(f.key) {
			continue
		}
		defaulted = append(defaulted, f.rule)
	}
	// The leeway per claim comes from the profile when neither it nor
	// the leeway is declared.
	if !p.ExpLeeway.Set && (!p.Leeway.Set && (def.Leeway.Set || def.ExpLeeway.Set)) {
		defaulted = append(defaulted, RuleExpLeeway)
	}
	if !p.NbfLeeway.Set && (!p.Leeway.Set && (def.Leeway.Set || def.NbfLeeway.Set)) {
		defaulted = append(defaulted, RuleNbfLeeway)
	}
	if len(p.Issuer.Value) == 0 && !p.SkipIssuer.Value {
		defaulted = append(defaulted, RuleIssuer)
	}
	if len(p.Audience.Value) == 0 && !p.SkipAudience.Value {
		defaulted = append(defaulted, RuleAudience)
	}
	return eff, prof, defaulted
}

// Sources is where the policy says the keys come from (a secret is not
// part of a policy: the caller adds it).
func (p *Policy) Sources() Sources {
	return Sources{Authority: p.Authority.Value, JWKSURL: p.JWKSURL.Value, KeyFiles: p.KeyFiles.Value}
}

// Opt is a declared value, or none: Set says whether it was declared at
// all, so that a value declared empty (typ: "") differs from no value.
// Decoded from YAML or JSON, null is not declared.
type Opt[T any] struct {
	Value T
	Set   bool
}

// Some is v, declared.
func Some[T any](v T) Opt[T] { return Opt[T]{Value: v, Set: true} }

// List is a declared list.
func List(values ...string) Opt[Strings] { return Opt[Strings]{Value: Strings(values), Set: true} }

// ListOf is a list declared when it holds values (a repeatable flag not
// given is not declared).
func ListOf(values []string) Opt[Strings] {
	return Opt[Strings]{Value: Strings(values), Set: len(values) > 0}
}

// IsZero reports whether o is not declared (for omitzero).
func (o Opt[T]) IsZero() bool { return !o.Set }

// Strings is a list that a file may also give as one string.
type Strings []string

// Duration is a time.Duration written as text ("30s"), so that a file can
// take it from a variable; Validate refuses text that is not one.
type Duration string

// DurationOf is d as a declared Duration.
func DurationOf(d time.Duration) Opt[Duration] { return Some(Duration(d.String())) }

// Parse is the duration; "" is zero.
func (d Duration) Parse() (time.Duration, error) {
	if d == "" {
		return 0, nil
	}
	v, err := time.ParseDuration(string(d))
	if err != nil {
		// time's message names the package and quotes the text; the
		// problem's rendering says what to give.
		return 0, &durationError{strconv.Quote(string(d))}
	}
	return v, nil
}

type durationError struct{ text string }

func (e *durationError) Error() string { return e.text + ": want a duration such as 30s" }

// policyField is one field of Policy: its index, YAML key and Rule name.
type policyField struct {
	index     int
	key, rule string
}

var policyFieldsOnce lazy.Value[[]policyField]

// policyFields are Policy's fields with their YAML keys and rule names,
// read from the struct tags on first use (not at start-up).
func policyFields() []policyField { return policyFieldsOnce.Get(buildPolicyFields) }

func buildPolicyFields() []policyField {
	t := reflect.TypeFor[Policy]()
	out := make([]policyField, t.NumField())
	for i := range out {
		f := t.Field(i)
		out[i] = policyField{index: i, key: f.Tag.Get("yaml"), rule: f.Tag.Get("rule")}
	}
	return out
}

// PolicyKey is the YAML key of the Policy field that has the given Rule
// name ("scope": "scopes"), or "".
func PolicyKey(rule string) string {
	for _, f := range policyFields() {
		if f.rule == rule && rule != "" {
			return f.key
		}
	}
	return ""
}

// Declares reports whether p declares the field of the given YAML key.
func (p *Policy) Declares(key string) bool {
	for _, f := range policyFields() {
		if f.key == key {
			return reflect.ValueOf(p).Elem().Field(f.index).FieldByName("Set").Bool()
		}
	}
	return false
}
