package chain

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/demo/resource"
	"github.com/jwtrace/jwtrace/verify"
)

// lateHandler is a server whose handler is set once its URL is known (a
// resource server whose audience is its own URL).
type lateHandler struct{ h atomic.Pointer[http.Handler] }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*l.h.Load()).ServeHTTP(w, r)
}

// startResource starts a demo resource server; cfg's audience may name
// "{url}", the server's own URL.
func startResource(t *testing.T, cfg resource.Config) string {
	t.Helper()
	l := &lateHandler{}
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	for i, a := range cfg.Policy.Audience.Value {
		cfg.Policy.Audience.Value[i] = strings.ReplaceAll(a, "{url}", srv.URL)
	}
	if cfg.Resource != "" {
		cfg.Resource = strings.ReplaceAll(cfg.Resource, "{url}", srv.URL)
	}
	h, err := resource.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.h.Store(&h)
	return srv.URL
}

func servicePolicy(iss string, aud ...string) verify.Policy {
	return verify.Policy{Authority: verify.Some(iss), Issuer: verify.List(iss), Audience: verify.List(aud...)}
}

func metaRunner(token string) *Runner {
	return &Runner{Client: &http.Client{Timeout: 5 * time.Second}, Token: token, Fetcher: &verify.Fetcher{AllowHTTP: true}}
}

func hasNote(res *Result, sub string) bool {
	for _, n := range res.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

func TestMetadataURLInsertsTheWellKnownString(t *testing.T) {
	// RFC 9728 §3.1's examples, and a query kept after the path.
	for in, want := range map[string]string{
		"https://resource.example.com":           "https://resource.example.com/.well-known/oauth-protected-resource",
		"https://resource.example.com/":          "https://resource.example.com/.well-known/oauth-protected-resource",
		"https://resource.example.com/resource1": "https://resource.example.com/.well-known/oauth-protected-resource/resource1",
		"http://127.0.0.1:8081/a/b?x=1#frag":     "http://127.0.0.1:8081/.well-known/oauth-protected-resource/a/b?x=1",
	} {
		got, err := MetadataURL(in)
		if err != nil || got != want {
			t.Errorf("MetadataURL(%q) = %q, %v; want %q", in, got, err, want)
		}
		if back := ResourceOf(got); !SameResource(back, strings.Split(in, "#")[0]) {
			t.Errorf("ResourceOf(%q) = %q, not %q", got, back, in)
		}
	}
	if ResourceOf("https://h/.well-known/oauth-protected-resourcex") != "" || ResourceOf("https://h/meta.json") != "" {
		t.Error("a URL not of the well-known form has no resource identifier")
	}
	if !SameResource("HTTPS://Host:443", "https://host/") || SameResource("https://host/a", "https://host/a/") || SameResource("https://host", "http://host") {
		t.Error("SameResource")
	}
}

func TestMetadataFromChallengePredictsAndNamesAudience(t *testing.T) {
	a := authoritytest.Start(t)
	billing := startResource(t, resource.Config{Name: "billing", Policy: servicePolicy(a.Issuer, "{url}/plan")})
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "scope": "workouts.read"})

	res := metaRunner(token).Hop(context.Background(), 1, &Hop{Method: "GET", URL: billing + "/plan"})
	if res.Verdict != Rejected {
		t.Fatalf("verdict %s", res.Verdict)
	}
	md := res.Metadata
	if md == nil || !md.Usable() || md.From != MetadataFromChallenge || md.URL != billing+"/.well-known/oauth-protected-resource/plan" {
		t.Fatalf("metadata %+v, notes %q", md, res.Notes)
	}
	if md.Resource != billing+"/plan" || len(md.AuthorizationServers) != 1 || md.AuthorizationServers[0] != a.Issuer ||
		md.ResourceName != "billing" || strings.Join(md.BearerMethodsSupported, ",") != "header" {
		t.Errorf("metadata %+v", md)
	}
	// The hop declares no rules: the service's metadata is the rules.
	if res.RulesFrom != RulesMetadata || res.Prediction == nil || res.Prediction.Error != "" || res.Prediction.Accept {
		t.Fatalf("rules from %q, prediction %+v", res.RulesFrom, res.Prediction)
	}
	if res.Agrees == nil || !*res.Agrees {
		t.Errorf("the server rejected and the metadata's rules reject: agrees %v", res.Agrees)
	}
	if res.Cause == nil || res.Cause.Claim != "aud" || res.Cause.From != RulesMetadata {
		t.Errorf("cause %+v", res.Cause)
	}
	if !hasNote(res, `the token is for "api://workouts", not for this service's resource "`+billing+`/plan"`) ||
		!hasNote(res, "jwtrace login --protected-resource "+billing+"/plan") {
		t.Errorf("notes %q", res.Notes)
	}
	if hasNote(res, "authorization servers") {
		t.Errorf("the token's iss is the service's authorization server: %q", res.Notes)
	}
	b, err := json.Marshal(res)
	if err != nil || !strings.Contains(string(b), `"rules_from":"metadata"`) || !strings.Contains(string(b), `"authorization_servers":["`+a.Issuer+`"]`) {
		t.Errorf("JSON %s %v", b, err)
	}
}

