package authority_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"

	"github.com/jwtrace/jwtrace/internal/syncbuf"
)

// oauthConfig is x/oauth2 set up for the public client of srv.
func oauthConfig(srv *authoritytest.Server, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: authority.DefaultPublicClient,
		Endpoint: oauth2.Endpoint{
			DeviceAuthURL: srv.DeviceAuthURL,
			TokenURL:      srv.TokenURL,
			AuthStyle:     oauth2.AuthStyleInParams,
		},
		Scopes: scopes,
	}
}

// fetchJWKS gets the JWKS over HTTP, as a verifier would.
func fetchJWKS(t *testing.T, srv *authoritytest.Server) jwk.Set {
	t.Helper()
	resp, err := http.Get(srv.JWKSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("JWKS: %s, Content-Type %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	b, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(b), `"d"`) || strings.Contains(string(b), "jwtrace_created") {
		t.Fatalf("the JWKS publishes private fields: %s", b)
	}
	set, err := jwk.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// verify checks tok's signature against the served JWKS and its iss, and
// returns its claims.
func verify(t *testing.T, srv *authoritytest.Server, tok string, opts ...jwt.ParseOption) map[string]any {
	t.Helper()
	opts = append([]jwt.ParseOption{jwt.WithKeySet(fetchJWKS(t, srv)), jwt.WithIssuer(srv.Issuer)}, opts...)
	if _, err := jwt.Parse([]byte(tok), opts...); err != nil {
		t.Fatalf("token does not verify against the served JWKS: %v", err)
	}
	return claimsOf(t, tok)
}

// claimsOf decodes a token's claims without verifying.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	return partOf(t, tok, 1)
}

func partOf(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	b, err := jwtDecode(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// post sends a form to u, with HTTP Basic when user is not "".
func post(t *testing.T, u string, form url.Values, user, pass string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %s, body not JSON: %q", req.Method, req.URL, resp.Status, b)
	}
	return resp.StatusCode, resp.Header, m
}

func TestDeviceFlowWithOAuth2AndAutoApprove(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	cfg := oauthConfig(srv, "openid", "profile")
	ctx := t.Context()
	da, err := cfg.DeviceAuth(ctx, oauth2.SetAuthURLParam("audience", "api://orders"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(da.UserCode) {
		t.Errorf("user code %q is not in RFC 8628 section 6.1 style", da.UserCode)
	}
	if da.VerificationURI != srv.URL+"/device" || da.VerificationURIComplete != da.VerificationURI+"?user_code="+da.UserCode {
		t.Errorf("verification URIs %q, %q", da.VerificationURI, da.VerificationURIComplete)
	}
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Expiry.IsZero() {
		t.Errorf("token response: %+v", tok)
	}
	c := verify(t, srv, tok.AccessToken, jwt.WithAudience("api://orders"), jwt.WithSubject("alice"))
	if c["scope"] != "openid profile" || c["client_id"] != "jwtrace" || c["email"] != "alice@example.com" || c["jti"] == nil || c["nbf"] == nil {
		t.Errorf("access token claims: %v", c)
	}
	if h := partOf(t, tok.AccessToken, 0); h["typ"] != "at+jwt" || h["alg"] != "RS256" || h["kid"] == nil {
		t.Errorf("access token header: %v", h)
	}
	idt, _ := tok.Extra("id_token").(string)
	if idt == "" {
		t.Fatal("no id_token although openid was asked")
	}
	ic := verify(t, srv, idt, jwt.WithAudience("jwtrace"))
	if ic["sub"] != "alice" || ic["name"] != "Alice Example" || ic["at_hash"] == nil {
		t.Errorf("id token claims: %v", ic)
	}

	// The device code is single-use.
	code, _, body := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da.DeviceCode}, "client_id": {"jwtrace"}}, "", "")
	if code != 400 || body["error"] != "invalid_grant" {
		t.Errorf("second use of the device code: %d %v", code, body)
	}
}

func TestDeviceFlowWithoutOpenIDHasNoIDToken(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}, "scope": {"orders.read"}}, "", "")
	code, _, tok := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
	if code != 200 || tok["id_token"] != nil || tok["scope"] != "orders.read" {
		t.Errorf("%d %v", code, tok)
	}
}

// page is a person's browser: a cookie jar and the last page's CSRF token.
type page struct {
	t      *testing.T
	client *http.Client
	body   string
	status int
}

