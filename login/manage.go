package login

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Introspection is an RFC 7662 §2.2 answer: active, and the claims the
// server chose to tell.
type Introspection struct {
	Active bool `json:"active"`
	// Claims are every member of the answer, active included, as the
	// server sent them (numbers as json.Number).
	Claims map[string]any `json:"claims"`
	// Endpoint is where it came from.
	Endpoint string `json:"endpoint"`
}

// endpointFor is an endpoint given, or the one discovery names under
// member (with jwtrace's URL rules either way).
func (c *Client) endpointFor(ctx context.Context, req *Request, given, member string) (string, *Metadata, error) {
	var m *Metadata
	if req.Authority != "" {
		var err error
		if m, err = c.Metadata(ctx, req.Authority); err != nil {
			return "", nil, err
		}
	}
	ep := given
	if ep == "" && m != nil {
		switch member {
		case "introspection_endpoint":
			ep = m.IntrospectionEndpoint
		case "userinfo_endpoint":
			ep = m.UserinfoEndpoint
		case "revocation_endpoint":
			ep = m.RevocationEndpoint
		}
	}
	if ep == "" {
		if req.Authority == "" {
			return "", m, &ConfigError{fmt.Sprintf("no %s: give --authority URL, or the endpoint itself", member)}
		}
		return "", m, &ConfigError{fmt.Sprintf("the discovery document of %s has no %s; give the endpoint itself", req.Authority, member)}
	}
	if err := c.checkEndpoint(ep); err != nil {
		return "", m, err
	}
	return ep, m, nil
}

