// Package login obtains tokens: the OAuth 2.0 device authorization grant
// (RFC 8628) for people, client credentials for CI, and a token cache that
// reuses unexpired tokens and refreshes expired ones. The grants run on
// golang.org/x/oauth2; this package adds discovery, provider quirks,
// patient polling and the cache. It never prints: the caller gets the
// device prompt through a callback and renders it.
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

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/jwtrace/jwtrace/decode"
	"github.com/jwtrace/jwtrace/verify"
)

// Grants.
const (
	GrantDevice            = "device"
	GrantClientCredentials = "client-credentials"
)

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
	// Grant is GrantDevice (default) or GrantClientCredentials.
	Grant string
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
	e := Endpoints{Device: req.DeviceEndpoint, Token: req.TokenEndpoint}
	needDevice := req.Grant != GrantClientCredentials && !req.NoPrompt
	if req.Authority != "" && (e.Token == "" || (needDevice && e.Device == "")) {
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
	}
	for _, u := range []string{e.Token, e.Device} {
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
	if req.Grant != GrantDevice && req.Grant != GrantClientCredentials {
		return nil, &ConfigError{fmt.Sprintf("--grant %s: want device or client-credentials", req.Grant)}
	}
	if req.Grant == GrantClientCredentials && req.ClientSecret == "" {
		return nil, &ConfigError{"client credentials need a client secret: --client-secret, or JWTRACE_CLIENT_SECRET"}
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
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.httpClient(ctx))
	if cached != nil && cached.RefreshToken != "" {
		tok, err := c.refresh(ctx, req, eps, cached)
		if err == nil {
			return c.accept(req, eps, tok)
		}
		// Only a refused refresh token (revoked, expired, used twice)
		// means "log in again"; a network or server failure is reported.
		if !invalidGrant(err) {
			return nil, err
		}
	}
	if req.Grant == GrantDevice && req.NoPrompt {
		return nil, &DeniedError{Code: "login_required", Description: "run jwtrace login with the same flags first"}
	}
	var tok *Token
	if req.Grant == GrantClientCredentials {
		tok, err = c.clientCredentials(ctx, req, eps)
	} else {
		tok, err = c.device(ctx, req, eps)
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
	_ = c.Cache.Put(req, CacheLogin{Authority: req.Authority, TokenEndpoint: eps.Token, DeviceEndpoint: eps.Device, ClientID: req.ClientID, Grant: req.Grant, Scopes: scopes, Audience: req.Audience, Resource: req.Resource}, tok)
}

// maxRedirects bounds the same-origin redirects of one request.
const maxRedirects = 5

// httpClient is c.HTTP with the quirks transport and the redirect rule of
// token and device endpoints: only within the origin (scheme, host and
// port), as chain's runner does for bearer tokens (chain/runner.go
// sameOrigin), then c.HTTP's own rule (verify.CheckRedirect in jwtrace).
func (c *Client) httpClient(ctx context.Context) *http.Client {
	hc := *c.HTTP
	tr := hc.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	hc.Transport = &quirks{base: tr, ctx: ctx}
	next := c.HTTP.CheckRedirect
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if !sameOrigin(via[0].URL, r.URL) {
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

// sameOrigin reports whether two URLs have the same scheme, host and port
// (RFC 6454 §4), the default port spelled or not.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

func (c *Client) config(req *Request, eps Endpoints, style oauth2.AuthStyle) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     req.ClientID,
		ClientSecret: req.ClientSecret,
		Scopes:       req.Scopes,
		Endpoint:     oauth2.Endpoint{TokenURL: eps.Token, DeviceAuthURL: eps.Device, AuthStyle: style},
	}
}

// extraParams are the audience, resource and --param values.
func extraParams(req *Request) []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	if req.Audience != "" {
		opts = append(opts, oauth2.SetAuthURLParam("audience", req.Audience))
	}
	if req.Resource != "" {
		opts = append(opts, oauth2.SetAuthURLParam("resource", req.Resource))
	}
	keys := make([]string, 0, len(req.Params))
	for k := range req.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, oauth2.SetAuthURLParam(k, req.Params.Get(k)))
	}
	return opts
}

