package cmd

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/jwtrace/jwtrace/internal/ui"
)

func commandNames(root *cobra.Command) []string {
	var names []string
	for _, c := range root.Commands() {
		names = append(names, c.Name())
	}
	return names
}

// A run builds only the command it runs (building every command and its
// flags was a tenth of decode's start-up); help, completion and anything
// cobra must search or suggest from see them all.
func TestARunBuildsOnlyTheCommandItRuns(t *testing.T) {
	t.Parallel()
	d := testDeps(t, &ui.Streams{}, fixedNow)
	all := commandNames(newRoot(d.withDefaults(), new(bool)))
	if len(all) < 10 {
		t.Fatalf("the full tree has only %q", all)
	}
	for _, tt := range []struct {
		line []string
		want []string
	}{
		{[]string{"decode", "--file", "token.jwt"}, []string{"decode"}},
		{[]string{"decode"}, []string{"decode"}},
		{[]string{"authority", "serve", "--help"}, []string{"authority"}},
		{[]string{"config"}, []string{"config"}},
		{nil, all},
		{[]string{}, all},
		{[]string{"--help"}, all},
		{[]string{"-h"}, all},
		{[]string{"-v"}, all},
		{[]string{"help", "decode"}, all},
		{[]string{"__complete", "decode", "--"}, all},
		{[]string{"__completeNoDesc", ""}, all},
		{[]string{"completion", "bash"}, all},
		{[]string{"decde"}, all},
		{[]string{"--profile", "work", "decode"}, all},
	} {
		got := commandNames(newRootFor(d.withDefaults(), new(bool), tt.line))
		if !slices.Equal(got, tt.want) {
			t.Errorf("jwtrace %q builds %q, want %q", tt.line, got, tt.want)
		}
	}
}

// Each command is listed under the name it is run by, so that the run
// that names it finds it.
func TestEveryCommandIsListedUnderItsName(t *testing.T) {
	t.Parallel()
	d := testDeps(t, &ui.Streams{}, fixedNow).withDefaults()
	var profile string
	var names []string
	for _, c := range commands(&profile) {
		if got := c.build(d).Name(); got != c.name {
			t.Errorf("the command listed as %q is named %q", c.name, got)
		}
		names = append(names, c.name)
	}
	full := commandNames(newRoot(d, new(bool)))
	for _, n := range full {
		if n != "help" && n != "completion" && !slices.Contains(names, n) {
			t.Errorf("command %q is not in the list", n)
		}
	}
}

// runFull runs args on the full command tree, as jwtrace did before it
// built only the command being run.
func runFull(t *testing.T, s *ui.Streams, args ...string) run {
	t.Helper()
	var out, errOut bytes.Buffer
	s.Out, s.ErrOut = &out, &errOut
	deps := testDeps(t, s, fixedNow).withDefaults()
	var started bool
	root := newRoot(deps, &started)
	root.SetArgs(args)
	code := execute(context.Background(), deps, root, &started)
	return run{code, out.String(), errOut.String()}
}

// A command built alone behaves as it does in the full tree: its help,
// its errors and its output.
func TestACommandBuiltAloneBehavesAsInTheFullTree(t *testing.T) {
	t.Parallel()
	token := strings.TrimSpace(testdataFile(t, "access.jwt"))
	lines := [][]string{
		{"decode", token},
		{"decode", "--json", token},
		{"decode", "--bogus"},
		{"decode", "-"},
		{"decode", "--at", "soon", token},
		{"verify"},
		{"verify", "--leeway", "30", token},
		{"authority", "srve"},
		{"authority"},
		{"completion", "tcsh"},
		{"demo", "-v"},
		{"version"},
		{"validators"},
		{"mint", "--alg", "RS256"},
		{"login", "--grant", "nope"},
	}
	full := newRoot(testDeps(t, &ui.Streams{}, fixedNow).withDefaults(), new(bool))
	for _, c := range full.Commands() {
		lines = append(lines, []string{c.Name(), "--help"})
		for _, sub := range c.Commands() {
			lines = append(lines, []string{c.Name(), sub.Name(), "--help"})
		}
	}
	for _, line := range lines {
		t.Run(strings.Join(line, " "), func(t *testing.T) {
			streams := func() *ui.Streams { return &ui.Streams{In: strings.NewReader(token), Env: []string{"TERM=dumb"}} }
			got := jwtrace(t, context.Background(), streams(), line...)
			want := runFull(t, streams(), line...)
			if got != want {
				t.Errorf("jwtrace %q:\nbuilt alone: exit %d\n%s\n%s\nin the full tree: exit %d\n%s\n%s", line, got.code, got.out, got.errOut, want.code, want.out, want.errOut)
			}
		})
	}
}

// BenchmarkRunDecode is a whole run of jwtrace decode on the sample access
// token, as a pipe gets it, after the process has started.
func BenchmarkRunDecode(b *testing.B) {
	raw, err := os.ReadFile("../testdata/tokens/access.jwt")
	if err != nil {
		b.Fatal(err)
	}
	token := string(raw)
	var out, errOut bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		errOut.Reset()
		s := &ui.Streams{In: strings.NewReader(token), Out: &out, ErrOut: &errOut, Env: []string{"TERM=xterm-256color"}}
		if code := RunWith(context.Background(), Deps{Streams: s, Now: fixedNow}, []string{"decode"}); code != ExitOK {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
}
