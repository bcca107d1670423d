package interop

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestExchangeZitadel exchanges a token at the zitadel/oidc v3.52.0
// example OP (OAuth 2.0 Token Exchange, RFC 8693) with jwtrace exchange,
// and checks the result with jwtrace verify against the OP's discovery.
//
// What the OP takes, from its source (github.com/zitadel/oidc/v3@v3.52.0):
//   - the client: only storage.WebClient has the token exchange grant
//     (example/server/storage/client.go); zitadelop registers it as "web"
//     (secret "secret", HTTP Basic) with JWT access tokens. Any other
//     client is unauthorized_client (pkg/op/server_http.go, withClient).
//   - the subject: a user whose storage entry is not IsAdmin may not be
//     impersonated, so without an actor_token the example refuses alice
//     (storage.go, ValidateTokenExchangeRequest); with one, it is
//     delegation. A subject that is not a user (a service account's token)
//     without an actor makes that check dereference a nil user: the
//     handler panics and the connection closes without an answer.
//   - requested_token_type: the example's storage makes an empty one
//     refresh_token, and pkg/op/token_exchange.go then issues an access
//     token (and a refresh token) while saying issued_token_type
//     refresh_token; jwtrace asks for access_token.
//   - the issued JWT has the subject token's sub, the audience asked for,
//     client_id the exchanging client, and no act claim: the example's
//     delegation act claim is commented out (storage.go,
//     getTokenExchangeClaims).
func TestExchangeZitadel(t *testing.T) {
	t.Parallel()
	a := startZitadel(t)
	u := newUser(t)
	l := u.deviceLogin(func(p prompt) { a.Approve(t, p) },
		"--authority", a.Issuer, "--client-id", "cli-jwt", "--scope", "openid", "--json").exit(t, 0).loginJSON(t)
	subject := l.AccessToken
	actor := a.Token(t, u, "sid1")
	secret := []string{"JWTRACE_CLIENT_SECRET=secret"}
	exchange := func(extra ...string) result {
		t.Helper()
		args := append([]string{"exchange", "--authority", a.Issuer, "--client-id", "web"}, extra...)
		return u.jwtraceEnv(secret, args...)
	}

	t.Run("delegation", func(t *testing.T) {
		r := exchange("--actor-token", actor, "--audience", "api://orders", "--requested-token-type", "access_token", subject).exit(t, 0).
			err(t, "exchanged: aud cli-jwt → api://orders")
		tok := r.token(t)
		_, claims := jwt(t, tok)
		if aud, _ := claims["aud"].([]any); claims["sub"] != "alice" || len(aud) != 1 || aud[0] != "api://orders" || claims["client_id"] != "web" || claims["iss"] != a.Issuer {
			t.Errorf("exchanged token claims %v", claims)
		}
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "api://orders", "--require", "sub=alice", "--require", "client_id=web", tok).
			exit(t, 0).out(t, "✓ signature   verified with kid", "✓ issuer      "+a.Issuer, "✓ audience    api://orders", "VALID: ")
		// Meant for api://orders, not for the client that logged in.
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "cli-jwt", tok).
			exit(t, 1).out(t, "✗ audience    token aud [api://orders] has none of: cli-jwt", "REJECTED")
	})

	t.Run("json", func(t *testing.T) {
		r := exchange("--json", "--actor-token", actor, "--audience", "api://orders", "--requested-token-type", "access_token", subject).exit(t, 0)
		var got map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r)
		}
		if got["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" || got["token_type"] != "Bearer" {
			t.Errorf("JSON:\n%s", r.stdout)
		}
		if !strings.Contains(r.stdout, `"aud"`) || !strings.Contains(r.stdout, "api://orders") {
			t.Errorf("no aud difference in:\n%s", r.stdout)
		}
	})

	// Without an actor it is impersonation, which the example allows only
	// for IsAdmin users; it answers with a plain storage error, so 500
	// server_error (RFC 8693 §2.2.2 would have invalid_request).
	t.Run("impersonation refused", func(t *testing.T) {
		exchange("--audience", "api://orders", "--requested-token-type", "access_token", subject).exit(t, 3).noOut(t).
			err(t, "/oauth/token answered 500 server_error: user doesn't have impersonation permission")
	})

	// A service account's token as the subject, without an actor: the
	// example's check reads IsAdmin of a user that does not exist, the
	// handler panics and net/http closes the connection. jwtrace says the
	// exchange failed, exit 3, nothing on stdout.
	t.Run("service account subject", func(t *testing.T) {
		exchange("--audience", "api://orders", "--requested-token-type", "access_token", actor).exit(t, 3).noOut(t).
			err(t, a.Issuer+"/oauth/token")
	})

	// Quirk: asked for no type, the example's storage makes it
	// refresh_token, and the OP issues an access token anyway (with a
	// refresh token beside it) while its issued_token_type says
	// refresh_token; jwtrace shows the server's word.
	t.Run("issued_token_type quirk", func(t *testing.T) {
		r := exchange("--json", "--actor-token", actor, "--audience", "api://orders", subject).exit(t, 0)
		var got struct {
			AccessToken     string `json:"access_token"`
			IssuedTokenType string `json:"issued_token_type"`
			RefreshToken    string `json:"refresh_token"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r)
		}
		if got.IssuedTokenType != "urn:ietf:params:oauth:token-type:refresh_token" || got.RefreshToken == "" {
			t.Errorf("issued_token_type %q, refresh token %t", got.IssuedTokenType, got.RefreshToken != "")
		}
		u.jwtrace("verify", "--authority", a.Issuer, "--audience", "api://orders", "--require", "sub=alice", got.AccessToken).exit(t, 0).out(t, "VALID: ")
		exchange("--actor-token", actor, "--audience", "api://orders", subject).exit(t, 0).err(t, "issued refresh_token")
	})

	// Quirk (zitadel/oidc's bug, not jwtrace's): the provider's own token
	// endpoint (op.Exchange, pkg/op/token_request.go, which zitadelop uses:
	// exampleop.SetupServer without the legacy server wrapper) hands the
	// exchange to TokenExchange, whose AuthorizeTokenExchangeClient checks
	// the client's secret but not its grant types, as the code, refresh,
	// client credentials and device grants beside it do (ValidateGrantType).
	// So "device", allowed the device grant only, exchanges too; it gets the
	// example's encrypted access token. The wrapped server
	// (pkg/op/server_http.go, withClient) answers unauthorized_client.
	t.Run("client without the grant", func(t *testing.T) {
		tok := u.jwtraceEnv([]string{"JWTRACE_CLIENT_SECRET=secret"}, "exchange", "--authority", a.Issuer, "--client-id", "device",
			"--actor-token", actor, "--audience", "api://orders", "--requested-token-type", "access_token", subject).exit(t, 0).
			err(t, "opaque token (not a JWT)").token(t)
		u.jwtrace("decode", tok).exit(t, 0).out(t, "JWE (encrypted)")
	})

	t.Run("wrong secret", func(t *testing.T) {
		u.jwtraceEnv([]string{"JWTRACE_CLIENT_SECRET=wrong"}, "exchange", "--authority", a.Issuer, "--client-id", "web",
			"--actor-token", actor, subject).exit(t, 3).noOut(t).err(t, "answered 401 invalid_client: invalid client_id / client_secret")
	})

	t.Run("forged subject token", func(t *testing.T) {
		exchange("--actor-token", actor, "--audience", "api://orders", withClaim(t, subject, "sub", "admin")).exit(t, 3).noOut(t).
			err(t, "answered 400 invalid_request: subject_token is invalid")
	})
}
