package resource

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority"
	"github.com/jwtrace/jwtrace/authority/authoritytest"

	"github.com/jwtrace/jwtrace/internal/syncbuf"
	"github.com/jwtrace/jwtrace/verify"
)

// pol is the policy of a service that accepts tokens of iss for aud with
// the scopes.
func pol(iss, aud string, scopes ...string) verify.Policy {
	p := verify.Policy{Issuer: verify.List(iss), Audience: verify.List(aud)}
	if len(scopes) > 0 {
		p.Scopes = verify.List(scopes...)
	}
	return p
}

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

type reply struct {
	status    int
	challenge string
	header    http.Header
	raw       string
	body      Response
}

// call sends GET url with the given Authorization headers.
func call(t *testing.T, target string, authorization ...string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), header: resp.Header, raw: string(raw)}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, raw)
	}
	return r
}

func bearer(tok string) string { return "Bearer " + tok }

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAcceptsAValidToken(t *testing.T) {
	auth := authoritytest.Start(t)
	log := &syncbuf.Buffer{}
	srv := start(t, Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts", "workouts.read"), Log: log})
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": []string{"api://workouts", "api://other"}, "scope": "openid workouts.read"})

	r := call(t, srv.URL+"/workouts", bearer(tok))
	if r.status != 200 || r.challenge != "" {
		t.Fatalf("status %d, challenge %q, body %s", r.status, r.challenge, r.raw)
	}
	b := r.body
	if b.Service != "workouts" || b.User != "alice" || !equal(b.Aud, []string{"api://workouts", "api://other"}) ||
		!equal(b.Scopes, []string{"openid", "workouts.read"}) || b.Error != "" || b.Downstream != nil {
		t.Errorf("body %s", r.raw)
	}
	// The scheme is case-insensitive (RFC 9110 §11.1).
	if r := call(t, srv.URL, "bearer  "+tok); r.status != 200 {
		t.Errorf("lower-case scheme: status %d %s", r.status, r.raw)
	}
	if !strings.Contains(log.String(), `workouts GET "/workouts" 200`) || !strings.Contains(log.String(), `user \"alice\"`) {
		t.Errorf("log:\n%s", log)
	}
}

func TestNoTokenIsAChallengeWithoutError(t *testing.T) {
	// The issuer does not answer: a request without a token must not need
	// the keys.
	srv := start(t, Config{Name: "workouts", Policy: pol("http://127.0.0.1:1", "api://workouts")})
	for _, auth := range [][]string{nil, {"Basic YWxpY2U6c2VjcmV0"}, {"Bearertoken"}} {
		r := call(t, srv.URL, auth...)
		if r.status != 401 || r.challenge != `Bearer realm="workouts", resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource"` {
			t.Errorf("%q: status %d, challenge %q", auth, r.status, r.challenge)
		}
		if r.body.Service != "workouts" || r.body.Error != "" {
			t.Errorf("%q: body %s", auth, r.raw)
		}
	}
}

func TestMalformedRequestsAreInvalidRequest(t *testing.T) {
	srv := start(t, Config{Name: "workouts", Policy: pol("http://127.0.0.1:1", "api://workouts")})
	for name, c := range map[string]struct {
		url  string
		auth []string
		desc string
	}{
		"two headers":      {srv.URL, []string{"Bearer a.b.c", "Bearer d.e.f"}, "more than one Authorization header"},
		"no token":         {srv.URL, []string{"Bearer   "}, "the Authorization header has no token after Bearer"},
		"token in the URL": {srv.URL + "/?access_token=a.b.c", nil, "send the token in the Authorization header, not in the URL"},
	} {
		r := call(t, c.url, c.auth...)
		want := `Bearer realm="workouts", error="invalid_request", error_description="` + c.desc + `", resource_metadata="` + srv.URL + `/.well-known/oauth-protected-resource"`
		if r.status != 400 || r.challenge != want || r.body.Error != "invalid_request" || r.body.ErrorDescription != c.desc {
			t.Errorf("%s: status %d, challenge %q, body %s", name, r.status, r.challenge, r.raw)
		}
	}
}

func TestInvalidTokens(t *testing.T) {
	auth := authoritytest.Start(t)
	other := authoritytest.Start(t) // another authority's key, same kid format
	now := time.Now()
	srv := start(t, Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts"),
		Now: func() time.Time { return now }})
	good := map[string]any{"sub": "alice", "aud": "api://workouts"}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for k, v := range good {
			c[k] = v
		}
		c[k] = v
		return c
	}
	tok := auth.Mint(t, good)
	h, p, s := parts(t, tok)
	// Flip a character in the middle of the signature: still strict
	// base64url, no longer the signature.
	flipped := []byte(s)
	if flipped[10] == 'A' {
		flipped[10] = 'B'
	} else {
		flipped[10] = 'A'
	}
	_, evilPayload, _ := parts(t, auth.Mint(t, with("sub", "mallory")))
	foreign := other.Mint(t, with("iss", auth.Issuer))

	for _, c := range []struct {
		name, token, failed, desc string
	}{
		{"wrong audience", auth.Mint(t, with("aud", "api://billing")), "audience", "token aud [api://billing] has none of: api://workouts"},
		{"expired", auth.Mint(t, with("exp", now.Add(-2*time.Hour).Unix())), "expiry", "expired 2h ago, at "},
		{"wrong issuer", auth.Mint(t, with("iss", "https://evil.example")), "issuer", "token iss 'https://evil.example' is not an accepted issuer"},
		{"tampered signature", h + "." + p + "." + string(flipped), "signature", "the signature does not verify with "},
		{"tampered payload", h + "." + evilPayload + "." + s, "signature", "the signature does not verify with "},
		{"another authority's key", foreign, "key", "kid '"},
		{"garbage", "not-a-token", "format", "1 part instead of 3: not a compact JWS"},
		{"alg none", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.x", "format", "alg 'none': the token is unsigned"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := call(t, srv.URL, bearer(c.token))
			prefix := `Bearer realm="workouts", error="invalid_token", error_description="`
			if r.status != 401 || !strings.HasPrefix(r.challenge, prefix+c.desc) || !strings.HasSuffix(r.challenge, `"`) {
				t.Errorf("status %d, challenge %q", r.status, r.challenge)
			}
			if r.body.Error != "invalid_token" || r.body.User != "" || (c.failed != "" && (len(r.body.Failed) == 0 || r.body.Failed[0] != c.failed)) {
				t.Errorf("body %s", r.raw)
			}
			if strings.Contains(r.challenge, "scope=") {
				t.Errorf("an invalid token is not a scope problem: %q", r.challenge)
			}
		})
	}
	// The wrong issuer's description had quotes; the JSON keeps them.
	r := call(t, srv.URL, bearer(auth.Mint(t, with("iss", "https://evil.example"))))
	if r.body.ErrorDescription != `token iss "https://evil.example" is not an accepted issuer` {
		t.Errorf("description %q", r.body.ErrorDescription)
	}
}

