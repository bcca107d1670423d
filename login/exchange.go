package login

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/decode"
)

// Grant types of the exchanges, as sent in grant_type.
const (
	// GrantTokenExchange is OAuth 2.0 Token Exchange (RFC 8693 §2.1).
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// GrantJWTBearer is the JWT bearer grant (RFC 7523 §2.1), which Azure
	// AD's on-behalf-of flow uses with requested_token_use=on_behalf_of
	// (learn.microsoft.com, "Microsoft identity platform and OAuth 2.0
	// On-Behalf-Of flow", "Middle-tier access token request").
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// Token type identifiers (RFC 8693 §3).
const (
	TokenTypeAccessToken  = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
	TokenTypeIDToken      = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeSAML1        = "urn:ietf:params:oauth:token-type:saml1"
	TokenTypeSAML2        = "urn:ietf:params:oauth:token-type:saml2"
	TokenTypeJWT          = "urn:ietf:params:oauth:token-type:jwt"
)

// TokenTypes are the short names NormalizeTokenType takes, in the order
// RFC 8693 §3 lists them.
var TokenTypes = []string{"access_token", "refresh_token", "id_token", "saml1", "saml2", "jwt"}

// NormalizeTokenType turns a short token type name (access_token, jwt,
// ...) into its RFC 8693 §3 URI; a URI (anything with a colon) is taken
// as it is, since a server may define its own. "" stays "".
func NormalizeTokenType(t string) (string, error) {
	switch t {
	case "":
		return "", nil
	case "access_token":
		return TokenTypeAccessToken, nil
	case "refresh_token":
		return TokenTypeRefreshToken, nil
	case "id_token":
		return TokenTypeIDToken, nil
	case "saml1":
		return TokenTypeSAML1, nil
	case "saml2":
		return TokenTypeSAML2, nil
	case "jwt":
		return TokenTypeJWT, nil
	}
	if strings.Contains(t, ":") && plainToken(t) {
		return t, nil
	}
	return "", fmt.Errorf("%q is not a token type: give a URI (%s) or one of %s", oneLine(t), TokenTypeAccessToken, strings.Join(TokenTypes, ", "))
}

// ShortTokenType is the short name of a token type URI of RFC 8693 §3
// ("access_token"), or the URI itself.
func ShortTokenType(uri string) string {
	if s, ok := strings.CutPrefix(uri, "urn:ietf:params:oauth:token-type:"); ok && slices.Contains(TokenTypes, s) {
		return s
	}
	return uri
}

// ExchangeRequest is a token exchange (RFC 8693 §2.1) or, with
// OnBehalfOf, Azure AD's on-behalf-of request.
type ExchangeRequest struct {
	// Client is the client that exchanges and where: Authority or
	// TokenEndpoint, ClientID and its credential (ClientSecret, ClientKey
	// or ClientAssertion, ClientAuth), as for a login. Its Scopes,
	// Audience, Resource, Params and Grant are not used.
	Client Request
	// SubjectToken is the token exchanged; SubjectTokenType its type URI
	// (default TokenTypeAccessToken; not sent with OnBehalfOf).
	SubjectToken, SubjectTokenType string
	// ActorToken names the acting party (RFC 8693 §2.1: actor_token), of
	// ActorTokenType (default TokenTypeAccessToken).
	ActorToken, ActorTokenType string
	// Audiences and Resources are the targets asked for, each sent as its
	// own audience or resource parameter (RFC 8693 §2.1, RFC 8707).
	Audiences, Resources []string
	// Scopes are sent space-separated in scope.
	Scopes []string
	// RequestedTokenType is requested_token_type ("" for the server's
	// choice).
	RequestedTokenType string
	// OnBehalfOf sends Azure AD's form instead: grant_type jwt-bearer,
	// the subject token as assertion, requested_token_use=on_behalf_of and
	// scope (which names the target API, api://billing/.default).
	OnBehalfOf bool
}

// Exchanged is an exchange's result (RFC 8693 §2.2.1; Azure AD's
// on-behalf-of response has the same members less issued_token_type).
type Exchanged struct {
	// AccessToken is the issued token, whatever its type (RFC 8693 §2.2.1:
	// the member is access_token even for an ID token or a JWT).
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type,omitempty"`
	TokenType       string `json:"token_type,omitempty"`
	// ExpiresIn is the response's expires_in in seconds (0 when it has
	// none); Expiry is when that is, or the JWT's exp without one.
	ExpiresIn    int64     `json:"expires_in,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Scope        string    `json:"scope,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	// Grant is the grant_type sent; Endpoint where.
	Grant    string `json:"grant_type"`
	Endpoint string `json:"token_endpoint"`
	// Notes are what the response leaves out that the protocol asks for
	// (a missing issued_token_type), one line each, escaped.
	Notes []string `json:"notes,omitempty"`
}

// Exchange sends an exchange to the token endpoint (discovery's, or the
// one given), authenticated as req.Client, and reads the answer. The
// subject and actor tokens go to that endpoint only: redirects are
// followed within its origin, as for a login. An OAuth error answer is a
// ServerError (a DeniedError for access_denied), as for a login, with a
// hint for the errors RFC 8693 §2.2.2 and on-behalf-of add.
func (c *Client) Exchange(ctx context.Context, req *ExchangeRequest) (*Exchanged, error) {
	if c.HTTP == nil {
		return nil, errors.New("login.Client has no HTTP client: set Client.HTTP to one built with jwtrace's network rules")
	}
	form, err := exchangeForm(req)
	if err != nil {
		return nil, err
	}
	client := req.Client
	client.Grant = "" // neither device nor authorization endpoint needed
	client.NoPrompt = true
	if client.ClientID == "" {
		return nil, &ConfigError{"no client: give --client-id, the client that exchanges (and its credential: --client-secret, --client-key or --client-assertion)"}
	}
	eps, err := c.Endpoints(ctx, &client)
	if err != nil {
		return nil, err
	}
	method := authMethod(&client, eps.AuthMethods)
	resp, err := c.post(ctx, c.httpClient(ctx), &client, method, eps.Token, form)
	if err != nil {
		return nil, err
	}
	if err := resp.oauthError(eps.Token); err != nil {
		var de *DeniedError
		if errors.As(err, &de) {
			return nil, &exchangeDenied{de}
		}
		addAuthHint(err, method, eps.AuthMethods)
		c.addExchangeHint(err, req)
		return nil, err
	}
	return c.readExchanged(resp, eps.Token, form.Get("grant_type"))
}

// exchangeDenied is an access_denied answer to an exchange: a
// DeniedError (exit 4, as a login's), said as an exchange's.
type exchangeDenied struct{ denied *DeniedError }

func (e *exchangeDenied) Error() string {
	msg := "the authority denied the exchange"
	if e.denied.Description != "" {
		msg += ": " + e.denied.Description
	}
	return msg + " (" + e.denied.Code + ")"
}

func (e *exchangeDenied) Unwrap() error { return e.denied }

// exchangeForm is the request's form without client authentication.
func exchangeForm(req *ExchangeRequest) (url.Values, error) {
	if req.SubjectToken == "" {
		return nil, &ConfigError{"no subject token: give the token to exchange"}
	}
	for _, t := range []struct{ name, v string }{{"subject token", req.SubjectToken}, {"actor token", req.ActorToken}} {
		if !plainToken(t.v) && t.v != "" {
			return nil, &ConfigError{fmt.Sprintf("the %s is not one word of printable ASCII (%s); give the token alone", t.name, whatIsWrong(t.v))}
		}
	}
	scope := strings.Join(req.Scopes, " ")
	if req.OnBehalfOf {
		// Azure AD's middle-tier request: grant_type, client_id and its
		// credential, assertion, scope, requested_token_use. It has no
		// place for RFC 8693's audience, resource, actor token or token
		// types: the target API is named by scope.
		var extra []string
		if len(req.Audiences) > 0 {
			extra = append(extra, "--audience")
		}
		if len(req.Resources) > 0 {
			extra = append(extra, "--resource")
		}
		if req.ActorToken != "" || req.ActorTokenType != "" {
			extra = append(extra, "--actor-token")
		}
		if req.RequestedTokenType != "" {
			extra = append(extra, "--requested-token-type")
		}
		if req.SubjectTokenType != "" {
			extra = append(extra, "--subject-token-type")
		}
		if len(extra) > 0 {
			return nil, &ConfigError{fmt.Sprintf("--on-behalf-of sends Azure AD's on-behalf-of request, which has no %s: name the target API by --scope (api://billing/.default), or leave out --on-behalf-of for a token exchange (RFC 8693)", strings.Join(extra, " or "))}
		}
		if scope == "" {
			return nil, &ConfigError{"--on-behalf-of needs --scope: the on-behalf-of request names the API the new token is for by scope (api://billing/.default)"}
		}
		return url.Values{
			"grant_type":          {GrantJWTBearer},
			"assertion":           {req.SubjectToken},
			"requested_token_use": {"on_behalf_of"},
			"scope":               {scope},
		}, nil
	}
	subjectType, err := NormalizeTokenType(req.SubjectTokenType)
	if err != nil {
		return nil, &ConfigError{"--subject-token-type: " + err.Error()}
	}
	if subjectType == "" {
		subjectType = TokenTypeAccessToken
	}
	form := url.Values{
		"grant_type":         {GrantTokenExchange},
		"subject_token":      {req.SubjectToken},
		"subject_token_type": {subjectType},
	}
	// RFC 8693 §2.1: actor_token_type is REQUIRED with an actor_token and
	// MUST NOT be sent without one.
	actorType, err := NormalizeTokenType(req.ActorTokenType)
	if err != nil {
		return nil, &ConfigError{"--actor-token-type: " + err.Error()}
	}
	switch {
	case req.ActorToken != "":
		if actorType == "" {
			actorType = TokenTypeAccessToken
		}
		form.Set("actor_token", req.ActorToken)
		form.Set("actor_token_type", actorType)
	case actorType != "":
		return nil, &ConfigError{"--actor-token-type names the type of --actor-token; give the actor token too"}
	}
	requested, err := NormalizeTokenType(req.RequestedTokenType)
	if err != nil {
		return nil, &ConfigError{"--requested-token-type: " + err.Error()}
	}
	if requested != "" {
		form.Set("requested_token_type", requested)
	}
	// RFC 8693 §2.1: audience and resource may each be given several
	// times, one parameter each.
	for _, a := range req.Audiences {
		if a != "" {
			form.Add("audience", a)
		}
	}
	for _, r := range req.Resources {
		if r == "" {
			continue
		}
		// RFC 8693 §2.1 (and RFC 8707 §2): an absolute URI, without a
		// fragment.
		if u, err := url.Parse(r); err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(r, "#") {
			return nil, &ConfigError{fmt.Sprintf("--resource %s: want an absolute URI without a fragment (RFC 8693 §2.1), such as https://billing.example/; a logical name goes in --audience", oneLine(r))}
		}
		form.Add("resource", r)
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	return form, nil
}

// readExchanged reads a successful answer (RFC 8693 §2.2.1), with the
// checks of a login's token response: the tokens must be plain token
// strings (they are printed as they are), the members strings.
func (c *Client) readExchanged(resp *rawResponse, endpoint, grant string) (*Exchanged, error) {
	m := resp.fields()
	if m == nil {
		return nil, &ServerError{Endpoint: endpoint, Status: resp.status, Description: "the token response is not JSON: " + excerpt(string(resp.body))}
	}
	for _, name := range []string{"access_token", "refresh_token", "issued_token_type", "token_type", "scope"} {
		if v, ok := m[name]; ok {
			if _, isString := v.(string); !isString {
				return nil, &ServerError{Endpoint: endpoint, Status: resp.status, Description: fmt.Sprintf("%s in the token response is not a string", name)}
			}
		}
	}
	x := &Exchanged{AccessToken: str(m, "access_token"), IssuedTokenType: str(m, "issued_token_type"), TokenType: str(m, "token_type"),
		Scope: str(m, "scope"), RefreshToken: str(m, "refresh_token"), ExpiresIn: seconds(m, "expires_in"), Grant: grant, Endpoint: endpoint}
	if x.AccessToken == "" {
		return nil, &ServerError{Endpoint: endpoint, Status: resp.status, Description: "the token response has no access_token"}
	}
	tok := &Token{AccessToken: x.AccessToken, RefreshToken: x.RefreshToken}
	if name, problem := badToken(tok); name != "" {
		return nil, &ServerError{Endpoint: endpoint, Status: resp.status,
			Description: fmt.Sprintf("the %s in the token response is not a plain token string (%s); jwtrace refuses it, since tokens are printed as they are (RFC 6749 §A.12 and §A.17 allow printable ASCII only)", name, problem)}
	}
	// Shown in the summary and --json: one line of the server's words.
	x.IssuedTokenType, x.TokenType, x.Scope = oneLine(x.IssuedTokenType), oneLine(x.TokenType), oneLine(x.Scope)
	if x.ExpiresIn > 0 {
		x.Expiry = c.now().Add(time.Duration(x.ExpiresIn) * time.Second)
	} else {
		x.Expiry = jwtExpiry(x.AccessToken)
	}
	if grant == GrantTokenExchange {
		// RFC 8693 §2.2.1: both REQUIRED. Noted, not refused: the token
		// is there, and jwtrace is the tool that shows what is missing.
		if x.IssuedTokenType == "" {
			x.Notes = append(x.Notes, "the response has no issued_token_type (RFC 8693 §2.2.1 requires it)")
		}
		if x.TokenType == "" {
			x.Notes = append(x.Notes, "the response has no token_type (RFC 8693 §2.2.1 requires it)")
		}
	}
	return x, nil
}

// addExchangeHint adds jwtrace's advice to the errors an exchange gets
// (RFC 8693 §2.2.2, where a bad subject token is invalid_request; Azure
// AD's on-behalf-of errors, AADSTS50013 and friends, come as
// invalid_grant).
func (c *Client) addExchangeHint(err error, req *ExchangeRequest) {
	var se *ServerError
	if !errors.As(err, &se) || se.Hint != "" {
		return
	}
	switch se.Code {
	case "unsupported_grant_type":
		if req.OnBehalfOf {
			se.Hint = "the authority does not take the jwt-bearer grant (on-behalf-of) at this endpoint; without --on-behalf-of jwtrace sends a token exchange (RFC 8693)"
		} else {
			se.Hint = "the authority does not take token exchange (RFC 8693) at this endpoint; for Azure AD use --on-behalf-of"
		}
	case "invalid_target":
		se.Hint = "the authority will not issue a token for that audience or resource (RFC 8693 §2.2.2): check --audience and --resource, and which audiences the client may exchange for"
	case "unauthorized_client":
		se.Hint = "this client may not use the grant: give the client registered for exchanges (--client-id), or allow the grant for it at the authority"
	case "invalid_scope":
		se.Hint = "the authority refuses the scope asked for: check --scope"
	case "invalid_grant":
		se.Hint = c.subjectHint(req)
	case "invalid_request":
		// RFC 8693 §2.2.2: a subject or actor token that is invalid or
		// unacceptable is invalid_request there; said only when jwtrace
		// can see it, an invalid_request has many other causes.
		if hint := c.subjectHint(req); strings.Contains(hint, " expired ") {
			se.Hint = hint
		}
	}
}

// subjectHint says what is wrong with the subject token where jwtrace can
// see it (it is decoded, not verified): expired, or, for on-behalf-of,
// issued to another client than the caller (Azure AD: the assertion's aud
// must be the middle-tier app, AADSTS50013).
func (c *Client) subjectHint(req *ExchangeRequest) string {
	t, err := decode.Parse(req.SubjectToken, "subject token", decode.Options{Now: c.now()})
	if err != nil || t.Claims == nil {
		return "the authority refuses the subject token: expired, from another issuer, or not meant for this client"
	}
	if t.Status == decode.StatusExpired {
		return "the subject token " + t.StatusText + ": get a new one (jwtrace login) and exchange that"
	}
	if req.OnBehalfOf {
		aud := t.Claims.Strings("aud", false)
		if len(aud) > 0 && !slices.Contains(aud, req.Client.ClientID) && !slices.Contains(aud, "api://"+req.Client.ClientID) {
			return fmt.Sprintf("on-behalf-of takes only a token issued to the calling client: the subject token's aud is %s, not %s (--client-id)", oneLine(strings.Join(aud, ", ")), oneLine(req.Client.ClientID))
		}
	}
	return "the authority refuses the subject token: from another issuer, or not meant for this client"
}
