package authority_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

const (
	tokenTypeAccess = "urn:ietf:params:oauth:token-type:access_token"
	tokenTypeJWT    = "urn:ietf:params:oauth:token-type:jwt"
)

// delegationClients are the default clients plus the services of a small
// chain: workouts (which calls billing) and a narrowed client that may
// exchange for api://billing only, ask for billing.read only, and has no
// on-behalf-of.
func delegationClients() []authority.Client {
	return append(authority.DefaultClients(),
		authority.Client{ID: "workouts", Secret: "workouts-secret"},
		authority.Client{ID: "billing", Secret: "billing-secret"},
		authority.Client{ID: "narrow", Secret: "narrow-secret",
			GrantTypes:        []string{authority.GrantClientCredentials, authority.GrantTokenExchange},
			ExchangeAudiences: []string{"api://billing"},
			Scopes:            []string{"billing.read"}},
		authority.Client{ID: "cc-only", Secret: "cc-secret", GrantTypes: []string{authority.GrantClientCredentials}},
	)
}

// startDelegation starts an authority with delegationClients, users
// alice and carol (whose tokens say only workouts may act for her), and
// auto-approval as alice.
func startDelegation(t *testing.T, opts ...authoritytest.Option) *authoritytest.Server {
	t.Helper()
	opts = append([]authoritytest.Option{authoritytest.WithAutoApprove("alice"), authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = delegationClients()
		c.Users = append(authority.DefaultUsers(), authority.User{Subject: "carol", Claims: map[string]any{
			"name": "Carol", "tid": "tenant-1", "may_act": map[string]any{"sub": "workouts"},
		}})
	})}, opts...)
	return authoritytest.Start(t, opts...)
}

// userToken signs alice in with the device flow (auto-approved) and
// returns her access token for aud with scope.
func userToken(t *testing.T, srv *authoritytest.Server, aud, scope string) string {
	t.Helper()
	_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}, "scope": {scope}, "audience": {aud}}, "", "")
	code, _, tok := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
	if code != 200 {
		t.Fatalf("device login: %d %v", code, tok)
	}
	return tok["access_token"].(string)
}

