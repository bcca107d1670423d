package verify

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/jwtrace/jwtrace/decode"
)

// timeRule is one of the time checks. The three differ only in data:
// which claim, which codes, when the value fails and what to advise.
type timeRule struct {
	name, claim string
	ok, bad     Code
	notNumeric  Code
	// absent is the code of a token without the claim; absentFails says
	// whether that fails (exp) or passes (nbf, iat).
	absent      Code
	absentFails bool
	// fails reports whether a claim of sec fails at now with leeway lw.
	fails  func(now, sec, lw int64) bool
	advice []Advice
}

// timeRules are exp, nbf and iat (RFC 7519 §4.1.4-4.1.6), in report order.
var timeRules = [...]timeRule{
	{name: CheckExpiry, claim: "exp", ok: CodeExpOK, bad: CodeExpExpired, notNumeric: CodeExpNotNumeric,
		absent: CodeExpMissing, absentFails: true,
		fails:  func(now, sec, lw int64) bool { return now >= sec+lw },
		advice: []Advice{{Code: AdviceNewToken}, {Code: AdviceRule, Params: Params{{"rule", RuleAt}}}}},
	{name: CheckNotBefore, claim: "nbf", ok: CodeNbfOK, bad: CodeNbfFuture, notNumeric: CodeNbfNotNumeric,
		absent: CodeNbfAbsent,
		fails:  func(now, sec, lw int64) bool { return now+lw < sec },
		advice: []Advice{{Code: AdviceClockAhead}, {Code: AdviceRule, Params: Params{{"rule", RuleLeeway}}}}},
	{name: CheckIssuedAt, claim: "iat", ok: CodeIatOK, bad: CodeIatFuture, notNumeric: CodeIatNotNumeric,
		absent: CodeIatAbsent,
		fails:  func(now, sec, lw int64) bool { return now+lw < sec },
		advice: []Advice{{Code: AdviceClockAhead}, {Code: AdviceRule, Params: Params{{"rule", RuleLeeway}}}}},
}

// adviceAllowNoExp is the advice for a token without exp.
var adviceAllowNoExp = []Advice{{Code: AdviceRule, Params: Params{{"rule", RuleAllowNoExp}}}}

// checkTimes checks exp, nbf and iat at the given moment, each with its
// leeway (Rules.ExpLeeway and NbfLeeway, else Leeway).
func (v *Verifier) checkTimes(tok *token, at time.Time) []Check {
	now := at.Unix()
	out := make([]Check, len(timeRules))
	for i := range timeRules {
		tr := &timeRules[i]
		lwd, lwRule := v.Rules.Leeway, RuleLeeway
		switch tr.claim {
		case "exp":
			if v.Rules.ExpLeeway.Set {
				lwd, lwRule = v.Rules.ExpLeeway.Value, RuleExpLeeway
			}
		case "nbf":
			if v.Rules.NbfLeeway.Set {
				lwd, lwRule = v.Rules.NbfLeeway.Value, RuleNbfLeeway
			}
		}
		lw := int64(lwd / time.Second)
		c := Check{Name: tr.name, Claim: tr.claim}
		raw, present := tok.claims.Get(tr.claim)
		var sec int64
		var err error
		if present {
			sec, err = numericDate(raw)
		}
		// strict: the claim fails without leeway.
		strict := err == nil && present && tr.fails(now, sec, 0)
		switch {
		case !present && tr.absentFails && v.Rules.AllowNoExp:
			c.Status, c.Code, c.By = Skip, CodeExpAllowed, v.Rules.by(RuleAllowNoExp)
		case !present && tr.absentFails:
			c.Status, c.Code, c.Advice = Fail, tr.absent, adviceAllowNoExp
		case !present:
			c.Status, c.Code = Pass, tr.absent
		case tr.claim == "nbf" && v.Rules.SkipNbf:
			c.Status, c.Code = Skip, CodeNbfNotChecked
			c.Params = v.timeParams(sec, now, 0)
			if strict {
				c.By = v.Rules.by(RuleSkipNbf)
			}
		case err != nil:
			c.Status, c.Code = Fail, tr.notNumeric
		case tr.claim == "iat" && v.Rules.AllowFutureIat && tr.fails(now, sec, lw):
			c.Status, c.Code, c.By = Pass, CodeIatFutureAllowed, v.Rules.by(RuleAllowFutureIat)
			c.Params = v.timeParams(sec, now, lwd)
		case tr.fails(now, sec, lw):
			c.Status, c.Code, c.Advice = Fail, tr.bad, tr.advice
			c.Params = v.timeParams(sec, now, lwd)
			c.By = v.Rules.by(lwRule)
		case strict && tr.claim != "iat":
			// Passed only thanks to the leeway.
			c.Status, c.Code = Pass, CodeExpInLeeway
			if tr.claim == "nbf" {
				c.Code = CodeNbfInLeeway
			}
			c.Params = v.timeParams(sec, now, lwd)
			c.By = v.Rules.by(lwRule)
		case v.brief:
			c.Status, c.Code = Pass, tr.ok
		default:
			c.Status, c.Code = Pass, tr.ok
			c.Params = v.timeParams(sec, now, lwd)
		}
		out[i] = c
	}
	return out
}

func (v *Verifier) timeParams(sec, now int64, leeway time.Duration) Params {
	p := Params{{"at", strconv.FormatInt(sec, 10)}, {"delta", strconv.FormatInt(sec-now, 10)}}
	if leeway > 0 {
		p = append(p, Param{"leeway", leeway.String()})
	}
	return p
}

// MaxNumericDate bounds the times jwtrace computes with (decode's bound,
// decode.MaxNumericDate).
const MaxNumericDate = decode.MaxNumericDate

// numericDate reads a time claim as decode does (decode.NumericDate:
// rounded down, clamped to ±MaxNumericDate). What is not a number, or a
// number past float64's range, fails: verify does not take it for a time.
func numericDate(raw json.RawMessage) (int64, error) {
	sec, _, err := decode.NumericDate(raw)
	if err != nil {
		return 0, err
	}
	return sec, nil
}