func (c *Client) clientCredentials(ctx context.Context, req *Request, eps Endpoints) (*Token, error) {
	params := url.Values{}
	if req.Audience != "" {
		params.Set("audience", req.Audience)
	}
	if req.Resource != "" {
		params.Set("resource", req.Resource)
	}
	for k, v := range req.Params {
		params[k] = v
	}
	cc := clientcredentials.Config{
		ClientID:       req.ClientID,
		ClientSecret:   req.ClientSecret,
		TokenURL:       eps.Token,
		Scopes:         req.Scopes,
		EndpointParams: params,
		// RFC 6749 §2.3.1: servers must take HTTP Basic; sending it once
		// avoids x/oauth2's guess-and-retry double post.
		AuthStyle: oauth2.AuthStyleInHeader,
	}
	t, err := cc.Token(ctx)
	if err != nil {
		return nil, tokenError(eps.Token, err)
	}
	return fromOAuth2(t, "login"), nil
}

func (c *Client) refresh(ctx context.Context, req *Request, eps Endpoints, cached *Token) (*Token, error) {
	style := oauth2.AuthStyleInParams
	if req.ClientSecret != "" {
		style = oauth2.AuthStyleInHeader
	}
	old := &oauth2.Token{AccessToken: cached.AccessToken, RefreshToken: cached.RefreshToken, Expiry: cached.Expiry}
	// The cached token has expired by jwtrace's margin, which may not be
	// x/oauth2's: mark it expired so that the source refreshes.
	old.Expiry = time.Unix(1, 0)
	t, err := c.config(req, eps, style).TokenSource(ctx, old).Token()
	if err != nil {
		return nil, tokenError(eps.Token, err)
	}
	tok := fromOAuth2(t, "refresh")
	if tok.IDToken == "" {
		tok.IDToken = cached.IDToken
	}
	return tok, nil
}

// fromOAuth2 converts an x/oauth2 token, with the id_token and scope the
// response carried.
func fromOAuth2(t *oauth2.Token, source string) *Token {
	tok := &Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry, Source: source}
	if id, ok := t.Extra("id_token").(string); ok {
		tok.IDToken = id
	}
	if s, ok := t.Extra("scope").(string); ok {
		tok.Scope = s
	}
	if tok.Expiry.IsZero() {
		// No expires_in: the JWT's own exp, if it has one, so the cache
		// does not keep the token forever.
		if d, err := decode.Parse(tok.AccessToken, "access_token", decode.Options{Now: time.Now()}); err == nil {
			for _, tm := range d.Times {
				if tm.Claim == "exp" {
					tok.Expiry = tm.At()
				}
			}
		}
	}
	return tok
}

// tokenError turns x/oauth2's errors into jwtrace's. The server's words
// (error, error_description, error_uri, a body) are put on one line and
// escaped here, so that no caller can print a line the server wrote.
func tokenError(endpoint string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch re.ErrorCode {
		case "access_denied", "expired_token":
			return &DeniedError{Code: oneLine(re.ErrorCode), Description: oneLine(re.ErrorDescription)}
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		se := &ServerError{Endpoint: endpoint, Status: status, Code: oneLine(re.ErrorCode), Description: oneLine(re.ErrorDescription), URI: oneLine(re.ErrorURI)}
		if se.Code == "" && len(re.Body) > 0 {
			se.Description = excerpt(string(re.Body))
		}
		return se
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var redir *RedirectError
	if errors.As(err, &redir) {
		return &verify.FetchError{URL: endpoint, Err: redir}
	}
	return &verify.FetchError{URL: endpoint, Err: err}
}

// excerpt is the start of a body that is not an OAuth error, on one line.
func excerpt(s string) string { return oneLine(s) }
