// Package ui is the only package that knows about terminals: streams and
// TTY detection, color profiles (NO_COLOR, CLICOLOR, CLICOLOR_FORCE,
// TERM=dumb), lipgloss styles, and the renderers of every command's result.
package ui

import (
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
)

// Streams are a command's standard streams and environment. Commands take
// them as a value so tests can use buffers and a fixed environment.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Env is the environment, as os.Environ returns it.
	Env []string
	// StdinTTY and StdoutTTY, when true, make In and Out count as
	// terminals whatever they are (for tests of terminal behaviour).
	StdinTTY, StdoutTTY bool
	// Location is the local time zone for output; nil means time.Local.
	// Tests set it instead of changing time.Local under running servers.
	Location *time.Location

	// inTTY and outTTY remember whether In and Out are terminals: a
	// command asks several times, and each answer is a system call.
	inTTY, outTTY ttyAnswer
}

// ttyAnswer is IsTerminal's answer for one stream, kept with the stream it
// was for (a Streams whose In or Out is replaced asks again).
type ttyAnswer struct {
	of       any
	terminal bool
}

func (a *ttyAnswer) get(f any) bool {
	if a.of == nil || a.of != f {
		a.of, a.terminal = f, IsTerminal(f)
	}
	return a.terminal
}

// Local is the time zone local times are shown in.
func (s *Streams) Local() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return time.Local
}

// System returns the process's real streams and environment.
func System() *Streams {
	return &Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Env: os.Environ()}
}

// Getenv looks a variable up in s.Env.
func (s *Streams) Getenv(key string) string {
	v, _ := s.LookupEnv(key)
	return v
}

// LookupEnv is os.LookupEnv on the streams' environment.
func (s *Streams) LookupEnv(key string) (string, bool) {
	for i := len(s.Env) - 1; i >= 0; i-- {
		kv := s.Env[i]
		if len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key {
			return kv[len(key)+1:], true
		}
	}
	return "", false
}

// IsTerminal reports whether w (or r) is a terminal.
func IsTerminal(f any) bool {
	type fder interface{ Fd() uintptr }
	if x, ok := f.(fder); ok {
		// go-isatty, as termenv (whose init has already asked it about
		// stdout) does: x/term's IsTerminal is the same TCGETS ioctl,
		// in code decode would otherwise load only for this.
		return isatty.IsTerminal(x.Fd())
	}
	return false
}

// StdinIsTerminal reports whether input comes from a person at a terminal.
func (s *Streams) StdinIsTerminal() bool { return s.StdinTTY || s.inTTY.get(s.In) }

// StdoutIsTerminal reports whether output goes to a terminal.
func (s *Streams) StdoutIsTerminal() bool { return s.StdoutTTY || s.outTTY.get(s.Out) }

// Environ returns the environment, for termenv.
func (s *Streams) Environ() []string { return s.Env }

// Profile is the color profile for w, from termenv: no color when w is not
// a terminal (or CI is set), when NO_COLOR has any value, when CLICOLOR=0
// or TERM=dumb; color when CLICOLOR_FORCE is set and NO_COLOR is not. It
// reads only the environment (no terminfo, no terminal query, no
// subprocess) and runs only when styled output is written.
func (s *Streams) Profile(w io.Writer) termenv.Profile {
	var tty bool
	if w == s.Out {
		tty = s.StdoutIsTerminal()
	} else {
		tty = IsTerminal(w)
	}
	// termenv asks the terminal itself when w is an *os.File; it has the
	// answer already.
	return termenv.NewOutput(writerOnly{w}, termenv.WithEnvironment(s), termenv.WithTTY(tty)).EnvColorProfile()
}

// writerOnly hides a writer's Fd from termenv.
type writerOnly struct{ io.Writer }

// Printer writes styled output to w with the color profile w deserves.
type Printer struct {
	w  io.Writer
	th *theme
}

// Printer returns a Printer for w (normally s.Out).
func (s *Streams) Printer(w io.Writer) *Printer {
	prof := s.Profile(w)
	return &Printer{w: w, th: &theme{plain: prof == termenv.Ascii, w: w, prof: prof}}
}