// Introspect asks the authority's introspection endpoint about token (RFC
// 7662 §2.1), authenticated as the request's client.
func (c *Client) Introspect(ctx context.Context, req *Request, endpoint, token, hint string) (*Introspection, error) {
	if c.HTTP == nil {
		return nil, errors.New("login.Client has no HTTP client")
	}
	if req.ClientID == "" {
		return nil, &ConfigError{"introspection needs the caller's client: give --client-id (and its credential)"}
	}
	ep, m, err := c.endpointFor(ctx, req, endpoint, "introspection_endpoint")
	if err != nil {
		return nil, err
	}
	var methods []string
	if m != nil {
		methods = m.TokenEndpointAuthMethods
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	resp, err := c.post(ctx, c.httpClient(ctx), req, authMethod(req, methods), ep, form)
	if err != nil {
		return nil, err
	}
	if err := resp.oauthError(ep); err != nil {
		var de *DeniedError
		if errors.As(err, &de) {
			return nil, &ServerError{Endpoint: ep, Status: resp.status, Code: de.Code, Description: de.Description}
		}
		return nil, err
	}
	fields := resp.fields()
	active, ok := fields["active"].(bool)
	if fields == nil || !ok {
		return nil, &ServerError{Endpoint: ep, Status: resp.status, Description: "the answer is not an introspection response (no boolean active, RFC 7662 §2.2)"}
	}
	return &Introspection{Active: active, Claims: fields, Endpoint: ep}, nil
}

// Userinfo calls the UserInfo endpoint (OpenID Connect Core §5.3) with
// the access token. The endpoint is the authority's (discovery) or the
// one given: the token goes nowhere else, and not along a redirect to
// another origin.
func (c *Client) Userinfo(ctx context.Context, req *Request, endpoint, token string) (map[string]any, string, error) {
	if c.HTTP == nil {
		return nil, "", errors.New("login.Client has no HTTP client")
	}
	ep, _, err := c.endpointFor(ctx, req, endpoint, "userinfo_endpoint")
	if err != nil {
		return nil, "", err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, ep, nil)
	if err != nil {
		return nil, ep, &ConfigError{fmt.Sprintf("%s is not a URL", oneLine(ep))}
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	hr.Header.Set("Accept", "application/json")
	resp, err := c.httpClient(ctx).Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ep, ctx.Err()
		}
		return nil, ep, netError(ep, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, ep, netError(ep, err)
	}
	if resp.StatusCode != http.StatusOK {
		se := &ServerError{Endpoint: ep, Status: resp.StatusCode}
		// RFC 6750 §3: the error is in WWW-Authenticate.
		if h := resp.Header.Get("WWW-Authenticate"); h != "" {
			se.Description = oneLine(h)
		} else {
			se.Description = excerpt(string(body))
		}
		return nil, ep, se
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	if len(body) > maxResponseBytes || d.Decode(&m) != nil {
		// A signed (JWT) userinfo answer is not read here.
		return nil, ep, &ServerError{Endpoint: ep, Status: resp.StatusCode, Description: "the answer is not a JSON object (a signed or encrypted userinfo response is not supported)"}
	}
	return m, ep, nil
}

// Revoke revokes token at the revocation endpoint (RFC 7009 §2.1).
func (c *Client) Revoke(ctx context.Context, req *Request, endpoint, token, hint string) error {
	ep, m, err := c.endpointFor(ctx, req, endpoint, "revocation_endpoint")
	if err != nil {
		return err
	}
	var methods []string
	if m != nil {
		methods = m.TokenEndpointAuthMethods
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	resp, err := c.post(ctx, c.httpClient(ctx), req, authMethod(req, methods), ep, form)
	if err != nil {
		return err
	}
	return resp.oauthError(ep)
}

// CachedLogin describes a cached login: what it is for and how long it
// lasts, never a token.
type CachedLogin struct {
	CacheLogin
	Key             string    `json:"key"`
	Expiry          time.Time `json:"expiry,omitzero"`
	Obtained        time.Time `json:"obtained,omitzero"`
	HasRefreshToken bool      `json:"has_refresh_token"`
	HasIDToken      bool      `json:"has_id_token"`
}

// List returns the cached logins, sorted by authority, client and grant.
// A directory or entry others could write is refused, as by Get.
func (c *Cache) List() ([]CachedLogin, error) {
	var out []CachedLogin
	err := c.each(func(p string, e *entry) error {
		l := e.Login
		l.SecretTag = "" // not for show
		out = append(out, CachedLogin{CacheLogin: l, Key: e.Key, Expiry: e.Token.Expiry, Obtained: e.Token.Obtained,
			HasRefreshToken: e.Token.RefreshToken != "", HasIDToken: e.Token.IDToken != ""})
		return nil
	})
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Authority != b.Authority {
			return a.Authority < b.Authority
		}
		if a.ClientID != b.ClientID {
			return a.ClientID < b.ClientID
		}
		if a.Grant != b.Grant {
			return a.Grant < b.Grant
		}
		return strings.Join(a.Scopes, " ") < strings.Join(b.Scopes, " ")
	})
	return out, err
}

// each calls f for every entry of the cache that is jwtrace's.
func (c *Cache) each(f func(path string, e *entry) error) error {
	if err := c.checkDir(); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	des, err := os.ReadDir(c.Dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		if !strings.HasSuffix(de.Name(), ".json") || !de.Type().IsRegular() {
			continue
		}
		p := filepath.Join(c.Dir, de.Name())
		b, err := readPrivate(p, maxEntryBytes)
		var ce *CacheError
		if errors.As(err, &ce) {
			return err
		}
		var e entry
		if err != nil || json.Unmarshal(b, &e) != nil || e.Key+".json" != de.Name() || e.Token == nil {
			continue
		}
		if err := f(p, &e); err != nil {
			return err
		}
	}
	return nil
}

// Request rebuilds the request a cached login answers (its key matches).
func (l CacheLogin) Request() *Request {
	return &Request{Authority: l.Authority, TokenEndpoint: l.GivenTokenEndpoint, DeviceEndpoint: l.GivenDeviceEndpoint,
		ClientID: l.ClientID, Grant: l.Grant, Scopes: append([]string(nil), l.Scopes...), Audience: l.Audience, Resource: l.Resource,
		Params: cloneValues(l.Params)}
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return url.Values{}
	}
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Matches reports whether the login fits a partial request: every field
// the request sets (authority, endpoints, client, grant, audience,
// resource) is the login's, and every scope it names is among the
// login's.
func (l CacheLogin) Matches(req *Request) bool {
	eq := func(want, got string) bool { return want == "" || want == got }
	if !eq(strings.TrimRight(req.Authority, "/"), strings.TrimRight(l.Authority, "/")) || !eq(req.ClientID, l.ClientID) ||
		!eq(req.TokenEndpoint, l.GivenTokenEndpoint) || !eq(req.DeviceEndpoint, l.GivenDeviceEndpoint) ||
		!eq(req.Audience, l.Audience) || !eq(req.Resource, l.Resource) {
		return false
	}
	if req.Grant != "" && NormalizeGrant(req.Grant) != l.Grant {
		return false
	}
	for _, s := range req.Scopes {
		found := false
		for _, have := range l.Scopes {
			found = found || s == have
		}
		if !found {
			return false
		}
	}
	for k, vs := range req.Params {
		if strings.Join(l.Params[k], "\x00") != strings.Join(vs, "\x00") {
			return false
		}
	}
	return true
}

// LogoutResult says what logout did.
type LogoutResult struct {
	Removed int `json:"removed"`
	// Revoked counts the tokens the authorities revoked (RFC 7009);
	// Problems says what could not be revoked, one line each.
	Revoked  int      `json:"revoked"`
	Problems []string `json:"problems,omitempty"`
}

// Logout removes the cached logins that match (nil: all). With revoke, it
// first revokes each one's refresh token (else its access token) at its
// authority's revocation endpoint, as the client it was issued to; a
// login whose authority has none, or that needs a credential jwtrace was
// not given, is removed all the same, and the problem told.
func (c *Client) Logout(ctx context.Context, match func(CacheLogin) bool, revoke bool, creds *Request) (*LogoutResult, error) {
	res := &LogoutResult{}
	if c.Cache == nil {
		return res, nil
	}
	type victim struct {
		path string
		e    *entry
	}
	var vs []victim
	if err := c.Cache.each(func(p string, e *entry) error {
		if match == nil || match(e.Login) {
			vs = append(vs, victim{p, e})
		}
		return nil
	}); err != nil {
		return res, err
	}
	for _, v := range vs {
		if revoke {
			if err := c.revokeEntry(ctx, v.e, creds); err != nil {
				where := v.e.Login.Authority
				if where == "" {
					where = v.e.Login.TokenEndpoint
				}
				res.Problems = append(res.Problems, fmt.Sprintf("%s (client %s): %s", oneLine(where), oneLine(v.e.Login.ClientID), oneLine(err.Error())))
			} else {
				res.Revoked++
			}
		}
		if err := os.Remove(v.path); err != nil {
			return res, err
		}
		res.Removed++
	}
	return res, nil
}

func (c *Client) revokeEntry(ctx context.Context, e *entry, creds *Request) error {
	if e.Login.Authority == "" {
		return errors.New("no authority to find a revocation endpoint at; removed only")
	}
	req := e.Login.Request()
	if e.Login.SecretTag != "" {
		// The credential given goes only to an authority it was used with
		// for this login: its keyed hash must be the entry's.
		if creds != nil && (creds.ClientID == "" || creds.ClientID == req.ClientID) {
			try := *req
			try.ClientSecret, try.ClientKey, try.ClientAssertion, try.ClientAuth = creds.ClientSecret, creds.ClientKey, creds.ClientAssertion, creds.ClientAuth
			if tag, err := c.Cache.secretTag(credential(&try)); err == nil && credential(&try) != "" && hmac.Equal([]byte(tag), []byte(e.Login.SecretTag)) {
				req = &try
			}
		}
		if credential(req) == "" {
			return errors.New("the client is confidential: give the credential it logged in with (--client-secret or $JWTRACE_CLIENT_SECRET, --client-key) to revoke; removed only")
		}
	}
	token, hint := e.Token.RefreshToken, "refresh_token"
	if token == "" {
		token, hint = e.Token.AccessToken, "access_token"
	}
	return c.Revoke(ctx, req, "", token, hint)
}
