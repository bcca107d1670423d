package verify

import (
	"encoding/json"
	"strings"

	"github.com/jwtrace/jwtrace/decode"
)

func (v *Verifier) checkIssuer(tok *token, r *Result) Check {
	c := Check{Name: CheckIssuer, Claim: "iss"}
	iss, ok := str(tok.claims.Get("iss"))
	c.Actual = iss
	if v.Rules.SkipIssuer {
		c.Status, c.Code, c.Params = Skip, CodeNotDeclared, paramsIssuer
		return c
	}
	if len(v.Rules.Issuers) == 0 && v.Rules.IssuerUnset != "" {
		// The validator's answer to a service that configures no issuer.
		c.By = v.Rules.by(RuleIssuer)
		if v.Rules.IssuerUnset == UnsetRejectAll {
			c.Status, c.Code = Fail, CodeIssNotConfigured
			return c
		}
		c.Status, c.Code, c.Params = Skip, CodeNotDeclared, paramsIssuer
		return c
	}
	c.Expected = strings.Join(v.Rules.Issuers, ", ")
	if !ok {
		c.Status, c.Code = Fail, CodeIssMissing
		if tok.claims.Has("iss") {
			c.Code = CodeIssNotString
		}
		return c
	}
	tid, _ := str(tok.claims.Get("tid"))
	if tid == "" {
		if t, _ := azureIssuer(iss); t != "" {
			tid = t
		}
	}
	var noTenant bool
	for _, rule := range v.Rules.Issuers {
		match, how, err := matchIssuer(rule, iss, tid)
		if err == errNoTenant {
			noTenant = true
		}
		if !match {
			continue
		}
		if len(v.Rules.Tenants) > 0 && !containsASCIIFold(v.Rules.Tenants, tid) {
			c.Status, c.Code = Fail, CodeIssTenant
			c.Params = Params{{"tenant", tid}, {"tenants", strings.Join(v.Rules.Tenants, ", ")}}
			return c
		}
		c.Status, c.Code = Pass, CodeIssOK
		if !v.brief {
			c.Params = append(Params{{"iss", iss}}, how...)
		}
		if strings.Contains(rule, "{tenantid}") && len(v.Rules.Tenants) == 0 {
			r.WarningCodes = append(r.WarningCodes, Advice{Code: WarnAnyTenant})
		}
		return c
	}
	c.Status, c.Code = Fail, CodeIssMismatch
	c.Params = Params{{"iss", iss}}
	if v.Rules.IssuerUnset != "" {
		// The issuers are the validator's default (ImpliedIssuers).
		c.By = v.Rules.by(RuleIssuer)
	}
	c.Advice = issuerAdvice(v.Rules.Issuers, iss)
	if noTenant && c.Advice == nil {
		c.Advice = []Advice{{Code: AdviceTemplateNoTid}}
	}
	return c
}

// The params of the checks a rule set does not make (shared, never
// modified).
var (
	paramsIssuer   = Params{{"rule", RuleIssuer}}
	paramsAudience = Params{{"rule", RuleAudience}}
	paramsTyp      = Params{{"rule", RuleTyp}}
	paramsRequire  = Params{{"rule", RuleRequire}}
	paramsScope    = Params{{"rule", RuleScope}}
)

func (v *Verifier) checkAudience(tok *token) Check {
	c := Check{Name: CheckAudience, Claim: "aud"}
	auds, ok := strList(tok.claims.Get("aud"))
	c.Actual = strings.Join(auds, ", ")
	if v.Rules.SkipAudience {
		c.Status, c.Code, c.Params = Skip, CodeNotDeclared, paramsAudience
		return c
	}
	if len(v.Rules.Audiences) == 0 && v.Rules.AudienceUnset != "" {
		// The validator's answer to a service that configures no
		// audience.
		c.By = v.Rules.by(RuleAudience)
		switch {
		case v.Rules.AudienceUnset == UnsetRejectAll:
			c.Status, c.Code = Fail, CodeAudNotConfigured
		case v.Rules.AudienceUnset == UnsetRejectPresent && tok.claims.Has("aud"):
			c.Status, c.Code, c.Params = Fail, CodeAudUnexpected, Params{{"aud", c.Actual}}
		default:
			c.Status, c.Code, c.Params = Skip, CodeNotDeclared, paramsAudience
		}
		return c
	}
	c.Expected = strings.Join(v.Rules.Audiences, ", ")
	if !ok {
		c.Status = Fail
		if raw, has := tok.claims.Get("aud"); has {
			// RFC 7519 §4.1.3: a StringOrURI, or an array of them.
			c.Code, c.Params = CodeAudType, Params{{"value", excerpt(raw)}}
		} else {
			c.Code = CodeAudMissing
			c.Advice = noAudienceAdvice(tok)
		}
		return c
	}
	for _, want := range v.Rules.Audiences {
		if contains(auds, want) {
			c.Status, c.Code = Pass, CodeAudOK
			if !v.brief {
				c.Params = Params{{"aud", want}}
			}
			return c
		}
	}
	c.Status, c.Code = Fail, CodeAudMismatch
	c.Params = Params{{"aud", strings.Join(auds, ", ")}, {"want", strings.Join(v.Rules.Audiences, ", ")}}
	c.Advice = audienceAdvice(tok, auds, v.Rules.Audiences)
	return c
}

