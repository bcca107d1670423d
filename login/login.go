// Package login obtains tokens: the authorization code grant with PKCE
// (RFC 6749 §4.1, RFC 7636) and the device authorization grant (RFC 8628)
// for people, client credentials for CI, and a token cache that reuses
// unexpired tokens and refreshes expired ones. Every client
// authentication of RFC 6749 §2.3 and RFC 7523 is supported. It speaks
// OAuth itself (no x/oauth2): the device poll loop runs on an injected
// clock and sleeper, so its RFC 8628 §3.5 cases are tested without
// waiting. It never prints: the caller gets the device prompt, the
// authorization URL and the poll errors through callbacks.
package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/verify"
)

// Grants.
const (
	GrantDevice            = "device"
	GrantClientCredentials = "client-credentials"
	GrantAuthCode          = "auth-code"
)

// Grants are the grants Request.Grant takes.
var Grants = []string{GrantDevice, GrantAuthCode, GrantClientCredentials}

// NormalizeGrant accepts the OAuth spellings too: client_credentials,
// authorization_code (RFC 6749 §4), and the device_code URN (RFC 8628
// §3.4).
func NormalizeGrant(g string) string {
	switch g {
	case "client_credentials":
		return GrantClientCredentials
	case "authorization_code", "auth_code", "authcode", "code":
		return GrantAuthCode
	case "device_code", "urn:ietf:params:oauth:grant-type:device_code":
		return GrantDevice
	}
	return g
}

// Request is what to log in to, and how.
type Request struct {
	// Authority is the issuer whose discovery document names the
	// endpoints; DeviceEndpoint and TokenEndpoint override or replace it.
	Authority                     string
	DeviceEndpoint, TokenEndpoint string
	ClientID, ClientSecret        string
	Scopes                        []string
	// Audience and Resource are sent as the audience and resource
	// parameters (Auth0 and RFC 8707 style); Params are sent as they are.
	Audience, Resource string
	Params             url.Values
	// Grant is GrantDevice (default), GrantAuthCode or
	// GrantClientCredentials.
	Grant string
	// ClientAuth forces a client authentication method (AuthSecretBasic,
	// ...); "" chooses from the credentials and discovery.
	ClientAuth string
	// ClientKey signs private_key_jwt assertions; ClientAssertion is a
	// ready-made assertion (a federated workload-identity token).
	ClientKey       *ClientKey
	ClientAssertion string
	// AuthorizationEndpoint overrides discovery's (auth-code).
	AuthorizationEndpoint string
	// RedirectURI is a registered loopback redirect URI to listen on; ""
	// means http://RedirectHost:RedirectPort/callback with RedirectHost
	// 127.0.0.1 and a random port unless set.
	RedirectURI  string
	RedirectHost string
	RedirectPort int
	// LoginPrompt and LoginHint are sent as prompt and login_hint (OIDC
	// Core §3.1.2.1).
	LoginPrompt, LoginHint string
	// Force skips the cache (the new token is still stored).
	Force bool
	// NoPrompt forbids the device grant: only a cached or refreshed token
	// (or client credentials) will do.
	NoPrompt bool
}

// Endpoints are where the grant talks to.
type Endpoints struct {
	Device string `json:"device_authorization_endpoint,omitempty"`
	Token  string `json:"token_endpoint"`
	// For the authorization code grant: the authorization endpoint, and
	// the issuer and JWKS the ID token is verified with.
	Authorization string `json:"authorization_endpoint,omitempty"`
	Issuer        string `json:"issuer,omitempty"`
	JWKS          string `json:"jwks_uri,omitempty"`
	// AuthMethods is discovery's token_endpoint_auth_methods_supported.
	AuthMethods []string `json:"token_endpoint_auth_methods_supported,omitempty"`
}

// Prompt is what a person needs to approve a device login.
type Prompt struct {
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	// ExpiresIn is how long the code stays valid; Interval how often
	// jwtrace polls.
	ExpiresIn, Interval time.Duration
}

