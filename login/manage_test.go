package login

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

func TestIntrospectUserinfoAndLogoutWithTheProjectsAuthority(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	c, _, _ := newClient(t, nil)
	signInWith(t, c, "approve")
	login := &Request{Authority: srv.Issuer, ClientID: authority.DefaultPublicClient, Grant: GrantAuthCode, Scopes: []string{"openid", "offline_access"}, Audience: "api://orders", Params: url.Values{"ui_locales": {"de"}}}
	tok, err := c.Login(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	svc := &Request{Authority: srv.Issuer, ClientID: authority.DefaultServiceClient, ClientSecret: authority.DefaultServiceSecret}

	in, err := c.Introspect(context.Background(), svc, "", tok.AccessToken, "access_token")
	if err != nil || !in.Active || in.Claims["sub"] != "alice" || in.Endpoint != srv.IntrospectURL {
		t.Fatalf("%v %+v", err, in)
	}
	if in, err := c.Introspect(context.Background(), svc, "", "garbage", ""); err != nil || in.Active {
		t.Fatalf("%v %+v", err, in)
	}
	bad := *svc
	bad.ClientSecret = "wrong"
	if _, err := c.Introspect(context.Background(), &bad, "", tok.AccessToken, ""); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("a wrong secret: %v", err)
	}
	info, ep, err := c.Userinfo(context.Background(), &Request{Authority: srv.Issuer}, "", tok.AccessToken)
	if err != nil || info["email"] != "alice@example.com" || ep != srv.UserinfoURL {
		t.Fatalf("%v %v", err, info)
	}

	t.Run("the cache lists the login without tokens, and a partial request finds it", func(t *testing.T) {
		list, err := c.Cache.List()
		if err != nil || len(list) != 1 {
			t.Fatalf("%v %+v", err, list)
		}
		l := list[0]
		if l.Grant != GrantAuthCode || !l.HasRefreshToken || l.Expiry.IsZero() || l.SecretTag != "" || l.Audience != "api://orders" {
			t.Fatalf("%+v", l)
		}
		if !l.Matches(&Request{ClientID: authority.DefaultPublicClient, Scopes: []string{"openid"}}) || l.Matches(&Request{Scopes: []string{"email"}}) || l.Matches(&Request{Grant: "device"}) {
			t.Fatal("Matches")
		}
		if CacheKey(l.Request()) != l.Key {
			t.Fatal("the rebuilt request has another key")
		}
	})
	t.Run("logout revokes the refresh token at the authority", func(t *testing.T) {
		res, err := c.Logout(context.Background(), func(l CacheLogin) bool { return l.Authority == srv.Issuer }, true, nil)
		if err != nil || res.Removed != 1 || res.Revoked != 1 || len(res.Problems) != 0 {
			t.Fatalf("%v %+v", err, res)
		}
		in, err := c.Introspect(context.Background(), svc, "", tok.RefreshToken, "refresh_token")
		if err != nil || in.Active {
			t.Fatalf("the refresh token is still active: %v %+v", err, in)
		}
		if list, _ := c.Cache.List(); len(list) != 0 {
			t.Fatalf("left %+v", list)
		}
	})
	t.Run("no introspection endpoint is a usage error", func(t *testing.T) {
		_, err := c.Introspect(context.Background(), &Request{ClientID: "x"}, "", "t", "")
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("err %v", err)
		}
	})
}

// logout --revoke sends a confidential client's secret only when it is the
// one the login was made with (the entry's keyed hash).
func TestLogoutSendsOnlyTheSecretTheLoginUsed(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t)
	c, cnt, _ := newClient(t, nil)
	req := &Request{Authority: srv.Issuer, ClientID: authority.DefaultServiceClient, ClientSecret: authority.DefaultServiceSecret, Grant: GrantClientCredentials}
	if _, err := c.Login(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	res, err := c.Logout(context.Background(), nil, true, &Request{ClientSecret: "a-secret-for-something-else"})
	if err != nil || res.Removed != 1 || res.Revoked != 0 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "give the credential it logged in with") {
		t.Fatalf("%v %+v", err, res)
	}
	if n := cnt.count("/revoke"); n != 0 {
		t.Fatalf("%d revocation requests with a secret the login did not use", n)
	}
	if _, err := c.Login(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	res, err = c.Logout(context.Background(), nil, true, &Request{ClientSecret: authority.DefaultServiceSecret})
	if err != nil || res.Revoked != 1 || cnt.count("/revoke") != 1 {
		t.Fatalf("%v %+v", err, res)
	}
}