func newBrowser(t *testing.T) *page {
	jar, _ := cookiejar.New(nil)
	return &page{t: t, client: &http.Client{Jar: jar}}
}

func (p *page) get(u string) {
	p.t.Helper()
	resp, err := p.client.Get(u)
	if err != nil {
		p.t.Fatal(err)
	}
	p.read(resp)
}

func (p *page) submit(u string, form url.Values) {
	p.t.Helper()
	resp, err := p.client.PostForm(u, form)
	if err != nil {
		p.t.Fatal(err)
	}
	p.read(resp)
}

func (p *page) read(resp *http.Response) {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p.body, p.status = string(b), resp.StatusCode
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		p.t.Errorf("Content-Type %q", ct)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		p.t.Error("the page can be framed")
	}
}

func (p *page) csrf() string {
	p.t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(p.body)
	if m == nil {
		p.t.Fatalf("no CSRF token in the page:\n%s", p.body)
	}
	return m[1]
}

// personFlow starts a device flow with x/oauth2 polling in the background
// and returns the authorization and a channel with the poll's outcome.
func personFlow(t *testing.T, srv *authoritytest.Server) (*oauth2.DeviceAuthResponse, chan error, chan *oauth2.Token) {
	cfg := oauthConfig(srv, "openid")
	da, err := cfg.DeviceAuth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	errc, tokc := make(chan error, 1), make(chan *oauth2.Token, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tok, err := cfg.DeviceAccessToken(ctx, da)
		errc <- err
		tokc <- tok
	}()
	return da, errc, tokc
}

func TestPersonApprovesOnTheDevicePage(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	da, errc, tokc := personFlow(t, srv)

	b := newBrowser(t)
	b.get(da.VerificationURI)
	if b.status != 200 || !strings.Contains(b.body, `name="user_code"`) {
		t.Fatalf("GET /device: %d\n%s", b.status, b.body)
	}
	// Typed in lower case and without the dash.
	typed := strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))
	b.submit(da.VerificationURI, url.Values{"csrf": {b.csrf()}, "user_code": {typed}, "action": {"continue"}})
	if b.status != 200 || !strings.Contains(b.body, "client <b>jwtrace</b>") || !strings.Contains(b.body, da.UserCode) {
		t.Fatalf("confirm step: %d\n%s", b.status, b.body)
	}
	b.submit(da.VerificationURI, url.Values{"csrf": {b.csrf()}, "user_code": {da.UserCode}, "action": {"approve"}, "user": {"alice"}})
	if b.status != 200 || !strings.Contains(b.body, "Approved: signed in as alice") {
		t.Fatalf("approve: %d\n%s", b.status, b.body)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	tok := <-tokc
	if c := verify(t, srv, tok.AccessToken); c["sub"] != "alice" {
		t.Errorf("sub %v", c["sub"])
	}
	// The code cannot be approved twice.
	b.get(da.VerificationURIComplete)
	if b.status != 400 || !strings.Contains(b.body, "Unknown, used or expired code") {
		t.Errorf("used code: %d\n%s", b.status, b.body)
	}
}

func TestPersonDeniesOnTheDevicePage(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	da, errc, _ := personFlow(t, srv)

	b := newBrowser(t)
	b.get(da.VerificationURIComplete) // straight to the confirm step
	if b.status != 200 || !strings.Contains(b.body, "Approve") {
		t.Fatalf("GET %s: %d\n%s", da.VerificationURIComplete, b.status, b.body)
	}
	b.submit(da.VerificationURI, url.Values{"csrf": {b.csrf()}, "user_code": {da.UserCode}, "action": {"deny"}})
	if b.status != 200 || !strings.Contains(b.body, "Denied") {
		t.Fatalf("deny: %d\n%s", b.status, b.body)
	}
	err := <-errc
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "access_denied" {
		t.Fatalf("x/oauth2 got %v, want access_denied", err)
	}
}

