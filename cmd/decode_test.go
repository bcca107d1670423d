package cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/internal/ui"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 27, 10, 50, 0, 0, time.UTC) }

type run struct {
	code        int
	out, errOut string
}

// jwtrace runs the command line in-process with the given stdin and
// terminal settings.
func jwtrace(t *testing.T, ctx context.Context, s *ui.Streams, args ...string) run {
	t.Helper()
	var out, errOut bytes.Buffer
	s.Out, s.ErrOut = &out, &errOut
	if s.In == nil {
		s.In = strings.NewReader("")
	}
	if s.Env == nil {
		s.Env = []string{"TERM=dumb"}
	}
	code := RunWith(ctx, testDeps(t, s, fixedNow), args)
	return run{code, out.String(), errOut.String()}
}

func testdataFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/tokens/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestDecodeExitCodes(t *testing.T) {
	t.Parallel()
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout bool // something on stdout
		stderr string
	}{
		{"a token decodes", []string{"decode", access}, "", ExitOK, true, ""},
		{"no token in the input", []string{"decode", "hello world"}, "", ExitUsage, false, "no JWT found"},
		{"a truncated token", []string{"decode", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9"}, "", ExitUsage, false, "[parts]"},
		{"claims that do not decode", []string{"decode", b64(`{"alg":"RS256"}`) + "." + b64("not json") + ".c2ln"}, "", ExitUsage, true, "the token is malformed"},
		{"an unknown flag", []string{"decode", "--nope"}, "", ExitUsage, false, "unknown flag: --nope"},
		{"an unknown command", []string{"nope"}, "", ExitUsage, false, `unknown command "nope"`},
		{"an unreadable file", []string{"decode", "--file", "/nonexistent/token"}, "", ExitUsage, false, "cannot read the input"},
		{"a file name as the token", []string{"decode", "token.jwt"}, "", ExitUsage, false, "to read a file use --file token.jwt"},
		{"empty stdin", []string{"decode"}, "", ExitUsage, false, "the input is empty: give a token"},
		{"one good and one broken token", []string{"decode", `{"access_token":"` + access + `","id_token":"eyJhbGciOiJSUzI1NiJ9.eyJ"}`}, "", ExitOK, true, "jwtrace: id_token: the token has 2 parts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jwtrace(t, context.Background(), &ui.Streams{In: strings.NewReader(tt.stdin)}, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tt.code, r.errOut)
			}
			if (r.out != "") != tt.stdout {
				t.Errorf("stdout %q, want something: %v", r.out, tt.stdout)
			}
			if !strings.Contains(r.errOut, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", r.errOut, tt.stderr)
			}
		})
	}
}

func TestDecodeCtrlCWhileReadingStdinExits130(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe() // a stdin that never sends anything
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan run, 1)
	go func() { done <- jwtrace(t, ctx, &ui.Streams{In: pr}, "decode", "-") }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case r := <-done:
		if r.code != ExitInterrupted {
			t.Errorf("exit %d, want %d", r.code, ExitInterrupted)
		}
		if r.errOut != "" || r.out != "" {
			t.Errorf("printed %q / %q on interrupt, want nothing", r.out, r.errOut)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("decode kept reading stdin after the context was cancelled")
	}
}

