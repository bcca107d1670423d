package authority

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
)

// Token type identifiers (RFC 8693 §3) that the token exchange grant
// accepts and issues: the authority's access tokens are JWTs, so either
// names them.
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// maxExchangeToken bounds a subject, actor or assertion token.
const maxExchangeToken = 16 << 10

// notCarried are the subject token's claims a delegated token does not
// copy: the ones the authority sets afresh (who issued it, for whom, when,
// for which client, with what scopes, the actor chain), may_act (RFC 8693
// §4.4: it was about exchanging the subject token), cnf (RFC 7800: the new
// token is a bearer token, not bound to the old one's key) and the ID
// token claims. The rest (sub, name, email, tid, auth_time, roles, ...)
// stays: the subject is the same.
var notCarried = []string{"iss", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "scp", "act", "azp", "may_act", "cnf", "nonce", "at_hash", "c_hash"}

// tokenExchange is the token exchange grant (RFC 8693 §2.1): subject_token
// and subject_token_type, optional actor_token and actor_token_type,
// audience and resource (either repeatable, RFC 8707), scope and
// requested_token_type. The answer is §2.2.1's: access_token,
// issued_token_type, token_type Bearer, expires_in and scope.
//
// Errors follow §2.2.2: a subject or actor token that is invalid "for any
// reason, or [is] unacceptable based on policy" (may_act included) is
// invalid_request, which the RFC makes a MUST; a target the client may
// not have is invalid_target; a scope it may not ask for invalid_scope.
func (a *Authority) tokenExchange(c *Client, form url.Values) (*TokenResponse, error) {
	subject, subjectType := form.Get("subject_token"), form.Get("subject_token_type")
	actor, actorType := form.Get("actor_token"), form.Get("actor_token_type")
	requested := form.Get("requested_token_type")
	switch {
	case subject == "":
		return nil, invalidRequest("subject_token is missing: send the token to exchange (RFC 8693 §2.1)")
	case subjectType == "":
		return nil, invalidRequest("subject_token_type is missing: use %s or %s", TokenTypeAccessToken, TokenTypeJWT)
	case !exchangeType(subjectType):
		return nil, invalidRequest("unsupported subject_token_type %s: this authority exchanges its own JWT access tokens; use %s or %s", logValue(subjectType), TokenTypeAccessToken, TokenTypeJWT)
	case actor != "" && actorType == "":
		return nil, invalidRequest("actor_token_type is missing: it is required with actor_token (RFC 8693 §2.1)")
	case actor == "" && actorType != "":
		return nil, invalidRequest("actor_token_type without actor_token: send both or neither (RFC 8693 §2.1)")
	case actorType != "" && !exchangeType(actorType):
		return nil, invalidRequest("unsupported actor_token_type %s: use %s or %s", logValue(actorType), TokenTypeAccessToken, TokenTypeJWT)
	case requested != "" && !exchangeType(requested):
		return nil, invalidRequest("unsupported requested_token_type %s: this authority issues %s or %s", logValue(requested), TokenTypeAccessToken, TokenTypeJWT)
	}
	if requested == "" {
		requested = TokenTypeAccessToken
	}
	claims, problem, err := a.ownToken(subject, subjectType)
	if err != nil {
		return nil, err
	}
	if problem != "" {
		return nil, invalidRequest("the subject_token %s", problem)
	}
	actorSub := c.ID
	if actor != "" {
		ac, problem, err := a.ownToken(actor, actorType)
		if err != nil {
			return nil, err
		}
		if problem != "" {
			return nil, invalidRequest("the actor_token %s", problem)
		}
		actorSub, _ = ac["sub"].(string)
	}
	if problem := mayAct(claims, actorSub, a.Issuer()); problem != "" {
		return nil, invalidRequest("%s", problem)
	}
	aud, err := a.audience(c, form)
	if err != nil {
		return nil, err
	}
	if err := exchangeTarget(c, aud); err != nil {
		return nil, err
	}
	var scopes []string
	if _, asked := form["scope"]; asked {
		if scopes, err = a.scopes(c, form); err != nil {
			return nil, err
		}
	} else {
		// No scope parameter: the subject's scopes, less those the client
		// may not ask for (then the response's scope says what was issued).
		for _, s := range scopesOf(claims) {
			if len(c.Scopes) == 0 || slices.Contains(c.Scopes, s) || slices.Contains(standardScopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	resp, err := a.issueDelegated(delegation{client: c, subject: claims, actor: actorSub, aud: aud, scopes: scopes})
	if err != nil {
		return nil, err
	}
	resp.IssuedTokenType = requested
	return resp, nil
}

// onBehalfOf is Azure AD's on-behalf-of flow: the JWT bearer grant (RFC
// 7523 §2.1) with requested_token_use=on_behalf_of. Its parameters, per
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow:
// grant_type urn:ietf:params:oauth:grant-type:jwt-bearer, the client's
// credentials (client_secret, or client_assertion_type and
// client_assertion), assertion (the access token the middle tier
// received: its aud must be that middle tier), scope (the downstream API's
// scopes, e.g. api://billing/.default) and requested_token_use. The answer
// is token_type Bearer, scope, expires_in and access_token; this
// authority gives no refresh token.
//
// An assertion that is invalid, or not meant for the calling client, is
// invalid_grant (RFC 7523 §3.1, and what Microsoft answers).
func (a *Authority) onBehalfOf(c *Client, form url.Values) (*TokenResponse, error) {
	if use := form.Get("requested_token_use"); use != "on_behalf_of" {
		return nil, invalidRequest("requested_token_use must be on_behalf_of, not %s: this authority serves the jwt-bearer grant for the on-behalf-of flow only", logValue(use))
	}
	assertion := form.Get("assertion")
	if assertion == "" {
		return nil, invalidRequest("assertion is missing: send the access token the calling service received")
	}
	if form.Get("scope") == "" {
		return nil, invalidRequest("scope is missing: name the downstream API's scopes, e.g. api://billing/.default")
	}
	api, names, asked, err := oboScope(c, form.Get("scope"))
	if err != nil {
		return nil, err
	}
	claims, problem, err := a.ownToken(assertion, TokenTypeAccessToken)
	if err != nil {
		return nil, err
	}
	if problem != "" {
		return nil, invalidGrant("the assertion %s", problem)
	}
	auds := audValues(claims["aud"])
	if !slices.Contains(auds, c.ID) && !slices.Contains(auds, "api://"+c.ID) {
		return nil, invalidGrant("the assertion's aud is %s, not client %s (or api://%s): on-behalf-of exchanges the token sent to the calling service, not one meant for another", logValue(strings.Join(auds, " ")), logValue(c.ID), logValue(c.ID))
	}
	if problem := mayAct(claims, c.ID, a.Issuer()); problem != "" {
		return nil, invalidGrant("%s", problem)
	}
	if err := exchangeTarget(c, []string{api}); err != nil {
		return nil, err
	}
	resp, err := a.issueDelegated(delegation{client: c, subject: claims, actor: c.ID, aud: []string{api}, scopes: names, azp: true})
	if err != nil {
		return nil, err
	}
	resp.Scope = strings.Join(asked, " ")
	return resp, nil
}

func exchangeType(t string) bool { return t == TokenTypeAccessToken || t == TokenTypeJWT }

// oboScope reads an on-behalf-of scope: API/PERMISSION values for one API
// (api://billing/invoices.read, or api://billing/.default for the
// permissions the API has, which names none here), and the OpenID scopes,
// which are not the API's. It returns the API (the new token's aud), the
// permissions (its scope claim) and the API's scopes as asked.
func oboScope(c *Client, s string) (api string, names, asked []string, err error) {
	xs, err := parseScope(s)
	if err != nil {
		return "", nil, nil, err
	}
	hasDefault := false
	for _, x := range xs {
		if slices.Contains(standardScopes, x) {
			continue
		}
		res, name := "", ""
		if i := strings.LastIndex(x, "/"); i > 0 {
			res, name = x[:i], x[i+1:]
		}
		if u, perr := url.Parse(res); perr != nil || u.Scheme == "" || u.Host == "" || name == "" {
			if u, perr := url.Parse(x); perr == nil && u.Scheme != "" && u.Host != "" && (u.Path == "" || u.Path == "/") {
				base := strings.TrimSuffix(x, "/")
				return "", nil, nil, oauthErr(http.StatusBadRequest, "invalid_scope", "scope %s names an API but no permission: use %s/.default or %s/PERMISSION", logValue(x), base, base)
			}
			return "", nil, nil, oauthErr(http.StatusBadRequest, "invalid_scope", "scope %s names no API: on-behalf-of scopes are API/PERMISSION, e.g. api://billing/.default or api://billing/invoices.read", logValue(x))
		}
		if api != "" && res != api {
			return "", nil, nil, oauthErr(http.StatusBadRequest, "invalid_scope", "scopes for %s and %s: on-behalf-of asks for one API at a time", logValue(api), logValue(res))
		}
		api = res
		if name == ".default" {
			hasDefault = true
		} else {
			if len(c.Scopes) > 0 && !slices.Contains(c.Scopes, x) && !slices.Contains(c.Scopes, name) {
				return "", nil, nil, oauthErr(http.StatusBadRequest, "invalid_scope", "client %s may not ask for scope %s (allowed: %s)", logValue(c.ID), logValue(x), strings.Join(c.Scopes, " "))
			}
			names = append(names, name)
		}
		asked = append(asked, x)
	}
	switch {
	case api == "":
		return "", nil, nil, oauthErr(http.StatusBadRequest, "invalid_scope", "scope %s names no API: add the downstream API's scope, e.g. api://billing/.default", logValue(s))
	case hasDefault && len(names) > 0:
		return "", nil, nil, oauthErr(http.StatusBadRequest, "invalid_scope", "%s/.default stands for all of the API's permissions: ask for it alone, or for named permissions without it", logValue(api))
	}
	return api, names, asked, nil
}

// exchangeTarget refuses an audience outside the client's
// ExchangeAudiences (RFC 8693 §2.2.2: invalid_target).
func exchangeTarget(c *Client, aud []string) error {
	if len(c.ExchangeAudiences) == 0 {
		return nil
	}
	for _, x := range aud {
		if !slices.Contains(c.ExchangeAudiences, x) {
			return oauthErr(http.StatusBadRequest, "invalid_target", "client %s may not exchange a token for audience %s (allowed: %s); ask for one of those with audience or resource", logValue(c.ID), logValue(x), strings.Join(c.ExchangeAudiences, " "))
		}
	}
	return nil
}

// ownToken checks that tok is a token this authority signed and that is
// still good: a JWS whose signature verifies with one of the authority's
// keys, whose iss is the authority, that has not expired, is valid already
// (nbf) and was not revoked; for typ access_token, not an ID token. It
// returns the claims, or what is wrong as the rest of a sentence ("expired
// at ...").
func (a *Authority) ownToken(tok, typ string) (claims map[string]any, problem string, err error) {
	if len(tok) > maxExchangeToken {
		return nil, fmt.Sprintf("is larger than %d KiB", maxExchangeToken>>10), nil
	}
	if strings.Count(tok, ".") != 2 {
		return nil, "is not a JWT (a compact JWS: three base64url parts separated by dots)", nil
	}
	msg, perr := jws.Parse([]byte(tok))
	if perr != nil || len(msg.Signatures()) != 1 {
		return nil, "is not a JWT (a compact JWS: three base64url parts separated by dots)", nil
	}
	d := jsonDecoder(strings.NewReader(string(msg.Payload())))
	if d.Decode(&claims) != nil || claims == nil {
		return nil, "is not a JWT: its payload is not a JSON object", nil
	}
	iss, _ := claims["iss"].(string)
	set, err := a.JWKS()
	if err != nil {
		return nil, "", err
	}
	if _, verr := jws.Verify([]byte(tok), jws.WithKeySet(set, jws.WithInferAlgorithmFromKey(true))); verr != nil {
		if iss != a.Issuer() {
			return nil, fmt.Sprintf("was issued by %s, not by this authority (%s): it exchanges only the tokens it issued", logValue(iss), a.Issuer()), nil
		}
		kid, _ := msg.Signatures()[0].ProtectedHeaders().KeyID()
		return nil, fmt.Sprintf("names this authority as issuer, but its signature (kid %s) does not verify with any of its keys: it was signed by another key, or altered", logValue(kid)), nil
	}
	if iss != a.Issuer() {
		return nil, fmt.Sprintf("names issuer %s, not this authority's %s", logValue(iss), a.Issuer()), nil
	}
	now := a.cfg.Now()
	exp, eerr := numberOf(claims["exp"])
	switch {
	case eerr != nil:
		return nil, "has no exp (a numeric expiry)", nil
	case !now.Before(time.Unix(exp, 0)):
		at := time.Unix(exp, 0)
		return nil, fmt.Sprintf("expired at %s (%s ago); get a new one", at.UTC().Format(time.RFC3339), now.Sub(at).Truncate(time.Second)), nil
	}
	if nbf, err := numberOf(claims["nbf"]); err == nil && now.Before(time.Unix(nbf, 0)) {
		return nil, fmt.Sprintf("is not valid before %s (nbf)", time.Unix(nbf, 0).UTC().Format(time.RFC3339)), nil
	}
	if sub, _ := claims["sub"].(string); sub == "" {
		return nil, "has no sub, so it names no subject to act for", nil
	}
	if _, ok := claims["act"]; ok {
		if _, isObject := claims["act"].(map[string]any); !isObject {
			return nil, "has an act claim that is not a JSON object (RFC 8693 §4.1)", nil
		}
	}
	_, nonce := claims["nonce"]
	_, atHash := claims["at_hash"]
	if typ == TokenTypeAccessToken && (nonce || atHash) {
		return nil, "is an ID token, not an access token: exchange the access token", nil
	}
	jti, _ := claims["jti"].(string)
	a.mu.Lock()
	_, revoked := a.revoked[jti]
	a.mu.Unlock()
	if revoked && jti != "" {
		return nil, "was revoked", nil
	}
	return claims, "", nil
}

// mayAct checks the subject token's may_act claim (RFC 8693 §4.4: "the
// party identified by the claim [is] authorized to become the actor"),
// when it has one, against the actor: its sub, and its iss when may_act
// names one. It returns what is wrong, or "".
func mayAct(claims map[string]any, actor, iss string) string {
	raw, ok := claims["may_act"]
	if !ok {
		return ""
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return "the subject token's may_act claim is not a JSON object (RFC 8693 §4.4)"
	}
	sub, _ := claims["sub"].(string)
	allowed, _ := m["sub"].(string)
	if allowed == "" {
		return fmt.Sprintf("the subject token's may_act names no sub, so nobody may act for %s (RFC 8693 §4.4)", logValue(sub))
	}
	if allowed != actor {
		return fmt.Sprintf("the subject token's may_act lets only %s act for %s, not %s (RFC 8693 §4.4)", logValue(allowed), logValue(sub), logValue(actor))
	}
	if i, ok := m["iss"]; ok && i != iss {
		return fmt.Sprintf("the subject token's may_act names an actor of issuer %v, not of this authority (RFC 8693 §4.4)", logValue(fmt.Sprint(i)))
	}
	return ""
}

// scopesOf is a token's scopes: its scope (or scp) claim, a
// space-separated string or an array of strings.
func scopesOf(claims map[string]any) []string {
	for _, k := range []string{"scope", "scp"} {
		switch v := claims[k].(type) {
		case string:
			return strings.Fields(v)
		case []any:
			var out []string
			for _, x := range v {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
			return out
		}
	}
	return nil
}

// audValues is an aud claim as a list.
func audValues(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// delegation is what a delegated token is issued for.
type delegation struct {
	client  *Client
	subject map[string]any // the verified subject token's claims
	actor   string         // act.sub
	aud     []string
	scopes  []string
	azp     bool // on-behalf-of: azp is the calling client
}

// issueDelegated makes the access token of an exchange: the subject's
// claims (less notCarried), the requested audience, fresh iat, nbf, exp
// and jti, client_id the calling client, and act {"sub": actor}, with the
// subject token's own act inside it (RFC 8693 §4.1: "the outermost act
// claim ... represents the current actor while nested act claims
// represent prior actors").
func (a *Authority) issueDelegated(d delegation) (*TokenResponse, error) {
	now := a.cfg.Now()
	jti, err := a.random(16)
	if err != nil {
		return nil, err
	}
	claims := map[string]any{}
	for k, v := range d.subject {
		if !slices.Contains(notCarried, k) {
			claims[k] = v
		}
	}
	act := map[string]any{"sub": d.actor}
	if prev, ok := d.subject["act"]; ok {
		act["act"] = prev
	}
	for k, v := range map[string]any{
		"iss": a.Issuer(), "aud": audClaim(d.aud),
		"exp": now.Add(a.cfg.TTL).Unix(), "iat": now.Unix(), "nbf": now.Unix(), "jti": jti,
		"client_id": d.client.ID, "act": act,
	} {
		claims[k] = v
	}
	if d.azp {
		claims["azp"] = d.client.ID
	}
	if len(d.scopes) > 0 {
		claims[a.cfg.ScopeClaim] = strings.Join(d.scopes, " ")
	}
	at, err := Sign(a.SigningKey(), map[string]any{"typ": a.cfg.AccessTokenTyp}, claims)
	if err != nil {
		return nil, err
	}
	return &TokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(a.cfg.TTL / time.Second), Scope: strings.Join(d.scopes, " ")}, nil
}
