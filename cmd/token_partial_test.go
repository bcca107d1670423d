package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
)

// jwtrace token with no flags, or flags that name no cached login exactly
// (no --authority among them), uses the one cached login that fits and
// lists the candidates when several do (issue 17).
func TestTokenWithoutAnAuthorityUsesTheCachedLogin(t *testing.T) {
	t.Parallel()
	srv := authoritytest.Start(t, authoritytest.WithAutoApprove("alice"))
	withBrowser(t, func(string) error { return nil })
	env := loginEnv(t)

	t.Run("with nothing cached, the message of today", func(t *testing.T) {
		r := jwtrace(t, context.Background(), env, "token")
		if r.code != ExitUsage || !strings.Contains(r.errOut, "no authority: give --authority URL") || r.out != "" {
			t.Fatalf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
		}
	})

	first := jwtrace(t, context.Background(), env, "login", "--authority", srv.Issuer, "--client-id", authority.DefaultPublicClient, "--scope", "openid offline_access")
	if first.code != 0 {
		t.Fatalf("login: exit %d\n%s", first.code, first.errOut)
	}
	for _, args := range [][]string{{"token"}, {"token", "--client-id", authority.DefaultPublicClient}, {"token", "--scope", "openid"}} {
		r := jwtrace(t, context.Background(), env, args...)
		if r.code != 0 || r.out != first.out {
			t.Fatalf("%v: exit %d, same token %v\n%s", args, r.code, r.out == first.out, r.errOut)
		}
	}
	t.Run("flags that fit no cached login keep the message of today", func(t *testing.T) {
		r := jwtrace(t, context.Background(), env, "token", "--client-id", "someone-else")
		if r.code != ExitUsage || !strings.Contains(r.errOut, "no authority: give --authority URL") || r.out != "" {
			t.Fatalf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
		}
	})

	cc := jwtrace(t, context.Background(), env, "login", "--grant", "client-credentials", "--authority", srv.Issuer,
		"--client-id", authority.DefaultServiceClient, "--client-secret", authority.DefaultServiceSecret)
	if cc.code != 0 {
		t.Fatalf("client credentials login: exit %d\n%s", cc.code, cc.errOut)
	}
	r := jwtrace(t, context.Background(), env, "token")
	if r.code != ExitUsage || r.out != "" || !strings.Contains(r.errOut, "2 cached logins fit these flags; add flags to pick one:") ||
		!strings.Contains(r.errOut, "  --authority "+srv.Issuer+" --client-id jwtrace --grant device --scope 'offline_access openid'") ||
		!strings.Contains(r.errOut, "  --authority "+srv.Issuer+" --client-id jwtrace-service --grant client-credentials") {
		t.Fatalf("two logins cached: exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
	}
	if r := jwtrace(t, context.Background(), env, "token", "--client-id", authority.DefaultPublicClient); r.code != 0 || r.out != first.out {
		t.Fatalf("--client-id picks one of two: exit %d\n%s", r.code, r.errOut)
	}
}