func parts(t *testing.T, tok string) (h, p, s string) {
	t.Helper()
	f := strings.Split(tok, ".")
	if len(f) != 3 {
		t.Fatalf("not a JWS: %s", tok)
	}
	return f[0], f[1], f[2]
}

func TestLeewayAcceptsSkew(t *testing.T) {
	auth := authoritytest.Start(t)
	late := time.Now().Add(time.Hour + 30*time.Second) // the token lives 1h
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	strict := start(t, Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts"), Now: func() time.Time { return late }})
	if r := call(t, strict.URL, bearer(tok)); r.status != 401 {
		t.Errorf("without leeway: status %d %s", r.status, r.raw)
	}
	p := pol(auth.Issuer, "api://workouts")
	p.Leeway = verify.DurationOf(time.Minute)
	srv := start(t, Config{Name: "workouts", Policy: p, Now: func() time.Time { return late }})
	if r := call(t, srv.URL, bearer(tok)); r.status != 200 {
		t.Errorf("status %d %s", r.status, r.raw)
	}
}

// A policy that declares only the authority takes it as the issuer too,
// and the keys from its discovery; one that declares a JWKS URL takes the
// keys from there.
func TestPolicyKeySources(t *testing.T) {
	auth := authoritytest.Start(t)
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	for name, p := range map[string]verify.Policy{
		"authority": {Authority: verify.Some(auth.Issuer), Audience: verify.List("api://workouts")},
		"jwks url":  {JWKSURL: verify.Some(auth.Issuer + authority.PathJWKS), Issuer: verify.List(auth.Issuer), Audience: verify.List("api://workouts")},
	} {
		srv := start(t, Config{Name: "workouts", Policy: p})
		if r := call(t, srv.URL, bearer(tok)); r.status != 200 {
			t.Errorf("%s: status %d %s", name, r.status, r.raw)
		}
	}
}

func TestMissingScopeIsForbidden(t *testing.T) {
	auth := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.ScopeClaim = "scp" }))
	srv := start(t, Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts", "workouts.read", "workouts.write")})
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "scp": "workouts.read"})
	r := call(t, srv.URL, bearer(tok))
	want := `Bearer realm="workouts", error="insufficient_scope", scope="workouts.read workouts.write", error_description="missing workouts.write; the token has: workouts.read", resource_metadata="` + srv.URL + `/.well-known/oauth-protected-resource"`
	if r.status != 403 || r.challenge != want {
		t.Errorf("status %d, challenge\n%q, want\n%q", r.status, r.challenge, want)
	}
	if r.body.Error != "insufficient_scope" || r.body.Scope != "workouts.read workouts.write" || !equal(r.body.Failed, []string{"scopes"}) {
		t.Errorf("body %s", r.raw)
	}
	// No scope at all: the em dash verify writes becomes ASCII.
	r = call(t, srv.URL, bearer(auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})))
	if r.status != 403 || !strings.Contains(r.challenge, `error_description="missing workouts.read workouts.write; the token has: -", `) {
		t.Errorf("status %d, challenge %q", r.status, r.challenge)
	}
	// An invalid token without the scopes is invalid first.
	r = call(t, srv.URL, bearer(auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://billing"})))
	if r.status != 401 || !strings.Contains(r.challenge, `error="invalid_token"`) {
		t.Errorf("status %d, challenge %q", r.status, r.challenge)
	}
}

func TestChainBothAccept(t *testing.T) {
	auth := authoritytest.Start(t)
	log := &syncbuf.Buffer{}
	b := start(t, Config{Name: "workout-log", Policy: pol(auth.Issuer, "api://workouts"), Log: log})
	a := start(t, Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts"), Downstream: b.URL + "/log", Log: log})
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "scope": "workouts.read"})

	r := call(t, a.URL, bearer(tok))
	if r.status != 200 || r.body.Service != "workouts" || r.body.User != "alice" {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	ds := r.body.Downstream
	if ds == nil || ds.URL != b.URL+"/log" || ds.Status != 200 || ds.Error != "" || ds.WWWAuthenticate != "" {
		t.Fatalf("downstream %s", r.raw)
	}
	var inner Response
	if err := json.Unmarshal(ds.Body, &inner); err != nil {
		t.Fatalf("the downstream body is not its JSON: %v %s", err, ds.Body)
	}
	if inner.Service != "workout-log" || inner.User != "alice" || !equal(inner.Aud, []string{"api://workouts"}) || !equal(inner.Scopes, []string{"workouts.read"}) {
		t.Errorf("downstream said %s", ds.Body)
	}
	if !strings.Contains(log.String(), `workout-log GET "/log" 200`) {
		t.Errorf("log:\n%s", log)
	}
}

func TestChainDownstreamRefuses(t *testing.T) {
	auth := authoritytest.Start(t)
	billing := start(t, Config{Name: "billing", Policy: pol(auth.Issuer, "api://billing")})
	a := start(t, Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts"), Downstream: billing.URL})
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})

	r := call(t, a.URL, bearer(tok))
	if r.status != 502 || r.challenge != "" {
		t.Fatalf("status %d, challenge %q: %s", r.status, r.challenge, r.raw)
	}
	// workouts accepted: its own part is there.
	if r.body.User != "alice" || r.body.Error != "" {
		t.Errorf("body %s", r.raw)
	}
	ds := r.body.Downstream
	want := `Bearer realm="billing", error="invalid_token", error_description="token aud [api://workouts] has none of: api://billing", resource_metadata="` + billing.URL + `/.well-known/oauth-protected-resource"`
	if ds == nil || ds.Status != 401 || ds.WWWAuthenticate != want {
		t.Fatalf("downstream %s", r.raw)
	}
	var inner Response
	if err := json.Unmarshal(ds.Body, &inner); err != nil || inner.Service != "billing" || inner.Error != "invalid_token" {
		t.Errorf("downstream body %s (%v)", ds.Body, err)
	}
}

