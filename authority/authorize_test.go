package authority_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

const testRedirect = "http://127.0.0.1:53682/callback"

// verifierPair is a PKCE verifier and its S256 challenge.
func verifierPair(t *testing.T) (string, string) {
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(v))
	return v, base64.RawURLEncoding.EncodeToString(sum[:])
}

func noFollow() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// authorize sends an authorization request and returns the redirect's
// query (or fails when there is no redirect).
func authorize(t *testing.T, srv *authoritytest.Server, params url.Values) (url.Values, *http.Response) {
	t.Helper()
	resp, err := noFollow().Get(srv.AuthorizeURL + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, resp
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query(), resp
}

func codeParams(challenge string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {authority.DefaultPublicClient}, "redirect_uri": {testRedirect},
		"scope": {"openid offline_access"}, "state": {"st-1"}, "nonce": {"n-1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
}

func postToken(t *testing.T, srv *authoritytest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(srv.TokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func claimsOfJWT(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := jwtDecode(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Now())
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"), authoritytest.WithClock(clock))
	verifier, challenge := verifierPair(t)
	q, resp := authorize(t, srv, codeParams(challenge))
	if resp.StatusCode != http.StatusSeeOther || q.Get("code") == "" || q.Get("state") != "st-1" || q.Get("iss") != srv.Issuer {
		t.Fatalf("status %d, redirect %v", resp.StatusCode, q)
	}
	redeem := func(code, verifier, redirect string) (int, map[string]any) {
		return postToken(t, srv, url.Values{"grant_type": {"authorization_code"}, "client_id": {authority.DefaultPublicClient},
			"code": {code}, "code_verifier": {verifier}, "redirect_uri": {redirect}})
	}
	fresh := func() (string, string) {
		v, c := verifierPair(t)
		q, _ := authorize(t, srv, codeParams(c))
		return q.Get("code"), v
	}

	t.Run("a wrong verifier is invalid_grant", func(t *testing.T) {
		code, _ := fresh()
		other, _ := verifierPair(t)
		if st, m := redeem(code, other, testRedirect); st != 400 || m["error"] != "invalid_grant" || !strings.Contains(fmt.Sprint(m["error_description"]), "does not match") {
			t.Fatalf("%d %v", st, m)
		}
	})
	t.Run("no verifier is invalid_grant", func(t *testing.T) {
		code, _ := fresh()
		if st, m := redeem(code, "", testRedirect); st != 400 || m["error"] != "invalid_grant" {
			t.Fatalf("%d %v", st, m)
		}
	})
	t.Run("another redirect_uri is invalid_grant", func(t *testing.T) {
		code, v := fresh()
		if st, m := redeem(code, v, "http://127.0.0.1:9999/callback"); st != 400 || m["error"] != "invalid_grant" || !strings.Contains(fmt.Sprint(m["error_description"]), "redirect_uri") {
			t.Fatalf("%d %v", st, m)
		}
	})
	t.Run("an expired code is invalid_grant", func(t *testing.T) {
		code, v := fresh()
		clock.Advance(authority.DefaultCodeTTL + time.Second)
		defer clock.Advance(-authority.DefaultCodeTTL - time.Second)
		if st, m := redeem(code, v, testRedirect); st != 400 || m["error"] != "invalid_grant" || !strings.Contains(fmt.Sprint(m["error_description"]), "expired") {
			t.Fatalf("%d %v", st, m)
		}
	})

	st, m := redeem(q.Get("code"), verifier, testRedirect)
	if st != 200 || m["access_token"] == nil || m["id_token"] == nil || m["refresh_token"] == nil {
		t.Fatalf("%d %v", st, m)
	}
	id := claimsOfJWT(t, m["id_token"].(string))
	if id["nonce"] != "n-1" || id["aud"] != authority.DefaultPublicClient || id["sub"] != "alice" {
		t.Fatalf("ID token claims %v", id)
	}
	t.Run("a reused code is refused and revokes its refresh token", func(t *testing.T) {
		st, m2 := redeem(q.Get("code"), verifier, testRedirect)
		if st != 400 || m2["error"] != "invalid_grant" || !strings.Contains(fmt.Sprint(m2["error_description"]), "already used") {
			t.Fatalf("%d %v", st, m2)
		}
		st, m3 := postToken(t, srv, url.Values{"grant_type": {"refresh_token"}, "client_id": {authority.DefaultPublicClient}, "refresh_token": {m["refresh_token"].(string)}})
		if st != 400 || m3["error"] != "invalid_grant" {
			t.Fatalf("the refresh token of a reused code still works: %d %v", st, m3)
		}
	})
}

func TestAuthorizationRequestsThatAreRefused(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"), authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = append(authority.DefaultClients(), authority.Client{ID: "web", RedirectURIs: []string{"https://app.example/cb", "http://127.0.0.1/cb"}})
	}))
	_, challenge := verifierPair(t)
	cases := []struct {
		name     string
		change   func(url.Values)
		page     string // refused on the page, never redirected
		redirect string // the error in the redirect
	}{
		{"plain PKCE is refused", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "", "invalid_request"},
		{"no PKCE is refused", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "", "invalid_request"},
		{"a short challenge is refused", func(q url.Values) { q.Set("code_challenge", "abc") }, "", "invalid_request"},
		{"response_type token is refused", func(q url.Values) { q.Set("response_type", "token") }, "", "unsupported_response_type"},
		{"an unknown client is shown on the page", func(q url.Values) { q.Set("client_id", "nobody") }, "Unknown client", ""},
		{"a redirect to another host is never followed", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, "not registered", ""},
		{"a registered client's unregistered URI is refused", func(q url.Values) {
			q.Set("client_id", "web")
			q.Set("redirect_uri", "https://app.example/other")
		}, "not registered", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := codeParams(challenge)
			tc.change(q)
			got, resp := authorize(t, srv, q)
			if tc.page != "" {
				if resp.StatusCode != 400 || got != nil {
					t.Fatalf("status %d, redirect %v", resp.StatusCode, got)
				}
				return
			}
			if got.Get("error") != tc.redirect || got.Get("code") != "" || got.Get("state") != "st-1" {
				t.Fatalf("redirect %v", got)
			}
		})
	}
	t.Run("a registered loopback URI matches with any port (RFC 8252 §7.3)", func(t *testing.T) {
		q := codeParams(challenge)
		q.Set("client_id", "web")
		q.Set("redirect_uri", "http://127.0.0.1:41234/cb")
		if got, _ := authorize(t, srv, q); got.Get("code") == "" {
			t.Fatalf("redirect %v", got)
		}
	})
}

