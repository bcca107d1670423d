package cmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/ui"
)

// What a newcomer types wrong with chain's token and login flags gets a
// message about chain, not decode, and nothing is sent.
func TestChainTokenAndLoginFlagMistakes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "tok1")
	if err := os.WriteFile(tokFile, []byte("opaque-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:1/never-called"
	tests := []struct {
		name  string
		s     *ui.Streams
		args  []string
		want  string
		avoid string
	}{
		{"a file name given to --token", nil, []string{"chain", "--token", "../tok1.jwt", url}, "use --token-file ../tok1.jwt", ""},
		{"an existing file given to --token", nil, []string{"chain", "--token", tokFile, url}, "use --token-file " + tokFile, ""},
		{"--audience without --login", nil, []string{"chain", "--token", "opaque-token", "--audience", "api://x", url}, "--audience is a login flag", ""},
		{"--scope without --login", nil, []string{"chain", "--token", "opaque-token", "--scope", "openid", url}, "--scope is a login flag", ""},
		{"no token at a terminal", &ui.Streams{In: strings.NewReader(""), StdinTTY: true}, []string{"chain", url}, "no token: give --token-file FILE, --token-env NAME", "--file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if s == nil {
				s = &ui.Streams{In: strings.NewReader("")}
			}
			r := jwtrace(t, context.Background(), s, tt.args...)
			if r.code != ExitUsage || !strings.Contains(r.errOut, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q, want %q", r.code, ExitUsage, r.errOut, tt.want)
			}
			if tt.avoid != "" && strings.Contains(strings.ReplaceAll(r.errOut, "--token-file", ""), tt.avoid) {
				t.Errorf("stderr %q mentions %q", r.errOut, tt.avoid)
			}
		})
	}
}
