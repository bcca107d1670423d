package cmd

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/demo"
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
	r := jwtrace(t, context.Background(), env, "login", "--grant", "client-credentials", "--client-id", authority.DefaultServiceClient, "--protected-resource", svc+"/plan", "--authority", a.Issuer)
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
		{"a client secret without --authority", []string{"--protected-resource", svc + "/plan"}, ExitUsage, "jwtrace sends a client credential only to an authority you name; add --authority " + a.Issuer},
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

// A service that names an authority of its choosing does not get a client
// secret sent there: the secret goes only to an authority the user named.
func TestLoginProtectedResourceNeverSendsASecretWhereTheServiceSays(t *testing.T) {
	var posts atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":"http://%s","token_endpoint":"http://%s/token","jwks_uri":"http://%s/jwks"}`, r.Host, r.Host, r.Host)
	}))
	t.Cleanup(thief.Close)
	svc := selfResource(t, thief.URL, "/plan")
	r := jwtrace(t, context.Background(), loginEnv(t), "login", "--grant", "client-credentials", "--client-id", "ci", "--client-secret", "s3cret", "--protected-resource", svc+"/plan")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "add --authority "+thief.URL) || posts.Load() != 0 {
		t.Fatalf("exit %d, %d POSTs to the service's authority:\n%s", r.code, posts.Load(), r.errOut)
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

// hostileMetadata is a service that rejects every token with a challenge
// naming its own metadata, served by meta; metaHits counts the metadata
// requests, authSeen those that carried an Authorization header.
type hostileMetadata struct {
	srv                *httptest.Server
	metaHits, authSeen atomic.Int32
}

func startHostileMetadata(t *testing.T, meta http.HandlerFunc) *hostileMetadata {
	t.Helper()
	h := &hostileMetadata{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/oauth-protected-resource") {
			h.metaHits.Add(1)
			if r.Header.Get("Authorization") != "" {
				h.authSeen.Add(1)
			}
			meta(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", resource_metadata="http://`+r.Host+`/.well-known/oauth-protected-resource/api"`)
		w.WriteHeader(401)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// Issue 19: "a test service publishes a wrong resource and a hostile one
// (huge, deep, redirects)", end to end through jwtrace chain: each is a
// note under the hop, bounded and escaped, never the metadata block, never
// a prediction from it, never the token on the metadata request.
func TestChainHostileMetadataIsANote(t *testing.T) {
	const token = "opaque-secret-token-0123456789abcdef"
	offHost := startHostileMetadata(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"resource":"http://` + r.Host + `/api"}`))
	})
	var loops atomic.Int32
	for _, c := range []struct {
		name string
		meta http.HandlerFunc
		want string
	}{
		{"huge", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"resource":"` + strings.Repeat("a", 1<<20) + `"}`))
		}, "not used: the document is larger than 64 KiB; refused"},
		{"deep", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"resource":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10000) + `}`))
		}, "not used: the document is nested more than 32 levels deep; refused"},
		{"redirect to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, offHost.srv.URL+"/.well-known/oauth-protected-resource/api", http.StatusFound)
		}, "not used: it redirects to another host (" + offHost.srv.URL + "/.well-known/oauth-protected-resource/api); jwtrace follows metadata redirects only on the same host"},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			loops.Add(1)
			http.Redirect(w, r, r.URL.Path+"/x", http.StatusFound)
		}, "not used: the request failed: stopped after 5 redirects"},
		{"wrong resource", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"resource":"https://bank.example/api","authorization_servers":["https://bank.example"]}`))
		}, `not used: it names resource "https://bank.example/api", not "http://`},
		{"control characters", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("\x1b[2J\u202e{"))
		}, "not used: the document is not JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := startHostileMetadata(t, c.meta)
			for _, args := range [][]string{{"--token", token, h.srv.URL + "/api"}, {"--discover", "--token", token, h.srv.URL + "/api"}} {
				r := chainRun(t, nil, args...)
				if r.code != ExitRejected || !strings.Contains(r.out, "note: protected resource metadata "+h.srv.URL+"/.well-known/oauth-protected-resource/api "+c.want) {
					t.Errorf("%q: exit %d, no note %q in\n%s%s", args, r.code, c.want, r.out, r.errOut)
				}
				if strings.Contains(r.out, "metadata (") || strings.Contains(r.out, "rules: from the service's metadata") || strings.Contains(r.out, "(the service's metadata)") {
					t.Errorf("%q: unusable metadata shown or predicted from:\n%s", args, r.out)
				}
				if strings.ContainsAny(r.out+r.errOut, "\x1b\u202e") || len(r.out) > 8<<10 {
					t.Errorf("%q: raw or unbounded server text (%d bytes):\n%q", args, len(r.out), r.out)
				}
			}
			if h.authSeen.Load() != 0 || offHost.authSeen.Load() != 0 {
				t.Error("a metadata request carried the token")
			}
		})
	}
	if offHost.metaHits.Load() != 0 {
		t.Errorf("the redirect to another host was followed %d times", offHost.metaHits.Load())
	}
	// Two runs (with and without --discover), each stopping after 5
	// redirects: at most 6 requests each.
	if n := loops.Load(); n == 0 || n > 12 {
		t.Errorf("the redirect loop was requested %d times", n)
	}
}

