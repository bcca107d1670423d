package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/ui"
)

// decode takes the token from the environment as chain does: --token-env
// NAME, and $JWTRACE_TOKEN at a terminal when nothing else is given; a pipe
// on stdin wins over $JWTRACE_TOKEN.
func TestDecodeTakesTheTokenFromTheEnvironment(t *testing.T) {
	t.Parallel()
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	id := strings.TrimSpace(testdataFile(t, "id.jwt"))
	terminal := func(env ...string) *ui.Streams {
		return &ui.Streams{In: strings.NewReader(""), Env: env, StdinTTY: true}
	}
	tests := []struct {
		name   string
		s      *ui.Streams
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"--token-env reads the variable", terminal("TOKEN=" + access), []string{"decode", "--json", "--token-env", "TOKEN"}, ExitOK, `"api://workouts"`, ""},
		{"--token-env with an unset variable", terminal(), []string{"decode", "--token-env", "TOKEN"}, ExitUsage, "", "--token-env TOKEN: the variable is empty or not set"},
		{"--token-env with an argument too", terminal("TOKEN=" + access), []string{"decode", "--token-env", "TOKEN", access}, ExitUsage, "", "give the token one way"},
		{"$JWTRACE_TOKEN at a terminal", terminal("JWTRACE_TOKEN=" + access), []string{"decode", "--json"}, ExitOK, `"api://workouts"`, ""},
		{"an argument wins over $JWTRACE_TOKEN", terminal("JWTRACE_TOKEN=" + access), []string{"decode", "--json", id}, ExitOK, `"nonce"`, ""},
		{"a pipe wins over $JWTRACE_TOKEN", &ui.Streams{In: strings.NewReader(id), Env: []string{"JWTRACE_TOKEN=" + access}}, []string{"decode", "--json"}, ExitOK, `"nonce"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jwtrace(t, context.Background(), tt.s, tt.args...)
			if r.code != tt.code || !strings.Contains(r.out, tt.stdout) || !strings.Contains(r.errOut, tt.stderr) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", r.code, tt.code, r.out, tt.stdout, r.errOut, tt.stderr)
			}
		})
	}
}
