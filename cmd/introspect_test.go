package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/internal/ui"
)

// authCodeLogin logs in with auth-code (auto-approved) and returns the
// access token.
func authCodeLogin(t *testing.T, srv *authoritytest.Server, env []string, extra ...string) string {
	t.Helper()
	signingBrowser(t, "approve")
	s := loginEnv(t)
	s.Env = env
	r := jwtrace(t, context.Background(), s, append([]string{"login", "--grant", "auth-code", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient}, extra...)...)
	if r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.errOut)
	}
	return strings.TrimSpace(r.out)
}

func TestIntrospectAndUserinfo(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	env := loginEnv(t).Env
	access := authCodeLogin(t, srv, env, "--scope", "openid offline_access")
	svc := []string{"--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient, "--client-secret", authority.DefaultServiceSecret}

	r := jwtrace(t, context.Background(), loginEnv(t), append(append([]string{"introspect"}, svc...), access)...)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(r.out, "\n")[1:] {
		if f := strings.Fields(l); len(f) > 1 {
			lines[f[0]] = strings.Join(f[1:], " ")
		}
	}
	if !strings.HasPrefix(r.out, "ACTIVE (introspected at "+srv.IntrospectURL+")\n") || lines["sub"] != "alice" || lines["scope"] != "openid offline_access" ||
		lines["exp"] != fixedNow().Add(authority.DefaultTTL).UTC().Format("2006-01-02T15:04:05Z")+" (in 1h)" || lines["iat"] != fixedNow().UTC().Format("2006-01-02T15:04:05Z")+" (now)" {
		t.Errorf("stdout:\n%s", r.out)
	}
	t.Run("an inactive token exits 1", func(t *testing.T) {
		r := jwtrace(t, context.Background(), loginEnv(t), append(append([]string{"introspect", "--json"}, svc...), "opaque-nonsense")...)
		var got struct {
			Active   bool           `json:"active"`
			Response map[string]any `json:"response"`
		}
		if r.code != ExitRejected || json.Unmarshal([]byte(r.out), &got) != nil || got.Active {
			t.Fatalf("exit %d %s\n%s", r.code, r.out, r.errOut)
		}
	})
	t.Run("the token comes from stdin with its Bearer prefix", func(t *testing.T) {
		s := loginEnv(t)
		s.In = strings.NewReader("Authorization: Bearer " + access + "\n")
		r := jwtrace(t, context.Background(), s, append([]string{"introspect"}, svc...)...)
		if r.code != ExitOK || !strings.HasPrefix(r.out, "ACTIVE") {
			t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
		}
	})
	t.Run("a public client may not introspect", func(t *testing.T) {
		r := jwtrace(t, context.Background(), loginEnv(t), "introspect", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, access)
		if r.code != ExitUnavailable || !strings.Contains(r.errOut, "invalid_client") {
			t.Fatalf("exit %d\n%s", r.code, r.errOut)
		}
	})
	t.Run("userinfo", func(t *testing.T) {
		r := jwtrace(t, context.Background(), loginEnv(t), "userinfo", "--authority", srv.Issuer, access)
		if r.code != 0 || !strings.Contains(r.out, "userinfo from "+srv.UserinfoURL) || !strings.Contains(r.out, " alice@example.com\n") {
			t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
		}
		j := jwtrace(t, context.Background(), loginEnv(t), "userinfo", "--json", "--authority", srv.Issuer, access)
		var m map[string]any
		if j.code != 0 || json.Unmarshal([]byte(j.out), &m) != nil || m["sub"] != "alice" {
			t.Fatalf("exit %d %s", j.code, j.out)
		}
		bad := jwtrace(t, context.Background(), loginEnv(t), "userinfo", "--authority", srv.Issuer, "not-a-token")
		if bad.code != ExitUnavailable || !strings.Contains(bad.errOut, "invalid_token") {
			t.Fatalf("exit %d %s", bad.code, bad.errOut)
		}
	})
}

// A hostile introspection endpoint's claims never reach the terminal raw.
func TestIntrospectionClaimsAreEscaped(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"active":true,"sub":"alice\u001b]0;owned\u0007","x\u001b[2J":"y"}`))
	}))
	t.Cleanup(ts.Close)
	r := jwtrace(t, context.Background(), loginEnv(t), "introspect", "--introspection-endpoint", ts.URL+"/introspect", "--client-id", "c", "--client-secret", "s", "tok")
	if r.code != 0 || rawTerminalBytes(r.out) || !strings.Contains(r.out, `alice\x1b]0;owned\x07`) {
		t.Fatalf("exit %d %q", r.code, r.out)
	}
}

func TestLoginStatusTokenAndLogout(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithClock(authoritytest.NewClock(fixedNow())))
	env := loginEnv(t).Env
	access := authCodeLogin(t, srv, env, "--scope", "openid offline_access", "--audience", "api://orders")
	s := func() *ui.Streams { st := loginEnv(t); st.Env = env; return st }
	cc := jwtrace(t, context.Background(), s(), "login", "--grant", "client_credentials", "--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient, "--client-secret", authority.DefaultServiceSecret)
	if cc.code != 0 {
		t.Fatalf("%s", cc.errOut)
	}

	st := jwtrace(t, context.Background(), s(), "login", "status")
	for _, want := range []string{srv.Issuer + " · client jwtrace · auth-code\n  scopes offline_access openid · audience api://orders · expires in 1h · refresh token kept",
		srv.Issuer + " · client jwtrace-service · client-credentials\n  expires in 1h · no refresh token"} {
		if !strings.Contains(st.out, want) {
			t.Errorf("status lacks %q:\n%s", want, st.out)
		}
	}
	if strings.Contains(st.out+st.errOut, access) || strings.Contains(st.out, "eyJ") {
		t.Fatal("login status printed a token")
	}
	j := jwtrace(t, context.Background(), s(), "login", "status", "--json")
	var list []map[string]any
	if j.code != 0 || json.Unmarshal([]byte(j.out), &list) != nil || len(list) != 2 || list[0]["has_refresh_token"] != true || strings.Contains(j.out, "eyJ") {
		t.Fatalf("exit %d %s", j.code, j.out)
	}

	t.Run("token with partial flags picks the one login that fits", func(t *testing.T) {
		r := jwtrace(t, context.Background(), s(), "token", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient)
		if r.code != 0 || strings.TrimSpace(r.out) != access {
			t.Fatalf("exit %d\n%s", r.code, r.errOut)
		}
	})
	t.Run("token lists the candidates when several fit", func(t *testing.T) {
		r := jwtrace(t, context.Background(), s(), "token", "--authority", srv.Issuer)
		if r.code != ExitUsage || !strings.Contains(r.errOut, "2 cached logins fit these flags") ||
			!strings.Contains(r.errOut, "--client-id jwtrace --grant auth-code --scope 'offline_access openid' --audience api://orders") {
			t.Fatalf("exit %d\n%s", r.code, r.errOut)
		}
	})
	t.Run("logout --authority --revoke revokes the refresh token", func(t *testing.T) {
		r := jwtrace(t, context.Background(), s(), "logout", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, "--revoke")
		if r.code != 0 || !strings.Contains(r.errOut, "Removed 1 cached token; 1 revoked at the authority.") {
			t.Fatalf("exit %d\n%s", r.code, r.errOut)
		}
		in := jwtrace(t, context.Background(), loginEnv(t), "introspect", "--authority", srv.Issuer, "--client-id", authority.DefaultServiceClient, "--client-secret", authority.DefaultServiceSecret, access)
		if in.code != 0 {
			// The access token lives on; its refresh token is what was revoked.
			t.Fatalf("introspect: exit %d", in.code)
		}
	})
	t.Run("logout --all", func(t *testing.T) {
		if r := jwtrace(t, context.Background(), s(), "logout", "--all", "--client-id", "x"); r.code != ExitUsage {
			t.Fatalf("exit %d", r.code)
		}
		r := jwtrace(t, context.Background(), s(), "logout", "--all")
		if r.code != 0 || !strings.Contains(r.errOut, "Removed 1 cached token.") {
			t.Fatalf("exit %d\n%s", r.code, r.errOut)
		}
	})
}

// "Bearer" with no token after it is no token, said before anything is
// sent (decode.BearerToken reads the prefix for every command).
func TestIntrospectRefusesBearerWithoutAToken(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"Bearer", "Authorization: Bearer  ", "bearer\t"} {
		r := jwtrace(t, context.Background(), &ui.Streams{Env: []string{"TERM=dumb"}}, "introspect", "--introspection-endpoint", "http://127.0.0.1:1/introspect", in)
		if r.code != ExitUsage || !strings.Contains(r.errOut, "no token: the input is empty") {
			t.Errorf("%q: exit %d, stderr %q; want the usage error", in, r.code, r.errOut)
		}
	}
}