// A service that names its metadata and publishes it for another of its
// paths, at the URL built from that path: not used, neither shown nor
// predicted from, with and without --discover, and a declared rule still
// predicts.
func TestChainWrongResourceIsNotUsed(t *testing.T) {
	a := authoritytest.Start(t)
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	rs, err := resource.New(resource.Config{Name: "plans", Policy: verify.Policy{Authority: verify.Some(a.Issuer), Issuer: verify.List(a.Issuer), Audience: verify.List("api://plans")},
		Resource: srv.URL + "/admin"})
	if err != nil {
		t.Fatal(err)
	}
	h.Store(&rs)
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	want := "note: protected resource metadata " + srv.URL + `/.well-known/oauth-protected-resource/admin not used: it names resource "` + srv.URL + `/admin", which is not the hop's URL ` + srv.URL + "/plan nor a prefix of it on the same host (RFC 9728 §3.3): it may describe another service"
	r := chainRun(t, nil, "--token", token, srv.URL+"/plan")
	if r.code != ExitRejected || !strings.Contains(r.out, want) || strings.Contains(r.out, "metadata (") || strings.Contains(r.out, "rules: from") {
		t.Errorf("exit %d, want %q in\n%s%s", r.code, want, r.out, r.errOut)
	}
	// --discover builds the URL from the hop's: nothing there (404), nor
	// at the root; the challenge's document is still the one read.
	r = chainRun(t, nil, "--discover", "--rule", "audience=api://plans", "--rule", "authority="+a.Issuer, "--token", token, srv.URL+"/plan")
	if r.code != ExitRejected || !strings.Contains(r.out, want) || strings.Contains(r.out, "rules: from") || !strings.Contains(r.out, "reject  ✓") {
		t.Errorf("--discover with declared rules: exit %d, want %q in\n%s%s", r.code, want, r.out, r.errOut)
	}
}

// testdata/chains/discover.yaml against the demo's catalog, whose audience
// is its own URL: its hop declares no rules, and --discover predicts from
// the catalog's metadata what the catalog really checks.
func TestChainDiscoverFileAgainstTheDemoCatalog(t *testing.T) {
	w, err := demo.Start(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	cat := w.Catalog
	if cat.URL == "" || !slices.Contains(w.Env(), "CATALOG="+cat.URL) || cat.Audience != cat.URL+demo.CatalogPath {
		t.Fatalf("catalog %+v, env %q", cat, w.Env())
	}
	for _, s := range w.Services {
		if s.Name == "catalog" {
			t.Error("the catalog is not part of the story's services")
		}
	}
	mint := func(aud, scope string) string {
		tok, err := w.Mint(map[string]any{"sub": "alice", "aud": aud, "scope": scope, "exp": time.Now().Add(time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	env := append([]string{"CATALOG_TOKEN=" + mint(cat.Audience, demo.CatalogScope)}, w.Env()...)
	r := chainRun(t, env, "--discover", "--token-env", "CATALOG_TOKEN", "--file", "../testdata/chains/discover.yaml")
	for _, want := range []string{
		"metadata (--discover): " + cat.URL + "/.well-known/oauth-protected-resource/items",
		"  resource: " + cat.URL + "/items\n",
		"  authorization_servers: " + w.Authority + "\n",
		"  scopes_supported: catalog.read\n",
		"rules: from the service's metadata",
		"accept  ✓",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("no %q in\n%s", want, r.out)
		}
	}
	if r.code != ExitOK || strings.Contains(r.out, "note:") {
		t.Errorf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	// The story's token, for api://workouts: the catalog refuses it, and
	// its metadata says why and what to do, with or without --discover.
	env = append([]string{"TOKEN=" + mint(demo.Audience, "workouts.read")}, w.Env()...)
	for _, args := range [][]string{{"--discover"}, {}} {
		r = chainRun(t, env, append(args, "--token-env", "TOKEN", "--file", "../testdata/chains/discover.yaml")...)
		for _, want := range []string{
			"rules: from the service's metadata",
			"reject  ✓",
			"(the service's metadata)",
			`note: the token is for "api://workouts", not for this service's resource "` + cat.URL + `/items"`,
			"jwtrace login --protected-resource " + cat.URL + "/items",
		} {
			if !strings.Contains(r.out, want) {
				t.Errorf("%q: no %q in\n%s", args, want, r.out)
			}
		}
		if r.code != ExitRejected {
			t.Errorf("%q: exit %d", args, r.code)
		}
	}
}
