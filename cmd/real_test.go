package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtrace/jwtrace/internal/ui"
)

// corpusEntry is one token of testdata/real/corpus.json: real tokens from
// providers' SDK test fixtures and RFC examples (testdata/real/README.md
// says where each came from and under which license).
type corpusEntry struct {
	File     string `json:"file"`
	At       string `json:"at"`
	Kind     string `json:"kind"`
	Provider string `json:"provider"`
	Use      string `json:"use"`
	// Explain maps a claim (ExplainHeader: a header parameter) to text its
	// explanation must contain ("" = must have one); the _not maps to text
	// it must not contain.
	Explain          map[string]string `json:"explain"`
	ExplainNot       map[string]string `json:"explain_not"`
	ExplainHeader    map[string]string `json:"explain_header"`
	ExplainHeaderNot map[string]string `json:"explain_header_not"`
	Diagnostics      []string          `json:"diagnostics"`
	DiagnosticsNot   []string          `json:"diagnostics_not"`
	// Message maps a diagnostic code to text its message must contain;
	// MessageNot is text no message may contain.
	Message    map[string]string `json:"message"`
	MessageNot []string          `json:"message_not"`
	Verify     *struct {
		Args     []string `json:"args"`
		Issuer   string   `json:"issuer"`
		Audience string   `json:"audience"`
		Exit     int      `json:"exit"`
		Summary  string   `json:"summary"`
		Stderr   string   `json:"stderr"`
		Skip     string   `json:"skip"`
	} `json:"verify"`
}

func readCorpus(t *testing.T) []corpusEntry {
	t.Helper()
	b, err := os.ReadFile("../testdata/real/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Tokens []corpusEntry }
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Tokens) < 25 {
		t.Fatalf("the corpus has %d tokens", len(c.Tokens))
	}
	return c.Tokens
}

func TestRealTokensDecode(t *testing.T) {
	t.Parallel()
	for _, e := range readCorpus(t) {
		t.Run(e.File, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "real", e.File)
			r := jwtrace(t, context.Background(), &ui.Streams{}, "decode", "--json", "--at", e.At, "--file", path)
			if r.code != ExitOK {
				t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
			}
			var got struct {
				Kind, Provider, Use string
				Explain             struct{ Header, Claims map[string]string }
				Diagnostics         []struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(r.out), &got); err != nil {
				t.Fatalf("%v\n%s", err, r.out)
			}
			if got.Kind != e.Kind || got.Provider != e.Provider || got.Use != e.Use {
				t.Errorf("kind %q provider %q use %q, want %q %q %q", got.Kind, got.Provider, got.Use, e.Kind, e.Provider, e.Use)
			}
			explains := func(what string, have, want, not map[string]string) {
				for name, text := range want {
					if have[name] == "" || !strings.Contains(have[name], text) {
						t.Errorf("%s %s explained as %q, want %q", what, name, have[name], text)
					}
				}
				for name, text := range not {
					if strings.Contains(have[name], text) {
						t.Errorf("%s %s explained as %q, which must not say %q", what, name, have[name], text)
					}
				}
			}
			explains("claim", got.Explain.Claims, e.Explain, e.ExplainNot)
			explains("header", got.Explain.Header, e.ExplainHeader, e.ExplainHeaderNot)
			codes := map[string]string{}
			for _, d := range got.Diagnostics {
				codes[d.Code] += d.Message + "\n"
				for _, bad := range e.MessageNot {
					if strings.Contains(d.Message, bad) {
						t.Errorf("%s says %q", d.Code, d.Message)
					}
				}
			}
			for _, c := range e.Diagnostics {
				if _, ok := codes[c]; !ok {
					t.Errorf("no %s; got %v", c, got.Diagnostics)
				}
			}
			for _, c := range e.DiagnosticsNot {
				if m, ok := codes[c]; ok {
					t.Errorf("%s: %s", c, m)
				}
			}
			for c, text := range e.Message {
				if !strings.Contains(codes[c], text) {
					t.Errorf("%s message %q, want %q", c, codes[c], text)
				}
			}
		})
	}
}

func TestRealTokensVerify(t *testing.T) {
	for _, e := range readCorpus(t) {
		if e.Verify == nil {
			continue
		}
		t.Run(e.File, func(t *testing.T) {
			if e.Verify.Skip != "" {
				t.Skip(e.Verify.Skip)
			}
			t.Chdir(filepath.Join("..", "testdata", "real"))
			token, err := os.ReadFile(e.File)
			if err != nil {
				t.Fatal(err)
			}
			args := append([]string{"verify", "--at", e.At}, e.Verify.Args...)
			if e.Verify.Issuer != "" {
				args = append(args, "--issuer", e.Verify.Issuer)
			}
			if e.Verify.Audience != "" {
				args = append(args, "--audience", e.Verify.Audience)
			}
			r := jwtrace(t, context.Background(), verifyEnv(t), append(args, strings.TrimSpace(string(token)))...)
			if r.code != e.Verify.Exit || !strings.Contains(r.out, e.Verify.Summary) || !strings.Contains(r.errOut, e.Verify.Stderr) {
				t.Fatalf("exit %d, want %d with %q / %q\n%s%s", r.code, e.Verify.Exit, e.Verify.Summary, e.Verify.Stderr, r.out, r.errOut)
			}
			if e.Verify.Exit != ExitOK {
				return
			}
			// The same token with one payload character changed must fail.
			parts := strings.Split(strings.TrimSpace(string(token)), ".")
			p := []byte(parts[1])
			i := len(p) / 2
			if p[i] == 'A' {
				p[i] = 'B'
			} else {
				p[i] = 'A'
			}
			parts[1] = string(p)
			r = jwtrace(t, context.Background(), verifyEnv(t), append(args, strings.Join(parts, "."))...)
			if r.code != ExitRejected || !strings.Contains(r.out, "REJECTED") {
				t.Errorf("a tampered copy: exit %d\n%s%s", r.code, r.out, r.errOut)
			}
		})
	}
}
