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
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"

	"github.com/jwtrace/jwtrace/decode"
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

// Check is one verification step.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail says what was found, in a sentence fragment.
	Detail string `json:"detail"`
	// Expected and Actual are the rule and the token's value, when the
	// check compares them.
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Hint suggests a likely cause or a fix.
	Hint string `json:"hint,omitempty"`
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
	Warnings []string `json:"warnings,omitempty"`
	// Notes are things worth knowing that are not checks: header fields
	// that were ignored, keys that were refetched.
	Notes       []string  `json:"notes,omitempty"`
	EvaluatedAt time.Time `json:"evaluated_at"`
}

// KeySet is the keys a Verifier may use: local ones, and remote ones that
// can be refetched once when a token names a kid they lack.
type KeySet struct {
	// Origin names where the keys come from, for messages: "the JWKS of
	// https://...", "--key files".
	Origin string

	mu         sync.Mutex // held while refreshing
	local      []Key
	remote     []Key
	refresh    func(context.Context) ([]Key, error)
	refreshed  atomic.Bool
	refreshErr error
	idx        atomic.Pointer[keyIndex]
}

// NewKeySet makes a key set. refresh, when not nil, refetches the remote
// keys; it is called at most once.
func NewKeySet(origin string, local, remote []Key, refresh func(context.Context) ([]Key, error)) *KeySet {
	s := &KeySet{Origin: origin, local: named(local), remote: named(remote), refresh: refresh}
	s.idx.Store(newKeyIndex(s.local, s.remote))
	return s
}

// Keys returns every key.
func (s *KeySet) Keys() []Key { return append([]Key(nil), s.idx.Load().all...) }

// Refreshed reports whether the remote keys were refetched.
func (s *KeySet) Refreshed() bool { return s.refreshed.Load() }

