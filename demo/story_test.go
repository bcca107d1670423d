package demo

import (
	"slices"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/decode"
)

func TestWords(t *testing.T) {
	vars := map[string]string{"TOKEN": "ey J'x", "A": "1"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	for line, want := range map[string][]string{
		`jwtrace decode "$TOKEN"`:           {"jwtrace", "decode", "ey J'x"},
		`jwtrace decode $TOKEN`:             {"jwtrace", "decode", "ey J'x"}, // no field splitting
		`a 'b c' "d ${A}e" f${A}`:           {"a", "b c", "d 1e", "f1"},
		`a '$TOKEN' b#c  `:                  {"a", "$TOKEN", "b#c"},
		`--scope 'openid workouts.read' ''`: {"--scope", "openid workouts.read", ""},
	} {
		got, err := Words(line, lookup)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, line := range []string{`a "b`, `a $NOPE`, `a $(b)`, "a `b`", `a | b`, `a; b`, `a "\b"`, `a \`, `a $`, `a ${A`, `# c`, `~/x`, `a *`} {
		if got, err := Words(line, lookup); err == nil {
			t.Errorf("Words(%q) = %q, want an error", line, got)
		}
	}
}

// Join's quoting reads back as the same words.
func TestJoinReadsBack(t *testing.T) {
	words := []string{"jwtrace", "login", "--scope", "openid workouts.read", "it's", "", "$HOME", "a\"b"}
	got, err := Words(Join(words...), func(string) (string, bool) { return "", false })
	if err != nil || !slices.Equal(got, words) {
		t.Errorf("Words(Join(%q)) = %q, %v", words, got, err)
	}
}

// Every step prints one jwtrace command; the chain step expects billing's
// rejection, and what it exports is what a later step reads.
func TestStory(t *testing.T) {
	w := &World{Authority: "http://127.0.0.1:1", ChainFile: "/tmp/jwtrace-demo-1/chain.yaml", ExchangeFile: "/tmp/jwtrace-demo-1/exchange.yaml", Secret: "s3cret"}
	story := w.Story()
	set := map[string]bool{}
	for _, st := range story {
		if !strings.HasPrefix(st.Command, "jwtrace ") {
			t.Errorf("%s: %q is not a jwtrace command", st.Name, st.Command)
		}
		_, err := Words(st.Command, func(n string) (string, bool) { return "x", set[n] })
		if err != nil {
			t.Errorf("%s: %v", st.Name, err)
		}
		if st.Capture != "" {
			set[st.Capture] = true
			if p := st.Printed(); p != "export "+st.Capture+"=$("+st.Command+")" {
				t.Errorf("%s prints %q", st.Name, p)
			}
		}
	}
	names := make([]string, len(story))
	for i, st := range story {
		names[i] = st.Name
	}
	if !slices.Equal(names, []string{"login", "decode", "verify", "chain", "compare"}) {
		t.Fatalf("the story's steps are %q", names)
	}
	// The first half: pass-through, billing rejects.
	if pt := story[3]; pt.ExpectExit != 1 || len(pt.ExpectHops) != 4 || pt.ExpectHops[2].Verdict != chain.Rejected || pt.ShowFile != w.ChainFile {
		t.Errorf("chain step %+v", pt)
	}
	// The second half: the same hops with exchanges, billing accepts the
	// token meant for it, reports (misconfigured) rejects the one meant
	// for it, against its declared rules; the secret is exported first.
	ex := story[4]
	if ex.ExpectExit != 1 || len(ex.ExpectHops) != 4 || ex.ShowFile != w.ExchangeFile || !strings.Contains(ex.Command, " --compare ") || !strings.Contains(ex.Command, w.ExchangeFile) {
		t.Errorf("compare step %+v", ex)
	}
	if b := ex.ExpectHops[2]; b.Verdict != chain.Accepted || !b.Agrees || b.Act != "alice via workouts" {
		t.Errorf("billing with exchange: %+v", b)
	}
	if r := ex.ExpectHops[3]; r.Verdict != chain.Rejected || r.Agrees || r.Act != "alice via workouts via billing" {
		t.Errorf("reports with exchange: %+v", r)
	}
	if len(ex.Exports) != 1 || ex.Exports[0].Name != SecretEnv || ex.Exports[0].Value != "s3cret" || !slices.Contains(ex.Env, SecretEnv) || !slices.Contains(ex.Env, "TOKEN") {
		t.Errorf("compare step exports %+v, env %q", ex.Exports, ex.Env)
	}
	if got := ex.Exports[0].Printed(); got != "export SERVICE_SECRET=s3cret" {
		t.Errorf("the export prints %q", got)
	}
}

// CheckChain says which hop did not go as scripted, and how: a failed
// exchange with the authority's error, an act chain that is not the
// story's.
func TestCheckChain(t *testing.T) {
	w := &World{Authority: "http://127.0.0.1:1", ChainFile: "/tmp/x/chain.yaml", ExchangeFile: "/tmp/x/exchange.yaml", Secret: "s3cret"}
	st := w.Story()[4]
	yes, no := true, false
	hop := func(i int, name string, v chain.Verdict, agrees bool, act string) *chain.Result {
		r := &chain.Result{Index: i, Name: name, Verdict: v, Agrees: &yes}
		if !agrees {
			r.Agrees = &no
		}
		if act != "" {
			r.Received = &chain.HopToken{From: chain.FromExchange, Delegation: &decode.Delegation{Chain: act}}
		}
		return r
	}
	scripted := func() *chain.Report {
		return &chain.Report{Hops: []*chain.Result{
			hop(1, "workouts", chain.Accepted, true, ""),
			hop(2, "workout-log", chain.Accepted, true, ""),
			hop(3, "billing", chain.Accepted, true, "alice via workouts"),
			hop(4, "reports", chain.Rejected, false, "alice via workouts via billing"),
		}}
	}
	if ok, detail := st.CheckChain(scripted()); !ok {
		t.Fatalf("the scripted run is not as scripted: %s", detail)
	}
	broken := scripted()
	broken.Hops[2] = &chain.Result{Index: 3, Name: "billing", Verdict: chain.Error,
		Error: "the exchange before this hop failed (the hop was not called): invalid_client: wrong secret for client \"workouts\""}
	broken.Hops[3] = &chain.Result{Index: 4, Name: "reports", Verdict: chain.Error, Error: "not sent"}
	if ok, detail := st.CheckChain(broken); ok || !strings.Contains(detail, "hop 3 (billing): error, want accepted") || !strings.Contains(detail, "wrong secret for client") {
		t.Errorf("a failed exchange: %v %q", ok, detail)
	}
	wrongAct := scripted()
	wrongAct.Hops[3].Received.Delegation.Chain = "alice via workouts"
	if ok, detail := st.CheckChain(wrongAct); ok || !strings.Contains(detail, "hop 4 (reports)") || !strings.Contains(detail, "alice via workouts via billing") {
		t.Errorf("an act chain that is not the story's: %v %q", ok, detail)
	}
	noToken := scripted()
	noToken.Hops[2].Received = nil
	if ok, _ := st.CheckChain(noToken); ok {
		t.Error("a hop without the exchanged token is as scripted")
	}
}