// exchange posts a token exchange request (RFC 8693 §2.1) as client.
func exchange(t *testing.T, srv *authoritytest.Server, client, secret string, kv ...string) (int, map[string]any) {
	t.Helper()
	f := url.Values{"grant_type": {authority.GrantTokenExchange}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	code, _, body := post(t, srv.TokenURL, f, client, secret)
	return code, body
}

// obo posts an on-behalf-of request, the parameters of
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow,
// with the client's credentials in the body as Microsoft's example does.
func obo(t *testing.T, srv *authoritytest.Server, client, secret, assertion, scope string) (int, map[string]any) {
	t.Helper()
	f := url.Values{"grant_type": {authority.GrantJWTBearer}, "client_id": {client}, "client_secret": {secret},
		"assertion": {assertion}, "scope": {scope}, "requested_token_use": {"on_behalf_of"}}
	code, _, body := post(t, srv.TokenURL, f, "", "")
	return code, body
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	var u, v any
	json.Unmarshal(x, &u)
	json.Unmarshal(y, &v)
	return reflect.DeepEqual(u, v)
}

func TestTokenExchangeIssuesADelegatedToken(t *testing.T) {
	t.Parallel()
	srv := startDelegation(t)
	subject := userToken(t, srv, "api://workouts", "openid workouts.read")
	sc := claimsOf(t, subject)
	before := time.Now().Unix()

	code, resp := exchange(t, srv, authority.DefaultServiceClient, authority.DefaultServiceSecret,
		"subject_token", subject, "subject_token_type", tokenTypeAccess,
		"audience", "api://billing", "resource", "https://billing.example.com/")
	if code != 200 {
		t.Fatalf("exchange: %d %v", code, resp)
	}
	if resp["issued_token_type"] != tokenTypeAccess || resp["token_type"] != "Bearer" || resp["expires_in"] != 3600.0 {
		t.Errorf("response %v", resp)
	}
	if resp["refresh_token"] != nil || resp["id_token"] != nil {
		t.Errorf("an exchange gives an access token only: %v", resp)
	}
	c := verify(t, srv, resp["access_token"].(string), jwt.WithAudience("api://billing"), jwt.WithAudience("https://billing.example.com/"))
	if c["sub"] != "alice" || c["name"] != "Alice Example" || c["email"] != "alice@example.com" || c["auth_time"] != sc["auth_time"] {
		t.Errorf("identity claims not kept: %v", c)
	}
	if !jsonEqual(c["act"], map[string]any{"sub": authority.DefaultServiceClient}) {
		t.Errorf("act = %v, want {sub: jwtrace-service}", c["act"])
	}
	if c["client_id"] != authority.DefaultServiceClient || c["azp"] != nil {
		t.Errorf("client_id %v, azp %v", c["client_id"], c["azp"])
	}
	// Without a scope parameter the subject token's scopes carry over.
	if c["scope"] != "openid workouts.read" || resp["scope"] != "openid workouts.read" {
		t.Errorf("scope claim %v, response %v", c["scope"], resp["scope"])
	}
	if c["jti"] == sc["jti"] || c["iat"].(float64) < float64(before) || c["exp"].(float64) != c["iat"].(float64)+3600 {
		t.Errorf("jti, iat or exp not fresh: %v (subject %v)", c, sc)
	}
	if h := partOf(t, resp["access_token"].(string), 0); h["typ"] != "at+jwt" {
		t.Errorf("header %v", h)
	}

	// requested_token_type jwt, and a narrower scope.
	code, resp = exchange(t, srv, authority.DefaultServiceClient, authority.DefaultServiceSecret,
		"subject_token", subject, "subject_token_type", tokenTypeJWT, "requested_token_type", tokenTypeJWT,
		"audience", "api://billing", "scope", "billing.read")
	if code != 200 || resp["issued_token_type"] != tokenTypeJWT || resp["scope"] != "billing.read" {
		t.Fatalf("jwt exchange: %d %v", code, resp)
	}
	if c := verify(t, srv, resp["access_token"].(string), jwt.WithAudience("api://billing")); c["scope"] != "billing.read" || c["sub"] != "alice" {
		t.Errorf("claims %v", c)
	}
}

func TestTokenExchangeNestsTheActorChain(t *testing.T) {
	t.Parallel()
	srv := startDelegation(t)
	subject := userToken(t, srv, "api://workouts", "workouts.read")
	// workouts exchanges alice's token for one meant for billing ...
	code, first := exchange(t, srv, "workouts", "workouts-secret",
		"subject_token", subject, "subject_token_type", tokenTypeAccess, "audience", "api://billing")
	if code != 200 {
		t.Fatalf("first hop: %d %v", code, first)
	}
	// ... and billing exchanges that one for reports.
	code, second := exchange(t, srv, "billing", "billing-secret",
		"subject_token", first["access_token"].(string), "subject_token_type", tokenTypeAccess, "audience", "api://reports")
	if code != 200 {
		t.Fatalf("second hop: %d %v", code, second)
	}
	c := verify(t, srv, second["access_token"].(string), jwt.WithAudience("api://reports"))
	want := map[string]any{"sub": "billing", "act": map[string]any{"sub": "workouts"}}
	if c["sub"] != "alice" || !jsonEqual(c["act"], want) {
		t.Errorf("sub %v act %v, want alice and %v (RFC 8693 §4.1: the outermost act is the current actor)", c["sub"], c["act"], want)
	}
}

func TestTokenExchangeWithAnActorToken(t *testing.T) {
	t.Parallel()
	srv := startDelegation(t)
	subject := userToken(t, srv, "api://workouts", "")
	_, _, cc := post(t, srv.TokenURL, url.Values{"grant_type": {"client_credentials"}}, "workouts", "workouts-secret")
	actor := cc["access_token"].(string)
	code, resp := exchange(t, srv, authority.DefaultServiceClient, authority.DefaultServiceSecret,
		"subject_token", subject, "subject_token_type", tokenTypeAccess,
		"actor_token", actor, "actor_token_type", tokenTypeAccess, "audience", "api://billing")
	if code != 200 {
		t.Fatalf("%d %v", code, resp)
	}
	c := verify(t, srv, resp["access_token"].(string), jwt.WithAudience("api://billing"))
	if !jsonEqual(c["act"], map[string]any{"sub": "workouts"}) || c["sub"] != "alice" {
		t.Errorf("act %v, want the actor token's sub (workouts)", c["act"])
	}

	// An actor token that is not the authority's is refused like a subject token.
	other := authoritytest.Start(t)
	foreign := other.Mint(t, map[string]any{"sub": "workouts", "aud": "api://x"})
	code, resp = exchange(t, srv, authority.DefaultServiceClient, authority.DefaultServiceSecret,
		"subject_token", subject, "subject_token_type", tokenTypeAccess,
		"actor_token", foreign, "actor_token_type", tokenTypeAccess, "audience", "api://billing")
	if d, _ := resp["error_description"].(string); code != 400 || resp["error"] != "invalid_request" || !strings.Contains(d, "actor_token") {
		t.Errorf("foreign actor token: %d %v", code, resp)
	}
}

// may_act (RFC 8693 §4.4) in the subject token names who may act for the
// subject: carol's tokens say workouts.
func TestTokenExchangeHonoursMayAct(t *testing.T) {
	t.Parallel()
	srv := startDelegation(t, authoritytest.WithAutoApprove("carol"))
	_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}, "audience": {"workouts"}}, "", "")
	_, _, tok := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
	subject := tok["access_token"].(string)
	if claimsOf(t, subject)["may_act"] == nil {
		t.Fatalf("carol's token has no may_act: %v", claimsOf(t, subject))
	}
	te := func(client, secret string, kv ...string) (int, map[string]any) {
		return exchange(t, srv, client, secret, append([]string{"subject_token", subject, "subject_token_type", tokenTypeAccess, "audience", "api://billing"}, kv...)...)
	}

	code, resp := te(authority.DefaultServiceClient, authority.DefaultServiceSecret)
	if d, _ := resp["error_description"].(string); code != 400 || resp["error"] != "invalid_request" || !strings.Contains(d, "may_act") {
		t.Errorf("a client may_act does not name: %d %v", code, resp)
	}
	code, resp = te("workouts", "workouts-secret")
	if code != 200 {
		t.Fatalf("the client may_act names: %d %v", code, resp)
	}
	c := verify(t, srv, resp["access_token"].(string), jwt.WithAudience("api://billing"))
	if c["sub"] != "carol" || c["tid"] != "tenant-1" || c["may_act"] != nil || !jsonEqual(c["act"], map[string]any{"sub": "workouts"}) {
		t.Errorf("claims %v", c)
	}
	// Another client presenting workouts' token as the actor is fine too.
	_, _, cc := post(t, srv.TokenURL, url.Values{"grant_type": {"client_credentials"}}, "workouts", "workouts-secret")
	code, resp = te(authority.DefaultServiceClient, authority.DefaultServiceSecret, "actor_token", cc["access_token"].(string), "actor_token_type", tokenTypeAccess)
	if code != 200 {
		t.Errorf("the actor may_act names: %d %v", code, resp)
	}
	// On-behalf-of honours it as well.
	code, resp = obo(t, srv, authority.DefaultServiceClient, authority.DefaultServiceSecret, userTokenFor(t, srv, authority.DefaultServiceClient), "api://billing/.default")
	if code != 400 || resp["error"] != "invalid_grant" || !strings.Contains(resp["error_description"].(string), "may_act") {
		t.Errorf("on-behalf-of by a client may_act does not name: %d %v", code, resp)
	}
	if code, resp = obo(t, srv, "workouts", "workouts-secret", subject, "api://billing/.default"); code != 200 {
		t.Errorf("on-behalf-of by the client may_act names: %d %v", code, resp)
	}
}

