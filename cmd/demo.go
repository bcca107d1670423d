package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/demo"
	"github.com/jwtrace/jwtrace/demo/resource"
	"github.com/jwtrace/jwtrace/internal/netx"
	"github.com/jwtrace/jwtrace/internal/ui"
)

type demoOptions struct {
	deps        *Deps
	keepRunning bool
	json        bool
	verbose     bool
	// world, when set, changes the started world before the story runs
	// (tests: a broken exchange).
	world func(*demo.World)
}

func newDemoCmd(d *Deps) *cobra.Command {
	opts := &demoOptions{deps: d}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Show everything jwtrace does, offline, in a few seconds",
		Long: `Demo starts, on loopback ephemeral ports in this process, a local authority
(approving the demo user alice by itself) and four services:

  workouts     validates the token (aud api://workouts), then calls
               workout-log with the same token and returns both answers
  workout-log  validates the token (aud api://workouts)
  billing      expects aud api://billing, so it rejects the token
  reports      should expect api://reports, but is misconfigured to accept
               api://workouts

Then it logs in with the device flow, decodes the token, verifies it
against the authority, and sends it through the four services with each
hop's declared rules, passing the one token along: billing's rejection
(which jwtrace predicts) and reports' acceptance (which its declared rules
contradict) are the failures people meet in real life. Then it runs the
same chain with real delegation (chain --compare): before billing and
reports, the service that calls them exchanges the token at the authority
for one meant for them (RFC 8693 token exchange, as the confidential
clients workouts and billing, secret in $SERVICE_SECRET). billing now
accepts, its token meant for it, with the callers in act; reports, still
misconfigured, rejects the token meant for it, which its declared rules
accept. Each step shows the command that does the same by hand.

Nothing leaves the machine, and nothing is written outside a temporary
directory (the user's token and discovery caches are not touched).
--keep-running leaves the servers up until Ctrl-C (then exit 0) and prints
their URLs, ready chain files, and the commands to try.

Exit status: 0 the demo went as scripted (both halves), 1 it did not (the
message names the step and the hop).`,
		Example: `  jwtrace demo
  jwtrace demo --keep-running
  jwtrace demo --json | jq .chain.summary`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.keepRunning, "keep-running", false, "leave the authority and services running until Ctrl-C, and print their URLs, chain files and commands to try")
	f.BoolVar(&opts.json, "json", false, "print the steps' outcomes, the servers and the chain reports (pass-through and with exchanges) as JSON instead of the story")
	// No -v: at the root, -v is --version.
	f.BoolVar(&opts.verbose, "verbose", false, "show the authority's and services' request logs on stderr")
	return cmd
}

// demoStep is one step's outcome, for --json and the final verdict.
type demoStep struct {
	Name    string `json:"name"`
	Command string `json:"command"`
	Exit    int    `json:"exit"`
	// ExpectedExit is the exit status the story expects: the chain ends in
	// 1, because billing rejects the token, and so does the compare step,
	// because reports rejects the token meant for it.
	ExpectedExit int  `json:"expected_exit"`
	OK           bool `json:"ok"`
	// Detail says what went differently from the script.
	Detail string `json:"detail,omitempty"`
}

// demoJSON is demo --json's object.
type demoJSON struct {
	OK        bool              `json:"ok"`
	Authority string            `json:"authority"`
	Services  map[string]string `json:"services"`
	// ChainFile and ExchangeFile exist only while the demo runs
	// (--keep-running).
	ChainFile    string     `json:"chain_file"`
	ExchangeFile string     `json:"exchange_file"`
	Steps        []demoStep `json:"steps"`
	// Chain is the pass-through chain's report, Exchange the compare
	// step's run with the exchanges.
	Chain    *chain.Report `json:"chain"`
	Exchange *chain.Report `json:"exchange"`
}