func TestDownstreamFailures(t *testing.T) {
	auth := authoritytest.Start(t)
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	cfg := func(downstream string) Config {
		return Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts"), Downstream: downstream}
	}

	t.Run("redirects are not followed", func(t *testing.T) {
		var leaked atomic.Int32
		elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { leaked.Add(1) }))
		defer elsewhere.Close()
		redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusFound))
		defer redirect.Close()
		r := call(t, start(t, cfg(redirect.URL)).URL, bearer(tok))
		if r.status != 502 || r.body.Downstream == nil || r.body.Downstream.Status != 302 {
			t.Errorf("status %d %s", r.status, r.raw)
		}
		if leaked.Load() != 0 {
			t.Error("the token followed the redirect")
		}
	})
	t.Run("not JSON, too long", func(t *testing.T) {
		big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Repeat("x", MaxDownstreamBytes+100))
		}))
		defer big.Close()
		r := call(t, start(t, cfg(big.URL)).URL, bearer(tok))
		ds := r.body.Downstream
		var s string
		if r.status != 200 || ds == nil || !ds.Truncated || json.Unmarshal(ds.Body, &s) != nil || len(s) != MaxDownstreamBytes {
			t.Errorf("status %d, downstream %+v", r.status, ds)
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		r := call(t, start(t, cfg("http://127.0.0.1:1/")).URL, bearer(tok))
		ds := r.body.Downstream
		if r.status != 502 || ds == nil || ds.Status != 0 || !strings.Contains(ds.Error, "refused") {
			t.Errorf("status %d %s", r.status, r.raw)
		}
	})
	t.Run("too many hops", func(t *testing.T) {
		srv := start(t, cfg("http://127.0.0.1:1/"))
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", bearer(tok))
		req.Header.Set(HopsHeader, "8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body Response
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusLoopDetected ||
			body.Downstream == nil || !strings.Contains(body.Downstream.Error, "a loop?") {
			t.Errorf("status %d, %+v (%v)", resp.StatusCode, body.Downstream, err)
		}
	})
	t.Run("the hop count is passed on", func(t *testing.T) {
		var got atomic.Value
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got.Store(r.Header.Get(HopsHeader) + " " + r.Header.Get("Authorization"))
			io.WriteString(w, `{"ok":true}`)
		}))
		defer echo.Close()
		r := call(t, start(t, cfg(echo.URL)).URL, bearer(tok))
		if r.status != 200 || got.Load() != "1 Bearer "+tok || string(r.body.Downstream.Body) != `{"ok":true}` {
			t.Errorf("status %d, downstream got %v, body %s", r.status, got.Load(), r.raw)
		}
	})
}

