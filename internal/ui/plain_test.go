package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/jwtrace/jwtrace/decode"
)

// Without colour, decode's output is written without lipgloss: only a
// terminal with a colour profile pays for styling.
func TestPrinterIsPlainOnlyWithoutColour(t *testing.T) {
	for _, tt := range []struct {
		name  string
		s     *Streams
		plain bool
	}{
		{"a pipe", &Streams{Env: []string{"TERM=xterm-256color"}}, true},
		{"a terminal with NO_COLOR", &Streams{StdoutTTY: true, Env: []string{"TERM=xterm-256color", "NO_COLOR=1"}}, true},
		{"a colour terminal", &Streams{StdoutTTY: true, Env: []string{"TERM=xterm-256color"}}, false},
		{"a pipe with CLICOLOR_FORCE", &Streams{Env: []string{"TERM=xterm", "CLICOLOR_FORCE=1"}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.s.Out = &buf
			if got := tt.s.Printer(&buf).th.plain; got != tt.plain {
				t.Errorf("plain = %v, want %v", got, tt.plain)
			}
		})
	}
}

// The plain theme writes exactly what lipgloss writes with no colour
// profile, for every sample token and for tokens whose text is wide,
// combining, bidirectional or full of control characters.
func TestPlainDecodeOutputIsWhatLipglossWrites(t *testing.T) {
	var inputs [][]byte
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "tokens", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample tokens: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	b64 := func(s string) string { return strings.TrimRight(encodeB64(s), "=") }
	for _, tok := range [][2]string{
		{`{"alg":"RS256","kid":"鍵\t1"}`, `{"sub":"名前","name":"Zoë 👩‍👩‍👧 e\u0301","iss":"evil\u001b[2J\r\n","exp":1795777331,"bidi":"a\u202eb","tab":"a\tb","long":["` + strings.Repeat("長い", 40) + `"]}`},
		{`{"alg":"HS256","typ":"JWT"}`, `{"sub":"alice","aud":"billing","azp":"workout-log","exp":1795773000,"iat":1795773731,"nbf":1795780000,"act":{"sub":"workout-log","act":{"sub":"workouts"}},"may_act":{"sub":"reports\u0007"}}`},
		{`{"alg":"none"}`, `{"act":"workouts","exp":1795774000}`},
	} {
		inputs = append(inputs, []byte(b64(tok[0])+"."+b64(tok[1])+"."+b64(strings.Repeat("s", 64))))
	}
	for i, input := range inputs {
		res, err := decode.Decode(input, decode.Options{Now: evalAt})
		if res == nil || len(res.Tokens) == 0 {
			t.Fatalf("input %d decodes to no token: %v", i, err)
		}
		for _, v := range []DecodeView{{Local: time.UTC}, {Explain: true, Local: time.FixedZone("CET", 3600)}} {
			var plain, styled bytes.Buffer
			s := &Streams{Env: []string{"TERM=xterm-256color"}}
			p := s.Printer(&plain)
			if !p.th.plain {
				t.Fatal("a pipe's printer is not plain")
			}
			if err := p.Tokens(res.Tokens, v); err != nil {
				t.Fatal(err)
			}
			if p.th.styles != nil && !strings.ContainsAny(plain.String(), "\t\r") {
				// Only text that lipgloss would change needs its styles.
				t.Errorf("input %d: a plain decode built the lipgloss styles", i)
			}
			p = s.Printer(&styled)
			p.th.plain = false // through lipgloss, with the pipe's (no) colour
			if err := p.Tokens(res.Tokens, v); err != nil {
				t.Fatal(err)
			}
			if plain.String() != styled.String() {
				t.Errorf("input %d, %+v: plain output differs from lipgloss's\n--- plain\n%q\n--- lipgloss\n%q", i, v, plain.String(), styled.String())
			}
		}
	}
}

// textWidth is lipgloss.Width, without lipgloss for printable ASCII.
func TestTextWidthIsLipglossWidth(t *testing.T) {
	for _, s := range []string{"", "a", `"aud": "api://workouts",`, "~ !", "tab\there", "two\nlines", "\x1b[31mred\x1b[0m", "名前", "e\u0301", "👩‍👩‍👧", "\x7f", "Zoë"} {
		if got, want := textWidth(s), lipgloss.Width(s); got != want {
			t.Errorf("textWidth(%q) = %d, lipgloss.Width = %d", s, got, want)
		}
	}
}

// What lipgloss would change even without colour is left to it.
func TestPlainRenderLeavesTabsAndLineBreaksToLipgloss(t *testing.T) {
	var buf bytes.Buffer
	p := (&Streams{}).Printer(&buf)
	for _, s := range []string{"a\tb", "one\r\ntwo", "short\nlonger line", "plain"} {
		if got, want := p.th.render(sDim, s), p.th.st().dim.Render(s); got != want {
			t.Errorf("render(%q) = %q, lipgloss writes %q", s, got, want)
		}
	}
}

// BenchmarkPrinterTokens is decode's rendering of the sample access token
// as a pipe gets it.
func BenchmarkPrinterTokens(b *testing.B) {
	input, err := os.ReadFile(filepath.Join("..", "..", "testdata", "tokens", "access.jwt"))
	if err != nil {
		b.Fatal(err)
	}
	res, err := decode.Decode(input, decode.Options{Now: evalAt})
	if err != nil {
		b.Fatal(err)
	}
	s := &Streams{Env: []string{"TERM=xterm-256color"}}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := s.Printer(&buf).Tokens(res.Tokens, DecodeView{Local: time.UTC}); err != nil {
			b.Fatal(err)
		}
	}
}