func runDemo(ctx context.Context, opts *demoOptions) error {
	s := opts.deps.Streams
	if ctx == nil {
		ctx = context.Background()
	}
	// A reader that stops early (jwtrace demo | head -1) must not kill the
	// process before the deferred Close removes the temporary directory,
	// which holds a cached token: with SIGPIPE caught, writes to the closed
	// pipe fail instead, the story runs out and the directory goes.
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)
	wopts := demo.Options{}
	if opts.verbose {
		wopts.Log = ui.SafeLineWriter(s.ErrOut)
	}
	w, err := demo.Start(wopts)
	if err != nil {
		return err
	}
	defer w.Close()
	if opts.world != nil {
		opts.world(w)
	}

	// The steps' output: the story, or nothing with --json.
	out, errOut := s.Out, s.ErrOut
	if opts.json {
		out, errOut = io.Discard, io.Discard
	}
	sub := *s
	sub.Out, sub.ErrOut = out, errOut
	// Keep the user's token and discovery caches out of it.
	sub.Env = append(append([]string(nil), s.Env...), "JWTRACE_CACHE_DIR="+filepath.Join(w.Dir, "cache"))
	p := s.Printer(out)

	story := w.Story()
	var steps []demoStep
	p.Para("jwtrace demo: a local authority and four services, on this machine only.")
	p.Para("")
	rows := [][]string{{"authority", w.Authority, "approves the device login of " + demo.User + " by itself, and token exchanges"}}
	for _, svc := range w.Services {
		what := "accepts aud " + svc.Audience
		if svc.Calls != "" {
			what += ", then calls " + svc.Calls + " with the same token"
		}
		if svc.Declared != svc.Audience {
			what += " (but should want " + svc.Declared + ")"
		}
		rows = append(rows, []string{svc.Name, svc.Endpoint(), what})
	}
	p.Table(rows)

	// Each step runs its printed command line, split and expanded as a
	// shell would, through RunWith: what the demo prints is what runs.
	vars := map[string]string{}
	var rep, exRep *chain.Report
	for i, st := range story {
		p.Step(i+1, len(story), st.Title)
		if st.ShowFile != "" {
			p.Dim("# " + st.ShowFile)
			for _, l := range strings.Split(strings.TrimRight(fileText(st.ShowFile), "\n"), "\n") {
				p.Dim("  " + l)
			}
		}
		for _, e := range st.Exports {
			p.Command(e.Printed())
			vars[e.Name] = e.Value
		}
		p.Command(st.Printed())
		code, captured, stepRep, err := runStep(ctx, opts.deps, &sub, st, vars)
		if err != nil {
			return err
		}
		step := demoStep{Name: st.Name, Command: st.Printed(), Exit: code, ExpectedExit: st.ExpectExit, OK: code == st.ExpectExit}
		if st.Capture != "" {
			vars[st.Capture] = captured
			step.OK = step.OK && captured != ""
		}
		if st.ExpectHops != nil {
			if st.Name == "compare" {
				exRep = stepRep
			} else {
				rep = stepRep
			}
			ok, detail := st.CheckChain(stepRep)
			step.OK, step.Detail = step.OK && ok, detail
		}
		steps = append(steps, step)
		if st.Capture != "" && !step.OK {
			// Without the token, the rest of the story cannot run.
			return demoResult(ctx, s, opts, w, steps, nil, nil)
		}
		if step.OK && st.After != nil {
			// What the step showed, told.
			p.Para("")
			if st.Name == "chain" {
				if d := downstreamAnswer(ctx, w, vars["TOKEN"]); d != "" {
					p.Para(d)
					p.Para("")
				}
			}
			for j, para := range st.After {
				if j > 0 {
					p.Para("")
				}
				for _, l := range para {
					p.Para(l)
				}
			}
		}
	}

	p.Para("")
	p.Para("Do the same with your own authority and services:")
	for _, l := range []string{
		`export TOKEN=$(jwtrace login --authority https://login.example.com --client-id YOUR_CLIENT --scope 'openid api.read')`,
		`jwtrace decode "$TOKEN"`,
		`jwtrace verify --authority https://login.example.com --audience api://yours "$TOKEN"`,
		`jwtrace chain --token-env TOKEN --file chain.yaml`,
		`jwtrace chain --compare --token-env TOKEN --file exchange.yaml`,
	} {
		p.Command(l)
	}
	if !opts.keepRunning {
		p.Para("")
		p.Para("To try them against these servers, run jwtrace demo --keep-running.")
	}
	return demoResult(ctx, s, opts, w, steps, rep, exRep)
}

// downstreamAnswer asks workouts itself, which calls workout-log with the
// same token, and says what workout-log answered: the A -> B hand-off the
// chain table cannot show.
func downstreamAnswer(ctx context.Context, w *demo.World, token string) string {
	svc := w.Service("workouts")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, svc.Endpoint(), nil)
	if err != nil {
		return ""
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := netx.Default().Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var r resource.Response
	if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r) != nil || r.Downstream == nil {
		return ""
	}
	var down resource.Response
	_ = json.Unmarshal(r.Downstream.Body, &down)
	who := ""
	if down.User != "" {
		who = ", as user " + down.User
	}
	return fmt.Sprintf("workouts passed the same token on to %s, which answered %d%s.", svc.Calls, r.Downstream.Status, ui.Safe(who))
}

