package interop

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const signedInPage = "jwtrace is signed in. You can close this tab and return to the terminal."

// hydraSignIn plays the person in the browser for login --grant auth-code
// at Hydra: the login app's sign-in page (alice and her password), its
// consent page (Allow, or Deny), then the redirect to jwtrace's loopback
// listener, whose page and status it returns.
func hydraSignIn(t *testing.T, authURL string, allow bool) (int, *page) {
	t.Helper()
	b := newBrowser(t)
	pg := b.get(authURL)
	pg.mustContain("Sign in")
	f := pg.form(`input[name="username"]`)
	f.set("username", hydraUser)
	f.set("password", hydraPassword)
	pg = b.submit(f)
	pg.mustContain("Consent")
	decision := "allow"
	if !allow {
		decision = "deny"
	}
	f = pg.form(`input[name="decision"][value="` + decision + `"]`)
	// The last page is jwtrace's, which answers a denied sign-in with 400:
	// b.submit would fail on that.
	resp, err := b.c.PostForm(f.action, f.values)
	if err != nil {
		t.Fatalf("POST %s: %v", f.action, err)
	}
	defer resp.Body.Close()
	pg, err = parsePage(t, resp)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, pg
}

// introspection is jwtrace introspect --json.
type introspection struct {
	Active   bool           `json:"active"`
	Endpoint string         `json:"endpoint"`
	Response map[string]any `json:"response"`
}

func (r result) introspection(t *testing.T) introspection {
	t.Helper()
	var in introspection
	if err := json.Unmarshal([]byte(r.stdout), &in); err != nil {
		t.Fatalf("stdout is not introspect's JSON: %v\n%s", err, r)
	}
	return in
}

