package verify

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Status is a check's outcome.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Check names, in the order they are reported.
const (
	CheckFormat    = "format"
	CheckKey       = "key"
	CheckSignature = "signature"
	CheckIssuer    = "issuer"
	CheckAudience  = "audience"
	CheckExpiry    = "expiry"
	CheckNotBefore = "not_before"
	CheckIssuedAt  = "issued_at"
	CheckType      = "type"
	CheckClaims    = "claims"
	CheckScopes    = "scopes"
)

// CheckNames lists every check in report order.
var CheckNames = []string{CheckFormat, CheckKey, CheckSignature, CheckIssuer, CheckAudience, CheckExpiry, CheckNotBefore, CheckIssuedAt, CheckType, CheckClaims, CheckScopes}

// Check is one verification step, as data: what was found is Code with its
// Params, what is advised is Advice. Package verify writes no sentences;
// the package verify/explain turns a check into text in the words of the
// surface that asked (verify's flags, a chain file's keys, a resource
// server's plain words) and fills Detail and Hint.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail says what was found, in a sentence fragment. Verify leaves
	// it empty; explain fills it.
	Detail string `json:"detail"`
	// Expected and Actual are the rule and the token's value, when the
	// check compares them.
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Hint suggests a likely cause or a fix: Advice in words. Verify
	// leaves it empty; explain fills it.
	Hint string `json:"hint,omitempty"`
	// Code is the reason for the outcome (codes.go); stable, documented
	// in the README.
	Code Code `json:"code"`
	// Claim is the claim (or header field) the check reads, when it
	// reads one.
	Claim string `json:"claim,omitempty"`
	// Params are the values Code's text is made of, by name (codes.go
	// documents each code's params). Values may come from the token: a
	// renderer escapes them.
	Params Params `json:"params,omitempty"`
	// Items are the parts of a check made of several (each failed
	// required claim).
	Items []Item `json:"items,omitempty"`
	// Advice is what to do about a failure, as codes.
	Advice []Advice `json:"advice,omitempty"`
	// By names the validator profile whose default decided the outcome
	// (go-oidc's 5m leeway on nbf let it pass; PyJWT's refusal of aud
	// failed it); "" when the declared rules did.
	By string `json:"by,omitempty"`
}

// Param returns a param, or "".
func (c *Check) Param(name string) string { return c.Params.Get(name) }

// Params are named values, in order. They are a list, not a map, because
// verify makes them for every check of every token and a small map costs
// several times as much; in JSON they are an object.
type Params []Param

// Param is one named value.
type Param struct{ Name, Value string }

// Get returns the value named name, or "".
func (p Params) Get(name string) string {
	for _, x := range p {
		if x.Name == name {
			return x.Value
		}
	}
	return ""
}

// MarshalJSON writes the params as a JSON object, in their order.
func (p Params) MarshalJSON() ([]byte, error) {
	buf := []byte{'{'}
	for i, x := range p {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, _ := json.Marshal(x.Name)
		v, _ := json.Marshal(x.Value)
		buf = append(append(append(buf, k...), ':'), v...)
	}
	return append(buf, '}'), nil
}

// UnmarshalJSON reads a JSON object of strings (in the order of its
// keys, sorted: JSON objects have none).
func (p *Params) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	*p = (*p)[:0]
	for _, k := range names {
		*p = append(*p, Param{k, m[k]})
	}
	return nil
}

// Item is one part of a check: a code and its params.
type Item struct {
	Code   Code   `json:"code"`
	Params Params `json:"params,omitempty"`
}

// Advice is one piece of advice: a code (codes.go) and its params. Params
// name rules by their Rule names, never by a flag or a file key.
type Advice struct {
	Code   AdviceCode `json:"code"`
	Params Params     `json:"params,omitempty"`
}

// Result is the outcome of verifying one token.
type Result struct {
	// Source says where the token came from (an input label).
	Source string `json:"source,omitempty"`
	Valid  bool   `json:"valid"`
	// Summary is one line: "valid: ..." or "rejected: ...".
	Summary string `json:"summary"`
	// Failed names the failed checks, in order.
	Failed []string `json:"failed"`
	// Skipped names the checks that were not made.
	Skipped []string `json:"skipped"`
	Alg     string   `json:"alg,omitempty"`
	Kid     string   `json:"kid,omitempty"`
	// Key is the key whose signature verified.
	Key     *Key    `json:"key,omitempty"`
	Subject string  `json:"sub,omitempty"`
	Checks  []Check `json:"checks"`
	// Warnings are loud: rules that accepted more than they might seem to
	// (any tenant of a multi-tenant issuer). The summary repeats them.
	// Verify leaves them empty and records WarningCodes; explain fills
	// them.
	Warnings []string `json:"warnings,omitempty"`
	// WarningCodes are the warnings as data.
	WarningCodes []Advice `json:"warning_codes,omitempty"`
	// Notes are things worth knowing that are not checks: header fields
	// that were ignored, keys that were refetched.
	Notes       []string  `json:"notes,omitempty"`
	EvaluatedAt time.Time `json:"evaluated_at"`
}

// finish fills Valid, Failed and Skipped from the checks, and Summary
// without the warnings (explain adds them in the surface's words).
func (r *Result) finish() {
	r.Failed, r.Skipped = []string{}, []string{}
	for _, c := range r.Checks {
		switch c.Status {
		case Fail:
			r.Failed = append(r.Failed, c.Name)
		case Skip:
			r.Skipped = append(r.Skipped, c.Name)
		}
	}
	r.Valid = len(r.Failed) == 0
	n := len(r.Checks) - len(r.Skipped)
	if r.Valid {
		r.Summary = "valid: " + strconv.Itoa(n) + checksWord(n) + " passed"
		var loud []string
		for _, s := range r.Skipped {
			if s == CheckIssuer || s == CheckAudience {
				loud = append(loud, s)
			}
		}
		if len(loud) > 0 {
			r.Summary += ", but " + strings.Join(loud, " and ") + " NOT checked"
		}
		return
	}
	r.Summary = "rejected: " + strconv.Itoa(len(r.Failed)) + " of " + strconv.Itoa(n) + checksWord(n) + " failed (" + strings.Join(r.Failed, ", ") + ")"
}

// checksWord is " check" after 1 ("1 of 1 check failed"), else " checks".
func checksWord(n int) string {
	if n == 1 {
		return " check"
	}
	return " checks"
}