func TestDiscoverPredictsAcceptanceThatAgrees(t *testing.T) {
	a := authoritytest.Start(t)
	svc := startResource(t, resource.Config{Name: "plans", Policy: servicePolicy(a.Issuer, "{url}/plan")})
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": svc + "/plan"})
	h := &Hop{Method: "GET", URL: svc + "/plan"}

	// An accepted hop sends no challenge: without Discover, nothing.
	r := metaRunner(token)
	res := r.Hop(context.Background(), 1, h)
	if res.Verdict != Accepted || res.Metadata != nil || res.Prediction != nil || res.RulesFrom != "" {
		t.Fatalf("without Discover: %s, metadata %+v, prediction %+v", res.Verdict, res.Metadata, res.Prediction)
	}
	r.Discover = true
	res = r.Hop(context.Background(), 1, h)
	md := res.Metadata
	if !md.Usable() || md.From != MetadataFromWellKnown || md.URL != svc+"/.well-known/oauth-protected-resource/plan" || md.Resource != svc+"/plan" {
		t.Fatalf("metadata %+v, notes %q", md, res.Notes)
	}
	if res.RulesFrom != RulesMetadata || res.Prediction == nil || !res.Prediction.Accept || res.Agrees == nil || !*res.Agrees {
		t.Fatalf("rules from %q, prediction %+v, agrees %v, notes %q", res.RulesFrom, res.Prediction, res.Agrees, res.Notes)
	}
	if len(res.Notes) > 0 {
		t.Errorf("a token that fits the metadata gets no note: %q", res.Notes)
	}
}