// TestHydra drives jwtrace against Ory Hydra v2 (one Hydra, started by
// startHydra, for all the subtests) and the test's own login and consent
// app: login --grant auth-code with PKCE for a public client, with Hydra's
// opaque and JWT access tokens; the ID token verified; introspection
// (RFC 7662) at Hydra's admin API; userinfo; revocation (RFC 7009) with
// logout --revoke; a consent denied; and client credentials with
// client_secret_basic, client_secret_post and private_key_jwt.
func TestHydra(t *testing.T) {
	t.Parallel()
	h := startHydra(t)
	// The subtests run one after another: Hydra's in-memory database
	// (SQLite with a shared cache) does not take concurrent writes, and
	// answers a token request made while another one writes with
	// "500 server_error" ("Unable to serialize access due to a concurrent
	// update in another session" in its log), or an introspection with
	// active false.
	service := []string{"--introspection-endpoint", h.Introspection, "--client-id", "service", "--client-secret", "service-secret"}

	t.Run("auth-code opaque access token", func(t *testing.T) {
		u := newUser(t)
		var authURL string
		flags := []string{"--grant", "auth-code", "--authority", h.Issuer, "--client-id", "cli", "--scope", "openid email offline_access"}
		r := u.deviceLogin(func(p prompt) {
			authURL = p.AuthURL
			if code, pg := hydraSignIn(t, p.AuthURL, true); code != http.StatusOK || !strings.Contains(pg.text(), signedInPage) {
				t.Errorf("jwtrace's page after the sign-in: %d %s", code, pg.text())
			}
		}, append(flags, "--json")...).exit(t, 0)
		r.err(t, "To sign in, open this URL in a browser:", "Waiting for the sign-in at http://127.0.0.1:",
			"Signed in as alice@example.com · expires in 1h · opaque access token (not a JWT)")

		// PKCE S256 and a nonce; Hydra enforces PKCE for public clients
		// (oauth2.pkce.enforced_for_public_clients), so the login only
		// worked because the code_verifier matched.
		q := mustQuery(t, authURL)
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("nonce") == "" || q.Get("state") == "" {
			t.Errorf("authorization URL %s", authURL)
		}
		if !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") || !strings.HasSuffix(q.Get("redirect_uri"), "/callback") {
			t.Errorf("redirect_uri %q: want jwtrace's loopback listener", q.Get("redirect_uri"))
		}

		l := r.loginJSON(t)
		hd, claims := jwt(t, l.IDToken)
		if aud, _ := claims["aud"].([]any); hd["alg"] != "RS256" || len(aud) != 1 || aud[0] != "cli" || claims["sub"] != hydraUser ||
			claims["nonce"] != q.Get("nonce") || claims["email"] != hydraEmail {
			t.Errorf("ID token header %v, claims %v", hd, claims)
		}
		u.jwtrace("verify", "--authority", h.Issuer, "--audience", "cli", l.IDToken).exit(t, 0).
			out(t, "✓ signature   verified with kid", "(RSA 4096)", "✓ issuer      "+h.Issuer, "✓ audience    cli", "VALID: ")

		// Hydra's opaque tokens are ory_at_<key>.<signature> (fosite's HMAC
		// strategy, fosite v0.49.0 token/hmac/hmacsha.go): one dot, so
		// not a JWT; verify cannot check it (exit 2) and says to introspect.
		if !strings.HasPrefix(l.AccessToken, "ory_at_") || strings.Count(l.AccessToken, ".") != 1 || !strings.HasPrefix(l.RefreshToken, "ory_rt_") {
			t.Fatalf("want Hydra's opaque tokens, got access token %.12s… and refresh token %.12s…", l.AccessToken, l.RefreshToken)
		}
		u.jwtrace("verify", "--authority", h.Issuer, "--audience", "cli", l.AccessToken).exit(t, 2).noOut(t).
			err(t, "opaque value of", "jwtrace introspect --authority "+h.Issuer)

		// Introspection is on the admin port (not in discovery).
		u.jwtrace(append(append([]string{"introspect"}, service...), l.AccessToken)...).exit(t, 0).
			out(t, "ACTIVE (introspected at "+h.Introspection+")", "client_id   cli", "scope       openid email offline_access",
				"sub         alice", "token_use   access_token", "iss         "+h.Issuer)
		in := u.jwtrace(append(append([]string{"introspect", "--json", "--token-type-hint", "refresh_token"}, service...), l.RefreshToken)...).
			exit(t, 0).introspection(t)
		if !in.Active || in.Endpoint != h.Introspection || in.Response["sub"] != hydraUser || in.Response["client_id"] != "cli" || in.Response["token_use"] != "refresh_token" {
			t.Errorf("refresh token introspection: %+v", in)
		}

		// userinfo has the claims the consent app put in the session.
		u.jwtrace("userinfo", "--authority", h.Issuer, l.AccessToken).exit(t, 0).
			out(t, "userinfo from "+h.Issuer+"userinfo", "email", hydraEmail, "sub", hydraUser)

		if again := u.jwtrace(append([]string{"token"}, flags...)...).exit(t, 0).token(t); again != l.AccessToken {
			t.Error("jwtrace token did not answer with the cached access token")
		}
		u.jwtrace("login", "status").exit(t, 0).out(t, h.Issuer+" · client cli · auth-code", "scopes email offline_access openid", "refresh token kept")

		// Revoking the refresh token (RFC 7009 §2.1) revokes the access
		// token of the same grant too at Hydra (fosite v0.49.0
		// handler/oauth2/revocation.go).
		u.jwtrace("logout", "--authority", h.Issuer, "--revoke").exit(t, 0).err(t, "Removed 1 cached token; 1 revoked at the authority.")
		u.jwtrace(append(append([]string{"introspect"}, service...), l.RefreshToken)...).exit(t, 1).out(t, "INACTIVE (introspected at "+h.Introspection+")")
		u.jwtrace(append(append([]string{"introspect"}, service...), l.AccessToken)...).exit(t, 1).out(t, "INACTIVE")
		u.jwtrace("userinfo", "--authority", h.Issuer, l.AccessToken).exit(t, 3).noOut(t)
		u.jwtrace(append([]string{"token"}, flags...)...).exit(t, 4).noOut(t)
	})

	t.Run("auth-code JWT access token", func(t *testing.T) {
		u := newUser(t)
		r := u.deviceLogin(func(p prompt) {
			if code, pg := hydraSignIn(t, p.AuthURL, true); code != http.StatusOK || !strings.Contains(pg.text(), signedInPage) {
				t.Errorf("jwtrace's page after the sign-in: %d %s", code, pg.text())
			}
		}, "--grant", "auth-code", "--authority", h.Issuer, "--client-id", "cli-jwt", "--scope", "openid orders.read",
			"--audience", "https://orders.example", "--json").exit(t, 0)
		r.err(t, "Signed in as alice · aud https://orders.example · expires in 1h")
		l := r.loginJSON(t)

		// Hydra's JWT access tokens: typ JWT (not RFC 9068's at+jwt), aud
		// an array of the granted audiences, the scopes as an array in scp
		// (strategies.jwt.scope_claim "list", the default), client_id.
		hd, claims := jwt(t, l.AccessToken)
		aud, _ := claims["aud"].([]any)
		scp, _ := claims["scp"].([]any)
		if hd["typ"] != "JWT" || hd["alg"] != "RS256" || len(aud) != 1 || aud[0] != "https://orders.example" ||
			len(scp) != 2 || scp[1] != "orders.read" || claims["scope"] != nil || claims["client_id"] != "cli-jwt" || claims["sub"] != hydraUser {
			t.Errorf("access token header %v, claims %v", hd, claims)
		}
		verify := func(tok string, extra ...string) result {
			t.Helper()
			return u.jwtrace(append([]string{"verify", "--authority", h.Issuer}, append(extra, tok)...)...)
		}
		verify(l.AccessToken, "--audience", "https://orders.example", "--scope", "orders.read", "--require", "client_id=cli-jwt").exit(t, 0).
			out(t, "✓ audience    https://orders.example", "✓ scopes      orders.read", "✓ claims      client_id=cli-jwt", "VALID: 10 checks passed")
		verify(l.AccessToken, "--audience", "https://billing.example").exit(t, 1).
			out(t, "✗ audience", "REJECTED: 1 of 8 checks failed (audience)")
		verify(l.AccessToken, "--audience", "https://orders.example", "--typ", "at+jwt").exit(t, 1).
			out(t, `typ "JWT"; expected at+jwt`, "REJECTED: 1 of 9 checks failed (type)")
		verify(l.AccessToken, "--audience", "https://orders.example", "--scope", "orders.write").exit(t, 1).out(t, "✗ scopes", "REJECTED")
		verify(withClaim(t, l.AccessToken, "sub", "admin"), "--audience", "https://orders.example").exit(t, 1).out(t, "✗ signature", "REJECTED")
		// The ID token handed to the API is told apart from an access token.
		verify(l.IDToken, "--audience", "https://orders.example").exit(t, 1).out(t, "✗ audience", "hint: this looks like an ID token", "REJECTED")

		in := u.jwtrace(append(append([]string{"introspect", "--json"}, service...), l.AccessToken)...).exit(t, 0).introspection(t)
		if got, _ := in.Response["aud"].([]any); !in.Active || in.Response["sub"] != hydraUser || len(got) != 1 || got[0] != "https://orders.example" {
			t.Errorf("JWT access token introspection: %+v", in)
		}
	})

	t.Run("auth-code denied at consent", func(t *testing.T) {
		u := newUser(t)
		u.deviceLogin(func(p prompt) {
			code, pg := hydraSignIn(t, p.AuthURL, false)
			if code != http.StatusBadRequest || !strings.Contains(pg.text(), "Not signed in") {
				t.Errorf("jwtrace's page after a denied sign-in: %d %s", code, pg.text())
			}
		}, "--grant", "auth-code", "--authority", h.Issuer, "--client-id", "cli", "--scope", "openid").
			exit(t, 4).noOut(t).err(t, "the login was denied: alice said no at the consent page (access_denied)")
		u.jwtrace("login", "status").exit(t, 0).noOut(t)
	})

	cc := []string{"login", "--grant", "client-credentials", "--authority", h.Issuer, "--scope", "orders.read", "--audience", "https://orders.example"}

	t.Run("client credentials client_secret_basic", func(t *testing.T) {
		u := newUser(t)
		args := slices.Concat(cc, []string{"--client-id", "service"})
		secret := []string{"JWTRACE_CLIENT_SECRET=service-secret"}
		tok := u.jwtraceEnv(secret, args...).exit(t, 0).err(t, "Signed in as service · aud https://orders.example · expires in 1h").token(t)
		u.jwtrace("verify", "--authority", h.Issuer, "--audience", "https://orders.example", "--scope", "orders.read", "--require", "client_id=service", tok).
			exit(t, 0).out(t, "✓ claims      client_id=service", "VALID: 10 checks passed")
		if again := u.jwtraceEnv(secret, append([]string{"token"}, args[1:]...)...).exit(t, 0).token(t); again != tok {
			t.Error("jwtrace token fetched a new token instead of the cached one")
		}
		// A changed secret is never answered from the cache.
		u.jwtraceEnv([]string{"JWTRACE_CLIENT_SECRET=wrong"}, args...).exit(t, 3).noOut(t).err(t, "answered 401 invalid_client")
		in := u.jwtrace(append(append([]string{"introspect", "--json"}, service...), tok)...).exit(t, 0).introspection(t)
		if !in.Active || in.Response["client_id"] != "service" || in.Response["sub"] != "service" || in.Response["scope"] != "orders.read" {
			t.Errorf("client credentials token introspection: %+v", in)
		}
	})

	t.Run("client credentials client_secret_post", func(t *testing.T) {
		u := newUser(t)
		secret := []string{"JWTRACE_CLIENT_SECRET=service-post-secret"}
		args := slices.Concat(cc, []string{"--client-id", "service-post"})
		// Hydra takes only the client's registered method, and jwtrace's
		// default with a secret is Basic (discovery lists
		// client_secret_post first): Hydra says which one it wanted.
		u.jwtraceEnv(secret, args...).exit(t, 3).noOut(t).
			err(t, "answered 401 invalid_client", "supports client authentication method 'client_secret_post', but method 'client_secret_basic' was requested")
		args = append(args, "--client-auth", "client_secret_post")
		tok := u.jwtraceEnv(secret, args...).exit(t, 0).
			err(t, "Signed in as service-post · aud https://orders.example").token(t)
		u.jwtrace("verify", "--authority", h.Issuer, "--audience", "https://orders.example", "--require", "client_id=service-post", tok).exit(t, 0).out(t, "VALID: ")
	})

	t.Run("client credentials private_key_jwt", func(t *testing.T) {
		u := newUser(t)
		args := slices.Concat(cc, []string{"--client-id", "service-key", "--client-key-id", "service-key-1"})
		tok := u.jwtrace(slices.Concat(args, []string{"--client-key", h.ServiceKey})...).exit(t, 0).
			err(t, "Signed in as service-key · aud https://orders.example").token(t)
		u.jwtrace("verify", "--authority", h.Issuer, "--audience", "https://orders.example", "--require", "client_id=service-key", tok).exit(t, 0).out(t, "VALID: ")
		// An assertion signed with another key is refused.
		other := writeECKey(t, mustECKey(t))
		u.jwtrace(slices.Concat(args, []string{"--client-key", other, "--force"})...).exit(t, 3).noOut(t).err(t, "answered 401 invalid_client")
	})
}

func mustQuery(t *testing.T, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("authorization URL %q: %v", u, err)
	}
	return p.Query()
}