func TestDevicePageRefusesForgedForms(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	srv := authoritytest.Start(t, authoritytest.WithClock(clock))
	_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}}, "", "")
	uc := da["user_code"].(string)
	approve := url.Values{"user_code": {uc}, "action": {"approve"}, "user": {"alice"}}

	t.Run("a form posted from another site, without the cookie, is refused", func(t *testing.T) {
		other := newBrowser(t) // no GET first: no cookie
		f := url.Values{"csrf": {"x"}}
		for k, v := range approve {
			f[k] = v
		}
		other.submit(srv.URL+"/device", f)
		if other.status != 403 {
			t.Errorf("status %d\n%s", other.status, other.body)
		}
	})
	t.Run("a form with the cookie but a wrong token is refused", func(t *testing.T) {
		b := newBrowser(t)
		b.get(srv.URL + "/device")
		f := url.Values{"csrf": {b.csrf() + "x"}}
		for k, v := range approve {
			f[k] = v
		}
		b.submit(srv.URL+"/device", f)
		if b.status != 403 {
			t.Errorf("status %d", b.status)
		}
	})
	t.Run("a token from another browser's cookie is refused", func(t *testing.T) {
		b1, b2 := newBrowser(t), newBrowser(t)
		b1.get(srv.URL + "/device")
		b2.get(srv.URL + "/device")
		f := url.Values{"csrf": {b1.csrf()}}
		for k, v := range approve {
			f[k] = v
		}
		b2.submit(srv.URL+"/device", f)
		if b2.status != 403 {
			t.Errorf("status %d", b2.status)
		}
	})
	// Nothing was approved.
	code, _, body := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
	if code != 400 || body["error"] != "authorization_pending" {
		t.Errorf("after forged forms: %d %v", code, body)
	}
	t.Run("user input is escaped in the page", func(t *testing.T) {
		b := newBrowser(t)
		b.get(srv.URL + "/device?user_code=" + url.QueryEscape(`<script>alert(1)</script>`))
		if strings.Contains(b.body, "<script>") || !strings.Contains(b.body, "&lt;script&gt;") || b.status != 400 {
			t.Errorf("status %d\n%s", b.status, b.body)
		}
	})
}

func TestPollingTooFastGetsSlowDown(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	srv := authoritytest.Start(t, authoritytest.WithClock(clock), authoritytest.WithConfig(func(c *authority.Config) { c.PollInterval = 5 * time.Second }))
	_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}}, "", "")
	if da["interval"] != 5.0 {
		t.Fatalf("interval %v", da["interval"])
	}
	poll := func() (int, string) {
		code, h, body := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
		if h.Get("Cache-Control") != "no-store" {
			t.Error("no Cache-Control: no-store")
		}
		e, _ := body["error"].(string)
		return code, e
	}
	steps := []struct {
		wait time.Duration
		want string
	}{
		{0, "authorization_pending"},
		{1 * time.Second, "slow_down"},              // interval 5s → 10s
		{6 * time.Second, "slow_down"},              // 10s → 15s
		{15 * time.Second, "authorization_pending"}, // waited long enough
	}
	for _, s := range steps {
		clock.Advance(s.wait)
		if code, e := poll(); code != 400 || e != s.want {
			t.Errorf("after %s: %d %s, want 400 %s", s.wait, code, e, s.want)
		}
	}
}

func TestDeviceCodeExpires(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	srv := authoritytest.Start(t, authoritytest.WithClock(clock))
	_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}}, "", "")
	if da["expires_in"] != 600.0 {
		t.Errorf("expires_in %v", da["expires_in"])
	}
	clock.Advance(10 * time.Minute)
	code, _, body := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
	if code != 400 || body["error"] != "expired_token" {
		t.Errorf("%d %v", code, body)
	}
	// And a person can no longer approve it.
	b := newBrowser(t)
	b.get(da["verification_uri_complete"].(string))
	if b.status != 400 {
		t.Errorf("page for an expired code: %d", b.status)
	}
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := clientcredentials.Config{
			ClientID:       authority.DefaultServiceClient,
			ClientSecret:   authority.DefaultServiceSecret,
			TokenURL:       srv.TokenURL,
			Scopes:         []string{"orders.read", "orders.write"},
			EndpointParams: url.Values{"resource": {"https://orders.example.com/"}},
			AuthStyle:      style,
		}
		tok, err := cc.Token(t.Context())
		if err != nil {
			t.Fatalf("auth style %v: %v", style, err)
		}
		if tok.RefreshToken != "" || tok.Extra("id_token") != nil {
			t.Errorf("client credentials gave a refresh or ID token: %+v", tok)
		}
		c := verify(t, srv, tok.AccessToken, jwt.WithAudience("https://orders.example.com/"))
		if c["sub"] != "jwtrace-service" || c["scope"] != "orders.read orders.write" || c["email"] != nil {
			t.Errorf("claims %v", c)
		}
		if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat != 3600 {
			t.Errorf("lifetime %v", exp-iat)
		}
	}
	// Without audience or resource: the default audience.
	cc := clientcredentials.Config{ClientID: authority.DefaultServiceClient, ClientSecret: authority.DefaultServiceSecret, TokenURL: srv.TokenURL}
	tok, err := cc.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	verify(t, srv, tok.AccessToken, jwt.WithAudience(authority.DefaultAudience))
}