// lookup returns the keys that match kid: those with that kid, else those
// with none (PEM files, secrets). A kid found nowhere triggers one refresh.
// Lookups read an immutable index without locking; only the refresh locks.
func (s *KeySet) lookup(ctx context.Context, kid string) (matched []Key, refreshed bool, err error) {
	idx := s.idx.Load()
	matched = idx.match(kid)
	// A kid no key has triggers the refetch even when keys without a kid
	// could be tried: the key may simply have rotated.
	if kid == "" || s.refresh == nil || len(idx.byID[kid]) > 0 || (len(matched) > 0 && s.refreshed.Load()) {
		return matched, s.refreshed.Load(), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.refreshed.Load() {
		keys, err := s.refresh(ctx)
		if err != nil {
			s.refreshErr = err
		} else {
			s.remote = named(keys)
			s.idx.Store(newKeyIndex(s.local, s.remote))
		}
		s.refreshed.Store(true)
	}
	return s.idx.Load().match(kid), true, s.refreshErr
}

// keyIndex is a key set's lookup tables. It is never changed once built, so
// lookups can hand out its slices.
type keyIndex struct {
	all, noID []Key
	byID      map[string][]Key
}

func newKeyIndex(local, remote []Key) *keyIndex {
	x := &keyIndex{all: append(append([]Key(nil), local...), remote...), byID: map[string][]Key{}}
	for _, k := range x.all {
		if k.ID == "" {
			x.noID = append(x.noID, k)
		} else {
			x.byID[k.ID] = append(x.byID[k.ID], k)
		}
	}
	return x
}

func (x *keyIndex) match(kid string) []Key {
	if kid == "" {
		return x.all
	}
	if keys := x.byID[kid]; len(keys) > 0 {
		return keys
	}
	return x.noID
}

// Verifier verifies tokens against a key set and rules. It is safe for
// concurrent use.
type Verifier struct {
	Keys  *KeySet
	Rules Rules

	// anyPayload verifies JWS whose payload is not a JWT claims set (the
	// Wycheproof vectors sign "foo"); the claim checks are then skipped.
	anyPayload bool
	// brief leaves the details of passed checks empty: --batch reports
	// only failures, and formatting times for every token costs more than
	// a tenth of an RSA verification.
	brief bool
}

// token is what the format check reads from a compact JWS.
type token struct {
	header, claims *decode.Object
	alg, kid, typ  string
	// signingInput is "header.payload"; sig the decoded signature.
	signingInput []byte
	sig          []byte
}

// Verify checks one compact token. It never returns nil.
func (v *Verifier) Verify(ctx context.Context, compact string) *Result {
	at := v.Rules.At
	if at.IsZero() {
		at = time.Now()
	}
	r := &Result{EvaluatedAt: at.UTC(), Checks: make([]Check, 0, len(CheckNames))}
	tok, format := parseToken(compact, v.anyPayload)
	r.Checks = append(r.Checks, format)
	if tok == nil {
		for _, name := range CheckNames[1:] {
			r.Checks = append(r.Checks, Check{Name: name, Status: Skip, Detail: "not checked: the token could not be read"})
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
			r.Checks = append(r.Checks, Check{Name: name, Status: Skip, Detail: "not checked: the payload is not a JWT claims set"})
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

// finish fills Valid, Failed, Skipped and Summary from the checks.
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
		r.Summary = fmt.Sprintf("valid: %d checks passed", n)
		var loud []string
		for _, s := range r.Skipped {
			if s == CheckIssuer || s == CheckAudience {
				loud = append(loud, s)
			}
		}
		if len(loud) > 0 {
			r.Summary += fmt.Sprintf(", but %s NOT checked", strings.Join(loud, " and "))
		}
		for _, w := range r.Warnings {
			r.Summary += "; " + w
		}
		return
	}
	r.Summary = fmt.Sprintf("rejected: %d of %d checks failed (%s)", len(r.Failed), n, strings.Join(r.Failed, ", "))
}

// b64url is RFC 7515's base64url: no padding, and (Strict) no stray bits
// in the last character, so each token has exactly one encoding.
var b64url = base64.RawURLEncoding.Strict()

// parseToken is the format check: a compact JWS with a JSON header and
// claims, no duplicate keys, an alg that is not "none", no critical
// extensions and base64url payload encoding.
func parseToken(compact string, anyPayload bool) (*token, Check) {
	fail := func(detail, hint string) (*token, Check) {
		return nil, Check{Name: CheckFormat, Status: Fail, Detail: detail, Hint: hint}
	}
	if len(compact) > decode.MaxTokenBytes {
		return fail(fmt.Sprintf("the token is %d bytes; jwtrace reads at most %d", len(compact), decode.MaxTokenBytes), "")
	}
	// Split on the first two dots; a third means more parts. (Cheaper than
	// counting every dot of a long token first.)
	h, rest, ok1 := strings.Cut(compact, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s, '.') >= 0 {
		switch dots := strings.Count(compact, "."); dots {
		case 4:
			return fail("a JWE (encrypted token, 5 parts) where a signed JWT (JWS) was expected",
				"an encrypted token must be decrypted by its recipient first; jwtrace verify checks signed tokens")
		case 1:
			return fail("2 parts instead of 3: the signature part is missing", "the token was cut or its signature stripped")
		default:
			return fail(fmt.Sprintf("%d parts instead of 3: not a compact JWS", dots+1), "")
		}
	}
	hb, err := b64url.DecodeString(h)
	if err != nil {
		return fail("the header is not base64url (RFC 7515: no padding, - and _ instead of + and /)", "")
	}
	header, dups, err := decode.ParseObject(hb)
	if err != nil {
		return fail("the header is not a JSON object: "+err.Error(), "")
	}
	if len(dups) > 0 {
		return fail("the header repeats "+quoteList(dups)+"; parsers disagree on which value counts, so jwtrace refuses it", "")
	}
	tok := &token{header: header}
	algRaw, ok := header.Get("alg")
	tok.alg, _ = str(algRaw, ok)
	switch {
	case !ok:
		return fail("the header has no alg", "")
	case tok.alg == "" && string(algRaw) != `""`:
		return fail("the header's alg is not a string", "")
	case strings.EqualFold(tok.alg, "none"):
		return fail(fmt.Sprintf("alg %q: the token is unsigned, and unsigned tokens are never accepted", tok.alg), "")
	}
	if header.Has("crit") {
		raw, _ := header.Get("crit")
		return fail("the header lists critical extensions "+string(raw)+" that jwtrace does not implement (RFC 7515 §4.1.11)", "")
	}
	if header.Has("b64") {
		return fail(`the header has "b64" (RFC 7797 unencoded payload), which a JWT never uses`, "")
	}
	if raw, ok := header.Get("kid"); ok {
		kid, isStr := str(raw, true)
		if !isStr {
			return fail("the header's kid is not a string", "")
		}
		tok.kid = kid
	}
	if raw, ok := header.Get("typ"); ok {
		tok.typ, _ = str(raw, true)
	}
	if s == "" {
		return fail("the signature part is empty: the token's signature was stripped", "")
	}
	pb, err := b64url.DecodeString(p)
	if err != nil {
		return fail("the payload is not base64url (RFC 7515: no padding, - and _ instead of + and /)", "")
	}
	sig, err := b64url.DecodeString(s)
	if err != nil {
		return fail("the signature is not base64url (RFC 7515: no padding, - and _ instead of + and /)", "")
	}
	tok.sig = sig
	tok.signingInput = []byte(compact[:len(h)+1+len(p)])
	detail := "compact JWS, " + tok.alg
	if tok.kid != "" {
		detail += ", kid " + strconv.Quote(tok.kid)
	}
	if anyPayload {
		return tok, Check{Name: CheckFormat, Status: Pass, Detail: detail}
	}
	claims, dups, err := decode.ParseObject(pb)
	if err != nil {
		return fail("the claims are not a JSON object: "+err.Error(), "")
	}
	if len(dups) > 0 {
		return fail("the claims repeat "+quoteList(dups)+"; parsers disagree on which value counts, so jwtrace refuses it", "")
	}
	tok.claims = claims
	return tok, Check{Name: CheckFormat, Status: Pass, Detail: detail}
}

// ignoredHeaders names the header fields that point at keys. jwtrace never
// follows them: trusting a key the token brings is how forged tokens pass.
func ignoredHeaders(h *decode.Object) []string {
	var notes []string
	for _, name := range []string{"jku", "x5u", "jwk", "x5c"} {
		if h.Has(name) {
			notes = append(notes, fmt.Sprintf("the header's %s was ignored: jwtrace never uses keys the token names or carries", name))
		}
	}
	return notes
}

// checkSignature is the key lookup and the signature check.
func (v *Verifier) checkSignature(ctx context.Context, tok *token, r *Result) (Check, Check) {
	key := Check{Name: CheckKey}
	sig := Check{Name: CheckSignature}
	skipSig := func() (Check, Check) {
		sig.Status, sig.Detail = Skip, "not checked: no usable key"
		return key, sig
	}
	alg := tok.alg
	weak := v.Rules.AllowWeakSecret
	if len(v.Rules.Algs) > 0 && !contains(v.Rules.Algs, alg) {
		key.Status = Fail
		key.Detail = "alg " + alg + " is not allowed"
		key.Expected, key.Actual = strings.Join(v.Rules.Algs, ", "), alg
		return skipSig()
	}
	if !knownAlg(alg) {
		key.Status, key.Detail = Fail, fmt.Sprintf("alg %q is not a JWS algorithm jwtrace verifies", alg)
		return skipSig()
	}
	if v.Keys == nil {
		key.Status, key.Detail = Fail, "no keys were given"
		return skipSig()
	}
	matched, refreshed, err := v.Keys.lookup(ctx, tok.kid)
	if refreshed && tok.kid != "" {
		r.Notes = append(r.Notes, "the keys were refetched once because a token named a kid they lacked")
	}
	// Keys a --key file held but jwtrace refused are in the set only so
	// that a token naming one is told why.
	matched, refusedKey := dropRefused(matched, tok.kid)
	if len(matched) == 0 && refusedKey != nil {
		key.Status = Fail
		key.Detail = fmt.Sprintf("kid %q is in %s but was refused: %s", tok.kid, refusedKey.Source, refusedKey.refused)
		key.Hint = "jwtrace never verifies with a key it refused; the issuer must sign with a sound key"
		return skipSig()
	}
	if len(matched) == 0 {
		key.Status = Fail
		key.Detail = fmt.Sprintf("kid %q not found in %s (keys: %s)", tok.kid, v.Keys.Origin, kids(v.Keys.Keys()))
		if refreshed {
			key.Detail += "; the keys were refetched once"
		}
		if err != nil {
			key.Detail += "; the refetch failed: " + err.Error()
		}
		key.Hint = "the token may come from another authority or tenant, or its key was removed; kid values are only compared, never used as paths or queries"
		return skipSig()
	}
	usable := matched
	for i := range matched {
		if !matched[i].allows(alg, weak) {
			// Some do not fit: copy those that do.
			usable = nil
			for _, k := range matched {
				if k.allows(alg, weak) {
					usable = append(usable, k)
				}
			}
			break
		}
	}
	if len(usable) == 0 {
		key.Status = Fail
		if strings.HasPrefix(alg, "HS") {
			secrets := 0
			for _, k := range matched {
				if k.Type == "oct" {
					secrets++
				}
			}
			if secrets == 0 {
				key.Detail = "the token is HMAC-signed (" + alg + "), and the keys given are public keys, which never verify an HMAC token"
				key.Hint = "an HMAC token checked against an issuer's public keys is the RS256-to-HS256 key confusion attack (RFC 8725 §2.1): a public key's bytes are never an HMAC secret, so treat this token as forged"
			} else {
				key.Detail = fmt.Sprintf("the secret is too short for %s (RFC 7518 §3.2: at least the hash size)", alg)
				key.Hint = "--allow-weak-secret verifies anyway"
			}
			return skipSig()
		}
		var descr []string
		for _, k := range matched {
			d := k.Name()
			if algs := k.Algorithms(weak); len(algs) > 0 {
				d += " for " + strings.Join(algs, "/")
			}
			descr = append(descr, d)
		}
		key.Detail = fmt.Sprintf("no key can verify %s: %s", alg, strings.Join(descr, "; "))
		return skipSig()
	}
	if tok.kid != "" && len(usable) > 1 && usable[0].ID == tok.kid {
		key.Status = Fail
		key.Detail = fmt.Sprintf("%d keys in %s share kid %q; jwtrace refuses to guess which one signs", len(usable), v.Keys.Origin, tok.kid)
		key.Hint = "a kid must name one key (RFC 7517 §4.5); fix the key set"
		return skipSig()
	}
	key.Status = Pass
	switch {
	case v.brief:
	case len(usable) == 1:
		key.Detail = usable[0].withSource()
	default:
		key.Detail = fmt.Sprintf("%d candidate keys for %s (the token has no kid they share)", len(usable), alg)
	}

	for i := range usable {
		k := &usable[i]
		// The format check has matched the header's alg, refused crit and
		// b64, and decoded the signature strictly; the key was chosen for
		// this alg above. What is left is the signature math, which jwx's
		// building block does.
		if err := jwsbb.Verify(k.Public, alg, tok.signingInput, tok.sig); err == nil {
			sig.Status = Pass
			if !v.brief {
				sig.Detail = "verified with " + k.Name()
				if len(usable) > 1 {
					key.Detail = k.withSource()
				}
			}
			r.Key = k
			return key, sig
		}
	}
	sig.Status = Fail
	if len(usable) == 1 {
		sig.Detail = "the signature does not verify with " + usable[0].Name()
	} else {
		sig.Detail = fmt.Sprintf("the signature does not verify with any of the %d candidate keys", len(usable))
	}
	sizeDetail, sizeHint := sigSizeProblem(usable, alg, len(tok.sig))
	switch {
	case sizeDetail != "":
		sig.Detail, sig.Hint = sizeDetail+", and it does not verify", sizeHint
	case tok.header.Has("jwk") || tok.header.Has("jku") || tok.header.Has("x5u") || tok.header.Has("x5c"):
		sig.Hint = "the token names or carries its own key (jwk/jku/x5u/x5c); jwtrace never trusts those, only the keys you gave"
	case tok.header.Has("nonce"):
		// Microsoft Graph access tokens: Graph signs the header with the
		// SHA-256 of the nonce it shows, so the signature checks out only
		// at Graph (AzureAD/azure-activedirectory-identitymodel-extensions-
		// for-dotnet issues 609 and 853; MicrosoftDocs/azure-docs issue
		// 80018: "validate-jwt is not meant to validate tokens targeted
		// for the Graph api").
		sig.Detail += ": the header has a nonce, as Microsoft Graph access tokens do; Graph signs a header holding the nonce's SHA-256 instead, so only Graph can verify such a token"
		sig.Hint = "a Graph token is for Graph, not for your API: request a token for your own API (its aud), which you can verify"
	default:
		sig.Hint = "the token was altered after signing, or signed by another key with the same kid"
	}
	return key, sig
}

func (v *Verifier) checkIssuer(tok *token, r *Result) Check {
	c := Check{Name: CheckIssuer}
	iss, ok := str(tok.claims.Get("iss"))
	c.Actual = iss
	if v.Rules.SkipIssuer {
		c.Status, c.Detail = Skip, "NOT CHECKED (--skip-issuer): any issuer is accepted"
		return c
	}
	c.Expected = strings.Join(v.Rules.Issuers, ", ")
	if !ok {
		if tok.claims.Has("iss") {
			c.Status, c.Detail = Fail, "iss is not a string"
		} else {
			c.Status, c.Detail = Fail, "the token has no iss claim"
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
		match, note, err := matchIssuer(rule, iss, tid)
		if err == errNoTenant {
			noTenant = true
		}
		if !match {
			continue
		}
		if len(v.Rules.Tenants) > 0 && !containsASCIIFold(v.Rules.Tenants, tid) {
			c.Status = Fail
			c.Detail = fmt.Sprintf("tenant %s is not one of --tenant %s", orDash(tid), strings.Join(v.Rules.Tenants, ", "))
			return c
		}
		c.Status, c.Detail = Pass, iss
		if note != "" {
			c.Detail += " (" + note + ")"
		}
		if strings.Contains(rule, "{tenantid}") && len(v.Rules.Tenants) == 0 {
			r.Warnings = append(r.Warnings, "any tenant is accepted (the issuer rule is a {tenantid} template; --tenant limits it)")
		}
		return c
	}
	c.Status = Fail
	c.Detail = fmt.Sprintf("token iss %q is not an accepted issuer", iss)
	c.Hint = issuerHint(v.Rules.Issuers, iss)
	if noTenant && c.Hint == "" {
		c.Hint = "the issuer rule is a {tenantid} template, but the token has no tid claim"
	}
	return c
}

func (v *Verifier) checkAudience(tok *token) Check {
	c := Check{Name: CheckAudience}
	auds, ok := strList(tok.claims.Get("aud"))
	c.Actual = strings.Join(auds, ", ")
	if v.Rules.SkipAudience {
		c.Status, c.Detail = Skip, "NOT CHECKED (--skip-audience): a token for any audience is accepted"
		return c
	}
	c.Expected = strings.Join(v.Rules.Audiences, ", ")
	if !ok {
		c.Status = Fail
		if raw, has := tok.claims.Get("aud"); has {
			// RFC 7519 §4.1.3: a StringOrURI, or an array of them.
			c.Detail = "aud is " + excerpt(raw) + ": neither a string nor an array of strings (RFC 7519 §4.1.3)"
		} else {
			c.Detail = "the token has no aud claim"
			c.Hint = noAudienceHint(tok)
		}
		return c
	}
	for _, want := range v.Rules.Audiences {
		if contains(auds, want) {
			c.Status, c.Detail = Pass, want
			return c
		}
	}
	c.Status = Fail
	c.Detail = fmt.Sprintf("token aud [%s] has none of: %s", strings.Join(auds, ", "), strings.Join(v.Rules.Audiences, ", "))
	c.Hint = audienceHint(tok, auds, v.Rules.Audiences)
	return c
}

func audienceHint(tok *token, auds, want []string) string {
	for _, name := range []string{"nonce", "at_hash", "c_hash"} {
		if tok.claims.Has(name) {
			return "this looks like an ID token (it has " + name + "); APIs usually want the access token"
		}
	}
	// A device-flow or refreshed ID token has none of those (oidc-provider
	// sends none): a sign-in time without any scope or role is one too.
	// An RFC 9068 access token (typ at+jwt, client_id) is not one, scope
	// or not.
	accessToken := strings.Contains(strings.ToLower(tok.typ), "at+jwt") || tok.claims.Has("client_id")
	if !accessToken && !tok.claims.Has("scope") && !tok.claims.Has("scp") && !tokenHasRoles(tok.claims) {
		for _, name := range []string{"auth_time", "sid", "amr"} {
			if tok.claims.Has(name) {
				return "this looks like an ID token (it has " + name + " and no scope); APIs usually want the access token"
			}
		}
	}
	for _, w := range want {
		for _, a := range auds {
			if strings.TrimRight(w, "/") == strings.TrimRight(a, "/") {
				return "the audiences differ only by a trailing slash; audiences are compared exactly"
			}
		}
	}
	for _, a := range auds {
		if isGUID(a) {
			for _, w := range want {
				if strings.HasPrefix(w, "api://") {
					return "Azure AD v2 access tokens carry the API's application (client) ID as aud, not its api:// URI; add --audience " + a + " if that is your API"
				}
			}
		}
	}
	if len(want) > 0 {
		// Only Azure AD has the .default scope; elsewhere the way to ask
		// differs (audience=, resource=, a scope), so name the API only.
		if iss, _ := str(tok.claims.Get("iss")); strings.HasPrefix(want[0], "api://") && isAzure(iss) {
			return "this token was issued for another API: request one with scope " + strings.TrimRight(want[0], "/") + "/.default"
		}
		return "this token was issued for another API: request one for " + want[0]
	}
	return "the token was issued for another audience; request one for this service"
}

// noAudienceHint explains a token without aud, when its issuer is known to
// leave it out.
func noAudienceHint(tok *token) string {
	// AWS Cognito access tokens carry no aud: the app client is in
	// client_id, and token_use is "access" (AWS Cognito Developer Guide,
	// "Understanding the access token"; its ID tokens do carry aud).
	iss, _ := str(tok.claims.Get("iss"))
	use, _ := str(tok.claims.Get("token_use"))
	client, hasClient := str(tok.claims.Get("client_id"))
	cognito := strings.HasPrefix(iss, "https://cognito-idp.") && strings.Contains(iss, ".amazonaws.com/")
	if hasClient && (cognito || use == "access") {
		who := "AWS Cognito access tokens have"
		if !cognito {
			who = "access tokens with token_use access (AWS Cognito's kind) have"
		}
		arg := client
		if !shellWord(arg) {
			arg = "APP_CLIENT_ID" // a hostile value is never offered as a command
		}
		return who + " no aud: the app client is in client_id. If " + strconv.Quote(client) + " is your app client, check it instead: --skip-audience --require client_id=" + arg + " --require token_use=access"
	}
	return ""
}

// shellWord reports whether s can be pasted into a shell command as it is.
func shellWord(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:/@", c)) {
			return false
		}
	}
	return true
}

// isAzure reports whether iss is an Azure AD (Entra ID) issuer, v1 or v2.
func isAzure(iss string) bool {
	t, _ := azureIssuer(iss)
	return t != ""
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", c):
			return false
		}
	}
	return true
}