func (v *Verifier) checkType(tok *token) Check {
	c := Check{Name: CheckType, Claim: "typ", Actual: tok.typ}
	if v.Rules.Typ == "" && len(v.Rules.TypAllowed) > 0 {
		// Only these typ values pass; a token without typ passes.
		c.Expected = strings.Join(v.Rules.TypAllowed, ", ")
		if tok.typ == "" {
			c.Status, c.Code, c.Params = Skip, CodeNotDeclared, paramsTyp
			return c
		}
		for _, t := range v.Rules.TypAllowed {
			if normTyp(t) == normTyp(tok.typ) {
				c.Status, c.Code = Pass, CodeTypOK
				if !v.brief {
					c.Params = Params{{"typ", tok.typ}}
				}
				return c
			}
		}
		c.Status, c.Code, c.By = Fail, CodeTypNotAllowed, v.Rules.by(RuleTypAllowed)
		c.Params = Params{{"typ", tok.typ}, {"allowed", c.Expected}}
		return c
	}
	if v.Rules.Typ == "" {
		c.Status, c.Code, c.Params = Skip, CodeNotDeclared, paramsTyp
		return c
	}
	c.Expected = v.Rules.Typ
	norm := normTyp
	if tok.typ != "" && norm(tok.typ) == norm(v.Rules.Typ) {
		c.Status, c.Code = Pass, CodeTypOK
		if !v.brief {
			c.Params = Params{{"typ", tok.typ}}
		}
		return c
	}
	c.Status = Fail
	if tok.typ == "" {
		c.Code, c.Params = CodeTypMissing, Params{{"want", v.Rules.Typ}}
	} else {
		c.Code, c.Params = CodeTypMismatch, Params{{"typ", tok.typ}, {"want", v.Rules.Typ}}
	}
	if norm(v.Rules.Typ) == "at+jwt" {
		c.Advice = []Advice{{Code: AdviceATJWT}}
	}
	return c
}

// normTyp compares typ values as RFC 7515 §4.1.9 says: case-insensitive,
// "application/" left out.
func normTyp(s string) string {
	s = strings.ToLower(s)
	if !strings.Contains(strings.TrimPrefix(s, "application/"), "/") {
		s = strings.TrimPrefix(s, "application/")
	}
	return s
}

func (v *Verifier) checkClaims(tok *token) Check {
	c := Check{Name: CheckClaims}
	if len(v.Rules.Require) == 0 {
		c.Status, c.Code, c.Params = Skip, CodeNotDeclared, paramsRequire
		return c
	}
	var want []string
	for _, req := range v.Rules.Require {
		want = append(want, req.String())
		raw, ok := tok.claims.Get(req.Claim)
		switch {
		case !ok:
			c.Items = append(c.Items, Item{Code: CodeClaimMissing, Params: Params{{"claim", req.Claim}}})
		case req.HasValue && !claimHas(raw, req.Value):
			c.Items = append(c.Items, Item{Code: CodeClaimValue, Params: Params{{"claim", req.Claim}, {"value", excerpt(raw)}, {"want", req.Value}}})
		}
	}
	c.Expected = strings.Join(want, ", ")
	if len(c.Items) > 0 {
		c.Status, c.Code = Fail, CodeClaimsFailed
		return c
	}
	c.Status, c.Code = Pass, CodeClaimsOK
	if !v.brief {
		c.Params = Params{{"want", c.Expected}}
	}
	return c
}

// claimHas reports whether a claim equals value: a string equal to it, an
// array containing it, or a number or boolean whose JSON text is it.
func claimHas(raw json.RawMessage, value string) bool {
	if s, ok := str(raw, true); ok {
		return s == value
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil {
		for _, e := range arr {
			if claimHas(e, value) {
				return true
			}
		}
		return false
	}
	return string(raw) == value
}

func (v *Verifier) checkScopes(tok *token) Check {
	c := Check{Name: CheckScopes, Claim: "scp"}
	have := tokenScopes(tok.claims)
	c.Actual = strings.Join(have, " ")
	if len(v.Rules.Scopes) == 0 {
		c.Status, c.Code, c.Params = Skip, CodeNotDeclared, paramsScope
		return c
	}
	c.Expected = strings.Join(v.Rules.Scopes, " ")
	var missing []string
	for _, s := range v.Rules.Scopes {
		if !contains(have, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		c.Status, c.Code = Fail, CodeScopeMissing
		c.Params = Params{{"missing", strings.Join(missing, " ")}, {"have", c.Actual}}
		if tokenHasRoles(tok.claims) {
			c.Advice = []Advice{{Code: AdviceRoles}}
		}
		return c
	}
	c.Status, c.Code = Pass, CodeScopesOK
	if !v.brief {
		c.Params = Params{{"scopes", c.Expected}}
	}
	return c
}

// tokenScopes reads scp and scope, each a space-separated string or an
// array of strings.
func tokenScopes(claims *decode.Object) []string {
	var out []string
	for _, name := range []string{"scp", "scope"} {
		raw, ok := claims.Get(name)
		if !ok {
			continue
		}
		if s, ok := str(raw, true); ok {
			out = append(out, strings.Fields(s)...)
			continue
		}
		if list, ok := strList(raw, true); ok {
			out = append(out, list...)
		}
	}
	return out
}

func tokenHasRoles(claims *decode.Object) bool { return claims.Has("roles") }