func TestRefreshTokensRotate(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}, "scope": {"openid orders.read"}}, "", "")
	_, _, first := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
	rt1, _ := first["refresh_token"].(string)
	if len(rt1) < 40 || strings.Count(rt1, ".") > 0 {
		t.Fatalf("refresh token %q is not opaque random", rt1)
	}
	refresh := func(rt string, extra ...string) (int, map[string]any) {
		f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"jwtrace"}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		code, _, body := post(t, srv.TokenURL, f, "", "")
		return code, body
	}
	code, second := refresh(rt1)
	rt2, _ := second["refresh_token"].(string)
	if code != 200 || rt2 == "" || rt2 == rt1 || second["id_token"] == nil {
		t.Fatalf("refresh: %d %v", code, second)
	}
	if c := verify(t, srv, second["access_token"].(string)); c["sub"] != "alice" || c["scope"] != "openid orders.read" {
		t.Errorf("refreshed claims %v", c)
	}
	if code, body := refresh(rt1); code != 400 || body["error"] != "invalid_grant" {
		t.Errorf("reusing a rotated refresh token: %d %v", code, body)
	}
	// Narrower scope is fine, wider is not.
	code, third := refresh(rt2, "scope", "orders.read")
	if code != 200 || third["scope"] != "orders.read" {
		t.Errorf("narrowing: %d %v", code, third)
	}
	if code, body := refresh(third["refresh_token"].(string), "scope", "orders.write"); code != 400 || body["error"] != "invalid_scope" {
		t.Errorf("widening: %d %v", code, body)
	}
	// x/oauth2's TokenSource refreshes too.
	code, fourth := refresh(rt2)
	if code != 400 || fourth["error"] != "invalid_grant" {
		t.Errorf("rt2 was used once already: %d %v", code, fourth)
	}
}

func TestRefreshWithOAuth2TokenSource(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Now())
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"), authoritytest.WithClock(clock))
	_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}}, "", "")
	_, _, first := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
	old := &oauth2.Token{AccessToken: first["access_token"].(string), RefreshToken: first["refresh_token"].(string), Expiry: time.Now().Add(-time.Minute)}
	clock.Advance(time.Minute)
	tok, err := oauthConfig(srv).TokenSource(t.Context(), old).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == old.AccessToken || tok.RefreshToken == old.RefreshToken {
		t.Error("x/oauth2 did not get a new access and refresh token")
	}
}