// checkTimes checks exp, nbf and iat at the given moment.
func (v *Verifier) checkTimes(tok *token, at time.Time) []Check {
	leeway := v.Rules.Leeway
	now := at.Unix()
	lw := int64(leeway / time.Second)
	leewayNote := ""
	if leeway > 0 {
		leewayNote = " (leeway " + leeway.String() + ")"
	}
	exp := Check{Name: CheckExpiry}
	switch sec, present, ok := numericClaim(tok.claims, "exp"); {
	case !present && v.Rules.AllowNoExp:
		exp.Status, exp.Detail = Skip, "the token has no exp (allowed by --allow-no-exp): it never expires"
	case !present:
		exp.Status, exp.Detail = Fail, "the token has no exp claim: it would never expire"
		exp.Hint = "--allow-no-exp accepts tokens without expiry"
	case !ok:
		exp.Status, exp.Detail = Fail, "exp is not a NumericDate (seconds since 1970 as a JSON number)"
	case now >= sec+lw:
		exp.Status = Fail
		exp.Detail = "expired " + decode.HumanSeconds(now-sec) + " ago, at " + rfc3339(sec) + leewayNote
		exp.Hint = "get a new token; --at TIME checks it at an earlier moment"
	case v.brief:
		exp.Status = Pass
	default:
		exp.Status = Pass
		exp.Detail = "expires in " + decode.HumanSeconds(sec-now) + ", at " + rfc3339(sec) + leewayNote
	}
	nbf := Check{Name: CheckNotBefore}
	switch sec, present, ok := numericClaim(tok.claims, "nbf"); {
	case !present:
		nbf.Status, nbf.Detail = Pass, "no nbf claim"
	case !ok:
		nbf.Status, nbf.Detail = Fail, "nbf is not a NumericDate"
	case now+lw < sec:
		nbf.Status = Fail
		nbf.Detail = "not valid yet: valid from " + rfc3339(sec) + ", in " + decode.HumanSeconds(sec-now) + leewayNote
		nbf.Hint = "the issuer's clock may be ahead of this one; --leeway allows for skew"
	case v.brief:
		nbf.Status = Pass
	default:
		nbf.Status, nbf.Detail = Pass, "valid since "+rfc3339(sec)
	}
	iat := Check{Name: CheckIssuedAt}
	switch sec, present, ok := numericClaim(tok.claims, "iat"); {
	case !present:
		iat.Status, iat.Detail = Pass, "no iat claim"
	case !ok:
		iat.Status, iat.Detail = Fail, "iat is not a NumericDate"
	case now+lw < sec:
		iat.Status = Fail
		iat.Detail = "issued in the future: at " + rfc3339(sec) + ", " + decode.HumanSeconds(sec-now) + " from now" + leewayNote
		iat.Hint = "the issuer's clock may be ahead of this one; --leeway allows for skew"
	case v.brief:
		iat.Status = Pass
	default:
		iat.Status, iat.Detail = Pass, "issued "+decode.HumanSeconds(now-sec)+" ago, at "+rfc3339(sec)
	}
	return []Check{exp, nbf, iat}
}

