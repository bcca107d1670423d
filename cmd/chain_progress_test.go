package cmd

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/jwtrace/jwtrace/internal/ui"
)

// ttyBuffer is a stderr that counts as a terminal.
type ttyBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *ttyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *ttyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *ttyBuffer) IsTerminal() bool { return true }

func slowService(t *testing.T, d time.Duration) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A slow hop shows "→ 1/2 GET http://… 1s" on a terminal's stderr while
// in flight, erased when it answers; nothing on a pipe or with --json.
func TestChainShowsTheHopInFlight(t *testing.T) {
	t.Parallel()
	slow := slowService(t, 1200*time.Millisecond)
	fast := slowService(t, 0)
	// In flight past the line's 300ms delay, enough to show it where it
	// would be shown.
	slowish := slowService(t, 450*time.Millisecond)
	env := []string{"TERM=dumb", "JWTRACE_CACHE_DIR=" + t.TempDir(), "JWTRACE_TOKEN=opaque-token-123"}
	run := func(errOut interface {
		Write([]byte) (int, error)
		String() string
	}, args ...string) (string, string) {
		var out strings.Builder
		s := &ui.Streams{Env: env, Out: &out, ErrOut: errOut, In: strings.NewReader("")}
		if code := Run(context.Background(), s, append([]string{"chain"}, args...), time.Now); code != ExitOK {
			t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
		}
		return out.String(), errOut.String()
	}
	out, errOut := run(&ttyBuffer{}, slow+"/a", fast+"/b")
	if !strings.Contains(errOut, "→ 1/2 GET "+slow+"/a …") || !strings.Contains(errOut, " 1s") || !strings.HasSuffix(errOut, "\r\x1b[K") {
		t.Errorf("stderr %q", errOut)
	}
	if strings.Contains(errOut, "→ 2/2") || strings.Contains(out, "→") {
		t.Errorf("a fast hop's line, or a line on stdout:\nstderr %q\nstdout %s", errOut, out)
	}
	if _, errOut := run(&syncbufString{}, slowish+"/a"); strings.Contains(errOut, "→") {
		t.Errorf("piped stderr: %q", errOut)
	}
	if _, errOut := run(&ttyBuffer{}, "--json", slowish+"/a"); strings.Contains(errOut, "→") {
		t.Errorf("--json: %q", errOut)
	}
}

type syncbufString struct{ ttyBuffer }

func (b *syncbufString) IsTerminal() bool { return false }

// At an 80-column terminal the report fits; piped, it keeps its one-line
// rows.
func TestChainReportFitsAnEightyColumnTerminal(t *testing.T) {
	t.Parallel()
	w := newChainWorld(t)
	long := w.workouts + "/workouts?from=2026-11-01&to=2026-11-30&include=entries,totals"
	args := []string{"chain", w.workouts + "/workouts", w.billing + "/plan", long}
	for _, tty := range []bool{true, false} {
		var out, errOut strings.Builder
		s := &ui.Streams{Env: []string{"TERM=dumb", "COLUMNS=80", "JWTRACE_CACHE_DIR=" + t.TempDir(), "JWTRACE_TOKEN=" + w.token}, Out: &out, ErrOut: &errOut, In: strings.NewReader(""), StdoutTTY: tty}
		Run(context.Background(), s, args, time.Now)
		widest := 0
		for _, l := range strings.Split(out.String(), "\n") {
			widest = max(widest, lipgloss.Width(l))
		}
		if tty && widest > 80 {
			t.Errorf("terminal: a line of %d columns:\n%s", widest, out.String())
		}
		oneLine := false
		for _, l := range strings.Split(out.String(), "\n") {
			oneLine = oneLine || strings.HasPrefix(l, "   3  GET http://") && strings.Contains(l, " 200 ") && strings.Contains(l, "— (no rules declared)")
		}
		if !tty && (widest <= 80 || !oneLine) {
			t.Errorf("piped: the rows were changed (widest %d):\n%s", widest, out.String())
		}
		if tty && oneLine {
			t.Errorf("terminal: row 3 was not fitted:\n%s", out.String())
		}
	}
}
