package authority

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/jwtrace/jwtrace/decode"
)

// ClientAssertionType is RFC 7523 §2.2's client_assertion_type.
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionAlgs are the algorithms client assertions may be signed with.
var assertionAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// maxAssertionLifetime bounds exp - now of a client assertion: a longer
// lived one is a credential, not an assertion.
const maxAssertionLifetime = time.Hour

// clientAssertion authenticates a private_key_jwt client (RFC 7523 §3):
// the JWT is signed by a key of the client's registered JWKS, iss and sub
// are the client, aud names this authority (its issuer, or the URL of the
// endpoint called), it has not expired, and its jti was not seen before.
func (a *Authority) clientAssertion(r *http.Request, form map[string][]string, assertion string) (*Client, error) {
	if len(assertion) > 16<<10 {
		return nil, invalidClient("the client assertion is larger than 16 KiB")
	}
	msg, err := jws.Parse([]byte(assertion))
	if err != nil || len(msg.Signatures()) != 1 {
		return nil, invalidClient("the client assertion is not a compact JWS")
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp *float64        `json:"exp"`
		Nbf *float64        `json:"nbf"`
		Jti string          `json:"jti"`
	}
	if json.Unmarshal(msg.Payload(), &claims) != nil {
		return nil, invalidClient("the client assertion's payload is not a JSON claims set")
	}
	id := claims.Iss
	if v := firstValue(form, "client_id"); v != "" && v != id {
		return nil, invalidClient("client_id %s differs from the assertion's iss %s", logValue(v), logValue(id))
	}
	logClient(r, id)
	c := a.clients[id]
	set := a.clientKeys[id]
	switch {
	case c == nil:
		return nil, invalidClient("unknown client %s (the assertion's iss)", logValue(id))
	case set == nil:
		return nil, invalidClient("client %s has no registered keys (jwks): it cannot use private_key_jwt", logValue(id))
	case claims.Sub != id:
		return nil, invalidClient("the client assertion's sub must be the client id %s (RFC 7523 §3)", logValue(id))
	}
	sig := msg.Signatures()[0]
	alg, _ := sig.ProtectedHeaders().Algorithm()
	if !slices.Contains(assertionAlgs, alg.String()) {
		return nil, invalidClient("client assertions are signed with one of %s, not %s", strings.Join(assertionAlgs, ", "), logValue(alg.String()))
	}
	if _, err := jws.Verify([]byte(assertion), jws.WithKeySet(set, jws.WithRequireKid(false), jws.WithInferAlgorithmFromKey(true))); err != nil {
		return nil, invalidClient("the client assertion's signature does not verify with client %s's registered keys", logValue(id))
	}
	var auds []string
	if json.Unmarshal(claims.Aud, &auds) != nil {
		var one string
		if json.Unmarshal(claims.Aud, &one) == nil {
			auds = []string{one}
		}
	}
	base := a.base(r)
	ok := false
	for _, aud := range auds {
		if aud == a.issuerFor(r) || aud == strings.TrimSuffix(a.issuerFor(r), "/") || aud == base+PathToken || aud == base+r.URL.Path[len(a.prefix):] {
			ok = true
		}
	}
	if !ok {
		return nil, invalidClient("the client assertion's aud must name this authority (%s) or its token endpoint", a.issuerFor(r))
	}
	now := a.cfg.Now()
	switch {
	case claims.Exp == nil:
		return nil, invalidClient("the client assertion has no exp (RFC 7523 §3)")
	case !now.Before(time.Unix(int64(*claims.Exp), 0).Add(time.Minute)):
		return nil, invalidClient("the client assertion expired")
	case time.Unix(int64(*claims.Exp), 0).Sub(now) > maxAssertionLifetime:
		return nil, invalidClient("the client assertion is valid for more than %s", maxAssertionLifetime)
	case claims.Nbf != nil && now.Add(time.Minute).Before(time.Unix(int64(*claims.Nbf), 0)):
		return nil, invalidClient("the client assertion is not valid yet (nbf)")
	case claims.Jti == "":
		return nil, invalidClient("the client assertion has no jti, so its replay cannot be refused")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, exp := range a.assertions {
		if now.After(exp) {
			delete(a.assertions, k)
		}
	}
	key := id + "\x00" + claims.Jti
	if _, seen := a.assertions[key]; seen {
		return nil, invalidClient("the client assertion was already used (jti %s)", logValue(claims.Jti))
	}
	if len(a.assertions) >= maxPending {
		return nil, oauthErr(http.StatusServiceUnavailable, "temporarily_unavailable", "too many client assertions in flight")
	}
	a.assertions[key] = time.Unix(int64(*claims.Exp), 0).Add(time.Minute)
	return c, nil
}

func firstValue(form map[string][]string, k string) string {
	if v := form[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// accessClaims verifies one of the authority's own access tokens: its
// signature with the authority's keys, iss, exp, and that it was not
// revoked. It returns the claims, or nil for a token that is not active.
func (a *Authority) accessClaims(token string) map[string]any {
	if len(token) > 16<<10 || strings.Count(token, ".") != 2 {
		return nil
	}
	set, err := a.JWKS()
	if err != nil {
		return nil
	}
	payload, err := jws.Verify([]byte(token), jws.WithKeySet(set, jws.WithInferAlgorithmFromKey(true)))
	if err != nil {
		return nil
	}
	var claims map[string]any
	d := json.NewDecoder(strings.NewReader(string(payload)))
	d.UseNumber()
	if d.Decode(&claims) != nil {
		return nil
	}
	if iss, _ := claims["iss"].(string); iss != a.Issuer() {
		return nil
	}
	exp, err := numberOf(claims["exp"])
	if err != nil || !a.cfg.Now().Before(time.Unix(exp, 0)) {
		return nil
	}
	if _, isID := claims["nonce"]; isID {
		return nil // an ID token is not an access token
	}
	if _, hasClient := claims["client_id"]; !hasClient {
		return nil // minted, not issued by the token endpoint
	}
	jti, _ := claims["jti"].(string)
	a.mu.Lock()
	_, revoked := a.revoked[jti]
	a.mu.Unlock()
	if revoked {
		return nil
	}
	return claims
}

func numberOf(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errors.New("not a number")
	}
	return n.Int64()
}

// introspect is the introspection endpoint (RFC 7662). The caller must be
// a confidential client (§2.1: the endpoint needs authorization); any of
// the authority's tokens can be asked about. An inactive, unknown or
// revoked token is {"active": false} and nothing more (§2.2).
func (a *Authority) introspect(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := a.authenticateClient(r, form)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if c.Public() {
		writeError(w, r, invalidClient("client %s is public: introspection needs a confidential client (RFC 7662 §2.1)", logValue(c.ID)))
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeError(w, r, invalidRequest("token is missing"))
		return
	}
	resp := map[string]any{"active": false}
	if claims := a.accessClaims(tok); claims != nil {
		resp = map[string]any{"active": true, "token_type": "Bearer"}
		for _, k := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", a.cfg.ScopeClaim} {
			if v, ok := claims[k]; ok {
				resp[k] = v
			}
		}
		if s, ok := claims[a.cfg.ScopeClaim]; ok {
			resp["scope"] = s // RFC 7662 §2.2 names it scope
			delete(resp, "scp")
		}
		if _, isUser := claims["auth_time"]; isUser {
			resp["username"] = claims["sub"]
		}
	} else if g := a.refreshFor(tok); g != nil {
		resp = map[string]any{"active": true, "token_type": "refresh_token", "client_id": g.client, "sub": g.user,
			"scope": strings.Join(g.scopes, " "), "exp": g.expires.Unix(), "iss": a.Issuer()}
	}
	logf(r, "active=%v", resp["active"])
	writeJSON(w, http.StatusOK, resp)
}

// refreshFor is the unexpired refresh grant of a refresh token, or nil.
func (a *Authority) refreshFor(rt string) *refreshGrant {
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.refresh[rt]
	if g == nil || !a.cfg.Now().Before(g.expires) {
		return nil
	}
	return g
}

// userinfo is the UserInfo endpoint (OpenID Connect Core §5.3): a bearer
// access token with the openid scope gets its user's claims. Errors are
// RFC 6750 §3's WWW-Authenticate.
func (a *Authority) userinfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	bearerErr := func(status int, code, desc string) {
		w.Header().Set("WWW-Authenticate", a.userinfoChallenge(r, code, desc))
		logf(r, "error=%s", code)
		writeJSON(w, status, &Error{Code: code, Description: desc})
	}
	tok, ok := decode.BearerToken(r.Header.Get("Authorization"))
	if !ok || tok == "" {
		w.Header().Set("WWW-Authenticate", a.userinfoChallenge(r, "", ""))
		logf(r, "no token")
		http.Error(w, "401 send the access token as Authorization: Bearer TOKEN", http.StatusUnauthorized)
		return
	}
	claims := a.accessClaims(tok)
	if claims == nil {
		bearerErr(http.StatusUnauthorized, "invalid_token", "the access token is not active")
		return
	}
	scope, _ := claims[a.cfg.ScopeClaim].(string)
	if !slices.Contains(strings.Fields(scope), "openid") {
		bearerErr(http.StatusForbidden, "insufficient_scope", "the access token lacks the openid scope")
		return
	}
	sub, _ := claims["sub"].(string)
	u := a.user(sub)
	if u == nil {
		bearerErr(http.StatusUnauthorized, "invalid_token", "the token is not a user's")
		return
	}
	resp := map[string]any{}
	for k, v := range u.Claims {
		resp[k] = v
	}
	resp["sub"] = u.Subject
	logClient(r, sub)
	logf(r, "userinfo")
	writeJSON(w, http.StatusOK, resp)
}

// revoke is the revocation endpoint (RFC 7009): the client's refresh
// token is forgotten, its access token's jti refused until it expires. An
// unknown or another client's token is answered 200 as well (§2.2), and
// left alone.
func (a *Authority) revoke(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := a.authenticateClient(r, form)
	if err != nil {
		writeError(w, r, err)
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeError(w, r, invalidRequest("token is missing"))
		return
	}
	result := "unknown token"
	a.mu.Lock()
	if g := a.refresh[tok]; g != nil && g.client == c.ID {
		delete(a.refresh, tok)
		result = "refresh token revoked"
	}
	a.mu.Unlock()
	if result == "unknown token" {
		if claims := a.accessClaims(tok); claims != nil && claims["client_id"] == c.ID {
			jti, _ := claims["jti"].(string)
			exp, _ := numberOf(claims["exp"])
			a.mu.Lock()
			for k, t := range a.revoked {
				if a.cfg.Now().After(t) {
					delete(a.revoked, k)
				}
			}
			a.revoked[jti] = time.Unix(exp, 0)
			a.mu.Unlock()
			result = "access token revoked"
		}
	}
	logf(r, "%s", result)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
