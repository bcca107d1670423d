package interop

import (
	"encoding/json"
	"strings"
	"testing"
)

// oidcProviderSignIn plays the person in the browser for login --grant
// auth-code at oidc-provider: the dev login page (any login and password),
// the consent page, then the redirect to jwtrace's loopback listener,
// whose page must say the sign-in worked.
func oidcProviderSignIn(t *testing.T, authURL, account string) {
	t.Helper()
	b := newBrowser(t)
	pg := b.get(authURL)
	pg.mustContain("Sign-in")
	f := pg.form(`input[name="login"]`)
	f.set("login", account)
	f.set("password", "any password")
	pg = b.submit(f)
	pg.mustContain("Authorize")
	pg = b.submit(pg.form(`input[name="prompt"][value="consent"]`))
	pg.mustContain("jwtrace is signed in. You can close this tab and return to the terminal.")
}

// zitadelSignIn is the same at the zitadel example OP: its username and
// password page, then the redirect to jwtrace.
func zitadelSignIn(t *testing.T, authURL, username string) {
	t.Helper()
	b := newBrowser(t)
	pg := b.get(authURL)
	f := pg.form(`input[name="username"]`)
	f.set("username", username)
	f.set("password", "verysecure")
	pg = b.submit(f)
	pg.mustContain("jwtrace is signed in. You can close this tab and return to the terminal.")
}

// TestAuthCodeOIDCProvider logs in with the authorization code grant and
// PKCE at oidc-provider (a native public client, loopback redirect on a
// random port), verifies the ID token, then introspects the opaque access
// token (as the confidential service client), calls userinfo with it, and
// revokes it with logout --revoke.
func TestAuthCodeOIDCProvider(t *testing.T) {
	t.Parallel()
	a := startOIDCProvider(t)
	u := newUser(t)
	flags := []string{"--grant", "auth-code", "--authority", a.Issuer, "--client-id", "cli-code", "--scope", "openid email offline_access", "--prompt", "consent"}
	r := u.deviceLogin(func(p prompt) { oidcProviderSignIn(t, p.AuthURL, "alice") }, append(flags, "--json")...).exit(t, 0)
	r.err(t, "To sign in, open this URL in a browser:", "Waiting for the sign-in at http://127.0.0.1:")
	l := r.loginJSON(t)
	h, claims := jwt(t, l.IDToken)
	if h["alg"] != "ES256" || claims["aud"] != "cli-code" || claims["sub"] != "alice" || claims["nonce"] == nil {
		t.Errorf("ID token header %v, claims %v", h, claims)
	}
	if strings.Count(l.AccessToken, ".") == 2 {
		t.Fatalf("want an opaque access token (no resource asked for), got a JWT")
	}

	in := u.jwtrace("introspect", "--authority", a.Issuer, "--client-id", a.ServiceClient, "--client-secret", a.ServiceSecret, "--json", "--", l.AccessToken).exit(t, 0)
	var got struct {
		Active   bool           `json:"active"`
		Response map[string]any `json:"response"`
	}
	if err := json.Unmarshal([]byte(in.stdout), &got); err != nil || !got.Active || got.Response["sub"] != "alice" || got.Response["client_id"] != "cli-code" {
		t.Errorf("introspection %v: %s", err, in.stdout)
	}
	u.jwtrace("userinfo", "--authority", a.Issuer, "--", l.AccessToken).exit(t, 0).out(t, "email", "alice@example.com")

	u.jwtrace("login", "status").exit(t, 0).out(t, a.Issuer+" · client cli-code · auth-code", "refresh token kept")
	u.jwtrace("logout", "--authority", a.Issuer, "--revoke").exit(t, 0).err(t, "Removed 1 cached token; 1 revoked at the authority.")
	// The refresh token was revoked; the access token introspects inactive
	// too (oidc-provider revokes the grant).
	u.jwtrace("introspect", "--authority", a.Issuer, "--client-id", a.ServiceClient, "--client-secret", a.ServiceSecret, "--", l.RefreshToken).exit(t, 1).out(t, "INACTIVE")
}

// TestAuthCodeZitadel logs in with the authorization code grant and PKCE
// at the zitadel example OP (its public native client "cli", whose
// registered redirect URI is http://localhost/auth/callback: loopback, so
// any port).
func TestAuthCodeZitadel(t *testing.T) {
	t.Parallel()
	a := startZitadel(t)
	u := newUser(t)
	r := u.deviceLogin(func(p prompt) { zitadelSignIn(t, p.AuthURL, "alice") },
		"--grant", "auth-code", "--authority", a.Issuer, "--client-id", "cli", "--scope", "openid profile", "--redirect-uri", "http://localhost/auth/callback", "--json").exit(t, 0)
	l := r.loginJSON(t)
	h, claims := jwt(t, l.IDToken)
	if h["alg"] != "RS256" || claims["sub"] != "alice" || claims["nonce"] == nil {
		t.Errorf("ID token header %v, claims %v", h, claims)
	}
	u.jwtrace("userinfo", "--authority", a.Issuer, "--", l.AccessToken).exit(t, 0).out(t, "sub", "alice")
}