func TestAuthorityDownThenUp(t *testing.T) {
	// A front that answers 503 until the authority is "up", then proxies
	// to it. The authority's issuer is the front.
	var up atomic.Bool
	var proxy atomic.Pointer[httputil.ReverseProxy]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		proxy.Load().ServeHTTP(w, r)
	}))
	defer front.Close()
	auth := authoritytest.Start(t, authoritytest.WithConfig(func(c *authority.Config) { c.Issuer = front.URL }))
	target, _ := url.Parse(auth.URL)
	proxy.Store(httputil.NewSingleHostReverseProxy(target))

	srv := start(t, Config{Name: "workouts", Policy: pol(front.URL, "api://workouts")})
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	r := call(t, srv.URL, bearer(tok))
	if r.status != 503 || r.challenge != "" || r.header.Get("Retry-After") != "1" || r.body.Error != "temporarily_unavailable" ||
		!strings.Contains(r.body.ErrorDescription, "503") {
		t.Fatalf("status %d, challenge %q, body %s", r.status, r.challenge, r.raw)
	}
	up.Store(true)
	if r := call(t, srv.URL, bearer(tok)); r.status != 200 || r.body.User != "alice" {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	// The keys are kept: the authority going away again changes nothing.
	up.Store(false)
	if r := call(t, srv.URL, bearer(tok)); r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
}

func TestConcurrentFirstRequests(t *testing.T) {
	auth := authoritytest.Start(t)
	srv := start(t, Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts")})
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts"})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if r := call(t, srv.URL, bearer(tok)); r.status != 200 {
				t.Errorf("status %d %s", r.status, r.raw)
			}
		})
	}
	wg.Wait()
}

