package cmd

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/authority/authoritytest"
	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/demo"
	"github.com/jwtrace/jwtrace/demo/resource"
	"github.com/jwtrace/jwtrace/internal/ui"
)

// chainWorld is an authority, the demo's services, a token for
// api://workouts and the services' URLs.
type chainWorld struct {
	token                      string
	authority                  string
	workouts, billing, reports string
}

func newChainWorld(t *testing.T) *chainWorld {
	t.Helper()
	// The services validate with the real clock; the token is minted now.
	a := authoritytest.Start(t)
	w := &chainWorld{authority: a.URL}
	w.token = a.Mint(t, map[string]any{"sub": "alice", "aud": "api://workouts", "scope": "workouts.read"})
	start := func(name, aud, downstream string) string {
		srv, err := resource.Start(resource.Config{Name: name, Policy: demo.ServicePolicy(a.Issuer, aud), Downstream: downstream})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv.URL
	}
	log := start("workout-log", "api://workouts", "")
	w.workouts = start("workouts", "api://workouts", log+"/entries")
	w.billing = start("billing", "api://billing", "")
	w.reports = start("reports", "api://workouts", "")
	return w
}

func chainRun(t *testing.T, env []string, args ...string) run {
	t.Helper()
	// Its own cache directory: no test writes under $HOME.
	s := &ui.Streams{Env: append([]string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir()}, env...)}
	// The services check times with the real clock, and so must chain's
	// predictions.
	var out, errOut strings.Builder
	s.Out, s.ErrOut, s.In = &out, &errOut, strings.NewReader("")
	code := RunWith(context.Background(), testDeps(t, s, time.Now), append([]string{"chain"}, args...))
	return run{code, out.String(), errOut.String()}
}

func TestChainExitCodes(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	env := []string{"JWTRACE_TOKEN=" + w.token, "JWTRACE_CACHE_DIR=" + t.TempDir()}
	if r := chainRun(t, env, w.workouts+"/workouts", w.reports+"/r"); r.code != ExitOK {
		t.Errorf("all accepted: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := chainRun(t, env, w.workouts+"/workouts", w.billing+"/plan"); r.code != ExitRejected {
		t.Errorf("billing rejects: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := chainRun(t, env, "--expect", "401", w.billing+"/plan"); r.code != ExitOK {
		t.Errorf("an expected 401: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := chainRun(t, env, "--expect", "401", w.workouts+"/workouts"); r.code != ExitRejected || !strings.Contains(r.out, "expected 401, got 200") {
		t.Errorf("a 200 where a 401 was expected: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := chainRun(t, env, "--file", "nope.yaml"); r.code != ExitUsage {
		t.Errorf("missing file: exit %d\n%s", r.code, r.errOut)
	}
}

// The token never reaches another host, whatever the hop redirects to, and
// a body that echoes it is masked.
func TestChainNeverLeaksTheToken(t *testing.T) {
	t.Parallel()
	const token = "opaque-secret-token-0123456789abcdef"
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Authorization"), token) {
			leaked.Add(1)
		}
	}))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/collect", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, "you sent: "+r.Header.Get("Authorization"))
	}))
	defer echo.Close()

	r := chainRun(t, []string{"JWTRACE_TOKEN=" + token}, "--show-body", redirect.URL, echo.URL, other.URL)
	if r.code != ExitRejected {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if leaked.Load() != 1 {
		// Hop 3 is the other server itself, named by the user: once.
		t.Errorf("the other host got the token %d times, want only hop 3's request", leaked.Load())
	}
	if strings.Contains(r.out+r.errOut, token) {
		t.Errorf("the output shows the token:\n%s%s", r.out, r.errOut)
	}
	for _, want := range []string{
		"redirect to http://localhost:",
		"not followed: jwtrace never sends the token to another host",
		"you sent: Bearer " + chain.Mask(token),
		"hop 1 redirected to another host (not followed; the token was not sent there)",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}

	js := chainRun(t, []string{"JWTRACE_TOKEN=" + token}, "--json", "--show-body", redirect.URL, echo.URL)
	if strings.Contains(js.out, token) {
		t.Errorf("--json shows the token:\n%s", js.out)
	}
	var rep struct {
		Token struct {
			Token  string `json:"token"`
			Masked bool   `json:"masked"`
			JWT    bool   `json:"jwt"`
		} `json:"token"`
		Hops []struct {
			Verdict         string `json:"verdict"`
			BlockedRedirect string `json:"blocked_redirect"`
			Body            string `json:"body"`
		} `json:"hops"`
	}
	if err := json.Unmarshal([]byte(js.out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, js.out)
	}
	if !rep.Token.Masked || rep.Token.JWT || rep.Hops[0].Verdict != "redirected" || rep.Hops[0].BlockedRedirect == "" || rep.Hops[1].Body != "you sent: Bearer "+chain.Mask(token) {
		t.Errorf("JSON = %+v", rep)
	}
}

func TestChainTimeout(t *testing.T) {
	t.Parallel()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	start := time.Now()
	r := chainRun(t, []string{"JWTRACE_TOKEN=opaque-token-0123456789"}, "--timeout", "300ms", hang.URL)
	if r.code != ExitRejected || !strings.Contains(r.out, "error: timeout") || !strings.Contains(r.out, "did not answer in time") {
		t.Errorf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
}

// --rule's error lists the keys in order, and argRuleKeys is that order.
func TestArgRuleKeysAreSorted(t *testing.T) {
	for i := 1; i < len(argRuleKeys); i++ {
		if argRuleKeys[i-1].key >= argRuleKeys[i].key {
			t.Errorf("argRuleKeys: %q before %q", argRuleKeys[i-1].key, argRuleKeys[i].key)
		}
	}
}