// runStep runs a step's command line as a shell would: its words split
// and its $VARIABLES expanded from the story's (vars) and the streams'
// environment, the step's Env exported to it, and, when the step captures
// its output, its stdout read into the variable. It returns the exit
// status, the captured output, and the chain report of a chain command.
func runStep(ctx context.Context, d *Deps, s *ui.Streams, st demo.Step, vars map[string]string) (int, string, *chain.Report, error) {
	lookup := func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		return s.LookupEnv(name)
	}
	words, err := demo.Words(st.Command, lookup)
	if err != nil || len(words) == 0 || words[0] != "jwtrace" {
		return 0, "", nil, fmt.Errorf("demo: the %s step's command %q is not one jwtrace command: %v", st.Name, st.Command, err)
	}
	sub := *s
	sub.Env = append([]string(nil), s.Env...)
	for _, name := range st.Env {
		v, _ := lookup(name)
		sub.Env = append(sub.Env, name+"="+v)
	}
	var captured bytes.Buffer
	if st.Capture != "" {
		sub.Out = &captured
	}
	var rep *chain.Report
	inner := *d
	inner.Streams = &sub
	inner.chainReport = func(r *chain.Report) { rep = r }
	code := RunWith(ctx, inner, words[1:])
	return code, strings.TrimSpace(captured.String()), rep, nil
}

// demoResult ends the demo: the JSON, the servers left running with
// --keep-running, and the exit status.
func demoResult(ctx context.Context, s *ui.Streams, opts *demoOptions, w *demo.World, steps []demoStep, rep, exRep *chain.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ok := true
	var failed []string
	for _, st := range steps {
		if !st.OK {
			ok = false
			msg := st.Name
			if st.Detail != "" {
				msg += ": " + st.Detail
			}
			failed = append(failed, msg)
		}
	}
	if opts.json {
		out := demoJSON{OK: ok, Authority: w.Authority, Services: map[string]string{}, Steps: steps, Chain: rep, Exchange: exRep}
		for _, svc := range w.Services {
			out.Services[svc.Name] = svc.Endpoint()
		}
		if opts.keepRunning {
			out.ChainFile, out.ExchangeFile = w.ChainFile, w.ExchangeFile
		}
		if err := ui.WriteJSON(s.Out, out, s.StdoutIsTerminal()); err != nil {
			return err
		}
	}
	p := s.Printer(s.ErrOut)
	if !ok {
		// A detail can quote an authority's error: escaped.
		fmt.Fprintln(s.ErrOut, p.Warning(ui.Safe("The demo did not go as scripted: "+strings.Join(failed, "; "))))
	}
	if opts.keepRunning {
		keepRunning(ctx, s, w)
	}
	if !ok {
		return reported(outcomeRejected)
	}
	return nil
}

// keepRunning prints the servers, the environment and commands to try,
// and waits for Ctrl-C.
func keepRunning(ctx context.Context, s *ui.Streams, w *demo.World) {
	p := s.Printer(s.ErrOut)
	p.Para("")
	p.Para("The authority and the services keep running until Ctrl-C:")
	rows := [][]string{{"authority", w.Authority}}
	for _, svc := range w.Services {
		rows = append(rows, []string{svc.Name, svc.Endpoint()})
	}
	p.Table(rows)
	p.Para("")
	p.Para("Paste these in another shell (the chain files are removed at exit):")
	p.Paste(
		"export "+demo.Join(w.Env()...),
		"export TOKEN=$("+demo.LoginCommand(w.Authority)+")",
		"jwtrace chain --token-env TOKEN --file "+w.ChainFile,
		"jwtrace chain --compare --token-env TOKEN --file "+w.ExchangeFile,
		"jwtrace chain --token-env TOKEN --file testdata/chains/workouts.yaml   # in a clone of jwtrace",
		"jwtrace chain --compare --token-env TOKEN --file testdata/chains/delegation.yaml   # in a clone of jwtrace",
		`curl -i -H "Authorization: Bearer $TOKEN" `+w.Service("billing").Endpoint(),
	)
	if hint := notOnPath(s); hint != "" {
		p.Para(hint)
	}
	<-ctx.Done()
}

// notOnPath says how to get jwtrace on PATH when it is not there (a user
// who ran "go run . demo"), since every command the demo prints needs it.
func notOnPath(s *ui.Streams) string {
	path := s.Getenv("PATH")
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		if fi, err := os.Stat(filepath.Join(dir, "jwtrace")); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return ""
		}
	}
	return "jwtrace is not on your PATH, so these commands will not run yet: in a clone of jwtrace, `go install .` puts it in $(go env GOPATH)/bin."
}

func fileText(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	return string(b)
}