func TestDeclaredRulesWinButMismatchesAreNamed(t *testing.T) {
	a := authoritytest.Start(t)
	other := authoritytest.Start(t)
	svc := startResource(t, resource.Config{Name: "orders", Policy: servicePolicy(a.Issuer, "{url}/orders")})
	// A token from another authority, for another audience.
	token := other.Mint(t, map[string]any{"sub": "alice", "aud": "api://orders"})
	h := &Hop{Method: "GET", URL: svc + "/orders", Rules: NewRules(servicePolicy(other.Issuer, "api://orders"))}

	res := metaRunner(token).Hop(context.Background(), 1, h)
	if res.Verdict != Rejected || !res.Metadata.Usable() {
		t.Fatalf("verdict %s, metadata %+v, notes %q", res.Verdict, res.Metadata, res.Notes)
	}
	if res.RulesFrom != RulesDeclared || res.Prediction == nil || !res.Prediction.Accept {
		t.Errorf("the declared rules predict: from %q, %+v", res.RulesFrom, res.Prediction)
	}
	want := fmt.Sprintf(`the token comes from %q, not from one of this service's authorization servers ("%s")`, other.Issuer, a.Issuer)
	if !hasNote(res, want) || !hasNote(res, `the token is for "api://orders", not for this service's resource`) {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestMissingScopeOfTheChallengeIsNamed(t *testing.T) {
	a := authoritytest.Start(t)
	pol := servicePolicy(a.Issuer, "{url}/reports")
	pol.Scopes = verify.List("reports.read", "reports.export")
	svc := startResource(t, resource.Config{Name: "reports", Policy: pol})
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": svc + "/reports", "scope": "reports.read"})

	res := metaRunner(token).Hop(context.Background(), 1, &Hop{Method: "GET", URL: svc + "/reports"})
	if res.Status != 403 || !res.Metadata.Usable() {
		t.Fatalf("status %d, metadata %+v, notes %q", res.Status, res.Metadata, res.Notes)
	}
	if !hasNote(res, `the token lacks scope "reports.export", which the service's challenge requires (scope="reports.read reports.export"): log in again asking for it (--scope reports.export)`) {
		t.Errorf("notes %q", res.Notes)
	}
	if got := strings.Join(res.Metadata.ScopesSupported, " "); got != "reports.read reports.export" {
		t.Errorf("scopes_supported %q", got)
	}
	if hasNote(res, "not for this service's resource") || hasNote(res, "authorization servers") {
		t.Errorf("only the scope is wrong: %q", res.Notes)
	}
}

func TestMetadataForAnotherResourceIsNotUsed(t *testing.T) {
	a := authoritytest.Start(t)
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://x"})
	// A service whose metadata describes another of its paths.
	svc := startResource(t, resource.Config{Name: "x", Policy: servicePolicy(a.Issuer, "api://other"), Resource: "{url}/admin"})
	res := metaRunner(token).Hop(context.Background(), 1, &Hop{Method: "GET", URL: svc + "/plan?debug=1"})
	if res.Metadata == nil || res.Metadata.Usable() || !strings.Contains(res.Metadata.Error, "RFC 9728 §3.3") {
		t.Fatalf("metadata %+v", res.Metadata)
	}
	if !hasNote(res, `not used: it names resource "`+svc+`/admin", which is not the hop's URL`) || res.Prediction != nil || res.RulesFrom != "" {
		t.Errorf("notes %q, prediction %+v", res.Notes, res.Prediction)
	}

	// A document whose resource is not the identifier its URL was built
	// from.
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/") {
			fmt.Fprintf(w, `{"resource":"https://bank.example/api","authorization_servers":[%q]}`, a.Issuer)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource/api"`)
		w.WriteHeader(401)
	}))
	t.Cleanup(srv.Close)
	for _, discover := range []bool{false, true} {
		r := metaRunner(token)
		r.Discover = discover
		res := r.Hop(context.Background(), 1, &Hop{Method: "GET", URL: srv.URL + "/api"})
		if res.Metadata == nil || res.Metadata.Usable() || res.Prediction != nil ||
			!hasNote(res, `it names resource "https://bank.example/api", not "`+srv.URL+`/api", the identifier its URL was built from (RFC 9728 §3.3)`) {
			t.Errorf("discover %v: metadata %+v, notes %q", discover, res.Metadata, res.Notes)
		}
	}
}

// hostile is a service whose challenge names its own metadata, served by
// meta; metaHits counts the metadata requests and authSeen those that
// carried an Authorization header.
type hostile struct {
	srv                *httptest.Server
	metaHits, authSeen atomic.Int32
}

func startHostile(t *testing.T, meta http.HandlerFunc) *hostile {
	h := &hostile{}
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

func TestHostileMetadataIsANoteNeverAPanic(t *testing.T) {
	offHost := startHostile(t, func(w http.ResponseWriter, r *http.Request) {})
	for name, c := range map[string]struct {
		meta http.HandlerFunc
		want string
	}{
		"huge": {func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"resource":"`+strings.Repeat("a", 200<<10)+`"}`)
		}, "larger than 64 KiB; refused"},
		"deep": {func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Repeat("[", 5000)+strings.Repeat("]", 5000))
		}, "nested more than 32 levels deep"},
		"not JSON": {func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html>\x1b[31mhello</html>")
		}, "the document is not JSON"},
		"not an object": {func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `["resource"]`)
		}, "not a JSON object"},
		"wrong types": {func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"resource":"x","authorization_servers":"https://a"}`)
		}, "its authorization_servers is not a list of strings"},
		"no resource": {func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"authorization_servers":["https://a"]}`)
		}, "it has no resource"},
		"duplicate": {func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"resource":"http://%s/api","resource":"https://bank.example"}`, r.Host)
		}, `names "resource" more than once`},
		"404": {func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(404)
		}, "it answered 404"},
		"redirect off-host": {func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, offHost.srv.URL+"/.well-known/oauth-protected-resource/api", http.StatusFound)
		}, "it redirects to another host"},
	} {
		t.Run(name, func(t *testing.T) {
			h := startHostile(t, c.meta)
			r := metaRunner("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")
			res := r.Hop(context.Background(), 1, &Hop{Method: "GET", URL: h.srv.URL + "/api"})
			if res.Metadata == nil || res.Metadata.Usable() || !strings.Contains(res.Metadata.Error, c.want) {
				t.Fatalf("metadata %+v", res.Metadata)
			}
			if !hasNote(res, "protected resource metadata "+h.srv.URL+"/.well-known/oauth-protected-resource/api not used: ") {
				t.Errorf("notes %q", res.Notes)
			}
			for _, n := range res.Notes {
				if strings.ContainsAny(n, "\x1b\n") || len(n) > 2000 {
					t.Errorf("raw or unbounded server text in a note: %q", n)
				}
			}
			if h.authSeen.Load() != 0 || offHost.authSeen.Load() != 0 {
				t.Error("the metadata request carried the token")
			}
		})
	}
	if offHost.metaHits.Load() != 0 {
		t.Error("the off-host redirect was followed")
	}
}

