package chain

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/verify"
)

// services are the loopback services the tests send tokens to.
type services struct {
	ok, rich401, scope403, hang, echo, fail502 *httptest.Server
	// offHost is another host (another port); gotToken counts requests
	// to it that carried an Authorization header.
	offHost  *httptest.Server
	gotToken atomic.Int32
	// redirOff redirects to offHost; redirSame to ok's path on itself.
	redirOff, redirSame *httptest.Server
}

func startServices(t *testing.T) *services {
	t.Helper()
	s := &services{}
	start := func(h http.HandlerFunc) *httptest.Server {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv
	}
	s.ok = start(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ok"`)
			w.WriteHeader(401)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"method":%q}`, r.Method)
	})
	s.rich401 = start(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("WWW-Authenticate", `Basic realm="legacy"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="billing", error="invalid_token", error_description="The audience \"api://workouts\" is invalid, expected api://billing"`)
		w.WriteHeader(401)
		io.WriteString(w, `{"error":"invalid_token"}`)
	})
	s.scope403 = start(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="orders.write"`)
		w.WriteHeader(403)
	})
	s.hang = start(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	s.echo = start(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprintf(w, "debug: got header %s\n%s", r.Header.Get("Authorization"), strings.Repeat("x", 4096))
	})
	s.fail502 = start(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(502)
		io.WriteString(w, `{"downstream":{"status":401}}`)
	})
	s.offHost = start(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			s.gotToken.Add(1)
		}
		io.WriteString(w, "off-host")
	})
	s.redirOff = start(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.offHost.URL+"/steal", http.StatusFound)
	})
	s.redirSame = start(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/final" {
			if r.Header.Get("Authorization") == "" {
				w.WriteHeader(401)
				return
			}
			io.WriteString(w, "final")
			return
		}
		http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
	})
	return s
}

func newRunner(token string) *Runner {
	return &Runner{Client: &http.Client{Timeout: 2 * time.Second}, Token: token}
}

const opaque = "opaque-token-0123456789abcdef"

