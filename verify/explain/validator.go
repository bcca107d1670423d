package explain

import (
	"github.com/jwtrace/jwtrace/verify"
)

// ByValidator says, in words a user can act on, which validator default
// decided a check ("go-oidc allows 5m of clock skew on nbf"), or "" when
// the declared rules did (c.By is empty).
func ByValidator(c *verify.Check) string {
	if c.By == "" {
		return ""
	}
	by := c.By
	prof := verify.LookupProfile(by)
	setting := func(keys ...string) string {
		if prof == nil {
			return ""
		}
		for _, k := range keys {
			if w := prof.Words[k]; w != "" {
				return " (" + w + ")"
			}
		}
		return ""
	}
	lw := c.Param("leeway")
	switch c.Code {
	case verify.CodeExpExpired, verify.CodeExpInLeeway:
		if lw == "" {
			return by + " allows no clock skew on exp" + setting("exp_leeway", "leeway")
		}
		return by + " accepts tokens up to " + lw + " past exp" + setting("exp_leeway", "leeway")
	case verify.CodeExpAllowed:
		return by + " accepts a token without exp" + setting("allow_no_exp")
	case verify.CodeNbfFuture, verify.CodeNbfInLeeway:
		if lw == "" {
			return by + " allows no clock skew on nbf" + setting("nbf_leeway", "leeway")
		}
		return by + " allows " + lw + " of clock skew on nbf" + setting("nbf_leeway", "leeway")
	case verify.CodeNbfNotChecked:
		return by + " does not check nbf" + setting("skip_nbf")
	case verify.CodeIatFutureAllowed:
		return by + " does not check iat" + setting("allow_future_iat")
	case verify.CodeIatFuture:
		return by + " refuses a token issued in the future" + setting("allow_future_iat", "leeway")
	case verify.CodeTypNotAllowed:
		return by + " accepts only typ " + c.Param("allowed") + " unless configured" + setting("typ_allowed")
	case verify.CodeAlgNotAllowed:
		return by + " accepts only " + c.Expected + " unless configured" + setting("algs")
	case verify.CodeAudUnexpected:
		return by + " refuses a token that carries aud when no audience is configured" + setting("audience")
	case verify.CodeAudNotConfigured:
		return by + " refuses every token until an audience is configured" + setting("audience")
	case verify.CodeIssMismatch:
		return by + " checks iss against " + c.Expected + " unless an issuer is configured" + setting("issuer")
	case verify.CodeIssNotConfigured:
		return by + " refuses every token until an issuer is configured" + setting("issuer")
	case verify.CodeNotDeclared:
		switch c.Name {
		case verify.CheckIssuer:
			return by + " checks no issuer unless one is configured" + setting("issuer")
		case verify.CheckAudience:
			return by + " checks no audience unless one is configured" + setting("audience")
		}
	}
	return by + "'s default"
}

// Because is why a validator's defaults decided the result: for a token
// accepted, the defaults that let a check pass that jwtrace's own rules
// fail (a leeway, a claim not checked); for a token refused, the failed
// checks a default decided. Each is ByValidator's sentence.
func Because(r *verify.Result) []string {
	var out []string
	for i := range r.Checks {
		c := &r.Checks[i]
		if c.By == "" {
			continue
		}
		decisive := c.Status == verify.Fail
		switch c.Code {
		case verify.CodeExpInLeeway, verify.CodeNbfInLeeway, verify.CodeIatFutureAllowed, verify.CodeExpAllowed, verify.CodeNbfNotChecked:
			// A pass a default allowed decides a token accepted.
			decisive = decisive || r.Valid
		}
		if decisive {
			out = append(out, ByValidator(c))
		}
	}
	return out
}
