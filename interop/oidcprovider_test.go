package interop

import (
	"testing"
	"time"
)

// TestOIDCProvider drives jwtrace against panva's oidc-provider: device
// logins whose pages a person (the test) clicks through, client
// credentials, and verify on the ID and access tokens it issues, signed
// RS256, ES256 and EdDSA.
func TestOIDCProvider(t *testing.T) {
	t.Parallel()
	a := startOIDCProvider(t)

	for _, c := range []struct {
		client, alg, kid, key string
		resource, scope       string
	}{
		{"device-rs", "RS256", "rs-1", "RSA 2048", "https://ledger.example", "ledger.read"},
		{"device-es", "ES256", "es-1", "EC P-256", "https://orders.example", "orders.read"},
		{"device-ed", "EdDSA", "ed-1", "Ed25519", "https://billing.example", "billing.read"},
	} {
		t.Run("device login "+c.alg, func(t *testing.T) {
			t.Parallel()
			u := newUser(t)
			flags := []string{"--authority", a.Issuer, "--client-id", c.client, "--scope", "openid email " + c.scope, "--resource", c.resource}
			r := u.deviceLogin(func(p prompt) { a.Approve(t, p) }, append(flags, "--json")...).exit(t, 0)
			r.err(t, "Waiting for approval", "Signed in as alice · aud "+c.resource)
			l := r.loginJSON(t)

			// The ID token is signed with the client's algorithm and is
			// for the client.
			h, claims := jwt(t, l.IDToken)
			if h["alg"] != c.alg || claims["aud"] != c.client || claims["email"] != "alice@example.com" {
				t.Errorf("ID token header %v, claims %v", h, claims)
			}
			u.jwtrace("verify", "--authority", a.Issuer, "--audience", c.client, l.IDToken).exit(t, 0).
				out(t, `✓ signature   verified with kid "`+c.kid+`" (`+c.key+`)`, "✓ issuer      "+a.Issuer, "VALID: ")

			// The access token is an RFC 9068 JWT for the resource,
			// signed with the resource server's algorithm.
			h, claims = jwt(t, l.AccessToken)
			if h["alg"] != c.alg || h["typ"] != "at+jwt" || claims["aud"] != c.resource || claims["scope"] != c.scope {
				t.Errorf("access token header %v, claims %v", h, claims)
			}
			u.jwtrace("verify", "--authority", a.Issuer, "--audience", c.resource, "--typ", "at+jwt", "--scope", c.scope,
				"--require", "client_id="+c.client, "--require", "sub=alice", l.AccessToken).exit(t, 0).
				out(t, `✓ key         kid "`+c.kid+`"`, "✓ type        at+jwt", "✓ scopes      "+c.scope, "VALID: ")

			// An API that is handed the ID token refuses it. (Device
			// flow ID tokens have no nonce or at_hash, so jwtrace's
			// "this looks like an ID token" hint does not fire.)
			u.jwtrace("verify", "--authority", a.Issuer, "--audience", c.resource, l.IDToken).exit(t, 1).
				out(t, "✗ audience    token aud ["+c.client+"] has none of: "+c.resource, "REJECTED: 1 of 8 checks failed (audience)")

			if c.alg != "RS256" {
				return
			}
			// The same login again uses the cached token without asking
			// anyone, and jwtrace token prints it.
			r = u.deviceLogin(func(p prompt) { t.Errorf("the second login asked again: %+v", p) }, append(flags, "--json")...).exit(t, 0)
			r.err(t, "Using the cached token as alice")
			if again := r.loginJSON(t); again.AccessToken != l.AccessToken || again.Source != "cache" {
				t.Errorf("second login: source %q, same token %v", again.Source, again.AccessToken == l.AccessToken)
			}
			if tok := u.jwtrace(append([]string{"token"}, flags...)...).exit(t, 0).token(t); tok != l.AccessToken {
				t.Error("jwtrace token printed another token than the login's")
			}
		})
	}

	t.Run("device login denied", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		u.deviceLogin(func(p prompt) { a.Deny(t, p) }, "--authority", a.Issuer, "--client-id", "device-rs", "--scope", "openid").
			exit(t, 4).noOut(t).err(t, "the login was denied", "(access_denied)")
	})

	t.Run("token without a login", func(t *testing.T) {
		t.Parallel()
		newUser(t).jwtrace("token", "--authority", a.Issuer, "--client-id", "device-rs", "--scope", "openid").
			exit(t, 4).noOut(t).err(t, "run jwtrace login")
	})

	secret := []string{"JWTRACE_CLIENT_SECRET=service-secret"}
	cc := []string{"login", "--grant", "client-credentials", "--authority", a.Issuer, "--client-id", "service"}

	t.Run("client credentials", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		flags := append(cc, "--resource", "https://orders.example", "--scope", "orders.read")
		r := u.jwtraceEnv(secret, flags...).exit(t, 0).err(t, "Signed in as service · aud https://orders.example · expires in 1h")
		tok := r.token(t)
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "https://orders.example", "--typ", "at+jwt",
			"--scope", "orders.read", "--require", "client_id=service", tok).exit(t, 0).
			out(t, `✓ signature   verified with kid "es-1" (EC P-256)`, "✓ type        at+jwt", "✓ scopes      orders.read", "VALID: 11 checks passed")
		// The client asked for orders.read only.
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "https://orders.example", "--scope", "orders.write", tok).
			exit(t, 1).out(t, "✗ scopes", "REJECTED")
		// jwtrace token reuses it.
		if again := u.jwtraceEnv(secret, append([]string{"token"}, flags[1:]...)...).exit(t, 0).token(t); again != tok {
			t.Error("jwtrace token fetched a new token instead of the cached one")
		}
	})

	t.Run("client credentials wrong secret", func(t *testing.T) {
		t.Parallel()
		newUser(t).jwtraceEnv([]string{"JWTRACE_CLIENT_SECRET=wrong"}, append(cc, "--resource", "https://orders.example")...).
			exit(t, 3).noOut(t).err(t, "answered 401 invalid_client")
	})

	t.Run("client credentials unknown resource", func(t *testing.T) {
		t.Parallel()
		newUser(t).jwtraceEnv(secret, append(cc, "--resource", "https://unknown.example")...).
			exit(t, 3).noOut(t).err(t, "answered 400 invalid_target")
	})

	// Quirk: without a resource indicator oidc-provider issues an opaque
	// access token, and it ignores Auth0's audience parameter.
	for name, flags := range map[string][]string{
		"client credentials without resource":      nil,
		"client credentials audience not resource": {"--audience", "https://orders.example"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u := newUser(t)
			tok := u.jwtraceEnv(secret, append(cc, flags...)...).exit(t, 0).
				err(t, "Signed in · expires in 1h · opaque access token (not a JWT)").token(t)
			// "--": an opaque token may start with "-" (1 in 64).
			u.jwtrace("verify", "--authority", a.Issuer, "--audience", "https://orders.example", "--", tok).
				exit(t, 2).noOut(t).err(t, "not a JWT", "token introspection")
		})
	}

	t.Run("verify rejects", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		tok := a.Token(t, u, "https://orders.example")
		verify := func(tok string, extra ...string) result {
			t.Helper()
			args := append([]string{"verify", "--authority", a.Issuer, "--audience", "https://orders.example"}, extra...)
			return u.jwtrace(append(args, tok)...)
		}
		verify(tok).exit(t, 0).out(t, "VALID")
		verify(tok, "--audience", "https://billing.example").exit(t, 0) // either audience will do
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "https://billing.example", tok).
			exit(t, 1).out(t, "✗ audience    token aud [https://orders.example] has none of: https://billing.example", "REJECTED: 1 of 8 checks failed (audience)")
		verify(withClaim(t, tok, "scope", "orders.read orders.write admin")).
			exit(t, 1).out(t, "✗ signature", "REJECTED")
		verify(withClaim(t, tok, "sub", "admin")).
			exit(t, 1).out(t, "✗ signature", "REJECTED")
		// The header names the authority's RSA key; the ES256 signature
		// must not pass with it, or with any key.
		verify(withHeader(t, tok, "kid", "rs-1")).exit(t, 1).out(t, `✗ key         no key can verify ES256: kid "rs-1" (RSA 2048)`, "REJECTED")
		verify(withHeader(t, tok, "alg", "none")).exit(t, 1).out(t, `✗ format      alg "none"`, "REJECTED")
		verify(tok, "--at", at(2*time.Hour)).exit(t, 1).out(t, "✗ expiry", "REJECTED: 1 of 8 checks failed (expiry)")
		verify(tok, "--issuer", "https://other.example").exit(t, 1).out(t, "✗ issuer")
	})

	t.Run("verify expired", func(t *testing.T) {
		t.Parallel()
		u := newUser(t)
		tok := a.Token(t, u, "https://short.example") // lives 2 seconds
		verify := func(extra ...string) result {
			t.Helper()
			args := append([]string{"verify", "--authority", a.Issuer, "--audience", "https://short.example"}, extra...)
			return u.jwtrace(append(args, tok)...)
		}
		exp := expiry(t, tok)
		if time.Until(exp) > time.Minute {
			t.Fatalf("the short-lived token expires at %s", exp)
		}
		time.Sleep(time.Until(exp.Add(1100 * time.Millisecond)))
		verify().exit(t, 1).out(t, "✗ expiry      expired", "REJECTED: 1 of 8 checks failed (expiry)")
		verify("--leeway", "1m").exit(t, 0).out(t, "VALID")
	})
}
