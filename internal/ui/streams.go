// Package ui is the only package that knows about terminals: streams and
// TTY detection, color profiles (NO_COLOR, CLICOLOR, CLICOLOR_FORCE,
// TERM=dumb), lipgloss styles, and the renderers of every command's result.
package ui

import (
	"io"
	"os"

	"github.com/charmbracelet/colorprofile"
	"golang.org/x/term"
)

// Streams are a command's standard streams and environment. Commands take
// them as a value so tests can use buffers and a fixed environment.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Env is the environment, as os.Environ returns it.
	Env []string
}

// System returns the process's real streams and environment.
func System() *Streams {
	return &Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Env: os.Environ()}
}

// Getenv looks a variable up in s.Env.
func (s *Streams) Getenv(key string) string {
	for i := len(s.Env) - 1; i >= 0; i-- {
		kv := s.Env[i]
		if len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key {
			return kv[len(key)+1:]
		}
	}
	return ""
}

// IsTerminal reports whether w (or r) is a terminal.
func IsTerminal(f any) bool {
	type fder interface{ Fd() uintptr }
	if x, ok := f.(fder); ok {
		return term.IsTerminal(int(x.Fd()))
	}
	return false
}

// StdinIsTerminal reports whether input comes from a person at a terminal.
func (s *Streams) StdinIsTerminal() bool { return IsTerminal(s.In) }

// StdoutIsTerminal reports whether output goes to a terminal.
func (s *Streams) StdoutIsTerminal() bool { return IsTerminal(s.Out) }

// Profile is the color profile for w: no color when w is not a terminal,
// when NO_COLOR is set or TERM is dumb, and color when CLICOLOR_FORCE is
// set. It reads only the environment: no terminfo lookup, no terminal query
// and no subprocess, and it runs only when styled output is written.
func (s *Streams) Profile(w io.Writer) colorprofile.Profile {
	p := colorprofile.NoTTY
	if IsTerminal(w) || forced(s.Getenv("CLICOLOR_FORCE")) {
		p = colorprofile.Env(s.Env)
	}
	// no-color.org: any non-empty NO_COLOR disables color, even when
	// CLICOLOR_FORCE is set; bixense.com/clicolors: CLICOLOR=0 disables it
	// unless forced. colorprofile reads both as booleans, so settle them here.
	noColor := s.Getenv("NO_COLOR") != "" ||
		(s.Getenv("CLICOLOR") == "0" && !forced(s.Getenv("CLICOLOR_FORCE")))
	if noColor && p > colorprofile.Ascii {
		p = colorprofile.Ascii
	}
	return p
}

func forced(v string) bool { return v != "" && v != "0" && v != "false" }

// Styled wraps w so that lipgloss output is reduced to what w's profile
// allows (plain text for pipes).
func (s *Streams) Styled(w io.Writer) io.Writer {
	return &colorprofile.Writer{Forward: w, Profile: s.Profile(w)}
}