func TestHopVerdicts(t *testing.T) {
	s := startServices(t)
	r := newRunner(opaque)
	r.BodyBytes = 64
	cases := []struct {
		name       string
		hop        Hop
		verdict    Verdict
		status     int
		asExpected bool
		check      func(t *testing.T, res *Result)
	}{
		{"accepted", Hop{URL: s.ok.URL}, Accepted, 200, true, nil},
		{"rejected with a rich challenge", Hop{URL: s.rich401.URL}, Rejected, 401, false, func(t *testing.T, res *Result) {
			if res.Challenge == nil || res.Challenge.Realm() != "billing" || res.Challenge.ErrorCode() != "invalid_token" {
				t.Fatalf("challenge = %+v", res.Challenge)
			}
			if len(res.WWWAuthenticate) != 2 {
				t.Errorf("WWW-Authenticate = %q, want both headers", res.WWWAuthenticate)
			}
			if res.Cause == nil || res.Cause.Claim != "aud" || res.Cause.From != "server" {
				t.Errorf("cause = %+v, want aud from the server", res.Cause)
			}
		}},
		{"a rejection that was expected", Hop{URL: s.rich401.URL, Expect: []int{401}}, Rejected, 401, true, nil},
		{"insufficient scope", Hop{URL: s.scope403.URL}, Rejected, 403, false, func(t *testing.T, res *Result) {
			if res.Cause == nil || res.Cause.Claim != "scp" || !strings.Contains(res.Cause.Detail, "orders.write") {
				t.Errorf("cause = %+v", res.Cause)
			}
		}},
		{"timeout", Hop{URL: s.hang.URL}, Timeout, 0, false, nil},
		{"refused", Hop{URL: "http://127.0.0.1:1/"}, Refused, 0, false, nil},
		{"a 502 from a service whose downstream refused", Hop{URL: s.fail502.URL}, Failed, 502, false, func(t *testing.T, res *Result) {
			if res.Body != `{"downstream":{"status":401}}` {
				t.Errorf("body = %q", res.Body)
			}
		}},
		{"a body that echoes the token is masked and cut", Hop{URL: s.echo.URL}, Failed, 500, false, func(t *testing.T, res *Result) {
			if strings.Contains(res.Body, opaque) || !strings.Contains(res.Body, Mask(opaque)) {
				t.Errorf("body = %q, want the token masked", res.Body)
			}
			if len(res.Body) > 64+len("…") || !res.BodyTruncated {
				t.Errorf("body of %d bytes, truncated %v; want at most 64", len(res.Body), res.BodyTruncated)
			}
		}},
		{"POST with headers", Hop{URL: s.ok.URL, Method: "POST", Body: []byte("{}"), Header: http.Header{"Content-Type": {"application/json"}}}, Accepted, 200, true, nil},
		{"same-host redirect followed with the token", Hop{URL: s.redirSame.URL + "/start"}, Accepted, 200, true, func(t *testing.T, res *Result) {
			if len(res.Redirects) != 1 || !strings.HasSuffix(res.Redirects[0], "/final") {
				t.Errorf("redirects = %q", res.Redirects)
			}
		}},
		{"off-host redirect not followed", Hop{URL: s.redirOff.URL}, Redirected, 302, false, func(t *testing.T, res *Result) {
			if !strings.HasPrefix(res.BlockedRedirect, s.offHost.URL) {
				t.Errorf("blocked redirect = %q", res.BlockedRedirect)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.hop.Method == "" {
				c.hop.Method = "GET"
			}
			run := r
			if c.verdict == Timeout {
				// The hanging server is given a quarter second, not the
				// others' two.
				run = newRunner(opaque)
				run.BodyBytes = r.BodyBytes
				run.Client = &http.Client{Timeout: 250 * time.Millisecond}
			}
			res := run.Hop(context.Background(), 1, &c.hop)
			if res.Verdict != c.verdict || res.Status != c.status || res.AsExpected != c.asExpected {
				t.Fatalf("verdict %s status %d as expected %v (error %q), want %s %d %v", res.Verdict, res.Status, res.AsExpected, res.Error, c.verdict, c.status, c.asExpected)
			}
			if c.check != nil {
				c.check(t, res)
			}
		})
	}
	if n := s.gotToken.Load(); n != 0 {
		t.Fatalf("the off-host server received the token %d times", n)
	}
}

// TestGoFollowsNoOffHostRedirectWithToken is the guard against the default
// client: Go's own redirect policy would follow to another host (dropping
// Authorization only for some hosts). The runner must not follow at all.
func TestOffHostRedirectNeverReceivesToken(t *testing.T) {
	s := startServices(t)
	// 127.0.0.1 and localhost are different hosts to Go's client: its own
	// policy keeps Authorization for neither, but a subdomain would keep
	// it. The runner's rule is stricter: not followed at all.
	r := newRunner(opaque)
	for _, code := range []int{301, 302, 303, 307, 308} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			http.Redirect(w, req, strings.Replace(s.offHost.URL, "127.0.0.1", "localhost", 1), code)
		}))
		res := r.Hop(context.Background(), 1, &Hop{URL: srv.URL, Method: "GET"})
		srv.Close()
		if res.Verdict != Redirected || res.Status != code {
			t.Errorf("%d: verdict %s status %d", code, res.Verdict, res.Status)
		}
	}
	if n := s.gotToken.Load(); n != 0 {
		t.Fatalf("the other host received the token %d times", n)
	}
}

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"http://a.example/x", "http://a.example/y", true},
		{"http://a.example:8080/x", "http://a.example:8080/y", true},
		{"http://a.example:8080/x", "http://a.example:8081/y", false},
		{"http://a.example/x", "http://A.EXAMPLE:80/y", true},
		{"http://a.example/x", "https://a.example/y", true},
		{"https://a.example/x", "http://a.example/y", false},
		{"http://a.example/x", "http://b.a.example/y", false},
		{"http://127.0.0.1:9/x", "http://localhost:9/y", false},
	} {
		from, to := mustURL(t, c.from), mustURL(t, c.to)
		if got := sameOrigin(from, to); got != c.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

// The prediction side: hops that validate with the project's authority
// and declare their rules.
func TestPredictions(t *testing.T) {
	a := authoritytest.Start(t)
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "scope": "workouts.read"})
	// A service that validates like its declared rules would, or not.
	svc := func(aud string, check bool) *httptest.Server {
		ks, _, err := (&verify.Fetcher{AllowHTTP: true}).LoadKeys(context.Background(), verify.Sources{Authority: a.URL})
		if err != nil {
			t.Fatal(err)
		}
		v := &verify.Verifier{Keys: ks, Rules: verify.Rules{Issuers: []string{a.Issuer}, Audiences: []string{aud}, SkipAudience: !check}}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			res := v.Verify(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			if !res.Valid {
				w.Header().Set("WWW-Authenticate", `Bearer realm="svc", error="invalid_token", error_description="`+strings.ReplaceAll(res.Summary, `"`, `'`)+`"`)
				w.WriteHeader(401)
				return
			}
			io.WriteString(w, "{}")
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	workouts := svc("api://workouts", true)
	billing := svc("api://billing", true)
	lax := svc("api://billing", false) // declares api://billing but checks no audience
	rules := func(aud string) *Rules {
		return NewRules(verify.Policy{Authority: verify.Some(a.URL), Audience: verify.List(aud)})
	}
	hops := []Hop{
		{Name: "workouts", URL: workouts.URL, Method: "GET", Rules: rules("api://workouts")},
		{Name: "lax", URL: lax.URL, Method: "GET", Rules: rules("api://billing")},
		{Name: "billing", URL: billing.URL, Method: "GET", Rules: rules("api://billing")},
		{Name: "strict-but-declared-lax", URL: billing.URL, Method: "GET", Rules: rules("api://workouts")},
		{Name: "undeclared", URL: billing.URL, Method: "GET"},
	}
	r := newRunner(token)
	r.Fetcher = &verify.Fetcher{AllowHTTP: true}
	var streamed []int
	rep := r.Run(context.Background(), hops, func(res *Result) { streamed = append(streamed, res.Index) })
	if fmt.Sprint(streamed) != "[1 2 3 4 5]" {
		t.Fatalf("streamed %v", streamed)
	}
	h := rep.Hops
	assertAgree := func(i int, want *bool) {
		t.Helper()
		got := h[i].Agrees
		if (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Errorf("hop %d agrees = %v, want %v (prediction %+v, verdict %s)", i+1, ptr(got), ptr(want), h[i].Prediction, h[i].Verdict)
		}
	}
	yes, no := true, false
	assertAgree(0, &yes)
	assertAgree(1, &no) // server accepted, rules reject on aud
	assertAgree(2, &yes)
	assertAgree(3, &no) // server rejected, rules accept
	assertAgree(4, nil)
	if h[0].Verdict != Accepted || !h[0].Prediction.Accept {
		t.Errorf("hop 1: %s / %+v", h[0].Verdict, h[0].Prediction)
	}
	if c := h[1].Cause; c == nil || c.Claim != "aud" || c.From != "rules" || !strings.Contains(c.Detail, "api://workouts") {
		t.Errorf("hop 2 cause = %+v", c)
	}
	if c := h[2].Cause; c == nil || c.Claim != "aud" || c.From != "rules" {
		t.Errorf("hop 3 cause = %+v", c)
	}
	if h[4].Prediction != nil || h[4].Cause == nil || h[4].Cause.From != "server" || h[4].Cause.Claim != "aud" {
		t.Errorf("hop 5: prediction %+v cause %+v, want no prediction and the server's aud", h[4].Prediction, h[4].Cause)
	}
	s := rep.Summary
	if s.Hops != 5 || s.Accepted != 2 || s.Rejected != 3 || s.Disagreements != 2 || s.OK {
		t.Errorf("summary = %+v", s)
	}
	want := "2 of 5 hops accepted the token; hop 3 (billing) rejected it: token aud [api://workouts] has none of: api://billing; hop 2 (lax): the server and its declared rules disagree (and 1 more)."
	if s.Text != want {
		t.Errorf("summary text\n got %s\nwant %s", s.Text, want)
	}
	// The JSON a script reads.
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{`"verdict":"rejected"`, `"agrees":false`, `"challenge":{"scheme":"Bearer","error":"invalid_token"`, `"cause":{"claim":"aud"`, `"prediction":null`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("JSON lacks %s:\n%s", frag, b)
		}
	}
	if strings.Contains(string(b), token) {
		t.Error("the JSON report carries the token")
	}
}