func TestMetadataOnAnotherHostIsNotFetched(t *testing.T) {
	elsewhere := startHostile(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"resource":"x"}`) })
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+elsewhere.srv.URL+`/.well-known/oauth-protected-resource"`)
		w.WriteHeader(401)
	}))
	t.Cleanup(svc.Close)
	r := metaRunner("opaque-token-value")
	res := r.Hop(context.Background(), 1, &Hop{Method: "GET", URL: svc.URL + "/api"})
	if res.Metadata == nil || !strings.Contains(res.Metadata.Error, "neither the hop's host nor one you named") || elsewhere.metaHits.Load() != 0 {
		t.Fatalf("metadata %+v, hits %d", res.Metadata, elsewhere.metaHits.Load())
	}
	// A host the user named (another hop's) is fetched from.
	r.MetadataHosts = NamedOrigins([]Hop{{URL: svc.URL}, {URL: elsewhere.srv.URL + "/x"}})
	res = r.Hop(context.Background(), 1, &Hop{Method: "GET", URL: svc.URL + "/api"})
	if elsewhere.metaHits.Load() != 1 || res.Metadata == nil || strings.Contains(res.Metadata.Error, "neither") {
		t.Errorf("named host: hits %d, metadata %+v", elsewhere.metaHits.Load(), res.Metadata)
	}
}