// userTokenFor is the auto-approved user's access token with aud.
func userTokenFor(t *testing.T, srv *authoritytest.Server, aud string) string {
	t.Helper()
	return userToken(t, srv, aud, "")
}

func TestOnBehalfOf(t *testing.T) {
	t.Parallel()
	srv := startDelegation(t)
	for _, aud := range []string{"workouts", "api://workouts"} {
		t.Run("assertion for "+aud, func(t *testing.T) {
			assertion := userToken(t, srv, aud, "openid workouts.read")
			code, resp := obo(t, srv, "workouts", "workouts-secret", assertion, "api://billing/.default")
			if code != 200 {
				t.Fatalf("%d %v", code, resp)
			}
			if resp["token_type"] != "Bearer" || resp["expires_in"] != 3600.0 || resp["scope"] != "api://billing/.default" {
				t.Errorf("response %v", resp)
			}
			if resp["issued_token_type"] != nil || resp["refresh_token"] != nil {
				t.Errorf("the Azure form has no issued_token_type and this authority gives no refresh token: %v", resp)
			}
			c := verify(t, srv, resp["access_token"].(string), jwt.WithAudience("api://billing"))
			if c["aud"] != "api://billing" || c["sub"] != "alice" || c["name"] != "Alice Example" {
				t.Errorf("claims %v", c)
			}
			if c["azp"] != "workouts" || c["client_id"] != "workouts" || !jsonEqual(c["act"], map[string]any{"sub": "workouts"}) {
				t.Errorf("azp %v client_id %v act %v", c["azp"], c["client_id"], c["act"])
			}
			// .default names no permission of its own: the scopes of the
			// middle tier's token are not carried to another API.
			if c["scope"] != nil {
				t.Errorf("scope %v", c["scope"])
			}
		})
	}
	t.Run("named scopes", func(t *testing.T) {
		assertion := userToken(t, srv, "workouts", "")
		code, resp := obo(t, srv, "workouts", "workouts-secret", assertion, "api://billing/invoices.read api://billing/invoices.write offline_access")
		if code != 200 {
			t.Fatalf("%d %v", code, resp)
		}
		c := verify(t, srv, resp["access_token"].(string), jwt.WithAudience("api://billing"))
		if c["scope"] != "invoices.read invoices.write" {
			t.Errorf("scope %v", c["scope"])
		}
	})
	t.Run("a chain of two", func(t *testing.T) {
		assertion := userToken(t, srv, "workouts", "")
		_, first := obo(t, srv, "workouts", "workouts-secret", assertion, "api://billing/.default")
		code, second := obo(t, srv, "billing", "billing-secret", first["access_token"].(string), "api://reports/.default")
		if code != 200 {
			t.Fatalf("%d %v", code, second)
		}
		c := verify(t, srv, second["access_token"].(string), jwt.WithAudience("api://reports"))
		if c["azp"] != "billing" || !jsonEqual(c["act"], map[string]any{"sub": "billing", "act": map[string]any{"sub": "workouts"}}) {
			t.Errorf("azp %v act %v", c["azp"], c["act"])
		}
	})
}