func TestErrorResponses(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	svc, secret := authority.DefaultServiceClient, authority.DefaultServiceSecret
	cc := url.Values{"grant_type": {"client_credentials"}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = append([]string(nil), vs...)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name       string
		url        string
		form       url.Values
		user, pass string
		status     int
		err        string
	}{
		{"no grant_type is an invalid request", srv.TokenURL, url.Values{}, svc, secret, 400, "invalid_request"},
		{"a repeated parameter is an invalid request", srv.TokenURL, with(cc, "scope", "a", "scope", "b"), svc, secret, 400, "invalid_request"},
		{"Basic and client_secret together are an invalid request", srv.TokenURL, with(cc, "client_secret", secret), svc, secret, 400, "invalid_request"},
		{"an unknown grant type is unsupported", srv.TokenURL, url.Values{"grant_type": {"password"}, "username": {"alice"}}, svc, secret, 400, "unsupported_grant_type"},
		{"no client authentication is an invalid client", srv.TokenURL, cc, "", "", 401, "invalid_client"},
		{"a wrong secret is an invalid client", srv.TokenURL, cc, svc, "nope", 401, "invalid_client"},
		{"a wrong secret in the body is an invalid client", srv.TokenURL, with(cc, "client_id", svc, "client_secret", "nope"), "", "", 401, "invalid_client"},
		{"an unknown client is an invalid client", srv.TokenURL, cc, "mallory", "x", 401, "invalid_client"},
		{"a confidential client without its secret is an invalid client", srv.TokenURL, with(cc, "client_id", svc), "", "", 401, "invalid_client"},
		{"a public client with a secret is an invalid client", srv.TokenURL, with(cc, "client_id", "jwtrace", "client_secret", "x"), "", "", 401, "invalid_client"},
		{"a public client cannot use client credentials", srv.TokenURL, with(cc, "client_id", "jwtrace"), "", "", 400, "unauthorized_client"},
		{"an unknown device code is an invalid grant", srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {"nope"}, "client_id": {"jwtrace"}}, "", "", 400, "invalid_grant"},
		{"a missing device code is an invalid request", srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "client_id": {"jwtrace"}}, "", "", 400, "invalid_request"},
		{"an unknown refresh token is an invalid grant", srv.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}, "client_id": {"jwtrace"}}, "", "", 400, "invalid_grant"},
		{"a missing refresh token is an invalid request", srv.TokenURL, url.Values{"grant_type": {"refresh_token"}, "client_id": {"jwtrace"}}, "", "", 400, "invalid_request"},
		{"a relative resource is an invalid target", srv.TokenURL, with(cc, "resource", "orders"), svc, secret, 400, "invalid_target"},
		{"a scope with a quote is an invalid scope", srv.TokenURL, with(cc, "scope", `a"b`), svc, secret, 400, "invalid_scope"},
		{"device authorization without a client is an invalid client", srv.DeviceAuthURL, url.Values{}, "", "", 401, "invalid_client"},
		{"device authorization for an unknown client is an invalid client", srv.DeviceAuthURL, url.Values{"client_id": {"nope"}}, "", "", 401, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, body := post(t, tt.url, tt.form, tt.user, tt.pass)
			if code != tt.status || body["error"] != tt.err {
				t.Errorf("got %d %v, want %d %s", code, body, tt.status, tt.err)
			}
			if desc, _ := body["error_description"].(string); desc == "" {
				t.Error("no error_description")
			}
			if code == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("401 without WWW-Authenticate: Basic (got %q)", h.Get("WWW-Authenticate"))
			}
			if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", h)
			}
		})
	}
	t.Run("a non-Basic Authorization scheme is an invalid client", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.TokenURL, strings.NewReader(cc.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer abc")
		code, h, body := do(t, req)
		if code != 401 || body["error"] != "invalid_client" || h.Get("WWW-Authenticate") == "" {
			t.Errorf("%d %v %v", code, body, h)
		}
	})
	t.Run("a JSON body is an invalid request", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.TokenURL, strings.NewReader(`{"grant_type":"client_credentials"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(svc, secret)
		if code, _, body := do(t, req); code != 400 || body["error"] != "invalid_request" {
			t.Errorf("%d %v", code, body)
		}
	})
	t.Run("GET on the token endpoint is not allowed", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.TokenURL+"?grant_type=client_credentials", nil)
		code, h, body := do(t, req)
		if code != 405 || h.Get("Allow") != "POST" || body["error"] != "invalid_request" {
			t.Errorf("%d %v %v", code, h, body)
		}
	})
	t.Run("a body over 64 KiB is refused", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.TokenURL, strings.NewReader("grant_type=client_credentials&x="+strings.Repeat("a", 70<<10)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if code, _, body := do(t, req); code != 413 || body["error"] != "invalid_request" {
			t.Errorf("%d %v", code, body)
		}
	})
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAlg("ES256"))
	resp, err := http.Get(srv.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"issuer":                        srv.URL,
		"jwks_uri":                      srv.URL + "/jwks.json",
		"token_endpoint":                srv.URL + "/token",
		"device_authorization_endpoint": srv.URL + "/device_authorization",
		"authorization_endpoint":        srv.URL + "/authorize",
		"introspection_endpoint":        srv.URL + "/introspect",
		"userinfo_endpoint":             srv.URL + "/userinfo",
		"revocation_endpoint":           srv.URL + "/revoke",
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %v, want %s", k, d[k], v)
		}
	}
	if g := d["grant_types_supported"].([]any); len(g) != 6 || g[0] != "authorization_code" {
		t.Errorf("grant_types_supported %v", g)
	}
	// PKCE with S256 only (RFC 7636 §4.2; plain is refused).
	if m := d["code_challenge_methods_supported"].([]any); len(m) != 1 || m[0] != "S256" {
		t.Errorf("code_challenge_methods_supported %v", m)
	}
	if r := d["response_types_supported"].([]any); len(r) != 1 || r[0] != "code" {
		t.Errorf("response_types_supported %v", r)
	}
	if a := d["id_token_signing_alg_values_supported"].([]any); len(a) != 1 || a[0] != "ES256" {
		t.Errorf("algs %v", a)
	}
}

func TestIssuerWithAPathPrefixesTheEndpoints(t *testing.T) {
	t.Parallel()
	const iss = "https://login.example.com/tenant-1/v2.0"
	srv := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.Issuer = iss }))
	if srv.Issuer != iss || srv.DiscoveryURL != srv.URL+"/tenant-1/v2.0/.well-known/openid-configuration" || srv.TokenURL != srv.URL+"/tenant-1/v2.0/token" {
		t.Fatalf("%+v", srv)
	}
	resp, err := http.Get(srv.DiscoveryURL)
	if err != nil {
		t.Fatal(err)
	}
	var d authority.Discovery
	json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if d.Issuer != iss || d.JWKSURI != srv.URL+"/tenant-1/v2.0/jwks.json" {
		t.Errorf("%+v", d)
	}
	tok := srv.Mint(t, map[string]any{"sub": "x"})
	verify(t, srv, tok)
}

func TestSigningAlgorithmsVerify(t *testing.T) {
	t.Parallel()
	for _, alg := range authority.Algs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			srv := authoritytest.Start(t, authoritytest.WithAlg(alg))
			tok := srv.Mint(t, map[string]any{"sub": "alice", "aud": []string{"a", "b"}})
			c := verify(t, srv, tok, jwt.WithAudience("b"))
			if h := partOf(t, tok, 0); h["alg"] != alg || h["kid"] != srv.SigningKey().KID {
				t.Errorf("header %v", h)
			}
			if c["iss"] != srv.Issuer || c["exp"].(float64)-c["iat"].(float64) != 3600 || c["jti"] == nil {
				t.Errorf("claims %v", c)
			}
		})
	}
}

func TestMintOverridesAndRemoves(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	tok := srv.MintHeader(t, map[string]any{"typ": "JWT", "kid": "other"}, map[string]any{"exp": nil, "sub": "bob", "roles": []string{"admin"}})
	h, c := partOf(t, tok, 0), claimsOf(t, tok)
	if h["typ"] != "JWT" || h["kid"] != "other" {
		t.Errorf("header %v", h)
	}
	if _, ok := c["exp"]; ok || c["sub"] != "bob" {
		t.Errorf("claims %v", c)
	}
	// Registered claims first, in a fixed order.
	payload, _ := jwtDecode(strings.Split(tok, ".")[1])
	if !strings.HasPrefix(string(payload), `{"iss":`) {
		t.Errorf("payload order: %s", payload)
	}
}

func TestKeysPersistAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	first := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.StateDir = dir }))
	tok := first.Mint(t, map[string]any{"sub": "alice"})

	fi, err := os.Stat(filepath.Join(dir, authority.KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	di, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("modes: file %v, dir %v", fi.Mode(), di.Mode())
	}

	second := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.StateDir = dir }))
	if second.SigningKey().KID != first.SigningKey().KID {
		t.Fatal("a restart made a new key")
	}
	// The first server's token verifies against the second's JWKS.
	set := fetchJWKS(t, second)
	if _, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set)); err != nil {
		t.Error(err)
	}
	// Asking for another algorithm adds a key; both stay published.
	third := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.StateDir = dir; c.Alg = "EdDSA" }))
	if third.SigningKey().Alg != "EdDSA" || fetchJWKS(t, third).Len() != 2 {
		t.Errorf("keys %+v", third.Keys())
	}
}

func TestRotatePublishesBothAndSignsWithTheNew(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.StateDir = dir }))
	oldKID := srv.SigningKey().KID
	oldTok := srv.Mint(t, map[string]any{"sub": "alice"})

	// Rotated by another process (jwtrace authority rotate).
	info, err := authority.Rotate(dir, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if info.KID == oldKID || info.Alg != "RS256" {
		t.Fatalf("%+v", info)
	}
	set := fetchJWKS(t, srv)
	if set.Len() != 2 {
		t.Fatalf("JWKS has %d keys after rotation", set.Len())
	}
	if k, _ := set.Key(0); func() string { s, _ := k.KeyID(); return s }() != info.KID {
		t.Error("the newest key is not listed first")
	}
	newTok := srv.Mint(t, map[string]any{"sub": "alice"})
	if kid := partOf(t, newTok, 0)["kid"]; kid != info.KID {
		t.Errorf("new tokens are signed with %v, want the new key %s", kid, info.KID)
	}
	verify(t, srv, oldTok)
	verify(t, srv, newTok)

	keys, err := authority.Keys(dir)
	if err != nil || len(keys) != 2 || keys[0].Signing || !keys[1].Signing || keys[0].KID != oldKID {
		t.Errorf("Keys: %+v %v", keys, err)
	}

	// In-process rotation without a state directory.
	mem := authoritytest.Start(t)
	before := mem.SigningKey().KID
	after := mem.RotateKey(t)
	if after == before || mem.PublicJWKS(t).Len() != 2 {
		t.Error("in-memory rotation")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  authority.Config
		want string
	}{
		{"an unknown algorithm", authority.Config{Alg: "HS256"}, "unsupported algorithm"},
		{"auto-approve for an unknown user", authority.Config{AutoApprove: "mallory"}, `auto-approve: no user "mallory"`},
		{"a public client with client_credentials", authority.Config{Clients: []authority.Client{{ID: "x", GrantTypes: []string{"client_credentials"}}}}, "public client"},
		{"a client twice", authority.Config{Clients: []authority.Client{{ID: "x"}, {ID: "x"}}}, "twice"},
		{"an issuer that is not a URL", authority.Config{Issuer: "login.example.com"}, "not an http(s) URL"},
		{"a scope claim other than scope or scp", authority.Config{ScopeClaim: "scopes"}, "scope claim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := authority.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "authority.json")
	os.WriteFile(path, []byte(`{"clients":[{"client_id":"orders","client_secret":"s","audience":["api://orders"],"scopes":["orders.read"],"claims":{"roles":["reader"]}}],
"users":[{"sub":"bob","claims":{"name":"Bob"}}]}`), 0o600)
	f, err := authority.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.Clients, c.Users = f.Clients, f.Users }))
	code, _, body := post(t, srv.TokenURL, url.Values{"grant_type": {"client_credentials"}, "scope": {"orders.read"}}, "orders", "s")
	if code != 200 {
		t.Fatalf("%d %v", code, body)
	}
	c := verify(t, srv, body["access_token"].(string), jwt.WithAudience("api://orders"))
	if roles, _ := c["roles"].([]any); len(roles) != 1 || roles[0] != "reader" {
		t.Errorf("claims %v", c)
	}
	if code, _, body := post(t, srv.TokenURL, url.Values{"grant_type": {"client_credentials"}, "scope": {"orders.write"}}, "orders", "s"); code != 400 || body["error"] != "invalid_scope" {
		t.Errorf("a scope the client may not have: %d %v", code, body)
	}

	os.WriteFile(path, []byte(`{"clients":[{"id":"typo"}]}`), 0o600)
	if _, err := authority.ReadFile(path); err == nil || !strings.Contains(err.Error(), `unknown field "id"`) {
		t.Errorf("typo: %v", err)
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	var log syncbuf.Buffer
	srv := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.Log = &log }))
	post(t, srv.TokenURL, url.Values{"grant_type": {"client_credentials"}}, authority.DefaultServiceClient, authority.DefaultServiceSecret)
	post(t, srv.TokenURL, url.Values{"grant_type": {"client_credentials"}}, authority.DefaultServiceClient, "wrong")
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log:\n%s", log.String())
	}
	if !regexp.MustCompile(`^\S+Z POST /token 200 client=jwtrace-service grant=client_credentials issued$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^\S+Z POST /token 401 client=jwtrace-service error=invalid_client$`).MatchString(lines[1]) {
		t.Errorf("log:\n%s", log.String())
	}
	if strings.Contains(log.String(), "wrong") || strings.Contains(log.String(), authority.DefaultServiceSecret) {
		t.Error("the log shows a secret")
	}
}
