package chain

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/verify"
)

func TestRunSendsTheTokenThroughEveryHop(t *testing.T) {
	s := startServices(t)
	var seen []int
	rep, err := Run(context.Background(), Request{
		Hops:  []Hop{{URL: s.ok.URL}, {Name: "billing", URL: s.rich401.URL}},
		Token: "opaque-token-0123456789abcdef",
		Each:  func(r *Result) { seen = append(seen, r.Index) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Hops != 2 || rep.Summary.Accepted != 1 || rep.Summary.Rejected != 1 || rep.Summary.OK || len(seen) != 2 {
		t.Fatalf("summary %+v, each %v", rep.Summary, seen)
	}
	if rep.Hops[0].Method != "GET" {
		t.Errorf("method %q: Run checks (and completes) the hops", rep.Hops[0].Method)
	}
}

func TestRunChecksTheHopsBeforeSendingAny(t *testing.T) {
	s := startServices(t)
	_, err := Run(context.Background(), Request{
		Hops:  []Hop{{URL: s.ok.URL}, {URL: "http://example.com/"}},
		Token: "t0123456789abcdef",
	})
	var he *HopError
	if !errors.As(err, &he) || he.Index != 2 {
		t.Fatalf("err = %v, want hop 2's *HopError", err)
	}
}

// A hop's rules are its policy: the runner reads where the keys come from
// there, with no copy to fall out of step (a Rules built without NewRules,
// or whose policy changed after).
func TestRunnerReadsTheKeySourceFromThePolicy(t *testing.T) {
	a := authoritytest.Start(t)
	token := a.Mint(t, map[string]any{"sub": "alice", "aud": "api://x", "exp": time.Now().Add(time.Hour).Unix()})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	r := newRunner(token)
	r.Fetcher = &verify.Fetcher{AllowHTTP: true}
	rules := &Rules{Policy: verify.Policy{Authority: verify.Some(a.URL), Audience: verify.List("api://x")}}
	res := r.Hop(context.Background(), 1, &Hop{URL: srv.URL, Method: "GET", Rules: rules})
	if p := res.Prediction; p == nil || p.Error != "" || !p.Accept {
		t.Fatalf("prediction = %+v, want accept from the policy's authority", p)
	}
}