func TestMetadataIsFetchedOncePerRun(t *testing.T) {
	h := startHostile(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"resource":"http://%s/api","authorization_servers":["http://127.0.0.1:1"]}`, r.Host)
	})
	hops := []Hop{{Method: "GET", URL: h.srv.URL + "/api"}, {Method: "GET", URL: h.srv.URL + "/api/x"}, {Method: "GET", URL: h.srv.URL + "/api"}}
	rep, err := Run(context.Background(), Request{Hops: hops, Token: "opaque-token-value", Client: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rep.Hops {
		if !res.Metadata.Usable() {
			t.Errorf("hop %d: metadata %+v", res.Index, res.Metadata)
		}
	}
	if n := h.metaHits.Load(); n != 1 {
		t.Errorf("%d metadata requests for one URL", n)
	}
}

func TestDiscoverFallsBackToTheOriginsMetadata(t *testing.T) {
	// A service that publishes one document, at the root, for all its
	// paths (as Spring Security does).
	var paths []string
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/") {
			paths = append(paths, r.URL.Path)
			if r.URL.Path != "/.well-known/oauth-protected-resource" {
				w.WriteHeader(404)
				return
			}
			fmt.Fprintf(w, `{"resource":"http://%s","authorization_servers":["http://127.0.0.1:1"],"resource_signing_alg_values_supported":["ES256"]}`, r.Host)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(svc.Close)
	r := metaRunner("opaque-token-value")
	r.Discover = true
	res := r.Hop(context.Background(), 1, &Hop{Method: "GET", URL: svc.URL + "/v1/items"})
	if !res.Metadata.Usable() || res.Metadata.URL != svc.URL+"/.well-known/oauth-protected-resource" || strings.Join(res.Metadata.ResourceSigningAlgValuesSupported, ",") != "ES256" {
		t.Fatalf("metadata %+v, notes %q", res.Metadata, res.Notes)
	}
	if strings.Join(paths, " ") != "/.well-known/oauth-protected-resource/v1/items /.well-known/oauth-protected-resource" {
		t.Errorf("requests %q", paths)
	}
}

func TestSlowMetadataIsBoundedInTime(t *testing.T) {
	h := startHostile(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	r := metaRunner("opaque-token-value")
	r.Client = &http.Client{Timeout: 300 * time.Millisecond}
	start := time.Now()
	res := r.Hop(context.Background(), 1, &Hop{Method: "GET", URL: h.srv.URL + "/api"})
	if res.Metadata == nil || !strings.Contains(res.Metadata.Error, "no answer in time") || time.Since(start) > 5*time.Second {
		t.Errorf("after %s: metadata %+v", time.Since(start), res.Metadata)
	}
}

func TestMetadataRedirectsOnlyOnTheSameHostAndBounded(t *testing.T) {
	// A same-host redirect is followed (a service moving its document).
	moved := startHostile(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-protected-resource/v2/api" {
			http.Redirect(w, r, "/.well-known/oauth-protected-resource/v2/api", http.StatusMovedPermanently)
			return
		}
		fmt.Fprintf(w, `{"resource":"http://%s/api"}`, r.Host)
	})
	res := metaRunner("opaque-token-value").Hop(context.Background(), 1, &Hop{Method: "GET", URL: moved.srv.URL + "/api"})
	if !res.Metadata.Usable() || res.Metadata.Resource != moved.srv.URL+"/api" || moved.metaHits.Load() != 2 {
		t.Errorf("same-host redirect: metadata %+v, %d requests", res.Metadata, moved.metaHits.Load())
	}
	// A loop stops after netx.MaxRedirects.
	loop := startHostile(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"/x", http.StatusFound)
	})
	res = metaRunner("opaque-token-value").Hop(context.Background(), 1, &Hop{Method: "GET", URL: loop.srv.URL + "/api"})
	if res.Metadata == nil || res.Metadata.Usable() || !strings.Contains(res.Metadata.Error, "stopped after 5 redirects") || loop.metaHits.Load() > 6 {
		t.Errorf("redirect loop: metadata %+v, %d requests", res.Metadata, loop.metaHits.Load())
	}
	if moved.authSeen.Load()+loop.authSeen.Load() != 0 {
		t.Error("a redirected metadata request carried the token")
	}
}

// The metadata is kept on disk as discovery documents are: for as long as
// its Cache-Control allows, never with no-store, and a hostile document
// that was refused is not kept.
func TestMetadataIsCachedLikeDiscovery(t *testing.T) {
	for _, tc := range []struct {
		name, cacheControl string
		body               string
		hits               int32 // after two runs
		cached             bool  // the second run's
	}{
		{"max-age", "max-age=300", `{"resource":"http://%s/api","authorization_servers":["http://127.0.0.1:1"]}`, 1, true},
		{"no-store", "no-store", `{"resource":"http://%s/api","authorization_servers":["http://127.0.0.1:1"]}`, 2, false},
		{"refused", "max-age=300", `{"resource":"http://%s/api","authorization_servers":"not a list"}`, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", tc.cacheControl)
				fmt.Fprintf(w, tc.body, r.Host)
			})
			dir := t.TempDir()
			var last *Result
			for range 2 {
				f := &verify.Fetcher{AllowHTTP: true, Cache: &verify.Cache{Dir: dir}}
				rep, err := Run(context.Background(), Request{Hops: []Hop{{Method: "GET", URL: h.srv.URL + "/api"}}, Token: "opaque-token-value",
					Client: &http.Client{Timeout: 5 * time.Second}, Fetcher: f})
				if err != nil {
					t.Fatal(err)
				}
				last = rep.Hops[0]
			}
			if n := h.metaHits.Load(); n != tc.hits {
				t.Errorf("%d metadata requests in two runs, want %d", n, tc.hits)
			}
			if last.Metadata == nil || last.Metadata.Cached != tc.cached {
				t.Errorf("second run's metadata %+v, want cached %v", last.Metadata, tc.cached)
			}
		})
	}
}
