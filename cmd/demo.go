package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/chain"
	"github.com/jwtrace/jwtrace/demo"
	"github.com/jwtrace/jwtrace/internal/ui"
	"github.com/jwtrace/jwtrace/verify"
)

type demoOptions struct {
	streams     *ui.Streams
	now         func() time.Time
	keepRunning bool
	json        bool
	verbose     bool
}

func newDemoCmd(s *ui.Streams, now func() time.Time) *cobra.Command {
	opts := &demoOptions{streams: s, now: now}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Show everything jwtrace does, offline, in a few seconds",
		Long: `Demo starts, on loopback ephemeral ports in this process, a local authority
(approving the demo user alice by itself) and three services:

  workouts     validates the token (aud api://workouts), then calls
               workout-log with the same token and returns both answers
  workout-log  validates the token (aud api://workouts)
  billing      expects aud api://billing, so it rejects the token

Then it logs in with the device flow, decodes the token, verifies it
against the authority, and sends it through workouts, workout-log and
billing with each hop's declared rules: billing's rejection and jwtrace's
matching prediction are the failure people meet in real life. Each step
shows the command that does the same by hand.

Nothing leaves the machine, and nothing is written outside a temporary
directory (the user's token and discovery caches are not touched).
--keep-running leaves the servers up and prints their URLs and a ready
chain file.

Exit status: 0 the demo went as scripted, 1 it did not.`,
		Example: `  jwtrace demo
  jwtrace demo --keep-running`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.keepRunning, "keep-running", false, "leave the authority and services running until Ctrl-C, and print their URLs and a chain file")
	f.BoolVar(&opts.json, "json", false, "print the steps' outcomes and the servers' URLs as JSON instead of the story")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "show the authority's and services' request logs on stderr")
	return cmd
}

// demoStep is one step's outcome, for --json and the final verdict.
type demoStep struct {
	Name    string `json:"name"`
	Command string `json:"command"`
	Exit    int    `json:"exit"`
	OK      bool   `json:"ok"`
	// Detail says what went differently from the script.
	Detail string `json:"detail,omitempty"`
}

func runDemo(ctx context.Context, opts *demoOptions) error {
	s := opts.streams
	if ctx == nil {
		ctx = context.Background()
	}
	wopts := demo.Options{}
	if opts.verbose {
		wopts.Log = ui.SafeLineWriter(s.ErrOut)
	}
	w, err := demo.Start(wopts)
	if err != nil {
		return err
	}
	defer w.Close()

	// The steps' output: the story, or nothing with --json.
	out, errOut := s.Out, s.ErrOut
	if opts.json {
		out, errOut = &bytes.Buffer{}, &bytes.Buffer{}
	}
	sub := *s
	sub.Out, sub.ErrOut = out, errOut
	// Keep the user's token and discovery caches out of it.
	sub.Env = append(append([]string(nil), s.Env...), "JWTRACE_CACHE_DIR="+filepath.Join(w.Dir, "cache"))
	p := s.Printer(out)
	shell := func(args ...string) string { return "jwtrace " + shellJoin(args) }
	exec := func(args ...string) int { return Run(ctx, &sub, args, opts.now) }

	const total = 4
	var steps []demoStep
	p.Para("jwtrace demo: a local authority and three services, on this machine only.")
	p.Para("")
	rows := [][]string{{"authority", w.Authority, "approves the device login of " + demo.User + " by itself"}}
	for _, svc := range w.Services {
		what := "accepts aud " + svc.Audience
		if svc.Calls != "" {
			what += ", then calls " + svc.Calls + " with the same token"
		}
		rows = append(rows, []string{svc.Name, svc.Endpoint(), what})
	}
	p.Table(rows)

	// 1. Log in.
	loginArgs := []string{"login", "--no-browser", "--authority", w.Authority, "--client-id", demo.ClientID, "--scope", demo.Scope, "--audience", demo.Audience}
	p.Step(1, total, "Log in with the device flow (approved by the authority as "+demo.User+")")
	p.Command("TOKEN=$(" + shell(loginArgs...) + ")")
	var tokenOut bytes.Buffer
	loginStreams := sub
	loginStreams.Out = &tokenOut
	code := Run(ctx, &loginStreams, loginArgs, opts.now)
	token := strings.TrimSpace(tokenOut.String())
	steps = append(steps, demoStep{Name: "login", Command: shell(loginArgs...), Exit: code, OK: code == ExitOK && token != ""})
	if code != ExitOK {
		return demoResult(ctx, s, opts, w, steps)
	}

	// 2. Decode.
	p.Step(2, total, "Decode it: header, claims, readable times, what looks wrong")
	p.Command(`jwtrace decode "$TOKEN"`)
	code = exec("decode", token)
	steps = append(steps, demoStep{Name: "decode", Command: `jwtrace decode "$TOKEN"`, Exit: code, OK: code == ExitOK})

	// 3. Verify.
	verifyArgs := []string{"verify", "--authority", w.Authority, "--audience", demo.Audience}
	p.Step(3, total, "Verify it against the authority's keys, with explicit rules")
	p.Command(shell(verifyArgs...) + ` "$TOKEN"`)
	code = exec(append(verifyArgs, token)...)
	steps = append(steps, demoStep{Name: "verify", Command: shell(verifyArgs...) + ` "$TOKEN"`, Exit: code, OK: code == ExitOK})

	// 4. Chain.
	p.Step(4, total, "Send it from service to service, each with its declared rules")
	p.Dim("# " + w.ChainFile)
	for _, l := range strings.Split(strings.TrimRight(chainFileText(w), "\n"), "\n") {
		p.Dim("  " + l)
	}
	chainArgs := []string{"chain", "--file", w.ChainFile}
	p.Command(shell(chainArgs...) + ` --token "$TOKEN"`)
	copts := &chainOptions{streams: &sub, now: opts.now, file: w.ChainFile, token: token, timeout: verify.DefaultTimeout}
	rep, err := chainReport(ctx, copts, nil)
	code = exitCode(err)
	step := demoStep{Name: "chain", Command: shell(chainArgs...) + ` --token "$TOKEN"`, Exit: code}
	step.OK, step.Detail = chainAsScripted(rep)
	steps = append(steps, step)
	if step.OK {
		p.Para("")
		p.Para("billing rejected the token: it was issued for " + demo.Audience + " and billing wants " + demo.BillingAudience + ".")
		p.Para("jwtrace's prediction from billing's declared rules agrees, and names the claim at fault.")
		p.Para("The fix belongs to the caller: ask for a token with billing's audience before calling billing.")
	}

	p.Para("")
	p.Para("Do the same with your own authority and services:")
	for _, l := range []string{
		`jwtrace decode "$TOKEN"`,
		`jwtrace verify --authority https://login.example.com --audience api://yours "$TOKEN"`,
		`TOKEN=$(jwtrace login --authority https://login.example.com --client-id YOUR_CLIENT --scope 'openid api.read')`,
		`jwtrace chain --token-env TOKEN --file chain.yaml`,
	} {
		p.Command(l)
	}
	return demoResult(ctx, s, opts, w, steps)
}