func (v *Verifier) checkType(tok *token) Check {
	c := Check{Name: CheckType, Actual: tok.typ}
	if v.Rules.Typ == "" {
		c.Status, c.Detail = Skip, "no --typ rule"
		if tok.typ != "" {
			c.Detail += " (typ is " + strconv.Quote(tok.typ) + ")"
		}
		return c
	}
	c.Expected = v.Rules.Typ
	norm := func(s string) string {
		s = strings.ToLower(s)
		if !strings.Contains(strings.TrimPrefix(s, "application/"), "/") {
			s = strings.TrimPrefix(s, "application/")
		}
		return s
	}
	if tok.typ != "" && norm(tok.typ) == norm(v.Rules.Typ) {
		c.Status, c.Detail = Pass, tok.typ
		return c
	}
	c.Status = Fail
	if tok.typ == "" {
		c.Detail = "the header has no typ; expected " + v.Rules.Typ
	} else {
		c.Detail = fmt.Sprintf("typ %q; expected %s", tok.typ, v.Rules.Typ)
	}
	if norm(v.Rules.Typ) == "at+jwt" {
		c.Hint = "RFC 9068 access tokens have typ at+jwt; an ID token or a plain JWT does not"
	}
	return c
}

func (v *Verifier) checkClaims(tok *token) Check {
	c := Check{Name: CheckClaims}
	if len(v.Rules.Require) == 0 {
		c.Status, c.Detail = Skip, "no --require rule"
		return c
	}
	var want, bad []string
	for _, req := range v.Rules.Require {
		want = append(want, req.String())
		raw, ok := tok.claims.Get(req.Claim)
		switch {
		case !ok:
			bad = append(bad, req.Claim+" is missing")
		case req.HasValue && !claimHas(raw, req.Value):
			bad = append(bad, fmt.Sprintf("%s is %s, not %q", req.Claim, excerpt(raw), req.Value))
		}
	}
	c.Expected = strings.Join(want, ", ")
	if len(bad) > 0 {
		c.Status, c.Detail = Fail, strings.Join(bad, "; ")
		return c
	}
	c.Status, c.Detail = Pass, strings.Join(want, ", ")
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
	c := Check{Name: CheckScopes}
	have := tokenScopes(tok.claims)
	c.Actual = strings.Join(have, " ")
	if len(v.Rules.Scopes) == 0 {
		c.Status, c.Detail = Skip, "no --scope rule"
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
		c.Status = Fail
		c.Detail = "missing " + strings.Join(missing, " ") + "; the token has: " + orDash(strings.Join(have, " "))
		if tokenHasRoles(tok.claims) {
			c.Hint = "app-only tokens carry roles instead of scp; check the roles claim"
		}
		return c
	}
	c.Status, c.Detail = Pass, strings.Join(v.Rules.Scopes, " ")
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

// numericClaim reads a NumericDate claim.
func numericClaim(claims *decode.Object, name string) (sec int64, present, ok bool) {
	raw, present := claims.Get(name)
	if !present {
		return 0, false, false
	}
	s := string(raw)
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return 0, true, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, true, false
	}
	const limit = 1 << 47 // far beyond any real date, and safe to add to
	if f > limit {
		f = limit
	} else if f < -limit {
		f = -limit
	}
	return int64(f), true, true
}

