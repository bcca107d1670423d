package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exchangeChain writes a chain file: workouts (the chain's token), then
// billing, whose exchange: asks the authority for a token for
// api://billing as jwtrace-service (the default confidential client).
func exchangeChain(t *testing.T, w *chainWorld) string {
	t.Helper()
	body := `hops:
  - name: workouts
    url: ` + w.workouts + `/workouts
    rules: {authority: ` + w.authority + `, audience: api://workouts}
  - name: billing
    url: ` + w.billing + `/plan
    rules: {authority: ` + w.authority + `, audience: api://billing}
    exchange:
      mode: token-exchange
      authority: ` + w.authority + `
      client_id: jwtrace-service
      client_secret: ${SVC_SECRET}
      audience: api://billing
`
	p := filepath.Join(t.TempDir(), "chain.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// jwtsIn are the JWTs in s (three base64url parts).
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

func TestChainExchangeMakesBillingAccept(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	file := exchangeChain(t, w)
	env := []string{"JWTRACE_TOKEN=" + w.token, "SVC_SECRET=jwtrace-service-secret"}

	r := chainRun(t, env, "--file", file)
	if r.code != ExitOK {
		t.Fatalf("exit %d, want 0 (billing gets a token meant for it)\n%s%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{
		"aud api://billing",
		"act: alice via jwtrace-service",
		"exchanged at " + w.authority + " by jwtrace-service (token-exchange)",
		"2 of 2 hops accepted the token",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "relay:") {
		t.Errorf("a relay note where every hop got its own token:\n%s", r.out)
	}
	// No token is shown whole: neither the chain's nor the exchanged one.
	if got := jwtRE.FindAllString(r.out+r.errOut, -1); len(got) > 0 || strings.Contains(r.out+r.errOut, w.token) {
		t.Errorf("the output shows a whole token %q:\n%s%s", got, r.out, r.errOut)
	}

	js := chainRun(t, env, "--file", file, "--json")
	if js.code != ExitOK {
		t.Fatalf("--json: exit %d\n%s%s", js.code, js.out, js.errOut)
	}
	if got := jwtRE.FindAllString(js.out+js.errOut, -1); len(got) > 0 {
		t.Errorf("--json shows a whole token %q", got)
	}
	var rep struct {
		Hops []struct {
			Verdict  string `json:"verdict"`
			Received struct {
				Token      string   `json:"token"`
				Masked     bool     `json:"masked"`
				Aud        []string `json:"aud"`
				From       string   `json:"from"`
				Delegation *struct {
					Chain string `json:"chain"`
				} `json:"delegation"`
			} `json:"received"`
		} `json:"hops"`
	}
	if err := json.Unmarshal([]byte(js.out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, js.out)
	}
	h1, h2 := rep.Hops[0].Received, rep.Hops[1].Received
	if h1.From != "chain" || h2.From != "exchange" || !h2.Masked || h2.Delegation == nil || h2.Delegation.Chain != "alice via jwtrace-service" || len(h2.Aud) != 1 || h2.Aud[0] != "api://billing" {
		t.Errorf("received = %+v / %+v", h1, h2)
	}

	// --show-token shows the exchanged token whole, which is a JWT for
	// api://billing: not the chain's.
	show := chainRun(t, env, "--file", file, "--json", "--show-token")
	var shown struct {
		Hops []struct {
			Received struct {
				Token string `json:"token"`
			} `json:"received"`
		} `json:"hops"`
	}
	if err := json.Unmarshal([]byte(show.out), &shown); err != nil {
		t.Fatal(err)
	}
	exchanged := shown.Hops[1].Received.Token
	if !jwtRE.MatchString(exchanged) || exchanged == w.token {
		t.Fatalf("--show-token: hop 2's token = %q", exchanged)
	}
	// The exchanged token's text is nowhere in the masked runs.
	for _, out := range []string{r.out, r.errOut, js.out, js.errOut} {
		if strings.Contains(out, exchanged) {
			t.Errorf("the exchanged token is in the output:\n%s", out)
		}
	}
}

func TestChainPassThroughRelayNote(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	// The same chain without the exchange: billing gets workouts' token.
	p := filepath.Join(t.TempDir(), "chain.yaml")
	body := "hops:\n  - name: workouts\n    url: " + w.workouts + "/workouts\n    rules: {authority: " + w.authority + ", audience: api://workouts}\n" +
		"  - name: billing\n    url: " + w.billing + "/plan\n    rules: {authority: " + w.authority + ", audience: api://billing}\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := chainRun(t, []string{"JWTRACE_TOKEN=" + w.token}, "--file", p)
	if r.code != ExitRejected {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	want := "relay: hop 2 (billing) received a token meant for hop 1 (workouts) (aud api://workouts), not for its declared audience api://billing: the pass-through pattern"
	if !strings.Contains(r.out, want) || !strings.Contains(r.out, "exchange: {mode: token-exchange, audience: api://billing}") {
		t.Errorf("output lacks the relay note:\n%s", r.out)
	}
	if strings.Count(r.out, "relay:") != 1 {
		t.Errorf("want one relay note (hop 1's token is its own):\n%s", r.out)
	}
}

func TestChainCompare(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	file := exchangeChain(t, w)
	env := []string{"JWTRACE_TOKEN=" + w.token, "SVC_SECRET=jwtrace-service-secret"}
	r := chainRun(t, env, "--file", file, "--compare")
	if r.code != ExitOK {
		t.Fatalf("exit %d, want the exchange run's 0\n%s%s", r.code, r.out, r.errOut)
	}
	lines := strings.Split(r.out, "\n")
	var billing string
	for _, l := range lines {
		if strings.Contains(l, " billing ") {
			billing = l
		}
	}
	if !regexp.MustCompile(`billing\s+rejected 401\s+accepted 200 \(exchanged\)`).MatchString(billing) {
		t.Errorf("billing's row = %q\n%s", billing, r.out)
	}
	for _, want := range []string{
		"pass-through beside exchange",
		"pass-through: aud: ",
		"exchange:     aud api://billing · act alice via jwtrace-service · exchanged",
		"pass-through: 1 of 2 hops accepted the token",
		"exchange:     2 of 2 hops accepted the token",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	if got := jwtRE.FindAllString(r.out+r.errOut, -1); len(got) > 0 {
		t.Errorf("--compare shows a whole token %q", got)
	}

	js := chainRun(t, env, "--file", file, "--compare", "--json")
	var c struct {
		PassThrough struct {
			Summary struct{ OK bool } `json:"summary"`
		} `json:"pass_through"`
		Exchange struct {
			Summary struct{ OK bool } `json:"summary"`
		} `json:"exchange"`
		Rows []struct {
			PassThrough struct{ Verdict string } `json:"pass_through"`
			Exchange    struct{ Verdict string } `json:"exchange"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(js.out), &c); err != nil {
		t.Fatalf("%v\n%s", err, js.out)
	}
	if c.PassThrough.Summary.OK || !c.Exchange.Summary.OK || c.Rows[1].PassThrough.Verdict != "rejected" || c.Rows[1].Exchange.Verdict != "accepted" {
		t.Errorf("--compare --json = %+v", c)
	}

	// A chain with no exchange: --compare has nothing to compare.
	plain := filepath.Join(t.TempDir(), "plain.yaml")
	os.WriteFile(plain, []byte("hops:\n  - url: "+w.workouts+"/workouts\n"), 0o600)
	if r := chainRun(t, env, "--file", plain, "--compare"); r.code != ExitUsage || !strings.Contains(r.errOut, "no hop declares one") {
		t.Errorf("--compare without exchange: exit %d\n%s", r.code, r.errOut)
	}
}

func TestChainExchangeFailure(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	file := exchangeChain(t, w)
	r := chainRun(t, []string{"JWTRACE_TOKEN=" + w.token, "SVC_SECRET=wrong-secret"}, "--file", file)
	if r.code != ExitRejected {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{"invalid_client", "the exchange before this hop failed (the hop was not called)", "exchange at " + w.authority + " by jwtrace-service (token-exchange) failed", "check client_id and client_secret under the hop's exchange:", "— (not called: its exchange failed)"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	js := chainRun(t, []string{"JWTRACE_TOKEN=" + w.token, "SVC_SECRET=wrong-secret"}, "--file", file, "--json")
	var rep struct {
		Hops []struct {
			Verdict  string `json:"verdict"`
			Received struct {
				Exchange struct {
					ErrorCode string `json:"error_code"`
				} `json:"exchange"`
			} `json:"received"`
		} `json:"hops"`
	}
	if err := json.Unmarshal([]byte(js.out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, js.out)
	}
	if rep.Hops[1].Verdict != "error" || rep.Hops[1].Received.Exchange.ErrorCode != "invalid_client" {
		t.Errorf("hop 2 = %+v", rep.Hops[1])
	}
	if strings.Contains(r.out+r.errOut+js.out, w.token) {
		t.Error("the output shows the chain's token")
	}
}
