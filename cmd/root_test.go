package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/ui"
)

func TestUnknownCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a misspelt command gets a suggestion indented with spaces, not an escaped tab",
			[]string{"decde", "x"}, "Did you mean this?\n  decode\n"},
		{"a shell completion cannot write is a usage error, not the help and exit 0",
			[]string{"completion", "tcsh"}, `unknown command "tcsh" for "jwtrace completion"`},
		{"a misspelt subcommand gets a suggestion too",
			[]string{"authority", "srve"}, "unknown command \"srve\" for \"jwtrace authority\"\n\nDid you mean this?\n  serve\n"},
		{"-v is --version at the root, so it is not demo's --verbose",
			[]string{"demo", "-v"}, "unknown shorthand flag: 'v'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jwtrace(t, context.Background(), &ui.Streams{In: strings.NewReader("")}, tt.args...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, ExitUsage, r.errOut)
			}
			if !strings.Contains(r.errOut, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", r.errOut, tt.want)
			}
			if strings.Contains(r.errOut, `\x09`) {
				t.Errorf("stderr shows an escaped tab: %q", r.errOut)
			}
			if r.out != "" {
				t.Errorf("stdout %q, want nothing", r.out)
			}
		})
	}
}

func TestCompletionWithoutAShellPrintsHelp(t *testing.T) {
	t.Parallel()
	r := jwtrace(t, context.Background(), &ui.Streams{In: strings.NewReader("")}, "completion")
	if r.code != ExitOK || !strings.Contains(r.out, "bash") {
		t.Errorf("exit %d, stdout %q", r.code, r.out)
	}
}
