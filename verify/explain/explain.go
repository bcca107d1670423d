// Package explain turns verify's results, which are data (a reason code,
// the claim, what was wanted, what the token had, advice as codes), into
// words. It is the one place those words are written, in the vocabulary
// of the surface that asked: verify's command-line flags (CLI), a chain
// file's keys (YAML), or plain words for a resource server's
// error_description (Plain).
//
// Text made here may hold the token's own values: it is escaped by
// whoever prints it (ui.Safe, JSON encoding), as before.
package explain

import (
	"strings"

	"github.com/jwtrace/jwtrace/internal/lazy"
	"github.com/jwtrace/jwtrace/verify"
)

// Surface is who asked, and so which words name the rules.
type Surface int

const (
	// CLI is jwtrace verify: rules are flags (--audience).
	CLI Surface = iota
	// YAML is jwtrace chain: rules are a chain file's keys (audience:).
	YAML
	// Plain is a resource server's answer: rules in plain words.
	Plain
)

// Surfaces lists every surface.
var Surfaces = []Surface{CLI, YAML, Plain}

func (s Surface) String() string {
	switch s {
	case CLI:
		return "cli"
	case YAML:
		return "yaml"
	}
	return "plain"
}

// ruleWords are the names of the rules on each surface; "" where the
// surface has no such rule.
var ruleWordsOnce lazy.Value[map[string][3]string]

func ruleWords() map[string][3]string { return ruleWordsOnce.Get(buildRuleWords) }

func buildRuleWords() map[string][3]string {
	return map[string][3]string{
		verify.RuleIssuer:          {"--issuer", "issuer:", "the issuer rule"},
		verify.RuleSkipIssuer:      {"--skip-issuer", "", ""},
		verify.RuleAudience:        {"--audience", "audience:", "the audience rule"},
		verify.RuleSkipAudience:    {"--skip-audience", "", ""},
		verify.RuleTenant:          {"--tenant", "tenant:", "the tenant rule"},
		verify.RuleAlg:             {"--alg", "algs:", "the algorithm rule"},
		verify.RuleTyp:             {"--typ", "typ:", "the typ rule"},
		verify.RuleRequire:         {"--require", "require:", "the required claims"},
		verify.RuleScope:           {"--scope", "scopes:", "the scope rule"},
		verify.RuleLeeway:          {"--leeway", "leeway:", "a leeway"},
		verify.RuleAllowNoExp:      {"--allow-no-exp", "allow_no_exp:", ""},
		verify.RuleAllowWeakSecret: {"--allow-weak-secret", "", ""},
		verify.RuleAt:              {"--at", "", ""},
		verify.RuleAuthority:       {"--authority", "authority:", "the authority"},
		verify.RuleJWKSURL:         {"--jwks-url", "jwks_url:", "the JWKS URL"},
		verify.RuleKey:             {"--key", "", ""},
		verify.RuleValidator:       {"--validator", "validator:", "the validator"},
		verify.RuleExpLeeway:       {"--exp-leeway", "exp_leeway:", "a leeway on exp"},
		verify.RuleNbfLeeway:       {"--nbf-leeway", "nbf_leeway:", "a leeway on nbf"},
		verify.RuleSkipNbf:         {"--skip-nbf", "skip_nbf:", ""},
		verify.RuleAllowFutureIat:  {"--allow-future-iat", "allow_future_iat:", ""},
		verify.RuleTypAllowed:      {"--typ-allowed", "typ_allowed:", "the typ values allowed"},
	}
}

// Rule names a rule in the surface's words ("--audience", "audience:"),
// or "" when the surface has no such rule.
func (s Surface) Rule(name string) string { return ruleWords()[name][s] }

// Detail is what the check found, in words.
func (s Surface) Detail(c *verify.Check) string {
	d := string(c.Code)
	if f := checkText()[c.Code]; f != nil {
		d = f(s, c)
	}
	if b := ByValidator(c); b != "" {
		d += "; " + b
	}
	return d
}

// Hint is the check's advice, in words: each piece the surface can say,
// joined with "; ".
func (s Surface) Hint(c *verify.Check) string { return s.Advice(c.Advice) }

// Advice renders advice, joined with "; ", leaving out what the surface
// has no words for (a flag chain does not have).
func (s Surface) Advice(list []verify.Advice) string {
	if len(list) == 0 {
		return ""
	}
	var parts []string
	for _, a := range list {
		if t := s.advice(a); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "; ")
}

func (s Surface) advice(a verify.Advice) string {
	if f := adviceText()[a.Code]; f != nil {
		return f(s, a.Params)
	}
	return string(a.Code)
}

// NotMade is why a check that was not made was skipped, for checks whose
// Unmade is true: "the token could not be read".
func (s Surface) NotMade(c *verify.Check) string {
	return strings.TrimPrefix(s.Detail(c), "not checked: ")
}

// Unmade reports whether the check was skipped because an earlier one
// left nothing to check (one line can stand for all of them).
func Unmade(c *verify.Check) bool {
	return c.Status == verify.Skip && (c.Code == verify.CodeUnreadable || c.Code == verify.CodeNotClaims)
}

// Expected is the check's Expected when its detail does not already say
// it, else "".
func (s Surface) Expected(c *verify.Check) string {
	if c.Expected == "" || strings.Contains(s.Detail(c), c.Expected) {
		return ""
	}
	return c.Expected
}

// Fill writes every check's Detail and Hint, the warnings, and the
// warnings into a valid result's summary. Filling twice changes nothing.
func (s Surface) Fill(r *verify.Result) {
	for i := range r.Checks {
		c := &r.Checks[i]
		c.Detail, c.Hint = s.Detail(c), s.Hint(c)
	}
	s.fillWarnings(r)
}

// FillFailures is Fill for the failed checks only: what --batch writes.
func (s Surface) FillFailures(r *verify.Result) {
	for i := range r.Checks {
		if c := &r.Checks[i]; c.Status == verify.Fail {
			c.Detail, c.Hint = s.Detail(c), s.Hint(c)
		}
	}
	s.fillWarnings(r)
}

func (s Surface) fillWarnings(r *verify.Result) {
	if len(r.WarningCodes) == 0 || len(r.Warnings) > 0 {
		return
	}
	for _, w := range r.WarningCodes {
		t := s.advice(w)
		r.Warnings = append(r.Warnings, t)
		if r.Valid {
			r.Summary += "; " + t
		}
	}
}

// RuleError renders a *verify.RuleError (from Rules.Check) in the
// surface's words: one line per problem. Other errors are returned as
// they are.
func (s Surface) RuleError(err error) error {
	re, ok := err.(*verify.RuleError)
	if !ok {
		return err
	}
	lines := make([]string, len(re.Problems))
	for i, p := range re.Problems {
		lines[i] = s.RuleProblem(p)
	}
	return &verify.RuleError{Problems: re.Problems, Msg: strings.Join(lines, "\n")}
}

// RuleProblem is one problem of a rule set, in words.
func (s Surface) RuleProblem(p verify.RuleProblem) string {
	if f := ruleText()[p.Code]; f != nil {
		return f(s, p.Params)
	}
	return string(p.Code)
}