// chainAsScripted checks the chain went as the story says: workouts and
// workout-log accepted, billing rejected, and every prediction agreed.
func chainAsScripted(rep *chain.Report) (bool, string) {
	if rep == nil || len(rep.Hops) != 3 {
		return false, "the chain did not run"
	}
	want := []chain.Verdict{chain.Accepted, chain.Accepted, chain.Rejected}
	for i, h := range rep.Hops {
		if h.Verdict != want[i] {
			return false, fmt.Sprintf("hop %d (%s): %s, want %s", h.Index, h.Name, h.Verdict, want[i])
		}
		if h.Agrees == nil || !*h.Agrees {
			return false, fmt.Sprintf("hop %d (%s): the prediction did not match the server", h.Index, h.Name)
		}
	}
	if c := rep.Hops[2].Cause; c == nil || c.Claim != "aud" {
		return false, "hop 3 (billing): the cause is not the audience"
	}
	return true, ""
}

// demoResult ends the demo: the JSON, the servers left running with
// --keep-running, and the exit status.
func demoResult(ctx context.Context, s *ui.Streams, opts *demoOptions, w *demo.World, steps []demoStep) error {
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
		services := map[string]string{}
		for _, svc := range w.Services {
			services[svc.Name] = svc.Endpoint()
		}
		if err := ui.WriteJSON(s.Out, map[string]any{"ok": ok, "authority": w.Authority, "services": services, "steps": steps}, s.StdoutIsTerminal()); err != nil {
			return err
		}
	}
	p := s.Printer(s.ErrOut)
	if !ok {
		fmt.Fprintln(s.ErrOut, p.Warning("The demo did not go as scripted: "+strings.Join(failed, "; ")))
	}
	if opts.keepRunning {
		keepRunning(ctx, s, w)
	}
	if !ok {
		return &silentError{ExitRejected}
	}
	return nil
}

// keepRunning prints the servers and a chain file, and waits for Ctrl-C.
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
	p.Para("Chain file " + w.ChainFile + " (removed at exit). Try:")
	p.Command("TOKEN=$(jwtrace login --no-browser --authority " + w.Authority + " --client-id " + demo.ClientID + " --audience " + demo.Audience + ")")
	p.Command("jwtrace chain --token-env TOKEN --file " + w.ChainFile)
	p.Command(`curl -i -H "Authorization: Bearer $TOKEN" ` + w.Service("billing").Endpoint())
	<-ctx.Done()
}

func chainFileText(w *demo.World) string {
	b, err := os.ReadFile(w.ChainFile)
	if err != nil {
		return ""
	}
	return string(b)
}

// shellJoin quotes arguments for a POSIX shell where needed.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
		}) < 0 {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