func TestTheSignInPage(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	_, challenge := verifierPair(t)
	q := codeParams(challenge)
	q.Set("login_hint", "alice")
	resp, err := http.Get(srv.AuthorizeURL + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `id="approve"`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("%d %s", resp.StatusCode, page)
	}
	t.Run("a POST without the page's CSRF token is refused", func(t *testing.T) {
		form := codeParams(challenge)
		form.Set("action", "approve")
		form.Set("user", "alice")
		resp, err := noFollow().PostForm(srv.AuthorizeURL, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
			t.Fatalf("status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("prompt=none without auto-approve is login_required", func(t *testing.T) {
		q := codeParams(challenge)
		q.Set("prompt", "none")
		if got, _ := authorize(t, srv, q); got.Get("error") != "login_required" {
			t.Fatalf("redirect %v", got)
		}
	})
}

// clientKey makes an EC key and a client registered with its public JWKS.
func clientKey(t *testing.T, id string) (jwk.Key, authority.Client) {
	raw, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	priv, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	priv.Set(jwk.KeyIDKey, "k1")
	pub, _ := priv.PublicKey()
	set := jwk.NewSet()
	set.AddKey(pub)
	b, _ := json.Marshal(set)
	return priv, authority.Client{ID: id, JWKS: b, GrantTypes: []string{authority.GrantClientCredentials}}
}

func signAssertion(t *testing.T, key jwk.Key, claims map[string]any) string {
	b, _ := json.Marshal(claims)
	hdr := jws.NewHeaders()
	hdr.Set("kid", "k1")
	out, err := jws.Sign(b, jws.WithKey(jwa.ES256(), key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestPrivateKeyJWTClients(t *testing.T) {
	t.Parallel()
	key, client := clientKey(t, "svc-jwt")
	otherKey, _ := clientKey(t, "x")
	srv := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = append(authority.DefaultClients(), client)
	}))
	now := time.Now()
	good := func() map[string]any {
		return map[string]any{"iss": "svc-jwt", "sub": "svc-jwt", "aud": srv.TokenURL, "exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "jti": fmt.Sprint(time.Now().UnixNano())}
	}
	try := func(assertion string) (int, map[string]any) {
		return postToken(t, srv, url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {authority.ClientAssertionType}, "client_assertion": {assertion}})
	}
	first := signAssertion(t, key, good())
	if st, m := try(first); st != 200 || m["access_token"] == nil {
		t.Fatalf("%d %v", st, m)
	}
	cases := []struct {
		name      string
		assertion func() string
		want      string
	}{
		{"a replayed assertion", func() string { return first }, "already used"},
		{"another key's signature", func() string { return signAssertion(t, otherKey, good()) }, "does not verify"},
		{"another audience", func() string {
			c := good()
			c["aud"] = "https://elsewhere.example/token"
			return signAssertion(t, key, c)
		}, "aud must name this authority"},
		{"an expired assertion", func() string { c := good(); c["exp"] = now.Add(-time.Hour).Unix(); return signAssertion(t, key, c) }, "expired"},
		{"sub is not the client", func() string { c := good(); c["sub"] = "alice"; return signAssertion(t, key, c) }, "sub must be the client id"},
		{"no jti", func() string { c := good(); delete(c, "jti"); return signAssertion(t, key, c) }, "no jti"},
		{"a client without keys", func() string {
			c := good()
			c["iss"], c["sub"] = "jwtrace-service", "jwtrace-service"
			return signAssertion(t, key, c)
		}, "no registered keys"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is invalid_client", func(t *testing.T) {
			st, m := try(tc.assertion())
			if st != 401 || m["error"] != "invalid_client" || !strings.Contains(fmt.Sprint(m["error_description"]), tc.want) {
				t.Fatalf("%d %v", st, m)
			}
		})
	}
	t.Run("the client's secret-less Basic is refused", func(t *testing.T) {
		st, m := postToken(t, srv, url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc-jwt"}})
		if st != 401 || !strings.Contains(fmt.Sprint(m["error_description"]), "private_key_jwt") {
			t.Fatalf("%d %v", st, m)
		}
	})
}

func TestIntrospectionUserinfoAndRevocation(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	verifier, challenge := verifierPair(t)
	q, _ := authorize(t, srv, codeParams(challenge))
	st, tok := postToken(t, srv, url.Values{"grant_type": {"authorization_code"}, "client_id": {authority.DefaultPublicClient},
		"code": {q.Get("code")}, "code_verifier": {verifier}, "redirect_uri": {testRedirect}})
	if st != 200 {
		t.Fatalf("%d %v", st, tok)
	}
	access, refresh := tok["access_token"].(string), tok["refresh_token"].(string)
	introspect := func(token string, id, secret string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", srv.IntrospectURL, strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if id != "" {
			req.SetBasicAuth(id, secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	svc, secret := authority.DefaultServiceClient, authority.DefaultServiceSecret
	if st, m := introspect(access, svc, secret); st != 200 || m["active"] != true || m["sub"] != "alice" || m["client_id"] != authority.DefaultPublicClient || m["scope"] != "openid offline_access" {
		t.Fatalf("%d %v", st, m)
	}
	if st, m := introspect(refresh, svc, secret); st != 200 || m["active"] != true || m["token_type"] != "refresh_token" {
		t.Fatalf("%d %v", st, m)
	}
	if st, m := introspect("not-a-token", svc, secret); st != 200 || m["active"] != false || len(m) != 1 {
		t.Fatalf("%d %v", st, m)
	}
	if st, m := introspect(access, svc, "wrong"); st != 401 || m["error"] != "invalid_client" {
		t.Fatalf("a wrong secret: %d %v", st, m)
	}
	minted := srv.Mint(t, map[string]any{"sub": "alice", "aud": "x"})
	if _, m := introspect(minted, svc, secret); m["active"] != false {
		t.Fatalf("a minted token (not issued by the token endpoint) is active: %v", m)
	}

	userinfo := func(token string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", srv.UserinfoURL, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if st, m := userinfo(access); st != 200 || m["sub"] != "alice" || m["email"] != "alice@example.com" {
		t.Fatalf("userinfo %d %v", st, m)
	}
	if st, _ := userinfo(minted); st != 401 {
		t.Fatalf("userinfo took a minted token: %d", st)
	}

	revoke := func(token string) int {
		resp, err := http.PostForm(srv.RevokeURL, url.Values{"client_id": {authority.DefaultPublicClient}, "token": {token}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if revoke(access) != 200 || revoke(refresh) != 200 || revoke("unknown") != 200 {
		t.Fatal("revocation did not answer 200 (RFC 7009 §2.2)")
	}
	if _, m := introspect(access, svc, secret); m["active"] != false {
		t.Fatalf("a revoked access token is active: %v", m)
	}
	if _, m := introspect(refresh, svc, secret); m["active"] != false {
		t.Fatalf("a revoked refresh token is active: %v", m)
	}
	if st, _ := userinfo(access); st != 401 {
		t.Fatalf("userinfo took a revoked token: %d", st)
	}
}
