package cmd

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/ui"
)

// complete asks cobra's hidden __complete command, as the shell scripts do,
// and returns the candidates (the part before the tab) and the directive
// line (":4" and so on) that ends the answer.
func complete(t *testing.T, args ...string) (candidates []string, directive string) {
	t.Helper()
	r := jwtrace(t, context.Background(), &ui.Streams{}, append([]string{"__complete"}, args...)...)
	if r.code != ExitOK {
		t.Fatalf("__complete %q: exit %d, want 0 (stderr %q)", args, r.code, r.errOut)
	}
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	directive = lines[len(lines)-1]
	if !strings.HasPrefix(directive, ":") {
		t.Fatalf("__complete %q: the last line %q is not a directive; output:\n%s", args, directive, r.out)
	}
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		candidates = append(candidates, name)
	}
	return candidates, directive
}

func TestCompletionRequests(t *testing.T) {
	t.Parallel()
	// Directives: 4 no file completion, 0 default (files), 8 filter by
	// extension, 16 directories only.
	tests := []struct {
		name      string
		args      []string
		want      []string
		directive string
	}{
		{
			"top-level commands",
			[]string{""},
			[]string{"authority", "chain", "completion", "config", "decode", "demo", "exchange", "help", "introspect", "login", "logout", "mint", "token", "userinfo", "validators", "verify", "version"},
			":4",
		},
		{"a command prefix", []string{"ver"}, []string{"verify", "version"}, ":4"},
		{"subcommands", []string{"authority", ""}, []string{"keys", "rotate", "serve"}, ":4"},
		{"shells", []string{"completion", ""}, []string{"bash", "fish", "powershell", "zsh"}, ":4"},
		{"a flag by prefix", []string{"verify", "--aud"}, []string{"--audience"}, ":4"},
		{"a command's flags (the root's --profile first)", []string{"decode", "--"}, []string{"--profile", "--at", "--explain", "--file", "--help", "--json", "--token-env", "--validator"}, ":4"},
		{"login --grant values", []string{"login", "--grant", ""}, []string{"device", "auth-code", "client-credentials"}, ":4"},
		{"token shares login's --grant values", []string{"token", "--grant", ""}, []string{"device", "auth-code", "client-credentials"}, ":4"},
		{"a file flag", []string{"decode", "--file", ""}, nil, ":0"},
		{"a file flag with extensions", []string{"chain", "--file", ""}, []string{"yaml", "yml"}, ":8"},
		{"a directory flag", []string{"authority", "serve", "--state", ""}, nil, ":16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, directive := complete(t, tt.args...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("__complete %q = %q, want %q", tt.args, got, tt.want)
			}
			if directive != tt.directive {
				t.Errorf("__complete %q: directive %s, want %s", tt.args, directive, tt.directive)
			}
		})
	}
}

func TestCompletionWithoutDescriptions(t *testing.T) {
	t.Parallel()
	r := jwtrace(t, context.Background(), &ui.Streams{}, "__completeNoDesc", "verify", "--aud")
	if want := "--audience\n:4\n"; r.code != ExitOK || r.out != want {
		t.Errorf("__completeNoDesc verify --aud: exit %d, stdout %q; want 0, %q", r.code, r.out, want)
	}
}

func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	// One line each script must hold for the shell to call jwtrace back.
	tests := []struct{ shell, want string }{
		{"bash", "complete -o default -F __start_jwtrace jwtrace"},
		{"zsh", "#compdef jwtrace"},
		{"fish", "complete -c jwtrace -e"},
		{"powershell", "Register-ArgumentCompleter -CommandName 'jwtrace'"},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			r := jwtrace(t, context.Background(), &ui.Streams{}, "completion", tt.shell)
			if r.code != ExitOK {
				t.Fatalf("completion %s: exit %d, want 0 (stderr %q)", tt.shell, r.code, r.errOut)
			}
			if !strings.Contains(r.out, tt.want) {
				t.Errorf("completion %s: the script lacks %q", tt.shell, tt.want)
			}
			if !strings.Contains(r.out, "__complete") {
				t.Errorf("completion %s: the script never calls jwtrace __complete", tt.shell)
			}
			if r.errOut != "" {
				t.Errorf("completion %s: stderr %q, want nothing", tt.shell, r.errOut)
			}
		})
	}
}