func TestPredictionWithoutKeys(t *testing.T) {
	s := startServices(t)
	r := newRunner(opaque)
	r.Fetcher = &verify.Fetcher{AllowHTTP: true, Client: &http.Client{Timeout: time.Second}}
	res := r.Hop(context.Background(), 1, &Hop{URL: s.ok.URL, Method: "GET", Rules: NewRules(verify.Policy{Authority: verify.Some("http://127.0.0.1:1"), Audience: verify.List("x")})})
	if res.Prediction == nil || res.Prediction.Error == "" || res.Agrees != nil {
		t.Fatalf("prediction %+v agrees %v: want an error and no comparison", res.Prediction, res.Agrees)
	}
	if res.Verdict != Accepted {
		t.Errorf("verdict %s", res.Verdict)
	}
}

func TestStopOnFailure(t *testing.T) {
	s := startServices(t)
	r := newRunner(opaque)
	r.StopOnFailure = true
	rep := r.Run(context.Background(), []Hop{{URL: s.ok.URL, Method: "GET"}, {URL: s.rich401.URL, Method: "GET"}, {URL: s.ok.URL, Method: "GET"}}, nil)
	if v := rep.Hops[2].Verdict; v != NotSent {
		t.Fatalf("hop 3 verdict %s, want not_sent", v)
	}
	if rep.Summary.NotSent != 1 || !strings.Contains(rep.Summary.Text, "1 not sent") {
		t.Errorf("summary %+v", rep.Summary)
	}
}

