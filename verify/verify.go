// Package verify checks a JWT's signature and rules and reports every check:
// format, key lookup, signature, issuer, audience, expiry, not-before,
// issued-at, type, required claims and scopes, each passed, failed or
// skipped, with what was expected and what was found.
//
// Keys come from local files, shared secrets, a JWKS URL or an authority's
// OIDC discovery (fetch.go, with an on-disk cache in cache.go). Nothing the
// token says about keys (jku, x5u, jwk, x5c, a kid that looks like a path)
// is ever fetched or trusted: a kid is only compared with the kids of keys
// the user chose.
package verify

import (
	"context"
	"time"
)

// Verifier verifies tokens against a key set and rules. It is safe for
// concurrent use.
type Verifier struct {
	Keys  *KeySet
	Rules Rules
	// Explain, when set, fills the text of what Batch writes (the failed
	// checks' details, the warnings) in the words of its caller's surface;
	// verify itself writes codes only (verify/explain renders them).
	Explain func(*Result)

	// anyPayload verifies JWS whose payload is not a JWT claims set (the
	// Wycheproof vectors sign "foo"); the claim checks are then skipped.
	anyPayload bool
	// brief leaves the params of passed checks empty: --batch reports
	// only failures, and formatting times for every token costs more than
	// a tenth of an RSA verification.
	brief bool
}

// Verify checks one compact token. It never returns nil. The result is
// data: explain fills its text.
func (v *Verifier) Verify(ctx context.Context, compact string) *Result {
	at := v.Rules.At
	if at.IsZero() {
		at = time.Now()
	}
	r := &Result{EvaluatedAt: at.UTC(), Checks: make([]Check, 0, len(CheckNames))}
	tok, format := parseToken(compact, v.anyPayload)
	if tok != nil && !v.brief {
		format.Params = Params{{"alg", tok.alg}, {"kid", tok.kid}}
	}
	r.Checks = append(r.Checks, format)
	if tok == nil {
		for _, name := range CheckNames[1:] {
			r.Checks = append(r.Checks, Check{Name: name, Status: Skip, Code: CodeUnreadable})
		}
		r.finish()
		return r
	}
	r.Alg, r.Kid = tok.alg, tok.kid
	r.Notes = append(r.Notes, ignoredHeaders(tok.header)...)
	keyCheck, sigCheck := v.checkSignature(ctx, tok, r)
	r.Checks = append(r.Checks, keyCheck, sigCheck)
	if tok.claims == nil {
		for _, name := range CheckNames[3:] {
			r.Checks = append(r.Checks, Check{Name: name, Status: Skip, Code: CodeNotClaims})
		}
		r.finish()
		return r
	}
	if sub, ok := str(tok.claims.Get("sub")); ok {
		r.Subject = sub
	}
	r.Checks = append(r.Checks,
		v.checkIssuer(tok, r),
		v.checkAudience(tok),
	)
	r.Checks = append(r.Checks, v.checkTimes(tok, at)...)
	r.Checks = append(r.Checks,
		v.checkType(tok),
		v.checkClaims(tok),
		v.checkScopes(tok),
	)
	r.finish()
	return r
}
