package chain

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// OnHop is called as each hop is sent, before its answer, with the hop's
// number and name: what a progress line shows while a slow hop is in
// flight. Hops not sent (after --stop-on-failure) are not announced.
func TestRunnerAnnouncesEachHop(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer slow.Close()
	type event struct {
		kind string
		i    int
		name string
	}
	var events []event
	r := &Runner{Client: slow.Client(), Token: "t0k3n", StopOnFailure: true}
	r.OnHop = func(i int, name string, started time.Time) {
		if time.Since(started) > time.Second || started.IsZero() {
			t.Errorf("hop %d: started %v", i, started)
		}
		events = append(events, event{"start", i, name})
	}
	hops := []Hop{{Name: "billing", URL: slow.URL + "/a"}, {URL: slow.URL + "/b"}}
	rep := r.Run(context.Background(), hops, func(res *Result) { events = append(events, event{"done", res.Index, res.Name}) })
	want := []event{{"start", 1, "billing"}, {"done", 1, "billing"}, {"done", 2, ""}}
	if len(events) != len(want) {
		t.Fatalf("events %+v, want %+v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Fatalf("events %+v, want %+v", events, want)
		}
	}
	if rep.Hops[1].Verdict != NotSent {
		t.Fatalf("hop 2: %s", rep.Hops[1].Verdict)
	}
}