func TestCauseFromTokenTimes(t *testing.T) {
	a := authoritytest.Start(t)
	expired := a.Mint(t, map[string]any{"sub": "alice", "aud": "x", "iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }))
	defer srv.Close()
	res := newRunner(expired).Hop(context.Background(), 1, &Hop{URL: srv.URL, Method: "GET"})
	if res.Cause == nil || res.Cause.Claim != "exp" || res.Cause.From != "token" || !strings.Contains(res.Cause.Detail, "expired") {
		t.Fatalf("cause = %+v", res.Cause)
	}
}

func TestMask(t *testing.T) {
	tok := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlWGs5UQpadding-padding"
	if got := Mask(tok); got != "eyJhbGciOi…ding" {
		t.Errorf("Mask = %q", got)
	}
	// A short opaque token shows at most a quarter of itself.
	for _, tok := range []string{"short", "SuperSecretKey12345678", "opaque-secret-token-0123456789abcdef"} {
		got := Mask(tok)
		if shown := len(got) - len("…"); shown*4 > len(tok) {
			t.Errorf("Mask(%q) = %q shows %d of %d characters", tok, got, shown, len(tok))
		}
	}
}

// A server that echoes the token anywhere (challenge, redirect query,
// body cut right inside it) never makes jwtrace show it.
func TestEchoedTokenIsMasked(t *testing.T) {
	const tok = "opaque-secret-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	mux := http.NewServeMux()
	mux.HandleFunc("/www", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="token `+tok+` has expired"`)
		w.WriteHeader(401)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:1/cb?access_token="+tok, http.StatusFound)
	})
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/done?access_token="+tok, http.StatusFound)
	})
	mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	mux.HandleFunc("/split", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, strings.Repeat("A", 100)+tok+strings.Repeat("B", 100))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := newRunner(tok)
	r.BodyBytes = 150
	rep := r.Run(context.Background(), []Hop{{URL: srv.URL + "/www", Method: "GET"}, {URL: srv.URL + "/redirect", Method: "GET"}, {URL: srv.URL + "/same", Method: "GET"}, {URL: srv.URL + "/split", Method: "GET"}}, nil)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), tok[:24]) {
		t.Fatalf("the report shows the token:\n%s", b)
	}
	if c := rep.Hops[0].Cause; c == nil || c.Claim != "exp" || !strings.Contains(c.Detail, Mask(tok)) {
		t.Errorf("cause = %+v", c)
	}
	if !strings.Contains(rep.Hops[3].Body, Mask(tok)) || len(rep.Hops[3].Body) != 150 {
		t.Errorf("body = %q", rep.Hops[3].Body)
	}
}

// The cookie-login pattern: a same-host redirect to an HTML sign-in page
// is not an acceptance.
func TestRedirectToSignInPage(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/login?next=/api", http.StatusFound)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<form>sign in</form>")
	})
	mux.HandleFunc("/not-modified", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(304) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := newRunner(opaque)
	rep := r.Run(context.Background(), []Hop{{URL: srv.URL + "/api", Method: "GET"}, {URL: srv.URL + "/not-modified", Method: "GET"}}, nil)
	for _, h := range rep.Hops {
		if h.Verdict != Redirected || h.AsExpected {
			t.Errorf("hop %d: verdict %s as expected %v", h.Index, h.Verdict, h.AsExpected)
		}
	}
	if !strings.Contains(rep.Summary.Text, "hop 1 redirected to a sign-in page instead of accepting the token") || rep.Summary.OK {
		t.Errorf("summary %+v", rep.Summary)
	}
}

// Hostile headers: thousands of challenges are cut to a few.
func TestManyChallengesAreBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 200; i++ {
			w.Header().Add("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+strings.Repeat("x", 2000)+`"`)
		}
		w.WriteHeader(401)
	}))
	defer srv.Close()
	res := newRunner(opaque).Hop(context.Background(), 1, &Hop{URL: srv.URL, Method: "GET"})
	if len(res.WWWAuthenticate) != maxChallengeHeaders || len(res.WWWAuthenticate[0]) > maxChallengeShown+len("…") {
		t.Errorf("%d values, the first %d bytes", len(res.WWWAuthenticate), len(res.WWWAuthenticate[0]))
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "196 more WWW-Authenticate headers left out") {
		t.Errorf("notes = %q", res.Notes)
	}
}