func TestDecodeAtATerminal(t *testing.T) {
	t.Parallel()
	access := strings.TrimSpace(testdataFile(t, "access.jwt"))

	t.Run("explains claims by default", func(t *testing.T) {
		r := jwtrace(t, context.Background(), &ui.Streams{StdoutTTY: true}, "decode", access)
		if !strings.Contains(r.out, "audience: who should accept it") {
			t.Errorf("no explanations at a terminal:\n%s", r.out)
		}
		r = jwtrace(t, context.Background(), &ui.Streams{}, "decode", access)
		if strings.Contains(r.out, "audience: who should accept it") {
			t.Errorf("explanations in piped output:\n%s", r.out)
		}
		r = jwtrace(t, context.Background(), &ui.Streams{StdoutTTY: true}, "decode", "--explain=false", access)
		if strings.Contains(r.out, "audience: who should accept it") {
			t.Errorf("--explain=false still explains:\n%s", r.out)
		}
	})

	t.Run("uses color unless NO_COLOR is set", func(t *testing.T) {
		r := jwtrace(t, context.Background(), &ui.Streams{StdoutTTY: true, Env: []string{"TERM=xterm-256color"}}, "decode", access)
		if !strings.Contains(r.out, "\x1b[") {
			t.Errorf("no color at a color terminal")
		}
		for _, env := range [][]string{
			{"TERM=xterm-256color", "NO_COLOR=1"},
			{"TERM=xterm-256color", "CLICOLOR=0"},
			{"TERM=dumb"},
		} {
			r := jwtrace(t, context.Background(), &ui.Streams{StdoutTTY: true, Env: env}, "decode", access)
			if strings.Contains(r.out, "\x1b[") {
				t.Errorf("%v: color codes at a terminal", env)
			}
		}
	})

	t.Run("indents JSON for people and writes JSON Lines for pipes", func(t *testing.T) {
		r := jwtrace(t, context.Background(), &ui.Streams{StdoutTTY: true}, "decode", "--json", access)
		if !strings.HasPrefix(r.out, "{\n  \"source\": \"input\",") {
			t.Errorf("JSON at a terminal is not indented: %.60q", r.out)
		}
		r = jwtrace(t, context.Background(), &ui.Streams{}, "decode", "--json", access)
		if strings.Count(r.out, "\n") != 1 {
			t.Errorf("piped JSON is not one line: %.80q", r.out)
		}
	})

	t.Run("asks for a token instead of waiting on a terminal's stdin", func(t *testing.T) {
		r := jwtrace(t, context.Background(), &ui.Streams{StdinTTY: true}, "decode")
		if r.code != ExitUsage || !strings.Contains(r.errOut, "no token given") {
			t.Errorf("exit %d, stderr %q", r.code, r.errOut)
		}
	})

	t.Run("prompts when - reads a terminal", func(t *testing.T) {
		r := jwtrace(t, context.Background(), &ui.Streams{StdinTTY: true, In: strings.NewReader(access)}, "decode", "-")
		if r.code != ExitOK || !strings.Contains(r.errOut, "Paste the token") {
			t.Errorf("exit %d, stderr %q", r.code, r.errOut)
		}
	})
}

func TestDecodeJSONEscapesWhatATerminalWouldObey(t *testing.T) {
	t.Parallel()
	token := b64(`{"alg":"RS256"}`) + "." + b64("{\"iss\":\"a\u202eb\",\"name\":\"c\u0085d\",\"exp\":1795777331}") + "." + b64(strings.Repeat("s", 256))
	r := jwtrace(t, context.Background(), &ui.Streams{}, "decode", "--json", token)
	if strings.ContainsAny(r.out, "\u202e\u0085") {
		t.Errorf("raw bidi or C1 characters in JSON output: %q", r.out)
	}
	if !strings.Contains(r.out, `"iss":"a\u202eb"`) || !strings.Contains(r.out, `"name":"c\u0085d"`) {
		t.Errorf("escaped values missing: %q", r.out)
	}
}

func TestParseTimeFlag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2026-11-27T10:42:00Z":      "2026-11-27T10:42:00Z",
		"2026-11-27T11:42:00+01:00": "2026-11-27T10:42:00Z",
		"2026-11-27T10:42:00":       "2026-11-27T10:42:00Z",
		"2026-11-27 10:42:00":       "2026-11-27T10:42:00Z",
		"2026-11-27":                "2026-11-27T00:00:00Z",
		"1795776120":                "2026-11-27T10:42:00Z",
	} {
		got, err := parseTimeFlag(in)
		if err != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("parseTimeFlag(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := parseTimeFlag("yesterday"); err == nil {
		t.Error("parseTimeFlag(yesterday) succeeded")
	}
}
