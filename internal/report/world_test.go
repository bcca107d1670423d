package report

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/demo"
	"github.com/jwtrace/jwtrace/demo/resource"
	"github.com/jwtrace/jwtrace/verify"
)

// hostile is what a hostile server puts in its challenge and body: markup,
// an XML CDATA end, a workflow command after a line break, control and
// bidirectional characters, a percent escape.
const hostile = "<script>alert(1)</script> ]]> & \"q\" 'a' \x1b[31mred\x00 \u202edesrever\u202c %0A::warning::forged\r\n::error title=x::pwned"

// world is a real authority, the demo's services and hostile ones, all on
// loopback, and the token the chain sends.
type world struct {
	token                          string
	authority                      string
	workouts, billing, lenient     string
	hostile, failing, refused, bad string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	a := authoritytest.Start(t)
	w := &world{authority: a.URL}
	w.token = a.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "scope": "workouts.read"})
	start := func(name, aud string) string {
		srv, err := resource.Start(resource.Config{Name: name, Policy: demo.ServicePolicy(a.Issuer, aud)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv.URL
	}
	w.workouts = start("workouts", "api://workouts")
	w.billing = start("billing", "api://billing")
	serve := func(h http.HandlerFunc) string {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		return s.URL
	}
	// lenient accepts any bearer token: its declared rules (another
	// audience) reject this one.
	w.lenient = serve(func(rw http.ResponseWriter, r *http.Request) { io.WriteString(rw, "ok") })
	// hostile rejects with hostile text in its challenge (no ASCII
	// control characters: net/http's client refuses those in a header)
	// and its body, and echoes the token.
	w.hostile = serve(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+strings.NewReplacer("\"", "'", "\r", " ", "\n", " ", "\x00", "", "\x1b", "").Replace(hostile)+` token `+r.Header.Get("Authorization")+`"`)
		rw.WriteHeader(http.StatusUnauthorized)
		io.WriteString(rw, hostile+"\nyou sent "+r.Header.Get("Authorization"))
	})
	w.failing = serve(func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(http.StatusBadGateway) })
	// Nothing listens on port 1.
	w.refused = "http://127.0.0.1:1/x"
	return w
}

// rules are declared rules with the authority's keys and an audience.
func (w *world) rules(aud string) *chain.Rules {
	return chain.NewRules(verify.Policy{Authority: verify.Some(w.authority), Audience: verify.List(aud)})
}

// hops is a chain with each kind of hop: accepted and agreeing, rejected
// with a cause, accepted but disagreeing, hostile, failed, refused.
func (w *world) hops() []chain.Hop {
	return []chain.Hop{
		{Name: "workouts", Method: "GET", URL: w.workouts + "/workouts", Rules: w.rules("api://workouts")},
		{Name: "billing", Method: "GET", URL: w.billing + "/plan", Rules: w.rules("api://billing")},
		{Name: "legacy", Method: "GET", URL: w.lenient + "/v1/export?user=alice", Rules: w.rules("api://legacy")},
		{Name: "hostile " + hostile, Method: "POST", URL: w.hostile + "/h"},
		{Name: "ledger", Method: "GET", URL: w.failing + "/ledger"},
		{Name: "archive", Method: "GET", URL: w.refused},
	}
}

func (w *world) run(t *testing.T, hops []chain.Hop, stop bool) *chain.Report {
	t.Helper()
	rep, err := chain.Run(context.Background(), chain.Request{
		Hops:          hops,
		Token:         w.token,
		Client:        &http.Client{Timeout: 5 * time.Second},
		Fetcher:       &verify.Fetcher{AllowHTTP: true},
		BodyBytes:     512,
		StopOnFailure: stop,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The world is what the tests say it is.
	want := []chain.Verdict{chain.Accepted, chain.Rejected, chain.Accepted, chain.Rejected, chain.Failed, chain.Refused}
	if !stop && len(hops) == len(want) {
		for i, r := range rep.Hops {
			if r.Verdict != want[i] {
				t.Fatalf("hop %d: verdict %s, want %s (%s)", i+1, r.Verdict, want[i], r.Error)
			}
		}
		if !Disagrees(rep.Hops[2]) || Disagrees(rep.Hops[0]) || Disagrees(rep.Hops[1]) {
			t.Fatalf("agreement: %v %v %v", rep.Hops[0].Agrees, rep.Hops[1].Agrees, rep.Hops[2].Agrees)
		}
	}
	return rep
}

func (w *world) info() Chain {
	return Chain{Source: "chains/ci.yaml", Token: w.token, TokenInfo: "RS256 · sub alice · aud api://workouts", At: time.Date(2026, 11, 27, 10, 42, 0, 0, time.UTC)}
}

// tokenParts are pieces of the token no masked report may hold: its
// signature and its payload.
func (w *world) tokenParts() []string {
	parts := strings.Split(w.token, ".")
	return []string{parts[1], parts[2], fmt.Sprint(w.token)}
}