func TestKeysRotatingTwice(t *testing.T) {
	auth := authoritytest.Start(t)
	var skew atomic.Int64 // this service's clock runs ahead by skew
	srv := start(t, Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts"),
		Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	claims := map[string]any{"sub": "alice", "aud": "api://workouts"}
	if r := call(t, srv.URL, bearer(auth.Mint(t, claims))); r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	auth.RotateKey(t) // verify's key set refetches once
	if r := call(t, srv.URL, bearer(auth.Mint(t, claims))); r.status != 200 {
		t.Fatalf("first rotation: status %d %s", r.status, r.raw)
	}
	auth.RotateKey(t)
	tok := auth.Mint(t, claims)
	if r := call(t, srv.URL, bearer(tok)); r.status != 401 || !strings.Contains(r.challenge, "not found") {
		t.Fatalf("second rotation, keys just loaded: status %d, challenge %q", r.status, r.challenge)
	}
	skew.Add(int64(ReloadInterval))
	if r := call(t, srv.URL, bearer(tok)); r.status != 200 {
		t.Fatalf("second rotation, after ReloadInterval: status %d %s", r.status, r.raw)
	}
}

func TestTheTokenIsNeverLogged(t *testing.T) {
	auth := authoritytest.Start(t)
	log := &syncbuf.Buffer{}
	b := start(t, Config{Name: "billing", Policy: pol(auth.Issuer, "api://billing"), Log: log})
	a := start(t, Config{Name: "workouts", Policy: pol(auth.Issuer, "api://workouts", "x"), Downstream: b.URL, Log: log})
	c := start(t, Config{Name: "plain", Policy: pol(auth.Issuer, "api://workouts"), Downstream: b.URL, Log: log})
	tok := auth.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "scope": "x"})
	bad := tok[:len(tok)-1] + "!"
	call(t, a.URL, bearer(tok))          // 502: billing refuses
	call(t, c.URL, bearer(tok))          // 502 too
	call(t, a.URL, bearer(bad))          // 401
	call(t, a.URL+"/?access_token="+tok) // 400
	h, p, s := parts(t, tok)
	text := log.String()
	if strings.Count(text, "\n") != 6 {
		t.Errorf("want 6 lines:\n%s", text)
	}
	for _, part := range []string{p, s, tok, bad} {
		if strings.Contains(text, part) {
			t.Errorf("the log has part of the token (%.20s...):\n%s", part, text)
		}
	}
	_ = h // the header is the same for every token of the authority
	if !strings.Contains(text, `invalid_token: token aud [api://workouts] has none of: api://billing`) {
		t.Errorf("the log should say why:\n%s", text)
	}
}

func TestChallengeQuoting(t *testing.T) {
	if got := quote("a\"b\\c\x01d\x7fé"); got != `"a\"b\\cd?"` {
		t.Errorf("quote: %s", got)
	}
	if got := describe("kid \"k\\9\"\n — ok"); got != "kid 'k/9'  - ok" {
		t.Errorf("describe: %q", got)
	}
	if got := describe(strings.Repeat("é", 300)); len(got) != 200 || !strings.HasSuffix(got, "...") {
		t.Errorf("describe long: %d %q", len(got), got)
	}
	srv := start(t, Config{Name: "w", Realm: `my "realm" \ one`, Policy: pol("http://127.0.0.1:1", "a")})
	if r := call(t, srv.URL); r.challenge != `Bearer realm="my \"realm\" \\ one", resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource"` {
		t.Errorf("challenge %q", r.challenge)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, c := range map[string]struct {
		cfg  Config
		want string
	}{
		"no name":       {Config{Policy: pol("https://i", "a")}, "no Name"},
		"no issuer":     {Config{Name: "n", Policy: verify.Policy{Audience: verify.List("a")}}, "no issuer"},
		"no audience":   {Config{Name: "n", Policy: verify.Policy{Issuer: verify.List("https://i")}}, "no audience"},
		"bad scope":     {Config{Name: "n", Policy: pol("https://i", "a", `a"b`)}, "scope token"},
		"skip audience": {Config{Name: "n", Policy: func() verify.Policy { p := pol("https://i", "a"); p.SkipAudience = verify.Some(true); return p }()}, "SkipAudience"},
		"bad leeway": {Config{Name: "n", Policy: func() verify.Policy {
			p := pol("https://i", "a")
			p.Leeway = verify.Some(verify.Duration("soon"))
			return p
		}()}, "leeway"},
		"http downstream": {Config{Name: "n", Policy: pol("https://i", "a"), Downstream: "http://example.com/"}, "refusing plain http"},
		"realm":           {Config{Name: "n\n", Policy: pol("https://i", "a")}, "printable ASCII"},
	} {
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if _, err := New(Config{Name: "n", Policy: pol("https://i", "a"), Downstream: "http://example.com/", AllowHTTP: true}); err != nil {
		t.Errorf("AllowHTTP: %v", err)
	}
}
