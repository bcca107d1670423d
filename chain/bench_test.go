package chain

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/verify"
)

// benchServer answers like a service that rejects: a 401 with a challenge
// and a small body, the answer the runner does the most work on.
func benchServer(b testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="orders", error="invalid_token", error_description="The audience is invalid"`)
		w.WriteHeader(401)
		io.WriteString(w, `{"error":"invalid_token"}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkHop compares one hop with a bare net/http round trip to the
// same loopback server, in the same run: the difference is the runner's
// cost (redirect guard, challenge parsing, bounded body, the cause).
func BenchmarkHop(b *testing.B) {
	srv := benchServer(b)
	client := &http.Client{Timeout: 5 * time.Second}
	b.Run("bare-net-http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			req.Header.Set("Authorization", "Bearer "+opaque)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("jwtrace-hop", func(b *testing.B) {
		r := &Runner{Client: client, Token: opaque}
		hop := &Hop{URL: srv.URL, Method: "GET"}
		b.ReportAllocs()
		for b.Loop() {
			if res := r.Hop(context.Background(), 1, hop); res.Verdict != Rejected {
				b.Fatal(res.Verdict, res.Error)
			}
		}
	})
}

// TestLongChainFlatMemory runs a 100-hop chain whose services answer 1 MiB
// bodies: the runner keeps only what --show-body asks for, so the heap
// does not grow with the hops or the bodies.
func TestLongChainFlatMemory(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, big)
	}))
	defer srv.Close()
	hops := make([]Hop, 100)
	for i := range hops {
		hops[i] = Hop{URL: srv.URL, Method: "GET"}
	}
	r := &Runner{Client: &http.Client{Timeout: 5 * time.Second}, Token: opaque, BodyBytes: 512}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	rep := r.Run(context.Background(), hops, nil)
	after := heap()
	if rep.Summary.Hops != 100 || rep.Summary.Failed != 100 {
		t.Fatalf("summary %+v", rep.Summary)
	}
	// 100 results with 512-byte bodies are about 100 KB; a runner that
	// kept the bodies would hold 100 MiB.
	if grew := int64(after) - int64(before); grew > 2<<20 {
		t.Fatalf("heap grew by %d bytes over 100 hops", grew)
	}
}

// BenchmarkHopWithRules is a hop that declares rules: the prediction adds
// one RS256 verification (keys are fetched once per run, not per hop).
func BenchmarkHopWithRules(b *testing.B) {
	a := authoritytest.Start(b)
	token := a.Mint(b, map[string]any{"sub": "alice", "aud": "api://workouts"})
	srv := benchServer(b)
	r := &Runner{Client: &http.Client{Timeout: 5 * time.Second}, Token: token, Fetcher: &verify.Fetcher{AllowHTTP: true}}
	hop := &Hop{URL: srv.URL, Method: "GET", Rules: NewRules(verify.Policy{Authority: verify.Some(a.URL), Audience: verify.List("api://orders")})}
	b.ReportAllocs()
	for b.Loop() {
		if res := r.Hop(context.Background(), 1, hop); res.Agrees == nil || !*res.Agrees {
			b.Fatal(res.Verdict, res.Error, res.Prediction)
		}
	}
}
