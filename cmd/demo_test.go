package cmd

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/demo"
	"github.com/jwtrace/jwtrace/internal/ui"

	"github.com/jwtrace/jwtrace/internal/syncbuf"
)

func demoRun(t *testing.T, ctx context.Context, errOut *syncbuf.Buffer, args ...string) run {
	t.Helper()
	var out strings.Builder
	if errOut == nil {
		errOut = &syncbuf.Buffer{}
	}
	s := &ui.Streams{Env: []string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir()}, Out: &out, ErrOut: errOut, In: strings.NewReader("")}
	code := RunWith(ctx, testDeps(t, s, time.Now), append([]string{"demo"}, args...))
	return run{code, out.String(), errOut.String()}
}

// The whole story runs, offline, in a few seconds, and exits 0.
func TestDemo(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := demoRun(t, context.Background(), nil)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the demo took %s", d)
	}
	for _, want := range []string{
		`(?m)^  workouts     http://127\.0\.0\.1:\d+/workouts  accepts aud api://workouts, then calls workout-log with the same token$`,
		`(?m)^── 1/5  Log in with the device flow`,
		`(?m)^\$ export TOKEN=\$\(jwtrace login --no-browser --authority http://127\.0\.0\.1:\d+ --client-id jwtrace --scope 'openid workouts\.read' --audience api://workouts\)$`,
		`(?m)^\$ jwtrace decode "\$TOKEN"$`,
		`(?m)^    "sub": "alice",$`,
		`(?m)^VALID: 8 checks passed$`,
		`(?m)^ +3  billing +GET http://127\.0\.0\.1:\d+/plan +401 .* rejected: invalid_token +reject  ✓$`,
		`(?m)^ +cause: aud · token aud \[api://workouts\] has none of: api://billing \(hop 3's declared rules\)$`,
		`(?m)^ +4  reports +GET http://127\.0\.0\.1:\d+/reports +200 .* accepted +reject  ✗ DISAGREES$`,
		`(?m)^3 of 4 hops accepted the token; hop 3 \(billing\) rejected it: token aud \[api://workouts\] has none of: api://billing; hop 4 \(reports\): the server and its declared rules disagree\.$`,
		`(?m)^workouts passed the same token on to workout-log, which answered 200, as user alice\.$`,
		`(?m)^To try them against these servers, run jwtrace demo --keep-running\.$`,
		`(?m)^\$ jwtrace chain --token-env TOKEN --file chain\.yaml$`,
		// The second half: the same chain with exchanges.
		`(?m)^── 5/5  The same chain with real delegation`,
		`(?m)^      exchange:\n        mode: token-exchange\n        authority: http://127\.0\.0\.1:\d+\n        client_id: workouts\n        client_secret: \$\{SERVICE_SECRET\}\n        audience: api://billing$`,
		`(?m)^\$ export SERVICE_SECRET=demo-service-secret\n\$ jwtrace chain --compare --token-env TOKEN --file /tmp/jwtrace-demo-\d+/exchange\.yaml$`,
		`(?m)^ +3  billing +rejected 401 +accepted 200 \(exchanged\)$`,
		`(?m)^ +exchange: +aud api://billing · act alice via workouts · exchanged$`,
		`(?m)^ +4  reports +accepted 200 ✗ +rejected 401 ✗ \(exchanged\)$`,
		`(?m)^  ✗ the server and the hop's declared rules disagree$`,
		`(?m)^exchange: +3 of 4 hops accepted the token; hop 4 \(reports\) rejected it.*hop 4 \(reports\): the server and its declared rules disagree\.$`,
		`(?m)^With the exchanges, billing accepted: workouts exchanged the token for one meant for api://billing,$`,
		`(?m)^reports is still the misconfigured service`,
	} {
		if !regexp.MustCompile(want).MatchString(r.out) {
			t.Errorf("stdout lacks %s", want)
		}
	}
	// The first half's narration comes after its chain, before the second
	// half.
	if pt, ex := strings.Index(r.out, "billing rejected the token: it was issued for"), strings.Index(r.out, "── 5/5"); pt < 0 || ex < 0 || pt > ex {
		t.Errorf("the pass-through story is not told before the exchange one:\n%s", r.out)
	}
	if !strings.Contains(r.errOut, "Signed in as alice@example.com · aud api://workouts") {
		t.Errorf("stderr lacks the login summary:\n%s", r.errOut)
	}
	// The token is never printed whole: decode shows its parts, chain
	// masks it.
	if regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`).MatchString(r.out + r.errOut) {
		t.Error("the demo printed a whole token")
	}
}

func TestDemoJSON(t *testing.T) {
	t.Parallel()
	r := demoRun(t, context.Background(), nil, "--json")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	type report struct {
		Hops []struct {
			Name     string `json:"name"`
			Verdict  string `json:"verdict"`
			Received *struct {
				From       string   `json:"from"`
				Aud        []string `json:"aud"`
				Delegation *struct {
					Chain string `json:"chain"`
				} `json:"delegation"`
			} `json:"received"`
		} `json:"hops"`
		Summary struct {
			Text          string `json:"text"`
			Disagreements int    `json:"disagreements"`
		} `json:"summary"`
	}
	var got struct {
		OK        bool              `json:"ok"`
		Authority string            `json:"authority"`
		Services  map[string]string `json:"services"`
		Steps     []demoStep        `json:"steps"`
		Chain     report            `json:"chain"`
		Exchange  report            `json:"exchange"`
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	if !got.OK || len(got.Steps) != 5 || len(got.Services) != 4 || !strings.HasPrefix(got.Authority, "http://127.0.0.1:") {
		t.Fatalf("%+v", got)
	}
	for i, name := range []string{"login", "decode", "verify", "chain", "compare"} {
		st := got.Steps[i]
		if st.Name != name || !st.OK {
			t.Errorf("step %d = %+v", i, st)
		}
	}
	if st := got.Steps[3]; st.Exit != ExitRejected || st.ExpectedExit != ExitRejected {
		t.Errorf("chain step %+v: billing's rejection is part of the story", st)
	}
	if s := got.Chain.Summary; s.Disagreements != 1 || !strings.HasPrefix(s.Text, "3 of 4 hops accepted the token") {
		t.Errorf("chain summary %+v", s)
	}
	// exchange is the compare step's exchange run: billing accepted the
	// token exchanged for it, reports rejected the one meant for it.
	if st := got.Steps[4]; st.Exit != ExitRejected || st.ExpectedExit != ExitRejected || !strings.Contains(st.Command, "chain --compare") {
		t.Errorf("compare step %+v", st)
	}
	if ex := got.Exchange; len(ex.Hops) != 4 || ex.Hops[2].Verdict != "accepted" || ex.Hops[3].Verdict != "rejected" ||
		ex.Hops[2].Received == nil || ex.Hops[2].Received.From != "exchange" || ex.Hops[2].Received.Delegation == nil ||
		ex.Hops[2].Received.Delegation.Chain != "alice via workouts" || ex.Summary.Disagreements != 1 {
		t.Errorf("exchange report %+v", ex)
	}
	if r.errOut != "" {
		t.Errorf("--json wrote to stderr:\n%s", r.errOut)
	}
}

// --keep-running leaves the servers up until Ctrl-C, and says where they
// are.
func TestDemoKeepRunning(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &syncbuf.Buffer{}
	done := make(chan run, 1)
	go func() { done <- demoRun(t, ctx, errOut, "--keep-running") }()
	var authority string
	deadline := time.Now().Add(10 * time.Second)
	for authority == "" && time.Now().Before(deadline) {
		if m := regexp.MustCompile(`(?m)^  authority    (http://127\.0\.0\.1:\d+)$`).FindStringSubmatch(errOut.String()); m != nil {
			authority = m[1]
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if authority == "" {
		cancel()
		t.Fatalf("no authority URL printed:\n%s", errOut.String())
	}
	resp, err := http.Get(authority + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("discovery: %d", resp.StatusCode)
	}
	// Wait for the commands to try, then run them as printed.
	var lines []string
	for time.Now().Before(deadline) {
		// The block after "Paste these" is pasted as it is: two-space
		// indented lines, no "$ " prompt a shell would choke on.
		if _, block, ok := strings.Cut(errOut.String(), "Paste these in another shell (the chain files are removed at exit):\n"); ok && strings.Contains(block, "  curl ") {
			for _, l := range strings.Split(block, "\n") {
				c, ok := strings.CutPrefix(l, "  ")
				if !ok {
					break
				}
				lines = append(lines, c)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(lines) != 7 {
		cancel()
		t.Fatalf("want 7 commands to try, got %q", lines)
	}
	runPrinted(t, lines)
	cancel()
	r := <-done
	if r.code != ExitOK {
		t.Errorf("exit %d after Ctrl-C", r.code)
	}
	if _, err := http.Get(authority + "/.well-known/openid-configuration"); err == nil {
		t.Error("the authority still answers after the demo ended")
	}
}

// runPrinted runs the commands demo --keep-running prints, the way a shell
// would, and checks each does what the demo says.
func runPrinted(t *testing.T, lines []string) {
	t.Helper()
	env := []string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir()}
	var token string
	jwtraceLine := func(line string) run {
		t.Helper()
		line, _, _ = strings.Cut(line, "   #")
		args, err := shellWords(strings.TrimPrefix(line, "jwtrace "))
		if err != nil {
			t.Fatal(err)
		}
		// "in a clone of jwtrace": the files are relative to the
		// repository, which is the test's parent directory.
		for i, a := range args {
			if strings.HasPrefix(a, "testdata/") {
				args[i] = filepath.Join("..", a)
			}
		}
		var out, errOut strings.Builder
		s := &ui.Streams{Env: env, Out: &out, ErrOut: &errOut, In: strings.NewReader("")}
		code := RunWith(context.Background(), testDeps(t, s, time.Now), args)
		return run{code, out.String(), errOut.String()}
	}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "export TOKEN=$("):
			r := jwtraceLine(strings.TrimSuffix(strings.TrimPrefix(l, "export TOKEN=$("), ")"))
			if r.code != ExitOK {
				t.Fatalf("%s: exit %d\n%s", l, r.code, r.errOut)
			}
			token = strings.TrimSpace(r.out)
			env = append(env, "TOKEN="+token)
		case strings.HasPrefix(l, "export "):
			env = append(env, strings.Fields(strings.TrimPrefix(l, "export "))...)
		case strings.HasPrefix(l, "jwtrace chain --compare "):
			// The second half: billing accepts the token exchanged for
			// it, reports rejects the one meant for it.
			r := jwtraceLine(l)
			if r.code != ExitRejected || !regexp.MustCompile(`(?m)^ +\d  billing +rejected 401 +accepted 200 \(exchanged\)$`).MatchString(r.out) ||
				!strings.Contains(r.out, "act alice via workouts") {
				t.Errorf("%s: exit %d\n%s%s", l, r.code, r.out, r.errOut)
			}
		case strings.HasPrefix(l, "jwtrace chain "):
			r := jwtraceLine(l)
			if r.code != ExitRejected || !strings.Contains(r.out, "✗ DISAGREES") || !strings.Contains(r.out, "rejected: invalid_token") {
				t.Errorf("%s: exit %d\n%s%s", l, r.code, r.out, r.errOut)
			}
		case strings.HasPrefix(l, "curl "):
			u := l[strings.LastIndex(l, " ")+1:]
			req, _ := http.NewRequest("GET", u, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("%s: %d %q", l, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		default:
			t.Errorf("unexpected command %q", l)
		}
	}
}

// The commands demo --keep-running prints need jwtrace on PATH; a user who
// ran "go run . demo" is told how to get it there.
func TestDemoSaysWhenJwtraceIsNotOnPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if hint := notOnPath(&ui.Streams{Env: []string{"PATH=" + dir}}); !strings.Contains(hint, "go install .") {
		t.Errorf("no install hint without jwtrace on PATH: %q", hint)
	}
	if err := os.WriteFile(filepath.Join(dir, "jwtrace"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if hint := notOnPath(&ui.Streams{Env: []string{"PATH=/nonexistent" + string(os.PathListSeparator) + dir}}); hint != "" {
		t.Errorf("a hint though jwtrace is on PATH: %q", hint)
	}
}

// Each step of the demo's story is one jwtrace command, read the way the
// README's examples are (shellWords after the shell's expansion), whose
// flags the command parses: the demo runs exactly what it prints.
func TestDemoStoryIsCommands(t *testing.T) {
	t.Parallel()
	w := &demo.World{Authority: "http://127.0.0.1:1", ChainFile: "/tmp/jwtrace-demo-1/chain.yaml", ExchangeFile: "/tmp/jwtrace-demo-1/exchange.yaml", Secret: demo.Secret}
	vars := map[string]string{"TOKEN": "eyJhbGciOiJub25lIn0.e30."}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	for _, st := range w.Story() {
		words, err := demo.Words(st.Command, lookup)
		if err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		readme, err := shellWords(os.Expand(st.Command, func(n string) string { return vars[n] }))
		if err != nil || !slices.Equal(words, readme) {
			t.Errorf("%s: demo.Words %q, the README tests read %q (%v)", st.Name, words, readme, err)
		}
		s := &ui.Streams{Env: []string{"TERM=dumb"}, Out: io.Discard, ErrOut: io.Discard, In: strings.NewReader("")}
		d := testDeps(t, s, time.Now)
		root := newRoot(d.withDefaults(), new(bool))
		c, rest, err := root.Find(words[1:])
		// A step is named for its command, but for the second chain
		// step, compare.
		if name := map[string]string{"compare": "chain"}[st.Name]; err != nil || c.Name() != st.Name && c.Name() != name {
			t.Errorf("%s: %q runs %v (%v)", st.Name, st.Command, c.CommandPath(), err)
			continue
		}
		if err := c.ParseFlags(rest); err != nil {
			t.Errorf("%s: %q: %v", st.Name, st.Command, err)
		}
	}
}

// The demo's steps run on the demo's own Deps: its login polls with the
// run's poll sleeper and its clock (not a second, real, timer).
func TestDemoStepsUseItsDeps(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	s := &ui.Streams{Env: []string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir()}, Out: &out, ErrOut: io.Discard, In: strings.NewReader("")}
	d := testDeps(t, s, time.Now)
	var slept, clock atomic.Int32
	d.PollSleep = func(ctx context.Context, dur time.Duration) error {
		slept.Add(1)
		return fastPoll(ctx, dur)
	}
	d.Now = func() time.Time { clock.Add(1); return time.Now() }
	if code := RunWith(context.Background(), d, []string{"demo"}); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	if slept.Load() == 0 {
		t.Error("the demo's login did not poll with the run's PollSleep")
	}
	if clock.Load() == 0 {
		t.Error("the demo's steps did not read the run's clock")
	}
}

// A broken exchange (the story exports a secret the authority does not
// know) makes the demo exit 1, and say which step did not go as
// scripted, and why: the authority's answer.
func TestDemoBrokenExchange(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	errOut := &syncbuf.Buffer{}
	s := &ui.Streams{Env: []string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir()}, Out: &out, ErrOut: errOut, In: strings.NewReader("")}
	d := testDeps(t, s, time.Now)
	opts := &demoOptions{deps: d.withDefaults(), world: func(w *demo.World) { w.Secret = "not-the-secret" }}
	code := exitCode(runDemo(context.Background(), opts))
	if code != ExitRejected {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "$ export SERVICE_SECRET=not-the-secret") {
		t.Errorf("the demo did not print the secret it used:\n%s", out.String())
	}
	want := regexp.MustCompile(`The demo did not go as scripted: compare: hop 3 \(billing\): error, want accepted: the exchange before this hop failed \(the hop was not called\): .*invalid_client.*wrong secret for client`)
	if !want.MatchString(errOut.String()) {
		t.Errorf("stderr does not say which step went wrong, and why:\n%s", errOut.String())
	}
	// The first half went as scripted, and is told; the second's
	// narration is not.
	if !strings.Contains(out.String(), "billing rejected the token: it was issued for") || strings.Contains(out.String(), "With the exchanges, billing accepted") {
		t.Errorf("the story's narration:\n%s", out.String())
	}
}