func TestChallengeClaimWholeWords(t *testing.T) {
	for desc, want := range map[string]string{
		"The access token is missing the required permission": "",
		"Insufficient permissions":                            "",
		"fraud detection triggered":                           "",
		"unknown API key":                                     "",
		"The audience 'api://x' is invalid":                   "aud",
		"Invalid issuer":                                      "iss",
		"The token expired at 10:00":                          "exp",
		"signature verification failed":                       "signature",
		"token not yet valid":                                 "nbf",
	} {
		c := &Challenge{Scheme: "Bearer", Params: map[string]string{"error": "invalid_token", "error_description": desc}}
		if got := challengeClaim(c); got != want {
			t.Errorf("%q: %q, want %q", desc, got, want)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func ptr(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// A hop that declares only authority: checks no audience and no typ, and
// the prediction says so in the chain file's words: a chain file has no
// --skip-audience or --typ flag to point at.
func TestPredictionSpeaksChainFileKeys(t *testing.T) {
	a := authoritytest.Start(t)
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "exp": time.Now().Add(-time.Hour).Unix()})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }))
	t.Cleanup(srv.Close)
	r := newRunner(token)
	r.Fetcher = &verify.Fetcher{AllowHTTP: true}
	rep := r.Run(context.Background(), []Hop{{Name: "api", URL: srv.URL, Method: "GET", Rules: NewRules(verify.Policy{Authority: verify.Some(a.URL)})}}, nil)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"--skip-audience", "--skip-issuer", "no --typ rule", "--require", "--scope", "--at TIME"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("chain --json names verify's flag %q:\n%s", leak, b)
		}
	}
	p := rep.Hops[0].Prediction
	if p == nil {
		t.Fatal("no prediction")
	}
	got := map[string]verify.Check{}
	for _, c := range p.Checks {
		got[c.Name] = c
	}
	if c := got[verify.CheckAudience]; c.Code != verify.CodeNotDeclared || c.Detail != "not declared (audience:): a token for any audience is accepted" {
		t.Errorf("audience check = %+v", c)
	}
	if c := got[verify.CheckType]; c.Detail != `not declared (typ:) (typ is "at+jwt")` && c.Detail != "not declared (typ:)" {
		t.Errorf("type check = %+v", c)
	}
	if c := rep.Hops[0].Cause; c == nil || c.Code != verify.CodeExpExpired || c.Claim != "exp" || c.Hint != "get a new token" {
		t.Errorf("cause = %+v, want exp.expired with a hint that names no flag", c)
	}
}
