package explain

import (
	"strconv"
	"strings"

	"github.com/jwtrace/jwtrace/internal/lazy"
	"github.com/jwtrace/jwtrace/verify"
)

// ruleText renders each reason Rules.Check refuses a rule set.
var ruleTextOnce lazy.Value[map[verify.RuleCode]func(Surface, verify.Params) string]

func ruleText() map[verify.RuleCode]func(Surface, verify.Params) string {
	return ruleTextOnce.Get(buildRuleText)
}

func buildRuleText() map[verify.RuleCode]func(Surface, verify.Params) string {
	return map[verify.RuleCode]func(Surface, verify.Params) string{
		verify.RuleNoIssuer: func(s Surface, _ verify.Params) string {
			return s.words("no issuer rule: give --issuer URL (repeatable; {tenantid} templates work), --authority, or --skip-issuer to not check it",
				"no issuer rule: declare issuer: or authority:",
				"no issuer rule: configure the accepted issuer")
		},
		verify.RuleIssuerConflict: func(s Surface, _ verify.Params) string {
			return s.words("--skip-issuer and an issuer rule contradict each other",
				"issuer: is declared and also skipped",
				"the issuer rule is both given and skipped")
		},
		verify.RuleNoAudience: func(s Surface, _ verify.Params) string {
			return s.words("no audience rule: give --audience (repeatable, one of them must be in aud), or --skip-audience to not check it",
				"no audience rule: declare audience:",
				"no audience rule: configure the accepted audience")
		},
		verify.RuleAudienceConflict: func(s Surface, _ verify.Params) string {
			return s.words("--skip-audience and --audience contradict each other",
				"audience: is declared and also skipped",
				"the audience rule is both given and skipped")
		},
		verify.RuleTenantNoIssuer: func(s Surface, _ verify.Params) string {
			return s.words("--tenant needs an issuer rule: it limits the tenants a {tenantid} issuer accepts; --skip-issuer turns that off",
				"tenant: needs an issuer rule (issuer: or authority:): it limits the tenants a {tenantid} issuer accepts",
				"the tenant rule needs an issuer rule: it limits the tenants a {tenantid} issuer accepts")
		},
		verify.RuleEmpty: func(s Surface, p verify.Params) string {
			return s.Rule(p.Get("rule")) + " is empty: an empty rule would accept a token with an empty claim"
		},
		verify.RuleBlank: func(s Surface, p verify.Params) string {
			name := s.Rule(p.Get("rule"))
			leave := ", or leave " + name + " out"
			if s == Plain {
				leave = ", or leave it out"
			}
			switch p.Get("rule") {
			case verify.RuleScope:
				return name + " is empty (an unset variable?): give the scopes the token must carry" + leave + " to not check them"
			case verify.RuleAlg:
				return name + " is empty (an unset variable?): give the algorithms to accept (e.g. RS256)" + leave + " to let the key decide"
			case verify.RuleAuthority, verify.RuleJWKSURL, verify.RuleKey:
				return name + " is empty (an unset variable?): give where the keys come from" + leave
			}
			return name + " is empty (an unset variable?): give the header typ to require (e.g. at+jwt)" + leave + " to not check it"
		},
		verify.RuleAlgNone: func(s Surface, _ verify.Params) string {
			return s.words("--alg none", "algs: none", "the algorithm none") + ": unsigned tokens are never accepted"
		},
		verify.RuleAlgUnknown: func(s Surface, p verify.Params) string {
			return s.words("--alg ", "algs: ", "the algorithm ") + p.Get("alg") + ": not a JWS algorithm jwtrace verifies (" + p.Get("known") + ")"
		},
		verify.RuleLeewayNegative: func(s Surface, p verify.Params) string {
			return leewayRule(s, p) + " must not be negative"
		},
		verify.RuleLeewaySyntax: func(s Surface, p verify.Params) string {
			return leewayRule(s, p) + " " + strconv.Quote(p.Get("value")) + ": want a duration such as 30s"
		},
		verify.RuleValidatorUnknown: func(s Surface, p verify.Params) string {
			return s.words("--validator ", "validator: ", "the validator ") + strconv.Quote(p.Get("value")) + " is not a validator jwtrace knows (" + p.Get("known") + "; jwtrace validators lists them)"
		},
		verify.RuleRequireSyntax: func(s Surface, p verify.Params) string {
			return s.words("--require ", "require: ", "the required claim ") + strconv.Quote(p.Get("value")) + ": want CLAIM or CLAIM=VALUE"
		},
		// The variables of a chain file (verify's flags take the shell's).
		verify.RuleVariableUnset: func(s Surface, p verify.Params) string {
			return ruleOr(s, p) + "${" + p.Get("name") + "} is not set in the environment"
		},
		verify.RuleVariableEmpty: func(s Surface, p verify.Params) string {
			return ruleOr(s, p) + strconv.Quote(p.Get("value")) + " is empty in the environment: an empty value would turn the rule off"
		},
	}
}

// leewayRule names the leeway rule of a problem (leeway, exp_leeway or
// nbf_leeway), as the surface calls it.
func leewayRule(s Surface, p verify.Params) string {
	rule := p.Get("rule")
	if rule == "" {
		rule = verify.RuleLeeway
	}
	if s == Plain {
		return "the " + strings.TrimPrefix(s.Rule(rule), "a ")
	}
	return strings.TrimSuffix(s.Rule(rule), ":")
}

// ruleOr is the rule's name and a space, or "" when the surface has none.
func ruleOr(s Surface, p verify.Params) string {
	if n := s.Rule(p.Get("rule")); n != "" {
		return n + " "
	}
	return ""
}