// Token is a login's result.
type Token struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	Scope        string    `json:"scope,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	// Obtained is when jwtrace got it; a token without an expiry is
	// reused for UnknownExpiryReuse after that.
	Obtained time.Time `json:"obtained,omitzero"`
	// Source is "login", "cache" or "refresh".
	Source string `json:"source"`
}

// Client runs logins.
type Client struct {
	// HTTP makes every request; it is required, and should be built by
	// jwtrace's network policy (cmd/http.go: timeouts, loopback dialing,
	// proxies). Login adds its own redirect rule on top: token and device
	// endpoints may redirect only within their origin.
	HTTP *http.Client
	// Fetcher reads discovery documents (with verify's URL rules and
	// cache).
	Fetcher *verify.Fetcher
	// Cache stores tokens; nil disables caching.
	Cache *Cache
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Prompt is called once the device code is known; it shows the code
	// and may open a browser. Required for the device grant.
	Prompt func(Prompt)
	// Browse is called with the authorization URL once the redirect
	// listener is up; it opens a browser or shows the URL. Required for
	// the authorization code grant.
	Browse func(AuthPrompt)
	// Retry is told of each failed poll that will be retried (a network
	// error, a 5xx or a 429), as it happens.
	Retry func(RetryEvent)
	// Sleep waits d or until ctx is done (default: a timer). Tests make
	// the poll loop run without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxPollErrors bounds the failed polls in a row before the device
	// grant gives up (default DefaultMaxPollErrors).
	MaxPollErrors int
}

// DeniedError is a device login that a person denied or let expire
// (access_denied, expired_token). cmd maps it to exit 4.
type DeniedError struct {
	Code        string
	Description string
}

func (e *DeniedError) Error() string {
	msg := "the login was denied"
	switch e.Code {
	case "expired_token":
		msg = "the device code expired before the login was approved"
	case "login_required":
		msg = "no cached token for this login"
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg + " (" + e.Code + ")"
}

// ServerError is an OAuth error response other than a denial: a bad client,
// a bad grant, an unsupported parameter, or a token response jwtrace
// refuses (a token that is not a plain token string). It is the server's
// answer, so cmd maps it to exit 3 with the server's words. Code,
// Description and URI are on one line, escaped (oneLine).
type ServerError struct {
	Endpoint    string
	Status      int
	Code        string
	Description string
	URI         string
	// Hint is jwtrace's advice after the server's words (not cut with
	// them): what to try.
	Hint string
}

func (e *ServerError) Error() string {
	msg := fmt.Sprintf("%s answered %d", oneLine(e.Endpoint), e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.URI != "" {
		msg += " (see " + e.URI + ")"
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// RedirectError is a token or device endpoint that redirected to another
// origin. jwtrace does not follow: on a 307 or 308 the POST body (client
// secret, refresh token, device code) would go along, to a host the user
// did not name.
type RedirectError struct {
	From, To string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("redirected to %s, another origin than %s (scheme, host and port): not followed, so that the client secret, device code or refresh token go only where you said; if that is the real endpoint, give it with --token-endpoint or --device-endpoint",
		oneLine(e.To), oneLine(e.From))
}

// ConfigError is a request that cannot work as given (a usage error).
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Endpoints works out the device and token endpoints from the flags and
// discovery.
func (c *Client) Endpoints(ctx context.Context, req *Request) (Endpoints, error) {
	e := Endpoints{Device: req.DeviceEndpoint, Token: req.TokenEndpoint, Authorization: req.AuthorizationEndpoint}
	needDevice := req.Grant == GrantDevice && !req.NoPrompt
	needAuthz := req.Grant == GrantAuthCode && !req.NoPrompt
	// Discovery's auth methods matter only when a secret could go either
	// way (Basic or the body).
	wantMethods := req.ClientAuth == "" && req.ClientSecret != "" && req.ClientKey == nil && req.ClientAssertion == ""
	if req.Authority != "" && (e.Token == "" || (needDevice && e.Device == "") || needAuthz || wantMethods) {
		if c.Fetcher == nil {
			return e, errors.New("login.Client has no Fetcher for the discovery of " + req.Authority)
		}
		d, _, err := c.Fetcher.Discover(ctx, req.Authority)
		if err != nil {
			return e, err
		}
		if e.Token == "" {
			e.Token = d.TokenEndpoint
		}
		if e.Device == "" {
			e.Device = d.DeviceAuthorizationEndpoint
		}
		e.Issuer, e.JWKS = d.Issuer, d.JWKSURI
		if needAuthz || wantMethods {
			// verify.Discovery has only what verify needs: the rest of the
			// same document.
			m, err := c.Metadata(ctx, req.Authority)
			if err != nil {
				return e, err
			}
			if e.Authorization == "" {
				e.Authorization = m.AuthorizationEndpoint
			}
			e.AuthMethods = m.TokenEndpointAuthMethods
		}
		if needAuthz && e.Authorization == "" {
			return e, &ConfigError{fmt.Sprintf("the discovery document of %s has no authorization_endpoint; give --authorization-endpoint URL", req.Authority)}
		}
		if e.Token == "" {
			return e, &ConfigError{fmt.Sprintf("the discovery document of %s has no token_endpoint; give --token-endpoint", req.Authority)}
		}
		if needDevice && e.Device == "" {
			return e, &ConfigError{fmt.Sprintf("the discovery document of %s has no device_authorization_endpoint: the provider may not support the device flow, or names it elsewhere; give --device-endpoint URL", req.Authority)}
		}
	}
	switch {
	case e.Token == "":
		return e, &ConfigError{"no token endpoint: give --authority URL or --token-endpoint URL"}
	case needDevice && e.Device == "":
		return e, &ConfigError{"no device authorization endpoint: give --authority URL or --device-endpoint URL"}
	case needAuthz && e.Authorization == "":
		return e, &ConfigError{"no authorization endpoint: give --authority URL or --authorization-endpoint URL"}
	}
	for _, u := range []string{e.Token, e.Device, e.Authorization} {
		if u == "" {
			continue
		}
		if _, err := verify.CheckURL(u, c.Fetcher != nil && c.Fetcher.AllowHTTP); err != nil {
			return e, err
		}
	}
	return e, nil
}

// Login returns a token: from the cache when one is still good, refreshed
// when the cached one has expired and has a refresh token, else from the
// grant.
func (c *Client) Login(ctx context.Context, req *Request) (*Token, error) {
	if c.HTTP == nil {
		// A programming error: an HTTP client without jwtrace's network
		// rules would be used otherwise.
		return nil, errors.New("login.Client has no HTTP client: set Client.HTTP to one built with jwtrace's network rules")
	}
	if req.ClientID == "" {
		return nil, &ConfigError{"no client: give --client-id"}
	}
	if req.Grant == "" {
		req.Grant = GrantDevice
	}
	req.Grant = NormalizeGrant(req.Grant)
	if req.Grant != GrantDevice && req.Grant != GrantClientCredentials && req.Grant != GrantAuthCode {
		return nil, &ConfigError{fmt.Sprintf("--grant %s: want device, auth-code or client-credentials (client_credentials)", req.Grant)}
	}
	if req.Grant == GrantClientCredentials && req.ClientSecret == "" && req.ClientKey == nil && req.ClientAssertion == "" {
		return nil, &ConfigError{"client credentials need a client credential: --client-secret (or JWTRACE_CLIENT_SECRET), --client-key FILE, or --client-assertion"}
	}
	if req.ClientAuth != "" {
		known := false
		for _, m := range AuthMethods {
			known = known || m == req.ClientAuth
		}
		if !known {
			return nil, &ConfigError{fmt.Sprintf("--client-auth %s: want one of %s", req.ClientAuth, strings.Join(AuthMethods, ", "))}
		}
	}
	// The cache comes first: a good cached token needs no network at all,
	// not even discovery.
	var cached *Token
	if cache := c.Cache; cache != nil {
		// Checked with --force too: the new token is stored there.
		if err := cache.Check(); errors.Is(err, ErrCacheUnavailable) {
			cache = nil
		} else if err != nil {
			return nil, err
		}
		if cache != nil && !req.Force {
			t, err := cache.Get(req)
			if err != nil {
				return nil, err
			}
			if t != nil && c.fresh(t) {
				t.Source = "cache"
				return t, nil
			}
			cached = t
		}
	}
	eps, err := c.Endpoints(ctx, req)
	if err != nil {
		return nil, err
	}
	hc := c.httpClient(ctx)
	if cached != nil && cached.RefreshToken != "" {
		tok, err := c.refresh(ctx, hc, req, eps, cached)
		if err == nil {
			return c.accept(req, eps, tok)
		}
		// Only a refused refresh token (revoked, expired, used twice)
		// means "log in again"; a network or server failure is reported.
		if !invalidGrant(err) {
			return nil, err
		}
	}
	if req.Grant != GrantClientCredentials && req.NoPrompt {
		return nil, &DeniedError{Code: "login_required", Description: "run jwtrace login with the same flags first"}
	}
	var tok *Token
	switch req.Grant {
	case GrantClientCredentials:
		tok, err = c.clientCredentials(ctx, hc, req, eps)
	case GrantAuthCode:
		tok, err = c.authCode(ctx, hc, req, eps)
	default:
		tok, err = c.device(ctx, hc, req, eps)
	}
	if err != nil {
		return nil, err
	}
	return c.accept(req, eps, tok)
}

// accept refuses a token response whose tokens are not plain token
// strings (they are printed as they are: an escape sequence in one would
// reach the terminal) and caches the others.
func (c *Client) accept(req *Request, eps Endpoints, tok *Token) (*Token, error) {
	if name, problem := badToken(tok); name != "" {
		return nil, &ServerError{Endpoint: eps.Token, Status: http.StatusOK,
			Description: fmt.Sprintf("the %s in the token response is not a plain token string (%s); jwtrace refuses it, since tokens are printed as they are (RFC 6749 §A.12 and §A.17 allow printable ASCII only)", name, problem)}
	}
	c.store(req, eps, tok)
	return tok, nil
}

// invalidGrant reports whether the server refused a refresh token.
func invalidGrant(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && (se.Code == "invalid_grant" || se.Code == "invalid_token" || se.Code == "unauthorized_client")
}

// ExpiryMargin is how long a cached token must still be valid to be
// reused: long enough for the command that uses it.
const ExpiryMargin = time.Minute

// UnknownExpiryReuse is how long a token that states no expiry (no
// expires_in, not a JWT with exp) is reused.
const UnknownExpiryReuse = time.Hour

func (c *Client) fresh(t *Token) bool {
	now := c.now()
	if t.Expiry.IsZero() {
		return !t.Obtained.IsZero() && now.Before(t.Obtained.Add(UnknownExpiryReuse))
	}
	return t.Expiry.After(now.Add(ExpiryMargin))
}

// store caches tok; a cache that cannot be written costs only the reuse.
func (c *Client) store(req *Request, eps Endpoints, tok *Token) {
	if tok.Obtained.IsZero() {
		tok.Obtained = c.now()
	}
	if c.Cache == nil {
		return
	}
	scopes := append([]string(nil), req.Scopes...)
	sort.Strings(scopes)
	var params url.Values
	if len(req.Params) > 0 {
		params = cloneValues(req.Params)
	}
	_ = c.Cache.Put(req, CacheLogin{Authority: req.Authority, TokenEndpoint: eps.Token, DeviceEndpoint: eps.Device, ClientID: req.ClientID, Grant: req.Grant,
		Scopes: scopes, Audience: req.Audience, Resource: req.Resource, Params: params, GivenTokenEndpoint: req.TokenEndpoint, GivenDeviceEndpoint: req.DeviceEndpoint}, tok)
}

// maxRedirects bounds the same-origin redirects of one request.
const maxRedirects = netx.MaxRedirects

// httpClient is c.HTTP with the quirks transport and the redirect rule of
// token and device endpoints: only within the origin (scheme, host and
// port), as chain's runner does for bearer tokens (chain/runner.go
// sameOrigin), then c.HTTP's own rule (netx.CheckRedirect in jwtrace).
func (c *Client) httpClient(ctx context.Context) *http.Client {
	hc := *c.HTTP
	tr := hc.Transport
	if tr == nil {
		tr = netx.Default().Transport
	}
	hc.Transport = &quirks{base: tr, ctx: ctx}
	next := c.HTTP.CheckRedirect
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if !netx.SameOrigin(via[0].URL, r.URL) {
			return &RedirectError{From: via[0].URL.Redacted(), To: r.URL.Redacted()}
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if next != nil {
			return next(r, via)
		}
		return nil
	}
	return &hc
}

func (c *Client) clientCredentials(ctx context.Context, hc *http.Client, req *Request, eps Endpoints) (*Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(req.Scopes) > 0 {
		form.Set("scope", strings.Join(req.Scopes, " "))
	}
	addExtra(req, form)
	return c.tokenRequest(ctx, hc, req, authMethod(req, eps.AuthMethods), eps.AuthMethods, eps.Token, form, "login")
}

// refresh uses a cached refresh token (RFC 6749 §6), authenticating as
// the login did.
func (c *Client) refresh(ctx context.Context, hc *http.Client, req *Request, eps Endpoints, cached *Token) (*Token, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cached.RefreshToken}}
	tok, err := c.tokenRequest(ctx, hc, req, authMethod(req, eps.AuthMethods), eps.AuthMethods, eps.Token, form, "refresh")
	if err != nil {
		return nil, err
	}
	if tok.IDToken == "" {
		tok.IDToken = cached.IDToken
	}
	if tok.RefreshToken == "" {
		// RFC 6749 §6: the server may keep the old refresh token.
		tok.RefreshToken = cached.RefreshToken
	}
	return tok, nil
}

// excerpt is the start of a body that is not an OAuth error, on one line.
func excerpt(s string) string { return oneLine(s) }
