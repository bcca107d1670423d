package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/muesli/termenv"
)

func TestColorIsOffForPipesAndOnlyForcedOnWhenNothingForbidsIt(t *testing.T) {
	tests := []struct {
		name  string
		tty   bool
		env   []string
		color bool
	}{
		{"a color terminal", true, []string{"TERM=xterm-256color"}, true},
		{"a pipe", false, []string{"TERM=xterm-256color"}, false},
		{"a pipe with CLICOLOR_FORCE", false, []string{"TERM=xterm-256color", "CLICOLOR_FORCE=1"}, true},
		{"a terminal with NO_COLOR", true, []string{"TERM=xterm-256color", "NO_COLOR=1"}, false},
		{"a terminal with NO_COLOR=yes (any non-empty value counts)", true, []string{"TERM=xterm", "NO_COLOR=yes"}, false},
		{"CLICOLOR_FORCE with NO_COLOR", false, []string{"TERM=xterm-256color", "CLICOLOR_FORCE=1", "NO_COLOR=1"}, false},
		{"a terminal with CLICOLOR=0", true, []string{"TERM=xterm", "CLICOLOR=0"}, false},
		{"CLICOLOR=0 with force", true, []string{"TERM=xterm", "CLICOLOR=0", "CLICOLOR_FORCE=1"}, true},
		{"an empty NO_COLOR does not count", true, []string{"TERM=xterm", "NO_COLOR="}, true},
		{"a dumb terminal", true, []string{"TERM=dumb"}, false},
		{"a dumb terminal with CLICOLOR_FORCE", true, []string{"TERM=dumb", "CLICOLOR_FORCE=1"}, true},
		{"a pipe in CI with CLICOLOR_FORCE", false, []string{"CI=true", "CLICOLOR_FORCE=1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			s := &Streams{Out: &buf, StdoutTTY: tt.tty, Env: tt.env}
			p := s.Profile(&buf)
			if got := p != termenv.Ascii; got != tt.color {
				t.Errorf("profile %v: color = %v, want %v", p, got, tt.color)
			}
			buf.WriteString(s.Printer(&buf).th.st().err.Render("x"))
			if hasESC := strings.Contains(buf.String(), "31m"); hasESC != tt.color {
				t.Errorf("output %q: color codes = %v, want %v", buf.String(), hasESC, tt.color)
			}
		})
	}
}

func TestSafeEscapesTerminalControlSequences(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"Ünïcödé ✓", "Ünïcödé ✓"},
		{"\x1b]52;c;ZXZpbA==\x07", `\x1b]52;c;ZXZpbA==\x07`},
		{"red\x1b[31mtext", `red\x1b[31mtext`},
		{"line\nbreak", `line\x0abreak`},
		{"bidi\u202eevil", `bidi\u202eevil`},
		{"c1\u009bcontrol", `c1\x9bcontrol`},
		{"bad\xffutf8", "bad\uFFFDutf8"},
	}
	for _, tt := range tests {
		if got := Safe(tt.in); got != tt.want {
			t.Errorf("Safe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGetenvTakesTheLastValue(t *testing.T) {
	s := &Streams{Env: []string{"A=1", "AB=2", "A=3"}}
	if s.Getenv("A") != "3" || s.Getenv("AB") != "2" || s.Getenv("B") != "" {
		t.Errorf("Getenv: A=%q AB=%q B=%q", s.Getenv("A"), s.Getenv("AB"), s.Getenv("B"))
	}
}