func rfc3339(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }

// str decodes a JSON string value.
func str(raw json.RawMessage, ok bool) (string, bool) {
	if !ok || len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if !strings.Contains(string(raw), `\`) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// strList decodes a string or an array of strings. An array with any
// member that is not a string (null among them, which encoding/json would
// quietly turn into "") is not one.
func strList(raw json.RawMessage, ok bool) ([]string, bool) {
	if s, isStr := str(raw, ok); isStr {
		return []string{s}, true
	}
	if !ok || len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var members []json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return nil, false
	}
	list := make([]string, 0, len(members))
	for _, m := range members {
		s, isStr := str(m, true)
		if !isStr {
			return nil, false
		}
		list = append(list, s)
	}
	return list, true
}

func excerpt(raw json.RawMessage) string {
	if len(raw) > 60 {
		cut := 57
		for cut > 0 && !utf8.RuneStart(raw[cut]) {
			cut--
		}
		return string(raw[:cut]) + "..."
	}
	return string(raw)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	sort.Strings(q)
	return strings.Join(q, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// containsASCIIFold compares ignoring ASCII case only (tenant IDs are
// GUIDs or domain names): Unicode folding would let "\u212Aontoso" (Kelvin
// sign) pass for "kontoso".
func containsASCIIFold(list []string, s string) bool {
	for _, x := range list {
		if len(x) == len(s) && asciiLower(x) == asciiLower(s) {
			return true
		}
	}
	return false
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
