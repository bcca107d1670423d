package cmd

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtrace/jwtrace/internal/ui"
)

// TestREADMEExamplesAreRealOutput runs every ```console block of README.md
// whose first line is "$ jwtrace ..." and compares what it prints (stdout
// and stderr, as a terminal shows them, without color) with the block. A
// README that drifts from the build fails here; refresh a block by running
// its command and pasting the output.
func TestREADMEExamplesAreRealOutput(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("..")

	blocks := regexp.MustCompile("(?s)```console\n(.*?)```").FindAllSubmatch(readme, -1)
	ran := 0
	for _, b := range blocks {
		text := string(b[1])
		first, want, _ := strings.Cut(text, "\n")
		if !strings.HasPrefix(first, "$ jwtrace ") {
			continue
		}
		ran++
		t.Run(first, func(t *testing.T) {
			args, err := shellWords(strings.TrimPrefix(first, "$ jwtrace "))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			s := &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out, Env: []string{"TERM=dumb"}, Location: time.UTC}
			code := Run(context.Background(), s, args, func() time.Time { return time.Date(2026, 11, 27, 10, 50, 0, 0, time.UTC) })
			got := out.String()
			if m := regexp.MustCompile(`(?m)^\[exit (\d+)\]\n\z`).FindStringSubmatchIndex(want); m != nil {
				wantCode, _ := strconv.Atoi(want[m[2]:m[3]])
				if code != wantCode {
					t.Errorf("exit code %d, README says %d", code, wantCode)
				}
				want = want[:m[0]]
			} else if code != 0 {
				t.Errorf("exit code %d; add a line [exit %d] to the block if that is intended", code, code)
			}
			if got != want {
				t.Errorf("README block differs from the real output.\n--- real\n%s\n--- README\n%s", got, want)
			}
		})
	}
	if ran == 0 {
		t.Fatal("no console blocks found in README.md")
	}
}

// TestREADMEDocumentsEveryExitCode keeps the README's exit code table and
// exit.go's constants in step.
func TestREADMEDocumentsEveryExitCode(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []int
	for _, m := range regexp.MustCompile("(?m)^\\| `?(\\d+)`? \\|").FindAllSubmatch(readme, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		documented = append(documented, n)
	}
	want := ExitCodes
	if len(documented) != len(want) {
		t.Fatalf("README documents exit codes %v, exit.go has %v", documented, want)
	}
	for i := range want {
		if documented[i] != want[i] {
			t.Errorf("README documents exit codes %v, exit.go has %v", documented, want)
		}
	}
}

// shellWords splits a command line the way a POSIX shell would for the
// simple cases the README uses: spaces, and single or double quotes.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, strconv.ErrSyntax
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