func TestDelegationErrors(t *testing.T) {
	t.Parallel()
	clock := authoritytest.NewClock(time.Now())
	srv := startDelegation(t, authoritytest.WithClock(clock))
	svc, secret := authority.DefaultServiceClient, authority.DefaultServiceSecret
	forWorkouts := userToken(t, srv, "workouts", "workouts.read")
	forOrders := userToken(t, srv, "api://orders", "")
	// Same issuer, another key: a token the authority did not sign.
	impostor := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.Issuer = srv.Issuer }))
	forged := impostor.Mint(t, map[string]any{"sub": "alice", "aud": "workouts", "client_id": "jwtrace"})
	// Another authority altogether.
	other := authoritytest.Start(t)
	foreign := other.Mint(t, map[string]any{"sub": "alice", "aud": "workouts", "client_id": "jwtrace"})
	expired := srv.Mint(t, map[string]any{"sub": "alice", "aud": "workouts", "client_id": "jwtrace",
		"iat": clock.Now().Add(-2 * time.Hour).Unix(), "exp": clock.Now().Add(-time.Hour).Unix()})
	idToken := func() string {
		_, _, da := post(t, srv.DeviceAuthURL, url.Values{"client_id": {"jwtrace"}, "scope": {"openid"}}, "", "")
		_, _, tok := post(t, srv.TokenURL, url.Values{"grant_type": {authority.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {"jwtrace"}}, "", "")
		return tok["id_token"].(string)
	}()

	te := func(subject string, kv ...string) []string {
		return append([]string{"subject_token", subject, "subject_token_type", tokenTypeAccess}, kv...)
	}
	tests := []struct {
		name           string
		client, secret string
		obo            bool
		scope          string // for on-behalf-of
		form           []string
		wantErr        string
		wantDesc       string
	}{
		// RFC 8693 §2.2.2: an invalid or unacceptable subject or actor token is invalid_request.
		{name: "exchange of an expired subject token", client: svc, secret: secret, form: te(expired), wantErr: "invalid_request", wantDesc: "expired"},
		{name: "exchange of a token signed by another key", client: svc, secret: secret, form: te(forged), wantErr: "invalid_request", wantDesc: "signature"},
		{name: "exchange of another authority's token", client: svc, secret: secret, form: te(foreign), wantErr: "invalid_request", wantDesc: other.Issuer},
		{name: "exchange of garbage", client: svc, secret: secret, form: te("not-a-jwt"), wantErr: "invalid_request", wantDesc: "not a JWT"},
		{name: "exchange of an ID token as an access token", client: svc, secret: secret, form: te(idToken), wantErr: "invalid_request", wantDesc: "ID token"},
		{name: "a subject_token_type of id_token", client: svc, secret: secret, form: []string{"subject_token", forWorkouts, "subject_token_type", "urn:ietf:params:oauth:token-type:id_token"}, wantErr: "invalid_request", wantDesc: "subject_token_type"},
		{name: "a subject_token_type of saml2", client: svc, secret: secret, form: []string{"subject_token", forWorkouts, "subject_token_type", "urn:ietf:params:oauth:token-type:saml2"}, wantErr: "invalid_request", wantDesc: "subject_token_type"},
		{name: "no subject_token_type", client: svc, secret: secret, form: []string{"subject_token", forWorkouts}, wantErr: "invalid_request", wantDesc: "subject_token_type"},
		{name: "no subject_token", client: svc, secret: secret, form: []string{"subject_token_type", tokenTypeAccess}, wantErr: "invalid_request", wantDesc: "subject_token"},
		{name: "a requested_token_type of refresh_token", client: svc, secret: secret, form: te(forWorkouts, "requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"), wantErr: "invalid_request", wantDesc: "requested_token_type"},
		{name: "an actor_token without its type", client: svc, secret: secret, form: te(forWorkouts, "actor_token", forOrders), wantErr: "invalid_request", wantDesc: "actor_token_type"},
		{name: "an actor_token_type without a token", client: svc, secret: secret, form: te(forWorkouts, "actor_token_type", tokenTypeAccess), wantErr: "invalid_request", wantDesc: "actor_token"},
		// RFC 7523 §3.1 (and Microsoft's on-behalf-of): an invalid assertion is invalid_grant.
		{name: "on-behalf-of with an expired assertion", client: "workouts", secret: "workouts-secret", obo: true, scope: "api://billing/.default", form: []string{"assertion", expired}, wantErr: "invalid_grant", wantDesc: "expired"},
		{name: "on-behalf-of with a token signed by another key", client: "workouts", secret: "workouts-secret", obo: true, scope: "api://billing/.default", form: []string{"assertion", forged}, wantErr: "invalid_grant", wantDesc: "signature"},
		{name: "on-behalf-of with another authority's token", client: "workouts", secret: "workouts-secret", obo: true, scope: "api://billing/.default", form: []string{"assertion", foreign}, wantErr: "invalid_grant", wantDesc: other.Issuer},
		{name: "on-behalf-of with a token meant for another service", client: "workouts", secret: "workouts-secret", obo: true, scope: "api://billing/.default", form: []string{"assertion", forOrders}, wantErr: "invalid_grant", wantDesc: "api://orders"},
		{name: "jwt-bearer without requested_token_use", client: "workouts", secret: "workouts-secret", obo: true, scope: "api://billing/.default", form: []string{"assertion", forWorkouts, "requested_token_use", ""}, wantErr: "invalid_request", wantDesc: "on_behalf_of"},
		{name: "on-behalf-of without an assertion", client: "workouts", secret: "workouts-secret", obo: true, scope: "api://billing/.default", form: []string{"assertion", ""}, wantErr: "invalid_request", wantDesc: "assertion"},
		// RFC 8693 §2.2.2, RFC 8707 §2: a target the client may not have.
		{name: "exchange for an audience the client may not have", client: "narrow", secret: "narrow-secret", form: te(forWorkouts, "audience", "api://reports"), wantErr: "invalid_target", wantDesc: "api://reports"},
		{name: "exchange for a resource the client may not have", client: "narrow", secret: "narrow-secret", form: te(forWorkouts, "resource", "https://reports.example.com/"), wantErr: "invalid_target", wantDesc: "https://reports.example.com/"},
		{name: "exchange without an audience when the client is narrowed", client: "narrow", secret: "narrow-secret", form: te(forWorkouts), wantErr: "invalid_target", wantDesc: authority.DefaultAudience},
		// RFC 6749 §5.2: unauthorized_client.
		{name: "exchange by a public client", client: "jwtrace", form: te(forWorkouts, "client_id", "jwtrace"), wantErr: "unauthorized_client", wantDesc: "jwtrace is public"},
		{name: "on-behalf-of by a public client", client: "jwtrace", obo: true, scope: "api://billing/.default", form: []string{"assertion", forWorkouts}, wantErr: "unauthorized_client", wantDesc: "jwtrace is public"},
		{name: "exchange by a client without the grant", client: "cc-only", secret: "cc-secret", form: te(forWorkouts), wantErr: "unauthorized_client", wantDesc: authority.GrantTokenExchange},
		{name: "on-behalf-of by a client without the grant", client: "narrow", secret: "narrow-secret", obo: true, scope: "api://billing/.default", form: []string{"assertion", userTokenFor(t, srv, "narrow")}, wantErr: "unauthorized_client", wantDesc: authority.GrantJWTBearer},
		// invalid_scope.
		{name: "exchange for a scope the client may not ask for", client: "narrow", secret: "narrow-secret", form: te(forWorkouts, "audience", "api://billing", "scope", "billing.admin"), wantErr: "invalid_scope", wantDesc: "billing.admin"},
		{name: "on-behalf-of with a scope that names no API", client: "workouts", secret: "workouts-secret", obo: true, scope: "invoices.read", form: []string{"assertion", forWorkouts}, wantErr: "invalid_scope", wantDesc: "api://"},
		{name: "on-behalf-of with an API and no permission", client: "workouts", secret: "workouts-secret", obo: true, scope: "api://billing", form: []string{"assertion", forWorkouts}, wantErr: "invalid_scope", wantDesc: "api://billing/.default"},
		{name: "on-behalf-of for two APIs at once", client: "workouts", secret: "workouts-secret", obo: true, scope: "api://billing/.default api://reports/.default", form: []string{"assertion", forWorkouts}, wantErr: "invalid_scope", wantDesc: "one API"},
		{name: "on-behalf-of without a scope", client: "workouts", secret: "workouts-secret", obo: true, scope: "", form: []string{"assertion", forWorkouts}, wantErr: "invalid_request", wantDesc: "scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			var body map[string]any
			if tt.obo {
				f := url.Values{"grant_type": {authority.GrantJWTBearer}, "client_id": {tt.client}, "requested_token_use": {"on_behalf_of"}, "scope": {tt.scope}}
				if tt.secret != "" {
					f.Set("client_secret", tt.secret)
				}
				for i := 0; i+1 < len(tt.form); i += 2 {
					f.Set(tt.form[i], tt.form[i+1])
				}
				code, _, body = post(t, srv.TokenURL, f, "", "")
			} else if tt.secret == "" {
				code, body = exchange(t, srv, "", "", tt.form...)
			} else {
				code, body = exchange(t, srv, tt.client, tt.secret, tt.form...)
			}
			desc, _ := body["error_description"].(string)
			if code != 400 || body["error"] != tt.wantErr || !strings.Contains(desc, tt.wantDesc) {
				t.Errorf("got %d %v, want 400 %s with %q in the description", code, body, tt.wantErr, tt.wantDesc)
			}
		})
	}
	t.Run("a revoked subject token", func(t *testing.T) {
		tok := userToken(t, srv, "workouts", "")
		resp, err := http.PostForm(srv.RevokeURL, url.Values{"token": {tok}, "client_id": {"jwtrace"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("revoke: %s", resp.Status)
		}
		code, body := exchange(t, srv, svc, secret, te(tok)...)
		if d, _ := body["error_description"].(string); code != 400 || body["error"] != "invalid_request" || !strings.Contains(d, "revoked") {
			t.Errorf("exchange: %d %v", code, body)
		}
		code, body = obo(t, srv, "workouts", "workouts-secret", tok, "api://billing/.default")
		if d, _ := body["error_description"].(string); code != 400 || body["error"] != "invalid_grant" || !strings.Contains(d, "revoked") {
			t.Errorf("on-behalf-of: %d %v", code, body)
		}
	})
	t.Run("a real token, once expired", func(t *testing.T) {
		clock.Advance(2 * time.Hour)
		defer clock.Advance(-2 * time.Hour)
		code, body := exchange(t, srv, svc, secret, te(forWorkouts, "audience", "api://billing")...)
		if d, _ := body["error_description"].(string); code != 400 || body["error"] != "invalid_request" || !strings.Contains(d, "expired") {
			t.Errorf("exchange: %d %v", code, body)
		}
		code, body = obo(t, srv, "workouts", "workouts-secret", forWorkouts, "api://billing/.default")
		if d, _ := body["error_description"].(string); code != 400 || body["error"] != "invalid_grant" || !strings.Contains(d, "expired") {
			t.Errorf("on-behalf-of: %d %v", code, body)
		}
	})
	t.Run("the narrowed client within its policy", func(t *testing.T) {
		code, body := exchange(t, srv, "narrow", "narrow-secret", te(forWorkouts, "audience", "api://billing", "scope", "billing.read")...)
		if code != 200 {
			t.Fatalf("%d %v", code, body)
		}
		// Without a scope parameter the subject's scopes the client may
		// not ask for are dropped, and the response says what was issued.
		code, body = exchange(t, srv, "narrow", "narrow-secret", te(forWorkouts, "audience", "api://billing")...)
		if code != 200 || body["scope"] != nil {
			t.Errorf("narrowed scope: %d %v", code, body)
		}
		if c := claimsOf(t, body["access_token"].(string)); c["scope"] != nil {
			t.Errorf("scope claim %v: workouts.read is not the narrowed client's to pass on", c["scope"])
		}
	})
}

func TestDelegationConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		c    authority.Client
		want string
	}{
		{"a public client with token exchange", authority.Client{ID: "x", GrantTypes: []string{authority.GrantTokenExchange}}, "public client"},
		{"a public client with on-behalf-of", authority.Client{ID: "x", GrantTypes: []string{authority.GrantJWTBearer}}, "public client"},
		{"an empty exchange audience", authority.Client{ID: "x", Secret: "s", ExchangeAudiences: []string{""}}, "exchange audience"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := authority.New(authority.Config{Clients: []authority.Client{tt.c}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
	// The config file spells them exchange_audiences and the grant URNs.
	path := filepath.Join(t.TempDir(), "authority.json")
	os.WriteFile(path, []byte(`{"clients":[{"client_id":"workouts","client_secret":"s",
  "grant_types":["urn:ietf:params:oauth:grant-type:token-exchange","urn:ietf:params:oauth:grant-type:jwt-bearer"],
  "exchange_audiences":["api://billing"]}]}`), 0o600)
	f, err := authority.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Clients) != 1 || !reflect.DeepEqual(f.Clients[0].ExchangeAudiences, []string{"api://billing"}) {
		t.Fatalf("%+v", f.Clients)
	}
	if _, err := authority.New(authority.Config{Clients: f.Clients}); err != nil {
		t.Error(err)
	}

	// Discovery lists both grants, and the default confidential client
	// may use them; the public one may not.
	srv := authoritytest.Start(t)
	d := srv.Discovery()
	for _, g := range []string{authority.GrantTokenExchange, authority.GrantJWTBearer} {
		if !strings.Contains(strings.Join(d.GrantTypesSupported, " "), g) {
			t.Errorf("grant_types_supported %v lacks %s", d.GrantTypesSupported, g)
		}
	}
	for _, c := range srv.Clients() {
		grants := strings.Join(c.Grants(), " ")
		if has := strings.Contains(grants, authority.GrantTokenExchange) && strings.Contains(grants, authority.GrantJWTBearer); has == c.Public() {
			t.Errorf("client %s (public %v) grants %s", c.ID, c.Public(), grants)
		}
	}
}

// A private_key_jwt client (RFC 7523 §2.2) is confidential: it may
// exchange, authenticating with a signed client assertion.
func TestDelegationByAPrivateKeyJWTClient(t *testing.T) {
	t.Parallel()
	key, client := clientKey(t, "svc-jwt")
	client.GrantTypes = nil
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"), authoritytest.WithConfig(func(c *authority.Config) {
		c.Clients = append(authority.DefaultClients(), client)
	}))
	subject := userToken(t, srv, "svc-jwt", "")
	assertion := func() string {
		now := time.Now()
		return signAssertion(t, key, map[string]any{"iss": "svc-jwt", "sub": "svc-jwt", "aud": srv.TokenURL,
			"exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "jti": fmt.Sprint(now.UnixNano())})
	}
	for _, f := range []url.Values{
		{"grant_type": {authority.GrantTokenExchange}, "subject_token": {subject}, "subject_token_type": {tokenTypeAccess}, "audience": {"api://billing"}},
		{"grant_type": {authority.GrantJWTBearer}, "assertion": {subject}, "requested_token_use": {"on_behalf_of"}, "scope": {"api://billing/.default"}},
	} {
		f.Set("client_assertion_type", authority.ClientAssertionType)
		f.Set("client_assertion", assertion())
		code, _, body := post(t, srv.TokenURL, f, "", "")
		if code != 200 {
			t.Fatalf("%s: %d %v", f.Get("grant_type"), code, body)
		}
		c := verify(t, srv, body["access_token"].(string), jwt.WithAudience("api://billing"))
		if c["sub"] != "alice" || !jsonEqual(c["act"], map[string]any{"sub": "svc-jwt"}) {
			t.Errorf("%s: claims %v", f.Get("grant_type"), c)
		}
	}
}
