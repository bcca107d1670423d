package cmd

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/demo/resource"
	"github.com/jwtrace/jwtrace/verify"
)

// selfResource starts a resource server whose audience is its own URL
// plus path, as an RFC 9728 / RFC 8707 service's is.
func selfResource(t *testing.T, iss, path string) string {
	t.Helper()
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	rs, err := resource.New(resource.Config{Name: "plans", Policy: verify.Policy{Authority: verify.Some(iss), Issuer: verify.List(iss), Audience: verify.List(srv.URL + path)}})
	if err != nil {
		t.Fatal(err)
	}
	h.Store(&rs)
	return srv.URL
}

func TestChainDiscoverShowsMetadataAndPredictsFromIt(t *testing.T) {
	a := authoritytest.Start(t)
	svc := selfResource(t, a.Issuer, "/plan")
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": svc + "/plan"})

	r := chainRun(t, nil, "--token", token, svc+"/plan")
	if r.code != 0 || strings.Contains(r.out, "metadata") || !strings.Contains(r.out, "— (no rules declared)") {
		t.Fatalf("without --discover: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	r = chainRun(t, nil, "--discover", "--token", token, svc+"/plan")
	for _, want := range []string{
		"metadata (--discover): " + svc + "/.well-known/oauth-protected-resource/plan",
		"  resource: " + svc + "/plan\n",
		"  authorization_servers: " + a.Issuer + "\n",
		"  bearer_methods_supported: header\n",
		"rules: from the service's metadata",
		"accept  ✓",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("no %q in\n%s", want, r.out)
		}
	}
	if r.code != 0 {
		t.Errorf("exit %d\n%s", r.code, r.errOut)
	}
	j := chainRun(t, nil, "--discover", "--json", "--token", token, svc+"/plan")
	if !strings.Contains(j.out, `"rules_from":"metadata"`) || !strings.Contains(j.out, `"resource":"`+svc+`/plan"`) {
		t.Errorf("JSON:\n%s", j.out)
	}
}

func TestChainMetadataFromTheChallengeNamesTheMismatch(t *testing.T) {
	a := authoritytest.Start(t)
	svc := selfResource(t, a.Issuer, "/plan")
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	r := chainRun(t, nil, "--token", token, svc+"/plan")
	for _, want := range []string{
		"metadata (named by its challenge): " + svc + "/.well-known/oauth-protected-resource/plan",
		`note: the token is for "api://workouts", not for this service's resource "` + svc + `/plan"`,
		"cause: aud",
		"(the service's metadata)",
		"reject  ✓",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("no %q in\n%s", want, r.out)
		}
	}
	if r.code != ExitRejected {
		t.Errorf("exit %d", r.code)
	}
}

func TestChainMetadataTextIsEscaped(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/") {
			w.Write([]byte(`{"resource":"` + srv.URL + `/api","authorization_servers":["http://127.0.0.1:1/\u001b[2J"],"scopes_supported":["a\u202eb","x\ny"]}`))
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource/api"`)
		w.WriteHeader(401)
	}))
	t.Cleanup(srv.Close)
	r := chainRun(t, nil, "--token", "opaque-token-value", srv.URL+"/api")
	if !strings.Contains(r.out, `authorization_servers: http://127.0.0.1:1/\x1b[2J`) || !strings.Contains(r.out, `scopes_supported: a\u202eb, x\x0ay`) {
		t.Errorf("output:\n%s", r.out)
	}
	if strings.ContainsAny(r.out, "\x1b\u202e") {
		t.Errorf("raw server text in the report:\n%q", r.out)
	}
}

func TestLoginProtectedResource(t *testing.T) {
	a := authoritytest.Start(t)
	svc := selfResource(t, a.Issuer, "/plan")
	env := loginEnv(t, "JWTRACE_CLIENT_SECRET="+authority.DefaultServiceSecret)
	r := jwtrace(t, context.Background(), env, "login", "--grant", "client-credentials", "--client-id", authority.DefaultServiceClient, "--protected-resource", svc+"/plan")
	if r.code != 0 || !strings.HasPrefix(r.out, "eyJ") {
		t.Fatalf("exit %d %q\n%s", r.code, r.out, r.errOut)
	}
	if !strings.Contains(r.errOut, "names authority "+a.Issuer+"; asking for resource="+svc+"/plan") || !strings.Contains(r.errOut, "aud "+svc+"/plan") {
		t.Errorf("stderr:\n%s", r.errOut)
	}
	// The token is for the service: it accepts it.
	c := chainRun(t, nil, "--token", strings.TrimSpace(r.out), svc+"/plan")
	if c.code != 0 {
		t.Errorf("the service refused the token: exit %d\n%s", c.code, c.out)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"with --resource", []string{"--protected-resource", svc + "/plan", "--resource", "https://x.example"}, ExitUsage, "give --protected-resource or --resource, not both"},
		{"an authority not among the service's", []string{"--protected-resource", svc + "/plan", "--authority", "http://127.0.0.1:1"}, ExitUsage, "is not one of the service's authorization servers"},
		{"no metadata", []string{"--protected-resource", a.URL + "/api"}, ExitUnavailable, "Protected Resource Metadata (RFC 9728)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"login", "--grant", "client-credentials", "--client-id", authority.DefaultServiceClient}, tc.args...)
			r := jwtrace(t, context.Background(), env, args...)
			if r.code != tc.code || !strings.Contains(r.errOut, tc.want) || r.out != "" {
				t.Errorf("exit %d, stdout %q\n%s", r.code, r.out, r.errOut)
			}
		})
	}
}

func TestLoginProtectedResourceWithoutAuthorizationServer(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"resource":"` + srv.URL + `/api"}`))
	}))
	t.Cleanup(srv.Close)
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--client-id", "x", "--protected-resource", srv.URL+"/api")
	if r.code != ExitUnavailable || !strings.Contains(r.errOut, "names no authorization server") || !strings.Contains(r.errOut, "give --authority URL") {
		t.Errorf("exit %d\n%s", r.code, r.errOut)
	}
}
