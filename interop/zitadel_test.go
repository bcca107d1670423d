package interop

import (
	"testing"
	"time"
)

// TestZitadel drives jwtrace against the zitadel/oidc v3 example OP: device
// logins whose pages a person (the test) clicks through, client
// credentials, and verify on the ID and access tokens it issues (RS256).
func TestZitadel(t *testing.T) {
	t.Parallel()
	a := startZitadel(t)

	t.Run("device login JWT access token", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		r := u.deviceLogin(func(p prompt) { a.Approve(t, p) },
			"--authority", a.Issuer, "--client-id", "cli-jwt", "--scope", "openid profile email", "--json").exit(t, 0)
		r.err(t, "polling every 5s", "Signed in as alice · aud cli-jwt")
		l := r.loginJSON(t)

		// The ID token has aud as an array, and at_hash; the profile and
		// email claims are left to the userinfo endpoint, since an access
		// token was issued (OpenID Connect Core 5.4).
		h, claims := jwt(t, l.IDToken)
		if aud, _ := claims["aud"].([]any); h["alg"] != "RS256" || claims["sub"] != "alice" || len(aud) != 1 || aud[0] != "cli-jwt" || claims["at_hash"] == nil || claims["email"] != nil {
			t.Errorf("ID token header %v, claims %v", h, claims)
		}
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "cli-jwt", l.IDToken).exit(t, 0).
			out(t, "✓ signature   verified with kid", "(RSA 2048)", "✓ issuer      "+a.Issuer, "✓ audience    cli-jwt", "VALID: ")
		// An API handed the ID token is told what it is (at_hash).
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "api://orders", l.IDToken).exit(t, 1).
			out(t, "✗ audience", "hint: this looks like an ID token", "REJECTED")

		// The access token's aud is the client id, its typ is JWT, not
		// RFC 9068's at+jwt, and it has no scope claim.
		h, claims = jwt(t, l.AccessToken)
		if aud, _ := claims["aud"].([]any); h["typ"] != "JWT" || len(aud) != 1 || aud[0] != "cli-jwt" || claims["scope"] != nil {
			t.Errorf("access token header %v, claims %v", h, claims)
		}
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "cli-jwt", "--require", "sub=alice", l.AccessToken).
			exit(t, 0).out(t, "VALID: ")
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "cli-jwt", "--typ", "at+jwt", l.AccessToken).
			exit(t, 1).out(t, `✗ type        typ "JWT"; expected at+jwt`, "REJECTED: 1 of 9 checks failed (type)")
		// Nor does it carry the scopes: a --scope rule cannot pass.
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "cli-jwt", "--scope", "openid", l.AccessToken).
			exit(t, 1).out(t, "✗ scopes", "REJECTED: 1 of 9 checks failed (scopes)")
	})

	// Quirk: the example's "Bearer" access tokens are JWEs encrypted with
	// the OP's own key: only the OP can read them.
	t.Run("device login encrypted access token", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		r := u.deviceLogin(func(p prompt) { a.Approve(t, p) },
			"--authority", a.Issuer, "--client-id", "cli", "--scope", "openid", "--json").exit(t, 0)
		l := r.loginJSON(t)
		u.jwtrace("decode", l.AccessToken).exit(t, 0).out(t, "JWE (encrypted)", "A256GCMKW + A256GCM")
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "cli", l.AccessToken).
			exit(t, 1).out(t, "✗ format", "REJECTED")
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "cli", l.IDToken).exit(t, 0).out(t, "VALID: ")
	})

	// The example's own device client is confidential and authenticates
	// with HTTP Basic; zitadel does not count a client_secret in the body
	// as authentication at the token endpoint. (jwtrace sent it in the body
	// until this test found it.)
	t.Run("device login confidential client", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		r := u.deviceLogin(func(p prompt) { a.Approve(t, p) },
			"--authority", a.Issuer, "--client-id", "device", "--client-secret", "secret", "--scope", "openid", "--json").exit(t, 0)
		l := r.loginJSON(t)
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "device", l.IDToken).exit(t, 0).out(t, "VALID: ")
	})

	t.Run("device login denied", func(t *testing.T) {
		t.Parallel()
		newUser(t).deviceLogin(func(p prompt) { a.Deny(t, p) }, "--authority", a.Issuer, "--client-id", "cli", "--scope", "openid").
			exit(t, 4).noOut(t).err(t, "the login was denied", "(access_denied)")
	})

	cc := []string{"login", "--grant", "client-credentials", "--authority", a.Issuer, "--client-id", "sid1"}

	t.Run("client credentials", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		secret := []string{"JWTRACE_CLIENT_SECRET=verysecret"}
		tok := u.jwtraceEnv(secret, cc...).exit(t, 0).err(t, "Signed in as sid1 · aud sid1").token(t)
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "sid1", "--require", "client_id=sid1", tok).exit(t, 0).
			out(t, "✓ audience    sid1", "✓ claims      client_id=sid1", "VALID: 9 checks passed")
		if again := u.jwtraceEnv(secret, append([]string{"token"}, cc[1:]...)...).exit(t, 0).token(t); again != tok {
			t.Error("jwtrace token fetched a new token instead of the cached one")
		}
	})

	t.Run("client credentials wrong secret", func(t *testing.T) {
		t.Parallel()
		newUser(t).jwtraceEnv([]string{"JWTRACE_CLIENT_SECRET=wrong"}, cc...).
			exit(t, 3).noOut(t).err(t, "answered 401 invalid_client")
	})

	t.Run("verify rejects", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		tok := a.Token(t, u, "sid1")
		verify := func(tok string, extra ...string) result {
			t.Helper()
			args := append([]string{"verify", "--authority", a.Issuer, "--audience", "sid1"}, extra...)
			return u.jwtrace(append(args, tok)...)
		}
		verify(tok).exit(t, 0).out(t, "VALID")
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "api://orders", tok).
			exit(t, 1).out(t, "✗ audience    token aud [sid1] has none of: api://orders", "REJECTED: 1 of 8 checks failed (audience)")
		verify(withClaim(t, tok, "sub", "admin")).exit(t, 1).out(t, "✗ signature", "REJECTED")
		verify(withClaim(t, tok, "exp", float64(time.Now().Add(24*time.Hour).Unix()))).exit(t, 1).out(t, "✗ signature", "REJECTED")
		verify(withHeader(t, tok, "kid", "another-key")).exit(t, 1).out(t, `kid "another-key" not found`, "REJECTED")
		// Access tokens live 5 minutes.
		verify(tok, "--at", at(10*time.Minute)).exit(t, 1).out(t, "✗ expiry", "REJECTED: 1 of 8 checks failed (expiry)")
	})
}
